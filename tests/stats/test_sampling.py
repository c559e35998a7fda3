"""Samplers against exact distributions on small state spaces and against scipy.stats."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats as st

from dlproof.stats import sampling as S


def random_table(rng, shape):
    p = rng.random(shape) + 0.05
    return p / p.sum()


def random_chain(rng, n):
    P = rng.random((n, n)) + 0.01
    return P / P.sum(axis=1, keepdims=True)


def test_gibbs_gaussian_moments_and_lag1_autocorrelation():
    rng = np.random.default_rng(0)
    rho = 0.8
    tr = S.gibbs_gaussian_2d(rho, 4000, 64, rng, x0=rng.standard_normal((64, 2)))
    xy = tr[200:].reshape(-1, 2)
    assert abs(xy.mean(axis=0)).max() < 0.05
    assert np.allclose(np.cov(xy.T), [[1, rho], [rho, 1]], atol=0.05)
    # the x-chain is AR(1) with coefficient rho^2
    assert abs(S.autocorrelation(tr[200:, :, 0], 1)[1] - rho**2) < 0.02
    # marginal matches N(0, 1) by a KS test
    assert st.kstest(tr[-1, :, 0], "norm").pvalue > 1e-3


def test_gibbs_gaussian_rejects_bad_rho():
    with pytest.raises(ValueError, match="rho"):
        S.gibbs_gaussian_2d(1.0, 10, 2, np.random.default_rng(0))


def test_gibbs_discrete_matches_exact_table():
    rng = np.random.default_rng(1)
    p = random_table(rng, (2, 3, 2))
    tr = S.gibbs_discrete(p, np.zeros((20000, 3), dtype=int), 30, rng)
    counts = np.bincount(np.ravel_multi_index(tr[-1].T, p.shape), minlength=p.size)
    assert st.chisquare(counts, 20000 * p.ravel()).pvalue > 1e-3
    # negative control: the same test rejects a different table
    assert st.chisquare(counts, 20000 * random_table(rng, p.shape).ravel()).pvalue < 1e-6


def test_gibbs_kernel_leaves_table_invariant_and_is_a_kernel():
    rng = np.random.default_rng(2)
    p = random_table(rng, (3, 2, 2))
    K = S.gibbs_kernel(p)
    assert np.allclose(K.sum(axis=1), 1.0)
    assert np.abs(p.ravel() @ K - p.ravel()).max() < 1e-14
    # negative control: the kernel built from another table does not leave p invariant
    K_wrong = S.gibbs_kernel(random_table(rng, (3, 2, 2)))
    assert np.abs(p.ravel() @ K_wrong - p.ravel()).max() > 1e-3
    # the sampler and the kernel agree: distribution after 1 sweep from a fixed state
    x0 = np.zeros((20000, 3), dtype=int)
    tr = S.gibbs_discrete(p, x0, 1, rng)
    emp = np.bincount(np.ravel_multi_index(tr[0].T, p.shape), minlength=p.size) / 20000
    assert S.tv_distance(emp, K[0]) < 0.02


def test_metropolis_hastings_gaussian_target_matches_scipy():
    rng = np.random.default_rng(3)
    mu, sd = 1.5, 0.7
    tr, acc = S.metropolis_hastings(lambda x: -0.5 * ((x[:, 0] - mu) / sd) ** 2,
                                    np.zeros((500, 1)), 400, 1.0, rng)
    assert 0.2 < acc < 0.9
    assert st.kstest(tr[-1, :, 0], st.norm(mu, sd).cdf).pvalue > 1e-3


def test_metropolis_kernel_detailed_balance_and_stationarity():
    rng = np.random.default_rng(4)
    pi = rng.random(6) + 0.1
    pi /= pi.sum()
    Q = random_chain(rng, 6)
    P = S.metropolis_kernel(pi, Q)
    flow = pi[:, None] * P
    assert np.abs(flow - flow.T).max() < 1e-15
    assert np.abs(pi @ P - pi).max() < 1e-14
    assert np.abs(S.stationary_eigenvector(P) - pi).max() < 1e-12
    # negative control: the proposal alone does not have pi as its stationary distribution
    assert np.abs(pi @ Q - pi).max() > 1e-3


def test_importance_sampling_unbiased_and_self_normalised():
    rng = np.random.default_rng(5)
    x = rng.normal(4.0, 1.0, 200000)
    est, w = S.importance_sampling((x > 4).astype(float), st.norm.logpdf(x), st.norm(4, 1).logpdf(x))
    truth = st.norm.sf(4)
    assert abs(est / truth - 1) < 0.02
    y = rng.normal(0.5, 1.5, 200000)
    sn, wn = S.self_normalised_importance_sampling(y**2, -0.5 * y**2 + 7.0, st.norm(0.5, 1.5).logpdf(y))
    assert np.isclose(wn.sum(), 1.0)
    assert abs(sn - 1.0) < 0.02          # E[x^2] = 1 under N(0, 1), known only up to a constant
    assert 1.0 <= S.weight_ess(w) <= w.size


def test_importance_sampling_shape_error():
    with pytest.raises(ValueError, match="shape"):
        S.importance_sampling(np.ones(3), np.zeros(4), np.zeros(4))


def test_logmeanexp_stable():
    a = np.array([1000.0, 1000.0 + np.log(3)])
    assert np.isclose(S.logmeanexp(a), 1000.0 + np.log(2.0))
    assert np.allclose(S.logmeanexp(np.zeros((3, 4)), axis=1), 0.0)


def _gauss_ais(n_temps, n_chains, rng):
    # f0 = exp(-x^2/2) (Z0 = sqrt(2 pi)), f1 = 5 exp(-(x-3)^2/(2*0.25)) (Z1 = 5 sqrt(2 pi) 0.5)
    def log_f(x, b):                     # geometric path between f0 and f1
        return (1 - b) * (-0.5 * x[:, 0] ** 2) + b * (np.log(5.0) - 0.5 * (x[:, 0] - 3.0) ** 2 / 0.25)

    def transition(x, b, r):
        # the geometric mix of two Gaussians is Gaussian: sample it exactly
        prec = (1 - b) * 1.0 + b * 4.0
        mean = b * 4.0 * 3.0 / prec
        return mean + r.standard_normal(x.shape) / np.sqrt(prec)

    betas = np.linspace(0, 1, n_temps + 1)
    lw = S.ais(log_f, transition, rng.standard_normal((n_chains, 1)), betas, rng)
    return 0.5 * np.log(2 * np.pi) + S.logmeanexp(lw), lw


def test_ais_gaussian_recovers_log_z_and_variance_shrinks():
    rng = np.random.default_rng(6)
    exact = np.log(5.0 * np.sqrt(2 * np.pi) * 0.5)
    est, lw_many = _gauss_ais(200, 2000, rng)
    assert abs(est - exact) < 0.02
    _, lw_one = _gauss_ais(1, 2000, rng)
    assert lw_one.var() > 20 * lw_many.var()


def test_ais_rejects_bad_betas():
    with pytest.raises(ValueError, match="betas"):
        S.ais(lambda x, b: x[:, 0], lambda x, b, r: x, np.zeros((2, 1)),
              np.array([0.0, 0.7, 0.5, 1.0]), np.random.default_rng(0))


def test_power_iteration_vs_eigenvector_and_rate():
    rng = np.random.default_rng(7)
    P = random_chain(rng, 5)
    pi = S.stationary_eigenvector(P)
    vs = S.power_iteration(P, np.eye(5)[0], 200)
    assert np.abs(vs[-1] - pi).max() < 1e-12
    assert np.abs(pi @ P - pi).max() < 1e-14
    lam2 = S.second_eigenvalue_modulus(P)
    tv = S.tv_distance(vs, pi)
    k = np.flatnonzero(tv > 1e-13)[-1]
    rate = (tv[k] / tv[k // 2]) ** (1.0 / (k - k // 2))
    assert abs(rate - lam2) < 0.05 * lam2 + 1e-3


def test_stationary_rejects_non_stochastic():
    with pytest.raises(ValueError, match="row-stochastic"):
        S.stationary_eigenvector(np.ones((3, 3)))


def test_tv_distance_matches_definition():
    p, q = np.array([0.5, 0.5, 0.0]), np.array([0.0, 0.5, 0.5])
    assert S.tv_distance(p, q) == 0.5


def test_autocorrelation_and_ess_of_ar1():
    rng = np.random.default_rng(8)
    phi, n, c = 0.9, 20000, 8
    x = np.zeros((n, c))
    e = rng.standard_normal((n, c)) * np.sqrt(1 - phi**2)
    x[0] = rng.standard_normal(c)
    for t in range(1, n):
        x[t] = phi * x[t - 1] + e[t]
    rho = S.autocorrelation(x, 5)
    assert np.allclose(rho, phi ** np.arange(6), atol=0.02)
    ess = S.effective_sample_size(x)
    theory = n * c * (1 - phi) / (1 + phi)
    assert abs(ess / theory - 1) < 0.15
    # independent draws: ESS close to N
    iid = rng.standard_normal((n, c))
    assert abs(S.effective_sample_size(iid) / (n * c) - 1) < 0.1


# -- gradient estimators: score function vs reparameterisation -----------------------------------

def test_gradient_estimators_unbiased_with_closed_form_variances():
    rng = np.random.default_rng(0)
    n = 400000
    mu = np.array([1.0, -0.5])
    est = S.gaussian_gradient_samples(lambda z: np.sum(z ** 2, 1), lambda z: 2 * z, mu, 1.0, n, rng)
    for name in ("score", "reparam"):          # d/dmu E||z||^2 = 2 mu
        e = est[name]
        se = e.std(0) / np.sqrt(n)
        assert np.all(np.abs(e.mean(0) - 2 * mu) < 5 * se), name
    # Var of the pathwise estimate 2 z_1 is 4 sigma^2; the 1-D score estimate z^2 eps has variance 30
    assert abs(est["reparam"][:, 0].var() - 4.0) < 0.05
    one = S.gaussian_gradient_samples(lambda z: z[:, 0] ** 2, None, np.ones(1), 1.0, n, rng)
    assert "reparam" not in one and abs(one["score"].var() / 30.0 - 1) < 0.05
    # a constant baseline keeps the mean (E[eps] = 0) and here lowers the variance (theory 18)
    base = S.gaussian_gradient_samples(lambda z: z[:, 0] ** 2, None, np.ones(1), 1.0, n, rng, baseline=2.0)
    assert abs(base["score"].mean() - 2.0) < 5 * base["score"].std() / np.sqrt(n)
    assert abs(base["score"].var() / 18.0 - 1) < 0.05


def test_gradient_estimator_negative_control_and_errors():
    rng = np.random.default_rng(1)
    n = 200000
    # negative control: the score without its 1/sigma (sigma = 2) gives twice the gradient
    est = S.gaussian_gradient_samples(lambda z: z[:, 0] ** 2, None, np.ones(1), 2.0, n, rng)
    wrong = est["score"] * 2.0
    se = est["score"].std() / np.sqrt(n)
    assert abs(est["score"].mean() - 2.0) < 5 * se and abs(wrong.mean() - 2.0) > 20 * se
    with pytest.raises(ValueError, match="sigma > 0"):
        S.gaussian_gradient_samples(lambda z: z[:, 0], None, np.ones(1), 0.0, 10, rng)
