r"""Line searches along a descent direction ``d`` from ``x``: choose a step ``alpha`` for
``x_new = x + alpha * d``, with :math:`\phi(\alpha) = f(x + \alpha d)` and
:math:`\phi'(0) = \nabla f(x)^\top d < 0`.

* **Armijo (sufficient decrease)**: :math:`\phi(\alpha) \le \phi(0) + c_1 \alpha \phi'(0)`.
  Backtracking tries ``alpha0, rho*alpha0, rho^2*alpha0, ...`` until it holds.
* **strong Wolfe**: Armijo plus the curvature condition
  :math:`|\phi'(\alpha)| \le c_2 |\phi'(0)|` (``0 < c1 < c2 < 1``; ``c2 = 0.9`` for quasi-Newton,
  ``0.1`` for nonlinear CG). It guarantees ``s^T y > 0`` so BFGS stays positive definite.
  Implemented as Nocedal & Wright, *Numerical Optimization*, Algorithms 3.5 (bracketing) and
  3.6 (zoom) with safeguarded cubic interpolation. Near convergence the decrease
  :math:`c_1\alpha\phi'(0)` falls below the rounding error of ``f`` itself, so (as Hager &
  Zhang's *approximate Wolfe* rule) a step whose curvature condition holds is also accepted
  when :math:`\phi(\alpha) \le \phi(0) + \epsilon|\phi(0)|` (``eps_f = 1e-10``): gradients are
  still accurate there even though function values no longer are.

``x`` and ``d`` are flat float64 vectors of shape (n,).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

__all__ = ["LineSearchResult", "backtracking_armijo", "strong_wolfe"]


@dataclass
class LineSearchResult:
    """``alpha``: accepted step; ``f_new`` = f(x + alpha d); ``g_new`` its gradient (None for
    Armijo, which never evaluates gradients); ``n_fev``: function evaluations; ``success``."""

    alpha: float
    f_new: float
    g_new: np.ndarray | None
    n_fev: int
    success: bool


def backtracking_armijo(
    f: Callable[[np.ndarray], float],
    x: np.ndarray,
    d: np.ndarray,
    f0: float,
    g0: np.ndarray,
    alpha0: float = 1.0,
    c1: float = 1e-4,
    rho: float = 0.5,
    max_iter: int = 60,
) -> LineSearchResult:
    """Largest ``alpha = alpha0 * rho**k`` with ``f(x + alpha d) <= f0 + c1 alpha g0.d``."""
    slope = float(g0 @ d)
    if slope >= 0:
        raise ValueError(f"d is not a descent direction (g.d = {slope:.3e} >= 0)")
    alpha = float(alpha0)
    for k in range(1, max_iter + 1):
        f_new = float(f(x + alpha * d))
        if f_new <= f0 + c1 * alpha * slope:
            return LineSearchResult(alpha, f_new, None, k, True)
        alpha *= rho
    return LineSearchResult(alpha, f_new, None, max_iter, False)


def _cubic_min(a_lo, f_lo, g_lo, a_hi, f_hi, g_hi) -> float | None:
    """Minimiser of the cubic interpolating (a, f, f') at both ends (N&W eq. 3.59), or None."""
    if a_lo == a_hi:
        return None
    d1 = g_lo + g_hi - 3.0 * (f_lo - f_hi) / (a_lo - a_hi)
    rad = d1 * d1 - g_lo * g_hi
    if rad < 0:
        return None
    d2 = math.copysign(math.sqrt(rad), a_hi - a_lo)
    den = g_hi - g_lo + 2.0 * d2
    if den == 0:
        return None
    a = a_hi - (a_hi - a_lo) * (g_hi + d2 - d1) / den
    return a if math.isfinite(a) else None


def strong_wolfe(
    f: Callable[[np.ndarray], float],
    grad: Callable[[np.ndarray], np.ndarray],
    x: np.ndarray,
    d: np.ndarray,
    f0: float,
    g0: np.ndarray,
    alpha0: float = 1.0,
    c1: float = 1e-4,
    c2: float = 0.9,
    alpha_max: float = 1e10,
    max_iter: int = 30,
    eps_f: float = 1e-10,
) -> LineSearchResult:
    """Step satisfying the strong Wolfe conditions (see module docstring)."""
    if not 0 < c1 < c2 < 1:
        raise ValueError(f"need 0 < c1 < c2 < 1, got c1={c1}, c2={c2}")
    dphi0 = float(g0 @ d)
    if dphi0 >= 0:
        raise ValueError(f"d is not a descent direction (g.d = {dphi0:.3e} >= 0)")
    n_fev = 0
    fuzz = eps_f * abs(f0)

    def approx_wolfe(fa, da):
        return fa <= f0 + fuzz and abs(da) <= -c2 * dphi0

    def phi(alpha):
        nonlocal n_fev
        n_fev += 1
        xn = x + alpha * d
        fn, gn = float(f(xn)), np.asarray(grad(xn), dtype=np.float64)
        return fn, gn, float(gn @ d)

    def zoom(lo, hi):
        # lo, hi: (alpha, f, g_vec, dphi); lo satisfies Armijo and has the lowest f so far
        for _ in range(max_iter):
            a_lo, f_lo, _, d_lo = lo
            a_hi, f_hi, _, d_hi = hi
            width = abs(a_hi - a_lo)
            a = _cubic_min(a_lo, f_lo, d_lo, a_hi, f_hi, d_hi)
            lo_b, hi_b = min(a_lo, a_hi), max(a_lo, a_hi)
            if a is None or not (lo_b + 0.1 * width <= a <= hi_b - 0.1 * width):
                a = 0.5 * (a_lo + a_hi)
            fa, ga, da = phi(a)
            if approx_wolfe(fa, da):
                return LineSearchResult(a, fa, ga, n_fev, True)
            if fa > f0 + c1 * a * dphi0 or fa >= f_lo:
                hi = (a, fa, ga, da)
            else:
                if abs(da) <= -c2 * dphi0:
                    return LineSearchResult(a, fa, ga, n_fev, True)
                if da * (a_hi - a_lo) >= 0:
                    hi = lo
                lo = (a, fa, ga, da)
            if width < 1e-16 * max(1.0, abs(a)):
                break
        a, fa, ga, _ = lo
        return LineSearchResult(a, fa, ga, n_fev, a > 0 and fa < f0)

    prev = (0.0, float(f0), np.asarray(g0, dtype=np.float64), dphi0)
    alpha = float(alpha0)
    for i in range(max_iter):
        fa, ga, da = phi(alpha)
        cur = (alpha, fa, ga, da)
        if not math.isfinite(fa):
            # overshoot into a region where f is undefined/huge: shrink towards prev
            alpha = 0.5 * (prev[0] + alpha)
            continue
        if approx_wolfe(fa, da):
            return LineSearchResult(alpha, fa, ga, n_fev, True)
        if fa > f0 + c1 * alpha * dphi0 or (i > 0 and fa >= prev[1]):
            return zoom(prev, cur)
        if abs(da) <= -c2 * dphi0:
            return LineSearchResult(alpha, fa, ga, n_fev, True)
        if da >= 0:
            return zoom(cur, prev)
        prev = cur
        alpha = min(2.0 * alpha, alpha_max)
    return LineSearchResult(prev[0], prev[1], prev[2], n_fev, False)
