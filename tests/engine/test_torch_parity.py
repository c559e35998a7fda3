"""Check 2 of design.md: same float64 inputs and upstream gradient -> same outputs and gradients
as PyTorch (the test-time oracle), for every op and fused Function with a torch equivalent."""

from __future__ import annotations

import numpy as np
import pytest
from engine_cases import CASES, make_inputs

from dlproof.engine import Tensor

PARITY = [c for c in CASES if c.theirs is not None]
TOL = 1e-9  # max abs error allowed (float64); observed errors are ~1e-14


def _as_tuple(x):
    return tuple(x) if isinstance(x, (tuple, list)) else (x,)


def run_parity(case, torch, seed=0):
    """Return (max abs output error, max abs gradient error)."""
    arrays = make_inputs(case, seed)
    ours_in = [Tensor(a.copy(), requires_grad=True) if a.dtype.kind == "f" else a for a in arrays]
    th_in = [torch.tensor(a.copy(), requires_grad=True) if a.dtype.kind == "f" else a
             for a in arrays]
    ours_out = _as_tuple(case.ours(*ours_in))
    th_out = _as_tuple(case.theirs(torch, *th_in))
    assert len(ours_out) == len(th_out)
    rng = np.random.default_rng(100 + seed)
    out_err = 0.0
    ups = []
    for o, t in zip(ours_out, th_out):
        assert o.shape == tuple(t.shape), (case.id, o.shape, tuple(t.shape))
        out_err = max(out_err, float(np.max(np.abs(o.numpy() - t.detach().numpy()), initial=0)))
        ups.append(rng.standard_normal(o.shape))
    from dlproof.engine.tensor import run_backward

    run_backward([(o, u) for o, u in zip(ours_out, ups) if o.requires_grad])
    torch.autograd.backward(list(th_out), [torch.tensor(u) for u in ups])
    grad_err = 0.0
    for a, b in zip(ours_in, th_in):
        if isinstance(a, Tensor):
            ga = np.zeros(a.shape) if a.grad is None else a.grad
            gb = np.zeros(a.shape) if b.grad is None else b.grad.numpy()
            grad_err = max(grad_err, float(np.max(np.abs(ga - gb), initial=0)))
    stats = case.extra.get("stats")
    if stats:  # BatchNorm running statistics updated in place, as torch
        for mine, theirs in zip(stats["ours"], stats["theirs"]):
            out_err = max(out_err, float(np.max(np.abs(mine - theirs.numpy()))))
    return out_err, grad_err


@pytest.mark.torch
@pytest.mark.parametrize("case", PARITY, ids=[c.id for c in PARITY])
def test_matches_torch(case, torch):
    for seed in (0, 1):
        out_err, grad_err = run_parity(case, torch, seed)
        assert out_err < TOL and grad_err < TOL, (case.id, out_err, grad_err)


@pytest.mark.torch
def test_cast_and_clone_match_torch(torch):
    a = np.random.default_rng(0).standard_normal((3, 4))
    x = Tensor(a.copy(), requires_grad=True)
    t = torch.tensor(a.copy(), requires_grad=True)
    y = (x.float() * 3.0).double() * x.clone()
    yt = (t.float() * 3.0).double() * t.clone()
    np.testing.assert_array_equal(y.numpy(), yt.detach().numpy())
    u = np.random.default_rng(1).standard_normal((3, 4))
    y.backward(u)
    yt.backward(torch.tensor(u))
    np.testing.assert_allclose(x.grad, t.grad.numpy(), rtol=1e-7)
    assert x.float().dtype == np.float32 and x.long().dtype == np.int64
    assert not x.long().requires_grad
