"""Small CNNs sized for 8x8 digits, the blocks behind the classic architectures, and the counting
tools that measure what each idea costs.

Blocks (all NCHW, PyTorch layouts, so weights copy across for parity tests):

- :func:`vgg_stage` - ``n`` 3x3 convs (padding 1) + ReLU, then 2x2 max pooling (Simonyan &
  Zisserman 2014).
- :class:`ResidualBlock` - ``y = relu(F(x) + S(x))`` with ``F = conv3x3 -> relu -> conv3x3`` and
  ``S`` the identity or a 1x1 projection (He et al. 2016). :class:`PlainBlock` is the same block
  without the shortcut.
- :class:`DepthwiseSeparableConv` - depthwise ``k x k`` conv (``groups = C_in``), ReLU, pointwise
  1x1 conv (Howard et al. 2017, MobileNet).
- :class:`InceptionBlock` - four parallel branches (1x1; 1x1 -> 3x3; 1x1 -> 5x5; 3x3 max pool ->
  1x1) concatenated along channels (Szegedy et al. 2015); ``reduce=False`` drops the 1x1
  reductions in front of the 3x3 and 5x5 branches.

Networks: :class:`LeNet`, :class:`VGGMini`, :class:`ResNetMini`, :class:`MobileNetMini`,
:class:`InceptionMini`, :func:`mlp` (the dense baseline).

Counting: :func:`count_macs` runs a forward pass and records the multiply-adds of every Conv2d
and Linear call; :func:`conv2d_macs` is the closed form
``MACs = H_out W_out C_out (C_in / groups) k_h k_w``; :func:`receptive_field` is the recursion
``r_l = r_{l-1} + d_l (k_l - 1) prod_{i<l} s_i`` and :func:`measured_receptive_field` reads the
receptive field off the input gradient of one output unit.
"""

from __future__ import annotations

from contextlib import contextmanager

import numpy as np

import dlproof.nn as nn
from dlproof.engine import Tensor, cat

__all__ = [
    "vgg_stage",
    "ResidualBlock",
    "PlainBlock",
    "DepthwiseSeparableConv",
    "InceptionBlock",
    "LeNet",
    "VGGMini",
    "ResNetMini",
    "MobileNetMini",
    "InceptionMini",
    "mlp",
    "count_params",
    "conv2d_macs",
    "count_macs",
    "receptive_field",
    "measured_receptive_field",
]


def _conv(c_in, c_out, k, generator, dtype, stride=1, groups=1, bias=True):
    return nn.Conv2d(c_in, c_out, k, stride=stride, padding=k // 2, groups=groups, bias=bias,
                     generator=generator, dtype=dtype)


def vgg_stage(c_in: int, c_out: int, n_convs: int, generator=None, dtype=np.float32, pool: bool = True):
    """``n_convs`` x (3x3 conv, padding 1, + ReLU) then a 2x2 max pool: (N, c_in, H, W) ->
    (N, c_out, H/2, W/2). Two stacked 3x3 convs see a 5x5 window with ``2 * 9 C^2`` weights
    instead of ``25 C^2``."""
    layers = []
    for i in range(n_convs):
        layers += [_conv(c_in if i == 0 else c_out, c_out, 3, generator, dtype), nn.ReLU()]
    if pool:
        layers.append(nn.MaxPool2d(2))
    return nn.Sequential(*layers)


class ResidualBlock(nn.Module):
    """Basic residual block: ``y = relu(conv2(relu(conv1(x))) + S(x))``.

    conv1: 3x3, stride ``stride``, c_in -> c_out; conv2: 3x3, c_out -> c_out (both padding 1).
    ``S`` is the identity when the shape is kept, else a 1x1 conv with the same stride
    (He et al. 2016, option B). Shapes: (N, c_in, H, W) -> (N, c_out, H/stride, W/stride).
    Backward through the sum: ``dL/dx = J_F^T g + J_S^T g`` - the identity term carries the
    upstream gradient to earlier layers unchanged, whatever the residual branch does.
    """

    def __init__(self, c_in: int, c_out: int, stride: int = 1, generator=None, dtype=np.float32):
        super().__init__()
        self.conv1 = _conv(c_in, c_out, 3, generator, dtype, stride=stride)
        self.conv2 = _conv(c_out, c_out, 3, generator, dtype)
        self.shortcut = (nn.Identity() if stride == 1 and c_in == c_out
                         else nn.Conv2d(c_in, c_out, 1, stride=stride, generator=generator, dtype=dtype))

    def forward(self, x):
        return (self.conv2(self.conv1(x).relu()) + self.shortcut(x)).relu()


class PlainBlock(nn.Module):
    """:class:`ResidualBlock` without the shortcut: ``y = relu(conv2(relu(conv1(x))))``."""

    def __init__(self, c_in: int, c_out: int, stride: int = 1, generator=None, dtype=np.float32):
        super().__init__()
        self.conv1 = _conv(c_in, c_out, 3, generator, dtype, stride=stride)
        self.conv2 = _conv(c_out, c_out, 3, generator, dtype)

    def forward(self, x):
        return self.conv2(self.conv1(x).relu()).relu()


class DepthwiseSeparableConv(nn.Module):
    """Depthwise ``k x k`` conv (one filter per input channel, ``groups = c_in``), ReLU, then a
    pointwise 1x1 conv ``c_in -> c_out``. Shapes (N, c_in, H, W) -> (N, c_out, H/s, W/s).
    ``batchnorm=True`` is MobileNet's form: dw -> BN -> ReLU -> pw -> BN (convs without bias).

    Multiply-adds per output location: ``k^2 c_in + c_in c_out`` against ``k^2 c_in c_out`` for a
    standard conv, a ratio of ``1/c_out + 1/k^2``; the parameter ratio is the same (biases aside).
    """

    def __init__(self, c_in: int, c_out: int, kernel_size: int = 3, stride: int = 1, generator=None,
                 dtype=np.float32, batchnorm: bool = False):
        super().__init__()
        bias = not batchnorm
        self.depthwise = _conv(c_in, c_in, kernel_size, generator, dtype, stride=stride, groups=c_in,
                               bias=bias)
        self.pointwise = nn.Conv2d(c_in, c_out, 1, bias=bias, generator=generator, dtype=dtype)
        self.bn1 = nn.BatchNorm2d(c_in, dtype=dtype) if batchnorm else nn.Identity()
        self.bn2 = nn.BatchNorm2d(c_out, dtype=dtype) if batchnorm else nn.Identity()

    def forward(self, x):
        return self.bn2(self.pointwise(self.bn1(self.depthwise(x)).relu()))


class InceptionBlock(nn.Module):
    """Inception-v1 module: four branches on the same input, concatenated along channels.

    - b1: 1x1 conv c_in -> c1
    - b3: 1x1 conv c_in -> r3, ReLU, 3x3 conv r3 -> c3   (``reduce=False``: 3x3 conv c_in -> c3)
    - b5: 1x1 conv c_in -> r5, ReLU, 5x5 conv r5 -> c5   (``reduce=False``: 5x5 conv c_in -> c5)
    - bp: 3x3 max pool (stride 1, padding 1), 1x1 conv c_in -> cp

    Each branch ends in ReLU. Output (N, c1 + c3 + c5 + cp, H, W): ``y = cat[b1, b3, b5, bp]``.
    The 1x1 reduction turns the 5x5 branch's per-location cost ``25 c_in c5`` into
    ``c_in r5 + 25 r5 c5``.
    """

    def __init__(self, c_in: int, c1: int, r3: int, c3: int, r5: int, c5: int, cp: int,
                 reduce: bool = True, generator=None, dtype=np.float32):
        super().__init__()
        g, dt = generator, dtype
        self.out_channels = c1 + c3 + c5 + cp
        self.b1 = nn.Sequential(nn.Conv2d(c_in, c1, 1, generator=g, dtype=dt), nn.ReLU())
        if reduce:
            self.b3 = nn.Sequential(nn.Conv2d(c_in, r3, 1, generator=g, dtype=dt), nn.ReLU(),
                                    _conv(r3, c3, 3, g, dt), nn.ReLU())
            self.b5 = nn.Sequential(nn.Conv2d(c_in, r5, 1, generator=g, dtype=dt), nn.ReLU(),
                                    _conv(r5, c5, 5, g, dt), nn.ReLU())
        else:
            self.b3 = nn.Sequential(_conv(c_in, c3, 3, g, dt), nn.ReLU())
            self.b5 = nn.Sequential(_conv(c_in, c5, 5, g, dt), nn.ReLU())
        self.bp = nn.Sequential(nn.MaxPool2d(3, 1, 1), nn.Conv2d(c_in, cp, 1, generator=g, dtype=dt),
                                nn.ReLU())

    def forward(self, x):
        return cat([self.b1(x), self.b3(x), self.b5(x), self.bp(x)], dim=1)


class _Net(nn.Module):
    """features -> global average pool (or flatten) -> head. Input (N, 1, 8, 8) or (N, 64)."""

    def forward(self, x):
        if x.ndim == 2:
            x = x.reshape(x.shape[0], 1, 8, 8)
        return self.head(self.features(x))


class LeNet(_Net):
    """LeNet-5's pattern (LeCun et al. 1998) at 8x8: conv3(1->6)-ReLU-pool2, conv3(6->16)-ReLU-pool2,
    flatten (16*2*2) -> Linear 64 -> ReLU -> Linear n_classes. Output logits (N, n_classes)."""

    def __init__(self, n_classes: int = 10, generator=None, dtype=np.float32):
        super().__init__()
        g = generator
        self.features = nn.Sequential(_conv(1, 6, 3, g, dtype), nn.ReLU(), nn.MaxPool2d(2),
                                      _conv(6, 16, 3, g, dtype), nn.ReLU(), nn.MaxPool2d(2))
        self.head = nn.Sequential(nn.Flatten(), nn.Linear(64, 64, generator=g, dtype=dtype), nn.ReLU(),
                                  nn.Linear(64, n_classes, generator=g, dtype=dtype))


class VGGMini(_Net):
    """Two VGG stages of 3x3 stacks (1 -> c -> 2c, two convs each, 8x8 -> 4x4 -> 2x2), global
    average pooling, Linear 2c -> n_classes."""

    def __init__(self, width: int = 16, n_classes: int = 10, generator=None, dtype=np.float32):
        super().__init__()
        self.features = nn.Sequential(vgg_stage(1, width, 2, generator, dtype),
                                      vgg_stage(width, 2 * width, 2, generator, dtype),
                                      nn.AdaptiveAvgPool2d(1))
        self.head = nn.Sequential(nn.Flatten(),
                                  nn.Linear(2 * width, n_classes, generator=generator, dtype=dtype))


class ResNetMini(_Net):
    """Stem conv3 (1 -> c) + ReLU, ``blocks`` residual blocks at width c (8x8), one residual block
    c -> 2c with stride 2 (4x4), global average pooling, Linear 2c -> n_classes."""

    def __init__(self, width: int = 16, blocks: int = 2, n_classes: int = 10, generator=None,
                 dtype=np.float32):
        super().__init__()
        g = generator
        self.features = nn.Sequential(_conv(1, width, 3, g, dtype), nn.ReLU(),
                                      *[ResidualBlock(width, width, 1, g, dtype) for _ in range(blocks)],
                                      ResidualBlock(width, 2 * width, 2, g, dtype), nn.AdaptiveAvgPool2d(1))
        self.head = nn.Sequential(nn.Flatten(), nn.Linear(2 * width, n_classes, generator=g, dtype=dtype))


class MobileNetMini(_Net):
    """Stem conv3 (1 -> c) + ReLU, depthwise-separable c -> 2c + ReLU, 2x2 max pool,
    depthwise-separable 2c -> 4c + ReLU, global average pooling, Linear 4c -> n_classes. The
    separable blocks carry BatchNorm as in MobileNet (without it this small net trains slowly)."""

    def __init__(self, width: int = 16, n_classes: int = 10, generator=None, dtype=np.float32):
        super().__init__()
        g = generator
        ds1 = DepthwiseSeparableConv(width, 2 * width, 3, 1, g, dtype, batchnorm=True)
        ds2 = DepthwiseSeparableConv(2 * width, 4 * width, 3, 1, g, dtype, batchnorm=True)
        self.features = nn.Sequential(_conv(1, width, 3, g, dtype), nn.ReLU(), ds1, nn.ReLU(),
                                      nn.MaxPool2d(2), ds2, nn.ReLU(), nn.AdaptiveAvgPool2d(1))
        self.head = nn.Sequential(nn.Flatten(), nn.Linear(4 * width, n_classes, generator=g, dtype=dtype))


class InceptionMini(_Net):
    """Stem conv3 (1 -> 16) + ReLU, one :class:`InceptionBlock` (16 -> 8+16+8+8 = 40), 2x2 max pool,
    global average pooling, Linear 40 -> n_classes."""

    def __init__(self, n_classes: int = 10, reduce: bool = True, generator=None, dtype=np.float32):
        super().__init__()
        g = generator
        block = InceptionBlock(16, 8, 8, 16, 4, 8, 8, reduce=reduce, generator=g, dtype=dtype)
        self.features = nn.Sequential(_conv(1, 16, 3, g, dtype), nn.ReLU(), block, nn.MaxPool2d(2),
                                      nn.AdaptiveAvgPool2d(1))
        self.head = nn.Sequential(nn.Flatten(),
                                  nn.Linear(block.out_channels, n_classes, generator=g, dtype=dtype))


def mlp(sizes: list[int], generator=None, dtype=np.float32) -> nn.Sequential:
    """Dense baseline: Linear(sizes[0] -> sizes[1]) -> ReLU -> ... -> Linear(-> sizes[-1]);
    input (N, sizes[0]) (an 8x8 image is flattened first)."""
    layers = [nn.Flatten()]
    for i in range(len(sizes) - 1):
        layers.append(nn.Linear(sizes[i], sizes[i + 1], generator=generator, dtype=dtype))
        if i < len(sizes) - 2:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


# ---------------------------------------------------------------------------------- counting
def count_params(model: nn.Module) -> int:
    """Number of scalar parameters (weights and biases)."""
    return int(sum(p.data.size for p in model.parameters()))


def conv2d_macs(c_in: int, c_out: int, k: int | tuple[int, int], h_out: int, w_out: int,
                groups: int = 1) -> int:
    """Closed-form multiply-adds of one conv on one example: ``H_out W_out C_out (C_in/groups) k_h k_w``."""
    kh, kw = (k, k) if isinstance(k, int) else k
    return h_out * w_out * c_out * (c_in // groups) * kh * kw


@contextmanager
def _recording(records: list):
    conv_fwd, lin_fwd = nn.Conv2d.forward, nn.Linear.forward

    def conv_forward(self, x):
        y = conv_fwd(self, x)
        kh, kw = self.kernel_size
        per_out = (self.in_channels // self.groups) * kh * kw
        records.append(("Conv2d", self, int(np.prod(y.shape[1:])) * per_out))
        return y

    def lin_forward(self, x):
        y = lin_fwd(self, x)
        records.append(("Linear", self, int(np.prod(y.shape[1:])) * self.in_features))
        return y

    nn.Conv2d.forward, nn.Linear.forward = conv_forward, lin_forward
    try:
        yield records
    finally:
        nn.Conv2d.forward, nn.Linear.forward = conv_fwd, lin_fwd


def count_macs(model: nn.Module, input_shape: tuple[int, ...], dtype=np.float32) -> dict:
    """Multiply-adds of one example through ``model``, measured by running a forward pass on a
    zero input of shape ``(1, *input_shape)`` and recording every Conv2d and Linear call (output
    elements times the inputs each one sums over). Returns ``{"total": int, "layers": [(kind,
    module, macs), ...]}``; pooling, ReLU and additions are not counted (they are not
    multiply-adds)."""
    from dlproof.engine import no_grad

    records: list = []
    with no_grad(), _recording(records):
        model(Tensor(np.zeros((1, *input_shape), dtype)))
    return {"total": int(sum(r[2] for r in records)), "layers": records}


def receptive_field(layers: list[tuple[int, int, int]]) -> list[int]:
    """Receptive field (in input pixels, per axis) after each layer of a chain given as
    ``(kernel, stride, dilation)`` triples: ``r_0 = 1``, ``r_l = r_{l-1} + d_l (k_l - 1) J_{l-1}``
    with the jump ``J_l = prod_{i<=l} s_i``."""
    r, jump, out = 1, 1, []
    for k, s, d in layers:
        r += d * (k - 1) * jump
        jump *= s
        out.append(r)
    return out


def measured_receptive_field(fn, input_shape: tuple[int, int, int], dtype=np.float64) -> tuple[int, int]:
    """Receptive field of the centre output unit of ``fn`` (a callable (N, C, H, W) -> (N, C', H',
    W')), read off the gradient: the height and width of the bounding box of the input pixels where
    ``d y[0, :, H'//2, W'//2].sum() / d x`` is nonzero, on a random positive input. Make the
    network's weights positive (and use average rather than max pooling) so nothing cancels."""
    rng = np.random.default_rng(0)
    x = Tensor(rng.uniform(0.5, 1.5, (1, *input_shape)).astype(dtype), requires_grad=True)
    y = fn(x)
    sel = np.zeros(y.shape, dtype)
    sel[0, :, y.shape[2] // 2, y.shape[3] // 2] = 1.0
    (y * Tensor(sel)).sum().backward()
    nz = np.abs(x.grad[0]).sum(axis=0) > 0
    rows, cols = np.flatnonzero(nz.any(axis=1)), np.flatnonzero(nz.any(axis=0))
    return int(rows[-1] - rows[0] + 1), int(cols[-1] - cols[0] + 1)

