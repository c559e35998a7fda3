"""stats.optimality: KKT residuals, active-set solves and projections against scipy SLSQP."""

import numpy as np
import pytest

from dlproof.stats.optimality import (
    damped_newton_direction,
    kkt_multipliers,
    kkt_report,
    project_capped_simplex,
    solve_kkt_active_set,
)

C = np.vstack([-np.eye(3), np.ones((1, 3))])
D = np.array([0.0, 0.0, 0.0, 1.0])


def _slsqp(A, c):
    from scipy.optimize import minimize

    res = minimize(lambda x: 0.5 * (x - c) @ A @ (x - c), np.full(3, 0.1), jac=lambda x: A @ (x - c),
                   method="SLSQP",
                   constraints=[{"type": "ineq", "fun": lambda x: D - C @ x, "jac": lambda x: -C}],
                   options={"ftol": 1e-15, "maxiter": 500})
    return res.x


@pytest.mark.parametrize("seed", range(6))
def test_projection_matches_slsqp(seed):
    c = np.random.default_rng(seed).normal(0.3, 1.0, 3)
    assert np.abs(project_capped_simplex(c) - _slsqp(np.eye(3), c)).max() < 1e-6


@pytest.mark.parametrize("seed", range(6))
def test_active_set_kkt_matches_slsqp_and_its_multipliers(seed):
    rng = np.random.default_rng(seed)
    B = rng.standard_normal((3, 3))
    A = B @ B.T + 0.5 * np.eye(3)
    c = rng.normal(0.3, 1.0, 3)
    x_ref = _slsqp(A, c)
    S = C @ x_ref - D > -1e-7
    x, mu = solve_kkt_active_set(A, A @ c, C, D, S)
    assert np.abs(x - x_ref).max() < 1e-6
    rep = kkt_report(A @ (x - c), C @ x - D, C, tol=1e-7)
    assert rep.worst < 1e-8
    assert np.abs(rep.mu - mu).max() < 1e-8
    assert np.all(rep.mu[S] > 0) and np.all(rep.mu[~S] == 0)


def test_kkt_report_negative_control():
    """A point that is feasible but not optimal (the origin for a target inside the set's
    positive orthant) must show a stationarity residual, and a wrong-sign multiplier a dual one."""
    c = np.array([0.2, 0.3, 0.1])
    x = np.zeros(3)
    rep = kkt_report(x - c, C @ x - D, C)
    assert rep.dual > 0.05  # stationarity forces mu_i = -c_i < 0 on x_i >= 0
    rep2 = kkt_report(x - c, C @ x - D, C, mu=np.zeros(4))
    assert rep2.stationarity > 0.3


def test_kkt_multipliers_shape_error():
    with pytest.raises(ValueError, match="jac_g"):
        kkt_multipliers(np.zeros(3), np.zeros(2), np.zeros((3, 3)))


def test_damped_newton_limits():
    rng = np.random.default_rng(0)
    Q, _ = np.linalg.qr(rng.standard_normal((4, 4)))
    H = Q @ np.diag([5.0, 1.0, 0.2, -0.5]) @ Q.T
    g = rng.standard_normal(4)
    newton = -np.linalg.solve(H, g)
    assert np.abs(damped_newton_direction(H, g, 1e-10) - newton).max() < 1e-8
    a = 1e6
    assert np.abs(damped_newton_direction(H, g, a) * a + g).max() < 1e-4 * np.abs(g).max() * 10
    assert g @ damped_newton_direction(H, g, 0.6) < 0  # alpha > -lambda_min: descent
    with pytest.raises(ValueError, match="damped_newton_direction"):
        damped_newton_direction(np.eye(3), g, 1.0)


def test_levenberg_marquardt_rosenbrock_matches_scipy():
    from scipy.optimize import minimize, rosen, rosen_der, rosen_hess

    from dlproof.stats.optimality import levenberg_marquardt

    x0 = np.array([-1.2, 1.0, 0.5])
    x, k, ok = levenberg_marquardt(rosen, rosen_der, rosen_hess, x0)
    ref = minimize(rosen, x0, jac=rosen_der, hess=rosen_hess, method="trust-exact", options={"gtol": 1e-10}).x
    assert ok and np.abs(x - ref).max() < 1e-7


def test_levenberg_marquardt_escapes_saddle_and_negative_control():
    from dlproof.stats.optimality import levenberg_marquardt

    f = lambda z: z[0] ** 2 - z[1] ** 2 + z[1] ** 4 / 4
    g = lambda z: np.array([2 * z[0], -2 * z[1] + z[1] ** 3])
    h = lambda z: np.array([[2.0, 0.0], [0.0, -2.0 + 3 * z[1] ** 2]])
    x, _, ok = levenberg_marquardt(f, g, h, np.array([0.3, 0.05]))
    assert ok and abs(abs(x[1]) - np.sqrt(2)) < 1e-8
    z = np.array([0.3, 0.05])  # raw Newton from the same start goes to the saddle
    for _ in range(50):
        z = z + damped_newton_direction(h(z), g(z), 0.0)
    assert np.linalg.norm(z) < 1e-8


def test_saddle_free_direction_and_damped_condition_number():
    from dlproof.stats.optimality import damped_condition_number, saddle_free_newton_direction

    H = np.diag([2.0, -1.0])
    g = np.array([1.0, 1.0])
    p = saddle_free_newton_direction(H, g)
    assert np.allclose(p, [-0.5, -1.0]) and g @ p < 0
    assert g @ damped_newton_direction(H, g, 0.0) > 0  # raw Newton climbs along the -1 direction
    lam = np.array([0.01, 1.0, 100.0])
    assert abs(damped_condition_number(lam, 0.0) - 1.0) < 1e-12
    assert abs(damped_condition_number(lam, 1e12) - 1e4) < 1e-3
