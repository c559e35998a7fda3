"""Masked LM pieces: the chain language (sampling and its exact posterior against brute-force
enumeration), BERT's corruption proportions, and TinyMLM against a PyTorch float64 copy."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from dlproof.models.masked_lm import IGNORE, ChainLanguage, TinyMLM, corrupt, predict_proba, train_mlm
from dlproof.nn import functional as F


def test_sampled_transitions_follow_the_chain():
    rng = np.random.default_rng(0)
    lang = ChainLanguage.make(5, 0.7, rng)
    x = lang.sample(20000, 6, rng)
    C = np.zeros((5, 5))
    np.add.at(C, (x[:, :-1].ravel(), x[:, 1:].ravel()), 1.0)
    assert np.abs(C / C.sum(1, keepdims=True) - lang.transition()).max() < 0.02
    assert np.allclose(lang.transition().sum(1), 1.0)


def test_posterior_equals_brute_force_enumeration_of_the_joint():
    rng = np.random.default_rng(1)
    lang = ChainLanguage.make(4, 0.6, rng)
    T, L = lang.transition(), 4
    seqs = np.array(list(itertools.product(range(4), repeat=L)))
    joint = np.full(len(seqs), 1.0 / 4)                   # uniform x_1
    for t in range(1, L):
        joint *= T[seqs[:, t - 1], seqs[:, t]]
    assert abs(joint.sum() - 1) < 1e-12
    for t in range(L):
        got = lang.posterior(seqs, t)
        # P(x_t = v | rest): the joint with x_t replaced by v, normalised over v
        idx = {tuple(s): i for i, s in enumerate(seqs)}
        want = np.empty((len(seqs), 4))
        for v in range(4):
            alt = seqs.copy()
            alt[:, t] = v
            want[:, v] = joint[[idx[tuple(s)] for s in alt]]
        want /= want.sum(1, keepdims=True)
        assert np.abs(got - want).max() < 1e-12
    # negative control: using only the left neighbour is not the posterior
    left_only = T[seqs[:, 0]]
    assert np.abs(left_only - lang.posterior(seqs, 1)).max() > 0.05


def test_corruption_proportions_and_targets():
    rng = np.random.default_rng(2)
    x = rng.integers(10, size=(4000, 50))
    c = corrupt(x, 10, rng)
    sel = c.kind > 0
    assert abs(sel.mean() - 0.15) < 0.005
    frac = np.bincount(c.kind[sel], minlength=4)[1:] / sel.sum()
    assert np.abs(frac - [0.8, 0.1, 0.1]).max() < 0.01
    assert np.all(c.inputs[c.kind == 1] == 10)                      # [MASK] id = vocab
    assert np.all(c.inputs[c.kind == 3] == x[c.kind == 3])          # unchanged
    assert np.all(c.inputs[c.kind == 0] == x[c.kind == 0])          # unselected are untouched
    rnd = c.inputs[c.kind == 2]
    assert rnd.max() < 10 and 0.8 < np.mean(rnd != x[c.kind == 2]) < 0.95   # uniform: 1/V stay equal
    assert np.all(c.targets[sel] == x[sel]) and np.all(c.targets[~sel] == IGNORE)
    only_mask = corrupt(x, 10, rng, p_mask=1.0, p_random=0.0)
    assert set(np.unique(only_mask.kind)) <= {0, 1}


def test_bad_inputs_are_named():
    rng = np.random.default_rng(3)
    with pytest.raises(ValueError, match="corrupt"):
        corrupt(np.zeros((2, 3), int), 5, rng, p_mask=0.9, p_random=0.2)
    with pytest.raises(ValueError, match="ChainLanguage"):
        ChainLanguage.make(1, 0.5, rng)
    m = TinyMLM(5, 4, rng=rng)
    with pytest.raises(ValueError, match="TinyMLM"):
        m(np.zeros((2, 6), int))


def test_tiny_mlm_matches_pytorch_forward_and_gradients(torch):
    tnn = torch.nn
    V, L, d = 6, 5, 8

    class Ref(tnn.Module):
        def __init__(self):
            super().__init__()
            self.tok, self.pos = tnn.Embedding(V + 1, d), tnn.Embedding(L, d)
            self.layers = tnn.Sequential(
                *[tnn.TransformerEncoderLayer(d, 2, 16, dropout=0.0, batch_first=True) for _ in range(2)])
            self.head = tnn.Linear(d, V)

        def forward(self, x):
            return self.head(self.layers(self.tok(x) + self.pos(torch.arange(x.shape[1]))))

    torch.manual_seed(0)
    ref = Ref()
    ours = TinyMLM(V, L, d_model=d, nhead=2, layers=2, dim_feedforward=16, rng=np.random.default_rng(0))
    ours.double()
    ours.load_state_dict({k: v.detach().numpy() for k, v in ref.state_dict().items()})
    rng = np.random.default_rng(4)
    x = rng.integers(V + 1, size=(3, L))
    y = np.where(rng.random((3, L)) < 0.5, rng.integers(V, size=(3, L)), IGNORE)
    y[0, 0] = 1
    out = ours(x)
    loss = F.cross_entropy(out.reshape(-1, V), y.ravel(), ignore_index=IGNORE)
    loss.backward()
    r_out = ref(torch.tensor(x))
    r_loss = tnn.functional.cross_entropy(r_out.reshape(-1, V), torch.tensor(y.ravel()), ignore_index=IGNORE)
    r_loss.backward()
    assert np.abs(out.data - r_out.detach().numpy()).max() < 1e-10
    assert abs(float(loss.data) - r_loss.item()) < 1e-10
    ref_grads = dict(ref.named_parameters())
    for name, p in ours.named_parameters():
        assert np.abs(p.grad - ref_grads[name].grad.numpy()).max() < 1e-9, name
    # negative control: a different position embedding changes the output
    with torch.no_grad():
        ref.pos.weight[1] += 0.1
    assert np.abs(out.data - ref(torch.tensor(x)).detach().numpy()).max() > 1e-4


def test_training_reaches_the_bayes_masked_accuracy():
    rng = np.random.default_rng(5)
    lang = ChainLanguage.make(8, 0.9, rng)
    m = TinyMLM(8, 6, rng=np.random.default_rng(6))
    hist = train_mlm(m, lang, steps=150, batch=64, length=6, rng=np.random.default_rng(7), lr=1e-2,
                     select=0.3)
    assert np.mean(hist[-10:]) < 0.6 * np.mean(hist[:10])
    x = lang.sample(500, 6, rng)
    xm = x.copy()
    xm[:, 2] = lang.mask_id
    acc = np.mean(predict_proba(m, xm)[:, 2].argmax(-1) == x[:, 2])
    bayes = np.mean(lang.posterior(x, 2).argmax(-1) == x[:, 2])
    assert acc > bayes - 0.05
