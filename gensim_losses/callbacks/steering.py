"""Callbacks that steer training: the held-out loss and evaluators' figures at epoch ends
(:class:`Validation`), and stopping on them (:class:`EarlyStopping`).

Both need a gensim_losses model (its epoch records and its train() loop); see
docs/steering.md.
"""

from __future__ import annotations

import logging
import os
import time

import numpy as np
from gensim.models.callbacks import CallbackAny2Vec

from gensim_losses.callbacks.tracking import _RECORD_KEYS, _has_loss_history
from gensim_losses.training.engine import trained_arrays

logger = logging.getLogger("gensim_losses")


def _ours_or_refuse(model, what):
    if not _has_loss_history(model) or not hasattr(model, "stop_training"):
        raise TypeError(f"{what} needs a gensim_losses model (its epoch records and its train() loop); "
                        f"{type(model).__module__}.{type(model).__name__} is not one: convert it with "
                        f"gensim_losses.{type(model).__name__}.from_gensim(model)")


class Validation(CallbackAny2Vec):
    """At the end of every ``every``-th epoch, the held-out loss of ``corpus`` and each evaluator's figures.

    They go into that epoch's ``loss_history`` record (so :class:`LossTracker`
    shows them, and :class:`EarlyStopping` and :class:`Checkpoint` can monitor
    them) and into :attr:`history`:

    * ``val_total``, ``val_examples`` and ``val_<term>`` (``val_ns``...):
      :meth:`~gensim_losses.Word2Vec.evaluate_loss` of ``corpus``, every weight frozen,
      with the same draws at every epoch (the model's seed), so the curve moves only with the weights;
    * each evaluator's ``{name: float}``: any callable ``f(model)``, such as
      :class:`~gensim_losses.callbacks.evaluators.word_pairs`,
      :class:`~gensim_losses.callbacks.evaluators.analogies` or
      :class:`~gensim_losses.callbacks.evaluators.hit_rate`.

    On a stock gensim model (no kernels to evaluate a loss with, no records)
    only evaluators run; their figures go to :attr:`history` alone.

    Parameters
    ----------
    corpus : iterable of token lists, or str or path, optional
        The held-out corpus (a path: a ``corpus_file``); must be restartable.
    evaluators : sequence of callables
    every : int
        Validate at epochs ``every - 1``, ``2 * every - 1``, ... (0-based), and at the last.

    Attributes
    ----------
    history : list of dict
        One per validated epoch: ``epoch`` and the figures.
    seconds : float
        The time spent validating (part of ``train()``'s time).
    """

    epoch_order = 0  # before the callbacks that read the record (gensim_losses' train(), engine.CALLBACK_ORDER)

    def __init__(self, corpus=None, evaluators=(), every=1):
        if corpus is None and not evaluators:
            raise ValueError("Validation needs a held-out corpus, evaluators, or both")
        if isinstance(every, bool) or not isinstance(every, int) or every < 1:
            raise ValueError(f"every={every!r}: expected an integer >= 1")
        for ev in evaluators:
            if not callable(ev):
                raise TypeError(f"an evaluator must be a callable f(model) -> {{name: float}}, got {ev!r}")
        if corpus is not None and not isinstance(corpus, (str, os.PathLike)) and iter(corpus) is corpus:
            raise TypeError(f"Validation's corpus is an iterator ({type(corpus).__name__}), read once: the epochs "
                            f"after the first would see nothing. Give a list, a restartable iterable such as "
                            f"gensim's LineSentence, or a path")
        self.corpus = corpus
        self.evaluators = tuple(evaluators)
        self.every = every
        self.history = []
        self.seconds = 0.0
        self._seen = 0  # epochs seen in this train() (stock models count here)

    def on_train_begin(self, model):
        self._seen = 0
        model._validation_every = self.every  # EarlyStopping and Checkpoint skip the epochs not validated
        if self.corpus is not None and not hasattr(model, "evaluate_loss"):
            raise TypeError(f"Validation(corpus=...) evaluates the held-out loss through gensim_losses' kernels; "
                            f"{type(model).__name__} is a stock gensim model: convert it with "
                            f"gensim_losses.{type(model).__name__}.from_gensim(model), or give evaluators only")

    def figures(self, model):
        """The held-out loss and the evaluators' figures of ``model`` as it is now."""
        out = {}
        if self.corpus is not None:
            path = isinstance(self.corpus, (str, os.PathLike))
            record = model.evaluate_loss(corpus_file=self.corpus) if path else model.evaluate_loss(self.corpus)
            if not record["examples"]:
                raise ValueError(
                    "Validation: the held-out corpus gave no example (none of its words is in the vocabulary, "
                    "or it is Doc2Vec PV-DBOW without dbow_words, where documents the model does not have "
                    "predict nothing): a held-out loss of no example says nothing")
            out["val_total"], out["val_examples"] = record["total"], record["examples"]
            out.update((f"val_{k}", v) for k, v in record.items() if k not in _RECORD_KEYS)
        _fresh_vectors(model)
        for ev in self.evaluators:
            result = ev(model)
            if not isinstance(result, dict) or not all(isinstance(v, (int, float)) for v in result.values()):
                raise TypeError(f"the evaluator {ev!r} returned {result!r}: expected a dict of name -> float")
            out.update((k, float(v)) for k, v in result.items())
        return out

    def on_epoch_end(self, model):
        self._seen += 1
        ours = _has_loss_history(model) and bool(model.loss_history)
        epoch = model.loss_history[-1]["epoch"] if ours else self._seen - 1
        last = epoch == model.epochs + getattr(model, "_epoch_offset", 0) - 1
        if (epoch + 1) % self.every and not last:
            return
        start = time.perf_counter()
        figures = self.figures(model)
        self.seconds += time.perf_counter() - start
        if ours:
            model.loss_history[-1].update(figures)
        self.history.append(dict(epoch=epoch, **figures))
        logger.info("epoch %i held out: %s", epoch, ", ".join(f"{k} {v:.6g}" for k, v in figures.items()))

    def on_train_end(self, model):
        model.__dict__.pop("_validation_every", None)


def _fresh_vectors(model):
    """What the evaluators read, as the weights are now: during training FastText's word vectors are not
    yet composed from their n-grams, and gensim's cached norms are those of the first call."""
    wv = model.wv
    if hasattr(wv, "adjust_vectors") and getattr(wv, "vectors_vocab", None) is not None and len(wv.vectors_vocab):
        wv.adjust_vectors()
    for vectors in (wv, getattr(model, "dv", None)):
        if vectors is not None:
            vectors.norms = None


class EarlyStopping(CallbackAny2Vec):
    """Stop ``train()`` once the monitored figure has not improved for ``patience`` epochs.

    After every epoch the value of ``monitor`` in the epoch's record (any key
    of ``loss_history[-1]``: ``total``, a term, or what :class:`Validation`
    adds, ``val_total`` or an evaluator's name; Validation must be among the
    callbacks) is compared with the best so far: it improves when it is lower
    by more than ``min_delta`` (``mode="min"``) or higher (``mode="max"``).
    After ``patience`` epochs without improvement training ends, as after its
    last epoch (every callback's ``on_epoch_end``, then ``on_train_end``).

    With ``restore_best`` the model ends holding the weights of its best epoch
    (every trained array, and the output layers), and ``model.best_epoch``
    names it; ``loss_history`` keeps the records of every epoch that ran.
    ``model.epochs`` stays the number of epochs planned: the learning rate
    decayed on that plan, so it was still above ``min_alpha`` when training
    stopped (``model.min_alpha_yet_reached`` is where it got).
    ``get_latest_training_loss()`` is the sum over the epochs that ran.

    With :class:`Validation` ``every=k > 1`` the epochs it does not validate
    are skipped (patience counts validated epochs). Its state (best value,
    best epoch, epochs without improvement) travels in a :class:`Checkpoint`
    and a run :func:`~gensim_losses.resume` continues goes on counting from
    it; with ``restore_best`` a best epoch from before the resume cannot be
    restored (its weights are not in memory: keep them with
    ``Checkpoint(best=monitor)``), and the model keeps the last epoch's, with
    a warning.

    Needs a gensim_losses model (stock gensim's loop cannot be stopped by a callback).

    Attributes
    ----------
    best, best_epoch : float, int
    stopped_epoch : int or None
        The epoch after which training stopped (None: it ran to the end).
    """

    epoch_order = 1  # after Validation, before the others; first to restore at the end (engine.CALLBACK_ORDER)

    def __init__(self, monitor, mode="min", patience=2, min_delta=0.0, restore_best=True):
        if mode not in ("min", "max"):
            raise ValueError(f"mode={mode!r}: expected 'min' or 'max'")
        if isinstance(patience, bool) or not isinstance(patience, int) or patience < 1:
            raise ValueError(f"patience={patience!r}: expected an integer >= 1")
        if not min_delta >= 0:
            raise ValueError(f"min_delta={min_delta!r}: expected a number >= 0")
        self.monitor, self.mode, self.patience = monitor, mode, patience
        self.min_delta, self.restore_best = float(min_delta), bool(restore_best)
        self._reset()

    def _reset(self):
        self.best = self.best_epoch = self.stopped_epoch = None
        self.wait = 0
        self._weights = self._kept_epoch = None  # the best epoch's weights in memory, and which epoch they are

    def __getstate__(self):  # a checkpoint of the model need not carry a second copy of its weights
        state = dict(self.__dict__)
        state["_weights"] = None
        return state

    def on_train_begin(self, model):
        _ours_or_refuse(model, "EarlyStopping")
        self._reset()
        state = getattr(model, "early_stopping", None)
        if model._epoch_offset and state and (state["monitor"], state["mode"]) == (self.monitor, self.mode):
            self.best, self.best_epoch, self.wait = state["best"], state["best_epoch"], state["wait"]

    def improved(self, value):
        """Whether ``value`` is better than the best so far by more than ``min_delta``."""
        if self.best is None:
            return True
        if self.mode == "min":
            return value < self.best - self.min_delta
        return value > self.best + self.min_delta

    def on_epoch_end(self, model):
        record = model.loss_history[-1]
        if self.monitor not in record:
            if getattr(model, "_validation_every", 1) > 1:
                return  # an epoch Validation(every=k) leaves out
            hint = " (a Validation callback's figures appear only with one among the callbacks)" if not (
                self.monitor in ("total", "examples") or self.monitor in getattr(model._run, "terms", ())) else ""
            raise KeyError(f"EarlyStopping(monitor={self.monitor!r}): epoch {record['epoch']}'s record has no "
                           f"such key; it has {', '.join(map(repr, record))}{hint}")
        value = record[self.monitor]
        if value is None:
            raise ValueError(f"EarlyStopping(monitor={self.monitor!r}): the record holds None (the loss is not "
                             f"computed: train with compute_loss=True)")
        if self.improved(value):
            self.best, self.best_epoch, self.wait = float(value), record["epoch"], 0
            if self.restore_best:
                self._keep(model)
        else:
            self.wait += 1
            if self.wait >= self.patience:
                self.stopped_epoch = record["epoch"]
                model.stop_training(f"{self.monitor} has not improved on {self.best:.6g} (epoch "
                                    f"{self.best_epoch}) for {self.wait} epochs")
        model.early_stopping = dict(monitor=self.monitor, mode=self.mode, best=self.best,
                                    best_epoch=self.best_epoch, wait=self.wait, stopped=self.stopped_epoch)

    def _keep(self, model):
        """The weights now, into buffers made once (no second copy while the first is held)."""
        arrays = _weights_of(model)
        if self._weights is None or [a.shape for a, _ in self._weights] != [a.shape for a in arrays]:
            self._weights = [(array, array.copy()) for array in arrays]
        else:
            self._weights = [(array, saved) for array, (_, saved) in zip(arrays, self._weights)]
            for array, saved in self._weights:
                np.copyto(saved, array)
        self._kept_epoch = model.loss_history[-1]["epoch"]

    def on_train_end(self, model):
        try:
            if self.best_epoch is None:
                return
            last = model.loss_history[-1]["epoch"]
            if self.restore_best and self.best_epoch != last:
                if self._weights is None or self._kept_epoch != self.best_epoch:
                    logger.warning("EarlyStopping: the best epoch, %i, came before this run was resumed: its "
                                   "weights are not in memory, the model keeps epoch %i's (Checkpoint(best=%r) "
                                   "keeps the best epoch's)", self.best_epoch, last, self.monitor)
                else:
                    for array, saved in self._weights:
                        np.copyto(array, saved)
                    if hasattr(model.wv, "adjust_vectors"):  # FastText: the word vectors follow their n-grams
                        model.wv.adjust_vectors()
                    logger.info("EarlyStopping: the model holds the weights of epoch %i (%s %.6g)",
                                self.best_epoch, self.monitor, self.best)
            model.best_epoch = self.best_epoch
        finally:
            self._weights = None


def _weights_of(model):
    """Every array training writes (``engine.trained_arrays``), which a restore sets back."""
    return [array for _, array in trained_arrays(model)]
