"""Dropout (inverted) and Embedding."""

from __future__ import annotations

import numpy as np

from dlproof.engine import Tensor
from dlproof.nn import functional as F
from dlproof.nn import init
from dlproof.nn.layers._util import as_tensor
from dlproof.nn.module import Module, Parameter

__all__ = ["Dropout", "Embedding"]


class Dropout(Module):
    r"""Inverted dropout: in training ``y = x * m / (1 - p)`` with ``m ~ Bernoulli(1 - p)``
    elementwise (``p`` = drop probability), so ``E[y] = x``; in eval ``y = x``.

    ``generator``: a ``numpy.random.Generator`` or int seed (the layer keeps its own
    Generator, so the same seed gives the same masks); ``None`` uses ``init``'s default."""

    def __init__(self, p: float = 0.5, generator: np.random.Generator | int | None = None):
        super().__init__()
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"dropout probability must lie in [0, 1], got {p}")
        self.p = float(p)
        self.generator = init.resolve_generator(generator)

    def forward(self, x: Tensor) -> Tensor:
        return F.dropout(as_tensor(x), self.p, self.training, self.generator)

    def extra_repr(self) -> str:
        return f"p={self.p}"


class Embedding(Module):
    r"""Lookup table: ``y[..., :] = W[idx[...], :]``. Shapes: integer indices (*) -> (*, dim);
    weight (num_embeddings, embedding_dim) initialised N(0, 1) (row ``padding_idx`` zero, and
    it receives no gradient). The gradient of W is a scatter-add of the upstream rows."""

    def __init__(
        self,
        num_embeddings: int,
        embedding_dim: int,
        padding_idx: int | None = None,
        generator: np.random.Generator | int | None = None,
        dtype=np.float32,
    ):
        super().__init__()
        self.num_embeddings, self.embedding_dim = int(num_embeddings), int(embedding_dim)
        if padding_idx is not None:
            if not -num_embeddings <= padding_idx < num_embeddings:
                raise ValueError(f"padding_idx {padding_idx} out of range [0, {num_embeddings})")
            padding_idx %= num_embeddings
        self.padding_idx = padding_idx
        self.weight = Parameter(np.empty((num_embeddings, embedding_dim), dtype=dtype))
        init.normal_(self.weight, generator=generator)
        if padding_idx is not None:
            self.weight.data[padding_idx] = 0.0

    def forward(self, idx) -> Tensor:
        arr = idx.data if isinstance(idx, Tensor) else np.asarray(idx)
        if arr.dtype.kind not in "iu":
            raise TypeError(f"Embedding: indices must be integers, got dtype {arr.dtype}")
        if arr.size and (arr.min() < 0 or arr.max() >= self.num_embeddings):
            raise IndexError(
                f"Embedding: index out of range [0, {self.num_embeddings}): min {arr.min()}, max {arr.max()}"
            )
        return F.embedding(arr, self.weight, padding_idx=self.padding_idx)

    def extra_repr(self) -> str:
        s = f"{self.num_embeddings}, {self.embedding_dim}"
        return s + (f", padding_idx={self.padding_idx}" if self.padding_idx is not None else "")
