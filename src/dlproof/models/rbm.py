"""Bernoulli-Bernoulli restricted Boltzmann machine (Smolensky 1986; Hinton 2002).

Parameters (NumPy arrays, the layout of ``sklearn.neural_network.BernoulliRBM``):
``W`` (n_hidden, n_visible) = ``components_``, visible bias ``b`` (n_visible,) =
``intercept_visible_``, hidden bias ``c`` (n_hidden,) = ``intercept_hidden_``.

    E(v, h)   = -b.v - c.h - h^T W v                               v in {0,1}^V, h in {0,1}^H
    p(v, h)   = exp(-E(v, h)) / Z
    F(v)      = -log sum_h exp(-E(v, h)) = -b.v - sum_j softplus(c_j + W_j. v)    (free energy)
    p(h_j=1|v) = sigmoid(c_j + W_j. v),   p(v_i=1|h) = sigmoid(b_i + h.W_.i)  (bipartite: factorised)

Log-likelihood gradient of one example (positive minus negative phase):

    d log p(v)/dW = E[h|v] v^T - E_model[h v^T],  d/db = v - E_model[v],  d/dc = E[h|v] - E_model[h]

``exact_gradient`` computes E_model by enumerating the 2^H hidden states; ``cd_gradient`` replaces
it by k steps of block Gibbs from the data (CD-k, Hinton 2002) or from persistent chains (PCD,
Tieleman 2008). ``log_partition_exact`` enumerates h; ``log_partition_ais`` anneals from a
base-rate RBM (Salakhutdinov & Murray 2008). Batches are ``(N, V)`` float arrays of 0/1.
"""

from __future__ import annotations

import numpy as np

from dlproof.stats.sampling import ais, logmeanexp

__all__ = ["RBM", "all_binary_states", "softplus", "sigmoid"]


def sigmoid(x: np.ndarray) -> np.ndarray:
    """1 / (1 + exp(-x)), never NaN: for very negative x, exp(-x) overflows to inf and 1/inf = 0
    exactly (the overflow warning is silenced); float32 stays float32.

    Computed in place on one buffer (exp, +1, reciprocal: SIMD ufuncs, within an ulp or two of
    exp(-logaddexp(0, -x)), which is ~90x slower because logaddexp is not vectorised).
    """
    x = np.asarray(x)
    if x.dtype.kind != "f":
        x = x.astype(np.float64)
    with np.errstate(over="ignore"):
        e = np.exp(-x)
        if e.ndim == 0:
            return 1.0 / (1.0 + e)
        e += 1.0
        return np.reciprocal(e, out=e)


def softplus(x: np.ndarray) -> np.ndarray:
    """log(1 + exp(x)), stably."""
    return np.logaddexp(0.0, x)


def all_binary_states(n: int, dtype=np.float64) -> np.ndarray:
    """All 2^n binary vectors as rows ``(2^n, n)``, the first column the most significant bit."""
    if not 0 <= n <= 24:
        raise ValueError(f"all_binary_states: n must be in [0, 24] to enumerate, got {n}")
    idx = np.arange(2 ** n)[:, None]
    return ((idx >> np.arange(n - 1, -1, -1)[None, :]) & 1).astype(dtype)


class RBM:
    """A Bernoulli-Bernoulli RBM with ``n_visible`` and ``n_hidden`` binary units.

    ``W`` starts as N(0, init_scale^2) from ``rng``; the biases start at zero (or the given arrays).
    Sampling methods take an explicit ``numpy.random.Generator``.
    """

    def __init__(self, n_visible: int, n_hidden: int, rng: np.random.Generator | None = None,
                 init_scale: float = 0.01, W=None, b=None, c=None, dtype=np.float64):
        if n_visible < 1 or n_hidden < 1:
            raise ValueError(f"RBM: n_visible and n_hidden must be >= 1, got {n_visible}, {n_hidden}")
        self.n_visible, self.n_hidden, self.dtype = n_visible, n_hidden, dtype
        if W is None:
            rng = rng if rng is not None else np.random.default_rng(0)
            W = rng.normal(0.0, init_scale, (n_hidden, n_visible))
        self.W = np.array(W, dtype=dtype)
        self.b = np.zeros(n_visible, dtype) if b is None else np.array(b, dtype=dtype)
        self.c = np.zeros(n_hidden, dtype) if c is None else np.array(c, dtype=dtype)
        if self.W.shape != (n_hidden, n_visible) or self.b.shape != (n_visible,) \
                or self.c.shape != (n_hidden,):
            raise ValueError(f"RBM: need W ({n_hidden}, {n_visible}), b ({n_visible},), c ({n_hidden},); "
                             f"got {self.W.shape}, {self.b.shape}, {self.c.shape}")

    # -- shape checks ----------------------------------------------------------------------------
    def _v(self, v: np.ndarray, name: str = "v") -> np.ndarray:
        v = np.asarray(v, dtype=self.dtype)
        if v.ndim != 2 or v.shape[1] != self.n_visible:
            raise ValueError(f"RBM: {name} must be (N, {self.n_visible}), got {v.shape}")
        return v

    def _h(self, h: np.ndarray) -> np.ndarray:
        h = np.asarray(h, dtype=self.dtype)
        if h.ndim != 2 or h.shape[1] != self.n_hidden:
            raise ValueError(f"RBM: h must be (N, {self.n_hidden}), got {h.shape}")
        return h

    # -- energies and conditionals ----------------------------------------------------------------
    def energy(self, v: np.ndarray, h: np.ndarray) -> np.ndarray:
        """E(v, h) = -b.v - c.h - h^T W v for paired rows of v (N, V) and h (N, H): returns (N,)."""
        v, h = self._v(v), self._h(h)
        return -v @ self.b - h @ self.c - np.einsum("nh,hv,nv->n", h, self.W, v)

    def free_energy(self, v: np.ndarray) -> np.ndarray:
        """F(v) = -b.v - sum_j softplus(c_j + W_j. v): returns (N,). p(v) = exp(-F(v)) / Z."""
        v = self._v(v)
        return -v @ self.b - softplus(v @ self.W.T + self.c).sum(axis=1)

    def p_h_given_v(self, v: np.ndarray) -> np.ndarray:
        """p(h_j = 1 | v) = sigmoid(c_j + W_j. v): (N, H)."""
        return sigmoid(self._v(v) @ self.W.T + self.c)

    def p_v_given_h(self, h: np.ndarray) -> np.ndarray:
        """p(v_i = 1 | h) = sigmoid(b_i + h.W_.i): (N, V)."""
        return sigmoid(self._h(h) @ self.W + self.b)

    def sample_h(self, v: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        ph = self.p_h_given_v(v)
        return (rng.random(ph.shape) < ph).astype(self.dtype)

    def sample_v(self, h: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        pv = self.p_v_given_h(h)
        return (rng.random(pv.shape) < pv).astype(self.dtype)

    def gibbs(self, v: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
        """k steps of block Gibbs v -> h ~ p(h|v) -> v ~ p(v|h), all rows in parallel: (N, V)."""
        v = self._v(v)
        for _ in range(k):               # loop over chain steps
            v = self.sample_v(self.sample_h(v, rng), rng)
        return v

    # -- exact quantities (small H) ---------------------------------------------------------------
    def _hidden_log_marginal(self, H: np.ndarray) -> np.ndarray:
        """log sum_v exp(-E(v, h)) = c.h + sum_i softplus(b_i + h.W_.i) for rows of H: (2^H,)."""
        return H @ self.c + softplus(H @ self.W + self.b).sum(axis=1)

    def log_partition_exact(self) -> float:
        """log Z = logsumexp_h [c.h + sum_i softplus(b_i + h.W_.i)], enumerating 2^H hidden states."""
        a = self._hidden_log_marginal(all_binary_states(self.n_hidden, self.dtype))
        m = a.max()
        return float(m + np.log(np.exp(a - m).sum()))

    def log_likelihood(self, v: np.ndarray, log_z: float | None = None) -> float:
        """Mean log p(v) = mean(-F(v)) - log Z over the rows of v (exact log Z unless given)."""
        log_z = self.log_partition_exact() if log_z is None else log_z
        return float(-self.free_energy(v).mean() - log_z)

    def model_expectations(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Exact E_model[h v^T] (H, V), E_model[v] (V,), E_model[h] (H,), enumerating h.

        p(h) = exp(c.h + sum_i softplus(b_i + h.W_.i)) / Z and E[v | h] = sigmoid(b + h W).
        """
        Hs = all_binary_states(self.n_hidden, self.dtype)
        a = self._hidden_log_marginal(Hs)
        ph = np.exp(a - a.max())
        ph /= ph.sum()
        ev = sigmoid(Hs @ self.W + self.b)          # (2^H, V)
        return (Hs * ph[:, None]).T @ ev, ph @ ev, ph @ Hs

    def exact_gradient(self, v: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Exact gradient of the mean log-likelihood: (dW (H, V), db (V,), dc (H,))."""
        v = self._v(v)
        eh = self.p_h_given_v(v)
        hv, ev, eh_model = self.model_expectations()
        n = v.shape[0]
        return eh.T @ v / n - hv, v.mean(axis=0) - ev, eh.mean(axis=0) - eh_model

    # -- contrastive divergence -------------------------------------------------------------------
    def cd_gradient(self, v: np.ndarray, k: int, rng: np.random.Generator,
                    chain: np.ndarray | None = None):
        """CD-k (``chain`` None: negative chains start at the data) or PCD (``chain`` the persistent
        visible states (M, V)) estimate of the log-likelihood gradient.

        The negative statistics use p(h | v_neg) rather than sampled h (Rao-Blackwellised, as is
        standard). Returns ((dW, db, dc), v_neg) with v_neg the chain's new state.
        """
        v = self._v(v)
        eh_pos = self.p_h_given_v(v)
        if chain is None and k >= 1:
            # CD: the chain's first half-step samples h from this same p(h | v) (same draws as
            # gibbs(v, k), which would compute it again)
            h = (rng.random(eh_pos.shape) < eh_pos).astype(self.dtype)
            v_neg = self.gibbs(self.sample_v(h, rng), k - 1, rng)
        else:
            v_neg = self.gibbs(v if chain is None else self._v(chain, "chain"), k, rng)
        eh_neg = self.p_h_given_v(v_neg)
        n, m = v.shape[0], v_neg.shape[0]
        dW = eh_pos.T @ v                                 # <h v^T>_data - <h v^T>_chain
        dW /= n
        neg = eh_neg.T @ v_neg
        neg /= m
        dW -= neg
        db = v.mean(axis=0) - v_neg.mean(axis=0)
        dc = eh_pos.mean(axis=0) - eh_neg.mean(axis=0)
        return (dW, db, dc), v_neg

    def apply_gradient(self, grads, lr: float) -> None:
        """Gradient *ascent* on the log-likelihood: theta <- theta + lr * grad."""
        dW, db, dc = grads
        self.W += lr * dW
        self.b += lr * db
        self.c += lr * dc

    def fit(self, X: np.ndarray, *, epochs: int, lr: float, batch_size: int, k: int,
            rng: np.random.Generator, persistent: bool = False, callback=None) -> None:
        """Minibatch CD-k (``persistent=False``) or PCD-k training. ``callback(epoch, rbm)`` runs
        after every epoch. The persistent chains (one per minibatch row) start at random data rows."""
        X = self._v(X, "X")
        chain = X[rng.integers(0, len(X), batch_size)].copy() if persistent else None
        for epoch in range(epochs):
            order = rng.permutation(len(X))
            for s in range(0, len(X) - batch_size + 1, batch_size):
                grads, v_neg = self.cd_gradient(X[order[s:s + batch_size]], k, rng, chain)
                if persistent:
                    chain = v_neg
                self.apply_gradient(grads, lr)
            if callback is not None:
                callback(epoch, self)

    # -- annealed importance sampling ------------------------------------------------------------
    def log_partition_ais(self, n_temps: int, n_chains: int, rng: np.random.Generator,
                          base_visible_bias: np.ndarray | None = None) -> tuple[float, np.ndarray]:
        """AIS estimate of log Z (Salakhutdinov & Murray 2008).

        Path: RBMs with parameters (beta W, beta c, (1-beta) b_A + beta b), beta in linspace(0, 1,
        n_temps + 1). At beta = 0 the visible units are independent Bernoulli(sigmoid(b_A)) and the
        hidden units fair coins: Z_0 = 2^H prod_i (1 + exp(b_A,i)). With the hidden units summed out,
        log f_beta(v) = ((1-beta) b_A + beta b).v + sum_j softplus(beta (c_j + W_j. v)) is the
        geometric path between f_0 (up to the constant H log 2) and f_1 = exp(-F). Transitions:
        one block-Gibbs step of the beta-RBM. Returns (log Z estimate, per-chain log weights).
        """
        bA = np.zeros(self.n_visible) if base_visible_bias is None else np.asarray(base_visible_bias, float)
        log_z0 = self.n_hidden * np.log(2.0) + softplus(bA).sum()

        def log_f(v, beta):
            return v @ ((1.0 - beta) * bA + beta * self.b) + softplus(beta * (v @ self.W.T + self.c)).sum(1)

        def transition(v, beta, r):
            hp = sigmoid(beta * (v @ self.W.T + self.c))
            h = (r.random(hp.shape) < hp).astype(self.dtype)
            vp = sigmoid(beta * (h @ self.W + self.b) + (1.0 - beta) * bA)
            return (r.random(vp.shape) < vp).astype(self.dtype)

        v0 = (rng.random((n_chains, self.n_visible)) < sigmoid(bA)).astype(self.dtype)
        log_w = ais(log_f, transition, v0, np.linspace(0.0, 1.0, n_temps + 1), rng)
        return float(log_z0 + logmeanexp(log_w)), log_w
