"""RBM: parity with sklearn.neural_network.BernoulliRBM, brute-force enumeration, exact gradient
against finite differences of the exact log-likelihood, CD bias, AIS against exact log Z."""

from __future__ import annotations

import numpy as np
import pytest

from dlproof.models.rbm import RBM, all_binary_states, sigmoid


def tiny(rng, V=6, H=4, scale=1.0):
    return RBM(V, H, W=rng.normal(0, scale, (H, V)), b=rng.normal(0, 0.5, V), c=rng.normal(0, 0.5, H))


def sk_rbm(oracle, m: RBM):
    sk = oracle("sklearn.neural_network").BernoulliRBM(n_components=m.n_hidden)
    sk.components_ = m.W.copy()
    sk.intercept_hidden_ = m.c.copy()
    sk.intercept_visible_ = m.b.copy()
    return sk


def test_free_energy_and_conditionals_match_sklearn(oracle):
    rng = np.random.default_rng(0)
    m = tiny(rng, 9, 5)
    v = (rng.random((30, 9)) < 0.5).astype(float)
    sk = sk_rbm(oracle, m)
    assert np.allclose(m.free_energy(v), sk._free_energy(v), atol=1e-12)
    assert np.allclose(m.p_h_given_v(v), sk.transform(v), atol=1e-12)
    # p(v|h): sklearn draws u ~ U(0,1) and returns u < p; the same uniforms reproduce it from ours
    h = (rng.random((30, 5)) < 0.5).astype(float)
    u = np.random.RandomState(3).uniform(size=(30, 9))
    assert np.array_equal(sk._sample_visibles(h, np.random.RandomState(3)), u < m.p_v_given_h(h))


def test_free_energy_is_minus_log_sum_over_h():
    rng = np.random.default_rng(1)
    m = tiny(rng)
    v = all_binary_states(6)
    Hs = all_binary_states(4)
    E = np.stack([m.energy(v, np.repeat(h[None], len(v), 0)) for h in Hs])     # (2^H, 2^V)
    brute = -np.log(np.exp(-E).sum(axis=0))
    assert np.allclose(m.free_energy(v), brute, atol=1e-12)
    log_z_brute = np.log(np.exp(-E).sum())
    assert abs(m.log_partition_exact() - log_z_brute) < 1e-12


def test_hidden_conditional_factorises():
    rng = np.random.default_rng(2)
    m = tiny(rng)
    v = (rng.random((5, 6)) < 0.5).astype(float)
    Hs = all_binary_states(4)
    for row in v:                        # 5 rows, a test loop
        e = m.energy(np.repeat(row[None], len(Hs), 0), Hs)
        joint = np.exp(-e - np.logaddexp.reduce(-e))                    # p(h | v) by enumeration
        p = m.p_h_given_v(row[None])[0]
        product = np.prod(np.where(Hs == 1, p, 1 - p), axis=1)          # prod_j p(h_j | v)
        assert np.abs(joint - product).max() < 1e-12


def exact_loglik(m, X, W, b, c):
    return RBM(m.n_visible, m.n_hidden, W=W, b=b, c=c).log_likelihood(X)


def test_exact_gradient_matches_finite_differences():
    rng = np.random.default_rng(3)
    m = tiny(rng, 5, 3)
    X = (rng.random((20, 5)) < 0.4).astype(float)
    dW, db, dc = m.exact_gradient(X)
    eps = 1e-6
    for name, g in (("W", dW), ("b", db), ("c", dc)):
        theta = getattr(m, name)
        fd = np.zeros_like(theta)
        for idx in np.ndindex(theta.shape):  # one perturbation per parameter of a tiny model
            params = {"W": m.W.copy(), "b": m.b.copy(), "c": m.c.copy()}
            params[name][idx] += eps
            up = exact_loglik(m, X, **params)
            params[name][idx] -= 2 * eps
            fd[idx] = (up - exact_loglik(m, X, **params)) / (2 * eps)
        assert np.abs(fd - g).max() < 1e-8, name
        # negative control: dropping the negative phase is not the gradient
        if name == "W":
            eh = m.p_h_given_v(X)
            assert np.abs(eh.T @ X / len(X) - fd).max() > 1e-2


def test_cd_bias_shrinks_with_k_and_pcd_matches_long_chain():
    rng = np.random.default_rng(4)
    m = tiny(rng, 6, 4, scale=1.5)
    X = (rng.random((8, 6)) < 0.5).astype(float)
    exact = m.exact_gradient(X)[0]
    Xrep = np.repeat(X, 4000, axis=0)    # many CD chains per data row: average out the noise
    err = {}
    for k in (1, 50):
        g = m.cd_gradient(Xrep, k, rng)[0][0]
        err[k] = np.abs(g - exact).max()
    assert err[1] > 3 * err[50]
    assert err[50] < 0.02


def test_ais_log_z_close_to_exact():
    rng = np.random.default_rng(5)
    m = tiny(rng, 12, 6, scale=0.7)
    exact = m.log_partition_exact()
    est, lw = m.log_partition_ais(300, 500, rng, base_visible_bias=m.b)
    assert abs(est - exact) < 0.05
    est1, lw1 = m.log_partition_ais(1, 500, rng, base_visible_bias=m.b)
    assert lw1.std() > 5 * lw.std()


def test_pcd_training_raises_exact_log_likelihood():
    rng = np.random.default_rng(6)
    proto = (rng.random((3, 10)) < 0.5).astype(float)
    X = np.abs(proto[rng.integers(0, 3, 300)] - (rng.random((300, 10)) < 0.05))
    m = RBM(10, 6, rng=rng)
    before = m.log_likelihood(X)
    m.fit(X, epochs=30, lr=0.1, batch_size=20, k=1, rng=rng, persistent=True)
    assert m.log_likelihood(X) > before + 2.0


def test_sigmoid_stable_and_shape_errors():
    assert np.isfinite(sigmoid(np.array([-1000.0, 1000.0]))).all()
    m = RBM(4, 3)
    with pytest.raises(ValueError, match=r"\(N, 4\)"):
        m.free_energy(np.zeros((2, 5)))
    with pytest.raises(ValueError, match="W"):
        RBM(4, 3, W=np.zeros((4, 3)))
