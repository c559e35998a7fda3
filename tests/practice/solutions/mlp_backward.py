import numpy as np


def mlp_backward(X, W1, b1, W2, b2, Y):
    a = X @ W1.T + b1
    h = np.maximum(a, 0.0)
    d_out = (h @ W2.T + b2 - Y) / X.shape[0]
    d_a = (d_out @ W2) * (a > 0)
    return d_a.T @ X, d_a.sum(0), d_out.T @ h, d_out.sum(0)
