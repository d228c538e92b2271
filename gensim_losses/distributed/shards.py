"""Where each replica's words come from: shards cut into parts, read where they run.

A corpus is a list of text files, one sentence per line (``corpus_file``'s
format; ``.gz``/``.bz2`` too). :func:`split` cuts their concatenation into
``replicas`` contiguous *parts* of about equal size, in file order: a plain
file may be cut at line starts, a compressed one goes whole to one part.
A part is a list of ``(path, start, end)`` pieces; ``start``/``end`` are
byte offsets of a plain file, or ``0, None`` for a whole compressed file.

Because the parts keep the files' order, counting each part and adding the
counts part by part gives the same vocabulary, in the same order of first
occurrence, as one scan of the concatenated files (:func:`merge_counts`).
"""

import glob
import os
from collections import defaultdict

from gensim import utils
from gensim.models.word2vec import MAX_WORDS_IN_BATCH
from smart_open.compression import get_supported_extensions

from gensim_losses import _kernels
from gensim_losses.engine import line_ranges


def expand(shards):
    """The shard paths: a path, a glob, or a list of paths and globs, in the order given
    (a glob's matches sorted)."""
    if isinstance(shards, (str, os.PathLike)):
        shards = [shards]
    paths = []
    for shard in shards:
        shard = os.fspath(shard)
        matches = sorted(glob.glob(shard)) if glob.has_magic(shard) else [shard]
        if not matches:
            raise FileNotFoundError(f"the shard pattern {shard!r} matches no file")
        paths.extend(matches)
    for path in paths:
        if not os.path.isfile(path):
            raise FileNotFoundError(f"shard {path!r} is not a file (expected text files, one sentence per line)")
    if not paths:
        raise ValueError("no shards given: expected text files, one sentence per line, or a glob matching them")
    return paths


def compressed(path):
    return path.lower().endswith(tuple(get_supported_extensions()))


def split(paths, replicas):
    """``replicas`` parts of about equal bytes, in file order (see the module docstring).

    Raises ValueError when there are fewer pieces than replicas (compressed
    files cannot be cut: give at least one per replica).
    """
    pieces = []  # (path, start, end, bytes)
    plain_cuts = max(1, replicas)
    for path in paths:
        size = os.path.getsize(path)
        if compressed(path):
            pieces.append((path, 0, None, size))
        else:
            for start, end in line_ranges(path, plain_cuts):
                if end > start:
                    pieces.append((path, start, end, end - start))
    if len(pieces) < replicas:
        raise ValueError(f"{len(paths)} shard file(s) give {len(pieces)} piece(s) of text for {replicas} "
                         f"replicas: compressed files are read whole, so give at least one file per replica (or "
                         f"plain text files, which are cut at line starts)")
    total = sum(p[3] for p in pieces)
    parts, done = [[] for _ in range(replicas)], 0
    for i, piece in enumerate(pieces):
        # the piece goes to the part its middle byte falls in; the last ones fill any part left empty
        left = len(pieces) - i
        empty = sum(1 for part in parts if not part)
        index = min(replicas - 1, (done + piece[3] // 2) * replicas // max(total, 1))
        if empty >= left:
            index = next(k for k, part in enumerate(parts) if not part)
        parts[index].append(piece[:3])
        done += piece[3]
    return parts


def read(part, position=(0, 0), max_words=MAX_WORDS_IN_BATCH):
    """Yield ``(tokens, position after this line)`` of a part from ``position``, in order.

    A line is split on whitespace (``str.split()``) and cut into sentences of
    at most ``max_words`` words, as gensim's ``LineSentence`` reads it; a
    position is ``(piece, offset)``: a byte offset in a plain file, a line
    count in a compressed one.
    """
    first, offset = position
    for index in range(first, len(part)):
        path, start, end = part[index]
        if end is None:
            with utils.open(path, "rb") as fh:
                for number, line in enumerate(fh, start=1):
                    if index == first and number <= offset:
                        continue
                    yield from _sentences(line, max_words, (index, number))
        else:
            with open(path, "rb") as fh:
                fh.seek(offset if index == first and offset else start)
                while fh.tell() < end:
                    line = fh.readline()
                    if not line:
                        break
                    yield from _sentences(line, max_words, (index, fh.tell()))
        offset = 0


def _sentences(line, max_words, position):
    words = utils.to_unicode(line).split()
    for i in range(0, len(words), max_words):  # an empty line is no sentence, as in LineSentence
        yield words[i:i + max_words], position


def count(part, max_words=MAX_WORDS_IN_BATCH):
    """``(counts, raw words, sentences)`` of a part: ``counts`` a list of ``(word, n)`` in order of
    first occurrence. Plain pieces are counted by the C scanner, compressed ones in Python."""
    vocab = defaultdict(int)
    words = sentences = 0
    for path, start, end in part:
        if end is None:
            for tokens, _ in read([(path, 0, None)], max_words=max_words):
                for token in tokens:
                    vocab[token] += 1
                words += len(tokens)
                sentences += 1
        else:
            counter = _kernels.WordCounter()
            counter.scan(os.fspath(path), start, end, max_words)
            for word, n in counter.items():
                vocab[word] += n
            words += counter.words
            sentences += counter.sentences
    return list(vocab.items()), words, sentences


def merge_counts(results):
    """The parts' :func:`count` results, in part order, as one scan's ``(raw_vocab, words, sentences)``."""
    vocab = defaultdict(int)
    words = sentences = 0
    for counts, n_words, n_sentences in results:
        for word, n in counts:
            vocab[word] += n
        words += n_words
        sentences += n_sentences
    return vocab, words, sentences
