"""Factory functions: leaf tensors from data, constants and seeded random draws.

As PyTorch: :func:`tensor` copies, :func:`as_tensor` wraps without copying when it can; shapes may
be given as varargs or one tuple (``zeros(2, 3)`` = ``zeros((2, 3))``); float results are float32
unless ``dtype`` says otherwise. Random factories draw only from an explicit NumPy ``Generator``
(or a seed), never from global state.
"""

from __future__ import annotations

import numpy as np

from dlproof.engine.core import DEFAULT_DTYPE, Tensor, _to_array, shape_args

__all__ = [
    "tensor", "as_tensor", "zeros", "ones", "full", "zeros_like", "ones_like", "eye", "randn",
    "rand", "arange",
]


def tensor(data, requires_grad: bool = False, dtype=None) -> Tensor:
    """Make a leaf tensor (copies ``data``, as ``torch.tensor``).

    Python floats -> float32, Python ints -> int64, NumPy arrays keep their dtype.
    """
    if isinstance(data, Tensor):
        data = data.data
    arr = _to_array(data, dtype)
    if arr is data or (isinstance(data, np.ndarray) and np.may_share_memory(arr, data)):
        arr = arr.copy()
    return Tensor(arr, requires_grad=requires_grad)


def as_tensor(data, dtype=None) -> Tensor:
    """Wrap without copying when possible; Tensors are returned unchanged."""
    if isinstance(data, Tensor) and dtype is None:
        return data
    return Tensor(data, dtype=dtype)


def _dt(dtype):
    return np.dtype(DEFAULT_DTYPE if dtype is None else dtype)


def _size(shape):
    return shape_args(shape)


def zeros(*shape, dtype=None, requires_grad=False) -> Tensor:
    """Tensor of zeros of ``shape`` (float32 unless ``dtype``)."""
    return Tensor(np.zeros(_size(shape), _dt(dtype)), requires_grad=requires_grad)


def ones(*shape, dtype=None, requires_grad=False) -> Tensor:
    """Tensor of ones of ``shape`` (float32 unless ``dtype``)."""
    return Tensor(np.ones(_size(shape), _dt(dtype)), requires_grad=requires_grad)


def full(shape, fill_value, dtype=None, requires_grad=False) -> Tensor:
    return Tensor(np.full(tuple(shape), fill_value, _dt(dtype)), requires_grad=requires_grad)


def zeros_like(t, dtype=None, requires_grad=False) -> Tensor:
    d = t.data if isinstance(t, Tensor) else np.asarray(t)
    return Tensor(np.zeros_like(d, dtype=dtype), requires_grad=requires_grad)


def ones_like(t, dtype=None, requires_grad=False) -> Tensor:
    d = t.data if isinstance(t, Tensor) else np.asarray(t)
    return Tensor(np.ones_like(d, dtype=dtype), requires_grad=requires_grad)


def eye(n, m=None, dtype=None, requires_grad=False) -> Tensor:
    return Tensor(np.eye(n, m, dtype=_dt(dtype)), requires_grad=requires_grad)


def _gen(generator):
    if generator is None:
        raise TypeError(
            "pass generator=numpy.random.default_rng(seed): all randomness in dlproof flows "
            "from an explicit Generator"
        )
    if isinstance(generator, (int, np.integer)):
        return np.random.default_rng(int(generator))
    return generator


def randn(*shape, generator=None, dtype=None, requires_grad=False) -> Tensor:
    """Standard normal samples N(0, 1) drawn from ``generator`` (a numpy Generator or a seed)."""
    g = _gen(generator)
    return Tensor(g.standard_normal(_size(shape)).astype(_dt(dtype)), requires_grad=requires_grad)


def rand(*shape, generator=None, dtype=None, requires_grad=False) -> Tensor:
    """Uniform [0, 1) samples drawn from ``generator`` (a numpy Generator or a seed)."""
    g = _gen(generator)
    return Tensor(g.random(_size(shape)).astype(_dt(dtype)), requires_grad=requires_grad)


def arange(start, end=None, step=1, dtype=None, requires_grad=False) -> Tensor:
    """``arange(end)`` or ``arange(start, end, step)``; integer args give int64, floats float32."""
    if end is None:
        start, end = 0, start
    arr = np.arange(start, end, step)
    if dtype is not None:
        arr = arr.astype(dtype)
    elif arr.dtype == np.float64:
        arr = arr.astype(DEFAULT_DTYPE)
    return Tensor(arr, requires_grad=requires_grad)

