"""Fully visible Boltzmann machine (FVBM) on d binary units, with three ways to fit it.

    p~(x) = exp(h.x + x^T J x / 2),   x in {0,1}^d,   J symmetric with zero diagonal
    Z = sum_x p~(x)                    (2^d terms: exact only for small d)

Parameters are packed as ``theta = [h (d,), upper triangle of J (d(d-1)/2,)]`` (row-major
``np.triu_indices(d, 1)`` order); the sufficient statistics are T(x) = [x, upper(x x^T)], so
log p~(x) = theta . T(x) and the model is an exponential family:

    d log Z / d theta = E_model[T(x)]                                 (the negative phase)
    d (1/N) sum_n log p(x_n) / d theta = mean_n T(x_n) - E_model[T(x)]  (positive - negative)

Objectives (all *minimised*, all return ``(value, gradient)`` for ``scipy.optimize.minimize``):
``neg_log_likelihood`` (exact, enumerates the 2^d states), ``neg_pseudo_log_likelihood``
(Besag 1975: sum_i log p(x_i | x_{-i}), no Z) and ``neg_nce`` (Gutmann & Hyvarinen 2010: logistic
classification of data against noise, log Z a free parameter). Data are ``(N, d)`` 0/1 arrays.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from dlproof.models.rbm import all_binary_states, sigmoid, softplus

__all__ = ["n_params", "unpack", "sufficient_stats", "log_ptilde", "log_partition",
           "model_expectation", "neg_log_likelihood", "neg_pseudo_log_likelihood", "neg_nce",
           "kl_to_model"]


def n_params(d: int) -> int:
    """d biases + d(d-1)/2 couplings."""
    return d + d * (d - 1) // 2


def _check(X: np.ndarray, d: int | None = None, name: str = "X") -> np.ndarray:
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2:
        raise ValueError(f"boltzmann: {name} must be a 2-D (N, d) array of 0/1 rows, got shape {X.shape}")
    if d is not None and X.shape[1] != d:
        raise ValueError(f"boltzmann: {name} must be (N, {d}) for a {d}-unit model, got {X.shape}")
    return X


def unpack(theta: np.ndarray, d: int) -> tuple[np.ndarray, np.ndarray]:
    """theta (d + d(d-1)/2,) -> h (d,), symmetric J (d, d) with zero diagonal."""
    theta = np.asarray(theta, dtype=np.float64)
    if theta.shape != (n_params(d),):
        raise ValueError(f"boltzmann: theta must have shape ({n_params(d)},) for d = {d}, got {theta.shape}")
    J = np.zeros((d, d))
    J[np.triu_indices(d, 1)] = theta[d:]
    return theta[:d], J + J.T


def sufficient_stats(X: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Weighted statistics sum_n w_n T(x_n) with T(x) = [x, upper(x x^T)]: X (N, d), w (N,) -> (n_params,)."""
    iu = np.triu_indices(X.shape[1], 1)
    return np.concatenate([w @ X, w @ (X[:, iu[0]] * X[:, iu[1]])])


def log_ptilde(X: np.ndarray, theta: np.ndarray) -> np.ndarray:
    """log p~(x) = h.x + x^T J x / 2 for the rows of X (N, d): (N,)."""
    X = _check(X)
    h, J = unpack(theta, X.shape[1])
    return X @ h + 0.5 * np.einsum("ni,ij,nj->n", X, J, X)


def log_partition(theta: np.ndarray, d: int) -> float:
    """log Z = logsumexp_x log p~(x) over all 2^d states."""
    return float(np.logaddexp.reduce(log_ptilde(all_binary_states(d), theta)))


def model_expectation(theta: np.ndarray, d: int) -> np.ndarray:
    """E_model[T(x)] = sum_x p(x) T(x) by enumeration; equals d log Z / d theta."""
    S = all_binary_states(d)
    a = log_ptilde(S, theta)
    return sufficient_stats(S, np.exp(a - np.logaddexp.reduce(a)))


def neg_log_likelihood(theta: np.ndarray, X: np.ndarray) -> tuple[float, np.ndarray]:
    """-(1/N) sum_n log p(x_n) and its gradient -(mean T(x_n) - E_model[T]) (exact, 2^d states)."""
    X = _check(X)
    d = X.shape[1]
    val = -(log_ptilde(X, theta).mean() - log_partition(theta, d))
    grad = -(sufficient_stats(X, np.full(len(X), 1.0 / len(X))) - model_expectation(theta, d))
    return float(val), grad


def neg_pseudo_log_likelihood(theta: np.ndarray, X: np.ndarray) -> tuple[float, np.ndarray]:
    """-(1/N) sum_n sum_i log p(x_ni | x_n,-i) and its gradient.

    p(x_i = 1 | x_{-i}) = sigmoid(A_i), A_i = h_i + sum_j J_ij x_j (J_ii = 0), so
    log p(x_i | x_{-i}) = x_i A_i - softplus(A_i): only ratios of p~, Z cancels.
    """
    X = _check(X)
    d = X.shape[1]
    h, J = unpack(theta, d)
    A = h + X @ J                                  # (N, d) conditional logits
    val = -np.mean((X * A - softplus(A)).sum(axis=1))
    R = X - sigmoid(A)                             # d log p(x_i|x_-i) / dA_i
    G = R.T @ X / len(X)                           # dA_i/dJ_ij = x_j; J_ij enters A_i and A_j
    grad = np.concatenate([R.mean(axis=0), (G + G.T)[np.triu_indices(d, 1)]])
    return float(val), -grad


def neg_nce(theta_c: np.ndarray, X: np.ndarray, Y: np.ndarray,
            log_q: Callable[[np.ndarray], np.ndarray]) -> tuple[float, np.ndarray]:
    """Noise-contrastive estimation loss per datum and its gradient.

    ``theta_c = [theta, c]`` with c a free log-normaliser (the model is log p~_theta + c); X (N, d)
    data, Y (M, d) noise drawn from q, ``log_q`` the noise log-density, nu = M / N. With
    G(x) = log p~_theta(x) + c - log q(x) - log nu (the classifier's logit, data = 1, noise = 0):

        loss = mean_X softplus(-G) + nu mean_Y softplus(G)     (= -log sigma(G) - nu log(1 - sigma(G)))

    minimised where c = -log Z_theta when the model family contains the data distribution.
    """
    X = _check(X)
    d = X.shape[1]
    Y = _check(Y, d, "Y")
    theta_c = np.asarray(theta_c, dtype=np.float64)
    if theta_c.shape != (n_params(d) + 1,):
        raise ValueError(f"neg_nce: theta_c must have shape ({n_params(d) + 1},), got {theta_c.shape}")
    theta, c = theta_c[:-1], theta_c[-1]
    nu = len(Y) / len(X)
    Gx = log_ptilde(X, theta) + c - log_q(X) - np.log(nu)
    Gy = log_ptilde(Y, theta) + c - log_q(Y) - np.log(nu)
    val = np.mean(softplus(-Gx)) + nu * np.mean(softplus(Gy))
    wx, wy = -sigmoid(-Gx) / len(X), nu * sigmoid(Gy) / len(Y)     # d loss / d G per sample
    grad = np.concatenate([sufficient_stats(X, wx) + sufficient_stats(Y, wy), [wx.sum() + wy.sum()]])
    return float(val), grad


def kl_to_model(p_true: np.ndarray, theta: np.ndarray, d: int) -> float:
    """KL(p_true || p_theta) = sum_x p_true(x) (log p_true(x) - log p_theta(x)), p_true over the
    2^d states in ``all_binary_states`` order (all entries > 0)."""
    a = log_ptilde(all_binary_states(d), theta)
    return float(np.sum(p_true * (np.log(p_true) - (a - np.logaddexp.reduce(a)))))
