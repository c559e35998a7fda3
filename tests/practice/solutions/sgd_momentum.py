import numpy as np


def sgd_momentum(p0, grads, lr, momentum, nesterov):
    p = np.array(p0, dtype=float)
    v = np.zeros_like(p)
    out = []
    for g in grads:
        v = momentum * v + g
        p = p - lr * (g + momentum * v if nesterov else v)
        out.append(p.copy())
    return np.array(out)
