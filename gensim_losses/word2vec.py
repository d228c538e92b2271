"""gensim's Word2Vec, trained through this package's kernels, with exact loss records.

The class keeps gensim's public API and its training loop (job producer,
progress logging, callbacks); it replaces what runs inside a job or a
corpus_file epoch, how workers report failures, and how the loss is tallied.
"""

import logging
import os
import threading
import warnings
from queue import Queue

import numpy as np
from gensim.models import word2vec as gensim_word2vec
from gensim.models.word2vec import MAX_WORDS_IN_BATCH

from gensim_losses import _kernels
from gensim_losses import losses as L
from gensim_losses.plan import make_plan, plan_from_settings, split

logger = logging.getLogger(__name__)

BACKENDS = ("auto", "reference")


class _TrainingRun:
    """State of one ``train()`` call, shared by its worker threads.

    Per-job losses arrive as float64 sums and are merged here under a lock,
    so no worker's tally is lost and no float32 total saturates.
    """

    def __init__(self, model, compute_loss):
        loss = getattr(model, "loss", None)
        self.reference = getattr(model, "backend", "auto") == "reference"
        self.plan = plan = plan_from_settings(model) if loss is None else make_plan(
            loss, model, strict=not self.reference)
        natives = plan.natives
        self.kernel = _kernels.KernelModel(
            model, compute_loss, plan.weights,
            anchor=(natives["anchor"].vectors, natives["anchor"].mask) if "anchor" in natives else None,
            directions=natives["direction"].directions if "direction" in natives else None)
        self.compute_loss = bool(compute_loss)
        self.names = plan.names()  # kernel term -> record name
        self.terms = tuple(self.names.values()) + tuple(t.name for t in plan.python)
        self.epoch = 0
        self.lock = threading.Lock()
        self.error = None
        self.token_index = None  # built on the first corpus_file epoch
        self.line_ranges = None
        self.start_epoch(0)

    def start_epoch(self, epoch):
        self.epoch = epoch
        self.examples = 0
        self.losses = dict.fromkeys(self.terms, 0.0)

    def add(self, examples, kernel_losses=(), named=()):
        """Merge one job's example count, its kernel losses (in ``_kernels.TERMS``
        order) and ``(name, loss)`` pairs of other terms."""
        with self.lock:
            self.examples += examples
            for term, value in zip(_kernels.TERMS, kernel_losses):
                if term in self.names:
                    self.losses[self.names[term]] += value
            for name, value in named:
                self.losses[name] += value

    def record(self, epoch):
        """The finished epoch's record for ``model.loss_history``."""
        with self.lock:
            rec = {"epoch": epoch, "examples": self.examples}
            if self.compute_loss:
                rec["total"] = sum(self.losses.values())
                rec.update(self.losses)
            else:
                rec["total"] = None
                rec.update(dict.fromkeys(self.terms))
            return rec

    def fail(self, exc):
        with self.lock:
            if self.error is None:
                self.error = exc

    @property
    def failed(self):
        return self.error is not None

    def until_failed(self, iterable):
        """Stop feeding jobs as soon as any worker has failed."""
        for item in iterable:
            if self.error is not None:
                return
            yield item


def _line_ranges(path, parts):
    """Split a file into ``parts`` byte ranges that each start at a line start."""
    size = os.path.getsize(path)
    bounds = [0]
    with open(path, "rb") as fh:
        for i in range(1, parts):
            nominal = size * i // parts
            if nominal <= bounds[-1]:
                bounds.append(bounds[-1])
                continue
            fh.seek(nominal - 1)
            fh.readline()  # finish the line that straddles the cut
            bounds.append(max(fh.tell(), bounds[-1]))
    bounds.append(size)
    return list(zip(bounds[:-1], bounds[1:]))


def _settings_for(loss, hs, negative, ns_exponent):
    """gensim's ``hs``/``negative``/``ns_exponent`` for a loss; None means not given."""
    if loss is None:
        return (0 if hs is None else hs, 5 if negative is None else negative,
                0.75 if ns_exponent is None else ns_exponent)
    plan, _ = split(loss)
    kinds = {type(obj): obj for obj in plan.objectives}
    ns = kinds.get(L.NEGSamplingLoss)
    if ns is not None:
        if negative is not None and (negative == 0 or (ns.negative is not None and ns.negative != negative)):
            raise ValueError(f"negative={negative} contradicts the loss's NEGSamplingLoss(negative="
                             f"{ns.negative}): give the number of negatives in one place")
        if ns_exponent is not None and ns.ns_exponent is not None and ns.ns_exponent != ns_exponent:
            raise ValueError(f"ns_exponent={ns_exponent} contradicts the loss's NEGSamplingLoss(ns_exponent="
                             f"{ns.ns_exponent})")
        negative = ns.negative or negative or 5
        ns_exponent = ns.ns_exponent if ns.ns_exponent is not None else ns_exponent
    elif negative:
        raise ValueError(f"negative={negative} contradicts the loss, which has no NEGSamplingLoss")
    else:
        negative = 0
    has_hs = L.HierarchicalSoftmaxLoss in kinds
    if hs is not None and bool(hs) != has_hs:
        raise ValueError(f"hs={hs} contradicts the loss, which "
                         f"{'has' if has_hs else 'has no'} HierarchicalSoftmaxLoss")
    return int(has_hs), negative, 0.75 if ns_exponent is None else ns_exponent


class Word2Vec(gensim_word2vec.Word2Vec):
    """gensim's :class:`~gensim.models.word2vec.Word2Vec`, trained by gensim_losses kernels.

    Every parameter keeps gensim's name and meaning; see
    :class:`gensim.models.word2vec.Word2Vec`. Differences:

    loss : gensim_losses.BaseLoss, optional
        The training loss (see docs/losses.md). Its objectives set ``hs``
        and ``negative``; an explicit ``hs``/``negative``/``ns_exponent``
        that contradicts it raises ValueError. None: gensim's behaviour from
        ``hs``/``negative``. Public as ``model.loss``: a loss assigned between
        ``train()`` calls takes effect at the next one.
    backend : {'auto', 'reference'}, optional
        'auto': built-in terms in the kernels, terms written in Python once per
        job (the hybrid path). 'reference': pure numpy, one example at a time,
        any loss; exact and slow.
    compute_loss : bool, optional
        On by default here (it costs little: see docs/benchmarks.md). The loss
        of every training example is summed in float64 per job and merged
        under a lock, so ``get_latest_training_loss()`` is exact and does not
        saturate.
    size : int, optional
        gensim 3's name of ``vector_size``; deprecated.

    Attributes
    ----------
    loss_history : list of dict
        One record per finished epoch of the last ``train()`` call:
        ``epoch`` (0-based, like gensim's logs), ``total`` (sum of the
        epoch's example losses), ``examples`` ((word, context) pairs in
        skip-gram, centre positions in CBOW) and one key per term (``ns``,
        ``hs``). With ``compute_loss=False`` the loss values are ``None``.

    Notes
    -----
    The kernels compute the sigmoid and the loss exactly outside
    ``[-6, 6]`` instead of skipping those terms as gensim does, so large
    wrong-side scores still get their gradient and are counted in the loss.
    With ``hs=1`` and ``negative > 0`` both objectives add their gradients
    before the input vector is updated once.
    """

    def __init__(
            self, sentences=None, corpus_file=None, vector_size=100, alpha=0.025, window=5, min_count=5,
            max_vocab_size=None, sample=1e-3, seed=1, workers=3, min_alpha=0.0001,
            sg=0, hs=None, negative=None, ns_exponent=None, cbow_mean=1, hashfxn=hash, epochs=5, null_word=0,
            trim_rule=None, sorted_vocab=1, batch_words=MAX_WORDS_IN_BATCH, compute_loss=True, callbacks=(),
            comment=None, max_final_vocab=None, shrink_windows=True, loss=None, backend="auto", size=None,
    ):
        if size is not None:
            if vector_size != 100:
                raise TypeError("give vector_size or its deprecated alias size, not both")
            warnings.warn("size= is gensim 3's name: use vector_size=", DeprecationWarning, stacklevel=2)
            vector_size = size
        if backend not in BACKENDS:
            raise ValueError(f"backend must be one of {BACKENDS}, got {backend!r}")
        hs, negative, ns_exponent = _settings_for(loss, hs, negative, ns_exponent)
        self.loss = loss
        self.backend = backend
        self.loss_history = []
        self._run = None
        self._listeners = []
        super().__init__(
            sentences=sentences, corpus_file=corpus_file, vector_size=vector_size, alpha=alpha,
            window=window, min_count=min_count, max_vocab_size=max_vocab_size, sample=sample, seed=seed,
            workers=workers, min_alpha=min_alpha, sg=sg, hs=hs, negative=negative, ns_exponent=ns_exponent,
            cbow_mean=cbow_mean, hashfxn=hashfxn, epochs=epochs, null_word=null_word, trim_rule=trim_rule,
            sorted_vocab=sorted_vocab, batch_words=batch_words, compute_loss=compute_loss,
            callbacks=callbacks, comment=comment, max_final_vocab=max_final_vocab,
            shrink_windows=shrink_windows,
        )

    # ------------------------------------------------------------------ training
    def train(
            self, corpus_iterable=None, corpus_file=None, total_examples=None, total_words=None,
            epochs=None, start_alpha=None, end_alpha=None, word_count=0,
            queue_factor=2, report_delay=1.0, compute_loss=None, callbacks=(), **kwargs,
    ):
        """Train as :meth:`gensim.models.word2vec.Word2Vec.train` does.

        ``compute_loss=None`` (the default) keeps the model's setting.
        ``loss_history`` is reset and gets one record per epoch; a worker's
        exception stops the other threads and is raised here.
        """
        if compute_loss is None:
            compute_loss = getattr(self, "compute_loss", True)
        self.loss_history = []
        self._run = None
        self._listeners = [cb for cb in callbacks if hasattr(cb, "on_progress")]
        self._follow_loss()
        try:
            return super().train(
                corpus_iterable=corpus_iterable, corpus_file=corpus_file, total_examples=total_examples,
                total_words=total_words, epochs=epochs, start_alpha=start_alpha, end_alpha=end_alpha,
                word_count=word_count, queue_factor=queue_factor, report_delay=report_delay,
                compute_loss=compute_loss, callbacks=callbacks, **kwargs,
            )
        finally:
            self._run = None
            self._listeners = []

    def epoch_progress(self):
        """The current epoch's record so far (as in ``loss_history``), or None outside ``train()``."""
        run = self._run
        return None if run is None else run.record(run.epoch)

    def _log_progress(self, job_queue, progress_queue, cur_epoch, example_count, total_examples,
                      raw_word_count, total_words, trained_word_count, elapsed):
        """gensim's progress log line, then ``on_progress(model, report)`` of callbacks that have it."""
        super()._log_progress(job_queue, progress_queue, cur_epoch, example_count, total_examples,
                              raw_word_count, total_words, trained_word_count, elapsed)
        report = dict(cur_epoch=cur_epoch, example_count=example_count, total_examples=total_examples,
                      raw_word_count=raw_word_count, total_words=total_words,
                      trained_word_count=trained_word_count, elapsed=elapsed)
        for listener in getattr(self, "_listeners", ()):
            listener.on_progress(self, report)

    def _follow_loss(self):
        """Give the model what ``self.loss`` needs (it may have been assigned since
        the last ``train()``): the objectives' hs/negative and output layers."""
        loss = getattr(self, "loss", None)
        if loss is None or not len(self.wv.index_to_key):
            return
        self.hs, self.negative, exponent = _settings_for(loss, None, None, None)
        ns = [obj for obj in split(loss)[0].objectives if isinstance(obj, L.NEGSamplingLoss)]
        if ns and ns[0].ns_exponent is not None and exponent != self.ns_exponent:
            self.ns_exponent, self.cum_table = exponent, None  # rebuilt below
        vocab, size = len(self.wv.index_to_key), self.layer1_size
        if self.hs and "code" not in self.wv.expandos:
            self.create_binary_tree()
        for name, needed in (("syn1", self.hs), ("syn1neg", self.negative), ("syn1softmax", self._softmax())):
            if needed and getattr(self, name, None) is None:
                setattr(self, name, np.zeros((vocab, size), dtype=np.float32))
        if self.negative and (self.cum_table is None or len(self.cum_table) != vocab):
            self.make_cum_table()

    def _check_training_sanity(self, *args, **kwargs):
        if getattr(self, "loss", None) is None:
            return super()._check_training_sanity(*args, **kwargs)
        # With a loss, its plan checks the objectives: a full-softmax model has
        # neither hs nor negative, and ns + hs together is intended, not the
        # mistake gensim warns of. Its other checks still apply.
        settings = self.hs, self.negative
        self.hs, self.negative = 0, 1
        try:
            return super()._check_training_sanity(*args, **kwargs)
        finally:
            self.hs, self.negative = settings

    def _softmax(self):
        loss = getattr(self, "loss", None)
        return loss is not None and any(type(m) is L.SoftmaxLoss for m in loss.modules())

    def init_weights(self):
        super().init_weights()
        if self._softmax():
            self.syn1softmax = np.zeros((len(self.wv), self.layer1_size), dtype=np.float32)

    def update_weights(self):
        gained = len(self.wv) - len(self.wv.vectors)
        super().update_weights()
        if self._softmax() and getattr(self, "syn1softmax", None) is not None:
            pad = np.zeros((gained, self.layer1_size), dtype=np.float32)
            self.syn1softmax = np.vstack([self.syn1softmax, pad])

    def _get_thread_working_mem(self):
        work, neu1 = super()._get_thread_working_mem()
        scores = np.zeros(len(self.wv) if self._softmax() else 0, dtype=np.float32)
        return work, neu1, scores

    def _training_run(self):
        if self._run is None:
            self._run = _TrainingRun(self, getattr(self, "compute_loss", True))
        return self._run

    def _job_seed(self):
        draw = getattr(self.random, "randint", None) or self.random.integers
        return int(draw(0, 2**24)) * 2**24 + int(draw(0, 2**24))

    def _epoch(self, train_one_epoch, cur_epoch, *args, **kwargs):
        run = self._training_run()
        run.start_epoch(cur_epoch)
        result = train_one_epoch(*args, cur_epoch=cur_epoch, **kwargs)
        if run.error is not None:
            error, self._run = run.error, None
            raise error
        record = run.record(cur_epoch)
        self.loss_history.append(record)
        if record["total"] is not None:
            self.running_training_loss += record["total"]
        logger.debug("EPOCH %i loss record %s", cur_epoch, record)
        return result

    def _train_epoch(self, data_iterable, cur_epoch=0, **kwargs):
        return self._epoch(super()._train_epoch, cur_epoch, data_iterable, **kwargs)

    def _train_epoch_corpusfile(self, corpus_file, cur_epoch=0, **kwargs):
        return self._epoch(self._corpusfile_epoch, cur_epoch, corpus_file, **kwargs)

    def _corpusfile_epoch(self, corpus_file, cur_epoch=0, total_examples=None, total_words=None,
                          callbacks=(), **kwargs):
        if not total_words:
            raise ValueError("total_words must be provided alongside corpus_file argument.")
        run = self._training_run()
        if run.token_index is None:
            run.token_index = _kernels.TokenIndex(self.wv.index_to_key)
            run.line_ranges = _line_ranges(corpus_file, self.workers)
        progress_queue = Queue()
        threads = [
            threading.Thread(
                target=self._worker_loop_corpusfile,
                args=(corpus_file, thread_id, run.line_ranges[thread_id], run.token_index, progress_queue),
                kwargs=dict(kwargs, cur_epoch=cur_epoch, total_examples=total_examples,
                            total_words=total_words),
                daemon=True,
            )
            for thread_id in range(self.workers)
        ]
        for thread in threads:
            thread.start()
        report = self._log_epoch_progress(
            progress_queue=progress_queue, job_queue=None, cur_epoch=cur_epoch,
            total_examples=total_examples, total_words=total_words, is_corpus_file_mode=True)
        for thread in threads:
            thread.join()
        return report

    def _worker_loop_corpusfile(self, corpus_file, thread_id, offset, cython_vocab, progress_queue,
                                cur_epoch=0, total_examples=None, total_words=None, **kwargs):
        try:
            mem = self._get_thread_working_mem()
            self._do_train_epoch(corpus_file, thread_id, offset, cython_vocab, mem, cur_epoch,
                                 total_examples=total_examples, total_words=total_words,
                                 report=progress_queue.put, **kwargs)
        except BaseException as exc:  # reported to the caller of train()
            self._training_run().fail(exc)
        finally:
            progress_queue.put(None)

    def _do_train_epoch(self, corpus_file, thread_id, offset, cython_vocab, thread_private_mem, cur_epoch,
                        total_examples=None, total_words=None, report=None, **kwargs):
        """Train one worker's line range of ``corpus_file`` (``offset`` is ``(start, end)``) for one epoch.

        The range is read in jobs of about ``batch_words`` raw words; the
        learning rate decays linearly with the worker's progress through it.
        ``report((sentences, effective words, raw words))`` is called after
        every job, so progress shows within the epoch.
        """
        run = self._training_run()
        start, end = offset
        reader = _kernels.LineReader(os.fspath(corpus_file), start, end, cython_vocab)
        sentences = effective = raw = 0
        while not run.failed:
            alpha = self._alpha_at(cur_epoch, reader.progress)
            job = reader.fill(run.kernel, self.batch_words, self._job_seed())
            if job is None:
                break
            self._train_prepared(run, job, alpha, thread_private_mem)
            if report is not None:
                report((job.sentences, job.effective_words, job.raw_words))
            sentences += job.sentences
            effective += job.effective_words
            raw += job.raw_words
        return sentences, effective, raw

    def _alpha_at(self, cur_epoch, epoch_progress):
        """Linear decay from alpha to min_alpha over all epochs, as gensim's."""
        progress = (cur_epoch + epoch_progress) / self.epochs
        return max(self.min_alpha, self.alpha - (self.alpha - self.min_alpha) * progress)

    def _do_train_job(self, sentences, alpha, inits):
        """Train one job of sentences; return (effective words, raw words) as gensim does."""
        run = self._training_run()
        job = _kernels.prepare_batch(run.kernel, sentences, self._job_seed())
        self._train_prepared(run, job, alpha, inits)
        return job.effective_words, job.raw_words

    def _train_prepared(self, run, job, alpha, inits):
        """Train a prepared job and merge its loss records."""
        if run.reference:
            return self._train_reference(run, job, alpha)
        ext_grad = ext_slot = None
        named = ()
        if run.plan.python:
            ext_grad, ext_slot, named = self._python_terms(run, job)
        examples, losses = _kernels.train_job(run.kernel, job, alpha, *inits, ext_grad, ext_slot)
        run.add(examples, losses, named)

    def _python_terms(self, run, job):
        """The hybrid path: evaluate the Python terms once for the whole job,
        at the vectors as they are before it trains.

        Returns the gradient rows the kernel adds into each example's update
        (per input row for skip-gram terms of h alone, else per example),
        the slot of each job position (or None) and the terms' losses.
        """
        syn0 = self.wv.vectors
        counts = slot = None
        if self.sg and not any(t.uses_target for t in run.plan.python):
            rows, slot = np.unique(job.words(), return_inverse=True)
            counts = np.bincount(slot, weights=job.input_counts(), minlength=len(rows))
            targets, hidden, slot = rows, syn0[rows], slot.astype(np.int32)
        elif self.sg:
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

    def _train_reference(self, run, job, alpha):
        """The reference path: pure numpy, one example at a time, every part of
        the loss through its own forward/backward."""
        plan = run.plan
        ns = plan.natives.get("ns")
        seed = ns.seed if ns is not None else None
        try:
            totals, examples = self._reference_examples(run, job, alpha)
        finally:
            if ns is not None:
                ns.seed = seed
        run.add(examples, named=totals.items() if run.compute_loss else ())

    def _reference_examples(self, run, job, alpha):
        plan, syn0 = run.plan, self.wv.vectors
        lockf = self.wv.vectors_lockf
        targets, starts, inputs = job.examples(bool(self.sg))
        seeds = np.random.default_rng(self._job_seed()).integers(0, 2**62, len(targets))
        totals = dict.fromkeys(run.terms, 0.0)
        for e, target in enumerate(targets):
            words = inputs[starts[e]:starts[e + 1]]
            count = len(words)
            h = syn0[words].sum(axis=0, keepdims=True)
            if not self.sg and self.cbow_mean:
                h /= count
            out, t = L.as_output(h), target[None]
            # as in the kernel: objectives follow gensim's CBOW update convention,
            # other terms the exact chain rule (see Config.pen_scale)
            pen_scale = 1.0 if self.sg else (1.0 / count if self.cbow_mean else float(count))
            grad = np.zeros(h.shape, dtype=np.float64)
            for term, obj in plan.natives.items():
                weight = plan.weights[term]
                name = run.names[term]
                if isinstance(obj, L.Objective):
                    if isinstance(obj, L.NEGSamplingLoss):
                        obj.seed = int(seeds[e])  # the same negatives in every call for this example
                    res = obj.compute(t, out)
                    layer = getattr(self, obj.weights_name)
                    np.add.at(layer, res.rows, (-alpha * weight * res.grad_rows).astype(np.float32))
                    if term not in plan.output_only:
                        grad += weight * res.grad_h
                        totals[name] += weight * float(res.loss.sum())
                    continue
                scale = weight / obj.weight if obj.weight else 0.0
                if term == "anchor" and not self.sg:
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
                if not (np.isfinite(f).all() and np.isfinite(g).all()):
                    raise L.LossError(f"the Python term '{term.name}' gave non-finite values in epoch {run.epoch}")
                grad += pen_scale * g
                totals[term.name] += float(f.sum())
            step = (-alpha * grad[0]).astype(np.float32)
            if not self.sg and not self.cbow_mean:
                step /= count
            for w in words:
                syn0[w] += lockf[w % len(lockf)] * step
        return totals, len(targets)

    def _worker_loop(self, job_queue, progress_queue):
        # Unlike gensim's loop, a failing job does not kill the thread (which
        # would leave train() waiting forever): the error is kept for the
        # caller and the thread drains the queue so the producer can finish.
        run = self._training_run()
        mem = self._get_thread_working_mem()
        while True:
            job = job_queue.get()
            if job is None:
                break
            if run.failed:
                continue
            sentences, alpha = job
            try:
                tally, raw_tally = self._do_train_job(sentences, alpha, mem)
            except BaseException as exc:
                run.fail(exc)
                continue
            progress_queue.put((len(sentences), tally, raw_tally))
        progress_queue.put(None)

    def _job_producer(self, data_iterator, job_queue, cur_epoch=0, total_examples=None, total_words=None):
        run = self._training_run()
        try:
            super()._job_producer(
                run.until_failed(data_iterator), job_queue, cur_epoch=cur_epoch,
                total_examples=total_examples, total_words=total_words)
        except BaseException as exc:  # e.g. the corpus iterator raised
            run.fail(exc)
            for _ in range(self.workers):
                job_queue.put(None)

    # ------------------------------------------------------------------ persistence
    @classmethod
    def load(cls, *args, **kwargs):
        """Load a model saved by :meth:`save`; its loss's class must be importable."""
        try:
            return super().load(*args, **kwargs)
        except ModuleNotFoundError as exc:
            raise ImportError(f"cannot load the model: a class it holds (its loss?) is defined in module "
                              f"{exc.name!r}, which cannot be imported; import or define it first") from exc
        except AttributeError as exc:
            if "Can't get attribute" not in str(exc):
                raise
            raise ImportError(f"cannot load the model: {exc} (is it its loss class? define or import it "
                              f"before loading)") from exc

    def _save_specials(self, fname, separately, sep_limit, ignore, pickle_protocol, compress, subname):
        ignore = set(ignore).union(["_run", "_listeners"])
        return super()._save_specials(fname, separately, sep_limit, ignore, pickle_protocol, compress, subname)

    def _load_specials(self, *args, **kwargs):
        super()._load_specials(*args, **kwargs)
        if not hasattr(self, "loss_history"):
            self.loss_history = []
        for attr, default in (("loss", None), ("backend", "auto"), ("_listeners", [])):
            if not hasattr(self, attr):
                setattr(self, attr, default)
        self._run = None
