"""Kernel regression and RBF networks, vectorised (NumPy/SciPy).

Shapes: inputs X (N, d), Z (M, d); targets y (N,) or (N, k). Conventions as scikit-learn, so its
``rbf_kernel``, ``polynomial_kernel`` and ``KernelRidge`` are exact oracles (the tests use them).

* Gaussian (RBF) kernel ``k(x, z) = exp(-gamma ||x - z||^2)``, gamma = 1 / (2 sigma^2).
* Polynomial kernel ``k(x, z) = (gamma <x, z> + coef0)^degree`` (gamma defaults to 1/d).
* Kernel ridge regression (KRR): ``min_f sum_i (y_i - f(x_i))^2 + alpha ||f||_H^2`` over the RKHS H
  of k. By the representer theorem (Kimeldorf & Wahba 1971) the minimiser is
  ``f(x) = sum_i a_i k(x, x_i)`` with ``a = (K + alpha I)^{-1} y``, K = k(X, X): an O(N^3) solve.
* Nadaraya-Watson (Nadaraya 1964, Watson 1964): ``f(x) = sum_i y_i k(x, x_i) / sum_j k(x, x_j)``,
  a normalised RBF network whose centres are the training points and whose weights are the
  targets; nothing is fitted.
* RBF network (Broomhead & Lowe 1988; Moody & Darken 1989): ``f(x) = b + sum_m w_m k(x, c_m)``
  with m centres (here from k-means) and (w, b) by ridge least squares: an O(N m^2 + m^3) solve.
* Random Fourier features (Rahimi & Recht 2007): ``z(x) = sqrt(2/D) cos(W x + b)`` with rows of W
  drawn from N(0, 2 gamma I) and b ~ U[0, 2 pi], so E[z(x)^T z(x')] = exp(-gamma ||x - x'||^2)
  (Bochner's theorem); ridge regression on z is KRR with that Monte-Carlo kernel.
"""

from __future__ import annotations

import numpy as np
import scipy.linalg

__all__ = [
    "sq_dists", "rbf_kernel", "polynomial_kernel", "kernel_matrix", "KernelRidge", "nadaraya_watson",
    "kmeans", "RBFNetwork", "rbf_network_weights", "RandomFourierFeatures",
]


def _as_2d(X, name: str, op: str) -> np.ndarray:
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2:
        raise ValueError(f"{op}: {name} must be 2-D (N, d), got shape {X.shape}")
    return X


def _pair(X, Z, op: str) -> tuple[np.ndarray, np.ndarray]:
    X = _as_2d(X, "X", op)
    Z = X if Z is None else _as_2d(Z, "Z", op)
    if X.shape[1] != Z.shape[1]:
        raise ValueError(f"{op}: X has {X.shape[1]} features but Z has {Z.shape[1]}")
    return X, Z


def sq_dists(X, Z=None) -> np.ndarray:
    """Squared Euclidean distances ``||x_i - z_j||^2`` (N, M) via ``|x|^2 + |z|^2 - 2 x.z``,
    clipped at 0 (the expansion can go slightly negative in floating point); with Z omitted the
    diagonal is set to exactly 0 (the expansion leaves rounding there, ~1e-16 |x|^2)."""
    same = Z is None
    X, Z = _pair(X, Z, "sq_dists")
    d = np.maximum((X * X).sum(1)[:, None] + (Z * Z).sum(1)[None, :] - 2.0 * X @ Z.T, 0.0)
    if same:
        np.fill_diagonal(d, 0.0)
    return d


def rbf_kernel(X, Z=None, gamma: float = 1.0) -> np.ndarray:
    """``K_ij = exp(-gamma ||x_i - z_j||^2)``: (N, M)."""
    if not gamma > 0:
        raise ValueError(f"rbf_kernel: gamma must be > 0, got {gamma}")
    return np.exp(-gamma * sq_dists(X, Z))


def polynomial_kernel(X, Z=None, degree: int = 3, gamma: float | None = None,
                      coef0: float = 1.0) -> np.ndarray:
    """``K_ij = (gamma <x_i, z_j> + coef0)^degree``: (N, M); gamma defaults to 1 / d."""
    X, Z = _pair(X, Z, "polynomial_kernel")
    if int(degree) != degree or degree < 1:
        raise ValueError(f"polynomial_kernel: degree must be a positive integer, got {degree}")
    g = 1.0 / X.shape[1] if gamma is None else float(gamma)
    return (g * X @ Z.T + coef0) ** int(degree)


def kernel_matrix(X, Z=None, kernel: str = "rbf", **params) -> np.ndarray:
    """Dispatch ``kernel`` in {"rbf", "poly", "linear"} with its parameters: (N, M)."""
    if kernel == "rbf":
        return rbf_kernel(X, Z, **params)
    if kernel == "poly":
        return polynomial_kernel(X, Z, **params)
    if kernel == "linear":
        X, Z = _pair(X, Z, "kernel_matrix")
        return X @ Z.T
    raise ValueError(f"kernel_matrix: kernel must be 'rbf', 'poly' or 'linear', got {kernel!r}")


def _targets(y, n: int, op: str) -> np.ndarray:
    y = np.asarray(y, dtype=np.float64)
    if y.ndim not in (1, 2) or len(y) != n:
        raise ValueError(f"{op}: y must have shape ({n},) or ({n}, k), got {y.shape}")
    return y


class KernelRidge:
    """Kernel ridge regression in closed form (no intercept, like scikit-learn's ``KernelRidge``).

    ``fit``: ``a = (K + alpha I)^{-1} y`` by a Cholesky solve (K + alpha I is symmetric positive
    definite for alpha > 0); ``predict``: ``f(X*) = k(X*, X) a`` (N*,) or (N*, k).
    ``alpha = 0`` interpolates (needs K non-singular). Cost: O(N^2 d) for K, O(N^3) for the solve.
    """

    def __init__(self, alpha: float = 1.0, kernel: str = "rbf", **kernel_params):
        if alpha < 0:
            raise ValueError(f"KernelRidge: alpha must be >= 0, got {alpha}")
        self.alpha, self.kernel, self.kernel_params = float(alpha), kernel, kernel_params

    def fit(self, X, y) -> KernelRidge:
        X = _as_2d(X, "X", "KernelRidge.fit")
        y = _targets(y, len(X), "KernelRidge.fit")
        K = kernel_matrix(X, None, self.kernel, **self.kernel_params)
        A = K + self.alpha * np.eye(len(X))
        try:
            self.dual_coef_ = scipy.linalg.solve(A, y, assume_a="pos")
        except np.linalg.LinAlgError as e:
            raise ValueError("KernelRidge.fit: K + alpha I is singular (use alpha > 0)") from e
        self.X_fit_ = X
        return self

    def predict(self, X) -> np.ndarray:
        if not hasattr(self, "dual_coef_"):
            raise RuntimeError("KernelRidge.predict called before fit")
        return kernel_matrix(X, self.X_fit_, self.kernel, **self.kernel_params) @ self.dual_coef_


def nadaraya_watson(X_train, y_train, X, gamma: float) -> np.ndarray:
    """``f(x) = sum_i y_i k(x, x_i) / sum_j k(x, x_j)`` with the RBF kernel: (N*,) or (N*, k).

    The weights are a softmax over ``-gamma ||x - x_i||^2``, computed after subtracting each row's
    maximum, so a very narrow kernel (all k underflow to 0) still gives the nearest neighbours'
    average instead of 0/0."""
    if not gamma > 0:
        raise ValueError(f"nadaraya_watson: gamma must be > 0, got {gamma}")
    X_train, X = _pair(X_train, X, "nadaraya_watson")
    y_train = _targets(y_train, len(X_train), "nadaraya_watson")
    logits = -gamma * sq_dists(X, X_train)                              # (N*, N)
    w = np.exp(logits - logits.max(axis=1, keepdims=True))
    return (w / w.sum(axis=1, keepdims=True)) @ y_train


def kmeans(X, k: int, rng: np.random.Generator, n_iter: int = 100, n_init: int = 3):
    """Lloyd's k-means with k-means++ seeding (Arthur & Vassilvitskii 2007), best of ``n_init``.

    Minimises the inertia ``sum_n min_j ||x_n - c_j||^2``. Each iteration assigns every point to
    its nearest centre (one (N, k) distance matrix) and moves each centre to the mean of its points
    (an empty cluster keeps its old centre). Returns (centres (k, d), labels (N,), inertia)."""
    X = _as_2d(X, "X", "kmeans")
    if not 1 <= k <= len(X):
        raise ValueError(f"kmeans: k must be in [1, {len(X)}], got {k}")
    best = None
    for _ in range(n_init):
        C = X[[rng.integers(len(X))]]
        for _ in range(1, k):   # k-means++: next centre with probability proportional to D(x)^2
            d2 = sq_dists(X, C).min(axis=1)
            p = d2 / d2.sum() if d2.sum() > 0 else np.full(len(X), 1 / len(X))
            C = np.vstack([C, X[rng.choice(len(X), p=p)]])
        for _ in range(n_iter):
            labels = sq_dists(X, C).argmin(axis=1)
            counts = np.bincount(labels, minlength=k)
            sums = np.zeros_like(C)
            np.add.at(sums, labels, X)
            new = np.where(counts[:, None] > 0, sums / np.maximum(counts, 1)[:, None], C)
            if np.allclose(new, C, rtol=0, atol=1e-12):
                C = new
                break
            C = new
        labels = sq_dists(X, C).argmin(axis=1)
        inertia = float(sq_dists(X, C)[np.arange(len(X)), labels].sum())
        if best is None or inertia < best[2]:
            best = (C, labels, inertia)
    return best


def rbf_network_weights(Phi, y, alpha: float, penalty: str = "l2", G=None) -> np.ndarray:
    """Output weights of a linear-in-the-weights RBF network ``f = Phi w``: Phi (N, m).

    - ``penalty="l2"``: ``min ||y - Phi w||^2 + alpha ||w||^2``
      ->  ``w = (Phi^T Phi + alpha I)^{-1} Phi^T y``.
    - ``penalty="rkhs"``: ``min ||y - Phi w||^2 + alpha w^T G w`` with G = k(C, C) the centres' Gram
      matrix (``||f||_H^2`` of ``f = sum_m w_m k(., c_m)``)  ->  ``w = (Phi^T Phi + alpha G)^+ Phi^T y``
      (least-squares solve; the minimum-norm w if the system is singular).
    With the centres at the training points (Phi = G = K) the RKHS version is exactly KRR,
    ``w = (K + alpha I)^{-1} y``; the L2 version is ``(K^2 + alpha I)^{-1} K y``, a different estimator.
    """
    Phi = _as_2d(Phi, "Phi", "rbf_network_weights")
    y = _targets(y, len(Phi), "rbf_network_weights")
    if penalty == "l2":
        A = Phi.T @ Phi + alpha * np.eye(Phi.shape[1])
        return scipy.linalg.solve(A, Phi.T @ y, assume_a="pos")
    if penalty == "rkhs":
        if G is None or np.shape(G) != (Phi.shape[1], Phi.shape[1]):
            raise ValueError(f"rbf_network_weights: penalty='rkhs' needs G of shape {(Phi.shape[1],) * 2}")
        A = Phi.T @ Phi + alpha * np.asarray(G, dtype=np.float64)
        return scipy.linalg.lstsq(A, Phi.T @ y, cond=1e-13)[0]
    raise ValueError(f"rbf_network_weights: penalty must be 'l2' or 'rkhs', got {penalty!r}")


class RBFNetwork:
    """``f(x) = b + sum_m w_m exp(-gamma ||x - c_m||^2)`` with m centres from k-means.

    ``fit``: centres by :func:`kmeans`, then (w, b) by ridge least squares on the design
    ``[Phi, 1]`` (N, m + 1), the bias unpenalised: ``(A^T A + alpha diag(1, .., 1, 0)) theta = A^T y``.
    Cost O(N m) per k-means iteration, then O(N m^2 + m^3) for the weights, against O(N^3) for KRR
    with N centres."""

    def __init__(self, n_centers: int, gamma: float, alpha: float = 1e-6,
                 rng: np.random.Generator | None = None):
        if n_centers < 1 or not gamma > 0 or alpha < 0:
            raise ValueError(f"RBFNetwork: need n_centers >= 1, gamma > 0, alpha >= 0, got "
                             f"{n_centers}, {gamma}, {alpha}")
        self.n_centers, self.gamma, self.alpha = int(n_centers), float(gamma), float(alpha)
        self.rng = rng if rng is not None else np.random.default_rng(0)

    def design(self, X) -> np.ndarray:
        """``[k(x, c_1), ..., k(x, c_m), 1]``: (N, m + 1)."""
        Phi = rbf_kernel(X, self.centers_, self.gamma)
        return np.hstack([Phi, np.ones((len(Phi), 1))])

    def fit(self, X, y) -> RBFNetwork:
        X = _as_2d(X, "X", "RBFNetwork.fit")
        y = _targets(y, len(X), "RBFNetwork.fit")
        self.centers_ = kmeans(X, self.n_centers, self.rng)[0]
        A = self.design(X)
        reg = self.alpha * np.eye(A.shape[1])
        reg[-1, -1] = 0.0
        self.coef_ = scipy.linalg.lstsq(A.T @ A + reg, A.T @ y)[0]
        return self

    def predict(self, X) -> np.ndarray:
        if not hasattr(self, "coef_"):
            raise RuntimeError("RBFNetwork.predict called before fit")
        return self.design(_as_2d(X, "X", "RBFNetwork.predict")) @ self.coef_


class RandomFourierFeatures:
    """``z(x) = sqrt(2 / D) cos(W x + b)``, W (D, d) ~ N(0, 2 gamma), b (D,) ~ U[0, 2 pi].

    ``E[z(x)^T z(x')] = exp(-gamma ||x - x'||^2)``: for w ~ N(0, 2 gamma I),
    ``E[cos(w^T (x - x'))] = exp(-gamma ||x - x'||^2)`` (the Gaussian's characteristic function), and
    ``2 cos(a + b) cos(a' + b)`` averages over b to ``cos(a - a')``. Each entry of ``Z Z^T`` is a mean
    of D bounded i.i.d. terms, so its error has standard deviation O(1 / sqrt(D))."""

    def __init__(self, d: int, n_features: int, gamma: float, rng: np.random.Generator):
        if d < 1 or n_features < 1 or not gamma > 0:
            raise ValueError(f"RandomFourierFeatures: need d >= 1, n_features >= 1, gamma > 0, got "
                             f"{d}, {n_features}, {gamma}")
        self.W = rng.normal(0.0, np.sqrt(2.0 * gamma), (n_features, d))
        self.b = rng.uniform(0.0, 2 * np.pi, n_features)

    def transform(self, X) -> np.ndarray:
        """(N, d) -> (N, D)."""
        X = _as_2d(X, "X", "RandomFourierFeatures.transform")
        if X.shape[1] != self.W.shape[1]:
            raise ValueError(f"RandomFourierFeatures.transform: X has {X.shape[1]} features, "
                             f"expected {self.W.shape[1]}")
        return np.sqrt(2.0 / len(self.b)) * np.cos(X @ self.W.T + self.b)
