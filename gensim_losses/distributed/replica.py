"""One replica: a copy of the model that trains its part of the corpus in rounds.

The replica is the same on every engine: the in-process simulator, a Ray
actor and a Dask actor all hold a :class:`Replica` and call its methods.
Each round it applies the last merge, then trains its next ``words`` raw
words with the model's own ``train()`` (so every loss, penalty, Python term,
``Sentence`` weight and ``shared_negatives`` runs as on one machine, on the
threads of its node), and returns what changed (:func:`sync.delta`), the
round's loss record and where in its part it now stands.
"""

import contextlib
import logging
import os
import pickle
import threading
import time

import numpy as np

from gensim_losses.distributed import shards, sync
from gensim_losses.text import corpus
from gensim_losses.training.engine import trained_arrays

QUIET = ("gensim.models.word2vec", "gensim.utils", "gensim_losses.training.engine",
         "gensim_losses.training.hybrid")


_QUIET_LOCK = threading.Lock()
_quiet = {"depth": 0, "levels": None}


@contextlib.contextmanager
def quiet():
    """A round's train() would log its start and end at INFO: thousands of lines per epoch. Rounds of
    several replicas may train in threads at once (the in-process engine with overlap): the first to
    enter silences the loggers, the last to leave gives them back their levels."""
    loggers = [logging.getLogger(name) for name in QUIET]
    with _QUIET_LOCK:
        if _quiet["depth"] == 0:
            _quiet["levels"] = [lg.level for lg in loggers]
            for lg in loggers:
                lg.setLevel(max(lg.getEffectiveLevel(), logging.WARNING))
        _quiet["depth"] += 1
    try:
        yield
    finally:
        with _QUIET_LOCK:
            _quiet["depth"] -= 1
            if _quiet["depth"] == 0:
                for lg, level in zip(loggers, _quiet["levels"]):
                    lg.setLevel(level)


def arrays_of(model):
    """``{name: array}`` of the weights the kernels train (``engine.trained_arrays``)."""
    return dict(trained_arrays(model))


class Replica:
    """A replica training ``part`` (a list of pieces, :func:`shards.split`) of the corpus.

    It first counts its part (:meth:`count`), then takes the model
    (:meth:`load`). ``index`` seeds its own random stream (negative draws,
    subsampling, window sizes), so replicas do not draw alike; ``threads`` (default the
    model's ``workers``) is how many threads its ``train()`` uses.
    """

    def __init__(self, part, index, threads=None):
        self.part = part
        self.index = index
        self.threads = threads
        self.model = None
        self._pending = None  # a round training ahead: (thread, its result); finish() collects it

    def count(self, max_words):
        """The vocabulary scan of this replica's part, where it is read (:func:`shards.count`)."""
        return shards.count(self.part, max_words)

    def load(self, model, position=shards.START):
        """Take the synchronised model (pickled bytes or a model) and start reading the part at ``position``."""
        self.finish()  # a round still training belongs to the weights being replaced
        self.model = pickle.loads(model) if isinstance(model, bytes) else model
        self.model.random = np.random.default_rng([int(self.model.seed), int(self.index), 1])
        if self.threads:
            self.model.workers = int(self.threads)
        self.position = tuple(position)
        self.arrays = arrays_of(self.model)
        self.base = {name: array.copy() for name, array in self.arrays.items()}
        self._reader = None
        self._sent = None  # the last delta sent, until its merge comes back

    def start_epoch(self):
        """Read the part from its start again."""
        if self._pending is not None:
            raise RuntimeError("start_epoch() while a round trains ahead: the driver ends an epoch with a "
                               "round that trains nothing")
        self.position = shards.START
        self._reader = None

    def _sentences(self, words):
        """The next sentences of about ``words`` raw words (whole lines), and their raw word count."""
        batch, raw = [], 0
        if words <= 0:
            return batch, raw
        if self._reader is None:
            self._reader = shards.read(self.part, self.position)
        for item, position in self._reader:  # a token list, or a Sentence from a Parquet shard
            batch.append(item)
            raw += corpus.raw_word_count((item,))
            self.position = position
            if raw >= words:
                break
        return batch, raw

    def _round(self, words, start_alpha, end_alpha, compute_loss):
        """Read the next ``words`` raw words and train them; ``(record, raw, position, done, seconds)``."""
        start = time.perf_counter()
        batch, raw = self._sentences(words)
        model = self.model
        record = None
        if batch:
            model.min_alpha_yet_reached = start_alpha  # each round starts above the last one's end
            with quiet():
                model.train(corpus_iterable=batch, total_words=raw, epochs=1,
                            start_alpha=start_alpha, end_alpha=end_alpha, compute_loss=compute_loss)
            record = model.loss_history[-1]
            model.lifecycle_events = model.lifecycle_events[-4:] if model.lifecycle_events else []
        return record, raw, self.position, raw < words, time.perf_counter() - start

    def _ahead(self, *round_args):
        """Train a round in a thread of its own: the call returns, and the round trains while its delta
        travels and the driver merges."""
        out = {}

        def run():
            try:
                out["round"] = self._round(*round_args)
            except BaseException as exc:  # raised again by the call that collects the round
                out["error"] = exc

        thread = threading.Thread(target=run, name=f"replica-{self.index}-round", daemon=True)
        thread.start()
        self._pending = (thread, out)

    def finish(self):
        """Wait for the round training ahead (if any); ``(record, raw, position, done, seconds)``, or None."""
        if self._pending is None:
            return None
        thread, out = self._pending
        thread.join()
        self._pending = None
        if "error" in out:
            raise out["error"]
        return out["round"]

    def step(self, merged, words, start_alpha, end_alpha, compute_loss=True, hot=None, overlap=False, share=1.0):
        """One round: apply ``merged`` (None in the first round), train the next ``words`` raw words
        with the learning rate going from ``start_alpha`` to ``end_alpha``, and return the change of
        the first ``hot`` rows (None: of every row; see :mod:`.sync`).

        ``overlap=True`` (the sync beside training, one round stale): the round this call returns is
        the one the previous call started, and the ``words`` of this call train in a thread after it
        returns, from the weights as they are once ``merged`` is applied, without the other
        replicas' changes of the round whose delta this call sends, and with ``share`` of its own
        (:func:`sync.hold`). ``merged`` is then the merge of the delta the previous call sent, and the
        replica keeps what it trained since.

        Returns ``(delta, record, raw words read, position, done, seconds)``: ``record`` is the
        round's ``loss_history`` entry (None when the part had no words left), ``seconds`` a pair:
        the time reading the words and ``train()`` took (the round's work), and the time applying
        the merge and taking the delta (the replica's part of the sync).
        """
        if overlap:
            trained = self.finish() or (None, 0, self.position, False, 0.0)
        begin = time.perf_counter()
        if merged is not None:
            # a synchronous round changed nothing since its delta: subtracting it would give 0
            sync.apply(self.arrays, self.base, merged, self._sent if overlap else None)
        if not overlap:
            trained = self._round(words, start_alpha, end_alpha, compute_loss)
        record, raw, position, done, seconds = trained
        change = sync.delta(self.arrays, self.base, hot)
        self._sent = sync.hold(self.arrays, self.base, change, share) if overlap else change
        syncing = time.perf_counter() - begin - (0.0 if overlap else seconds)
        if overlap and words > 0:
            self._ahead(words, start_alpha, end_alpha, compute_loss)
        return change, record, raw, position, done, (seconds, syncing)

    def pid(self):
        """The process the replica runs in (to tell the engine's processes apart, or to end one)."""
        return os.getpid()
