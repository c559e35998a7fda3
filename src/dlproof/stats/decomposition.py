"""Linear decompositions: PCA by SVD, FastICA, principal angles, component matching, Amari index.

Data matrices are ``X`` (N, D): N examples as rows, D features. Components are rows, as in
``sklearn.decomposition``: ``components_`` (k, D).

PCA (Pearson 1901; Hotelling 1933). With the centred data ``Xc = X - mean`` and its thin SVD
``Xc = U S V^T``, the principal directions are the rows of ``V^T`` (eigenvectors of the covariance
``C = Xc^T Xc / (N - 1)``), the explained variances ``S^2 / (N - 1)``, and the scores
``Z = Xc V_k = U_k S_k``. The rank-k reconstruction ``Xc V_k V_k^T`` minimises the squared error
over all rank-k linear maps (Eckart-Young), so its mean squared error per entry is
``sum_{i>k} S_i^2 / (N D)``.

FastICA (Hyvarinen & Oja 1997, 2000). After whitening (``Z = Xc V_k / sqrt(lambda_k)``, so
``cov(Z) = I``), find an orthogonal ``W`` (k, k) making the rows of ``S = Z W^T`` maximally
non-Gaussian. The symmetric fixed-point update with contrast ``G(u) = log cosh(u)``,
``g = tanh``, ``g' = 1 - tanh^2``, is

    W <- E[g(W z) z^T] - diag(E[g'(W z)]) W,    then  W <- (W W^T)^{-1/2} W   (symmetric decorrelation)

iterated until ``max_i |1 - |<w_i^new, w_i^old>|| < tol``.

Principal angles (Bjorck & Golub 1973) between span(A) and span(B): with orthonormal bases
``Qa``, ``Qb``, the cosines are the singular values of ``Qa^T Qb``; small angles are taken from the
sines, the singular values of ``(I - Qa Qa^T) Qb``, which are accurate where arccos is not.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import linear_sum_assignment

__all__ = ["PCA", "FastICA", "principal_angles", "match_components", "amari_index", "whiten"]


def _matrix(X, name: str, op: str) -> np.ndarray:
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or X.shape[0] < 2 or X.shape[1] < 1:
        raise ValueError(f"{op}: {name} must be a 2-D array (N >= 2, D >= 1), got shape {X.shape}")
    if not np.all(np.isfinite(X)):
        raise ValueError(f"{op}: {name} contains NaN or inf")
    return X


def _sign_flip_rows(V: np.ndarray) -> np.ndarray:
    """Make the largest-|.| entry of every row positive (sklearn's ``svd_flip`` on V^T): a fixed
    sign convention, so two runs on the same data give the same components."""
    idx = np.argmax(np.abs(V), axis=1)
    signs = np.sign(V[np.arange(V.shape[0]), idx])
    signs[signs == 0] = 1.0
    return V * signs[:, None]


class PCA:
    """Principal component analysis by the SVD of the centred data.

    ``fit(X)`` with X (N, D) sets ``mean_`` (D,), ``components_`` (k, D) (orthonormal rows, sorted
    by decreasing variance, largest-|.| entry positive), ``explained_variance_`` (k,) =
    S^2 / (N - 1), ``explained_variance_ratio_``, ``singular_values_``. ``transform`` gives
    scores (N, k) = (X - mean) V_k, optionally divided by sqrt(variance) (``whiten=True``);
    ``inverse_transform`` maps scores back: Z V_k^T + mean.
    """

    def __init__(self, n_components: int | None = None, whiten: bool = False):
        if n_components is not None and int(n_components) < 1:
            raise ValueError(f"PCA: n_components must be >= 1, got {n_components}")
        self.n_components = None if n_components is None else int(n_components)
        self.whiten = bool(whiten)

    def fit(self, X) -> PCA:
        X = _matrix(X, "X", "PCA.fit")
        N, D = X.shape
        k = min(N, D) if self.n_components is None else self.n_components
        if k > min(N, D):
            raise ValueError(f"PCA.fit: n_components={k} exceeds min(N, D) = {min(N, D)} for X {X.shape}")
        self.mean_ = X.mean(axis=0)
        _, S, Vt = np.linalg.svd(X - self.mean_, full_matrices=False)
        Vt = _sign_flip_rows(Vt)
        total = (S ** 2).sum() / (N - 1)
        self.components_ = Vt[:k]
        self.singular_values_ = S[:k]
        self.explained_variance_ = S[:k] ** 2 / (N - 1)            # eigenvalues of the covariance
        self.explained_variance_ratio_ = self.explained_variance_ / total if total > 0 else 0 * S[:k]
        self.all_variances_ = S ** 2 / (N - 1)
        self.n_features_in_ = D
        return self

    def _check_fitted(self, X, op: str) -> np.ndarray:
        if not hasattr(self, "components_"):
            raise RuntimeError(f"PCA.{op}: call fit first")
        X = np.asarray(X, dtype=np.float64)
        return X

    def transform(self, X) -> np.ndarray:
        """Scores (N, k) = (X - mean) V_k [/ sqrt(lambda_k) when whitening]."""
        X = self._check_fitted(X, "transform")
        if X.ndim != 2 or X.shape[1] != self.n_features_in_:
            raise ValueError(f"PCA.transform: X must be (N, {self.n_features_in_}), got {X.shape}")
        Z = (X - self.mean_) @ self.components_.T
        return Z / np.sqrt(self.explained_variance_) if self.whiten else Z

    def fit_transform(self, X) -> np.ndarray:
        return self.fit(X).transform(X)

    def inverse_transform(self, Z) -> np.ndarray:
        """Reconstruction (N, D) = Z V_k^T + mean (undoing the whitening scale first)."""
        Z = self._check_fitted(Z, "inverse_transform")
        if Z.ndim != 2 or Z.shape[1] != self.components_.shape[0]:
            raise ValueError(f"PCA.inverse_transform: Z must be (N, {self.components_.shape[0]}), "
                             f"got {Z.shape}")
        if self.whiten:
            Z = Z * np.sqrt(self.explained_variance_)
        return Z @ self.components_ + self.mean_

    def reconstruction_mse(self, X) -> float:
        """Mean over all N x D entries of (X - inverse_transform(transform(X)))^2."""
        return float(np.mean((X - self.inverse_transform(self.transform(X))) ** 2))


def whiten(X, n_components: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """PCA whitening: Z (N, k) with identity sample covariance (divisor N - 1), the whitening
    matrix K (k, D) with Z = (X - mean) K^T, and the mean (D,)."""
    pca = PCA(n_components).fit(X)
    K = pca.components_ / np.sqrt(pca.explained_variance_)[:, None]
    return (np.asarray(X, dtype=np.float64) - pca.mean_) @ K.T, K, pca.mean_


def _sym_decorrelate(W: np.ndarray) -> np.ndarray:
    """(W W^T)^{-1/2} W: the orthogonal matrix nearest to W (rows orthonormal)."""
    s, u = np.linalg.eigh(W @ W.T)
    s = np.clip(s, np.finfo(W.dtype).tiny, None)
    return (u / np.sqrt(s)) @ u.T @ W


@dataclass
class FastICA:
    """Symmetric FastICA with the log-cosh contrast (Hyvarinen 1999).

    ``fit(X, rng)`` with X (N, D) whitens to k components and iterates the fixed point from a
    random orthogonal start drawn with ``rng``. Sets ``mean_`` (D,), ``whitening_`` (k, D),
    ``unmixing_`` W (k, k) (orthogonal, acting on whitened data), ``components_`` (k, D) =
    W K (the full unmixing: S = (X - mean) components_^T), ``mixing_`` (D, k) = pinv(components_),
    ``n_iter_`` and ``converged_``. Sources have unit variance; their order and signs are
    arbitrary (ICA's indeterminacy), which :func:`match_components` removes when comparing.
    """

    n_components: int
    max_iter: int = 400
    tol: float = 1e-6

    def fit(self, X, rng: np.random.Generator) -> FastICA:
        X = _matrix(X, "X", "FastICA.fit")
        k = int(self.n_components)
        if not 1 <= k <= min(X.shape):
            raise ValueError(f"FastICA.fit: n_components must be in [1, {min(X.shape)}], got {k}")
        Z, K, mean = whiten(X, k)
        N = Z.shape[0]
        W = _sym_decorrelate(rng.standard_normal((k, k)))
        self.converged_ = False
        it = 0
        while it < self.max_iter:
            it += 1
            U = Z @ W.T                                               # (N, k) current sources
            G = np.tanh(U)                                            # g(u) = tanh(u) = G'(u)
            Gp = 1.0 - G ** 2                                         # g'(u)
            # fixed point: w <- E[z g(w^T z)] - E[g'(w^T z)] w, for all rows at once
            W_new = _sym_decorrelate(G.T @ Z / N - Gp.mean(axis=0)[:, None] * W)
            change = float(np.max(np.abs(np.abs(np.sum(W_new * W, axis=1)) - 1.0)))
            W = W_new
            if change < self.tol:
                self.converged_ = True
                break
        self.n_iter_ = it
        self.mean_, self.whitening_, self.unmixing_ = mean, K, W
        self.components_ = W @ K
        self.mixing_ = np.linalg.pinv(self.components_)
        return self

    def transform(self, X) -> np.ndarray:
        """Estimated sources (N, k) = (X - mean) components_^T, unit variance each."""
        if not hasattr(self, "components_"):
            raise RuntimeError("FastICA.transform: call fit first")
        X = np.asarray(X, dtype=np.float64)
        if X.ndim != 2 or X.shape[1] != self.components_.shape[1]:
            raise ValueError(f"FastICA.transform: X must be (N, {self.components_.shape[1]}), got {X.shape}")
        return (X - self.mean_) @ self.components_.T

    def fit_transform(self, X, rng: np.random.Generator) -> np.ndarray:
        return self.fit(X, rng).transform(X)


def _orthonormal_columns(A: np.ndarray, name: str) -> np.ndarray:
    A = np.asarray(A, dtype=np.float64)
    if A.ndim != 2:
        raise ValueError(f"principal_angles: {name} must be (D, k), got shape {A.shape}")
    U, s, _ = np.linalg.svd(A, full_matrices=False)
    rank = int(np.sum(s > s.max() * max(A.shape) * np.finfo(float).eps)) if s.size else 0
    if rank < A.shape[1]:
        raise ValueError(f"principal_angles: the columns of {name} {A.shape} are linearly dependent "
                         f"(rank {rank})")
    return U


def principal_angles(A, B) -> np.ndarray:
    """Principal angles (radians, ascending) between the column spans of A (D, p) and B (D, q):
    min(p, q) values in [0, pi/2]. cos theta_i = sigma_i(Qa^T Qb); where cos^2 >= 1/2 the angle is
    taken as arcsin of the singular values of (I - Qa Qa^T) Qb instead (accurate near 0)."""
    Qa, Qb = _orthonormal_columns(A, "A"), _orthonormal_columns(B, "B")
    if Qa.shape[0] != Qb.shape[0]:
        raise ValueError(f"principal_angles: A {np.shape(A)} and B {np.shape(B)} need the same number "
                         "of rows")
    if Qa.shape[1] < Qb.shape[1]:
        Qa, Qb = Qb, Qa                                               # Qb has the fewer columns
    cos = np.clip(np.linalg.svd(Qa.T @ Qb, compute_uv=False), -1.0, 1.0)   # descending
    sin = np.linalg.svd(Qb - Qa @ (Qa.T @ Qb), compute_uv=False)           # descending = largest angle first
    sin = np.clip(sin[::-1], -1.0, 1.0)                                    # ascending, paired with cos
    return np.where(cos ** 2 >= 0.5, np.arcsin(sin), np.arccos(cos))


def match_components(S_est, S_true) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Match the columns of S_est (N, k) to those of S_true (N, k) up to sign and permutation.

    Pearson correlations C (k, k) between every estimated and every true column; the assignment
    maximising sum |C[i, perm[i]]| (Hungarian algorithm). Returns ``perm`` (k,) (estimated column i
    matches true column perm[i]), ``signs`` (k,) = sign C[i, perm[i]], and ``abs_corr`` (k,) =
    |C[i, perm[i]]|: 1 for every column when S_est is S_true permuted, rescaled and sign-flipped.
    """
    A, B = np.asarray(S_est, dtype=np.float64), np.asarray(S_true, dtype=np.float64)
    if A.ndim != 2 or A.shape != B.shape:
        raise ValueError(f"match_components: need two (N, k) arrays of one shape, got {A.shape} and "
                         f"{B.shape}")
    A = (A - A.mean(0)) / A.std(0)
    B = (B - B.mean(0)) / B.std(0)
    C = A.T @ B / A.shape[0]
    rows, perm = linear_sum_assignment(-np.abs(C))
    c = C[rows, perm]
    return perm, np.sign(c), np.abs(c)


def amari_index(W, A) -> float:
    """Normalised Amari index of P = W A (W (k, D) unmixing, A (D, k) mixing), in [0, 1]:

        (1 / (2 k (k - 1))) [ sum_i (sum_j |p_ij| / max_j |p_ij| - 1)
                            + sum_j (sum_i |p_ij| / max_i |p_ij| - 1) ]

    0 exactly when P is a scaled permutation (perfect separation up to ICA's indeterminacy);
    about 0.5-0.6 for a random P with k = 3 (the more mixed, the larger).
    """
    P = np.abs(np.asarray(W, dtype=np.float64) @ np.asarray(A, dtype=np.float64))
    k = P.shape[0]
    if P.ndim != 2 or P.shape[1] != k or k < 2:
        raise ValueError(f"amari_index: W A must be square with k >= 2, got {P.shape} "
                         f"from W {np.shape(W)} and A {np.shape(A)}")
    rows = (P.sum(1) / P.max(1) - 1).sum()
    cols = (P.sum(0) / P.max(0) - 1).sum()
    return float((rows + cols) / (2 * k * (k - 1)))
