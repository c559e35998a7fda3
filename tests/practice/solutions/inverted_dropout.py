import numpy as np


def dropout(x, p, u):
    if p >= 1.0:
        return np.zeros_like(x)
    return x * (u >= p) / (1.0 - p)
