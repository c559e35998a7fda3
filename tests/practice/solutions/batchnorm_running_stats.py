import numpy as np


def batchnorm_running(running_mean, running_var, x, momentum):
    return ((1 - momentum) * running_mean + momentum * x.mean(0),
            (1 - momentum) * running_var + momentum * x.var(0, ddof=1))


def batchnorm_eval(x, running_mean, running_var, gamma, beta, eps):
    return gamma * (x - running_mean) / np.sqrt(running_var + eps) + beta
