"""Finite-difference checks (float64, random upstream gradient) of the pieces composed in nn/
rather than fused in the engine: composed losses, the tanh/relu RNN recurrence, multi-head
attention with weights; plus a negative control that a wrong backward fails the same check."""

from __future__ import annotations

import numpy as np
import pytest

import dlproof.nn as nn
from dlproof.engine import Function, gradcheck
from dlproof.nn import losses as L


def _away_from_kinks(rng, shape, kinks, margin=0.05):
    """Normal samples whose differences avoid the loss's non-differentiable points."""
    d = rng.normal(size=shape) * 2
    for k in kinks:
        close = np.abs(np.abs(d) - k) < margin
        d[close] += 3 * margin
    return d


@pytest.mark.parametrize(
    "fn,kinks",
    [
        (lambda x, y: L.l1_loss(x, y, reduction="none"), [0.0]),
        (lambda x, y: L.huber_loss(x, y, reduction="sum", delta=0.7), [0.7]),
        (lambda x, y: L.smooth_l1_loss(x, y, reduction="mean", beta=1.3), [1.3]),
    ],
)
def test_piecewise_regression_losses(fn, kinks):
    rng = np.random.default_rng(0)
    y = rng.normal(size=(4, 3))
    x = y + _away_from_kinks(rng, (4, 3), kinks)
    report = gradcheck(fn, [x, y])
    assert report.ok, report


def test_kl_div_focal_and_gaussian_nll():
    rng = np.random.default_rng(1)
    logits = rng.normal(size=(3, 4))
    logp = logits - np.log(np.exp(logits).sum(1, keepdims=True))
    q = rng.dirichlet(np.ones(4), size=3)
    assert gradcheck(lambda a, t: L.kl_div(a, t, reduction="batchmean"), [logp, q]).ok
    assert gradcheck(lambda a, t: L.kl_div(a, t, log_target=True), [logp, np.log(q)]).ok
    y = (rng.uniform(size=(5, 2)) < 0.5).astype(float)
    assert gradcheck(lambda a: L.sigmoid_focal_loss(a, y, 0.3, 1.5, "none"), [rng.normal(size=(5, 2))]).ok
    var = rng.uniform(0.3, 2.0, size=(5, 2))
    assert gradcheck(lambda a, v: L.gaussian_nll_loss(a, y, v, full=True), [rng.normal(size=(5, 2)), var]).ok


@pytest.mark.parametrize("nonlinearity", ["tanh", "relu"])
def test_rnn_recurrence_input_and_state_gradients(nonlinearity):
    rnn = nn.RNN(3, 4, num_layers=2, bidirectional=True, nonlinearity=nonlinearity, generator=0).double()
    rng = np.random.default_rng(2)
    report = gradcheck(lambda x, h: rnn(x, h), [rng.normal(size=(5, 2, 3)), rng.normal(size=(4, 2, 4))])
    assert report.ok, report


def test_multihead_attention_weights_path():
    mha = nn.MultiheadAttention(6, 2, generator=0).double()
    rng = np.random.default_rng(3)
    mask = np.zeros((4, 5), bool)
    mask[0, 2:] = True
    report = gradcheck(
        lambda q, k, v: mha(q, k, v, attn_mask=mask),
        [rng.normal(size=(4, 2, 6)), rng.normal(size=(5, 2, 6)), rng.normal(size=(5, 2, 6))],
    )
    assert report.ok, report


class _WrongHuber(Function):
    """Huber with a deliberately wrong backward (forgets the clipping): the negative control."""

    @staticmethod
    def forward(ctx, x, y, delta=1.0):
        d = x - y
        ctx.saved_tensors = (d,)
        a = np.abs(d)
        return np.where(a <= delta, 0.5 * d * d, delta * (a - 0.5 * delta))

    @staticmethod
    def backward(ctx, g):
        (d,) = ctx.saved_tensors
        return g * d, None  # wrong where |d| > delta: should be g * clip(d, -delta, delta)


def test_negative_control_wrong_backward_fails():
    rng = np.random.default_rng(4)
    y = rng.normal(size=(4, 3))
    x = y + _away_from_kinks(rng, (4, 3), [1.0]) + 1.5  # many |d| > 1
    assert gradcheck(lambda a, b: L.huber_loss(a, b, reduction="none"), [x, y]).ok
    assert not gradcheck(lambda a, b: _WrongHuber.apply(a, b), [x, y]).ok
