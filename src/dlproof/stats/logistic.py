"""Binary logistic regression fitted by Newton's method (IRLS), with per-example weights.

Model: p(y = 1 | x) = σ(xᵀw + b). Fitting minimises the weighted, L2-penalised negative
log-likelihood

    L(w, b) = Σ_i s_i [ log(1 + exp(z_i)) − y_i z_i ] / Σ_i s_i + (λ/2)||w||²,   z_i = x_iᵀw + b,

whose gradient and Hessian in θ = (w, b) with design rows a_i = (x_i, 1) are

    ∇L = Aᵀ(s ⊙ (p − y)) / Σs + λ (w, 0),    ∇²L = Aᵀ diag(s ⊙ p(1 − p)) A / Σs + λ diag(1, …, 1, 0).

L is convex, so Newton's method converges quadratically from θ = 0; the bias is never penalised.
Class weights are per-example weights s_i = c_{y_i}; ``sample_weight`` and ``class_weight``
multiply. With λ = C⁻¹/N this is scikit-learn's ``LogisticRegression(C=C)`` (tests compare them).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


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
