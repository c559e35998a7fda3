"""Critical points of a two-layer linear autoencoder (Baldi & Hornik 1989), in closed form.

Model: x -> W2 W1 x with W1 (k, d), W2 (d, k), k < d, and the population loss

    L(W1, W2) = 1/2 tr((I - W2 W1) Sigma (I - W2 W1)^T)

for a data covariance Sigma (d, d) with distinct eigenvalues lam_1 > ... > lam_d and orthonormal
eigenvectors u_i. Up to the invertible reparametrisation (W1, W2) -> (C W1, W2 C^{-1}), the
full-rank critical points are exactly the projections onto k eigenvectors: for a subset S of size
k, W1 = U_S^T, W2 = U_S, with loss

    L(S) = 1/2 sum_{i not in S} lam_i.

Only S = {1..k} (the top-k principal subspace) is a minimum, and it is global; every other S is a
saddle whose number of negative Hessian eigenvalues (its index) is the number of pairs
(i in S, j not in S) with lam_j > lam_i: each such pair is a direction that swaps the weaker
selected eigenvector for a stronger unselected one. The Hessian also has k^2 zero eigenvalues
from the GL(k) reparametrisation. This module enumerates those points; the tests check the
gradient vanishes at each and that the engine's Hessian has the predicted index.
"""

from __future__ import annotations

import itertools

import numpy as np

__all__ = ["autoencoder_loss", "critical_points"]


def _check_sigma(Sigma, k):
    Sigma = np.asarray(Sigma, np.float64)
    if Sigma.ndim != 2 or Sigma.shape[0] != Sigma.shape[1]:
        raise ValueError(f"linear autoencoder: Sigma must be square (d, d), got {Sigma.shape}")
    if not np.allclose(Sigma, Sigma.T):
        raise ValueError("linear autoencoder: Sigma must be symmetric")
    if not 1 <= k < Sigma.shape[0]:
        raise ValueError(f"linear autoencoder: need 1 <= k < d = {Sigma.shape[0]}, got k = {k}")
    return Sigma


def autoencoder_loss(W1, W2, Sigma) -> float:
    """L = 1/2 tr((I - W2 W1) Sigma (I - W2 W1)^T) for W1 (k, d), W2 (d, k), Sigma (d, d)."""
    E = np.eye(len(Sigma)) - W2 @ W1
    return 0.5 * float(np.sum((E @ Sigma) * E))


def critical_points(Sigma, k: int) -> list[dict]:
    """All C(d, k) eigenvector-subset critical points of the linear autoencoder.

    Returns dicts with ``subset`` (tuple of eigen-indices, 0 = largest eigenvalue), ``W1`` (k, d),
    ``W2`` (d, k), ``loss`` = 1/2 sum of the unselected eigenvalues, and ``index`` = the predicted
    number of negative Hessian eigenvalues #{(i in S, j not in S): lam_j > lam_i}; sorted by loss.
    """
    Sigma = _check_sigma(Sigma, k)
    lam, U = np.linalg.eigh(Sigma)
    order = np.argsort(lam)[::-1]
    lam, U = lam[order], U[:, order]
    d = len(lam)
    out = []
    for S in itertools.combinations(range(d), k):
        rest = [j for j in range(d) if j not in S]
        U_S = U[:, list(S)]
        index = sum(1 for i in S for j in rest if lam[j] > lam[i])
        out.append({"subset": S, "W1": U_S.T.copy(), "W2": U_S.copy(),
                    "loss": 0.5 * float(lam[rest].sum()), "index": int(index)})
    return sorted(out, key=lambda c: c["loss"])
