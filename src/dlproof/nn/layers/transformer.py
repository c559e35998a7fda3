r"""Transformer encoder layer (``nn.TransformerEncoderLayer`` semantics and parameter names).

Post-norm (default, the original Transformer)::

    x = LayerNorm1(x + Dropout1(SelfAttention(x)))
    x = LayerNorm2(x + Dropout2(Linear2(Dropout(act(Linear1(x))))))

Pre-norm (``norm_first=True``; trains more stably in deep stacks without warm-up)::

    x = x + Dropout1(SelfAttention(LayerNorm1(x)))
    x = x + Dropout2(Linear2(Dropout(act(Linear1(LayerNorm2(x))))))

Shapes: src (S, N, E), or (N, S, E) with ``batch_first=True``; ``src_mask`` (S, S) and
``src_key_padding_mask`` (N, S) as in :class:`MultiheadAttention`. act: 'relu' or 'gelu'.
"""

from __future__ import annotations

import numpy as np

from dlproof.engine import Tensor, ops
from dlproof.nn import init
from dlproof.nn.layers._util import as_tensor
from dlproof.nn.layers.attention import MultiheadAttention
from dlproof.nn.layers.dropout import Dropout
from dlproof.nn.layers.linear import Linear
from dlproof.nn.layers.normalization import LayerNorm
from dlproof.nn.module import Module

__all__ = ["TransformerEncoderLayer"]


class TransformerEncoderLayer(Module):
    """Self-attention block + position-wise feed-forward block; see the module docstring."""

    def __init__(
        self,
        d_model: int,
        nhead: int,
        dim_feedforward: int = 2048,
        dropout: float = 0.1,
        activation: str = "relu",
        layer_norm_eps: float = 1e-5,
        batch_first: bool = False,
        norm_first: bool = False,
        bias: bool = True,
        generator: np.random.Generator | int | None = None,
        dtype=np.float32,
    ):
        super().__init__()
        if activation not in ("relu", "gelu"):
            raise ValueError(f"activation must be 'relu' or 'gelu', got {activation!r}")
        gen = init.resolve_generator(generator)
        self.self_attn = MultiheadAttention(
            d_model, nhead, dropout=dropout, bias=bias, batch_first=batch_first, generator=gen, dtype=dtype
        )
        self.linear1 = Linear(d_model, dim_feedforward, bias=bias, generator=gen, dtype=dtype)
        self.dropout = Dropout(dropout, generator=gen)
        self.linear2 = Linear(dim_feedforward, d_model, bias=bias, generator=gen, dtype=dtype)
        self.norm_first = norm_first
        self.norm1 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype)
        self.norm2 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype)
        self.dropout1 = Dropout(dropout, generator=gen)
        self.dropout2 = Dropout(dropout, generator=gen)
        self.activation_name = activation
        self.batch_first = batch_first

    def _activation(self, x: Tensor) -> Tensor:
        return ops.relu(x) if self.activation_name == "relu" else ops.gelu(x)

    def _sa_block(self, x, attn_mask, key_padding_mask):
        out, _ = self.self_attn(
            x, x, x, attn_mask=attn_mask, key_padding_mask=key_padding_mask, need_weights=False
        )
        return self.dropout1(out)

    def _ff_block(self, x):
        return self.dropout2(self.linear2(self.dropout(self._activation(self.linear1(x)))))

    def forward(self, src, src_mask=None, src_key_padding_mask=None) -> Tensor:
        x = as_tensor(src)
        if self.norm_first:
            x = x + self._sa_block(self.norm1(x), src_mask, src_key_padding_mask)
            x = x + self._ff_block(self.norm2(x))
        else:
            x = self.norm1(x + self._sa_block(x, src_mask, src_key_padding_mask))
            x = self.norm2(x + self._ff_block(x))
        return x

    def extra_repr(self) -> str:
        return f"activation={self.activation_name!r}, norm_first={self.norm_first}"
