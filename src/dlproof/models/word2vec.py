r"""word2vec (skip-gram, CBOW; negative sampling or full softmax) and GloVe, in NumPy with
hand-derived gradients, plus a generated corpus whose words have a known latent structure.

Notation: V words, d dimensions, ``W_in`` (V, d) the "input" (centre) vectors v_w, ``W_out``
(V, d) the "output" (context) vectors u_c, sigma the logistic function.

Skip-gram with negative sampling (SGNS, Mikolov et al. 2013b), one (centre w, context c) pair
with K noise words n_1..n_K drawn from P_n(c) proportional to count(c)^0.75:

    l(w, c) = -log sigma(u_c . v_w) - sum_k log sigma(-u_{n_k} . v_w)

CBOW with negative sampling: the same loss with v_w replaced by the mean h of the context
words' input vectors, predicting the centre word. Full-softmax skip-gram:

    l(w, c) = -u_c . v_w + log sum_{c'} exp(u_{c'} . v_w)          (O(V d) per pair, not O(K d))

Levy & Goldberg (2014): with enough dimensions the SGNS optimum per cell is
u_c . v_w = PMI_n(w, c) - log K, where PMI_n(w, c) = log P(w, c) / (P(w) P_n(c)).

GloVe (Pennington et al. 2014), weighted least squares on the co-occurrence counts X (V, V):

    J = sum_{ij: X_ij > 0} f(X_ij) (w_i . wt_j + b_i + bt_j - log X_ij)^2,
    f(x) = min(1, (x / x_max)^alpha)

Every loss here is vectorised over the batch of pairs; gradients are scattered back to the
embedding rows with :func:`scatter_rows` (repeated words in a batch accumulate, as they must).
"""

from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace

import numpy as np

from dlproof.optim import Adam

__all__ = [
    "AttributeCorpus",
    "make_attribute_corpus",
    "skipgram_pairs",
    "cbow_examples",
    "cooccurrence",
    "noise_distribution",
    "sample_negatives",
    "scatter_rows",
    "sgns_loss_and_grads",
    "sgns_sgd_step",
    "softmax_sgd_step",
    "cbow_loss_and_grads",
    "softmax_skipgram_loss_and_grads",
    "glove_weight",
    "glove_loss_and_grads",
    "shifted_pmi",
    "Word2Vec",
    "GloVe",
    "analogy_accuracy",
    "similarity_spearman",
]


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return np.exp(-np.logaddexp(0.0, -x))


def _log_sigmoid(x: np.ndarray) -> np.ndarray:
    return -np.logaddexp(0.0, -x)


def scatter_rows(idx: np.ndarray, rows: np.ndarray, n: int) -> np.ndarray:
    """G (n, d) with G[w] = sum of rows[t] over t with idx[t] = w (a dense ``np.add.at``, done
    with one bincount over flat indices idx * d + column, several times faster)."""
    idx = np.asarray(idx).ravel()
    rows = rows.reshape(len(idx), -1)
    d = rows.shape[1]
    flat = (idx[:, None] * d + np.arange(d)[None, :]).ravel()
    return np.bincount(flat, weights=rows.ravel(), minlength=n * d).reshape(n, d)


# ---------------------------------------------------------------------------------- the corpus
@dataclass
class AttributeCorpus:
    """A generated corpus. ``sentences`` (N, L) int word ids; ``vocab`` the words; ``entities``
    (A, B) the id of the entity word with attributes (a, b). Entity (a, b) appears at the centre
    of its sentence; every other position is an "a-word" of its first attribute (probability
    p_a), a "b-word" of its second (p_b) or a filler word. So the true structure is known: the
    analogy e(a1,b1) - e(a1,b2) + e(a2,b2) = e(a2,b1) holds for every a1 != a2, b1 != b2, and
    two entities are as similar as the number of attributes they share (0, 1 or 2)."""

    sentences: np.ndarray
    vocab: list[str]
    entities: np.ndarray

    @property
    def vocab_size(self) -> int:
        return len(self.vocab)

    def counts(self) -> np.ndarray:
        """Word frequencies (V,)."""
        return np.bincount(self.sentences.ravel(), minlength=self.vocab_size)

    def analogies(self) -> np.ndarray:
        """All (n, 4) quadruples (x, y, z, answer) with x - y + z = answer:
        x = e(a1, b1), y = e(a1, b2), z = e(a2, b2), answer = e(a2, b1), a1 != a2, b1 != b2."""
        A, B = self.entities.shape
        a1, a2, b1, b2 = np.meshgrid(np.arange(A), np.arange(A), np.arange(B), np.arange(B), indexing="ij")
        keep = (a1 != a2) & (b1 != b2)
        a1, a2, b1, b2 = a1[keep], a2[keep], b1[keep], b2[keep]
        E = self.entities
        return np.stack([E[a1, b1], E[a1, b2], E[a2, b2], E[a2, b1]], axis=1)

    def shared_attributes(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """For every unordered pair of entity words: (ids_i, ids_j, number of shared attributes)."""
        A, B = self.entities.shape
        a, b = np.divmod(np.arange(A * B), B)
        i, j = np.triu_indices(A * B, k=1)
        shared = (a[i] == a[j]).astype(int) + (b[i] == b[j]).astype(int)
        flat = self.entities.ravel()
        return flat[i], flat[j], shared


def make_attribute_corpus(n_sentences: int, rng: np.random.Generator, *, n_a: int = 5, n_b: int = 5,
                          words_per_value: int = 4, n_filler: int = 10, length: int = 7,
                          p_a: float = 0.3, p_b: float = 0.3, p_leak: float = 0.2) -> AttributeCorpus:
    """Sample ``n_sentences`` sentences of ``length`` tokens (see :class:`AttributeCorpus`).
    Vocabulary: n_a * n_b entities, (n_a + n_b) * words_per_value attribute words, n_filler fillers.
    A non-centre position is an a-word of the entity's a (p_a), a b-word of its b (p_b), any
    attribute word at random (p_leak: every word pair can co-occur, as in real text) or a filler."""
    if n_sentences < 1 or length < 3 or length % 2 == 0:
        raise ValueError(f"make_attribute_corpus: need n_sentences >= 1 and an odd length >= 3, "
                         f"got {n_sentences}, {length}")
    if not (min(p_a, p_b, p_leak) >= 0 and p_a + p_b + p_leak <= 1):
        raise ValueError(f"make_attribute_corpus: p_a={p_a}, p_b={p_b}, p_leak={p_leak} "
                         "must be >= 0 with sum <= 1")
    n_ent = n_a * n_b
    a_base, b_base = n_ent, n_ent + n_a * words_per_value
    f_base = b_base + n_b * words_per_value
    vocab = ([f"e{a}_{b}" for a in range(n_a) for b in range(n_b)]
             + [f"A{a}_{j}" for a in range(n_a) for j in range(words_per_value)]
             + [f"B{b}_{j}" for b in range(n_b) for j in range(words_per_value)]
             + [f"f{j}" for j in range(n_filler)])
    ent = rng.integers(n_ent, size=n_sentences)
    a, b = np.divmod(ent, n_b)
    shape = (n_sentences, length)
    kind = rng.choice(4, size=shape, p=[p_a, p_b, p_leak, 1 - p_a - p_b - p_leak])
    j = rng.integers(words_per_value, size=shape)
    tok = np.select([kind == 0, kind == 1, kind == 2],
                    [a_base + a[:, None] * words_per_value + j, b_base + b[:, None] * words_per_value + j,
                     a_base + rng.integers(f_base - a_base, size=shape)],
                    f_base + rng.integers(n_filler, size=shape))
    tok[:, length // 2] = ent
    return AttributeCorpus(tok.astype(np.int64), vocab, np.arange(n_ent).reshape(n_a, n_b))


# ------------------------------------------------------------------------- pairs and counts
def skipgram_pairs(sentences: np.ndarray, window: int) -> tuple[np.ndarray, np.ndarray]:
    """All (centre, context) pairs at distance 1..window inside each sentence (N, L):
    two int arrays (P,). A loop over the offsets only."""
    if sentences.ndim != 2 or window < 1:
        raise ValueError(f"skipgram_pairs: need sentences (N, L) and window >= 1, "
                         f"got {sentences.shape}, {window}")
    cs, os_ = [], []
    for off in range(1, min(window, sentences.shape[1] - 1) + 1):
        left, right = sentences[:, :-off].ravel(), sentences[:, off:].ravel()
        cs += [left, right]
        os_ += [right, left]
    return np.concatenate(cs), np.concatenate(os_)


def cbow_examples(sentences: np.ndarray, window: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """CBOW examples: centres (M,), contexts (M, 2 window) word ids (0 where padded) and
    mask (M, 2 window) of 1.0 for real context words (sentence edges have fewer)."""
    N, L = sentences.shape
    offs = np.array([o for o in range(-window, window + 1) if o != 0])
    pos = np.arange(L)[:, None] + offs[None, :]                       # (L, 2w)
    valid = (pos >= 0) & (pos < L)
    ctx = sentences[:, np.clip(pos, 0, L - 1)]                          # (N, L, 2w)
    mask = np.broadcast_to(valid, ctx.shape).astype(float)
    return sentences.ravel(), ctx.reshape(N * L, -1) * (mask.reshape(N * L, -1) > 0), mask.reshape(N * L, -1)


def cooccurrence(sentences: np.ndarray, vocab_size: int, window: int, *, harmonic: bool = True) -> np.ndarray:
    """Symmetric co-occurrence counts X (V, V): X_ij += 1/distance (GloVe's weighting) or += 1."""
    X = np.zeros((vocab_size, vocab_size))
    for off in range(1, min(window, sentences.shape[1] - 1) + 1):
        w = 1.0 / off if harmonic else 1.0
        left, right = sentences[:, :-off].ravel(), sentences[:, off:].ravel()
        np.add.at(X, (left, right), w)
        np.add.at(X, (right, left), w)
    return X


def noise_distribution(counts: np.ndarray, power: float = 0.75) -> np.ndarray:
    """P_n(c) = count(c)^power / sum count^power (word2vec's smoothed unigram), shape (V,)."""
    p = np.asarray(counts, float) ** power
    return p / p.sum()


def sample_negatives(noise: np.ndarray, shape: tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
    """Word ids drawn i.i.d. from ``noise`` (inverse-CDF lookup, vectorised)."""
    cdf = np.cumsum(noise)
    return np.minimum(np.searchsorted(cdf, rng.random(shape) * cdf[-1], side="right"), len(noise) - 1)


# ------------------------------------------------------------------------------ the losses
def sgns_loss_and_grads(W_in: np.ndarray, W_out: np.ndarray, centers: np.ndarray, contexts: np.ndarray,
                        negatives: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
    """Mean SGNS loss over B pairs and its gradients (dW_in, dW_out), both (V, d).
    centers, contexts (B,), negatives (B, K)."""
    if negatives.ndim != 2 or negatives.shape[0] != len(centers) or len(contexts) != len(centers):
        raise ValueError(f"sgns: centers {centers.shape}, contexts {contexts.shape} and negatives "
                         f"{negatives.shape} must be (B,), (B,), (B, K)")
    B = len(centers)
    v = W_in[centers]                                   # (B, d)
    u_pos = W_out[contexts]                             # (B, d)
    u_neg = W_out[negatives]                            # (B, K, d)
    s_pos = np.einsum("bd,bd->b", u_pos, v)
    s_neg = np.einsum("bkd,bd->bk", u_neg, v)
    loss = -(_log_sigmoid(s_pos).sum() + _log_sigmoid(-s_neg).sum()) / B
    g_pos = (_sigmoid(s_pos) - 1.0) / B                 # dl/ds_pos = sigma(s) - 1
    g_neg = _sigmoid(s_neg) / B                         # dl/ds_neg = sigma(s_neg)
    dv = g_pos[:, None] * u_pos + np.einsum("bk,bkd->bd", g_neg, u_neg)   # dl/dv = sum_s g_s u_s
    V = W_in.shape[0]
    dW_in = scatter_rows(centers, dv, V)
    dW_out = (scatter_rows(contexts, g_pos[:, None] * v, V)                  # dl/du_c = g_pos v
              + scatter_rows(negatives, g_neg[:, :, None] * v[:, None, :], V))  # dl/du_n = g_neg v
    return float(loss), dW_in, dW_out


def cbow_loss_and_grads(W_in: np.ndarray, W_out: np.ndarray, contexts: np.ndarray, mask: np.ndarray,
                        centers: np.ndarray, negatives: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
    """Mean CBOW negative-sampling loss over B examples: h = sum_j mask_j v_{ctx_j} / sum_j mask_j
    predicts the centre. contexts, mask (B, C); centers (B,); negatives (B, K)."""
    B = len(centers)
    if contexts.shape != mask.shape or contexts.shape[0] != B or negatives.shape[0] != B:
        raise ValueError(f"cbow: contexts {contexts.shape}, mask {mask.shape}, centers {centers.shape}, "
                         f"negatives {negatives.shape} disagree")
    n = np.maximum(mask.sum(1, keepdims=True), 1.0)
    h = np.einsum("bc,bcd->bd", mask, W_in[contexts]) / n
    u_pos, u_neg = W_out[centers], W_out[negatives]
    s_pos = np.einsum("bd,bd->b", u_pos, h)
    s_neg = np.einsum("bkd,bd->bk", u_neg, h)
    loss = -(_log_sigmoid(s_pos).sum() + _log_sigmoid(-s_neg).sum()) / B
    g_pos, g_neg = (_sigmoid(s_pos) - 1.0) / B, _sigmoid(s_neg) / B
    dh = g_pos[:, None] * u_pos + np.einsum("bk,bkd->bd", g_neg, u_neg)
    V = W_in.shape[0]
    # dh/dv_{ctx_j} = mask_j / n: each context word gets its share of dh
    dW_in = scatter_rows(contexts, (mask / n)[:, :, None] * dh[:, None, :], V)
    dW_out = (scatter_rows(centers, g_pos[:, None] * h, V)
              + scatter_rows(negatives, g_neg[:, :, None] * h[:, None, :], V))
    return float(loss), dW_in, dW_out


def softmax_skipgram_loss_and_grads(W_in: np.ndarray, W_out: np.ndarray, centers: np.ndarray,
                                    contexts: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
    """Mean full-softmax skip-gram loss -log softmax(W_out v_w)_c over B pairs; costs O(B V d)."""
    B = len(centers)
    v = W_in[centers]                                   # (B, d)
    z = v @ W_out.T                                     # (B, V): every word scored for every pair
    z = z - z.max(1, keepdims=True)
    lse = np.log(np.exp(z).sum(1))
    loss = float((lse - z[np.arange(B), contexts]).mean())
    dz = np.exp(z - lse[:, None])                       # dl/dz = softmax(z) - onehot(c)
    dz[np.arange(B), contexts] -= 1.0
    dz /= B
    dW_out = dz.T @ v                                   # dl/dU = dz^T v  (all V rows, dense)
    dW_in = scatter_rows(centers, dz @ W_out, W_in.shape[0])   # dl/dv = U^T dz
    return loss, dW_in, dW_out


def sgns_sgd_step(W_in: np.ndarray, W_out: np.ndarray, centers: np.ndarray, contexts: np.ndarray,
                  negatives: np.ndarray, lr: float) -> float:
    """word2vec's own update: plain SGD on the *summed* SGNS loss of the batch, applied in place
    to the touched rows only (np.subtract.at), so its cost is O(B (K + 1) d), independent of V.
    Equals W -= lr * B * (the mean-loss gradients of :func:`sgns_loss_and_grads`). Returns the mean loss."""
    v, u_pos, u_neg = W_in[centers], W_out[contexts], W_out[negatives]
    s_pos = np.einsum("bd,bd->b", u_pos, v)
    s_neg = np.einsum("bkd,bd->bk", u_neg, v)
    g_pos, g_neg = _sigmoid(s_pos) - 1.0, _sigmoid(s_neg)
    dv = g_pos[:, None] * u_pos + np.einsum("bk,bkd->bd", g_neg, u_neg)
    np.subtract.at(W_out, contexts, lr * g_pos[:, None] * v)
    np.subtract.at(W_out, negatives.ravel(), lr * (g_neg[:, :, None] * v[:, None, :]).reshape(-1, v.shape[1]))
    np.subtract.at(W_in, centers, lr * dv)
    return float(-(_log_sigmoid(s_pos).sum() + _log_sigmoid(-s_neg).sum()) / len(centers))


def softmax_sgd_step(W_in: np.ndarray, W_out: np.ndarray, centers: np.ndarray, contexts: np.ndarray,
                     lr: float) -> float:
    """The same SGD update for the full-softmax skip-gram: every one of the V output rows moves,
    so its cost is O(B V d). Returns the mean loss."""
    loss, g_in, g_out = softmax_skipgram_loss_and_grads(W_in, W_out, centers, contexts)
    B = len(centers)
    W_in -= lr * B * g_in
    W_out -= lr * B * g_out
    return loss


def glove_weight(X: np.ndarray, x_max: float = 100.0, alpha: float = 0.75) -> np.ndarray:
    """f(x) = min(1, (x / x_max)^alpha), and f(0) = 0 (zero counts drop out of the loss)."""
    return np.where(X > 0, np.minimum(1.0, (np.maximum(X, 0) / x_max) ** alpha), 0.0)


def glove_loss_and_grads(W: np.ndarray, Wt: np.ndarray, b: np.ndarray, bt: np.ndarray, X: np.ndarray,
                         x_max: float = 100.0, alpha: float = 0.75):
    """GloVe's J (a sum over the nonzero X_ij, not a mean) and its gradients (dW, dWt, db, dbt).
    W, Wt (V, d); b, bt (V,); X (V, V) counts."""
    if X.shape != (W.shape[0], Wt.shape[0]):
        raise ValueError(f"glove: X {X.shape} must be (V, V) = ({W.shape[0]}, {Wt.shape[0]})")
    fx = glove_weight(X, x_max, alpha)
    logX = np.log(np.where(X > 0, X, 1.0))
    e = W @ Wt.T + b[:, None] + bt[None, :] - logX     # residuals e_ij
    loss = float((fx * e * e).sum())
    g = 2.0 * fx * e                                    # dJ/de_ij = 2 f(X_ij) e_ij
    return loss, g @ Wt, g.T @ W, g.sum(1), g.sum(0)   # dW = G Wt, dWt = G^T W, db = G 1, dbt = G^T 1


def shifted_pmi(centers: np.ndarray, contexts: np.ndarray, noise: np.ndarray, k: int, vocab_size: int):
    """The SGNS optimum per cell (Levy & Goldberg 2014): log #(w,c) / (k #(w) P_n(c)), with the
    pair counts (V, V) it is computed from; -inf where #(w,c) = 0."""
    C = np.zeros((vocab_size, vocab_size))
    np.add.at(C, (centers, contexts), 1.0)
    nw = C.sum(1, keepdims=True)
    with np.errstate(divide="ignore"):
        return np.log(C) - np.log(k * nw * noise[None, :]), C


# ------------------------------------------------------------------------------ the models
def _param(a: np.ndarray):
    return SimpleNamespace(data=a, grad=None)


class Word2Vec:
    """Skip-gram or CBOW, with negative sampling (``negatives`` = K) or the full softmax
    (``negatives=0``, skip-gram only). Trained by minibatch Adam on the mean loss, learning rate
    decayed linearly to 0 (word2vec decays its SGD rate the same way). Init as word2vec: W_in
    uniform in +-0.5/d, W_out = 0. ``vectors`` is W_in (V, d)."""

    def __init__(self, vocab_size: int, dim: int, *, arch: str = "skipgram", window: int = 2,
                 negatives: int = 5, power: float = 0.75, rng: np.random.Generator):
        if arch not in ("skipgram", "cbow"):
            raise ValueError(f"Word2Vec: arch must be 'skipgram' or 'cbow', got {arch!r}")
        if negatives < 0 or (negatives == 0 and arch != "skipgram"):
            raise ValueError(f"Word2Vec: negatives must be >= 1 (0 = full softmax, skip-gram only), "
                             f"got {negatives}")
        self.arch, self.window, self.negatives, self.power = arch, window, negatives, power
        self.W_in = rng.uniform(-0.5 / dim, 0.5 / dim, (vocab_size, dim))
        self.W_out = np.zeros((vocab_size, dim))
        self.history: list[float] = []

    @property
    def vectors(self) -> np.ndarray:
        return self.W_in

    def fit(self, sentences: np.ndarray, *, epochs: int = 5, batch_size: int = 256, lr: float = 0.03,
            rng: np.random.Generator) -> Word2Vec:
        V = self.W_in.shape[0]
        noise = noise_distribution(np.bincount(sentences.ravel(), minlength=V) + 1e-12, self.power)
        if self.arch == "skipgram":
            centers, contexts = skipgram_pairs(sentences, self.window)
            n = len(centers)
        else:
            centers, contexts, mask = cbow_examples(sentences, self.window)
            n = len(centers)
        pin, pout = _param(self.W_in), _param(self.W_out)
        opt = Adam([pin, pout], lr=lr)
        steps = epochs * int(np.ceil(n / batch_size))
        t = 0
        for _ in range(epochs):
            order = rng.permutation(n)
            for s in range(0, n, batch_size):
                idx = order[s:s + batch_size]
                ci, oi = centers[idx], contexts[idx]
                if self.arch == "skipgram" and self.negatives == 0:
                    loss, gi, go = softmax_skipgram_loss_and_grads(self.W_in, self.W_out, ci, oi)
                elif self.arch == "skipgram":
                    neg = sample_negatives(noise, (len(idx), self.negatives), rng)
                    loss, gi, go = sgns_loss_and_grads(self.W_in, self.W_out, ci, oi, neg)
                else:
                    neg = sample_negatives(noise, (len(idx), self.negatives), rng)
                    loss, gi, go = cbow_loss_and_grads(self.W_in, self.W_out, oi, mask[idx], ci, neg)
                opt.param_groups[0]["lr"] = lr * max(1.0 - t / steps, 1e-3)
                pin.grad, pout.grad = gi, go
                opt.step()
                self.history.append(loss)
                t += 1
        return self


class GloVe:
    """GloVe on a co-occurrence matrix X (V, V): full-batch Adam on J (the paper uses AdaGrad on
    shuffled cells; with V in the hundreds one dense step is cheaper). ``vectors`` = W + Wt, the
    sum the paper reports."""

    def __init__(self, vocab_size: int, dim: int, *, x_max: float = 100.0, alpha: float = 0.75,
                 rng: np.random.Generator):
        self.x_max, self.alpha = x_max, alpha
        self.W = rng.uniform(-0.5 / dim, 0.5 / dim, (vocab_size, dim))
        self.Wt = rng.uniform(-0.5 / dim, 0.5 / dim, (vocab_size, dim))
        self.b, self.bt = np.zeros(vocab_size), np.zeros(vocab_size)
        self.history: list[float] = []

    @property
    def vectors(self) -> np.ndarray:
        return self.W + self.Wt

    def fit(self, X: np.ndarray, *, steps: int = 500, lr: float = 0.05) -> GloVe:
        ps = [_param(a) for a in (self.W, self.Wt, self.b, self.bt)]
        opt = Adam(ps, lr=lr)
        nnz = max(int((X > 0).sum()), 1)
        for t in range(steps):
            loss, *grads = glove_loss_and_grads(self.W, self.Wt, self.b, self.bt, X, self.x_max, self.alpha)
            for p, g in zip(ps, grads):
                p.grad = g / nnz               # the same minimiser; a step size independent of V
            opt.param_groups[0]["lr"] = lr * max(1.0 - t / steps, 1e-2)
            opt.step()
            self.history.append(loss)
        return self


# ---------------------------------------------------------------------------- evaluation
def _unit(E: np.ndarray) -> np.ndarray:
    return E / np.maximum(np.linalg.norm(E, axis=1, keepdims=True), 1e-12)


def analogy_accuracy(vectors: np.ndarray, quads: np.ndarray, candidates: np.ndarray | None = None) -> float:
    """3CosAdd: the answer to x - y + z is argmax_w cos(w, x^ - y^ + z^) over ``candidates``
    (default: all words) other than x, y, z. quads (n, 4) = (x, y, z, answer). Returns the hit rate."""
    E = _unit(vectors)
    cand = np.arange(len(E)) if candidates is None else np.asarray(candidates)
    q = E[quads[:, 0]] - E[quads[:, 1]] + E[quads[:, 2]]
    S = q @ E[cand].T                                   # (n, |cand|)
    for col in range(3):
        S[quads[:, col][:, None] == cand[None, :]] = -np.inf
    return float(np.mean(cand[S.argmax(1)] == quads[:, 3]))


def similarity_spearman(vectors: np.ndarray, i: np.ndarray, j: np.ndarray, truth: np.ndarray) -> float:
    """Spearman correlation between cos(v_i, v_j) and a ground-truth similarity."""
    from scipy.stats import spearmanr

    E = _unit(vectors)
    return float(spearmanr(np.einsum("nd,nd->n", E[i], E[j]), truth).statistic)
