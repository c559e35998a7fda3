"""Adagrad: per-coordinate learning rates from the running sum of squared gradients."""

from __future__ import annotations

from typing import Any

import numpy as np

from dlproof.optim.optimizer import Optimizer

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    r"""Adagrad exactly as ``torch.optim.Adagrad``::

        g   <- g + weight_decay * theta
        lr_t = lr / (1 + (t - 1) * lr_decay)
        G_t  = G_{t-1} + g * g                 (G_0 = initial_accumulator_value)
        theta <- theta - lr_t * g / (sqrt(G_t) + eps)

    The effective step of each coordinate shrinks like 1/sqrt(sum of its squared gradients):
    good for sparse features, but it never recovers once G is large (RMSprop's motivation).
    """

    def __init__(
        self,
        params,
        lr: float = 1e-2,
        lr_decay: float = 0.0,
        weight_decay: float = 0.0,
        initial_accumulator_value: float = 0.0,
        eps: float = 1e-10,
        maximize: bool = False,
    ):
        if lr < 0 or lr_decay < 0 or weight_decay < 0 or initial_accumulator_value < 0 or eps < 0:
            raise ValueError("Adagrad hyper-parameters must be non-negative")
        super().__init__(
            params,
            dict(
                lr=lr,
                lr_decay=lr_decay,
                weight_decay=weight_decay,
                initial_accumulator_value=initial_accumulator_value,
                eps=eps,
                maximize=maximize,
            ),
        )
        for group in self.param_groups:
            for p in group["params"]:
                state = self.state_for(p)
                state["step"] = 0
                state["sum"] = np.full_like(p.data, group["initial_accumulator_value"])

    def _update(self, p: Any, grad: np.ndarray, state: dict, group: dict) -> None:
        state["step"] += 1
        if group["weight_decay"] != 0:
            grad = grad + group["weight_decay"] * p.data
        clr = group["lr"] / (1.0 + (state["step"] - 1) * group["lr_decay"])
        acc = state["sum"]
        acc += grad * grad
        p.data -= clr * grad / (np.sqrt(acc) + group["eps"])
