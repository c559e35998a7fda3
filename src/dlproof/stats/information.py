"""Entropy, cross-entropy and KL divergence: discrete distributions and closed forms.

Discrete distributions are arrays whose **last axis** holds the probabilities of K outcomes (any
leading batch shape, each row summing to 1). Logarithms are natural (nats) unless ``base`` is
given (``base=2`` gives bits). The convention ``0 log 0 = 0`` is used everywhere; a term
``p_k log(1/q_k)`` with ``p_k > 0`` and ``q_k = 0`` is ``+inf`` (the support of p is not covered).

Formulas:

* entropy             H(p)      = −Σ_k p_k log p_k
* cross-entropy       H(p, q)   = −Σ_k p_k log q_k
* KL divergence       KL(p‖q)   =  Σ_k p_k log(p_k / q_k) = H(p, q) − H(p)   (Gibbs: ≥ 0)

Closed forms (differential entropies, nats):

* Gaussian N(μ, σ²):        h = ½ log(2πe σ²)
* Gaussian KL:  KL(N(μ₁,σ₁²)‖N(μ₂,σ₂²)) = log(σ₂/σ₁) + (σ₁² + (μ₁−μ₂)²)/(2σ₂²) − ½
* Gaussian N(μ, Σ) in ℝᵈ:   h = ½ log det(2πe Σ)
* Laplace(b) (var 2b²):     h = 1 + log(2b)
* Uniform(a, a+w) (var w²/12): h = log w
* Logistic(s) (var π²s²/3): h = log s + 2
* generalized normal(shape β, scale a), density β/(2aΓ(1/β)) exp(−|x/a|^β), variance a²Γ(3/β)/Γ(1/β):
  h = 1/β − log(β / (2aΓ(1/β)))   (β = 1 Laplace, β = 2 Gaussian, β → ∞ uniform)
* Student-t(ν, scale s) (var s²ν/(ν−2)):
  h = log s + ½(ν+1)[ψ((ν+1)/2) − ψ(ν/2)] + log(√ν B(ν/2, ½))

:func:`unit_variance_entropies` gives the last five at variance 1, the table behind "the Gaussian is
the maximum-entropy distribution at fixed variance".
"""

from __future__ import annotations

import math

import numpy as np
from scipy import special

__all__ = [
    "entropy",
    "cross_entropy",
    "kl_divergence",
    "gaussian_entropy",
    "gaussian_kl",
    "mvn_entropy",
    "laplace_entropy",
    "uniform_entropy",
    "logistic_entropy",
    "student_t_entropy",
    "generalized_normal_entropy",
    "unit_variance_entropies",
]


def _check_dist(name: str, p, atol: float = 1e-9) -> np.ndarray:
    p = np.asarray(p, dtype=np.float64)
    if p.ndim == 0:
        raise ValueError(f"{name} must have at least one axis of outcomes, got a scalar")
    if np.any(~np.isfinite(p)) or np.any(p < 0):
        raise ValueError(f"{name} must hold finite non-negative probabilities")
    s = p.sum(axis=-1)
    if np.any(np.abs(s - 1.0) > atol):
        raise ValueError(f"{name} must sum to 1 along its last axis "
                         f"(sums range {s.min():.6g}..{s.max():.6g})")
    return p


def _log(base):
    if base is None:
        return 1.0
    if base <= 0 or base == 1:
        raise ValueError(f"base must be positive and != 1, got {base!r}")
    return math.log(base)


def entropy(p, base=None) -> np.ndarray:
    """H(p) = −Σ_k p_k log p_k over the last axis (0 log 0 = 0). Shape: p (..., K) -> (...)."""
    p = _check_dist("p", p)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(p > 0, -p * np.log(np.where(p > 0, p, 1.0)), 0.0)
    return terms.sum(axis=-1) / _log(base)


def cross_entropy(p, q, base=None) -> np.ndarray:
    """H(p, q) = −Σ_k p_k log q_k over the last axis; +inf where p_k > 0 = q_k. p, q (..., K) -> (...)."""
    p, q = _check_dist("p", p), _check_dist("q", q)
    if p.shape[-1] != q.shape[-1]:
        raise ValueError(f"p and q need the same number of outcomes, got shapes {p.shape} and {q.shape}")
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(p > 0, -p * np.log(q), 0.0)
    return terms.sum(axis=-1) / _log(base)


def kl_divergence(p, q, base=None) -> np.ndarray:
    """KL(p‖q) = Σ_k p_k log(p_k/q_k) over the last axis (≥ 0; +inf where p_k > 0 = q_k).

    Computed term by term (not as H(p, q) − H(p)) so that it is exactly 0 for p = q and never
    negative by cancellation. p, q (..., K) -> (...).
    """
    p, q = _check_dist("p", p), _check_dist("q", q)
    if p.shape[-1] != q.shape[-1]:
        raise ValueError(f"p and q need the same number of outcomes, got shapes {p.shape} and {q.shape}")
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(p > 0, p * (np.log(np.where(p > 0, p, 1.0)) - np.log(q)), 0.0)
    return terms.sum(axis=-1) / _log(base)


def _positive(name, v):
    v = np.asarray(v, dtype=np.float64)
    if np.any(~(v > 0)):
        raise ValueError(f"{name} must be positive, got {v}")
    return v


def gaussian_entropy(var) -> np.ndarray:
    """Differential entropy of N(μ, σ²): h = ½ log(2πe σ²) nats (``var`` = σ², any shape)."""
    return 0.5 * np.log(2 * np.pi * np.e * _positive("var", var))


def gaussian_kl(mu1, var1, mu2, var2) -> np.ndarray:
    """KL(N(μ₁,σ₁²) ‖ N(μ₂,σ₂²)) = ½[log(σ₂²/σ₁²) + (σ₁² + (μ₁−μ₂)²)/σ₂² − 1] (broadcasts)."""
    var1, var2 = _positive("var1", var1), _positive("var2", var2)
    mu1, mu2 = np.asarray(mu1, dtype=np.float64), np.asarray(mu2, dtype=np.float64)
    return 0.5 * (np.log(var2 / var1) + (var1 + (mu1 - mu2) ** 2) / var2 - 1.0)


def mvn_entropy(cov) -> float:
    """Differential entropy of N(μ, Σ) in ℝᵈ: h = ½ log det(2πe Σ). ``cov`` (d, d) positive definite."""
    cov = np.asarray(cov, dtype=np.float64)
    if cov.ndim != 2 or cov.shape[0] != cov.shape[1]:
        raise ValueError(f"cov must be a square matrix, got shape {cov.shape}")
    sign, logdet = np.linalg.slogdet(2 * np.pi * np.e * cov)
    if sign <= 0:
        raise ValueError("cov must be positive definite")
    return 0.5 * float(logdet)


def laplace_entropy(b) -> np.ndarray:
    """Laplace with scale b (density e^{−|x|/b}/(2b), variance 2b²): h = 1 + log(2b)."""
    return 1.0 + np.log(2 * _positive("b", b))


def uniform_entropy(width) -> np.ndarray:
    """Uniform on an interval of length w (variance w²/12): h = log w."""
    return np.log(_positive("width", width))


def logistic_entropy(s) -> np.ndarray:
    """Logistic with scale s (variance π²s²/3): h = log s + 2."""
    return np.log(_positive("s", s)) + 2.0


def student_t_entropy(nu, scale=1.0) -> np.ndarray:
    """Student-t with ν degrees of freedom and scale s (variance s²ν/(ν−2) for ν > 2):
    h = log s + ½(ν+1)[ψ((ν+1)/2) − ψ(ν/2)] + log(√ν · B(ν/2, ½))."""
    nu, scale = _positive("nu", nu), _positive("scale", scale)
    return (np.log(scale) + 0.5 * (nu + 1) * (special.digamma((nu + 1) / 2) - special.digamma(nu / 2))
            + np.log(np.sqrt(nu) * special.beta(nu / 2, 0.5)))


def generalized_normal_entropy(shape, var=1.0) -> np.ndarray:
    """Entropy of the generalized normal with shape β scaled to variance ``var``:
    a = √(var Γ(1/β)/Γ(3/β)),  h = 1/β − log(β / (2aΓ(1/β)))."""
    shape, var = _positive("shape", shape), _positive("var", var)
    a = np.sqrt(var * np.exp(special.gammaln(1 / shape) - special.gammaln(3 / shape)))
    return 1 / shape - np.log(shape / (2 * a)) + special.gammaln(1 / shape)


def unit_variance_entropies(nu: float = 5.0) -> dict[str, float]:
    """Differential entropies (nats) of five families, each scaled to variance 1.

    Gaussian σ = 1; Laplace b = 1/√2; uniform w = √12; logistic s = √3/π; Student-t(ν) s = √((ν−2)/ν).
    """
    if nu <= 2:
        raise ValueError(f"Student-t needs nu > 2 for a finite variance, got {nu}")
    return {
        "gaussian": float(gaussian_entropy(1.0)),
        "logistic": float(logistic_entropy(math.sqrt(3) / math.pi)),
        f"student-t({nu:g})": float(student_t_entropy(nu, math.sqrt((nu - 2) / nu))),
        "laplace": float(laplace_entropy(1 / math.sqrt(2))),
        "uniform": float(uniform_entropy(math.sqrt(12))),
    }
