import numpy as np


def softmax_backward(z, grad):
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    s = e / e.sum(axis=-1, keepdims=True)
    return s * (grad - (grad * s).sum(axis=-1, keepdims=True))
