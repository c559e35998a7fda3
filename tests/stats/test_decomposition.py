"""PCA, FastICA, principal angles and component matching against sklearn / scipy oracles, with
negative controls (mixed sources are not matched; random mixings have a large Amari index)."""

from __future__ import annotations

import numpy as np
import pytest

from dlproof.stats.decomposition import PCA, FastICA, amari_index, match_components, principal_angles, whiten


def _mixed_sources(rng, n=2000):
    """Laplace, uniform and a sine-like (bimodal) source, mixed by a random 3x3 matrix."""
    S = np.c_[rng.laplace(size=n), rng.uniform(-1, 1, n), np.sin(np.linspace(0, 37, n))]
    S = (S - S.mean(0)) / S.std(0)
    A = rng.normal(size=(3, 3))
    return S, A, S @ A.T


def test_pca_matches_sklearn(oracle, rng):
    decomposition = oracle("sklearn.decomposition")
    X = rng.normal(size=(200, 6)) @ rng.normal(size=(6, 6)) + rng.normal(size=6)
    ours = PCA(4).fit(X)
    ref = decomposition.PCA(4, svd_solver="full").fit(X)
    np.testing.assert_allclose(ours.explained_variance_, ref.explained_variance_, rtol=1e-10)
    np.testing.assert_allclose(ours.explained_variance_ratio_, ref.explained_variance_ratio_, rtol=1e-10)
    np.testing.assert_allclose(ours.mean_, ref.mean_, atol=1e-12)
    # the same sign convention (largest-|.| entry of each component positive) as sklearn
    np.testing.assert_allclose(ours.components_, ref.components_, atol=1e-10)
    np.testing.assert_allclose(ours.transform(X), ref.transform(X), atol=1e-9)
    np.testing.assert_allclose(ours.inverse_transform(ours.transform(X)),
                               ref.inverse_transform(ref.transform(X)), atol=1e-9)
    w, wref = PCA(3, whiten=True).fit(X), decomposition.PCA(3, whiten=True, svd_solver="full").fit(X)
    np.testing.assert_allclose(w.transform(X), wref.transform(X), atol=1e-9)
    np.testing.assert_allclose(w.inverse_transform(w.transform(X)), wref.inverse_transform(wref.transform(X)),
                               atol=1e-9)


def test_pca_reconstruction_error_is_the_discarded_variance(rng):
    X = rng.normal(size=(150, 8)) * np.arange(1, 9)
    full = PCA().fit(X)
    for k in (1, 3, 7):
        p = PCA(k).fit(X)
        expected = full.explained_variance_[k:].sum() * (len(X) - 1) / X.size
        assert p.reconstruction_mse(X) == pytest.approx(expected, rel=1e-10)
    Z, K, mean = whiten(X, 4)
    np.testing.assert_allclose(np.cov(Z.T), np.eye(4), atol=1e-10)


def test_fastica_recovers_sources_like_sklearn(oracle):
    decomposition = oracle("sklearn.decomposition")
    rng = np.random.default_rng(3)
    S, A, X = _mixed_sources(rng)
    ica = FastICA(3).fit(X, np.random.default_rng(0))
    assert ica.converged_
    _, _, corr = match_components(ica.transform(X), S)
    assert corr.min() > 0.99
    assert amari_index(ica.components_, A) < 0.05
    ref = decomposition.FastICA(3, whiten="unit-variance", fun="logcosh", algorithm="parallel",
                                random_state=0, max_iter=400, tol=1e-6).fit(X)
    _, _, agree = match_components(ica.transform(X), ref.transform(X))
    assert agree.min() > 0.999
    np.testing.assert_allclose(np.cov(ica.transform(X).T), np.eye(3), atol=1e-8)


def test_pca_does_not_unmix_the_sources():
    """Negative control: PCA decorrelates but leaves non-Gaussian sources mixed."""
    rng = np.random.default_rng(4)
    S, A, X = _mixed_sources(rng)
    p = PCA(3, whiten=True).fit(X)
    K = p.components_ / np.sqrt(p.explained_variance_)[:, None]
    assert amari_index(K, A) > 0.1
    _, _, corr = match_components(p.transform(X), S)
    assert corr.min() < 0.95


def test_amari_index_and_matching_are_invariant_only_to_scale_sign_permutation(rng):
    A = rng.normal(size=(4, 4))
    P = np.eye(4)[[2, 0, 3, 1]] * np.array([1.5, -2.0, 0.3, -1.0])[:, None]
    W = P @ np.linalg.inv(A)
    assert amari_index(W, A) == pytest.approx(0.0, abs=1e-12)
    assert amari_index(rng.normal(size=(4, 4)), A) > 0.2
    S = rng.laplace(size=(500, 4))
    perm, signs, corr = match_components(S @ P.T, S)
    np.testing.assert_allclose(corr, 1.0, atol=1e-12)
    np.testing.assert_array_equal(perm, [2, 0, 3, 1])
    np.testing.assert_array_equal(signs, [1, -1, 1, -1])
    _, _, corr_mixed = match_components(S @ rng.normal(size=(4, 4)), S)
    assert corr_mixed.min() < 0.95
    with pytest.raises(ValueError, match="square"):
        amari_index(rng.normal(size=(3, 5)), rng.normal(size=(5, 4)))


def test_principal_angles_match_scipy_and_are_accurate_near_zero(rng):
    from scipy.linalg import subspace_angles

    A, B = rng.normal(size=(10, 3)), rng.normal(size=(10, 4))
    np.testing.assert_allclose(principal_angles(A, B), np.sort(subspace_angles(A, B)), atol=1e-12)
    # same span, different basis: all angles 0
    np.testing.assert_allclose(principal_angles(A, A @ rng.normal(size=(3, 3))), 0.0, atol=1e-12)
    # a tilt of 1e-9 rad: arccos of the cosines would return ~1e-8-level garbage, the sine path 1e-9
    Q = np.linalg.qr(rng.normal(size=(10, 4)))[0]
    tilted = Q[:, :3].copy()
    tilted[:, 0] = np.cos(1e-9) * Q[:, 0] + np.sin(1e-9) * Q[:, 3]
    angles = principal_angles(Q[:, :3], tilted)
    assert angles[-1] == pytest.approx(1e-9, rel=1e-5)
    assert np.all(np.diff(angles) >= 0)
    # orthogonal complements: pi/2
    np.testing.assert_allclose(principal_angles(Q[:, :2], Q[:, 2:]), np.pi / 2, atol=1e-12)


def test_bad_inputs_are_named():
    with pytest.raises(ValueError, match="n_components=5 exceeds"):
        PCA(5).fit(np.zeros((4, 3)) + np.arange(3))
    with pytest.raises(ValueError, match="linearly dependent"):
        principal_angles(np.ones((5, 2)), np.eye(5)[:, :2])
    with pytest.raises(ValueError, match="same number of rows"):
        principal_angles(np.eye(5)[:, :2], np.eye(4)[:, :2])
    with pytest.raises(ValueError, match="NaN"):
        PCA(1).fit(np.array([[0.0, np.nan], [1.0, 2.0]]))
    with pytest.raises(RuntimeError, match="fit first"):
        PCA(1).transform(np.zeros((2, 2)))
    with pytest.raises(ValueError, match="one shape"):
        match_components(np.zeros((5, 2)), np.zeros((5, 3)))
