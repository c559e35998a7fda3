"""dlproof.models.mlp: initialisation schemes, the functional MLP and the MLP object agree, hooks
and pre-activations, and PyTorch float64 parity of forward and backward."""

from __future__ import annotations

import numpy as np
import pytest

from dlproof.models import mlp
from dlproof.nn import functional as F


@pytest.mark.parametrize("scheme,expected_var", [
    ("xavier", 2.0 / (64 + 128)), ("he", 2.0 / 64), ("lecun", 1.0 / 64), ("normal:0.5", 0.25),
    ("gain2:2.0", 2.0 / 64)])
def test_init_weights_variance(scheme, expected_var):
    (w,) = mlp.init_weights(np.random.default_rng(0), [64, 128], scheme)
    assert w.shape == (128, 64)  # (out, in) as nn.Linear
    assert abs(w.var() / expected_var - 1) < 0.05


def test_orthogonal_constant_and_bad_schemes():
    (q,) = mlp.init_weights(np.random.default_rng(0), [32, 32], "orth:1")
    assert np.allclose(q @ q.T, np.eye(32), atol=1e-12)
    (c,) = mlp.init_weights(np.random.default_rng(0), [3, 2], "const:0.1")
    assert np.all(c == 0.1)
    with pytest.raises(ValueError, match="unknown init scheme 'glorot'"):
        mlp.init_weights(np.random.default_rng(0), [3, 2], "glorot")
    with pytest.raises(ValueError, match="2 layers but 1 schemes"):
        mlp.init_weights(np.random.default_rng(0), [3, 2, 2], ["he"])
    with pytest.raises(ValueError, match="unknown activation 'relu6'"):
        mlp.activation("relu6")


def test_init_mlp_is_the_gain2_scheme_drawn_in_layer_order():
    a = mlp.init_mlp([5, 4, 3], np.random.default_rng(3), gain2=[2.0, 1.0])
    w = mlp.init_weights(np.random.default_rng(3), [5, 4, 3], ["gain2:2.0", "gain2:1.0"])
    for (W, b), ref in zip(a, w):
        assert np.array_equal(W.data, ref) and np.all(b.data == 0)


def test_object_and_functional_forward_agree_and_keep_pre_activations():
    rng = np.random.default_rng(1)
    net = mlp.MLP(mlp.init_weights(rng, [5, 4, 4, 3], "xavier"), act="tanh")
    X = rng.normal(size=(7, 5))
    out = net(X)
    assert len(net.pre) == 3 and np.array_equal(net.pre[-1].data, out.data)
    keep = []
    out2 = mlp.mlp_forward(net.layers, X, mlp.ACTIVATIONS["tanh"], keep=keep)
    assert np.array_equal(out.data, out2.data) and len(keep) == 2
    (W1, b1), (W2, b2), (W3, b3) = [(w.data, b.data) for w, b in net.layers]
    ref = np.tanh(np.tanh(X @ W1.T + b1) @ W2.T + b2) @ W3.T + b3
    assert np.allclose(out.data, ref, atol=1e-12)


def test_hook_replaces_a_pre_activation():
    rng = np.random.default_rng(2)
    weights = mlp.init_weights(rng, [3, 4, 2], "he")
    X = rng.normal(size=(5, 3))
    silenced = mlp.MLP(weights, act="relu", hook=lambda i, z: z * 0.0 if i == 0 else z)
    b2 = silenced.layers[1][1].data
    assert np.allclose(silenced(X).data, np.broadcast_to(b2, (5, 2)))  # hidden layer silenced


def test_train_lowers_the_loss_on_separable_blobs():
    from dlproof.data import xor_blobs

    rng = np.random.default_rng(0)
    X, y = xor_blobs(200, rng)
    params = mlp.init_mlp([X.shape[1], 16, 2], rng, gain2=2.0)
    losses = mlp.train(params, X, y, mlp.ACTIVATIONS["relu"], lr=0.1, epochs=30, batch=32, rng=rng)
    assert losses[-1] < 0.5 * losses[0]
    assert mlp.accuracy(params, X, y, mlp.ACTIVATIONS["relu"]) > 0.9


@pytest.mark.torch
def test_forward_and_gradients_match_torch(torch):
    rng = np.random.default_rng(4)
    net = mlp.MLP(mlp.init_weights(rng, [6, 5, 4], "he"), act="gelu")
    X, y = rng.normal(size=(9, 6)), rng.integers(0, 4, 9)
    loss = F.cross_entropy(net(X), y)
    loss.backward()
    tw = [(torch.tensor(w.data, requires_grad=True), torch.tensor(b.data, requires_grad=True))
          for w, b in net.layers]
    h = torch.tensor(X)
    h = torch.nn.functional.gelu(h @ tw[0][0].T + tw[0][1])
    tl = torch.nn.functional.cross_entropy(h @ tw[1][0].T + tw[1][1], torch.tensor(y))
    tl.backward()
    assert abs(float(loss.data) - tl.item()) < 1e-12
    for (w, b), (tw_, tb) in zip(net.layers, tw):
        np.testing.assert_allclose(w.grad, tw_.grad.numpy(), atol=1e-12)
        np.testing.assert_allclose(b.grad, tb.grad.numpy(), atol=1e-12)
