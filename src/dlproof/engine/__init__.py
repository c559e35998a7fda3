"""dlproof.engine: NumPy tensors with reverse-mode autograd (imports NumPy only).

Public API mirrors PyTorch: :func:`tensor`, :class:`Tensor` (``backward``, ``grad``, ``numpy``),
:class:`no_grad`, :class:`Function` (forward/backward pairs), :func:`gradcheck`. Submodules:
``ops`` (primitives), ``fused`` (hand-derived composite Functions), ``gradcheck``, ``graph``
(inspection, DOT export, static tracing), ``derivatives`` (Jacobian, Hessian, HVP).

Layout: ``tensor`` (Tensor, grad mode, Function/Context, the backward walk), ``function`` (the
public home of Function/Context), ``ops/`` (primitives: elementwise, activation, reduction, shape,
linalg), ``fused/`` (linear/dropout/embedding, loss, conv, pool, norm, rnn, attention).
Note: ``dlproof.engine.tensor`` and ``dlproof.engine.gradcheck`` are the *functions* (as in
PyTorch); import from the submodules with ``from dlproof.engine.tensor import run_backward``.
"""

from dlproof.engine import ops  # noqa: E402

# the function shadows its submodule's name on purpose (dlproof.engine.gradcheck(fn, inputs))
from dlproof.engine.gradcheck import assert_gradcheck, gradcheck  # noqa: E402
from dlproof.engine.ops import cat, stack, where  # noqa: E402
from dlproof.engine.tensor import (  # noqa: I001  (after tensor)
    Context,
    Function,
    Tensor,
    arange,
    as_tensor,
    enable_grad,
    eye,
    full,
    is_grad_enabled,
    no_grad,
    ones,
    ones_like,
    rand,
    randn,
    set_grad_enabled,
    tensor,
    zeros,
    zeros_like,
)

__all__ = [
    "Tensor",
    "tensor",
    "as_tensor",
    "no_grad",
    "enable_grad",
    "is_grad_enabled",
    "set_grad_enabled",
    "zeros",
    "ones",
    "zeros_like",
    "ones_like",
    "full",
    "eye",
    "randn",
    "rand",
    "arange",
    "Function",
    "Context",
    "gradcheck",
    "assert_gradcheck",
    "ops",
    "cat",
    "stack",
    "where",
]
