"""dlproof.nn: Module, Parameter, layers, initialisers and losses (built on dlproof.engine)."""

from dlproof.nn import init
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
    "Module",
    "Parameter",
    "Sequential",
    "ModuleList",
    "ModuleDict",
    "IncompatibleKeys",
]
