"""The reference path (``backend="reference"``): pure numpy, one example at a time.

Every part of the loss runs through its own ``forward``/``backward`` (the
objectives through ``compute``, which also gives their output-row gradients),
so any loss trains here, exactly and slowly. It is the definition the native
and hybrid paths are tested against, and it follows their conventions: the
objectives use gensim's CBOW update rule, penalties and Python terms the exact
chain rule (see ``Config.pen_scale`` in the kernels).

A job is all or nothing: every row it writes is journalled first, and any
failure (a Python term's NaN, a diverging score, an exception) puts them back
before the error propagates.
"""

import numpy as np

from gensim_losses import losses as L


class _Journal:
    """The value each row had before the job first wrote it."""

    def __init__(self):
        self.arrays = {}  # id(array) -> (array, rows seen, [(rows, their old values)])

    def save(self, array, rows):
        entry = self.arrays.get(id(array))
        if entry is None:
            entry = self.arrays[id(array)] = (array, np.zeros(len(array), dtype=bool), [])
        _, seen, chunks = entry
        rows = np.unique(rows)
        new = rows[~seen[rows]]
        if new.size:
            seen[new] = True
            chunks.append((new, array[new].copy()))

    def restore(self):
        for array, _, chunks in self.arrays.values():
            for rows, values in chunks:
                array[rows] = values


def train_job(model, run, job, alpha):
    """Train ``job``; return ``(examples, {term name: loss})``. On any failure the job changes nothing."""
    ns = run.plan.natives.get("ns")
    seed = ns.seed if ns is not None else None
    journal = _Journal()
    try:
        return _examples(model, run, job, alpha, journal)
    except BaseException:
        journal.restore()
        raise
    finally:
        if ns is not None:
            ns.seed = seed


def _finite(*arrays):
    return all(np.isfinite(a).all() for a in arrays)


def _examples(model, run, job, alpha, journal):
    plan, syn0 = run.plan, model.wv.vectors
    lockf = model.wv.vectors_lockf
    targets, starts, inputs = job.examples(bool(model.sg))
    seeds = np.random.default_rng(model._job_seed()).integers(0, 2**62, len(targets))
    totals = dict.fromkeys(run.terms, 0.0)
    for e, target in enumerate(targets):
        if run.stopped:
            break
        words = inputs[starts[e]:starts[e + 1]]
        count = len(words)
        h = syn0[words].sum(axis=0, keepdims=True)
        if not model.sg and model.cbow_mean:
            h /= count
        out, t = L.as_output(h), target[None]
        # as in the kernel: objectives follow gensim's CBOW update convention,
        # other terms the exact chain rule (see Config.pen_scale)
        pen_scale = 1.0 if model.sg else (1.0 / count if model.cbow_mean else float(count))
        grad = np.zeros(h.shape, dtype=np.float64)
        journal.save(syn0, words)
        for term, obj in plan.natives.items():
            weight = plan.weights[term]
            name = run.names[term]
            if isinstance(obj, L.Objective):
                if isinstance(obj, L.NEGSamplingLoss):
                    obj.seed = int(seeds[e])  # the same negatives in every call for this example
                res = obj.compute(t, out)
                if not _finite(res.loss, res.grad_h):
                    raise model._diverged(run, alpha)
                layer = getattr(model, obj.weights_name)
                journal.save(layer, res.rows)
                np.add.at(layer, res.rows, (-alpha * weight * res.grad_rows).astype(np.float32))
                if term not in plan.output_only:
                    grad += weight * res.grad_h
                    totals[name] += weight * float(res.loss.sum())
                continue
            scale = weight / obj.weight if obj.weight else 0.0
            if term == "anchor" and not model.sg:
                # CBOW: the anchor acts on each input vector, shared over the window
                for w in words:
                    v = L.as_output(syn0[w][None])
                    totals[name] += scale / count * float(L.call_forward(obj, [w], v).sum())
                    g = L.call_backward(obj, [w], v)[0]
                    syn0[w] -= (alpha * scale / count * lockf[w % len(lockf)] * g).astype(np.float32)
                continue
            own = words if term == "anchor" else t  # the anchor reads h's own word
            totals[name] += scale * float(L.call_forward(obj, own, out).sum())
            grad += scale * pen_scale * L.call_backward(obj, own, out)
        for term in plan.python:
            f, g = term.forward(t, out), term.backward(t, out)
            if not _finite(f, g):
                raise L.LossError(f"the Python term '{term.name}' gave non-finite values in epoch {run.epoch}; "
                                  f"no vector was changed by this job")
            grad += pen_scale * g
            totals[term.name] += float(f.sum())
        if not _finite(grad):
            raise model._diverged(run, alpha)
        step = (-alpha * grad[0]).astype(np.float32)
        if not model.sg and not model.cbow_mean:
            step /= count
        for w in words:
            syn0[w] += lockf[w % len(lockf)] * step
    return len(targets), totals
