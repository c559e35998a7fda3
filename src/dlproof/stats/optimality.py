"""Optimality conditions and damped second-order steps.

* ``kkt_multipliers`` / ``kkt_report``: for  min f(x)  s.t.  g_i(x) <= 0  (inequalities only),
  recover the multipliers of the constraints that are active at a candidate x (g_i(x) >= -tol)
  from the stationarity condition  grad f(x) + sum_i mu_i grad g_i(x) = 0  by least squares,
  and measure every KKT residual: stationarity ||grad_x L||, primal feasibility max(g_i, 0),
  dual feasibility min(mu_i, 0), complementary slackness max |mu_i g_i(x)|.
* ``solve_kkt_active_set``: for a convex quadratic  f = 1/2 x^T A x - b^T x  with affine
  constraints  C x <= d, solve the KKT linear system for one guessed active set S
      [A    C_S^T] [x  ]   [b  ]
      [C_S  0    ] [mu_S] = [d_S]
  (enumerating all S finds the solution exactly when d is small).
* ``project_capped_simplex``: Euclidean projection onto {x >= 0, sum x <= r}.
* ``damped_newton_direction``: the Levenberg-Marquardt direction -(H + alpha I)^{-1} g;
  ``saddle_free_newton_direction``: -|H|^{-1} g (Dauphin et al. 2014);
  ``levenberg_marquardt``: damped Newton with alpha kept above -lambda_min and adapted by the
  trust-region ratio;
  ``damped_condition_number``: the condition number of the preconditioned Hessian (H + alpha I)^{-1} H.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["KKTReport", "kkt_multipliers", "kkt_report", "solve_kkt_active_set",
           "project_capped_simplex", "damped_newton_direction", "saddle_free_newton_direction",
           "damped_condition_number", "levenberg_marquardt"]


@dataclass
class KKTReport:
    """Residuals of the four KKT conditions at x; mu has one entry per constraint (0 if inactive)."""

    mu: np.ndarray
    active: np.ndarray
    stationarity: float
    primal: float
    dual: float
    slackness: float

    @property
    def worst(self) -> float:
        return max(self.stationarity, self.primal, self.dual, self.slackness)


def kkt_multipliers(grad_f, g_vals, jac_g, tol: float = 1e-7):
    """mu (m,) and the active mask (m,) from stationarity restricted to the active constraints.

    grad_f (n,) = grad f(x); g_vals (m,) = g(x); jac_g (m, n) with rows grad g_i(x).
    Solves min_mu ||grad_f + jac_g[A]^T mu_A|| (least squares); inactive mu_i = 0."""
    grad_f = np.asarray(grad_f, np.float64)
    g_vals = np.asarray(g_vals, np.float64)
    jac_g = np.asarray(jac_g, np.float64)
    if jac_g.shape != (g_vals.size, grad_f.size):
        raise ValueError(f"kkt_multipliers: jac_g shape {jac_g.shape} != (m, n) = "
                         f"{(g_vals.size, grad_f.size)}")
    active = g_vals >= -tol
    mu = np.zeros(g_vals.size)
    if active.any():
        mu[active] = np.linalg.lstsq(jac_g[active].T, -grad_f, rcond=None)[0]
    return mu, active


def kkt_report(grad_f, g_vals, jac_g, mu=None, tol: float = 1e-7) -> KKTReport:
    """All four KKT residuals at x (multipliers recovered by ``kkt_multipliers`` unless given)."""
    g_vals = np.asarray(g_vals, np.float64)
    jac_g = np.asarray(jac_g, np.float64)
    if mu is None:
        mu, active = kkt_multipliers(grad_f, g_vals, jac_g, tol)
    else:
        mu = np.asarray(mu, np.float64)
        active = g_vals >= -tol
    stat = float(np.linalg.norm(np.asarray(grad_f, np.float64) + jac_g.T @ mu))  # ||grad_x L||
    return KKTReport(mu=mu, active=active, stationarity=stat,
                     primal=float(np.maximum(g_vals, 0).max(initial=0.0)),
                     dual=float(np.maximum(-mu, 0).max(initial=0.0)),
                     slackness=float(np.abs(mu * g_vals).max(initial=0.0)))


def solve_kkt_active_set(A, b, C, d, active):
    """x (n,), mu (m,) solving the KKT system of  min 1/2 x^T A x - b^T x  s.t. C x <= d  with the
    constraints in ``active`` (bool mask (m,)) held as equalities and the others dropped (mu = 0)."""
    A, b, C, d = (np.asarray(a, np.float64) for a in (A, b, C, d))
    active = np.asarray(active, bool)
    n, k = A.shape[0], int(active.sum())
    Cs = C[active]
    K = np.block([[A, Cs.T], [Cs, np.zeros((k, k))]])
    sol = np.linalg.lstsq(K, np.concatenate([b, d[active]]), rcond=None)[0]
    mu = np.zeros(C.shape[0])
    mu[active] = sol[n:]
    return sol[:n], mu


def project_capped_simplex(v, r: float = 1.0) -> np.ndarray:
    """argmin_{x >= 0, sum x <= r} ||x - v||, v (n,): clip at 0; if the sum still exceeds r, project
    onto the simplex {x >= 0, sum x = r} by the sort-based threshold x = max(v - theta, 0)."""
    v = np.asarray(v, np.float64)
    x = np.maximum(v, 0)
    if x.sum() <= r:
        return x
    u = np.sort(v)[::-1]
    css = np.cumsum(u) - r
    k = np.nonzero(u - css / np.arange(1, v.size + 1) > 0)[0][-1]
    theta = css[k] / (k + 1)
    return np.maximum(v - theta, 0)


def damped_newton_direction(H, g, alpha: float) -> np.ndarray:
    """p = -(H + alpha I)^{-1} g (Levenberg-Marquardt). In H's eigenbasis H = Q diag(lambda) Q^T,
    component i of -g is scaled by 1/(lambda_i + alpha): alpha -> 0 gives Newton's 1/lambda_i,
    alpha >> |lambda| gives gradient descent with step 1/alpha. A descent direction iff
    alpha > -lambda_min."""
    H = np.asarray(H, np.float64)
    g = np.asarray(g, np.float64)
    if H.shape != (g.size, g.size):
        raise ValueError(f"damped_newton_direction: H shape {H.shape} does not match g {g.shape}")
    return -np.linalg.solve(H + alpha * np.eye(g.size), g)


def saddle_free_newton_direction(H, g, floor: float = 1e-8) -> np.ndarray:
    """p = -|H|^{-1} g with |H| = Q diag(|lambda_i|) Q^T (eigenvalues floored at ``floor``):
    Newton's 1/|lambda_i| rescaling, but negative-curvature directions are descended, not climbed."""
    H = np.asarray(H, np.float64)
    g = np.asarray(g, np.float64)
    if H.shape != (g.size, g.size):
        raise ValueError(f"saddle_free_newton_direction: H shape {H.shape} does not match g {g.shape}")
    lam, Q = np.linalg.eigh(H)
    return -Q @ ((Q.T @ g) / np.maximum(np.abs(lam), floor))  # component i scaled by 1/|lambda_i|


def damped_condition_number(eigenvalues, alpha: float) -> float:
    """kappa((H + alpha I)^{-1} H) for SPD H with the given eigenvalues: the preconditioned
    eigenvalues are lambda_i / (lambda_i + alpha), so kappa runs from 1 (alpha = 0, Newton) to
    lambda_max / lambda_min (alpha -> inf, gradient descent)."""
    lam = np.asarray(eigenvalues, np.float64)
    if np.any(lam <= 0):
        raise ValueError("damped_condition_number: eigenvalues must be positive")
    r = lam / (lam + alpha)
    return float(r.max() / r.min())


def levenberg_marquardt(f, grad, hess, x0, alpha0: float = 1e-3, gtol: float = 1e-10, max_iter: int = 500):
    """Minimise f by p = -(H + alpha I)^{-1} g with alpha adapted by the trust-region ratio
        rho = (f(x) - f(x + p)) / (-(g^T p + 1/2 p^T H p))     (actual / predicted decrease):
    alpha is raised (x4) until H + alpha I is positive definite (Cholesky succeeds) and whenever
    rho < 1/4 (step rejected); lowered (/3) when rho > 3/4. Returns (x, iterations, converged)."""
    x = np.asarray(x0, np.float64).copy()
    alpha = float(alpha0)
    for k in range(max_iter):  # iterations of the method
        g = np.asarray(grad(x), np.float64)
        if np.linalg.norm(g) <= gtol:
            return x, k, True
        H = np.asarray(hess(x), np.float64)
        while True:  # make H + alpha I positive definite, so that p is a descent direction
            try:
                Lc = np.linalg.cholesky(H + alpha * np.eye(x.size))
                break
            except np.linalg.LinAlgError:
                alpha = max(4 * alpha, 1e-8)
        p = -np.linalg.solve(Lc.T, np.linalg.solve(Lc, g))
        pred = -(g @ p + 0.5 * p @ H @ p)  # decrease predicted by the quadratic model
        fx = f(x)
        actual = fx - f(x + p)
        slack = 1e-14 * max(1.0, abs(fx))  # rounding of f: below this the ratio is noise
        if actual >= 0.25 * pred - slack:
            x = x + p
            if actual > 0.75 * pred:
                alpha = alpha / 3
        else:
            alpha = max(4 * alpha, 1e-8)
    return x, max_iter, bool(np.linalg.norm(grad(x)) <= gtol)
