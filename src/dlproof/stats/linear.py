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
* ``design_with_spectrum(rng, n, eigenvalues)``: a design X whose Gram matrix X^T X has the given
  eigenvalues, so the Hessian of the summed squared error is known exactly.
* ``early_stopping_shrinkage(eigenvalues, lr, steps)``: 1 - (1 - lr lambda_i)^steps, the factor by
  which gradient descent from w = 0 has moved each eigen-component towards the optimum.
* ``gradient_descent_least_squares(X, y, lr, steps)``: plain GD on 1/2 ||X w - y||^2 from w = 0.

Shapes: X (n, d), y (n,), returned weights (d,).
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "ridge",
    "lasso",
    "soft_threshold",
    "polynomial_features",
    "ridge_shrinkage",
    "design_with_spectrum",
    "early_stopping_shrinkage",
    "gradient_descent_least_squares",
]


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


def design_with_spectrum(rng: np.random.Generator, n: int, eigenvalues) -> tuple[np.ndarray, np.ndarray]:
    """X = U diag(sqrt(lambda)) V^T with U (n, d) orthonormal columns and V (d, d) orthogonal, both
    random; then X^T X = V diag(lambda) V^T exactly. Returns X (n, d) and V (columns = eigenvectors)."""
    lam = np.asarray(eigenvalues, np.float64)
    if lam.ndim != 1 or n < lam.size or np.any(lam < 0):
        raise ValueError(f"design_with_spectrum: need n >= d and eigenvalues >= 0, got n={n}, {lam}")
    d = lam.size
    U, _ = np.linalg.qr(rng.standard_normal((n, d)))
    V, _ = np.linalg.qr(rng.standard_normal((d, d)))
    return (U * np.sqrt(lam)) @ V.T, V


def early_stopping_shrinkage(eigenvalues, lr: float, steps: int) -> np.ndarray:
    """1 - (1 - lr lambda_i)^steps: gradient descent with step ``lr`` on a quadratic with Hessian
    eigenvalues lambda_i, started at 0, has after ``steps`` steps the fraction of the optimum's
    component along eigenvector i (Goodfellow §7.8). Compare ``ridge_shrinkage(lam, 1/(lr steps))``."""
    lam = np.asarray(eigenvalues, np.float64)
    return 1.0 - (1.0 - lr * lam) ** steps


def gradient_descent_least_squares(X, y, lr: float, steps: int, w0=None) -> np.ndarray:
    """``steps`` iterations of w <- w - lr X^T (X w - y) (the gradient of 1/2 ||X w - y||^2) from
    ``w0`` (default 0); shape (d,). From 0 every iterate lies in the row space of X, so when X^T X is
    singular the limit (lr < 2 / lambda_max) is the minimum-norm solution X^+ y."""
    X, y = _check(X, y, "gradient_descent_least_squares")
    w = np.zeros(X.shape[1]) if w0 is None else np.asarray(w0, np.float64).copy()
    for _ in range(steps):  # loop over iterations
        w -= lr * (X.T @ (X @ w - y))  # gradient of 1/2 ||Xw - y||^2 is X^T (Xw - y)
    return w
