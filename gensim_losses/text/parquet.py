"""Token lists streamed from Parquet tables: :class:`ParquetCorpus` (the ``[parquet]`` extra: pyarrow).

Recommendation and session data live in columnar tables: one row a session,
a column holding its items as a list. A :class:`ParquetCorpus` reads such a
column batch by batch (the table is never in memory whole) and yields what a
corpus iterable yields: token lists, or :class:`~gensim_losses.Sentence`
items when a weight or a context column is named. Items may be strings or
integer ids; they stay what they are (``build_vocab`` keys the vocabulary by
them, as it does plain lists of ints).
"""

import glob
import os

from gensim_losses.text.corpus import Sentence

BATCH_ROWS = 8192  # rows converted to Python at a time: memory stays flat whatever the file's size


def _pyarrow():
    try:
        import pyarrow
        import pyarrow.parquet
    except ImportError as exc:
        raise ImportError("ParquetCorpus reads Parquet with pyarrow, which is not installed: "
                          "pip install 'gensim-losses[parquet]'") from exc
    return pyarrow


def _reader(path):
    return _pyarrow().parquet.ParquetFile(path)


def _paths(path):
    if isinstance(path, (str, os.PathLike)):
        path = os.fspath(path)
        found = sorted(glob.glob(path)) if glob.has_magic(path) else [path]
        if not found:
            raise FileNotFoundError(f"no Parquet file matches {path!r}")
        return found
    return [os.fspath(p) for p in path]


class ParquetCorpus:
    """Sentences from a column of lists in one or more Parquet files, read ``batch_rows`` rows at a time.

    Parameters
    ----------
    path : str, path, glob, or sequence of paths
    column : str
        A column of lists of strings or of integers: one sentence (session) a row. A null row is an
        empty sentence.
    weight : str, optional
        A numeric column: each row's ``Sentence.weight`` (null: 1.0).
    context : str, optional
        A column of lists (or of single values) of the same kind as ``column``: each row's
        ``Sentence.context`` (for :class:`~gensim_losses.GlobalContextLoss`).
    batch_rows : int

    Restartable (every iteration reads the files again), with ``len()`` from the files' metadata, so it
    serves as ``corpus_iterable`` in ``build_vocab``, ``train`` and ``evaluate_loss``.
    """

    def __init__(self, path, column, weight=None, context=None, batch_rows=BATCH_ROWS):
        pa = _pyarrow()
        self.paths = _paths(path)
        self.column, self.weight, self.context = column, weight, context
        if int(batch_rows) < 1:
            raise ValueError(f"batch_rows={batch_rows!r}: expected an integer >= 1")
        self.batch_rows = int(batch_rows)
        self.rows = 0
        for p in self.paths:
            if not os.path.isfile(p):
                raise FileNotFoundError(f"Parquet file {p!r}: no such file")
            try:
                meta = pa.parquet.ParquetFile(p)
            except pa.ArrowInvalid as exc:
                raise ValueError(f"{p!r} is not a Parquet file ({exc})") from None
            schema = meta.schema_arrow
            for role, name in (("column", column), ("weight", weight), ("context", context)):
                if name is not None:
                    self._check(p, schema, name, role)
            self.rows += meta.metadata.num_rows

    @staticmethod
    def _check(path, schema, name, role):
        """A corpus column holds lists of tokens, a weight column numbers, a context column tokens or lists."""
        pa = _pyarrow()
        if name not in schema.names:
            raise ValueError(f"{path!r} has no column {name!r} (the {role}); its columns: "
                             f"{', '.join(schema.names)}")
        kind = schema.field(name).type
        is_list = pa.types.is_list(kind) or pa.types.is_large_list(kind)
        inner = kind.value_type if is_list else kind
        tokens = pa.types.is_string(inner) or pa.types.is_large_string(inner) or pa.types.is_integer(inner)
        if role == "column" and not (is_list and tokens):
            raise ValueError(f"{path!r}: the column {name!r} is {kind}; a corpus column must be a list of strings "
                             f"or of integers (one sentence a row)")
        if role == "weight" and not (pa.types.is_floating(kind) or pa.types.is_integer(kind)):
            raise ValueError(f"{path!r}: the weight column {name!r} is {kind}; expected numbers")
        if role == "context" and not tokens:
            raise ValueError(f"{path!r}: the context column {name!r} is {kind}; expected strings or integers, or "
                             f"lists of them")

    def __len__(self):
        return self.rows

    def __iter__(self):
        for path in self.paths:
            for group in range(_reader(path).num_row_groups):
                yield from self.rows_of(path, group)

    def rows_of(self, path, group, skip=0):
        """The items of row group ``group`` of ``path``, from its row ``skip`` on: one row group in memory
        at a time, converted ``batch_rows`` rows at a time (pyarrow's own batch iterator reads ahead:
        its memory grew with the file in benchmarks/parquet_memory.py)."""
        columns = [c for c in (self.column, self.weight, self.context) if c is not None]
        plain = self.weight is None and self.context is None
        table = _reader(path).read_row_group(group, columns=columns, use_threads=False)
        if skip:
            table = table.slice(skip)
        for batch in table.to_batches(max_chunksize=self.batch_rows):
            words = batch.column(self.column).to_pylist()
            if plain:
                for row in words:
                    yield row or []
                continue
            weights = batch.column(self.weight).to_pylist() if self.weight else [None] * len(words)
            contexts = batch.column(self.context).to_pylist() if self.context else [None] * len(words)
            for row, w, c in zip(words, weights, contexts):
                if c is None:
                    c = ()
                elif not isinstance(c, list):
                    c = [c]
                yield Sentence(row or [], 1.0 if w is None else w, c)

    def row_groups(self):
        """``(path, group, rows, bytes)`` of every row group, in file order: the pieces a distributed
        run deals out to its replicas."""
        out = []
        for path in self.paths:
            meta = _reader(path).metadata
            for group in range(meta.num_row_groups):
                info = meta.row_group(group)
                out.append((path, group, info.num_rows, info.total_byte_size))
        return out

    def __repr__(self):
        return f"ParquetCorpus({len(self.paths)} file(s), column={self.column!r}, {self.rows} rows)"
