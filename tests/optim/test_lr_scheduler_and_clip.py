"""LR schedules and gradient clipping against torch."""

from __future__ import annotations

import math

import numpy as np
import pytest

from dlproof import optim
from dlproof.optim import lr_scheduler


class P:
    def __init__(self, data):
        self.data = np.array(data, dtype=np.float64)
        self.grad = None


SCHEDULES = [
    ("StepLR", dict(step_size=4, gamma=0.5)),
    ("ExponentialLR", dict(gamma=0.9)),
    ("CosineAnnealingLR", dict(T_max=10, eta_min=0.01)),
    ("CosineAnnealingLR", dict(T_max=7)),
    ("LinearLR", dict(start_factor=0.1, total_iters=6)),
    ("LinearLR", dict(start_factor=1.0, end_factor=0.2, total_iters=8)),
]


@pytest.mark.torch
@pytest.mark.parametrize("name,kwargs", SCHEDULES)
def test_schedule_matches_torch(torch, name, kwargs):
    epochs = 25 if name != "CosineAnnealingLR" else kwargs["T_max"] + 1
    ours_opt = optim.SGD([{"params": [P([0.0])]}, {"params": [P([0.0])], "lr": 0.3}], lr=0.1)
    ours = getattr(lr_scheduler, name)(ours_opt, **kwargs)
    t_opt = torch.optim.SGD(
        [
            {"params": [torch.nn.Parameter(torch.zeros(1))]},
            {"params": [torch.nn.Parameter(torch.zeros(1))], "lr": 0.3},
        ],
        lr=0.1,
    )
    ref = getattr(torch.optim.lr_scheduler, name)(t_opt, **kwargs)
    for _ in range(epochs):
        np.testing.assert_allclose(ours.get_last_lr(), ref.get_last_lr(), rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(
            [g["lr"] for g in ours_opt.param_groups],
            [g["lr"] for g in t_opt.param_groups],
            rtol=1e-12,
            atol=1e-15,
        )
        t_opt.step()
        ours.step()
        ref.step()


def test_lambda_warmup_then_cosine():
    opt = optim.SGD([P([0.0])], lr=1.0)
    W, T = 4, 20
    fn = lambda e: (e + 1) / W if e < W else 0.5 * (1 + math.cos(math.pi * (e - W) / (T - W)))
    sched = lr_scheduler.LambdaLR(opt, fn)
    lrs = []
    for _ in range(T + 1):
        lrs.append(opt.param_groups[0]["lr"])
        sched.step()
    np.testing.assert_allclose(lrs[:W], [0.25, 0.5, 0.75, 1.0])
    assert lrs[W] == 1.0 and abs(lrs[T]) < 1e-15
    assert all(a >= b for a, b in zip(lrs[W:], lrs[W + 1 :]))


@pytest.mark.torch
@pytest.mark.parametrize(
    "kwargs",
    [
        dict(patience=2),
        dict(patience=1, factor=0.5, cooldown=2, threshold=0.05),
        dict(mode="max", patience=0, threshold_mode="abs", threshold=0.1, min_lr=0.02),
    ],
)
def test_reduce_on_plateau_matches_torch(torch, kwargs):
    losses = [
        1.0,
        0.9,
        0.89,
        0.95,
        0.9,
        0.91,
        0.7,
        0.71,
        0.72,
        0.73,
        0.74,
        0.6,
        0.6,
        0.6,
        0.6,
        0.59,
        0.58,
        0.58,
        0.9,
        0.9,
        0.9,
        0.9,
    ]
    if kwargs.get("mode") == "max":
        losses = [-x for x in losses]
    ours_opt = optim.SGD([P([0.0])], lr=0.1)
    ours = lr_scheduler.ReduceLROnPlateau(ours_opt, **kwargs)
    t_opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
    ref = torch.optim.lr_scheduler.ReduceLROnPlateau(t_opt, **kwargs)
    ours_lrs, ref_lrs = [], []
    for loss in losses:
        ours.step(loss)
        ref.step(loss)
        ours_lrs.append(ours_opt.param_groups[0]["lr"])
        ref_lrs.append(t_opt.param_groups[0]["lr"])
    np.testing.assert_allclose(ours_lrs, ref_lrs, rtol=1e-12)
    assert min(ours_lrs) < 0.1  # it did reduce


def test_reduce_on_plateau_hand_trace():
    """patience=2: the 3rd consecutive non-improving epoch triggers the reduction."""
    opt = optim.SGD([P([0.0])], lr=1.0)
    s = lr_scheduler.ReduceLROnPlateau(opt, patience=2, factor=0.5)
    lrs = []
    for loss in [5, 4, 4, 4, 4, 3, 3, 3, 3]:
        s.step(loss)
        lrs.append(opt.param_groups[0]["lr"])
    assert lrs == [1, 1, 1, 1, 0.5, 0.5, 0.5, 0.5, 0.25]


@pytest.mark.torch
@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.0, math.inf])
@pytest.mark.parametrize("max_norm", [0.5, 100.0])
def test_clip_grad_norm_matches_torch(torch, norm_type, max_norm):
    rng = np.random.default_rng(5)
    grads = [rng.normal(size=s) for s in [(3, 4), (5,), (2, 2, 2)]]
    ours = [P(np.zeros(g.shape)) for g in grads]
    for p, g in zip(ours, grads):
        p.grad = g.copy()
    ref = [torch.nn.Parameter(torch.zeros(g.shape)) for g in grads]
    for p, g in zip(ref, grads):
        p.grad = torch.tensor(g)
    total = optim.clip_grad_norm_(ours, max_norm, norm_type=norm_type)
    t_total = torch.nn.utils.clip_grad_norm_(ref, max_norm, norm_type=norm_type, foreach=False)
    assert abs(total - float(t_total)) < 1e-12
    for p, r in zip(ours, ref):
        np.testing.assert_allclose(p.grad, r.grad.numpy(), rtol=1e-12, atol=1e-15)


def test_clip_grad_norm_result_and_nonfinite():
    p = P(np.zeros(2))
    p.grad = np.array([3.0, 4.0])
    assert optim.clip_grad_norm_([p], 1.0) == 5.0
    np.testing.assert_allclose(np.linalg.norm(p.grad), 1.0, rtol=1e-6)
    p.grad = np.array([np.nan, 1.0])
    with pytest.raises(RuntimeError, match="nan"):
        optim.clip_grad_norm_([p], 1.0, error_if_nonfinite=True)


@pytest.mark.torch
def test_clip_grad_value_matches_torch(torch):
    g = np.random.default_rng(6).normal(size=(4, 5))
    p = P(np.zeros((4, 5)))
    p.grad = g.copy()
    t = torch.nn.Parameter(torch.zeros(4, 5))
    t.grad = torch.tensor(g)
    optim.clip_grad_value_([p], 0.3)
    torch.nn.utils.clip_grad_value_([t], 0.3)
    np.testing.assert_array_equal(p.grad, t.grad.numpy())
