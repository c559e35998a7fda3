"""Penalised linear least squares and polynomial features.

Conventions (the same as scikit-learn, so its estimators are exact test oracles):

* ``ridge(X, y, alpha)`` minimises  ||y - X w||^2 + alpha ||w||^2  (SUMMED squared error, like
  ``sklearn.linear_model.Ridge(fit_intercept=False)``); closed form
  w = (X^T X + alpha I)^{-1} X^T y.  For alpha = 0 and an underdetermined X it returns the
  minimum-norm solution X^+ y (via lstsq), the alpha -> 0 limit of ridge.
* ``lasso(X, y, alpha)`` minimises  ||y - X w||^2 / (2 n) + alpha ||w||_1  (MEAN squared error with
  a factor 1/2, like ``sklearn.linear_model.Lasso(fit_intercept=False)``) by cyclic coordinate
  descent with soft-thresholding.
* ``polynomial_features(x, degree)``: the Vandermonde matrix [1, x, x^2, ..., x^degree].

Shapes: X (n, d), y (n,), returned weights (d,).
"""

from __future__ import annotations

import numpy as np

__all__ = ["ridge", "lasso", "soft_threshold", "polynomial_features", "ridge_shrinkage"]


def _check(X, y, op):
    X = np.asarray(X, np.float64)
    y = np.asarray(y, np.float64)
    if X.ndim != 2 or y.ndim != 1 or X.shape[0] != y.shape[0]:
        raise ValueError(f"{op}: need X (n, d) and y (n,), got X {X.shape} and y {y.shape}")
    return X, y


def ridge(X, y, alpha: float) -> np.ndarray:
    """argmin_w ||y - X w||^2 + alpha ||w||^2 = (X^T X + alpha I)^{-1} X^T y; shape (d,).

    alpha = 0 gives the minimum-norm least-squares solution X^+ y (also when X^T X is singular)."""
    X, y = _check(X, y, "ridge")
    if alpha < 0:
        raise ValueError(f"ridge: alpha must be >= 0, got {alpha}")
    if alpha == 0:
        return np.linalg.lstsq(X, y, rcond=None)[0]
    n, d = X.shape
    if d > n:  # dual form (X^T X + aI)^{-1} X^T = X^T (X X^T + aI)^{-1}: an n x n solve
        return X.T @ np.linalg.solve(X @ X.T + alpha * np.eye(n), y)
    return np.linalg.solve(X.T @ X + alpha * np.eye(d), X.T @ y)


def ridge_shrinkage(eigenvalues, alpha: float) -> np.ndarray:
    """The factor lambda_i / (lambda_i + alpha) by which an L2 penalty (alpha/2)||w||^2 scales the
    unregularised optimum along the Hessian eigenvector with eigenvalue lambda_i (Goodfellow §7.1.1)."""
    lam = np.asarray(eigenvalues, np.float64)
    return lam / (lam + alpha)


def soft_threshold(z, t):
    """S_t(z) = sign(z) max(|z| - t, 0): the proximal operator of t |.|, elementwise."""
    z = np.asarray(z, np.float64)
    return np.sign(z) * np.maximum(np.abs(z) - t, 0.0)


def lasso(X, y, alpha: float, *, tol: float = 1e-12, max_iter: int = 100_000, w0=None) -> np.ndarray:
    """argmin_w ||y - X w||^2 / (2n) + alpha ||w||_1 by cyclic coordinate descent; shape (d,).

    With G = X^T X / n and c = X^T y / n, the exact minimiser over coordinate j with the others fixed is
        w_j = S_alpha(c_j - sum_{k != j} G_jk w_k) / G_jj.
    Stops when a full sweep changes no coordinate by more than ``tol`` (relative to max |w|)."""
    X, y = _check(X, y, "lasso")
    if alpha < 0:
        raise ValueError(f"lasso: alpha must be >= 0, got {alpha}")
    n, d = X.shape
    G = X.T @ X / n
    c = X.T @ y / n
    diag = np.diag(G).copy()
    if np.any(diag <= 0):
        raise ValueError("lasso: X has an all-zero column")
    w = np.zeros(d) if w0 is None else np.asarray(w0, np.float64).copy()
    Gw = G @ w
    for _ in range(max_iter):  # loop over sweeps, then coordinates: coordinate descent is sequential
        delta = 0.0
        for j in range(d):
            rho = c[j] - Gw[j] + diag[j] * w[j]
            new = np.sign(rho) * max(abs(rho) - alpha, 0.0) / diag[j]  # soft-threshold update
            step = new - w[j]
            if step != 0.0:
                Gw += G[:, j] * step
                w[j] = new
                delta = max(delta, abs(step))
        if delta <= tol * max(1.0, np.abs(w).max()):
            break
    return w


def polynomial_features(x, degree: int) -> np.ndarray:
    """[1, x, x^2, ..., x^degree] for x of shape (n,); shape (n, degree + 1)."""
    x = np.asarray(x, np.float64)
    if x.ndim != 1 or degree < 0:
        raise ValueError(f"polynomial_features: need x (n,) and degree >= 0, got {x.shape}, {degree}")
    return x[:, None] ** np.arange(degree + 1)[None, :]
