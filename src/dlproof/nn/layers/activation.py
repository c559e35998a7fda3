"""Activation functions as Modules (formulas on each class; derivatives in the engine ops)."""

from __future__ import annotations

from dlproof.engine import Tensor, ops
from dlproof.nn.layers._util import as_tensor
from dlproof.nn.module import Module

__all__ = [
    "ReLU",
    "LeakyReLU",
    "ELU",
    "SELU",
    "GELU",
    "SiLU",
    "Sigmoid",
    "Tanh",
    "Softplus",
    "Hardtanh",
    "Softmax",
    "LogSoftmax",
]


class ReLU(Module):
    """``max(0, x)``; derivative 1 for x > 0 and 0 for x <= 0 (ReLU'(0) = 0, as PyTorch)."""

    def forward(self, x: Tensor) -> Tensor:
        return ops.relu(as_tensor(x))


class LeakyReLU(Module):
    """``x`` for x > 0, ``negative_slope * x`` otherwise."""

    def __init__(self, negative_slope: float = 0.01):
        super().__init__()
        self.negative_slope = float(negative_slope)

    def forward(self, x: Tensor) -> Tensor:
        return ops.leaky_relu(as_tensor(x), self.negative_slope)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}"


class ELU(Module):
    """``x`` for x > 0, ``alpha * (exp(x) - 1)`` otherwise."""

    def __init__(self, alpha: float = 1.0):
        super().__init__()
        self.alpha = float(alpha)

    def forward(self, x: Tensor) -> Tensor:
        return ops.elu(as_tensor(x), self.alpha)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}"


class SELU(Module):
    """``scale * ELU_alpha(x)`` with the self-normalising constants (alpha ~ 1.6733,
    scale ~ 1.0507)."""

    def forward(self, x: Tensor) -> Tensor:
        return ops.selu(as_tensor(x))


class GELU(Module):
    """``x * Phi(x)`` (Phi = standard normal CDF); ``approximate='tanh'`` uses
    ``0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))``."""

    def __init__(self, approximate: str = "none"):
        super().__init__()
        if approximate not in ("none", "tanh"):
            raise ValueError(f"approximate must be 'none' or 'tanh', got {approximate!r}")
        self.approximate = approximate

    def forward(self, x: Tensor) -> Tensor:
        return ops.gelu(as_tensor(x), self.approximate)

    def extra_repr(self) -> str:
        return f"approximate={self.approximate!r}"


class SiLU(Module):
    """Swish: ``x * sigmoid(x)``."""

    def forward(self, x: Tensor) -> Tensor:
        return ops.silu(as_tensor(x))


class Sigmoid(Module):
    """``1 / (1 + exp(-x))``; derivative ``s (1 - s)`` (at most 1/4: vanishing gradients)."""

    def forward(self, x: Tensor) -> Tensor:
        return ops.sigmoid(as_tensor(x))


class Tanh(Module):
    """``tanh(x)``; derivative ``1 - tanh(x)^2``."""

    def forward(self, x: Tensor) -> Tensor:
        return ops.tanh(as_tensor(x))


class Softplus(Module):
    """``log(1 + exp(beta x)) / beta`` (linear above ``threshold`` for stability)."""

    def __init__(self, beta: float = 1.0, threshold: float = 20.0):
        super().__init__()
        self.beta, self.threshold = float(beta), float(threshold)

    def forward(self, x: Tensor) -> Tensor:
        return ops.softplus(as_tensor(x), self.beta, self.threshold)

    def extra_repr(self) -> str:
        return f"beta={self.beta}, threshold={self.threshold}"


class Hardtanh(Module):
    """``clip(x, min_val, max_val)``."""

    def __init__(self, min_val: float = -1.0, max_val: float = 1.0):
        super().__init__()
        self.min_val, self.max_val = float(min_val), float(max_val)

    def forward(self, x: Tensor) -> Tensor:
        return ops.hardtanh(as_tensor(x), self.min_val, self.max_val)

    def extra_repr(self) -> str:
        return f"min_val={self.min_val}, max_val={self.max_val}"


class Softmax(Module):
    """``exp(x_i) / sum_j exp(x_j)`` along ``dim``; Jacobian ``diag(s) - s s^T`` (full matrix)."""

    def __init__(self, dim: int = -1):
        super().__init__()
        self.dim = dim

    def forward(self, x: Tensor) -> Tensor:
        return ops.softmax(as_tensor(x), self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class LogSoftmax(Module):
    """``x_i - logsumexp(x)`` along ``dim`` (stable; pair with NLLLoss)."""

    def __init__(self, dim: int = -1):
        super().__init__()
        self.dim = dim

    def forward(self, x: Tensor) -> Tensor:
        return ops.log_softmax(as_tensor(x), self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"
