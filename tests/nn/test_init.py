"""Initialisers: distributions checked statistically (bounds, std), gains and fans as torch."""

from __future__ import annotations

import math

import numpy as np
import pytest

from dlproof.nn import init


def _std_tol(n):
    """5 sigma on a sample std: the std of the sample std is ~ sigma / sqrt(2n)."""
    return 5.0 / math.sqrt(2 * n)


@pytest.mark.torch
@pytest.mark.parametrize(
    "name,param",
    [
        ("linear", None),
        ("conv2d", None),
        ("sigmoid", None),
        ("tanh", None),
        ("relu", None),
        ("leaky_relu", None),
        ("leaky_relu", 0.2),
        ("leaky_relu", math.sqrt(5)),
        ("selu", None),
    ],
)
def test_calculate_gain_matches_torch(torch, name, param):
    assert init.calculate_gain(name, param) == pytest.approx(
        torch.nn.init.calculate_gain(name, param), rel=1e-15
    )


@pytest.mark.torch
@pytest.mark.parametrize("shape", [(7, 3), (8, 4, 3, 3), (5, 2, 7)])
def test_fans_match_torch(torch, shape):
    t = torch.empty(shape)
    assert init.calculate_fan_in_and_fan_out(np.empty(shape)) == (
        torch.nn.init._calculate_fan_in_and_fan_out(t)
    )


def test_fans_need_two_dims():
    with pytest.raises(ValueError, match="2 dimensions"):
        init.calculate_fan_in_and_fan_out(np.empty(5))


SHAPE = (256, 128, 3, 3)  # fan_in 1152, fan_out 2304, n = 294912 samples
FAN_IN, FAN_OUT = 128 * 9, 256 * 9


@pytest.mark.parametrize(
    "fn,kwargs,bound,std",
    [
        (init.xavier_uniform_, {}, math.sqrt(6 / (FAN_IN + FAN_OUT)), math.sqrt(2 / (FAN_IN + FAN_OUT))),
        (init.xavier_normal_, {"gain": 2.0}, None, 2 * math.sqrt(2 / (FAN_IN + FAN_OUT))),
        (init.kaiming_uniform_, {"nonlinearity": "relu"}, math.sqrt(6 / FAN_IN), math.sqrt(2 / FAN_IN)),
        (init.kaiming_uniform_, {"a": math.sqrt(5)}, 1 / math.sqrt(FAN_IN), 1 / math.sqrt(3 * FAN_IN)),
        (init.kaiming_normal_, {"mode": "fan_out", "nonlinearity": "relu"}, None, math.sqrt(2 / FAN_OUT)),
        (init.kaiming_normal_, {"nonlinearity": "tanh"}, None, 5 / 3 / math.sqrt(FAN_IN)),
    ],
)
def test_variance_scaling_initialisers(fn, kwargs, bound, std):
    w = np.empty(SHAPE, dtype=np.float64)
    out = fn(w, generator=np.random.default_rng(0), **kwargs)
    assert out is w
    if bound is not None:
        assert np.max(np.abs(w)) <= bound
        assert np.max(np.abs(w)) > 0.999 * bound  # the whole interval is used
    assert abs(w.std() / std - 1) < _std_tol(w.size)
    assert abs(w.mean()) < 5 * std / math.sqrt(w.size)


def test_uniform_normal_constant_eye_and_in_place_on_parameters():
    from dlproof.nn import Parameter

    p = Parameter(np.zeros((400, 300), dtype=np.float32))
    ref = p.data
    init.uniform_(p, -2.0, 3.0, generator=1)
    assert p.data is ref and p.data.dtype == np.float32
    assert p.data.min() >= -2.0 and p.data.max() < 3.0
    assert abs(p.data.mean() - 0.5) < 5 * (5 / math.sqrt(12)) / math.sqrt(p.data.size)
    init.normal_(p, 1.0, 0.5, generator=np.random.default_rng(2))
    assert abs(p.data.std() / 0.5 - 1) < _std_tol(p.data.size)
    init.constant_(p, 0.25)
    assert np.all(p.data == 0.25)
    init.zeros_(p)
    assert not p.data.any()
    init.ones_(p)
    assert np.all(p.data == 1)
    init.eye_(p)
    np.testing.assert_array_equal(p.data, np.eye(400, 300))
    with pytest.raises(ValueError, match="2-D"):
        init.eye_(np.zeros((2, 2, 2)))


@pytest.mark.parametrize("shape", [(6, 6), (4, 10), (10, 4), (8, 2, 3, 3)])
def test_orthogonal(shape):
    w = init.orthogonal_(np.empty(shape), gain=1.5, generator=0)
    flat = w.reshape(shape[0], -1)
    if flat.shape[0] <= flat.shape[1]:
        np.testing.assert_allclose(flat @ flat.T, 2.25 * np.eye(flat.shape[0]), atol=1e-12)
    else:
        np.testing.assert_allclose(flat.T @ flat, 2.25 * np.eye(flat.shape[1]), atol=1e-12)


def test_same_seed_same_numbers_and_default_generator():
    a = init.normal_(np.empty(10), generator=42)
    b = init.normal_(np.empty(10), generator=42)
    np.testing.assert_array_equal(a, b)
    init.manual_seed(7)
    c = init.normal_(np.empty(10))
    init.manual_seed(7)
    d = init.normal_(np.empty(10))
    np.testing.assert_array_equal(c, d)
    with pytest.raises(TypeError, match="generator"):
        init.normal_(np.empty(3), generator="seed")


def test_bad_mode_and_nonlinearity():
    with pytest.raises(ValueError, match="mode"):
        init.kaiming_uniform_(np.empty((3, 3)), mode="fan_avg")
    with pytest.raises(ValueError, match="nonlinearity"):
        init.calculate_gain("swish")
