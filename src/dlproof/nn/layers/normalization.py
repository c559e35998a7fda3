"""BatchNorm1d / BatchNorm2d and LayerNorm.

BatchNorm convention (PyTorch's, see design.md): in training the batch statistics normalise
(``var`` biased, divided by m), and the running estimates are updated as
``running = (1 - momentum) * running + momentum * batch_stat`` with the *unbiased* batch
variance (divided by m - 1); m = number of values per channel (N, or N*L, or N*H*W).
In eval mode the running estimates normalise. ``momentum=None`` uses a cumulative moving
average (momentum = 1 / num_batches_tracked).
"""

from __future__ import annotations

import numpy as np

from dlproof.engine import Tensor
from dlproof.nn import functional as F
from dlproof.nn.layers._util import as_tensor, check_ndim
from dlproof.nn.module import Module, Parameter

__all__ = ["BatchNorm1d", "BatchNorm2d", "LayerNorm"]


class _BatchNorm(Module):
    _ndims: tuple[int, ...] = ()
    _layout = ""

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float | None = 0.1,
        affine: bool = True,
        track_running_stats: bool = True,
        dtype=np.float32,
    ):
        super().__init__()
        self.num_features, self.eps, self.momentum = int(num_features), float(eps), momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        if affine:
            self.weight = Parameter(np.ones(num_features, dtype=dtype))
            self.bias = Parameter(np.zeros(num_features, dtype=dtype))
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        if track_running_stats:
            self.register_buffer("running_mean", np.zeros(num_features, dtype=dtype))
            self.register_buffer("running_var", np.ones(num_features, dtype=dtype))
            self.register_buffer("num_batches_tracked", np.zeros((), dtype=np.int64))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)

    def reset_running_stats(self) -> None:
        if self.track_running_stats:
            self.running_mean[...] = 0.0
            self.running_var[...] = 1.0
            self.num_batches_tracked[...] = 0

    def forward(self, x: Tensor) -> Tensor:
        """y = gamma * (x - mean) / sqrt(var + eps) + beta, statistics per channel (dim 1)."""
        x = as_tensor(x)
        check_ndim(x, self._ndims, type(self).__name__, self._layout)
        if x.shape[1] != self.num_features:
            raise ValueError(
                f"{type(self).__name__}: input has {x.shape[1]} channels (shape "
                f"{tuple(x.shape)}), expected num_features={self.num_features}"
            )
        use_batch_stats = self.training or not self.track_running_stats
        momentum = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats:
            self.num_batches_tracked += 1
            if self.momentum is None:
                momentum = 1.0 / float(self.num_batches_tracked)
        running = self.track_running_stats and (self.training or not use_batch_stats)
        return F.batch_norm(
            x,
            self.running_mean if running else None,
            self.running_var if running else None,
            self.weight,
            self.bias,
            use_batch_stats,
            momentum,
            self.eps,
        )

    def extra_repr(self) -> str:
        return (
            f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
            f"affine={self.affine}, track_running_stats={self.track_running_stats}"
        )


class BatchNorm1d(_BatchNorm):
    """Batch normalisation of (N, C) or (N, C, L) input, per channel C."""

    _ndims = (2, 3)
    _layout = "(N, C) or (N, C, L)"


class BatchNorm2d(_BatchNorm):
    """Batch normalisation of (N, C, H, W) input, per channel C (statistics over N, H, W)."""

    _ndims = (4,)
    _layout = "(N, C, H, W)"


class LayerNorm(Module):
    r"""Normalise over the trailing ``normalized_shape`` dims of each example:
    ``y = (x - mean) / sqrt(var + eps) * gamma + beta`` with biased variance, statistics per
    example (so it behaves the same in training and eval, and for batch size 1).
    Shapes: input (*, *normalized_shape); gamma, beta: normalized_shape."""

    def __init__(
        self,
        normalized_shape: int | tuple[int, ...],
        eps: float = 1e-5,
        elementwise_affine: bool = True,
        bias: bool = True,
        dtype=np.float32,
    ):
        super().__init__()
        if isinstance(normalized_shape, int):
            normalized_shape = (normalized_shape,)
        self.normalized_shape = tuple(int(s) for s in normalized_shape)
        self.eps, self.elementwise_affine = float(eps), elementwise_affine
        if elementwise_affine:
            self.weight = Parameter(np.ones(self.normalized_shape, dtype=dtype))
            self.bias = Parameter(np.zeros(self.normalized_shape, dtype=dtype)) if bias else None
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)

    def forward(self, x: Tensor) -> Tensor:
        x = as_tensor(x)
        k = len(self.normalized_shape)
        if tuple(x.shape[-k:]) != self.normalized_shape:
            raise ValueError(
                f"LayerNorm: input shape {tuple(x.shape)} does not end with normalized_shape "
                f"{self.normalized_shape}"
            )
        return F.layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}"
