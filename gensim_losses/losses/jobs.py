"""A prepared job seen from numpy: its examples, positions, weights and contexts.

The kernels train a ``_kernels.Job`` position by position without the GIL;
the hybrid and reference paths need the same job as arrays. :func:`view`
gives them one, read from the kernels' own walk through the job
(``Job.collect``), so the Python paths see the examples the kernels train,
in their order, for every model: each example's target, the rows whose sum
forms its h (word vectors, FastText n-gram buckets, Doc2Vec document
vectors), and the scales that form h and return its error; or, with
Doc2Vec's ``dm_concat=1`` (``concat``), the rows whose concatenation is h,
each taking its own slice of h's error.
"""

from typing import NamedTuple

import numpy as np

from gensim_losses.losses.loss import ExampleBatch

# row kinds of Job.collect, and the names of the arrays they are rows of (see Model._kernel_inputs)
ROW_ARRAYS = ("words", "ngrams", "docs")
WORD_ROWS = 0


class JobView(NamedTuple):
    words: np.ndarray             # (positions,) vocabulary index at each job position
    position_weight: np.ndarray   # (positions,) the weight of each position's sentence
    position_context: tuple       # (ids, offsets): each position's sentence context, CSR
    target: np.ndarray            # (examples,) the word each example predicts
    position: np.ndarray          # (examples,) the job position of each example's centre word
    form: np.ndarray              # (examples,) h = form * (the sum of the example's rows)
    update: np.ndarray            # (examples,) each row's step = update * lockf * (the error of h)
    row_start: np.ndarray         # (examples + 1,) example e's rows: row_start[e]:row_start[e + 1]
    row_kind: np.ndarray          # index into ROW_ARRAYS
    row_index: np.ndarray
    concat: bool = False          # h is the concatenation of the rows (dm_concat), not form * their sum

    @property
    def weight(self):
        """(examples,) each example's sentence weight."""
        return self.position_weight[self.position]

    def rows(self, e):
        """``(kinds, indices)`` of example ``e``'s input rows."""
        a, b = self.row_start[e], self.row_start[e + 1]
        return self.row_kind[a:b], self.row_index[a:b]

    def hidden(self, e, arrays):
        """Example ``e``'s h, shape (1, width), from ``arrays`` (the row arrays, by ``ROW_ARRAYS`` kind)
        as they are now: form times the sum of its rows, or with ``concat`` the rows side by side."""
        kinds, indices = self.rows(e)
        vectors = [arrays[k][i] for k, i in zip(kinds, indices)]
        if self.concat:
            return np.concatenate(vectors)[None]
        return self.form[e] * np.sum(vectors, axis=0, dtype=np.float32)[None]

    def batch(self):
        """The :class:`~gensim_losses.ExampleBatch` of the job's examples.

        Its inputs are the word vectors among each example's rows (the
        context word in skip-gram, the window in CBOW and PV-DM, the word
        itself in FastText; none for a PV-DBOW document example).
        """
        n = len(self.target)
        is_word = self.row_kind == WORD_ROWS
        example_of_row = np.repeat(np.arange(n), np.diff(self.row_start))
        offsets = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(np.bincount(example_of_row[is_word], minlength=n), out=offsets[1:])
        ctx_ids, ctx_offsets = gather(*self.position_context, self.position)
        return ExampleBatch(self.row_index[is_word].astype(np.int64), offsets, self.weight, ctx_ids, ctx_offsets)


def gather(ids, offsets, rows):
    """The CSR rows ``rows`` of ``(ids, offsets)``, as a new CSR pair."""
    counts = offsets[rows + 1] - offsets[rows]
    new_offsets = np.zeros(len(rows) + 1, dtype=np.int64)
    np.cumsum(counts, out=new_offsets[1:])
    # each output slot reads ids[start of its row + its rank within the row]
    within = np.arange(new_offsets[-1]) - np.repeat(new_offsets[:-1], counts)
    return ids[np.repeat(offsets[rows], counts) + within].astype(np.int64), new_offsets


def view(run, job):
    """A :class:`JobView` of ``job`` for the run's kernels."""
    ends, weights, ctx, ctx_offsets = job.sentences_of()
    words = job.words()
    sentence = np.searchsorted(ends, np.arange(len(words)), side="right")  # position -> its sentence
    examples = job.collect(run.kernel)
    return JobView(words, weights[sentence], gather(ctx.astype(np.int64), ctx_offsets, sentence),
                   examples["target"], examples["position"], examples["form"], examples["update"],
                   examples["row_start"], examples["row_kind"], examples["row_index"], bool(run.kernel.concat))
