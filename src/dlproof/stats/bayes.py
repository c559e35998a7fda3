"""Bayesian estimation: conjugate updates and Bayesian linear regression with evidence maximisation.

Conjugate pairs (closed-form posteriors):

* Beta–Bernoulli. Prior θ ~ Beta(a, b), k successes in n trials. Posterior Beta(a + k, b + n − k);
  MLE k/n; MAP (k + a − 1)/(n + a + b − 2); posterior predictive P(next = 1 | D) = (k + a)/(n + a + b)
  (Laplace's rule of succession for a = b = 1).
* Normal mean with known noise variance σ². Prior μ ~ N(μ₀, τ₀²), data x₁..xₙ. Posterior N(μₙ, τₙ²)
  with 1/τₙ² = 1/τ₀² + n/σ² and μₙ = τₙ²(μ₀/τ₀² + Σxᵢ/σ²); predictive N(μₙ, σ² + τₙ²).

Bayesian linear regression (Bishop 2006, PRML §3.3 and §3.5), :class:`BayesianLinearRegression`:
design Φ (N, M), targets t (N,), prior w ~ N(0, α⁻¹I), likelihood t | w ~ N(Φw, β⁻¹I).

* posterior  S_N⁻¹ = αI + βΦᵀΦ,  m_N = β S_N Φᵀt
* predictive t* | φ ~ N(m_Nᵀφ, 1/β + φᵀS_Nφ)
* log evidence  ln p(t | α, β) = (M/2) ln α + (N/2) ln β − E(m_N) − ½ ln|S_N⁻¹| − (N/2) ln 2π,
  E(m) = (β/2)||t − Φm||² + (α/2) mᵀm
* effective number of parameters γ = Σᵢ λᵢ/(λᵢ + α), λᵢ the eigenvalues of βΦᵀΦ
* evidence re-estimation (fixed point of d ln p / dα = d ln p / dβ = 0):
  α ← γ / (m_Nᵀm_N),  1/β ← ||t − Φm_N||² / (N − γ)

The posterior mean m_N is the ridge (L2-regularised least-squares) solution with λ = α/β: the MAP
estimate under a Gaussian prior.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats

__all__ = [
    "beta_bernoulli_posterior",
    "bernoulli_mle",
    "beta_bernoulli_map",
    "beta_bernoulli_predictive",
    "beta_credible_interval",
    "normal_mean_posterior",
    "BayesianLinearRegression",
]


def _counts(k, n):
    k, n = np.asarray(k, dtype=np.float64), np.asarray(n, dtype=np.float64)
    if np.any(k < 0) or np.any(k > n):
        raise ValueError("successes k must satisfy 0 <= k <= n")
    return k, n


def _prior(a, b):
    if not (a > 0 and b > 0):
        raise ValueError(f"Beta prior needs a > 0 and b > 0, got a={a}, b={b}")


def beta_bernoulli_posterior(k, n, a: float = 1.0, b: float = 1.0):
    """Posterior Beta(a + k, b + n − k) for k successes in n Bernoulli trials (arrays broadcast)."""
    _prior(a, b)
    k, n = _counts(k, n)
    return a + k, b + n - k


def bernoulli_mle(k, n):
    """θ̂_MLE = k / n (needs n > 0)."""
    k, n = _counts(k, n)
    if np.any(n <= 0):
        raise ValueError("the MLE needs n > 0 trials")
    return k / n


def beta_bernoulli_map(k, n, a: float = 1.0, b: float = 1.0):
    """Posterior mode (k + a − 1)/(n + a + b − 2), valid when both posterior parameters exceed 1."""
    ap, bp = beta_bernoulli_posterior(k, n, a, b)
    if np.any(ap < 1) or np.any(bp < 1) or np.any(ap + bp <= 2):
        raise ValueError("the Beta posterior mode is interior only when a + k >= 1, b + n - k >= 1, "
                         "and not both equal 1")
    return (ap - 1) / (ap + bp - 2)


def beta_bernoulli_predictive(k, n, a: float = 1.0, b: float = 1.0):
    """P(x_{n+1} = 1 | D) = ∫ θ p(θ | D) dθ = (k + a)/(n + a + b)."""
    ap, bp = beta_bernoulli_posterior(k, n, a, b)
    return ap / (ap + bp)


def beta_credible_interval(k, n, a: float = 1.0, b: float = 1.0, level: float = 0.95):
    """Equal-tailed credible interval of the Beta posterior: its (1−level)/2 and (1+level)/2 quantiles."""
    if not 0 < level < 1:
        raise ValueError(f"level must be in (0, 1), got {level}")
    ap, bp = beta_bernoulli_posterior(k, n, a, b)
    return stats.beta.ppf((1 - level) / 2, ap, bp), stats.beta.ppf((1 + level) / 2, ap, bp)


def normal_mean_posterior(x, sigma2: float, mu0: float = 0.0, tau0_2: float = 1.0):
    """Posterior (μₙ, τₙ²) of a normal mean with known variance σ² under the prior N(μ₀, τ₀²).

    ``x`` (..., n): the last axis holds the n observations of each dataset.
    1/τₙ² = 1/τ₀² + n/σ²,  μₙ = τₙ² (μ₀/τ₀² + Σᵢ xᵢ/σ²).
    """
    if not (sigma2 > 0 and tau0_2 > 0):
        raise ValueError("sigma2 and tau0_2 must be positive")
    x = np.asarray(x, dtype=np.float64)
    n = x.shape[-1]
    tau_n2 = 1.0 / (1.0 / tau0_2 + n / sigma2)
    return tau_n2 * (mu0 / tau0_2 + x.sum(axis=-1) / sigma2), tau_n2


@dataclass
class BayesianLinearRegression:
    """Bayesian linear regression with prior precision ``alpha`` and noise precision ``beta``.

    ``fit(Phi, t)`` computes the posterior N(m_N, S_N) for fixed (α, β); with ``evidence=True``
    (default) it first sets α and β by the evidence re-estimation loop of the module docstring,
    iterated until the relative change of both is below ``tol`` (only α with ``fit_beta=False``, for
    a known noise level: with N ≤ M the model can nearly interpolate and the β update can run
    away; if N − γ reaches 0 an error says so). Attributes after fitting:
    ``mean`` m_N (M,), ``cov`` S_N (M, M), ``gamma`` γ, ``alpha``, ``beta``, ``log_evidence``,
    ``n_iter``, and ``history`` (α, β, γ, log evidence per iteration).
    """

    alpha: float = 1.0
    beta: float = 1.0
    max_iter: int = 500
    tol: float = 1e-10
    fit_beta: bool = True  # False: β is known and only α is re-estimated

    def _posterior(self, eig, Q, PhiT_t, PhiT_Phi):
        # S_N⁻¹ = αI + βΦᵀΦ, diagonal in the eigenbasis Q of ΦᵀΦ (eigenvalues eig of ΦᵀΦ)
        d = self.alpha + self.beta * eig
        self.cov = (Q / d) @ Q.T
        self.mean = self.beta * self.cov @ PhiT_t                 # m_N = β S_N Φᵀt
        self.gamma = float(np.sum(self.beta * eig / d))          # γ = Σ λᵢ/(λᵢ + α), λᵢ = β·eig
        return d

    def fit(self, Phi, t, evidence: bool = True):
        Phi, t = np.asarray(Phi, dtype=np.float64), np.asarray(t, dtype=np.float64)
        if Phi.ndim != 2 or t.ndim != 1 or Phi.shape[0] != t.shape[0]:
            raise ValueError(f"Phi must be (N, M) and t (N,), got {Phi.shape} and {t.shape}")
        if not (self.alpha > 0 and self.beta > 0):
            raise ValueError("alpha and beta must be positive")
        N, M = Phi.shape
        PhiT_Phi, PhiT_t = Phi.T @ Phi, Phi.T @ t
        eig, Q = np.linalg.eigh(PhiT_Phi)
        eig = np.clip(eig, 0.0, None)
        self.history = []
        self.n_iter = 0
        for it in range(self.max_iter if evidence else 0):
            self._posterior(eig, Q, PhiT_t, PhiT_Phi)
            resid = float(np.sum((t - Phi @ self.mean) ** 2))
            alpha_new = self.gamma / float(self.mean @ self.mean)          # α = γ / m_Nᵀm_N
            if self.fit_beta:
                if resid <= 0 or N - self.gamma <= 1e-9:
                    raise ValueError(f"the noise precision diverges (N={N}, γ={self.gamma:.3g}: the model "
                                     "interpolates the data); fix beta with fit_beta=False")
                beta_new = (N - self.gamma) / resid                          # 1/β = ||t − Φm_N||² / (N − γ)
            else:
                beta_new = self.beta
            done = (abs(alpha_new - self.alpha) <= self.tol * self.alpha
                    and abs(beta_new - self.beta) <= self.tol * self.beta)
            self.alpha, self.beta = alpha_new, beta_new
            self.n_iter = it + 1
            self.history.append((self.alpha, self.beta, self.gamma,
                                 self._log_evidence(Phi, t, eig, Q, PhiT_t, PhiT_Phi)))
            if done:
                break
        self.log_evidence = self._log_evidence(Phi, t, eig, Q, PhiT_t, PhiT_Phi)
        return self

    def _log_evidence(self, Phi, t, eig, Q, PhiT_t, PhiT_Phi):
        d = self._posterior(eig, Q, PhiT_t, PhiT_Phi)
        N, M = Phi.shape
        E = (0.5 * self.beta * float(np.sum((t - Phi @ self.mean) ** 2))
             + 0.5 * self.alpha * float(self.mean @ self.mean))
        return (0.5 * M * math.log(self.alpha) + 0.5 * N * math.log(self.beta) - E
                - 0.5 * float(np.sum(np.log(d))) - 0.5 * N * math.log(2 * math.pi))

    def predict(self, Phi, return_std: bool = False):
        """Predictive mean Φ m_N (n,), and with ``return_std`` the std √(1/β + φᵀS_Nφ) per row."""
        Phi = np.asarray(Phi, dtype=np.float64)
        if not hasattr(self, "mean"):
            raise ValueError("call fit(Phi, t) before predict")
        if Phi.ndim != 2 or Phi.shape[1] != self.mean.shape[0]:
            raise ValueError(f"Phi must be (n, {self.mean.shape[0]}), got {Phi.shape}")
        mu = Phi @ self.mean
        if not return_std:
            return mu
        var = 1.0 / self.beta + np.einsum("nm,mk,nk->n", Phi, self.cov, Phi)
        return mu, np.sqrt(var)
