"""Jacobians, Hessians and Hessian-vector products.

* ``jacobian(f, x)``: exact, reverse mode, one backward pass per output element (row i is the
  gradient of y_i, i.e. the vector-Jacobian product with the one-hot vector e_i). The forward
  pass runs once; its graph is kept (retain_graph) for all rows.
* ``hessian(f, x)`` and ``hvp(f, x, v)``: the engine's backward works on NumPy arrays, so there is
  no double backward. Both use central finite differences of EXACT gradients:
      H v ~ (grad f(x + eps v) - grad f(x - eps v)) / (2 eps),   error O(eps^2 ||v||^3)
  and the Hessian applies this to every basis vector e_j, then symmetrises (H + H^T)/2.
  Run them in float64 (inputs are converted).
"""

from __future__ import annotations

import numpy as np

from dlproof.engine.backward import run_backward
from dlproof.engine.core import Tensor

__all__ = ["grad", "jacobian", "hessian", "hvp"]


def _leaf(x, dtype=None):
    arr = x.data if isinstance(x, Tensor) else np.asarray(x)
    if dtype is not None:
        arr = arr.astype(dtype)
    elif arr.dtype.kind != "f":
        arr = arr.astype(np.float64)
    return Tensor(arr.copy(), requires_grad=True)


def grad(f, x) -> np.ndarray:
    """Gradient of a scalar-valued ``f`` at ``x`` (same shape as x)."""
    t = _leaf(x)
    y = f(t)
    if y.data.size != 1:
        raise ValueError(f"grad: f must return one element, got shape {y.shape}")
    y.backward()
    return np.zeros_like(t.data) if t.grad is None else t.grad


def jacobian(f, x) -> np.ndarray:
    """J[i..., j...] = d f(x)[i...] / d x[j...]; shape f(x).shape + x.shape (reverse mode)."""
    t = _leaf(x)
    y = f(t)
    J = np.zeros((y.data.size,) + t.shape, t.data.dtype)
    for i in range(y.data.size):
        e = np.zeros(y.data.size, y.data.dtype)
        e[i] = 1
        t.grad = None
        run_backward([(y, e.reshape(y.shape))], retain_graph=True)
        if t.grad is not None:
            J[i] = t.grad
    return J.reshape(y.shape + t.shape)


def hvp(f, x, v, eps: float = 1e-5) -> np.ndarray:
    """Hessian-vector product H(x) v of scalar ``f`` by central differences of exact gradients."""
    x = np.asarray(x.data if isinstance(x, Tensor) else x, np.float64)
    v = np.asarray(v.data if isinstance(v, Tensor) else v, np.float64)
    if v.shape != x.shape:
        raise ValueError(f"hvp: v shape {v.shape} != x shape {x.shape}")
    return (grad(f, x + eps * v) - grad(f, x - eps * v)) / (2 * eps)


def hessian(f, x, eps: float = 1e-5) -> np.ndarray:
    """Hessian of scalar ``f`` at ``x``: shape x.shape + x.shape (finite differences of exact
    gradients, one HVP per basis vector, symmetrised)."""
    x = np.asarray(x.data if isinstance(x, Tensor) else x, np.float64)
    n = x.size
    H = np.zeros((n, n))
    for j in range(n):
        e = np.zeros(n)
        e[j] = 1
        H[:, j] = hvp(f, x, e.reshape(x.shape), eps).reshape(-1)
    H = 0.5 * (H + H.T)
    return H.reshape(x.shape + x.shape)
