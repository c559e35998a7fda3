"""Small helpers shared by the batch-B experiments (optimization, initialization, normalization,
representational power): digits data, a plain MLP written with engine tensors, figure helpers.

The MLP here is deliberately bare (a list of ``(W, b)`` engine tensors, ``W`` of shape (out, in)
as ``nn.Linear``) so that an experiment can reach into every layer: set weights by hand, read
per-layer gradients, permute hidden units, inject per-layer hooks.
"""

from __future__ import annotations

import numpy as np

from dlproof import data


def digits(standardize: bool = True, n: int | None = None, rng=None):
    """sklearn's bundled 8x8 digits (see :func:`dlproof.data.digits`): X (N, 64) float64, y (N,)."""
    return data.digits(np.float64, standardize=standardize, n=n, rng=rng)


def tensor(data, requires_grad=False):
    from dlproof.engine.tensor import tensor as _t

    return _t(data, requires_grad=requires_grad)


def activation(name: str):
    """Engine activation by name: x -> x.relu() / .tanh() / .sigmoid() / identity."""
    return {
        "relu": lambda t: t.relu(),
        "tanh": lambda t: t.tanh(),
        "sigmoid": lambda t: t.sigmoid(),
        "linear": lambda t: t,
    }[name]


def init_weights(rng, sizes, scheme: str, dtype=np.float64):
    """Weights W_l of shape (out, in) for layer sizes [n0, n1, ..., nL].

    scheme: "xavier" (uniform, Var = 2/(fan_in+fan_out)), "he" (normal, Var = 2/fan_in),
    "lecun" (normal, Var = 1/fan_in), "normal:S" (N(0, S^2)), "const:C", "orth:G" (gain*orthogonal).
    """
    from dlproof.nn import init

    out = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        shape = (fan_out, fan_in)
        w = np.zeros(shape, dtype)
        if scheme == "xavier":
            init.xavier_uniform_(w, generator=rng)
        elif scheme == "he":
            init.kaiming_normal_(w, nonlinearity="relu", generator=rng)
        elif scheme == "lecun":
            init.kaiming_normal_(w, nonlinearity="linear", generator=rng)
        elif scheme.startswith("normal:"):
            init.normal_(w, 0.0, float(scheme.split(":")[1]), generator=rng)
        elif scheme.startswith("const:"):
            init.constant_(w, float(scheme.split(":")[1]))
        elif scheme.startswith("orth:"):
            init.orthogonal_(w, gain=float(scheme.split(":")[1]), generator=rng)
        else:
            raise ValueError(f"unknown init scheme {scheme!r}")
        out.append(w.astype(dtype))
    return out


class MLP:
    """y = W_L f(... f(W_1 x + b_1) ...) + b_L with engine tensors; ``layers`` = [(W, b), ...].

    ``forward`` keeps the pre-activations of the last call in ``self.pre`` (engine tensors) so an
    experiment can read them.
    """

    def __init__(self, weights, biases=None, act: str = "relu", requires_grad=True):
        biases = biases if biases is not None else [np.zeros(w.shape[0], w.dtype) for w in weights]
        self.layers = [(tensor(w, requires_grad), tensor(b, requires_grad))
                       for w, b in zip(weights, biases)]
        self.act = activation(act)
        self.pre = []

    def parameters(self):
        return [p for wb in self.layers for p in wb]

    def forward(self, x):
        h = x if not isinstance(x, np.ndarray) else tensor(x)
        self.pre = []
        for i, (W, b) in enumerate(self.layers):
            z = h @ W.T + b
            self.pre.append(z)
            h = self.act(z) if i < len(self.layers) - 1 else z
        return h

    __call__ = forward

    def zero_grad(self):
        for p in self.parameters():
            p.grad = None


def cross_entropy(logits, y):
    """Mean softmax cross-entropy of engine logits (N, K) against integer labels y (N,)."""
    from dlproof.nn import functional as F

    return F.cross_entropy(logits, y)


def fig_ax(ncols=1, nrows=1, w=4.2, h=3.2, **kw):
    """A matplotlib Figure (no pyplot state) with ``nrows x ncols`` axes."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(w * ncols, h * nrows), layout="constrained")
    ax = fig.subplots(nrows, ncols, **kw)
    return fig, ax


def loglog_slope(x, y) -> float:
    """Least-squares slope of log y against log x."""
    return float(np.polyfit(np.log(np.asarray(x, float)), np.log(np.asarray(y, float)), 1)[0])


def fit_relu_1d(W1, b1, x, yv, steps, rng):
    """Train a 1-hidden-layer ReLU net y = W2 relu(W1 x + b1) + b2 on 1-D data by MSE.

    ``W1`` (width, 1) and ``b1`` (width,) are the caller's initial first layer (where its kinks
    sit is the experiment's choice); ``W2`` ~ N(0, 1/width) is drawn from ``rng``, ``b2`` = 0.
    Adam at lr 1e-2, dropped to 2e-3 halfway. Returns (final loss, [W1, b1, W2, b2] arrays).
    """
    import dlproof.nn.functional as F
    from dlproof.optim import Adam

    width = W1.shape[0]
    W1, b1 = tensor(W1, True), tensor(b1, True)
    W2 = tensor(rng.normal(0, 1.0 / np.sqrt(width), (1, width)), True)
    b2 = tensor(np.zeros(1), True)
    params = [W1, b1, W2, b2]
    opt = Adam(params, lr=1e-2)
    X, Y = tensor(x[:, None]), tensor(yv[:, None])
    for k in range(steps):
        if k == steps // 2:
            for g in opt.param_groups:
                g["lr"] = 2e-3
        opt.zero_grad()
        loss = F.mse_loss(F.linear(F.relu(F.linear(X, W1, b1)), W2, b2), Y)
        loss.backward()
        opt.step()
    return float(loss.data), [p.data.copy() for p in params]
