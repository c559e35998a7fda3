"""Elementwise primitives: arithmetic, exp/log/sqrt/abs, maximum/minimum, where, clip, cast.

Each backward states its formula; ``g`` is the upstream gradient dL/dy. Broadcasting is undone by
the engine (gradients are summed back to each input's shape), so formulas are written per element.
"""

from __future__ import annotations

import numpy as np

from dlproof.engine.function import Function


def _shape(a):
    return getattr(a, "shape", ())


def _bin(op_name, fn, a, b):
    try:
        return fn(a, b)
    except ValueError as exc:
        raise ValueError(
            f"{op_name}: shapes {_shape(a)} and {_shape(b)} cannot be broadcast together"
        ) from exc


class Add(Function):
    """y = a + b.   dL/da = g,  dL/db = g."""

    @staticmethod
    def forward(ctx, a, b):
        try:
            return a + b
        except ValueError:
            return _bin("add", np.add, a, b)

    @staticmethod
    def backward(ctx, g):
        return g, g


class Sub(Function):
    """y = a - b.   dL/da = g,  dL/db = -g."""

    @staticmethod
    def forward(ctx, a, b):
        try:
            return a - b
        except ValueError:
            return _bin("sub", np.subtract, a, b)

    @staticmethod
    def backward(ctx, g):
        return g, (-g if ctx.needs_input_grad[1] else None)


class Mul(Function):
    """y = a * b.   dL/da = g * b,  dL/db = g * a."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.saved_tensors = (a, b)
        try:
            return a * b
        except ValueError:
            return _bin("mul", np.multiply, a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        need = ctx.needs_input_grad
        return (g * b if need[0] else None), (g * a if need[1] else None)


class Div(Function):
    """y = a / b.   dL/da = g / b,  dL/db = -g * a / b^2 = -g * y / b."""

    @staticmethod
    def forward(ctx, a, b):
        y = _bin("div", np.true_divide, a, b)
        ctx.saved_tensors = (b, y)
        return y

    @staticmethod
    def backward(ctx, g):
        b, y = ctx.saved_tensors
        need = ctx.needs_input_grad
        ga = g / b if need[0] else None
        gb = -g * y / b if need[1] else None
        return ga, gb


class Neg(Function):
    """y = -x.   dL/dx = -g."""

    @staticmethod
    def forward(ctx, x):
        return np.negative(x)

    @staticmethod
    def backward(ctx, g):
        return -g


class Pow(Function):
    """y = a ** b.   dL/da = g * b * a^(b-1),   dL/db = g * y * ln(a)  (only where a > 0)."""

    @staticmethod
    def forward(ctx, a, b):
        y = _bin("pow", np.power, a, b)
        ctx.saved_tensors = (a, b, y)
        return y

    @staticmethod
    def backward(ctx, g):
        a, b, y = ctx.saved_tensors
        need = ctx.needs_input_grad
        ga = gb = None
        if need[0]:
            if isinstance(b, (int, float)) and b == 2:
                ga = g * (2 * a)
            else:
                ga = g * (b * np.power(a, b - 1))
        if need[1]:
            with np.errstate(divide="ignore", invalid="ignore"):
                la = np.where(a > 0, np.log(np.where(a > 0, a, 1)), 0)
            gb = g * y * la
        return ga, gb


class Exp(Function):
    """y = e^x.   dL/dx = g * y."""

    @staticmethod
    def forward(ctx, x):
        y = np.exp(x)
        ctx.saved_tensors = (y,)
        return y

    @staticmethod
    def backward(ctx, g):
        return g * ctx.saved_tensors[0]


class Log(Function):
    """y = ln x.   dL/dx = g / x."""

    @staticmethod
    def forward(ctx, x):
        ctx.saved_tensors = (x,)
        return np.log(x)

    @staticmethod
    def backward(ctx, g):
        return g / ctx.saved_tensors[0]


class Sqrt(Function):
    """y = sqrt(x).   dL/dx = g / (2 y)."""

    @staticmethod
    def forward(ctx, x):
        y = np.sqrt(x)
        ctx.saved_tensors = (y,)
        return y

    @staticmethod
    def backward(ctx, g):
        return g / (2 * ctx.saved_tensors[0])


class Abs(Function):
    """y = |x|.   dL/dx = g * sign(x), with sign(0) = 0 (PyTorch's subgradient)."""

    @staticmethod
    def forward(ctx, x):
        ctx.saved_tensors = (x,)
        return np.abs(x)

    @staticmethod
    def backward(ctx, g):
        return g * np.sign(ctx.saved_tensors[0])


class Maximum(Function):
    """y = max(a, b) elementwise.   dL/da = g * [a > b] + g/2 * [a == b], symmetric for b
    (ties split the gradient evenly, as torch.maximum)."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.saved_tensors = (a, b)
        return _bin("maximum", np.maximum, a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        w = (np.greater(a, b) + 0.5 * np.equal(a, b)).astype(g.dtype, copy=False)
        need = ctx.needs_input_grad
        return (g * w if need[0] else None), (g * (1 - w) if need[1] else None)


class Minimum(Function):
    """y = min(a, b) elementwise.   dL/da = g * [a < b] + g/2 * [a == b], symmetric for b."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.saved_tensors = (a, b)
        return _bin("minimum", np.minimum, a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        w = (np.less(a, b) + 0.5 * np.equal(a, b)).astype(g.dtype, copy=False)
        need = ctx.needs_input_grad
        return (g * w if need[0] else None), (g * (1 - w) if need[1] else None)


class Where(Function):
    """y = where(c, a, b).   dL/da = g * c,  dL/db = g * (1 - c);  c gets no gradient."""

    @staticmethod
    def forward(ctx, cond, a, b):
        cond = np.asarray(cond, dtype=bool)
        ctx.saved_tensors = (cond,)
        try:
            return np.where(cond, a, b)
        except ValueError as exc:
            raise ValueError(
                f"where: shapes {_shape(cond)}, {_shape(a)} and {_shape(b)} cannot be broadcast"
            ) from exc

    @staticmethod
    def backward(ctx, g):
        (cond,) = ctx.saved_tensors
        need = ctx.needs_input_grad
        ga = np.where(cond, g, 0).astype(g.dtype, copy=False) if need[1] else None
        gb = np.where(cond, 0, g).astype(g.dtype, copy=False) if need[2] else None
        return None, ga, gb


class Clip(Function):
    """y = clip(x, lo, hi).   dL/dx = g * [lo <= x <= hi]  (gradient passes at the bounds, as
    torch.clamp); the bounds are constants."""

    @staticmethod
    def forward(ctx, x, lo, hi):
        ctx.saved_tensors = (x, lo, hi)
        return np.clip(x, lo, hi)

    @staticmethod
    def backward(ctx, g):
        x, lo, hi = ctx.saved_tensors
        mask = np.ones(x.shape, bool)
        if lo is not None:
            mask &= x >= lo
        if hi is not None:
            mask &= x <= hi
        return g * mask, None, None


class Cast(Function):
    """y = x converted to ``dtype``.   dL/dx = g converted back to x's dtype."""

    @staticmethod
    def forward(ctx, x, dtype):
        ctx.in_dtype = x.dtype
        return x.astype(dtype)

    @staticmethod
    def backward(ctx, g):
        return g.astype(ctx.in_dtype, copy=False), None


class Clone(Function):
    """y = copy of x.   dL/dx = g."""

    @staticmethod
    def forward(ctx, x):
        return x.copy()

    @staticmethod
    def backward(ctx, g):
        return g


class NonDiff(Function):
    """y = fn(*inputs) with no gradient (comparisons, logical ops, argmax, detach).
    Recorded only while tracing a static graph, so replays recompute it."""

    differentiable = False

    @staticmethod
    def forward(ctx, *args, fn):
        return fn(*args)

    @staticmethod
    def backward(ctx, g):
        return None
