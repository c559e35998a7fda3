"""K independent one-hidden-layer ReLU MLPs trained at once, each with its own hyperparameters.

Used for hyperparameter search: every member k is its own network

    logits_k(X) = (relu(X W1_k^T + b1_k) * m_k) W2_k^T + b2_k,    X (N, D) -> (N, C)

with W1 (K, H, D), b1 (K, 1, H), W2 (K, C, H), b2 (K, 1, C) stored as batched engine tensors, and
a 0/1 mask m_k (1, H) that keeps the first ``widths[k]`` hidden units (a narrower network inside
the same arrays). Member k is initialised like ``nn.Linear`` (U(-1/sqrt(fan_in), 1/sqrt(fan_in)))
times ``init_scales[k]``, and trained by full-batch SGD with its own learning rate lr_k and L2
weight decay wd_k (the ``torch.optim.SGD(weight_decay=wd)`` convention, applied to all parameters):

    theta_k <- theta_k - lr_k * (grad L_k(theta_k) + wd_k * theta_k),
    L_k = -(1/N) sum_n log softmax(logits_k(x_n))_{y_n}.

The total loss sum_k L_k is backpropagated once: its gradient with respect to member k's
parameters is exactly grad L_k, because the members share nothing. A member whose loss becomes
non-finite is frozen and reported as diverged (its recorded losses are inf).
"""

from __future__ import annotations

import numpy as np

__all__ = ["MLPEnsemble"]


class MLPEnsemble:
    """K MLPs D -> H -> C (see the module docstring). ``widths`` (K,) ints in [1, H] (default H),
    ``init_scales`` (K,) positive floats (default 1)."""

    def __init__(self, K: int, D: int, H: int, C: int, rng: np.random.Generator,
                 widths=None, init_scales=None, dtype=np.float32):
        from dlproof.engine.tensor import tensor

        if min(K, D, H, C) < 1:
            raise ValueError(f"MLPEnsemble: K, D, H, C must be >= 1, got {(K, D, H, C)}")
        widths = np.full(K, H) if widths is None else np.asarray(widths, int)
        scales = np.ones(K) if init_scales is None else np.asarray(init_scales, np.float64)
        if widths.shape != (K,) or widths.min() < 1 or widths.max() > H:
            raise ValueError(f"MLPEnsemble: widths must be K = {K} ints in [1, {H}], got {widths}")
        if scales.shape != (K,) or np.any(scales <= 0):
            raise ValueError(f"MLPEnsemble: init_scales must be K = {K} positive floats")
        self.K, self.D, self.H, self.C = K, D, H, C
        s = scales[:, None, None]

        def U(shape, fan_in):
            return (s * rng.uniform(-1, 1, shape) / np.sqrt(fan_in)).astype(dtype)

        self.W1 = tensor(U((K, H, D), D), requires_grad=True)
        self.b1 = tensor(U((K, 1, H), D), requires_grad=True)
        self.W2 = tensor(U((K, C, H), H), requires_grad=True)
        self.b2 = tensor(U((K, 1, C), H), requires_grad=True)
        self.mask = tensor((np.arange(H)[None, None, :] < widths[:, None, None]).astype(dtype))

    def parameters(self):
        return [self.W1, self.b1, self.W2, self.b2]

    def logits(self, X):
        """X (N, D) -> logits (K, N, C)."""
        from dlproof.engine.tensor import as_tensor

        X = as_tensor(X)
        if X.ndim != 2 or X.shape[1] != self.D:
            raise ValueError(f"MLPEnsemble.logits: X must be (N, {self.D}), got {tuple(X.shape)}")
        h = (X @ self.W1.transpose(1, 2) + self.b1).relu() * self.mask  # (K, N, H)
        return h @ self.W2.transpose(1, 2) + self.b2

    def losses(self, X, y):
        """Per-member mean cross-entropy L_k, an engine tensor of shape (K,)."""
        import dlproof.nn.functional as F

        z = self.logits(X)
        K, N, C = z.shape
        per = F.cross_entropy(z.reshape(K * N, C), np.tile(np.asarray(y), K), reduction="none")
        return per.reshape(K, N).mean(axis=1)

    def fit(self, X, y, lrs, wds, steps: int, X_val=None, y_val=None, record_every: int = 0):
        """Full-batch SGD for ``steps`` steps, member k with lrs[k] and wds[k] (both (K,)).

        Returns ``{"train": (steps, K) training losses, "val": (R, K) validation losses at steps
        record_every, 2 record_every, ... (and at the end), "val_steps": (R,), "diverged": (K,)}``.
        """
        from dlproof.engine.tensor import no_grad

        lrs = np.asarray(lrs, np.float64)
        wds = np.asarray(wds, np.float64)
        if lrs.shape != (self.K,) or wds.shape != (self.K,):
            raise ValueError(f"MLPEnsemble.fit: lrs and wds must have shape ({self.K},), "
                             f"got {lrs.shape} and {wds.shape}")
        diverged = np.zeros(self.K, bool)
        train, val, val_steps = [], [], []
        every = record_every or steps
        with np.errstate(over="ignore", invalid="ignore"):
            for t in range(1, steps + 1):
                for p in self.parameters():
                    p.grad = None
                L = self.losses(X, y)
                vals = L.data.astype(np.float64)
                diverged |= ~np.isfinite(vals)
                train.append(np.where(diverged, np.inf, vals))
                L.sum().backward()  # d(sum_k L_k)/d theta_k = grad L_k: members are independent
                keep = (~diverged)[:, None, None]
                for p in self.parameters():
                    lr = lrs.astype(p.data.dtype)[:, None, None]
                    wd = wds.astype(p.data.dtype)[:, None, None]
                    step = lr * (p.grad + wd * p.data)  # theta <- theta - lr (grad + wd theta)
                    p.data -= np.where(keep, step, 0)
                if X_val is not None and (t % every == 0 or t == steps):
                    with no_grad():
                        v = self.losses(X_val, y_val).data.astype(np.float64)
                    val.append(np.where(diverged | ~np.isfinite(v), np.inf, v))
                    val_steps.append(t)
        return {"train": np.array(train), "val": np.array(val), "val_steps": np.array(val_steps),
                "diverged": diverged}
