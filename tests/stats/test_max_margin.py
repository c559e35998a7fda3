"""stats.max_margin: gradient (finite differences + negative control), sklearn LogisticRegression
oracle, the hard-margin SVM by its KKT conditions, bad input."""

import numpy as np
import pytest
from scipy.optimize import nnls

from dlproof.stats.max_margin import (
    hard_margin_svm,
    logistic_gradient_descent,
    logistic_loss_grad,
    normalized_margin,
)


def _data(n=50, d=3, seed=0, separable=False):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    u = rng.standard_normal(d)
    if separable:
        y = np.sign(X @ u)
        X = X + 0.3 * y[:, None] * u / np.linalg.norm(u)
    else:
        y = np.where(rng.random(n) < 1 / (1 + np.exp(-X @ u)), 1.0, -1.0)
    return X, y


def _fd_grad(f, w, eps=1e-6):
    E = np.eye(w.size) * eps
    return np.array([(f(w + e) - f(w - e)) / (2 * eps) for e in E])


@pytest.mark.parametrize("alpha", [0.0, 0.3])
def test_gradient_matches_finite_differences(alpha):
    X, y = _data()
    w = np.random.default_rng(1).standard_normal(3)
    g = logistic_loss_grad(w, X, y, alpha)[1]
    fd = _fd_grad(lambda v: logistic_loss_grad(v, X, y, alpha)[0], w)
    assert np.abs(g - fd).max() < 1e-8
    # negative control: the classic sign slip sigma(z) instead of sigma(-z) fails the same check
    z = y * (X @ w)
    wrong = -(X.T @ (y / (1 + np.exp(-z)))) / len(y) + alpha * w
    assert np.abs(wrong - fd).max() > 1e-3


def test_gradient_descent_matches_sklearn(oracle):
    lm = oracle("sklearn.linear_model")
    X, y = _data(n=80)
    alpha = 0.05
    ref = lm.LogisticRegression(C=1 / (alpha * len(y)), fit_intercept=False, tol=1e-12, max_iter=10_000)
    ref.fit(X, y)
    res = logistic_gradient_descent(X, y, lr=1.0, steps=3000, alpha=alpha)
    assert np.abs(res["w"] - ref.coef_.ravel()).max() < 1e-6
    assert res["grad_norm"] < 1e-10


def test_separable_norm_grows_without_penalty():
    X, y = _data(separable=True)
    res = logistic_gradient_descent(X, y, lr=1.0, steps=2000, record=(200, 2000))
    n1, n2 = (np.linalg.norm(res["record"][t]) for t in (200, 2000))
    assert n2 > n1 + 1.0
    assert normalized_margin(res["w"], X, y) > 0


@pytest.mark.parametrize("seed", range(5))
def test_hard_margin_svm_kkt(seed):
    X, y = _data(separable=True, seed=seed)
    w = hard_margin_svm(X, y)
    m = y * (X @ w)
    assert m.min() > 1 - 1e-8  # primal feasibility
    active = m < 1 + 1e-6
    A = (y[:, None] * X)[active]
    mu, resid = nnls(A.T, 2 * w)  # stationarity 2w = sum_active mu_i y_i x_i with mu >= 0
    assert resid < 1e-6 and active.sum() >= 1
    # negative control: a feasible but non-optimal separator violates stationarity with mu >= 0
    w_bad = 1.5 * w + 0.2 * np.random.default_rng(0).standard_normal(w.size)
    m_bad = y * (X @ w_bad)
    w_bad /= m_bad.min()
    act_bad = (y * (X @ w_bad)) < 1 + 1e-6
    assert nnls((y[:, None] * X)[act_bad].T, 2 * w_bad)[1] > 1e-3


def test_bad_input():
    with pytest.raises(ValueError, match="-1 or \\+1"):
        logistic_loss_grad(np.zeros(2), np.ones((3, 2)), np.array([0.0, 1.0, 1.0]))
    with pytest.raises(ValueError, match="logistic_gradient_descent"):
        logistic_gradient_descent(np.ones((3, 2)), np.ones(3), lr=-1.0, steps=3)
    X = np.array([[1.0], [1.0]])
    with pytest.raises(ValueError, match="not separable"):
        hard_margin_svm(X, np.array([1.0, -1.0]))
