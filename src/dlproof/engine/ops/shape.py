"""Shape primitives: reshape, permute, expand, indexing, cat/stack/split, pad.

None of these change values, so every backward just moves the upstream gradient ``g`` back to
where each input element went (reshape back, inverse permutation, scatter-add, slicing).
"""

from __future__ import annotations

import numpy as np

from dlproof.engine.core import Tensor
from dlproof.engine.function import Function


class Reshape(Function):
    """y = reshape(x, shape).   dL/dx = reshape(g, x.shape)."""

    @staticmethod
    def forward(ctx, x, shape):
        ctx.shape = x.shape
        try:
            return x.reshape(shape)
        except ValueError as exc:
            raise ValueError(
                f"reshape: cannot reshape tensor of shape {x.shape} ({x.size} elements) "
                f"into shape {tuple(shape)}"
            ) from exc

    @staticmethod
    def backward(ctx, g):
        return g.reshape(ctx.shape), None


class Permute(Function):
    """y = transpose(x, axes).   dL/dx = transpose(g, argsort(axes)) (the inverse permutation)."""

    @staticmethod
    def forward(ctx, x, axes):
        if len(axes) != x.ndim:
            raise ValueError(f"permute: {len(axes)} dims given for a tensor of shape {x.shape}")
        ctx.axes = axes
        return np.transpose(x, axes)

    @staticmethod
    def backward(ctx, g):
        return np.transpose(g, np.argsort(ctx.axes)), None


class Expand(Function):
    """y = broadcast_to(x, shape) (a view).   dL/dx = g summed over the broadcast axes
    (done by the engine's unbroadcast)."""

    @staticmethod
    def forward(ctx, x, shape):
        nd = len(shape) - x.ndim
        if nd < 0:
            raise ValueError(f"expand: cannot expand shape {x.shape} to {tuple(shape)}")
        shape = tuple(
            (x.shape[i - nd] if (s == -1 and i >= nd) else s) for i, s in enumerate(shape)
        )
        try:
            return np.broadcast_to(x, shape)
        except ValueError as exc:
            raise ValueError(f"expand: cannot expand shape {x.shape} to {shape}") from exc

    @staticmethod
    def backward(ctx, g):
        return g, None


def _is_basic(index) -> bool:
    items = index if isinstance(index, tuple) else (index,)
    for it in items:
        if not (it is None or it is Ellipsis or isinstance(it, (slice, int, np.integer))):
            return False
    return True


def _unwrap_index(index):
    if isinstance(index, Tensor):
        return index.data
    if isinstance(index, tuple):
        return tuple(i.data if isinstance(i, Tensor) else i for i in index)
    if isinstance(index, list):
        return np.asarray(index)
    return index


class GetItem(Function):
    """y = x[index] (basic or advanced NumPy indexing).
    dL/dx = zeros with g written back at the indexed positions; with advanced indexing the same
    element may be picked several times, so the scatter *adds* (np.add.at)."""

    @staticmethod
    def forward(ctx, x, index):
        ctx.index, ctx.shape = index, x.shape
        try:
            return x[index]
        except IndexError as exc:
            raise IndexError(f"getitem: index {index!r} invalid for shape {x.shape}: {exc}") from exc

    @staticmethod
    def backward(ctx, g):
        out = np.zeros(ctx.shape, g.dtype)
        if _is_basic(ctx.index):
            out[ctx.index] = g
        else:
            np.add.at(out, ctx.index, g)
        return out, None


class Cat(Function):
    """y = concatenate([x_1, ..., x_k], dim).   dL/dx_i = the slice of g where x_i went."""

    @staticmethod
    def forward(ctx, *xs, dim=0):
        ctx.dim = dim
        ctx.sizes = [x.shape[dim] for x in xs]
        try:
            return np.concatenate(xs, axis=dim)
        except ValueError as exc:
            raise ValueError(
                f"cat: shapes {[x.shape for x in xs]} cannot be concatenated along dim {dim}"
            ) from exc

    @staticmethod
    def backward(ctx, g):
        return tuple(np.split(g, np.cumsum(ctx.sizes)[:-1], axis=ctx.dim))


class Stack(Function):
    """y = stack([x_1, ..., x_k], dim) (new axis).   dL/dx_i = g indexed at i along dim."""

    @staticmethod
    def forward(ctx, *xs, dim=0):
        ctx.dim = dim
        try:
            return np.stack(xs, axis=dim)
        except ValueError as exc:
            raise ValueError(
                f"stack: shapes {[x.shape for x in xs]} must all be equal"
            ) from exc

    @staticmethod
    def backward(ctx, g):
        return tuple(np.moveaxis(g, ctx.dim, 0))


class Split(Function):
    """(y_1, ..., y_k) = split(x, sizes, dim).   dL/dx = concatenate([g_1, ..., g_k], dim)
    (outputs nobody used contribute zeros)."""

    @staticmethod
    def forward(ctx, x, sizes, dim=0):
        ctx.dim = dim
        if sum(sizes) != x.shape[dim]:
            raise ValueError(f"split: sizes {sizes} do not sum to {x.shape[dim]} (shape {x.shape})")
        return tuple(np.split(x, np.cumsum(sizes)[:-1], axis=dim))

    @staticmethod
    def backward(ctx, *gs):
        return np.concatenate(gs, axis=ctx.dim), None


class Pad(Function):
    """y = pad(x, pad) with PyTorch's pad tuple (last dim first: (left, right, top, bottom, ...)).
    constant mode: dL/dx = g sliced back to the interior.
    reflect/replicate/circular: y = x.flat[idx] for a padded index map idx, so
    dL/dx = bincount(idx, weights=g) (every source element gets the sum of its copies)."""

    @staticmethod
    def forward(ctx, x, pad, mode="constant", value=0.0):
        if len(pad) % 2 or len(pad) // 2 > x.ndim:
            raise ValueError(f"pad: pad {pad} invalid for a tensor of shape {x.shape}")
        widths = [(0, 0)] * x.ndim
        for i in range(len(pad) // 2):
            widths[x.ndim - 1 - i] = (pad[2 * i], pad[2 * i + 1])
        ctx.mode, ctx.shape, ctx.widths = mode, x.shape, widths
        if any(a < 0 or b < 0 for a, b in widths):
            raise ValueError("pad: negative padding is not supported")
        if mode == "constant":
            return np.pad(x, widths, mode="constant", constant_values=value)
        npmode = {"reflect": "reflect", "replicate": "edge", "circular": "wrap"}.get(mode)
        if npmode is None:
            raise ValueError(f"pad: unknown mode {mode!r}")
        idx = np.pad(np.arange(x.size).reshape(x.shape), widths, mode=npmode)
        ctx.idx = idx
        return x.reshape(-1)[idx]

    @staticmethod
    def backward(ctx, g):
        if ctx.mode == "constant":
            sl = tuple(slice(a, a + n) for (a, _), n in zip(ctx.widths, ctx.shape))
            return g[sl], None
        n = int(np.prod(ctx.shape))
        gx = np.bincount(ctx.idx.reshape(-1), weights=g.reshape(-1), minlength=n)
        return gx.astype(g.dtype).reshape(ctx.shape), None
