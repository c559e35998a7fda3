"""RMSprop: divide by a running RMS of the gradient (optionally centred, with momentum)."""

from __future__ import annotations

from typing import Any

import numpy as np

from dlproof.optim.optimizer import Optimizer

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    r"""RMSprop exactly as ``torch.optim.RMSprop``::

        g  <- g + weight_decay * theta
        v_t = alpha * v_{t-1} + (1 - alpha) * g^2
        centered:  m_t = alpha * m_{t-1} + (1 - alpha) * g ;  s = sqrt(v_t - m_t^2) + eps
        otherwise: s = sqrt(v_t) + eps
        momentum > 0:  b_t = momentum * b_{t-1} + g / s ;  theta <- theta - lr * b_t
        else:          theta <- theta - lr * g / s

    No bias correction (unlike Adam), so early steps are large: v_1 = (1 - alpha) g^2.
    """

    def __init__(
        self,
        params,
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        momentum: float = 0.0,
        centered: bool = False,
        maximize: bool = False,
    ):
        if lr < 0 or eps < 0 or momentum < 0 or weight_decay < 0 or not 0 <= alpha <= 1:
            raise ValueError("invalid RMSprop hyper-parameters")
        super().__init__(
            params,
            dict(
                lr=lr,
                alpha=alpha,
                eps=eps,
                weight_decay=weight_decay,
                momentum=momentum,
                centered=centered,
                maximize=maximize,
            ),
        )

    def _update(self, p: Any, grad: np.ndarray, state: dict, group: dict) -> None:
        if not state:
            state["step"] = 0
            state["square_avg"] = np.zeros_like(p.data)
            if group["momentum"] > 0:
                state["momentum_buffer"] = np.zeros_like(p.data)
            if group["centered"]:
                state["grad_avg"] = np.zeros_like(p.data)
        state["step"] += 1
        alpha = group["alpha"]
        if group["weight_decay"] != 0:
            grad = grad + group["weight_decay"] * p.data
        sq = state["square_avg"]
        sq *= alpha
        sq += (1.0 - alpha) * grad * grad
        if group["centered"]:
            ga = state["grad_avg"]
            ga *= alpha
            ga += (1.0 - alpha) * grad
            avg = np.sqrt(sq - ga * ga)
        else:
            avg = np.sqrt(sq)
        avg += group["eps"]
        if group["momentum"] > 0:
            buf = state["momentum_buffer"]
            buf *= group["momentum"]
            buf += grad / avg
            p.data -= group["lr"] * buf
        else:
            p.data -= group["lr"] * grad / avg
