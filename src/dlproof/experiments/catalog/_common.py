"""Helpers shared by the activation / softmax / backprop experiments (not an experiment itself).

Data comes from :mod:`dlproof.data` (re-exported here: ``digits``, ``xor_blobs``).
Models: a plain MLP as a list of ``(W, b)`` engine Tensors (W is (out, in), as PyTorch), run by
:func:`mlp_forward` with any activation of :data:`ACTIVATIONS` (all from ``dlproof.engine.ops``),
layers through ``F.linear`` and trained by :func:`train` (mini-batch SGD from ``dlproof.optim`` on
``F.cross_entropy``, the engine's fused softmax-cross-entropy; ``F`` is ``dlproof.nn.functional``).
Everything takes an explicit ``numpy.random.Generator``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

import dlproof
from dlproof.data import digits, xor_blobs  # noqa: F401  (re-exported for experiments)
from dlproof.engine import ops
from dlproof.nn import functional as F

ACTIVATIONS: dict[str, Callable] = {
    "identity": lambda x: x,
    "sigmoid": ops.sigmoid,
    "tanh": ops.tanh,
    "relu": ops.relu,
    "leaky_relu": lambda x: ops.leaky_relu(x, 0.01),
    "elu": ops.elu,
    "softplus": ops.softplus,
    "gelu": ops.gelu,
    "silu": ops.silu,
}

# Matched initialisation gain^2 per activation: Var(W) = gain2 / fan_in (He for the ReLU family,
# LeCun/Xavier-like 1/fan_in for tanh, sigmoid's 1/4 slope at 0 compensated by 16/fan_in would be
# Glorot's original advice; we use Xavier's 1/fan_in for sigmoid too, as the catalogue asks).
INIT_GAIN2 = {"identity": 1.0, "sigmoid": 1.0, "tanh": 1.0, "relu": 2.0, "leaky_relu": 2.0,
              "elu": 2.0, "softplus": 2.0, "gelu": 2.0, "silu": 2.0}


def init_mlp(sizes: list[int], rng: np.random.Generator, *, gain2: float | list[float] = 1.0,
             dtype=np.float64, bias: float = 0.0) -> list[tuple[dlproof.Tensor, dlproof.Tensor]]:
    """Layers ``sizes[0] -> ... -> sizes[-1]``; W ~ N(0, gain2 / fan_in), b = ``bias``."""
    gains = gain2 if isinstance(gain2, list) else [gain2] * (len(sizes) - 1)
    params = []
    for fan_in, fan_out, g in zip(sizes[:-1], sizes[1:], gains):
        W = rng.standard_normal((fan_out, fan_in)) * np.sqrt(g / fan_in)
        b = np.full(fan_out, bias)
        params.append((dlproof.tensor(W.astype(dtype), requires_grad=True),
                       dlproof.tensor(b.astype(dtype), requires_grad=True)))
    return params


def flat(params) -> list:
    return [t for layer in params for t in layer]


def mlp_forward(params, x, act: Callable, *, keep: list | None = None):
    """Hidden layers use ``act``; the last layer is linear (logits). ``keep`` collects the
    pre-activations of the hidden layers (Tensors) when given."""
    h = x if isinstance(x, dlproof.Tensor) else dlproof.tensor(x)
    for i, (W, b) in enumerate(params):
        z = F.linear(h, W, b)
        if i == len(params) - 1:
            return z
        if keep is not None:
            keep.append(z)
        h = act(z)
    return h


def cross_entropy(logits, y) -> dlproof.Tensor:
    """Mean softmax cross-entropy from logits (``F.cross_entropy``: one fused, log-sum-exp stable
    node of the engine)."""
    return F.cross_entropy(logits, y)


def accuracy(params, X, y, act) -> float:
    with dlproof.no_grad():
        logits = mlp_forward(params, X, act).numpy()
    return float((logits.argmax(1) == y).mean())


def train(params, X, y, act, *, lr: float, epochs: int, batch: int, rng: np.random.Generator,
          momentum: float = 0.0, on_epoch: Callable[[int, float], None] | None = None) -> list[float]:
    """Mini-batch SGD on the mean cross-entropy; returns the full-data loss after each epoch
    (index 0 = before training)."""
    from dlproof.optim import SGD

    opt = SGD(flat(params), lr=lr, momentum=momentum)
    losses = [full_loss(params, X, y, act)]
    n = len(X)
    for epoch in range(epochs):
        order = rng.permutation(n)
        for start in range(0, n, batch):
            idx = order[start:start + batch]
            opt.zero_grad()
            loss = cross_entropy(mlp_forward(params, X[idx], act), y[idx])
            loss.backward()
            opt.step()
        losses.append(full_loss(params, X, y, act))
        if on_epoch is not None:
            on_epoch(epoch, losses[-1])
    return losses


def full_loss(params, X, y, act) -> float:
    with dlproof.no_grad():
        return float(cross_entropy(mlp_forward(params, X, act), y).item())


def central_difference(f: Callable[[np.ndarray], float], x: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """Gradient of a scalar ``f`` at ``x`` by central differences, one coordinate at a time
    (the loop is over *parameters*, which is the point when timing finite differences)."""
    g = np.zeros_like(x)
    flat_x, flat_g = x.reshape(-1), g.reshape(-1)
    for i in range(flat_x.size):
        old = flat_x[i]
        flat_x[i] = old + eps
        fp = f(x)
        flat_x[i] = old - eps
        fm = f(x)
        flat_x[i] = old
        flat_g[i] = (fp - fm) / (2 * eps)
    return g
