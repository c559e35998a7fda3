r"""Second-order and line-search minimizers over a flat float64 parameter vector ``x`` (n,).

Every method takes ``f(x) -> float`` and ``grad(x) -> (n,)`` callables (or ``grad=None`` with
``f`` returning ``(value, gradient)``, i.e. a closure) and returns a :class:`MinimizeResult`
whose per-iteration trace (loss, gradient norm, step size, iterates) feeds the handbook's plots.

* :func:`conjugate_gradient` — linear CG for ``A x = b`` with A symmetric positive definite
  (equivalently minimising ``1/2 x^T A x - b^T x``); exact in at most n steps.
* :func:`newton` — ``(H + lambda I) d = -g``; fixed damping, Levenberg-Marquardt adaptive
  lambda, or an Armijo line search; Hessian as a matrix callable, a Hessian-vector product
  (solved by CG: Newton-CG), or finite differences of exact gradients.
* :func:`nonlinear_cg` — Fletcher-Reeves or Polak-Ribiere+ with a strong-Wolfe line search.
* :func:`bfgs` — inverse-Hessian BFGS update with strong-Wolfe steps.
* :func:`lbfgs` — limited-memory BFGS, two-loop recursion with memory ``m``.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from dlproof.optim.line_search import backtracking_armijo, strong_wolfe

__all__ = [
    "MinimizeResult",
    "conjugate_gradient",
    "newton",
    "nonlinear_cg",
    "bfgs",
    "lbfgs",
    "finite_difference_hvp",
]

Array = np.ndarray


@dataclass
class MinimizeResult:
    """Outcome and trace of a minimisation.

    ``losses[k]``, ``grad_norms[k]`` (Euclidean) and ``xs[k]`` describe iterate k (k = 0 is the
    start, so they have ``n_iter + 1`` entries); ``step_sizes[k]`` is the line-search step (or
    1.0 for a full step) taken *from* iterate k, ``step_norms[k] = ||x_{k+1} - x_k||``.
    ``extra`` holds method-specific traces (e.g. the Levenberg-Marquardt lambdas)."""

    x: Array
    fun: float
    converged: bool
    n_iter: int
    method: str
    message: str = ""
    losses: list[float] = field(default_factory=list)
    grad_norms: list[float] = field(default_factory=list)
    step_sizes: list[float] = field(default_factory=list)
    step_norms: list[float] = field(default_factory=list)
    xs: list[Array] = field(default_factory=list)
    n_fev: int = 0
    n_gev: int = 0
    extra: dict = field(default_factory=dict)

    def __repr__(self) -> str:
        return (
            f"MinimizeResult(method={self.method!r}, converged={self.converged}, "
            f"n_iter={self.n_iter}, fun={self.fun:.6g}, grad_norm={self.grad_norms[-1]:.3e}, "
            f"message={self.message!r})"
        )


class _Counted:
    """Wraps f/grad (or a closure returning both) and counts evaluations."""

    def __init__(self, f, grad):
        self._f, self._grad = f, grad
        self.n_fev = self.n_gev = 0

    def f(self, x):
        self.n_fev += 1
        if self._grad is None:
            return float(self._f(x)[0])
        return float(self._f(x))

    def grad(self, x):
        self.n_gev += 1
        if self._grad is None:
            return np.asarray(self._f(x)[1], dtype=np.float64)
        return np.asarray(self._grad(x), dtype=np.float64)


def _as_vector(x0) -> Array:
    x = np.array(x0, dtype=np.float64, copy=True)
    if x.ndim != 1:
        raise ValueError(f"x0 must be a flat vector of shape (n,), got shape {x.shape}")
    return x


def _finish(res: MinimizeResult, fn: _Counted, x: Array, fx: float, gnorm_ok: bool, msg: str):
    res.x, res.fun, res.converged, res.message = x, fx, gnorm_ok, msg
    res.n_iter = len(res.losses) - 1
    res.n_fev, res.n_gev = fn.n_fev, fn.n_gev
    return res


def _record(res: MinimizeResult, x: Array, fx: float, g: Array, keep_path: bool) -> None:
    res.losses.append(float(fx))
    res.grad_norms.append(float(np.linalg.norm(g)))
    if keep_path:
        res.xs.append(x.copy())


# ---------------------------------------------------------------------- linear CG
def conjugate_gradient(
    A: Array | Callable[[Array], Array],
    b: Array,
    x0: Array | None = None,
    tol: float = 1e-10,
    max_iter: int | None = None,
    keep_path: bool = True,
) -> MinimizeResult:
    r"""Solve ``A x = b`` for symmetric positive definite ``A`` (an (n, n) array or a matvec).

    Residual ``r = b - A x``; directions ``p`` are A-conjugate (``p_i^T A p_j = 0``)::

        alpha = r.r / p.A p ;  x += alpha p ;  r_new = r - alpha A p
        beta = r_new.r_new / r.r ;  p = r_new + beta p

    In exact arithmetic it terminates in at most n iterations (k with k distinct eigenvalues).
    In floating point the directions slowly lose conjugacy, so an ill-conditioned system may
    need a few more than n (``max_iter`` defaults to ``2 n``).
    Stops when ``||r|| <= tol * max(1, ||b||)``. The trace's ``losses`` are the quadratic
    ``1/2 x^T A x - b^T x`` and ``grad_norms`` the residual norms (the quadratic's gradient).
    """
    matvec = A if callable(A) else (lambda v, M=np.asarray(A, dtype=np.float64): M @ v)
    b = np.asarray(b, dtype=np.float64)
    n = b.shape[0]
    x = np.zeros(n) if x0 is None else _as_vector(x0)
    max_iter = 2 * n if max_iter is None else max_iter
    r = b - matvec(x)
    p = r.copy()
    rr = float(r @ r)
    res = MinimizeResult(x, 0.0, False, 0, "linear-cg")
    quad = lambda x, r: float(0.5 * x @ (b - r) - b @ x)  # A x = b - r
    res.losses.append(quad(x, r))
    res.grad_norms.append(math.sqrt(rr))
    if keep_path:
        res.xs.append(x.copy())
    threshold = tol * max(1.0, float(np.linalg.norm(b)))
    converged = math.sqrt(rr) <= threshold
    it = 0
    while not converged and it < max_iter:
        Ap = matvec(p)
        pAp = float(p @ Ap)
        if pAp <= 0:
            res.message = f"A is not positive definite along a search direction (p.Ap = {pAp:.3e})"
            break
        alpha = rr / pAp
        x = x + alpha * p
        r = r - alpha * Ap
        rr_new = float(r @ r)
        res.step_sizes.append(alpha)
        res.step_norms.append(alpha * float(np.linalg.norm(p)))
        res.losses.append(quad(x, r))
        res.grad_norms.append(math.sqrt(rr_new))
        if keep_path:
            res.xs.append(x.copy())
        it += 1
        converged = math.sqrt(rr_new) <= threshold
        p = r + (rr_new / rr) * p
        rr = rr_new
    res.x, res.fun, res.converged, res.n_iter = x, res.losses[-1], converged, it
    if not res.message:
        res.message = "residual below tolerance" if converged else "max_iter reached"
    return res


def finite_difference_hvp(grad: Callable[[Array], Array], eps: float = 1e-6):
    """``hvp(x, v) ~= (grad(x + h v) - grad(x - h v)) / (2 h)`` with ``h = eps / ||v||``
    (central differences of the exact gradient: O(h^2) error, 2 gradient calls)."""

    def hvp(x, v):
        nv = float(np.linalg.norm(v))
        if nv == 0:
            return np.zeros_like(v)
        h = eps / nv
        return (grad(x + h * v) - grad(x - h * v)) / (2.0 * h)

    return hvp


# ---------------------------------------------------------------------- Newton
def newton(
    f: Callable,
    grad: Callable | None,
    x0: Array,
    hess: Callable[[Array], Array] | None = None,
    hvp: Callable[[Array, Array], Array] | None = None,
    damping: float = 0.0,
    adaptive: bool = False,
    line_search: str | None = None,
    lambda_up: float = 10.0,
    lambda_down: float = 0.1,
    gtol: float = 1e-10,
    max_iter: int = 100,
    keep_path: bool = True,
) -> MinimizeResult:
    r"""Newton's method with damping: solve ``(H + lambda I) d = -g`` and move ``x += alpha d``.

    * ``damping=0``, ``adaptive=False``, ``line_search=None``: pure Newton (quadratic
      convergence near a minimum with positive definite Hessian: ``e_{k+1} <= C e_k^2``).
    * ``adaptive=True``: Levenberg-Marquardt — start at ``lambda = damping`` (or 1e-3 when 0);
      accept a step that lowers f and multiply lambda by ``lambda_down``; otherwise reject it
      and multiply lambda by ``lambda_up`` (large lambda = short gradient-descent step
      ``-g / lambda``; small lambda = Newton step).
    * ``line_search="armijo"``: backtracking on the (damped) Newton direction.

    The Hessian comes from ``hess(x) -> (n, n)``; else from ``hvp(x, v) -> H v`` (the system
    is then solved by linear CG: Newton-CG); else from :func:`finite_difference_hvp`.
    Stops when ``||g|| <= gtol``.
    """
    fn = _Counted(f, grad)
    x = _as_vector(x0)
    n = x.size
    if hess is None and hvp is None:
        hvp = finite_difference_hvp(fn.grad)
    lam = float(damping)
    if adaptive and lam == 0.0:
        lam = 1e-3

    def solve(x, g, lam):
        if hess is not None:
            H = np.asarray(hess(x), dtype=np.float64)
            if H.shape != (n, n):
                raise ValueError(f"hess(x) returned shape {H.shape}, expected {(n, n)}")
            try:
                return np.linalg.solve(H + lam * np.eye(n), -g)
            except np.linalg.LinAlgError:
                return np.linalg.lstsq(H + lam * np.eye(n), -g, rcond=None)[0]
        mv = lambda v: hvp(x, v) + lam * v
        return conjugate_gradient(mv, -g, tol=1e-12, max_iter=2 * n, keep_path=False).x

    res = MinimizeResult(x, 0.0, False, 0, "newton")
    res.extra["lambdas"] = []
    fx, g = fn.f(x), fn.grad(x)
    _record(res, x, fx, g, keep_path)
    message = "max_iter reached"
    rejected = 0
    while len(res.losses) - 1 < max_iter:
        if np.linalg.norm(g) <= gtol:
            message = "gradient norm below gtol"
            break
        if not math.isfinite(fx):
            message = f"non-finite loss {fx}"
            break
        d = solve(x, g, lam)
        alpha = 1.0
        if line_search == "armijo":
            if float(g @ d) >= 0:  # indefinite Hessian: fall back to steepest descent
                d = -g
            ls = backtracking_armijo(fn.f, x, d, fx, g)
            alpha, f_new = ls.alpha, ls.f_new
        elif line_search is not None:
            raise ValueError(f"line_search must be None or 'armijo', got {line_search!r}")
        else:
            f_new = fn.f(x + d)
        if adaptive and not (f_new < fx):
            lam *= lambda_up
            rejected += 1
            if rejected > 60:
                message = "Levenberg-Marquardt could not find a decreasing step"
                break
            continue
        rejected = 0
        res.extra["lambdas"].append(lam)
        if adaptive:
            lam = max(lam * lambda_down, 1e-12)
        x_new = x + alpha * d
        res.step_sizes.append(alpha)
        res.step_norms.append(float(np.linalg.norm(x_new - x)))
        x, fx = x_new, f_new
        g = fn.grad(x)
        _record(res, x, fx, g, keep_path)
    return _finish(res, fn, x, fx, bool(np.linalg.norm(g) <= gtol), message)


# ---------------------------------------------------------------------- nonlinear CG
def nonlinear_cg(
    f: Callable,
    grad: Callable | None,
    x0: Array,
    beta: str = "pr+",
    gtol: float = 1e-8,
    max_iter: int = 2000,
    restart: int | None = None,
    c2: float = 0.1,
    keep_path: bool = True,
) -> MinimizeResult:
    r"""Nonlinear conjugate gradient: ``d_0 = -g_0``, ``d_{k+1} = -g_{k+1} + beta_k d_k`` with

    * Fletcher-Reeves ``beta = g_{k+1}.g_{k+1} / g_k.g_k``
    * Polak-Ribiere+ ``beta = max(0, g_{k+1}.(g_{k+1} - g_k) / g_k.g_k)`` (resets to steepest
      descent automatically when progress stalls)

    and a strong-Wolfe line search (``c2 = 0.1``). Restarts with ``-g`` every ``restart``
    iterations (default n) or whenever d is not a descent direction.
    """
    if beta not in ("fr", "pr+"):
        raise ValueError(f"beta must be 'fr' or 'pr+', got {beta!r}")
    fn = _Counted(f, grad)
    x = _as_vector(x0)
    restart = restart or x.size
    fx, g = fn.f(x), fn.grad(x)
    d = -g
    res = MinimizeResult(x, fx, False, 0, f"nonlinear-cg-{beta}")
    _record(res, x, fx, g, keep_path)
    message = "max_iter reached"
    alpha0 = 1.0 / max(1.0, float(np.linalg.norm(g)))
    k = 0
    while k < max_iter:
        if np.linalg.norm(g) <= gtol:
            message = "gradient norm below gtol"
            break
        if float(g @ d) >= 0:
            d = -g
        ls = strong_wolfe(fn.f, fn.grad, x, d, fx, g, alpha0=alpha0, c2=c2)
        if not ls.success and not ls.f_new < fx:
            message = "line search failed"
            break
        x_new = x + ls.alpha * d
        g_new = ls.g_new
        gg = float(g @ g)
        if beta == "fr":
            b = float(g_new @ g_new) / gg
        else:
            b = max(0.0, float(g_new @ (g_new - g)) / gg)
        k += 1
        if k % restart == 0:
            b = 0.0
        # next initial step: the previous one scaled by the ratio of directional slopes (N&W 3.60)
        slope_old = float(g @ d)
        d = -g_new + b * d
        slope_new = float(g_new @ d)
        alpha0 = ls.alpha * slope_old / slope_new if slope_new < 0 else 1.0
        alpha0 = min(1.0, 1.01 * alpha0) if alpha0 > 0 else 1.0
        res.step_sizes.append(ls.alpha)
        res.step_norms.append(float(np.linalg.norm(x_new - x)))
        x, fx, g = x_new, ls.f_new, g_new
        _record(res, x, fx, g, keep_path)
    return _finish(res, fn, x, fx, bool(np.linalg.norm(g) <= gtol), message)


# ---------------------------------------------------------------------- quasi-Newton
def bfgs(
    f: Callable,
    grad: Callable | None,
    x0: Array,
    gtol: float = 1e-8,
    max_iter: int = 1000,
    c2: float = 0.9,
    keep_path: bool = True,
) -> MinimizeResult:
    r"""BFGS on the inverse Hessian approximation ``B`` (n, n)::

        d = -B g ;  x_{k+1} = x_k + alpha d     (strong Wolfe, default c2 = 0.9, alpha0 = 1)
        s = x_{k+1} - x_k ;  y = g_{k+1} - g_k ;  rho = 1 / y.s
        B <- (I - rho s y^T) B (I - rho y s^T) + rho s s^T

    Before the first update B is rescaled to ``(y.s / y.y) I`` (Nocedal & Wright eq. 6.20).
    Updates with ``y.s <= 1e-12 ||s|| ||y||`` are skipped (the Wolfe conditions prevent it).
    """
    fn = _Counted(f, grad)
    x = _as_vector(x0)
    n = x.size
    B = np.eye(n)
    fx, g = fn.f(x), fn.grad(x)
    res = MinimizeResult(x, fx, False, 0, "bfgs")
    _record(res, x, fx, g, keep_path)
    message = "max_iter reached"
    first = True
    while len(res.losses) - 1 < max_iter:
        if np.linalg.norm(g) <= gtol:
            message = "gradient norm below gtol"
            break
        d = -B @ g
        if float(g @ d) >= 0:
            B = np.eye(n)
            d = -g
        alpha0 = 1.0 if not first else min(1.0, 1.0 / max(1e-12, float(np.linalg.norm(g))))
        ls = strong_wolfe(fn.f, fn.grad, x, d, fx, g, alpha0=alpha0, c2=c2)
        if not ls.success and not ls.f_new < fx:
            message = "line search failed"
            break
        x_new, g_new = x + ls.alpha * d, ls.g_new
        s, y = x_new - x, g_new - g
        ys = float(y @ s)
        if ys > 1e-12 * np.linalg.norm(s) * np.linalg.norm(y):
            if first:
                B = (ys / float(y @ y)) * np.eye(n)
                first = False
            rho = 1.0 / ys
            By = B @ y
            # expanded form of (I - rho s y^T) B (I - rho y s^T) + rho s s^T
            B += (rho * rho * float(y @ By) + rho) * np.outer(s, s) - rho * (
                np.outer(By, s) + np.outer(s, By)
            )
        res.step_sizes.append(ls.alpha)
        res.step_norms.append(float(np.linalg.norm(s)))
        x, fx, g = x_new, ls.f_new, g_new
        _record(res, x, fx, g, keep_path)
    return _finish(res, fn, x, fx, bool(np.linalg.norm(g) <= gtol), message)


def lbfgs(
    f: Callable,
    grad: Callable | None,
    x0: Array,
    m: int = 10,
    gtol: float = 1e-8,
    max_iter: int = 1000,
    c2: float = 0.9,
    keep_path: bool = True,
) -> MinimizeResult:
    r"""L-BFGS: BFGS whose inverse Hessian is never formed; the last ``m`` pairs
    ``(s_i, y_i)`` define it implicitly. Two-loop recursion for ``d = -H g``::

        q = g
        for i = k-1 .. k-m:   a_i = rho_i s_i.q ;  q -= a_i y_i
        r = gamma q           (gamma = s_{k-1}.y_{k-1} / y_{k-1}.y_{k-1})
        for i = k-m .. k-1:   b = rho_i y_i.r ;  r += (a_i - b) s_i
        d = -r

    O(m n) memory and time per step instead of O(n^2). Strong-Wolfe line search, default c2 = 0.9.
    """
    if m < 1:
        raise ValueError(f"memory m must be >= 1, got {m}")
    fn = _Counted(f, grad)
    x = _as_vector(x0)
    fx, g = fn.f(x), fn.grad(x)
    pairs: deque[tuple[Array, Array, float]] = deque(maxlen=m)
    res = MinimizeResult(x, fx, False, 0, f"lbfgs-m{m}")
    _record(res, x, fx, g, keep_path)
    message = "max_iter reached"
    while len(res.losses) - 1 < max_iter:
        if np.linalg.norm(g) <= gtol:
            message = "gradient norm below gtol"
            break
        q = g.copy()
        alphas = []
        for s, y, rho in reversed(pairs):
            a = rho * float(s @ q)
            q -= a * y
            alphas.append(a)
        if pairs:
            s, y, _ = pairs[-1]
            q *= float(s @ y) / float(y @ y)
            alpha0 = 1.0
        else:
            alpha0 = min(1.0, 1.0 / max(1e-12, float(np.linalg.norm(g))))
        for (s, y, rho), a in zip(pairs, reversed(alphas)):
            b = rho * float(y @ q)
            q += (a - b) * s
        d = -q
        if float(g @ d) >= 0:
            pairs.clear()
            d = -g
        ls = strong_wolfe(fn.f, fn.grad, x, d, fx, g, alpha0=alpha0, c2=c2)
        if not ls.success and not ls.f_new < fx:
            message = "line search failed"
            break
        x_new, g_new = x + ls.alpha * d, ls.g_new
        s, y = x_new - x, g_new - g
        ys = float(y @ s)
        if ys > 1e-12 * np.linalg.norm(s) * np.linalg.norm(y):
            pairs.append((s, y, 1.0 / ys))
        res.step_sizes.append(ls.alpha)
        res.step_norms.append(float(np.linalg.norm(s)))
        x, fx, g = x_new, ls.f_new, g_new
        _record(res, x, fx, g, keep_path)
    return _finish(res, fn, x, fx, bool(np.linalg.norm(g) <= gtol), message)
