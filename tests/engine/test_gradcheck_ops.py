"""Check 1 of design.md: every op and fused Function passes float64 central differences with a
random upstream gradient, and a deliberately wrong backward FAILS the same check."""

from __future__ import annotations

import numpy as np
import pytest
from engine_cases import CASE_IDS, CASES, make_inputs

from dlproof.engine import Tensor, gradcheck
from dlproof.engine.gradcheck import assert_gradcheck

# A case may opt out of finite differences when its gradient is zero *by definition* where the
# forward still depends on the input (embedding's padding_idx row); torch parity covers it.
GRADCHECK_CASES = [c for c in CASES if "skip_gradcheck" not in c.extra]


@pytest.mark.parametrize("case", GRADCHECK_CASES, ids=[c.id for c in GRADCHECK_CASES])
def test_gradcheck(case):
    for seed in (0, 1):
        report = gradcheck(case.ours, make_inputs(case, seed), projections=case.projections,
                           atol=case.atol, rtol=case.rtol, seed=seed)
        assert report.ok, f"{case.id}\n{report}"


def _perturbed(orig):
    """A wrong backward: every gradient scaled by 1.1 and shifted (a 'typo' in a formula)."""

    def bad(ctx, *grads):
        out = orig(ctx, *grads)
        out = list(out) if isinstance(out, tuple) else [out]
        for i, g in enumerate(out):
            if g is not None:
                out[i] = np.asarray(g) * 1.1 + 0.01
        return tuple(out) if len(out) > 1 else out[0]

    return staticmethod(bad)


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_negative_control_wrong_backward_fails(case, monkeypatch):
    monkeypatch.setattr(case.fn_class, "backward", _perturbed(case.fn_class.backward))
    report = gradcheck(case.ours, make_inputs(case, 0), projections=case.projections,
                       atol=case.atol, rtol=case.rtol)
    assert not report.ok, f"{case.id}: a wrong backward passed gradcheck\n{report}"


def test_report_is_readable_and_assert_variant_raises():
    rep = gradcheck(lambda x: x.exp(), [np.array([0.1, 0.2])])
    text = str(rep)
    assert "PASSED" in text and "input 0 shape (2,)" in text and "max abs err" in text
    assert rep.inputs[0].max_abs_err < 1e-8

    def wrong(x):  # d/dx of x**2 claimed to be x (via a detached factor)
        return x * x.detach()

    with pytest.raises(AssertionError, match="FAILED"):
        assert_gradcheck(wrong, [np.array([0.3, -0.4])])
    with pytest.raises(AssertionError):
        gradcheck(wrong, [np.array([0.3, -0.4])], raise_on_failure=True)


def test_projection_variant_on_large_input():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((40, 50))
    w = Tensor(rng.standard_normal((50, 30)))
    rep = gradcheck(lambda a: (a @ w).tanh(), [x], projections=6)
    assert rep.ok and "6 projections" in str(rep)
    bad = gradcheck(lambda a: a @ w.detach() * a.detach().sum() / 100, [x], projections=6)
    assert not bad.ok


def test_upstream_gradient_is_not_all_ones():
    """An all-ones upstream gradient hides the missing off-diagonal softmax terms (sum s = 1)."""
    from dlproof.engine import Function

    class DiagonalOnlySoftmax(Function):  # the classic mistake: ds/dx = s(1-s) only
        @staticmethod
        def forward(ctx, x):
            e = np.exp(x - x.max(-1, keepdims=True))
            s = e / e.sum(-1, keepdims=True)
            ctx.save_for_backward(s)
            return s

        @staticmethod
        def backward(ctx, g):
            (s,) = ctx.saved_tensors
            return g * s * (1 - s)

    rep = gradcheck(lambda x: DiagonalOnlySoftmax.apply(x), [np.array([[0.1, 0.5, -0.3]])])
    assert not rep.ok
