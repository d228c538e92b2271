"""The reference path (``backend="reference"``): pure numpy, one example at a time.

Every part of the loss runs through its own ``forward``/``backward`` (the
objectives through ``compute``, which also gives their output-row gradients),
so any loss trains here, exactly and slowly. It is the definition the native
and hybrid paths are tested against, and it follows their conventions: the
objectives use gensim's CBOW update rule, penalties and Python terms the exact
chain rule (see ``Config.pen_scale`` in the kernels). With Doc2Vec's
``dm_concat=1``, h is the example's rows side by side and each row takes its
slice of the error (``concat_example`` in the kernels).

A job is all or nothing: every row it writes is journalled first, and any
failure (a Python term's NaN, a diverging score, an exception) puts them back
before the error propagates.
"""

import numpy as np

from gensim_losses.losses import jobs
from gensim_losses.losses import loss as L
from gensim_losses.losses.plan import OBJECTIVE_TERMS


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
    journal = _Journal()
    try:
        return _Trainer(model, run, job, alpha, journal).run_job()
    except BaseException:
        journal.restore()
        raise


def _finite(*arrays):
    return all(np.isfinite(a).all() for a in arrays)


class KernelRandom:
    """The kernels' random generator, replayed from a job's state.

    word2vec.c's 48-bit linear congruential generator (``Job.rng_state`` is
    its state when the job's training begins) and the kernels' inverse-CDF
    draw, so the reference path draws exactly the negatives the kernels do,
    in the same order.
    """

    def __init__(self, state):
        self.state = int(state)

    def next(self):
        value = self.state >> 16
        self.state = (self.state * 25214903917 + 11) & ((1 << 48) - 1)
        return value

    def draw(self, cum):
        """An index drawn from the cumulative table ``cum``."""
        return int(np.searchsorted(cum, self.next() % int(cum[-1]), side="right"))


# the kernels' order of the terms of one example (it fixes the order of the draws)
EXAMPLE_ORDER = ("hs", "ns", "softmax", "group_negative", "norm", "l2", "direction", "anchor")


class _Trainer:
    """One job on the reference path. Its order is the kernels': position by
    position, the position's examples, then its global context; at the job's
    end, the lexicon pairs; every term of a sentence scaled by its weight;
    the negatives are the kernels' own, replayed (:class:`KernelRandom`).
    With ``shared_negatives``, a skip-gram position's examples share one draw
    and all read the vectors as they were before the position (FastText's
    too: its centre word predicts each context word); PV-DBOW's tags share
    one per block of positions (``run_blocks``); CBOW's and PV-DM's
    positions share negative sampling's draws (``engine.cbow_sharing``)."""

    def __init__(self, model, run, job, alpha, journal):
        self.model, self.run, self.alpha, self.journal = model, run, alpha, journal
        self.plan = run.plan
        inputs = run.inputs
        # each row kind's (vectors, lockf): word vectors, FastText n-grams, Doc2Vec document vectors
        self.arrays = [inputs[name][:2] if name in inputs else None for name in jobs.ROW_ARRAYS]
        self.syn0, self.lockf = self.arrays[jobs.WORD_ROWS]
        self.view = jobs.view(run, job)
        self.totals = dict.fromkeys(run.terms, 0.0)
        self.random = KernelRandom(job.rng_state)
        self.natives = sorted(self.plan.natives.items(), key=lambda item: EXAMPLE_ORDER.index(item[0])
                              if item[0] in EXAMPLE_ORDER else len(EXAMPLE_ORDER))
        self.objectives = [(term, obj) for term, obj in self.natives if term in OBJECTIVE_TERMS]
        self.shared = bool(getattr(model, "shared_negatives", False))
        self.ends = job.sentences_of()[0]
        # the whole job's batch, once: each example's own is cut from it
        self.batch = self.view.batch() if any(term.takes_batch for term in self.plan.python) else None

    def largest_weight(self):
        """The job's largest sentence weight (for the divergence error), or None."""
        weights = self.view.position_weight
        return float(weights.max()) if len(weights) else None

    def run_job(self):
        if self.shared and self.run.dbow_sharing:
            return self.run_blocks()
        view = self.view
        first = np.searchsorted(view.position, np.arange(len(view.words) + 1))  # position -> its first example
        slots, (uses, stride) = {}, self.run.cbow_sharing or (0, 0)  # CBOW's shared draws
        for i, word in enumerate(view.words):
            if self.run.stopped:
                break
            examples = range(first[i], first[i + 1])
            if uses:
                # CBOW: position i takes slot i % stride, drawn afresh every `uses` uses; the group
                # negatives (drawn from each centre word's group) stay per example
                if (i // stride) % uses == 0:
                    slots[i % stride] = self.draws(None, terms=("ns",))
                for e in examples:
                    self.example(e, {**slots[i % stride], **self.draws(int(word), terms=("group_negative",))})
            elif self.shared:
                self.shared_group(examples, self.draws(int(word)))
            else:
                for e in examples:
                    self.example(e)
            weight = float(view.position_weight[i])
            context = view.position_context[0][view.position_context[1][i]:view.position_context[1][i + 1]]
            if "global_context" in self.plan.weights and len(context):
                self.global_context(int(word), context, weight)
        if "lexicon" in self.plan.weights and not self.run.stopped:
            self.lexicon_pass()
        return len(view.target), self.totals

    def shared_group(self, examples, draws):
        """Examples that share one draw, all reading the rows as they were before the first
        (``sg_window``, ``shared_targets``)."""
        deferred = []
        for e in examples:
            self.example(e, draws, deferred)
        for apply in deferred:
            apply()

    def run_blocks(self):
        """PV-DBOW with shared negatives, in the kernels' order (``dbow_block``): position
        by position, its skip-gram window's one draw (``dbow_words``, drawn even without a
        context, as sg_window); at a block's last position, each tag's predictions of the
        block's words, one draw per tag."""
        view, (block, negatives) = self.view, self.run.dbow_sharing
        kinds = view.row_kind[view.row_start[:-1]]  # each example's first row: a word's (a pair) or a tag's
        words = bool(self.model.dbow_words)
        n, e, start = len(view.target), 0, 0
        for end in self.ends.tolist():
            for i in range(start, end):
                if self.run.stopped:
                    return n, self.totals
                if words:
                    first = e
                    while e < n and kinds[e] == jobs.WORD_ROWS and view.position[e] == i:
                        e += 1
                    self.shared_group(range(first, e), self.draws(int(view.words[i])))
                if (i - start + 1) % block and i + 1 < end:
                    continue
                lo = i - (i - start) % block  # the block's first position
                while e < n and kinds[e] != jobs.WORD_ROWS and lo <= view.position[e] <= i:
                    self.shared_group(range(e, e + i + 1 - lo), self.draws(None, terms=("ns",), count=negatives))
                    e += i + 1 - lo
            start = end
        return n, self.totals

    def draws(self, target, terms=("ns", "group_negative"), count=None):
        """``{term: negatives}`` of one example (or shared window) of ``target``, drawn as the kernels draw;
        ``terms``: which terms draw (the global context draws negative sampling's only); ``count``:
        negative sampling's draws, if not its ``negative``."""
        found = {}
        for term, obj in self.natives:
            if term not in terms:
                continue
            if term == "ns":
                cum = self.model.cum_table
                found[term] = np.array([[self.random.draw(cum) for _ in range(count or obj.resolved()[0])]])
            elif term == "group_negative":
                tables = obj.tables()
                group = tables.word_group[target]
                rows = np.zeros((1, obj.negative), dtype=np.intp)
                if group >= 0:
                    a, b = tables.starts[group], tables.starts[group + 1]
                    rows[0] = [tables.members[a + self.random.draw(tables.cum[a:b])] for _ in range(obj.negative)]
                found[term] = (rows, (rows != target) & (group >= 0))
        return found

    def _objective(self, term, obj, target, out, scale, draws, deferred):
        """Train an objective's output rows for ``target`` from ``out`` (now, or in
        ``deferred``); return its result.

        Now, as the kernels' per-example terms: each output row steps right
        after its term, so a row drawn twice is scored the second time
        against its moved value (``compute(step=...)``), and a later term of
        the example (the group negatives after negative sampling) reads the
        rows as this one left them. Deferred, as the shared skip-gram window
        (``sg_window``): every term reads the rows as they were at its start.
        A draw of ``r`` times the term's negatives (PV-DBOW's blocks) is ``r``
        groups of them at ``1 / r`` of the weight each (``shared_targets``)."""
        if term == "ns" and draws is not None and draws[term].shape[1] > obj.resolved()[0]:
            groups = np.split(draws[term], draws[term].shape[1] // obj.resolved()[0], axis=1)
            results = [self._objective(term, obj, target, out, scale / len(groups), {term: g}, deferred)
                       for g in groups]
            return L.ObjectiveResult(sum(r.loss for r in results) / len(groups),
                                     sum(r.grad_h for r in results) / len(groups), None, None)
        kwargs = {}
        if term in ("ns", "group_negative"):
            kwargs["negatives"] = draws[term]
            if deferred is None:
                kwargs["step"] = self.alpha * scale
        res = obj.compute(target, out, **kwargs)
        if not _finite(res.loss, res.grad_h):
            raise self.model._diverged(self.run, self.alpha, self.largest_weight())
        layer = getattr(self.model, obj.weights_name)
        self.journal.save(layer, res.rows)
        step = (-self.alpha * scale * res.grad_rows).astype(np.float32)
        if deferred is None:
            np.add.at(layer, res.rows, step)
        else:
            deferred.append(lambda: np.add.at(layer, res.rows, step))
        return res

    def _apply(self, rows, step, deferred=None):
        """``row += lockf * step`` for each ``(vectors, lockf, index)`` of ``rows``."""
        def apply():
            for vectors, lockf, i in rows:
                vectors[i] += lockf[i % len(lockf)] * step
        if deferred is None:
            apply()
        else:
            deferred.append(apply)

    def _word_row(self, word):
        return [(self.syn0, self.lockf, word)]

    def example(self, e, draws=None, deferred=None):
        model, plan, view = self.model, self.plan, self.view
        kinds, indices = view.rows(e)
        rows = [(*self.arrays[k], int(i)) for k, i in zip(kinds, indices)]
        form, update, sw = float(view.form[e]), float(view.update[e]), float(view.weight[e])
        for vectors, _, i in rows:
            self.journal.save(vectors, [i])
        h = view.hidden(e, [a[0] if a is not None else None for a in self.arrays])
        out, t = L.as_output(h), view.target[e][None]
        # h is one word's own vector (skip-gram): penalties that read h's word (the anchor) read it
        own_word = [rows[0][2]] if len(rows) == 1 and kinds[0] == jobs.WORD_ROWS else None
        draws = self.draws(int(t[0])) if draws is None else draws
        # as in the kernel: objectives follow gensim's window update convention,
        # other terms the exact chain rule (see input_example)
        pen_scale = form / update
        grad = np.zeros(h.shape, dtype=np.float64)
        for term, obj in self.natives:
            weight = plan.weights[term] * sw
            name = self.run.names[term]
            if term in ("global_context", "lexicon"):
                continue  # per position, below
            if isinstance(obj, L.Objective):
                res = self._objective(term, obj, t, out, weight, draws, deferred)
                if term not in plan.output_only:
                    grad += weight * res.grad_h
                    self.totals[name] += weight * float(res.loss.sum())
                continue
            scale = weight / obj.weight if obj.weight else 0.0
            if term == "anchor" and own_word is None:
                # several rows form h: the anchor acts on each word vector among them, shared over the rows
                for vectors, lockf, w in rows:
                    if vectors is not self.syn0:
                        continue
                    v = L.as_output(vectors[w][None])
                    self.totals[name] += scale / len(rows) * float(L.call_forward(obj, [w], v).sum())
                    g = L.call_backward(obj, [w], v)[0]
                    self._apply([(vectors, lockf, w)], (-self.alpha * scale / len(rows) * g).astype(np.float32),
                                deferred)
                continue
            own = own_word if term == "anchor" else t
            self.totals[name] += scale * float(L.call_forward(obj, own, out).sum())
            grad += scale * pen_scale * L.call_backward(obj, own, out)
        batch = None if self.batch is None else L.ExampleBatch.of(
            [self.batch.inputs(e)], self.batch.weight[e:e + 1], [self.batch.context(e)])
        for term in plan.python:
            f, g = term.forward(t, out, batch), term.backward(t, out, batch)
            if not _finite(f, g):
                raise L.LossError(f"the Python term '{term.name}' gave non-finite values in epoch "
                                  f"{self.run.epoch}; no vector was changed by this job")
            grad += sw * pen_scale * g
            self.totals[term.name] += sw * float(f.sum())
        if not _finite(grad):
            raise model._diverged(self.run, self.alpha, self.largest_weight())
        step = (-self.alpha * update * grad[0]).astype(np.float32)
        if view.concat:  # each row takes its own slice of the error
            for r, row in enumerate(np.split(step, len(rows))):
                self._apply(rows[r:r + 1], row, deferred)
        else:
            self._apply(rows, step, deferred)

    def global_context(self, word, context, sw):
        """The centre word's input vector predicts every context word, through the objectives."""
        scale = self.plan.weights["global_context"] * sw
        out = L.as_output(self.syn0[word][None])
        grad = np.zeros(out.shape, dtype=np.float64)
        self.journal.save(self.syn0, [word])
        for c in context:
            draws = self.draws(int(c), terms=("ns",))
            for term, obj in self.objectives:
                weight = self.plan.weights[term] * scale
                res = self._objective(term, obj, np.array([c]), out, weight, draws, None)
                grad += weight * res.grad_h
                self.totals["global_context"] += weight * float(res.loss.sum())
        if not _finite(grad):
            raise self.model._diverged(self.run, self.alpha, self.largest_weight())
        self._apply(self._word_row(word), (-self.alpha * grad[0]).astype(np.float32))

    def lexicon_pass(self):
        """Once per job, as the kernels: each distinct word with pairs, in order of first
        occurrence, one step, at the largest weight of the sentences it occurs in."""
        starts = self.plan.natives["lexicon"].pairs()[0]
        best = {}
        for word, weight in zip(self.view.words.tolist(), self.view.position_weight.tolist()):
            if starts[word + 1] > starts[word]:
                best[word] = max(best.get(word, 0.0), weight)
        for word, weight in best.items():
            self.lexicon(word, weight)

    def lexicon(self, word, sw):
        """The word's input vector takes one step on each of its lexicon pairs."""
        obj = self.plan.natives["lexicon"]
        scale = self.plan.weights["lexicon"] / obj.weight * sw if obj.weight else 0.0
        self.journal.save(self.syn0, [word])
        loss, grad = obj.compute(np.array([word]), self.syn0[word][None].astype(np.float64))
        self.totals[self.run.names["lexicon"]] += scale * float(loss.sum())
        self._apply(self._word_row(word), (-self.alpha * scale * grad[0]).astype(np.float32))
