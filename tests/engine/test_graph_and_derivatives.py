"""Graph inspection, DOT export, static tracing with optimisation passes; Jacobian/Hessian/HVP."""

from __future__ import annotations

import numpy as np
import pytest

import dlproof.nn.functional as F
from dlproof.engine import Tensor, tensor
from dlproof.engine.derivatives import grad, hessian, hvp, jacobian
from dlproof.engine.graph import to_dot, topological_order, trace


def test_topological_order_and_dot():
    x = tensor(np.array([1.0, 2.0]), requires_grad=True)
    x.name = "x"
    h = x.exp()
    y = (h * x + h).sum()
    order = topological_order(y)
    names = [n.fn.__name__ for n in order]
    assert names == ["Exp", "Mul", "Add", "Sum"]
    pos = {id(n): i for i, n in enumerate(order)}
    for n in order:  # every parent node comes before its consumer
        for p in n.parents:
            if p is not None and p.grad_fn is not None:
                assert pos[id(p.grad_fn)] < pos[id(n)]
    dot = to_dot(y)
    assert dot.startswith("digraph") and dot.rstrip().endswith("}")
    assert dot.count("->") == 7 and 'label="x\\nparam 2"' in dot and "Exp" in dot
    y.backward()
    with pytest.raises(RuntimeError, match="freed"):
        topological_order(y)


W1 = np.random.default_rng(0).standard_normal((3, 4))
B1 = np.random.default_rng(1).standard_normal(4)


def model(x):
    """A function with constant subexpressions (scale) and a repeated subexpression (h)."""
    scale = tensor(np.full(4, 2.0)) * 3.0 + 1.0  # foldable: constants only
    h1 = (x @ W1 + B1).tanh()
    h2 = (x @ W1 + B1).tanh()  # duplicate of h1: CSE merges it
    out = (h1 + h2) * scale
    return F.softmax(out, dim=-1), (x > 0).sum()


def test_trace_records_static_graph_and_reruns_on_new_inputs():
    g = trace(model, np.zeros((2, 3)))
    assert len(g) >= 10
    for seed in range(3):
        x = np.random.default_rng(seed).standard_normal((5, 3))  # new batch size too
        got = g.run(x)
        want = model(Tensor(x))
        for a, b in zip(got, want):
            np.testing.assert_array_equal(a, b.numpy())


def test_fold_constants_and_cse_give_identical_outputs_with_fewer_nodes():
    g = trace(model, np.zeros((2, 3)))
    folded = g.fold_constants()
    cse = g.eliminate_common_subexpressions()
    both = g.optimize()
    assert len(folded) < len(g) and len(cse) < len(g) and len(both) < min(len(folded), len(cse))
    assert len(g) - len(folded) == 2  # (full * 3) + 1
    assert len(g) - len(cse) == 3  # matmul, add, tanh of the duplicate branch
    x = np.random.default_rng(5).standard_normal((4, 3))
    ref = g.run(x)
    for opt in (folded, cse, both):
        for a, b in zip(opt.run(x), ref):
            np.testing.assert_array_equal(a, b)
    assert "placeholder 0" in both.to_dot() and "digraph" in both.to_dot()


def test_trace_with_fused_ops_and_weights_as_constants():
    rng = np.random.default_rng(0)
    w = tensor(rng.standard_normal((4, 3, 3, 3)))

    def net(x, y):
        h = F.max_pool2d(F.relu(F.conv2d(x, w, padding=1)), 2)
        return F.cross_entropy(h.flatten(1), y)

    x0, y0 = rng.standard_normal((2, 3, 6, 6)), np.array([1, 5])
    g = trace(net, x0, y0)
    x1, y1 = rng.standard_normal((2, 3, 6, 6)), np.array([0, 3])
    np.testing.assert_allclose(g.run(x1, y1), net(Tensor(x1), Tensor(y1)).numpy(), rtol=1e-15)
    with pytest.raises(ValueError, match="placeholders"):
        g.run(x1)


def test_jacobian_matches_torch(torch):
    x = np.array([0.5, -1.0, 2.0])
    A = np.random.default_rng(0).standard_normal((4, 3))

    def f(t):
        return (Tensor(A) @ t).tanh() * t.sum()

    J = jacobian(f, x)
    Jt = torch.autograd.functional.jacobian(lambda t: torch.tanh(torch.tensor(A) @ t) * t.sum(),
                                            torch.tensor(x))
    np.testing.assert_allclose(J, Jt.numpy(), atol=1e-13)
    assert jacobian(lambda t: t * 2, np.ones((2, 2))).shape == (2, 2, 2, 2)


def test_hessian_and_hvp():
    rng = np.random.default_rng(0)
    A = rng.standard_normal((4, 4))
    x = rng.standard_normal(4)

    def quad(t):  # f = 1/2 x^T A x  ->  H = (A + A^T)/2
        return (t * (Tensor(A) @ t)).sum() * 0.5

    H = hessian(quad, x)
    np.testing.assert_allclose(H, (A + A.T) / 2, atol=1e-8)
    v = rng.standard_normal(4)
    np.testing.assert_allclose(hvp(quad, x, v), (A + A.T) / 2 @ v, atol=1e-8)
    np.testing.assert_allclose(grad(quad, x), (A + A.T) / 2 @ x, atol=1e-12)


def test_hessian_matches_torch_on_nonlinear_function(torch):
    x = np.array([0.3, -0.7, 1.1])

    def f(t):
        return (t.tanh() * t.exp()).sum() + (t * t).sum() ** 2

    def ft(t):
        return (torch.tanh(t) * torch.exp(t)).sum() + (t * t).sum() ** 2

    Ht = torch.autograd.functional.hessian(ft, torch.tensor(x)).numpy()
    np.testing.assert_allclose(hessian(f, x), Ht, atol=1e-7)


def test_fused_layers_are_single_graph_nodes():
    """Operation counts, not milliseconds, pin the fused design (design.md: benchmarks do not
    gate CI on time)."""
    rng = np.random.default_rng(0)

    def T(*s):
        return tensor(rng.standard_normal(s), requires_grad=True)

    x, h, c = T(7, 3, 4), T(3, 5), T(3, 5)
    out, hT, cT = F.lstm(x, h, c, T(20, 4), T(20, 5), T(20), T(20))
    assert len(topological_order(out, hT, cT)) == 1
    out, hT = F.gru(x, h, T(15, 4), T(15, 5), T(15), T(15))
    assert len(topological_order(out, hT)) == 1
    assert len(topological_order(F.cross_entropy(T(4, 3), np.array([0, 1, 2, 0])))) == 1
    assert len(topological_order(F.conv2d(T(1, 2, 5, 5), T(3, 2, 3, 3), T(3), padding=1))) == 1
    assert len(topological_order(F.scaled_dot_product_attention(T(2, 3, 4), T(2, 3, 4),
                                                                T(2, 3, 4)))) == 1
    assert len(topological_order(F.batch_norm(T(4, 3), None, None, training=True))) == 1


def test_backward_visits_each_node_once():
    from dlproof.engine.ops import elementwise as el

    calls = []
    orig = el.Mul.backward

    def counting(ctx, g):
        calls.append(ctx.seq)
        return orig(ctx, g)

    el.Mul.backward = staticmethod(counting)
    try:
        x = tensor(np.array([1.0, 2.0]), requires_grad=True)
        h = x * x  # used by three consumers below
        y = (h * 2.0) + (h * 3.0) + (h * h)
        y.sum().backward()
    finally:
        el.Mul.backward = staticmethod(orig)
    assert len(calls) == len(set(calls)) == 4
    np.testing.assert_allclose(x.grad, (5 + 2 * x.data ** 2) * 2 * x.data)
