"""Softmax regression (the linear probe): analytic gradient against central differences with a
negative control, sklearn's LogisticRegression as the oracle, and bad input."""

from __future__ import annotations

import numpy as np
import pytest

from dlproof.stats.logistic import SoftmaxRegression, softmax_regression_objective, standardize_with


def _problem(rng, N=60, d=5, C=4):
    Z = rng.normal(size=(N, d))
    W = rng.normal(size=(C, d))
    y = (Z @ W.T + rng.gumbel(size=(N, C))).argmax(1)
    return Z, y, np.eye(C)[y]


def _fd_grad(f, theta, eps=1e-6):
    g = np.zeros_like(theta)
    for i in range(theta.size):
        e = np.zeros_like(theta)
        e[i] = eps
        g[i] = (f(theta + e) - f(theta - e)) / (2 * eps)
    return g


def test_gradient_matches_central_differences_and_wrong_one_fails(rng):
    Z, y, Y = _problem(rng)
    theta = rng.normal(size=Y.shape[1] * (Z.shape[1] + 1))
    alpha = 0.3
    _, g = softmax_regression_objective(theta, Z, Y, alpha)
    fd = _fd_grad(lambda t: softmax_regression_objective(t, Z, Y, alpha)[0], theta)
    np.testing.assert_allclose(g, fd, rtol=1e-6, atol=1e-8)
    # negative control: the classic 1/N applied twice (or forgotten) is caught by the same check
    C, d = Y.shape[1], Z.shape[1]
    wrong = g.copy()
    wrong[:C * d] -= alpha * theta[:C * d]          # drop the penalty's gradient
    assert not np.allclose(wrong, fd, rtol=1e-6, atol=1e-8)


def test_matches_sklearn_logistic_regression(oracle, rng):
    lm = oracle("sklearn.linear_model")
    Z, y, _ = _problem(rng, N=120, d=6, C=3)
    alpha = 0.05
    ours = SoftmaxRegression(3, alpha=alpha, tol=1e-10).fit(Z, y)
    ref = lm.LogisticRegression(C=1.0 / (alpha * len(Z)), tol=1e-12, max_iter=5000).fit(Z, y)
    np.testing.assert_allclose(ours.coef_, ref.coef_, atol=1e-5)
    np.testing.assert_allclose(ours.intercept_, ref.intercept_, atol=1e-5)
    np.testing.assert_allclose(ours.predict_proba(Z), ref.predict_proba(Z), atol=1e-6)
    assert ours.score(Z, y) == pytest.approx(ref.score(Z, y))


def test_probabilities_are_stable_and_sum_to_one(rng):
    Z, y, _ = _problem(rng)
    m = SoftmaxRegression(4, alpha=1e-3).fit(Z * 1e3, y)        # huge scores: no overflow
    P = m.predict_proba(Z * 1e3)
    assert np.all(np.isfinite(P))
    np.testing.assert_allclose(P.sum(1), 1.0, atol=1e-12)


def test_separable_problem_is_learned_and_penalty_shrinks(rng):
    Z = rng.normal(size=(200, 2))
    y = (Z[:, 0] > 0).astype(int)
    weak, strong = SoftmaxRegression(2, 1e-4).fit(Z, y), SoftmaxRegression(2, 10.0).fit(Z, y)
    assert weak.score(Z, y) > 0.97
    assert np.linalg.norm(strong.coef_) < 0.2 * np.linalg.norm(weak.coef_)


def test_bad_input_is_named(rng):
    with pytest.raises(ValueError, match="n_classes"):
        SoftmaxRegression(1)
    with pytest.raises(ValueError, match="alpha"):
        SoftmaxRegression(3, alpha=0)
    m = SoftmaxRegression(3)
    with pytest.raises(ValueError, match=r"y must be"):
        m.fit(rng.normal(size=(5, 2)), np.array([0, 1, 2, 3, 0]))
    with pytest.raises(ValueError, match=r"\(N, d\)"):
        m.fit(rng.normal(size=5), np.zeros(5, int))
    m.fit(rng.normal(size=(6, 2)), np.array([0, 1, 2, 0, 1, 2]))
    with pytest.raises(ValueError, match="d = 2"):
        m.predict(rng.normal(size=(4, 3)))


def test_standardize_with_uses_reference_statistics(rng):
    A = rng.normal(3, 2, size=(500, 3))
    A[:, 2] = 7.0
    B = rng.normal(size=(4, 3))
    (As, Bs) = standardize_with(A, A, B)
    np.testing.assert_allclose(As[:, :2].mean(0), 0, atol=1e-12)
    np.testing.assert_allclose(As[:, :2].std(0), 1, atol=1e-12)
    np.testing.assert_allclose(As[:, 2], 0)
    np.testing.assert_allclose(Bs[:, 0], (B[:, 0] - A[:, 0].mean()) / A[:, 0].std())
