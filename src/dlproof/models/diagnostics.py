"""Training diagnostics: the checks to run when a network does not learn.

Everything works on a ``dlproof.nn.Sequential`` classifier trained full-batch with
``dlproof.optim.SGD`` on the softmax cross-entropy
``L = -(1/N) sum_n log softmax(f(x_n))_{y_n}``.

* :func:`train_full_batch` trains and records the loss per step, stops at the first non-finite
  loss (NaN/inf is reported, not silently plotted), and can reproduce two classic bugs:
  ``zero_grad=False`` (gradients accumulate across steps, so step t uses sum_{s<=t} g_s) and
  ``grad_sign=-1`` (gradient *ascent*).
* :func:`dead_relu_fraction`: the fraction of ReLU units whose output is 0 on every input
  (their gradient is 0 everywhere, so they never recover).
* :func:`overfit_small_batch`: a working model and loss drive the loss on a few examples to ~0;
  a loss that stays up exposes a bug in the model, the loss or the optimisation.
* :func:`gradient_check`: relative error ||g_autograd - g_fd|| / ||g_fd|| between the backprop
  gradient and central differences (L(theta + eps e_i) - L(theta - eps e_i)) / (2 eps), float64.
* :func:`naive_log_softmax` (log(exp(z) / sum exp(z)), overflows and gives log(0)) against the
  stable z - max z - log sum exp(z - max z).
"""

from __future__ import annotations

import numpy as np

__all__ = ["train_full_batch", "dead_relu_fraction", "overfit_small_batch", "gradient_check",
           "naive_log_softmax", "stable_log_softmax"]


def _check_xy(X, y, op):
    X = np.asarray(X)
    y = np.asarray(y)
    if X.ndim != 2 or y.ndim != 1 or len(X) != len(y):
        raise ValueError(f"{op}: need X (N, D) and integer labels y (N,), got {X.shape} and {y.shape}")
    return X, y


def train_full_batch(net, X, y, lr: float, steps: int, *, zero_grad: bool = True,
                     grad_sign: float = 1.0, loss_fn=None) -> dict:
    """Full-batch SGD on ``loss_fn(net(X), y)`` (default softmax cross-entropy).

    Returns ``{"losses": (T,) array, "diverged": bool, "update_ratio": (T,) array}`` where
    ``update_ratio[t] = ||Delta theta_t|| / ||theta_t||`` over all parameters (the
    update-to-weight ratio; around 1e-3 is a common rule of thumb). The update is
    theta <- theta - lr * grad_sign * grad. Stops at the first non-finite loss.
    """
    import dlproof.nn.functional as F
    from dlproof.engine.tensor import tensor
    from dlproof.optim import SGD

    X, y = _check_xy(X, y, "train_full_batch")
    if lr <= 0 or steps < 1:
        raise ValueError(f"train_full_batch: need lr > 0 and steps >= 1, got lr={lr}, steps={steps}")
    loss_fn = loss_fn or F.cross_entropy
    params = list(net.parameters())
    opt = SGD(params, lr=lr * grad_sign) if grad_sign > 0 else None
    Xt = tensor(X)
    with np.errstate(over="ignore", invalid="ignore"):  # divergence is detected and reported below
        return _loop(net, Xt, y, lr, steps, zero_grad, grad_sign, loss_fn, params, opt)


def _loop(net, Xt, y, lr, steps, zero_grad, grad_sign, loss_fn, params, opt):
    losses, ratios = [], []
    diverged = False
    for _ in range(steps):
        if zero_grad:
            for p in params:
                p.grad = None
        loss = loss_fn(net(Xt), y)
        val = float(loss.data)
        if not np.isfinite(val):
            diverged = True
            break
        losses.append(val)
        loss.backward()  # without zero_grad, .grad accumulates: step t applies sum_{s<=t} g_s
        before = [p.data.copy() for p in params]
        if opt is not None:
            opt.step()
        else:  # gradient ascent bug: theta <- theta + lr |grad_sign| g
            for p in params:
                p.data += (lr * -grad_sign * p.grad).astype(p.data.dtype)
        num = np.sqrt(sum(float(((p.data - b).astype(np.float64) ** 2).sum())
                          for p, b in zip(params, before)))
        den = np.sqrt(sum(float((b.astype(np.float64) ** 2).sum()) for b in before))
        ratios.append(num / max(den, 1e-30))
    return {"losses": np.array(losses), "diverged": diverged, "update_ratio": np.array(ratios)}


def dead_relu_fraction(net, X) -> float:
    """Fraction of the units after every ``nn.ReLU`` in the Sequential ``net`` that output 0 on all
    N rows of X (N, D): dead on this data, zero gradient, no way back."""
    from dlproof import nn
    from dlproof.engine.tensor import no_grad, tensor

    h = tensor(np.asarray(X))
    dead, total = 0, 0
    with no_grad():
        for m in net:
            h = m(h)
            if isinstance(m, nn.ReLU):
                a = h.data.reshape(len(X), -1)
                dead += int((a.max(axis=0) <= 0).sum())
                total += a.shape[1]
    if total == 0:
        raise ValueError("dead_relu_fraction: the network has no nn.ReLU layer")
    return dead / total


def overfit_small_batch(net, X, y, lr: float, steps: int, loss_fn=None) -> float:
    """Train on a handful of examples X (n, D), y (n,) and return the final loss (a correct
    model and loss reach ~0; see :func:`train_full_batch`)."""
    out = train_full_batch(net, X, y, lr, steps, loss_fn=loss_fn)
    return float(out["losses"][-1]) if not out["diverged"] else float("inf")


def gradient_check(loss_of_params, params, grads=None, eps: float = 1e-6) -> float:
    """Relative error between analytic gradients and central differences, in float64.

    ``loss_of_params()`` evaluates the scalar loss (an engine Tensor) from the current ``params``
    (engine Parameters, float64). ``grads``: the gradients to test (default: autograd's); pass a
    deliberately wrong list to see the check fail. Cost: 2 * numel forward passes.
    """
    for p in params:
        if p.data.dtype != np.float64:
            raise ValueError(f"gradient_check: parameters must be float64, got {p.data.dtype}")
        p.grad = None
    if grads is None:
        loss_of_params().backward()
        grads = [p.grad.copy() for p in params]
    fd = []
    for p in params:
        g = np.zeros_like(p.data)
        flat, gflat = p.data.reshape(-1), g.reshape(-1)
        for i in range(flat.size):
            old = flat[i]
            flat[i] = old + eps
            up = float(loss_of_params().data)
            flat[i] = old - eps
            down = float(loss_of_params().data)
            flat[i] = old
            gflat[i] = (up - down) / (2 * eps)  # central difference, error O(eps^2)
        fd.append(g)
    a = np.concatenate([np.asarray(g).ravel() for g in grads])
    n = np.concatenate([g.ravel() for g in fd])
    return float(np.linalg.norm(a - n) / max(np.linalg.norm(n), 1e-30))


def naive_log_softmax(z) -> np.ndarray:
    """log(exp(z) / sum_j exp(z_j)) row-wise, z (N, K): overflows to inf/NaN for large logits and
    gives log(0) = -inf once a probability underflows. For demonstration only."""
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        e = np.exp(z)
        return np.log(e / e.sum(axis=1, keepdims=True))


def stable_log_softmax(z) -> np.ndarray:
    """z - m - log sum_j exp(z_j - m) with m = max_j z_j, row-wise (N, K): finite for any finite z."""
    z = np.asarray(z, np.float64)
    s = z - z.max(axis=1, keepdims=True)
    return s - np.log(np.exp(s).sum(axis=1, keepdims=True))
