"""``dlproof.engine.tensor``: the Tensor API in one import (kept for ``from dlproof.engine.tensor
import ...``).

The implementation is split by what a reader looks for:

* :mod:`dlproof.engine.core` - the Tensor class: data, ``requires_grad``, ``grad``, conversions,
  ``backward()``;
* :mod:`dlproof.engine.function` - Function/Context (the graph node) and the apply fast paths;
* :mod:`dlproof.engine.backward` - the reverse-mode walk and ``unbroadcast``;
* :mod:`dlproof.engine.grad_mode` - ``no_grad`` and friends (per thread);
* :mod:`dlproof.engine.factories` - ``tensor``, ``zeros``, ``randn``, ...;
* :mod:`dlproof.engine.binding` - the operators and methods that compute (bound to Tensor by the
  package's ``__init__``).

This module only re-exports those names; nothing inside the engine imports it.
"""

from dlproof.engine.backward import run_backward, unbroadcast
from dlproof.engine.core import DEFAULT_DTYPE, Tensor, ValuesIndices
from dlproof.engine.factories import (
    arange,
    as_tensor,
    eye,
    full,
    ones,
    ones_like,
    rand,
    randn,
    tensor,
    zeros,
    zeros_like,
)
from dlproof.engine.function import Context, Function, apply1, apply2
from dlproof.engine.grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled

__all__ = [
    "Tensor",
    "Function",
    "Context",
    "tensor",
    "no_grad",
    "enable_grad",
    "is_grad_enabled",
    "set_grad_enabled",
    "zeros",
    "ones",
    "zeros_like",
    "ones_like",
    "full",
    "randn",
    "rand",
    "arange",
    "eye",
    "as_tensor",
    "unbroadcast",
    "run_backward",
    "ValuesIndices",
    "apply1",
    "apply2",
    "DEFAULT_DTYPE",
]
