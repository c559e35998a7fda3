"""stats.linear: ridge and lasso against scikit-learn, the pseudo-inverse limit, features."""

import numpy as np
import pytest

from dlproof.stats.linear import (
    design_with_spectrum,
    early_stopping_shrinkage,
    gradient_descent_least_squares,
    lasso,
    polynomial_features,
    ridge,
    ridge_shrinkage,
    soft_threshold,
)


def _data(n, d, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    w = np.zeros(d)
    w[: min(5, d)] = rng.uniform(1, 3, min(5, d))
    return X, X @ w + 0.1 * rng.standard_normal(n)


@pytest.mark.parametrize("n,d", [(40, 50), (60, 10)])
@pytest.mark.parametrize("alpha", [0.01, 0.1, 0.5])
def test_lasso_matches_sklearn(oracle, n, d, alpha):
    lm = oracle("sklearn.linear_model")
    X, y = _data(n, d)
    ref = lm.Lasso(alpha=alpha, fit_intercept=False, tol=1e-14, max_iter=200_000).fit(X, y).coef_
    w = lasso(X, y, alpha)
    assert np.abs(w - ref).max() < 1e-8
    assert np.array_equal(w == 0, ref == 0)


def test_lasso_negative_control(oracle):
    """Soft-thresholding at the wrong level (alpha instead of alpha for the 1/(2n) scale used by
    sklearn, i.e. a 1/n factor dropped) must not pass the same comparison."""
    lm = oracle("sklearn.linear_model")
    X, y = _data(40, 50)
    ref = lm.Lasso(alpha=0.1, fit_intercept=False, tol=1e-14, max_iter=200_000).fit(X, y).coef_
    assert np.abs(lasso(X, y, 0.1 / 40) - ref).max() > 1e-3


def test_lasso_kkt_subgradient():
    """Optimality: X^T(y - Xw)/n = alpha sign(w_j) on the support, |.| <= alpha off it."""
    X, y = _data(40, 50, seed=3)
    w = lasso(X, y, 0.2)
    c = X.T @ (y - X @ w) / 40
    on = w != 0
    assert np.abs(c[on] - 0.2 * np.sign(w[on])).max() < 1e-9
    assert np.abs(c[~on]).max() <= 0.2 + 1e-9


@pytest.mark.parametrize("n,d", [(40, 50), (60, 10)])
def test_ridge_matches_sklearn(oracle, n, d):
    lm = oracle("sklearn.linear_model")
    X, y = _data(n, d)
    for alpha in (1e-3, 1.0, 30.0):
        ref = lm.Ridge(alpha=alpha, fit_intercept=False, solver="svd").fit(X, y).coef_
        assert np.abs(ridge(X, y, alpha) - ref).max() < 1e-9


def test_ridge_alpha_zero_is_pinv_and_limit():
    X, y = _data(20, 100)
    wp = np.linalg.pinv(X) @ y
    assert np.abs(ridge(X, y, 0.0) - wp).max() < 1e-10
    errs = [np.linalg.norm(ridge(X, y, a) - wp) for a in (1e-1, 1e-3, 1e-5)]
    assert errs[0] > errs[1] > errs[2] and errs[2] < 1e-5


def test_ridge_shrinkage_eigenbasis():
    X, y = _data(60, 10)
    H = X.T @ X
    lam, Q = np.linalg.eigh(H)
    w_ls = ridge(X, y, 0.0)
    for alpha in (0.5, 50.0):
        ratio = (Q.T @ ridge(X, y, alpha)) / (Q.T @ w_ls)
        assert np.abs(ratio - ridge_shrinkage(lam, alpha)).max() < 1e-9


def test_soft_threshold_and_features():
    assert np.allclose(soft_threshold([-3.0, -0.5, 0.0, 0.5, 2.0], 1.0), [-2, 0, 0, 0, 1])
    x = np.linspace(-1, 1, 7)
    assert np.allclose(polynomial_features(x, 4), np.vander(x, 5, increasing=True))


def test_bad_input():
    with pytest.raises(ValueError, match="ridge"):
        ridge(np.ones((3, 2)), np.ones(4), 1.0)
    with pytest.raises(ValueError, match="alpha"):
        lasso(np.ones((3, 2)), np.ones(3), -1.0)
    with pytest.raises(ValueError, match="zero column"):
        lasso(np.zeros((3, 2)), np.ones(3), 0.1)
    with pytest.raises(ValueError, match="polynomial_features"):
        polynomial_features(np.ones((2, 2)), 3)


def test_design_with_spectrum_gram_matrix():
    lam = np.array([50.0, 3.0, 0.2, 0.0])
    X, V = design_with_spectrum(np.random.default_rng(1), 30, lam)
    assert np.abs(X.T @ X - V @ np.diag(lam) @ V.T).max() < 1e-12
    assert np.abs(V.T @ V - np.eye(4)).max() < 1e-12
    with pytest.raises(ValueError, match="design_with_spectrum"):
        design_with_spectrum(np.random.default_rng(0), 3, lam)


def test_gradient_descent_matches_early_stopping_formula():
    lam = np.array([10.0, 1.0, 0.1])
    rng = np.random.default_rng(2)
    X, V = design_with_spectrum(rng, 20, lam)
    w_star = V @ np.array([1.0, -2.0, 1.5])
    y = X @ w_star
    lr, steps = 0.05, 37
    w = gradient_descent_least_squares(X, y, lr, steps)
    assert np.abs((V.T @ w) / (V.T @ w_star) - early_stopping_shrinkage(lam, lr, steps)).max() < 1e-12
    # negative control: the ridge factor at alpha = 1/(lr steps) is only an approximation
    assert np.abs((V.T @ w) / (V.T @ w_star) - ridge_shrinkage(lam, 1 / (lr * steps))).max() > 1e-2


def test_gradient_descent_from_zero_reaches_min_norm_solution():
    X, y = _data(10, 30, seed=3)
    lr = 1.0 / np.linalg.eigvalsh(X @ X.T).max()
    w = gradient_descent_least_squares(X, y, lr, 5000)
    assert np.abs(w - np.linalg.pinv(X) @ y).max() < 1e-8
    # started elsewhere it converges to a different interpolating solution (not the minimum norm one)
    w_off = gradient_descent_least_squares(X, y, lr, 5000, w0=np.ones(30))
    assert np.abs(X @ w_off - y).max() < 1e-8 and np.linalg.norm(w_off) > np.linalg.norm(w) + 0.1
