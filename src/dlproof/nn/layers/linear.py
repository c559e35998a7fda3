"""Identity, Linear and Flatten."""

from __future__ import annotations

import math

import numpy as np

from dlproof.engine import Tensor
from dlproof.nn import functional as F
from dlproof.nn import init
from dlproof.nn.layers._util import as_tensor
from dlproof.nn.module import Module, Parameter

__all__ = ["Identity", "Linear", "Flatten"]


class Identity(Module):
    """``y = x`` (a placeholder, e.g. for an optional normalisation)."""

    def forward(self, x):
        return x


class Linear(Module):
    r"""Affine map ``y = x W^T + b``.

    Shapes: input (*, in_features) -> output (*, out_features); ``weight`` (out, in),
    ``bias`` (out,). Default initialisation as PyTorch: ``kaiming_uniform_(W, a=sqrt(5))``, i.e.
    ``W ~ U(-1/sqrt(in), 1/sqrt(in))``, and ``b ~ U(-1/sqrt(in), 1/sqrt(in))``.
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        bias: bool = True,
        generator: np.random.Generator | int | None = None,
        dtype=np.float32,
    ):
        super().__init__()
        self.in_features, self.out_features = int(in_features), int(out_features)
        self.weight = Parameter(np.empty((out_features, in_features), dtype=dtype))
        self.bias = Parameter(np.empty(out_features, dtype=dtype)) if bias else None
        self.reset_parameters(generator)

    def reset_parameters(self, generator=None) -> None:
        gen = init.resolve_generator(generator)
        init.kaiming_uniform_(self.weight, a=math.sqrt(5), generator=gen)
        if self.bias is not None:
            bound = 1.0 / math.sqrt(self.in_features) if self.in_features > 0 else 0.0
            init.uniform_(self.bias, -bound, bound, generator=gen)

    def forward(self, x: Tensor) -> Tensor:
        x = as_tensor(x)
        if x.shape[-1] != self.in_features:
            raise ValueError(
                f"Linear: input's last dimension is {x.shape[-1]} (shape {tuple(x.shape)}), "
                f"expected in_features={self.in_features}"
            )
        return F.linear(x, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (
            f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"
        )


class Flatten(Module):
    """Merge dims ``start_dim..end_dim`` into one: (N, C, H, W) -> (N, C*H*W) by default."""

    def __init__(self, start_dim: int = 1, end_dim: int = -1):
        super().__init__()
        self.start_dim, self.end_dim = start_dim, end_dim

    def forward(self, x: Tensor) -> Tensor:
        return as_tensor(x).flatten(self.start_dim, self.end_dim)

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"
