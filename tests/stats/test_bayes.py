"""dlproof.stats.bayes: conjugate updates against quadrature/scipy, Bayesian linear regression against
sklearn's BayesianRidge (the same evidence fixed point with its Gamma hyperpriors switched off)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import integrate, stats

from dlproof.stats import bayes


def test_beta_bernoulli_estimators_against_quadrature():
    k, n, a, b = 3, 11, 2.0, 5.0
    post = lambda th: th**k * (1 - th) ** (n - k) * stats.beta.pdf(th, a, b)  # noqa: E731
    Z, _ = integrate.quad(post, 0, 1)
    mean, _ = integrate.quad(lambda th: th * post(th) / Z, 0, 1)
    assert bayes.beta_bernoulli_predictive(k, n, a, b) == pytest.approx(mean, rel=1e-10)
    grid = np.linspace(1e-6, 1 - 1e-6, 200001)
    assert bayes.beta_bernoulli_map(k, n, a, b) == pytest.approx(grid[np.argmax(post(grid))], abs=1e-5)
    assert bayes.bernoulli_mle(k, n) == k / n
    assert bayes.beta_bernoulli_predictive(0, 0, 1, 1) == 0.5  # Laplace's rule with no data
    pred = stats.betabinom(1, a + k, b + n - k).pmf(1)
    assert bayes.beta_bernoulli_predictive(k, n, a, b) == pytest.approx(pred)
    lo, hi = bayes.beta_credible_interval(k, n, a, b, 0.9)
    assert stats.beta.cdf(hi, a + k, b + n - k) - stats.beta.cdf(lo, a + k, b + n - k) == pytest.approx(0.9)


def test_beta_bernoulli_bad_input():
    with pytest.raises(ValueError, match="0 <= k <= n"):
        bayes.beta_bernoulli_posterior(5, 3)
    with pytest.raises(ValueError, match="a > 0"):
        bayes.beta_bernoulli_predictive(1, 3, a=0.0)
    with pytest.raises(ValueError, match="n > 0"):
        bayes.bernoulli_mle(0, 0)


def test_normal_mean_posterior_against_quadrature():
    rng = np.random.default_rng(1)
    x = rng.normal(1.3, 2.0, 7)
    mu_n, tau_n2 = bayes.normal_mean_posterior(x, 4.0, mu0=-1.0, tau0_2=0.5)
    logpost = lambda m: stats.norm.logpdf(x, m, 2.0).sum() + stats.norm.logpdf(m, -1.0, math.sqrt(0.5))  # noqa: E731
    Z, _ = integrate.quad(lambda m: math.exp(logpost(m)), -20, 20)
    m1, _ = integrate.quad(lambda m: m * math.exp(logpost(m)) / Z, -20, 20)
    m2, _ = integrate.quad(lambda m: m * m * math.exp(logpost(m)) / Z, -20, 20)
    assert mu_n == pytest.approx(m1, rel=1e-6)
    assert tau_n2 == pytest.approx(m2 - m1**2, rel=1e-6)


def design(rng, N, M=9):
    x = rng.uniform(0, 1, N)
    centres = np.linspace(0, 1, M)
    Phi = np.exp(-((x[:, None] - centres[None, :]) ** 2) / (2 * 0.1**2))
    t = np.sin(2 * np.pi * x) + 0.2 * rng.standard_normal(N)
    return Phi, t


def test_posterior_is_ridge_and_predictive_std():
    rng = np.random.default_rng(2)
    Phi, t = design(rng, 30)
    m = bayes.BayesianLinearRegression(alpha=0.7, beta=9.0).fit(Phi, t, evidence=False)
    ridge = np.linalg.solve(Phi.T @ Phi + (0.7 / 9.0) * np.eye(Phi.shape[1]), Phi.T @ t)
    np.testing.assert_allclose(m.mean, ridge, rtol=1e-9, atol=1e-12)
    A = 0.7 * np.eye(Phi.shape[1]) + 9.0 * Phi.T @ Phi
    np.testing.assert_allclose(m.cov, np.linalg.inv(A), rtol=1e-8, atol=1e-12)
    # log evidence = log N(t; 0, β⁻¹I + α⁻¹ΦΦᵀ), the marginal likelihood computed directly
    C = np.eye(len(t)) / 9.0 + Phi @ Phi.T / 0.7
    assert m.log_evidence == pytest.approx(stats.multivariate_normal(np.zeros(len(t)), C).logpdf(t), rel=1e-9)
    _, std = m.predict(Phi[:3], return_std=True)
    np.testing.assert_allclose(std**2, 1 / 9.0 + np.einsum("nm,mk,nk->n", Phi[:3], np.linalg.inv(A), Phi[:3]))


def test_evidence_fixed_point_matches_sklearn_bayesian_ridge(oracle):
    lm = oracle("sklearn.linear_model")
    rng = np.random.default_rng(3)
    Phi, t = design(rng, 60)
    ours = bayes.BayesianLinearRegression(alpha=1.0, beta=1.0, max_iter=5000, tol=1e-13).fit(Phi, t)
    ref = lm.BayesianRidge(max_iter=5000, tol=1e-14, alpha_1=0.0, alpha_2=0.0, lambda_1=0.0, lambda_2=0.0,
                           fit_intercept=False).fit(Phi, t)
    assert ours.alpha == pytest.approx(ref.lambda_, rel=1e-5)   # sklearn: lambda_ = weight precision
    assert ours.beta == pytest.approx(ref.alpha_, rel=1e-5)     # sklearn: alpha_ = noise precision
    np.testing.assert_allclose(ours.mean, ref.coef_, rtol=1e-4, atol=1e-7)
    # at the fixed point the evidence is stationary: nudging α or β lowers it
    for da, db in ((1.01, 1.0), (0.99, 1.0), (1.0, 1.01), (1.0, 0.99)):
        other = bayes.BayesianLinearRegression(ours.alpha * da, ours.beta * db).fit(Phi, t, evidence=False)
        assert other.log_evidence < ours.log_evidence


def test_gamma_formula_and_wrong_gamma_is_caught():
    rng = np.random.default_rng(4)
    Phi, t = design(rng, 40)
    m = bayes.BayesianLinearRegression(alpha=0.3, beta=5.0).fit(Phi, t, evidence=False)
    lam = np.linalg.eigvalsh(5.0 * Phi.T @ Phi)
    assert m.gamma == pytest.approx(np.sum(lam / (lam + 0.3)))
    assert abs(m.gamma - Phi.shape[1]) > 0.5  # negative control: γ is not simply M
    # γ = M − α tr(S_N) (Bishop eq. 3.91 rearranged)
    assert m.gamma == pytest.approx(Phi.shape[1] - 0.3 * np.trace(m.cov))


def test_blr_bad_input():
    with pytest.raises(ValueError, match=r"\(N, M\)"):
        bayes.BayesianLinearRegression().fit(np.ones((3, 2)), np.ones(4))
    with pytest.raises(ValueError, match="fit"):
        bayes.BayesianLinearRegression().predict(np.ones((3, 2)))


def test_known_beta_only_alpha_moves():
    rng = np.random.default_rng(5)
    Phi, t = design(rng, 5, M=9)
    m = bayes.BayesianLinearRegression(alpha=1.0, beta=25.0, fit_beta=False, max_iter=5000).fit(Phi, t)
    assert m.beta == 25.0
    assert m.alpha == pytest.approx(m.gamma / (m.mean @ m.mean), rel=1e-6)
