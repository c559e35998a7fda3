"""Every layer against PyTorch (float64): outputs, input gradients, parameter gradients."""

from __future__ import annotations

import numpy as np
import pytest
from _parity import compare, copy_weights

import dlproof.nn as nn

pytestmark = pytest.mark.torch


def _x(*shape, seed=0):
    return np.random.default_rng(seed).normal(size=shape)


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("shape", [(5, 4), (2, 3, 4)])
def test_linear(torch, bias, shape):
    ours, ref = nn.Linear(4, 3, bias=bias), torch.nn.Linear(4, 3, bias=bias)
    copy_weights(ours, ref)
    compare(torch, ours, ref, [_x(*shape)])


CONV2D = [
    dict(in_channels=3, out_channels=5, kernel_size=3),
    dict(in_channels=4, out_channels=6, kernel_size=(3, 2), stride=2, padding=1, groups=2),
    dict(in_channels=4, out_channels=8, kernel_size=3, padding=2, dilation=2, groups=4),  # depthwise x2
    dict(in_channels=2, out_channels=3, kernel_size=1, stride=(1, 2), bias=False),
    dict(in_channels=3, out_channels=3, kernel_size=5, stride=3, padding=(2, 1), dilation=(1, 2)),
]


@pytest.mark.parametrize("cfg", CONV2D)
def test_conv2d(torch, cfg):
    ours, ref = nn.Conv2d(**cfg), torch.nn.Conv2d(**cfg)
    copy_weights(ours, ref)
    compare(torch, ours, ref, [_x(2, cfg["in_channels"], 9, 8)])


@pytest.mark.parametrize(
    "cfg",
    [
        dict(in_channels=3, out_channels=4, kernel_size=3),
        dict(in_channels=4, out_channels=6, kernel_size=3, stride=2, padding=1, dilation=2, groups=2),
        dict(in_channels=2, out_channels=2, kernel_size=4, padding=3, groups=2, bias=False),
    ],
)
def test_conv1d(torch, cfg):
    ours, ref = nn.Conv1d(**cfg), torch.nn.Conv1d(**cfg)
    copy_weights(ours, ref)
    compare(torch, ours, ref, [_x(3, cfg["in_channels"], 11)])


@pytest.mark.parametrize(
    "cfg",
    [
        dict(in_channels=3, out_channels=2, kernel_size=3),
        dict(in_channels=4, out_channels=6, kernel_size=3, stride=2, padding=1, output_padding=1, groups=2),
        dict(in_channels=2, out_channels=3, kernel_size=(2, 3), stride=(2, 1), padding=(0, 1), bias=False),
        dict(in_channels=2, out_channels=2, kernel_size=3, stride=2, dilation=2),
    ],
)
def test_conv_transpose2d(torch, cfg):
    ours, ref = nn.ConvTranspose2d(**cfg), torch.nn.ConvTranspose2d(**cfg)
    copy_weights(ours, ref)
    compare(torch, ours, ref, [_x(2, cfg["in_channels"], 5, 4)])


@pytest.mark.parametrize(
    "ours_fn,ref_fn",
    [
        (lambda: nn.MaxPool2d(2), lambda t: t.nn.MaxPool2d(2)),
        (lambda: nn.MaxPool2d(3, stride=2, padding=1), lambda t: t.nn.MaxPool2d(3, 2, 1)),
        (lambda: nn.AvgPool2d(2), lambda t: t.nn.AvgPool2d(2)),
        (lambda: nn.AvgPool2d((3, 2), stride=(2, 1), padding=1), lambda t: t.nn.AvgPool2d((3, 2), (2, 1), 1)),
        (lambda: nn.AdaptiveAvgPool2d(1), lambda t: t.nn.AdaptiveAvgPool2d(1)),
        (lambda: nn.AdaptiveAvgPool2d((3, 2)), lambda t: t.nn.AdaptiveAvgPool2d((3, 2))),
        (lambda: nn.Flatten(), lambda t: t.nn.Flatten()),
    ],
)
def test_pooling_and_flatten(torch, ours_fn, ref_fn):
    compare(torch, ours_fn(), ref_fn(torch), [_x(2, 3, 7, 5)])


@pytest.mark.parametrize(
    "ours_fn,ref_fn",
    [
        (nn.ReLU, lambda t: t.nn.ReLU()),
        (lambda: nn.LeakyReLU(0.2), lambda t: t.nn.LeakyReLU(0.2)),
        (lambda: nn.ELU(0.7), lambda t: t.nn.ELU(0.7)),
        (nn.SELU, lambda t: t.nn.SELU()),
        (nn.GELU, lambda t: t.nn.GELU()),
        (lambda: nn.GELU("tanh"), lambda t: t.nn.GELU("tanh")),
        (nn.SiLU, lambda t: t.nn.SiLU()),
        (nn.Sigmoid, lambda t: t.nn.Sigmoid()),
        (nn.Tanh, lambda t: t.nn.Tanh()),
        (lambda: nn.Softplus(2.0, 5.0), lambda t: t.nn.Softplus(2.0, 5.0)),
        (lambda: nn.Hardtanh(-0.5, 0.8), lambda t: t.nn.Hardtanh(-0.5, 0.8)),
        (lambda: nn.Softmax(dim=1), lambda t: t.nn.Softmax(dim=1)),
        (lambda: nn.LogSoftmax(dim=-1), lambda t: t.nn.LogSoftmax(dim=-1)),
    ],
)
def test_activations(torch, ours_fn, ref_fn):
    x = 3 * _x(4, 5, 3)
    compare(torch, ours_fn(), ref_fn(torch), [x])


@pytest.mark.parametrize(
    "ours_cls,ref_name,shape,kwargs",
    [
        (nn.BatchNorm1d, "BatchNorm1d", (8, 3), {}),
        (nn.BatchNorm1d, "BatchNorm1d", (4, 3, 5), dict(momentum=0.3)),
        (nn.BatchNorm2d, "BatchNorm2d", (4, 3, 5, 2), {}),
        (nn.BatchNorm2d, "BatchNorm2d", (4, 3, 2, 2), dict(momentum=None)),
        (nn.BatchNorm2d, "BatchNorm2d", (4, 3, 2, 2), dict(affine=False)),
        (nn.BatchNorm1d, "BatchNorm1d", (6, 3), dict(track_running_stats=False)),
    ],
)
def test_batchnorm_train_then_eval(torch, ours_cls, ref_name, shape, kwargs):
    ours, ref = ours_cls(3, **kwargs), getattr(torch.nn, ref_name)(3, **kwargs)
    if ref.affine:
        with torch.no_grad():
            ref.weight.uniform_(0.5, 1.5)
            ref.bias.uniform_(-0.5, 0.5)
    copy_weights(ours, ref)
    for step in range(3):  # three training batches update the running statistics
        compare(torch, ours, ref, [2 + 3 * _x(*shape, seed=step)], seed=step)
        for name, buf in ref.named_buffers():
            np.testing.assert_allclose(getattr(ours, name), buf.numpy(), rtol=1e-12, atol=1e-14, err_msg=name)
    ours.eval()
    ref.eval()
    compare(torch, ours, ref, [_x(*shape, seed=9)], seed=9)
    assert ours.state_dict().keys() == ref.state_dict().keys()


@pytest.mark.parametrize("normalized_shape,shape", [(6, (4, 6)), ((3, 4), (2, 5, 3, 4))])
def test_layernorm(torch, normalized_shape, shape):
    ours, ref = nn.LayerNorm(normalized_shape), torch.nn.LayerNorm(normalized_shape)
    with torch.no_grad():
        ref.weight.uniform_(0.5, 1.5)
        ref.bias.uniform_(-0.5, 0.5)
    copy_weights(ours, ref)
    compare(torch, ours, ref, [1 + 2 * _x(*shape)])


@pytest.mark.parametrize("padding_idx", [None, 2])
def test_embedding(torch, padding_idx):
    ours = nn.Embedding(7, 4, padding_idx=padding_idx)
    ref = torch.nn.Embedding(7, 4, padding_idx=padding_idx)
    copy_weights(ours, ref)
    idx = np.array([[0, 2, 2, 6], [1, 2, 0, 0]])
    compare(torch, ours, ref, [idx])
    if padding_idx is not None:
        assert not ours.weight.grad[padding_idx].any()


def _rnn_pair(torch, kind, **kw):
    ours, ref = getattr(nn, kind)(3, 4, **kw), getattr(torch.nn, kind)(3, 4, **kw)
    copy_weights(ours, ref)
    return ours, ref


RNN_CFGS = [
    dict(),
    dict(num_layers=2, bidirectional=True, batch_first=True),
    dict(num_layers=3, bias=False),
    dict(num_layers=2, bidirectional=True),
]


@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU"])
@pytest.mark.parametrize("cfg", RNN_CFGS)
@pytest.mark.parametrize("with_state", [False, True])
def test_recurrent_layers(torch, kind, cfg, with_state):
    if kind == "RNN" and cfg.get("bias") is False:
        cfg = dict(cfg, nonlinearity="relu")
    ours, ref = _rnn_pair(torch, kind, **cfg)
    L = cfg.get("num_layers", 1) * (2 if cfg.get("bidirectional") else 1)
    T, B = 6, 3
    x = _x(B, T, 3) if cfg.get("batch_first") else _x(T, B, 3)
    inputs = [x]
    if with_state:
        inputs += [_x(L, B, 4, seed=1)] + ([_x(L, B, 4, seed=2)] if kind == "LSTM" else [])
        if kind == "LSTM":
            call = lambda m, x, h, c: m(x, (h, c))
        else:
            call = lambda m, x, h: m(x, h)
    else:
        call = None
    compare(torch, ours, ref, inputs, call_ours=call, call_ref=call)


@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU"])
def test_recurrent_unbatched_input(torch, kind):
    ours, ref = _rnn_pair(torch, kind, num_layers=2, bidirectional=True)
    compare(torch, ours, ref, [_x(5, 3)])


def _mha_inputs(bf, L=4, S=5, N=3, E=8, seed=0):
    shp = (lambda n: (N, n, E)) if bf else (lambda n: (n, N, E))
    return _x(*shp(L), seed=seed), _x(*shp(S), seed=seed + 1), _x(*shp(S), seed=seed + 2)


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("need_weights", [True, False])
@pytest.mark.parametrize("masks", ["none", "bool", "float", "per-head"])
def test_multihead_attention(torch, batch_first, need_weights, masks):
    E, h, L, S, N = 8, 2, 4, 5, 3
    ours = nn.MultiheadAttention(E, h, batch_first=batch_first)
    ref = torch.nn.MultiheadAttention(E, h, batch_first=batch_first)
    with torch.no_grad():
        ref.in_proj_bias.uniform_(-0.3, 0.3)
        ref.out_proj.bias.uniform_(-0.3, 0.3)
    copy_weights(ours, ref)
    rng = np.random.default_rng(5)
    kpm = am = None
    if masks == "bool":
        am = rng.uniform(size=(L, S)) < 0.3
        am[:, 0] = False
        kpm = np.zeros((N, S), bool)
        kpm[0, -2:] = True
    elif masks == "float":
        am = rng.normal(size=(L, S))
        kpm = np.zeros((N, S))
        kpm[1, 1] = -1e9
    elif masks == "per-head":
        am = rng.uniform(size=(N * h, L, S)) < 0.3
        am[..., 1] = False

    def call(m, q, k, v):
        tq = isinstance(m, torch.nn.Module)
        conv = (lambda a: None if a is None else torch.tensor(a)) if tq else (lambda a: a)
        return m(q, k, v, key_padding_mask=conv(kpm), attn_mask=conv(am), need_weights=need_weights)

    compare(torch, ours, ref, list(_mha_inputs(batch_first)), call_ours=call, call_ref=call)


def test_multihead_self_attention_per_head_weights_and_unbatched(torch):
    E, h = 6, 3
    ours, ref = nn.MultiheadAttention(E, h), torch.nn.MultiheadAttention(E, h)
    copy_weights(ours, ref)
    call = lambda m, x: m(x, x, x, average_attn_weights=False)
    compare(torch, ours, ref, [_x(5, 2, E)], call_ours=call, call_ref=call)
    compare(torch, ours, ref, [_x(5, E)], call_ours=call, call_ref=call)  # unbatched (L, E)


@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("activation", ["relu", "gelu"])
@pytest.mark.parametrize("batch_first", [False, True])
def test_transformer_encoder_layer(torch, norm_first, activation, batch_first):
    E, h, S, N = 8, 2, 5, 3
    kw = dict(
        dim_feedforward=16, dropout=0.0, activation=activation, norm_first=norm_first, batch_first=batch_first
    )
    ours, ref = nn.TransformerEncoderLayer(E, h, **kw), torch.nn.TransformerEncoderLayer(E, h, **kw)
    with torch.no_grad():
        for name, p in ref.named_parameters():
            if "norm" in name:
                p.uniform_(0.5, 1.5)
    copy_weights(ours, ref)
    causal = np.triu(np.ones((S, S), bool), k=1)
    kpm = np.zeros((N, S), bool)
    kpm[1, -1] = True

    def call(m, x):
        conv = torch.tensor if isinstance(m, torch.nn.Module) else (lambda a: a)
        return m(x, src_mask=conv(causal), src_key_padding_mask=conv(kpm))

    x = _x(N, S, E) if batch_first else _x(S, N, E)
    compare(torch, ours, ref, [x], call_ours=call, call_ref=call)


@pytest.mark.parametrize("kind", ["LSTM", "GRU"])
def test_recurrent_dropout_between_layers(torch, kind):
    """Eval mode: no dropout, equal to torch; training mode: the inter-layer dropout changes
    the output but is reproducible from the generator seed."""
    ours, ref = _rnn_pair(torch, kind, num_layers=2, dropout=0.5)
    ours.eval()
    ref.eval()
    compare(torch, ours, ref, [_x(4, 2, 3)])
    evaluated = ours(_x(4, 2, 3))[0].data
    ours.train()
    ours.generator = np.random.default_rng(1)
    b = ours(_x(4, 2, 3))[0].data
    ours.generator = np.random.default_rng(1)
    c = ours(_x(4, 2, 3))[0].data
    assert np.abs(b - evaluated).max() > 1e-3
    np.testing.assert_array_equal(b, c)
