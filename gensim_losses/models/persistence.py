"""Saving, loading, copying and handing models to and from stock gensim.

* :class:`Saving`, mixed into the model classes: a ``save`` that is all or
  nothing (below), a clear error when the loss cannot be pickled, a ``load``
  that names a missing loss class and gives a stock gensim model as this
  package's class, pickling and deep copies without the state of a running
  ``train()``, :meth:`Saving.to_gensim` and :meth:`Saving.from_gensim`.
* :func:`atomic_write`: one file written under a temporary name, flushed to
  disk and renamed into place.

The save format. gensim's ``save(path)`` writes a pickle at ``path`` and,
for its large arrays, ``.npy`` side files named after it
(``path.wv.vectors.npy``), which ``load(path)`` finds by those names.
Renaming several files into place is not one step: a process killed between
two renames leaves the pickle of one save beside side files of another. So
here every save names its side files with an id of its own,
``path.s<12 hex digits>.wv.vectors.npy``, records that id in its pickle,
writes the pickle under a temporary name beside ``path``, flushes them all to
disk, and renames the pickle onto ``path``: the commit, a single rename.
Before it ``path`` is the previous save, whose files are all still there;
after it, the new one, complete. Only then are the previous save's side files
and whatever killed saves left behind deleted. A model without side files is
one file, as in gensim.
"""

import logging
import os
import pickle
import re
import secrets
import stat
import threading
from contextlib import contextmanager
from copy import deepcopy

logger = logging.getLogger(__name__)

# what this package adds to a gensim model: left out of to_gensim(); RUN_STATE is the state of a
# running train(), never pickled or copied
RUN_STATE = ("_run", "_listeners", "_stop_requested", "_counts", "_epoch_offset", "_validation_every",
             "_checkpoint_run")
SAVE_ID = "_save_id"  # in a saved pickle that has side files: the id in their names
OWN_ATTRIBUTES = RUN_STATE + ("loss", "backend", "loss_history", "syn1softmax", "shared_negatives", SAVE_ID,
                             "train_totals", "best_epoch", "resume_state", "early_stopping")
LOAD_ATTEMPTS = 3  # a save that replaces the model while it loads makes load() start again
_saving = threading.local()  # .job: the save in progress in this thread (a _Write), if any
_OURS = {}  # stock gensim class -> the class of this package that extends it


def _own_defaults():
    """What a model of this package holds that a stock one lacks, with its value for a stock model."""
    return {"loss": None, "backend": "auto", "loss_history": [], "shared_negatives": False, "_run": None,
            "_listeners": []}


def _new_id():
    return "s" + secrets.token_hex(6)


def _tmp_pattern(name):
    """The temporary names of ``name`` (``.tmp-<id>-name``); the suffix keeps gensim's choice of compression."""
    return re.compile(r"\.tmp-s[0-9a-f]{12}-" + re.escape(name))


def _fsync(path, directory=False):
    """Flush ``path`` to disk; a directory's entries where the system allows."""
    try:
        fd = os.open(path, os.O_RDONLY | (getattr(os, "O_DIRECTORY", 0) if directory else 0))
    except OSError:
        if directory:
            return
        raise
    try:
        os.fsync(fd)
    except OSError:
        if not directory:
            raise
    finally:
        os.close(fd)


def _remove(*paths):
    for path in paths:
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass
        except OSError as exc:
            logger.warning("could not remove %s: %s", path, exc)


@contextmanager
def _exclusive(folder):
    """Hold an exclusive lock (``flock``) on ``folder`` where the system has one, so that saves into
    it from other threads and processes cannot remove each other's files half-way."""
    try:
        import fcntl
        fd = os.open(folder, os.O_RDONLY)
    except (ImportError, OSError):
        yield
        return
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
        except OSError:
            pass  # not supported there: go on unlocked, as before
        yield
    finally:
        os.close(fd)  # and with it the lock


class _Write:
    """One write of ``path``: the temporary name, and the side files written beside it."""

    def __init__(self, path, model=None):
        self.path = os.fspath(path)
        self.folder, self.name = os.path.split(self.path)
        self.id = _new_id()
        self.tmp = os.path.join(self.folder, f".tmp-{self.id}-{self.name}")
        self.model = model
        self.side = {}  # side file -> its gensim name (the name a save of gensim's would give it)

    def subname(self, gensim_subname):
        """gensim's side file namer (``_adapt_by_suffix``), giving this write's names instead."""
        def name(*parts):
            plain = gensim_subname(*parts)
            if not plain.startswith(self.tmp + "."):
                raise RuntimeError(f"gensim named a side file {plain!r}, not after {self.tmp!r}")
            rest = plain[len(self.tmp):]
            ours = f"{self.path}.{self.id}{rest}"
            self.side[ours] = self.path + rest
            return ours
        return name

    def commit(self, write):
        """``write(tmp)``, then make it ``path`` in one rename; on a failure before it, remove what was written."""
        committed = False
        try:
            os.close(os.open(self.tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))  # the mode open() gives
            if os.path.exists(self.path):  # or the mode of the file it replaces
                os.chmod(self.tmp, stat.S_IMODE(os.stat(self.path).st_mode))
            write(self.tmp)
            for name in (*self.side, self.tmp):
                _fsync(name)
            os.replace(self.tmp, self.path)
            committed = True
            _fsync(self.folder or os.curdir, directory=True)
        except BaseException:
            if not committed:
                _remove(self.tmp, *self.side)
            raise
        self.clean()

    def clean(self):
        """After the commit: remove the previous save's side files and what killed writes left."""
        try:
            names = os.listdir(self.folder or os.curdir)
        except OSError as exc:
            logger.warning("could not list %s to remove the files of earlier saves: %s", self.folder, exc)
            return
        tmp = _tmp_pattern(self.name)
        side = re.compile(re.escape(self.name) + r"\.(s[0-9a-f]{12})\..+")
        stale = [n for n in names if tmp.fullmatch(n) or ((m := side.fullmatch(n)) and m.group(1) != self.id)]
        stale = [os.path.join(self.folder, n) for n in stale]
        # side files of gensim's own naming, which an earlier save (stock gensim's) wrote for these arrays
        stale += [plain for plain in self.side.values() if os.path.exists(plain)]
        _remove(*stale)


def atomic_write(path, write):
    """Call ``write(tmp)`` on a temporary file beside ``path``, flush it to disk and rename it onto ``path``.

    The temporary name ends with ``path``'s own name, so a writer that picks
    compression by the extension (``.gz``, ``.bz2``) picks the same. On any
    failure the temporary file is removed and ``path`` is left as it was.
    One file: a model's save (with side files) is :meth:`Saving.save`.
    """
    job = _Write(path)
    with _exclusive(job.folder or os.curdir):
        job.commit(write)


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


def _gensim_base(cls):
    """The stock gensim class that ``cls`` is or extends (the first in its MRO), or None."""
    return next((c for c in cls.__mro__ if c.__module__.startswith("gensim.")), None)


def _gensim_class(model):
    """The stock gensim class a model class extends."""
    base = _gensim_base(type(model))
    if base is None:
        raise TypeError(f"{type(model).__name__} does not extend a gensim model class")
    return base


def _identity(path):
    """What tells one file at ``path`` from the next one renamed onto it, or None."""
    try:
        st = os.stat(path)
    except (OSError, TypeError, ValueError):
        return None
    return st.st_dev, st.st_ino, st.st_mtime_ns


def _named_by(fname, save_id, subname):
    """gensim's side file namer for a save loaded from ``fname``, giving the names with ``save_id``."""
    def name(*parts):
        plain = subname(*parts)
        return f"{fname}.{save_id}{plain[len(fname):]}"
    return name


class Saving:
    """Persistence of the model classes (mixed in before the gensim class)."""

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        base = _gensim_base(cls)
        if base is not None and cls.__module__.split(".")[0] == "gensim_losses":
            _OURS.setdefault(base, cls)  # the package's own classes, not a user's subclass of them

    def save(self, fname_or_handle, *args, **kwargs):
        """Save the model as gensim's ``save`` does, all or nothing for a path.

        The pickle and its ``.npy`` side files (gensim's, for arrays of at
        least ``sep_limit`` bytes) are written under names of this save's own
        and flushed to disk; one rename of the pickle onto the path then
        makes them the saved model. A save that fails or is killed (even by
        ``kill -9`` or a power cut) at any moment leaves the previous model
        at that path, complete, and ``load`` reads it; the next save removes
        what it left. Side files are named ``path.s<id>.wv.vectors.npy``
        rather than ``path.wv.vectors.npy``: ``load`` (this package's or
        stock gensim's) finds them by the path. Two saves to one directory
        take turns. A loss that cannot be pickled raises
        ``pickle.PicklingError`` naming it.
        """
        try:
            if isinstance(fname_or_handle, (str, os.PathLike)):
                job = _Write(fname_or_handle, model=self)
                with _exclusive(job.folder or os.curdir):
                    _saving.job = job
                    try:
                        job.commit(lambda tmp: super(Saving, self).save(tmp, *args, **kwargs))
                    finally:
                        _saving.job = None
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

    def _own_save(self):
        job = getattr(_saving, "job", None)
        return job if job is not None and job.model is self else None

    def _save_specials(self, fname, separately, sep_limit, ignore, pickle_protocol, compress, subname):
        job = self._own_save()
        if job is not None and fname == job.tmp:
            subname = job.subname(subname)  # the side files get this save's names
        return super()._save_specials(fname, separately, sep_limit, ignore, pickle_protocol, compress, subname)

    def add_lifecycle_event(self, event_name, log_level=logging.INFO, **event):
        """gensim's lifecycle log (``model.lifecycle_events``); a save records its target's name."""
        job = self._own_save()
        if event_name == "saving" and job is not None:
            event["fname_or_handle"] = job.path  # gensim's would name the temporary file
        return super().add_lifecycle_event(event_name, log_level=log_level, **event)

    @classmethod
    def load(cls, *args, **kwargs):
        """Load a model saved by :meth:`save`, as gensim's ``load`` does.

        Parameters
        ----------
        fname : str or os.PathLike
            The path given to :meth:`save`.
        mmap : str, optional
            gensim's: ``'r'`` maps the ``.npy`` side files read-only (the
            model can be queried and infer vectors, not trained), ``'c'``
            copy-on-write.

        Returns
        -------
        Word2Vec, FastText or Doc2Vec
            The model, of this package's class. A model saved by stock gensim
            (``gensim.models.Word2Vec`` and the like) comes back as this
            class, as :meth:`from_gensim` makes it, without a copy of its
            arrays: train it with a ``loss``, its ``loss_history`` fills. A
            stock FastText or Doc2Vec model loaded through ``Word2Vec.load``
            comes back as :class:`~gensim_losses.FastText` or
            :class:`~gensim_losses.Doc2Vec` (gensim's ``Word2Vec.load``
            returns the FastText or Doc2Vec model too).

        Notes
        -----
        A model saved with a loss needs that loss's class importable;
        otherwise ImportError names it. A save to ``fname`` that commits
        while this loads (from another process) removes the side files being
        read: the new save is loaded instead.
        """
        if args and isinstance(args[0], os.PathLike):
            args = (os.fspath(args[0]), *args[1:])
        fname = args[0] if args else kwargs.get("fname")
        for attempt in range(LOAD_ATTEMPTS):
            seen = _identity(fname)
            try:
                with explain_missing_class():
                    model = super().load(*args, **kwargs)
                break
            except FileNotFoundError:
                # a save committed meanwhile and removed the side files of the pickle being read
                if attempt == LOAD_ATTEMPTS - 1 or _identity(fname) in (seen, None):
                    raise
                logger.info("%s was saved again while it loaded: loading the new save", fname)
        return cls._adopt(model)

    @classmethod
    def _adopt(cls, model):
        """A loaded model as this package's class: a stock gensim model is converted, not copied."""
        if isinstance(model, Saving):
            return model
        base = _gensim_base(type(model))
        target = cls if base is _gensim_base(cls) else _OURS.get(base)
        return model if target is None else target._converted(model, copied=False)

    @classmethod
    def from_gensim(cls, model, copy=True):
        """This class's model with a stock gensim model's vocabulary, weights and settings.

        Parameters
        ----------
        model : gensim.models.Word2Vec, gensim.models.FastText or gensim.models.Doc2Vec
            A model of the stock class this class extends
            (``gensim.models.Word2Vec`` for :class:`gensim_losses.Word2Vec`),
            or of a subclass of it that is not another gensim model class.
        copy : bool, optional
            True (default): copy everything, the two models are independent.
            False: share the arrays and the vocabulary with ``model`` (no
            memory needed), which should not be used any more.

        Returns
        -------
        Word2Vec, FastText or Doc2Vec
            The model, of this class, with every attribute of ``model``
            (vocabulary, vectors, output layers, settings, random state):
            ``train()`` continues as stock gensim would, through this
            package's kernels. It has no loss (``hs`` and ``negative`` as
            set) and ``compute_loss`` is on, this package's default; assign
            ``model.loss`` to train with a loss, and ``loss_history`` gets a
            record per epoch. :meth:`to_gensim` converts back. A model of
            this class comes back copied (or as it is, ``copy=False``).

        Raises
        ------
        TypeError
            ``model`` is not of the stock class this class extends.
        """
        if isinstance(model, cls):
            return deepcopy(model) if copy else model
        expected = _gensim_base(cls)
        if isinstance(model, Saving) or _gensim_base(type(model)) is not expected:
            raise TypeError(f"{cls.__name__}.from_gensim() takes a {expected.__module__}.{expected.__name__}, "
                            f"got {type(model).__module__}.{type(model).__name__}")
        return cls._converted(model, copied=copy)

    @classmethod
    def _converted(cls, model, copied):
        new = cls.__new__(cls)
        new.__dict__.update(deepcopy(model.__dict__) if copied else model.__dict__)
        new.__dict__.update(_own_defaults())
        new.compute_loss = True  # exact and cheap here; stock gensim's default is off
        new.add_lifecycle_event("converted", msg=f"from {type(model).__module__}.{type(model).__name__}")
        return new

    def __getstate__(self):
        # a running train()'s threads and kernel buffers never travel with a
        # pickle or a copy (a keep-the-best-epoch callback deep-copies the model)
        state = dict(self.__dict__)
        for attr in RUN_STATE + (SAVE_ID,):
            state.pop(attr, None)
        job = self._own_save()
        if job is not None and job.side:
            state[SAVE_ID] = job.id  # where load() finds this save's side files
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        self._run = None
        self._listeners = []

    def _load_specials(self, fname, mmap, compress, subname):
        save_id = self.__dict__.pop(SAVE_ID, None)
        if save_id is not None:
            subname = _named_by(fname, save_id, subname)
        super()._load_specials(fname, mmap, compress, subname)
        for attr, default in _own_defaults().items():  # a model saved by an earlier version of this package
            if not hasattr(self, attr):
                setattr(self, attr, default)

    def to_gensim(self):
        """A stock gensim model (``gensim.models.Word2Vec`` for this class) with a
        copy of this model's vocabulary, vectors, output layers and settings.

        For a deployment that has gensim but not gensim_losses: the saved
        result loads with plain ``gensim.models.Word2Vec.load``. Left out:
        the loss, ``loss_history`` and the full-softmax layer, which stock
        gensim has no use for; stock ``train()`` continues with ``hs`` and
        ``negative`` as set. :meth:`from_gensim` converts back.
        """
        cls = _gensim_class(self)
        stock = cls.__new__(cls)
        state = {k: v for k, v in self.__getstate__().items() if k not in OWN_ATTRIBUTES}
        stock.__dict__.update(deepcopy(state))
        stock.add_lifecycle_event("converted", msg=f"from {type(self).__module__}.{type(self).__name__}")
        return stock

