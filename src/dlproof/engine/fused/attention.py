"""Scaled dot-product attention as one node.

    S = Q K^T * scale (+ float mask, or -inf where a bool mask is False / above the diagonal
        when is_causal),   P = softmax(S) along keys,   P~ = dropout(P),   O = P~ V
Shapes: Q (..., L, E), K (..., S, E), V (..., S, Ev) -> O (..., L, Ev); masks broadcast to
(..., L, S). scale defaults to 1/sqrt(E).
Backward (G = dL/dO, D = dropout mask scaled by 1/(1-p), or 1):
    dV = P~^T G,   dP = (G V^T) * D,   dS = P * (dP - rowsum(dP * P))   (softmax Jacobian)
    dQ = dS K * scale,   dK = dS^T Q * scale,   d(float mask) = dS.
"""

from __future__ import annotations

import math

import numpy as np

from dlproof.engine.function import Function
from dlproof.engine.ops.reduction import softmax_array


class ScaledDotProductAttention(Function):
    @staticmethod
    def forward(ctx, q, k, v, attn_mask=None, dropout_p=0.0, is_causal=False, scale=None,
                generator=None):
        if q.shape[-1] != k.shape[-1] or k.shape[-2] != v.shape[-2]:
            raise ValueError(
                f"scaled_dot_product_attention: query {q.shape}, key {k.shape} and value "
                f"{v.shape} do not fit ((..., L, E), (..., S, E), (..., S, Ev))"
            )
        sc = 1.0 / math.sqrt(q.shape[-1]) if scale is None else scale
        s = (q @ np.swapaxes(k, -1, -2)) * np.asarray(sc, q.dtype)
        L, S = s.shape[-2:]
        if is_causal:
            if attn_mask is not None:
                raise ValueError("scaled_dot_product_attention: give attn_mask or is_causal")
            attn_mask = np.tril(np.ones((L, S), bool))
        ctx.float_mask = False
        if attn_mask is not None:
            if attn_mask.dtype == bool:
                s = np.where(attn_mask, s, -np.inf)
            else:
                s = s + attn_mask
                ctx.float_mask = True
        p = softmax_array(s, -1)
        pd = p
        dmask = None
        if dropout_p > 0.0:
            if generator is None:
                raise ValueError("scaled_dot_product_attention: dropout_p > 0 needs generator=")
            dmask = (generator.random(p.shape) >= dropout_p) * np.asarray(
                1.0 / (1.0 - dropout_p), p.dtype)
            pd = p * dmask
        ctx.saved_tensors = (q, k, v, p, pd, dmask)
        ctx.scale = sc
        return pd @ v

    @staticmethod
    def backward(ctx, g):
        q, k, v, p, pd, dmask = ctx.saved_tensors
        need = ctx.needs_input_grad
        gv = np.swapaxes(pd, -1, -2) @ g if need[2] else None
        dp = g @ np.swapaxes(v, -1, -2)
        if dmask is not None:
            dp = dp * dmask
        ds = p * (dp - np.sum(dp * p, axis=-1, keepdims=True))
        ds = np.where(np.isnan(ds), 0, ds) if np.isnan(p).any() else ds
        gq = (ds @ k) * ctx.scale if need[0] else None
        gk = (np.swapaxes(ds, -1, -2) @ q) * ctx.scale if need[1] else None
        gm = ds if (len(need) > 3 and need[3] and ctx.float_mask) else None
        return gq, gk, gv, gm
