r"""Categorical (discrete-emission) hidden Markov model, every recursion in log space.

Parameters (the layout of ``hmmlearn.hmm.CategoricalHMM``, so tests copy them across):
``startprob`` pi (K,), ``transmat`` A (K, K) with ``A[i, j] = p(y_t = j | y_{t-1} = i)`` (rows sum
to 1), ``emissionprob`` B (K, M) with ``B[k, m] = p(x_t = m | y_t = k)``.

Joint distribution of states y_1..T and observations x_1..T (the two independence assumptions:
y_t depends only on y_{t-1}; x_t depends only on y_t)::

    p(x, y) = pi[y_1] B[y_1, x_1] prod_{t>=2} A[y_{t-1}, y_t] B[y_t, x_t]

Recursions (log alpha_t(k) = log p(x_1..t, y_t = k), log beta_t(k) = log p(x_{t+1..T} | y_t = k))::

    log alpha_1 = log pi + log B[:, x_1]
    log alpha_t(j) = logsumexp_i(log alpha_{t-1}(i) + log A[i, j]) + log B[j, x_t]
    log beta_T = 0,   log beta_t(i) = logsumexp_j(log A[i, j] + log B[j, x_{t+1}] + log beta_{t+1}(j))
    log p(x) = logsumexp_k log alpha_T(k)
    gamma_t(k) = p(y_t = k | x) = exp(log alpha_t(k) + log beta_t(k) - log p(x))
    xi_t(i, j) = p(y_t = i, y_{t+1} = j | x)
               = exp(log alpha_t(i) + log A[i, j] + log B[j, x_{t+1}] + log beta_{t+1}(j) - log p(x))

Viterbi replaces logsumexp by max and keeps the argmax pointers: O(T K^2) time, O(T K) memory.

Batches: every method takes one sequence ``(T,)`` or a batch of equal-length sequences ``(N, T)``
of integer symbols in [0, M); the recursions are vectorised over the batch and the states and loop
over time only. Baum-Welch (Baum et al. 1970; Rabiner 1989) is EM on a batch of sequences; it never
decreases the log-likelihood. ``fit_supervised`` is maximum likelihood by counting, with additive
(Laplace) smoothing.
"""

from __future__ import annotations

import numpy as np

__all__ = ["CategoricalHMM", "logsumexp"]


def logsumexp(a: np.ndarray, axis: int) -> np.ndarray:
    """log sum_axis exp(a) = m + log sum exp(a - m), m = max over the axis (0 where the max is
    -inf, so an all -inf slice gives -inf without NaN). A lean replacement for scipy's version,
    whose per-call overhead dominates the short recursions here."""
    m = np.max(a, axis=axis, keepdims=True)
    m = np.where(np.isfinite(m), m, 0.0)
    with np.errstate(divide="ignore"):
        return np.squeeze(m, axis) + np.log(np.sum(np.exp(a - m), axis=axis))


def _log(p: np.ndarray) -> np.ndarray:
    """log with log(0) = -inf and no warning (zeros are legal probabilities)."""
    with np.errstate(divide="ignore"):
        return np.log(p)


def _normalise_rows(a: np.ndarray) -> np.ndarray:
    """Rows divided by their sums; an all-zero row (never observed) becomes uniform."""
    s = a.sum(axis=-1, keepdims=True)
    return np.where(s > 0, a / np.where(s > 0, s, 1.0), 1.0 / a.shape[-1])


class CategoricalHMM:
    """HMM with ``n_states`` hidden states and ``n_symbols`` observation symbols.

    Give ``startprob`` (K,), ``transmat`` (K, K) and ``emissionprob`` (K, M), or a
    ``numpy.random.Generator`` ``rng`` to draw them (rows ~ Dirichlet(1)).
    """

    def __init__(self, n_states: int, n_symbols: int, startprob=None, transmat=None,
                 emissionprob=None, rng: np.random.Generator | None = None):
        if n_states < 1 or n_symbols < 1:
            raise ValueError(f"CategoricalHMM: n_states and n_symbols must be >= 1, got "
                             f"{n_states}, {n_symbols}")
        K, M = n_states, n_symbols
        self.n_states, self.n_symbols = K, M
        if startprob is None or transmat is None or emissionprob is None:
            if rng is None:
                raise ValueError("CategoricalHMM: give startprob, transmat and emissionprob, or an rng")
            startprob = rng.dirichlet(np.ones(K)) if startprob is None else startprob
            transmat = rng.dirichlet(np.ones(K), size=K) if transmat is None else transmat
            emissionprob = rng.dirichlet(np.ones(M), size=K) if emissionprob is None else emissionprob
        self.set_params(startprob, transmat, emissionprob)

    def set_params(self, startprob, transmat, emissionprob) -> None:
        """Check shapes and normalisation, store float64 copies."""
        K, M = self.n_states, self.n_symbols
        pi, A, B = (np.array(a, dtype=np.float64) for a in (startprob, transmat, emissionprob))
        if pi.shape != (K,) or A.shape != (K, K) or B.shape != (K, M):
            raise ValueError(f"CategoricalHMM: need startprob ({K},), transmat ({K}, {K}), emissionprob "
                             f"({K}, {M}); got {pi.shape}, {A.shape}, {B.shape}")
        for name, a in (("startprob", pi), ("transmat", A), ("emissionprob", B)):
            if np.any(a < 0) or not np.allclose(a.sum(axis=-1), 1.0, atol=1e-8):
                raise ValueError(f"CategoricalHMM: {name} must be non-negative with rows summing to 1")
        self.startprob, self.transmat, self.emissionprob = pi, A, B

    # -- input -----------------------------------------------------------------------------------
    def _x(self, x) -> tuple[np.ndarray, bool]:
        """(N, T) int array and whether the input was a single (T,) sequence."""
        x = np.asarray(x)
        single = x.ndim == 1
        x = x[None, :] if single else x
        if x.ndim != 2 or x.shape[1] < 1:
            raise ValueError(f"CategoricalHMM: x must be (T,) or (N, T) with T >= 1, got {x.shape}")
        if not np.issubdtype(x.dtype, np.integer):
            raise ValueError(f"CategoricalHMM: x must hold integer symbols, got dtype {x.dtype}")
        if x.min() < 0 or x.max() >= self.n_symbols:
            raise ValueError(f"CategoricalHMM: symbols must lie in [0, {self.n_symbols}), got "
                             f"[{x.min()}, {x.max()}]")
        return x, single

    def _log_emission(self, x: np.ndarray) -> np.ndarray:
        """log B[k, x_{n,t}] as (N, T, K)."""
        return _log(self.emissionprob).T[x]

    # -- inference -------------------------------------------------------------------------------
    def _forward(self, x: np.ndarray):
        N, T = x.shape
        logB, logA = self._log_emission(x), _log(self.transmat)
        la = np.empty((N, T, self.n_states))
        la[:, 0] = _log(self.startprob) + logB[:, 0]
        for t in range(1, T):       # loop over time; (N, K, 1) + (K, K) -> logsumexp over i
            la[:, t] = logsumexp(la[:, t - 1, :, None] + logA, axis=1) + logB[:, t]
        return la, logB, logA

    def _backward(self, logB: np.ndarray, logA: np.ndarray) -> np.ndarray:
        N, T, K = logB.shape
        lb = np.zeros((N, T, K))
        for t in range(T - 2, -1, -1):
            lb[:, t] = logsumexp(logA + (logB[:, t + 1] + lb[:, t + 1])[:, None, :], axis=2)
        return lb

    def forward(self, x):
        """log alpha ``(T, K)`` or ``(N, T, K)`` and log p(x) (scalar or ``(N,)``)."""
        x, single = self._x(x)
        la = self._forward(x)[0]
        ll = logsumexp(la[:, -1], axis=1)
        return (la[0], float(ll[0])) if single else (la, ll)

    def backward(self, x):
        """log beta ``(T, K)`` or ``(N, T, K)``."""
        x, single = self._x(x)
        lb = self._backward(self._log_emission(x), _log(self.transmat))
        return lb[0] if single else lb

    def score(self, x):
        """log p(x) by the forward algorithm: float, or ``(N,)`` for a batch."""
        return self.forward(x)[1]

    def _posteriors(self, x: np.ndarray):
        la, logB, logA = self._forward(x)
        lb = self._backward(logB, logA)
        ll = logsumexp(la[:, -1], axis=1)
        gamma = np.exp(la + lb - ll[:, None, None])
        # xi_t(i, j), (N, T-1, K, K)
        lxi = (la[:, :-1, :, None] + logA + (logB[:, 1:] + lb[:, 1:])[:, :, None, :]
               - ll[:, None, None, None])
        return gamma, np.exp(lxi), ll

    def posteriors(self, x):
        """gamma_t(k) = p(y_t = k | x): ``(T, K)`` or ``(N, T, K)``, rows summing to 1."""
        x, single = self._x(x)
        gamma = self._posteriors(x)[0]
        return gamma[0] if single else gamma

    def viterbi(self, x):
        """Most probable state path argmax_y p(x, y) and its log p(x, y*).

        Returns ``(path (T,), logp)`` or ``(paths (N, T), logp (N,))``. Ties go to the lowest index.
        """
        x, single = self._x(x)
        N, T = x.shape
        logB, logA = self._log_emission(x), _log(self.transmat)
        delta = _log(self.startprob) + logB[:, 0]
        back = np.zeros((N, T, self.n_states), dtype=np.int64)
        for t in range(1, T):
            cand = delta[:, :, None] + logA            # (N, i, j)
            back[:, t] = cand.argmax(axis=1)
            delta = cand.max(axis=1) + logB[:, t]
        path = np.empty((N, T), dtype=np.int64)
        path[:, -1] = delta.argmax(axis=1)
        rows = np.arange(N)
        for t in range(T - 1, 0, -1):
            path[:, t - 1] = back[rows, t, path[:, t]]
        logp = delta.max(axis=1)
        return (path[0], float(logp[0])) if single else (path, logp)

    def log_joint(self, x, y):
        """log p(x, y) of given state paths (same shape as x), by the product formula."""
        x, single = self._x(x)
        y = np.asarray(y).reshape(x.shape)
        lp = (_log(self.startprob)[y[:, 0]] + _log(self.emissionprob)[y, x].sum(axis=1)
              + _log(self.transmat)[y[:, :-1], y[:, 1:]].sum(axis=1))
        return float(lp[0]) if single else lp

    # -- generation ------------------------------------------------------------------------------
    def sample(self, n: int, T: int, rng: np.random.Generator):
        """Draw ``n`` sequences of length ``T``: ``(x (n, T), y (n, T))`` (loop over time only)."""
        if n < 1 or T < 1:
            raise ValueError(f"CategoricalHMM.sample: n and T must be >= 1, got {n}, {T}")

        def draw(P):                                  # one categorical draw per row of P (n, C)
            return (rng.random((P.shape[0], 1)) > np.cumsum(P, axis=1)).sum(axis=1).clip(0, P.shape[1] - 1)

        y = np.empty((n, T), dtype=np.int64)
        y[:, 0] = draw(np.broadcast_to(self.startprob, (n, self.n_states)))
        for t in range(1, T):
            y[:, t] = draw(self.transmat[y[:, t - 1]])
        x = draw(self.emissionprob[y.ravel()]).reshape(n, T)
        return x, y

    # -- learning --------------------------------------------------------------------------------
    def baum_welch(self, x, n_iter: int = 20, tol: float = 0.0) -> list[float]:
        """EM on a batch ``(N, T)``; returns total log-likelihood before each M-step.

        E-step: gamma, xi by forward-backward. M-step (expected counts, normalised)::

            pi = mean_n gamma_1,   A[i, j] ~ sum_{n,t} xi_t(i, j),   B[k, m] ~ sum_{n,t: x=m} gamma_t(k)

        Stops early when the gain of one iteration is below ``tol``. The returned list is
        non-decreasing up to rounding (EM's monotonicity). Zero-count rows keep their old values.
        """
        x, _ = self._x(x)
        history = []
        onehot = np.eye(self.n_symbols)[x]            # (N, T, M)
        for _ in range(n_iter):
            gamma, xi, ll = self._posteriors(x)
            history.append(float(ll.sum()))
            pi = gamma[:, 0].mean(axis=0)
            A = xi.sum(axis=(0, 1))
            B = np.einsum("ntk,ntm->km", gamma, onehot)
            A = np.where(A.sum(1, keepdims=True) > 0, A, self.transmat)
            B = np.where(B.sum(1, keepdims=True) > 0, B, self.emissionprob)
            self.set_params(pi, _normalise_rows(A), _normalise_rows(B))
            if len(history) > 1 and history[-1] - history[-2] < tol:
                break
        return history

    @classmethod
    def fit_supervised(cls, x, y, n_states: int, n_symbols: int, smoothing: float = 1.0):
        """Maximum likelihood from labelled sequences by counting, plus ``smoothing`` pseudo-counts::

            pi[k] ~ #{y_1 = k} + s,  A[i, j] ~ #{y_{t-1} = i, y_t = j} + s,  B[k, m] ~ #{y_t = k, x_t = m} + s
        """
        x, y = np.atleast_2d(np.asarray(x)), np.atleast_2d(np.asarray(y))
        if x.shape != y.shape:
            raise ValueError(f"fit_supervised: x and y must have the same shape, got {x.shape}, {y.shape}")
        if smoothing < 0:
            raise ValueError(f"fit_supervised: smoothing must be >= 0, got {smoothing}")
        K, M = n_states, n_symbols
        pi = np.bincount(y[:, 0], minlength=K) + smoothing
        A = np.bincount((y[:, :-1] * K + y[:, 1:]).ravel(), minlength=K * K).reshape(K, K) + smoothing
        B = np.bincount((y * M + x).ravel(), minlength=K * M).reshape(K, M) + smoothing
        pi, A, B = (_normalise_rows(a.astype(float)) for a in (pi, A, B))
        return cls(K, M, pi, A, B)
