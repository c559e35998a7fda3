"""Linear-chain CRF: parity with pytorch-crf (log-likelihood and Viterbi, with masks), log Z and
marginals against brute-force enumeration, the forward-backward gradient against float64 central
finite differences with a random upstream weighting, and a negative control."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy.special import logsumexp

from dlproof.models.crf import FeatureCRF, LinearChainCRF


def random_crf(rng, K=4):
    return LinearChainCRF(K, rng.normal(size=K), rng.normal(size=K), rng.normal(size=(K, K)))


def ragged_mask(rng, N, T):
    lengths = rng.integers(1, T + 1, N)
    lengths[0] = T
    return np.arange(T)[None, :] < lengths[:, None]


def test_loglik_and_decode_match_torchcrf(oracle, torch):
    torchcrf = oracle("torchcrf")
    rng = np.random.default_rng(0)
    N, T, K = 6, 9, 5
    crf = random_crf(rng, K)
    E = rng.normal(size=(N, T, K)) * 2
    y = rng.integers(0, K, (N, T))
    mask = ragged_mask(rng, N, T)
    ref = torchcrf.CRF(K, batch_first=True).double()
    with torch.no_grad():
        ref.start_transitions.copy_(torch.tensor(crf.start))
        ref.end_transitions.copy_(torch.tensor(crf.end))
        ref.transitions.copy_(torch.tensor(crf.trans))
    Et, yt, mt = torch.tensor(E), torch.tensor(y), torch.tensor(mask)
    ll_ref = ref(Et, yt, mt, reduction="none").detach().numpy()
    assert np.allclose(crf.log_likelihood(E, y, mask), ll_ref, atol=1e-10)
    paths = crf.decode(E, mask)
    for n, p in enumerate(ref.decode(Et, mt)):
        assert list(paths[n][mask[n]]) == p
        assert np.all(paths[n][~mask[n]] == -1)
    # the gradient of the summed log-likelihood matches torch autograd too
    Et.requires_grad_(True)
    ref(Et, yt, mt, reduction="sum").backward()
    _, g = crf.nll_and_grad(E, y, mask)
    assert np.allclose(-g["emissions"], Et.grad.numpy(), atol=1e-10)
    assert np.allclose(-g["trans"], ref.transitions.grad.numpy(), atol=1e-10)
    assert np.allclose(-g["start"], ref.start_transitions.grad.numpy(), atol=1e-10)
    assert np.allclose(-g["end"], ref.end_transitions.grad.numpy(), atol=1e-10)


def test_log_partition_and_marginals_by_enumeration():
    rng = np.random.default_rng(1)
    K, T = 3, 5
    crf = random_crf(rng, K)
    E = rng.normal(size=(1, T, K))
    paths = np.array(list(itertools.product(range(K), repeat=T)))            # all K^T paths
    s = crf.score(np.broadcast_to(E, (len(paths), T, K)), paths)
    assert crf.log_partition(E)[0] == pytest.approx(logsumexp(s), abs=1e-12)
    unary, pair, _ = crf.marginals(E)
    w = np.exp(s - logsumexp(s))
    for t in range(T):
        assert np.allclose(unary[0, t], np.bincount(paths[:, t], weights=w, minlength=K), atol=1e-12)
    pt = np.zeros((K, K))
    np.add.at(pt, (paths[:, 1], paths[:, 2]), w)
    assert np.allclose(pair[0, 1], pt, atol=1e-12)
    assert np.array_equal(crf.decode(E)[0], paths[s.argmax()])
    # masked: a length-3 row gives the log Z of its 3-step prefix
    m = np.array([[True, True, True, False, False]])
    short = crf.log_partition(E[:, :3])[0]
    assert crf.log_partition(E, m)[0] == pytest.approx(short, abs=1e-12)


def _fd_check(fun, grads, params, rng, eps=1e-6):
    """max relative error of <upstream, grad> against central differences along a random direction."""
    errs = []
    for name, p in params.items():
        d = rng.normal(size=p.shape)
        orig = p.copy()
        p[...] = orig + eps * d
        fp = fun()
        p[...] = orig - eps * d
        fm = fun()
        p[...] = orig
        fd = (fp - fm) / (2 * eps)
        an = float(np.sum(grads[name] * d))
        errs.append(abs(fd - an) / max(1e-8, abs(fd) + abs(an)))
    return max(errs)


def test_gradient_finite_differences_and_negative_control():
    rng = np.random.default_rng(2)
    N, T, K = 4, 6, 3
    crf = random_crf(rng, K)
    E = rng.normal(size=(N, T, K))
    y = rng.integers(0, K, (N, T))
    mask = ragged_mask(rng, N, T)
    c = rng.normal(size=N)                       # random upstream weights on the per-sequence NLLs

    def loss():
        return float(np.sum(c * -crf.log_likelihood(E, y, mask)))

    def weighted_grads(grad_fn):
        """sum_n c_n grad NLL_n, one sequence at a time (emissions rows are per sequence)."""
        out = {"emissions": np.zeros_like(E), "start": 0.0, "end": 0.0, "trans": 0.0}
        for n in range(N):
            _, g = grad_fn(E[n:n + 1], y[n:n + 1], mask[n:n + 1])
            out["emissions"][n] = c[n] * g["emissions"][0]
            for k in ("start", "end", "trans"):
                out[k] = out[k] + c[n] * g[k]
        return out

    params = {"emissions": E, "start": crf.start, "end": crf.end, "trans": crf.trans}
    err = _fd_check(loss, weighted_grads(crf.nll_and_grad), params, rng)
    assert err < 1e-7, err

    # negative control: locally normalised "marginals" softmax(E) (what an MEMM-style per-step
    # normalisation would give) in place of the forward-backward ones must fail the same check
    def wrong(Ei, yi, mi):
        nll, g = crf.nll_and_grad(Ei, yi, mi)
        p = np.exp(Ei - logsumexp(Ei, axis=2, keepdims=True)) * mi[..., None]
        g = dict(g, emissions=p - np.eye(K)[yi] * mi[..., None])
        return nll, g

    bad = _fd_check(loss, weighted_grads(wrong), {"emissions": E}, rng)
    assert bad > 1e-2, bad


def test_feature_crf_objective_gradient_and_fit():
    rng = np.random.default_rng(3)
    N, T, F, K = 5, 7, 6, 3
    X = rng.normal(size=(N, T, F))
    y = rng.integers(0, K, (N, T))
    model = FeatureCRF(F, K)
    theta = rng.normal(size=model._pack().size) * 0.5
    _, g = model.objective(theta, X, y, l2=0.3)
    d = rng.normal(size=theta.size)
    eps = 1e-6
    fd = (model.objective(theta + eps * d, X, y, l2=0.3)[0]
          - model.objective(theta - eps * d, X, y, l2=0.3)[0]) / (2 * eps)
    assert abs(fd - g @ d) < 1e-7 * max(1.0, abs(fd))
    # a separable tagging problem (tag = argmax of the first K features) is learned exactly
    y2 = X[..., :K].argmax(-1)
    model2 = FeatureCRF(F, K)
    res = model2.fit(X, y2, l2=1e-3, max_iter=300)
    assert res.losses[-1] < res.losses[0]
    assert np.array_equal(model2.predict(X), y2)


def test_bad_input_errors():
    crf = LinearChainCRF(3)
    with pytest.raises(ValueError, match=r"\(N, T, 3\)"):
        crf.log_partition(np.zeros((2, 4, 2)))
    with pytest.raises(ValueError, match="prefix"):
        crf.log_partition(np.zeros((1, 3, 3)), np.array([[True, False, True]]))
    with pytest.raises(ValueError, match=r"\[0, 3\)"):
        crf.score(np.zeros((1, 2, 3)), np.array([[0, 3]]))
    with pytest.raises(ValueError, match="trans"):
        LinearChainCRF(3, trans=np.zeros((2, 2)))
