"""Pooling over NCHW input: MaxPool2d, AvgPool2d, AdaptiveAvgPool2d (global average pooling)."""

from __future__ import annotations

from dlproof.engine import Tensor
from dlproof.nn import functional as F
from dlproof.nn.layers._util import as_tensor, check_ndim, pair
from dlproof.nn.module import Module

__all__ = ["MaxPool2d", "AvgPool2d", "AdaptiveAvgPool2d"]


class MaxPool2d(Module):
    r"""``y[n, c, i, j] = max_{u < kh, v < kw} x_pad[n, c, i*s + u, j*s + v]`` (padding with
    -inf). The gradient flows only to the arg-max of each window. ``stride`` defaults to the
    kernel size. Shapes: (N, C, H, W) -> (N, C, floor((H + 2p - kh) / s) + 1, ...)."""

    def __init__(self, kernel_size, stride=None, padding=0):
        super().__init__()
        self.kernel_size = pair(kernel_size)
        self.stride = pair(stride) if stride is not None else self.kernel_size
        self.padding = pair(padding)

    def forward(self, x: Tensor) -> Tensor:
        x = as_tensor(x)
        check_ndim(x, (4,), "MaxPool2d", "(N, C, H, W)")
        return F.max_pool2d(x, self.kernel_size, self.stride, self.padding)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AvgPool2d(Module):
    r"""``y[n, c, i, j] = mean_{u, v} x_pad[n, c, i*s + u, j*s + v]`` over a kh x kw window
    (zero padding counted in the mean, PyTorch's ``count_include_pad=True``). Shapes as
    :class:`MaxPool2d`."""

    def __init__(self, kernel_size, stride=None, padding=0):
        super().__init__()
        self.kernel_size = pair(kernel_size)
        self.stride = pair(stride) if stride is not None else self.kernel_size
        self.padding = pair(padding)

    def forward(self, x: Tensor) -> Tensor:
        x = as_tensor(x)
        check_ndim(x, (4,), "AvgPool2d", "(N, C, H, W)")
        return F.avg_pool2d(x, self.kernel_size, self.stride, self.padding)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AdaptiveAvgPool2d(Module):
    r"""Average pooling to a fixed output size (oh, ow): output cell i averages input rows
    ``floor(i H / oh) .. ceil((i + 1) H / oh) - 1`` (and likewise for columns).
    ``output_size=1`` is global average pooling: (N, C, H, W) -> (N, C, 1, 1)."""

    def __init__(self, output_size):
        super().__init__()
        self.output_size = pair(output_size)

    def forward(self, x: Tensor) -> Tensor:
        x = as_tensor(x)
        check_ndim(x, (4,), "AdaptiveAvgPool2d", "(N, C, H, W)")
        return F.adaptive_avg_pool2d(x, self.output_size)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"
