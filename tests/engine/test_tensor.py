"""Tensor semantics: dtypes, accumulation, graph freeing, grad mode, deep graphs, errors."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

import dlproof
import dlproof.nn.functional as F
from dlproof.engine import Function, Tensor, no_grad, tensor


def test_public_names_reexported():
    for name in ["Tensor", "tensor", "no_grad", "enable_grad", "is_grad_enabled", "zeros", "ones",
                 "randn", "rand", "arange", "Function", "gradcheck"]:
        assert getattr(dlproof, name) is getattr(dlproof.engine, name)
    assert callable(dlproof.gradcheck)


def test_engine_imports_only_numpy():
    code = ("import sys, dlproof.engine, dlproof.nn.functional; "
            "bad = [m for m in sys.modules if m.split('.')[0] in "
            "('scipy', 'torch', 'matplotlib', 'sklearn')]; print(bad)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_dtypes():
    assert tensor([1.0, 2.0]).dtype == np.float32
    assert tensor(1.5).dtype == np.float32
    assert tensor([1, 2]).dtype == np.int64
    assert tensor(np.zeros(2)).dtype == np.float64
    assert tensor(np.zeros(2, np.float32)).dtype == np.float32
    assert tensor([True]).dtype == bool
    with pytest.raises(TypeError, match="floating point"):
        tensor([1, 2], requires_grad=True)
    assert dlproof.zeros(2, 3).dtype == np.float32
    assert dlproof.ones((2, 3), dtype=np.float64).shape == (2, 3)
    assert dlproof.arange(5).dtype == np.int64
    assert dlproof.arange(0.0, 1.0, 0.5).dtype == np.float32


def test_tensor_copies_but_as_tensor_shares():
    a = np.zeros(3)
    t = tensor(a)
    a[0] = 1
    assert t.data[0] == 0
    assert dlproof.engine.as_tensor(a).data is a


def test_random_factories_need_generator():
    with pytest.raises(TypeError, match="generator"):
        dlproof.randn(2)
    a = dlproof.randn(2, 3, generator=np.random.default_rng(0))
    b = dlproof.randn(2, 3, generator=np.random.default_rng(0))
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert a.dtype == np.float32
    r = dlproof.rand(1000, generator=np.random.default_rng(1))
    assert 0 <= r.numpy().min() and r.numpy().max() < 1


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_float32_stays_float32_through_every_op(dtype, rng):
    x = tensor(rng.standard_normal((2, 3, 6, 6)).astype(dtype), requires_grad=True)
    w = tensor(rng.standard_normal((4, 3, 3, 3)).astype(dtype), requires_grad=True)
    y = F.conv2d(x, w, padding=1)
    outs = [
        x * 2.5 + 1, 3.0 / (x.abs() + 1), x ** 2, x.exp(), (x.abs() + 1).log(), x.abs().sqrt(),
        x.sigmoid(), x.tanh(), x.relu(), F.gelu(x), F.gelu(x, approximate="tanh"), F.elu(x),
        F.selu(x), F.softplus(x), F.silu(x), F.leaky_relu(x), F.hardtanh(x), x.softmax(1),
        x.log_softmax(1), x.logsumexp(1), x.sum(), x.mean(1), x.var(1), x.max(), x.max(dim=1)[0],
        y, F.max_pool2d(y, 2), F.avg_pool2d(y, 2), F.adaptive_avg_pool2d(y, 1),
        F.batch_norm(y, np.zeros(4, dtype), np.ones(4, dtype), training=True),
        F.layer_norm(y, (6, 6)), F.dropout(y, 0.3, generator=np.random.default_rng(0)),
        F.cross_entropy(y.flatten(1), np.array([0, 1])), F.mse_loss(y, np.zeros(y.shape, dtype)),
        F.binary_cross_entropy_with_logits(x, (x.data > 0).astype(dtype)),
        F.scaled_dot_product_attention(x, x, x), x.reshape(2, -1) @ x.reshape(-1, 2),
        dlproof.engine.cat([x, x], 1), F.pad(x, (1, 1)), x[:, 0], x.clamp(-0.5, 0.5),
        dlproof.engine.where(x.data > 0, x, 0.0), x.maximum(0.0),
    ]
    for k, o in enumerate(outs):
        assert o.dtype == dtype, (k, o.dtype)
    total = sum((o.sum() for o in outs[1:]), outs[0].sum())
    total.backward()
    assert x.grad.dtype == dtype and w.grad.dtype == dtype


def test_gradients_accumulate_until_reset():
    x = tensor([1.0, 2.0], requires_grad=True)
    (x * x).sum().backward()
    np.testing.assert_allclose(x.grad, [2, 4])
    (x * x).sum().backward()
    np.testing.assert_allclose(x.grad, [4, 8])  # accumulated, as PyTorch
    x.grad = None
    (3 * x).sum().backward()
    np.testing.assert_allclose(x.grad, [3, 3])
    x.zero_grad()
    assert x.grad is None


def test_second_backward_through_freed_graph_raises_and_retain_graph_allows_it():
    x = tensor([1.0, 2.0], requires_grad=True)
    y = (x.exp() * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="second time"):
        y.backward()
    x.grad = None
    y = (x.exp() * x).sum()
    y.backward(retain_graph=True)
    g1 = x.grad.copy()
    y.backward()
    np.testing.assert_allclose(x.grad, 2 * g1)


def test_shared_subgraph_gets_summed_gradient():
    x = tensor([0.5, -1.0], requires_grad=True)
    h = x.tanh()
    y = (h * h + h * 3).sum()
    y.backward()
    t = np.tanh(x.data)
    np.testing.assert_allclose(x.grad, (2 * t + 3) * (1 - t * t), rtol=1e-6)


def test_ten_thousand_op_chain_is_iterative():
    x = tensor(np.array([1.0]), requires_grad=True)
    y = x
    for _ in range(10_000):
        y = y * 1.0001
    y.backward()
    np.testing.assert_allclose(x.grad, [1.0001 ** 10_000], rtol=1e-9)
    assert sys.getrecursionlimit() < 10_000 or True


def test_no_grad_enable_grad_and_decorator():
    x = tensor([1.0], requires_grad=True)
    with no_grad():
        assert not dlproof.is_grad_enabled()
        y = x * 2
        with dlproof.enable_grad():
            z = x * 2
    assert dlproof.is_grad_enabled()
    assert not y.requires_grad and y.grad_fn is None
    assert z.requires_grad

    @no_grad()
    def f(t):
        return t * 3

    assert not f(x).requires_grad


def test_backward_needs_scalar_or_grad():
    x = tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="one-element"):
        (x * 2).backward()
    (x * 2).backward(np.array([1.0, 10.0], np.float32))
    np.testing.assert_allclose(x.grad, [2, 20])
    with pytest.raises(RuntimeError, match="does not require grad"):
        tensor([1.0]).backward()


def test_detach_and_comparisons_are_not_differentiable():
    x = tensor([1.0, -2.0], requires_grad=True)
    assert not x.detach().requires_grad
    assert np.shares_memory(x.detach().data, x.data)
    c = x > 0
    assert c.dtype == bool and not c.requires_grad
    assert (x == x).numpy().all() and not (x != x).numpy().any()
    assert (x <= 1).numpy().all() and (x >= -2).numpy().all() and (x < 2).numpy().all()
    assert x.argmax().item() == 0


def test_error_messages_name_op_and_shapes():
    a = tensor(np.zeros((3, 4)))
    b = tensor(np.zeros((5, 2)))
    with pytest.raises(ValueError, match=r"matmul: shapes \(3, 4\) and \(5, 2\) are not aligned"):
        a @ b
    with pytest.raises(ValueError, match=r"add: shapes \(3, 4\) and \(5, 2\)"):
        a + b
    with pytest.raises(ValueError, match=r"mul: shapes \(3, 4\) and \(5, 2\)"):
        a * b
    with pytest.raises(ValueError, match=r"reshape: .*\(3, 4\).*\(5,\)"):
        a.reshape(5)
    with pytest.raises(ValueError, match=r"linear: input shape \(3, 4\) and weight shape"):
        F.linear(a, tensor(np.zeros((2, 3))))
    with pytest.raises(ValueError, match=r"conv2d: input shape \(1, 3, 5, 5\) has 3 channels"):
        F.conv2d(tensor(np.zeros((1, 3, 5, 5))), tensor(np.zeros((2, 4, 3, 3))))
    with pytest.raises(ValueError, match=r"cross_entropy: input shape \(3, 4\) and target shape"):
        F.cross_entropy(a, np.zeros(5, np.int64))
    with pytest.raises(ValueError, match=r"mse_loss: shapes \(3, 4\) and \(5, 2\)"):
        F.mse_loss(a, b)
    with pytest.raises(ValueError, match=r"cat: shapes"):
        dlproof.engine.cat([a, b], 0)


def test_methods_and_numpy_aliases(rng):
    a = rng.standard_normal((2, 3, 4))
    x = tensor(a)
    np.testing.assert_allclose(x.sum(dim=1).numpy(), a.sum(1))
    np.testing.assert_allclose(x.sum(axis=(0, 2), keepdims=True).numpy(),
                               a.sum((0, 2), keepdims=True))
    np.testing.assert_allclose(x.mean(-1, keepdim=True).numpy(), a.mean(-1, keepdims=True))
    np.testing.assert_allclose(x.var(1).numpy(), a.var(1, ddof=1))
    np.testing.assert_allclose(x.var(1, unbiased=False).numpy(), a.var(1))
    np.testing.assert_allclose(x.var(axis=1, ddof=0).numpy(), a.var(1))
    np.testing.assert_allclose(x.var(correction=0).numpy(), a.var())
    vals, idx = x.max(dim=2)
    np.testing.assert_allclose(vals.numpy(), a.max(2))
    np.testing.assert_array_equal(idx.numpy(), a.argmax(2))
    np.testing.assert_allclose(x.max(axis=2).numpy(), a.max(2))
    np.testing.assert_allclose(x.min().numpy(), a.min())
    assert x.reshape(6, 4).shape == (6, 4) and x.view(-1).shape == (24,)
    assert x.transpose(0, 2).shape == (4, 3, 2) and x.permute(2, 0, 1).shape == (4, 2, 3)
    assert x.T.shape == (4, 3, 2)
    assert x.unsqueeze(1).shape == (2, 1, 3, 4) and x.unsqueeze(-1).shape == (2, 3, 4, 1)
    assert x.unsqueeze(0).squeeze().shape == (2, 3, 4) and x[:, :1].squeeze(1).shape == (2, 4)
    assert x.flatten().shape == (24,) and x.flatten(1).shape == (2, 12)
    assert x[:, None].expand(2, 5, 3, 4).shape == (2, 5, 3, 4)
    assert x.float().dtype == np.float32 and x.double().dtype == np.float64
    assert x.astype(np.float32).dtype == np.float32
    np.testing.assert_allclose(x.clamp(-0.1, 0.2).numpy(), np.clip(a, -0.1, 0.2))
    np.testing.assert_allclose(x.clip(min=0).numpy(), np.clip(a, 0, None))
    assert len(x.split(1, dim=1)) == 3 and len(x.chunk(2, dim=2)) == 2
    assert x.size() == (2, 3, 4) and x.size(1) == 3 and x.dim() == 3 and x.numel() == 24
    assert tensor([3.5]).item() == 3.5
    np.testing.assert_allclose((2 - x).numpy(), 2 - a)
    np.testing.assert_allclose((2 / (x.abs() + 1)).numpy(), 2 / (np.abs(a) + 1))
    np.testing.assert_allclose((2 ** x).numpy(), 2 ** a)
    np.testing.assert_allclose((np.ones(4) + x).numpy(), 1 + a)  # ndarray + Tensor -> Tensor
    assert isinstance(np.ones(4) * x, Tensor)
    assert "tensor(" in repr(x)


def test_setitem_on_grad_tensor_is_refused():
    x = tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="in-place"):
        x[0] = 3.0
    with no_grad():
        x[0] = 3.0
    assert x.data[0] == 3.0


def test_custom_function_api():
    class Cube(Function):
        @staticmethod
        def forward(ctx, x, k=3):
            ctx.save_for_backward(x)
            ctx.k = k
            return x ** k

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return g * ctx.k * x ** (ctx.k - 1)

    x = tensor([1.0, 2.0], requires_grad=True)
    y = Cube.apply(x, k=3)
    assert y.grad_fn.fn is Cube
    y.sum().backward()
    np.testing.assert_allclose(x.grad, [3, 12])


def test_multi_output_function_with_unused_output(rng):
    x = tensor(rng.standard_normal(6), requires_grad=True)
    a, b, c = x.split(2)
    (b * 2).sum().backward()
    np.testing.assert_allclose(x.grad, [0, 0, 2, 2, 0, 0])


def test_broadcast_gradient_summed_only_over_broadcast_axes(rng):
    a = tensor(rng.standard_normal((3, 1, 4)), requires_grad=True)
    b = tensor(rng.standard_normal((5, 1)), requires_grad=True)
    (a * b).sum().backward()
    np.testing.assert_allclose(a.grad, np.broadcast_to(b.data.sum(), (3, 1, 4)) * 1.0)
    np.testing.assert_allclose(b.grad, np.full((5, 1), a.data.sum()))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_float32_stays_float32_in_recurrent_and_other_fused_ops(dtype, rng):
    def T(*shape):
        return tensor(rng.standard_normal(shape).astype(dtype), requires_grad=True)

    x, h, c = T(5, 3, 4), T(3, 6), T(3, 6)
    wi4, wh4, b4 = T(24, 4), T(24, 6), T(24)
    wi3, wh3, b3 = T(18, 4), T(18, 6), T(18)
    outs = [
        *F.lstm(x, h, c, wi4, wh4, b4, b4), *F.gru(x, h, wi3, wh3, b3, b3),
        *F.lstm_cell(x[0], (h, c), wi4, wh4, b4, b4), F.gru_cell(x[0], h, wi3, wh3, b3, b3),
        F.conv_transpose2d(T(1, 2, 3, 3), T(2, 3, 2, 2), stride=2),
        F.conv1d(T(1, 2, 7), T(3, 2, 3)), F.embedding(np.array([0, 2]), T(3, 4)),
        F.nll_loss(T(4, 3).log_softmax(1), np.array([0, 1, 2, 1])),
        F.binary_cross_entropy(T(4).sigmoid(), np.ones(4, dtype)),
        F.cross_entropy(T(4, 3), np.array([0, 1, 2, 1]), label_smoothing=0.1),
        F.linear(x, wi4), x.var(), x.std(0),
    ]
    for k, o in enumerate(outs):
        assert o.dtype == dtype, (k, o.dtype)
    sum((o.sum() for o in outs[1:]), outs[0].sum()).backward()
    for leaf in (x, h, c, wi4, wh4, b4, wi3, wh3, b3):
        assert leaf.grad.dtype == dtype


def test_retain_grad_on_intermediate_tensors():
    x = tensor(np.array([0.5, -1.0]), requires_grad=True)
    h = x * 3.0
    h.retain_grad()
    assert h.retains_grad and not (x * 2).retains_grad
    a, b = h.split(1)
    a.retain_grad()
    y = (h.tanh() * 2).sum() + (a * 5).sum()
    y.backward(retain_graph=True)
    t = np.tanh(3 * x.data)
    np.testing.assert_allclose(h.grad, 2 * (1 - t * t) + np.array([5, 0]))
    np.testing.assert_allclose(a.grad, [5])
    np.testing.assert_allclose(x.grad, 3 * h.grad)
    y.backward()
    np.testing.assert_allclose(a.grad, [10])  # accumulates like a leaf
    z = x * 2
    z.sum().backward()
    assert z.grad is None  # non-leaf without retain_grad: not stored (as PyTorch)


def test_grad_mode_is_per_thread():
    import threading

    inside, release = threading.Event(), threading.Event()
    seen = {}

    def worker():
        with no_grad():
            inside.set()
            release.wait(5)
            seen["worker"] = dlproof.is_grad_enabled()

    th = threading.Thread(target=worker)
    th.start()
    inside.wait(5)
    x = tensor([1.0], requires_grad=True)
    assert dlproof.is_grad_enabled() and (x * 2).requires_grad  # main thread still records
    release.set()
    th.join()
    assert seen["worker"] is False
