"""The hybrid path: loss terms written in Python, applied at every example's h.

SGD applies each term of an example at that example's ``h``, after the
examples before it have moved the vectors; that is what the reference path
does and what a Python term must get here too. Evaluating a term once per
job at the job's start instead (this module's first rule) let a penalty on
``h`` push a frequent word the same way thousands of times in a row and
trained another model (docs/losses.md, "How exact the hybrid path is").

So each Python term is traced (:mod:`gensim_losses.losses.tracing`) into a program
of row-wise operations, which the kernels run for every example at its own
``h`` (``CompiledTerms``): exact, and with no Python per example. A program
that reads nothing per example (most penalties: no ``target``, no ``batch``)
is traced once per job on a few probe examples and serves every example; one
that reads ``target`` or ``batch`` is traced per job on the job's own
examples (read from the kernels' walk, :func:`gensim_losses.losses.jobs.view`).
Every new program is checked against the term's own numpy, one example at a
time, before it is used. A term that does not trace, or whose program does
not match, is called in Python for each example by the kernels
(:class:`PerExample`): exact too, and slower.
"""

import logging
import threading

import numpy as np

from gensim_losses import kernels
from gensim_losses.losses import jobs, tracing
from gensim_losses.losses import loss as L

logger = logging.getLogger(__name__)

CHECK_EXAMPLES = 8        # examples a new program is checked on
CHECK_SCALES = (0.0, 0.01, 0.1, 1.0, 3.0)  # norms of the probe vectors (0: the zero vector)
CHECK_RTOL, CHECK_ATOL = 2e-3, 1e-5
PROBE_EXAMPLES = 7        # examples a job-independent trace runs on
CACHE_PROGRAMS = 8        # job-independent programs kept, by signature


class PerExample:
    """Python terms that did not compile, called by the kernels once per example.

    ``self(row, target, h)`` gives the terms' losses and their summed
    gradient at ``h`` for example ``row`` of the job (whose :class:`~gensim_losses.ExampleBatch`
    ``batch`` it reads for terms that take one), as the reference path computes
    them; an exception the kernels keep in :attr:`error`.
    """

    def __init__(self, terms, batch=None, epoch=0):
        self.terms, self.batch, self.epoch, self.error = terms, batch, epoch, None

    def __call__(self, row, target, h):
        target, output = np.array([target], dtype=np.int64), L.as_output(h[None, :])
        batch = None if self.batch is None else L.ExampleBatch.of(
            [self.batch.inputs(row)], self.batch.weight[row:row + 1], [self.batch.context(row)])
        grad = np.zeros(h.shape, dtype=np.float64)
        losses = []
        for term in self.terms:
            f = term.forward(target, output, batch if term.takes_batch else None)
            g = term.backward(target, output, batch if term.takes_batch else None)
            if not (np.isfinite(f).all() and np.isfinite(g).all()):
                raise L.LossError(
                    f"the Python term '{term.name}' ({type(term.loss).__name__}) gave a NaN or infinite loss or "
                    f"gradient in epoch {self.epoch}: the job stopped at that example, before it changed any "
                    f"vector (the examples before it in the job stay applied); every vector is still finite")
            losses.append(float(f[0]))
            grad += g[0]
        return losses, grad.astype(np.float32)


class PythonTerms:
    """How one ``train()`` applies its plan's Python terms: which compiled, and their programs.

    Made with the run; :meth:`for_job` is called by each worker for each job.
    """

    def __init__(self, model, run):
        self.terms = list(run.plan.python)
        self.hidden = run.kernel.layer1_size  # the width of h (dm_concat: the concatenated rows)
        self.vocab = len(model.wv.index_to_key)
        self.lock = threading.Lock()
        self.checked = {}   # program structure -> whether it matched numpy
        self.cache = {}     # full signature of a job-independent program -> CompiledTerms
        self.compiled = []  # replaced, never changed in place: workers read them without the lock
        self.fallback = []
        self.per_job = False  # a compiled term reads target or batch: traced per job
        rng = np.random.default_rng(0)
        for term in self.terms:
            reason = self._try(term, rng)
            if reason is None:
                self.compiled.append(term)
            else:
                self.fallback.append(term)
                logger.warning("the Python term '%s' (%s) does not compile (%s): it runs in Python at every "
                               "example, exact and slower", term.name, type(term.loss).__name__, reason)
        self.per_job = any(t.takes_batch for t in self.compiled) or self.per_job

    # ------------------------------------------------------------------ deciding
    def _probe(self, n):
        n = n + 1 if n == self.hidden else n
        return np.arange(n) % max(self.vocab, 1)

    def _try(self, term, rng):
        """None if ``term`` compiles and matches numpy on probes, else why not."""
        watched = tracing.WatchedTargets(self._probe(PROBE_EXAMPLES))
        batch = self._probe_batch(len(watched), rng) if term.takes_batch else None
        try:
            program = tracing.trace([term], watched, self.hidden, batch)
            compiled = kernels.CompiledTerms(program)
        except Exception as exc:  # what does not trace, and user code that fails on a traced value
            return f"{type(exc).__name__}: {exc}"
        if watched.read or program.per_example:
            self.per_job = True
        return self._mismatch([term], program, compiled, watched._values, batch, rng)

    def _probe_batch(self, n, rng):
        return L.ExampleBatch.of(input_ids=[rng.integers(0, self.vocab, 1 + e % 3) for e in range(n)],
                                 weight=rng.uniform(0.5, 2.0, n),
                                 context=[rng.integers(0, self.vocab, e % 2) for e in range(n)])

    def _mismatch(self, terms, program, compiled, target, batch, rng):
        """None if ``compiled`` gives each term's loss and the terms' summed gradient as their numpy does,
        example by example (the reference path's calls), else a description of the difference."""
        n = len(target)
        rows = np.unique(np.linspace(0, n - 1, min(n, CHECK_EXAMPLES)).astype(np.int64))
        rows = np.repeat(rows, len(CHECK_SCALES))
        scales = np.tile(CHECK_SCALES, len(rows) // len(CHECK_SCALES))
        h = rng.normal(size=(len(rows), self.hidden))
        h *= (scales / np.maximum(np.linalg.norm(h, axis=1), 1e-30))[:, None]
        h = h.astype(np.float32)
        losses, grads, status = compiled.run(h, rows)
        for i, e in enumerate(rows):
            t = np.asarray(target[e:e + 1])
            out = L.as_output(h[i:i + 1])
            one = None if batch is None else L.ExampleBatch.of([batch.inputs(e)], batch.weight[e:e + 1],
                                                                [batch.context(e)])
            want_g = np.zeros(self.hidden)
            for k, term in enumerate(terms):
                with np.errstate(all="ignore"):
                    f = term.forward(t, out, one if term.takes_batch else None)
                    want_g = want_g + term.backward(t, out, one if term.takes_batch else None)[0]
                if status[i] == 0 and not _close(losses[i, k], f[0]):
                    return f"its loss differs from numpy's ({losses[i, k]:.6g} against {f[0]:.6g})"
            if status[i] == 0 and not _close(grads[i], want_g):
                return (f"its gradient differs from numpy's (by {np.nanmax(np.abs(grads[i] - want_g)):.3g} at "
                        f"|h| = {np.linalg.norm(h[i]):.3g})")
            if status[i] != 0 and np.isfinite(want_g).all() and all(
                    np.isfinite(term.forward(t, out, one if term.takes_batch else None)).all() for term in terms):
                return "it reports a non-finite value where numpy's is finite"
        return None

    # ------------------------------------------------------------------ per job
    def for_job(self, run, job):
        """``(CompiledTerms or None, PerExample or None, names)`` for ``job``: the two parts and the
        names of the losses they return, in the kernels' order (compiled terms first)."""
        compiled_terms, fallback_terms = self.compiled, self.fallback
        view = batch = None
        per_job = self.per_job and bool(compiled_terms)
        wants_batch = any(t.takes_batch for t in fallback_terms + (compiled_terms if per_job else []))
        if per_job or wants_batch:
            view = jobs.view(run, job)
            batch = view.batch() if wants_batch else None
        compiled = self._program(compiled_terms, view, batch) if compiled_terms else None
        if compiled_terms and compiled is None:  # it stopped matching numpy: from now on in Python
            fallback_terms = fallback_terms + compiled_terms
            compiled_terms = []
            if any(t.takes_batch for t in fallback_terms) and batch is None:
                view = view or jobs.view(run, job)
                batch = view.batch()
        fallback = PerExample(fallback_terms, batch, run.epoch) if fallback_terms else None
        return compiled, fallback, [t.name for t in compiled_terms] + [t.name for t in fallback_terms]

    def _program(self, terms, view, batch):
        """The compiled terms for this job; None if their program no longer matches numpy."""
        if self.per_job:
            target = view.target
            program = tracing.trace(terms, target, self.hidden, batch)
            compiled = kernels.CompiledTerms(program)
        else:
            # they read neither target nor batch: traced on probes, per job, so that a change a
            # callback makes to a term takes effect at the next job
            watched = tracing.WatchedTargets(self._probe(PROBE_EXAMPLES))
            program = tracing.trace(terms, watched, self.hidden)
            target = watched._values
            if watched.read or program.per_example:
                return self._give_up(terms, "it started to read its target or to differ between examples "
                                            "during training")
            key = program.signature()
            compiled = self.cache.get(key)
            if compiled is not None:
                return compiled
            compiled = kernels.CompiledTerms(program)
        structure = program.signature(values=False)
        if structure not in self.checked:
            problem = self._mismatch(terms, program, compiled, np.asarray(target), batch,
                                     np.random.default_rng(len(self.checked)))
            with self.lock:
                self.checked[structure] = problem
            if problem is not None:
                return self._give_up(terms, problem)
        elif self.checked[structure] is not None:
            return self._give_up(terms, self.checked[structure])
        if not self.per_job:
            with self.lock:
                if len(self.cache) >= CACHE_PROGRAMS:  # constants that change every job: keep the latest
                    self.cache.pop(next(iter(self.cache)))
                self.cache[program.signature()] = compiled
        return compiled

    def _give_up(self, terms, why):
        with self.lock:
            if self.compiled:
                logger.warning("the compiled Python terms %s stopped matching their numpy (%s): they run in "
                               "Python at every example from now on, exact and slower",
                               ", ".join(f"'{t.name}'" for t in terms), why)
                self.fallback = self.fallback + self.compiled
                self.compiled = []
        return None


def _close(got, want):
    got, want = np.asarray(got, dtype=np.float64), np.asarray(want, dtype=np.float64)
    scale = 1.0 + np.nanmax(np.abs(want), initial=0.0)
    return bool(np.allclose(got, want, rtol=CHECK_RTOL, atol=CHECK_ATOL * scale, equal_nan=True))
