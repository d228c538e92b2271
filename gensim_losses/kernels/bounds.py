"""The bounds of every array the kernels index, checked before a job runs.

The kernels read and write the model's arrays through plain pointers, with no
bounds check in their loops. So every index a job can carry is checked where
it comes from, never per example:

* once per ``train()``, when ``KernelModel`` takes the model's arrays: the
  shape of every input and output layer against the vocabulary, and every
  table that holds row numbers (FastText's n-gram buckets, the Huffman
  tree's points, the group and lexicon tables, the sampling tables, the
  lockf factors), with the functions below: vectorised numpy, O(vocabulary);
* where an index is made (``prepare_batch``: a token's vocabulary index, a
  document's tag rows; ``LineReader``: a ``corpus_file`` line's number, the
  document row it stands for): one comparison each;
* once per job (``train_job``, ``Job.collect``): the largest word index and
  document row the job holds, recorded as it was filled, against the model
  it is trained with (O(1)).

Each failure is a ``ValueError`` that names the array, its shape, and the
offending index or the size that was expected.
"""

import numpy as np

# where the arrays the kernels index live on a model, for naming them
NAMES = ("wv.vectors", "wv.vectors_vocab", "wv.vectors_ngrams", "dv.vectors", "syn1neg", "syn1", "syn1softmax",
         "wv.vectors_lockf", "wv.vectors_vocab_lockf", "wv.vectors_ngrams_lockf", "dv.vectors_lockf", "cum_table")
LOCKF_LIMIT = 2**32  # the kernels hold a lockf length in 32 bits


def name_of(model, array, default):
    """The attribute path (``"dv.vectors"``) under which ``model`` holds ``array``, else ``default``."""
    for path in NAMES:
        owner, _, attr = path.rpartition(".")
        holder = getattr(model, owner, None) if owner else model
        if holder is not None and getattr(holder, attr, None) is array:
            return path
    return default


def rows(array, name, expected, why):
    """``array`` must be 2-D of shape ``expected``; ``why`` says what its rows are rows of."""
    shape = np.shape(array)
    if shape != tuple(expected):
        raise ValueError(f"{name} has shape {shape}, expected {tuple(expected)} ({why})")


def width(array, name, size, why):
    """``array`` must be 2-D with ``size`` columns (any number of rows)."""
    shape = np.shape(array)
    if len(shape) != 2 or shape[1] != size:
        raise ValueError(f"{name} has shape {shape}, expected (n, {size}) ({why})")


def factors(lockf, name, n_rows, rows_name):
    """A lockf array: 1 factor for every row, or one per row of ``rows_name`` (``n_rows``)."""
    n = np.size(lockf)
    if n == 0 or (n != 1 and n != n_rows) or n >= LOCKF_LIMIT:
        raise ValueError(
            f"{name} has shape {np.shape(lockf)}: expected 1 factor (every row alike) or {n_rows} (one per row of "
            f"{rows_name}). After build_vocab(update=True) a per-row lockf must be extended for the new rows, "
            f"or set back to np.ones(1, dtype=np.float32)")


def below(ids, limit, name, target, shape, advice):
    """Every entry of ``ids`` must be a row number of ``target`` (``limit`` rows, of ``shape``)."""
    ids = np.asarray(ids)
    if not ids.size:
        return
    bad = np.flatnonzero((ids < 0) | (ids >= limit))
    if bad.size:
        raise ValueError(f"{name} holds index {int(ids[bad[0]])} (at position {int(bad[0])}), but {target} has "
                         f"{limit} rows (shape {tuple(shape)}): {advice}")


def offsets(starts, n, total, name, items, advice):
    """CSR offsets: ``starts`` of length ``n + 1``, from 0, never decreasing, ending at ``total`` (the
    length of ``items``), so item ``i``'s entries ``[starts[i], starts[i + 1])`` lie within ``items``."""
    starts = np.asarray(starts)
    if starts.shape != (n + 1,):
        raise ValueError(f"{name} has shape {starts.shape}, expected ({n + 1},) (one offset per entry and one "
                         f"more): {advice}")
    if starts[0] != 0 or starts[-1] != total:
        raise ValueError(f"{name} runs from {int(starts[0])} to {int(starts[-1])}, expected 0 to {total} (the "
                         f"length of {items}): {advice}")
    if n and (np.diff(starts) < 0).any():
        at = int(np.flatnonzero(np.diff(starts) < 0)[0])
        raise ValueError(f"{name} decreases at entry {at} ({int(starts[at])} then {int(starts[at + 1])}): "
                         f"{advice}")


def huffman(codes, points, vocab_size, syn1_shape):
    """Every word's Huffman code and path (gensim's ``code``/``point`` vecattrs): one per word, of equal
    lengths, every point a row of syn1. Returns their lengths."""
    advice = "the Huffman tree does not match the vocabulary: call model.create_binary_tree() (build_vocab does)"
    if len(codes) != vocab_size or len(points) != vocab_size:
        raise ValueError(f"wv's Huffman codes and points cover {len(codes)} and {len(points)} words, expected "
                         f"{vocab_size} (the vocabulary): {advice}")
    lengths = np.fromiter((len(x) for x in codes), dtype=np.int64, count=vocab_size)
    point_lengths = np.fromiter((len(x) for x in points), dtype=np.int64, count=vocab_size)
    if (lengths != point_lengths).any():
        w = int(np.flatnonzero(lengths != point_lengths)[0])
        raise ValueError(f"word {w}'s Huffman code has {int(lengths[w])} entries and its path "
                         f"{int(point_lengths[w])} points, expected as many: {advice}")
    return lengths


def group_tables(word_group, starts, members, cum, vocab_size):
    """GroupNegativeLoss's tables: each word's group a group number or -1, each group's members within the
    flattened members (at least one member for a group a word points to), every member a word."""
    advice = "bind the GroupNegativeLoss again (it binds at train())"
    rows(word_group, "the group table word_group", (vocab_size,), "one group number per word of the vocabulary")
    n_groups = np.size(starts) - 1
    offsets(starts, n_groups, np.size(members), "the group table starts", "members", advice)
    if np.shape(cum) != np.shape(members):
        raise ValueError(f"the group table cum has shape {np.shape(cum)}, expected {np.shape(members)} (one entry "
                         f"per member): {advice}")
    groups = np.asarray(word_group)
    bad = np.flatnonzero((groups < -1) | (groups >= n_groups))
    if bad.size:
        raise ValueError(f"the group table word_group gives word {int(bad[0])} group {int(groups[bad[0]])}, but "
                         f"there are {n_groups} groups (starts has shape {np.shape(starts)}): {advice}")
    used = np.unique(groups[groups >= 0])
    empty = used[np.diff(np.asarray(starts))[used] <= 0] if used.size else used
    if empty.size:
        raise ValueError(f"group {int(empty[0])} has no members, but words point to it: {advice}")
    below(members, vocab_size, "the group table members", "wv.vectors (the vocabulary)", (vocab_size,), advice)


def lexicon_pairs(starts, partners, antonym, vocab_size):
    """LexiconPenalty's pairs: each word's partners within ``partners``, every partner a word, each kind 0 or 1."""
    advice = "bind the LexiconPenalty again (it binds at train())"
    offsets(starts, vocab_size, np.size(partners), "the lexicon table starts", "partners", advice)
    if np.shape(antonym) != np.shape(partners):
        raise ValueError(f"the lexicon table antonym has shape {np.shape(antonym)}, expected {np.shape(partners)} "
                         f"(one kind per pair): {advice}")
    below(partners, vocab_size, "the lexicon table partners", "wv.vectors (the vocabulary)", (vocab_size,), advice)
    below(antonym, 2, "the lexicon table antonym", "the two margins (synonym, antonym)", (2,), advice)
