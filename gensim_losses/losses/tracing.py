"""Python loss terms traced into row-wise programs the kernels run per example.

SGD applies every term of every example at that example's ``h``. A Python
term is numpy code vectorised over a batch, and calling it once per example
from the kernels would cost more than the training itself. So the term is
*traced*: its ``forward`` and ``backward`` run once with a symbolic
``output`` (:class:`Sym`) that records every operation done to it, while
everything that does not depend on ``h`` (``target``, the batch, the loss's
own arrays) is computed by numpy as usual. What is recorded is a
straight-line program of row-wise operations on one example's ``h``; the
kernels run it for every example (``_program.h``), so the term is applied
exactly where SGD applies it, at native speed.

What traces: arithmetic and comparisons, numpy's elementwise functions
(``exp``, ``log``, ``tanh``, ``sqrt``, ``where``, ``maximum``, ``clip``, ...),
reductions over the vector axis (``sum``, ``mean``, ``max``, ``min``,
``np.linalg.norm``, ``einsum('ij,ij->i', ...)``), products with constant
matrices (``output @ M``), column slices, ``output.norm()`` and
``output.normalize()``. Anything else (``np.asarray(output)``, Python
``if`` on a value of ``h``, an operation across examples such as
``output.sum(axis=0)``) raises :class:`TraceError`, and the model runs the
term in Python per example instead (exact, slower; see
:mod:`gensim_losses.training.hybrid`). A traced program is also checked against the
term's own numpy on sample examples before it is used.
"""

import numbers
import string

import numpy as np


class TraceError(Exception):
    """A term cannot be traced into a row-wise program (the message says why)."""


# node kinds that are leaves
HIDDEN, CONST, ROW = "hidden", "const", "row"
BINARY = {np.add: "add", np.subtract: "sub", np.multiply: "mul", np.divide: "div", np.power: "pow",
          np.maximum: "max", np.minimum: "min", np.fmax: "max", np.fmin: "min", np.greater: "gt",
          np.greater_equal: "ge", np.less: "lt", np.less_equal: "le", np.equal: "eq", np.not_equal: "ne",
          np.logaddexp: "logaddexp", np.arctan2: "arctan2", np.logical_and: "mul", np.logical_or: "max",
          np.bitwise_and: "mul", np.bitwise_or: "max"}
UNARY = {np.negative: "neg", np.absolute: "abs", np.fabs: "abs", np.sqrt: "sqrt", np.exp: "exp", np.log: "log",
         np.log1p: "log1p", np.expm1: "expm1", np.tanh: "tanh", np.sin: "sin", np.cos: "cos",
         np.arctan: "arctan", np.sign: "sign", np.floor: "floor", np.ceil: "ceil"}
COMPARISONS = {"gt", "ge", "lt", "le", "eq", "ne"}


class Node:
    """One value of the program: ``op`` over ``args`` (node ids), ``length`` floats per example."""

    __slots__ = ("op", "args", "imm", "length", "strides", "value")

    def __init__(self, op, args, imm, length, strides=(), value=None):
        self.op, self.args, self.imm, self.length, self.strides, self.value = op, args, imm, length, strides, value

    def key(self):
        if self.op in (CONST, ROW):
            return None
        return (self.op, self.args, self.imm, self.length, self.strides)


class Tracer:
    """Builds the program of one or more terms, for ``n`` examples of hidden width ``hidden``.

    Values that do not depend on ``h`` arrive as numpy arrays. One whose
    leading axis is the example axis is a per-example array (``ROW``: the
    kernel reads the row of the example it trains); unless all its rows are
    equal, which makes it a constant (``np.zeros(len(target))`` is 0).
    """

    def __init__(self, n, hidden):
        self.n, self.hidden = int(n), int(hidden)
        self.nodes = []
        self._index = {}
        self.h = self._add(Node(HIDDEN, (), (), self.hidden))

    # ------------------------------------------------------------------ nodes
    def _add(self, node):
        key = node.key()
        if key is not None:
            found = self._index.get(key)
            if found is not None:
                return found
        self.nodes.append(node)
        ident = len(self.nodes) - 1
        if key is not None:
            self._index[key] = ident
        return ident

    def constant(self, values):
        """A leaf for ``values`` (one example's, shape (L,)), the same for every example."""
        values = np.ascontiguousarray(values, dtype=np.float32).reshape(-1)
        key = (CONST, values.tobytes())
        found = self._index.get(key)
        if found is None:
            found = self._index[key] = self._add(Node(CONST, (), (), values.size, value=values))
        return found

    def per_example(self, values):
        """A leaf for ``values`` of shape (n, L): example e reads row e."""
        values = np.ascontiguousarray(values, dtype=np.float32).reshape(self.n, -1)
        # the second row first: rows that differ nearly always differ there, and the whole array is
        # compared only for rows that may all be equal (a term is traced again for every job)
        if self.n == 1 or (_rows_equal(values[1:2], values[:1]) and _rows_equal(values, values[:1])):
            return self.constant(values[0])
        return self._add(Node(ROW, (), (), values.shape[1], value=values))

    def is_const(self, ident, value):
        """Whether node ``ident`` is a constant equal to ``value`` everywhere."""
        node = self.nodes[ident]
        return node.op == CONST and bool((node.value == value).all())

    def op(self, name, args, length, strides, imm=()):
        """A computed node, simplified where that is exact (``x + 0``, ``x * 1``)."""
        if name in ("add", "sub", "mul", "div") and length == self.nodes[args[0]].length:
            neutral = 0.0 if name in ("add", "sub") else 1.0
            if self.is_const(args[1], neutral):
                return args[0]
        if name in ("add", "mul") and length == self.nodes[args[1]].length and \
                self.is_const(args[0], 0.0 if name == "add" else 1.0):
            return args[1]
        if name == "div" and self.nodes[args[1]].length == 1 and length > 1:
            # a vector over a per-example scalar: times its reciprocal, so that g = s * v has one vector
            inverse = self.op("div", (self.constant([1.0]), args[1]), 1, (0, 0))
            return self.op("mul", (inverse, args[0]), length, (0, strides[0]))
        return self._add(Node(name, tuple(args), tuple(imm), length, tuple(strides)))

    # ------------------------------------------------------------------ operands
    def operands(self, values):
        """``(result shape, [(node, length)])`` for an elementwise operation on ``values``
        (Syms and numpy values), broadcast as numpy broadcasts them."""
        shapes = [v.shape if isinstance(v, Sym) else np.shape(v) for v in values]
        result = _broadcast_shapes(shapes)
        if len(result) not in (1, 2) or result[0] != self.n:
            raise TraceError(f"an operation gives shape {result}: only (n,) and (n, k) per-example values trace")
        out = []
        for value, shape in zip(values, shapes):
            padded = (1,) * (len(result) - len(shape)) + tuple(shape)
            if isinstance(value, Sym):
                if len(shape) != len(result):
                    raise TraceError(f"a value of shape {shape} broadcast to {result} would mix examples "
                                     f"(index it as x[:, None] to make it a column)")
                out.append((value.node, self.nodes[value.node].length))
                continue
            array = np.asarray(value)
            if not (np.issubdtype(array.dtype, np.number) or array.dtype == bool):
                raise TraceError(f"a value of dtype {array.dtype} cannot enter a loss")
            per = padded[1:]
            if padded[0] == self.n and self.n > 1:
                # broadcasting costs more than the rest of the trace, and an array of the full shape needs
                # none; either way the program holds a read-only view, never a writable alias of the term's array
                rows = array.view() if shape == result else np.broadcast_to(array.reshape(padded), (self.n,) + per)
                rows.flags.writeable = False
                ident = self.per_example(rows.reshape(self.n, -1))
            elif not shape:  # a scalar (a weight, an offset) is one value: no broadcasting to find it
                ident = self.constant(array.reshape(1))
            else:
                ident = self.constant(np.broadcast_to(array.reshape(padded), (1,) + per).reshape(-1))
            out.append((ident, self.nodes[ident].length))
        return result, out

    def elementwise(self, name, values, dtype):
        shape, ops = self.operands(values)
        length = shape[1] if len(shape) == 2 else 1
        strides = [1 if n == length and length > 1 else 0 for _, n in ops]
        ident = self.op(name, [i for i, _ in ops], length, strides)
        return Sym(self, ident, shape, bool if name in COMPARISONS else dtype)

    def reduce(self, name, x, keepdims):
        """A reduction of a (n, k) value over its last axis."""
        length = self.nodes[x.node].length
        if name == "mean":
            total = self.reduce("sum", x, keepdims)
            return total * np.float32(1.0 / x.shape[1])
        ident = self.op(name, (x.node,), 1, (1 if length > 1 else 0,))
        return Sym(self, ident, (self.n, 1) if keepdims else (self.n,), x.dtype)


def _rows_equal(rows, first):
    """Whether every row of ``rows`` equals ``first``, NaNs equal to NaNs (``np.array_equal(...,
    equal_nan=True)``, row by row)."""
    same = rows == first
    return bool(same.all() or (same | (np.isnan(rows) & np.isnan(first))).all())


def _broadcast_shapes(shapes):
    """``np.broadcast_shapes(*shapes)``, without its cost in the usual case of one shape and scalars
    (a term is traced again for every job)."""
    full = [shape for shape in shapes if shape]
    if full and all(shape == full[0] for shape in full):
        return tuple(full[0])
    try:
        return np.broadcast_shapes(*shapes)
    except ValueError as exc:
        raise TraceError(f"operands of shapes {shapes} do not broadcast: {exc}") from None


def _result_dtype(*values):
    kinds = [v.dtype if isinstance(v, Sym) else (v if isinstance(v, numbers.Number) else np.asarray(v))
             for v in values]
    try:
        return np.result_type(*kinds)
    except TypeError:
        return np.float32


def _axis(axis, ndim):
    """The reduced axis as a positive number; only the vector axis of an (n, k) value traces."""
    if isinstance(axis, tuple) and len(axis) == 1:
        axis = axis[0]
    if axis is None or ndim != 2 or axis not in (1, -1):
        raise TraceError(f"a reduction over axis={axis!r} of a {ndim}-d value mixes examples: reduce over "
                         f"axis=1 (each example's vector)")
    return 1


class Sym:
    """A traced per-example value: stands for ``output`` and what is computed from it.

    Shapes are numpy's, with the example axis first: ``(n,)`` or ``(n, k)``.
    """

    __array_priority__ = 1000

    def __init__(self, tracer, node, shape, dtype=np.float32):
        self.tracer, self.node, self.shape, self.dtype = tracer, node, tuple(shape), np.dtype(dtype)

    # ---- what numpy and Python ask of an array
    @property
    def ndim(self):
        return len(self.shape)

    @property
    def size(self):
        return int(np.prod(self.shape))

    def __len__(self):
        return self.shape[0]

    @property
    def T(self):
        raise TraceError("transposing output mixes examples")

    def _refuse(self, *args, **kwargs):
        raise TraceError("the term reads values of output in Python (np.asarray, float(), if, a loop over "
                         "rows): only numpy operations on output trace")

    __array__ = __bool__ = __float__ = __int__ = __index__ = __iter__ = item = tolist = _refuse

    def __setitem__(self, key, value):
        raise TraceError("assigning into output or a value computed from it does not trace")

    def astype(self, dtype, copy=True):
        return Sym(self.tracer, self.node, self.shape, dtype)

    def copy(self):
        return self

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        out = kwargs.pop("out", None)
        kwargs.pop("casting", None)
        dtype = kwargs.pop("dtype", None)
        if method == "reduce" and ufunc in (np.add, np.maximum, np.minimum) and not out:
            axis = _axis(kwargs.pop("axis", 0), inputs[0].ndim)
            keepdims = kwargs.pop("keepdims", False)
            if kwargs:
                raise TraceError(f"{ufunc.__name__}.reduce with {sorted(kwargs)} does not trace")
            del axis
            return self.tracer.reduce({np.add: "sum", np.maximum: "rmax", np.minimum: "rmin"}[ufunc],
                                      inputs[0], keepdims)
        if method != "__call__" or kwargs:
            raise TraceError(f"numpy.{ufunc.__name__}.{method} with {sorted(kwargs)} does not trace")
        result = self._ufunc(ufunc, inputs)
        if dtype is not None:
            result = result.astype(dtype)
        if out is not None:
            target = out[0] if isinstance(out, tuple) else out
            if isinstance(target, Sym):  # np.add(g, x, out=g): g becomes the sum
                target.node, target.shape, target.dtype = result.node, result.shape, result.dtype
                return target
        return result

    def _ufunc(self, ufunc, inputs):
        t = self.tracer
        dtype = _result_dtype(*inputs)
        if ufunc in BINARY:
            a, b = inputs
            name = BINARY[ufunc]
            if name == "pow" and not isinstance(b, Sym) and np.ndim(b) == 0:
                exponent = float(b)
                if exponent == 2.0:
                    return t.elementwise("mul", [a, a], dtype)
                if exponent == 1.0:
                    return a
                if exponent == 0.5:
                    return t.elementwise("sqrt", [a], dtype)
                if exponent == -1.0:
                    return t.elementwise("div", [np.float32(1.0), a], dtype)
            return t.elementwise(name, [a, b], dtype)
        if ufunc in UNARY:
            return t.elementwise(UNARY[ufunc], list(inputs), dtype)
        if ufunc is np.positive:
            return inputs[0]
        if ufunc is np.square:
            return t.elementwise("mul", [inputs[0], inputs[0]], dtype)
        if ufunc is np.reciprocal:
            return t.elementwise("div", [np.float32(1.0), inputs[0]], dtype)
        if ufunc in (np.logical_not, np.invert):
            return t.elementwise("eq", [inputs[0], np.float32(0.0)], dtype)
        if ufunc is np.matmul:
            return _matmul(*inputs)
        if getattr(ufunc, "__name__", "") == "expit":  # scipy.special.expit
            return t.elementwise("sigmoid", list(inputs), dtype)
        raise TraceError(f"numpy.{ufunc.__name__} does not trace")

    def __array_function__(self, func, types, args, kwargs):
        handler = FUNCTIONS.get(func)
        if handler is None:
            raise TraceError(f"numpy.{func.__name__} does not trace")
        return handler(*args, **kwargs)

    # ---- operators
    def __add__(self, other):
        return np.add(self, other)

    def __radd__(self, other):
        return np.add(other, self)

    def __sub__(self, other):
        return np.subtract(self, other)

    def __rsub__(self, other):
        return np.subtract(other, self)

    def __mul__(self, other):
        return np.multiply(self, other)

    def __rmul__(self, other):
        return np.multiply(other, self)

    def __truediv__(self, other):
        return np.divide(self, other)

    def __rtruediv__(self, other):
        return np.divide(other, self)

    def __pow__(self, other):
        return np.power(self, other)

    def __rpow__(self, other):
        return np.power(other, self)

    def __matmul__(self, other):
        return _matmul(self, other)

    def __rmatmul__(self, other):
        return _matmul(other, self)

    def __neg__(self):
        return np.negative(self)

    def __pos__(self):
        return self

    def __abs__(self):
        return np.absolute(self)

    def __gt__(self, other):
        return np.greater(self, other)

    def __ge__(self, other):
        return np.greater_equal(self, other)

    def __lt__(self, other):
        return np.less(self, other)

    def __le__(self, other):
        return np.less_equal(self, other)

    def __eq__(self, other):
        return np.equal(self, other)

    def __ne__(self, other):
        return np.not_equal(self, other)

    def __and__(self, other):
        return np.logical_and(self, other)

    __rand__ = __and__

    def __or__(self, other):
        return np.logical_or(self, other)

    __ror__ = __or__

    def __invert__(self):
        return np.logical_not(self)

    __hash__ = object.__hash__

    # in-place operators make new values: Python rebinds the name
    __iadd__, __isub__, __imul__, __itruediv__ = __add__, __sub__, __mul__, __truediv__

    # ---- methods of ndarray and LossArray
    def sum(self, axis=None, keepdims=False, dtype=None):
        _axis(axis, self.ndim)
        return self.tracer.reduce("sum", self, keepdims)

    def mean(self, axis=None, keepdims=False, dtype=None):
        _axis(axis, self.ndim)
        return self.tracer.reduce("mean", self, keepdims)

    def max(self, axis=None, keepdims=False):
        _axis(axis, self.ndim)
        return self.tracer.reduce("rmax", self, keepdims)

    def min(self, axis=None, keepdims=False):
        _axis(axis, self.ndim)
        return self.tracer.reduce("rmin", self, keepdims)

    def dot(self, other):
        return _matmul(self, other)

    def clip(self, min=None, max=None):  # noqa: A002 (ndarray's names)
        return _clip(self, min, max)

    def reshape(self, *shape):
        """Only between a column ``(n, 1)`` and a vector ``(n,)`` of per-example scalars, or to itself."""
        shape = tuple(shape[0]) if len(shape) == 1 and isinstance(shape[0], (tuple, list)) else tuple(shape)
        n, length = self.shape[0], self.tracer.nodes[self.node].length
        fits = [s in (n, -1) if i == 0 else s in (self.shape[i], -1) for i, s in enumerate(shape)]
        if len(shape) == self.ndim and all(fits):
            return self
        if length == 1 and shape in ((n, 1), (-1, 1), (n,), (-1,)):
            return Sym(self.tracer, self.node, (n, 1) if len(shape) == 2 else (n,), self.dtype)
        raise TraceError(f"reshaping {self.shape} to {shape} does not trace")

    def norm(self):
        """LossArray.norm: row L2 norms."""
        return np.sqrt(_rowdot(self, self))

    def normalize(self):
        """LossArray.normalize: unit rows, zero rows kept zero."""
        t = self.tracer
        if self.ndim != 2:
            raise TraceError("normalize() of a 1-d value does not trace")
        # 1 / sqrt(|h|^2) on the same dot node as norm(): a term with both takes one pass over h for them
        squared = _rowdot(self, self)
        inverse = Sym(t, t.op("rsqrt", (squared.node,), 1, (1,)), (self.shape[0], 1), self.dtype)
        return inverse * self

    def __getitem__(self, key):
        key = key if isinstance(key, tuple) else (key,)
        if key and key[0] is Ellipsis and self.ndim == 2 and len(key) == 2:
            key = (slice(None), key[1])
        if key and key[0] is Ellipsis and self.ndim == 1:
            key = (slice(None),) + key[1:]
        if not key or key[0] != slice(None):
            raise TraceError(f"indexing output with {key!r} selects examples: only columns ([:, j]) trace")
        rest = key[1:]
        if self.ndim == 1:
            if rest in ((), (None,)):
                return self if not rest else Sym(self.tracer, self.node, (self.shape[0], 1), self.dtype)
        elif len(rest) == 1 and isinstance(rest[0], (numbers.Integral, slice)) and not isinstance(rest[0], bool):
            start, stop, step = (slice(rest[0], rest[0] + 1 or None) if isinstance(rest[0], numbers.Integral)
                                 else rest[0]).indices(self.shape[1])
            count = len(range(start, stop, step))
            if count == 0:
                raise TraceError("an empty column slice does not trace")
            ident = self.tracer.op("slice", (self.node,), count, (1,), imm=(start, step))
            shape = (self.shape[0],) if isinstance(rest[0], numbers.Integral) else (self.shape[0], count)
            return Sym(self.tracer, ident, shape, self.dtype)
        elif rest == ():
            return self
        raise TraceError(f"indexing a value of shape {self.shape} with {key!r} does not trace")


def _rowdot(a, b):
    """``sum(a * b, axis=1)`` of two (n, k) values, as one operation."""
    t = a.tracer if isinstance(a, Sym) else b.tracer
    shape, ops = t.operands([a, b])
    if len(shape) != 2:
        raise TraceError("a row dot product needs (n, k) values")
    strides = [1 if n == shape[1] and shape[1] > 1 else 0 for _, n in ops]
    if shape[1] > 1 and all(s == 0 for s in strides):
        raise TraceError("a row dot product of broadcast scalars does not trace")
    return Sym(t, t.op("dot", [i for i, _ in ops], 1, strides), (shape[0],), _result_dtype(a, b))


def _matmul(a, b):
    if not isinstance(a, Sym) or isinstance(b, Sym):
        raise TraceError("only output @ (a constant matrix or vector) traces; other products mix examples")
    m = np.asarray(b, dtype=np.float32)
    t = a.tracer
    if a.ndim != 2 or m.ndim not in (1, 2) or m.shape[0] != a.shape[1]:
        raise TraceError(f"matmul of shapes {a.shape} and {m.shape} does not trace")
    if m.ndim == 1:
        return _rowdot(a, m[None, :])
    matrix = np.ascontiguousarray(m.T)  # one output element per row: a dot product each
    ident = t.op("matvec", (a.node,), matrix.shape[0], (1,), imm=(matrix.tobytes(), matrix.shape))
    t.nodes[ident].value = matrix
    return Sym(t, ident, (a.shape[0], matrix.shape[0]), _result_dtype(a, m))


def _clip(x, lo, hi):
    if lo is not None:
        x = np.maximum(x, lo)
    if hi is not None:
        x = np.minimum(x, hi)
    return x


def _zeros_like(a, dtype=None, **kwargs):
    return np.zeros(a.shape, dtype=dtype or a.dtype)


def _ones_like(a, dtype=None, **kwargs):
    return np.ones(a.shape, dtype=dtype or a.dtype)


def _full_like(a, fill_value, dtype=None, **kwargs):
    return np.full(a.shape, fill_value, dtype=dtype or a.dtype)


def _reduction(name):
    def reduce(a, axis=None, dtype=None, out=None, keepdims=False, **kwargs):
        if out is not None or kwargs:
            raise TraceError(f"numpy.{name} with out= or {sorted(kwargs)} does not trace")
        return getattr(a, name)(axis=axis, keepdims=keepdims)
    return reduce


def _norm(x, ord=None, axis=None, keepdims=False):  # noqa: A002 (numpy's name)
    if not isinstance(x, Sym):
        raise TraceError("np.linalg.norm of a traced value only")
    _axis(axis, x.ndim)
    if ord in (None, 2):
        result = np.sqrt(_rowdot(x, x))
    elif ord == 1:
        result = np.abs(x).sum(axis=1)
    elif ord == np.inf:
        result = np.abs(x).max(axis=1)
    else:
        raise TraceError(f"np.linalg.norm(ord={ord!r}) does not trace")
    return result[:, None] if keepdims else result


def _einsum(subscripts, *operands, **kwargs):
    if kwargs.get("out") is not None:
        raise TraceError("np.einsum with out= does not trace")
    spec = subscripts.replace(" ", "")
    if "->" not in spec:
        raise TraceError("np.einsum traces with an explicit output ('...->...')")
    inputs, output = spec.split("->")
    inputs = inputs.split(",")
    if len(inputs) != len(operands) or len(operands) not in (1, 2):
        raise TraceError(f"np.einsum({subscripts!r}) with {len(operands)} operands does not trace")
    # '...' stands for the example axis: name it
    free = next(ch for ch in string.ascii_letters if ch not in spec)
    inputs = [s.replace("...", free) for s in inputs]
    output = output.replace("...", free)
    example = inputs[0][0] if isinstance(operands[0], Sym) else inputs[-1][0]
    for s, op in zip(inputs, operands):
        if isinstance(op, Sym) and (len(s) != op.ndim or s[0] != example):
            raise TraceError(f"np.einsum({subscripts!r}) does not keep the example axis first")
    if not output.startswith(example):
        raise TraceError(f"np.einsum({subscripts!r}) sums over the example axis")
    if len(operands) == 1:
        (s,), (a,) = inputs, operands
        if s == output:
            return a
        if len(s) == 2 and output == s[0]:
            return a.sum(axis=1)
    else:
        (s, r), (a, b) = inputs, operands
        if len(s) == 2 and s == r and output == s:
            return a * b
        if len(s) == 2 and s == r and output == s[0]:
            return _rowdot(a, b)
        if isinstance(a, Sym) and len(s) == 2 and len(r) == 1 and r == s[1] and output == s[0]:
            return _rowdot(a, np.asarray(b)[None, :])
        if isinstance(a, Sym) and not isinstance(b, Sym) and len(s) == 2 and len(r) == 2 and len(output) == 2:
            if r[0] == s[1] and output == s[0] + r[1]:
                return _matmul(a, b)
            if r[1] == s[1] and output == s[0] + r[0]:
                return _matmul(a, np.asarray(b).T)
    raise TraceError(f"np.einsum({subscripts!r}) does not trace")


def _where(condition, x, y):
    values = [condition, x, y]
    t = next(v.tracer for v in values if isinstance(v, Sym))
    shape, ops = t.operands(values)
    length = shape[1] if len(shape) == 2 else 1
    strides = [1 if n == length and length > 1 else 0 for _, n in ops]
    return Sym(t, t.op("where", [i for i, _ in ops], length, strides), shape, _result_dtype(x, y))


def _expand_dims(a, axis):
    if axis in (1, -1) and a.ndim == 1:
        return a[:, None]
    raise TraceError(f"np.expand_dims(axis={axis!r}) of shape {a.shape} does not trace")


def _dot(a, b, out=None):
    return _matmul(a, b)


def _shape(a):
    return a.shape


def _ndim(a):
    return a.ndim


def _size(a, axis=None):
    return a.size if axis is None else a.shape[axis]


def _asanyarray(a, dtype=None, **kwargs):
    return a if dtype is None else a.astype(dtype)


def _clip_function(a, a_min=None, a_max=None, out=None, **kwargs):
    if out is not None:
        raise TraceError("np.clip with out= does not trace")
    return _clip(a, kwargs.get("min", a_min), kwargs.get("max", a_max))


def _square_sum(a, axis=None, keepdims=False):
    return (a * a).sum(axis=axis, keepdims=keepdims)


FUNCTIONS = {
    np.zeros_like: _zeros_like, np.ones_like: _ones_like, np.full_like: _full_like,
    np.sum: _reduction("sum"), np.mean: _reduction("mean"), np.max: _reduction("max"), np.min: _reduction("min"),
    np.amax: _reduction("max"), np.amin: _reduction("min"), np.linalg.norm: _norm, np.einsum: _einsum,
    np.where: _where, np.clip: _clip_function, np.expand_dims: _expand_dims, np.dot: _dot, np.shape: _shape,
    np.ndim: _ndim, np.size: _size, np.copy: lambda a, **kwargs: a, np.asanyarray: _asanyarray,
}


# ----------------------------------------------------------------------------- programs
class Program:
    """The traced program of a plan's Python terms, ready for the kernels.

    Attributes
    ----------
    nodes : list of Node
        Topological order; node 0 is h.
    outputs : list of (loss node, gradient scalar node or None, gradient vector node, scale)
        Per term: its loss is ``scale * loss``, its gradient ``scale * s * v``.
    rows : int
        Examples the per-example arrays hold (the tracer's ``n``), 0 without any.
    """

    def __init__(self, tracer, outputs):
        self.tracer = tracer
        self.nodes = tracer.nodes
        self.outputs = outputs
        self.rows = tracer.n if any(node.op == ROW for node in self.nodes) else 0

    @property
    def per_example(self):
        """Whether it reads per-example arrays (then it is tied to the job it was traced for)."""
        return self.rows > 0

    def live(self):
        """``(needed for the gradients, needed for the losses only)``: two sets of node ids."""
        def reach(roots):
            seen, stack = set(), [r for r in roots if r is not None]
            while stack:
                ident = stack.pop()
                if ident not in seen:
                    seen.add(ident)
                    stack.extend(self.nodes[ident].args)
            return seen
        grads = reach([r for _, s, v, _ in self.outputs for r in (s, v)])
        losses = reach([f for f, _, _, _ in self.outputs]) - grads
        return grads, losses

    def signature(self, values=True):
        """What defines the program: its operations, and with ``values`` its constants."""
        parts = []
        for node in self.nodes:
            if node.op == CONST:
                parts.append((CONST, node.length, node.value.tobytes() if values else None))
            elif node.op == ROW:
                parts.append((ROW, node.length))
            else:
                parts.append(node.key())
        return tuple(parts), tuple((f, s, v, float(scale) if values else None) for f, s, v, scale in self.outputs)

    def describe(self):
        """The program as text, one operation a line (for logs and error messages)."""
        lines = []
        for i, node in enumerate(self.nodes):
            if node.op in (HIDDEN, CONST, ROW):
                what = node.op if node.op != CONST or node.length > 4 else f"const {node.value.tolist()}"
            else:
                what = f"{node.op}({', '.join(f'%{a}' for a in node.args)})"
            lines.append(f"%{i} = {what}  [{node.length}]")
        for k, (f, s, v, scale) in enumerate(self.outputs):
            lines.append(f"term {k}: loss {scale:g} * %{f}, gradient {scale:g} * "
                         f"{'' if s is None else f'%{s} * '}%{v}")
        return "\n".join(lines)


def _factor(tracer, ident):
    """Split a gradient node into ``(scalar node or None, vector node)`` with node = scalar * vector,
    so the kernel adds it with one axpy (``lambda * normalize(h)`` is ``(lambda / |h|) * h``)."""
    node = tracer.nodes[ident]
    if node.op == "mul" and node.length > 1:
        a, b = node.args
        la, lb = tracer.nodes[a].length, tracer.nodes[b].length
        if la == 1 and lb == node.length:
            scalar, vector = a, b
        elif lb == 1 and la == node.length:
            scalar, vector = b, a
        else:
            return None, ident
        inner, vector = _factor(tracer, vector)
        if inner is not None:
            scalar = tracer.op("mul", (scalar, inner), 1, (0, 0))
        return scalar, vector
    return None, ident


def trace(terms, target, hidden, batch=None):
    """Trace ``terms`` (``plan.PythonTerm``) for examples of ``target`` (their targets) and ``batch``.

    Returns
    -------
    Program

    Raises
    ------
    TraceError
        When a term does something that does not trace; the message says what.
    """
    from gensim_losses.losses import loss as L

    n = len(target)  # target itself is handed on untouched: it may be WatchedTargets
    tracer = Tracer(n, hidden)
    output = Sym(tracer, tracer.h, (n, hidden), np.float32)
    outputs = []
    for term in terms:
        with L.muted(term.muted):
            f = L._call(term.loss.forward, target, output, batch)
            g = L._call(term.loss.backward, target, output, batch)
        f_node = _as_node(tracer, f, (n,), f"{type(term.loss).__name__}.forward", allow_scalar=True)
        g_node = _as_node(tracer, g, (n, hidden), f"{type(term.loss).__name__}.backward")
        scalar, vector = _factor(tracer, g_node)
        outputs.append((f_node, scalar, vector, float(term.scale)))
    return Program(tracer, outputs)


def _as_node(tracer, value, shape, what, allow_scalar=False):
    if isinstance(value, Sym):
        if value.shape != shape:
            raise TraceError(f"{what} returned shape {value.shape}, expected {shape}")
        return value.node
    array = np.asarray(value, dtype=np.float32)
    if allow_scalar and array.ndim == 0:
        return tracer.constant([float(array)])
    if array.shape != shape:
        raise TraceError(f"{what} returned shape {array.shape}, expected {shape}")
    return tracer.per_example(array.reshape(shape[0], -1))


class WatchedTargets(np.lib.mixins.NDArrayOperatorsMixin):
    """``target`` for a trace that must find out whether the term reads it.

    Its length, shape and dtype are free to look at; anything that reads its
    values (indexing an array with it, arithmetic, ``np.asarray``) sets
    :attr:`read` and gets the values. A term that never reads ``target`` has
    a program that serves every example of every job.
    """

    def __init__(self, values):
        self._values = np.asarray(values)
        self.read = False
        self.shape, self.dtype, self.ndim, self.size = (self._values.shape, self._values.dtype,
                                                        self._values.ndim, self._values.size)

    def __len__(self):
        return len(self._values)

    def _get(self):
        self.read = True
        return self._values

    def __array__(self, dtype=None, copy=None):
        values = self._get()
        return values if dtype is None else values.astype(dtype)

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        inputs = [x._get() if isinstance(x, WatchedTargets) else x for x in inputs]
        return getattr(ufunc, method)(*inputs, **kwargs)

    def __array_function__(self, func, types, args, kwargs):
        def unwrap(x):
            if isinstance(x, WatchedTargets):
                return x._get()
            if isinstance(x, (list, tuple)):
                return type(x)(unwrap(v) for v in x)
            return x
        return func(*unwrap(args), **{k: unwrap(v) for k, v in kwargs.items()})

    def __getitem__(self, key):
        return self._get()[key]

    def __iter__(self):
        return iter(self._get())

    def __getattr__(self, name):  # astype, tolist, min, ...: all read the values
        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(self._get(), name)
