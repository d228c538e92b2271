"""Saving, loading, copying and handing models to stock gensim.

* :func:`atomic_write`: every file this package writes goes to a temporary
  name beside its target and is renamed into place, with gensim's ``.npy``
  side files, so a failing save leaves the previous model intact.
* :class:`Saving`, mixed into the model classes: atomic ``save``, a clear
  error when the loss cannot be pickled, ``load`` that names a missing loss
  class, pickling and deep copies without the state of a running
  ``train()``, and :meth:`Saving.to_gensim`.
"""

import copy
import glob
import logging
import os
import pickle
import tempfile
import threading
from contextlib import contextmanager
from pathlib import Path

logger = logging.getLogger(__name__)

# what this package adds to a gensim model: left out of to_gensim(); the
# first two are the state of a running train(), never pickled or copied
RUN_STATE = ("_run", "_listeners")
OWN_ATTRIBUTES = RUN_STATE + ("loss", "backend", "loss_history", "syn1softmax", "shared_negatives")
_saving = threading.local()  # the path a save is for, while it writes under a temporary name


def _umask():
    mask = os.umask(0)  # the only way to read it is to set it
    os.umask(mask)
    return mask


def atomic_write(path, write):
    """Call ``write(tmp)`` on a temporary file beside ``path``, then move it into place.

    The temporary name ends with ``path``'s own name, so gensim picks the
    same compression from the extension (``.gz``, ``.bz2``). Files that
    ``write`` creates beside it (gensim's ``tmp.wv.vectors.npy`` and the like)
    are renamed to ``path.wv.vectors.npy`` before the main file. On any
    failure every temporary file is removed and ``path`` is left as it was.
    """
    target = Path(path)
    folder = target.parent if str(target.parent) else Path(".")
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=f"-{target.name}", dir=folder)
    os.close(fd)
    try:
        # mkstemp makes it private (0600): give the file the mode a plain open() would
        os.chmod(tmp, target.stat().st_mode & 0o7777 if target.exists() else 0o666 & ~_umask())
        write(tmp)
        for side in glob.glob(glob.escape(tmp) + ".*"):
            os.replace(side, str(target) + side[len(tmp):])
        os.replace(tmp, target)
    except BaseException:
        for leftover in [tmp, *glob.glob(glob.escape(tmp) + ".*")]:
            try:
                os.unlink(leftover)
            except OSError:
                pass
        raise


@contextmanager
def explain_missing_class():
    """Turn unpickling's "no such module/class" into an ImportError that says what to do."""
    try:
        yield
    except ModuleNotFoundError as exc:
        raise ImportError(f"cannot load the model: a class it holds (its loss?) is defined in module "
                          f"{exc.name!r}, which cannot be imported; import or define it first") from exc
    except AttributeError as exc:
        if "Can't get attribute" not in str(exc):
            raise
        raise ImportError(f"cannot load the model: {exc} (is it its loss class? define or import it "
                          f"before loading)") from exc


def _gensim_class(model):
    """The stock gensim class a model class extends."""
    for cls in type(model).__mro__:
        if cls.__module__.startswith("gensim."):
            return cls
    raise TypeError(f"{type(model).__name__} does not extend a gensim model class")


class Saving:
    """Persistence of the model classes (mixed in before the gensim class)."""

    def save(self, fname_or_handle, *args, **kwargs):
        """Save the model as gensim's ``save`` does, but atomically for a path.

        Everything (the pickle and any ``.npy`` side files) is written under
        a temporary name beside the target and renamed into place only when
        all of it was written, so a failing save leaves an earlier file of
        that name intact. A loss that cannot be pickled raises
        ``pickle.PicklingError`` naming it.
        """
        try:
            if isinstance(fname_or_handle, (str, os.PathLike)):
                _saving.path = os.fspath(fname_or_handle)
                try:
                    atomic_write(_saving.path, lambda tmp: super(Saving, self).save(tmp, *args, **kwargs))
                finally:
                    _saving.path = None
            else:
                super().save(fname_or_handle, *args, **kwargs)
        except (pickle.PicklingError, TypeError, AttributeError) as exc:
            loss = getattr(self, "loss", None)
            if loss is None:
                raise
            try:
                pickle.dumps(loss)
            except Exception as why:
                raise pickle.PicklingError(
                    f"cannot save the model: its loss {type(loss).__name__} cannot be pickled ({why}). Define "
                    f"the loss class at module level (not inside a function) and keep lambdas, local functions "
                    f"and open files out of its attributes; or set model.loss = None before saving (the "
                    f"vectors do not need it). Nothing was written.") from exc
            raise

    def add_lifecycle_event(self, event_name, log_level=logging.INFO, **event):
        """gensim's lifecycle log (``model.lifecycle_events``); a save records its target's name."""
        # gensim's "saving" event would name the temporary file: name the target
        if event_name == "saving" and getattr(_saving, "path", None) is not None:
            event["fname_or_handle"] = _saving.path
        return super().add_lifecycle_event(event_name, log_level=log_level, **event)

    @classmethod
    def load(cls, *args, **kwargs):
        """Load a model saved by :meth:`save`; its loss's class must be importable."""
        with explain_missing_class():
            return super().load(*args, **kwargs)

    def __getstate__(self):
        # a running train()'s threads and kernel buffers never travel with a
        # pickle or a copy (a keep-the-best-epoch callback deep-copies the model)
        state = dict(self.__dict__)
        for attr in RUN_STATE:
            state.pop(attr, None)
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        self._run = None
        self._listeners = []

    def _load_specials(self, *args, **kwargs):
        super()._load_specials(*args, **kwargs)
        for attr, default in (("loss", None), ("backend", "auto"), ("loss_history", []), ("_listeners", []),
                              ("_run", None), ("shared_negatives", False)):
            if not hasattr(self, attr):
                setattr(self, attr, default)

    def to_gensim(self):
        """A stock gensim model (``gensim.models.Word2Vec`` for this class) with a
        copy of this model's vocabulary, vectors, output layers and settings.

        For a deployment that has gensim but not gensim_losses: the saved
        result loads with plain ``gensim.models.Word2Vec.load``. Left out:
        the loss, ``loss_history`` and the full-softmax layer, which stock
        gensim has no use for; stock ``train()`` continues with ``hs`` and
        ``negative`` as set.
        """
        cls = _gensim_class(self)
        stock = cls.__new__(cls)
        state = {k: v for k, v in self.__getstate__().items() if k not in OWN_ATTRIBUTES}
        stock.__dict__.update(copy.deepcopy(state))
        stock.add_lifecycle_event("converted", msg=f"from {type(self).__module__}.{type(self).__name__}")
        return stock
