"""Fused losses with hand-derived gradients (PyTorch semantics, reduction='mean' by default).

Notation: x = logits (M, C) after moving the class axis last, s = softmax(x), log p = log_softmax(x).
Every cross-entropy variant is  loss_i = -sum_c Q_ic log p_ic  for a coefficient matrix Q:
  * class targets y, label smoothing e, class weights w (all 1 if None):
        Q_ic = (1 - e) w_{y_i} [c = y_i] + (e / C) w_c,   Q_i = 0 for y_i = ignore_index
    mean reduction divides by W = sum over non-ignored i of w_{y_i} (PyTorch's weighted mean);
  * probability targets t: Q_ic = w_c ((1 - e) t_ic + e / C), mean divides by M.
Because d(-log p_ic)/dx_ij = s_ij - [c = j], the gradient is
        dloss_i/dx_ij = s_ij * sum_c Q_ic - Q_ij
(for plain one-hot targets: s - onehot). The 1/W of the mean lives in exactly one place
(``_reduce``/``_reduction_scale``).
"""

from __future__ import annotations

import numpy as np

from dlproof.engine.function import Function

_REDUCTIONS = ("none", "mean", "sum")
# logits spanning at most this range (max - min over the batch) share one softmax shift; see
# CrossEntropy._forward_common
_SHIFT_RANGE = 30.0


def _log_softmax_rows(x2):
    """log softmax of each row: (x - m) - log sum e^{x - m} (subtract m first: exact at 1e4)."""
    z = x2 - x2.max(axis=1, keepdims=True)
    z -= np.log(np.exp(z).sum(axis=1, keepdims=True))
    return z


def _check_reduction(reduction):
    if reduction not in _REDUCTIONS:
        raise ValueError(f"reduction must be one of {_REDUCTIONS}, got {reduction!r}")


def _class_last(x):
    """(N, C, d1, ...) -> (N*d1*..., C); (C,) -> (1, C). Returns the 2-D array and a restorer."""
    if x.ndim == 1:
        return x[None, :], (lambda a: a[0]), ()
    if x.ndim == 2:
        return x, (lambda a: a), (x.shape[0],)
    moved = np.moveaxis(x, 1, -1)
    shp = moved.shape
    out_shape = (x.shape[0],) + x.shape[2:]
    return moved.reshape(-1, x.shape[1]), (lambda a: np.moveaxis(a.reshape(shp), -1, 1)), out_shape


def _class_coefficients(y, C, weight, ignore_index, label_smoothing, dtype):
    """Q (M, C) and per-row target weight w_{y_i} (0 for ignored rows) for class targets."""
    M = y.shape[0]
    valid = y != ignore_index
    yv = np.where(valid, y, 0)
    if np.any((yv < 0) | (yv >= C)):
        bad = y[valid & ((y < 0) | (y >= C))]
        raise IndexError(f"cross_entropy: target {bad[0]} out of range for {C} classes")
    wy = (weight[yv] if weight is not None else np.ones(M, dtype)) * valid
    Q = np.zeros((M, C), dtype)
    Q[np.arange(M), yv] = (1.0 - label_smoothing) * wy
    if label_smoothing:
        wc = weight if weight is not None else np.ones(C, dtype)
        Q += (label_smoothing / C) * wc[None, :] * valid[:, None]
    return Q, wy


class CrossEntropy(Function):
    """Softmax cross-entropy from logits; see the module docstring for loss and gradient.

    input: (N, C), (N, C, d1, ...) or (C,); target: class indices of shape (N, d1, ...) or
    class probabilities of the input's shape. Output: scalar (mean/sum) or (N, d1, ...) (none).
    """

    @staticmethod
    def forward(ctx, x, target, weight=None, ignore_index=-100, reduction="mean",
                label_smoothing=0.0):
        _check_reduction(reduction)
        target = np.asarray(target)
        if (x.ndim == 2 and weight is None and not label_smoothing and reduction != "none"
                and target.dtype.kind in "iu" and target.shape == (x.shape[0],)
                and x.shape[0] and 0 <= target.min() and target.max() < x.shape[1]
                and not (0 <= ignore_index < x.shape[1] and np.any(target == ignore_index))):
            return CrossEntropy._forward_common(ctx, x, target, reduction)
        ctx.fast = False
        x2, restore, out_shape = _class_last(x)
        M, C = x2.shape
        dtype = x.dtype
        if weight is not None:
            weight = np.asarray(weight, dtype)
            if weight.shape != (C,):
                raise ValueError(f"cross_entropy: weight shape {weight.shape} != ({C},)")
        if target.dtype.kind == "f":  # probabilities
            if target.shape != x.shape:
                raise ValueError(
                    f"cross_entropy: probability target shape {target.shape} must equal "
                    f"input shape {x.shape}"
                )
            t2, _, _ = _class_last(target)
            t2 = t2.astype(dtype, copy=False)
            if label_smoothing:
                t2 = t2 * (1.0 - label_smoothing) + label_smoothing / C
            Q = t2 * weight[None, :] if weight is not None else t2
            denom = float(M)
        else:
            y = target.reshape(-1)
            if y.shape[0] != M or (target.shape != out_shape and x.ndim > 1):
                raise ValueError(
                    f"cross_entropy: input shape {x.shape} and target shape {target.shape} "
                    f"do not match (expected target shape {out_shape})"
                )
            Q, wy = _class_coefficients(y, C, weight, ignore_index, label_smoothing, dtype)
            denom = float(wy.sum())
        logp = _log_softmax_rows(x2)
        per = -np.sum(Q * logp, axis=1)
        ctx.saved_tensors = (logp, Q)
        ctx.restore, ctx.reduction, ctx.out_shape = restore, reduction, out_shape
        if reduction == "none":
            return per.reshape(out_shape).astype(dtype, copy=False)
        # mean over zero total weight (everything ignored) is 0/0 = nan, as PyTorch
        ctx.scale = (1.0 / denom if denom else np.nan) if reduction == "mean" else 1.0
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.asarray(per.sum() * ctx.scale, dtype)

    @staticmethod
    def _forward_common(ctx, x, y, reduction):
        """Fast path (2-D logits, class targets, no weights/smoothing/ignored rows): four passes
        over (N, C), no one-hot matrix, and the gradient computed here.

        loss = scale * sum_i (log sum_c e^{z_ic} - z_{i,y_i}),  z = x - c_i  (any shift c_i
        gives the same value); and dL/dx = scale * g * (softmax(x) - onehot(y)), kept for
        backward as G = scale * (softmax - onehot) so that backward is G * g.
        The shift: the row max (exact at any logit range) needs a reduction per row, which costs
        NumPy about as much as the exp; when the whole batch spans less than ``_SHIFT_RANGE``
        one shift c = max(x) serves every row, because then z_ic >= -_SHIFT_RANGE: no
        overflow (z <= 0), and each row sum >= e^{-_SHIFT_RANGE}, far from underflow."""
        n, C = x.shape
        rows = np.arange(n)
        hi = x.max()
        if hi - x.min() <= _SHIFT_RANGE:
            z = np.subtract(x, hi)
        else:
            z = x - x.max(axis=1, keepdims=True)
        zy = z[rows, y]
        e = np.exp(z, out=z)
        s = e @ np.ones(C, e.dtype)  # row sums through BLAS (gemv): ~4x a NumPy row reduction
        scale = 1.0 / n if reduction == "mean" else 1.0
        value = (np.log(s).sum() - zy.sum()) * scale
        # G = scale * (e / s - onehot): one pass over (N, C) in place of e
        e *= (scale / s)[:, None].astype(e.dtype, copy=False)
        e[rows, y] -= e.dtype.type(scale)
        ctx.saved_tensors = (e,)
        ctx.fast = True
        return np.asarray(value, x.dtype)

    @staticmethod
    def backward(ctx, g):
        if ctx.fast:
            (G,) = ctx.saved_tensors
            # dL/dx = g * G; G is this node's own array (never seen by the caller), so g == 1
            # (the usual loss.backward()) hands it over without a copy
            return (G if g == 1 else G * g), None
        logp, Q = ctx.saved_tensors
        s = np.exp(logp)
        gx = s * Q.sum(axis=1, keepdims=True) - Q  # dloss_i/dx_ij = s_ij sum_c Q_ic - Q_ij
        if ctx.reduction == "none":
            gx *= g.reshape(-1, 1)
        else:
            gx *= g * ctx.scale
        return ctx.restore(gx), None


class NLLLoss(Function):
    """loss_i = -w_{y_i} logp_{i, y_i} (0 where y_i = ignore_index); mean divides by
    sum of w_{y_i} over non-ignored i.   dL/dlogp_{i,c} = -w_{y_i} [c = y_i] (* g, / W)."""

    @staticmethod
    def forward(ctx, logp, target, weight=None, ignore_index=-100, reduction="mean"):
        _check_reduction(reduction)
        l2, restore, out_shape = _class_last(logp)
        M, C = l2.shape
        y = np.asarray(target).reshape(-1)
        if y.dtype.kind not in "iu":
            raise TypeError(f"nll_loss: target must hold class indices, got dtype {y.dtype}")
        if y.shape[0] != M:
            raise ValueError(
                f"nll_loss: input shape {logp.shape} and target shape {np.shape(target)} "
                "do not match"
            )
        if weight is not None:
            weight = np.asarray(weight, logp.dtype)
        Q, wy = _class_coefficients(y, C, weight, ignore_index, 0.0, logp.dtype)
        per = -np.sum(Q * l2, axis=1)
        ctx.saved_tensors = (Q,)
        ctx.restore, ctx.reduction = restore, reduction
        if reduction == "none":
            return per.reshape(out_shape)
        denom = float(wy.sum())
        ctx.scale = (1.0 / denom if denom else np.nan) if reduction == "mean" else 1.0
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.asarray(per.sum() * ctx.scale, logp.dtype)

    @staticmethod
    def backward(ctx, g):
        (Q,) = ctx.saved_tensors
        gx = -Q * (g.reshape(-1, 1) if ctx.reduction == "none" else g * ctx.scale)
        return ctx.restore(gx), None


def _reduce(per, reduction):
    if reduction == "none":
        return per
    if reduction == "sum":
        return np.asarray(per.sum(), per.dtype)
    return np.asarray(per.mean(), per.dtype)


def _reduction_scale(g, shape, reduction, dtype):
    """Upstream gradient broadcast to the per-element loss shape (the 1/N of 'mean' is here)."""
    if reduction == "none":
        return g
    n = 1
    for s in shape:
        n *= s
    return np.broadcast_to(g / n if reduction == "mean" else g, shape).astype(dtype, copy=False)


def _softplus(z):
    return np.logaddexp(0, z)


class BCEWithLogits(Function):
    """l = -w [pw y log sigmoid(x) + (1 - y) log(1 - sigmoid(x))]
         = w [(1 - y) x + (1 + (pw - 1) y) softplus(-x)]        (stable form)
    dl/dx = w [(1 - y) sigmoid(x) - pw y (1 - sigmoid(x))]      (pw = 1: w (sigmoid(x) - y))
    dl/dy = w [pw softplus(-x) - softplus(x)]   (pw = pos_weight, broadcast over the last dim)."""

    @staticmethod
    def forward(ctx, x, y, weight=None, pos_weight=None, reduction="mean"):
        _check_reduction(reduction)
        if np.shape(y) != x.shape:
            raise ValueError(
                f"binary_cross_entropy_with_logits: target shape {np.shape(y)} must equal "
                f"input shape {x.shape}"
            )
        sp_neg = _softplus(-x)
        pw = 1.0 if pos_weight is None else pos_weight
        per = (1 - y) * x + (1 + (pw - 1) * y) * sp_neg
        w = 1.0 if weight is None else weight
        per = (per * w).astype(x.dtype, copy=False)
        ctx.saved_tensors = (x, y, sp_neg)
        ctx.w, ctx.pw, ctx.reduction = w, pw, reduction
        return _reduce(per, reduction)

    @staticmethod
    def backward(ctx, g):
        x, y, sp_neg = ctx.saved_tensors
        g = _reduction_scale(g, x.shape, ctx.reduction, x.dtype)
        s = np.exp(-sp_neg)  # sigmoid(x) = e^{-softplus(-x)}
        w, pw = ctx.w, ctx.pw
        need = ctx.needs_input_grad
        gx = g * w * ((1 - y) * s - pw * y * (1 - s)) if need[0] else None
        gy = g * w * (pw * sp_neg - (sp_neg + x)) if need[1] else None
        return gx, gy


class BCE(Function):
    """l = -w [y log p + (1 - y) log(1 - p)]  (logs clamped at -100, as PyTorch).
    dl/dp = w (p - y) / max(p (1 - p), 1e-12),   dl/dy = -w [log p - log(1 - p)]."""

    @staticmethod
    def forward(ctx, p, y, weight=None, reduction="mean"):
        _check_reduction(reduction)
        if np.shape(y) != p.shape:
            raise ValueError(
                f"binary_cross_entropy: target shape {np.shape(y)} must equal input shape "
                f"{p.shape}"
            )
        if np.any((p < 0) | (p > 1)):
            raise ValueError("binary_cross_entropy: input must be probabilities in [0, 1]")
        with np.errstate(divide="ignore"):
            lp = np.maximum(np.log(p), -100)
            l1p = np.maximum(np.log1p(-p), -100)
        w = 1.0 if weight is None else weight
        per = (-w * (y * lp + (1 - y) * l1p)).astype(p.dtype, copy=False)
        ctx.saved_tensors = (p, y, lp, l1p)
        ctx.w, ctx.reduction = w, reduction
        return _reduce(per, reduction)

    @staticmethod
    def backward(ctx, g):
        p, y, lp, l1p = ctx.saved_tensors
        g = _reduction_scale(g, p.shape, ctx.reduction, p.dtype)
        need = ctx.needs_input_grad
        gp = g * ctx.w * (p - y) / np.maximum(p * (1 - p), 1e-12) if need[0] else None
        gy = -g * ctx.w * (lp - l1p) if need[1] else None
        return gp, gy


class MSELoss(Function):
    """l = (x - y)^2.   dl/dx = 2 (x - y),  dl/dy = -2 (x - y)."""

    @staticmethod
    def forward(ctx, x, y, reduction="mean"):
        _check_reduction(reduction)
        try:
            d = x - y
        except ValueError as exc:
            raise ValueError(
                f"mse_loss: shapes {np.shape(x)} and {np.shape(y)} cannot be broadcast"
            ) from exc
        ctx.saved_tensors = (d,)
        ctx.reduction = reduction
        return _reduce(d * d, reduction)

    @staticmethod
    def backward(ctx, g):
        (d,) = ctx.saved_tensors
        g = _reduction_scale(g, d.shape, ctx.reduction, d.dtype)
        gd = 2 * g * d
        need = ctx.needs_input_grad
        return (gd if need[0] else None), (-gd if need[1] else None)
