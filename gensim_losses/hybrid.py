"""The hybrid path: loss terms written in Python, evaluated once per job.

Before the kernel trains a job, :func:`python_terms` evaluates every Python
term of the plan on all of the job's examples at once, at the vectors as they
stand at the job's start, and hands the kernel one gradient row per example
(or per input row, see below), which the kernel adds into that example's
update. A term that gives NaN or inf raises before the kernel runs, so the
failing job changes nothing.
"""

import numpy as np

from gensim_losses import jobs
from gensim_losses import losses as L


def python_terms(model, run, job):
    """Evaluate the run's Python terms for the whole ``job``.

    Returns
    -------
    grad : ndarray of float32
        Gradient rows the kernel adds into each example's update (scaled
        there by the example's sentence weight): per distinct input word for
        Word2Vec skip-gram terms of ``h`` alone (evaluated once per word),
        else per example in training order.
    slot : ndarray of int32 or None
        For per-word rows: the row of each job position.
    named : list of (str, float)
        Each term's loss over the job, every example counted with its
        sentence weight (empty when the run computes no loss).
    """
    terms = run.plan.python
    wants_batch = any(t.takes_batch for t in terms)
    slot = batch = None
    if run.kind == "word2vec" and model.sg and not wants_batch and not any(t.uses_target for t in terms):
        # h is one word's vector: evaluate each distinct word once
        view = jobs.view(run, job, examples=False)
        rows, slot = np.unique(view.words, return_inverse=True)
        # how many examples take each row as input, each counted with its sentence's weight
        counts = np.bincount(slot, weights=job.input_counts() * view.position_weight, minlength=len(rows))
        targets, hidden, slot = rows, model.wv.vectors[rows], slot.astype(np.int32)
    else:
        view = jobs.view(run, job, hidden=True)
        targets, hidden, counts = view.target, view.hidden, view.weight
        batch = view.batch() if wants_batch else None
    output = L.as_output(hidden)
    grad, named = None, []
    for term in terms:
        f, g = term.forward(targets, output, batch), term.backward(targets, output, batch)
        # one float64 pass instead of an isfinite mask: a NaN or inf anywhere makes the sum non-finite
        if not (np.isfinite(f.sum()) and np.isfinite(np.add.reduce(g, axis=None, dtype=np.float64))):
            raise L.LossError(
                f"the Python term '{term.name}' ({type(term.loss).__name__}) gave non-finite values in "
                f"epoch {run.epoch}: forward {int((~np.isfinite(f)).sum())} and backward "
                f"{int((~np.isfinite(g)).sum())} of them; no vector was changed by this job")
        grad = g if grad is None else grad + g
        named.append((term.name, float(f @ counts)))
    grad = np.ascontiguousarray(grad, dtype=np.float32)
    return grad, slot, named if run.compute_loss else ()
