"""Module / Parameter / containers: registration, traversal, modes, grads, state dicts, repr."""

from __future__ import annotations

from collections import OrderedDict

import numpy as np
import pytest

from dlproof.engine import Tensor
from dlproof.nn import Module, ModuleDict, ModuleList, Parameter, Sequential


class Affine(Module):
    def __init__(self, n_in, n_out, bias=True, seed=0):
        super().__init__()
        rng = np.random.default_rng(seed)
        self.n_in, self.n_out = n_in, n_out
        self.weight = Parameter(rng.normal(size=(n_out, n_in)))
        self.bias = Parameter(rng.normal(size=n_out)) if bias else None
        self.register_buffer("calls", np.zeros((), dtype=np.int64))
        self.register_buffer("scratch", np.zeros(3), persistent=False)

    def forward(self, x):
        self.calls += 1
        y = x @ self.weight.T
        return y + self.bias if self.bias is not None else y

    def extra_repr(self):
        return f"in={self.n_in}, out={self.n_out}"


class Net(Module):
    def __init__(self):
        super().__init__()
        self.body = Sequential(Affine(3, 4, seed=1), Affine(4, 2, bias=False, seed=2))
        self.heads = ModuleList([Affine(2, 1, seed=3)])
        self.scale = Parameter(np.array([2.0]))

    def forward(self, x):
        return self.heads[0](self.body(x)) * self.scale


def test_registration_and_traversal_order():
    net = Net()
    names = [n for n, _ in net.named_parameters()]
    # PyTorch order: own parameters first, then children in definition order
    assert names == [
        "scale",
        "body.0.weight",
        "body.0.bias",
        "body.1.weight",
        "heads.0.weight",
        "heads.0.bias",
    ]
    assert [n for n, _ in net.named_children()] == ["body", "heads"]
    assert [n for n, _ in net.named_modules()] == ["", "body", "body.0", "body.1", "heads", "heads.0"]
    assert len(list(net.modules())) == 6
    assert [n for n, _ in net.named_buffers()] == [
        "body.0.calls",
        "body.0.scratch",
        "body.1.calls",
        "body.1.scratch",
        "heads.0.calls",
        "heads.0.scratch",
    ]
    assert all(isinstance(p, Tensor) and p.requires_grad for p in net.parameters())
    assert net.body[1].bias is None
    assert net.body[-1] is net.body[1]
    assert isinstance(net.body[0:1], Sequential) and len(net.body[0:1]) == 1
    with pytest.raises(IndexError, match="out of range"):
        net.body[5]
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        _ = net.nope


def test_shared_parameter_listed_once():
    a = Affine(2, 2)
    seq = Sequential(a, a)
    assert len(list(seq.parameters())) == 2


def test_train_eval_recursive():
    net = Net()
    assert all(m.training for m in net.modules())
    assert net.eval() is net
    assert not any(m.training for m in net.modules())
    net.train()
    assert all(m.training for m in net.modules())


def test_gradients_accumulate_until_zero_grad():
    net = Net().double()
    x = Tensor(np.random.default_rng(0).normal(size=(5, 3)))
    net(x).sum().backward()
    first = {n: p.grad.copy() for n, p in net.named_parameters()}
    net(x).sum().backward()
    for n, p in net.named_parameters():
        np.testing.assert_allclose(p.grad, 2 * first[n], rtol=1e-12, err_msg=n)
    net.zero_grad(set_to_none=False)
    assert all(not p.grad.any() for p in net.parameters())
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())
    net(x).sum().backward()
    for n, p in net.named_parameters():
        np.testing.assert_allclose(p.grad, first[n], rtol=1e-12, err_msg=n)


def test_state_dict_round_trip_and_npz(tmp_path):
    a, b = Net(), Net()
    for p in b.parameters():
        p.data += 1.0
    a.body[0].calls[...] = 7
    sd = a.state_dict()
    assert "body.0.calls" in sd and "body.0.scratch" not in sd  # non-persistent buffer
    assert list(sd)[:2] == ["scale", "body.0.weight"]
    b.load_state_dict(sd)
    for (n, p), (_, q) in zip(a.named_parameters(), b.named_parameters()):
        np.testing.assert_array_equal(p.data, q.data, err_msg=n)
    assert int(b.body[0].calls) == 7
    sd["scale"][...] = 99.0  # state_dict returns copies
    assert a.scale.data[0] == 2.0
    # .npz round trip
    c = Net()
    a.save(tmp_path / "net.npz")
    c.load(tmp_path / "net.npz")
    for (n, p), (_, q) in zip(a.named_parameters(), c.named_parameters()):
        np.testing.assert_array_equal(p.data, q.data, err_msg=n)


def test_load_state_dict_errors_name_key_and_shapes():
    net = Net()
    sd = net.state_dict()
    sd["body.0.weight"] = np.zeros((3, 4))
    before = net.scale.data.copy()
    sd["scale"] = np.array([5.0])
    with pytest.raises(ValueError, match=r"body\.0\.weight.*\(3, 4\).*\(4, 3\)"):
        net.load_state_dict(sd)
    np.testing.assert_array_equal(net.scale.data, before)  # nothing changed
    sd = net.state_dict()
    del sd["heads.0.bias"]
    sd["extra.weight"] = np.zeros(1)
    with pytest.raises(KeyError, match=r"missing keys: heads\.0\.bias.*unexpected keys: extra"):
        net.load_state_dict(sd)
    result = net.load_state_dict(sd, strict=False)
    assert result.missing_keys == ["heads.0.bias"] and result.unexpected_keys == ["extra.weight"]


def test_load_keeps_dtype_and_identity():
    net = Net()
    w = net.body[0].weight
    net.load_state_dict({k: v.astype(np.float32) for k, v in net.state_dict().items()})
    assert net.body[0].weight is w and w.data.dtype == np.float64


def test_repr_like_pytorch():
    net = Net()
    text = repr(net)
    assert text.splitlines()[0] == "Net("
    assert "  (body): Sequential(\n    (0): Affine(in=3, out=4)" in text
    assert "  (heads): ModuleList(\n    (0): Affine(in=2, out=1)\n  )" in text
    assert repr(Affine(1, 1)) == "Affine(in=1, out=1)"


def test_assignment_rules():
    m = Affine(2, 2)
    with pytest.raises(TypeError, match="parameter 'weight'"):
        m.weight = np.zeros((2, 2))
    m.bias = None
    assert [n for n, _ in m.named_parameters()] == ["weight"]
    m.other = Affine(1, 1)
    del m.other
    assert list(m.children()) == []

    class Forgot(Module):
        def __init__(self):
            self.w = Parameter(np.zeros(1))

    with pytest.raises(AttributeError, match="super"):
        Forgot()


def test_containers():
    ml = ModuleList([Affine(1, 1)]).extend([Affine(1, 1, seed=1)])
    assert len(ml) == 2 and len(list(ml.parameters())) == 4
    md = ModuleDict({"a": Affine(1, 1)})
    md["b"] = Affine(1, 2)
    assert list(md) == ["a", "b"] and "b" in md and len(md) == 2
    seq = Sequential(OrderedDict([("first", Affine(2, 3)), ("second", Affine(3, 1))]))
    assert [n for n, _ in seq.named_children()] == ["first", "second"]
    out = seq(Tensor(np.ones((4, 2))))
    assert out.shape == (4, 1)


def test_dtype_casts():
    net = Net().float()
    assert all(p.data.dtype == np.float32 for p in net.parameters())
    net.double()
    assert all(p.data.dtype == np.float64 for p in net.parameters())
    assert net.body[0].calls.dtype == np.int64  # integer buffers untouched


def test_parameter_wraps_without_copy():
    arr = np.ones(3)
    p = Parameter(arr)
    assert p.data is arr and p.requires_grad
    assert repr(p).startswith("Parameter containing:")
    assert Parameter(Tensor(arr)).data is arr
