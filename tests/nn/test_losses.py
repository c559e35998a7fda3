"""Losses against PyTorch (values and input gradients, every reduction) and 1/N regressions."""

from __future__ import annotations

import math

import numpy as np
import pytest

import dlproof.nn as nn
from dlproof.engine import Tensor
from dlproof.nn import losses as L

REDUCTIONS = ["mean", "sum", "none"]


def _pair(torch, ours_fn, ref_fn, x, *consts, tol=1e-11, seed=0):
    """Value and input gradient of ours_fn(X, *consts) vs ref_fn(x_t, *consts_t)."""
    X = Tensor(x.copy(), requires_grad=True)
    xt = torch.tensor(x, requires_grad=True)
    out = ours_fn(X, *consts)
    ref = ref_fn(xt, *[torch.as_tensor(c) if isinstance(c, np.ndarray) else c for c in consts])
    assert tuple(out.shape) == tuple(ref.shape)
    np.testing.assert_allclose(out.data, ref.detach().numpy(), rtol=tol, atol=tol)
    g = np.random.default_rng(seed).normal(size=ref.shape)
    out.backward(g)
    ref.backward(torch.tensor(g))
    np.testing.assert_allclose(X.grad, xt.grad.numpy(), rtol=tol, atol=tol)
    return float(np.max(np.abs(X.grad - xt.grad.numpy())))


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    return dict(
        x=rng.normal(size=(6, 4)) * 2,
        y=rng.normal(size=(6, 4)) * 2,
        logits=rng.normal(size=(6, 5)),
        cls=np.array([0, 4, 2, 2, 1, 3]),
        prob=rng.uniform(0.05, 0.95, size=(6, 4)),
        bin=(rng.uniform(size=(6, 4)) < 0.4).astype(float),
    )


REGRESSION = [
    ("mse_loss", {}),
    ("l1_loss", {}),
    ("huber_loss", {"delta": 0.5}),
    ("huber_loss", {"delta": 1.0}),
    ("huber_loss", {"delta": 2.5}),
    ("smooth_l1_loss", {"beta": 0.0}),
    ("smooth_l1_loss", {"beta": 0.5}),
    ("smooth_l1_loss", {"beta": 3.0}),
]


@pytest.mark.torch
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name,kw", REGRESSION)
def test_regression_losses(torch, data, reduction, name, kw):
    ours = getattr(L, name)
    ref = getattr(torch.nn.functional, name)
    _pair(
        torch,
        lambda a, b: ours(a, b, reduction=reduction, **kw),
        lambda a, b: ref(a, b, reduction=reduction, **kw),
        data["x"],
        data["y"],
    )


@pytest.mark.torch
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("full", [False, True])
@pytest.mark.parametrize("var_shape", ["same", "drop-last", "last-1"])
def test_gaussian_nll(torch, data, reduction, full, var_shape):
    x, y = data["x"], data["y"]
    rng = np.random.default_rng(1)
    shape = {"same": (6, 4), "drop-last": (6,), "last-1": (6, 1)}[var_shape]
    var = rng.uniform(0.1, 2.0, size=shape)
    var.flat[0] = 1e-9  # below eps: clamped (gradient passes straight through, as torch)
    V, vt = Tensor(var.copy(), requires_grad=True), torch.tensor(var, requires_grad=True)
    X, xt = Tensor(x.copy(), requires_grad=True), torch.tensor(x, requires_grad=True)
    out = L.GaussianNLLLoss(full=full, reduction=reduction)(X, y, V)
    ref = torch.nn.GaussianNLLLoss(full=full, reduction=reduction)(xt, torch.tensor(y), vt)
    np.testing.assert_allclose(out.data, ref.detach().numpy(), rtol=1e-11)
    g = np.random.default_rng(2).normal(size=ref.shape)
    out.backward(g)
    ref.backward(torch.tensor(g))
    np.testing.assert_allclose(X.grad, xt.grad.numpy(), rtol=1e-11, atol=1e-12)
    np.testing.assert_allclose(V.grad, vt.grad.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.torch
@pytest.mark.filterwarnings("ignore:reduction. 'mean' divides:UserWarning")
@pytest.mark.parametrize("reduction", REDUCTIONS + ["batchmean"])
@pytest.mark.parametrize("log_target", [False, True])
def test_kl_div(torch, data, reduction, log_target):
    logp = torch.log_softmax(torch.tensor(data["logits"]), -1).numpy()
    q = torch.softmax(torch.tensor(data["logits"][::-1].copy()), -1).numpy()
    q[0, 1] = 0.0  # a zero target probability contributes 0 (not nan)
    q[0] /= q[0].sum()
    target = np.log(np.where(q > 0, q, 1e-300)) if log_target else q
    _pair(
        torch,
        lambda a, t: L.kl_div(a, t, reduction, log_target),
        lambda a, t: torch.nn.functional.kl_div(a, t, reduction=reduction, log_target=log_target),
        logp,
        target,
    )


@pytest.mark.torch
def test_kl_div_batchmean_is_true_kl(torch, data):
    p = torch.softmax(torch.tensor(data["logits"]), -1).numpy()
    q = torch.softmax(torch.tensor(data["logits"][::-1].copy()), -1).numpy()
    kl = float(L.kl_div(Tensor(np.log(p)), q, reduction="batchmean").data)
    assert kl == pytest.approx(np.mean(np.sum(q * np.log(q / p), axis=1)), rel=1e-12)


@pytest.mark.torch
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_classification_losses_delegate_to_fused(torch, data, reduction):
    tF = torch.nn.functional
    logits, cls = data["logits"], data["cls"]
    w = np.array([1.0, 2.0, 0.5, 1.5, 3.0])
    _pair(
        torch,
        lambda a, t: L.CrossEntropyLoss(reduction=reduction)(a, t),
        lambda a, t: tF.cross_entropy(a, t, reduction=reduction),
        logits,
        cls,
    )
    _pair(
        torch,
        lambda a, t: L.CrossEntropyLoss(weight=w, ignore_index=2, reduction=reduction, label_smoothing=0.1)(
            a, t
        ),
        lambda a, t: tF.cross_entropy(
            a, t, weight=torch.tensor(w), ignore_index=2, reduction=reduction, label_smoothing=0.1
        ),
        logits,
        cls,
    )
    logp = torch.log_softmax(torch.tensor(logits), -1).numpy()
    _pair(
        torch,
        lambda a, t: L.NLLLoss(weight=w, reduction=reduction)(a, t),
        lambda a, t: tF.nll_loss(a, t, weight=torch.tensor(w), reduction=reduction),
        logp,
        cls,
    )
    _pair(
        torch,
        lambda a, t: L.BCELoss(reduction=reduction)(a, t),
        lambda a, t: tF.binary_cross_entropy(a, t, reduction=reduction),
        data["prob"],
        data["bin"],
    )
    pw = np.array([1.0, 3.0, 0.5, 2.0])
    _pair(
        torch,
        lambda a, t: L.BCEWithLogitsLoss(reduction=reduction, pos_weight=pw)(a, t),
        lambda a, t: tF.binary_cross_entropy_with_logits(
            a, t, reduction=reduction, pos_weight=torch.tensor(pw)
        ),
        data["x"],
        data["bin"],
    )


def _torch_focal(torch, x, y, alpha, gamma, reduction):
    """torchvision.ops.sigmoid_focal_loss written out in torch."""
    p = torch.sigmoid(x)
    ce = torch.nn.functional.binary_cross_entropy_with_logits(x, y, reduction="none")
    p_t = p * y + (1 - p) * (1 - y)
    loss = ce * ((1 - p_t) ** gamma)
    if alpha >= 0:
        loss = (alpha * y + (1 - alpha) * (1 - y)) * loss
    return {"none": loss, "mean": loss.mean(), "sum": loss.sum()}[reduction]


@pytest.mark.torch
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("alpha,gamma", [(0.25, 2.0), (-1.0, 0.0), (0.5, 1.5)])
def test_focal_loss(torch, data, reduction, alpha, gamma):
    _pair(
        torch,
        lambda a, t: L.FocalLoss(alpha, gamma, reduction)(a, t),
        lambda a, t: _torch_focal(torch, a, t, alpha, gamma, reduction),
        data["x"],
        data["bin"],
    )


def test_focal_with_gamma_zero_and_no_alpha_is_bce(data):
    x, y = data["x"], data["bin"]
    a = L.sigmoid_focal_loss(Tensor(x), y, alpha=-1, gamma=0.0)
    b = L.binary_cross_entropy_with_logits(Tensor(x), y)
    assert float(a.data) == pytest.approx(float(b.data), rel=1e-12)


@pytest.mark.parametrize(
    "loss_fn,grad_formula",
    [
        (L.mse_loss, lambda d: 2 * d),
        (L.l1_loss, np.sign),
        (lambda a, b: L.huber_loss(a, b, delta=1.0), lambda d: np.clip(d, -1, 1)),
        (lambda a, b: L.smooth_l1_loss(a, b, beta=2.0), lambda d: np.clip(d / 2.0, -1, 1)),
    ],
)
def test_mean_divides_by_n_exactly_once(loss_fn, grad_formula):
    """d(mean loss)/dx = per-element derivative / N: a double 1/N would give /N^2."""
    rng = np.random.default_rng(3)
    x, y = rng.normal(size=(10, 5)) * 2, rng.normal(size=(10, 5))
    X = Tensor(x.copy(), requires_grad=True)
    loss_fn(X, y).backward()
    np.testing.assert_allclose(X.grad, grad_formula(x - y) / x.size, rtol=1e-12)


def test_sum_is_n_times_mean_for_every_loss(data):
    x, y, b = data["x"], data["y"], data["bin"]
    for fn, args in [
        (L.mse_loss, (y,)),
        (L.l1_loss, (y,)),
        (L.huber_loss, (y,)),
        (L.smooth_l1_loss, (y,)),
        (L.binary_cross_entropy_with_logits, (b,)),
        (L.sigmoid_focal_loss, (b,)),
        (lambda a, t, reduction: L.gaussian_nll_loss(a, t, np.ones_like(x), reduction=reduction), (y,)),
    ]:
        s = float(fn(Tensor(x), *args, reduction="sum").data)
        m = float(fn(Tensor(x), *args, reduction="mean").data)
        n = float(fn(Tensor(x), *args, reduction="none").data.sum())
        assert s == pytest.approx(n, rel=1e-12) and s == pytest.approx(m * x.size, rel=1e-12)


def test_errors():
    with pytest.raises(ValueError, match="reduction"):
        nn.MSELoss(reduction="avg")
    with pytest.raises(ValueError, match=r"\(2, 3\).*\(3, 2\)"):
        L.mse_loss(Tensor(np.zeros((2, 3))), np.zeros((3, 2)))
    with pytest.raises(ValueError, match="var"):
        L.gaussian_nll_loss(Tensor(np.zeros((2, 3))), np.zeros((2, 3)), np.ones((3, 2)))
    with pytest.raises(ValueError, match="delta"):
        L.huber_loss(Tensor(np.zeros(2)), np.zeros(2), delta=0.0)
    assert repr(nn.KLDivLoss(reduction="batchmean")) == "KLDivLoss(reduction='batchmean')"


def test_float32_stays_float32():
    x = Tensor(np.ones((3, 2), dtype=np.float32), requires_grad=True)
    out = L.huber_loss(x, np.zeros((3, 2)))
    assert out.data.dtype == np.float32
    out.backward()
    assert x.grad.dtype == np.float32
    assert math.isclose(float(out.data), 0.5)
