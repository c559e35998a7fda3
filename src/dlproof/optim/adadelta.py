"""Adadelta: RMSprop whose step is rescaled by a running RMS of past updates (unit-consistent)."""

from __future__ import annotations

from typing import Any

import numpy as np

from dlproof.optim.optimizer import Optimizer

__all__ = ["Adadelta"]


class Adadelta(Optimizer):
    r"""Adadelta exactly as ``torch.optim.Adadelta``::

    g  <- g + weight_decay * theta
    v_t  = rho * v_{t-1} + (1 - rho) * g^2
    dx   = sqrt(u_{t-1} + eps) / sqrt(v_t + eps) * g
    u_t  = rho * u_{t-1} + (1 - rho) * dx^2
    theta <- theta - lr * dx           (lr = 1.0 in Zeiler's paper)
    """

    def __init__(
        self,
        params,
        lr: float = 1.0,
        rho: float = 0.9,
        eps: float = 1e-6,
        weight_decay: float = 0.0,
        maximize: bool = False,
    ):
        if lr < 0 or eps < 0 or weight_decay < 0 or not 0 <= rho <= 1:
            raise ValueError("invalid Adadelta hyper-parameters")
        super().__init__(params, dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, maximize=maximize))

    def _update(self, p: Any, grad: np.ndarray, state: dict, group: dict) -> None:
        if not state:
            state["step"] = 0
            state["square_avg"] = np.zeros_like(p.data)
            state["acc_delta"] = np.zeros_like(p.data)
        state["step"] += 1
        rho, eps = group["rho"], group["eps"]
        if group["weight_decay"] != 0:
            grad = grad + group["weight_decay"] * p.data
        sq, acc = state["square_avg"], state["acc_delta"]
        sq *= rho
        sq += (1.0 - rho) * grad * grad
        delta = np.sqrt(acc + eps) / np.sqrt(sq + eps) * grad
        acc *= rho
        acc += (1.0 - rho) * delta * delta
        p.data -= group["lr"] * delta
