"""Linear classifiers through the origin: logistic regression by gradient descent, the hard-margin SVM.

Labels y in {-1, +1}; X (n, d); weights w (d,) (no intercept: append a column of ones for one).

* ``logistic_loss_grad(w, X, y, alpha)``: the mean logistic loss
      L(w) = 1/n sum_i log(1 + exp(-y_i x_i^T w)) + alpha/2 ||w||^2
  and its gradient  -1/n sum_i y_i sigma(-y_i x_i^T w) x_i + alpha w.
* ``logistic_gradient_descent``: plain GD on L with a fixed step, recording ||w|| and w at chosen
  steps. On linearly separable data with alpha = 0 there is no minimiser: ||w|| grows like log t
  and w/||w|| tends to the hard-margin SVM direction (Soudry et al. 2018).
* ``hard_margin_svm(X, y)``: argmin ||w||^2 s.t. y_i x_i^T w >= 1 (SLSQP), the max-margin
  direction; its geometric margin is 1/||w||.
"""

from __future__ import annotations

import numpy as np

__all__ = ["logistic_loss_grad", "logistic_gradient_descent", "hard_margin_svm", "normalized_margin"]


def _check(X, y, op):
    X = np.asarray(X, np.float64)
    y = np.asarray(y, np.float64)
    if X.ndim != 2 or y.shape != (X.shape[0],):
        raise ValueError(f"{op}: need X (n, d) and y (n,), got X {X.shape} and y {y.shape}")
    if not np.all(np.abs(y) == 1):
        raise ValueError(f"{op}: labels must be -1 or +1")
    return X, y


def logistic_loss_grad(w, X, y, alpha: float = 0.0) -> tuple[float, np.ndarray]:
    """(L(w), grad L(w)) of the mean logistic loss plus alpha/2 ||w||^2 (see the module doc)."""
    X, y = _check(X, y, "logistic_loss_grad")
    w = np.asarray(w, np.float64)
    z = y * (X @ w)  # margins y_i x_i^T w
    loss = float(np.logaddexp(0.0, -z).mean() + 0.5 * alpha * (w @ w))
    s = 0.5 * (1.0 - np.tanh(0.5 * z))  # sigma(-z), computed without overflow
    grad = -(X.T @ (y * s)) / len(y) + alpha * w  # d/dw log(1 + e^{-z}) = -sigma(-z) y x
    return loss, grad


def logistic_gradient_descent(X, y, lr: float, steps: int, alpha: float = 0.0, record=()) -> dict:
    """``steps`` iterations of w <- w - lr grad L(w) from w = 0.

    Returns {"w": final w, "record": {t: w_t copy for t in record}, "grad_norm": ||grad L(w_T)||}."""
    X, y = _check(X, y, "logistic_gradient_descent")
    if lr <= 0 or steps < 0 or alpha < 0:
        raise ValueError(f"logistic_gradient_descent: need lr > 0, steps >= 0, alpha >= 0, "
                         f"got {lr}, {steps}, {alpha}")
    want = set(int(t) for t in record)
    w = np.zeros(X.shape[1])
    out = {}
    n = len(y)
    for t in range(1, steps + 1):  # loop over iterations
        s = 0.5 * (1.0 - np.tanh(0.5 * (y * (X @ w))))  # sigma(-margin)
        w -= lr * (-(X.T @ (y * s)) / n + alpha * w)
        if t in want:
            out[t] = w.copy()
    return {"w": w, "record": out, "grad_norm": float(np.linalg.norm(logistic_loss_grad(w, X, y, alpha)[1]))}


def normalized_margin(w, X, y) -> float:
    """min_i y_i x_i^T w / ||w||: the geometric margin of the separator w (negative if it errs)."""
    X, y = _check(X, y, "normalized_margin")
    w = np.asarray(w, np.float64)
    return float((y * (X @ w)).min() / np.linalg.norm(w))


def hard_margin_svm(X, y) -> np.ndarray:
    """argmin_w ||w||^2 s.t. y_i x_i^T w >= 1 (no intercept), by SLSQP; shape (d,).

    Raises ValueError when the data are not linearly separable through the origin."""
    from scipy.optimize import minimize

    X, y = _check(X, y, "hard_margin_svm")
    A = y[:, None] * X  # constraint rows: A w >= 1
    # start from a feasible point when one exists: the scaled least-squares separator
    w0 = np.linalg.lstsq(A, np.ones(len(y)), rcond=None)[0]
    if (A @ w0).min() <= 0:
        w0 = A.mean(axis=0)
    if (A @ w0).min() <= 0:
        w0 = np.zeros(X.shape[1])
    else:
        w0 = w0 / (A @ w0).min()
    res = minimize(lambda w: w @ w, w0, jac=lambda w: 2 * w, method="SLSQP",
                   constraints=[{"type": "ineq", "fun": lambda w: A @ w - 1.0, "jac": lambda w: A}],
                   options={"ftol": 1e-12, "maxiter": 2000})
    w = res.x
    # polish on the active set S: w = A_S^T mu with A_S w = 1, i.e. mu = (A_S A_S^T)^+ 1 (KKT, exact)
    active = A @ w < 1 + 1e-5
    if active.any():
        AS = A[active]
        mu = np.linalg.lstsq(AS @ AS.T, np.ones(int(active.sum())), rcond=None)[0]
        w_pol = AS.T @ mu
        if (A @ w_pol).min() >= 1 - 1e-9 and mu.min() >= -1e-9:
            w = w_pol
    if (A @ w).min() < 1 - 1e-6:
        raise ValueError(f"hard_margin_svm: data not separable through the origin ({res.message})")
    return w
