"""Loss objects: configuration, model binding and composition.

The math lives in :mod:`gensim_losses.losses.functional`; the classes here hold
configuration (how many negatives, a penalty's weight, reference vectors),
read what they need from a bound gensim ``Word2Vec`` and combine:
``a + b`` is a :class:`SumLoss`, ``0.1 * a`` a :class:`ScaledLoss`, and a
loss held as an attribute of another is one of its children, as submodules
are in torch.

The contract (see ``DESIGN.md``): ``forward(target, output)`` returns the
per-example loss, shape ``(n,)``; ``backward(target, output)`` returns the
gradient of the summed loss with respect to ``output``, shape ``(n, d)``.
``target`` holds integer vocabulary indices, ``output`` the hidden vectors
``h`` as a :class:`LossArray` (an ndarray with ``.norm()`` and
``.normalize()``). The numpy forward/backward here are the *reference* path:
exact, vectorised over a batch, slow next to the kernels they check.
"""

import inspect
import logging
import math
import numbers
import re
import threading
from contextlib import contextmanager
from typing import NamedTuple

import numpy as np

from gensim_losses.losses import functional as F

logger = logging.getLogger(__name__)

__all__ = [
    "AnchorPenalty",
    "BaseLoss",
    "CustomLoss",
    "DirectionPenalty",
    "ExampleBatch",
    "GlobalContextLoss",
    "GroupNegativeLoss",
    "HierarchicalSoftmaxLoss",
    "L2Penalty",
    "LexiconPenalty",
    "LossArray",
    "LossError",
    "NEGSamplingLoss",
    "NormPenalty",
    "Objective",
    "ObjectiveResult",
    "Penalty",
    "ScaledLoss",
    "SoftmaxLoss",
    "SumLoss",
    "as_output",
    "call_backward",
    "call_forward",
    "gradcheck",
    "muted",
]

_muted = threading.local()


@contextmanager
def muted(objectives):
    """In this thread, make ``objectives`` contribute zero loss and gradient.

    The hybrid path traces "the rest" of a user's composite this way: the
    composite itself, live (a callback may change its state between jobs),
    with its objective children silenced because the kernels train them.
    """
    previous = getattr(_muted, "ids", frozenset())
    _muted.ids = previous | {id(o) for o in objectives}
    try:
        yield
    finally:
        _muted.ids = previous


class LossError(ValueError):
    """A loss is misconfigured, unbound, or returned something off-contract."""


# ----------------------------------------------------------------------------- arrays
class LossArray(np.ndarray):
    """The ``output`` handed to losses: an ndarray of hidden vectors, shape ``(n, d)``.

    Adds the two helpers tutorial code calls on ``output``. Both return plain
    ndarrays, so results of a loss never carry this class further.
    """

    def norm(self):
        """Row L2 norms, shape ``(n,)``, in the array's dtype."""
        a = np.asarray(self)
        return np.sqrt(np.einsum("...d,...d->...", a, a))

    def normalize(self):
        """Rows scaled to unit length; zero rows stay zero (the subgradient of ``||h||`` at 0)."""
        a = np.asarray(self)
        norm = self.norm()
        safe = np.where(norm > 0, norm, np.ones_like(norm))
        return a / safe[..., None]


def as_output(x):
    """View ``x`` as a ``(n, d)`` :class:`LossArray`: float32, or float64 if given float64.

    float64 is kept so that :func:`gradcheck` can difference in double
    precision; anything else becomes float32, the dtype of the model's
    weights. No copy is made when ``x`` is already contiguous in that dtype.
    """
    arr = np.asarray(x)
    dtype = np.float64 if arr.dtype == np.float64 else np.float32
    arr = np.ascontiguousarray(arr, dtype=dtype)
    if arr.ndim != 2:
        raise LossError(f"output must have shape (n, vector_size), got shape {arr.shape}")
    return arr.view(LossArray)


def hidden_size(model):
    """The width of a model's h and of its output layers' rows: ``layer1_size``, which
    is ``vector_size`` except in Doc2Vec's ``dm_concat=1`` (a concatenation of rows)."""
    return getattr(model, "layer1_size", None) or model.wv.vector_size


def _loss_input(target, output):
    output = output if isinstance(output, LossArray) and output.ndim == 2 else as_output(output)
    return np.asarray(target), output


# ----------------------------------------------------------------------------- validation
def _check_weight(value, what):
    """A penalty weight: a finite real number >= 0."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise LossError(f"{what} must be a real number, got {value!r}")
    value = float(value)
    if not math.isfinite(value):
        raise LossError(f"{what} must be finite, got {value!r}")
    if value < 0:
        raise LossError(f"{what} must be >= 0, got {value!r}")
    return value


def _check_scale(value):
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return None
    value = float(value)
    if not math.isfinite(value):
        raise LossError(f"a loss can only be scaled by a finite number, got {value!r}")
    return value


class ExampleBatch(NamedTuple):
    """What the kernels know about each example, for terms that ask for it.

    The optional extension of the contract: a loss whose ``forward`` and
    ``backward`` take a third argument named ``batch`` is called as
    ``forward(target, output, batch)`` with one of these; a two-argument
    loss is called as before. Ragged fields are CSR pairs: example ``e``'s
    input words are ``input_ids[input_offsets[e]:input_offsets[e + 1]]``.

    Attributes
    ----------
    input_ids, input_offsets : ndarray of int
        The vocabulary indices of the input words that form each example's
        ``h``: the context word in skip-gram, the window in CBOW.
    weight : ndarray of float32, shape (n,)
        The weight of each example's sentence (``Sentence.weight``; 1.0 for
        a plain item). The model already scales every term's loss and
        gradient by it: a term reads it only to do something else with it.
    context_ids, context_offsets : ndarray of int
        The vocabulary indices of each example's sentence context
        (``Sentence.context``, tokens outside the vocabulary dropped).
    """

    input_ids: np.ndarray
    input_offsets: np.ndarray
    weight: np.ndarray
    context_ids: np.ndarray
    context_offsets: np.ndarray

    def __len__(self):
        return len(self.weight)

    def inputs(self, e):
        """The input word ids of example ``e``."""
        return self.input_ids[self.input_offsets[e]:self.input_offsets[e + 1]]

    def context(self, e):
        """The sentence-context word ids of example ``e``."""
        return self.context_ids[self.context_offsets[e]:self.context_offsets[e + 1]]

    @classmethod
    def of(cls, input_ids=None, weight=None, context=None, n=None):
        """A batch from per-example lists (for tests, ``gradcheck`` and notebooks).

        ``input_ids`` and ``context``: one sequence of word ids per example;
        ``weight``: one float per example (default 1.0).
        """
        if n is None:
            n = len(next(x for x in (input_ids, weight, context) if x is not None))
        input_ids = [[]] * n if input_ids is None else input_ids
        context = [[]] * n if context is None else context
        weight = np.ones(n, np.float32) if weight is None else np.asarray(weight, np.float32)

        def csr(lists):
            offsets = np.zeros(n + 1, dtype=np.int64)
            np.cumsum([len(x) for x in lists], out=offsets[1:])
            flat = np.concatenate([np.asarray(x, dtype=np.int64) for x in lists]) if offsets[-1] else \
                np.zeros(0, np.int64)
            return flat, offsets

        return cls(*csr(input_ids), weight, *csr(context))


_TAKES_BATCH = {}


def takes_batch(method):
    """Whether a bound ``forward``/``backward`` accepts the third argument ``batch``."""
    func = getattr(method, "__func__", method)
    found = _TAKES_BATCH.get(func)
    if found is None:
        try:
            found = "batch" in inspect.signature(func).parameters
        except (TypeError, ValueError):
            found = False
        _TAKES_BATCH[func] = found
    return found


def _call(method, target, output, batch):
    if takes_batch(method):
        return method(target, output, batch=batch)
    return method(target, output)


def call_forward(loss, target, output, batch=None):
    """Run ``loss.forward`` and hold it to the contract.

    ``batch`` (an :class:`ExampleBatch`) is passed on when the loss's
    ``forward`` takes it.

    Returns
    -------
    ndarray of float64, shape (n,)
        A scalar result means "this loss for every example" and is broadcast.

    Raises
    ------
    LossError
        Naming the loss class, the expected and the received shape, when
        the result is not one loss per example.
    """
    target, output = _loss_input(target, output)
    n = output.shape[0]
    result = _call(loss.forward, target, output, batch)
    cls = type(loss).__name__
    try:
        arr = np.asarray(result, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise LossError(f"{cls}.forward returned {type(result).__name__}, expected a float array of "
                        f"shape ({n},) (one loss per example)") from exc
    if arr.ndim == 0:
        return np.full(n, float(arr))
    if arr.shape != (n,):
        raise LossError(f"{cls}.forward returned shape {arr.shape}, expected shape ({n},) "
                        f"(one loss per example) or a scalar")
    return arr


def call_backward(loss, target, output, batch=None):
    """Run ``loss.backward`` and hold it to the contract (``batch`` as in :func:`call_forward`).

    Returns
    -------
    ndarray, shape (n, d), float dtype
        The loss's gradient, as returned (not copied, not cast).

    Raises
    ------
    LossError
        Naming the loss class, the expected and the received shape or dtype.
    """
    target, output = _loss_input(target, output)
    expected = output.shape
    result = _call(loss.backward, target, output, batch)
    cls = type(loss).__name__
    arr = np.asarray(result)
    if arr.shape != expected:
        raise LossError(f"{cls}.backward returned shape {arr.shape}, expected shape {expected} "
                        f"(the gradient w.r.t. output)")
    if not np.issubdtype(arr.dtype, np.floating):
        raise LossError(f"{cls}.backward returned dtype {arr.dtype}, expected a float dtype "
                        f"(float32 or float64) of shape {expected}")
    return arr


# ----------------------------------------------------------------------------- base class
def _snake_case(name):
    name = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", name)
    return re.sub(r"([a-z\d])([A-Z])", r"\1_\2", name).lower()


class BaseLoss:
    """Base class of every loss; subclass it and write ``forward`` and ``backward``.

    Subclasses need not call ``super().__init__()``: children are found by
    looking at the instance's attributes, not at a registry filled in
    ``__init__``.

    Attributes
    ----------
    term : str or None
        Class attribute: the name this loss's share gets in loss records.
        ``None`` means the snake_case class name (see :attr:`name`).
    """

    term = None
    # attributes that are bound state, not configuration: reset to None on
    # pickling and deep copying (a loss saved inside a model must not copy the
    # model); bind again after loading
    _transient = ()
    # let numpy scalars defer to our __rmul__ instead of broadcasting over us
    __array_ufunc__ = None

    # -- the contract
    def forward(self, target, output):
        """Per-example loss, shape ``(n,)``, for vocabulary indices ``target`` and hidden vectors ``output``."""
        raise NotImplementedError(
            f"{type(self).__name__} does not implement forward(target, output): it must return the "
            f"per-example loss, shape (n,)")

    def backward(self, target, output):
        """Gradient of ``forward(target, output).sum()`` with respect to ``output``, shape ``(n, d)``."""
        raise NotImplementedError(
            f"{type(self).__name__} does not implement backward(target, output): it must return the "
            f"gradient of the summed loss with respect to output, shape (n, d)")

    def __call__(self, target, output, batch=None):
        target, output = _loss_input(target, output)
        return _call(self.forward, target, output, batch)

    def bind(self, model):
        """Attach to a trained or initialised gensim ``Word2Vec``; binds every child. Returns self."""
        for _, child in self.named_children():
            child.bind(model)
        return self

    # -- naming and children
    @property
    def name(self):
        """Term name in loss records: an instance override, else ``term``, else the snake_case class name."""
        override = vars(self).get("_name")
        if override is not None:
            return override
        return self.term if self.term is not None else _snake_case(type(self).__name__)

    @name.setter
    def name(self, value):
        self._name = str(value)

    def named_children(self):
        """``(attribute name, loss)`` for each loss held directly, also inside lists, tuples and dicts."""
        for attr, value in vars(self).items():
            if isinstance(value, BaseLoss):
                yield attr, value
            elif isinstance(value, (list, tuple)):
                for i, item in enumerate(value):
                    if isinstance(item, BaseLoss):
                        yield f"{attr}.{i}", item
            elif isinstance(value, dict):
                for key, item in value.items():
                    if isinstance(item, BaseLoss):
                        yield f"{attr}.{key}", item

    def children(self):
        """The losses of :meth:`named_children`."""
        for _, child in self.named_children():
            yield child

    def named_modules(self, prefix=""):
        """``(dotted path, loss)`` for self (path ``prefix``) and every descendant, each once."""
        seen = set()

        def walk(loss, path):
            if id(loss) in seen:
                return
            seen.add(id(loss))
            yield path, loss
            for attr, child in loss.named_children():
                yield from walk(child, f"{path}.{attr}" if path else attr)

        yield from walk(self, prefix)

    def modules(self):
        """Self, then every descendant loss depth-first, each object once."""
        for _, loss in self.named_modules():
            yield loss

    # -- composition
    def __add__(self, other):
        if isinstance(other, numbers.Number) and other == 0:
            return self  # so that sum([a, b]) starts from 0
        if not isinstance(other, BaseLoss):
            return NotImplemented
        return SumLoss(self, other)

    def __radd__(self, other):
        if isinstance(other, numbers.Number) and other == 0:
            return self
        if not isinstance(other, BaseLoss):
            return NotImplemented
        return SumLoss(other, self)

    def __mul__(self, other):
        scale = _check_scale(other)
        if scale is None:
            return NotImplemented
        return ScaledLoss(self, scale)

    __rmul__ = __mul__

    def __truediv__(self, other):
        scale = _check_scale(other)
        if scale is None:
            return NotImplemented
        if scale == 0:
            raise LossError("cannot divide a loss by zero")
        return ScaledLoss(self, 1.0 / scale)

    def __neg__(self):
        return ScaledLoss(self, -1.0)

    # -- pickling: configuration only
    def __getstate__(self):
        state = dict(vars(self))
        for cls in type(self).__mro__:
            for attr in vars(cls).get("_transient", ()):
                if attr in state:
                    state[attr] = None
        return state

    def __setstate__(self, state):
        vars(self).update(state)

    def __repr__(self):
        fields = ", ".join(f"{k}={v!r}" for k, v in vars(self).items() if not k.startswith("_"))
        return f"{type(self).__name__}({fields})"


class SumLoss(BaseLoss):
    r"""Sum of losses: :math:`\ell = \sum_i \ell_i`. Built by ``a + b``; nested sums are flattened.

    Parameters
    ----------
    *terms : BaseLoss
    """

    def __init__(self, *terms):
        flat = []
        for t in terms:
            if not isinstance(t, BaseLoss):
                raise LossError(f"SumLoss terms must be losses, got {type(t).__name__}")
            flat.extend(t.terms if type(t) is SumLoss else [t])
        if not flat:
            raise LossError("SumLoss needs at least one term")
        self.terms = flat

    def forward(self, target, output, batch=None):
        return sum(call_forward(t, target, output, batch) for t in self.terms)

    def backward(self, target, output, batch=None):
        total = np.zeros(output.shape, dtype=output.dtype)
        for t in self.terms:
            total += call_backward(t, target, output, batch)
        return total

    def __repr__(self):
        return " + ".join(repr(t) for t in self.terms)


class ScaledLoss(BaseLoss):
    r"""A loss times a constant: :math:`\ell = c\,\ell_0`. Built by ``c * a`` or ``a * c``.

    Parameters
    ----------
    loss : BaseLoss
    scale : float
        Finite; nested scalings are folded into one.
    """

    def __init__(self, loss, scale):
        if not isinstance(loss, BaseLoss):
            raise LossError(f"ScaledLoss wraps a loss, got {type(loss).__name__}")
        scale = _check_scale(scale)
        if scale is None:
            raise LossError("ScaledLoss scale must be a real number")
        while type(loss) is ScaledLoss:
            scale *= loss.scale
            loss = loss.loss
        self.loss = loss
        self.scale = scale

    def forward(self, target, output, batch=None):
        return self.scale * call_forward(self.loss, target, output, batch)

    def backward(self, target, output, batch=None):
        return self.scale * call_backward(self.loss, target, output, batch)

    def __repr__(self):
        inner = repr(self.loss)
        if isinstance(self.loss, SumLoss):
            inner = f"({inner})"
        return f"{self.scale!r} * {inner}"


# ----------------------------------------------------------------------------- objectives
class ObjectiveResult(NamedTuple):
    """Everything one reference evaluation of an objective produces.

    ``grad_rows[i]`` is the gradient w.r.t. output-layer row ``rows[i]``
    (``rows`` has the leading shape of ``grad_rows`` minus the last axis), so
    ``np.add.at(weights, rows, -alpha * grad_rows)`` applies an SGD step;
    padding and skipped negatives have zero gradient.
    """

    loss: np.ndarray       # (n,)
    grad_h: np.ndarray     # (n, d)
    grad_rows: np.ndarray  # (n, k, d), or (V, d) for the full softmax
    rows: np.ndarray       # (n, k) indices into the output layer, or (V,)


class Objective(BaseLoss):
    """Base of the training objectives (NS, HS, full softmax).

    For an objective ``target`` is the word to predict and ``output`` the
    hidden vector ``h``. An objective reads the output layer of a bound
    gensim ``Word2Vec`` at call time, so it always sees the current weights.

    Attributes
    ----------
    weights_name : str
        Class attribute: the model attribute holding the output layer.
    """

    weights_name = None
    _transient = ("_model",)

    def bind(self, model):
        self._check_model(model)
        self._model = model
        return super().bind(model)

    @property
    def is_bound(self):
        """True once a model has bound the objective (at ``train()``)."""
        return getattr(self, "_model", None) is not None

    @property
    def model(self):
        """The bound model; LossError when unbound."""
        model = getattr(self, "_model", None)
        if model is None:
            raise LossError(f"{type(self).__name__} is not bound to a model: call loss.bind(model) with a "
                            f"gensim Word2Vec, or train a Word2Vec with this loss first")
        return model

    def _check_model(self, model):
        wv = getattr(model, "wv", None)
        if wv is None or len(wv.index_to_key) == 0:
            raise LossError(f"{type(self).__name__}.bind needs a Word2Vec with a vocabulary: "
                            f"call build_vocab() first")
        self._check_weights(model)

    def _check_weights(self, model):
        weights = getattr(model, self.weights_name, None)
        shape = (len(model.wv.index_to_key), hidden_size(model))
        if weights is None or np.shape(weights) != shape:
            got = "is missing" if weights is None else f"has shape {np.shape(weights)}"
            raise LossError(f"{type(self).__name__} needs model.{self.weights_name} of shape {shape}; "
                            f"it {got}{self._weights_hint()}")
        return weights

    def _weights_hint(self):
        return ""

    def weights(self):
        """The bound model's output layer for this objective, as it is now."""
        return self._check_weights(self.model)

    def _prepare(self, target, output):
        model = self.model
        h = np.asarray(output)
        d = hidden_size(model)
        cls = type(self).__name__
        if h.ndim != 2 or h.shape[1] != d:
            raise LossError(f"{cls}: output must have shape (n, {d}), got shape {h.shape}")
        target = np.asarray(target)
        if target.shape != (h.shape[0],):
            raise LossError(f"{cls}: target must have shape ({h.shape[0]},), got shape {target.shape}")
        if not np.issubdtype(target.dtype, np.integer):
            if target.size:
                raise LossError(f"{cls}: target must hold integer vocabulary indices, got dtype {target.dtype}")
            target = target.astype(np.intp)
        vocab = len(model.wv.index_to_key)
        if target.size and (target.min() < 0 or target.max() >= vocab):
            raise LossError(f"{cls}: target indices must be in [0, {vocab}), got [{target.min()}, {target.max()}]")
        return target.astype(np.intp, copy=False), h

    def compute(self, target, output):
        """Loss and all gradients of a batch: an :class:`ObjectiveResult`."""
        raise NotImplementedError(f"{type(self).__name__} does not implement compute(target, output)")

    def forward(self, target, output):
        if id(self) in getattr(_muted, "ids", ()):
            return np.zeros(len(target), dtype=np.float64)
        return self.compute(target, output).loss

    def backward(self, target, output):
        if id(self) in getattr(_muted, "ids", ()):
            return np.zeros(np.shape(output), dtype=np.float32)
        return self.compute(target, output).grad_h


class NEGSamplingLoss(Objective):
    r"""Negative sampling (Mikolov et al. 2013), gensim's ``negative=k``.

    .. math::

        \ell(t, h) = -\log\sigma(u_t \cdot h) - \sum_{j=1}^{k} \log\sigma(-u_{w_j} \cdot h),
        \qquad w_j \sim P(w) \propto \mathrm{count}(w)^{\alpha}

    with ``u`` the rows of ``model.syn1neg`` and ``alpha`` the ``ns_exponent``.
    Negatives equal to the target are dropped, as the kernels and gensim do.

    Parameters
    ----------
    negative : int, optional
        Negatives per example, ``k``. None: the model's ``negative``.
    ns_exponent : float, optional
        Exponent of the unigram distribution. None: the model's, whose
        ``cum_table`` is then used as is.
    seed : int, optional
        Seed of the negatives' generator. None: the model's ``seed``.

    Notes
    -----
    Each ``forward``/``backward``/``compute`` call draws its negatives from a
    fresh ``np.random.default_rng(seed)``, so a forward and a backward of the
    same batch see the same negatives (what :func:`gradcheck` relies on).
    A training loop on this reference path should change :attr:`seed` per
    batch, or every batch of a given size draws the same negatives.
    """

    term = "ns"
    weights_name = "syn1neg"
    _transient = ("_own_cum",)

    def __init__(self, negative=None, ns_exponent=None, seed=None):
        if negative is not None and (isinstance(negative, bool) or not isinstance(negative, numbers.Integral)
                                     or negative < 1):
            raise LossError(f"NEGSamplingLoss negative must be a positive integer or None, got {negative!r}")
        if ns_exponent is not None:
            ns_exponent = float(ns_exponent)
            if not math.isfinite(ns_exponent):
                raise LossError(f"NEGSamplingLoss ns_exponent must be finite, got {ns_exponent!r}")
        self.negative = None if negative is None else int(negative)
        self.ns_exponent = ns_exponent
        self.seed = seed

    def _weights_hint(self):
        return " (gensim creates it when negative > 0)"

    def _check_model(self, model):
        super()._check_model(model)
        if self.negative is None and not getattr(model, "negative", 0):
            raise LossError("NEGSamplingLoss(negative=None) takes the model's negative, which is 0: "
                            "pass NEGSamplingLoss(negative=k) or set negative=k on the model")

    def resolved(self):
        """``(negative, ns_exponent, seed)`` after filling Nones from the bound model."""
        model = self.model
        k = self.negative if self.negative is not None else int(model.negative)
        exponent = self.ns_exponent if self.ns_exponent is not None else float(model.ns_exponent)
        seed = self.seed if self.seed is not None else int(getattr(model, "seed", 0))
        return k, exponent, seed

    def cum_table(self):
        """Cumulative unigram^ns_exponent table over the model's vocabulary, gensim's layout."""
        model = self.model
        _, exponent, _ = self.resolved()
        vocab = len(model.wv.index_to_key)
        table = getattr(model, "cum_table", None)
        if exponent == model.ns_exponent and table is not None and len(table) == vocab:
            return table
        counts = model.wv.expandos["count"]
        own = getattr(self, "_own_cum", None)
        if own is None or own[0] is not counts or own[1] != exponent:
            # gensim's make_cum_table, without writing to the model (imported here: vocab imports the
            # engine, which imports this module)
            from gensim_losses.text.vocab import cum_table

            self._own_cum = own = (counts, exponent, cum_table(counts[:vocab], exponent))
        return own[2]

    def draw_negatives(self, n):
        """``(n, k)`` negative indices, drawn from a fresh generator seeded with the resolved seed."""
        k, _, seed = self.resolved()
        table = self.cum_table()
        rng = np.random.default_rng(seed)
        x = rng.integers(0, int(table[-1]), size=(n, k), dtype=np.int64)
        # first word whose cumulative count exceeds x: the kernel's inverse-CDF search
        return np.searchsorted(table, x, side="right").astype(np.intp)

    def compute(self, target, output, negatives=None, step=None):
        """Loss and all gradients of a batch (:class:`ObjectiveResult`).

        ``negatives`` ``(n, k)`` replaces the draws (the reference path
        replays the kernels'). ``step`` (the learning rate times the term's
        weight) makes it the SGD replay of one training step, as the kernels
        take it: each example's output rows step right after their terms, so a
        negative drawn twice is scored the second time against its moved row
        (``functional.negative_sampling``). Default: the
        exact gradient at the current weights, what ``forward`` and
        ``backward`` give."""
        target, h = self._prepare(target, output)
        weights = self.weights()
        negatives = self.draw_negatives(len(target)) if negatives is None else np.asarray(negatives, np.intp)
        rows = np.concatenate([target[:, None], negatives], axis=1)
        mask = np.ones(rows.shape, dtype=bool)
        mask[:, 1:] = negatives != target[:, None]
        loss, grad_h, grad_rows = F.negative_sampling(h, weights[rows], mask=mask, ids=rows, step=step)
        return ObjectiveResult(loss, grad_h, grad_rows, rows)


class HierarchicalSoftmaxLoss(Objective):
    r"""Hierarchical softmax over gensim's Huffman tree, gensim's ``hs=1``.

    .. math::

        \ell(t, h) = -\sum_{b=1}^{L_t} \log\sigma\big((1 - 2 c_{t,b})\, u_{p_{t,b}} \cdot h\big)

    with ``p_t`` and ``c_t`` the target's Huffman path (``wv.expandos['point']``)
    and code (``wv.expandos['code']``) and ``u`` the rows of ``model.syn1``.
    """

    term = "hs"
    weights_name = "syn1"
    _transient = ("_paths",)

    def _weights_hint(self):
        return " (gensim creates it when hs=1)"

    def _check_model(self, model):
        super()._check_model(model)
        if "code" not in model.wv.expandos or "point" not in model.wv.expandos:
            raise LossError("HierarchicalSoftmaxLoss needs the model's Huffman tree "
                            "(wv.expandos['code'] and ['point']): build the vocabulary with hs=1")

    def paths(self):
        """``(codes, points, mask)``, each ``(V, L)``: every word's Huffman path padded to the longest."""
        wv = self.model.wv
        codes_obj, points_obj = wv.expandos["code"], wv.expandos["point"]
        cached = getattr(self, "_paths", None)
        # the tree only changes when the vocabulary is rebuilt, which replaces these arrays
        if cached is not None and cached[0] is codes_obj and cached[1] is points_obj:
            return cached[2]
        lengths = np.fromiter((len(c) for c in codes_obj), dtype=np.intp, count=len(codes_obj))
        mask = np.arange(max(int(lengths.max(initial=0)), 1)) < lengths[:, None]
        codes = np.zeros(mask.shape, dtype=np.uint8)
        points = np.zeros(mask.shape, dtype=np.intp)
        if lengths.sum():
            # boolean assignment fills row-major, the order of the concatenation
            codes[mask] = np.concatenate(list(codes_obj))
            points[mask] = np.concatenate(list(points_obj))
        self._paths = (codes_obj, points_obj, (codes, points, mask))
        return self._paths[2]

    def compute(self, target, output):
        target, h = self._prepare(target, output)
        weights = self.weights()
        codes, points, mask = self.paths()
        rows = points[target]
        loss, grad_h, grad_rows = F.hierarchical_softmax(h, weights[rows], codes[target], mask[target])
        return ObjectiveResult(loss, grad_h, grad_rows, rows)


class SoftmaxLoss(Objective):
    r"""Full softmax (cross-entropy) over the whole vocabulary.

    .. math::

        \ell(t, h) = \log \sum_{w=1}^{V} \exp(u_w \cdot h) - u_t \cdot h

    with ``u`` the rows of ``model.syn1softmax``, shape ``(V, d)``. Exact and
    O(V) per example: meant for small vocabularies and as a reference.
    """

    term = "softmax"
    weights_name = "syn1softmax"

    def _weights_hint(self):
        return " (the model creates it when trained with loss=SoftmaxLoss())"

    def compute(self, target, output):
        target, h = self._prepare(target, output)
        weights = self.weights()
        loss, grad_h, grad_weights = F.softmax(h, weights, target)
        return ObjectiveResult(loss, grad_h, grad_weights, np.arange(len(weights)))


# ----------------------------------------------------------------------------- penalties
class Penalty(BaseLoss):
    """Base of the penalties on the hidden vector ``h`` (``output``).

    Parameters
    ----------
    weight : float
        Finite and >= 0.
    """

    def __init__(self, weight):
        self.weight = weight

    @property
    def weight(self):
        """The penalty's factor λ, a finite number >= 0 (checked when set)."""
        return self._weight

    @weight.setter
    def weight(self, value):
        self._weight = _check_weight(value, f"{type(self).__name__} weight")

    def compute(self, target, output):
        """``(loss, grad_h)`` of a batch."""
        raise NotImplementedError(f"{type(self).__name__} does not implement compute(target, output)")

    def _h(self, output):
        h = np.asarray(output)
        if h.ndim != 2:
            raise LossError(f"{type(self).__name__}: output must have shape (n, d), got shape {h.shape}")
        return h

    def forward(self, target, output):
        return self.compute(target, output)[0]

    def backward(self, target, output):
        return self.compute(target, output)[1]

    def __repr__(self):
        return f"{type(self).__name__}(weight={self.weight!r})"


class NormPenalty(Penalty):
    r"""``weight * ||h||``: :math:`\ell = \lambda \lVert h \rVert_2`.

    Gradient :math:`\lambda h / \lVert h \rVert_2`, 0 at ``h = 0``.

    The penalty of the tutorial's ``CustomLoss``.
    """

    term = "norm"

    def compute(self, target, output):
        return F.norm_penalty(self._h(output), self.weight)


class L2Penalty(Penalty):
    r"""Weight decay on h: :math:`\ell = \frac{\lambda}{2} \lVert h \rVert_2^2`, gradient :math:`\lambda h`."""

    term = "l2"

    def compute(self, target, output):
        return F.l2_penalty(self._h(output), self.weight)


class AnchorPenalty(Penalty):
    r"""Pull vectors towards pretrained ones: :math:`\ell = \frac{\lambda}{2} \lVert h - r_w \rVert_2^2`.

    ``r_w`` is the reference vector of word ``w``; words absent from the
    reference cost nothing. Here ``target`` is read as the indices of the
    words whose vectors are in ``output`` (in skip-gram, the context word,
    whose input vector is ``h``), not as the word to predict.

    Parameters
    ----------
    reference : gensim KeyedVectors
        Pretrained vectors, of the model's ``vector_size``; those of the
        model's words must be finite in float32 (checked at :meth:`bind`).
    weight : float
        Finite and >= 0.

    Attributes
    ----------
    vectors : ndarray of float32, shape (V, d)
        After :meth:`bind`: the reference vector of each model word (zeros if absent).
    mask : ndarray of bool, shape (V,)
        After :meth:`bind`: whether each model word is in the reference.
    """

    term = "anchor"
    _transient = ("vectors", "mask")

    def __init__(self, reference, weight):
        if not hasattr(reference, "key_to_index") or not hasattr(reference, "vectors"):
            raise LossError(f"AnchorPenalty reference must be a gensim KeyedVectors, "
                            f"got {type(reference).__name__}")
        super().__init__(weight)
        self.reference = reference
        self.vectors = None
        self.mask = None

    def bind(self, model):
        wv = model.wv
        ref = self.reference
        ref_vectors = np.asarray(ref.vectors)
        ref_size = ref_vectors.shape[1] if ref_vectors.ndim == 2 else getattr(ref, "vector_size", None)
        if ref_size != wv.vector_size:
            raise LossError(f"AnchorPenalty: reference vectors have size {ref_size}, the model's have size "
                            f"{wv.vector_size}")
        index = np.fromiter((ref.key_to_index.get(k, -1) for k in wv.index_to_key), dtype=np.intp,
                            count=len(wv.index_to_key))
        mask = index >= 0
        vectors = np.zeros((len(index), wv.vector_size), dtype=np.float32)
        with np.errstate(over="ignore", invalid="ignore"):
            vectors[mask] = ref_vectors[index[mask]]
        bad = np.flatnonzero(~np.isfinite(vectors).all(axis=1))
        if bad.size:
            # a NaN or inf anchor would make the model's vectors NaN: training would diverge at once
            named = ", ".join(repr(wv.index_to_key[i]) for i in bad[:5]) + (", ..." if bad.size > 5 else "")
            raise LossError(f"AnchorPenalty: the reference vectors of {bad.size} of the model's words are not "
                            f"finite in float32 (NaN, inf, or beyond 3.4e38): {named}; expected finite vectors "
                            f"(fix those rows, or leave those words out of the reference)")
        self.vectors, self.mask = vectors, mask
        return super().bind(model)

    def compute(self, target, output):
        if getattr(self, "vectors", None) is None:
            raise LossError("AnchorPenalty is not bound to a model: call loss.bind(model) with a gensim "
                            "Word2Vec, or train a Word2Vec with this loss first")
        h = self._h(output)
        target = np.asarray(target)
        if h.shape[1] != self.vectors.shape[1]:
            raise LossError(f"AnchorPenalty: output must have shape (n, {self.vectors.shape[1]}), "
                            f"got shape {h.shape}")
        if target.shape != (h.shape[0],) or (target.size and not np.issubdtype(target.dtype, np.integer)):
            raise LossError(f"AnchorPenalty: target must be integer word indices of shape ({h.shape[0]},), "
                            f"got {target.dtype} of shape {target.shape}")
        target = target.astype(np.intp, copy=False)
        if target.size and (target.min() < 0 or target.max() >= len(self.mask)):
            raise LossError(f"AnchorPenalty: target indices must be in [0, {len(self.mask)})")
        return F.anchor_penalty(h, self.vectors[target], self.mask[target], self.weight)

    def __repr__(self):
        ref = self.reference
        keys = len(ref.key_to_index)
        return f"AnchorPenalty(reference={type(ref).__name__}<{keys} keys>, weight={self.weight!r})"


class DirectionPenalty(Penalty):
    r"""Penalise components along directions: :math:`\ell = \frac{\lambda}{2} \sum_j (h \cdot d_j)^2`.

    With unit, orthogonal ``d_j`` this is half the squared norm of h's
    projection on their span (e.g. a bias subspace to keep vectors out of).

    Parameters
    ----------
    directions : array_like, shape (d,) or (m, d)
        Stored as float32 ``(m, d)``; not normalised. ``d`` is the width of h,
        the model's ``layer1_size``: its ``vector_size``, except in Doc2Vec
        with ``dm_concat=1``, where h is a concatenation of rows.
    weight : float
        Finite and >= 0.
    """

    term = "direction"

    def __init__(self, directions, weight):
        directions = np.atleast_2d(np.asarray(directions, dtype=np.float32))
        if directions.ndim != 2 or directions.shape[0] == 0 or directions.shape[1] == 0:
            raise LossError(f"DirectionPenalty directions must have shape (d,) or (m, d), got {directions.shape}")
        if not np.isfinite(directions).all():
            raise LossError("DirectionPenalty directions must be finite")
        super().__init__(weight)
        self.directions = directions

    def bind(self, model):
        if self.directions.shape[1] != hidden_size(model):
            raise LossError(f"DirectionPenalty: directions have size {self.directions.shape[1]}, the model's "
                            f"h has size {hidden_size(model)} (its layer1_size: vector_size, or with "
                            f"Doc2Vec's dm_concat=1 the concatenated width)")
        return super().bind(model)

    def compute(self, target, output):
        h = self._h(output)
        if h.shape[1] != self.directions.shape[1]:
            raise LossError(f"DirectionPenalty: output must have shape (n, {self.directions.shape[1]}), "
                            f"got shape {h.shape}")
        return F.direction_penalty(h, self.directions, self.weight)

    def __repr__(self):
        return f"DirectionPenalty(directions=<{self.directions.shape[0]} x {self.directions.shape[1]}>, " \
               f"weight={self.weight!r})"


# ----------------------------------------------------------------------------- sentence-level terms
class GroupTables(NamedTuple):
    """Every group's sampling table, flattened (see :meth:`GroupNegativeLoss.tables`)."""

    word_group: np.ndarray  # (V,) int32: the word's group, -1 without one or alone in it
    starts: np.ndarray      # (G + 1,) int64: group g owns members[starts[g]:starts[g + 1]]
    members: np.ndarray     # uint32 word ids, grouped
    cum: np.ndarray         # uint32: within each group, the cumulative count^ns_exponent, to 2**31 - 1


class GroupNegativeLoss(Objective):
    r"""Extra negatives drawn from the target's own group (Airbnb's same-market negatives).

    .. math::

        \ell(t, h) = -\sum_{j=1}^{k} \log\sigma(-u_{w_j} \cdot h),
        \qquad w_j \sim P(w \mid g(t)) \propto \mathrm{count}(w)^{\alpha},\ w \in g(t)

    with ``g(t)`` the target's group, ``u`` the rows of ``model.syn1neg``
    and ``alpha`` the ``ns_exponent``. A target without a group, or alone in
    its group, draws nothing; a draw equal to the target is dropped, as in
    negative sampling. It adds to a loss that has a ``NEGSamplingLoss``:
    ``NEGSamplingLoss() + GroupNegativeLoss(markets)``.

    Parameters
    ----------
    groups : mapping
        Word -> group label (any hashable). Words outside the vocabulary are
        ignored.
    negative : int, optional
        Negatives drawn per example from the group, ``k``.
    ns_exponent : float, optional
        Exponent of the counts within a group, finite. Each group's table is
        built and checked at binding as the model's ``cum_table`` is (see
        ``docs/losses.md``): a large exponent puts the draws on the group's
        most frequent words; a table that cannot be built raises
        :class:`LossError` naming the group.
    seed : int, optional
        Seed of the reference path's draws (None: the model's ``seed``).

    Notes
    -----
    The tables are built when the loss is bound, once per ``train()``.
    """

    term = "group_negative"
    weights_name = "syn1neg"
    _transient = ("_tables",)

    def __init__(self, groups, negative=5, ns_exponent=0.75, seed=None):
        if not hasattr(groups, "items"):
            raise LossError(f"GroupNegativeLoss groups must be a mapping of word -> group label, "
                            f"got {type(groups).__name__}")
        for word, label in groups.items():
            try:
                hash(label)
            except TypeError:
                raise LossError(f"GroupNegativeLoss: the group of {word!r} is a {type(label).__name__}, which is "
                                f"unhashable; use a hashable label (str, int, tuple)") from None
        if isinstance(negative, bool) or not isinstance(negative, numbers.Integral) or negative < 1:
            raise LossError(f"GroupNegativeLoss negative must be a positive integer, got {negative!r}")
        ns_exponent = float(ns_exponent)
        if not math.isfinite(ns_exponent):
            raise LossError(f"GroupNegativeLoss ns_exponent must be finite, got {ns_exponent!r}")
        self.groups = dict(groups)
        self.negative = int(negative)
        self.ns_exponent = ns_exponent
        self.seed = seed

    def _weights_hint(self):
        return " (add NEGSamplingLoss() to the loss: group negatives train its output layer)"

    def bind(self, model):
        super().bind(model)
        self._tables = self._build_tables(model)
        return self

    def _build_tables(self, model):
        index = model.wv.key_to_index
        labels = {}
        words, group = [], []
        for word, label in self.groups.items():
            i = index.get(word)
            if i is not None:
                words.append(i)
                group.append(labels.setdefault(label, len(labels)))
        if self.groups and not words:
            _refuse_other_key_types(self.groups, index)
        words, group = np.asarray(words, dtype=np.int64), np.asarray(group, dtype=np.int64)
        order = np.lexsort((words, group))
        words, group = words[order], group[order]
        starts = np.searchsorted(group, np.arange(len(labels) + 1)).astype(np.int64)
        counts = np.asarray(model.wv.expandos["count"], dtype=np.float64)[words] if len(words) else np.zeros(0)
        cum = np.zeros(len(words), dtype=np.uint32)
        word_group = np.full(len(index), -1, dtype=np.int32)
        # gensim's table, built and checked as the model's is (imported here: vocab imports the engine,
        # which imports this module)
        from gensim_losses.text.vocab import cum_table

        names = list(labels)
        for g in range(len(labels)):
            a, b = starts[g], starts[g + 1]
            if b - a >= 2:  # a word alone in its group has nothing to draw
                try:
                    cum[a:b] = cum_table(counts[a:b], self.ns_exponent, what="GroupNegativeLoss ns_exponent")
                except ValueError as exc:
                    raise LossError(f"{exc} (the table of group {names[g]!r})") from None
                word_group[words[a:b]] = g
        return GroupTables(word_group, starts, words.astype(np.uint32), cum)

    def tables(self):
        """The bound model's :class:`GroupTables`."""
        self.model  # noqa: B018  (raises when unbound)
        return self._tables

    def draw_negatives(self, target):
        """``(rows, mask)``, each ``(n, k)``: group draws for each target (reference path's generator)."""
        tables = self.tables()
        target = np.asarray(target, dtype=np.intp)
        seed = self.seed if self.seed is not None else int(getattr(self.model, "seed", 0))
        g = tables.word_group[target].astype(np.int64)
        x = np.random.default_rng(seed).integers(0, 2**31 - 1, size=(len(target), self.negative), dtype=np.int64)
        rows = np.zeros(x.shape, dtype=np.intp)
        has = g >= 0
        if has.any():
            # the groups' tables side by side, each shifted by 2**31 * group: one sorted key array
            key = tables.cum.astype(np.int64) + (2**31) * np.repeat(
                np.arange(len(tables.starts) - 1), np.diff(tables.starts))
            pos = np.searchsorted(key, x[has] + (2**31) * g[has][:, None], side="right")
            rows[has] = tables.members[np.minimum(pos, len(key) - 1)]
        mask = has[:, None] & (rows != target[:, None])
        return rows, mask

    def compute(self, target, output, negatives=None, step=None):
        """As :meth:`NEGSamplingLoss.compute`; ``negatives`` is ``(rows, mask)``."""
        target, h = self._prepare(target, output)
        rows, mask = self.draw_negatives(target) if negatives is None else negatives
        loss, grad_h, grad_rows = F.group_negative_sampling(h, self.weights()[rows], mask, ids=rows, step=step)
        return ObjectiveResult(loss, grad_h, grad_rows, rows)

    def __repr__(self):
        return (f"GroupNegativeLoss(groups=<{len(self.groups)} words>, negative={self.negative}, "
                f"ns_exponent={self.ns_exponent!r})")


def _refuse_other_key_types(groups, index):
    """No group word is in the vocabulary: a clear error when that is because their type is not the tokens'
    (ints against strings), which would otherwise train the term at 0."""
    def kind(key):
        return "int" if isinstance(key, (int, np.integer)) else type(key).__name__

    theirs = {kind(k) for k in groups}
    ours = {kind(k) for k in list(index)[:1000]}
    if ours and not theirs & ours:
        example = next(iter(groups))
        raise LossError(f"GroupNegativeLoss: none of its {len(groups)} words is in the vocabulary: its keys are "
                        f"{'/'.join(sorted(theirs))} (such as {example!r}) and the vocabulary's tokens "
                        f"{'/'.join(sorted(ours))} (such as {next(iter(index))!r}); give the groups' keys as the "
                        f"corpus's tokens")


def _check_pairs(pairs, what):
    checked = []
    for i, pair in enumerate(pairs):
        if isinstance(pair, str) or not hasattr(pair, "__len__") or len(pair) != 2:
            raise LossError(f"LexiconPenalty {what}[{i}] is {pair!r:.60}; expected a 2-tuple of words")
        a, b = pair
        if not (isinstance(a, str) and isinstance(b, str)):
            raise LossError(f"LexiconPenalty {what}[{i}] is {pair!r:.60}; expected two strings")
        checked.append((a, b))
    return tuple(checked)


class LexiconPenalty(BaseLoss):
    r"""Lexicon constraints on input vectors: synonym pairs attract, antonym pairs repel.

    For a word ``w`` with input vector ``v`` and each of its pairs, partner
    vector ``u``, a hinge on their cosine:

    .. math::

        \ell_{syn} = \lambda \max\big(0, m_s - \cos(v, u)\big),
        \qquad
        \ell_{ant} = \lambda \max\big(0, \cos(v, u) - m_a\big)

    Synonyms are pulled together only until their cosine reaches ``m_s``,
    antonyms pushed apart only while it is above ``m_a`` (the margins of
    counter-fitting and attract-repel, Mrkšić et al. 2016, 2017): a pair that
    already agrees with the lexicon costs nothing, and synonym chains do not
    collapse into one vector.

    **When it acts**: once per training job (about ``batch_words`` words), at
    its end: every distinct word of the job that has pairs takes one step on
    the penalty of all its pairs, its partners held fixed (they move at their
    own steps), in order of first occurrence, scaled by the largest weight of
    the sentences it occurred in. A frequent word thus steps about once per
    job, a rare word once per job it occurs in; the cost is bounded by the
    job's distinct words, not its length. The loss in ``loss_history`` sums
    those steps' penalties. (docs/losses.md gives the measurements behind
    this rule.)

    Here ``target`` is read as the words whose vectors ``output`` holds (as
    for ``AnchorPenalty``); partners' vectors are read from the bound model.

    Parameters
    ----------
    synonyms, antonyms : iterable of (str, str)
        Word pairs; a pair with a word outside the vocabulary is dropped
        (the number dropped is logged once), a pair of one word twice too.
    weight : float
        ``λ``, finite and >= 0.
    margin : (float, float)
        ``(m_s, m_a)``, cosines in [-1, 1].
    """

    term = "lexicon"
    _transient = ("_pairs", "_model")

    def __init__(self, synonyms=(), antonyms=(), weight=1.0, margin=(0.6, 0.0)):
        self.synonyms = _check_pairs(synonyms, "synonyms")
        self.antonyms = _check_pairs(antonyms, "antonyms")
        self.weight = _check_weight(weight, "LexiconPenalty weight")
        try:
            margin = tuple(float(m) for m in margin)
        except TypeError:
            raise LossError(f"LexiconPenalty margin is (synonym margin, antonym margin), got {margin!r}") from None
        if len(margin) != 2 or not all(-1.0 <= m <= 1.0 for m in margin):
            raise LossError(f"LexiconPenalty margin is two cosines in [-1, 1], got {margin!r}")
        self.margin = margin

    def bind(self, model):
        index = model.wv.key_to_index
        ids, kinds, dropped = [], [], 0
        for kind, pairs in ((0, self.synonyms), (1, self.antonyms)):
            for a, b in pairs:
                i, j = index.get(a), index.get(b)
                if i is None or j is None:
                    dropped += 1
                elif i != j:
                    ids += [(i, j), (j, i)]
                    kinds += [kind, kind]
        if dropped and getattr(self, "_logged_vocab", None) != id(index):
            logger.info("LexiconPenalty: %i of %i pairs dropped (a word outside the vocabulary)", dropped,
                        len(self.synonyms) + len(self.antonyms))
            self._logged_vocab = id(index)
        pairs = np.asarray(ids, dtype=np.int64).reshape(-1, 2)
        order = np.lexsort((pairs[:, 1], pairs[:, 0]))
        pairs, kinds = pairs[order], np.asarray(kinds, dtype=np.uint8)[order]
        starts = np.searchsorted(pairs[:, 0], np.arange(len(index) + 1)).astype(np.int64)
        self._pairs = (starts, pairs[:, 1].astype(np.uint32), kinds)
        self._model = model
        return super().bind(model)

    def pairs(self):
        """``(starts, partners, antonym)``: word ``w``'s partners are ``partners[starts[w]:starts[w + 1]]``."""
        if getattr(self, "_pairs", None) is None:
            raise LossError("LexiconPenalty is not bound to a model: call loss.bind(model) with a gensim "
                            "Word2Vec, or train a Word2Vec with this loss first")
        return self._pairs

    def compute(self, target, output):
        """``(loss, grad)`` of each row's word against all its partners."""
        starts, partners, antonym = self.pairs()
        v = np.asarray(output)
        target = np.asarray(target, dtype=np.intp)
        counts = starts[target + 1] - starts[target]
        row = np.repeat(np.arange(len(target)), counts)
        pos = np.repeat(starts[target] - np.cumsum(counts) + counts, counts) + np.arange(counts.sum())
        loss, grad = F.lexicon_penalty(v[row], self._word_rows()[partners[pos]], antonym[pos].astype(bool),
                                       self.weight, self.margin)
        total = np.bincount(row, weights=loss, minlength=len(target))
        g = np.zeros(v.shape, dtype=grad.dtype)
        np.add.at(g, row, grad)
        return total, g

    def _word_rows(self):
        """The partners' vectors as the kernels read them: the words' own input rows (a FastText model's
        ``vectors_vocab``, not the vectors composed with n-grams)."""
        wv = self._model.wv
        return wv.vectors_vocab if getattr(wv, "vectors_vocab", None) is not None else wv.vectors

    def forward(self, target, output):
        return self.compute(target, output)[0]

    def backward(self, target, output):
        return self.compute(target, output)[1]

    def __repr__(self):
        return (f"LexiconPenalty(synonyms=<{len(self.synonyms)} pairs>, antonyms=<{len(self.antonyms)} pairs>, "
                f"weight={self.weight!r}, margin={self.margin!r})")


class GlobalContextLoss(BaseLoss):
    r"""Each centre word also predicts every token of its sentence's context (Airbnb's global context).

    .. math::

        \ell_i = \sum_{c \in C(s)} \ell_{obj}(c, v_{w_i})

    for every centre position ``i`` of a sentence ``s`` whose
    ``Sentence.context`` is ``C(s)``: ``v_{w_i}`` is the centre word's input
    vector and ``ℓ_obj`` the model's objective (its negative sampling with its
    own negatives, its hierarchical softmax along the context token's
    Huffman path, its full softmax, each with its weight). Scale it with
    ``weight`` or ``c * GlobalContextLoss()``. Recorded as ``global_context``.

    It reads the sentence's context through the contract's extension
    (``forward(target, output, batch)``: ``target`` the centre words,
    ``output`` their vectors, ``batch.context`` the context of each).
    """

    term = "global_context"
    _transient = ("_objectives",)

    def __init__(self, weight=1.0):
        self.weight = _check_weight(weight, "GlobalContextLoss weight")

    def use_objectives(self, weighted):
        """Set the ``(objective, weight)`` pairs it trains through (the plan does, at binding)."""
        self._objectives = tuple(weighted)
        return self

    def _expand(self, output, batch):
        if batch is None:
            raise LossError("GlobalContextLoss reads the sentence context: call it with batch= (an ExampleBatch)")
        if not getattr(self, "_objectives", None):
            raise LossError("GlobalContextLoss has no objective to predict through: train it as part of a "
                            "loss with NEGSamplingLoss, HierarchicalSoftmaxLoss or SoftmaxLoss")
        counts = np.diff(batch.context_offsets)
        row = np.repeat(np.arange(len(counts)), counts)
        return row, np.asarray(batch.context_ids, dtype=np.intp), as_output(np.asarray(output)[row])

    def forward(self, target, output, batch=None):
        row, tokens, h = self._expand(output, batch)
        total = sum(w * call_forward(obj, tokens, h) for obj, w in self._objectives)
        return self.weight * np.bincount(row, weights=total, minlength=len(output))

    def backward(self, target, output, batch=None):
        row, tokens, h = self._expand(output, batch)
        grad = np.zeros(np.shape(output), dtype=np.asarray(output).dtype)
        for obj, w in self._objectives:
            np.add.at(grad, row, self.weight * w * call_backward(obj, tokens, h))
        return grad

    def __repr__(self):
        return f"GlobalContextLoss(weight={self.weight!r})"


# ----------------------------------------------------------------------------- the tutorial loss
class CustomLoss(BaseLoss):
    r"""An objective plus a norm penalty: :math:`\ell = \ell_{base}(t, h) + \lambda \lVert h \rVert_2`.

    Written as the tutorials write it (the class users subclass): a child
    objective and a Python penalty, forward and backward by hand.

    Parameters
    ----------
    penalty : float
        The norm penalty's weight, finite and >= 0.
    base : Objective, optional
        Default ``NEGSamplingLoss()`` (the model's negatives).
    """

    def __init__(self, penalty=0.0, base=None):
        self.penalty = _check_weight(penalty, "CustomLoss penalty")
        self.base = NEGSamplingLoss() if base is None else base

    def forward(self, target, output):
        loss = self.base.forward(target, output)
        return loss + self.penalty * output.norm()

    def backward(self, target, output):
        grad = self.base.backward(target, output)
        grad += self.penalty * output.normalize()
        return grad


# ----------------------------------------------------------------------------- checking
def gradcheck(loss, target, output, eps=1e-4, rtol=1e-3, atol=1e-5, batch=None):
    r"""Check ``loss.backward`` against central differences of ``loss.forward(...).sum()``.

    .. math::

        \frac{\partial}{\partial h_{ij}} \sum_e \ell_e
        \approx \frac{L(h + \epsilon e_{ij}) - L(h - \epsilon e_{ij})}{2\epsilon}

    in float64 (``output`` is converted), one element at a time: ``2 n d``
    forward calls, so keep the batch small. An element passes when
    ``|numeric - analytic| <= atol + rtol * |numeric|``. ``batch`` (an
    :class:`ExampleBatch`) goes to losses that take it.

    Returns
    -------
    True

    Raises
    ------
    LossError
        At the worst element, with its indices, both values and the loss's name;
        also when forward/backward break the contract or give non-finite values.
    """
    x = np.array(output, dtype=np.float64)
    if x.ndim != 2:
        raise LossError(f"gradcheck: output must have shape (n, d), got shape {x.shape}")
    target = np.asarray(target)
    analytic = np.asarray(call_backward(loss, target, x.copy().view(LossArray), batch), dtype=np.float64)
    numeric = np.empty_like(x)
    for i, j in np.ndindex(*x.shape):
        orig = x[i, j]
        x[i, j] = orig + eps
        up = call_forward(loss, target, x.copy().view(LossArray), batch).sum()
        x[i, j] = orig - eps
        down = call_forward(loss, target, x.copy().view(LossArray), batch).sum()
        x[i, j] = orig
        numeric[i, j] = (up - down) / (2 * eps)
    excess = np.abs(numeric - analytic) - (atol + rtol * np.abs(numeric))
    # non-finite values fail too: NaN compares False and would otherwise pass
    excess = np.where(np.isfinite(numeric) & np.isfinite(analytic), excess, np.inf)
    if (excess > 0).any():
        i, j = np.unravel_index(int(np.argmax(excess)), excess.shape)
        bad = int((excess > 0).sum())
        raise LossError(f"gradcheck failed for {type(loss).__name__} ('{loss.name}'): {bad} of {excess.size} "
                        f"elements off; worst at output[{i}, {j}]: backward gives {float(analytic[i, j])!r}, "
                        f"finite differences give {float(numeric[i, j])!r} (eps={eps}, rtol={rtol}, atol={atol})")
    return True
