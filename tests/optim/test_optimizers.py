"""Optimizers: parameter trajectories match torch.optim on the same gradient sequence."""

from __future__ import annotations

import numpy as np
import pytest

from dlproof import optim


class P:
    """A bare parameter: ``.data`` and ``.grad`` numpy arrays (all an optimizer needs)."""

    def __init__(self, data):
        self.data = np.array(data, dtype=np.float64)
        self.grad = None


STEPS = 25

CASES = [
    ("SGD", dict(lr=0.05)),
    ("SGD", dict(lr=0.05, momentum=0.9)),
    ("SGD", dict(lr=0.05, momentum=0.9, dampening=0.3, weight_decay=0.1)),
    ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.01)),
    ("SGD", dict(lr=0.05, momentum=0.5, maximize=True)),
    ("Adagrad", dict(lr=0.1)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.05, initial_accumulator_value=0.3, weight_decay=0.1)),
    ("RMSprop", dict(lr=0.01)),
    ("RMSprop", dict(lr=0.01, momentum=0.9, weight_decay=0.05)),
    ("RMSprop", dict(lr=0.01, centered=True, momentum=0.5, alpha=0.9)),
    ("Adadelta", dict()),
    ("Adadelta", dict(lr=0.5, rho=0.8, weight_decay=0.1)),
    ("Adam", dict(lr=0.01)),
    ("Adam", dict(lr=0.01, weight_decay=0.1, amsgrad=True)),
    ("Adam", dict(lr=0.01, betas=(0.8, 0.95), maximize=True)),
    ("AdamW", dict(lr=0.01)),
    ("AdamW", dict(lr=0.01, weight_decay=0.3, amsgrad=True)),
]


def _grad_fn(seed):
    """Deterministic gradient: quadratic pull towards a target plus seeded noise."""
    noise = np.random.default_rng(seed)
    target = noise.normal(size=(3, 4))

    def grad(x, step):
        return 2.0 * (x - target) * np.arange(1, 5) + 0.3 * noise.normal(size=x.shape)

    return grad


def _run_ours(name, kwargs, x0, bias0, seed):
    w, b = P(x0), P(bias0)
    opt = getattr(optim, name)([{"params": [w]}, {"params": [b], "lr": kwargs.get("lr", 1.0) / 2}], **kwargs)
    gw, gb = _grad_fn(seed), _grad_fn(seed + 1)
    traj = []
    for t in range(STEPS):
        opt.zero_grad()
        w.grad = gw(w.data, t)
        b.grad = gb(b.data, t)
        opt.step()
        traj.append((w.data.copy(), b.data.copy()))
    return traj


def _run_torch(torch, name, kwargs, x0, bias0, seed):
    w = torch.nn.Parameter(torch.tensor(x0))
    b = torch.nn.Parameter(torch.tensor(bias0))
    opt = getattr(torch.optim, name)(
        [{"params": [w]}, {"params": [b], "lr": kwargs.get("lr", 1.0) / 2}],
        foreach=False,
        **kwargs,
    )
    gw, gb = _grad_fn(seed), _grad_fn(seed + 1)
    traj = []
    for t in range(STEPS):
        opt.zero_grad()
        w.grad = torch.tensor(gw(w.detach().numpy(), t))
        b.grad = torch.tensor(gb(b.detach().numpy(), t))
        opt.step()
        traj.append((w.detach().numpy().copy(), b.detach().numpy().copy()))
    return traj


@pytest.mark.torch
@pytest.mark.parametrize("name,kwargs", CASES, ids=[f"{n}-{i}" for i, (n, _) in enumerate(CASES)])
def test_trajectory_matches_torch(torch, name, kwargs):
    rng = np.random.default_rng(0)
    x0, b0 = rng.normal(size=(3, 4)), rng.normal(size=(3, 4))
    ours = _run_ours(name, kwargs, x0, b0, seed=7)
    ref = _run_torch(torch, name, kwargs, x0, b0, seed=7)
    for t, ((w, b), (tw, tb)) in enumerate(zip(ours, ref)):
        np.testing.assert_allclose(w, tw, rtol=1e-12, atol=1e-12, err_msg=f"step {t}: weights")
        np.testing.assert_allclose(b, tb, rtol=1e-12, atol=1e-12, err_msg=f"step {t}: group 2")
    # the trajectory really moved
    assert np.max(np.abs(ours[-1][0] - x0)) > 1e-3


@pytest.mark.parametrize("scale", [1e-4, 1.0, 1e8])
def test_adam_first_step_is_lr_whatever_the_gradient_scale(scale):
    """Bias correction: m_hat = g, v_hat = g^2 at t=1, so |step| = lr * |g| / (|g| + eps) ~ lr.
    Without the (1 - beta^t) correction the step would be lr * 0.1 / sqrt(0.001) ~ 3.16 lr."""
    rng = np.random.default_rng(1)
    p = P(np.zeros(50))
    g = scale * rng.choice([-1.0, 1.0], size=50) * rng.uniform(1.0, 3.0, size=50)
    opt = optim.Adam([p], lr=1e-3)
    p.grad = g
    opt.step()
    np.testing.assert_allclose(np.abs(p.data), 1e-3 * np.abs(g) / (np.abs(g) + 1e-8), rtol=1e-12)
    np.testing.assert_allclose(np.abs(p.data), 1e-3, rtol=2e-3)
    # tiny gradients too, once eps is below their size
    q = P(np.zeros(50))
    q.grad = 1e-8 * rng.choice([-1.0, 1.0], size=50) * rng.uniform(1.0, 3.0, size=50)
    opt = optim.Adam([q], lr=1e-3, eps=1e-14)
    opt.step()
    np.testing.assert_allclose(np.abs(q.data), 1e-3, rtol=1e-4)


def test_adamw_decay_is_decoupled():
    """With a zero gradient, AdamW still shrinks theta by (1 - lr*wd); Adam's L2 term goes
    through the adaptive denominator instead (its step is ~lr whatever wd is)."""
    p, q = P(np.full(3, 2.0)), P(np.full(3, 2.0))
    aw, a = optim.AdamW([p], lr=0.1, weight_decay=0.5), optim.Adam([q], lr=0.1, weight_decay=0.5)
    p.grad, q.grad = np.zeros(3), np.zeros(3)
    aw.step()
    a.step()
    np.testing.assert_allclose(p.data, 2.0 * (1 - 0.05))
    np.testing.assert_allclose(q.data, 2.0 - 0.1, rtol=1e-6)


def test_zero_grad_and_params_without_grad():
    p, q = P([1.0, 2.0]), P([3.0])
    opt = optim.SGD([p, q], lr=0.1)
    p.grad = np.array([1.0, 1.0])
    opt.step()  # q has no gradient: untouched
    np.testing.assert_allclose(p.data, [0.9, 1.9])
    np.testing.assert_allclose(q.data, [3.0])
    opt.zero_grad(set_to_none=False)
    np.testing.assert_array_equal(p.grad, [0.0, 0.0])
    opt.zero_grad()
    assert p.grad is None


def test_closure_value_is_returned():
    p = P([1.0])
    opt = optim.SGD([p], lr=0.5)

    def closure():
        p.grad = 2 * p.data
        return float(p.data[0] ** 2)

    assert opt.step(closure) == 1.0
    np.testing.assert_allclose(p.data, [0.0])


def test_state_dict_round_trip_continues_identically():
    rng = np.random.default_rng(3)
    grads = rng.normal(size=(10, 4))
    a = P(np.ones(4))
    opt_a = optim.Adam([a], lr=0.05, amsgrad=True)
    for g in grads[:5]:
        a.grad = g.copy()
        opt_a.step()
    saved, saved_x = opt_a.state_dict(), a.data.copy()
    b = P(saved_x)
    opt_b = optim.Adam([b], lr=0.9)
    opt_b.load_state_dict(saved)
    assert opt_b.param_groups[0]["lr"] == 0.05
    for g in grads[5:]:
        a.grad, b.grad = g.copy(), g.copy()
        opt_a.step()
        opt_b.step()
    np.testing.assert_array_equal(a.data, b.data)
    # the saved state is a copy, not a view of the live buffers
    assert saved["state"][0]["step"] == 5
    # state is looked up by the parameter object, as torch's optimizer.state[p]
    assert opt_b.state[b]["step"] == 10 and list(opt_b.state) == [b]
    np.testing.assert_array_equal(opt_b.state[b]["exp_avg"], opt_a.state[a]["exp_avg"])


def test_load_state_dict_rejects_wrong_layout():
    opt = optim.SGD([P([1.0])], lr=0.1, momentum=0.9)
    other = optim.SGD([P([1.0]), P([2.0])], lr=0.1)
    with pytest.raises(ValueError, match="params"):
        opt.load_state_dict(other.state_dict())


def test_rejects_duplicate_and_invalid():
    p = P([1.0])
    with pytest.raises(ValueError, match="more than one"):
        optim.SGD([{"params": [p]}, {"params": [p]}], lr=0.1)
    with pytest.raises(ValueError, match="empty"):
        optim.SGD([], lr=0.1)
    with pytest.raises(ValueError, match="Nesterov"):
        optim.SGD([p], lr=0.1, nesterov=True)


def test_updates_are_in_place():
    p = P(np.ones(3))
    ref = p.data
    opt = optim.Adam([p], lr=0.1)
    p.grad = np.ones(3)
    opt.step()
    assert p.data is ref
