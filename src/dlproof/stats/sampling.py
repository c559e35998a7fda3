"""Monte Carlo samplers and their diagnostics, vectorised over independent chains.

Conventions: a chain state array has the chain index first, ``(n_chains, ...)``; a trace returned
by a sampler is ``(n_steps, n_chains, ...)``. A finite Markov chain is a *row-stochastic* matrix
``P`` with ``P[i, j] = P(x_{t+1} = j | x_t = i)``; distributions are row vectors and evolve as
``v_{t+1} = v_t P``; a stationary distribution satisfies ``pi = pi P`` (a left eigenvector with
eigenvalue 1). Every random draw comes from an explicit ``numpy.random.Generator``.

Contents
- Gibbs sampling: ``gibbs_gaussian_2d`` (closed-form conditionals of a correlated bivariate
  Gaussian), ``gibbs_discrete`` (systematic scan over a joint probability table) and
  ``gibbs_kernel`` (the exact transition matrix of one such sweep, for small tables).
- Metropolis-Hastings: ``metropolis_hastings`` (Gaussian random walk on R^d) and
  ``metropolis_kernel`` (the exact MH matrix for a target on a finite state space).
- Importance sampling: ``importance_sampling``, ``self_normalised_importance_sampling``,
  ``weight_ess``.
- Annealed importance sampling: ``ais`` (generic geometric path), ``logmeanexp``.
- Gradient estimators: ``gaussian_gradient_samples`` (score function vs reparameterisation).
- Finite chains: ``stationary_eigenvector``, ``power_iteration``, ``tv_distance``,
  ``second_eigenvalue_modulus``.
- Mixing diagnostics: ``autocorrelation``, ``effective_sample_size``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

__all__ = [
    "gibbs_gaussian_2d", "gibbs_discrete", "gibbs_kernel", "metropolis_hastings", "metropolis_kernel",
    "importance_sampling", "self_normalised_importance_sampling", "weight_ess", "logmeanexp", "ais",
    "gaussian_gradient_samples",
    "stationary_eigenvector", "power_iteration", "tv_distance", "second_eigenvalue_modulus",
    "autocorrelation", "effective_sample_size",
]


def _check_rng(rng) -> np.random.Generator:
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
    return rng


# ---------------------------------------------------------------------------------------------
# Gibbs sampling
# ---------------------------------------------------------------------------------------------

def gibbs_gaussian_2d(rho: float, n_steps: int, n_chains: int, rng: np.random.Generator,
                      x0: np.ndarray | None = None) -> np.ndarray:
    """Systematic-scan Gibbs sampling of (x, y) ~ N(0, [[1, rho], [rho, 1]]).

    Each sweep draws x | y ~ N(rho y, 1 - rho^2), then y | x ~ N(rho x, 1 - rho^2). ``x0`` is
    ``(n_chains, 2)`` (default: zeros). Returns the trace ``(n_steps, n_chains, 2)`` of states after
    each sweep. The x-marginal chain is AR(1), x_{t+1} = rho^2 x_t + noise, so its lag-k
    autocorrelation is rho^(2k).
    """
    if not -1.0 < rho < 1.0:
        raise ValueError(f"gibbs_gaussian_2d: rho must lie in (-1, 1), got {rho}")
    rng = _check_rng(rng)
    s = np.sqrt(1.0 - rho * rho)
    state = np.zeros((n_chains, 2)) if x0 is None else np.array(x0, dtype=np.float64)
    if state.shape != (n_chains, 2):
        raise ValueError(f"gibbs_gaussian_2d: x0 must have shape ({n_chains}, 2), got {state.shape}")
    noise = rng.standard_normal((n_steps, 2, n_chains)) * s
    out = np.empty((n_steps, n_chains, 2))
    x, y = state[:, 0].copy(), state[:, 1].copy()
    for t in range(n_steps):             # loop over chain steps; all chains at once
        x = rho * y + noise[t, 0]
        y = rho * x + noise[t, 1]
        out[t, :, 0], out[t, :, 1] = x, y
    return out


def _check_table(p: np.ndarray, name: str) -> np.ndarray:
    p = np.asarray(p, dtype=np.float64)
    if p.ndim < 1 or np.any(p < 0) or not np.isclose(p.sum(), 1.0, atol=1e-9):
        raise ValueError(f"{name}: p must be a non-negative joint probability table summing to 1, "
                         f"got shape {p.shape} with sum {p.sum():.6g}")
    return p


def gibbs_discrete(p: np.ndarray, x0: np.ndarray, n_sweeps: int, rng: np.random.Generator) -> np.ndarray:
    """Systematic-scan Gibbs sampling from a joint table ``p`` of shape (K_1, ..., K_d).

    ``x0`` is ``(n_chains, d)`` integer states. One sweep updates coordinate i = 0, ..., d-1 by a
    draw from the full conditional p(x_i | x_{-i}) = p(x) / sum_{x_i'} p(x_i', x_{-i}), read from
    the table for all chains at once. Returns the trace ``(n_sweeps, n_chains, d)``.
    """
    p = _check_table(p, "gibbs_discrete")
    rng = _check_rng(rng)
    x = np.array(x0, dtype=np.int64)
    d = p.ndim
    if x.ndim != 2 or x.shape[1] != d:
        raise ValueError(f"gibbs_discrete: x0 must be (n_chains, {d}), got {x.shape}")
    n = x.shape[0]
    out = np.empty((n_sweeps, n, d), dtype=np.int64)
    for t in range(n_sweeps):
        for i in range(d):               # loop over coordinates of a sweep
            idx = [x[:, k][:, None] for k in range(d)]
            idx[i] = np.arange(p.shape[i])[None, :]
            cond = p[tuple(idx)]         # (n_chains, K_i): p(x_i = k, x_{-i}) for every k
            cond = cond / cond.sum(axis=1, keepdims=True)
            u = rng.random((n, 1))
            x[:, i] = np.minimum((u > np.cumsum(cond, axis=1)).sum(axis=1), p.shape[i] - 1)
        out[t] = x
    return out


def gibbs_kernel(p: np.ndarray) -> np.ndarray:
    """Exact transition matrix of one systematic-scan Gibbs sweep over a joint table ``p``.

    States are flattened in C order (``np.ravel_multi_index``). The sweep kernel is the product
    K = K_0 K_1 ... K_{d-1} of the single-site kernels K_i[x, x'] = p(x'_i | x_{-i}) [x'_{-i} = x_{-i}].
    Each K_i leaves p invariant (p K_i = p), hence so does K. Returns ``(S, S)`` with S = p.size.
    """
    p = _check_table(p, "gibbs_kernel")
    S, flat = p.size, p.ravel()
    grid = np.indices(p.shape).reshape(p.ndim, -1)    # (d, S): coordinates of every flat state
    rows = np.arange(S)
    K = np.eye(S)
    for i in range(p.ndim):                           # loop over coordinates of a sweep
        cols = []
        for k in range(p.shape[i]):                   # loop over the K_i values of coordinate i
            target = grid.copy()
            target[i] = k
            cols.append(np.ravel_multi_index(target, p.shape))
        cols = np.stack(cols)                         # (K_i, S): the states reachable from each s
        mass = flat[cols]                             # p(x_i = k, x_{-i}) for every s and k
        Ki = np.zeros((S, S))
        Ki[rows[None, :], cols] = mass / mass.sum(axis=0, keepdims=True)   # p(x'_i = k | x_{-i})
        K = K @ Ki
    return K


# ---------------------------------------------------------------------------------------------
# Metropolis-Hastings
# ---------------------------------------------------------------------------------------------

def metropolis_hastings(log_target: Callable[[np.ndarray], np.ndarray], x0: np.ndarray, n_steps: int,
                        step_size: float, rng: np.random.Generator) -> tuple[np.ndarray, float]:
    """Random-walk Metropolis on R^d, vectorised over chains.

    ``log_target(x)`` maps ``(n_chains, d)`` to ``(n_chains,)`` unnormalised log densities. Proposal
    x' = x + step_size * N(0, I) (symmetric), accepted with probability
    alpha = min(1, p~(x') / p~(x)). Returns the trace ``(n_steps, n_chains, d)`` and the mean
    acceptance rate.
    """
    rng = _check_rng(rng)
    x = np.array(x0, dtype=np.float64)
    if x.ndim != 2:
        raise ValueError(f"metropolis_hastings: x0 must be (n_chains, d), got {x.shape}")
    lp = np.asarray(log_target(x), dtype=np.float64)
    out = np.empty((n_steps,) + x.shape)
    accepted = 0.0
    for t in range(n_steps):
        prop = x + step_size * rng.standard_normal(x.shape)
        lp_prop = np.asarray(log_target(prop), dtype=np.float64)
        accept = np.log(rng.random(x.shape[0])) < lp_prop - lp   # log u < log alpha
        x = np.where(accept[:, None], prop, x)
        lp = np.where(accept, lp_prop, lp)
        accepted += accept.mean()
        out[t] = x
    return out, accepted / max(n_steps, 1)


def metropolis_kernel(pi: np.ndarray, Q: np.ndarray) -> np.ndarray:
    """Exact Metropolis-Hastings transition matrix for target ``pi`` (S,) and proposal ``Q`` (S, S).

    P[i, j] = Q[i, j] * min(1, pi_j Q[j, i] / (pi_i Q[i, j])) for j != i, and
    P[i, i] = 1 - sum_{j != i} P[i, j]. It satisfies detailed balance pi_i P[i, j] = pi_j P[j, i].
    """
    pi = np.asarray(pi, dtype=np.float64)
    Q = np.asarray(Q, dtype=np.float64)
    S = pi.shape[0]
    if Q.shape != (S, S) or np.any(pi <= 0):
        raise ValueError(f"metropolis_kernel: need pi (S,) > 0 and Q (S, S); got {pi.shape}, {Q.shape}")
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = (pi[None, :] * Q.T) / (pi[:, None] * Q)
    alpha = np.where(Q > 0, np.minimum(1.0, np.nan_to_num(ratio, nan=0.0, posinf=1.0)), 0.0)
    P = Q * alpha
    np.fill_diagonal(P, 0.0)
    np.fill_diagonal(P, 1.0 - P.sum(axis=1))
    return P


# ---------------------------------------------------------------------------------------------
# Importance sampling and AIS
# ---------------------------------------------------------------------------------------------

def logmeanexp(a: np.ndarray, axis=None) -> np.ndarray:
    """log(mean(exp(a))) computed stably: m + log(mean(exp(a - m))) with m = max(a)."""
    a = np.asarray(a, dtype=np.float64)
    m = np.max(a, axis=axis, keepdims=True)
    out = m + np.log(np.mean(np.exp(a - m), axis=axis, keepdims=True))
    return np.squeeze(out, axis=axis) if axis is not None else out.reshape(())


def importance_sampling(f_values: np.ndarray, log_p: np.ndarray,
                        log_q: np.ndarray) -> tuple[float, np.ndarray]:
    """Unbiased importance-sampling estimate of E_p[f] from n draws x_i ~ q.

    Inputs are ``(n,)`` arrays f(x_i), log p(x_i), log q(x_i) with *normalised* p and q. Returns
    (mean_i w_i f(x_i), w) with w_i = p(x_i) / q(x_i). Var = (E_q[w^2 f^2] - E_p[f]^2) / n, which is
    infinite when q has lighter tails than p |f|.
    """
    w = np.exp(np.asarray(log_p, dtype=np.float64) - np.asarray(log_q, dtype=np.float64))
    f = np.asarray(f_values, dtype=np.float64)
    if f.shape != w.shape:
        raise ValueError(f"importance_sampling: f {f.shape} and weights {w.shape} differ in shape")
    return float(np.mean(w * f)), w


def self_normalised_importance_sampling(f_values: np.ndarray, log_p_tilde: np.ndarray,
                                        log_q: np.ndarray) -> tuple[float, np.ndarray]:
    """Self-normalised IS: sum_i w_i f(x_i) / sum_i w_i with w_i = p~(x_i) / q(x_i).

    Needs p only up to its normalising constant (consistent, biased at finite n). Returns the
    estimate and the normalised weights (n,) summing to 1.
    """
    lw = np.asarray(log_p_tilde, dtype=np.float64) - np.asarray(log_q, dtype=np.float64)
    w = np.exp(lw - lw.max())
    w = w / w.sum()
    f = np.asarray(f_values, dtype=np.float64)
    if f.shape != w.shape:
        raise ValueError(f"self_normalised_importance_sampling: f {f.shape} vs weights {w.shape}")
    return float(np.sum(w * f)), w


def weight_ess(w: np.ndarray) -> float:
    """Kish's effective sample size of importance weights: (sum w)^2 / sum w^2, in [1, n]."""
    w = np.asarray(w, dtype=np.float64)
    return float(w.sum() ** 2 / np.sum(w * w))


def ais(log_f: Callable[[np.ndarray, float], np.ndarray],
        transition: Callable[[np.ndarray, float, np.random.Generator], np.ndarray],
        x0: np.ndarray, betas: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Annealed importance sampling (Neal 2001) along a path of unnormalised densities f_b.

    ``log_f(x, b)`` gives log f_b for states ``(n_chains, ...)``; f_0 must be sampleable exactly
    (``x0`` holds draws from f_0 / Z_0) and f_1 is the target. The usual choice is the geometric
    path log f_b = (1 - b) log f_0 + b log f_1. ``betas`` increase from 0 to 1;
    ``transition(x, b, rng)`` is any Markov kernel that leaves f_b invariant. The log weight is

        log w = sum_{k=1}^{K} [log f_{b_k}(x_{k-1}) - log f_{b_{k-1}}(x_{k-1})],
        x_k = transition(x_{k-1}, b_k),

    and E[w] = Z_1 / Z_0 exactly for every K, so log Z_1 ~ log Z_0 + logmeanexp(log w) (biased
    low by Jensen, by about Var(log w) / 2). Returns ``log w`` of shape (n_chains,).
    """
    rng = _check_rng(rng)
    betas = np.asarray(betas, dtype=np.float64)
    if betas.ndim != 1 or betas.size < 2 or betas[0] != 0.0 or betas[-1] != 1.0 \
            or np.any(np.diff(betas) <= 0):
        raise ValueError("ais: betas must increase strictly from 0.0 to 1.0 (at least 2 values)")
    x = np.array(x0, copy=True)
    log_w = np.zeros(x.shape[0])
    for k in range(1, betas.size):       # loop over temperatures; all chains at once
        log_w += log_f(x, float(betas[k])) - log_f(x, float(betas[k - 1]))
        if k < betas.size - 1:           # the last transition would not change the weight
            x = transition(x, float(betas[k]), rng)
    return log_w


def gaussian_gradient_samples(f: Callable[[np.ndarray], np.ndarray],
                              grad_f: Callable[[np.ndarray], np.ndarray] | None,
                              mu: np.ndarray, sigma: float, n: int, rng: np.random.Generator,
                              baseline: float = 0.0) -> dict[str, np.ndarray]:
    """Per-sample Monte Carlo estimates of d/dmu E_{z ~ N(mu, sigma^2 I)}[f(z)], mu (d,).

    With z = mu + sigma eps, eps ~ N(0, I) (n draws, all at once):

        score function (REINFORCE, Williams 1992):  (f(z) - b) grad_mu log N(z; mu, sigma^2 I)
                                                    = (f(z) - b) eps / sigma
        reparameterisation (pathwise):              grad f(z)     (needs f differentiable)

    Both are unbiased (the baseline b, a constant, has E[eps] = 0). ``f`` maps (n, d) -> (n,),
    ``grad_f`` (n, d) -> (n, d). Returns {"score": (n, d), "reparam": (n, d) or absent}.
    """
    rng = _check_rng(rng)
    mu = np.atleast_1d(np.asarray(mu, dtype=np.float64))
    if mu.ndim != 1 or sigma <= 0 or n < 1:
        raise ValueError(f"gaussian_gradient_samples: need mu (d,), sigma > 0, n >= 1; got "
                         f"mu {mu.shape}, sigma {sigma}, n {n}")
    eps = rng.standard_normal((n, mu.size))
    z = mu + sigma * eps
    out = {"score": (np.asarray(f(z), dtype=np.float64) - baseline)[:, None] * eps / sigma}
    if grad_f is not None:
        out["reparam"] = np.asarray(grad_f(z), dtype=np.float64)
    return out


# ---------------------------------------------------------------------------------------------
# Finite Markov chains
# ---------------------------------------------------------------------------------------------

def _check_stochastic(P: np.ndarray, name: str) -> np.ndarray:
    P = np.asarray(P, dtype=np.float64)
    if P.ndim != 2 or P.shape[0] != P.shape[1] or np.any(P < -1e-15) or \
            not np.allclose(P.sum(axis=1), 1.0, atol=1e-10):
        raise ValueError(f"{name}: P must be a square row-stochastic matrix (rows sum to 1), "
                         f"got shape {P.shape}")
    return P


def stationary_eigenvector(P: np.ndarray) -> np.ndarray:
    """The stationary distribution as the left eigenvector of P for the eigenvalue closest to 1,
    normalised to sum 1 (unique when the chain is irreducible). Returns ``(S,)``."""
    P = _check_stochastic(P, "stationary_eigenvector")
    vals, vecs = np.linalg.eig(P.T)                  # right eigenvectors of P^T = left of P
    v = np.real(vecs[:, np.argmin(np.abs(vals - 1.0))])
    return v / v.sum()


def power_iteration(P: np.ndarray, v0: np.ndarray, n_steps: int) -> np.ndarray:
    """Distributions v_t = v_0 P^t for t = 0..n_steps: returns ``(n_steps + 1, S)``.

    ``v0`` may be ``(S,)`` or a batch ``(B, S)`` of starting distributions; then ``(n_steps+1, B, S)``.
    """
    P = _check_stochastic(P, "power_iteration")
    v = np.asarray(v0, dtype=np.float64)
    if v.shape[-1] != P.shape[0]:
        raise ValueError(f"power_iteration: v0 has {v.shape[-1]} states, P has {P.shape[0]}")
    out = np.empty((n_steps + 1,) + v.shape)
    out[0] = v
    for t in range(n_steps):
        v = v @ P
        out[t + 1] = v
    return out


def tv_distance(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Total-variation distance 0.5 * sum_i |p_i - q_i| over the last axis (broadcasts)."""
    return 0.5 * np.abs(np.asarray(p, dtype=np.float64) - np.asarray(q, dtype=np.float64)).sum(axis=-1)


def second_eigenvalue_modulus(P: np.ndarray) -> float:
    """|lambda_2|: the second-largest eigenvalue modulus of P (sets the asymptotic rate of
    TV(v_t, pi) ~ C |lambda_2|^t for an irreducible aperiodic chain)."""
    P = _check_stochastic(P, "second_eigenvalue_modulus")
    mods = np.sort(np.abs(np.linalg.eigvals(P)))[::-1]
    return float(mods[1])


# ---------------------------------------------------------------------------------------------
# Mixing diagnostics
# ---------------------------------------------------------------------------------------------

def autocorrelation(x: np.ndarray, max_lag: int | None = None) -> np.ndarray:
    """Autocorrelation rho_k of a scalar trace ``x`` (n_steps, n_chains), pooled over chains.

    rho_k = sum_c sum_t (x_{t,c} - m)(x_{t+k,c} - m) / sum_c sum_t (x_{t,c} - m)^2 with m the grand
    mean, computed by FFT (zero-padded). Returns ``(max_lag + 1,)`` with rho_0 = 1.
    """
    x = np.asarray(x, dtype=np.float64)
    if x.ndim == 1:
        x = x[:, None]
    if x.ndim != 2:
        raise ValueError(f"autocorrelation: x must be (n_steps, n_chains), got {x.shape}")
    n = x.shape[0]
    max_lag = n - 1 if max_lag is None else min(max_lag, n - 1)
    xc = x - x.mean()
    size = 1 << int(np.ceil(np.log2(2 * n)))
    f = np.fft.rfft(xc, n=size, axis=0)
    acov = np.fft.irfft(f * np.conj(f), n=size, axis=0)[: max_lag + 1].sum(axis=1)
    return acov / acov[0]


def effective_sample_size(x: np.ndarray) -> float:
    """Effective sample size of a scalar trace ``x`` (n_steps, n_chains):

        ESS = n_steps * n_chains / (1 + 2 sum_{k>=1} rho_k),

    with the sum truncated by Geyer's initial positive sequence: pairs rho_{2m} + rho_{2m+1} are
    added while positive. For an AR(1) chain with coefficient phi, ESS -> N (1 - phi) / (1 + phi).
    """
    x = np.asarray(x, dtype=np.float64)
    if x.ndim == 1:
        x = x[:, None]
    rho = autocorrelation(x)
    m = (len(rho) - 1) // 2
    pairs = rho[0:2 * m:2] + rho[1:2 * m + 1:2]          # Gamma_m = rho_{2m} + rho_{2m+1}
    nonpos = np.flatnonzero(pairs <= 0)
    keep = pairs[: nonpos[0] if nonpos.size else m]
    tau = -1.0 + 2.0 * keep.sum()        # 1 + 2 sum_{k>=1} rho_k = -rho_0 + 2 sum_{k>=0} rho_k
    return float(x.size / max(tau, 1e-12))
