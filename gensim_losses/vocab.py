"""gensim's vocabulary scan of plain text files, in C and without the GIL.

gensim's ``build_vocab(corpus_file=...)`` reads the file through
``LineSentence`` and a Python ``Counter``: about a quarter of a 1-epoch
run's whole-process time on 20M tokens. :func:`scan` counts the same words
in C (``_kernels.WordCounter``), one thread per line-aligned byte range, and
gives what gensim's scan gives: the counts in order of first occurrence
(which fixes the vocabulary order of ties), the raw word count and the
sentence count (lines cut into sentences of at most ``max_sentence_length``
words, as ``LineSentence`` cuts them), splitting tokens on exactly the
whitespace of Python's ``str.split()``.

:func:`cum_table` is gensim's negative-sampling table, computed in numpy
rather than a Python loop over the vocabulary.
"""

import math
import numbers
import os
import threading
from collections import defaultdict

import numpy as np
from gensim.models.word2vec import MAX_WORDS_IN_BATCH, LineSentence, PathLineSentences
from smart_open.compression import get_supported_extensions

from gensim_losses import _kernels
from gensim_losses.engine import line_ranges


def text_files(corpus_iterable=None, corpus_file=None):
    """``(paths, max_sentence_length)`` when the corpus is uncompressed text files
    that gensim would read line by line, else None (gensim's own scan serves it)."""
    if corpus_file is not None:
        paths, max_words = [corpus_file], MAX_WORDS_IN_BATCH
    elif type(corpus_iterable) is PathLineSentences and corpus_iterable.limit is None:
        paths, max_words = corpus_iterable.input_files, corpus_iterable.max_sentence_length
    elif (type(corpus_iterable) is LineSentence and corpus_iterable.limit is None
          and isinstance(corpus_iterable.source, (str, os.PathLike))):
        paths, max_words = [corpus_iterable.source], corpus_iterable.max_sentence_length
    else:
        return None
    paths = [os.fspath(p) for p in paths]
    compressed = tuple(get_supported_extensions())
    if any(p.lower().endswith(compressed) or not os.path.isfile(p) for p in paths):
        return None
    return paths, max_words


def _count(counter, path, start, end, max_words, errors):
    try:
        counter.scan(path, start, end, max_words)
    except BaseException as exc:  # raised by scan(), in the caller's thread
        errors.append(exc)


def scan(paths, max_words, workers):
    """``(raw_vocab, total_words, corpus_count)`` of the text files ``paths``, read in order."""
    vocab = defaultdict(int)
    total_words = sentences = 0
    for path in paths:
        counters = [_kernels.WordCounter() for _ in range(max(1, workers))]
        errors = []
        ranges = line_ranges(path, len(counters))
        threads = [threading.Thread(target=_count, args=(counter, path, *bounds, max_words, errors), daemon=True)
                   for counter, bounds in zip(counters, ranges)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        if errors:
            raise errors[0]
        for counter in counters:  # byte ranges in file order: first occurrences stay in order
            for word, n in counter.items():
                vocab[word] += n
            total_words += counter.words
            sentences += counter.sentences
    return vocab, total_words, sentences


def cum_table(counts, exponent, domain=2**31 - 1, what="ns_exponent"):
    """gensim's negative-sampling table: entry ``i`` is
    ``round(domain * sum(c[:i + 1] ** exponent) / sum(c ** exponent))``, uint32.

    A word is drawn by a uniform integer below ``domain`` and a binary search.
    The sums run in order, in float64, as gensim's ``make_cum_table`` adds
    them one word at a time, so the tables are equal to the last bit.

    Where ``c ** exponent`` overflows float64 (``ns_exponent=200`` with counts
    above 35) or every power underflows to 0, the powers are taken relative
    to the largest one, in log space: the same distribution, representable
    (for a large exponent, nearly all of it on the most frequent words).

    Raises
    ------
    ValueError
        Naming ``what`` (the exponent's name, e.g. ``"ns_exponent"``), when
        the exponent is not a finite number, a count is negative or not
        finite, or no table is possible (every weight 0, or a count of 0
        under a negative exponent): the table would hold NaN, and a draw from
        it would divide by zero or always pick the same word.
    """
    if isinstance(exponent, bool) or not isinstance(exponent, numbers.Real) or not math.isfinite(exponent):
        raise ValueError(f"{what}={exponent!r}: the negative-sampling distribution count**{what} needs a "
                         f"finite real exponent (gensim's default is 0.75; 0 draws uniformly, 1 by frequency)")
    exponent = float(exponent)
    counts = np.asarray(counts, dtype=np.float64)
    if not len(counts):
        return np.zeros(0, dtype=np.uint32)
    if not np.isfinite(counts).all() or (counts < 0).any():
        raise ValueError(f"{what}={exponent:g}: the word counts must be finite and >= 0 to build the "
                         f"negative-sampling table, got min {counts.min():g}, max {counts.max():g}")
    if exponent < 0 and (counts == 0).any():
        raise ValueError(f"{what}={exponent:g}: a word with count 0 would weigh count**{what} = infinity; "
                         f"expected {what} >= 0, or every count >= 1")
    with np.errstate(over="ignore", under="ignore"):
        cumulative = np.cumsum(counts ** exponent)
    if not (np.isfinite(cumulative[-1]) and cumulative[-1] > 0):
        # overflow (or underflow): the same distribution, each power relative to the largest
        with np.errstate(divide="ignore", under="ignore"):
            log_weights = exponent * np.log(counts)  # a count of 0 gives -inf: weight 0
        if not np.isfinite(log_weights.max()):
            raise ValueError(f"{what}={exponent:g}: every word has count**{what} = 0 (all counts are 0), "
                             f"so no negative can be drawn; expected counts >= 1")
        with np.errstate(under="ignore"):
            cumulative = np.cumsum(np.exp(log_weights - log_weights.max()))
    table = np.round(cumulative / cumulative[-1] * domain)
    if not (np.isfinite(table).all() and table[-1] == domain):  # cannot happen after the above: a last guard
        raise ValueError(f"{what}={exponent:g}: the negative-sampling table is not a valid cumulative "
                         f"distribution (expected finite values rising to {domain})")
    return table.astype(np.uint32)
