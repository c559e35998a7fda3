"""A plain multilayer perceptron an experiment can reach into, and the activation table and
weight initialisation the experiments share.

The model is deliberately bare: a list of ``(W, b)`` engine tensors with ``W`` of shape
(out, in) as ``nn.Linear``, so an experiment can set weights by hand, read per-layer gradients
and pre-activations, permute hidden units or hook a layer. Two ways to use it:

* functional: ``params = init_mlp(sizes, rng, gain2=...)``; ``mlp_forward(params, x, act)``;
  ``train(params, X, y, act, ...)``, ``accuracy``, ``full_loss``;
* the :class:`MLP` object: ``MLP(init_weights(rng, sizes, "he"), act="relu")``, whose forward
  keeps every layer's pre-activation in ``.pre`` and applies an optional per-layer ``hook``.

Hidden layers use the activation; the last layer is linear (logits). Everything random takes an
explicit ``numpy.random.Generator``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

import dlproof
from dlproof.engine import ops
from dlproof.nn import functional as F

ACTIVATIONS: dict[str, Callable] = {
    "identity": lambda x: x,
    "linear": lambda x: x,
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
# LeCun/Xavier-like 1/fan_in for tanh and for sigmoid).
INIT_GAIN2 = {"identity": 1.0, "linear": 1.0, "sigmoid": 1.0, "tanh": 1.0, "relu": 2.0,
              "leaky_relu": 2.0, "elu": 2.0, "softplus": 2.0, "gelu": 2.0, "silu": 2.0}


def activation(name: str) -> Callable:
    """The engine activation called ``name`` (a key of :data:`ACTIVATIONS`)."""
    if name not in ACTIVATIONS:
        raise ValueError(f"unknown activation {name!r}; one of {', '.join(ACTIVATIONS)}")
    return ACTIVATIONS[name]


def init_weights(rng: np.random.Generator, sizes: list[int], scheme: str | list[str],
                 dtype=np.float64) -> list[np.ndarray]:
    """Weights W_l of shape (out, in) for layer sizes [n0, n1, ..., nL]; one scheme, or one per layer.

    "xavier" (uniform, Var = 2/(fan_in+fan_out)), "he" (normal, Var = 2/fan_in), "lecun" (normal,
    Var = 1/fan_in), "gain2:G" (normal, Var = G/fan_in), "normal:S" (N(0, S^2)), "const:C",
    "orth:G" (gain * orthogonal). Drawn in layer order from ``rng``.
    """
    from dlproof.nn import init

    schemes = scheme if isinstance(scheme, list) else [scheme] * (len(sizes) - 1)
    if len(schemes) != len(sizes) - 1:
        raise ValueError(f"init_weights: {len(sizes) - 1} layers but {len(schemes)} schemes")
    out = []
    for fan_in, fan_out, s in zip(sizes[:-1], sizes[1:], schemes):
        shape = (fan_out, fan_in)
        w = np.zeros(shape, dtype)
        kind, _, arg = s.partition(":")
        if s == "xavier":
            init.xavier_uniform_(w, generator=rng)
        elif s == "he":
            init.kaiming_normal_(w, nonlinearity="relu", generator=rng)
        elif s == "lecun":
            init.kaiming_normal_(w, nonlinearity="linear", generator=rng)
        elif kind == "gain2":
            w = rng.standard_normal(shape) * np.sqrt(float(arg) / fan_in)
        elif kind == "normal":
            init.normal_(w, 0.0, float(arg), generator=rng)
        elif kind == "const":
            init.constant_(w, float(arg))
        elif kind == "orth":
            init.orthogonal_(w, gain=float(arg), generator=rng)
        else:
            raise ValueError(f"unknown init scheme {s!r}")
        out.append(w.astype(dtype))
    return out


def init_mlp(sizes: list[int], rng: np.random.Generator, *, gain2: float | list[float] = 1.0,
             dtype=np.float64, bias: float = 0.0) -> list[tuple[dlproof.Tensor, dlproof.Tensor]]:
    """Layers ``sizes[0] -> ... -> sizes[-1]`` as trainable tensors: W ~ N(0, gain2 / fan_in), b = bias."""
    gains = gain2 if isinstance(gain2, list) else [gain2] * (len(sizes) - 1)
    weights = init_weights(rng, sizes, [f"gain2:{g!r}" for g in gains], dtype)
    return [(dlproof.tensor(W, requires_grad=True),
             dlproof.tensor(np.full(W.shape[0], bias).astype(dtype), requires_grad=True)) for W in weights]


def flat(params) -> list:
    """[W1, b1, W2, b2, ...]: the parameters in optimizer order."""
    return [t for layer in params for t in layer]


def mlp_forward(params, x, act: Callable, *, keep: list | None = None, keep_output: bool = False,
                hook: Callable | None = None):
    """Logits of the MLP ``params`` at ``x`` (N, in): hidden layers ``act(W h + b)``, last layer linear.

    ``keep`` collects the hidden pre-activations (Tensors), and the output's too if ``keep_output``;
    ``hook(i, z)`` may replace layer i's pre-activation before the activation (injection, masking).
    """
    h = x if isinstance(x, dlproof.Tensor) else dlproof.tensor(x)
    last = len(params) - 1
    for i, (W, b) in enumerate(params):
        z = F.linear(h, W, b)
        if hook is not None:
            z = hook(i, z)
        if keep is not None and (i < last or keep_output):
            keep.append(z)
        if i == last:
            return z
        h = act(z)
    return h


class MLP:
    """y = W_L f(... f(W_1 x + b_1) ...) + b_L; ``layers`` = [(W, b), ...] engine tensors.

    ``forward`` keeps the pre-activations of every layer of the last call in ``self.pre``.
    """

    def __init__(self, weights, biases=None, act: str = "relu", requires_grad: bool = True,
                 hook: Callable | None = None):
        biases = biases if biases is not None else [np.zeros(w.shape[0], w.dtype) for w in weights]
        self.layers = [(dlproof.tensor(w, requires_grad=requires_grad),
                        dlproof.tensor(b, requires_grad=requires_grad)) for w, b in zip(weights, biases)]
        self.act = activation(act)
        self.hook = hook
        self.pre: list = []

    def parameters(self) -> list:
        return flat(self.layers)

    def forward(self, x):
        self.pre = []
        return mlp_forward(self.layers, x, self.act, keep=self.pre, keep_output=True, hook=self.hook)

    __call__ = forward

    def zero_grad(self) -> None:
        for p in self.parameters():
            p.grad = None


def full_loss(params, X, y, act) -> float:
    """Mean cross-entropy of the whole set, without building a graph."""
    with dlproof.no_grad():
        return float(F.cross_entropy(mlp_forward(params, X, act), y).item())


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
        for start in range(0, n, batch):          # loop over minibatches
            idx = order[start:start + batch]
            opt.zero_grad()
            loss = F.cross_entropy(mlp_forward(params, X[idx], act), y[idx])
            loss.backward()
            opt.step()
        losses.append(full_loss(params, X, y, act))
        if on_epoch is not None:
            on_epoch(epoch, losses[-1])
    return losses


def fit_relu_1d(W1, b1, x, yv, steps, rng):
    """Train a 1-hidden-layer ReLU net y = W2 relu(W1 x + b1) + b2 on 1-D data by MSE.

    ``W1`` (width, 1) and ``b1`` (width,) are the caller's initial first layer (where its kinks
    sit is the experiment's choice); ``W2`` ~ N(0, 1/width) is drawn from ``rng``, ``b2`` = 0.
    Adam at lr 1e-2, dropped to 2e-3 halfway. Returns (final loss, [W1, b1, W2, b2] arrays).
    """
    from dlproof.optim import Adam

    width = W1.shape[0]
    W1, b1 = dlproof.tensor(W1, requires_grad=True), dlproof.tensor(b1, requires_grad=True)
    W2 = dlproof.tensor(rng.normal(0, 1.0 / np.sqrt(width), (1, width)), requires_grad=True)
    b2 = dlproof.tensor(np.zeros(1), requires_grad=True)
    params = [W1, b1, W2, b2]
    opt = Adam(params, lr=1e-2)
    X, Y = dlproof.tensor(x[:, None]), dlproof.tensor(yv[:, None])
    for k in range(steps):
        if k == steps // 2:
            for g in opt.param_groups:
                g["lr"] = 2e-3
        opt.zero_grad()
        loss = F.mse_loss(F.linear(F.relu(F.linear(X, W1, b1)), W2, b2), Y)
        loss.backward()
        opt.step()
    return float(loss.data), [p.data.copy() for p in params]
