"""Batch normalisation and layer normalisation with hand-derived backward passes.

Both normalise xhat = (x - mu) / sqrt(var + eps) (biased var) and output y = gamma xhat + beta.
With G = dL/dy, Gh = gamma G, and means over the normalised axes (m elements):
    dL/dx = (1 / sqrt(var + eps)) (Gh - mean(Gh) - xhat mean(Gh xhat))
    dL/dgamma = sum G xhat,   dL/dbeta = sum G   (sums over all but the feature axes).
(The two mean terms come from mu and var depending on every x in the group.)
"""

from __future__ import annotations

import numpy as np

from dlproof.engine.function import Function


def _norm_backward(g, xhat, rstd, gamma, axes, gamma_shape):
    gh = g * gamma if gamma is not None else g
    gx = rstd * (gh - gh.mean(axis=axes, keepdims=True)
                 - xhat * (gh * xhat).mean(axis=axes, keepdims=True))
    return gx


class BatchNorm(Function):
    """x (N, C) or (N, C, *spatial); statistics per channel C over N and spatial axes.
    Training: batch mean/biased var normalise; running stats are updated IN PLACE:
        running_mean = (1 - momentum) running_mean + momentum mean
        running_var  = (1 - momentum) running_var  + momentum var * m / (m - 1)   (unbiased)
    Eval (or training=False): y = gamma (x - running_mean) / sqrt(running_var + eps) + beta,
        dL/dx = gamma G / sqrt(running_var + eps)."""

    @staticmethod
    def forward(ctx, x, running_mean, running_var, weight=None, bias=None, training=False,
                momentum=0.1, eps=1e-5):
        if x.ndim < 2:
            raise ValueError(f"batch_norm: expected (N, C, ...) input, got shape {x.shape}")
        C = x.shape[1]
        for name, a in (("running_mean", running_mean), ("running_var", running_var),
                        ("weight", weight), ("bias", bias)):
            if a is not None and a.shape != (C,):
                raise ValueError(f"batch_norm: {name} shape {a.shape} != ({C},) for input "
                                 f"shape {x.shape}")
        axes = (0,) + tuple(range(2, x.ndim))
        bshape = (1, C) + (1,) * (x.ndim - 2)
        use_batch = training or running_mean is None or running_var is None
        if use_batch:
            m = x.size // C
            if m <= 1:
                raise ValueError(
                    f"batch_norm: expected more than 1 value per channel when training, got "
                    f"input shape {x.shape}"
                )
            mu = x.mean(axis=axes, keepdims=True)
            d = x - mu
            var = (d * d).mean(axis=axes, keepdims=True)
            if training and running_mean is not None:
                running_mean *= 1 - momentum
                running_mean += momentum * mu.reshape(C)
            if training and running_var is not None:
                running_var *= 1 - momentum
                running_var += momentum * var.reshape(C) * (m / (m - 1))
        else:
            d = x - running_mean.reshape(bshape)
            var = running_var.reshape(bshape)
        rstd = (1.0 / np.sqrt(var + eps)).astype(x.dtype, copy=False)
        xhat = d * rstd
        gamma = weight.reshape(bshape) if weight is not None else None
        y = xhat * gamma if gamma is not None else xhat.copy()
        if bias is not None:
            y += bias.reshape(bshape)
        ctx.saved_tensors = (xhat, rstd, gamma)
        ctx.axes, ctx.use_batch = axes, use_batch
        return y

    @staticmethod
    def backward(ctx, g):
        xhat, rstd, gamma = ctx.saved_tensors
        need = ctx.needs_input_grad
        gx = gw = gb = None
        if need[0]:
            if ctx.use_batch:
                gx = _norm_backward(g, xhat, rstd, gamma, ctx.axes, None)
            else:
                gx = g * rstd * gamma if gamma is not None else g * rstd
        if len(need) > 3 and need[3]:
            gw = (g * xhat).sum(axis=ctx.axes)
        if len(need) > 4 and need[4]:
            gb = g.sum(axis=ctx.axes)
        return gx, None, None, gw, gb


class LayerNorm(Function):
    """Normalise over the last len(normalized_shape) axes of x (per example), then
    y = gamma xhat + beta with gamma, beta of shape normalized_shape."""

    @staticmethod
    def forward(ctx, x, normalized_shape, weight=None, bias=None, eps=1e-5):
        ns = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
        k = len(ns)
        if x.shape[x.ndim - k:] != ns:
            raise ValueError(
                f"layer_norm: input shape {x.shape} does not end with normalized_shape {ns}"
            )
        axes = tuple(range(x.ndim - k, x.ndim))
        mu = x.mean(axis=axes, keepdims=True)
        d = x - mu
        var = (d * d).mean(axis=axes, keepdims=True)
        rstd = (1.0 / np.sqrt(var + eps)).astype(x.dtype, copy=False)
        xhat = d * rstd
        y = xhat * weight if weight is not None else xhat.copy()
        if bias is not None:
            y += bias
        ctx.saved_tensors = (xhat, rstd, weight)
        ctx.axes, ctx.lead = axes, tuple(range(x.ndim - k))
        return y

    @staticmethod
    def backward(ctx, g):
        xhat, rstd, weight = ctx.saved_tensors
        need = ctx.needs_input_grad
        gx = _norm_backward(g, xhat, rstd, weight, ctx.axes, None) if need[0] else None
        gw = (g * xhat).sum(axis=ctx.lead) if len(need) > 2 and need[2] else None
        gb = g.sum(axis=ctx.lead) if len(need) > 3 and need[3] else None
        return gx, None, gw, gb
