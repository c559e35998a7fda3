"""models.diagnostics: the training loop against PyTorch, the accumulate-gradient bug, dead ReLUs,
the gradient check with a negative control, naive vs stable log-softmax."""

import numpy as np
import pytest

import dlproof.nn.functional as F
from dlproof import nn
from dlproof.engine.tensor import tensor
from dlproof.models.diagnostics import (
    dead_relu_fraction,
    gradient_check,
    naive_log_softmax,
    overfit_small_batch,
    stable_log_softmax,
    train_full_batch,
)


def _net(dtype=np.float64, seed=0):
    rng = np.random.default_rng(seed)
    return nn.Sequential(nn.Linear(5, 7, generator=rng, dtype=dtype), nn.ReLU(),
                         nn.Linear(7, 3, generator=rng, dtype=dtype))


def _data(n=12, seed=1):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, 5)), rng.integers(0, 3, n)


def _torch_copy(torch, net):
    t = torch.nn.Sequential(torch.nn.Linear(5, 7), torch.nn.ReLU(), torch.nn.Linear(7, 3))
    with torch.no_grad():
        for i in (0, 2):
            t[i].weight.copy_(torch.tensor(net[i].weight.data))
            t[i].bias.copy_(torch.tensor(net[i].bias.data))
    return t


@pytest.mark.parametrize("zero_grad", [True, False])
def test_training_matches_torch(torch, zero_grad):
    X, y = _data()
    net = _net()
    t = _torch_copy(torch, net)
    opt = torch.optim.SGD(t.parameters(), lr=0.3)
    ref = []
    for _ in range(6):
        if zero_grad:
            opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(t(torch.tensor(X)), torch.tensor(y))
        ref.append(loss.item())
        loss.backward()
        opt.step()
    out = train_full_batch(net, X, y, 0.3, 6, zero_grad=zero_grad)
    assert np.allclose(out["losses"], ref, atol=1e-12, rtol=1e-10)
    assert np.allclose(net[0].weight.data, t[0].weight.detach().numpy(), atol=1e-12)


def test_gradient_ascent_raises_loss():
    X, y = _data()
    out = train_full_batch(_net(), X, y, 0.5, 20, grad_sign=-1.0)
    assert out["diverged"] or out["losses"][-1] > out["losses"][0]
    ok = train_full_batch(_net(), X, y, 0.5, 20)
    assert ok["losses"][-1] < ok["losses"][0]
    assert np.all(ok["update_ratio"] > 0)


def test_divergence_is_reported_not_plotted():
    X, y = _data()
    out = train_full_batch(_net(), 1e3 * X, y, 1e4, 50)
    assert out["diverged"] and np.all(np.isfinite(out["losses"]))


def test_dead_relu_fraction():
    X, _ = _data()
    net = _net()
    assert dead_relu_fraction(net, X) < 1.0
    net[0].bias.data[:] = -1e3  # every pre-activation negative: all units dead
    assert dead_relu_fraction(net, X) == 1.0
    net[0].bias.data[:3] = 1e3
    assert dead_relu_fraction(net, X) == pytest.approx(4 / 7)
    with pytest.raises(ValueError, match="no nn.ReLU"):
        dead_relu_fraction(nn.Sequential(nn.Linear(5, 3)), X)


def test_overfit_small_batch_reaches_zero():
    X, y = _data(6)
    assert overfit_small_batch(_net(), X, y, 0.5, 400) < 1e-2


def test_gradient_check_and_negative_control():
    X, y = _data()
    net = _net()
    params = list(net.parameters())
    loss_of = lambda: F.cross_entropy(net(tensor(X)), y)  # noqa: E731
    assert gradient_check(loss_of, params) < 1e-7
    loss_of().backward()
    grads = [p.grad.copy() for p in params]
    grads[0][0, 0] += 0.05  # one wrong entry must be seen
    assert gradient_check(loss_of, params, grads=grads) > 1e-3
    with pytest.raises(ValueError, match="float64"):
        gradient_check(loss_of, list(_net(np.float32).parameters()))


def test_log_softmax_naive_vs_stable():
    from scipy.special import log_softmax

    z = np.random.default_rng(0).standard_normal((8, 4))
    assert np.allclose(naive_log_softmax(z), log_softmax(z, axis=1), atol=1e-12)
    assert np.allclose(stable_log_softmax(z), log_softmax(z, axis=1), atol=1e-12)
    big = np.array([[1000.0, 0.0, -5.0], [0.0, 200.0, 900.0]])
    assert not np.all(np.isfinite(naive_log_softmax(big)))
    assert np.allclose(stable_log_softmax(big), log_softmax(big, axis=1), atol=1e-12)


def test_bad_input():
    X, y = _data()
    with pytest.raises(ValueError, match="X \\(N, D\\)"):
        train_full_batch(_net(), X, y[:-1], 0.1, 1)
    with pytest.raises(ValueError, match="lr > 0"):
        train_full_batch(_net(), X, y, 0.0, 1)
