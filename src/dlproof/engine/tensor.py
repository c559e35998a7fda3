"""Tensor: a NumPy array plus the bookkeeping reverse-mode autograd needs.

Design (see ``/work/shared/notes/performance-prototypes.md``):

* Every differentiable result records a :class:`~dlproof.engine.function.Context` ("node") holding
  the Function that made it, its parent tensors, the arrays saved for backward and a *sequence
  number* drawn from a global counter at creation time.
* Creation order is a topological order (a node is always created after its inputs), so
  :meth:`Tensor.backward` needs no topological sort: it always processes the newest node a
  gradient has reached (a heap keyed by sequence number; in a chain the next node is handed over
  directly without touching the heap) and registers a parent the first time a gradient reaches it.
  Only ancestors of the root are visited, each exactly once, iteratively (a 10,000-op chain works).
  Per op this costs about 4 us forward+backward on 10-element arrays (about 0.6x PyTorch here).
* Grad mode (``no_grad``) is per thread, as in PyTorch.
* The arithmetic dunders (``+ - * / @`` and reflected forms) are replaced at import by closures
  specialised per Function (``_binary``): one Python call less per op on the hot path.
* Gradients of intermediate nodes live on the node only while the walk needs them and are dropped
  right after the node's backward ran. Leaves (tensors created by the user with
  ``requires_grad=True``) *accumulate* into ``.grad`` across backward calls, as in PyTorch, until
  you reset them (``t.grad = None`` or ``t.zero_grad()``).
* ``retain_graph``: by default (as PyTorch) backward frees each node's saved arrays; a second
  backward through a freed node raises ``RuntimeError`` naming the op. Pass
  ``retain_graph=True`` to keep them and backward again.
* Broadcasting is undone generically: when a Function's backward returns a gradient whose shape
  differs from its input's, it is summed over the broadcast axes (only then: no cost otherwise).

dtypes: Python float data becomes float32 (the default dtype, as PyTorch); NumPy float arrays keep
float32/float64; integer and bool data stay integer/bool and cannot require grad. No op silently
upcasts float32 (Python scalars are passed to NumPy as "weak" scalars, NEP 50).
"""

from __future__ import annotations

import heapq
import itertools
import threading
import weakref
from collections import namedtuple

import numpy as np

__all__ = [
    "Tensor",
    "Function",
    "Context",
    "tensor",
    "no_grad",
    "enable_grad",
    "is_grad_enabled",
    "set_grad_enabled",
    "zeros",
    "ones",
    "zeros_like",
    "ones_like",
    "full",
    "randn",
    "rand",
    "arange",
    "eye",
    "as_tensor",
    "unbroadcast",
]

DEFAULT_DTYPE = np.float32


class _ModeState(threading.local):
    """Autograd switches, per thread (as PyTorch's grad mode): ``no_grad`` in one thread (say, a
    web request evaluating a model) never disables recording in another."""

    enabled = True  # grad mode (no_grad sets it False)
    tracing = False  # static-graph tracing records every op, see engine.graph
    fast = True  # enabled and not tracing: the Function fast paths may run

    def set(self, enabled=None, tracing=None):
        if enabled is not None:
            self.enabled = bool(enabled)
        if tracing is not None:
            self.tracing = bool(tracing)
        self.fast = self.enabled and not self.tracing


_Mode = _ModeState()


# node sequence numbers count DOWN: a newer node has a smaller number, so the backward heap (a
# min-heap) pops the newest node first. Creation order is a topological order.
_counter = itertools.count(0, -1)


def is_grad_enabled() -> bool:
    """True when new ops are recorded for backward (PyTorch's ``torch.is_grad_enabled``)."""
    return _Mode.enabled


class set_grad_enabled:
    """Context manager / decorator setting grad mode to ``mode`` (restored on exit)."""

    def __init__(self, mode: bool = True):
        self.mode = bool(mode)
        self.prev = None

    def __enter__(self):
        self.prev = _Mode.enabled
        _Mode.set(enabled=self.mode)
        return self

    def __exit__(self, *exc):
        _Mode.set(enabled=self.prev)
        return False

    def __call__(self, fn):
        import functools

        mode = self.mode

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with set_grad_enabled(mode):
                return fn(*args, **kwargs)

        return wrapper


class no_grad(set_grad_enabled):
    """``with no_grad():`` (or ``@no_grad()``) computes without recording a graph."""

    def __init__(self):
        super().__init__(False)


class enable_grad(set_grad_enabled):
    """``with enable_grad():`` re-enables recording inside a ``no_grad`` block."""

    def __init__(self):
        super().__init__(True)


def _to_array(data, dtype=None) -> np.ndarray:
    """Convert user data: Python floats -> float32, ints -> int64, arrays keep their dtype."""
    if isinstance(data, Tensor):
        arr = data.data
    elif isinstance(data, np.ndarray):
        arr = data
    elif isinstance(data, np.generic):
        arr = np.asarray(data)
    else:
        arr = np.asarray(data)
        if arr.dtype == np.float64:  # Python floats: default dtype float32, as PyTorch
            arr = arr.astype(DEFAULT_DTYPE)
    if dtype is not None:
        arr = arr.astype(np.dtype(dtype), copy=False)
    return arr


ValuesIndices = namedtuple("ValuesIndices", ["values", "indices"])


class Tensor:
    """An n-dimensional array that can record the operations applied to it.

    ``Tensor(data, requires_grad=False, dtype=None)``; prefer :func:`tensor`. ``data`` is the
    underlying ``numpy.ndarray`` (shared, not copied, when you pass an array), ``grad`` is a NumPy
    array of the same shape (or None) filled in by :meth:`backward` for leaves.
    """

    # _idx (output index of a multi-output node) and _name are only set when needed (fast path)
    __slots__ = ("data", "requires_grad", "grad", "_node", "_idx", "_name", "__weakref__")
    __array_priority__ = 1000.0
    __array_ufunc__ = None  # make ``ndarray + Tensor`` call Tensor.__radd__

    def __init__(self, data, requires_grad: bool = False, dtype=None, name: str | None = None):
        arr = _to_array(data, dtype)
        if requires_grad and arr.dtype.kind not in "fc":
            raise TypeError(
                f"tensor: only floating point tensors can require grad, got dtype {arr.dtype}"
            )
        self.data = arr
        self.requires_grad = bool(requires_grad)
        self.grad = None
        self._node = None
        self._idx = 0
        self._name = name

    # -- construction fast path used by Function.apply ------------------------------------
    @staticmethod
    def _wrap(arr, requires_grad=False, node=None, idx=0):
        t = _new(Tensor)
        if type(arr) is not np.ndarray:
            arr = np.asarray(arr)
        t.data = arr
        t.requires_grad = requires_grad
        t.grad = None
        t._node = node
        t._idx = idx
        return t

    @property
    def name(self):
        """Optional label (shown by graph.to_dot)."""
        return getattr(self, "_name", None)

    @name.setter
    def name(self, value):
        self._name = value

    # -- basic properties -----------------------------------------------------------------
    @property
    def shape(self) -> tuple:
        return self.data.shape

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def dtype(self):
        return self.data.dtype

    def size(self, dim: int | None = None):
        """PyTorch's ``size()``: the shape, or its length along ``dim``."""
        return self.data.shape if dim is None else self.data.shape[dim]

    def dim(self) -> int:
        return self.data.ndim

    def numel(self) -> int:
        return self.data.size

    @property
    def is_leaf(self) -> bool:
        return self._node is None

    @property
    def grad_fn(self):
        """The node (Context) that produced this tensor, or None for leaves."""
        return self._node

    def __len__(self):
        return len(self.data)

    def __repr__(self):
        body = np.array2string(self.data, precision=4, separator=", ", prefix="tensor(")
        extra = ""
        if self.data.dtype != DEFAULT_DTYPE:
            extra += f", dtype={self.data.dtype}"
        if self._node is not None and self.requires_grad:
            extra += f", grad_fn=<{self._node.fn.__name__}>"
        elif self.requires_grad:
            extra += ", requires_grad=True"
        return f"tensor({body}{extra})"

    def __array__(self, dtype=None, copy=None):
        if dtype is not None:
            return self.data.astype(dtype)
        return self.data

    __hash__ = object.__hash__

    def __bool__(self):
        return bool(self.data)

    def __float__(self):
        return float(self.data)

    def __int__(self):
        return int(self.data)

    def __index__(self):
        return int(self.data)

    def __iter__(self):
        for i in range(len(self.data)):
            yield self[i]

    # -- conversion -----------------------------------------------------------------------
    def numpy(self) -> np.ndarray:
        """The underlying array (shared memory, as ``torch.Tensor.numpy``)."""
        return self.data

    def item(self):
        """The single element as a Python number."""
        if self.data.size != 1:
            raise ValueError(f"item: only one-element tensors can be converted, got {self.shape}")
        return self.data.item()

    def tolist(self):
        return self.data.tolist()

    def detach(self) -> Tensor:
        """A new tensor sharing the data, cut from the graph (no gradient flows through)."""
        return _ops.NonDiff.apply(self, fn=_identity)

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        if requires_grad and self.data.dtype.kind not in "fc":
            raise TypeError(f"requires_grad_: dtype {self.data.dtype} cannot require grad")
        if self._node is not None and not requires_grad:
            raise RuntimeError("requires_grad_: cannot turn off grad on a non-leaf tensor")
        self.requires_grad = requires_grad
        return self

    def retain_grad(self) -> None:
        """Also fill ``.grad`` of this non-leaf tensor during backward (leaves always do);
        accumulates across backward calls like a leaf's."""
        if self._node is not None:
            _RETAIN.setdefault(self._node, []).append(self)

    @property
    def retains_grad(self) -> bool:
        # identity test: ``in`` would call Tensor.__eq__, which is elementwise
        return self._node is not None and any(t is self for t in _RETAIN.get(self._node, ()))

    def zero_grad(self) -> None:
        """Reset the accumulated gradient (same as ``t.grad = None``)."""
        self.grad = None

    def clone(self) -> Tensor:
        return _ops.clone(self)

    def astype(self, dtype) -> Tensor:
        """Cast (differentiable between float dtypes); numpy alias of :meth:`to`."""
        return _ops.cast(self, np.dtype(dtype))

    def to(self, dtype) -> Tensor:
        return _ops.cast(self, np.dtype(dtype))

    def float(self) -> Tensor:
        return _ops.cast(self, np.dtype(np.float32))

    def double(self) -> Tensor:
        return _ops.cast(self, np.dtype(np.float64))

    def long(self) -> Tensor:
        return Tensor._wrap(self.data.astype(np.int64))

    def int(self) -> Tensor:
        return Tensor._wrap(self.data.astype(np.int32))

    def bool(self) -> Tensor:
        return Tensor._wrap(self.data.astype(bool))

    # -- autograd -------------------------------------------------------------------------
    def backward(self, grad=None, retain_graph: bool = False) -> None:
        """Accumulate d(self)/d(leaf) * grad into every leaf's ``.grad``.

        ``grad`` defaults to 1 for a one-element tensor (as PyTorch; otherwise it is required).
        With ``retain_graph=False`` the graph's saved arrays are freed as the walk goes; a second
        backward through the same nodes then raises ``RuntimeError``.
        """
        if not self.requires_grad:
            raise RuntimeError(
                "backward: tensor does not require grad and has no grad_fn "
                "(was it created under no_grad, or from leaves without requires_grad=True?)"
            )
        if grad is None:
            if self.data.size != 1:
                raise RuntimeError(
                    f"backward: grad can be implicitly created only for one-element outputs, "
                    f"got shape {self.shape}; pass grad="
                )
            g = np.ones_like(self.data)
        else:
            g = grad.data if isinstance(grad, Tensor) else np.asarray(grad, dtype=self.data.dtype)
            if g.shape != self.data.shape:
                raise ValueError(
                    f"backward: grad shape {g.shape} does not match tensor shape {self.shape}"
                )
        run_backward([(self, g)], retain_graph)

    # -- in-place helpers (no autograd; for optimizers and init) -----------------------------
    def zero_(self) -> Tensor:
        self.data[...] = 0
        return self

    def fill_(self, value) -> Tensor:
        self.data[...] = value
        return self

    def copy_(self, other) -> Tensor:
        self.data[...] = other.data if isinstance(other, Tensor) else other
        return self

    # -- operators ------------------------------------------------------------------------
    def __add__(self, other):
        return apply2(_Add, self, other)

    def __radd__(self, other):
        return apply2(_Add, other, self)

    def __sub__(self, other):
        return apply2(_Sub, self, other)

    def __rsub__(self, other):
        return apply2(_Sub, other, self)

    def __mul__(self, other):
        return apply2(_Mul, self, other)

    def __rmul__(self, other):
        return apply2(_Mul, other, self)

    def __truediv__(self, other):
        return apply2(_Div, self, other)

    def __rtruediv__(self, other):
        return apply2(_Div, other, self)

    def __pow__(self, other):
        return _ops.pow(self, other)

    def __rpow__(self, other):
        return _ops.pow(other, self)

    def __matmul__(self, other):
        return apply2(_MatMul, self, other)

    def __rmatmul__(self, other):
        return _ops.matmul(other, self)

    def __neg__(self):
        return apply1(_Neg, self)

    def __pos__(self):
        return self

    def __abs__(self):
        return _ops.abs(self)

    def __getitem__(self, index):
        return _ops.getitem(self, index)

    def __setitem__(self, index, value):
        if self.requires_grad and _Mode.enabled:
            raise RuntimeError(
                "setitem: in-place assignment into a tensor that requires grad is not supported; "
                "build a new tensor (e.g. with where) or wrap in no_grad()"
            )
        self.data[index] = value.data if isinstance(value, Tensor) else value

    # comparisons: non-differentiable boolean tensors
    def _cmp(self, other, op):
        return _ops.NonDiff.apply(self, other, fn=op)

    def __lt__(self, other):
        return self._cmp(other, np.less)

    def __le__(self, other):
        return self._cmp(other, np.less_equal)

    def __gt__(self, other):
        return self._cmp(other, np.greater)

    def __ge__(self, other):
        return self._cmp(other, np.greater_equal)

    def __eq__(self, other):
        return self._cmp(other, np.equal)

    def __ne__(self, other):
        return self._cmp(other, np.not_equal)

    def __invert__(self):
        return _ops.NonDiff.apply(self, fn=np.invert)

    def __and__(self, other):
        return self._cmp(other, np.logical_and)

    def __or__(self, other):
        return self._cmp(other, np.logical_or)

    # -- math methods ---------------------------------------------------------------------
    def add(self, other):
        return _ops.add(self, other)

    def sub(self, other):
        return _ops.sub(self, other)

    def mul(self, other):
        return _ops.mul(self, other)

    def div(self, other):
        return _ops.div(self, other)

    def pow(self, other):
        return _ops.pow(self, other)

    def matmul(self, other):
        return _ops.matmul(self, other)

    def mm(self, other):
        return _ops.matmul(self, other)

    def exp(self):
        return apply1(_Exp, self)

    def log(self):
        return apply1(_Log, self)

    def sqrt(self):
        return _ops.sqrt(self)

    def abs(self):
        return _ops.abs(self)

    def neg(self):
        return _ops.neg(self)

    def maximum(self, other):
        return _ops.maximum(self, other)

    def minimum(self, other):
        return _ops.minimum(self, other)

    def clamp(self, min=None, max=None):  # noqa: A002 - PyTorch's names
        return _ops.clip(self, min, max)

    def clip(self, min=None, max=None):  # noqa: A002
        return _ops.clip(self, min, max)

    def relu(self):
        return apply1(_ReLU, self)

    def sigmoid(self):
        return apply1(_Sigmoid, self)

    def tanh(self):
        return apply1(_Tanh, self)

    def softmax(self, dim=-1):
        return _ops.softmax(self, dim)

    def log_softmax(self, dim=-1):
        return _ops.log_softmax(self, dim)

    def logsumexp(self, dim=None, keepdim=False):
        return _ops.logsumexp(self, dim, keepdim)

    # -- reductions (PyTorch names, numpy aliases) ------------------------------------------
    def sum(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        return _ops.sum(self, _pick(dim, axis), _pick(keepdim, keepdims))

    def mean(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        return _ops.mean(self, _pick(dim, axis), _pick(keepdim, keepdims))

    def var(self, dim=None, unbiased=None, keepdim=False, *, correction=None, axis=None,
            keepdims=None, ddof=None):
        """Variance with Bessel ``correction`` (default 1 as PyTorch; ``unbiased=False`` or
        ``ddof=0``/``correction=0`` gives the biased estimate): sum((x-mean)^2)/(N-correction)."""
        if correction is None:
            correction = ddof if ddof is not None else (1 if unbiased in (None, True) else 0)
        return _ops.var(self, _pick(dim, axis), correction, _pick(keepdim, keepdims))

    def std(self, dim=None, unbiased=None, keepdim=False, *, correction=None, axis=None,
            keepdims=None, ddof=None):
        return _ops.sqrt(self.var(dim, unbiased, keepdim, correction=correction, axis=axis,
                                  keepdims=keepdims, ddof=ddof))

    def max(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        """Max. ``dim=<int>`` returns ``(values, indices)`` as PyTorch, the gradient going to
        the returned (first) index; no dim, a tuple of dims or numpy's ``axis=`` return the
        values only and split the gradient evenly among ties (as ``torch.amax``)."""
        return _minmax(self, dim, keepdim, axis, keepdims, True)

    def min(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        """Min; same conventions as :meth:`max`."""
        return _minmax(self, dim, keepdim, axis, keepdims, False)

    def amax(self, dim=None, keepdim=False):
        return _ops.amax(self, dim, keepdim)

    def amin(self, dim=None, keepdim=False):
        return _ops.amin(self, dim, keepdim)

    def argmax(self, dim=None, keepdim=False):
        """Index of the (first) maximum, flattened when dim is None; no gradient."""
        return _ops.NonDiff.apply(self, dim, keepdim, np.argmax, fn=_argext)

    def argmin(self, dim=None, keepdim=False):
        return _ops.NonDiff.apply(self, dim, keepdim, np.argmin, fn=_argext)

    # -- shape methods ----------------------------------------------------------------------
    def reshape(self, *shape):
        return _ops.reshape(self, _shape_args(shape))

    def view(self, *shape):
        return _ops.reshape(self, _shape_args(shape))

    def flatten(self, start_dim=0, end_dim=-1):
        return _ops.flatten(self, start_dim, end_dim)

    def transpose(self, dim0=None, dim1=None):
        if dim0 is None:  # numpy-style full transpose
            return _ops.permute(self, tuple(range(self.ndim - 1, -1, -1)))
        return _ops.transpose(self, dim0, dim1)

    def permute(self, *dims):
        return _ops.permute(self, _shape_args(dims))

    @property
    def T(self):
        return _ops.permute(self, tuple(range(self.ndim - 1, -1, -1)))

    @property
    def mT(self):
        return _ops.transpose(self, -2, -1)

    def expand(self, *shape):
        return _ops.expand(self, _shape_args(shape))

    def broadcast_to(self, shape):
        return _ops.expand(self, tuple(shape))

    def unsqueeze(self, dim):
        return _ops.unsqueeze(self, dim)

    def squeeze(self, dim=None):
        return _ops.squeeze(self, dim)

    def split(self, split_size_or_sections, dim=0):
        return _ops.split(self, split_size_or_sections, dim)

    def chunk(self, chunks, dim=0):
        return _ops.chunk(self, chunks, dim)


_new = object.__new__


def _identity(x):
    return x


def _pick(a, b):
    return a if b is None else b


def _shape_args(shape):
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        return tuple(shape[0])
    return tuple(shape)


def _argext(data, dim, keepdim, fn):
    if dim is None:
        out = fn(data)
        return np.asarray(out).reshape((1,) * data.ndim) if keepdim else np.asarray(out)
    return fn(data, axis=dim, keepdims=keepdim)


def _minmax(t, dim, keepdim, axis, keepdims, is_max):
    if axis is not None or dim is None or isinstance(dim, (tuple, list)):
        d = _pick(dim, axis)
        kd = _pick(keepdim, keepdims)
        return _ops.amax(t, d, kd) if is_max else _ops.amin(t, d, kd)
    return _ops.max_dim(t, dim, keepdim) if is_max else _ops.min_dim(t, dim, keepdim)


# --------------------------------------------------------------------------------------------
# the backward walk
# --------------------------------------------------------------------------------------------


def unbroadcast(grad: np.ndarray, shape: tuple) -> np.ndarray:
    """Undo NumPy broadcasting: sum ``grad`` over the axes that broadcasting added or stretched.

    If y = broadcast(x) then dL/dx = sum of dL/dy over every copy of x: leading extra axes are
    summed away and axes where x had size 1 are summed with keepdims.
    """
    nd = grad.ndim - len(shape)
    if nd > 0:
        grad = grad.sum(axis=tuple(range(nd)))
    axes = tuple(i for i, s in enumerate(shape) if s == 1 and grad.shape[i] != 1)
    if axes:
        grad = grad.sum(axis=axes, keepdims=True)
    if grad.shape != shape:
        raise RuntimeError(f"unbroadcast: gradient of shape {grad.shape} cannot reduce to {shape}")
    return grad


def _freed_error(node):
    return RuntimeError(
        f"backward: trying to backward through {node.fn.__name__} a second time, but its saved "
        "arrays were freed after the first backward; call backward(retain_graph=True) the first "
        "time if you need to backward twice"
    )


def run_backward(roots, retain_graph: bool = False) -> None:
    """Reverse-mode sweep from ``roots`` = [(tensor, upstream grad array), ...].

    Nodes are processed in decreasing creation order (a valid reverse topological order) using a
    heap that only ever holds nodes a gradient has reached. ``nxt`` short-cuts the heap for the
    common chain case (the newest node reached in this step runs next if nothing newer waits).
    """
    heap = []
    push = heapq.heappush
    pop = heapq.heappop
    pushpop = heapq.heappushpop
    ndarray = np.ndarray
    retain_data = _RETAIN_DATA
    unbroadcast_ = unbroadcast
    for t, g in roots:
        _send(t, g, heap, push)
    nxt = None
    while True:
        if nxt is not None:
            node = pushpop(heap, (nxt.seq, nxt))[1] if heap and heap[0][0] < nxt.seq else nxt
            nxt = None
        elif heap:
            node = pop(heap)[1]
        else:
            break
        parents = node.parents
        if parents is None:
            raise _freed_error(node)
        g = node.grad
        node.grad = None
        if retain_data:  # the plain dict under the WeakKeyDictionary: a cheap emptiness test
            _retain(node, g)
        if node.n_out == 1:
            grads = node.fn.backward(node, g)
        else:
            g = [
                np.zeros(s, d) if gi is None else gi
                for gi, (s, d) in zip(g, node.out_meta)
            ]
            grads = node.fn.backward(node, *g)
        if type(grads) is not tuple:
            grads = (grads,)
        if not retain_graph:
            node.parents = None
            node.saved_tensors = None
        for p, gi in zip(parents, grads):
            if p is None or gi is None:
                continue
            data = p.data
            if gi.shape != data.shape:
                gi = unbroadcast_(np.asarray(gi), data.shape)
            pn = p._node
            if pn is None:  # leaf: accumulate into .grad (an owned copy, so += is safe)
                pg = p.grad
                if pg is None:
                    p.grad = np.array(gi, dtype=data.dtype)
                elif type(pg) is ndarray and pg.shape == data.shape:
                    pg += gi
                else:
                    p.grad = pg + gi
            elif pn.n_out == 1:
                if pn.grad is None:
                    pn.grad = gi
                    if nxt is None:
                        nxt = pn
                    elif pn.seq < nxt.seq:
                        push(heap, (nxt.seq, nxt))
                        nxt = pn
                    else:
                        push(heap, (pn.seq, pn))
                else:
                    pn.grad = pn.grad + gi
            else:
                if pn.grad is None and nxt is not None:  # keep the heap invariant simple
                    push(heap, (nxt.seq, nxt))
                    nxt = None
                _send_multi(pn, p._idx, gi, heap, push)


_RETAIN = weakref.WeakKeyDictionary()  # node -> tensors that asked for retain_grad()
_RETAIN_DATA = _RETAIN.data


def _retain(node, g):
    for t in _RETAIN.get(node, ()):
        gi = g if node.n_out == 1 else g[getattr(t, "_idx", 0)]
        if gi is None:
            continue
        t.grad = np.array(gi, dtype=t.data.dtype) if t.grad is None else t.grad + gi


def _send(t, g, heap, push):
    pn = t._node
    if pn is None:
        if t.grad is None:
            t.grad = np.array(g, dtype=t.data.dtype, copy=True)
        else:
            t.grad = t.grad + g
    elif pn.n_out == 1:
        if pn.grad is None:
            pn.grad = g
            push(heap, (pn.seq, pn))
        else:
            pn.grad = pn.grad + g
    else:
        _send_multi(pn, t._idx, g, heap, push)


def _send_multi(pn, idx, gi, heap, push):
    if pn.grad is None:
        pn.grad = [None] * pn.n_out
        push(heap, (pn.seq, pn))
    cur = pn.grad[idx]
    pn.grad[idx] = gi if cur is None else cur + gi


# --------------------------------------------------------------------------------------------
# factories
# --------------------------------------------------------------------------------------------


def tensor(data, requires_grad: bool = False, dtype=None) -> Tensor:
    """Make a leaf tensor (copies ``data``, as ``torch.tensor``).

    Python floats -> float32, Python ints -> int64, NumPy arrays keep their dtype.
    """
    if isinstance(data, Tensor):
        data = data.data
    arr = _to_array(data, dtype)
    if arr is data or (isinstance(data, np.ndarray) and np.may_share_memory(arr, data)):
        arr = arr.copy()
    return Tensor(arr, requires_grad=requires_grad)


def as_tensor(data, dtype=None) -> Tensor:
    """Wrap without copying when possible; Tensors are returned unchanged."""
    if isinstance(data, Tensor) and dtype is None:
        return data
    return Tensor(data, dtype=dtype)


def _dt(dtype):
    return np.dtype(DEFAULT_DTYPE if dtype is None else dtype)


def _size(shape):
    return _shape_args(shape)


def zeros(*shape, dtype=None, requires_grad=False) -> Tensor:
    """Tensor of zeros of ``shape`` (float32 unless ``dtype``)."""
    return Tensor(np.zeros(_size(shape), _dt(dtype)), requires_grad=requires_grad)


def ones(*shape, dtype=None, requires_grad=False) -> Tensor:
    """Tensor of ones of ``shape`` (float32 unless ``dtype``)."""
    return Tensor(np.ones(_size(shape), _dt(dtype)), requires_grad=requires_grad)


def full(shape, fill_value, dtype=None, requires_grad=False) -> Tensor:
    return Tensor(np.full(tuple(shape), fill_value, _dt(dtype)), requires_grad=requires_grad)


def zeros_like(t, dtype=None, requires_grad=False) -> Tensor:
    d = t.data if isinstance(t, Tensor) else np.asarray(t)
    return Tensor(np.zeros_like(d, dtype=dtype), requires_grad=requires_grad)


def ones_like(t, dtype=None, requires_grad=False) -> Tensor:
    d = t.data if isinstance(t, Tensor) else np.asarray(t)
    return Tensor(np.ones_like(d, dtype=dtype), requires_grad=requires_grad)


def eye(n, m=None, dtype=None, requires_grad=False) -> Tensor:
    return Tensor(np.eye(n, m, dtype=_dt(dtype)), requires_grad=requires_grad)


def _gen(generator):
    if generator is None:
        raise TypeError(
            "pass generator=numpy.random.default_rng(seed): all randomness in dlproof flows "
            "from an explicit Generator"
        )
    if isinstance(generator, (int, np.integer)):
        return np.random.default_rng(int(generator))
    return generator


def randn(*shape, generator=None, dtype=None, requires_grad=False) -> Tensor:
    """Standard normal samples N(0, 1) drawn from ``generator`` (a numpy Generator or a seed)."""
    g = _gen(generator)
    return Tensor(g.standard_normal(_size(shape)).astype(_dt(dtype)), requires_grad=requires_grad)


def rand(*shape, generator=None, dtype=None, requires_grad=False) -> Tensor:
    """Uniform [0, 1) samples drawn from ``generator`` (a numpy Generator or a seed)."""
    g = _gen(generator)
    return Tensor(g.random(_size(shape)).astype(_dt(dtype)), requires_grad=requires_grad)


def arange(start, end=None, step=1, dtype=None, requires_grad=False) -> Tensor:
    """``arange(end)`` or ``arange(start, end, step)``; integer args give int64, floats float32."""
    if end is None:
        start, end = 0, start
    arr = np.arange(start, end, step)
    if dtype is not None:
        arr = arr.astype(dtype)
    elif arr.dtype == np.float64:
        arr = arr.astype(DEFAULT_DTYPE)
    return Tensor(arr, requires_grad=requires_grad)


# --------------------------------------------------------------------------------------------
# Function / Context (documented in dlproof.engine.function)
# --------------------------------------------------------------------------------------------

_next = _counter.__next__
_wrap = Tensor._wrap


class Context:
    """The graph node of one op application (PyTorch's ``ctx``).

    Slots used by the engine: ``fn`` (the Function class), ``parents`` (one Tensor or None per
    positional input), ``saved_tensors``, ``needs_input_grad``, ``grad`` (the upstream gradient
    while the backward walk needs it), ``seq`` (creation order), ``n_out``/``out_meta`` (multiple
    outputs). Any other attribute (``ctx.stride = 2``) goes into the instance dict.
    """

    __slots__ = (
        "fn",
        "parents",
        "saved_tensors",
        "needs_input_grad",
        "grad",
        "seq",
        "n_out",
        "out_meta",
        "args",
        "kwargs",
        "__dict__",
        "__weakref__",
    )

    def __init__(self):
        self.saved_tensors = ()
        self.n_out = 1
        self.needs_input_grad = ()

    def save_for_backward(self, *arrays) -> None:
        """Keep arrays for the backward pass (freed after it unless ``retain_graph``)."""
        self.saved_tensors = arrays

    @property
    def name(self) -> str:
        return self.fn.__name__

    def __repr__(self):
        return f"<{self.fn.__name__} node #{-self.seq}>"  # seq counts down from 0


class Function:
    """Base class of every differentiable op; see dlproof.engine.function's docstring.

    ``differentiable = False`` marks ops whose outputs never require grad (comparisons, argmax,
    detach); they still go through ``apply`` so that static-graph tracing records them.
    """

    differentiable = True

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError

    @classmethod
    def apply(cls, *args, **kwargs):
        """Run ``forward`` on the arrays of ``args`` and record a node when any input needs grad."""
        ctx = _new(Context)
        arrays = []
        parents = []
        any_grad = False
        for a in args:
            if isinstance(a, Tensor):
                arrays.append(a.data)
                if a.requires_grad:
                    any_grad = True
                    parents.append(a)
                else:
                    parents.append(None)
            else:
                arrays.append(a)
                parents.append(None)
        tracing = _Mode.tracing
        if not cls.differentiable:
            any_grad = False
        record = (any_grad and _Mode.enabled) or tracing
        if record:
            ctx.needs_input_grad = [p is not None for p in parents]
        else:
            ctx.needs_input_grad = [False] * len(parents)
            any_grad = False
        out = cls.forward(ctx, *arrays, **kwargs)
        if not record:
            if type(out) is tuple:
                return tuple(_wrap(o) for o in out)
            return _wrap(out)
        ctx.fn = cls
        ctx.parents = parents
        ctx.grad = None
        ctx.seq = _next()
        if tracing:
            ctx.args = args
            ctx.kwargs = kwargs
        if type(out) is tuple:
            out = tuple(o if type(o) is np.ndarray else np.asarray(o) for o in out)
            ctx.n_out = len(out)
            ctx.out_meta = [(o.shape, o.dtype) for o in out]
            return tuple(_wrap(o, any_grad, ctx, i) for i, o in enumerate(out))
        ctx.n_out = 1
        return _wrap(out, any_grad, ctx)


_FF = (False, False)


def apply1(cls, x):
    """Fast path of ``cls.apply(x)`` for one-input Functions without keyword arguments."""
    if _Mode.fast and (type(x) is Tensor or isinstance(x, Tensor)) and x.requires_grad:
        ctx = _new(Context)
        ctx.needs_input_grad = _T1
        out = cls.forward(ctx, x.data)
        if type(out) is not _ndarray:
            out = np.asarray(out)
        ctx.fn = cls
        ctx.parents = (x,)
        ctx.grad = None
        ctx.seq = _next()
        ctx.n_out = 1
        t = _new(Tensor)
        t.data = out
        t.requires_grad = True
        t.grad = None
        t._node = ctx
        return t
    return cls.apply(x)


_T1 = (True,)
_TT = (True, True)
_ndarray = np.ndarray


def apply2(cls, a, b):
    """Fast path of ``cls.apply(a, b)`` for two-input Functions without keyword arguments."""
    if not _Mode.fast:
        return cls.apply(a, b)
    if type(a) is Tensor or isinstance(a, Tensor):
        ad = a.data
        ra = a.requires_grad
    else:
        ad = a
        ra = False
    if type(b) is Tensor or isinstance(b, Tensor):
        bd = b.data
        rb = b.requires_grad
    else:
        bd = b
        rb = False
    ctx = _new(Context)
    if not (ra or rb):
        ctx.needs_input_grad = _FF
        return _wrap(cls.forward(ctx, ad, bd))
    ctx.needs_input_grad = (ra, rb)
    out = cls.forward(ctx, ad, bd)
    if type(out) is not _ndarray:
        out = np.asarray(out)
    ctx.fn = cls
    ctx.parents = (a if ra else None, b if rb else None)
    ctx.grad = None
    ctx.seq = _next()
    ctx.n_out = 1
    t = _new(Tensor)
    t.data = out
    t.requires_grad = True
    t.grad = None
    t._node = ctx
    return t


# The hot dunders call Function fast paths with op classes bound here by ops/__init__ once it has
# loaded (a module-level ``from ... import`` would be circular).
_ReLU = _Sigmoid = _Tanh = _Add = _Div = _Exp = _Log = _Mul = _Neg = _Sub = _MatMul = None


def _binary(cls, swap=False):
    """Specialised ``Tensor.__op__`` for a two-input Function: apply2 inlined (one Python call
    less per op on the hot path); ``swap`` builds the reflected ``__rop__``."""
    fwd = cls.forward
    apply = cls.apply

    def record(a, b, ad, ra, bd, rb):
        ctx = _new(Context)
        if not (ra or rb):
            ctx.needs_input_grad = _FF
            return _wrap(fwd(ctx, ad, bd))
        ctx.needs_input_grad = (ra, rb)
        out = fwd(ctx, ad, bd)
        if type(out) is not _ndarray:
            out = np.asarray(out)
        ctx.fn = cls
        ctx.parents = (a if ra else None, b if rb else None)
        ctx.grad = None
        ctx.seq = _next()
        ctx.n_out = 1
        t = _new(Tensor)
        t.data = out
        t.requires_grad = True
        t.grad = None
        t._node = ctx
        return t

    if not swap:
        def op(self, other):
            if not _Mode.fast:
                return apply(self, other)
            if type(other) is Tensor or isinstance(other, Tensor):
                rb = other.requires_grad
                if self.requires_grad and rb:  # the common hot case, record() inlined
                    ctx = _new(Context)
                    ctx.needs_input_grad = _TT
                    out = fwd(ctx, self.data, other.data)
                    if type(out) is not _ndarray:
                        out = np.asarray(out)
                    ctx.fn = cls
                    ctx.parents = (self, other)
                    ctx.grad = None
                    ctx.seq = _next()
                    ctx.n_out = 1
                    t = _new(Tensor)
                    t.data = out
                    t.requires_grad = True
                    t.grad = None
                    t._node = ctx
                    return t
                return record(self, other, self.data, self.requires_grad, other.data, rb)
            return record(self, other, self.data, self.requires_grad, other, False)
    else:
        def op(self, other):
            if not _Mode.fast:
                return apply(other, self)
            if type(other) is Tensor or isinstance(other, Tensor):
                return record(other, self, other.data, other.requires_grad, self.data,
                              self.requires_grad)
            return record(other, self, other, False, self.data, self.requires_grad)

    op.__name__ = f"__{'r' if swap else ''}{cls.__name__.lower()}__"
    op.__doc__ = f"{cls.__name__}.apply (see its docstring for the backward formula)."
    return op


def _unary(cls, name):
    """Specialised ``Tensor.<name>()`` for a one-input Function: apply1 inlined."""
    fwd = cls.forward
    apply = cls.apply

    def op(self):
        if self.requires_grad and _Mode.fast:
            ctx = _new(Context)
            ctx.needs_input_grad = _T1
            out = fwd(ctx, self.data)
            if type(out) is not _ndarray:
                out = np.asarray(out)
            ctx.fn = cls
            ctx.parents = (self,)
            ctx.grad = None
            ctx.seq = _next()
            ctx.n_out = 1
            t = _new(Tensor)
            t.data = out
            t.requires_grad = True
            t.grad = None
            t._node = ctx
            return t
        return apply(self)

    op.__name__ = name
    op.__doc__ = f"{cls.__name__}.apply (see its docstring for the backward formula)."
    return op


def _bind_ops():
    global _ReLU, _Sigmoid, _Tanh, _Add, _Div, _Exp, _Log, _Mul, _Neg, _Sub, _MatMul
    from dlproof.engine.ops.activation import ReLU as _ReLU
    from dlproof.engine.ops.activation import Sigmoid as _Sigmoid
    from dlproof.engine.ops.activation import Tanh as _Tanh
    from dlproof.engine.ops.elementwise import Add as _Add
    from dlproof.engine.ops.elementwise import Div as _Div
    from dlproof.engine.ops.elementwise import Exp as _Exp
    from dlproof.engine.ops.elementwise import Log as _Log
    from dlproof.engine.ops.elementwise import Mul as _Mul
    from dlproof.engine.ops.elementwise import Neg as _Neg
    from dlproof.engine.ops.elementwise import Sub as _Sub
    from dlproof.engine.ops.linalg import MatMul as _MatMul

    for name, cls in (("add", _Add), ("sub", _Sub), ("mul", _Mul), ("truediv", _Div),
                      ("matmul", _MatMul)):
        setattr(Tensor, f"__{name}__", _binary(cls))
        setattr(Tensor, f"__r{name}__", _binary(cls, swap=True))
    for name, cls in (("relu", _ReLU), ("sigmoid", _Sigmoid), ("tanh", _Tanh), ("exp", _Exp),
                      ("log", _Log), ("__neg__", _Neg)):
        setattr(Tensor, name, _unary(cls, name))


from dlproof.engine import ops as _ops  # noqa: E402  (loads the ops, which call _bind_ops)
