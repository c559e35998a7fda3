"""Reductions and the softmax family.

Axis conventions: ``axis`` is None (all axes), an int or a tuple of ints, negatives allowed.
Backward of a reduction broadcasts the upstream gradient back over the reduced axes.
"""

from __future__ import annotations

import numpy as np

from dlproof.engine.function import Function


def norm_axes(axis, ndim):
    """Canonical sorted tuple of non-negative axes (None -> all axes)."""
    if axis is None:
        return tuple(range(ndim))
    if isinstance(axis, (int, np.integer)):
        axis = (int(axis),)
    out = []
    for a in axis:
        a = int(a)
        if not -ndim <= a < max(ndim, 1):
            raise IndexError(f"dimension {a} out of range for a tensor with {ndim} dims")
        out.append(a % ndim if ndim else 0)
    return tuple(sorted(set(out)))


def _expand_back(g, axes, keepdims, shape):
    """Reshape g (reduced over ``axes``) so it broadcasts against ``shape``."""
    if not keepdims and axes:
        g = np.expand_dims(g, axes)
    return g


class Sum(Function):
    """y = sum_{axes} x.   dL/dx = broadcast(g) (every summed element gets the same g)."""

    @staticmethod
    def forward(ctx, x, axis=None, keepdims=False):
        axes = norm_axes(axis, x.ndim)
        ctx.axes, ctx.keepdims, ctx.shape = axes, keepdims, x.shape
        return np.sum(x, axis=axes, keepdims=keepdims)

    @staticmethod
    def backward(ctx, g):
        g = _expand_back(g, ctx.axes, ctx.keepdims, ctx.shape)
        return np.broadcast_to(g, ctx.shape)


class Mean(Function):
    """y = (1/N) sum_{axes} x, N = number of reduced elements.   dL/dx = broadcast(g) / N."""

    @staticmethod
    def forward(ctx, x, axis=None, keepdims=False):
        axes = norm_axes(axis, x.ndim)
        ctx.axes, ctx.keepdims, ctx.shape = axes, keepdims, x.shape
        n = 1
        for a in axes:
            n *= x.shape[a]
        ctx.n = n
        return np.mean(x, axis=axes, keepdims=keepdims)

    @staticmethod
    def backward(ctx, g):
        g = _expand_back(g, ctx.axes, ctx.keepdims, ctx.shape)
        return np.broadcast_to(g / ctx.n, ctx.shape)


class Var(Function):
    """y = sum_{axes} (x - mean)^2 / (N - c)  (c = Bessel correction).
    dL/dx = g * 2 (x - mean) / (N - c)   (the -mean term's own gradient sums to zero)."""

    @staticmethod
    def forward(ctx, x, axis=None, correction=1, keepdims=False):
        axes = norm_axes(axis, x.ndim)
        n = 1
        for a in axes:
            n *= x.shape[a]
        d = x - x.mean(axis=axes, keepdims=True)
        ctx.saved_tensors = (d,)
        ctx.axes, ctx.keepdims, ctx.denom = axes, keepdims, max(n - correction, 0)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.sum(d * d, axis=axes, keepdims=keepdims) / ctx.denom

    @staticmethod
    def backward(ctx, g):
        (d,) = ctx.saved_tensors
        g = _expand_back(g, ctx.axes, ctx.keepdims, d.shape)
        return g * (2.0 / ctx.denom) * d


class AMax(Function):
    """y = max_{axes} x.   dL/dx = g * [x == y] / (number of ties): ties split the gradient
    evenly (as torch.amax and the full reduction torch.max())."""

    @staticmethod
    def forward(ctx, x, axis=None, keepdims=False, is_max=True):
        axes = norm_axes(axis, x.ndim)
        if x.size == 0:
            raise RuntimeError(f"{'max' if is_max else 'min'}: reduction of an empty tensor")
        y = (np.max if is_max else np.min)(x, axis=axes, keepdims=True)
        ctx.saved_tensors = (x, y)
        ctx.axes, ctx.keepdims = axes, keepdims
        return y if keepdims else np.squeeze(y, axis=axes)

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        mask = x == y
        count = mask.sum(axis=ctx.axes, keepdims=True)
        g = _expand_back(g, ctx.axes, ctx.keepdims, x.shape)
        return (g * mask / count).astype(g.dtype, copy=False)


class MaxDim(Function):
    """values = max of x along ``dim`` (at index argmax, the first maximum).
    dL/dx = g scattered to the argmax positions, zero elsewhere (as torch.max(x, dim))."""

    @staticmethod
    def forward(ctx, x, dim, keepdim=False, is_max=True):
        dim = norm_axes(dim, x.ndim)[0]
        idx = (np.argmax if is_max else np.argmin)(x, axis=dim, keepdims=True)
        ctx.saved_tensors = (idx,)
        ctx.dim, ctx.keepdim, ctx.shape = dim, keepdim, x.shape
        vals = np.take_along_axis(x, idx, axis=dim)
        if not keepdim:
            vals, idx = np.squeeze(vals, axis=dim), np.squeeze(idx, axis=dim)
        ctx.indices = idx
        return vals

    @staticmethod
    def backward(ctx, g):
        (idx,) = ctx.saved_tensors
        if not ctx.keepdim:
            g = np.expand_dims(g, ctx.dim)
        out = np.zeros(ctx.shape, g.dtype)
        np.put_along_axis(out, idx, g, axis=ctx.dim)
        return out


def _lse(x, axes):
    """log sum exp over axes with keepdims, stable: m + log sum e^{x-m}, m = max (finite)."""
    m = np.max(x, axis=axes, keepdims=True)
    m = np.where(np.isfinite(m), m, 0)
    s = np.sum(np.exp(x - m), axis=axes, keepdims=True)
    with np.errstate(divide="ignore"):
        return m + np.log(s)


class LogSumExp(Function):
    """y = log sum_{axes} e^x  (computed as m + log sum e^{x-m}, m = max: finite at |x| = 1e4).
    dL/dx = g * softmax(x) = g * e^{x - y}."""

    @staticmethod
    def forward(ctx, x, axis=None, keepdims=False):
        axes = norm_axes(axis, x.ndim)
        y = _lse(x, axes)
        ctx.saved_tensors = (x, y)
        ctx.axes, ctx.keepdims = axes, keepdims
        return y if keepdims else np.squeeze(y, axis=axes)

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        g = _expand_back(g, ctx.axes, ctx.keepdims, x.shape)
        return g * np.exp(x - y)


def softmax_array(x, axis):
    """softmax along ``axis``: e^{x - max} / sum e^{x - max} (max subtraction: no overflow)."""
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    e /= np.sum(e, axis=axis, keepdims=True)
    return e


class Softmax(Function):
    """s_i = e^{x_i} / sum_j e^{x_j} along ``dim``.
    Full Jacobian ds_i/dx_j = s_i (delta_ij - s_j)  (NOT just s(1-s)), so
    dL/dx_j = sum_i g_i s_i (delta_ij - s_j) = s_j (g_j - sum_i g_i s_i)."""

    @staticmethod
    def forward(ctx, x, dim=-1):
        s = softmax_array(x, dim)
        ctx.saved_tensors = (s,)
        ctx.dim = dim
        return s

    @staticmethod
    def backward(ctx, g):
        (s,) = ctx.saved_tensors
        gs = g * s
        return gs - s * np.sum(gs, axis=ctx.dim, keepdims=True)


class LogSoftmax(Function):
    """y_i = x_i - logsumexp(x)  along ``dim``.
    dy_i/dx_j = delta_ij - s_j, so dL/dx_j = g_j - s_j sum_i g_i,  s = softmax(x) = e^y."""

    @staticmethod
    def forward(ctx, x, dim=-1):
        m = np.max(x, axis=dim, keepdims=True)
        z = x - np.where(np.isfinite(m), m, 0)  # (x - m) first: exact at |x| = 1e4
        with np.errstate(divide="ignore"):
            y = z - np.log(np.sum(np.exp(z), axis=dim, keepdims=True))
        ctx.saved_tensors = (y,)
        ctx.dim = dim
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return g - np.exp(y) * np.sum(g, axis=ctx.dim, keepdims=True)
