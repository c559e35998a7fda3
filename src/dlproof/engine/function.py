"""Function: a forward/backward pair of pure NumPy functions, the unit of autograd.

Write a new differentiable op like PyTorch's ``torch.autograd.Function``::

    class Cube(Function):
        @staticmethod
        def forward(ctx, x):            # arrays in, array out
            ctx.save_for_backward(x)
            return x ** 3

        @staticmethod
        def backward(ctx, grad_out):    # one grad per forward positional input (None allowed)
            (x,) = ctx.saved_tensors
            return 3 * x ** 2 * grad_out  # dL/dx = dL/dy * 3x^2

    y = Cube.apply(t)

* ``forward`` receives the NumPy arrays of Tensor arguments (other arguments unchanged) and keyword
  arguments; it may return an array or a tuple of arrays (several outputs).
* ``backward`` receives one upstream gradient per output (zeros for outputs nobody used) and
  returns one gradient per positional input, or None where there is none. Returning a gradient of
  a broadcast shape is fine: the engine sums it back to the input's shape.
* ``ctx.needs_input_grad[i]`` says whether input i needs a gradient (skip work when False).
"""

from __future__ import annotations

# Context/Function live in tensor.py (one module: no import cycle on the hot path)
from dlproof.engine.tensor import Context, Function, apply1, apply2

__all__ = ["Function", "Context", "apply1", "apply2"]
