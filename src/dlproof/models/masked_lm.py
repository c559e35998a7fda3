r"""Masked language modelling in miniature: a generated language whose tokens are predictable
from their neighbours (with an exact Bayes posterior), BERT's corruption scheme, and a tiny
Transformer-encoder masked LM built from :mod:`dlproof.nn`.

The language (:class:`ChainLanguage`): V ordinary tokens, a fixed random permutation pi of them.
x_1 is uniform; then x_{t+1} = pi(x_t) with probability ``p_follow``, else a uniform token:

    T[u, v] = P(x_{t+1} = v | x_t = u) = p_follow [v = pi(u)] + (1 - p_follow) / V

Because the chain is Markov, the posterior of one token given all others depends only on its
two neighbours: P(x_t = v | rest) proportional to T[x_{t-1}, v] T[v, x_{t+1}] (a missing
neighbour at the ends contributes the uniform marginal, which is the stationary law here).

BERT's corruption (Devlin et al. 2019): select each position with probability ``select``
(0.15); a selected position becomes [MASK] with probability ``p_mask`` (0.8), a uniform random
ordinary token with probability ``p_random`` (0.1), and stays unchanged otherwise (0.1). The loss
is the cross-entropy of the original token at the selected positions only.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dlproof import nn
from dlproof.engine import no_grad
from dlproof.nn import functional as F
from dlproof.optim import Adam

__all__ = ["ChainLanguage", "Corruption", "corrupt", "TinyMLM", "train_mlm", "predict_proba"]

IGNORE = -100     # target of the positions that carry no loss (cross_entropy's ignore_index)


@dataclass
class ChainLanguage:
    """The permutation-chain language of the module docstring. ``vocab`` ordinary tokens
    0..V-1; id V is reserved for [MASK] (``mask_id``)."""

    vocab: int
    p_follow: float
    perm: np.ndarray

    @classmethod
    def make(cls, vocab: int, p_follow: float, rng: np.random.Generator) -> ChainLanguage:
        if vocab < 2 or not 0.0 <= p_follow <= 1.0:
            raise ValueError(f"ChainLanguage: need vocab >= 2 and 0 <= p_follow <= 1, "
                             f"got {vocab}, {p_follow}")
        return cls(vocab, float(p_follow), rng.permutation(vocab))

    @property
    def mask_id(self) -> int:
        return self.vocab

    def transition(self) -> np.ndarray:
        """T (V, V), T[u, v] = P(next = v | current = u)."""
        T = np.full((self.vocab, self.vocab), (1.0 - self.p_follow) / self.vocab)
        T[np.arange(self.vocab), self.perm] += self.p_follow
        return T

    def sample(self, n: int, length: int, rng: np.random.Generator) -> np.ndarray:
        """n sequences (n, length) of ordinary token ids; one vectorised step per position."""
        if n < 1 or length < 2:
            raise ValueError(f"ChainLanguage.sample: need n >= 1 and length >= 2, got {n}, {length}")
        x = np.empty((n, length), np.int64)
        x[:, 0] = rng.integers(self.vocab, size=n)
        for t in range(1, length):
            follow = rng.random(n) < self.p_follow
            x[:, t] = np.where(follow, self.perm[x[:, t - 1]], rng.integers(self.vocab, size=n))
        return x

    def posterior(self, x: np.ndarray, t: int) -> np.ndarray:
        """P(x_t = v | all other tokens) for each sequence: (n, V), from the two neighbours only."""
        n, L = x.shape
        T = self.transition()
        p = np.ones((n, self.vocab))
        if t > 0:
            p = p * T[x[:, t - 1]]                     # P(x_t = v | x_{t-1})
        if t < L - 1:
            p = p * T[:, x[:, t + 1]].T                # P(x_{t+1} | x_t = v)
        return p / p.sum(1, keepdims=True)


@dataclass
class Corruption:
    """BERT's input corruption of a batch (n, L): ``inputs`` the corrupted ids, ``targets`` the
    original id at selected positions and IGNORE elsewhere, ``kind`` 0 unselected, 1 [MASK],
    2 random token, 3 unchanged."""

    inputs: np.ndarray
    targets: np.ndarray
    kind: np.ndarray


def corrupt(x: np.ndarray, vocab: int, rng: np.random.Generator, *, select: float = 0.15,
            p_mask: float = 0.8, p_random: float = 0.1) -> Corruption:
    """Select each position with probability ``select``; of those, [MASK] (id ``vocab``) with
    probability p_mask, a uniform ordinary token with p_random, unchanged otherwise."""
    if not (0 < select <= 1 and min(p_mask, p_random) >= 0 and p_mask + p_random <= 1 + 1e-12):
        raise ValueError(f"corrupt: need 0 < select <= 1, p_mask, p_random >= 0 with sum <= 1, "
                         f"got {select}, {p_mask}, {p_random}")
    sel = rng.random(x.shape) < select
    u = rng.random(x.shape)
    kind = np.where(sel, np.where(u < p_mask, 1, np.where(u < p_mask + p_random, 2, 3)), 0)
    inputs = np.where(kind == 1, vocab, np.where(kind == 2, rng.integers(vocab, size=x.shape), x))
    return Corruption(inputs.astype(np.int64), np.where(sel, x, IGNORE).astype(np.int64), kind)


class TinyMLM(nn.Module):
    """A BERT-style encoder in miniature. tokens (N, L) ints in [0, vocab] (vocab = [MASK]) ->
    logits (N, L, vocab) over the ordinary tokens:

        h_0 = E[tokens] + P[0..L-1],  h_l = TransformerEncoderLayer_l(h_{l-1}),  logits = h_n W^T + b

    Post-norm layers, no dropout (the runs are short), learned absolute position embeddings."""

    def __init__(self, vocab: int, max_len: int, *, d_model: int = 32, nhead: int = 2, layers: int = 1,
                 dim_feedforward: int = 64, rng: np.random.Generator, dtype=np.float32):
        super().__init__()
        self.vocab, self.max_len = vocab, max_len
        self.tok = nn.Embedding(vocab + 1, d_model, generator=rng, dtype=dtype)
        self.pos = nn.Embedding(max_len, d_model, generator=rng, dtype=dtype)
        self.layers = nn.Sequential(*[
            nn.TransformerEncoderLayer(d_model, nhead, dim_feedforward, dropout=0.0, batch_first=True,
                                       generator=rng, dtype=dtype) for _ in range(layers)])
        self.head = nn.Linear(d_model, vocab, generator=rng, dtype=dtype)

    def forward(self, tokens):
        tokens = np.asarray(tokens)
        if tokens.ndim != 2 or tokens.shape[1] > self.max_len:
            raise ValueError(f"TinyMLM: tokens must be (N, L) with L <= {self.max_len}, got {tokens.shape}")
        h = self.tok(tokens) + self.pos(np.arange(tokens.shape[1]))
        return self.head(self.layers(h))


def train_mlm(model: TinyMLM, lang: ChainLanguage, *, steps: int, batch: int, length: int,
              rng: np.random.Generator, lr: float = 3e-3, select: float = 0.15, p_mask: float = 0.8,
              p_random: float = 0.1) -> list[float]:
    """Adam on the masked-LM loss, a fresh batch and fresh corruption every step (dynamic
    masking); returns the loss per step. Mean cross-entropy over the selected positions."""
    opt = Adam(list(model.parameters()), lr=lr)
    history = []
    for _ in range(steps):
        x = lang.sample(batch, length, rng)
        c = corrupt(x, lang.vocab, rng, select=select, p_mask=p_mask, p_random=p_random)
        if not (c.targets != IGNORE).any():
            continue
        logits = model(c.inputs)
        loss = F.cross_entropy(logits.reshape(-1, lang.vocab), c.targets.ravel(), ignore_index=IGNORE)
        opt.zero_grad()
        loss.backward()
        opt.step()
        history.append(float(loss.data))
    return history


def predict_proba(model: TinyMLM, tokens: np.ndarray) -> np.ndarray:
    """softmax(logits) (N, L, vocab) without building a graph."""
    with no_grad():
        z = model(tokens).data.astype(np.float64)
    z = z - z.max(-1, keepdims=True)
    p = np.exp(z)
    return p / p.sum(-1, keepdims=True)
