"""Binding: the computing methods and operators of :class:`~dlproof.engine.core.Tensor`.

The Tensor core (:mod:`dlproof.engine.core`) holds data and gradients only; the ops
(:mod:`dlproof.engine.ops`) are built on it. This module, imported by the package's
``__init__``, attaches the ops to the class (:func:`bind`): the methods of
:class:`TensorMethods` (PyTorch names with NumPy aliases: ``sum``/``mean``/``reshape``/``T``...,
comparisons, ``**``, indexing) are copied onto Tensor, and the hot arithmetic dunders
(``+ - * / @``, their reflected forms, ``-x``) and ``relu/sigmoid/tanh/exp/log`` are replaced by
closures specialised per Function (:func:`_binary`, :func:`_unary`): one Python call less per
op on the hot path than ``Function.apply``. The backward formulas live on the Function classes.
"""

from __future__ import annotations

import numpy as np

from dlproof.engine import ops as _ops
from dlproof.engine.core import Tensor, shape_args
from dlproof.engine.function import _FF, _T1, _TT, Context, _new, _next, _wrap
from dlproof.engine.grad_mode import _Mode
from dlproof.engine.ops.activation import ReLU, Sigmoid, Tanh
from dlproof.engine.ops.elementwise import Add, Div, Exp, Log, Mul, Neg, Sub
from dlproof.engine.ops.linalg import MatMul

__all__ = ["TensorMethods", "bind"]

_ndarray = np.ndarray


class TensorMethods:
    """The methods :func:`bind` copies onto Tensor (written here as a class so they read as one;
    ``self`` is always a Tensor). Each forwards to the op of the same name in
    :mod:`dlproof.engine.ops`, whose docstring gives the formula."""

    def detach(self) -> Tensor:
        """A new tensor sharing the data, cut from the graph (no gradient flows through)."""
        return _ops.NonDiff.apply(self, fn=_identity)

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

    # -- operators (the hot arithmetic dunders are specialised closures, see bind) ---------
    def __pow__(self, other):
        return _ops.pow(self, other)

    def __rpow__(self, other):
        return _ops.pow(other, self)

    def __pos__(self):
        return self

    def __abs__(self):
        return _ops.abs(self)

    def __getitem__(self, index):
        return _ops.getitem(self, index)

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
        return _ops.reshape(self, shape_args(shape))

    def view(self, *shape):
        return _ops.reshape(self, shape_args(shape))

    def flatten(self, start_dim=0, end_dim=-1):
        return _ops.flatten(self, start_dim, end_dim)

    def transpose(self, dim0=None, dim1=None):
        if dim0 is None:  # numpy-style full transpose
            return _ops.permute(self, tuple(range(self.ndim - 1, -1, -1)))
        return _ops.transpose(self, dim0, dim1)

    def permute(self, *dims):
        return _ops.permute(self, shape_args(dims))

    @property
    def T(self):
        return _ops.permute(self, tuple(range(self.ndim - 1, -1, -1)))

    @property
    def mT(self):
        return _ops.transpose(self, -2, -1)

    def expand(self, *shape):
        return _ops.expand(self, shape_args(shape))

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


def _identity(x):
    return x


def _pick(a, b):
    return a if b is None else b


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


# Tensor.__<name>__ / __r<name>__ for the two-input Functions, and the one-input methods, that
# get a specialised closure each
_BINARY = (("add", Add), ("sub", Sub), ("mul", Mul), ("truediv", Div), ("matmul", MatMul))
_UNARY = (("relu", ReLU), ("sigmoid", Sigmoid), ("tanh", Tanh), ("exp", Exp), ("log", Log),
          ("__neg__", Neg))
_NOT_METHODS = {"__module__", "__qualname__", "__doc__", "__dict__", "__weakref__"}


def bind() -> None:
    """Attach the ops to Tensor (idempotent: calling it again rebinds the same functions)."""
    for name, value in vars(TensorMethods).items():
        if name not in _NOT_METHODS:
            setattr(Tensor, name, value)
    for name, cls in _BINARY:
        setattr(Tensor, f"__{name}__", _binary(cls))
        setattr(Tensor, f"__r{name}__", _binary(cls, swap=True))
    for name, cls in _UNARY:
        setattr(Tensor, name, _unary(cls, name))
