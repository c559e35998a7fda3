"""Optimizers, learning-rate schedules, gradient clipping and second-order minimizers.

First-order optimizers follow ``torch.optim`` (param groups, per-parameter state, in-place
updates of ``p.data`` from ``p.grad``); :mod:`dlproof.optim.minimize` holds Newton, CG, BFGS and
L-BFGS over a flat float64 vector with Armijo / strong-Wolfe line searches.
"""

from dlproof.optim import line_search, lr_scheduler, minimize
from dlproof.optim.adadelta import Adadelta
from dlproof.optim.adagrad import Adagrad
from dlproof.optim.adam import Adam, AdamW
from dlproof.optim.clip import clip_grad_norm_, clip_grad_value_
from dlproof.optim.optimizer import Optimizer
from dlproof.optim.rmsprop import RMSprop
from dlproof.optim.sgd import SGD

__all__ = [
    "Optimizer",
    "SGD",
    "Adagrad",
    "RMSprop",
    "Adadelta",
    "Adam",
    "AdamW",
    "clip_grad_norm_",
    "clip_grad_value_",
    "lr_scheduler",
    "minimize",
    "line_search",
]
