"""Measurement helpers experiments share: a slope on log-log axes, a central-difference gradient."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np


def loglog_slope(x, y) -> float:
    """Least-squares slope of log y against log x (the exponent of a power law y ~ x^k)."""
    return float(np.polyfit(np.log(np.asarray(x, float)), np.log(np.asarray(y, float)), 1)[0])


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
