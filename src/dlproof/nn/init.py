r"""Weight initialisation, in place (``torch.nn.init`` semantics, NumPy randomness).

Every function takes a Parameter / Tensor (anything with a ``.data`` array) or a bare NumPy
array, fills it **in place** and returns it. Randomness comes from ``generator=``: a
``numpy.random.Generator``, an int seed, or ``None`` for this module's default generator
(seeded with 0; reseed it with :func:`manual_seed`), so the same seed gives the same numbers.

Fans of a weight of shape ``(out, in, *kernel)``: ``fan_in = in * prod(kernel)``,
``fan_out = out * prod(kernel)`` (Linear (out, in); Conv2d (out, in/groups, kh, kw)).

* Xavier / Glorot (keep the variance of activations *and* gradients for linear/tanh units):
  ``Var[w] = gain^2 * 2 / (fan_in + fan_out)``; uniform bound ``a = gain*sqrt(6/(fan_in+fan_out))``.
* Kaiming / He (ReLU halves the second moment, so double the variance):
  ``Var[w] = gain^2 / fan`` with ``gain = calculate_gain(nonlinearity, a)``;
  uniform bound ``sqrt(3) * gain / sqrt(fan)``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

__all__ = [
    "manual_seed",
    "default_generator",
    "resolve_generator",
    "calculate_gain",
    "calculate_fan_in_and_fan_out",
    "uniform_",
    "normal_",
    "constant_",
    "zeros_",
    "ones_",
    "eye_",
    "xavier_uniform_",
    "xavier_normal_",
    "glorot_uniform_",
    "glorot_normal_",
    "kaiming_uniform_",
    "kaiming_normal_",
    "he_uniform_",
    "he_normal_",
    "orthogonal_",
]

_default = np.random.default_rng(0)


def manual_seed(seed: int) -> None:
    """Reseed the default generator used when ``generator=None`` (as ``torch.manual_seed``)."""
    global _default
    _default = np.random.default_rng(seed)


def default_generator() -> np.random.Generator:
    """The module-level generator used when no generator is passed."""
    return _default


def resolve_generator(generator: np.random.Generator | int | None) -> np.random.Generator:
    """A Generator from a Generator (returned as is), an int seed, or None (the default)."""
    if generator is None:
        return _default
    if isinstance(generator, np.random.Generator):
        return generator
    if isinstance(generator, (int, np.integer)):
        return np.random.default_rng(int(generator))
    raise TypeError(f"generator must be a numpy Generator, an int seed or None, got {generator!r}")


def _array(t: Any) -> np.ndarray:
    arr = t.data if hasattr(t, "data") and not isinstance(t, np.ndarray) else t
    if not isinstance(arr, np.ndarray):
        raise TypeError(f"init needs a Tensor/Parameter or numpy array, got {type(t).__name__}")
    return arr


def _fill(t: Any, values: np.ndarray) -> Any:
    arr = _array(t)
    arr[...] = values.astype(arr.dtype, copy=False)
    return t


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """Recommended gain (``torch.nn.init.calculate_gain``): linear, conv*, sigmoid: 1;
    tanh: 5/3; relu: sqrt(2); leaky_relu: sqrt(2 / (1 + slope^2)) (slope default 0.01);
    selu: 3/4. The gain g makes ``Var[f(z)] ~ Var[z] / ... `` balance: ``std = g / sqrt(fan)``."""
    linear = {
        "linear",
        "conv1d",
        "conv2d",
        "conv3d",
        "conv_transpose1d",
        "conv_transpose2d",
        "conv_transpose3d",
        "sigmoid",
    }
    if nonlinearity in linear:
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3.0
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            slope = 0.01
        elif isinstance(param, (int, float)) and not isinstance(param, bool):
            slope = float(param)
        else:
            raise ValueError(f"negative_slope {param!r} is not a number")
        return math.sqrt(2.0 / (1.0 + slope**2))
    if nonlinearity == "selu":
        return 3.0 / 4.0
    raise ValueError(f"unsupported nonlinearity {nonlinearity!r}")


def calculate_fan_in_and_fan_out(t: Any) -> tuple[int, int]:
    """``(fan_in, fan_out) = (shape[1] * r, shape[0] * r)`` with ``r = prod(shape[2:])``."""
    shape = _array(t).shape
    if len(shape) < 2:
        raise ValueError(f"fan in and fan out need a tensor with >= 2 dimensions, got {shape}")
    receptive = int(np.prod(shape[2:])) if len(shape) > 2 else 1
    return shape[1] * receptive, shape[0] * receptive


def _fan(t: Any, mode: str) -> int:
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"mode must be 'fan_in' or 'fan_out', got {mode!r}")
    fan_in, fan_out = calculate_fan_in_and_fan_out(t)
    return fan_in if mode == "fan_in" else fan_out


def uniform_(t: Any, a: float = 0.0, b: float = 1.0, generator=None) -> Any:
    """Fill with U(a, b) samples."""
    return _fill(t, resolve_generator(generator).uniform(a, b, size=_array(t).shape))


def normal_(t: Any, mean: float = 0.0, std: float = 1.0, generator=None) -> Any:
    """Fill with N(mean, std^2) samples."""
    return _fill(t, resolve_generator(generator).normal(mean, std, size=_array(t).shape))


def constant_(t: Any, val: float) -> Any:
    """Fill with the constant ``val``."""
    _array(t)[...] = val
    return t


def zeros_(t: Any) -> Any:
    """Fill with 0."""
    return constant_(t, 0.0)


def ones_(t: Any) -> Any:
    """Fill with 1."""
    return constant_(t, 1.0)


def eye_(t: Any) -> Any:
    """Fill a 2-D (n, m) tensor with the identity (ones on the main diagonal)."""
    arr = _array(t)
    if arr.ndim != 2:
        raise ValueError(f"eye_ needs a 2-D tensor, got shape {arr.shape}")
    arr[...] = np.eye(*arr.shape, dtype=arr.dtype)
    return t


def xavier_uniform_(t: Any, gain: float = 1.0, generator=None) -> Any:
    """U(-a, a), ``a = gain * sqrt(6 / (fan_in + fan_out))`` (Glorot & Bengio 2010)."""
    fan_in, fan_out = calculate_fan_in_and_fan_out(t)
    a = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return uniform_(t, -a, a, generator=generator)


def xavier_normal_(t: Any, gain: float = 1.0, generator=None) -> Any:
    """N(0, std^2), ``std = gain * sqrt(2 / (fan_in + fan_out))``."""
    fan_in, fan_out = calculate_fan_in_and_fan_out(t)
    return normal_(t, 0.0, gain * math.sqrt(2.0 / (fan_in + fan_out)), generator=generator)


def kaiming_uniform_(
    t: Any,
    a: float = 0.0,
    mode: str = "fan_in",
    nonlinearity: str = "leaky_relu",
    generator=None,
) -> Any:
    """U(-bound, bound), ``bound = sqrt(3) * gain / sqrt(fan)``, ``gain = calculate_gain(
    nonlinearity, a)`` (He et al. 2015). ``mode='fan_in'`` keeps forward activations' variance,
    ``'fan_out'`` the backward gradients'."""
    std = calculate_gain(nonlinearity, a) / math.sqrt(_fan(t, mode))
    bound = math.sqrt(3.0) * std
    return uniform_(t, -bound, bound, generator=generator)


def kaiming_normal_(
    t: Any,
    a: float = 0.0,
    mode: str = "fan_in",
    nonlinearity: str = "leaky_relu",
    generator=None,
) -> Any:
    """N(0, std^2), ``std = gain / sqrt(fan)`` (see :func:`kaiming_uniform_`)."""
    std = calculate_gain(nonlinearity, a) / math.sqrt(_fan(t, mode))
    return normal_(t, 0.0, std, generator=generator)


def orthogonal_(t: Any, gain: float = 1.0, generator=None) -> Any:
    """(Semi-)orthogonal matrix times ``gain`` (Saxe et al. 2014): the weight viewed as
    (rows = shape[0], cols = numel / rows) has orthonormal rows or columns. Built from the QR
    decomposition of a Gaussian matrix with the signs of R's diagonal folded into Q (so the
    result is Haar-distributed)."""
    arr = _array(t)
    if arr.ndim < 2:
        raise ValueError(f"orthogonal_ needs a tensor with >= 2 dimensions, got {arr.shape}")
    rows = arr.shape[0]
    cols = arr.size // rows
    flat = resolve_generator(generator).normal(size=(rows, cols))
    if rows < cols:
        flat = flat.T
    q, r = np.linalg.qr(flat)
    q *= np.sign(np.diag(r))
    if rows < cols:
        q = q.T
    return _fill(t, gain * q.reshape(arr.shape))


glorot_uniform_ = xavier_uniform_
glorot_normal_ = xavier_normal_
he_uniform_ = kaiming_uniform_
he_normal_ = kaiming_normal_
