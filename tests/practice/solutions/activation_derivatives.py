import numpy as np


def relu_backward(x, grad):
    return grad * (x > 0)


def sigmoid_backward(x, grad):
    s = 0.5 * (1.0 + np.tanh(0.5 * x))      # = 1/(1+e^-x) without overflow
    return grad * s * (1.0 - s)


def tanh_backward(x, grad):
    return grad * (1.0 - np.tanh(x) ** 2)
