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

import itertools

import numpy as np

from dlproof.engine.core import Tensor
from dlproof.engine.grad_mode import _Mode

__all__ = ["Function", "Context", "apply1", "apply2"]

# node sequence numbers count DOWN: a newer node has a smaller number, so the backward heap (a
# min-heap) pops the newest node first. Creation order is a topological order.
_counter = itertools.count(0, -1)
_next = _counter.__next__
_new = object.__new__
_wrap = Tensor._wrap


class Context:
    """The graph node of one op application (PyTorch's ``ctx``).

    Slots used by the engine: ``fn`` (the Function class), ``parents`` (one Tensor or None per
    positional input), ``saved_tensors``, ``needs_input_grad``, ``grad`` (the upstream gradient
    while the backward walk needs it), ``seq`` (creation order), ``n_out``/``out_meta`` (multiple
    outputs). Any other attribute (``ctx.stride = 2``) goes into the instance dict.
    """

    __slots__ = (
        "fn",
        "parents",
        "saved_tensors",
        "needs_input_grad",
        "grad",
        "seq",
        "n_out",
        "out_meta",
        "args",
        "kwargs",
        "__dict__",
        "__weakref__",
    )

    def __init__(self):
        self.saved_tensors = ()
        self.n_out = 1
        self.needs_input_grad = ()

    def save_for_backward(self, *arrays) -> None:
        """Keep arrays for the backward pass (freed after it unless ``retain_graph``)."""
        self.saved_tensors = arrays

    @property
    def name(self) -> str:
        return self.fn.__name__

    def __repr__(self):
        return f"<{self.fn.__name__} node #{-self.seq}>"  # seq counts down from 0


class Function:
    """Base class of every differentiable op; see dlproof.engine.function's docstring.

    ``differentiable = False`` marks ops whose outputs never require grad (comparisons, argmax,
    detach); they still go through ``apply`` so that static-graph tracing records them.
    """

    differentiable = True

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError

    @classmethod
    def apply(cls, *args, **kwargs):
        """Run ``forward`` on the arrays of ``args`` and record a node when any input needs grad."""
        ctx = _new(Context)
        arrays = []
        parents = []
        any_grad = False
        for a in args:
            if isinstance(a, Tensor):
                arrays.append(a.data)
                if a.requires_grad:
                    any_grad = True
                    parents.append(a)
                else:
                    parents.append(None)
            else:
                arrays.append(a)
                parents.append(None)
        tracing = _Mode.tracing
        if not cls.differentiable:
            any_grad = False
        record = (any_grad and _Mode.enabled) or tracing
        if record:
            ctx.needs_input_grad = [p is not None for p in parents]
        else:
            ctx.needs_input_grad = [False] * len(parents)
            any_grad = False
        out = cls.forward(ctx, *arrays, **kwargs)
        if not record:
            if type(out) is tuple:
                return tuple(_wrap(o) for o in out)
            return _wrap(out)
        ctx.fn = cls
        ctx.parents = parents
        ctx.grad = None
        ctx.seq = _next()
        if tracing:
            ctx.args = args
            ctx.kwargs = kwargs
        if type(out) is tuple:
            out = tuple(o if type(o) is np.ndarray else np.asarray(o) for o in out)
            ctx.n_out = len(out)
            ctx.out_meta = [(o.shape, o.dtype) for o in out]
            return tuple(_wrap(o, any_grad, ctx, i) for i, o in enumerate(out))
        ctx.n_out = 1
        return _wrap(out, any_grad, ctx)


_FF = (False, False)


def apply1(cls, x):
    """Fast path of ``cls.apply(x)`` for one-input Functions without keyword arguments."""
    if _Mode.fast and (type(x) is Tensor or isinstance(x, Tensor)) and x.requires_grad:
        ctx = _new(Context)
        ctx.needs_input_grad = _T1
        out = cls.forward(ctx, x.data)
        if type(out) is not _ndarray:
            out = np.asarray(out)
        ctx.fn = cls
        ctx.parents = (x,)
        ctx.grad = None
        ctx.seq = _next()
        ctx.n_out = 1
        t = _new(Tensor)
        t.data = out
        t.requires_grad = True
        t.grad = None
        t._node = ctx
        return t
    return cls.apply(x)


_T1 = (True,)
_TT = (True, True)
_ndarray = np.ndarray


def apply2(cls, a, b):
    """Fast path of ``cls.apply(a, b)`` for two-input Functions without keyword arguments."""
    if not _Mode.fast:
        return cls.apply(a, b)
    if type(a) is Tensor or isinstance(a, Tensor):
        ad = a.data
        ra = a.requires_grad
    else:
        ad = a
        ra = False
    if type(b) is Tensor or isinstance(b, Tensor):
        bd = b.data
        rb = b.requires_grad
    else:
        bd = b
        rb = False
    ctx = _new(Context)
    if not (ra or rb):
        ctx.needs_input_grad = _FF
        return _wrap(cls.forward(ctx, ad, bd))
    ctx.needs_input_grad = (ra, rb)
    out = cls.forward(ctx, ad, bd)
    if type(out) is not _ndarray:
        out = np.asarray(out)
    ctx.fn = cls
    ctx.parents = (a if ra else None, b if rb else None)
    ctx.grad = None
    ctx.seq = _next()
    ctx.n_out = 1
    t = _new(Tensor)
    t.data = out
    t.requires_grad = True
    t.grad = None
    t._node = ctx
    return t
