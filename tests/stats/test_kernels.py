"""Kernels, kernel ridge, Nadaraya-Watson, k-means, RBF networks and random Fourier features, with
scikit-learn (``rbf_kernel``, ``polynomial_kernel``, ``KernelRidge``, ``KMeans``) as the oracle."""

from __future__ import annotations

import numpy as np
import pytest

from dlproof.stats.kernels import (
    KernelRidge,
    RandomFourierFeatures,
    RBFNetwork,
    kmeans,
    nadaraya_watson,
    polynomial_kernel,
    rbf_kernel,
    rbf_network_weights,
    sq_dists,
)


def data(seed=0, n=40, d=3):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    y = np.sin(X.sum(1)) + 0.1 * rng.standard_normal(n)
    return rng, X, y


def test_kernels_match_sklearn(oracle):
    pw = oracle("sklearn.metrics.pairwise")
    _, X, _ = data()
    Z = X[:7] + 0.5
    np.testing.assert_allclose(rbf_kernel(X, Z, gamma=0.7), pw.rbf_kernel(X, Z, gamma=0.7),
                               rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(rbf_kernel(X, gamma=0.2), pw.rbf_kernel(X, gamma=0.2), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(polynomial_kernel(X, Z, degree=3, coef0=1.0),
                               pw.polynomial_kernel(X, Z, degree=3, coef0=1.0), rtol=1e-12)
    np.testing.assert_allclose(polynomial_kernel(X, Z, degree=2, gamma=0.5, coef0=0.0),
                               pw.polynomial_kernel(X, Z, degree=2, gamma=0.5, coef0=0.0), rtol=1e-12)
    # distances of a point to itself are exactly 0, never negative
    assert np.all(np.diag(sq_dists(1e3 * X)) == 0.0) and sq_dists(1e3 * X).min() >= 0


@pytest.mark.parametrize("kernel, params", [("rbf", {"gamma": 0.3}), ("poly", {"degree": 3, "coef0": 1.0}),
                                            ("linear", {})])
def test_kernel_ridge_matches_sklearn(oracle, kernel, params):
    kr = oracle("sklearn.kernel_ridge")
    rng, X, y = data(1)
    Y = np.c_[y, rng.standard_normal(len(y))]                      # two outputs at once
    Xt = rng.standard_normal((15, 3))
    ours = KernelRidge(alpha=0.1, kernel=kernel, **params).fit(X, Y)
    ref = kr.KernelRidge(alpha=0.1, kernel=kernel, **params).fit(X, Y)
    np.testing.assert_allclose(ours.dual_coef_, ref.dual_coef_, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(ours.predict(Xt), ref.predict(Xt), rtol=1e-8, atol=1e-10)


def test_kernel_ridge_minimises_its_objective():
    """a = (K + alpha I)^{-1} y is the stationary point of ||y - K a||^2 + alpha a^T K a; moving it
    in any direction raises the objective."""
    rng, X, y = data(2)
    m = KernelRidge(alpha=0.5, gamma=0.4).fit(X, y)
    K = rbf_kernel(X, gamma=0.4)

    def objective(a):
        return np.sum((y - K @ a) ** 2) + 0.5 * a @ K @ a

    grad = -2 * K @ (y - K @ m.dual_coef_) + 2 * 0.5 * K @ m.dual_coef_
    assert np.abs(grad).max() < 1e-10
    for _ in range(5):
        assert objective(m.dual_coef_ + 1e-3 * rng.standard_normal(len(y))) > objective(m.dual_coef_)


def test_nadaraya_watson_is_the_normalised_kernel_average_and_survives_a_tiny_bandwidth():
    rng, X, y = data(3, d=1)
    Xt = rng.standard_normal((20, 1))
    K = rbf_kernel(Xt, X, gamma=2.0)
    np.testing.assert_allclose(nadaraya_watson(X, y, Xt, gamma=2.0), K @ y / K.sum(1), rtol=1e-12)
    # gamma so large that every exp underflows: the result is the nearest neighbour's target, not nan
    nearest = y[sq_dists(Xt, X).argmin(1)]
    assert np.allclose(nadaraya_watson(X, y, Xt, gamma=1e8), nearest)
    # the naive formula does produce nan there (what the max-shift prevents)
    with np.errstate(invalid="ignore"):
        K = rbf_kernel(Xt, X, gamma=1e8)
        assert np.isnan(K @ y / K.sum(1)).any()


def test_kmeans_matches_sklearn_inertia(oracle):
    cl = oracle("sklearn.cluster")
    rng = np.random.default_rng(4)
    centres = rng.uniform(-10, 10, (5, 2))
    X = np.concatenate([c + rng.standard_normal((60, 2)) for c in centres])
    C, labels, inertia = kmeans(X, 5, rng, n_init=5)
    ref = cl.KMeans(5, n_init=10, random_state=0).fit(X)
    assert inertia <= 1.01 * ref.inertia_        # as good a local optimum as sklearn's best of 10
    # ours is a fixed point of Lloyd's algorithm: sklearn started there does not move
    fixed = cl.KMeans(5, init=C, n_init=1, tol=0).fit(X)
    np.testing.assert_allclose(fixed.cluster_centers_, C, atol=1e-10)
    assert fixed.inertia_ == pytest.approx(inertia, rel=1e-9)
    # the returned centres are the means of their clusters, the inertia is that of the labels
    np.testing.assert_allclose(C, np.stack([X[labels == j].mean(0) for j in range(5)]), atol=1e-12)
    assert inertia == pytest.approx(((X - C[labels]) ** 2).sum(), rel=1e-12)


def test_rbf_network_with_a_centre_per_point_and_rkhs_penalty_is_kernel_ridge():
    rng, X, y = data(5)
    K = rbf_kernel(X, gamma=0.5)
    w_rkhs = rbf_network_weights(K, y, alpha=0.2, penalty="rkhs", G=K)
    w_krr = KernelRidge(alpha=0.2, gamma=0.5).fit(X, y).dual_coef_
    assert np.abs(w_rkhs - w_krr).max() < 1e-8
    # the plain L2 penalty is a different estimator, (K^2 + alpha I)^{-1} K y
    w_l2 = rbf_network_weights(K, y, alpha=0.2, penalty="l2")
    np.testing.assert_allclose(w_l2, np.linalg.solve(K @ K + 0.2 * np.eye(len(y)), K @ y), rtol=1e-8)
    assert np.abs(w_l2 - w_krr).max() > 1e-2


def test_rbf_network_fits_a_smooth_function_with_few_centres():
    rng = np.random.default_rng(6)
    X = rng.uniform(-3, 3, (400, 1))
    y = np.sin(2 * X[:, 0])
    net = RBFNetwork(15, gamma=2.0, alpha=1e-8, rng=rng).fit(X, y)
    assert net.centers_.shape == (15, 1) and net.coef_.shape == (16,)
    Xt = np.linspace(-2.9, 2.9, 200)[:, None]
    assert np.abs(net.predict(Xt) - np.sin(2 * Xt[:, 0])).max() < 0.05


def test_random_fourier_features_approximate_the_rbf_kernel_at_rate_one_over_sqrt_d():
    rng, X, _ = data(7, n=30)
    K = rbf_kernel(X, gamma=0.3)
    errs = []
    for D in (100, 1600, 25600):
        Z = RandomFourierFeatures(3, D, 0.3, np.random.default_rng(D)).transform(X)
        errs.append(np.sqrt(np.mean((Z @ Z.T - K) ** 2)))
    # 16x more features -> about 4x smaller error
    assert 2.5 < errs[0] / errs[1] < 6.5 and 2.5 < errs[1] / errs[2] < 6.5
    assert errs[2] < 0.02


def test_bad_input_names_the_problem():
    _, X, y = data()
    with pytest.raises(ValueError, match="gamma"):
        rbf_kernel(X, gamma=0.0)
    with pytest.raises(ValueError, match="2-D"):
        rbf_kernel(X[:, 0])
    with pytest.raises(ValueError, match="features"):
        rbf_kernel(X, X[:, :2])
    with pytest.raises(ValueError, match="kernel must be"):
        KernelRidge(kernel="cosine").fit(X, y)
    with pytest.raises(ValueError, match=r"y must have shape \(40,\)"):
        KernelRidge().fit(X, y[:5])
    with pytest.raises(RuntimeError, match="before fit"):
        KernelRidge().predict(X)
    with pytest.raises(ValueError, match="k must be"):
        kmeans(X, 0, np.random.default_rng(0))
    with pytest.raises(ValueError, match="penalty"):
        rbf_network_weights(X, y, 1.0, penalty="l3")
    with pytest.raises(ValueError, match="needs G"):
        rbf_network_weights(X, y, 1.0, penalty="rkhs")
    with pytest.raises(ValueError, match="expected 3"):
        RandomFourierFeatures(3, 10, 1.0, np.random.default_rng(0)).transform(X[:, :2])
