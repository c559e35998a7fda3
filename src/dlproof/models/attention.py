r"""Additive (Bahdanau) attention: a learned MLP score, a masked softmax, a weighted average.

Shapes: query (N, L, Dq), keys (N, S, Dk), values (N, S, Dv); W_q (A, Dq), W_k (A, Dk), v (A,)
with A the attention dimension; mask bool, broadcastable to (N, L, S), **True = may attend**
(the convention of ``F.scaled_dot_product_attention``; ``nn.MultiheadAttention``'s masks use the
opposite one). Formulas (Bahdanau et al. 2015)::

    e_{n l s}     = v^T tanh(W_q q_{n l} + W_k k_{n s})          scores (N, L, S)
    e_{n l s}     = -inf where mask is False
    alpha_{n l .} = softmax_s(e_{n l .})                           weights, each row sums to 1
    c_{n l}       = sum_s alpha_{n l s} values_{n s}               context (N, L, Dv)

Compared with the (scaled) dot product ``q^T k / sqrt(d)``, the score is a one-hidden-layer MLP
of the pair: query and key may have different sizes, and it costs O(N L S A) instead of
O(N L S d) — but it cannot be written as one matrix product, which is why Transformers use the
dot product.

The score is one fused node (:class:`AdditiveScore`) with the backward written out; masking,
softmax and the weighted average use the engine's primitives (their gradients are checked there).
"""

from __future__ import annotations

import math

import numpy as np

import dlproof.nn as nn
from dlproof.engine import Tensor, ops
from dlproof.engine.function import Function

__all__ = ["AdditiveScore", "additive_scores", "masked_softmax", "additive_attention", "AdditiveAttention"]


def _arr(t):
    return t.data if isinstance(t, Tensor) else np.asarray(t)


class AdditiveScore(Function):
    """e = v^T tanh(W_q q + W_k k) for every (query, key) pair: q (N, L, Dq), k (N, S, Dk),
    W_q (A, Dq), W_k (A, Dk), v (A,) -> e (N, L, S).

    With a = q W_q^T (N, L, A), b = k W_k^T (N, S, A), T = tanh(a_l + b_s) (N, L, S, A) and the
    upstream gradient G = dLoss/de (N, L, S)::

        dv   = sum_{n,l,s} G_{nls} T_{nls.}
        dU   = G_{nls} v * (1 - T^2)              d/d(a_l + b_s) (tanh' = 1 - tanh^2)
        da   = sum_s dU,   db = sum_l dU
        dq   = da W_q,     dW_q = sum_{n,l} da_{nl}^T q_{nl}
        dk   = db W_k,     dW_k = sum_{n,s} db_{ns}^T k_{ns}
    """

    @staticmethod
    def forward(ctx, q, k, W_q, W_k, v):
        if q.ndim != 3 or k.ndim != 3 or q.shape[0] != k.shape[0]:
            raise ValueError(f"additive attention: query {q.shape} and keys {k.shape} must be "
                             "(N, L, Dq) and (N, S, Dk) with the same N")
        A = v.shape[0]
        if v.ndim != 1 or W_q.shape != (A, q.shape[2]) or W_k.shape != (A, k.shape[2]):
            raise ValueError(f"additive attention: W_q {W_q.shape}, W_k {W_k.shape}, v {v.shape} do "
                             f"not fit query dim {q.shape[2]}, key dim {k.shape[2]} "
                             "(need (A, Dq), (A, Dk), (A,))")
        a = q @ W_q.T                                                  # (N, L, A)
        b = k @ W_k.T                                                  # (N, S, A)
        T = np.tanh(a[:, :, None, :] + b[:, None, :, :])               # (N, L, S, A)
        ctx.saved_tensors = (q, k, W_q, W_k, v, T)
        return T @ v                                                   # e = v^T T  (N, L, S)

    @staticmethod
    def backward(ctx, g):
        q, k, W_q, W_k, v, T = ctx.saved_tensors
        need = ctx.needs_input_grad
        gv = np.einsum("nls,nlsa->a", g, T) if need[4] else None       # dv = sum G T
        dU = g[..., None] * v * (1.0 - T * T)                          # G v tanh'(a + b)
        da = dU.sum(axis=2)                                            # (N, L, A): sum over keys
        db = dU.sum(axis=1)                                            # (N, S, A): sum over queries
        gq = da @ W_q if need[0] else None                             # dq = da W_q
        gk = db @ W_k if need[1] else None                             # dk = db W_k
        gWq = np.einsum("nla,nld->ad", da, q) if need[2] else None     # dW_q = da^T q
        gWk = np.einsum("nsa,nsd->ad", db, k) if need[3] else None     # dW_k = db^T k
        return gq, gk, gWq, gWk, gv


def additive_scores(query, keys, W_q, W_k, v) -> Tensor:
    """:class:`AdditiveScore`: e = v^T tanh(W_q q + W_k k), (N, L, Dq), (N, S, Dk) -> (N, L, S)."""
    as_t = lambda x: x if isinstance(x, Tensor) else Tensor(np.asarray(x))
    return AdditiveScore.apply(*(as_t(x) for x in (query, keys, W_q, W_k, v)))


def masked_softmax(scores, mask=None) -> Tensor:
    """softmax over the last axis of scores (N, L, S), with -inf where the bool ``mask``
    (broadcastable to (N, L, S), True = may attend) is False. Every row must keep at least one
    key (a row with none would be 0/0 = NaN), else ValueError."""
    scores = scores if isinstance(scores, Tensor) else Tensor(np.asarray(scores))
    if mask is None:
        return ops.softmax(scores, -1)
    m = _arr(mask)
    if m.dtype != bool:
        raise ValueError(f"masked_softmax: mask must be bool (True = may attend), got {m.dtype}")
    try:
        m = np.broadcast_to(m, scores.shape)
    except ValueError:
        raise ValueError(f"masked_softmax: mask {m.shape} does not broadcast to scores "
                         f"{tuple(scores.shape)}") from None
    if not m.any(axis=-1).all():
        raise ValueError("masked_softmax: some query has every key masked out (its softmax would be NaN)")
    return ops.softmax(scores + np.where(m, 0.0, -np.inf).astype(scores.dtype), -1)


def additive_attention(query, keys, values, W_q, W_k, v, mask=None) -> tuple[Tensor, Tensor]:
    """Context c = alpha values and weights alpha = softmax(v^T tanh(W_q q + W_k k)) (masked).

    query (N, L, Dq), keys (N, S, Dk), values (N, S, Dv) -> (context (N, L, Dv), weights (N, L, S))."""
    values = values if isinstance(values, Tensor) else Tensor(np.asarray(values))
    if values.ndim != 3 or values.shape[:2] != (_arr(keys).shape[0], _arr(keys).shape[1]):
        raise ValueError(f"additive attention: values {tuple(values.shape)} must be (N, S, Dv) with "
                         f"(N, S) = {tuple(_arr(keys).shape[:2])} of the keys")
    weights = masked_softmax(additive_scores(query, keys, W_q, W_k, v), mask)
    return weights @ values, weights


class AdditiveAttention(nn.Module):
    """Bahdanau attention with parameters W_q (A, Dq), W_k (A, Dk), v (A,).

    ``forward(query, keys, values=None, mask=None)`` -> (context (N, L, Dv), weights (N, L, S));
    values default to the keys (as in Bahdanau et al., where both are the encoder states).
    Initialisation: every entry uniform in +-1/sqrt(fan_in) (PyTorch's Linear default), fan_in = Dq,
    Dk and A respectively.
    """

    def __init__(self, query_dim: int, key_dim: int, attn_dim: int, generator=None, dtype=np.float32):
        super().__init__()
        if min(query_dim, key_dim, attn_dim) < 1:
            raise ValueError(f"AdditiveAttention: sizes must be >= 1, got query_dim={query_dim}, "
                             f"key_dim={key_dim}, attn_dim={attn_dim}")
        gen = nn.init.resolve_generator(generator)
        u = lambda shape, fan: nn.Parameter(
            gen.uniform(-1 / math.sqrt(fan), 1 / math.sqrt(fan), shape).astype(dtype))
        self.W_q = u((attn_dim, query_dim), query_dim)
        self.W_k = u((attn_dim, key_dim), key_dim)
        self.v = u((attn_dim,), attn_dim)

    def forward(self, query, keys, values=None, mask=None):
        return additive_attention(query, keys, keys if values is None else values,
                                  self.W_q, self.W_k, self.v, mask)

    def extra_repr(self) -> str:
        A, Dq = self.W_q.shape
        return f"query_dim={Dq}, key_dim={self.W_k.shape[1]}, attn_dim={A}"
