"""Multinomial (softmax) logistic regression: the linear probe of representation learning.

A representation h(x) is judged by how well a *simple* learner does on top of it; the standard
simple learner is a linear classifier fitted on frozen features (a "linear probe"). Here:

    p(y = c | z) = softmax(z W^T + b)_c,      z (N, d), W (C, d), b (C,)
    objective    = (1/N) sum_n -log p(y_n | z_n) + (alpha / 2) ||W||_F^2      (b not penalised)

with gradient, for P (N, C) the predicted probabilities and Y (N, C) the one-hot labels,

    d obj / d W = (P - Y)^T z / N + alpha W,      d obj / d b = sum_n (P - Y)_n / N,

minimised by L-BFGS (scipy). The objective is strictly convex in W for alpha > 0, so the optimum
is unique. It is sklearn's ``LogisticRegression(C=1 / (alpha N))`` (which sums the losses and adds
||W||^2 / 2); a test uses that as the oracle.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import minimize

__all__ = ["SoftmaxRegression", "softmax_regression_objective", "standardize_with"]


def _log_softmax(S: np.ndarray) -> np.ndarray:
    S = S - S.max(axis=1, keepdims=True)                      # shift: exp never overflows
    return S - np.log(np.exp(S).sum(axis=1, keepdims=True))


def softmax_regression_objective(theta: np.ndarray, Z: np.ndarray, Y: np.ndarray, alpha: float):
    """(objective, gradient) at theta = [W.ravel(), b] for Z (N, d) and one-hot Y (N, C)."""
    N, d = Z.shape
    C = Y.shape[1]
    W, b = theta[:C * d].reshape(C, d), theta[C * d:]
    logP = _log_softmax(Z @ np.ascontiguousarray(W.T) + b)   # contiguous: a fast GEMM
    obj = -np.sum(Y * logP) / N + 0.5 * alpha * np.sum(W ** 2)
    R = (np.exp(logP) - Y) / N                                  # d obj / d scores = (P - Y) / N
    gW = R.T @ Z + alpha * W
    return obj, np.concatenate([gW.ravel(), R.sum(axis=0)])


class SoftmaxRegression:
    """L2-penalised multinomial logistic regression (see the module docstring for the formula).

    ``fit(Z, y)`` with Z (N, d) features and y (N,) integer labels in [0, n_classes); classes that
    do not occur in y still get a row of W (their bias is pushed down). ``predict(Z)`` -> (N,),
    ``predict_proba(Z)`` -> (N, C), ``score(Z, y)`` -> accuracy.
    """

    def __init__(self, n_classes: int, alpha: float = 1e-2, max_iter: int = 500, tol: float = 1e-6):
        if n_classes < 2:
            raise ValueError(f"SoftmaxRegression: n_classes must be >= 2, got {n_classes}")
        if alpha <= 0:
            raise ValueError(f"SoftmaxRegression: alpha must be > 0 (a unique optimum), got {alpha}")
        self.n_classes, self.alpha, self.max_iter, self.tol = int(n_classes), float(alpha), max_iter, tol

    def _check(self, Z, op):
        Z = np.asarray(Z, np.float64)
        if Z.ndim != 2:
            raise ValueError(f"SoftmaxRegression.{op}: features must be (N, d), got shape {Z.shape}")
        if hasattr(self, "coef_") and Z.shape[1] != self.coef_.shape[1]:
            raise ValueError(f"SoftmaxRegression.{op}: fitted on d = {self.coef_.shape[1]} features, "
                             f"got {Z.shape[1]}")
        return Z

    def fit(self, Z, y) -> SoftmaxRegression:
        if hasattr(self, "coef_"):
            del self.coef_
        Z = self._check(Z, "fit")
        y = np.asarray(y)
        if y.shape != (Z.shape[0],) or y.min() < 0 or y.max() >= self.n_classes:
            raise ValueError(f"SoftmaxRegression.fit: y must be ({Z.shape[0]},) integers in "
                             f"[0, {self.n_classes}), got shape {y.shape}")
        C, d = self.n_classes, Z.shape[1]
        Y = np.eye(C)[y]
        res = minimize(softmax_regression_objective, np.zeros(C * (d + 1)), args=(Z, Y, self.alpha),
                       jac=True, method="L-BFGS-B", options={"maxiter": self.max_iter, "gtol": self.tol,
                                                   "ftol": self.tol * 1e-4})
        self.coef_ = res.x[:C * d].reshape(C, d)
        self.intercept_ = res.x[C * d:]
        self.objective_, self.n_iter_ = float(res.fun), int(res.nit)
        return self

    def decision_function(self, Z) -> np.ndarray:
        return self._check(Z, "decision_function") @ self.coef_.T + self.intercept_

    def predict_proba(self, Z) -> np.ndarray:
        return np.exp(_log_softmax(self.decision_function(Z)))

    def predict(self, Z) -> np.ndarray:
        return self.decision_function(Z).argmax(axis=1)

    def score(self, Z, y) -> float:
        return float(np.mean(self.predict(Z) == np.asarray(y)))


def standardize_with(Z_ref, *Zs, per_feature: bool = True):
    """Centre each array in ``Zs`` with the column means of ``Z_ref`` (N, d) and scale it:
    ``per_feature``: every column by its own std in Z_ref (constant columns keep std 1), i.e.
    z-scores; otherwise all columns by ONE number, sqrt(mean column variance of Z_ref), which keeps
    the relative scales of the features (for PCA scores: no whitening). Either way one alpha then
    means the same for every representation. Returns a tuple of arrays."""
    Z_ref = np.asarray(Z_ref, np.float64)
    if Z_ref.ndim != 2:
        raise ValueError(f"standardize_with: the reference must be (N, d), got shape {Z_ref.shape}")
    mu, sd = Z_ref.mean(axis=0), Z_ref.std(axis=0)
    if per_feature:
        sd = np.where(sd > 1e-12, sd, 1.0)
    else:
        sd = max(float(np.sqrt(np.mean(sd ** 2))), 1e-12)
    return tuple((np.asarray(Z, np.float64) - mu) / sd for Z in Zs)
