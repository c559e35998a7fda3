"""Wide & Deep (Cheng et al. 2016): a linear model on sparse (crossed) features and an MLP on
embeddings of the same categorical fields, summed into one logit and trained jointly.

Inputs are integer category ids ``x`` of shape (N, F), column f in ``[0, cardinalities[f])``.

- Wide part: binary features = the one-hot of every field plus the one-hot of every crossed
  pair of fields in ``crosses`` (``AND(field_a = i, field_b = j)``). :func:`wide_feature_ids`
  maps x to the ids of its active features (N, F + len(crosses)) in one vocabulary of size
  ``wide_vocab_size``; the wide logit is ``w_0 + sum_{k active} w_k`` (= ``w^T phi(x)`` for the
  0/1 feature vector phi), computed as a 1-dimensional embedding summed over the active ids.
- Deep part: ``e_f = E_f[x_f]`` (dimension d per field), ``h = MLP([e_1, ..., e_F])`` with ReLU
  hidden layers, one output.
- Output: ``logit = wide(x) + deep(x)``; ``p = sigmoid(logit)``; trained with binary cross-
  entropy on that logit, so the gradient of each part is the same ``p - y`` (joint training, not
  an ensemble of separately trained models).
"""

from __future__ import annotations

import numpy as np

import dlproof.nn as nn
from dlproof.engine import Tensor, cat

__all__ = ["wide_feature_ids", "wide_vocab_size", "WideAndDeep"]


def _check(x: np.ndarray, cardinalities: list[int]) -> np.ndarray:
    x = np.asarray(x)
    if x.ndim != 2 or x.shape[1] != len(cardinalities) or x.dtype.kind not in "iu":
        raise ValueError(f"WideAndDeep: x must be integer ids of shape (N, {len(cardinalities)}), "
                         f"got {x.dtype} {x.shape}")
    if np.any(x < 0) or np.any(x >= np.asarray(cardinalities)):
        raise ValueError(f"WideAndDeep: ids out of range for cardinalities {cardinalities}")
    return x


def wide_vocab_size(cardinalities: list[int], crosses: list[tuple[int, int]]) -> int:
    """Number of wide binary features: ``sum_f n_f + sum_{(a, b)} n_a n_b``."""
    return int(sum(cardinalities) + sum(cardinalities[a] * cardinalities[b] for a, b in crosses))


def wide_feature_ids(x: np.ndarray, cardinalities: list[int], crosses: list[tuple[int, int]]) -> np.ndarray:
    """Ids of the active wide features of each row: x (N, F) -> (N, F + len(crosses)).

    Field f's one-hot occupies ``[o_f, o_f + n_f)``; the cross (a, b) occupies a block of
    ``n_a n_b`` ids after all fields, with id ``offset + x_a n_b + x_b``."""
    x = _check(x, cardinalities)
    offsets = np.concatenate([[0], np.cumsum(cardinalities)[:-1]])
    cols = [x + offsets]
    start = int(sum(cardinalities))
    for a, b in crosses:
        cols.append((start + x[:, a] * cardinalities[b] + x[:, b])[:, None])
        start += cardinalities[a] * cardinalities[b]
    return np.concatenate(cols, axis=1).astype(np.int64)


class WideAndDeep(nn.Module):
    """``logit(x) = [w_0 + sum_{k in active(x)} w_k]  +  MLP([E_1[x_1], ..., E_F[x_F]])``.

    ``mode``: ``"wide&deep"`` (both), ``"wide"`` (linear part only) or ``"deep"`` (MLP only).
    Shapes: x (N, F) integer ids -> logits (N,). The wide weights start at zero (a linear
    model has no symmetry to break), the embeddings N(0, 0.1^2), the MLP layers PyTorch's
    default init. Backward: d logit / d w_k = 1 for every active k (a scatter-add of the
    upstream gradient into the active rows), the deep part by the chain rule through the MLP.
    """

    def __init__(self, cardinalities: list[int], crosses: list[tuple[int, int]], embedding_dim: int = 8,
                 hidden: tuple[int, ...] = (32, 16), mode: str = "wide&deep", generator=None,
                 dtype=np.float32):
        super().__init__()
        if mode not in ("wide&deep", "wide", "deep"):
            raise ValueError(f"WideAndDeep: mode must be 'wide&deep', 'wide' or 'deep', got {mode!r}")
        for a, b in crosses:
            if not (0 <= a < len(cardinalities) and 0 <= b < len(cardinalities)) or a == b:
                raise ValueError(f"WideAndDeep: cross {(a, b)} must name two different fields "
                                 f"of {len(cardinalities)}")
        gen = nn.init.resolve_generator(generator)
        self.cardinalities, self.crosses, self.mode = list(cardinalities), list(crosses), mode
        if mode != "deep":
            self.wide = nn.Embedding(wide_vocab_size(cardinalities, crosses), 1, dtype=dtype)
            self.wide.weight.data[...] = 0.0
            self.wide_bias = nn.Parameter(np.zeros(1, dtype))
        if mode != "wide":
            self.embeddings = nn.ModuleList([nn.Embedding(n, embedding_dim, generator=gen, dtype=dtype)
                                             for n in cardinalities])
            for e in self.embeddings:
                e.weight.data[...] *= 0.1
            sizes = [embedding_dim * len(cardinalities), *hidden, 1]
            layers: list[nn.Module] = []
            for i in range(len(sizes) - 1):
                layers.append(nn.Linear(sizes[i], sizes[i + 1], generator=gen, dtype=dtype))
                if i < len(sizes) - 2:
                    layers.append(nn.ReLU())
            self.mlp = nn.Sequential(*layers)

    def wide_logit(self, x: np.ndarray) -> Tensor:
        """``w_0 + sum_{k active} w_k``: (N,)."""
        ids = wide_feature_ids(x, self.cardinalities, self.crosses)
        return self.wide(ids).sum(axis=(1, 2)) + self.wide_bias

    def deep_logit(self, x: np.ndarray) -> Tensor:
        """``MLP(concat_f E_f[x_f])``: (N,)."""
        x = _check(x, self.cardinalities)
        h = cat([emb(x[:, f]) for f, emb in enumerate(self.embeddings)], dim=1)
        return self.mlp(h).reshape(-1)

    def forward(self, x) -> Tensor:
        x = np.asarray(x.data if isinstance(x, Tensor) else x)
        if self.mode == "wide":
            return self.wide_logit(x)
        if self.mode == "deep":
            return self.deep_logit(x)
        return self.wide_logit(x) + self.deep_logit(x)
