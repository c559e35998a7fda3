"""Categorical HMM: parity with hmmlearn's CategoricalHMM (log-likelihood, Viterbi, posteriors),
brute-force enumeration of all state paths, Baum-Welch monotonicity and recovery, counting MLE."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy.special import logsumexp

from dlproof.models.hmm import CategoricalHMM


def random_hmm(rng, K=3, M=5):
    return CategoricalHMM(K, M, rng=rng)


def hmmlearn_copy(oracle, m: CategoricalHMM):
    hl = oracle("hmmlearn.hmm").CategoricalHMM(n_components=m.n_states, n_features=m.n_symbols,
                                               init_params="", params="")
    hl.startprob_, hl.transmat_, hl.emissionprob_ = m.startprob, m.transmat, m.emissionprob
    return hl


def test_loglik_viterbi_posteriors_match_hmmlearn(oracle):
    rng = np.random.default_rng(0)
    m = random_hmm(rng, 4, 6)
    hl = hmmlearn_copy(oracle, m)
    x, _ = m.sample(5, 40, rng)
    ll, post, (paths, vlp) = m.score(x), m.posteriors(x), m.viterbi(x)
    for n in range(5):                      # hmmlearn scores one (T, 1) column at a time
        col = x[n][:, None]
        assert ll[n] == pytest.approx(hl.score(col), abs=1e-9)
        assert np.allclose(post[n], hl.predict_proba(col), atol=1e-10)
        hl_lp, hl_path = hl.decode(col, algorithm="viterbi")
        assert np.array_equal(paths[n], hl_path)
        assert vlp[n] == pytest.approx(hl_lp, abs=1e-9)


def test_forward_and_viterbi_against_enumeration():
    rng = np.random.default_rng(1)
    m = random_hmm(rng, 3, 4)
    x = rng.integers(0, 4, 6)
    paths = np.array(list(itertools.product(range(3), repeat=6)))         # all 3^6 paths
    joint = m.log_joint(np.broadcast_to(x, paths.shape), paths)
    assert m.score(x) == pytest.approx(logsumexp(joint), abs=1e-12)
    path, lp = m.viterbi(x)
    assert np.array_equal(path, paths[joint.argmax()])
    assert lp == pytest.approx(joint.max(), abs=1e-12)
    # gamma_t(k) = sum of p(y | x) over the paths with y_t = k
    w = np.exp(joint - logsumexp(joint))
    gamma = np.stack([np.bincount(paths[:, t], weights=w, minlength=3) for t in range(6)])
    assert np.allclose(m.posteriors(x), gamma, atol=1e-12)
    # a wrong recursion (max instead of logsumexp) must fail the same check: negative control
    assert abs(lp - logsumexp(joint)) > 1e-3


def test_backward_consistency_and_long_sequences_do_not_underflow():
    rng = np.random.default_rng(2)
    m = random_hmm(rng, 3, 5)
    x, _ = m.sample(2, 3000, rng)           # p(x) ~ exp(-4000): a probability-space forward underflows
    la, ll = m.forward(x)
    lb = m.backward(x)
    # log p(x) = logsumexp_k(alpha_t + beta_t) at every t
    assert np.allclose(logsumexp(la + lb, axis=2), ll[:, None], atol=1e-8)
    assert np.all(np.isfinite(ll)) and np.all(ll < -1000)
    assert np.allclose(m.posteriors(x).sum(axis=2), 1.0)


def test_baum_welch_monotone_and_improves_heldout(oracle):
    rng = np.random.default_rng(3)
    true = CategoricalHMM(2, 3, [0.6, 0.4], [[0.9, 0.1], [0.2, 0.8]], [[0.7, 0.2, 0.1], [0.1, 0.2, 0.7]])
    x, _ = true.sample(40, 60, rng)
    m = random_hmm(np.random.default_rng(10), 2, 3)
    hist = m.baum_welch(x, n_iter=60)
    d = np.diff(hist)
    assert d.min() > -1e-8 * abs(hist[0]), f"EM decreased the log-likelihood by {d.min()}"
    assert hist[-1] - hist[0] > 10
    # started at the true parameters, EM can only climb above their likelihood (the MLE beats the truth)
    m_true = CategoricalHMM(2, 3, true.startprob, true.transmat, true.emissionprob)
    h_true = m_true.baum_welch(x, n_iter=30)
    assert m_true.score(x).sum() >= true.score(x).sum() and np.diff(h_true).min() > -1e-8
    # hmmlearn's EM from the same start reaches the same log-likelihood
    start = random_hmm(np.random.default_rng(10), 2, 3)
    hl = oracle("hmmlearn.hmm").CategoricalHMM(n_components=2, n_features=3, init_params="",
                                               n_iter=60, tol=0.0)
    hl.startprob_, hl.transmat_, hl.emissionprob_ = start.startprob, start.transmat, start.emissionprob
    hl.fit(x.reshape(-1, 1), lengths=[60] * 40)
    assert m.score(x).sum() == pytest.approx(hl.score(x.reshape(-1, 1), lengths=[60] * 40), abs=1e-4)


def test_fit_supervised_counts():
    x = np.array([[0, 1, 1, 2], [2, 2, 0, 1]])
    y = np.array([[0, 0, 1, 1], [1, 1, 0, 0]])
    m = CategoricalHMM.fit_supervised(x, y, 2, 3, smoothing=0.0)
    assert np.allclose(m.startprob, [0.5, 0.5])
    assert np.allclose(m.transmat, [[2 / 3, 1 / 3], [1 / 3, 2 / 3]])
    assert np.allclose(m.emissionprob, [[0.5, 0.5, 0.0], [0.0, 0.25, 0.75]])
    s = CategoricalHMM.fit_supervised(x, y, 2, 3, smoothing=1.0)
    assert np.allclose(s.emissionprob[0], [3 / 7, 3 / 7, 1 / 7])


def test_bad_input_errors():
    m = random_hmm(np.random.default_rng(0), 2, 3)
    with pytest.raises(ValueError, match=r"\[0, 3\)"):
        m.score(np.array([0, 3]))
    with pytest.raises(ValueError, match="integer"):
        m.score(np.array([0.0, 1.0]))
    with pytest.raises(ValueError, match="transmat"):
        CategoricalHMM(2, 3, [0.5, 0.5], [[0.5, 0.6], [0.5, 0.5]], [[1, 0, 0], [0, 1, 0]])
    with pytest.raises(ValueError, match=r"startprob \(2,\)"):
        CategoricalHMM(2, 3, [1.0], [[1, 0], [0, 1]], [[1, 0, 0], [0, 1, 0]])
