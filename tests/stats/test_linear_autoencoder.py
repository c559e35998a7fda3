"""stats.linear_autoencoder: critical points are critical, their Hessian index is as predicted,
and the global minimum is the PCA projection (scikit-learn as the oracle)."""

import itertools

import numpy as np
import pytest

from dlproof.engine.derivatives import grad, hessian
from dlproof.engine.tensor import tensor
from dlproof.stats.linear_autoencoder import autoencoder_loss, critical_points


def _sigma(d, seed=0):
    rng = np.random.default_rng(seed)
    lam = np.sort(rng.uniform(0.5, 3.0, d))[::-1]
    Q, _ = np.linalg.qr(rng.standard_normal((d, d)))
    return Q @ np.diag(lam) @ Q.T, lam


def _engine_loss(Sigma, k):
    d = len(Sigma)
    S_t, I_t = tensor(Sigma), tensor(np.eye(d))

    def f(th):
        E = I_t - th[k * d:].reshape(d, k) @ th[: k * d].reshape(k, d)
        return 0.5 * ((E @ S_t) * E).sum()

    return f


@pytest.mark.parametrize("d,k,seed", [(5, 2, 0), (6, 3, 1), (4, 1, 2)])
def test_points_are_critical_with_predicted_index(d, k, seed):
    Sigma, lam = _sigma(d, seed)
    f = _engine_loss(Sigma, k)
    cps = critical_points(Sigma, k)
    assert len(cps) == len(list(itertools.combinations(range(d), k)))
    for c in cps:
        th = np.concatenate([c["W1"].ravel(), c["W2"].ravel()])
        assert np.abs(grad(f, th)).max() < 1e-10
        assert abs(autoencoder_loss(c["W1"], c["W2"], Sigma) - c["loss"]) < 1e-10
        assert abs(float(f(tensor(th)).data) - c["loss"]) < 1e-10
        ev = np.linalg.eigvalsh(hessian(f, th))
        tol = 1e-6 * np.abs(ev).max()
        assert int((ev < -tol).sum()) == c["index"]
        assert int((np.abs(ev) <= tol).sum()) == k * k  # GL(k) reparametrisation
    assert cps[0]["index"] == 0 and all(c["index"] > 0 for c in cps[1:])
    assert cps[0]["loss"] == pytest.approx(0.5 * lam[k:].sum())


def test_negative_control_perturbed_point_not_critical():
    Sigma, _ = _sigma(5)
    f = _engine_loss(Sigma, 2)
    c = critical_points(Sigma, 2)[3]
    th = np.concatenate([c["W1"].ravel(), c["W2"].ravel()])
    th = th + 1e-3 * np.random.default_rng(0).standard_normal(th.shape)
    assert np.abs(grad(f, th)).max() > 1e-5


def test_global_minimum_is_pca_projection(oracle):
    dec = oracle("sklearn.decomposition")
    rng = np.random.default_rng(3)
    X = rng.standard_normal((400, 6)) @ rng.standard_normal((6, 6))
    X = X - X.mean(0)
    Sigma = X.T @ X / len(X)
    best = critical_points(Sigma, 2)[0]
    comps = dec.PCA(n_components=2).fit(X).components_
    assert np.abs(best["W2"] @ best["W1"] - comps.T @ comps).max() < 1e-8


def test_bad_input():
    with pytest.raises(ValueError, match="square"):
        critical_points(np.ones((3, 2)), 1)
    with pytest.raises(ValueError, match="symmetric"):
        critical_points(np.array([[1.0, 2.0], [0.0, 1.0]]), 1)
    with pytest.raises(ValueError, match="k"):
        critical_points(np.eye(3), 3)
