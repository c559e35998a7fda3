"""Logistic regression, binary and multinomial: the two linear probabilistic classifiers the
experiments fit (and test against scikit-learn).

* :class:`LogisticRegression`, binary, by Newton's method (IRLS) with per-example weights.
* :class:`SoftmaxRegression`, multinomial, by L-BFGS: the linear probe of representation learning.

## Binary

Binary logistic regression fitted by Newton's method (IRLS), with per-example weights.

Model: p(y = 1 | x) = σ(xᵀw + b). Fitting minimises the weighted, L2-penalised negative
log-likelihood

    L(w, b) = Σ_i s_i [ log(1 + exp(z_i)) − y_i z_i ] / Σ_i s_i + (λ/2)||w||²,   z_i = x_iᵀw + b,

whose gradient and Hessian in θ = (w, b) with design rows a_i = (x_i, 1) are

    ∇L = Aᵀ(s ⊙ (p − y)) / Σs + λ (w, 0),    ∇²L = Aᵀ diag(s ⊙ p(1 − p)) A / Σs + λ diag(1, …, 1, 0).

L is convex, so Newton's method converges quadratically from θ = 0; the bias is never penalised.
Class weights are per-example weights s_i = c_{y_i}; ``sample_weight`` and ``class_weight``
multiply. With λ = C⁻¹/N this is scikit-learn's ``LogisticRegression(C=C)`` (tests compare them).

## Multinomial

Multinomial (softmax) logistic regression: the linear probe of representation learning.

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

from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize


def sigmoid(z: np.ndarray) -> np.ndarray:
    """σ(z) = 1 / (1 + e^{−z}), computed without overflow for large |z|."""
    out = np.empty_like(z, dtype=np.float64)
    pos = z >= 0
    out[pos] = 1.0 / (1.0 + np.exp(-z[pos]))
    ez = np.exp(z[~pos])
    out[~pos] = ez / (1.0 + ez)
    return out


@dataclass
class LogisticRegression:
    """Weighted binary logistic regression (see the module docstring for the objective).

    ``l2``: λ on the weights (not the bias). ``class_weight``: None, "balanced" (c_k = N / (2 N_k),
    as scikit-learn) or a dict {0: c0, 1: c1}. After :meth:`fit`: ``coef_`` (d,), ``intercept_``
    (float), ``n_iter_``.
    """

    l2: float = 0.0
    class_weight: object = None
    max_iter: int = 100
    tol: float = 1e-10

    def _weights(self, y: np.ndarray, sample_weight) -> np.ndarray:
        s = np.ones(len(y)) if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
        if s.shape != y.shape or np.any(s < 0):
            raise ValueError(f"sample_weight must be non-negative with shape {y.shape}, got {s.shape}")
        cw = self.class_weight
        if cw is None:
            return s
        if cw == "balanced":
            counts = np.bincount(y, minlength=2)
            cw = {k: len(y) / (2.0 * counts[k]) for k in (0, 1)}
        if not isinstance(cw, dict) or set(cw) != {0, 1}:
            raise ValueError(f"class_weight must be None, 'balanced' or {{0: c0, 1: c1}}, got {cw!r}")
        return s * np.where(y == 1, float(cw[1]), float(cw[0]))

    def fit(self, X, y, sample_weight=None) -> LogisticRegression:
        """X (N, d) floats, y (N,) in {0, 1}. Newton steps θ ← θ − (∇²L)⁻¹ ∇L until ||step|| < tol."""
        X = np.asarray(X, dtype=np.float64)
        y = np.asarray(y)
        if X.ndim != 2 or y.shape != (X.shape[0],):
            raise ValueError(
                f"LogisticRegression.fit: X must be (N, d) and y (N,), got {X.shape} and {y.shape}")
        if not np.isin(y, (0, 1)).all() or len(np.unique(y)) < 2:
            raise ValueError("LogisticRegression.fit: y must contain both labels 0 and 1 and nothing else")
        y = y.astype(np.int64)
        s = self._weights(y, sample_weight)
        s = s / s.sum()
        A = np.hstack([X, np.ones((len(X), 1))])
        d = X.shape[1]
        ridge = np.full(d + 1, self.l2)
        ridge[-1] = 0.0
        theta = np.zeros(d + 1)
        for it in range(1, self.max_iter + 1):  # noqa: B007 (n_iter_ reads it)
            p = sigmoid(A @ theta)
            grad = A.T @ (s * (p - y)) + ridge * theta              # ∇L
            hess = (A * (s * p * (1 - p))[:, None]).T @ A + np.diag(ridge)  # ∇²L
            # a tiny jitter keeps separable data (p → 0/1, flat Hessian) solvable
            step = np.linalg.solve(hess + 1e-12 * np.eye(d + 1), grad)
            theta -= step
            if np.linalg.norm(step) < self.tol * (1 + np.linalg.norm(theta)):
                break
        self.coef_, self.intercept_, self.n_iter_ = theta[:-1].copy(), float(theta[-1]), it
        return self

    def decision_function(self, X) -> np.ndarray:
        """The logit z = Xw + b, shape (N,)."""
        if not hasattr(self, "coef_"):
            raise RuntimeError("LogisticRegression: call fit before predicting")
        return np.asarray(X, dtype=np.float64) @ self.coef_ + self.intercept_

    def predict_proba(self, X) -> np.ndarray:
        """p(y = 1 | x) = σ(z), shape (N,)."""
        return sigmoid(self.decision_function(X))

    def predict(self, X, threshold: float = 0.5) -> np.ndarray:
        """1 where p(y = 1 | x) ≥ threshold."""
        return (self.predict_proba(X) >= threshold).astype(np.int64)


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
