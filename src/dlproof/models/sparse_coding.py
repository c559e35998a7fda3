"""Sparse coding (Olshausen & Field 1996): codes by FISTA, dictionaries by projected gradient.

Data are rows x (N, p); a dictionary D (K, p) holds K atoms as rows (scikit-learn's convention),
codes H (N, K). For a fixed D every row's code solves the lasso

    h(x) = argmin_h  (1/2) ||x - h D||^2 + lam ||h||_1,

solved for all rows at once by FISTA (Beck & Teboulle 2009): with L = ||D D^T||_2 (the gradient's
Lipschitz constant) and the soft threshold S_t(v) = sign(v) max(|v| - t, 0),

    H_{t+1} = S_{lam / L}( Y_t - (Y_t D - X) D^T / L ),     (the gradient of the quadratic is (HD - X) D^T)
    s_{t+1} = (1 + sqrt(1 + 4 s_t^2)) / 2,   Y_{t+1} = H_{t+1} + ((s_t - 1) / s_{t+1}) (H_{t+1} - H_t).

Dictionary learning minimises the mean objective over the data,

    F(D, H) = (1/N) sum_n [ (1/2) ||x_n - h_n D||^2 + lam ||h_n||_1 ],   ||d_k|| <= 1 for every atom,

by alternating a code step (FISTA, warm-started) and a few projected gradient steps on D
(gradient H^T (H D - X) / N, step 1 / ||H^T H / N||_2, then every atom projected onto the unit
ball). Both steps never increase F, so F is monotone (a test checks it). The norm constraint
matters: without it the L1 penalty is dodged by growing D and shrinking H.
"""

from __future__ import annotations

import numpy as np

__all__ = ["sparse_encode", "lasso_objective", "SparseCoding"]


def _check(X, D, op):
    X, D = np.asarray(X, np.float64), np.asarray(D, np.float64)
    if X.ndim != 2 or D.ndim != 2 or X.shape[1] != D.shape[1]:
        raise ValueError(f"{op}: need X (N, p) and a dictionary D (K, p) with the same p, got X {X.shape} "
                         f"and D {D.shape}")
    return X, D


def lasso_objective(X, D, H, lam: float) -> np.ndarray:
    """Per row (1/2) ||x_n - h_n D||^2 + lam ||h_n||_1: (N,)."""
    X, D = _check(X, D, "lasso_objective")
    return 0.5 * ((X - H @ D) ** 2).sum(axis=1) + lam * np.abs(H).sum(axis=1)


def sparse_encode(X, D, lam: float, n_iter: int = 200, H0=None) -> np.ndarray:
    """Lasso codes H (N, K) of the rows of X (N, p) over the atoms D (K, p), by FISTA (see the
    module docstring); ``H0`` warm-starts it."""
    X, D = _check(X, D, "sparse_encode")
    if lam < 0:
        raise ValueError(f"sparse_encode: lam must be >= 0, got {lam}")
    L = max(float(np.linalg.eigvalsh(D @ D.T)[-1]), 1e-12)       # ||D D^T||_2
    H = np.zeros((X.shape[0], D.shape[0])) if H0 is None else np.array(H0, np.float64)
    if H.shape != (X.shape[0], D.shape[0]):
        raise ValueError(f"sparse_encode: H0 must be ({X.shape[0]}, {D.shape[0]}), got {H.shape}")
    Y, s = H.copy(), 1.0
    DDt, XDt = D @ D.T, X @ D.T
    for _ in range(n_iter):
        V = Y - (Y @ DDt - XDt) / L                               # gradient (YD - X) D^T, expanded
        H_new = np.sign(V) * np.maximum(np.abs(V) - lam / L, 0.0)  # prox of (lam / L) ||.||_1
        s_new = 0.5 * (1.0 + np.sqrt(1.0 + 4.0 * s * s))
        Y = H_new + ((s - 1.0) / s_new) * (H_new - H)             # Nesterov momentum
        H, s = H_new, s_new
    return H


class SparseCoding:
    """An overcomplete (or not) dictionary of ``n_atoms`` unit-norm-bounded atoms learned from data.

    ``fit(X, rng)``: X (N, p); initial atoms are random training rows scaled to unit norm; then
    ``n_iter`` alternations of a code step and ``dict_steps`` projected gradient steps on D.
    ``objective_`` records F after every alternation. ``transform(X)`` -> codes (N, K);
    ``inverse_transform(H)`` -> H D (N, p).
    """

    def __init__(self, n_atoms: int, lam: float, n_iter: int = 30, code_iter: int = 50, dict_steps: int = 5):
        if n_atoms < 1 or lam < 0 or n_iter < 1:
            raise ValueError(f"SparseCoding: need n_atoms >= 1, lam >= 0, n_iter >= 1, got {n_atoms}, {lam}, "
                             f"{n_iter}")
        self.n_atoms, self.lam, self.n_iter = int(n_atoms), float(lam), int(n_iter)
        self.code_iter, self.dict_steps = int(code_iter), int(dict_steps)

    def _objective(self, X, H) -> float:
        return float(lasso_objective(X, self.components_, H, self.lam).mean())

    def fit(self, X, rng: np.random.Generator) -> SparseCoding:
        X = np.asarray(X, np.float64)
        if X.ndim != 2:
            raise ValueError(f"SparseCoding.fit: X must be (N, p), got shape {X.shape}")
        N = X.shape[0]
        D = X[rng.choice(N, self.n_atoms, replace=self.n_atoms > N)].copy()
        D += 1e-3 * rng.standard_normal(D.shape)                   # break ties between repeated rows
        self.components_ = D / np.linalg.norm(D, axis=1, keepdims=True)
        H = None
        self.objective_ = []
        for _ in range(self.n_iter):
            H = sparse_encode(X, self.components_, self.lam, self.code_iter, H0=H)
            G = H.T @ H / N
            step = 1.0 / max(float(np.linalg.eigvalsh(G)[-1]), 1e-12)
            D = self.components_
            for _ in range(self.dict_steps):
                D = D - step * (G @ D - H.T @ X / N)                 # d F / d D = H^T (H D - X) / N
                D = D / np.maximum(np.linalg.norm(D, axis=1, keepdims=True), 1.0)   # project: ||d_k|| <= 1
            self.components_ = D
            self.objective_.append(self._objective(X, H))
        self.codes_ = H
        return self

    def transform(self, X, n_iter: int | None = None) -> np.ndarray:
        return sparse_encode(X, self.components_, self.lam, n_iter or 4 * self.code_iter)

    def inverse_transform(self, H) -> np.ndarray:
        return np.asarray(H, np.float64) @ self.components_
