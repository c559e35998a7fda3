"""CNN blocks and small nets: PyTorch float64 parity (outputs, input and parameter gradients with
copied weights), finite-difference gradchecks with a negative control, and the counting tools
(parameters, multiply-adds, receptive field) against their closed forms."""

from __future__ import annotations

import numpy as np
import pytest

import dlproof.nn as nn
from dlproof.engine import Tensor, gradcheck
from dlproof.models.cnn import (
    DepthwiseSeparableConv,
    InceptionBlock,
    InceptionMini,
    LeNet,
    MobileNetMini,
    PlainBlock,
    ResidualBlock,
    ResNetMini,
    VGGMini,
    conv2d_macs,
    count_macs,
    count_params,
    measured_receptive_field,
    mlp,
    receptive_field,
    vgg_stage,
)


# ------------------------------------------------------------------ torch twins (same parameter order)
def torch_residual(torch, c_in, c_out, stride):
    tnn = torch.nn

    class Block(tnn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = tnn.Conv2d(c_in, c_out, 3, stride, 1)
            self.conv2 = tnn.Conv2d(c_out, c_out, 3, 1, 1)
            self.shortcut = (tnn.Identity() if stride == 1 and c_in == c_out
                             else tnn.Conv2d(c_in, c_out, 1, stride))

        def forward(self, x):
            return torch.relu(self.conv2(torch.relu(self.conv1(x))) + self.shortcut(x))

    return Block()


def torch_plain(torch, c_in, c_out, stride):
    tnn = torch.nn
    return tnn.Sequential(tnn.Conv2d(c_in, c_out, 3, stride, 1), tnn.ReLU(),
                          tnn.Conv2d(c_out, c_out, 3, 1, 1), tnn.ReLU())


def torch_dwsep(torch, c_in, c_out, k, stride):
    tnn = torch.nn
    return tnn.Sequential(tnn.Conv2d(c_in, c_in, k, stride, k // 2, groups=c_in), tnn.ReLU(),
                          tnn.Conv2d(c_in, c_out, 1))


def torch_dwsep_bn(torch, c_in, c_out):
    tnn = torch.nn
    return tnn.Sequential(tnn.Conv2d(c_in, c_in, 3, 1, 1, groups=c_in, bias=False), tnn.BatchNorm2d(c_in),
                          tnn.ReLU(), tnn.Conv2d(c_in, c_out, 1, bias=False), tnn.BatchNorm2d(c_out))


def torch_inception(torch, c_in, c1, r3, c3, r5, c5, cp, reduce):
    tnn = torch.nn

    class Block(tnn.Module):
        def __init__(self):
            super().__init__()
            self.b1 = tnn.Sequential(tnn.Conv2d(c_in, c1, 1), tnn.ReLU())
            if reduce:
                self.b3 = tnn.Sequential(tnn.Conv2d(c_in, r3, 1), tnn.ReLU(),
                                         tnn.Conv2d(r3, c3, 3, padding=1), tnn.ReLU())
                self.b5 = tnn.Sequential(tnn.Conv2d(c_in, r5, 1), tnn.ReLU(),
                                         tnn.Conv2d(r5, c5, 5, padding=2), tnn.ReLU())
            else:
                self.b3 = tnn.Sequential(tnn.Conv2d(c_in, c3, 3, padding=1), tnn.ReLU())
                self.b5 = tnn.Sequential(tnn.Conv2d(c_in, c5, 5, padding=2), tnn.ReLU())
            self.bp = tnn.Sequential(tnn.MaxPool2d(3, 1, 1), tnn.Conv2d(c_in, cp, 1), tnn.ReLU())

        def forward(self, x):
            return torch.cat([self.b1(x), self.b3(x), self.b5(x), self.bp(x)], dim=1)

    return Block()


def torch_vgg_stage(torch, c_in, c_out, n):
    tnn = torch.nn
    layers = []
    for i in range(n):
        layers += [tnn.Conv2d(c_in if i == 0 else c_out, c_out, 3, padding=1), tnn.ReLU()]
    return tnn.Sequential(*layers, tnn.MaxPool2d(2))


def torch_lenet(torch):
    tnn = torch.nn
    return tnn.Sequential(tnn.Conv2d(1, 6, 3, padding=1), tnn.ReLU(), tnn.MaxPool2d(2),
                          tnn.Conv2d(6, 16, 3, padding=1), tnn.ReLU(), tnn.MaxPool2d(2),
                          tnn.Flatten(), tnn.Linear(64, 64), tnn.ReLU(), tnn.Linear(64, 10))


def assert_parity(torch, ours, theirs, x_shape, seed=0):
    """Copy our parameters into the torch twin (same order and shapes), then compare the output,
    the input gradient and every parameter gradient under a random upstream gradient."""
    rng = np.random.default_rng(seed)
    ours_params, their_params = list(ours.parameters()), list(theirs.parameters())
    assert [p.shape for p in ours_params] == [tuple(p.shape) for p in their_params]
    with torch.no_grad():
        for p, q in zip(ours_params, their_params):
            q.copy_(torch.from_numpy(np.asarray(p.data, np.float64)))
    x = rng.standard_normal(x_shape)
    xt = Tensor(x, requires_grad=True)
    y = ours(xt)
    xq = torch.tensor(x, requires_grad=True)
    yq = theirs(xq)
    assert y.shape == tuple(yq.shape)
    np.testing.assert_allclose(y.data, yq.detach().numpy(), rtol=1e-10, atol=1e-12)
    g = rng.standard_normal(y.shape)
    y.backward(g)
    yq.backward(torch.from_numpy(g))
    np.testing.assert_allclose(xt.grad, xq.grad.numpy(), rtol=1e-9, atol=1e-11)
    for p, q in zip(ours_params, their_params):
        np.testing.assert_allclose(p.grad, q.grad.numpy(), rtol=1e-9, atol=1e-11)


@pytest.mark.parametrize("c_in,c_out,stride", [(4, 4, 1), (3, 6, 2), (4, 6, 1)])
def test_residual_block_matches_torch(torch, c_in, c_out, stride):
    ours = ResidualBlock(c_in, c_out, stride, generator=0, dtype=np.float64)
    assert_parity(torch, ours, torch_residual(torch, c_in, c_out, stride), (2, c_in, 7, 7))


def test_plain_block_matches_torch(torch):
    assert_parity(torch, PlainBlock(3, 5, 2, generator=1, dtype=np.float64), torch_plain(torch, 3, 5, 2),
                  (2, 3, 8, 8))


@pytest.mark.parametrize("k,stride", [(3, 1), (5, 2)])
def test_depthwise_separable_matches_torch(torch, k, stride):
    ours = DepthwiseSeparableConv(4, 7, k, stride, generator=2, dtype=np.float64)
    assert_parity(torch, ours, torch_dwsep(torch, 4, 7, k, stride), (2, 4, 9, 9))


def test_depthwise_separable_with_batchnorm_matches_torch_in_training_mode(torch):
    ours = DepthwiseSeparableConv(3, 5, 3, 1, generator=2, dtype=np.float64, batchnorm=True)
    theirs = torch_dwsep_bn(torch, 3, 5)
    # parameter order: depthwise.weight, pointwise.weight, bn1 (weight, bias), bn2 (weight, bias)
    order = [theirs[0].weight, theirs[3].weight, theirs[1].weight, theirs[1].bias, theirs[4].weight,
             theirs[4].bias]
    assert_parity(torch, ours, _Ordered(theirs, lambda: iter(order)), (4, 3, 6, 6))
    np.testing.assert_allclose(ours.bn2.running_mean, theirs[4].running_mean.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(ours.bn2.running_var, theirs[4].running_var.numpy(), rtol=1e-10, atol=1e-12)


class _Ordered:
    """A torch module seen through a given parameter order (to line up with ours)."""

    def __init__(self, module, parameters):
        self.module, self.parameters = module, parameters

    def __call__(self, x):
        return self.module(x)


@pytest.mark.parametrize("reduce", [True, False])
def test_inception_block_matches_torch(torch, reduce):
    ours = InceptionBlock(6, 3, 2, 4, 2, 3, 2, reduce=reduce, generator=3, dtype=np.float64)
    assert ours.out_channels == 3 + 4 + 3 + 2
    assert_parity(torch, ours, torch_inception(torch, 6, 3, 2, 4, 2, 3, 2, reduce), (2, 6, 6, 6))


def test_vgg_stage_and_lenet_match_torch(torch):
    assert_parity(torch, vgg_stage(3, 5, 2, generator=4, dtype=np.float64), torch_vgg_stage(torch, 3, 5, 2),
                  (2, 3, 8, 8))
    assert_parity(torch, LeNet(generator=5, dtype=np.float64), torch_lenet(torch), (3, 1, 8, 8))


# ------------------------------------------------------------------ gradchecks and a negative control
@pytest.mark.parametrize("make", [
    lambda: ResidualBlock(2, 3, 2, generator=0, dtype=np.float64),
    lambda: ResidualBlock(3, 3, 1, generator=0, dtype=np.float64),
    lambda: DepthwiseSeparableConv(3, 4, 3, 1, generator=0, dtype=np.float64),
    lambda: InceptionBlock(3, 2, 2, 2, 1, 2, 1, generator=0, dtype=np.float64),
])
def test_blocks_pass_gradcheck(make):
    block = make()
    x = np.random.default_rng(7).standard_normal((2, block_in_channels(block), 5, 5))
    assert gradcheck(lambda t: block(t), [x]).ok


def block_in_channels(block):
    first = next(m for m in block.modules() if isinstance(m, nn.Conv2d))
    return first.in_channels


class ResidualBlockDroppedShortcutGrad(ResidualBlock):
    """Negative control: the same forward value, but the shortcut's gradient is cut (detach), the
    classic bug of a skip connection that does not carry the gradient."""

    def forward(self, x):
        return (self.conv2(self.conv1(x).relu()) + self.shortcut(x).detach()).relu()


def test_gradcheck_catches_a_shortcut_without_gradient():
    block = ResidualBlockDroppedShortcutGrad(3, 3, 1, generator=0, dtype=np.float64)
    x = np.random.default_rng(7).standard_normal((2, 3, 5, 5))
    assert not gradcheck(lambda t: block(t), [x]).ok


# ------------------------------------------------------------------ counting
def test_count_macs_equals_closed_form():
    block = InceptionBlock(16, 8, 8, 16, 4, 8, 8, generator=0)
    macs = count_macs(block, (16, 8, 8))
    hw = 64
    expected = (conv2d_macs(16, 8, 1, 8, 8) + conv2d_macs(16, 8, 1, 8, 8) + conv2d_macs(8, 16, 3, 8, 8)
                + conv2d_macs(16, 4, 1, 8, 8) + conv2d_macs(4, 8, 5, 8, 8) + conv2d_macs(16, 8, 1, 8, 8))
    assert macs["total"] == expected == hw * (16 * 8 + 16 * 8 + 9 * 8 * 16 + 16 * 4 + 25 * 4 * 8 + 16 * 8)
    ds = DepthwiseSeparableConv(8, 16, 3, 2, generator=0)
    assert count_macs(ds, (8, 8, 8))["total"] == 4 * 4 * (9 * 8 + 8 * 16)
    lin = mlp([64, 32, 10], generator=0)
    assert count_macs(lin, (64,))["total"] == 64 * 32 + 32 * 10
    # the recording is undone afterwards
    assert nn.Conv2d.forward.__name__ == "forward" and nn.Linear.forward.__name__ == "forward"


def test_count_params_closed_forms():
    assert count_params(ResidualBlock(16, 16, generator=0)) == 2 * (9 * 16 * 16 + 16)
    proj = 9 * 16 * 32 + 32 + 9 * 32 * 32 + 32 + 16 * 32 + 32  # conv1, conv2, 1x1 shortcut
    assert count_params(ResidualBlock(16, 32, 2, generator=0)) == proj
    assert count_params(DepthwiseSeparableConv(16, 32, 3, generator=0)) == 9 * 16 + 16 + 16 * 32 + 32
    assert count_params(vgg_stage(8, 8, 2, generator=0)) == 2 * (9 * 64 + 8)
    lenet = (9 * 6 + 6) + (9 * 6 * 16 + 16) + (64 * 64 + 64) + (64 * 10 + 10)
    assert count_params(LeNet(generator=0)) == lenet


@pytest.mark.parametrize("Net", [LeNet, VGGMini, ResNetMini, MobileNetMini, InceptionMini])
def test_nets_take_flat_or_image_digits(Net):
    net = Net(generator=0)
    x = np.random.default_rng(0).standard_normal((3, 64)).astype(np.float32)
    a = net(Tensor(x)).data
    b = net(Tensor(x.reshape(3, 1, 8, 8))).data
    assert a.shape == (3, 10) and np.array_equal(a, b)


def test_receptive_field_formula_matches_gradient():
    rng = np.random.default_rng(0)
    chain = [(3, 1, 1), (3, 2, 1), (5, 1, 2), (2, 2, 1), (3, 1, 1)]
    ws = [np.abs(rng.standard_normal((1, 1, k, k))) for k, _, _ in chain]

    def fn(t, depth):
        from dlproof.nn import functional as F

        for (_k, s, d), w in zip(chain[:depth], ws[:depth]):
            t = F.conv2d(t, Tensor(w), stride=s, dilation=d)
        return t

    formula = receptive_field(chain)
    assert formula == [3, 5, 21, 23, 31]  # 1+2, +2, +2*4*2, +1*2, +2*4
    for depth in range(1, len(chain) + 1):
        assert measured_receptive_field(lambda t, d=depth: fn(t, d), (1, 64, 64)) == (formula[depth - 1],) * 2


def test_wrong_channels_raise_clear_error():
    with pytest.raises(ValueError, match="Conv2d: input has 3 channels"):
        InceptionBlock(4, 2, 2, 2, 2, 2, 2, generator=0)(Tensor(np.zeros((1, 3, 5, 5), np.float32)))
