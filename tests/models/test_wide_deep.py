"""Wide & Deep: feature ids against explicit one-hot crosses, PyTorch float64 parity (logits and
every parameter gradient), the wide-only model against sklearn's logistic regression on the same
one-hot features, finite differences on the parameters with a negative control, clear errors."""

from __future__ import annotations

import numpy as np
import pytest

import dlproof.nn as nn
from dlproof.engine import Tensor, no_grad
from dlproof.models.wide_deep import WideAndDeep, wide_feature_ids, wide_vocab_size
from dlproof.optim import Adam

CARDS, CROSSES = [4, 3, 5], [(0, 1), (1, 2)]


def random_ids(rng, n):
    return np.stack([rng.integers(0, c, n) for c in CARDS], axis=1)


def one_hot_features(x):
    """Explicit 0/1 design matrix: every field's one-hot, then every cross's one-hot (AND)."""
    blocks = [np.eye(c)[x[:, f]] for f, c in enumerate(CARDS)]
    for a, b in CROSSES:
        outer = np.eye(CARDS[a])[x[:, a]][:, :, None] * np.eye(CARDS[b])[x[:, b]][:, None, :]
        blocks.append(outer.reshape(len(x), -1))
    return np.concatenate(blocks, axis=1)


def test_wide_ids_are_the_explicit_crossed_one_hots():
    x = random_ids(np.random.default_rng(0), 50)
    ids = wide_feature_ids(x, CARDS, CROSSES)
    assert wide_vocab_size(CARDS, CROSSES) == 12 + 12 + 15
    dense = np.zeros((50, wide_vocab_size(CARDS, CROSSES)))
    dense[np.arange(50)[:, None], ids] = 1.0
    assert np.array_equal(dense, one_hot_features(x))


def test_wide_logit_equals_linear_model_on_one_hots():
    rng = np.random.default_rng(1)
    m = WideAndDeep(CARDS, CROSSES, mode="wide", dtype=np.float64)
    m.wide.weight.data[...] = rng.standard_normal(m.wide.weight.shape)
    m.wide_bias.data[...] = 0.3
    x = random_ids(rng, 20)
    assert np.allclose(m(x).data, one_hot_features(x) @ m.wide.weight.data[:, 0] + 0.3, atol=1e-12)


def torch_twin(torch, m: WideAndDeep):
    tnn = torch.nn

    class Twin(tnn.Module):
        def __init__(self):
            super().__init__()
            self.wide = tnn.EmbeddingBag(m.wide.num_embeddings, 1, mode="sum")
            self.wide_bias = tnn.Parameter(torch.zeros(1))
            self.embeddings = tnn.ModuleList([tnn.Embedding(c, m.embeddings[0].embedding_dim) for c in CARDS])
            layers = []
            for layer in m.mlp:
                is_linear = isinstance(layer, nn.Linear)
                layers.append(tnn.Linear(layer.in_features, layer.out_features) if is_linear else tnn.ReLU())
            self.mlp = tnn.Sequential(*layers)

        def forward(self, x, ids):
            wide = self.wide(ids)[:, 0] + self.wide_bias
            h = torch.cat([e(x[:, f]) for f, e in enumerate(self.embeddings)], dim=1)
            return wide + self.mlp(h)[:, 0]

    return Twin()


def test_matches_torch_float64(torch):
    rng = np.random.default_rng(2)
    m = WideAndDeep(CARDS, CROSSES, embedding_dim=3, hidden=(6, 4), generator=0, dtype=np.float64)
    m.wide.weight.data[...] = rng.standard_normal(m.wide.weight.shape)
    t = torch_twin(torch, m)
    ours = list(m.parameters())
    theirs = list(t.parameters())
    assert [p.shape for p in ours] == [tuple(q.shape) for q in theirs]
    with torch.no_grad():
        for p, q in zip(ours, theirs):
            q.copy_(torch.from_numpy(p.data))
    x = random_ids(rng, 16)
    out = m(x)
    ref = t(torch.from_numpy(x), torch.from_numpy(wide_feature_ids(x, CARDS, CROSSES)))
    np.testing.assert_allclose(out.data, ref.detach().numpy(), rtol=1e-12, atol=1e-12)
    g = rng.standard_normal(16)
    out.backward(g)
    ref.backward(torch.from_numpy(g))
    for p, q in zip(ours, theirs):
        np.testing.assert_allclose(p.grad, q.grad.numpy(), rtol=1e-10, atol=1e-12)


def loss_and_grads(m, x, y):
    m.zero_grad()
    loss = nn.BCEWithLogitsLoss()(m(x), y)
    loss.backward()
    return float(loss.data), [p.grad.copy() for p in m.parameters()]


def test_parameter_gradients_match_finite_differences_and_a_wrong_one_fails():
    rng = np.random.default_rng(3)
    m = WideAndDeep(CARDS, CROSSES, embedding_dim=2, hidden=(5,), generator=1, dtype=np.float64)
    m.wide.weight.data[...] = 0.3 * rng.standard_normal(m.wide.weight.shape)
    x, y = random_ids(rng, 12), rng.integers(0, 2, 12).astype(np.float64)
    _, grads = loss_and_grads(m, x, y)
    params = list(m.parameters())
    eps, probes = 1e-6, []
    for k, p in enumerate(params):
        # every wide row (repeated ids are the interesting ones), random entries elsewhere
        idxs = [(r, 0) for r in range(p.data.shape[0])] if p is m.wide.weight else \
            list(map(tuple, rng.integers(0, p.data.shape, (6, p.data.ndim))))
        for idx in idxs:
            old = p.data[idx]
            p.data[idx] = old + eps
            up = float(nn.BCEWithLogitsLoss()(m(x), y).data)
            p.data[idx] = old - eps
            down = float(nn.BCEWithLogitsLoss()(m(x), y).data)
            p.data[idx] = old
            probes.append((k, idx, (up - down) / (2 * eps)))

    def worst(gs):
        return max(abs(fd - gs[k][idx]) for k, idx, fd in probes)

    assert worst(grads) < 1e-7
    # negative control, the classic embedding-backward mistake: writing the upstream gradient into
    # the active rows (grad[ids] = u) instead of scatter-adding it (np.add.at), so a feature active
    # in several rows of the batch gets the gradient of only one of them; the same check must fail.
    with no_grad():
        u = (1 / (1 + np.exp(-m(x).data)) - y) / len(x)        # d mean-BCE / d logit
    wrong = [g.copy() for g in grads]
    k_wide = next(k for k, p in enumerate(params) if p is m.wide.weight)
    wrong[k_wide][...] = 0.0
    ids = wide_feature_ids(x, CARDS, CROSSES)
    wrong[k_wide][ids.ravel(), 0] = np.repeat(u, ids.shape[1])
    assert worst(wrong) > 1e-4


def test_wide_only_reaches_sklearn_logistic_regression(oracle):
    lm = oracle("sklearn.linear_model")
    rng = np.random.default_rng(4)
    x = random_ids(rng, 400)
    w_true = rng.standard_normal(wide_vocab_size(CARDS, CROSSES))
    Phi = one_hot_features(x)
    y = (rng.random(400) < 1 / (1 + np.exp(-(Phi @ w_true)))).astype(np.float64)
    C = 10.0  # sklearn minimises 0.5 ||w||^2 + C sum_i loss_i
    sk = lm.LogisticRegression(C=C, tol=1e-10, max_iter=10_000).fit(Phi, y)
    p_sk = sk.predict_proba(Phi)[:, 1]
    m = WideAndDeep(CARDS, CROSSES, mode="wide", dtype=np.float64)
    opt = Adam(m.parameters(), lr=0.05)
    for _ in range(1500):   # full batch, same objective: mean loss + ||w||^2 / (2 C N), bias unpenalised
        opt.zero_grad()
        loss = nn.BCEWithLogitsLoss()(m(x), y) + (m.wide.weight * m.wide.weight).sum() / (2 * C * len(x))
        loss.backward()
        opt.step()
    p_ours = 1 / (1 + np.exp(-m(x).data))
    assert np.abs(p_ours - p_sk).max() < 2e-3


def test_bad_input_names_the_problem():
    m = WideAndDeep(CARDS, CROSSES, generator=0)
    with pytest.raises(ValueError, match=r"shape \(N, 3\)"):
        m(np.zeros((4, 2), np.int64))
    with pytest.raises(ValueError, match="out of range"):
        m(np.array([[4, 0, 0]]))
    with pytest.raises(ValueError, match="mode"):
        WideAndDeep(CARDS, CROSSES, mode="both")
    with pytest.raises(ValueError, match="cross"):
        WideAndDeep(CARDS, [(0, 0)])
    assert isinstance(m(Tensor(np.zeros((2, 3), np.int64))), Tensor)
