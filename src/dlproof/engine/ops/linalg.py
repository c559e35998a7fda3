"""Matrix product (batched, with NumPy's 1-D rules)."""

from __future__ import annotations

import numpy as np

from dlproof.engine.function import Function


class MatMul(Function):
    """Y = A @ B (batched over leading dims, broadcasting them).
    dL/dA = G @ B^T,   dL/dB = A^T @ G   (^T swaps the last two axes; broadcast batch axes are
    summed by the engine). 1-D operands are promoted as NumPy does (a vector on the left is a row,
    on the right a column) and the added axis is removed again from the gradient."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.saved_tensors = (a, b)
        try:
            return np.matmul(a, b)
        except ValueError as exc:
            raise ValueError(
                f"matmul: shapes {np.shape(a)} and {np.shape(b)} are not aligned"
            ) from exc

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        need = ctx.needs_input_grad
        ga = gb = None
        if a.ndim == 1 and b.ndim == 1:
            return (g * b if need[0] else None), (g * a if need[1] else None)
        if a.ndim == 1:  # (k,) @ (..., k, n) -> (..., n)
            if need[0]:
                ga = np.matmul(g[..., None, :], np.swapaxes(b, -1, -2))[..., 0, :]
            if need[1]:
                gb = a[:, None] * g[..., None, :]
            return ga, gb
        if b.ndim == 1:  # (..., m, k) @ (k,) -> (..., m)
            if need[0]:
                ga = g[..., :, None] * b
            if need[1]:
                gb = np.matmul(np.swapaxes(a, -1, -2), g[..., :, None])[..., 0]
            return ga, gb
        if need[0]:
            ga = np.matmul(g, np.swapaxes(b, -1, -2))
        if need[1]:
            gb = np.matmul(np.swapaxes(a, -1, -2), g)
        return ga, gb
