r"""Linear-chain conditional random field (Lafferty, McCallum & Pereira 2001), in log space.

Scores (the layout of ``torchcrf.CRF``, so tests copy them across): emissions ``E`` (N, T, K) from
any model of the input, ``start`` (K,), ``end`` (K,), ``trans`` (K, K) with ``trans[i, j]`` the score
of tag i followed by tag j. ``mask`` (N, T) marks the real positions; each row is a prefix of ones
(the first column all ones), so sequence n has length L_n = sum_t mask[n, t].

    s(x, y)  = start[y_1] + sum_{t=1..L} E[t, y_t] + sum_{t=2..L} trans[y_{t-1}, y_t] + end[y_L]
    p(y | x) = exp(s(x, y)) / Z(x),          log Z(x) = logsumexp_y s(x, y)

Z is a sum over all K^L tag paths, computed by the forward algorithm in O(L K^2)::

    log alpha_1 = start + E[1],   log alpha_t(j) = logsumexp_i(log alpha_{t-1}(i) + trans[i, j]) + E[t, j]
    log Z = logsumexp_k(log alpha_L(k) + end[k])
    log beta_L = end,             log beta_t(i) = logsumexp_j(trans[i, j] + E[t+1, j] + log beta_{t+1}(j))

The normalisation is global (one Z per sequence), not per step as in an MEMM: this is what removes
the label-bias problem. The negative log-likelihood is convex in the scores, and its gradient is
"expected counts minus observed counts", with the expectations from forward-backward::

    dNLL/dE[t, k]       = p(y_t = k | x) - [y_t = k]
    dNLL/dtrans[i, j]   = sum_{t>=2} (p(y_{t-1} = i, y_t = j | x) - [y_{t-1} = i, y_t = j])
    dNLL/dstart[k]      = p(y_1 = k | x) - [y_1 = k],    dNLL/dend[k] = p(y_L = k | x) - [y_L = k]

``FeatureCRF`` puts a linear emission model ``E = X W + b`` on top (X: (N, T, F) features of the
whole input, which may overlap freely) and fits it by L-BFGS on the L2-penalised mean NLL.
"""

from __future__ import annotations

import numpy as np

from dlproof.models.hmm import logsumexp
from dlproof.optim.minimize import lbfgs

__all__ = ["LinearChainCRF", "FeatureCRF"]


class LinearChainCRF:
    """Transition scores of a K-tag linear-chain CRF and the inference on given emissions.

    ``start``, ``end`` (K,) and ``trans`` (K, K) default to zeros; float64 NumPy arrays.
    """

    def __init__(self, n_tags: int, start=None, end=None, trans=None):
        if n_tags < 1:
            raise ValueError(f"LinearChainCRF: n_tags must be >= 1, got {n_tags}")
        K = self.n_tags = n_tags
        self.start = np.zeros(K) if start is None else np.array(start, dtype=np.float64)
        self.end = np.zeros(K) if end is None else np.array(end, dtype=np.float64)
        self.trans = np.zeros((K, K)) if trans is None else np.array(trans, dtype=np.float64)
        if self.start.shape != (K,) or self.end.shape != (K,) or self.trans.shape != (K, K):
            raise ValueError(f"LinearChainCRF: need start ({K},), end ({K},), trans ({K}, {K}); got "
                             f"{self.start.shape}, {self.end.shape}, {self.trans.shape}")

    # -- input -----------------------------------------------------------------------------------
    def _check(self, emissions, tags=None, mask=None):
        E = np.asarray(emissions, dtype=np.float64)
        if E.ndim != 3 or E.shape[2] != self.n_tags or E.shape[1] < 1:
            raise ValueError(f"LinearChainCRF: emissions must be (N, T, {self.n_tags}) with T >= 1, "
                             f"got {E.shape}")
        N, T, _ = E.shape
        m = np.ones((N, T), bool) if mask is None else np.asarray(mask).astype(bool)
        if m.shape != (N, T):
            raise ValueError(f"LinearChainCRF: mask must be {(N, T)} like the emissions, got {m.shape}")
        if not m[:, 0].all() or np.any(m[:, 1:] & ~m[:, :-1]):
            raise ValueError("LinearChainCRF: every mask row must be a prefix of ones starting at t = 0")
        if tags is not None:
            tags = np.asarray(tags)
            if tags.shape != (N, T) or not np.issubdtype(tags.dtype, np.integer):
                raise ValueError(f"LinearChainCRF: tags must be integer {(N, T)}, got {tags.dtype} "
                                 f"{tags.shape}")
            valid = tags[m]
            if valid.size and (valid.min() < 0 or valid.max() >= self.n_tags):
                raise ValueError(f"LinearChainCRF: tags must lie in [0, {self.n_tags}) at masked positions")
            tags = np.where(m, tags, 0)
        return E, tags, m

    # -- scores and partition function -----------------------------------------------------------
    def score(self, emissions, tags, mask=None) -> np.ndarray:
        """Unnormalised path score s(x, y), ``(N,)``."""
        E, y, m = self._check(emissions, tags, mask)
        N, T, _ = E.shape
        last = y[np.arange(N), m.sum(1) - 1]
        s = self.start[y[:, 0]] + self.end[last]
        s += (np.take_along_axis(E, y[..., None], 2)[..., 0] * m).sum(1)
        s += (self.trans[y[:, :-1], y[:, 1:]] * m[:, 1:]).sum(1)
        return s

    def _alpha(self, E, m):
        N, T, K = E.shape
        la = np.empty((N, T, K))
        la[:, 0] = self.start + E[:, 0]
        for t in range(1, T):                         # loop over time; vectorised over batch and tags
            new = logsumexp(la[:, t - 1, :, None] + self.trans, axis=1) + E[:, t]
            la[:, t] = np.where(m[:, t, None], new, la[:, t - 1])    # padded steps carry alpha on
        return la

    def _beta(self, E, m):
        N, T, K = E.shape
        lb = np.empty((N, T, K))
        lb[:, -1] = self.end
        for t in range(T - 2, -1, -1):
            new = logsumexp(self.trans + (E[:, t + 1] + lb[:, t + 1])[:, None, :], axis=2)
            lb[:, t] = np.where(m[:, t + 1, None], new, self.end)    # t is the last real step
        return lb

    def log_partition(self, emissions, mask=None) -> np.ndarray:
        """log Z(x) by the forward algorithm, ``(N,)``."""
        E, _, m = self._check(emissions, None, mask)
        return logsumexp(self._alpha(E, m)[:, -1] + self.end, axis=1)

    def log_likelihood(self, emissions, tags, mask=None) -> np.ndarray:
        """log p(y | x) = s(x, y) - log Z(x), ``(N,)``."""
        return self.score(emissions, tags, mask) - self.log_partition(emissions, mask)

    def marginals(self, emissions, mask=None):
        """Unary p(y_t = k | x) ``(N, T, K)`` and pairwise p(y_{t-1} = i, y_t = j | x)
        ``(N, T-1, K, K)`` (pair index t-1 for steps t-1, t), zero at padded positions; and log Z."""
        E, _, m = self._check(emissions, None, mask)
        la, lb = self._alpha(E, m), self._beta(E, m)
        logZ = logsumexp(la[:, -1] + self.end, axis=1)
        unary = np.exp(la + lb - logZ[:, None, None]) * m[..., None]
        pair = np.exp(la[:, :-1, :, None] + self.trans + (E[:, 1:] + lb[:, 1:])[:, :, None, :]
                      - logZ[:, None, None, None]) * m[:, 1:, None, None]
        return unary, pair, logZ

    def nll_and_grad(self, emissions, tags, mask=None):
        """Summed NLL -sum_n log p(y_n | x_n) and its gradients (dict with ``emissions`` (N, T, K),
        ``start``, ``end``, ``trans``): expected minus observed counts (formulas in the module doc)."""
        E, y, m = self._check(emissions, tags, mask)
        N, T, K = E.shape
        unary, pair, logZ = self.marginals(E, m)
        nll = float((logZ - self.score(E, y, m)).sum())
        obs = np.eye(K)[y] * m[..., None]                               # [y_t = k], (N, T, K)
        last = m.sum(1) - 1
        rows = np.arange(N)
        obs_pair = np.zeros((K, K))
        np.add.at(obs_pair, (y[:, :-1][m[:, 1:]], y[:, 1:][m[:, 1:]]), 1.0)
        grads = {
            "emissions": unary - obs,                                   # dNLL/dE
            "start": unary[:, 0].sum(0) - obs[:, 0].sum(0),             # dNLL/dstart
            "end": unary[rows, last].sum(0) - obs[rows, last].sum(0),   # dNLL/dend
            "trans": pair.sum((0, 1)) - obs_pair,                       # dNLL/dtrans
        }
        return nll, grads

    def decode(self, emissions, mask=None) -> np.ndarray:
        """Viterbi argmax_y s(x, y), ``(N, T)`` int, -1 at padded positions. O(T K^2)."""
        E, _, m = self._check(emissions, None, mask)
        N, T, K = E.shape
        delta = self.start + E[:, 0]
        back = np.broadcast_to(np.arange(K), (N, T, K)).copy()          # identity at padded steps
        for t in range(1, T):
            cand = delta[:, :, None] + self.trans                       # (N, i, j)
            best = cand.argmax(axis=1)
            back[:, t] = np.where(m[:, t, None], best, back[:, t])
            delta = np.where(m[:, t, None], cand.max(axis=1) + E[:, t], delta)
        path = np.empty((N, T), dtype=np.int64)
        path[:, -1] = (delta + self.end).argmax(axis=1)
        rows = np.arange(N)
        for t in range(T - 1, 0, -1):
            path[:, t - 1] = back[rows, t, path[:, t]]
        return np.where(m, path, -1)


class FeatureCRF:
    """CRF with linear emissions ``E[n, t] = X[n, t] @ W + b`` on dense features X (N, T, F).

    ``fit`` minimises ``NLL / N + l2 / 2 * (|W|^2 + |trans|^2)`` by L-BFGS (a convex problem).
    """

    def __init__(self, n_features: int, n_tags: int):
        self.n_features, self.n_tags = n_features, n_tags
        self.W = np.zeros((n_features, n_tags))
        self.b = np.zeros(n_tags)
        self.crf = LinearChainCRF(n_tags)

    def _shapes(self):
        F, K = self.n_features, self.n_tags
        return [(F, K), (K,), (K,), (K,), (K, K)]

    def _unpack(self, theta: np.ndarray) -> None:
        parts, i = [], 0
        for shp in self._shapes():
            size = int(np.prod(shp))
            parts.append(theta[i:i + size].reshape(shp))
            i += size
        self.W, self.b, self.crf.start, self.crf.end, self.crf.trans = parts

    def _pack(self) -> np.ndarray:
        return np.concatenate([a.ravel() for a in (self.W, self.b, self.crf.start, self.crf.end,
                                                   self.crf.trans)])

    def emissions(self, X) -> np.ndarray:
        X = np.asarray(X, dtype=np.float64)
        if X.ndim != 3 or X.shape[2] != self.n_features:
            raise ValueError(f"FeatureCRF: X must be (N, T, {self.n_features}), got {X.shape}")
        return X @ self.W + self.b

    def objective(self, theta, X, y, mask=None, l2: float = 0.0):
        """(loss, flat gradient) at the flat parameter vector ``theta``; dE -> dW = X^T dE, db = sum dE."""
        self._unpack(np.asarray(theta, dtype=np.float64).copy())
        N = X.shape[0]
        nll, g = self.crf.nll_and_grad(self.emissions(X), y, mask)
        gE = g["emissions"]
        gW = np.einsum("ntf,ntk->fk", X, gE) / N + l2 * self.W
        loss = nll / N + 0.5 * l2 * (np.sum(self.W ** 2) + np.sum(self.crf.trans ** 2))
        grad = np.concatenate([gW.ravel(), gE.sum((0, 1)) / N, g["start"] / N, g["end"] / N,
                               (g["trans"] / N + l2 * self.crf.trans).ravel()])
        return loss, grad

    def fit(self, X, y, mask=None, l2: float = 1e-2, max_iter: int = 100, gtol: float = 1e-5):
        """L-BFGS from zeros; returns the :class:`~dlproof.optim.minimize.MinimizeResult`."""
        X = np.asarray(X, dtype=np.float64)
        res = lbfgs(lambda th: self.objective(th, X, y, mask, l2), None, np.zeros_like(self._pack()),
                    gtol=gtol, max_iter=max_iter, keep_path=False)
        self._unpack(res.x.copy())
        return res

    def predict(self, X, mask=None) -> np.ndarray:
        """Viterbi tags ``(N, T)``."""
        return self.crf.decode(self.emissions(X), mask)
