"""Gaussian mixture model fitted by expectation–maximisation (full covariances, vectorised).

Model: p(x) = Σ_k π_k N(x; μ_k, Σ_k), x ∈ ℝᵈ; weights π (K,), means μ (K, d), covariances Σ (K, d, d).

EM (Dempster, Laird & Rubin 1977; Bishop 2006 §9.2.2), one iteration:

* E-step: responsibilities r_nk = π_k N(x_n; μ_k, Σ_k) / Σ_j π_j N(x_n; μ_j, Σ_j), computed in log space;
  the mean log-likelihood ℓ = (1/N) Σ_n log Σ_k π_k N(x_n; μ_k, Σ_k) of the *current* parameters
  comes for free (it is the log normaliser).
* M-step: N_k = Σ_n r_nk,  π_k = N_k / N,  μ_k = Σ_n r_nk x_n / N_k,
  Σ_k = Σ_n r_nk (x_n − μ_k)(x_n − μ_k)ᵀ / N_k + ε I   (ε = ``reg_covar``, a variance floor).

Without the floor (ε = 0) EM never decreases ℓ (it maximises a lower bound that touches ℓ at the
current parameters). The likelihood itself is unbounded: a component with μ_k = x_n and Σ_k → 0
sends ℓ → +∞, which is why ε > 0 (or a prior) is needed. With ε > 0 the M-step is no longer the
exact maximiser, so ℓ can in principle dip by O(ε); ``history`` records ℓ per iteration.

The iteration order (E-step on the current parameters, then M-step) and ``reg_covar`` are those of
scikit-learn's ``GaussianMixture``, so the two agree from the same initial parameters (the tests check it).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

__all__ = ["GaussianMixture", "gmm_log_density"]


def _log_gauss(X: np.ndarray, means: np.ndarray, covs: np.ndarray) -> np.ndarray:
    """log N(x_n; μ_k, Σ_k) for all n, k: X (N, d), means (K, d), covs (K, d, d) -> (N, K).

    log N = −½ [d log 2π + log|Σ| + ||L⁻¹(x − μ)||²] with Σ = LLᵀ (Cholesky)."""
    d = X.shape[1]
    try:
        L = np.linalg.cholesky(covs)                                           # (K, d, d)
    except np.linalg.LinAlgError as e:
        raise ValueError("a mixture covariance is not positive definite (use reg_covar > 0)") from e
    Linv = np.linalg.inv(L)
    z = np.einsum("kij,nkj->nki", Linv, X[:, None, :] - means[None, :, :])      # (N, K, d)
    logdet = 2.0 * np.log(np.diagonal(L, axis1=1, axis2=2)).sum(axis=1)         # (K,)
    return -0.5 * (d * math.log(2 * math.pi) + logdet[None, :] + np.sum(z * z, axis=2))


def _logsumexp(a: np.ndarray, axis: int) -> np.ndarray:
    m = a.max(axis=axis, keepdims=True)
    return (m + np.log(np.exp(a - m).sum(axis=axis, keepdims=True))).squeeze(axis)


def gmm_log_density(X, weights, means, covs) -> np.ndarray:
    """log p(x_n) = log Σ_k π_k N(x_n; μ_k, Σ_k) for X (N, d) -> (N,)."""
    X = np.atleast_2d(np.asarray(X, dtype=np.float64))
    return _logsumexp(np.log(weights)[None, :] + _log_gauss(X, means, covs), axis=1)


@dataclass
class GaussianMixture:
    """K-component full-covariance Gaussian mixture fitted by EM (see the module docstring).

    ``fit(X, rng)`` starts from K distinct data points as means, the data covariance for every
    component and uniform weights (or from ``init=(weights, means, covs)``), runs ``max_iter`` EM
    iterations or stops when ℓ improves by less than ``tol``, and keeps the best of ``n_init`` starts.
    Attributes after fitting: ``weights_`` (K,), ``means_`` (K, d), ``covariances_`` (K, d, d),
    ``history`` (mean log-likelihood before each iteration, then the final one), ``n_iter_``.
    """

    n_components: int
    max_iter: int = 200
    tol: float = 1e-8
    reg_covar: float = 1e-6
    n_init: int = 1
    history: list = field(default_factory=list, repr=False)

    def _check(self, X):
        X = np.asarray(X, dtype=np.float64)
        if X.ndim == 1:
            X = X[:, None]
        if X.ndim != 2:
            raise ValueError(f"X must be (N, d) (or (N,) for 1-D data), got shape {X.shape}")
        if self.n_components < 1 or self.n_components > X.shape[0]:
            raise ValueError(f"n_components must be in [1, N={X.shape[0]}], got {self.n_components}")
        if self.reg_covar < 0:
            raise ValueError(f"reg_covar must be >= 0, got {self.reg_covar}")
        return X

    def _init(self, X, rng):
        N, d = X.shape
        idx = rng.choice(N, self.n_components, replace=False)
        cov = np.atleast_2d(np.cov(X.T, bias=True)) + self.reg_covar * np.eye(d)
        return (np.full(self.n_components, 1.0 / self.n_components), X[idx].copy(),
                np.repeat(cov[None], self.n_components, axis=0))

    def _em(self, X, weights, means, covs):
        N, d = X.shape
        hist = []
        for it in range(self.max_iter):
            # E-step: log r_nk = log π_k + log N(x_n; μ_k, Σ_k) − log p(x_n)
            log_joint = np.log(weights)[None, :] + _log_gauss(X, means, covs)
            log_px = _logsumexp(log_joint, axis=1)
            hist.append(float(log_px.mean()))
            if it > 0 and abs(hist[-1] - hist[-2]) < self.tol:
                break
            r = np.exp(log_joint - log_px[:, None])                               # (N, K)
            # M-step
            Nk = r.sum(axis=0) + 10 * np.finfo(float).eps                          # N_k = Σ_n r_nk
            weights = Nk / N                                                       # π_k = N_k / N
            means = (r.T @ X) / Nk[:, None]                                        # μ_k = Σ_n r_nk x_n / N_k
            D = X[:, None, :] - means[None, :, :]                                  # (N, K, d)
            covs = np.einsum("nk,nki,nkj->kij", r, D, D) / Nk[:, None, None]       # Σ_k = Σ_n r_nk D Dᵀ / N_k
            covs = covs + self.reg_covar * np.eye(d)[None]                         # + ε I
        else:
            hist.append(float(gmm_log_density(X, weights, means, covs).mean()))
        return weights, means, covs, hist

    def fit(self, X, rng: np.random.Generator | None = None, init=None):
        X = self._check(X)
        if init is None and rng is None:
            raise ValueError("fit needs an rng for the initialisation (or init=(weights, means, covs))")
        best = None
        for _ in range(1 if init is not None else self.n_init):
            w, m, c = (tuple(np.array(a, dtype=np.float64) for a in init) if init is not None
                       else self._init(X, rng))
            w, m, c, hist = self._em(X, w, m, c)
            if best is None or hist[-1] > best[3][-1]:
                best = (w, m, c, hist)
        self.weights_, self.means_, self.covariances_, self.history = best
        self.n_iter_ = len(self.history) - 1
        return self

    def score_samples(self, X) -> np.ndarray:
        """log p(x_n) under the fitted mixture, X (N, d) or (N,) -> (N,)."""
        if not hasattr(self, "means_"):
            raise ValueError("call fit before score_samples")
        X = np.asarray(X, dtype=np.float64)
        if X.ndim == 1:
            X = X[:, None]
        if X.shape[1] != self.means_.shape[1]:
            raise ValueError(f"X has {X.shape[1]} features, the mixture {self.means_.shape[1]}")
        return gmm_log_density(X, self.weights_, self.means_, self.covariances_)

    def score(self, X) -> float:
        """Mean log-likelihood (1/N) Σ_n log p(x_n)."""
        return float(self.score_samples(X).mean())
