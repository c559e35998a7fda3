"""Check 3 of design.md: regression tests for classic mistakes other projects shipped."""

from __future__ import annotations

import math

import numpy as np
import pytest

import dlproof.nn.functional as F
from dlproof.engine import Tensor, tensor
from dlproof.engine.derivatives import jacobian
from dlproof.engine.ops.activation import erf


def test_softmax_family_finite_and_correct_at_plus_minus_1e4():
    x = tensor(np.array([[1e4, -1e4, 0.0], [-1e4, -1e4, -1e4]]), requires_grad=True)
    s = x.softmax(-1)
    np.testing.assert_allclose(s.numpy(), [[1, 0, 0], [1 / 3, 1 / 3, 1 / 3]], atol=1e-15)
    ls = x.log_softmax(-1)
    np.testing.assert_allclose(ls.numpy(), [[0, -2e4, -1e4], [-math.log(3)] * 3], rtol=1e-15)
    lse = x.logsumexp(-1)
    np.testing.assert_allclose(lse.numpy(), [1e4, -1e4 + math.log(3)], rtol=1e-15)
    (s.sum() + ls.sum() + lse.sum()).backward()
    assert np.isfinite(x.grad).all()
    for dt in (np.float32, np.float64):
        logits = tensor(np.array([[1e4, -1e4, 0.0]], dt), requires_grad=True)
        loss = F.cross_entropy(logits, np.array([1]))
        assert loss.item() == pytest.approx(2e4, rel=1e-6)
        loss.backward()
        np.testing.assert_allclose(logits.grad, [[1, -1, 0]], atol=1e-6)
    bce = F.binary_cross_entropy_with_logits(tensor(np.array([1e4, -1e4])), np.array([0.0, 1.0]))
    assert bce.item() == pytest.approx(1e4)


@pytest.mark.parametrize("spread", [5.0, 29.0, 31.0, 200.0])
@pytest.mark.parametrize("dt", [np.float32, np.float64])
def test_cross_entropy_fast_path_matches_row_max_reference_at_any_logit_range(spread, dt):
    """The fast path shares one softmax shift across rows when the batch spans <= 30 and falls
    back to per-row maxima beyond; both must match a float64 per-row-max reference."""
    rng = np.random.default_rng(3)
    z = rng.standard_normal((64, 7)) + np.linspace(0.0, spread, 64)[:, None]  # rows far apart
    y = rng.integers(0, 7, 64)
    m = z.max(axis=1, keepdims=True)
    logp = (z - m) - np.log(np.exp(z - m).sum(axis=1, keepdims=True))
    ref_loss = -logp[np.arange(64), y].mean()
    ref_grad = np.exp(logp)
    ref_grad[np.arange(64), y] -= 1.0
    ref_grad /= 64
    logits = tensor(z.astype(dt), requires_grad=True)
    loss = F.cross_entropy(logits, y)
    loss.backward()
    tol = 2e-6 if dt == np.float32 else 1e-13
    assert loss.item() == pytest.approx(ref_loss, rel=tol)
    np.testing.assert_allclose(logits.grad, ref_grad, atol=tol, rtol=0)
    logits.grad = None
    F.cross_entropy(logits, y).backward(tensor(np.array(3.0, dt)))  # upstream g != 1
    np.testing.assert_allclose(logits.grad, 3.0 * ref_grad, atol=3 * tol, rtol=0)


def test_full_softmax_jacobian_not_just_diagonal():
    x = np.array([0.3, -1.2, 2.0, 0.1])
    s = np.exp(x) / np.exp(x).sum()
    J = jacobian(lambda t: t.softmax(0), x)
    np.testing.assert_allclose(J, np.diag(s) - np.outer(s, s), atol=1e-14)
    assert np.abs(J - np.diag(s * (1 - s))).max() > 0.05  # the p(1-p) shortcut is wrong


def test_relu_derivative_at_zero_is_zero(torch):
    x = tensor(np.array([-1.0, 0.0, 2.0]), requires_grad=True)
    F.relu(x).sum().backward()
    np.testing.assert_array_equal(x.grad, [0, 0, 1])
    t = torch.tensor([-1.0, 0.0, 2.0], requires_grad=True)
    torch.relu(t).sum().backward()
    np.testing.assert_array_equal(x.grad, t.grad.numpy())


@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
def test_dropout_keeps_expectation_and_is_identity_in_eval(p):
    n = 200_000
    x = tensor(np.ones(n))
    y = F.dropout(x, p, training=True, generator=np.random.default_rng(42)).numpy()
    # each output is 1/(1-p) with probability 1-p, else 0: mean 1, variance p/(1-p)
    assert abs(y.mean() - 1.0) < 5 * math.sqrt(p / (1 - p) / n)
    assert abs((y == 0).mean() - p) < 5 * math.sqrt(p * (1 - p) / n)  # p = DROP probability
    np.testing.assert_allclose(np.unique(y), [0.0, 1 / (1 - p)])
    assert F.dropout(x, p, training=False) is x
    with pytest.raises(ValueError, match="generator"):
        F.dropout(x, p)


def test_dropout_same_seed_same_mask():
    x = tensor(np.ones((3, 4)))
    a = F.dropout(x, 0.5, generator=np.random.default_rng(1)).numpy()
    b = F.dropout(x, 0.5, generator=np.random.default_rng(1)).numpy()
    np.testing.assert_array_equal(a, b)


def test_batch_norm_momentum_direction_and_unbiased_running_var():
    x = np.random.default_rng(0).standard_normal((10, 3)) * 2 + 1
    rm, rv = np.zeros(3), np.ones(3)
    F.batch_norm(tensor(x), rm, rv, training=True, momentum=0.1)
    np.testing.assert_allclose(rm, 0.1 * x.mean(0))  # NOT 0.9 * batch
    np.testing.assert_allclose(rv, 0.9 + 0.1 * x.var(0, ddof=1))
    y = F.batch_norm(tensor(x), rm, rv, training=True).numpy()  # normalised by the biased var
    np.testing.assert_allclose(y, (x - x.mean(0)) / np.sqrt(x.var(0) + 1e-5), atol=1e-12)


def test_mean_reduction_divides_by_n_exactly_once():
    x = np.random.default_rng(0).standard_normal((8, 5))
    y = np.array([0, 1, 2, 3, 4, 0, 1, 2])
    t = tensor(x, requires_grad=True)
    F.cross_entropy(t, y).backward()
    s = np.exp(x) / np.exp(x).sum(1, keepdims=True)
    np.testing.assert_allclose(t.grad, (s - np.eye(5)[y]) / 8, atol=1e-15)
    t2 = tensor(x, requires_grad=True)
    F.mse_loss(t2, np.zeros_like(x)).backward()
    np.testing.assert_allclose(t2.grad, 2 * x / x.size)


def test_max_min_tie_rules(torch):
    """Full reductions split the gradient evenly among ties (as torch.max()); reductions over a
    dim send it to the returned index, the first maximum (as torch.max(x, dim))."""
    a = np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 0.0]])
    x = tensor(a, requires_grad=True)
    x.max().backward()
    np.testing.assert_allclose(x.grad, [[0, 0.5, 0.5], [0, 0, 0]])
    t = torch.tensor(a, requires_grad=True)
    t.max().backward()
    np.testing.assert_allclose(x.grad, t.grad.numpy())
    x.grad = None
    vals, idx = x.max(dim=1)
    np.testing.assert_array_equal(idx.numpy(), [1, 0])
    vals.sum().backward()
    np.testing.assert_allclose(x.grad, [[0, 1, 0], [1, 0, 0]])
    x.grad = None
    x.amax(1).sum().backward()  # amax splits evenly, as torch.amax
    np.testing.assert_allclose(x.grad, [[0, 0.5, 0.5], [0.5, 0.5, 0]])


def test_max_pool_ties_go_to_first_maximum_like_torch(torch):
    """After a ReLU, whole windows are 0: an equality mask would route the gradient to all."""
    a = np.array([[[[0.0, 0.0, 1.0, 1.0], [0.0, 0.0, 0.5, 1.0], [2.0, 0, 0, 0], [2.0, 2.0, 0, 0]]]])
    x = tensor(a, requires_grad=True)
    F.max_pool2d(x, 2).sum().backward()
    t = torch.tensor(a, requires_grad=True)
    torch.nn.functional.max_pool2d(t, 2).sum().backward()
    np.testing.assert_array_equal(x.grad, t.grad.numpy())
    assert x.grad.sum() == 4  # one winner per window


@pytest.mark.parametrize("kernel, stride, padding", [(2, 2, 0), (3, 1, 1), (3, 2, 1), (2, 1, 0)])
def test_max_pool_many_exact_ties_first_maximum_like_torch(torch, kernel, stride, padding):
    """Mostly-tied windows (ReLU of a few discrete levels), overlapping windows and padding:
    the winner index must be the FIRST maximum in row-major order, exactly as torch."""
    rng = np.random.default_rng(7)
    a = np.maximum(rng.integers(-3, 3, (3, 4, 11, 9)), 0).astype(np.float32)
    a[0, 0] = 0.0  # a whole channel of ties
    a[1, 1] = 2.0
    x = tensor(a, requires_grad=True)
    y = F.max_pool2d(x, kernel, stride, padding)
    g = rng.standard_normal(y.shape).astype(np.float32)
    y.backward(g)
    t = torch.tensor(a, requires_grad=True)
    ty, ti = torch.nn.functional.max_pool2d(t, kernel, stride, padding, return_indices=True)
    ty.backward(torch.tensor(g))
    np.testing.assert_array_equal(y.numpy() if hasattr(y, "numpy") else y.data, ty.detach().numpy())
    np.testing.assert_allclose(x.grad, t.grad.numpy(), rtol=1e-6, atol=1e-6)


def test_sigmoid_is_exact_at_extremes_and_keeps_dtype():
    import warnings

    from dlproof.engine.ops.activation import _sigmoid

    for dt in (np.float32, np.float64):
        x = np.array([-1000.0, -np.inf, -100.0, 0.0, 100.0, 1000.0, np.inf], dt)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            y = _sigmoid(x)
        assert y.dtype == dt
        np.testing.assert_array_equal(y[[0, 1, 3, 5, 6]], [0.0, 0.0, 0.5, 1.0, 1.0])
        assert not np.isnan(y).any()
        r = np.linspace(-30, 30, 1001).astype(dt)
        ref = 1 / (1 + np.exp(-r.astype(np.float64)))
        np.testing.assert_allclose(_sigmoid(r), ref, rtol=4 * np.finfo(dt).eps)


def test_gelu_erf_is_accurate():
    xs = np.linspace(-7, 7, 20001)
    ref = np.array([math.erf(v) for v in xs])
    assert np.abs(erf(xs) - ref).max() < 1e-14


def test_repeated_backward_accumulates_through_fused_ops():
    x = tensor(np.random.default_rng(0).standard_normal((2, 3, 5, 5)), requires_grad=True)
    w = tensor(np.random.default_rng(1).standard_normal((4, 3, 3, 3)), requires_grad=True)
    out = F.conv2d(x, w, padding=1)
    loss = F.cross_entropy(F.adaptive_avg_pool2d(out, 1).flatten(1), np.array([1, 2]))
    loss.backward(retain_graph=True)
    g1 = w.grad.copy()
    loss.backward()
    np.testing.assert_allclose(w.grad, 2 * g1)


def test_leaf_grad_is_an_owned_copy():
    """a + b returns the same upstream array for both inputs; mutating a.grad must not change
    b.grad (optimizers update gradients in place)."""
    a = tensor([1.0, 2.0], requires_grad=True)
    b = tensor([3.0, 4.0], requires_grad=True)
    (a + b).backward(np.array([1.0, 1.0], np.float32))
    a.grad *= 10
    np.testing.assert_array_equal(b.grad, [1, 1])


def test_cross_entropy_all_ignored_mean_is_nan_like_torch():
    out = F.cross_entropy(Tensor(np.zeros((2, 3))), np.array([-100, -100]))
    assert np.isnan(out.item())
