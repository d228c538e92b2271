"""The training engine: one ``train()`` call's state, its threads, and how a
job reaches the kernels.

:class:`KernelTraining` is a mixin for gensim's Word2Vec family. It keeps
gensim's ``train()`` (epochs, callbacks, progress logging) and replaces what
runs inside an epoch:

* the threads. Iterable input: a producer cuts the corpus into jobs of about
  ``batch_words`` words, workers train them. ``corpus_file``: one thread per
  line-aligned byte range of the file reads and trains its own jobs. Every
  thread is handed the :class:`TrainingRun` it belongs to and never looks it
  up on the model, so a thread of an interrupted ``train()`` cannot add to
  the next one;
* failures. An exception in any thread stops the others and is raised from
  ``train()``. An exception in the caller's thread (Ctrl-C, a failing
  callback) stops every thread, waits for them, then propagates. Every
  blocking queue operation polls the run's stop flag, so no thread can wait
  forever on a queue nobody serves any more;
* what a job runs: the kernels, with the job's Python terms as
  :mod:`gensim_losses.training.hybrid` prepares them (compiled programs, or a
  per-example callback), or the pure-numpy :mod:`gensim_losses.training.reference`;
* divergence. The kernels mark a job whose scores or losses became NaN or
  infinite; the engine raises :class:`DivergenceError`, and checks at each
  epoch's end that every trained array is still finite.
"""

import logging
import os
import threading
import time
from queue import Empty, Full, Queue

import numpy as np
from gensim.models import word2vec as gensim_word2vec

from gensim_losses import kernels
from gensim_losses.losses import loss as L
from gensim_losses.losses.plan import make_plan, plan_from_settings
from gensim_losses.text.files import first_lines, line_ranges
from gensim_losses.training import hybrid, reference
from gensim_losses.training.settings import check_settings

logger = logging.getLogger(__name__)

POLL_SECONDS = 0.1  # how often a thread blocked on a queue looks at the stop flag
STOP_SECONDS = 5.0  # how long an interrupted train() waits for its threads
# where the arrays the kernels train live on a model, for naming them in errors
ARRAY_NAMES = ("wv.vectors", "wv.vectors_vocab", "wv.vectors_ngrams", "dv.vectors", "syn1neg", "syn1",
               "syn1softmax")
OUTPUT_LAYERS = ("syn1neg", "syn1", "syn1softmax")


class DivergenceError(FloatingPointError):
    """Training diverged: a score, a loss or a trained weight became NaN or infinite."""


class StopTraining(Exception):
    """Raised by the engine after an epoch's callbacks when one of them asked to stop (``model.stop_training()``,
    e.g. :class:`~gensim_losses.callbacks.EarlyStopping`); ``train()`` ends there as after its last epoch."""


#: where a callback runs among the others (``epoch_order``, default ``CALLBACK_ORDER``): Validation adds to
#: the epoch's record, EarlyStopping reads it (and restores the best weights first at the end), the
#: others read it, Checkpoint saves what they all did
CALLBACK_ORDER = 2


class EpochCallbacks:
    """The callbacks of one ``train()`` as gensim's loop sees them: one object that calls each in turn in
    the order of their ``epoch_order`` (:data:`CALLBACK_ORDER` for a callback that has none; the list's
    order among equals), and that ends the loop after an epoch at which one asked to stop."""

    def __init__(self, callbacks):
        self.callbacks = sorted(callbacks, key=lambda cb: getattr(cb, "epoch_order", CALLBACK_ORDER))

    def on_train_begin(self, model):
        for cb in self.callbacks:
            cb.on_train_begin(model)

    def on_epoch_begin(self, model):
        for cb in self.callbacks:
            cb.on_epoch_begin(model)

    def on_epoch_end(self, model):
        for cb in self.callbacks:
            cb.on_epoch_end(model)
        if model._stop_requested:
            raise StopTraining(model._stop_requested)

    def on_train_end(self, model):
        for cb in self.callbacks:
            cb.on_train_end(model)


class TrainingRun:
    """State of one ``train()`` call, shared by its threads.

    Per-job losses arrive as float64 sums and are merged here under a lock,
    so no worker's tally is lost and no float32 total saturates. ``error``
    holds the first failure of any thread; ``stopped`` means the caller has
    gone (an exception in its thread): threads end as soon as they can.
    """

    def __init__(self, model, compute_loss, inputs=None, doc_index=None, learn_hidden=True,
                 reference=None, frozen=False, shared=None):
        loss = getattr(model, "loss", None)
        self.reference = getattr(model, "backend", "auto") == "reference" if reference is None else reference
        self.plan = plan = plan_from_settings(model) if loss is None else make_plan(
            loss, model, strict=not self.reference)
        self.kind = model._kernel_kind
        if shared is None:
            shared = bool(getattr(model, "shared_negatives", False))
        elif shared == "auto":  # where the kernels can: Word2Vec's negative sampling alone among the objectives
            shared = self.kind == "word2vec" and shareable(plan.weights)
        if shared:
            check_shared(plan.weights, model)
        self.cbow_sharing = cbow_sharing(model.window) if shared and not model.sg else None
        dbow = shared and self.kind == "doc2vec" and model.sg
        self.dbow_sharing = dbow_sharing(model.negative) if dbow else None
        # the rows h is formed from (the model's own, or Doc2Vec's inferred document's)
        self.inputs = model._kernel_inputs() if inputs is None else inputs
        self.kernel = kernels.KernelModel(
            model, compute_loss, plan.weights, self.inputs, self.kind, shared=shared,
            cbow_sharing=self.cbow_sharing, dbow_sharing=self.dbow_sharing,
            doc_index=getattr(model, "_doc_rows", None) if doc_index is None else doc_index,
            learn_hidden=learn_hidden, frozen=frozen, **_kernel_tables(plan.natives))
        self.compute_loss = bool(compute_loss)
        # the Python terms: compiled for the kernels, or called per example (hybrid.PythonTerms)
        self.python = hybrid.PythonTerms(model, self) if plan.python and not self.reference else None
        self.names = plan.names()  # kernel term -> record name
        self.terms = tuple(self.names.values()) + tuple(t.name for t in plan.python)
        self.epoch = 0
        self.lock = threading.Lock()
        self.error = None
        self.stopped = False
        self.token_index = None  # built on the first corpus_file epoch
        self.lowest_alpha = float("inf")
        self.line_ranges = None
        self.start_epoch(0)

    def reached(self, model, alpha):
        """``corpus_file`` threads: keep the lowest rate any of them has used as ``min_alpha_yet_reached``
        (the iterable path's producer sets it as gensim's does)."""
        with self.lock:
            self.lowest_alpha = min(self.lowest_alpha, alpha)
            model.min_alpha_yet_reached = self.lowest_alpha

    def start_epoch(self, epoch):
        self.epoch = epoch
        self.examples = 0
        self.losses = dict.fromkeys(self.terms, 0.0)

    def add(self, examples, kernel_losses=(), named=()):
        """Merge one job's example count, its kernel losses (in ``kernels.TERMS``
        order) and ``(name, loss)`` pairs of other terms."""
        with self.lock:
            self.examples += examples
            for term, value in zip(kernels.TERMS, kernel_losses):
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
        """Keep the first failure; the threads drain their queues and end."""
        with self.lock:
            if self.error is None:
                self.error = exc

    def stop(self):
        """The caller has gone: every thread ends at its next job or queue operation."""
        self.stopped = True

    @property
    def failed(self):
        return self.error is not None or self.stopped

    def until_failed(self, iterable):
        """Stop feeding jobs as soon as any thread has failed or the run is stopped."""
        for item in iterable:
            if self.failed:
                return
            yield item

    def put(self, queue, item):
        """``queue.put(item)``, given up once the run is stopped; True if put."""
        while True:
            try:
                queue.put(item, timeout=POLL_SECONDS)
                return True
            except Full:
                if self.stopped:
                    return False

    def get(self, queue):
        """``queue.get()``, or None once the run is stopped."""
        while True:
            try:
                return queue.get(timeout=POLL_SECONDS)
            except Empty:
                if self.stopped:
                    return None


# CBOW with shared negatives: how many positions one draw serves
CBOW_DRAW_USES = 5


def cbow_sharing(window):
    """CBOW's shared negatives: ``(uses, stride)``, one draw serves ``uses``
    positions of a job, ``stride`` positions apart.

    The stride, ``2 * window + 1``, keeps the windows of the positions that
    share a draw apart: consecutive positions have nearly the same context,
    hence nearly the same h, and sharing a draw between them moved the same
    negatives the same way in turn (0.011 less on analogies, 20M tokens;
    docs/benchmarks.md#cbow).
    """
    return CBOW_DRAW_USES, 2 * window + 1


# PV-DBOW with shared negatives: a document vector predicts DBOW_BLOCK consecutive words from one draw
# of DBOW_DRAWS times ``negative`` rows
DBOW_BLOCK = 10
DBOW_DRAWS = 2


def dbow_sharing(negative):
    """PV-DBOW's shared negatives: ``(block, negatives)``, a document vector predicts ``block``
    consecutive words of its document from one draw of ``negatives`` rows."""
    return DBOW_BLOCK, DBOW_DRAWS * negative


def shareable(terms):
    """Whether ``shared_negatives`` can serve a loss of these kernel terms (:func:`check_shared` says why not)."""
    return "ns" in terms and "hs" not in terms and "softmax" not in terms


def check_shared(terms, model=None):
    """Refuse, clearly, what ``shared_negatives=True`` cannot serve; ``terms``: the kernel terms in use,
    ``model``: the model (its kind and mode), when known."""
    if "ns" not in terms:
        raise ValueError("shared_negatives=True shares negative sampling's draws, and the loss has no "
                         "NEGSamplingLoss (negative=0)")
    names = {"hs": "HierarchicalSoftmaxLoss (hs=1)", "softmax": "SoftmaxLoss"}
    others = [names[t] for t in names if t in terms]
    if others:
        raise ValueError(f"shared_negatives=True cannot serve {' and '.join(others)} (nothing to share): drop it "
                         f"from the loss (hs=0), or train with shared_negatives=False")
    if model is None:
        return
    kind = model._kernel_kind
    if kind == "doc2vec" and model.dm and getattr(model, "dm_concat", 0):
        raise ValueError("shared_negatives=True does not serve PV-DM with concatenation (dm_concat=1): "
                         "train it with shared_negatives=False")
    if "group_negative" in terms and kind in ("fasttext", "doc2vec") and model.sg:
        mode = "FastText skip-gram" if kind == "fasttext" else "PV-DBOW"
        raise ValueError(f"shared_negatives=True in {mode} shares one draw among several targets, and "
                         f"GroupNegativeLoss draws from each target's own group: train with "
                         f"shared_negatives=False, or drop GroupNegativeLoss")


def _kernel_tables(natives):
    """The arrays the kernels read for the native terms that have some."""
    tables = {}
    if "anchor" in natives:
        tables["anchor"] = (natives["anchor"].vectors, natives["anchor"].mask)
    if "direction" in natives:
        tables["directions"] = natives["direction"].directions
    if "group_negative" in natives:
        tables["groups"] = (natives["group_negative"].tables(), natives["group_negative"].negative)
    if "lexicon" in natives:
        tables["lexicon"] = (natives["lexicon"].pairs(), natives["lexicon"].margin)
    return tables


def check_document_lines(path, lines, kernel, advice=None):
    """Doc2Vec's ``corpus_file``: every line is a document tagged with its line number, so the file may
    have no more lines than there are document vectors (checked before any thread starts)."""
    if lines > kernel.doc_rows:
        raise ValueError(
            f"corpus_file {os.fspath(path)!r} has {lines} lines, each a document tagged with its line number, "
            f"but {kernel.doc_name} has {kernel.doc_rows} rows (shape {kernel.doc_shape}): the vocabulary was "
            f"built on {kernel.doc_rows} documents. " + (advice or (
                "Add the documents past them first, with build_vocab(corpus_file=..., update=True), or use "
                "infer_vector() for new documents")))


def batches(items, batch_words, raw_words):
    """``(batch, index of its first item, its raw words)`` of consecutive corpus items, at most
    ``batch_words`` raw words each (``raw_words(items)`` counts them; a longer item is a batch of its own)."""
    batch, words, first = [], 0, 0
    for index, item in enumerate(items):
        length = raw_words([item])
        if batch and words + length > batch_words:
            yield batch, first, words
            batch, words, first = [], 0, index
        batch.append(item)
        words += length
    if batch:
        yield batch, first, words


def _resolve(model, path):
    owner, _, attr = path.rpartition(".")
    return getattr(getattr(model, owner, None) if owner else model, attr, None)


def trained_arrays(model, inputs=None):
    """``(name, array)`` of every weight array the kernels write: the input rows (``inputs``, default the
    model's ``_kernel_inputs()``) and the output layers."""
    arrays = [spec[0] for spec in (model._kernel_inputs() if inputs is None else inputs).values()]
    arrays += [getattr(model, name, None) for name in OUTPUT_LAYERS]
    for array in arrays:
        if array is not None and np.size(array):
            yield next((path for path in ARRAY_NAMES if _resolve(model, path) is array), "an array"), array


def nonfinite_rows(model, inputs=None):
    """``{array name: number of rows holding a NaN or inf}`` over :func:`trained_arrays`; empty if all finite.

    One float32 sum per array first (a NaN or inf anywhere makes it
    non-finite), so a finite model costs one SIMD pass and no temporary array
    (FastText's 2M-row bucket matrix: 0.06 s). A sum that overflows from
    finite values alone is told apart by the count.
    """
    bad = {}
    for name, array in trained_arrays(model, inputs):
        if not np.isfinite(np.add.reduce(array, axis=None)):
            rows = int((~np.isfinite(array)).any(axis=1).sum())
            if rows:
                bad[name] = rows
    return bad


def _describe(bad):
    return ", ".join(f"{count} rows of {name}" for name, count in bad.items())


def _join(threads, deadline):
    """Wait for ``threads`` until ``deadline`` (time.monotonic()); return those still alive."""
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    return [t for t in threads if t.is_alive()]


class KernelTraining:
    """Training of a gensim Word2Vec-family model through this package's kernels.

    Mixed in before the gensim class; see the module docstring.
    """

    _epoch_offset = 0  # epochs before this train() call of the run it continues (gensim_losses.resume)
    _stop_requested = None
    _counts = (0, 0)

    # ------------------------------------------------------------------ train()
    def train(
            self, corpus_iterable=None, corpus_file=None, total_examples=None, total_words=None,
            epochs=None, start_alpha=None, end_alpha=None, word_count=0,
            queue_factor=2, report_delay=1.0, compute_loss=None, callbacks=(), **kwargs,
    ):
        """Train as :meth:`gensim.models.word2vec.Word2Vec.train` does.

        ``compute_loss=None`` (the default) keeps the model's setting.
        ``loss_history`` is reset and gets one record per epoch (a run that
        :func:`gensim_losses.resume` continues keeps the records before it). A worker's
        exception stops the other threads and is raised here; so is an
        exception in this thread (e.g. KeyboardInterrupt), once every thread
        has stopped. A diverging model raises :class:`DivergenceError`.
        """
        if compute_loss is None:
            compute_loss = getattr(self, "compute_loss", True)
        check_settings(alpha=start_alpha, min_alpha=end_alpha, epochs=epochs)
        # a resumed run (gensim_losses.resume) goes on with the records of the epochs before it
        self.loss_history = self.loss_history[:self._epoch_offset] if self._epoch_offset else []
        self.train_totals = dict(total_examples=total_examples, total_words=total_words,
                                 corpus_file=corpus_file is not None)
        self._run = None
        self._stop_requested = None
        self._counts = [0, 0]  # trained and raw words of the epochs so far
        self._listeners = [cb for cb in callbacks if hasattr(cb, "on_progress")]
        self._follow_loss()
        proxy = EpochCallbacks(callbacks)
        try:
            return super().train(
                corpus_iterable=corpus_iterable, corpus_file=corpus_file, total_examples=total_examples,
                total_words=total_words, epochs=epochs, start_alpha=start_alpha, end_alpha=end_alpha,
                word_count=word_count, queue_factor=queue_factor, report_delay=report_delay,
                compute_loss=compute_loss, callbacks=[proxy], **kwargs,
            )
        except StopTraining as stop:  # what gensim's train() does after its last epoch
            logger.info("training stopped after epoch %i of %i: %s", self.loss_history[-1]["epoch"],
                        self.epochs + self._epoch_offset - 1, stop)
            self.train_count += 1
            self._clear_post_train()
            proxy.on_train_end(self)
            return tuple(self._counts)
        finally:
            self._run = None
            self._listeners = []
            self._stop_requested = None

    def stop_training(self, reason="a callback asked to stop"):
        """Ask ``train()`` to end after the current epoch (its callbacks all run first, then
        ``on_train_end``); for a callback's ``on_epoch_end``."""
        self._stop_requested = reason

    def _follow_loss(self):
        """Give the model what its loss needs before training (a subclass hook)."""

    def epoch_progress(self):
        """The current epoch's record so far (as in ``loss_history``), or None outside ``train()``."""
        run = getattr(self, "_run", None)
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

    # ------------------------------------------------------------------ epochs
    def _start_run(self):
        """The run of this ``train()`` call, made at its first epoch (after gensim's own checks)."""
        if self._run is None:
            bad = nonfinite_rows(self)
            if bad:
                raise ValueError(f"the model holds NaN or infinite weights before training ({_describe(bad)}): "
                                 f"an earlier run diverged, or they were set so; train a fresh model or "
                                 f"reset those rows")
            self._run = TrainingRun(self, getattr(self, "compute_loss", True))
        return self._run

    def _epoch(self, train_one_epoch, cur_epoch, *args, **kwargs):
        run = self._start_run()
        run.start_epoch(cur_epoch + self._epoch_offset)  # a resumed run's epochs are the whole run's
        result = train_one_epoch(run, *args, cur_epoch=cur_epoch, **kwargs)
        error = run.error
        bad = nonfinite_rows(self, run.inputs)  # FastText: no rebuilding of its bucket table each epoch
        if isinstance(error, DivergenceError) or (error is None and bad):
            # what the weights hold is only known now: say it as it is
            summary = getattr(error, "summary", None) or (str(error) if error is not None else (
                f"training diverged in epoch {run.epoch}: an update overflowed float32 without a later score "
                f"reading it."))
            state = (f"{_describe(bad)} hold inf or NaN (written by updates before the job stopped)." if bad
                     else "Every weight is still finite.")
            advice = getattr(error, "advice", None) or self._divergence_advice(run)
            error = DivergenceError(f"{summary} {state} {advice}")
        if error is not None:
            self._run = None
            raise error
        record = run.record(run.epoch)
        self.loss_history.append(record)
        if record["total"] is not None:  # all epochs of the run, a resumed one's before it too
            self.running_training_loss = sum(r["total"] or 0.0 for r in self.loss_history)
        self._counts[0] += result[0]
        self._counts[1] += result[1]
        logger.debug("EPOCH %i loss record %s", cur_epoch, record)
        return result

    def _divergence_advice(self, run=None, sentence_weight=None, alpha=None):
        """What most likely made training diverge, most likely first: every step is
        the learning rate times the sentence's weight times the term's weight, so
        each factor far above its usual value is named, with its value."""
        alpha = self.alpha if alpha is None else alpha
        causes = [(alpha / 0.025, f"too high a learning rate: lower the learning rate (alpha={self.alpha:g} now; "
                                  f"gensim's default is 0.025)")]
        if sentence_weight is not None and sentence_weight > 1:
            causes.append((sentence_weight, f"a Sentence.weight of {sentence_weight:g} in the job that diverged: "
                                            f"each of its steps is the learning rate times that weight; keep "
                                            f"weights near 1 (e.g. divide them by their mean)"))
        if run is not None:
            weights = [(run.names[term], weight) for term, weight in run.plan.weights.items()]
            weights += [(term.name, term.scale) for term in run.plan.python]
            big = [(weight, name) for name, weight in weights if weight > 1]
            if big:
                listed = ", ".join(f"{name} {weight:g}" for weight, name in sorted(big, reverse=True))
                causes.append((max(big)[0], f"a large loss weight ({listed}): scale the loss down, or lower the "
                                            f"learning rate as much"))
        causes.sort(key=lambda cause: -cause[0])
        text = "; ".join(reason for _, reason in causes)
        unseen = " (or a large Sentence.weight, if the corpus has any)" if sentence_weight is None else ""
        return (f"Likely cause{'s, most likely first' if len(causes) > 1 else ''}: {text}{unseen}. The vectors "
                f"are no longer meaningful: train a fresh model.")

    def _diverged(self, run, alpha, sentence_weight=None):
        """The error of a job that stopped at a NaN or infinite score or loss;
        ``sentence_weight``: the largest sentence weight of that job."""
        summary = (f"training diverged in epoch {run.epoch} at learning rate {alpha:.4g}: a score or a loss "
                   f"became NaN or infinite (the vectors grew until float32 overflowed), and the job stopped at "
                   f"that example.")
        advice = self._divergence_advice(run, sentence_weight, alpha)
        error = DivergenceError(f"{summary} {advice}")
        error.summary, error.advice = summary, advice  # _epoch adds what the weights hold
        return error

    def _run_epoch_threads(self, run, threads, follow_progress):
        """Start ``threads``, follow the epoch with ``follow_progress()`` in this thread and
        wait for them. On an exception here (Ctrl-C, a failing callback) stop them first."""
        for thread in threads:
            thread.start()
        try:
            report = follow_progress()
            for thread in threads:
                thread.join()
            return report
        except BaseException:
            run.stop()
            alive = _join(threads, time.monotonic() + STOP_SECONDS)
            if alive:
                logger.warning("%i training threads did not stop within %.0f s (a job or the corpus iterator "
                               "is still running); they will end on their own", len(alive), STOP_SECONDS)
            raise

    def _train_epoch(self, data_iterable, cur_epoch=0, total_examples=None, total_words=None,
                     queue_factor=2, report_delay=1.0, callbacks=()):
        return self._epoch(self._iterable_epoch, cur_epoch, data_iterable, total_examples=total_examples,
                           total_words=total_words, queue_factor=queue_factor, report_delay=report_delay)

    def _iterable_epoch(self, run, data_iterable, cur_epoch=0, total_examples=None, total_words=None,
                        queue_factor=2, report_delay=1.0):
        job_queue = Queue(maxsize=queue_factor * self.workers)
        progress_queue = Queue(maxsize=(queue_factor + 1) * self.workers)
        threads = [threading.Thread(target=self._worker_loop, args=(run, job_queue, progress_queue),
                                    name=f"gensim_losses._worker_loop-{i}", daemon=True)
                   for i in range(self.workers)]
        threads.append(threading.Thread(
            target=self._job_producer, args=(run, data_iterable, job_queue),
            kwargs=dict(cur_epoch=cur_epoch, total_examples=total_examples, total_words=total_words),
            name="gensim_losses._job_producer", daemon=True))
        return self._run_epoch_threads(run, threads, lambda: self._log_epoch_progress(
            progress_queue, job_queue, cur_epoch=cur_epoch, total_examples=total_examples,
            total_words=total_words, report_delay=report_delay, is_corpus_file_mode=False))

    def _job_producer(self, run, data_iterator, job_queue, cur_epoch=0, total_examples=None, total_words=None):
        """Cut the corpus into jobs of at most ``batch_words`` raw words (:func:`batches`), each with its
        learning rate, as gensim does."""
        try:
            pushed_examples, pushed_words, jobs = 0, 0, 0
            alpha = self._get_next_alpha(0.0, cur_epoch)
            for batch, first, words in batches(run.until_failed(data_iterator), self.batch_words,
                                               self._raw_word_count):
                if run.failed:
                    break
                if jobs:
                    progress = pushed_examples / total_examples if total_examples else pushed_words / total_words
                    alpha = self._get_next_alpha(progress, cur_epoch)
                if not run.put(job_queue, (batch, alpha, first)):
                    return
                jobs += 1
                pushed_examples += len(batch)
                pushed_words += words
            if jobs == 0 and self.train_count == 0 and not run.failed:
                gensim_word2vec.logger.warning(
                    "train() called with an empty iterator (if not intended, be sure to provide a corpus "
                    "that offers restartable iteration = an iterable).")
        except BaseException as exc:  # e.g. the corpus iterator raised
            run.fail(exc)
        finally:
            for _ in range(self.workers):
                run.put(job_queue, None)

    def _worker_loop(self, run, job_queue, progress_queue):
        # Unlike gensim's loop, a failing job does not kill the thread (which
        # would leave train() waiting forever): the error is kept for the
        # caller and the thread drains the queue so the producer can finish.
        try:
            mem = self._get_thread_working_mem()
            while True:
                job = run.get(job_queue)
                if job is None:
                    break
                if run.failed:
                    continue
                sentences, alpha, first = job
                try:
                    effective, raw = self._train_job(run, sentences, alpha, mem, first)
                except BaseException as exc:
                    run.fail(exc)
                    continue
                if not run.put(progress_queue, (len(sentences), effective, raw)):
                    break
        except BaseException as exc:
            run.fail(exc)
        finally:
            run.put(progress_queue, None)

    def _train_epoch_corpusfile(self, corpus_file, cur_epoch=0, **kwargs):
        return self._epoch(self._corpusfile_epoch, cur_epoch, corpus_file, **kwargs)

    def _corpusfile_epoch(self, run, corpus_file, cur_epoch=0, total_examples=None, total_words=None,
                          callbacks=(), **kwargs):
        if not total_words:
            raise ValueError("total_words must be provided alongside corpus_file argument.")
        if "global_context" in run.plan.weights:
            raise ValueError("GlobalContextLoss reads each Sentence's context, which a corpus_file (plain lines) "
                             "cannot carry: train from a corpus_iterable of gensim_losses.Sentence items")
        if run.token_index is None:
            run.token_index = kernels.TokenIndex(self.wv.index_to_key)
            run.line_ranges = line_ranges(corpus_file, self.workers)
            # only Doc2Vec tags a line with its number: counting them reads the file
            run.first_lines = [-1] * len(run.line_ranges)
            if run.kind == "doc2vec":
                run.first_lines, lines = first_lines(corpus_file, run.line_ranges)
                check_document_lines(corpus_file, lines, run.kernel)
        progress_queue = Queue()  # unbounded: a worker never waits to report
        threads = [
            threading.Thread(
                target=self._worker_loop_corpusfile,
                args=(run, corpus_file, run.line_ranges[i], run.first_lines[i], progress_queue, cur_epoch),
                name=f"gensim_losses._worker_loop_corpusfile-{i}", daemon=True)
            for i in range(self.workers)
        ]
        return self._run_epoch_threads(run, threads, lambda: self._log_epoch_progress(
            progress_queue=progress_queue, job_queue=None, cur_epoch=cur_epoch,
            total_examples=total_examples, total_words=total_words, is_corpus_file_mode=True))

    def _worker_loop_corpusfile(self, run, corpus_file, byte_range, first_line, progress_queue, cur_epoch):
        """Train one worker's line range of ``corpus_file`` for one epoch.

        The range is read in jobs of about ``batch_words`` raw words; the
        learning rate decays linearly with the worker's progress through it.
        Progress is reported after every job, so it shows within the epoch.
        Doc2Vec: each line is a document tagged with its line number.
        """
        try:
            mem = self._get_thread_working_mem()
            reader = kernels.LineReader(os.fspath(corpus_file), *byte_range, run.token_index,
                                         first_line)
            while not run.failed:
                alpha = self._alpha_at(cur_epoch, reader.progress)
                run.reached(self, alpha)
                job = reader.fill(run.kernel, self.batch_words, self._job_seed())
                if job is None:
                    break
                self._train_prepared(run, job, alpha, mem)
                progress_queue.put((job.sentences, job.effective_words, job.raw_words))
        except BaseException as exc:  # reported to the caller of train()
            run.fail(exc)
        finally:
            progress_queue.put(None)

    def _alpha_at(self, cur_epoch, epoch_progress):
        """Linear decay from alpha to min_alpha over all epochs, as gensim's (a resumed run's
        epochs counted from the start of the run it resumes, so the rate is the same to the bit)."""
        progress = (cur_epoch + self._epoch_offset + epoch_progress) / (self.epochs + self._epoch_offset)
        return max(self.min_alpha, self.alpha - (self.alpha - self.min_alpha) * progress)

    def _get_next_alpha(self, epoch_progress, cur_epoch):
        """gensim's rate for iterable input: :meth:`_alpha_at`, kept as ``min_alpha_yet_reached``."""
        self.min_alpha_yet_reached = self._alpha_at(cur_epoch, epoch_progress)
        return self.min_alpha_yet_reached

    # ------------------------------------------------------------------ jobs
    def _job_seed(self):
        draw = getattr(self.random, "randint", None) or self.random.integers
        return int(draw(0, 2**24)) * 2**24 + int(draw(0, 2**24))

    def _train_job(self, run, sentences, alpha, mem, first=None):
        """Train one job of corpus items (``first``: the corpus index of the first,
        for error messages); return (effective words, raw words) as gensim does."""
        job = kernels.prepare_batch(run.kernel, sentences, self._job_seed(), first)
        self._train_prepared(run, job, alpha, mem)
        return job.effective_words, job.raw_words

    def _do_train_job(self, sentences, alpha, inits):
        """gensim's entry point for one job, on the current run (kept for code that calls it)."""
        return self._train_job(self._start_run(), sentences, alpha, inits)

    def _train_prepared(self, run, job, alpha, mem):
        """Train a prepared job on the run's path and merge its loss records."""
        run.add(*self._run_job(run, job, alpha, mem))

    def _run_job(self, run, job, alpha, mem):
        """Train a prepared job on the run's path; return its ``(examples, kernel losses, (name, loss) pairs)``
        for :meth:`TrainingRun.add`."""
        if run.reference:
            examples, named = reference.train_job(self, run, job, alpha)
            return examples, (), list(named.items()) if run.compute_loss else ()
        compiled = fallback = None
        names = ()
        if run.python is not None:
            compiled, fallback, names = run.python.for_job(run, job)
        examples, losses, diverged, (python, status, term) = kernels.train_job(
            run.kernel, job, alpha, *mem, compiled, fallback, len(fallback.terms) if fallback else 0)
        if status:
            raise self._python_failed(run, names, status, term, fallback)
        if diverged:
            weights = job.sentences_of()[1]
            raise self._diverged(run, alpha, float(weights.max()) if len(weights) else None)
        return examples, losses, list(zip(names, python))

    def _python_failed(self, run, names, status, term, fallback):
        """The error of a job that a Python term stopped (see ``kernels.train_job``)."""
        if status == kernels.PY_EXCEPTION:
            return fallback.error
        if status == kernels.PY_NONFINITE:
            return L.LossError(
                f"the Python term '{names[term]}' gave a NaN or infinite loss or gradient in epoch {run.epoch}: "
                f"the job stopped at that example, before it changed any vector (the examples before it in "
                f"the job stay applied); every vector is still finite. Check the term's math at that h, e.g. "
                f"with backend='reference' or gradcheck")
        return RuntimeError(f"the compiled Python terms and the job disagree on its examples (status {status})")
