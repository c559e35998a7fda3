"""Gradient clipping (in place on ``p.grad``), as ``torch.nn.utils.clip_grad_norm_/value_``."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np

__all__ = ["clip_grad_norm_", "clip_grad_value_"]


def _with_grads(parameters: Any | Iterable[Any]) -> list[Any]:
    if hasattr(parameters, "grad"):
        parameters = [parameters]
    return [p for p in parameters if p.grad is not None]


def clip_grad_norm_(
    parameters: Any | Iterable[Any],
    max_norm: float,
    norm_type: float = 2.0,
    error_if_nonfinite: bool = False,
) -> float:
    r"""Rescale all gradients together so that their joint norm is at most ``max_norm``.

    ``total = || (||g_1||_p, ..., ||g_k||_p) ||_p`` (the p-norm of all gradients concatenated;
    ``norm_type=inf`` gives the max abs entry). Every gradient is multiplied by
    ``min(1, max_norm / (total + 1e-6))``, so the direction is unchanged.
    Returns ``total`` (the norm *before* clipping), as PyTorch.
    """
    params = _with_grads(parameters)
    if not params:
        return 0.0
    norm_type = float(norm_type)
    if math.isinf(norm_type):
        total = max(float(np.max(np.abs(p.grad))) if p.grad.size else 0.0 for p in params)
    else:
        norms = np.array([np.linalg.norm(np.ravel(p.grad), ord=norm_type) for p in params])
        total = float(np.linalg.norm(norms, ord=norm_type))
    if error_if_nonfinite and not np.isfinite(total):
        raise RuntimeError(
            f"the total norm of order {norm_type} of the gradients is {total}; "
            "set error_if_nonfinite=False to clip anyway"
        )
    coef = min(1.0, float(max_norm) / (total + 1e-6))
    if coef < 1.0:
        for p in params:
            p.grad *= coef
    return total


def clip_grad_value_(parameters: Any | Iterable[Any], clip_value: float) -> None:
    """Clamp every gradient entry into ``[-clip_value, clip_value]`` in place."""
    c = float(clip_value)
    for p in _with_grads(parameters):
        np.clip(p.grad, -c, c, out=p.grad)
