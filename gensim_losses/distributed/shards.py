"""Where each replica's words come from: shards cut into parts, read where they run.

A corpus is a list of text files, one sentence per line (``corpus_file``'s
format; ``.gz``/``.bz2`` too). :func:`split` cuts their concatenation into
``replicas`` contiguous *parts* of about equal size, in file order: a plain
file may be cut at line starts, a compressed one goes whole to one part.
A part is a list of ``(path, start, end)`` pieces; ``start``/``end`` are
byte offsets of a plain file, or ``0, None`` for a whole compressed file.

Parquet shards (a column of token lists, :class:`~gensim_losses.ParquetCorpus`)
are dealt out by row groups: a piece is a :class:`ParquetPiece`, one row
group of one file with the columns to read, and items are what a
``ParquetCorpus`` yields (token lists, or ``Sentence`` with a weight or a
context column).

Because the parts keep the files' order, counting each part and adding the
counts part by part gives the same vocabulary, in the same order of first
occurrence, as one scan of the concatenated files (:func:`merge_counts`).
"""

import glob
import os
from collections import defaultdict
from typing import NamedTuple

from gensim import utils
from gensim.models.word2vec import MAX_WORDS_IN_BATCH
from smart_open.compression import get_supported_extensions

from gensim_losses import kernels
from gensim_losses.text import corpus
from gensim_losses.text.files import line_ranges


def expand(shards):
    """The shard paths: a path, a glob, or a list of paths and globs, in the order given
    (a glob's matches sorted): text files, or Parquet files."""
    if isinstance(shards, (str, os.PathLike)):
        shards = [shards]
    if not isinstance(shards, (list, tuple)) or not all(isinstance(s, (str, os.PathLike)) for s in shards):
        raise TypeError(f"shards={shards!r}: expected a path, a glob, or a list of them (str or os.PathLike)")
    paths = []
    for shard in shards:
        shard = os.fspath(shard)
        if isinstance(shard, bytes):
            raise TypeError(f"shard {shard!r}: expected a str path, not bytes")
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


COMPRESSED = tuple(get_supported_extensions())


class ParquetPiece(NamedTuple):
    """Row group ``group`` of the Parquet file ``path``; ``column``, ``weight``, ``context`` as in
    :class:`~gensim_losses.ParquetCorpus`."""

    path: str
    group: int
    column: str
    weight: str = None
    context: str = None

    def corpus(self):
        from gensim_losses.text.parquet import ParquetCorpus

        return ParquetCorpus(self.path, self.column, weight=self.weight, context=self.context)


def parquet_pieces(paths, column, weight=None, context=None):
    """``(piece, bytes)`` of every row group of the Parquet files (the columns checked in each file)."""
    from gensim_losses.text.parquet import ParquetCorpus

    corpus = ParquetCorpus(paths, column, weight=weight, context=context)
    return [(ParquetPiece(path, group, column, weight, context), size)
            for path, group, rows, size in corpus.row_groups() if rows]


def compressed(path):
    return path.lower().endswith(COMPRESSED)


def split(paths, replicas, columns=None):
    """``replicas`` parts of about equal bytes, in file order (see the module docstring); ``columns``:
    ``(column, weight, context)`` of Parquet shards, None for text.

    Raises ValueError when there are fewer non-empty pieces (of text, or row groups) than replicas.
    """
    if columns is not None:
        pieces = parquet_pieces(paths, *columns)
        if len(pieces) < replicas:
            raise ValueError(f"{len(paths)} Parquet shard(s) hold {len(pieces)} non-empty row group(s) for "
                             f"{replicas} replicas: a replica reads whole row groups; give fewer replicas, or "
                             f"write the tables with smaller row groups (pyarrow: row_group_size=)")
        return _deal(pieces, replicas)
    pieces = []  # ((path, start, end), bytes)
    for path in paths:
        size = os.path.getsize(path)
        if compressed(path):
            if size:
                pieces.append(((path, 0, None), size))
        else:
            for start, end in line_ranges(path, max(1, replicas)):
                if end > start:
                    pieces.append(((path, start, end), end - start))
    if len(pieces) < replicas:
        raise ValueError(
            f"{len(paths)} shard file(s) hold {len(pieces)} non-empty piece(s) of text for {replicas} replicas: "
            f"a plain file is cut at line starts (into at most as many pieces as it has lines), a compressed "
            f"file is read whole; give fewer replicas, or more text (at least one compressed file per replica)")
    return _deal(pieces, replicas)


def _deal(pieces, replicas):
    """``(piece, bytes)`` pairs into ``replicas`` contiguous parts of about equal bytes, none empty."""
    total = max(sum(size for _, size in pieces), 1)
    parts, done, index = [[] for _ in range(replicas)], 0, -1
    for i, (piece, size) in enumerate(pieces):
        # the part the piece's middle byte falls in, moving on one part at a time (file order, no part
        # left empty) and never so slowly that the pieces left could not fill the parts left
        nominal = min(replicas - 1, (done + size // 2) * replicas // total)
        index = min(index + 1, max(index, nominal, replicas - (len(pieces) - i)))
        parts[index].append(piece)
        done += size
    return parts


START = (0, 0, 0)  # a part's first piece, its first line, no sentence of it read


def read(part, position=START, max_words=MAX_WORDS_IN_BATCH):
    """Yield ``(tokens, position after them)`` of a part from ``position``, in order.

    A line is split on whitespace (``str.split()``) and cut into sentences of
    at most ``max_words`` words, as gensim's ``LineSentence`` reads it. A
    position is ``(piece, line, sentences)``: where the next line starts (a
    byte offset in a plain file, a count of lines in a compressed one) and
    how many sentences of that line were read already (a line longer than
    ``max_words`` is several sentences, and a round may end between them).

    Raises ValueError naming the file and the line for text that is not UTF-8,
    and for a compressed file that cannot be read.
    """
    first, offset, skip = position
    for index in range(first, len(part)):
        here = index == first
        if isinstance(part[index], ParquetPiece):  # position: (piece, rows of its group read, 0)
            piece = part[index]
            skip_rows = offset if here else 0
            for row, item in enumerate(piece.corpus().rows_of(piece.path, piece.group, skip_rows), skip_rows + 1):
                yield item, (index, row, 0)
            offset = skip = 0
            continue
        path, start, end = part[index]
        try:
            if end is None:
                with utils.open(path, "rb") as fh:
                    for number, line in enumerate(fh):
                        if here and number < offset:
                            continue
                        yield from _sentences(line, max_words, index, number, number + 1,
                                              skip if here and number == offset else 0, path)
            else:
                with open(path, "rb") as fh:
                    fh.seek(offset if here and offset else start)
                    while fh.tell() < end:
                        at = fh.tell()
                        line = fh.readline()
                        if not line:
                            break
                        yield from _sentences(line, max_words, index, at, fh.tell(),
                                              skip if here and at == offset else 0, path)
        except (OSError, EOFError) as exc:  # a broken gzip/bz2 file, a file gone since the split
            raise ValueError(f"shard {path}: cannot be read ({type(exc).__name__}: {exc})") from None
        offset = skip = 0


def _sentences(line, max_words, index, at, after, skip, path):
    try:
        words = line.decode("utf8").split()
    except UnicodeDecodeError as exc:
        where = f"line {at + 1}" if compressed(path) else f"the line at byte {at}"
        raise ValueError(f"shard {path}: not UTF-8 text ({where}, its byte {exc.start}); shards are read as "
                         f"UTF-8, as gensim's LineSentence reads them") from None
    pieces = range(0, len(words), max_words)  # an empty line is no sentence, as in LineSentence
    for k, i in enumerate(pieces):
        if k < skip:
            continue
        last = k == len(pieces) - 1
        yield words[i:i + max_words], (index, after, 0) if last else (index, at, k + 1)


def count(part, max_words=MAX_WORDS_IN_BATCH):
    """``(counts, raw words, sentences)`` of a part: ``counts`` a list of ``(word, n)`` in order of
    first occurrence. Plain pieces are counted by the C scanner, compressed ones in Python."""
    vocab = defaultdict(int)
    words = sentences = 0
    for piece in part:
        if isinstance(piece, ParquetPiece):  # whole rows, words and context, as build_vocab counts a ParquetCorpus
            for item, _ in read([piece]):
                tokens, _, context = corpus.parts(item, sentences)
                for token in tokens:
                    vocab[token] += 1
                for token in context:
                    vocab[token] += 1
                words += len(tokens)
                sentences += 1
            continue
        path, start, end = piece
        if end is None:
            for tokens, _ in read([(path, 0, None)], max_words=max_words):
                for token in tokens:
                    vocab[token] += 1
                words += len(tokens)
                sentences += 1
        else:
            counter = kernels.WordCounter()
            try:
                counter.scan(os.fspath(path), start, end, max_words)
            except UnicodeDecodeError as exc:  # its text, not its args, would survive a trip to the driver
                raise ValueError(f"shard {path}: {exc.args[-1] if exc.args else exc}; shards are read as UTF-8, "
                                 f"as gensim's LineSentence reads them") from None
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
