"""Second-order and line-search minimizers: CG exactness, Newton's quadratic convergence,
BFGS / L-BFGS on Rosenbrock, agreement with scipy.optimize."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import minimize as scipy_minimize
from scipy.optimize import rosen, rosen_der, rosen_hess

from dlproof.optim import minimize as M
from dlproof.optim.line_search import backtracking_armijo, strong_wolfe


def _spd(n, rng, cond=100.0, spacing=np.geomspace):
    Q, _ = np.linalg.qr(rng.normal(size=(n, n)))
    return Q @ np.diag(spacing(1.0, cond, n)) @ Q.T


@pytest.mark.parametrize("n", [5, 20, 50])
def test_linear_cg_solves_spd_system_in_at_most_n_iterations(n, rng):
    # In floating point CG loses conjugacy, so the n-step bound only holds when rounding is
    # small compared with the spectrum's spread: a moderately conditioned matrix (cond 10).
    # (With geometric eigenvalues up to 50 and n = 20, both ours and scipy's cg need ~23 steps.)
    A = _spd(n, rng, cond=10.0, spacing=np.linspace)
    b = rng.normal(size=n)
    res = M.conjugate_gradient(A, b, tol=1e-12)
    x_star = np.linalg.solve(A, b)
    assert res.converged and res.n_iter <= n
    assert np.max(np.abs(res.x - x_star)) < 1e-8
    # the quadratic 1/2 x'Ax - b'x decreases monotonically along CG's iterates
    assert all(a >= b - 1e-12 for a, b in zip(res.losses, res.losses[1:]))


def test_linear_cg_with_k_distinct_eigenvalues_needs_k_steps(rng):
    n = 30
    Q, _ = np.linalg.qr(rng.normal(size=(n, n)))
    A = Q @ np.diag(np.repeat([1.0, 4.0, 9.0], 10)) @ Q.T
    res = M.conjugate_gradient(lambda v: A @ v, rng.normal(size=n), tol=1e-10)
    assert res.converged and res.n_iter <= 3


def test_linear_cg_reports_indefinite_matrix():
    res = M.conjugate_gradient(np.diag([1.0, -1.0]), np.array([1.0, 1.0]))
    assert not res.converged and "positive definite" in res.message


def _logistic_problem(seed=0, n=200, d=5):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    w_true = rng.normal(size=d)
    y = (rng.uniform(size=n) < 1 / (1 + np.exp(-X @ w_true))).astype(float)
    reg = 1e-2

    def f(w):
        z = X @ w
        return float(np.mean(np.logaddexp(0.0, z) - y * z) + 0.5 * reg * w @ w)

    def grad(w):
        p = 1 / (1 + np.exp(-X @ w))
        return X.T @ (p - y) / n + reg * w

    def hess(w):
        p = 1 / (1 + np.exp(-X @ w))
        return (X.T * (p * (1 - p))) @ X / n + reg * np.eye(d)

    return f, grad, hess, d


def test_newton_converges_quadratically_on_logistic_regression():
    f, grad, hess, d = _logistic_problem()
    res = M.newton(f, grad, np.zeros(d), hess=hess, gtol=1e-14)
    assert res.converged and res.n_iter <= 10
    x_star = res.x
    errors = [np.linalg.norm(x - x_star) for x in res.xs[:-1]]
    errors = [e for e in errors if e > 1e-12]
    assert len(errors) >= 3
    # e_{k+1} / e_k^2 bounded: the number of correct digits roughly doubles
    ratios = [e1 / e0**2 for e0, e1 in zip(errors, errors[1:])]
    assert max(ratios) < 10.0, ratios
    digits = [-np.log10(e) for e in errors]
    assert digits[-1] > 1.7 * digits[-2] or errors[-1] < 1e-10
    # agrees with scipy's exact trust-region Newton
    ref = scipy_minimize(f, np.zeros(d), jac=grad, hess=hess, method="trust-exact", options={"gtol": 1e-12})
    assert np.max(np.abs(res.x - ref.x)) < 1e-9


def test_newton_cg_with_hvp_and_with_finite_differences():
    f, grad, hess, d = _logistic_problem(seed=1)
    exact = M.newton(f, grad, np.zeros(d), hess=hess, gtol=1e-12)
    via_hvp = M.newton(f, grad, np.zeros(d), hvp=lambda x, v: hess(x) @ v, gtol=1e-12)
    via_fd = M.newton(f, grad, np.zeros(d), gtol=1e-10)
    assert via_hvp.converged and via_fd.converged
    assert np.max(np.abs(via_hvp.x - exact.x)) < 1e-10
    assert np.max(np.abs(via_fd.x - exact.x)) < 1e-8


def test_levenberg_marquardt_adapts_lambda_on_rosenbrock():
    x0 = np.array([-1.2, 1.0])
    pure = M.newton(rosen, rosen_der, x0, hess=rosen_hess, max_iter=200)
    lm = M.newton(rosen, rosen_der, x0, hess=rosen_hess, adaptive=True, damping=1.0, gtol=1e-10)
    assert lm.converged
    assert np.max(np.abs(lm.x - 1.0)) < 1e-6
    # LM never increases the loss (rejected steps are not taken), unlike the pure Newton step
    assert all(b < a for a, b in zip(lm.losses, lm.losses[1:]))
    assert any(b > a for a, b in zip(pure.losses, pure.losses[1:]))
    assert min(lm.extra["lambdas"]) < 1e-3 < max(lm.extra["lambdas"])


def test_damped_newton_with_armijo_on_rosenbrock():
    res = M.newton(rosen, rosen_der, [-1.2, 1.0], hess=rosen_hess, line_search="armijo", gtol=1e-10)
    assert res.converged and np.max(np.abs(res.x - 1.0)) < 1e-6
    assert all(b <= a for a, b in zip(res.losses, res.losses[1:]))


@pytest.mark.parametrize(
    "method",
    [
        M.bfgs,
        M.lbfgs,
        lambda f, g, x, **kw: M.lbfgs(f, g, x, m=3, **kw),
        lambda f, g, x, **kw: M.nonlinear_cg(f, g, x, beta="pr+", **kw),
        lambda f, g, x, **kw: M.nonlinear_cg(f, g, x, beta="fr", **kw),
    ],
    ids=["bfgs", "lbfgs-m10", "lbfgs-m3", "cg-pr+", "cg-fr"],
)
@pytest.mark.parametrize("dim", [2, 6])
def test_quasi_newton_and_cg_reach_rosenbrock_minimum(method, dim):
    x0 = np.tile([-1.2, 1.0], dim // 2)
    res = method(rosen, rosen_der, x0, gtol=1e-9)
    assert res.converged, res
    assert np.max(np.abs(res.x - 1.0)) < 1e-6
    ref = scipy_minimize(rosen, x0, jac=rosen_der, method="BFGS", options={"gtol": 1e-9})
    assert np.max(np.abs(res.x - ref.x)) < 1e-6
    assert len(res.losses) == res.n_iter + 1 == len(res.grad_norms)
    assert len(res.step_sizes) == res.n_iter


def test_closure_interface_and_lbfgs_matches_scipy_on_quadratic(rng):
    n = 40
    A, b = _spd(n, rng, cond=1e3), rng.normal(size=n)

    def closure(x):
        return 0.5 * x @ A @ x - b @ x, A @ x - b

    res = M.lbfgs(closure, None, np.zeros(n), m=5, gtol=1e-10, max_iter=5000)
    ref = scipy_minimize(
        closure, np.zeros(n), jac=True, method="L-BFGS-B", options={"gtol": 1e-12, "ftol": 1e-15, "maxcor": 5}
    )
    x_star = np.linalg.solve(A, b)
    assert res.converged
    assert np.max(np.abs(res.x - x_star)) < 1e-8
    assert np.max(np.abs(ref.x - x_star)) < 1e-5


def test_bfgs_quadratic_termination_with_near_exact_line_search(rng):
    """With exact line searches BFGS minimises an n-dim quadratic in n steps (its directions are
    A-conjugate); a tight Wolfe condition (c2 = 1e-3) comes close, the loose default needs more."""
    n = 10
    A, b = _spd(n, rng, cond=1e3), rng.normal(size=n)
    f, g = lambda x: 0.5 * x @ A @ x - b @ x, lambda x: A @ x - b
    tight = M.bfgs(f, g, np.zeros(n), gtol=1e-8, c2=1e-3)
    loose = M.bfgs(f, g, np.zeros(n), gtol=1e-8)
    assert tight.converged and tight.n_iter <= n + 2
    assert loose.converged and loose.n_iter > tight.n_iter
    assert np.max(np.abs(tight.x - np.linalg.solve(A, b))) < 1e-8


def test_line_searches_satisfy_their_conditions():
    x, d = np.array([-1.2, 1.0]), -rosen_der(np.array([-1.2, 1.0]))
    f0, g0 = rosen(x), rosen_der(x)
    arm = backtracking_armijo(rosen, x, d, f0, g0, c1=1e-4)
    assert arm.success and arm.f_new <= f0 + 1e-4 * arm.alpha * (g0 @ d)
    for c2 in (0.9, 0.1):
        sw = strong_wolfe(rosen, rosen_der, x, d, f0, g0, c2=c2)
        assert sw.success
        assert sw.f_new <= f0 + 1e-4 * sw.alpha * (g0 @ d)
        assert abs(rosen_der(x + sw.alpha * d) @ d) <= c2 * abs(g0 @ d)
    with pytest.raises(ValueError, match="descent"):
        strong_wolfe(rosen, rosen_der, x, -d, f0, g0)
    with pytest.raises(ValueError, match="descent"):
        backtracking_armijo(rosen, x, -d, f0, g0)


def test_rejects_non_flat_x0():
    with pytest.raises(ValueError, match="flat vector"):
        M.bfgs(rosen, rosen_der, np.ones((2, 2)))
