"""models.mlp_ensemble: K independent MLPs trained at once. PyTorch parity of the whole SGD
trajectory (per-member learning rate, weight decay, width, init scale), a float64 gradient check
with a negative control (the classic mistake: averaging instead of summing the member losses),
masking, divergence freezing, and input errors."""

import numpy as np
import pytest

from dlproof.models.diagnostics import gradient_check
from dlproof.models.mlp_ensemble import MLPEnsemble

K, D, H, C = 3, 5, 6, 4
WIDTHS = [6, 3, 1]


def _data(n=10, seed=1):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, D)), rng.integers(0, C, n)


def _ens(dtype=np.float64):
    return MLPEnsemble(K, D, H, C, np.random.default_rng(0), widths=WIDTHS,
                       init_scales=[1.0, 0.5, 2.0], dtype=dtype)


def test_sgd_trajectory_matches_torch(torch):
    X, y = _data()
    ens = _ens()
    lrs, wds = np.array([0.3, 0.1, 0.05]), np.array([0.0, 1e-2, 1e-1])
    nets, opts = [], []
    for k, w in enumerate(WIDTHS):
        net = torch.nn.Sequential(torch.nn.Linear(D, w), torch.nn.ReLU(), torch.nn.Linear(w, C)).double()
        with torch.no_grad():  # member k restricted to its first w hidden units
            net[0].weight.copy_(torch.tensor(ens.W1.data[k, :w]))
            net[0].bias.copy_(torch.tensor(ens.b1.data[k, 0, :w]))
            net[2].weight.copy_(torch.tensor(ens.W2.data[k, :, :w]))
            net[2].bias.copy_(torch.tensor(ens.b2.data[k, 0]))
        nets.append(net)
        opts.append(torch.optim.SGD(net.parameters(), lr=lrs[k], weight_decay=wds[k]))
    ref = np.zeros((6, K))
    for t in range(6):
        for k in range(K):
            opts[k].zero_grad()
            loss = torch.nn.functional.cross_entropy(nets[k](torch.tensor(X)), torch.tensor(y))
            ref[t, k] = loss.item()
            loss.backward()
            opts[k].step()
    out = ens.fit(X, y, lrs, wds, 6)
    assert np.allclose(out["train"], ref, atol=1e-12, rtol=1e-10)
    for k, w in enumerate(WIDTHS):
        assert np.allclose(ens.W1.data[k, :w], nets[k][0].weight.detach().numpy(), atol=1e-12)
        assert np.allclose(ens.W2.data[k, :, :w], nets[k][2].weight.detach().numpy(), atol=1e-12)
    assert not out["diverged"].any()


def test_gradient_check_and_negative_control():
    X, y = _data()
    ens = _ens()
    g = np.random.default_rng(2).uniform(0.5, 1.5, K)  # random upstream weights on the K losses

    def loss():
        return (ens.losses(X, y) * g).sum()

    assert gradient_check(loss, ens.parameters()) < 1e-7
    # negative control: backprop of the MEAN over members gives each member grad / K, not grad
    for p in ens.parameters():
        p.grad = None
    ((ens.losses(X, y) * g).sum() / K).backward()
    wrong = [p.grad.copy() for p in ens.parameters()]
    assert gradient_check(loss, ens.parameters(), grads=wrong) > 0.5


def test_members_are_independent_and_mask_hides_units():
    X, y = _data()
    ens = _ens()
    z0 = ens.logits(X).data.copy()
    ens.W1.data[1, 4] += 10.0  # a masked unit of member 1 (width 3): no effect at all
    ens.W1.data[0, 0] += 10.0  # a live unit of member 0: changes member 0 only
    z1 = ens.logits(X).data
    assert np.array_equal(z0[1:], z1[1:]) and not np.allclose(z0[0], z1[0])
    ens.losses(X, y).sum().backward()
    assert np.all(ens.W1.grad[1, 3:] == 0) and np.all(ens.W2.grad[2, :, 1:] == 0)


def test_divergent_member_is_frozen_and_reported():
    X, y = _data()
    ens = _ens()
    out = ens.fit(1e3 * X, y, [1e4, 0.1, 0.1], [0.0, 0.0, 0.0], 30, 1e3 * X, y, record_every=10)
    assert out["diverged"][0] and not out["diverged"][1:].any()
    assert np.isinf(out["train"][-1, 0]) and np.all(np.isfinite(out["train"][:, 1:]))
    assert out["val"].shape == (3, K) and list(out["val_steps"]) == [10, 20, 30]
    assert np.all(np.isfinite(ens.W1.data[1:]))


def test_trains_float32():
    X, y = _data(40)
    ens = _ens(np.float32)
    out = ens.fit(X.astype(np.float32), y, [0.5] * K, [0.0] * K, 100)
    assert ens.W1.data.dtype == np.float32
    assert np.all(out["train"][-1] < out["train"][0])


def test_bad_input_errors():
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="widths"):
        MLPEnsemble(2, D, H, C, rng, widths=[0, 3])
    with pytest.raises(ValueError, match="init_scales"):
        MLPEnsemble(2, D, H, C, rng, init_scales=[1.0, -1.0])
    with pytest.raises(ValueError, match=">= 1"):
        MLPEnsemble(0, D, H, C, rng)
    ens = _ens()
    with pytest.raises(ValueError, match="X must be"):
        ens.logits(np.zeros((3, D + 1)))
    X, y = _data()
    with pytest.raises(ValueError, match="lrs and wds"):
        ens.fit(X, y, [0.1, 0.1], [0.0] * K, 1)
