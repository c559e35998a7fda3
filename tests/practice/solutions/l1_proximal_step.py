import numpy as np


def prox_l1_step(w, grad, lr, lam):
    z = w - lr * grad
    return np.sign(z) * np.maximum(np.abs(z) - lr * lam, 0.0)
