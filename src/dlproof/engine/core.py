"""The Tensor core: a NumPy array plus the bookkeeping reverse-mode autograd needs.

This module holds the data side of :class:`Tensor` (``data``, ``requires_grad``, ``grad``, the
node that made it), conversions, in-place helpers for optimizers and :meth:`Tensor.backward`.
Everything that *computes* (``+``, ``@``, ``sum``, ``reshape``, ...) is attached to the class by
:mod:`dlproof.engine.binding` once the ops have loaded, so this module imports no op and the ops
import it (one direction, no import cycle).

Design:

* Every differentiable result records a :class:`~dlproof.engine.function.Context` ("node") holding
  the Function that made it, its parent tensors, the arrays saved for backward and a *sequence
  number* drawn from a global counter at creation time (:mod:`dlproof.engine.function`).
* Creation order is a topological order, so the backward walk (:mod:`dlproof.engine.backward`)
  needs no topological sort; see there.
* Grad mode (``no_grad``) is per thread, as in PyTorch (:mod:`dlproof.engine.grad_mode`).
* Leaves (tensors created by the user with ``requires_grad=True``) *accumulate* into ``.grad``
  across backward calls, as in PyTorch, until you reset them (``t.grad = None`` or
  ``t.zero_grad()``). Gradients of intermediate nodes live on the node only while the walk needs
  them.
* ``retain_graph``: by default (as PyTorch) backward frees each node's saved arrays; a second
  backward through a freed node raises ``RuntimeError`` naming the op.

dtypes: Python float data becomes float32 (the default dtype, as PyTorch); NumPy float arrays keep
float32/float64; integer and bool data stay integer/bool and cannot require grad. No op silently
upcasts float32 (Python scalars are passed to NumPy as "weak" scalars, NEP 50).
"""

from __future__ import annotations

from collections import namedtuple

import numpy as np

from dlproof.engine.backward import _RETAIN, run_backward
from dlproof.engine.grad_mode import _Mode

__all__ = ["Tensor", "ValuesIndices", "DEFAULT_DTYPE"]

DEFAULT_DTYPE = np.float32
_new = object.__new__


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

    The class body holds storage, conversions and ``backward``; the operators (``+ - * / @ **``,
    comparisons, indexing) and computing methods (``sum``, ``exp``, ``reshape``, ``T``, ...) are
    attached by :func:`dlproof.engine.binding.bind` when ``dlproof.engine`` is imported.
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

    def __setitem__(self, index, value):
        if self.requires_grad and _Mode.enabled:
            raise RuntimeError(
                "setitem: in-place assignment into a tensor that requires grad is not supported; "
                "build a new tensor (e.g. with where) or wrap in no_grad()"
            )
        self.data[index] = value.data if isinstance(value, Tensor) else value


def shape_args(shape) -> tuple:
    """``f(2, 3)`` and ``f((2, 3))`` both mean the shape (2, 3) (PyTorch's varargs shapes)."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        return tuple(shape[0])
    return tuple(shape)
