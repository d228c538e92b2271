"""The hybrid path: loss terms written in Python, evaluated once per job.

Before the kernel trains a job, :func:`python_terms` evaluates every Python
term of the plan on all of the job's examples at once, at the vectors as they
stand at the job's start, and hands the kernel one gradient row per example
(or per input row, see below), which the kernel adds into that example's
update. A term that gives NaN or inf raises before the kernel runs, so the
failing job changes nothing.
"""

import numpy as np

from gensim_losses import losses as L


def python_terms(model, run, job):
    """Evaluate the run's Python terms for the whole ``job``.

    Returns
    -------
    grad : ndarray of float32
        Gradient rows the kernel adds into each example's update: per
        distinct input word for skip-gram terms of ``h`` alone (evaluated
        once per word, weighted by how many examples use it), else per
        example in training order.
    slot : ndarray of int32 or None
        For per-word rows: the row of each job position.
    named : list of (str, float)
        Each term's loss over the job (empty when the run computes no loss).
    """
    syn0 = model.wv.vectors
    counts = slot = None
    if model.sg and not any(t.uses_target for t in run.plan.python):
        rows, slot = np.unique(job.words(), return_inverse=True)
        counts = np.bincount(slot, weights=job.input_counts(), minlength=len(rows))
        targets, hidden, slot = rows, syn0[rows], slot.astype(np.int32)
    elif model.sg:
        targets, _, inputs = job.examples(True)
        hidden = syn0[inputs]
    else:
        targets, hidden = job.cbow_hidden(run.kernel)
    output = L.as_output(hidden)
    grad, named = None, []
    for term in run.plan.python:
        f, g = term.forward(targets, output), term.backward(targets, output)
        # one float64 pass instead of an isfinite mask: a NaN or inf anywhere makes the sum non-finite
        if not (np.isfinite(f.sum()) and np.isfinite(np.add.reduce(g, axis=None, dtype=np.float64))):
            raise L.LossError(
                f"the Python term '{term.name}' ({type(term.loss).__name__}) gave non-finite values in "
                f"epoch {run.epoch}: forward {int((~np.isfinite(f)).sum())} and backward "
                f"{int((~np.isfinite(g)).sum())} of them; no vector was changed by this job")
        grad = g if grad is None else grad + g
        named.append((term.name, float(f @ counts if counts is not None else f.sum())))
    grad = np.ascontiguousarray(grad, dtype=np.float32)
    return grad, slot, named if run.compute_loss else ()
