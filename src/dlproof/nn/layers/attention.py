r"""Multi-head attention (PyTorch's ``nn.MultiheadAttention`` layout and semantics).

With E = embed_dim, h = num_heads, d = E / h, and the packed projection
``in_proj_weight`` (3E, E) = [W_q; W_k; W_v], ``in_proj_bias`` (3E,)::

    Q = query W_q^T + b_q,  K = key W_k^T + b_k,  V = value W_v^T + b_v     (split into h heads)
    A_head = softmax(Q_head K_head^T / sqrt(d) + M)                         (L, S) per head
    O = concat_heads(A_head V_head) W_o^T + b_o                             (out_proj)

Shapes: query (L, N, E), key/value (S, N, E) — or (N, L, E) / (N, S, E) with
``batch_first=True``, or unbatched (L, E). Masks (M above, additive):
``attn_mask`` (L, S) or (N*h, L, S): bool with **True = not allowed** (becomes -inf), or float
(added); ``key_padding_mask`` (N, S): bool True = padding key (ignored), or float (added).
Returns ``(output, weights)``: output like query; weights (N, L, S) averaged over heads
(``average_attn_weights=False``: (N, h, L, S)), or None with ``need_weights=False`` (then the
engine's fused ``F.scaled_dot_product_attention`` node computes the output).
Initialisation as PyTorch: ``in_proj_weight`` xavier_uniform, biases 0, ``out_proj`` weight as
Linear's default.
"""

from __future__ import annotations

import math

import numpy as np

from dlproof.engine import Tensor, ops
from dlproof.nn import functional as F
from dlproof.nn import init
from dlproof.nn.layers._util import as_tensor
from dlproof.nn.layers.linear import Linear
from dlproof.nn.module import Module, Parameter

__all__ = ["MultiheadAttention", "additive_mask"]


def additive_mask(attn_mask, key_padding_mask, N: int, h: int, L: int, S: int, dtype) -> np.ndarray | None:
    """Merge both masks into one additive float array broadcastable to (N, h, L, S)
    (0 where attention is allowed, -inf (bool masks) or the given value where not)."""
    out = None
    if attn_mask is not None:
        m = attn_mask.data if isinstance(attn_mask, Tensor) else np.asarray(attn_mask)
        m = np.where(m, -np.inf, 0.0).astype(dtype) if m.dtype == bool else m.astype(dtype)
        if m.shape == (L, S):
            m = m[None, None]
        elif m.shape == (N * h, L, S):
            m = m.reshape(N, h, L, S)
        else:
            raise ValueError(f"attn_mask must have shape {(L, S)} or {(N * h, L, S)}, got {m.shape}")
        out = m
    if key_padding_mask is not None:
        k = key_padding_mask
        k = k.data if isinstance(k, Tensor) else np.asarray(k)
        if k.shape != (N, S):
            raise ValueError(f"key_padding_mask must have shape {(N, S)}, got {k.shape}")
        k = np.where(k, -np.inf, 0.0).astype(dtype) if k.dtype == bool else k.astype(dtype)
        k = k[:, None, None, :]
        out = k if out is None else out + k
    return out


class MultiheadAttention(Module):
    """Multi-head scaled dot-product attention; see the module docstring."""

    def __init__(
        self,
        embed_dim: int,
        num_heads: int,
        dropout: float = 0.0,
        bias: bool = True,
        batch_first: bool = False,
        generator: np.random.Generator | int | None = None,
        dtype=np.float32,
    ):
        super().__init__()
        if embed_dim % num_heads:
            raise ValueError(f"embed_dim ({embed_dim}) must be divisible by num_heads ({num_heads})")
        self.embed_dim, self.num_heads = int(embed_dim), int(num_heads)
        self.head_dim = embed_dim // num_heads
        self.dropout, self.batch_first = float(dropout), batch_first
        self.generator = init.resolve_generator(generator)
        self.in_proj_weight = Parameter(np.empty((3 * embed_dim, embed_dim), dtype))
        if bias:
            self.in_proj_bias = Parameter(np.zeros(3 * embed_dim, dtype))
        else:
            self.register_parameter("in_proj_bias", None)
        self.out_proj = Linear(embed_dim, embed_dim, bias=bias, generator=self.generator, dtype=dtype)
        init.xavier_uniform_(self.in_proj_weight, generator=self.generator)
        if bias:
            init.zeros_(self.out_proj.bias)

    def _project(self, query, key, value):
        E, w, b = self.embed_dim, self.in_proj_weight, self.in_proj_bias
        if query is key and key is value:
            q, k, v = ops.chunk(F.linear(query, w, b), 3, dim=-1)
            return q, k, v
        bs = [None] * 3 if b is None else [b[:E], b[E : 2 * E], b[2 * E :]]
        return (
            F.linear(query, w[:E], bs[0]),
            F.linear(key, w[E : 2 * E], bs[1]),
            F.linear(value, w[2 * E :], bs[2]),
        )

    def forward(
        self,
        query,
        key,
        value,
        key_padding_mask=None,
        need_weights: bool = True,
        attn_mask=None,
        average_attn_weights: bool = True,
    ):
        query, key, value = as_tensor(query), as_tensor(key), as_tensor(value)
        unbatched = query.ndim == 2
        if unbatched:
            query, key, value = (ops.unsqueeze(t, 0) for t in (query, key, value))
            if key_padding_mask is not None:
                key_padding_mask = np.asarray(
                    key_padding_mask.data if isinstance(key_padding_mask, Tensor) else key_padding_mask
                )[None]
        elif not self.batch_first:  # (L, N, E) -> (N, L, E)
            same_kv = key is value
            same_qk = query is key
            query = query.transpose(0, 1)
            key = query if same_qk else key.transpose(0, 1)
            value = key if same_kv else value.transpose(0, 1)
        if query.ndim != 3 or query.shape[-1] != self.embed_dim:
            raise ValueError(
                f"MultiheadAttention: query shape {tuple(query.shape)} does not "
                f"end with embed_dim={self.embed_dim}"
            )
        N, L, _ = query.shape
        S = key.shape[1]
        h, d = self.num_heads, self.head_dim
        q, k, v = self._project(query, key, value)
        split = lambda t, n: t.reshape(N, n, h, d).permute(0, 2, 1, 3)  # (N, h, n, d)
        q, k, v = split(q, L), split(k, S), split(v, S)
        mask = additive_mask(attn_mask, key_padding_mask, N, h, L, S, q.dtype)
        p = self.dropout if self.training else 0.0
        if need_weights:
            scores = (q @ k.transpose(-1, -2)) * (1.0 / math.sqrt(d))
            if mask is not None:
                scores = scores + mask
            weights = ops.softmax(scores, -1)
            dropped = F.dropout(weights, p, True, self.generator) if p > 0 else weights
            out = dropped @ v
        else:
            weights = None
            out = F.scaled_dot_product_attention(
                q, k, v, attn_mask=mask, dropout_p=p, generator=self.generator
            )
        out = out.permute(0, 2, 1, 3).reshape(N, L, self.embed_dim)
        out = self.out_proj(out)
        if weights is not None and average_attn_weights:
            weights = weights.mean(dim=1)
        if unbatched:
            out = ops.squeeze(out, 0)
            weights = ops.squeeze(weights, 0) if weights is not None else None
        elif not self.batch_first:
            out = out.transpose(0, 1)
        return out, weights

    def extra_repr(self) -> str:
        return (
            f"embed_dim={self.embed_dim}, num_heads={self.num_heads}, "
            f"dropout={self.dropout}, batch_first={self.batch_first}"
        )
