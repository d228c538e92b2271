"""A prepared job seen from numpy: its examples, positions, weights and contexts.

The kernels train a ``_kernels.Job`` position by position without the GIL;
the hybrid and reference paths need the same job as arrays. :func:`view`
gives them one, in the kernels' training order, so both read a job alike.
"""

from typing import NamedTuple

import numpy as np

from gensim_losses.losses import ExampleBatch


class JobView(NamedTuple):
    words: np.ndarray             # (positions,) vocabulary index at each job position
    position_weight: np.ndarray   # (positions,) the weight of each position's sentence
    position_context: tuple       # (ids, offsets): each position's sentence context, CSR
    targets: np.ndarray           # (examples,) the word each example predicts
    input_offsets: np.ndarray     # (examples + 1,) example e's inputs are inputs[offsets[e]:offsets[e + 1]]
    inputs: np.ndarray
    positions: np.ndarray         # (examples,) the job position of each example's centre word

    @property
    def weight(self):
        """(examples,) each example's sentence weight."""
        return self.position_weight[self.positions]

    def batch(self, rows=None):
        """The :class:`~gensim_losses.ExampleBatch` of the examples ``rows`` (default: all)."""
        rows = np.arange(len(self.targets)) if rows is None else np.atleast_1d(rows)
        input_ids, input_offsets = gather(self.inputs, self.input_offsets, rows)
        ctx_ids, ctx_offsets = gather(*self.position_context, self.positions[rows])
        return ExampleBatch(input_ids, input_offsets, self.weight[rows], ctx_ids, ctx_offsets)


def gather(ids, offsets, rows):
    """The CSR rows ``rows`` of ``(ids, offsets)``, as a new CSR pair."""
    counts = offsets[rows + 1] - offsets[rows]
    new_offsets = np.zeros(len(rows) + 1, dtype=np.int64)
    np.cumsum(counts, out=new_offsets[1:])
    # each output slot reads ids[start of its row + its rank within the row]
    within = np.arange(new_offsets[-1]) - np.repeat(new_offsets[:-1], counts)
    return ids[np.repeat(offsets[rows], counts) + within].astype(np.int64), new_offsets


def view(model, job, with_examples=True):
    """A :class:`JobView` of ``job`` for ``model`` (skip-gram or CBOW examples)."""
    ends, weights, ctx, ctx_offsets = job.sentences_of()
    words = job.words()
    sentence = np.searchsorted(ends, np.arange(len(words)), side="right")  # position -> its sentence
    position_context = gather(ctx.astype(np.int64), ctx_offsets, sentence)
    if with_examples:
        targets, offsets, inputs, positions = job.examples(bool(model.sg))
    else:
        targets, offsets, inputs, positions = (np.zeros(0, np.uint32), np.zeros(1, np.int64),
                                               np.zeros(0, np.uint32), np.zeros(0, np.int64))
    return JobView(words, weights[sentence], position_context, targets, offsets, inputs, positions)
