import numpy as np


def clip_grad_norm(grads, max_norm):
    total = float(np.sqrt(sum(float((g * g).sum()) for g in grads)))
    factor = min(1.0, max_norm / (total + 1e-6))
    return [g * factor for g in grads], total
