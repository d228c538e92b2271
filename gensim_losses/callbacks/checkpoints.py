"""Checkpoints at epoch ends, and a run resumed from the newest one to the end it would have reached.

A checkpoint directory holds one folder per saved epoch, ``epoch-0003/``
(three epochs done), each with the model (``model``, saved by the model's own
all-or-nothing ``save``) and ``checkpoint.json`` (its class, vector size,
epochs done and planned, the epoch's record); and ``best/`` when
:class:`Checkpoint` keeps the best epoch. A folder appears whole or not at
all: it is written as ``epoch-0003.partial/`` and renamed.

What makes the resume exact (bit-identical vectors and records with one
worker): the checkpoint carries the learning-rate plan (``alpha``,
``min_alpha``, the epochs planned and done, the totals the run's progress is
measured against), the model's random state, and ``loss_history``;
:func:`resume` trains the remaining epochs with the rate computed exactly as
the uninterrupted run computes it (``KernelTraining._alpha_at``), and the
records go on from the ones before.
"""

import importlib
import json
import logging
import os
import secrets
import shutil
from pathlib import Path

from gensim.models.callbacks import CallbackAny2Vec

logger = logging.getLogger(__name__)

PREFIX = "epoch-"
PARTIAL = ".partial"
MANIFEST = "checkpoint.json"
MODEL = "model"
BEST = "best"


def _class_name(model):
    return f"{type(model).__module__}.{type(model).__qualname__}"


def _epochs(directory):
    """``[(epochs done, folder)]`` of the complete checkpoints in ``directory``, oldest first."""
    found = []
    for path in Path(directory).glob(PREFIX + "*"):
        number = path.name[len(PREFIX):]
        if path.is_dir() and number.isdigit() and (path / MANIFEST).exists():
            found.append((int(number), path))
    return sorted(found)


def _manifest(path):
    with open(Path(path) / MANIFEST, encoding="utf8") as fh:
        return json.load(fh)


def _old(final):
    return final.with_name(final.name + ".old")


def _replace_dir(tmp, final):
    """Make the complete folder ``tmp`` be ``final`` (a folder of that name before is removed; killed
    between the two renames, ``final.old`` is still whole, and :func:`_recover` puts it back)."""
    old = _old(final)
    shutil.rmtree(old, ignore_errors=True)
    if final.exists():
        os.rename(final, old)
    os.rename(tmp, final)
    _fsync_dir(final.parent)
    shutil.rmtree(old, ignore_errors=True)


def _recover(directory):
    """Put back a folder that a kill left only as ``X.old``; drop unfinished ``.partial`` folders."""
    for old in Path(directory).glob("*.old"):
        final = old.with_name(old.name[:-len(".old")])
        if final.exists():
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.rename(old, final)
    for partial in Path(directory).glob("*" + PARTIAL):
        shutil.rmtree(partial, ignore_errors=True)


def _fsync_dir(path):
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


class Checkpoint(CallbackAny2Vec):
    """Save the model at the end of every ``every``-th epoch (and the last), keeping the newest ``keep``.

    Each save is all or nothing (see the module docstring): a run killed at
    any moment leaves the newest complete checkpoint, which
    :func:`gensim_losses.resume` continues from.

    Parameters
    ----------
    directory : str or path
        Created if missing. Checkpoints of another model class or vector size there are an error at the
        start of training (nothing is written).
    every : int
    keep : int
        Epoch checkpoints kept (the oldest go); the best one, if kept, is apart and stays.
    best : str or (str, str), optional
        A key of the epoch record (``val_total``, an evaluator's name...) whose best epoch is kept in
        ``best/``: lowest for losses (``total``, its terms, ``val_*``), highest for other figures; or
        ``(key, "min" | "max")`` to say which.
    """

    epoch_order = 3  # after every other callback: it saves what they did (engine.CALLBACK_ORDER)

    def __init__(self, directory, every=1, keep=3, best=None):
        for name, value in (("every", every), ("keep", keep)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name}={value!r}: expected an integer >= 1")
        self.directory = Path(directory)
        self.every, self.keep = every, keep
        if isinstance(best, tuple):
            self.best_key, self.best_mode = best
        else:
            self.best_key, self.best_mode = best, None
        if self.best_mode not in (None, "min", "max"):
            raise ValueError(f"best={best!r}: the mode must be 'min' or 'max'")
        self.best_value = None

    def on_train_begin(self, model):
        self.directory.mkdir(parents=True, exist_ok=True)
        _recover(self.directory)
        # a run resumed from this directory goes on with its own id; any other run is a new one
        self.run = getattr(model, "_checkpoint_run", None) or secrets.token_hex(6)
        expected = (_class_name(model), int(model.vector_size))
        found = [_manifest(path) for _, path in _epochs(self.directory)]
        if (self.directory / BEST / MANIFEST).exists():
            found.append(_manifest(self.directory / BEST))
        for manifest in found:
            if (manifest["class"], manifest["vector_size"]) != expected:
                raise ValueError(f"{self.directory} holds checkpoints of a {manifest['class']} with vector_size "
                                 f"{manifest['vector_size']}, not of this {expected[0]} with vector_size "
                                 f"{expected[1]}: give this run a directory of its own (nothing was written)")
            if manifest.get("run") != self.run:
                raise ValueError(f"{self.directory} holds the checkpoints of another run (epochs "
                                 f"{manifest['epochs_done']} of {manifest['epochs']} done): give this run a "
                                 f"directory of its own, remove them, or continue that run with "
                                 f"gensim_losses.resume (nothing was written)")
        best = self.directory / BEST
        self.best_value = _manifest(best)["value"] if (best / MANIFEST).exists() and self.best_key else None

    def on_epoch_end(self, model):
        record = model.loss_history[-1]
        epoch, planned = record["epoch"], model.epochs + model._epoch_offset
        done = epoch + 1
        if done % self.every == 0 or done == planned:
            self._write(model, self.directory / f"{PREFIX}{done:04d}", record, done, planned)
            for _, path in _epochs(self.directory)[:-self.keep]:
                shutil.rmtree(path, ignore_errors=True)
        if self.best_key is not None:
            if self.best_key not in record and getattr(model, "_validation_every", 1) > 1:
                return  # an epoch Validation(every=k) leaves out
            if self.best_key not in record:
                raise KeyError(f"Checkpoint(best={self.best_key!r}): epoch {epoch}'s record has no such key; it "
                               f"has {', '.join(map(repr, record))}")
            value = record[self.best_key]
            mode = self.best_mode or ("min" if self._is_loss(model) else "max")
            if value is not None and (self.best_value is None or (
                    value < self.best_value if mode == "min" else value > self.best_value)):
                self.best_value = value
                self._write(model, self.directory / BEST, record, done, planned, value=value)

    def on_train_end(self, model):
        stopped = getattr(model, "_stop_requested", None)
        if stopped and model.loss_history:  # an early stop: the run is over, with the weights kept (restored)
            record = model.loss_history[-1]
            done, planned = record["epoch"] + 1, model.epochs + model._epoch_offset
            self._write(model, self.directory / f"{PREFIX}{done:04d}", record, done, planned, finished=stopped)

    def _is_loss(self, model):
        key = self.best_key
        terms = getattr(getattr(model, "_run", None), "terms", ())
        return key == "total" or key in terms or (key.startswith("val_") and key != "val_examples")

    def _write(self, model, final, record, done, planned, value=None, finished=None):
        tmp = final.with_name(final.name + PARTIAL)
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir()
        model.resume_state = dict(epochs_done=done, epochs=planned, run=self.run, finished=finished,
                                  **getattr(model, "train_totals", {}))
        epochs, model.epochs = model.epochs, planned  # a resumed run's train() counts only its own epochs
        try:
            model.save(os.fspath(tmp / MODEL))
        finally:
            model.epochs = epochs
            model.__dict__.pop("resume_state", None)
        manifest = {"class": _class_name(model), "vector_size": int(model.vector_size), "epochs_done": done,
                    "epochs": planned, "record": record, "value": value, "run": self.run, "finished": finished}
        with open(tmp / MANIFEST, "w", encoding="utf8") as fh:
            json.dump(manifest, fh, indent=1, default=float)
            fh.flush()
            os.fsync(fh.fileno())
        _replace_dir(tmp, final)
        logger.info("checkpoint: %s (%i of %i epochs)", final, done, planned)


def latest(directory):
    """The folder of the newest complete checkpoint in ``directory``."""
    found = _epochs(directory)
    if not found:
        raise FileNotFoundError(f"no checkpoint in {os.fspath(directory)!r} (a folder {PREFIX}NNNN holding "
                                f"{MANIFEST} and {MODEL}, as Checkpoint writes)")
    return found[-1][1]


def load(path):
    """The model saved in the checkpoint folder ``path``, checked against its manifest."""
    manifest = _manifest(path)
    module, _, name = manifest["class"].rpartition(".")
    if not module.startswith("gensim_losses."):
        raise TypeError(f"{path} is a checkpoint of a {manifest['class']}: resume continues gensim_losses models")
    cls = getattr(importlib.import_module(module), name)
    model = cls.load(os.fspath(Path(path) / MODEL))
    if type(model) is not cls or int(model.vector_size) != manifest["vector_size"]:
        raise TypeError(f"{path}/{MODEL} holds a {_class_name(model)} with vector_size {model.vector_size}, but "
                        f"its manifest says a {manifest['class']} with vector_size {manifest['vector_size']}: "
                        f"the checkpoint was altered")
    return model


def resume(directory, corpus_iterable=None, corpus_file=None, callbacks=()):
    """Load the newest checkpoint in ``directory`` and train the epochs that remain.

    The run then ends where the uninterrupted run would have ended: with
    ``workers=1`` and the same corpus, bit-identical weights and the same
    ``loss_history`` (with more workers, as alike as two runs of gensim's
    threads are). Give the corpus the run was trained on, and the callbacks
    it should go on with (a :class:`Checkpoint` on the same directory goes on
    writing there).

    The corpus must be read the same way (``corpus_file`` or
    ``corpus_iterable``, as the run was: ``TypeError`` otherwise). Callbacks
    are not saved with a model: without a ``Checkpoint`` among ``callbacks``
    the resumed epochs are not checkpointed. An :class:`EarlyStopping` goes
    on counting from the checkpoint's state.

    Returns
    -------
    model
        The trained model (a checkpoint of a run that ended, every epoch done or stopped early, is
        returned as it was saved).
    """
    path = latest(directory)
    model = load(path)
    state = model.__dict__.pop("resume_state", None)
    if state is None:
        raise ValueError(f"{path} was not written by gensim_losses.callbacks.Checkpoint (it has no resume "
                         f"state): load it with {type(model).__name__}.load")
    done, planned = state["epochs_done"], state["epochs"]
    if done >= planned or state.get("finished"):
        logger.info("resume: %s ended its run (%i of %i epochs%s); nothing to train", path, done, planned,
                    f", {state['finished']}" if state.get("finished") else "")
        return model
    if (corpus_iterable is None) == (corpus_file is None):
        raise TypeError(f"resume needs the corpus the run trained on: corpus_iterable or corpus_file "
                        f"({planned - done} of {planned} epochs remain)")
    if "corpus_file" in state and state["corpus_file"] != (corpus_file is not None):
        given, trained = ("corpus_file", "corpus_iterable") if corpus_file is not None else (
            "corpus_iterable", "corpus_file")
        raise TypeError(f"resume was given a {given}, but the run trained on a {trained}: the same corpus, read "
                        f"the same way, continues it as it would have gone on")
    logger.info("resume: %s, epochs %i to %i of %i", path, done, planned - 1, planned)
    model._epoch_offset = done
    model._checkpoint_run = state.get("run")
    model.min_alpha_yet_reached = model.alpha  # the plan's rate is not a rise (gensim would warn)
    try:
        model.train(corpus_iterable=corpus_iterable, corpus_file=corpus_file,
                    total_examples=state.get("total_examples"), total_words=state.get("total_words"),
                    epochs=planned - done, start_alpha=model.alpha, end_alpha=model.min_alpha, callbacks=callbacks)
    finally:
        model._epoch_offset = 0
        model.__dict__.pop("_checkpoint_run", None)
        model.epochs = planned
    return model
