"""gensim's Word2Vec, trained through this package's kernels, with exact loss records.

The class keeps gensim's public API and its training loop (job producer,
progress logging, callbacks); it replaces what runs inside a job or a
corpus_file epoch, how workers report failures, and how the loss is tallied.
"""

import logging
import os
import threading
from queue import Queue

from gensim.models import word2vec as gensim_word2vec
from gensim.models.word2vec import MAX_WORDS_IN_BATCH

from gensim_losses import _kernels

logger = logging.getLogger(__name__)

# Raw words per corpus_file job, like gensim's batch_words for iterables.
CORPUSFILE_JOB_WORDS = MAX_WORDS_IN_BATCH


class _TrainingRun:
    """State of one ``train()`` call, shared by its worker threads.

    Per-job losses arrive as float64 sums and are merged here under a lock,
    so no worker's tally is lost and no float32 total saturates.
    """

    def __init__(self, model, compute_loss):
        weights = {"ns": 1.0 if model.negative else 0.0, "hs": 1.0 if model.hs else 0.0}
        self.kernel = _kernels.KernelModel(model, compute_loss, weights)
        self.compute_loss = bool(compute_loss)
        self.terms = tuple(t for t in _kernels.TERMS if weights.get(t))
        self.lock = threading.Lock()
        self.error = None
        self.token_index = None  # built on the first corpus_file epoch
        self.line_ranges = None
        self.start_epoch()

    def start_epoch(self):
        self.examples = 0
        self.losses = dict.fromkeys(self.terms, 0.0)

    def add(self, examples, losses):
        """Merge one job's example count and its per-term losses (kernel order)."""
        with self.lock:
            self.examples += examples
            for term, value in zip(_kernels.TERMS, losses):
                if term in self.losses:
                    self.losses[term] += value

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


class Word2Vec(gensim_word2vec.Word2Vec):
    """gensim's :class:`~gensim.models.word2vec.Word2Vec`, trained by gensim_losses kernels.

    Every parameter keeps gensim's name and meaning; see
    :class:`gensim.models.word2vec.Word2Vec`. Differences:

    compute_loss : bool, optional
        On by default here (it costs little: see docs/benchmarks.md). The loss
        of every training example is summed in float64 per job and merged
        under a lock, so ``get_latest_training_loss()`` is exact and does not
        saturate.

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
            sg=0, hs=0, negative=5, ns_exponent=0.75, cbow_mean=1, hashfxn=hash, epochs=5, null_word=0,
            trim_rule=None, sorted_vocab=1, batch_words=MAX_WORDS_IN_BATCH, compute_loss=True, callbacks=(),
            comment=None, max_final_vocab=None, shrink_windows=True,
    ):
        self.loss_history = []
        self._run = None
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
        try:
            return super().train(
                corpus_iterable=corpus_iterable, corpus_file=corpus_file, total_examples=total_examples,
                total_words=total_words, epochs=epochs, start_alpha=start_alpha, end_alpha=end_alpha,
                word_count=word_count, queue_factor=queue_factor, report_delay=report_delay,
                compute_loss=compute_loss, callbacks=callbacks, **kwargs,
            )
        finally:
            self._run = None

    def _training_run(self):
        if self._run is None:
            self._run = _TrainingRun(self, getattr(self, "compute_loss", True))
        return self._run

    def _job_seed(self):
        draw = getattr(self.random, "randint", None) or self.random.integers
        return int(draw(0, 2**24)) * 2**24 + int(draw(0, 2**24))

    def _epoch(self, train_one_epoch, cur_epoch, *args, **kwargs):
        run = self._training_run()
        run.start_epoch()
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
            progress_queue.put(self._do_train_epoch(
                corpus_file, thread_id, offset, cython_vocab, mem, cur_epoch,
                total_examples=total_examples, total_words=total_words, **kwargs))
        except BaseException as exc:  # reported to the caller of train()
            self._training_run().fail(exc)
        finally:
            progress_queue.put(None)

    def _do_train_epoch(self, corpus_file, thread_id, offset, cython_vocab, thread_private_mem, cur_epoch,
                        total_examples=None, total_words=None, **kwargs):
        """Train one worker's line range of ``corpus_file`` (``offset`` is ``(start, end)``) for one epoch.

        The range is read in jobs of about ``batch_words`` raw words; the
        learning rate decays linearly with the worker's progress through it.
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
        work, neu1 = inits
        examples, losses = _kernels.train_job(run.kernel, job, alpha, work, neu1)
        run.add(examples, losses)

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
    def _save_specials(self, fname, separately, sep_limit, ignore, pickle_protocol, compress, subname):
        ignore = set(ignore).union(["_run"])
        return super()._save_specials(fname, separately, sep_limit, ignore, pickle_protocol, compress, subname)

    def _load_specials(self, *args, **kwargs):
        super()._load_specials(*args, **kwargs)
        if not hasattr(self, "loss_history"):
            self.loss_history = []
        self._run = None
