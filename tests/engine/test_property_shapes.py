"""Property tests (hypothesis, few examples: it is slow): gradcheck on random broadcastable shapes,
size-1 dims and negative axes for the broadcasting and reduction primitives."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from dlproof.engine import gradcheck, ops

dims = st.integers(1, 3)


@st.composite
def broadcast_pair(draw):
    nd = draw(st.integers(0, 3))
    shape = [draw(dims) for _ in range(nd)]
    a = [s if draw(st.booleans()) else 1 for s in shape]
    b = [s if draw(st.booleans()) else 1 for s in shape]
    b = b[draw(st.integers(0, nd)):]  # b may have fewer leading dims
    return tuple(a), tuple(b)


BINARY = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / (b * b + 1.0),
    "maximum": ops.maximum,
    "matmul-like-sum": lambda a, b: (a * b).sum(-1) if (a * b).ndim else a * b,
}


@settings(max_examples=12, deadline=None)
@given(broadcast_pair(), st.sampled_from(sorted(BINARY)), st.integers(0, 2 ** 16))
def test_binary_ops_broadcast_gradients(shapes, name, seed):
    rng = np.random.default_rng(seed)
    a, b = rng.standard_normal(shapes[0]), rng.standard_normal(shapes[1])
    rep = gradcheck(BINARY[name], [a, b], seed=seed)
    assert rep.ok, f"{name} {shapes}\n{rep}"


@st.composite
def shape_and_axis(draw):
    nd = draw(st.integers(1, 3))
    shape = tuple(draw(dims) for _ in range(nd))
    axis = draw(st.integers(-nd, nd - 1))
    return shape, axis


REDUCE = {
    "sum": lambda x, ax: x.sum(ax),
    "mean-keep": lambda x, ax: x.mean(ax, keepdim=True),
    "var": lambda x, ax: x.var(ax, unbiased=False),
    "logsumexp": lambda x, ax: x.logsumexp(ax),
    "softmax": lambda x, ax: x.softmax(ax),
    "log_softmax": lambda x, ax: x.log_softmax(ax),
    "amax": lambda x, ax: x.amax(ax),
}


@settings(max_examples=12, deadline=None)
@given(shape_and_axis(), st.sampled_from(sorted(REDUCE)), st.integers(0, 2 ** 16))
def test_reductions_on_random_shapes_and_negative_axes(sa, name, seed):
    shape, axis = sa
    rng = np.random.default_rng(seed)
    n = int(np.prod(shape))
    x = (rng.permutation(n) * 0.37 - n * 0.2).reshape(shape)  # distinct values: no max ties
    rep = gradcheck(lambda t: REDUCE[name](t, axis), [x], seed=seed)
    assert rep.ok, f"{name} {shape} axis={axis}\n{rep}"
