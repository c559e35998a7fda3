"""Small helpers shared by the layers."""

from __future__ import annotations

from typing import Any

import numpy as np

from dlproof.engine import Tensor


def as_tensor(x: Any) -> Tensor:
    """Wrap a NumPy array (or scalar) as a constant Tensor; Tensors pass through."""
    return x if isinstance(x, Tensor) else Tensor(np.asarray(x))


def pair(v: int | tuple[int, int]) -> tuple[int, int]:
    """``3 -> (3, 3)``; ``(2, 3) -> (2, 3)``."""
    if isinstance(v, (tuple, list)):
        if len(v) != 2:
            raise ValueError(f"expected an int or a pair, got {v!r}")
        return int(v[0]), int(v[1])
    return int(v), int(v)


def check_ndim(x: Tensor, allowed: tuple[int, ...], layer: str, layout: str) -> None:
    """Raise a clear error when ``x.ndim`` is not one of ``allowed``."""
    if x.ndim not in allowed:
        raise ValueError(f"{layer}: expected input of shape {layout}, got shape {tuple(x.shape)}")
