"""Activation primitives (elementwise nonlinearities) with their derivatives.

``g`` is the upstream gradient dL/dy; each backward is dL/dx = g * f'(x) with f' written out.
"""

from __future__ import annotations

import math

import numpy as np

from dlproof.engine.function import Function

SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946
_SQRT2 = math.sqrt(2.0)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)


def erf(x) -> np.ndarray:
    """Vectorised error function erf(x) = 2/sqrt(pi) * int_0^x e^{-t^2} dt, |error| < 1e-15.

    |x| <= 2.5: the everywhere-convergent series with only positive terms (no cancellation)
        erf(x) = 2/sqrt(pi) e^{-x^2} sum_n (2x^2)^n x / (1*3*...*(2n+1)),
    |x| > 2.5: erf(x) = 1 - erfc(x) with the continued fraction (evaluated bottom-up)
        erfc(x) = e^{-x^2}/sqrt(pi) * 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + 2/(x + ...))))).
    """
    x = np.asarray(x, dtype=np.float64)
    ax = np.abs(x)
    out = np.empty_like(x)
    small = ax <= 2.5
    if small.any():
        xs = x[small]
        x2 = xs * xs
        term = xs.copy()
        total = xs.copy()
        for n in range(1, 70):
            term = term * (2.0 * x2) / (2 * n + 1)
            total += term
        out[small] = _TWO_OVER_SQRT_PI * np.exp(-x2) * total
    big = ~small
    if big.any():
        xb = ax[big]
        t = xb.copy()
        for k in range(120, 0, -1):
            t = xb + (k / 2.0) / t
        erfc = np.exp(-xb * xb) / math.sqrt(math.pi) / t
        out[big] = np.sign(x[big]) * (1.0 - erfc)
    return out


def _sigmoid(x):
    """Logistic 1/(1+e^-x), in place in one buffer (4 passes; used at every LSTM/GRU step).
    e^-x overflows to inf for very negative x (float32: x < -88), and 1/(1+inf) = 0 exactly,
    so the result is exact at both ends and never NaN; the overflow warning is silenced."""
    x = np.asarray(x)
    if x.dtype.kind != "f":  # integers/bools: same float64 result as before, cast back
        z = np.exp(-np.abs(x))
        return np.where(x >= 0, 1 / (1 + z), z / (1 + z)).astype(x.dtype, copy=False)
    out = np.negative(x, out=np.empty_like(x))
    with np.errstate(over="ignore"):
        np.exp(out, out=out)
    out += 1
    np.reciprocal(out, out=out)
    return out


class Sigmoid(Function):
    """y = 1/(1+e^{-x}).   dL/dx = g * y * (1 - y)."""

    @staticmethod
    def forward(ctx, x):
        y = _sigmoid(x)
        ctx.saved_tensors = (y,)
        return y

    @staticmethod
    def backward(ctx, g):
        y = ctx.saved_tensors[0]
        return g * y * (1 - y)


_ONE = {np.dtype(d): np.ones((), d) for d in (np.float16, np.float32, np.float64)}


class Tanh(Function):
    """y = tanh x.   dL/dx = g * (1 - y^2)."""

    @staticmethod
    def forward(ctx, x):
        y = np.tanh(x)
        ctx.saved_tensors = (y,)
        return y

    @staticmethod
    def backward(ctx, g):
        y = ctx.saved_tensors[0]
        # 1 as a 0-d array of y's dtype: same result as the Python int (NEP 50 keeps y's dtype)
        # but ~0.3 us less per call on small arrays (no scalar conversion); `g - g*y*y` would be
        # cheaper still but loses accuracy where tanh saturates
        return g * (_ONE.get(y.dtype, 1) - y * y)


class ReLU(Function):
    """y = max(x, 0).   dL/dx = g * [x > 0]  (ReLU'(0) = 0, as PyTorch)."""

    @staticmethod
    def forward(ctx, x):
        y = np.maximum(x, 0)
        ctx.saved_tensors = (y,)
        return y

    @staticmethod
    def backward(ctx, g):
        return g * (ctx.saved_tensors[0] > 0)


class LeakyReLU(Function):
    """y = x if x > 0 else s*x.   dL/dx = g if x > 0 else s*g."""

    @staticmethod
    def forward(ctx, x, negative_slope=0.01):
        ctx.saved_tensors = (x,)
        ctx.slope = negative_slope
        return np.where(x > 0, x, x * negative_slope)

    @staticmethod
    def backward(ctx, g):
        x = ctx.saved_tensors[0]
        return np.where(x > 0, g, g * ctx.slope)


class ELU(Function):
    """y = x if x > 0 else a(e^x - 1).   dL/dx = g if x > 0 else g * (y + a)   (= g a e^x)."""

    @staticmethod
    def forward(ctx, x, alpha=1.0, scale=1.0):
        neg = alpha * np.expm1(np.minimum(x, 0))
        y = np.where(x > 0, x, neg) * scale if scale != 1.0 else np.where(x > 0, x, neg)
        ctx.saved_tensors = (x, neg)
        ctx.alpha, ctx.scale = alpha, scale
        return y.astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        x, neg = ctx.saved_tensors
        d = np.where(x > 0, 1, neg + ctx.alpha) * ctx.scale
        return (g * d).astype(g.dtype, copy=False)


class GELU(Function):
    """Exact: y = x Phi(x), Phi(x) = (1 + erf(x/sqrt 2))/2;  dL/dx = g (Phi(x) + x phi(x)),
    phi(x) = e^{-x^2/2}/sqrt(2 pi).
    tanh approximation: y = x/2 (1 + tanh u), u = sqrt(2/pi)(x + 0.044715 x^3);
    dL/dx = g [ (1 + tanh u)/2 + x/2 (1 - tanh^2 u) sqrt(2/pi)(1 + 3*0.044715 x^2) ]."""

    @staticmethod
    def forward(ctx, x, approximate="none"):
        ctx.saved_tensors = (x,)
        ctx.approximate = approximate
        if approximate == "tanh":
            t = np.tanh(_SQRT_2_OVER_PI * (x + 0.044715 * x**3))
            ctx.t = t
            return 0.5 * x * (1 + t)
        if approximate != "none":
            raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
        cdf = (0.5 * (1.0 + erf(x / _SQRT2))).astype(x.dtype, copy=False)
        ctx.cdf = cdf
        return x * cdf

    @staticmethod
    def backward(ctx, g):
        x = ctx.saved_tensors[0]
        if ctx.approximate == "tanh":
            t = ctx.t
            du = _SQRT_2_OVER_PI * (1 + 3 * 0.044715 * x * x)
            return g * (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * du)
        pdf = _INV_SQRT_2PI * np.exp(-0.5 * x * x)
        return g * (ctx.cdf + x * pdf)


class Softplus(Function):
    """y = (1/b) ln(1 + e^{b x})  (y = x where b x > threshold).
    dL/dx = g * sigmoid(b x)  (g where b x > threshold)."""

    @staticmethod
    def forward(ctx, x, beta=1.0, threshold=20.0):
        bx = x * beta
        ctx.saved_tensors = (bx,)
        ctx.threshold = threshold
        return np.where(bx > threshold, x, np.logaddexp(0, bx) / beta).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        bx = ctx.saved_tensors[0]
        return g * np.where(bx > ctx.threshold, 1, _sigmoid(bx)).astype(g.dtype, copy=False)


class SiLU(Function):
    """y = x sigmoid(x).   dL/dx = g * s (1 + x (1 - s)),  s = sigmoid(x)."""

    @staticmethod
    def forward(ctx, x):
        s = _sigmoid(x)
        ctx.saved_tensors = (x, s)
        return x * s

    @staticmethod
    def backward(ctx, g):
        x, s = ctx.saved_tensors
        return g * s * (1 + x * (1 - s))


class Hardtanh(Function):
    """y = clip(x, lo, hi).   dL/dx = g * [lo < x < hi]  (zero at the bounds, as PyTorch)."""

    @staticmethod
    def forward(ctx, x, min_val=-1.0, max_val=1.0):
        ctx.saved_tensors = (x,)
        ctx.lo, ctx.hi = min_val, max_val
        return np.clip(x, min_val, max_val)

    @staticmethod
    def backward(ctx, g):
        x = ctx.saved_tensors[0]
        return g * ((x > ctx.lo) & (x < ctx.hi))
