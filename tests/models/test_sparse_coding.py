"""Sparse coding: FISTA codes against the lasso optimality (KKT) conditions, with a negative control,
against scikit-learn's sparse_encode and our coordinate-descent lasso; dictionary learning is
monotone, keeps atoms in the unit ball, and recovers a planted dictionary."""

from __future__ import annotations

import numpy as np
import pytest

from dlproof.models.sparse_coding import SparseCoding, lasso_objective, sparse_encode
from dlproof.stats.linear import lasso


def _kkt_violation(X, D, H, lam):
    """max over entries of the lasso optimality violation: c = (x - hD) D^T must equal lam sign(h)
    where h != 0 and satisfy |c| <= lam where h == 0."""
    C = (X - H @ D) @ D.T
    active = np.abs(H) > 1e-12
    v_active = np.abs(C - lam * np.sign(H))[active]
    v_zero = np.maximum(np.abs(C) - lam, 0)[~active]
    return max(v_active.max(initial=0.0), v_zero.max(initial=0.0))


def _dictionary(rng, K=12, p=8):
    D = rng.normal(size=(K, p))
    return D / np.linalg.norm(D, axis=1, keepdims=True)


def test_fista_codes_satisfy_kkt_and_a_wrong_threshold_does_not(rng):
    D = _dictionary(rng)
    X = rng.normal(size=(30, 8))
    lam = 0.3
    H = sparse_encode(X, D, lam, n_iter=3000)
    assert _kkt_violation(X, D, H, lam) < 1e-6
    assert (np.abs(H) < 1e-12).mean() > 0.2                     # the L1 penalty really zeroes entries
    # negative control: thresholding by lam instead of lam / L solves a different problem
    L = np.linalg.eigvalsh(D @ D.T)[-1]
    wrong = sparse_encode(X, D, lam * L, n_iter=3000)
    assert _kkt_violation(X, D, wrong, lam) > 1e-2


def test_codes_match_sklearn_and_coordinate_descent(oracle, rng):
    decomposition = oracle("sklearn.decomposition")
    D = _dictionary(rng, K=10, p=6)
    X = rng.normal(size=(15, 6))
    lam = 0.2
    H = sparse_encode(X, D, lam, n_iter=5000)
    ref = decomposition.sparse_encode(X, D, algorithm="lasso_cd", alpha=lam, max_iter=10000)
    np.testing.assert_allclose(lasso_objective(X, D, H, lam), lasso_objective(X, D, ref, lam), rtol=1e-6)
    np.testing.assert_allclose(H, ref, atol=1e-4)
    # stats.linear.lasso minimises ||y - A w||^2 / (2 n) + alpha ||w||_1: n = p rows, alpha = lam / p
    h0 = lasso(D.T, X[0], lam / D.shape[1])
    np.testing.assert_allclose(H[0], h0, atol=1e-6)


def test_zero_penalty_is_least_squares_and_huge_penalty_is_zero(rng):
    D = _dictionary(rng, K=5, p=8)                                # undercomplete: a unique LS solution
    X = rng.normal(size=(7, 8))
    H = sparse_encode(X, D, 0.0, n_iter=5000)
    np.testing.assert_allclose(H, np.linalg.lstsq(D.T, X.T, rcond=None)[0].T, atol=1e-6)
    assert np.all(sparse_encode(X, D, 1e3) == 0)


def test_dictionary_learning_is_monotone_and_keeps_atoms_in_the_unit_ball(rng):
    X = rng.laplace(size=(200, 10)) @ rng.normal(size=(10, 10))
    sc = SparseCoding(16, lam=0.5, n_iter=15, code_iter=40).fit(X, np.random.default_rng(0))
    obj = np.array(sc.objective_)
    assert np.all(np.diff(obj) <= 1e-9 * np.abs(obj[:-1]))
    assert obj[-1] < 0.95 * obj[0]
    assert np.all(np.linalg.norm(sc.components_, axis=1) <= 1 + 1e-12)


def test_dictionary_learning_recovers_a_planted_dictionary():
    rng = np.random.default_rng(5)
    K, p, N = 8, 16, 1500
    D0 = _dictionary(rng, K, p)
    H0 = rng.normal(size=(N, K)) * (rng.uniform(size=(N, K)) < 0.25)   # about 2 atoms per row
    X = H0 @ D0 + 0.01 * rng.normal(size=(N, p))
    sc = SparseCoding(K, lam=0.1, n_iter=60, code_iter=60, dict_steps=10).fit(X, np.random.default_rng(1))
    cos = np.abs(sc.components_ @ D0.T) / np.linalg.norm(sc.components_, axis=1, keepdims=True)
    assert cos.max(axis=0).min() > 0.99                         # every planted atom found
    # control: random unit atoms match the planted ones far worse
    R = _dictionary(rng, K, p)
    assert np.median(np.abs(R @ D0.T).max(axis=0)) < 0.8


def test_bad_input_is_named(rng):
    D = _dictionary(rng)
    with pytest.raises(ValueError, match=r"X \(N, p\)"):
        sparse_encode(rng.normal(size=(3, 5)), D, 0.1)
    with pytest.raises(ValueError, match="lam"):
        sparse_encode(rng.normal(size=(3, 8)), D, -1.0)
    with pytest.raises(ValueError, match="H0"):
        sparse_encode(rng.normal(size=(3, 8)), D, 0.1, H0=np.zeros((3, 2)))
    with pytest.raises(ValueError, match="n_atoms"):
        SparseCoding(0, 0.1)
    with pytest.raises(ValueError, match=r"\(N, p\)"):
        SparseCoding(4, 0.1).fit(rng.normal(size=10), rng)
