"""Regression tests for the classic layer mistakes, and default initialisations as PyTorch."""

from __future__ import annotations

import math

import numpy as np
import pytest

import dlproof.nn as nn
from dlproof.engine import Tensor


# ---------------------------------------------------------------------- dropout
@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
def test_inverted_dropout_expectation_and_eval_identity(p):
    n = 200_000
    x = np.full(n, 3.0)
    layer = nn.Dropout(p, generator=np.random.default_rng(0))
    y = layer(Tensor(x)).data
    kept = y != 0
    # survivors are scaled by 1/(1-p) (inverted dropout: no rescaling needed at test time)
    np.testing.assert_allclose(y[kept], 3.0 / (1 - p))
    # the kept count is Binomial(n, 1-p): 5 standard deviations
    assert abs(kept.sum() - n * (1 - p)) < 5 * math.sqrt(n * p * (1 - p))
    # hence E[y] = x within 5 sigma of the mean of n iid (3/(1-p)) * Bernoulli(1-p)
    sigma_mean = 3.0 / (1 - p) * math.sqrt(p * (1 - p) / n)
    assert abs(y.mean() - 3.0) < 5 * sigma_mean
    layer.eval()
    X = Tensor(x)
    assert layer(X) is X or np.array_equal(layer(X).data, x)


def test_dropout_reproducible_and_gradient_masks():
    a = nn.Dropout(0.5, generator=7)(Tensor(np.ones(50))).data
    b = nn.Dropout(0.5, generator=7)(Tensor(np.ones(50))).data
    np.testing.assert_array_equal(a, b)
    X = Tensor(np.ones(50), requires_grad=True)
    y = nn.Dropout(0.5, generator=7)(X)
    y.sum().backward()
    np.testing.assert_array_equal(X.grad, y.data)  # dy/dx = mask / (1 - p)
    with pytest.raises(ValueError, match="probability"):
        nn.Dropout(1.5)


# ---------------------------------------------------------------------- batch norm
def test_batchnorm_running_stats_direction_and_unbiased_variance():
    rng = np.random.default_rng(0)
    bn = nn.BatchNorm1d(2).double()
    x = rng.normal(loc=[5.0, -2.0], scale=[2.0, 0.5], size=(8, 2))
    y = bn(Tensor(x)).data
    m = 8
    mean, var_b = x.mean(0), x.var(0)
    # running = (1 - momentum) * running + momentum * batch  (momentum = 0.1): NOT the reverse
    np.testing.assert_allclose(bn.running_mean, 0.9 * 0.0 + 0.1 * mean, rtol=1e-12)
    # unbiased variance (m - 1) in the running estimate ...
    np.testing.assert_allclose(bn.running_var, 0.9 * 1.0 + 0.1 * var_b * m / (m - 1), rtol=1e-12)
    # ... biased variance in the normalisation
    np.testing.assert_allclose(y, (x - mean) / np.sqrt(var_b + 1e-5), rtol=1e-10)
    assert int(bn.num_batches_tracked) == 1
    # eval mode uses the running statistics and does not update them
    bn.eval()
    before = bn.running_mean.copy()
    z = bn(Tensor(x)).data
    np.testing.assert_allclose(z, (x - before) / np.sqrt(bn.running_var + 1e-5), rtol=1e-10)
    np.testing.assert_array_equal(bn.running_mean, before)


def test_batchnorm_converges_to_population_statistics():
    rng = np.random.default_rng(1)
    bn = nn.BatchNorm2d(3).double()
    for _ in range(200):
        bn(Tensor(rng.normal(loc=2.0, scale=3.0, size=(16, 3, 4, 4))))
    np.testing.assert_allclose(bn.running_mean, 2.0, atol=0.15)
    np.testing.assert_allclose(bn.running_var, 9.0, rtol=0.1)


def test_batchnorm_in_state_dict_and_shape_errors():
    bn = nn.BatchNorm2d(4)
    assert list(bn.state_dict()) == ["weight", "bias", "running_mean", "running_var", "num_batches_tracked"]
    with pytest.raises(ValueError, match=r"\(N, C, H, W\)"):
        bn(Tensor(np.zeros((2, 4))))
    with pytest.raises(ValueError, match="num_features=4"):
        bn(Tensor(np.zeros((2, 3, 2, 2))))


# ---------------------------------------------------------------------- default initialisation
def _uniform_bound_ok(a, bound):
    return np.max(np.abs(a)) <= bound and np.max(np.abs(a)) > 0.9 * bound


@pytest.mark.parametrize(
    "layer,fan_in",
    [
        (lambda g: nn.Linear(300, 200, generator=g), 300),
        (lambda g: nn.Conv2d(16, 32, 3, generator=g), 16 * 9),
        (lambda g: nn.Conv2d(16, 32, 3, groups=4, generator=g), 4 * 9),
        (lambda g: nn.Conv1d(8, 40, 5, generator=g), 8 * 5),
        (lambda g: nn.ConvTranspose2d(32, 16, 3, generator=g), 16 * 9),
    ],
)
def test_default_init_as_pytorch(layer, fan_in):
    """kaiming_uniform_(a=sqrt(5)) => W ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in)), std = bound/sqrt(3);
    bias ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in))."""
    m = layer(np.random.default_rng(0))
    bound = 1 / math.sqrt(fan_in)
    w = m.weight.data
    assert w.dtype == np.float32
    assert _uniform_bound_ok(w, bound)
    assert abs(w.std() / (bound / math.sqrt(3)) - 1) < 5 / math.sqrt(2 * w.size)
    assert np.max(np.abs(m.bias.data)) <= bound


def test_rnn_embedding_attention_default_init():
    g = np.random.default_rng(0)
    lstm = nn.LSTM(10, 50, num_layers=2, generator=g)
    for name, p in lstm.named_parameters():
        assert _uniform_bound_ok(p.data, 1 / math.sqrt(50)), name
    emb = nn.Embedding(1000, 64, padding_idx=0, generator=g)
    assert abs(emb.weight.data[1:].std() - 1) < 0.02 and not emb.weight.data[0].any()
    mha = nn.MultiheadAttention(64, 4, generator=g)
    assert _uniform_bound_ok(mha.in_proj_weight.data, math.sqrt(6 / (64 + 3 * 64)))
    assert not mha.in_proj_bias.data.any() and not mha.out_proj.bias.data.any()
    ln = nn.LayerNorm(5)
    assert np.all(ln.weight.data == 1) and not ln.bias.data.any()


def test_same_generator_seed_same_layer():
    a, b = nn.Linear(5, 3, generator=11), nn.Linear(5, 3, generator=11)
    np.testing.assert_array_equal(a.weight.data, b.weight.data)
    np.testing.assert_array_equal(a.bias.data, b.bias.data)


# ---------------------------------------------------------------------- misc behaviour
def test_layers_accumulate_gradients_across_backward_calls():
    lin = nn.Linear(3, 2, generator=0).double()
    x = Tensor(np.random.default_rng(1).normal(size=(4, 3)))
    lin(x).sum().backward()
    g1 = lin.weight.grad.copy()
    lin(x).sum().backward()
    np.testing.assert_allclose(lin.weight.grad, 2 * g1)
    lin.zero_grad()
    assert lin.weight.grad is None


def test_shape_errors_name_the_layer_and_shapes():
    with pytest.raises(ValueError, match=r"Linear.*\(2, 5\).*in_features=3"):
        nn.Linear(3, 2)(Tensor(np.zeros((2, 5))))
    with pytest.raises(ValueError, match="Conv2d.*in_channels=3"):
        nn.Conv2d(3, 2, 3)(Tensor(np.zeros((1, 4, 5, 5))))
    with pytest.raises(ValueError, match="divisible by groups"):
        nn.Conv2d(3, 4, 3, groups=2)
    with pytest.raises(ValueError, match=r"h0 of shape \(2, 3, 4\)"):
        nn.GRU(2, 4, num_layers=2)(Tensor(np.zeros((5, 3, 2))), np.zeros((1, 3, 4)))
    with pytest.raises(IndexError, match="out of range"):
        nn.Embedding(4, 2)(np.array([4]))
    with pytest.raises(ValueError, match="divisible"):
        nn.MultiheadAttention(10, 3)


def test_reprs():
    assert repr(nn.Conv2d(3, 8, 3, stride=2, padding=1, bias=False)) == (
        "Conv2d(3, 8, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1), bias=False)"
    )
    assert repr(nn.LSTM(3, 4, num_layers=2, bidirectional=True)) == (
        "LSTM(3, 4, num_layers=2, bidirectional=True)"
    )
    text = repr(nn.TransformerEncoderLayer(8, 2, dim_feedforward=16))
    assert "(self_attn): MultiheadAttention(" in text and "(linear1): Linear(in_features=8" in text


def test_lstm_training_step_reduces_loss():
    """End to end: an LSTM + Linear head fits a tiny sequence task with Adam."""
    from dlproof import optim
    from dlproof.nn import losses

    rng = np.random.default_rng(0)
    x = rng.normal(size=(32, 6, 2)).astype(np.float32)
    y = x.sum(axis=(1, 2))[:, None].astype(np.float32)
    lstm, head = nn.LSTM(2, 8, batch_first=True, generator=1), nn.Linear(8, 1, generator=2)
    params = list(lstm.parameters()) + list(head.parameters())
    opt = optim.Adam(params, lr=0.02)
    first = None
    for _ in range(60):
        opt.zero_grad()
        _, (h, _) = lstm(Tensor(x))
        loss = losses.mse_loss(head(h[0]), y)
        loss.backward()
        opt.step()
        first = first if first is not None else float(loss.data)
    assert float(loss.data) < 0.2 * first
