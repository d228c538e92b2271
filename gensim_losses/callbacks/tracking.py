"""Callbacks that make training visible: the loss per epoch and a progress bar.

Both work with :class:`gensim_losses.Word2Vec` and with stock
:class:`gensim.models.Word2Vec` (and its subclasses)::

    from gensim_losses import Word2Vec
    from gensim_losses.callbacks import LossTracker, ProgressBar

    tracker = LossTracker()
    model = Word2Vec(corpus, epochs=5, callbacks=[tracker, ProgressBar()])
    tracker.losses        # one total per epoch
    tracker.history[-1]   # {'model': 'model0', 'epoch': 4, 'examples': ..., 'total': ..., 'ns': ..., ...}
    tracker.plot("loss.png")
"""

from __future__ import annotations

import io
import logging
import sys
import threading
import time
import warnings
import weakref

from gensim.models.callbacks import CallbackAny2Vec

logger = logging.getLogger("gensim_losses")

#: where stock gensim's float32 loss tally gets stuck (gensim issue #2735): adding a
#: per-term loss below half the float32 spacing (8 at 2**27) no longer changes it.
STOCK_SATURATION = 2.0 ** 27
#: from here the float32 spacing is 2: each per-term loss (mostly below 1) is rounded away
#: or to 2, so gensim's tally no longer follows the true sum even before it sticks.
STOCK_INEXACT = 2.0 ** 24

# keys of a model.loss_history record that are not loss terms
_RECORD_KEYS = ("epoch", "examples", "total")
# keys of a LossTracker.history entry that are not loss terms
_ENTRY_KEYS = ("model", "epoch", "train_call", "train_epoch", "examples", "total", "loss_per_example", "saturated")


def _has_loss_history(model):
    """True for models that keep gensim_losses' exact per-epoch records."""
    return isinstance(getattr(model, "loss_history", None), list)


class _ModelState:
    """What a tracker remembers about one model between its callbacks."""

    def __init__(self, label):
        self.label = label
        self.next_epoch = 0        # epoch number continued across train() calls
        self.train_calls = 0       # train() calls seen so far
        self.train_epoch = 0       # epoch within the current train() call
        self.last_tally = 0.0      # stock: get_latest_training_loss() at the last epoch end
        self.saturated = False     # stock: its float32 tally stopped being true
        self.warned = False


class LossTracker(CallbackAny2Vec):
    """Record the training loss of every epoch, per loss term.

    Hand it to ``Word2Vec(..., callbacks=[tracker])`` or ``model.train(...,
    callbacks=[tracker])``.

    * On a :class:`gensim_losses.Word2Vec` it copies the epoch's exact record
      from ``model.loss_history[-1]``: float64 totals, the number of training
      examples and one value per term (``ns``, ``hs``, ``norm``, a Python
      term's name...).
    * On a stock :class:`gensim.models.Word2Vec` trained with
      ``compute_loss=True`` it takes the difference of
      ``get_latest_training_loss()`` between epoch ends (the recipe users copy
      from gensim's issues). gensim keeps that tally in float32: from 2**24 on
      it rounds every per-term loss to a multiple of 2 and it sticks for good
      (at 134217728 = 2**27 at the latest); with several workers it also loses
      counts. When the tally reaches 2**24 or stops moving while training goes
      on, the tracker warns once per model (``warnings.warn`` and a log line)
      that its figures are no longer true, and marks the entries
      ``saturated``. Stock gensim counts no examples: ``examples`` and
      ``loss_per_example`` are None there.

    One INFO line per epoch goes to the ``gensim_losses`` logger.

    Attributes
    ----------
    epochs : list of int
        The epoch number of every recorded epoch. Numbers continue across
        ``train()`` calls of the same model: 5 epochs then 2 more give
        ``0, 1, 2, 3, 4, 5, 6`` (``history`` keeps the number within each call
        as ``train_epoch``).
    losses : list of float or None
        The total loss of every recorded epoch (None when the loss was not
        computed).
    history : list of dict
        One mapping per recorded epoch: ``model`` (the model's label, see
        below), ``epoch``, ``train_call`` (0-based count of the model's
        ``train()`` calls seen), ``train_epoch``, ``examples``, ``total``,
        ``loss_per_example``, ``saturated`` (stock gensim's tally no longer
        true), then one key per loss term.

    Notes
    -----
    **One tracker, several models.** The lists above hold every epoch the
    tracker saw, in the order they finished, whichever model trained it; each
    entry says which in ``model``. A model's label is its ``comment`` (the
    gensim parameter) when that is a non-empty string, else ``"model0"``,
    ``"model1"``... in the order the tracker first saw the models. Epoch
    numbers are counted per model. :meth:`models` lists the labels,
    :meth:`for_model` gives one model's entries and :meth:`plot` draws one
    curve per model and term. Models are held by weak reference only.
    """

    def __init__(self):
        self.epochs = []
        self.losses = []
        self.history = []
        self._init_runtime()
        self._labels = []
        self._figures = set()  # keys that are held-out figures (Validation's), not training loss terms

    def _init_runtime(self):
        # per-model state, dropped with the model; a lock because two models
        # may train in two threads with the same tracker
        self._states = weakref.WeakKeyDictionary()
        self._lock = threading.Lock()

    def __getstate__(self):
        # picklable (e.g. stored on something saved): the records survive, the
        # links to live models do not
        state = self.__dict__.copy()
        del state["_states"], state["_lock"]
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        self.__dict__.setdefault("_figures", set())
        self._init_runtime()

    # ------------------------------------------------------------------ callbacks
    def _state(self, model):
        with self._lock:
            state = self._states.get(model)
            if state is None:
                comment = getattr(model, "comment", None)
                label = comment if isinstance(comment, str) and comment else f"model{len(self._labels)}"
                if label in self._labels:  # the same comment on two models: keep entries apart
                    label = f"{label}#{len(self._labels)}"
                self._labels.append(label)
                state = self._states[model] = _ModelState(label)
            return state

    def on_train_begin(self, model):
        state = self._state(model)
        state.train_calls += 1
        state.train_epoch = 0
        state.saturated = False  # stock gensim's tally starts again from 0 (the warning stays once per model)
        # gensim resets its tally to 0 at every train() (before this call)
        state.last_tally = float(model.get_latest_training_loss() or 0.0)

    def on_epoch_end(self, model):
        state = self._state(model)
        if state.train_calls == 0:  # handed over after training began: count from here
            self.on_train_begin(model)
        if _has_loss_history(model) and model.loss_history:
            entry = self._ours(model, state)
        else:
            entry = self._stock(model, state)
        with self._lock:
            self.history.append(entry)
            self.epochs.append(entry["epoch"])
            self.losses.append(entry["total"])
        state.next_epoch += 1
        state.train_epoch += 1
        logger.info("%s", self._describe(entry))

    def _entry(self, state, examples, total, terms, saturated=False):
        per = total / examples if total is not None and examples else None
        entry = {"model": state.label, "epoch": state.next_epoch, "train_call": state.train_calls - 1,
                 "train_epoch": state.train_epoch, "examples": examples, "total": total,
                 "loss_per_example": per, "saturated": saturated}
        entry.update(terms)
        return entry

    def _ours(self, model, state):
        record = model.loss_history[-1]
        # the record of the epoch that just ended: gensim_losses appends it before the callbacks run, and
        # Validation (run before the others) adds the held-out loss and figures, kept apart from the terms
        terms = {k: v for k, v in record.items() if k not in _RECORD_KEYS}
        run_terms = getattr(getattr(model, "_run", None), "terms", None)
        with self._lock:
            self._figures.update(k for k in terms if k.startswith("val_") or (run_terms is not None
                                                                                and k not in run_terms))
        return self._entry(state, record.get("examples"), record.get("total"), terms)

    def _stock(self, model, state):
        if not getattr(model, "compute_loss", False):
            return self._entry(state, None, None, {})
        tally = float(model.get_latest_training_loss())
        delta = tally - state.last_tally
        if not state.saturated and (tally >= STOCK_INEXACT or (delta == 0 and tally > 0)):
            state.saturated = True
            self._warn_saturated(state, tally, delta)
        state.last_tally = tally
        return self._entry(state, None, delta, {}, saturated=state.saturated)

    def _warn_saturated(self, state, tally, delta):
        if state.warned:
            return
        state.warned = True
        why = ("stopped moving" if delta == 0 else
               "is past 2**24, where float32 rounds every per-example loss to a multiple of 2")
        msg = (f"LossTracker: {state.label}'s get_latest_training_loss() = {tally:.1f} {why}: gensim keeps "
               f"it in float32 (it sticks at 134217728 = 2**27 at the latest), so the per-epoch losses from "
               f"epoch {state.next_epoch} on are no longer true. gensim_losses.Word2Vec records exact "
               f"float64 losses.")
        logger.warning(msg)
        warnings.warn(msg, RuntimeWarning, stacklevel=2)

    def _describe(self, entry):
        head = f"{entry['model']} epoch {entry['epoch']}: "
        held = self._held_out_text(entry)
        if entry["total"] is None:
            return head + "loss not computed (compute_loss=False)" + held
        text = head + f"loss {entry['total']:.6g}"
        if entry["examples"]:
            text += f" over {entry['examples']} examples, {entry['loss_per_example']:.4f} per example"
        terms = [k for k in entry if k not in _ENTRY_KEYS and k not in self._figures]
        if len(terms) > 1 or (terms and entry["examples"] is None):
            text += " (" + ", ".join(f"{k} {entry[k]:.6g}" for k in terms) + ")"
        if entry["examples"] is None:
            text += " (difference of stock gensim's get_latest_training_loss())"
        if entry["saturated"]:
            text += " [gensim's float32 tally: not true]"
        return text + held

    def _held_out_text(self, entry):
        figures = [k for k in entry if k in self._figures]
        if not figures:
            return ""
        parts = []
        if entry.get("val_total") is not None:
            examples = entry.get("val_examples")
            per = f", {entry['val_total'] / examples:.4f} per example" if examples else ""
            parts.append(f"held-out loss {entry['val_total']:.6g}{per}")
        parts += [f"{k} {entry[k]:.4g}" for k in figures
                  if not k.startswith("val_") and entry[k] is not None]
        return "; " + ", ".join(parts)

    # ------------------------------------------------------------------ views
    def models(self):
        """Labels of the models seen, in the order they were first seen."""
        return list(self._labels)

    def for_model(self, model):
        """The history entries of one model, given as a model or its label."""
        label = model if isinstance(model, str) else self._state(model).label
        return [e for e in self.history if e["model"] == label]

    def terms(self, model=None):
        """The training loss terms recorded (for one model, given as a model or label)."""
        return [k for k in self._keys(model) if k not in self._figures]

    def figures(self, model=None):
        """The held-out figures recorded by :class:`Validation` (``val_total``, ``val_<term>``, evaluators')."""
        return [k for k in self._keys(model) if k in self._figures]

    def _keys(self, model):
        entries = self.history if model is None else self.for_model(model)
        out = []
        for entry in entries:
            out.extend(k for k in entry if k not in _ENTRY_KEYS and k not in out)
        return out

    def plot(self, path=None, per_example=False, ax=None):
        """Draw the loss curve of every term (and the total) against the epoch.

        Parameters
        ----------
        path : str or path-like, optional
            Save the figure there (format from the extension) and return
            ``path``. None: return the :class:`matplotlib.figure.Figure`.
        per_example : bool, optional
            Divide by the epoch's number of examples (gensim_losses models
            only: stock gensim counts none, so its curves are left out).
        ax : matplotlib.axes.Axes, optional
            Draw into these axes (a panel of a larger figure) instead of a
            new figure; ``path`` then saves the axes' figure.

        Raises
        ------
        ImportError
            matplotlib is not installed (``pip install gensim-losses[plot]``).
        ValueError
            Nothing was recorded yet.
        """
        try:
            from matplotlib.figure import Figure
        except ImportError as exc:
            raise ImportError("LossTracker.plot needs matplotlib: pip install gensim-losses[plot]") from exc
        if not self.history:
            raise ValueError("LossTracker.plot: no epoch recorded yet")
        if ax is None:
            # a bare Figure, not pyplot: no GUI backend, no global figure left open
            ax = Figure(figsize=(7, 4.5), layout="constrained").add_subplot()
        fig = ax.figure
        several = len(self._labels) > 1
        twin = None  # a second y axis for the evaluators' figures
        for label in self._labels:
            entries = [e for e in self.for_model(label) if e["total"] is not None]
            if per_example:
                entries = [e for e in entries if e["examples"]]
            if not entries:
                continue
            terms = self.terms(label)
            # the total is a curve of its own only when it differs from the one term
            series = terms + ["total"] if len(terms) != 1 else terms
            for term in series:
                points = [(e["epoch"], e[term] / e["examples"] if per_example else e[term])
                          for e in entries if e.get(term) is not None]
                if not points:
                    continue
                name = f"{label}: {term}" if several else term
                if any(e["saturated"] for e in entries):
                    name += " (float32 tally, saturated)"
                xs, ys = zip(*points)
                ax.plot(xs, ys, marker="o", label=name)
            figures = self.figures(label)
            held = [(e["epoch"], e["val_total"] / e["val_examples"] if per_example else e["val_total"])
                    for e in entries
                    if e.get("val_total") is not None and (e.get("val_examples") or not per_example)]
            if held:
                xs, ys = zip(*held)
                ax.plot(xs, ys, marker="s", linestyle="--", label=f"{label}: held-out total" if several else
                        "held-out total")
            scores = [k for k in figures if not k.startswith("val_")]
            if scores:
                twin = twin or ax.twinx()
                for key in scores:
                    points = [(e["epoch"], e[key]) for e in entries if e.get(key) is not None]
                    if points:
                        xs, ys = zip(*points)
                        twin.plot(xs, ys, marker="^", linestyle=":", label=f"{label}: {key}" if several else key)
        if twin is not None:
            twin.set_ylabel("held-out figures")
            twin.legend(loc="center right")
        ax.set_xlabel("epoch")
        ax.set_ylabel("loss per example" if per_example else "loss (sum over the epoch)")
        ax.set_title("training loss")
        ax.xaxis.get_major_locator().set_params(integer=True)
        ax.grid(True, alpha=0.3)
        ax.legend()
        if path is None:
            return fig
        fig.savefig(path)
        return path

    def _repr_png_(self):
        """The loss plot, for Jupyter's rich display (None: shown as text instead)."""
        if not any(e["total"] is not None for e in self.history):
            return None
        try:
            fig = self.plot()
        except ImportError:
            return None
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png")
        return buffer.getvalue()

    def __repr__(self):
        epochs = {label: len(self.for_model(label)) for label in self._labels}
        seen = ", ".join(f"{label}: {n} epochs" for label, n in epochs.items()) or "no epoch yet"
        return f"<LossTracker {seen}>"


# ---------------------------------------------------------------------- progress


def _in_notebook():
    shell = getattr(sys.modules.get("IPython"), "get_ipython", lambda: None)()
    return shell is not None and type(shell).__name__ == "ZMQInteractiveShell"


def _running_loss(model, epoch_start_tally):
    """``(loss so far in this epoch, examples so far or None)``, or None if unknown."""
    if hasattr(model, "epoch_progress"):
        rec = model.epoch_progress()  # gensim_losses: the epoch's exact record so far
        if rec is None or rec["total"] is None:
            return None
        return rec["total"], rec["examples"]
    if getattr(model, "compute_loss", False):
        return float(model.get_latest_training_loss()) - epoch_start_tally, None
    return None


class ProgressBar(CallbackAny2Vec):
    """Show how far training is: a tqdm bar, or log lines in gensim's style.

    The bar counts epochs (fractions of one within an epoch) and shows the
    words/s and the current epoch's loss per example so far. The log lines go
    to the ``gensim_losses`` logger at INFO, e.g.::

        EPOCH 2 - PROGRESS: at 41.30% examples, 812345 words/s, loss/example 2.4153
        EPOCH 2: done in 3.1s, loss/example 2.3990

    Parameters
    ----------
    bar : bool or None, optional
        True: a tqdm bar (``pip install gensim-losses[progress]``), log lines
        if tqdm is missing. False: log lines. None (default): a bar when tqdm
        is installed and ``file`` is a terminal or this runs in a Jupyter
        notebook, else log lines.
    interval : float, optional
        Least number of seconds between two log lines within an epoch.
    file : file-like, optional
        Where the bar is drawn (default ``sys.stderr``).

    Notes
    -----
    Within an epoch, updates come from ``on_progress``, which a
    gensim_losses model calls with gensim's progress report every
    ``report_delay`` seconds (an argument of ``train()``, 1 by default), for
    iterable and ``corpus_file`` input alike; a shorter epoch only shows its
    end. A stock gensim model has no such hook: the bar then moves once per
    epoch, and the loss shown is the epoch's delta of
    ``get_latest_training_loss()`` (stock gensim counts no examples).

    One bar follows one training at a time: give each model trained
    concurrently its own.
    """

    def __init__(self, bar=None, interval=1.0, file=None):
        self.bar = bar
        self.interval = interval
        self.file = file
        self._init_runtime()

    def _init_runtime(self):
        self._tqdm = None
        self._epoch = 0
        self._epoch_start = 0.0
        self._epoch_tally = 0.0
        self._last_line = 0.0

    def __getstate__(self):
        state = self.__dict__.copy()
        state["_tqdm"] = None  # a live bar holds a stream and a lock
        return state

    def _make_bar(self, model):
        want = self.bar
        stream = self.file if self.file is not None else sys.stderr
        if want is False:
            return None
        try:
            if _in_notebook():
                from tqdm.auto import tqdm
            else:
                from tqdm import tqdm
        except ImportError:
            if want:
                logger.info("ProgressBar: tqdm is not installed (pip install gensim-losses[progress]): "
                            "showing log lines instead")
            return None
        if want is None and not (_in_notebook() or getattr(stream, "isatty", lambda: False)()):
            return None
        return tqdm(total=model.epochs, unit="epoch", file=stream, leave=True, dynamic_ncols=True,
                    bar_format="{desc}{percentage:3.0f}%|{bar}| {n:.2f}/{total_fmt} epochs "
                               "[{elapsed}<{remaining}{postfix}]")

    def on_train_begin(self, model):
        self.close()
        self._epoch = 0
        self._tqdm = self._make_bar(model)

    def on_epoch_begin(self, model):
        self._epoch_start = self._last_line = time.perf_counter()
        self._epoch_tally = float(model.get_latest_training_loss() or 0.0)
        if self._tqdm is not None:
            self._tqdm.set_description_str(f"epoch {self._epoch}: ")

    def on_progress(self, model, report):
        """gensim's mid-epoch report (the arguments of its ``_log_progress``), from a gensim_losses model."""
        total_examples, total_words = report.get("total_examples"), report.get("total_words")
        if total_examples:
            fraction, unit = report.get("example_count", 0) / total_examples, "examples"
        elif total_words:
            fraction, unit = report.get("raw_word_count", 0) / total_words, "words"
        else:
            return
        fraction = min(max(fraction, 0.0), 1.0)
        elapsed = report.get("elapsed") or 1e-9
        rate = report.get("trained_word_count", 0) / elapsed
        loss = self._loss_text(model)
        if self._tqdm is not None:
            self._tqdm.n = self._epoch + fraction
            self._tqdm.set_postfix_str(f"{rate:,.0f} words/s{', ' + loss if loss else ''}", refresh=False)
            self._tqdm.refresh()
            return
        now = time.perf_counter()
        if now - self._last_line < self.interval:
            return
        self._last_line = now
        logger.info("EPOCH %i - PROGRESS: at %.2f%% %s, %.0f words/s%s", self._epoch, 100 * fraction, unit,
                    rate, f", {loss}" if loss else "")

    def _loss_text(self, model, final=False):
        held = ""
        if final and _has_loss_history(model) and model.loss_history:
            rec = model.loss_history[-1]
            running = (rec["total"], rec["examples"]) if rec.get("total") is not None else None
            if rec.get("val_examples"):  # Validation's, which gensim_losses' train() runs before this
                held = f", held-out loss/example {rec['val_total'] / rec['val_examples']:.4f}"
        else:
            running = _running_loss(model, self._epoch_tally)
        if running is None:
            return held[2:]
        loss, examples = running
        if examples is None:
            return f"epoch loss {loss:.6g}" + held
        return (f"loss/example {loss / examples:.4f}" if examples else "") + held

    def on_epoch_end(self, model):
        loss = self._loss_text(model, final=True)
        if self._tqdm is not None:
            self._tqdm.n = self._epoch + 1
            self._tqdm.set_postfix_str(loss, refresh=False)
            self._tqdm.refresh()
        else:
            logger.info("EPOCH %i: done in %.1fs%s", self._epoch, time.perf_counter() - self._epoch_start,
                        f", {loss}" if loss else "")
        self._epoch += 1

    def on_train_end(self, model):
        self.close()

    def close(self):
        """Close the bar (done at the end of training; call it if ``train()`` raised)."""
        if self._tqdm is not None:
            self._tqdm.close()
            self._tqdm = None
