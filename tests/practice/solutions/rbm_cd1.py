import numpy as np


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def cd1(v0, W, b, c, u_h, u_v):
    ph0 = _sigmoid(v0 @ W.T + c)
    h0 = (u_h < ph0).astype(float)
    v1 = (u_v < _sigmoid(h0 @ W + b)).astype(float)
    ph1 = _sigmoid(v1 @ W.T + c)
    n = v0.shape[0]
    return (ph0.T @ v0 - ph1.T @ v1) / n, (v0 - v1).mean(0), (ph0 - ph1).mean(0)
