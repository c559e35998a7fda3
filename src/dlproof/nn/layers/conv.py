"""Convolutions (NCHW / NCL): Conv1d, Conv2d (grouped, depthwise), ConvTranspose2d."""

from __future__ import annotations

import math

import numpy as np

from dlproof.engine import Tensor
from dlproof.nn import functional as F
from dlproof.nn import init
from dlproof.nn.layers._util import as_tensor, check_ndim, pair
from dlproof.nn.module import Module, Parameter

__all__ = ["Conv1d", "Conv2d", "ConvTranspose2d"]


def _default_init(module: Module, fan_in: int, generator) -> None:
    """PyTorch's conv init: ``kaiming_uniform_(W, a=sqrt(5))`` = U(-1/sqrt(fan_in), ...) and
    ``b ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in))``."""
    gen = init.resolve_generator(generator)
    init.kaiming_uniform_(module.weight, a=math.sqrt(5), generator=gen)
    if module.bias is not None:
        bound = 1.0 / math.sqrt(fan_in) if fan_in > 0 else 0.0
        init.uniform_(module.bias, -bound, bound, generator=gen)


def _check_groups(in_channels: int, out_channels: int, groups: int) -> None:
    if groups < 1 or in_channels % groups or out_channels % groups:
        raise ValueError(
            f"in_channels ({in_channels}) and out_channels ({out_channels}) must both be "
            f"divisible by groups ({groups})"
        )


class Conv2d(Module):
    r"""2-D cross-correlation over NCHW input (what deep learning calls convolution).

    ``y[n, o, i, j] = b[o] + sum_{c, u, v} W[o, c, u, v] * x_pad[n, g*C/G + c, i*s + u*d, j*s + v*d]``
    where ``g`` is output channel o's group. Shapes: input (N, C_in, H, W); weight
    (C_out, C_in/groups, kh, kw); output (N, C_out, H_out, W_out) with
    ``H_out = floor((H + 2p - d(kh - 1) - 1) / s) + 1``. ``groups = C_in`` (with
    ``C_out = k * C_in``) is a depthwise convolution.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int | tuple[int, int],
        stride: int | tuple[int, int] = 1,
        padding: int | tuple[int, int] = 0,
        dilation: int | tuple[int, int] = 1,
        groups: int = 1,
        bias: bool = True,
        generator: np.random.Generator | int | None = None,
        dtype=np.float32,
    ):
        super().__init__()
        _check_groups(in_channels, out_channels, groups)
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        self.kernel_size, self.stride = pair(kernel_size), pair(stride)
        self.padding, self.dilation = pair(padding), pair(dilation)
        kh, kw = self.kernel_size
        self.weight = Parameter(np.empty((out_channels, in_channels // groups, kh, kw), dtype))
        self.bias = Parameter(np.empty(out_channels, dtype)) if bias else None
        self.reset_parameters(generator)

    def reset_parameters(self, generator=None) -> None:
        fan_in = (self.in_channels // self.groups) * self.kernel_size[0] * self.kernel_size[1]
        _default_init(self, fan_in, generator)

    def forward(self, x: Tensor) -> Tensor:
        x = as_tensor(x)
        check_ndim(x, (4,), "Conv2d", "(N, C, H, W)")
        if x.shape[1] != self.in_channels:
            raise ValueError(
                f"Conv2d: input has {x.shape[1]} channels (shape {tuple(x.shape)}), "
                f"expected in_channels={self.in_channels}"
            )
        return F.conv2d(x, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups)

    def extra_repr(self) -> str:
        s = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        if self.padding != (0, 0):
            s += f", padding={self.padding}"
        if self.dilation != (1, 1):
            s += f", dilation={self.dilation}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        return s


class Conv1d(Module):
    r"""1-D convolution over (N, C_in, L): weight (C_out, C_in/groups, k); output
    (N, C_out, L_out), ``L_out = floor((L + 2p - d(k - 1) - 1) / s) + 1``. Same formula as
    :class:`Conv2d` with a height-1 kernel (that is how it is computed)."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int,
        stride: int = 1,
        padding: int = 0,
        dilation: int = 1,
        groups: int = 1,
        bias: bool = True,
        generator: np.random.Generator | int | None = None,
        dtype=np.float32,
    ):
        super().__init__()
        _check_groups(in_channels, out_channels, groups)
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        self.kernel_size, self.stride = (int(kernel_size),), (int(stride),)
        self.padding, self.dilation = (int(padding),), (int(dilation),)
        self.weight = Parameter(np.empty((out_channels, in_channels // groups, int(kernel_size)), dtype))
        self.bias = Parameter(np.empty(out_channels, dtype)) if bias else None
        self.reset_parameters(generator)

    def reset_parameters(self, generator=None) -> None:
        _default_init(self, (self.in_channels // self.groups) * self.kernel_size[0], generator)

    def forward(self, x: Tensor) -> Tensor:
        x = as_tensor(x)
        check_ndim(x, (3,), "Conv1d", "(N, C, L)")
        if x.shape[1] != self.in_channels:
            raise ValueError(
                f"Conv1d: input has {x.shape[1]} channels (shape {tuple(x.shape)}), "
                f"expected in_channels={self.in_channels}"
            )
        return F.conv1d(
            x, self.weight, self.bias, self.stride[0], self.padding[0], self.dilation[0], self.groups
        )

    def extra_repr(self) -> str:
        s = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        if self.padding != (0,):
            s += f", padding={self.padding}"
        if self.dilation != (1,):
            s += f", dilation={self.dilation}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        return s


class ConvTranspose2d(Module):
    r"""Transposed convolution (the gradient of Conv2d with respect to its input; "deconv").

    Every input pixel scatters ``x[n, c, i, j] * W[c, o, :, :]`` into the output at
    ``(i*s - p + u*d, j*s - p + v*d)``. Shapes: input (N, C_in, H, W); weight
    (C_in, C_out/groups, kh, kw) (note: in before out, as PyTorch); output
    ``H_out = (H - 1) s - 2p + d(kh - 1) + output_padding + 1``.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int | tuple[int, int],
        stride: int | tuple[int, int] = 1,
        padding: int | tuple[int, int] = 0,
        output_padding: int | tuple[int, int] = 0,
        groups: int = 1,
        bias: bool = True,
        dilation: int | tuple[int, int] = 1,
        generator: np.random.Generator | int | None = None,
        dtype=np.float32,
    ):
        super().__init__()
        _check_groups(in_channels, out_channels, groups)
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        self.kernel_size, self.stride = pair(kernel_size), pair(stride)
        self.padding, self.output_padding = pair(padding), pair(output_padding)
        self.dilation = pair(dilation)
        kh, kw = self.kernel_size
        self.weight = Parameter(np.empty((in_channels, out_channels // groups, kh, kw), dtype))
        self.bias = Parameter(np.empty(out_channels, dtype)) if bias else None
        self.reset_parameters(generator)

    def reset_parameters(self, generator=None) -> None:
        # PyTorch computes the fan from the weight tensor: fan_in = shape[1] * kh * kw
        fan_in = (self.out_channels // self.groups) * self.kernel_size[0] * self.kernel_size[1]
        _default_init(self, fan_in, generator)

    def forward(self, x: Tensor) -> Tensor:
        x = as_tensor(x)
        check_ndim(x, (4,), "ConvTranspose2d", "(N, C, H, W)")
        if x.shape[1] != self.in_channels:
            raise ValueError(
                f"ConvTranspose2d: input has {x.shape[1]} channels (shape {tuple(x.shape)}), "
                f"expected in_channels={self.in_channels}"
            )
        return F.conv_transpose2d(
            x,
            self.weight,
            self.bias,
            self.stride,
            self.padding,
            self.output_padding,
            self.groups,
            self.dilation,
        )

    def extra_repr(self) -> str:
        s = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        if self.padding != (0, 0):
            s += f", padding={self.padding}"
        if self.output_padding != (0, 0):
            s += f", output_padding={self.output_padding}"
        if self.dilation != (1, 1):
            s += f", dilation={self.dilation}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        return s
