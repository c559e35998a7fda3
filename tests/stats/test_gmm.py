"""dlproof.stats.gmm: EM against scikit-learn's GaussianMixture from the same initial parameters,
the density against scipy, EM monotonicity, and the classic mistakes."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from scipy import stats

from dlproof.stats.gmm import GaussianMixture, gmm_log_density


def blobs(rng, n=300):
    A = rng.multivariate_normal([0, 0], [[1.0, 0.6], [0.6, 0.8]], n // 3)
    B = rng.multivariate_normal([3, 1], [[0.3, 0.0], [0.0, 1.5]], n // 3)
    C = rng.multivariate_normal([-2, 3], [[0.5, -0.2], [-0.2, 0.4]], n - 2 * (n // 3))
    return np.vstack([A, B, C])


def test_log_density_against_scipy():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((20, 2))
    w = np.array([0.2, 0.8])
    m = np.array([[0.0, 1.0], [-1.0, 0.5]])
    c = np.array([[[1.0, 0.3], [0.3, 0.7]], [[0.4, 0.0], [0.0, 2.0]]])
    ref = np.log(w[0] * stats.multivariate_normal(m[0], c[0]).pdf(X)
                 + w[1] * stats.multivariate_normal(m[1], c[1]).pdf(X))
    np.testing.assert_allclose(gmm_log_density(X, w, m, c), ref, rtol=1e-12)


def test_em_matches_sklearn_from_same_init(oracle):
    mixture = oracle("sklearn.mixture")
    rng = np.random.default_rng(1)
    X = blobs(rng)
    K, iters = 3, 25
    ours0 = GaussianMixture(K, max_iter=iters, tol=0.0, reg_covar=1e-6)
    w0, m0, c0 = ours0._init(X, np.random.default_rng(2))
    ours = ours0.fit(X, init=(w0, m0, c0))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "did not converge": we ask for exactly `iters` iterations
        ref = mixture.GaussianMixture(K, covariance_type="full", max_iter=iters, tol=0.0, reg_covar=1e-6,
                                      weights_init=w0, means_init=m0,
                                      precisions_init=np.linalg.inv(c0)).fit(X)
    np.testing.assert_allclose(ours.weights_, ref.weights_, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(ours.means_, ref.means_, rtol=1e-9, atol=1e-10)
    np.testing.assert_allclose(ours.covariances_, ref.covariances_, rtol=1e-9, atol=1e-10)
    assert ours.score(X) == pytest.approx(ref.score(X), rel=1e-10)


def test_em_never_decreases_likelihood_without_floor():
    rng = np.random.default_rng(3)
    X = blobs(rng)
    g = GaussianMixture(5, max_iter=200, tol=0.0, reg_covar=0.0).fit(X, rng)
    assert np.min(np.diff(g.history)) > -1e-12


def test_wrong_m_step_is_caught():
    # negative control: an M-step that forgets to divide the covariance by N_k breaks monotonicity
    rng = np.random.default_rng(4)
    X = blobs(rng)
    g = GaussianMixture(3, max_iter=1, tol=0.0, reg_covar=0.0)
    w, m, c = g._init(X, rng)
    good = g.fit(X, init=(w, m, c))
    bad_cov = good.covariances_ * good.weights_[:, None, None] * len(X)
    assert gmm_log_density(X, good.weights_, good.means_, bad_cov).mean() < good.history[0]
    assert good.history[-1] > good.history[0]


def test_one_component_is_the_gaussian_mle_and_bad_input():
    rng = np.random.default_rng(5)
    X = rng.standard_normal((200, 2)) @ np.array([[1.0, 0.5], [0.0, 2.0]])
    g = GaussianMixture(1, reg_covar=0.0).fit(X, rng)
    np.testing.assert_allclose(g.means_[0], X.mean(axis=0), atol=1e-12)
    np.testing.assert_allclose(g.covariances_[0], np.cov(X.T, bias=True), atol=1e-12)
    with pytest.raises(ValueError, match="n_components"):
        GaussianMixture(500).fit(X, rng)
    with pytest.raises(ValueError, match="rng"):
        GaussianMixture(2).fit(X)
    with pytest.raises(ValueError, match="features"):
        g.score(np.ones((3, 3)))
