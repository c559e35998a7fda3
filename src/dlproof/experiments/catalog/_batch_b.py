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
