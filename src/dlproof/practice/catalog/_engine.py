"""Reference values from dlproof's own engine, as plain float64 arrays."""

from __future__ import annotations

import numpy as np

from dlproof import engine


def t(x, grad: bool = False):
    return engine.tensor(np.asarray(x, dtype=np.float64), requires_grad=grad)


def value(x) -> np.ndarray:
    return np.array(x.data if hasattr(x, "data") else x, dtype=np.float64)


def vjp(f, inputs: dict, wrt: list[str], upstream) -> list[np.ndarray]:
    """The engine's reverse-mode <upstream, f(**inputs)> gradient w.r.t. ``wrt`` (tests compare it
    with the graders' finite differences)."""
    ts = {k: t(v, grad=k in wrt) if isinstance(v, np.ndarray) else v for k, v in inputs.items()}
    out = f(**ts)
    (out * t(upstream)).sum().backward()
    return [value(ts[k].grad) for k in wrt]
