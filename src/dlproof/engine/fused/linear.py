"""Affine layer, dropout and embedding lookup as single nodes."""

from __future__ import annotations

import numpy as np

from dlproof.engine.function import Function


class Linear(Function):
    """y = x W^T + b.   x: (..., in), W: (out, in), b: (out,) -> y: (..., out).

    dL/dx = G W,   dL/dW = G^T X (batch axes flattened),   dL/db = sum of G over batch axes.
    """

    @staticmethod
    def forward(ctx, x, w, b=None):
        if x.shape[-1] != w.shape[-1] or w.ndim != 2:
            raise ValueError(
                f"linear: input shape {x.shape} and weight shape {w.shape} are not aligned "
                f"(weight must be (out, in) with in = input.shape[-1])"
            )
        x2 = x.reshape(-1, x.shape[-1])  # one GEMM for all batch axes (not one per batch)
        ctx.saved_tensors = (x2, w)
        ctx.x_shape = x.shape
        y = x2 @ w.T
        if b is not None:
            y += b
        return y.reshape(x.shape[:-1] + (w.shape[0],))

    @staticmethod
    def backward(ctx, g):
        x2, w = ctx.saved_tensors
        need = ctx.needs_input_grad
        g2 = g.reshape(-1, g.shape[-1])
        gx = (g2 @ w).reshape(ctx.x_shape) if need[0] else None
        gw = g2.T @ x2 if need[1] else None
        gb = g2.sum(axis=0) if len(need) > 2 and need[2] else None
        return gx, gw, gb


class Dropout(Function):
    """Inverted dropout: y = x * m / (1 - p), m_i ~ Bernoulli(1 - p) (p = DROP probability),
    so E[y] = x.   dL/dx = g * m / (1 - p)."""

    @staticmethod
    def forward(ctx, x, p, generator):
        keep = generator.random(x.shape) >= p
        scale = np.asarray(1.0 / (1.0 - p), dtype=x.dtype)
        mask = keep * scale if x.dtype.kind == "f" else keep
        mask = mask.astype(x.dtype, copy=False)
        ctx.saved_tensors = (mask,)
        return x * mask

    @staticmethod
    def backward(ctx, g):
        return g * ctx.saved_tensors[0], None, None


class Embedding(Function):
    """y = W[idx]  (idx: integer array of any shape, W: (num, dim) -> y: idx.shape + (dim,)).
    dL/dW = scatter-add of G rows into the rows idx (a row used twice gets both gradients);
    the ``padding_idx`` row gets no gradient."""

    @staticmethod
    def forward(ctx, idx, w, padding_idx=None):
        idx = np.asarray(idx)
        if idx.dtype.kind not in "iu":
            raise TypeError(f"embedding: indices must be integers, got dtype {idx.dtype}")
        if idx.size and (idx.min() < -w.shape[0] or idx.max() >= w.shape[0]):
            raise IndexError(
                f"embedding: index out of range for weight of shape {w.shape} "
                f"(min {idx.min()}, max {idx.max()})"
            )
        ctx.saved_tensors = (idx,)
        ctx.num, ctx.padding_idx = w.shape[0], padding_idx
        return w[idx]

    @staticmethod
    def backward(ctx, g):
        (idx,) = ctx.saved_tensors
        flat = idx.reshape(-1) % ctx.num
        g2 = g.reshape(-1, g.shape[-1])
        gw = np.zeros((ctx.num, g.shape[-1]), g.dtype)
        # unbuffered scatter-add as one GEMM-free pass: sort-free via np.add.at on rows
        np.add.at(gw, flat, g2)
        if ctx.padding_idx is not None:
            gw[ctx.padding_idx] = 0
        return None, gw
