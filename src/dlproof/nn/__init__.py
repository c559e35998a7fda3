"""dlproof.nn: Module, Parameter, layers, initialisers and losses (built on dlproof.engine).

``import dlproof.nn as nn``; the functional API is ``dlproof.nn.functional`` (``F``).
"""

from dlproof.nn import init, layers, losses
from dlproof.nn.layers import *  # noqa: F403  (every layer; the list lives in layers.__all__)
from dlproof.nn.losses import (
    BCELoss,
    BCEWithLogitsLoss,
    CrossEntropyLoss,
    FocalLoss,
    GaussianNLLLoss,
    HuberLoss,
    KLDivLoss,
    L1Loss,
    MSELoss,
    NLLLoss,
    SmoothL1Loss,
)
from dlproof.nn.module import (
    IncompatibleKeys,
    Module,
    ModuleDict,
    ModuleList,
    Parameter,
    Sequential,
)

__all__ = [
    "init",
    "losses",
    "Module",
    "Parameter",
    "Sequential",
    "ModuleList",
    "ModuleDict",
    "IncompatibleKeys",
    *layers.__all__,
    "MSELoss",
    "L1Loss",
    "HuberLoss",
    "SmoothL1Loss",
    "CrossEntropyLoss",
    "NLLLoss",
    "BCELoss",
    "BCEWithLogitsLoss",
    "KLDivLoss",
    "FocalLoss",
    "GaussianNLLLoss",
]
