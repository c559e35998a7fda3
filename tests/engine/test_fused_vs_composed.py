"""Every fused Function equals the same computation composed from primitive ops (outputs and
gradients, float64), an independent check of each hand-derived backward."""

from __future__ import annotations

import numpy as np
import pytest

import dlproof.nn.functional as F
from dlproof.engine import Tensor, ops
from dlproof.engine.tensor import run_backward

TOL = 1e-10


def compare(fused, composed, arrays, seed=0):
    def run(fn):
        ins = [Tensor(a.copy(), requires_grad=True) if a.dtype.kind == "f" else a for a in arrays]
        outs = fn(*ins)
        outs = tuple(outs) if isinstance(outs, (tuple, list)) else (outs,)
        return ins, outs

    ins1, out1 = run(fused)
    ins2, out2 = run(composed)
    rng = np.random.default_rng(seed)
    ups = [rng.standard_normal(o.shape) for o in out1]
    for a, b in zip(out1, out2):
        assert a.shape == b.shape
        np.testing.assert_allclose(a.numpy(), b.numpy(), atol=TOL, rtol=0)
    run_backward(list(zip(out1, ups)))
    run_backward(list(zip(out2, ups)))
    for a, b in zip(ins1, ins2):
        if isinstance(a, Tensor):
            np.testing.assert_allclose(a.grad, b.grad, atol=TOL, rtol=0)
    return out1


def R(*shape, seed=0):
    return np.random.default_rng(seed + sum(shape)).standard_normal(shape)


# ---- losses ----------------------------------------------------------------------------------


def composed_cross_entropy(x, y, weight=None, ignore_index=-100, reduction="mean", ls=0.0):
    """PyTorch's definition, built from log_softmax, indexing and sums."""
    C = x.shape[1]
    logp = x.log_softmax(1)
    w = np.ones(C) if weight is None else weight
    valid = y != ignore_index
    yv = np.where(valid, y, 0)
    rows = np.arange(len(y))
    nll = -logp[rows, yv] * (w[yv] * valid)
    smooth = -(logp * w).sum(1) * valid
    per = nll * (1 - ls) + smooth * (ls / C)
    if reduction == "none":
        return per
    if reduction == "sum":
        return per.sum()
    return per.sum() / float((w[yv] * valid).sum())


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("ls", [0.0, 0.2])
def test_cross_entropy_class_targets(reduction, weighted, ls):
    y = np.array([0, 3, -100, 2, 2, 1])
    w = np.array([0.5, 1.0, 2.0, 1.5]) if weighted else None
    compare(lambda x: F.cross_entropy(x, y, weight=w, reduction=reduction, label_smoothing=ls),
            lambda x: composed_cross_entropy(x, y, w, -100, reduction, ls), [R(6, 4)])


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy_probability_targets(reduction):
    t = np.random.default_rng(3).dirichlet(np.ones(5), size=4)
    w = np.array([0.5, 1.0, 2.0, 1.5, 0.2])

    def composed(x):
        tt = t * 0.9 + 0.1 / 5
        per = -(x.log_softmax(1) * (tt * w)).sum(1)
        return {"none": per, "sum": per.sum(), "mean": per.sum() / 4.0}[reduction]

    compare(lambda x: F.cross_entropy(x, t, weight=w, reduction=reduction, label_smoothing=0.1),
            composed, [R(4, 5)])


def test_nll_loss():
    y = np.array([1, 2, 0, 2])
    w = np.array([1.0, 0.5, 3.0])
    compare(lambda lp: F.nll_loss(lp, y, weight=w, ignore_index=0),
            lambda lp: -(lp[np.arange(4), y] * (w[y] * (y != 0))).sum() / float((w[y] * (y != 0))
                                                                                 .sum()),
            [R(4, 3)])


def test_bce_with_logits():
    y = np.random.default_rng(1).uniform(0, 1, (3, 4))
    w, pw = np.array([1.0, 0.5, 2.0, 1.0]), np.array([2.0, 1.0, 0.5, 3.0])

    def composed(x):
        s = x.sigmoid()
        return (-(s.log() * (pw * y) + (1 - s).log() * (1 - y)) * w).mean()

    compare(lambda x: F.binary_cross_entropy_with_logits(x, y, weight=w, pos_weight=pw),
            composed, [R(3, 4)])


def test_bce_and_mse():
    y = np.random.default_rng(1).uniform(0, 1, (3, 4))
    p = np.random.default_rng(2).uniform(0.05, 0.95, (3, 4))
    compare(lambda q: F.binary_cross_entropy(q, y, reduction="sum"),
            lambda q: (-(q.log() * y + (1 - q).log() * (1 - y))).sum(), [p])
    compare(lambda a, b: F.mse_loss(a, b), lambda a, b: ((a - b) ** 2).mean(), [R(3, 4), R(3, 4,
                                                                                         seed=1)])


# ---- layers ----------------------------------------------------------------------------------


def test_linear():
    compare(F.linear, lambda x, w, b: x @ w.T + b, [R(2, 3, 4), R(5, 4), R(5)])


def composed_conv2d(x, w, b, stride, padding, dilation):
    """im2col from primitives: pad, strided slices, stack, reshape, matmul (groups = 1)."""
    N, C, H, W = x.shape
    O, _, kh, kw = w.shape
    xp = F.pad(x, (padding, padding, padding, padding))
    ho = (H + 2 * padding - dilation * (kh - 1) - 1) // stride + 1
    wo = (W + 2 * padding - dilation * (kw - 1) - 1) // stride + 1
    patches = []
    for i in range(kh):
        for j in range(kw):
            patches.append(xp[:, :, i * dilation: i * dilation + stride * (ho - 1) + 1: stride,
                              j * dilation: j * dilation + stride * (wo - 1) + 1: stride])
    cols = ops.stack(patches, dim=2)  # (N, C, kh*kw, ho, wo)
    cols = cols.reshape(N, C * kh * kw, ho * wo)
    y = w.reshape(O, -1) @ cols  # (N, O, ho*wo)
    return y.reshape(N, O, ho, wo) + b.reshape(1, O, 1, 1)


@pytest.mark.parametrize("stride,padding,dilation", [(1, 0, 1), (2, 1, 1), (1, 2, 2), (3, 1, 2)])
def test_conv2d(stride, padding, dilation):
    compare(lambda x, w, b: F.conv2d(x, w, b, stride, padding, dilation),
            lambda x, w, b: composed_conv2d(x, w, b, stride, padding, dilation),
            [R(2, 3, 8, 7), R(4, 3, 3, 2), R(4)])


def test_conv2d_groups_equal_separate_convolutions():
    x, w, b = R(2, 4, 6, 6), R(6, 2, 3, 3), R(6)

    def composed(x, w, b):
        return ops.cat([F.conv2d(x[:, :2], w[:3], b[:3], padding=1),
                        F.conv2d(x[:, 2:], w[3:], b[3:], padding=1)], dim=1)

    compare(lambda x, w, b: F.conv2d(x, w, b, padding=1, groups=2), composed, [x, w, b])


@pytest.mark.parametrize("stride,padding,output_padding,groups", [(1, 0, 0, 1), (2, 1, 1, 1),
                                                                   (3, 2, 2, 2)])
def test_conv_transpose2d_is_the_adjoint_of_conv2d(stride, padding, output_padding, groups):
    """<conv2d(y, w), x> = <y, conv_transpose2d(x, w)> for every x, y: the definition."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 4, 5, 4))
    w = rng.standard_normal((4, 6 // groups, 3, 3))
    yt = F.conv_transpose2d(Tensor(x), Tensor(w), stride=stride, padding=padding,
                            output_padding=output_padding, groups=groups)
    y = rng.standard_normal(yt.shape)
    cy = F.conv2d(Tensor(y), Tensor(w), stride=stride, padding=padding, groups=groups)
    assert cy.shape == x.shape
    np.testing.assert_allclose(np.sum(cy.numpy() * x), np.sum(y * yt.numpy()), rtol=1e-12)


def test_conv1d_equals_conv2d_on_height_one():
    compare(lambda x, w: F.conv1d(x, w, stride=2, padding=1, dilation=2),
            lambda x, w: F.conv2d(x.unsqueeze(2), w.unsqueeze(2), stride=(1, 2), padding=(0, 1),
                                  dilation=(1, 2)).squeeze(2),
            [R(2, 3, 11), R(4, 3, 3)])


def _windows(x, k, s, p, fill):
    xp = F.pad(x, (p, p, p, p), value=fill)
    H, W = x.shape[2:]
    ho, wo = (H + 2 * p - k) // s + 1, (W + 2 * p - k) // s + 1
    return ops.stack([xp[:, :, i: i + s * (ho - 1) + 1: s, j: j + s * (wo - 1) + 1: s]
                      for i in range(k) for j in range(k)], dim=0)


@pytest.mark.parametrize("k,s,p", [(2, 2, 0), (3, 2, 1), (2, 1, 0)])
def test_max_pool2d(k, s, p):
    x = np.random.default_rng(k + s).permutation(2 * 3 * 7 * 6).reshape(2, 3, 7, 6) * 0.1
    compare(lambda x: F.max_pool2d(x, k, s, p), lambda x: _windows(x, k, s, p, -1e9).amax(0), [x])


@pytest.mark.parametrize("k,s,p", [(2, 2, 0), (3, 2, 1), (3, 1, 1)])
def test_avg_pool2d(k, s, p):
    compare(lambda x: F.avg_pool2d(x, k, s, p), lambda x: _windows(x, k, s, p, 0.0).mean(0),
            [R(2, 3, 7, 6)])


def test_adaptive_avg_pool2d():
    def composed(x):  # PyTorch's windows: [floor(i H / o), ceil((i+1) H / o))
        H, W = x.shape[2:]
        rows = []
        for i in range(3):
            h0, h1 = (i * H) // 3, -((-(i + 1) * H) // 3)
            cols = []
            for j in range(2):
                w0, w1 = (j * W) // 2, -((-(j + 1) * W) // 2)
                cols.append(x[:, :, h0:h1, w0:w1].mean((2, 3)))
            rows.append(ops.stack(cols, dim=-1))
        return ops.stack(rows, dim=-2)

    compare(lambda x: F.adaptive_avg_pool2d(x, (3, 2)), composed, [R(2, 3, 7, 5)])
    compare(lambda x: F.adaptive_avg_pool2d(x, 1), lambda x: x.mean((2, 3), keepdim=True),
            [R(2, 3, 4, 5)])


@pytest.mark.parametrize("shape", [(8, 3), (4, 3, 5, 2)])
def test_batch_norm_training(shape):
    axes = (0,) + tuple(range(2, len(shape)))
    bshape = (1, shape[1]) + (1,) * (len(shape) - 2)
    rm1, rv1 = np.zeros(shape[1]), np.ones(shape[1])

    def composed(x, w, b):
        mu = x.mean(axes, keepdim=True)
        var = ((x - mu) ** 2).mean(axes, keepdim=True)
        return (x - mu) / (var + 1e-5).sqrt() * w.reshape(bshape) + b.reshape(bshape)

    compare(lambda x, w, b: F.batch_norm(x, rm1, rv1, w, b, training=True), composed,
            [R(*shape), R(shape[1]), R(shape[1])])


def test_batch_norm_eval():
    rm, rv = np.array([0.1, -0.2, 0.3]), np.array([0.5, 2.0, 1.0])
    compare(lambda x, w, b: F.batch_norm(x, rm, rv, w, b, training=False),
            lambda x, w, b: (x - rm.reshape(1, 3, 1, 1)) / np.sqrt(rv + 1e-5).reshape(1, 3, 1, 1)
            * w.reshape(1, 3, 1, 1) + b.reshape(1, 3, 1, 1),
            [R(2, 3, 2, 2), R(3), R(3)])


def test_layer_norm():
    def composed(x, w, b):
        mu = x.mean((-2, -1), keepdim=True)
        var = ((x - mu) ** 2).mean((-2, -1), keepdim=True)
        return (x - mu) / (var + 1e-5).sqrt() * w + b

    compare(lambda x, w, b: F.layer_norm(x, (3, 4), w, b), composed, [R(2, 3, 4), R(3, 4), R(3, 4)])


def test_dropout_and_embedding():
    p = 0.3
    mask = (np.random.default_rng(0).random((4, 5)) >= p) / (1 - p)
    compare(lambda x: F.dropout(x, p, generator=np.random.default_rng(0)), lambda x: x * mask,
            [R(4, 5)])
    idx = np.array([[1, 1], [0, 3]])
    compare(lambda w: F.embedding(idx, w), lambda w: w[idx], [R(4, 3)])


def lstm_cell_composed(x, h, c, wi, wh, bi, bh):
    i, f, g, o = (x @ wi.T + bi + h @ wh.T + bh).split(wh.shape[1], dim=1)
    c2 = f.sigmoid() * c + i.sigmoid() * g.tanh()
    return o.sigmoid() * c2.tanh(), c2


def gru_cell_composed(x, h, wi, wh, bi, bh):
    ri, zi, ni = (x @ wi.T + bi).split(wh.shape[1], dim=1)
    rh, zh, nh = (h @ wh.T + bh).split(wh.shape[1], dim=1)
    r, z = (ri + rh).sigmoid(), (zi + zh).sigmoid()
    n = (ni + r * nh).tanh()
    return (1 - z) * n + z * h


B, I, H, T = 3, 4, 5, 4


def test_lstm_cell():
    compare(lambda x, h, c, wi, wh, bi, bh: F.lstm_cell(x, (h, c), wi, wh, bi, bh),
            lstm_cell_composed,
            [R(B, I), R(B, H), R(B, H), R(4 * H, I), R(4 * H, H), R(4 * H), R(4 * H)])


def test_gru_cell():
    compare(F.gru_cell, gru_cell_composed,
            [R(B, I), R(B, H), R(3 * H, I), R(3 * H, H), R(3 * H), R(3 * H)])


def test_lstm_sequence_equals_cell_loop():
    def composed(x, h, c, wi, wh, bi, bh):
        outs = []
        for t in range(x.shape[0]):
            h, c = lstm_cell_composed(x[t], h, c, wi, wh, bi, bh)
            outs.append(h)
        return ops.stack(outs, 0), h, c

    compare(F.lstm, composed,
            [R(T, B, I), R(B, H), R(B, H), R(4 * H, I), R(4 * H, H), R(4 * H), R(4 * H)])


def test_gru_sequence_equals_cell_loop():
    def composed(x, h, wi, wh, bi, bh):
        outs = []
        for t in range(x.shape[0]):
            h = gru_cell_composed(x[t], h, wi, wh, bi, bh)
            outs.append(h)
        return ops.stack(outs, 0), h

    compare(F.gru, composed, [R(T, B, I), R(B, H), R(3 * H, I), R(3 * H, H), R(3 * H), R(3 * H)])


@pytest.mark.parametrize("mask_kind", ["none", "bool", "float", "causal"])
def test_attention(mask_kind):
    q, k, v = R(2, 3, 4), R(2, 3, 4, seed=1), R(2, 3, 2, seed=2)
    bool_mask = np.array([[True, False, True], [True, True, False], [False, True, True]])
    float_mask = R(3, 3, seed=3)
    kw = {"none": {}, "bool": {"attn_mask": bool_mask}, "float": {"attn_mask": float_mask},
          "causal": {"is_causal": True}}[mask_kind]
    add = {"none": 0.0, "bool": np.where(bool_mask, 0.0, -np.inf), "float": float_mask,
           "causal": np.where(np.tril(np.ones((3, 3), bool)), 0.0, -np.inf)}[mask_kind]

    def composed(q, k, v):
        return (((q @ k.transpose(-1, -2)) * (1 / 2.0) + add).softmax(-1)) @ v

    compare(lambda q, k, v: F.scaled_dot_product_attention(q, k, v, **kw), composed, [q, k, v])
