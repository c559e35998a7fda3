"""Finite-difference gradient checking (float64, random upstream gradient).

``gradcheck(fn, inputs)`` compares the analytic gradient of the scalar
``L(x) = sum(fn(*x) * U)`` with central differences ``(L(x + eps e_i) - L(x - eps e_i)) / (2 eps)``.
``U`` is a *random* upstream gradient (never all ones: an all-ones U hides errors that cancel in a
sum, e.g. a softmax backward that forgets the off-diagonal Jacobian terms).

For large inputs use ``projections=k``: instead of one perturbation per element, compare the
directional derivative along k random unit directions d, (L(x + eps d) - L(x - eps d)) / (2 eps),
with the analytic <grad L, d>. Cost: 2k forward passes instead of 2 * numel.

An element passes when |analytic - numeric| <= atol + rtol * |numeric|.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from dlproof.engine.backward import run_backward
from dlproof.engine.core import Tensor
from dlproof.engine.grad_mode import no_grad

__all__ = ["gradcheck", "assert_gradcheck", "GradcheckReport", "InputReport"]


@dataclass
class InputReport:
    """Errors for one input: worst absolute error, worst relative error, and whether it passed."""

    index: int
    shape: tuple
    max_abs_err: float
    max_rel_err: float
    ok: bool
    checked: str  # "elementwise" or "k projections"


@dataclass
class GradcheckReport:
    """Result of :func:`gradcheck`. ``ok`` is True when every input passed."""

    inputs: list = field(default_factory=list)
    atol: float = 0.0
    rtol: float = 0.0
    eps: float = 0.0

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.inputs)

    @property
    def max_abs_err(self) -> float:
        return max((r.max_abs_err for r in self.inputs), default=0.0)

    def __bool__(self):
        return self.ok

    def __str__(self):
        lines = [
            f"gradcheck {'PASSED' if self.ok else 'FAILED'} "
            f"(eps={self.eps:g}, atol={self.atol:g}, rtol={self.rtol:g})"
        ]
        for r in self.inputs:
            lines.append(
                f"  input {r.index} shape {r.shape}: max abs err {r.max_abs_err:.3e}, "
                f"max rel err {r.max_rel_err:.3e} [{r.checked}] {'ok' if r.ok else 'FAIL'}"
            )
        return "\n".join(lines)


def _as_list(out):
    return list(out) if isinstance(out, (tuple, list)) else [out]


def gradcheck(
    fn,
    inputs,
    *,
    eps: float = 1e-6,
    atol: float = 1e-6,
    rtol: float = 1e-4,
    seed: int = 0,
    projections: int | None = None,
    raise_on_failure: bool = False,
) -> GradcheckReport:
    """Check ``fn``'s backward against central differences.

    fn: callable taking Tensors and returning a Tensor or a tuple of Tensors.
    inputs: Tensors / arrays; float ones are converted to float64 leaves with requires_grad
        (non-float ones, e.g. integer targets, are passed through unchanged).
    projections: None -> perturb every element; k -> k random directions per input.
    Returns a :class:`GradcheckReport`; with ``raise_on_failure`` raises AssertionError on failure.
    """
    rng = np.random.default_rng(seed)
    leaves, args, check_idx = [], [], []
    for i, x in enumerate(inputs):
        arr = x.data if isinstance(x, Tensor) else x
        if isinstance(arr, np.ndarray) and arr.dtype.kind == "f":
            t = Tensor(arr.astype(np.float64), requires_grad=True)
            leaves.append(t)
            args.append(t)
            check_idx.append(i)
        else:
            args.append(x)

    outs = _as_list(fn(*args))
    us = [rng.uniform(0.5, 1.5, o.shape) * rng.choice([-1.0, 1.0], o.shape) for o in outs]

    def loss_value():
        vals = _as_list(fn(*args))
        return float(sum(np.sum(np.asarray(v.data, np.float64) * u) for v, u in zip(vals, us)))

    roots = [(o, u.astype(o.data.dtype)) for o, u in zip(outs, us) if o.requires_grad]
    if roots:
        run_backward(roots)
    report = GradcheckReport(atol=atol, rtol=rtol, eps=eps)
    with no_grad():
        for k, (i, t) in enumerate(zip(check_idx, leaves)):
            analytic = np.zeros(t.shape) if t.grad is None else np.asarray(t.grad, np.float64)
            data = t.data
            if projections is None:
                numeric = np.zeros(data.shape)
                flat = data.reshape(-1)
                nflat = numeric.reshape(-1)
                for j in range(flat.size):
                    old = flat[j]
                    flat[j] = old + eps
                    lp = loss_value()
                    flat[j] = old - eps
                    lm = loss_value()
                    flat[j] = old
                    nflat[j] = (lp - lm) / (2 * eps)
                a, n = analytic.reshape(-1), numeric.reshape(-1)
                checked = "elementwise"
            else:
                dirs = rng.standard_normal((projections,) + data.shape)
                n = np.zeros(projections)
                a = np.zeros(projections)
                base = data.copy()
                for j in range(projections):
                    d = dirs[j] / np.linalg.norm(dirs[j])
                    data[...] = base + eps * d
                    lp = loss_value()
                    data[...] = base - eps * d
                    lm = loss_value()
                    data[...] = base
                    n[j] = (lp - lm) / (2 * eps)
                    a[j] = np.sum(analytic * d)
                checked = f"{projections} projections"
            err = np.abs(a - n)
            rel = err / np.maximum(np.abs(n), 1e-12)
            ok = bool(np.all(err <= atol + rtol * np.abs(n)))
            report.inputs.append(
                InputReport(
                    index=i,
                    shape=tuple(data.shape),
                    max_abs_err=float(err.max(initial=0.0)),
                    max_rel_err=float(rel.max(initial=0.0)),
                    ok=ok,
                    checked=checked,
                )
            )
            del k
    if raise_on_failure and not report.ok:
        raise AssertionError(str(report))
    return report


def assert_gradcheck(fn, inputs, **kwargs) -> GradcheckReport:
    """:func:`gradcheck` that raises AssertionError (with the report) on failure."""
    return gradcheck(fn, inputs, raise_on_failure=True, **kwargs)
