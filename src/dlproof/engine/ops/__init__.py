"""Primitive differentiable ops as plain functions on Tensors (and NumPy arrays / scalars, which
are treated as constants). Each wraps one :class:`~dlproof.engine.function.Function`; the
backward formulas are documented on those classes:

===================  ==========================================
function             Function class (module)
===================  ==========================================
add sub mul div neg  Add Sub Mul Div Neg (ops.elementwise)
pow exp log sqrt abs Pow Exp Log Sqrt Abs (ops.elementwise)
maximum minimum      Maximum Minimum (ops.elementwise)
where clip cast      Where Clip Cast (ops.elementwise)
matmul               MatMul (ops.linalg)
sum mean var         Sum Mean Var (ops.reduction)
amax amin            AMax (ops.reduction)
max_dim min_dim      MaxDim (ops.reduction)
logsumexp softmax    LogSumExp Softmax LogSoftmax (ops.reduction)
reshape permute      Reshape Permute (ops.shape)
expand getitem       Expand GetItem (ops.shape)
cat stack split pad  Cat Stack Split Pad (ops.shape)
sigmoid tanh relu..  Sigmoid Tanh ReLU LeakyReLU ELU GELU
                     Softplus SiLU Hardtanh (ops.activation)
===================  ==========================================
"""

from __future__ import annotations

import builtins

import numpy as np

from dlproof.engine.core import Tensor, ValuesIndices
from dlproof.engine.function import apply1, apply2
from dlproof.engine.ops.activation import (
    ELU,
    GELU,
    SELU_ALPHA,
    SELU_SCALE,
    Hardtanh,
    LeakyReLU,
    ReLU,
    Sigmoid,
    SiLU,
    Softplus,
    Tanh,
    erf,
)
from dlproof.engine.ops.elementwise import (
    Abs,
    Add,
    Cast,
    Clip,
    Clone,
    Div,
    Exp,
    Log,
    Maximum,
    Minimum,
    Mul,
    Neg,
    NonDiff,
    Pow,
    Sqrt,
    Sub,
    Where,
)
from dlproof.engine.ops.linalg import MatMul
from dlproof.engine.ops.reduction import (
    AMax,
    LogSoftmax,
    LogSumExp,
    MaxDim,
    Mean,
    Softmax,
    Sum,
    Var,
    norm_axes,
)
from dlproof.engine.ops.shape import (
    Cat,
    Expand,
    GetItem,
    Pad,
    Permute,
    Reshape,
    Split,
    Stack,
    _unwrap_index,
)

__all__ = [
    "add", "sub", "mul", "div", "neg", "pow", "exp", "log", "sqrt", "abs", "maximum", "minimum",
    "where", "clip", "clamp", "cast", "clone", "matmul", "sum", "mean", "var", "amax", "amin",
    "max_dim", "min_dim", "logsumexp", "softmax", "log_softmax", "reshape", "permute",
    "transpose", "expand", "getitem", "cat", "stack", "split", "chunk", "pad", "unsqueeze",
    "squeeze", "flatten", "sigmoid", "tanh", "relu", "leaky_relu", "elu", "selu", "gelu",
    "softplus", "silu", "hardtanh", "erf", "NonDiff",
]



def add(a, b):
    """a + b (broadcasting)."""
    return apply2(Add, a, b)


def sub(a, b):
    """a - b (broadcasting)."""
    return apply2(Sub, a, b)


def mul(a, b):
    """a * b (broadcasting)."""
    return apply2(Mul, a, b)


def div(a, b):
    """a / b (broadcasting)."""
    return apply2(Div, a, b)


def neg(x):
    """-x (same shape). Backward: Neg."""
    return apply1(Neg, x)


def pow(a, b):  # noqa: A001 - PyTorch's name
    """a ** b."""
    return Pow.apply(a, b)


def exp(x):
    """e^x elementwise (same shape). Backward: Exp (dL/dx = g e^x)."""
    return apply1(Exp, x)


def log(x):
    """natural log elementwise. Backward: Log (dL/dx = g / x)."""
    return apply1(Log, x)


def sqrt(x):
    """sqrt(x) elementwise. Backward: Sqrt (dL/dx = g / (2 sqrt x))."""
    return apply1(Sqrt, x)


def abs(x):  # noqa: A001
    """|x| elementwise. Backward: Abs (sign(x), 0 at 0)."""
    return apply1(Abs, x)


def maximum(a, b):
    """Elementwise max(a, b), broadcasting; ties split the gradient. Backward: Maximum."""
    return Maximum.apply(a, b)


def minimum(a, b):
    """Elementwise min(a, b), broadcasting; ties split the gradient. Backward: Minimum."""
    return Minimum.apply(a, b)


def where(cond, a, b):
    """Elementwise ``a if cond else b`` (cond: bool Tensor/array, no gradient)."""
    return Where.apply(cond, a, b)


def _const(v):
    return v.data if isinstance(v, Tensor) else v


def clip(x, min=None, max=None):  # noqa: A002 - PyTorch's names
    """clamp(x, min, max); bounds are constants."""
    return Clip.apply(x, _const(min), _const(max))


clamp = clip


def cast(x, dtype):
    """Convert dtype; float->float casts are differentiable, others return a non-grad tensor."""
    dtype = np.dtype(dtype)
    if not isinstance(x, Tensor):
        x = Tensor(x)
    if x.data.dtype == dtype:
        return x
    if dtype.kind not in "fc":
        return Tensor._wrap(x.data.astype(dtype))
    return Cast.apply(x, dtype)


def clone(x):
    """A copy of x (gradient passes through)."""
    return Clone.apply(x)


def matmul(a, b):
    """Batched matrix product with NumPy's rules (1-D operands are vectors)."""
    return apply2(MatMul, a, b)


def sum(x, dim=None, keepdim=False):  # noqa: A001
    """Sum over ``dim`` (None: all; int or tuple, negatives allowed). Backward: Sum."""
    return Sum.apply(x, axis=_dims(dim), keepdims=keepdim)


def mean(x, dim=None, keepdim=False):
    """Mean over ``dim``: sum / N. Backward: Mean (g / N broadcast)."""
    return Mean.apply(x, axis=_dims(dim), keepdims=keepdim)


def var(x, dim=None, correction=1, keepdim=False):
    """Variance over ``dim``: sum (x - mean)^2 / (N - correction). Backward: Var."""
    return Var.apply(x, axis=_dims(dim), correction=correction, keepdims=keepdim)


def amax(x, dim=None, keepdim=False):
    """Max over ``dim`` (values only); ties share the gradient evenly. Backward: AMax."""
    return AMax.apply(x, axis=_dims(dim), keepdims=keepdim, is_max=True)


def amin(x, dim=None, keepdim=False):
    """Min over ``dim`` (values only); ties share the gradient evenly. Backward: AMax."""
    return AMax.apply(x, axis=_dims(dim), keepdims=keepdim, is_max=False)


def _max_min_dim(x, dim, keepdim, is_max):
    vals = MaxDim.apply(x, dim, keepdim=keepdim, is_max=is_max)
    node = vals._node
    if node is not None and hasattr(node, "indices"):
        idx = node.indices
    else:
        d = norm_axes(dim, x.ndim)[0]
        idx = (np.argmax if is_max else np.argmin)(_const(x), axis=d, keepdims=keepdim)
    return ValuesIndices(vals, Tensor._wrap(idx))


def max_dim(x, dim, keepdim=False):
    """(values, indices) of the max along ``dim`` (gradient to the first maximum)."""
    return _max_min_dim(x, dim, keepdim, True)


def min_dim(x, dim, keepdim=False):
    return _max_min_dim(x, dim, keepdim, False)


def _dims(dim):
    if isinstance(dim, list):
        return tuple(dim)
    return dim


def logsumexp(x, dim=None, keepdim=False):
    """log sum exp over ``dim`` (stable)."""
    return LogSumExp.apply(x, axis=_dims(dim), keepdims=keepdim)


def softmax(x, dim=-1):
    """e^{x_i} / sum_j e^{x_j} along ``dim`` (same shape). Backward: Softmax (full Jacobian)."""
    return Softmax.apply(x, dim=dim)


def log_softmax(x, dim=-1):
    """x - logsumexp(x) along ``dim`` (same shape). Backward: LogSoftmax."""
    return LogSoftmax.apply(x, dim=dim)


def reshape(x, shape):
    """Same data in a new ``shape`` (one -1 allowed). Backward: Reshape."""
    return Reshape.apply(x, tuple(shape))


def permute(x, axes):
    """Reorder axes: output axis i is input axis ``axes[i]``. Backward: Permute (inverse)."""
    return Permute.apply(x, tuple(int(a) for a in axes))


def transpose(x, dim0, dim1):
    """Swap axes ``dim0`` and ``dim1``. Backward: Permute."""
    nd = x.ndim
    axes = list(range(nd))
    d0, d1 = dim0 % nd, dim1 % nd
    axes[d0], axes[d1] = axes[d1], axes[d0]
    return Permute.apply(x, tuple(axes))


def expand(x, shape):
    """Broadcast view to ``shape`` (-1 keeps a size). Backward: summed over broadcast axes."""
    return Expand.apply(x, tuple(shape))


def getitem(x, index):
    """x[index], basic or advanced (Tensor/array/list/bool indices). Backward: GetItem."""
    return GetItem.apply(x, _unwrap_index(index))


def cat(tensors, dim=0):
    """Concatenate along an existing ``dim``."""
    return Cat.apply(*tensors, dim=dim)


def stack(tensors, dim=0):
    """Stack along a new ``dim``."""
    return Stack.apply(*tensors, dim=dim)


def split(x, split_size_or_sections, dim=0):
    """PyTorch's split: an int chunk size, or a list of sizes; returns a tuple of tensors."""
    n = x.shape[dim]
    if isinstance(split_size_or_sections, (int, np.integer)):
        s = int(split_size_or_sections)
        sizes = [s] * (n // s) + ([n % s] if n % s else [])
    else:
        sizes = list(split_size_or_sections)
    return Split.apply(x, sizes, dim=dim)


def chunk(x, chunks, dim=0):
    n = x.shape[dim]
    size = -(-n // chunks)
    return split(x, size, dim)


def pad(x, pad, mode="constant", value=0.0):
    """PyTorch's F.pad: ``pad`` = (left, right, top, bottom, ...) starting from the last dim."""
    return Pad.apply(x, tuple(pad), mode=mode, value=value)


def unsqueeze(x, dim):
    """Insert a size-1 axis at ``dim`` (negatives count from the new end)."""
    nd = x.ndim + 1
    d = dim % nd
    shape = x.shape[:d] + (1,) + x.shape[d:]
    return Reshape.apply(x, shape)


def squeeze(x, dim=None):
    """Drop size-1 axes (all, or the given ``dim``)."""
    if dim is None:
        shape = tuple(s for s in x.shape if s != 1)
    else:
        dims = {d % builtins.max(x.ndim, 1) for d in ((dim,) if isinstance(dim, int) else dim)}
        shape = tuple(s for i, s in enumerate(x.shape) if not (i in dims and s == 1))
    return Reshape.apply(x, shape)


def flatten(x, start_dim=0, end_dim=-1):
    """Merge axes ``start_dim..end_dim`` into one."""
    nd = x.ndim
    if nd == 0:
        return Reshape.apply(x, (1,))
    s, e = start_dim % nd, end_dim % nd
    n = 1
    for v in x.shape[s:e + 1]:
        n *= v
    return Reshape.apply(x, x.shape[:s] + (n,) + x.shape[e + 1:])


def sigmoid(x):
    """1 / (1 + e^{-x}) (overflow-free). Backward: Sigmoid (y (1 - y))."""
    return apply1(Sigmoid, x)


def tanh(x):
    """tanh(x). Backward: Tanh (1 - y^2)."""
    return apply1(Tanh, x)


def relu(x):
    """max(x, 0). Backward: ReLU (ReLU'(0) = 0)."""
    return apply1(ReLU, x)


def leaky_relu(x, negative_slope=0.01):
    """x if x > 0 else negative_slope x. Backward: LeakyReLU."""
    return LeakyReLU.apply(x, negative_slope=negative_slope)


def elu(x, alpha=1.0):
    """x if x > 0 else alpha (e^x - 1). Backward: ELU."""
    return ELU.apply(x, alpha=alpha)


def selu(x):
    """SELU(x) = scale * ELU(x, alpha) with the self-normalising constants."""
    return ELU.apply(x, alpha=SELU_ALPHA, scale=SELU_SCALE)


def gelu(x, approximate="none"):
    """x Phi(x) ('none', exact erf) or its tanh approximation. Backward: GELU."""
    return GELU.apply(x, approximate=approximate)


def softplus(x, beta=1.0, threshold=20.0):
    """(1/beta) log(1 + e^{beta x}), linear above ``threshold``. Backward: Softplus."""
    return Softplus.apply(x, beta=beta, threshold=threshold)


def silu(x):
    """x sigmoid(x). Backward: SiLU."""
    return apply1(SiLU, x)


def hardtanh(x, min_val=-1.0, max_val=1.0):
    """clip(x, min_val, max_val), zero gradient outside (and at) the bounds."""
    return Hardtanh.apply(x, min_val=min_val, max_val=max_val)
