"""Costs that gradients cannot minimise, and the tools used instead: surrogate losses, Gaussian
smoothing with a zeroth-order (evolution-strategies) gradient estimate, and the score-function
(REINFORCE) estimator.

Conventions: binary labels y in {-1, +1}; a linear classifier w (d,) on inputs X (n, d) has
margins m_i = y_i x_i^T w (append a column of ones to X for a bias). The prediction is wrong
exactly when m_i <= 0 (a tie counts as an error).

## The 0-1 loss and its surrogates

    0-1:            l01(m)  = 1[m <= 0]
    hinge:          phi(m)  = max(0, 1 - m)                 phi'(m) = -1[m < 1]   (a subgradient)
    logistic:       phi(m)  = log2(1 + e^{-m})              phi'(m) = -sigma(-m) / ln 2
    exponential:    phi(m)  = e^{-m}                        phi'(m) = -e^{-m}
    squared hinge:  phi(m)  = max(0, 1 - m)^2               phi'(m) = -2 max(0, 1 - m)

The logistic loss is written in base 2 so that phi(0) = 1: then every surrogate here is an upper
bound of the 0-1 loss, phi(m) >= 1[m <= 0] for all m (natural-log cross-entropy is the same loss
divided by log2(e) and bounds l01 / log2(e)). Each is convex with phi'(0) < 0, hence
*classification-calibrated* (Bartlett, Jordan & McAuliffe 2006): the minimiser of the conditional
risk  C_eta(a) = eta phi(a) + (1 - eta) phi(-a)  (eta = P(y = +1 | x)) has the sign of 2 eta - 1,
the Bayes decision. :func:`conditional_risk_minimizer` gives it in closed form.

## Gaussian smoothing of the 0-1 loss of a linear classifier

    f_sigma(w) = E_{eps ~ N(0, I)} [ mean_i l01(y_i x_i^T (w + sigma eps)) ]
               = mean_i Phi(-m_i / (sigma ||x_i||))

because y_i x_i^T eps ~ N(0, ||x_i||^2). It is smooth, with gradient

    grad f_sigma(w) = -mean_i phi_N(m_i / (sigma ||x_i||)) y_i x_i / (sigma ||x_i||)

(Phi, phi_N: standard normal CDF and density). This is the exact target that the zeroth-order
estimator below estimates, so it is the test oracle for it.

## Zeroth-order gradient (evolution strategies, antithetic)

For any f (no gradient needed, only values), with eps_j ~ N(0, I),

    g_hat = 1/(2 sigma N) sum_{j=1..N} [f(theta + sigma eps_j) - f(theta - sigma eps_j)] eps_j

is an unbiased estimate of grad f_sigma(theta), f_sigma(theta) = E f(theta + sigma eps)
(Stein's identity: grad f_sigma = E[f(theta + sigma eps) eps] / sigma; the antithetic pair cancels
the f(theta) term, a built-in baseline). It costs 2N evaluations of f; its variance grows with
the dimension d (for linear f, E||g_hat - g||^2 = (d + 1) ||g||^2 / N), so N ~ d evaluations buy
a fixed accuracy.

## Score-function (REINFORCE) estimator

For a policy p_theta(a) and any reward R(a) (not differentiable, not even continuous in a),

    grad_theta E_{a ~ p_theta}[R(a)] = E[(R(a) - b) grad_theta log p_theta(a)]

for any baseline b independent of a. :func:`score_function_gradient` averages this over samples,
with the leave-one-out mean of the other samples' rewards as an (unbiased) baseline. With a
Gaussian "policy" over parameters it is exactly the (non-antithetic) ES estimator above.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy.special import ndtr

__all__ = ["SURROGATES", "zero_one_loss", "surrogate_loss", "conditional_risk_minimizer",
           "margins", "smoothed_zero_one", "es_pair_estimates", "es_gradient", "score_function_gradient"]

SURROGATES = ("hinge", "logistic", "exponential", "squared_hinge")
_LN2 = np.log(2.0)


def zero_one_loss(m) -> np.ndarray:
    """Elementwise 0-1 loss 1[m <= 0] of margins m (any shape), as float64."""
    return (np.asarray(m, np.float64) <= 0).astype(np.float64)


def surrogate_loss(name: str, m) -> tuple[np.ndarray, np.ndarray]:
    """Elementwise (phi(m), phi'(m)) of the surrogate ``name`` (see the module doc for formulas).

    ``name``: one of :data:`SURROGATES`. For the hinge, phi' is the subgradient -1[m < 1]
    (0 at the kink m = 1).
    """
    m = np.asarray(m, np.float64)
    if name == "hinge":
        return np.maximum(0.0, 1.0 - m), -(m < 1).astype(np.float64)
    if name == "logistic":
        # log2(1 + e^{-m}); d/dm = -e^{-m} / (1 + e^{-m}) / ln2 = -sigma(-m) / ln2
        sig_neg = 0.5 * (1.0 - np.tanh(0.5 * m))  # sigma(-m) without overflow
        return np.logaddexp(0.0, -m) / _LN2, -sig_neg / _LN2
    if name == "exponential":
        e = np.exp(-m)
        return e, -e  # d/dm e^{-m} = -e^{-m}
    if name == "squared_hinge":
        h = np.maximum(0.0, 1.0 - m)
        return h * h, -2.0 * h  # d/dm (1 - m)^2 = -2 (1 - m) on m < 1
    raise ValueError(f"unknown surrogate {name!r}; choose one of {SURROGATES}")


def conditional_risk_minimizer(name: str, eta) -> np.ndarray:
    """argmin_a  eta phi(a) + (1 - eta) phi(-a)  in closed form, elementwise in eta in (0, 1).

        hinge: sign(2 eta - 1)       logistic: log(eta / (1 - eta))
        exponential: log(eta / (1 - eta)) / 2       squared hinge: 2 eta - 1

    The sign is always that of 2 eta - 1 (calibration). Only the logistic and exponential losses
    recover eta itself (a = logit or half-logit); the hinge returns only the sign, so it cannot
    give probabilities. At eta = 1/2 the hinge risk is flat on [-1, 1]; 0 is returned.
    """
    eta = np.asarray(eta, np.float64)
    if np.any((eta <= 0) | (eta >= 1)):
        raise ValueError("conditional_risk_minimizer: eta must lie strictly between 0 and 1")
    if name == "hinge":
        return np.sign(2 * eta - 1)
    if name == "logistic":
        return np.log(eta) - np.log1p(-eta)
    if name == "exponential":
        return 0.5 * (np.log(eta) - np.log1p(-eta))
    if name == "squared_hinge":
        return 2 * eta - 1
    raise ValueError(f"unknown surrogate {name!r}; choose one of {SURROGATES}")


def margins(w, X, y) -> np.ndarray:
    """m (n,) = y * (X @ w) for X (n, d), y (n,) in {-1, +1} and w (d,); or (k, n) for w (k, d)."""
    X = np.asarray(X, np.float64)
    y = np.asarray(y, np.float64)
    w = np.asarray(w, np.float64)
    if X.ndim != 2 or y.shape != (X.shape[0],):
        raise ValueError(f"margins: need X (n, d) and y (n,), got X {X.shape} and y {y.shape}")
    if not np.all(np.abs(y) == 1):
        raise ValueError("margins: labels must be -1 or +1")
    if w.shape[-1] != X.shape[1] or w.ndim > 2:
        raise ValueError(f"margins: w must be (d,) or (k, d) with d = {X.shape[1]}, got {w.shape}")
    return (w @ X.T) * y


def smoothed_zero_one(w, X, y, sigma: float) -> tuple[float, np.ndarray]:
    """(f_sigma(w), grad f_sigma(w)): the Gaussian-smoothed 0-1 training loss of a linear classifier.

    f_sigma(w) = mean_i Phi(-m_i / (sigma ||x_i||)), m_i = y_i x_i^T w; the gradient is in the module
    doc. X (n, d) must have no zero rows; sigma > 0.
    """
    if not sigma > 0:
        raise ValueError(f"smoothed_zero_one: sigma must be positive, got {sigma}")
    m = margins(w, X, y)
    if m.ndim != 1:
        raise ValueError("smoothed_zero_one: w must be a single vector (d,)")
    X = np.asarray(X, np.float64)
    norms = np.linalg.norm(X, axis=1)
    if np.any(norms == 0):
        raise ValueError("smoothed_zero_one: X has an all-zero row (its margin is 0 for every w)")
    s = sigma * norms
    u = m / s
    value = float(ndtr(-u).mean())
    dens = np.exp(-0.5 * u * u) / np.sqrt(2 * np.pi)
    # d/dw Phi(-m_i / s_i) = -phi_N(u_i) y_i x_i / s_i
    grad = -(X.T @ (dens * np.asarray(y, np.float64) / s)) / len(m)
    return value, grad


def es_pair_estimates(f: Callable[[np.ndarray], np.ndarray], theta, sigma: float, n_pairs: int,
                      rng: np.random.Generator) -> np.ndarray:
    """The N = ``n_pairs`` single-pair ES estimates (N, d), row j = [f(theta + sigma eps_j) -
    f(theta - sigma eps_j)] eps_j / (2 sigma); their mean is :func:`es_gradient`.

    ``f`` maps a batch of points (k, d) to values (k,) (one vectorised call with k = 2 N).
    ``theta`` (d,). Means over disjoint groups of rows are independent estimates with fewer pairs.
    """
    theta = np.asarray(theta, np.float64)
    if theta.ndim != 1:
        raise ValueError(f"es_gradient: theta must be a vector (d,), got shape {theta.shape}")
    if not sigma > 0 or int(n_pairs) < 1:
        raise ValueError(f"es_gradient: need sigma > 0 and n_pairs >= 1, got {sigma}, {n_pairs}")
    n = int(n_pairs)
    eps = rng.standard_normal((n, theta.size))
    vals = np.asarray(f(np.concatenate([theta + sigma * eps, theta - sigma * eps])), np.float64)
    if vals.shape != (2 * n,):
        raise ValueError(f"es_gradient: f must return shape ({2 * n},), got {vals.shape}")
    diff = vals[:n] - vals[n:]
    return eps * (diff / (2 * sigma))[:, None]


def es_gradient(f: Callable[[np.ndarray], np.ndarray], theta, sigma: float, n_pairs: int,
                rng: np.random.Generator) -> np.ndarray:
    """Antithetic Gaussian-smoothing (ES) estimate of grad E f(theta + sigma eps), from 2 n_pairs
    evaluations of f.

    ``f`` maps a batch of points (k, d) to values (k,) (one vectorised call with k = 2 n_pairs).
    ``theta`` (d,). Returns g_hat (d,) = 1/(2 sigma N) sum_j [f(theta + sigma eps_j) - f(theta -
    sigma eps_j)] eps_j.
    """
    return es_pair_estimates(f, theta, sigma, n_pairs, rng).mean(axis=0)


def score_function_gradient(rewards, grad_log_probs, baseline: str | None = "leave-one-out") -> np.ndarray:
    """REINFORCE: mean_s (R_s - b_s) grad log p(a_s), an unbiased estimate of grad E[R].

    ``rewards`` (S,), ``grad_log_probs`` (S, d): per sample a_s ~ p_theta. ``baseline``: None
    (b = 0) or "leave-one-out" (b_s = mean of the other S - 1 rewards, independent of a_s, so the
    estimate stays unbiased; needs S >= 2).
    """
    R = np.asarray(rewards, np.float64)
    G = np.asarray(grad_log_probs, np.float64)
    if R.ndim != 1 or G.ndim != 2 or G.shape[0] != R.shape[0]:
        raise ValueError(f"score_function_gradient: need rewards (S,) and grad_log_probs (S, d), "
                         f"got {R.shape} and {G.shape}")
    S = R.shape[0]
    if baseline is None:
        adv = R
    elif baseline == "leave-one-out":
        if S < 2:
            raise ValueError("score_function_gradient: the leave-one-out baseline needs >= 2 samples")
        adv = R - (R.sum() - R) / (S - 1)
    else:
        raise ValueError("score_function_gradient: baseline must be None or 'leave-one-out', "
                         f"got {baseline!r}")
    return G.T @ adv / S
