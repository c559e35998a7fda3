import math


def _fans(shape):
    receptive = math.prod(shape[2:]) if len(shape) > 2 else 1
    return shape[1] * receptive, shape[0] * receptive


def xavier_uniform_bound(shape):
    fan_in, fan_out = _fans(shape)
    return math.sqrt(6.0 / (fan_in + fan_out))


def he_normal_std(shape):
    return math.sqrt(2.0 / _fans(shape)[0])
