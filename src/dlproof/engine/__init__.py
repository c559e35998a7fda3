"""dlproof.engine: NumPy tensors with reverse-mode autograd (imports NumPy only).

Public API mirrors PyTorch: :func:`tensor`, :class:`Tensor` (``backward``, ``grad``, ``numpy``),
:class:`no_grad`, :class:`Function` (forward/backward pairs), :func:`gradcheck`. Submodules:
``ops`` (primitives), ``fused`` (hand-derived composite Functions), ``gradcheck``, ``graph``
(inspection, DOT export, static tracing), ``derivatives`` (Jacobian, Hessian, HVP).

Layout (imports point one way, down this list): ``grad_mode`` (no_grad, per thread),
``backward`` (the reverse-mode walk), ``core`` (the Tensor class: data, grad, backward()),
``function`` (Function/Context, the graph node), ``factories`` (tensor, zeros, randn, ...),
``ops/`` (primitives: elementwise, activation, reduction, shape, linalg), ``fused/``
(linear/dropout/embedding, loss, conv, pool, norm, rnn, attention), ``binding`` (attaches the ops
to Tensor as operators and methods; run below), ``tensor`` (re-exports the Tensor API).
Note: ``dlproof.engine.tensor`` and ``dlproof.engine.gradcheck`` are the *functions* (as in
PyTorch); import from the submodules with ``from dlproof.engine.tensor import run_backward``.
"""

from dlproof.engine import ops
from dlproof.engine.binding import bind as _bind

_bind()  # attach the ops to Tensor before anything below (or any user) computes with one

# the function shadows its submodule's name on purpose (dlproof.engine.gradcheck(fn, inputs))
from dlproof.engine.gradcheck import assert_gradcheck, gradcheck  # noqa: E402
from dlproof.engine.ops import cat, stack, where  # noqa: E402

# the function ``tensor`` shadows the submodule ``dlproof.engine.tensor`` on purpose (as PyTorch)
from dlproof.engine.tensor import (  # noqa: E402, I001  (after the submodules above)
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
