"""Shared op cases for the gradcheck, negative-control and PyTorch-parity tests.

A case is: id, our function of Tensors, the equivalent torch function (None: no parity case),
a list of input makers (rng -> float64 array, or a constant non-float array), the Function class
whose backward the negative control perturbs, and an optional projection count for gradcheck.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

import dlproof.nn.functional as F
from dlproof.engine import ops
from dlproof.engine.fused import attention, conv, linear, loss, norm, pool, rnn
from dlproof.engine.ops import activation as act
from dlproof.engine.ops import elementwise as el
from dlproof.engine.ops import linalg, reduction, shape


@dataclass
class Case:
    id: str
    ours: object
    theirs: object
    makers: list
    fn_class: type
    projections: int | None = None
    atol: float = 1e-6
    rtol: float = 1e-4
    extra: dict = field(default_factory=dict)


def N(*shape):
    return lambda rng: rng.standard_normal(shape)


def P(*shape):  # positive, away from 0
    return lambda rng: rng.uniform(0.5, 2.0, shape)


def AWAY(*shape):  # |x| >= 0.2: away from kinks at 0
    def make(rng):
        x = rng.uniform(0.2, 2.0, shape)
        return x * rng.choice([-1.0, 1.0], shape)

    return make


def DISTINCT(*shape):  # a random permutation scaled: no ties, gaps >= 0.1
    def make(rng):
        n = int(np.prod(shape))
        return (rng.permutation(n) * 0.1 - n * 0.05).reshape(shape)

    return make


def CONST(value):
    return lambda rng: value


def U(lo, hi, *shape):
    return lambda rng: rng.uniform(lo, hi, shape)


def INT(high, *shape):
    return lambda rng: rng.integers(0, high, shape)


def gen(seed=0):
    return np.random.default_rng(seed)


CASES: list[Case] = []


def add(*a, **k):
    CASES.append(Case(*a, **k))


# ---- elementwise ---------------------------------------------------------------------------
add("add-broadcast", lambda a, b: a + b, lambda t, a, b: a + b, [N(3, 4), N(4)], el.Add)
add("add-size1", lambda a, b: a + b, lambda t, a, b: a + b, [N(2, 1, 3), N(4, 1)], el.Add)
add("add-scalar0d", lambda a, b: a + b, lambda t, a, b: a + b, [N(2, 3), N()], el.Add)
add("sub-broadcast", lambda a, b: a - b, lambda t, a, b: a - b, [N(3, 1), N(1, 5)], el.Sub)
add("rsub-const", lambda a: 2.0 - a, lambda t, a: 2.0 - a, [N(3)], el.Sub)
add("mul-broadcast", lambda a, b: a * b, lambda t, a, b: a * b, [N(2, 3, 4), N(3, 1)], el.Mul)
add("div-broadcast", lambda a, b: a / b, lambda t, a, b: a / b, [N(3, 4), P(4)], el.Div)
add("rdiv-const", lambda a: 3.0 / a, lambda t, a: 3.0 / a, [P(5)], el.Div)
add("neg", lambda a: -a, lambda t, a: -a, [N(3, 2)], el.Neg)
add("pow-tensor", lambda a, b: a ** b, lambda t, a, b: a ** b, [P(3, 4), N(4)], el.Pow)
add("pow-scalar", lambda a: a ** 3, lambda t, a: a ** 3, [N(2, 5)], el.Pow)
add("pow-square", lambda a: a ** 2, lambda t, a: a ** 2, [N(4)], el.Pow)
add("exp", lambda a: a.exp(), lambda t, a: a.exp(), [N(3, 4)], el.Exp)
add("log", lambda a: a.log(), lambda t, a: a.log(), [P(3, 4)], el.Log)
add("sqrt", lambda a: a.sqrt(), lambda t, a: a.sqrt(), [P(6)], el.Sqrt)
add("abs", lambda a: a.abs(), lambda t, a: a.abs(), [AWAY(2, 3)], el.Abs)
add("maximum", lambda a, b: ops.maximum(a, b), lambda t, a, b: t.maximum(a, b),
    [N(3, 4), N(4)], el.Maximum)
add("minimum", lambda a, b: ops.minimum(a, b), lambda t, a, b: t.minimum(a, b),
    [N(3, 4), N(3, 1)], el.Minimum)
_COND = np.array([[True, False, True, False], [False, False, True, True], [True] * 4])
add("where", lambda a, b: ops.where(_COND, a, b), lambda t, a, b: t.where(t.tensor(_COND), a, b),
    [N(3, 4), N(4)], el.Where)
add("clip", lambda a: a.clamp(-0.5, 0.7), lambda t, a: a.clamp(-0.5, 0.7),
    [lambda rng: np.array([-1.3, -0.2, 0.1, 0.4, 0.9, 2.0])], el.Clip)
add("clip-min-only", lambda a: a.clip(min=0.1), lambda t, a: a.clamp(min=0.1),
    [lambda rng: np.array([-1.3, -0.2, 0.3, 0.4, 0.9])], el.Clip)
# ---- matmul --------------------------------------------------------------------------------
add("matmul-2d", lambda a, b: a @ b, lambda t, a, b: a @ b, [N(3, 4), N(4, 5)], linalg.MatMul)
add("matmul-batched-bcast", lambda a, b: a @ b, lambda t, a, b: a @ b,
    [N(2, 1, 3, 4), N(5, 4, 2)], linalg.MatMul)
add("matmul-vec-mat", lambda a, b: a @ b, lambda t, a, b: a @ b, [N(4), N(2, 4, 3)], linalg.MatMul)
add("matmul-mat-vec", lambda a, b: a @ b, lambda t, a, b: a @ b, [N(2, 3, 4), N(4)], linalg.MatMul)
add("matmul-vec-vec", lambda a, b: a @ b, lambda t, a, b: a @ b, [N(4), N(4)], linalg.MatMul)
# ---- reductions ----------------------------------------------------------------------------
add("sum-all", lambda a: a.sum(), lambda t, a: a.sum(), [N(3, 4)], reduction.Sum)
add("sum-negdim-keep", lambda a: a.sum(-1, keepdim=True), lambda t, a: a.sum(-1, keepdim=True),
    [N(2, 3, 4)], reduction.Sum)
add("sum-dims", lambda a: a.sum((0, 2)), lambda t, a: a.sum((0, 2)), [N(2, 3, 4)], reduction.Sum)
add("mean-dim", lambda a: a.mean(1), lambda t, a: a.mean(1), [N(2, 3, 4)], reduction.Mean)
add("mean-all", lambda a: a.mean(), lambda t, a: a.mean(), [N(5, 1)], reduction.Mean)
add("var-unbiased", lambda a: a.var(1), lambda t, a: a.var(1), [N(3, 5)], reduction.Var)
add("var-biased-keep", lambda a: a.var(-1, unbiased=False, keepdim=True),
    lambda t, a: a.var(-1, unbiased=False, keepdim=True), [N(2, 3, 4)], reduction.Var)
add("var-all", lambda a: a.var(), lambda t, a: a.var(), [N(4, 3)], reduction.Var)
add("max-all", lambda a: a.max(), lambda t, a: a.max(), [DISTINCT(3, 4)], reduction.AMax)
add("amax-dims", lambda a: a.amax((0, 2)), lambda t, a: a.amax((0, 2)), [DISTINCT(2, 3, 4)],
    reduction.AMax)
add("min-axis-keep", lambda a: a.min(axis=1, keepdims=True), lambda t, a: a.amin(1, keepdim=True),
    [DISTINCT(3, 4)], reduction.AMax)
add("max-dim-values", lambda a: a.max(dim=1)[0], lambda t, a: a.max(dim=1)[0], [DISTINCT(3, 5)],
    reduction.MaxDim)
add("min-dim-negative", lambda a: a.min(dim=-1, keepdim=True).values,
    lambda t, a: a.min(dim=-1, keepdim=True).values, [DISTINCT(2, 3, 4)], reduction.MaxDim)
add("logsumexp-dim", lambda a: a.logsumexp(1), lambda t, a: a.logsumexp(1), [N(3, 4)],
    reduction.LogSumExp)
add("logsumexp-all", lambda a: ops.logsumexp(a), lambda t, a: a.logsumexp((0, 1)), [N(3, 4)],
    reduction.LogSumExp)
add("softmax-last", lambda a: a.softmax(-1), lambda t, a: a.softmax(-1), [N(3, 5)], reduction.Softmax)
add("softmax-dim0", lambda a: a.softmax(0), lambda t, a: a.softmax(0), [N(4, 2, 3)],
    reduction.Softmax)
add("log_softmax-last", lambda a: a.log_softmax(-1), lambda t, a: a.log_softmax(-1), [N(3, 5)],
    reduction.LogSoftmax)
add("log_softmax-dim1", lambda a: F.log_softmax(a, 1), lambda t, a: a.log_softmax(1),
    [N(2, 4, 3)], reduction.LogSoftmax)
# ---- shape ---------------------------------------------------------------------------------
add("reshape", lambda a: a.reshape(4, -1) * 1.0, lambda t, a: a.reshape(4, -1) * 1.0, [N(2, 3, 2)],
    shape.Reshape)
add("permute", lambda a: a.permute(2, 0, 1), lambda t, a: a.permute(2, 0, 1), [N(2, 3, 4)],
    shape.Permute)
add("transpose-neg", lambda a: a.transpose(0, -1), lambda t, a: a.transpose(0, -1), [N(2, 3, 4)],
    shape.Permute)
add("flatten-unsqueeze-squeeze", lambda a: a.flatten(1).unsqueeze(-1).squeeze(-1) * 1.0,
    lambda t, a: a.flatten(1).unsqueeze(-1).squeeze(-1) * 1.0, [N(2, 3, 2)], shape.Reshape)
add("chunk", lambda a: a.chunk(3, dim=-1)[2] * 3.0, lambda t, a: a.chunk(3, dim=-1)[2] * 3.0,
    [N(2, 7)], shape.Split)
add("std-dim", lambda a: a.std(0), lambda t, a: a.std(0), [N(4, 3)], reduction.Var)
add("var-correction2", lambda a: a.var(1, correction=2), lambda t, a: a.var(1, correction=2),
    [N(3, 5)], reduction.Var)
add("expand", lambda a: a.expand(2, 3, 4), lambda t, a: a.expand(2, 3, 4), [N(3, 1)], shape.Expand)
add("getitem-basic", lambda a: a[1:, ::2, None, -1], lambda t, a: a[1:, ::2, None, -1],
    [N(3, 5, 4)], shape.GetItem)
_IDX = np.array([0, 2, 2, 1, 0])
add("getitem-advanced-dupes", lambda a: a[_IDX], lambda t, a: a[t.tensor(_IDX)], [N(3, 4)],
    shape.GetItem)
add("getitem-mixed", lambda a: a[:, _IDX[:3], 1:], lambda t, a: a[:, t.tensor(_IDX[:3]), 1:],
    [N(2, 3, 4)], shape.GetItem)
_MASK = np.array([True, False, True, True])
add("getitem-boolmask", lambda a: a[_MASK], lambda t, a: a[t.tensor(_MASK)], [N(4, 2)],
    shape.GetItem)
add("cat", lambda a, b: ops.cat([a, b, a], dim=1), lambda t, a, b: t.cat([a, b, a], dim=1),
    [N(2, 3), N(2, 1)], shape.Cat)
add("stack-neg", lambda a, b: ops.stack([a, b], dim=-1), lambda t, a, b: t.stack([a, b], dim=-1),
    [N(2, 3), N(2, 3)], shape.Stack)
add("split", lambda a: ops.split(a, [1, 3], dim=1)[1] * 2.0,
    lambda t, a: t.split(a, [1, 3], dim=1)[1] * 2.0, [N(2, 4)], shape.Split)
add("pad-constant", lambda a: F.pad(a, (1, 2, 0, 1), value=0.5),
    lambda t, a: t.nn.functional.pad(a, (1, 2, 0, 1), value=0.5), [N(2, 3, 4)], shape.Pad)
add("pad-reflect", lambda a: F.pad(a, (2, 1), mode="reflect"),
    lambda t, a: t.nn.functional.pad(a, (2, 1), mode="reflect"), [N(2, 3, 4)], shape.Pad)
add("pad-replicate", lambda a: F.pad(a, (1, 2, 2, 1), mode="replicate"),
    lambda t, a: t.nn.functional.pad(a, (1, 2, 2, 1), mode="replicate"), [N(1, 2, 3, 4)],
    shape.Pad)
add("pad-circular", lambda a: F.pad(a, (1, 2), mode="circular"),
    lambda t, a: t.nn.functional.pad(a, (1, 2), mode="circular"), [N(1, 2, 4)], shape.Pad)
# ---- activations ---------------------------------------------------------------------------
add("sigmoid", lambda a: a.sigmoid(), lambda t, a: a.sigmoid(), [N(3, 4)], act.Sigmoid)
add("tanh", lambda a: a.tanh(), lambda t, a: a.tanh(), [N(3, 4)], act.Tanh)
add("relu", lambda a: F.relu(a), lambda t, a: a.relu(), [AWAY(3, 4)], act.ReLU)
add("leaky_relu", lambda a: F.leaky_relu(a, 0.2), lambda t, a: t.nn.functional.leaky_relu(a, 0.2),
    [AWAY(3, 4)], act.LeakyReLU)
add("elu", lambda a: F.elu(a, 1.3), lambda t, a: t.nn.functional.elu(a, 1.3), [AWAY(3, 4)], act.ELU)
add("selu", lambda a: F.selu(a), lambda t, a: t.nn.functional.selu(a), [AWAY(3, 4)], act.ELU)
add("gelu-exact", lambda a: F.gelu(a), lambda t, a: t.nn.functional.gelu(a), [U(-4, 4, 3, 5)],
    act.GELU)
add("gelu-tanh", lambda a: F.gelu(a, approximate="tanh"),
    lambda t, a: t.nn.functional.gelu(a, approximate="tanh"), [U(-4, 4, 3, 5)], act.GELU)
add("softplus", lambda a: F.softplus(a, beta=2.0, threshold=3.0),
    lambda t, a: t.nn.functional.softplus(a, beta=2.0, threshold=3.0),
    [lambda rng: np.array([-3.0, -0.5, 0.3, 1.0, 1.4, 2.5, 4.0])], act.Softplus)
add("silu", lambda a: F.silu(a), lambda t, a: t.nn.functional.silu(a), [N(3, 4)], act.SiLU)
add("hardtanh", lambda a: F.hardtanh(a, -0.5, 0.8),
    lambda t, a: t.nn.functional.hardtanh(a, -0.5, 0.8),
    [lambda rng: np.array([-2.0, -0.3, 0.1, 0.5, 1.5])], act.Hardtanh)
# ---- fused: linear / dropout / embedding --------------------------------------------------
add("linear", lambda x, w, b: F.linear(x, w, b), lambda t, x, w, b: t.nn.functional.linear(x, w, b),
    [N(2, 3, 4), N(5, 4), N(5)], linear.Linear)
add("linear-nobias", lambda x, w: F.linear(x, w), lambda t, x, w: t.nn.functional.linear(x, w),
    [N(3, 4), N(2, 4)], linear.Linear)
add("dropout-fixed-generator", lambda x: F.dropout(x, 0.4, generator=gen(3)), None, [N(4, 5)],
    linear.Dropout)
add("embedding", lambda w: F.embedding(np.array([[0, 2], [2, 3]]), w),
    lambda t, w: t.nn.functional.embedding(t.tensor([[0, 2], [2, 3]]), w), [N(4, 3)],
    linear.Embedding)
add("embedding-padding", lambda w: F.embedding(np.array([1, 0, 1, 3]), w, padding_idx=1),
    lambda t, w: t.nn.functional.embedding(t.tensor([1, 0, 1, 3]), w, padding_idx=1), [N(4, 3)],
    linear.Embedding,
    extra={"skip_gradcheck": "the padding_idx row gets zero gradient by definition (torch too)"})
# ---- fused: conv -------------------------------------------------------------------------
for s, p, d, g in [(1, 0, 1, 1), (2, 1, 1, 1), (1, 2, 2, 1), (2, 1, 1, 2), (1, 1, 1, 4),
                   ((2, 1), (1, 0), (1, 2), 2)]:
    cin, cout = 4, 6 if g != 4 else 4
    add(f"conv2d-s{s}-p{p}-d{d}-g{g}",
        lambda x, w, b, s=s, p=p, d=d, g=g: F.conv2d(x, w, b, s, p, d, g),
        lambda t, x, w, b, s=s, p=p, d=d, g=g: t.nn.functional.conv2d(x, w, b, s, p, d, g),
        [N(2, cin, 7, 6), N(cout, cin // g, 3, 2), N(cout)], conv.Conv2d, projections=12)
add("conv2d-nobias-1x1", lambda x, w: F.conv2d(x, w), lambda t, x, w: t.nn.functional.conv2d(x, w),
    [N(2, 3, 4, 4), N(5, 3, 1, 1)], conv.Conv2d)
add("conv2d-same", lambda x, w: F.conv2d(x, w, padding="same"),
    lambda t, x, w: t.nn.functional.conv2d(x, w, padding="same"), [N(1, 2, 5, 5), N(3, 2, 3, 3)],
    conv.Conv2d)
add("conv1d", lambda x, w, b: F.conv1d(x, w, b, stride=2, padding=1, dilation=1),
    lambda t, x, w, b: t.nn.functional.conv1d(x, w, b, stride=2, padding=1),
    [N(2, 3, 9), N(4, 3, 3), N(4)], conv.Conv2d)
for s, p, op, g, d in [(1, 0, 0, 1, 1), (2, 1, 1, 1, 1), (2, 0, 1, 2, 1), (3, 1, 2, 1, 2)]:
    add(f"conv_transpose2d-s{s}-p{p}-op{op}-g{g}-d{d}",
        lambda x, w, b, s=s, p=p, op=op, g=g, d=d: F.conv_transpose2d(x, w, b, s, p, op, g, d),
        lambda t, x, w, b, s=s, p=p, op=op, g=g, d=d: t.nn.functional.conv_transpose2d(
            x, w, b, s, p, op, g, d),
        [N(2, 4, 4, 3), N(4, 6 // g, 3, 2), N(6)], conv.ConvTranspose2d, projections=12)
# ---- fused: pooling ------------------------------------------------------------------------
add("max_pool2d-2", lambda x: F.max_pool2d(x, 2), lambda t, x: t.nn.functional.max_pool2d(x, 2),
    [DISTINCT(2, 3, 6, 5)], pool.MaxPool2d)
add("max_pool2d-k3-s2-p1", lambda x: F.max_pool2d(x, 3, 2, 1),
    lambda t, x: t.nn.functional.max_pool2d(x, 3, 2, 1), [DISTINCT(2, 2, 7, 6)], pool.MaxPool2d)
add("max_pool2d-k2-s1-overlap", lambda x: F.max_pool2d(x, (2, 3), 1),
    lambda t, x: t.nn.functional.max_pool2d(x, (2, 3), 1), [DISTINCT(1, 2, 5, 5)], pool.MaxPool2d)
add("avg_pool2d-2", lambda x: F.avg_pool2d(x, 2), lambda t, x: t.nn.functional.avg_pool2d(x, 2),
    [N(2, 3, 6, 5)], pool.AvgPool2d)
add("avg_pool2d-k3-s2-p1-incl", lambda x: F.avg_pool2d(x, 3, 2, 1),
    lambda t, x: t.nn.functional.avg_pool2d(x, 3, 2, 1), [N(2, 2, 7, 6)], pool.AvgPool2d)
add("avg_pool2d-k3-s2-p1-excl", lambda x: F.avg_pool2d(x, 3, 2, 1, count_include_pad=False),
    lambda t, x: t.nn.functional.avg_pool2d(x, 3, 2, 1, count_include_pad=False),
    [N(2, 2, 7, 6)], pool.AvgPool2d)
add("adaptive_avg_pool2d-1", lambda x: F.adaptive_avg_pool2d(x, 1),
    lambda t, x: t.nn.functional.adaptive_avg_pool2d(x, 1), [N(2, 3, 5, 4)],
    pool.AdaptiveAvgPool2d)
add("adaptive_avg_pool2d-divisible", lambda x: F.adaptive_avg_pool2d(x, (3, 2)),
    lambda t, x: t.nn.functional.adaptive_avg_pool2d(x, (3, 2)), [N(2, 2, 6, 4)],
    pool.AdaptiveAvgPool2d)
add("adaptive_avg_pool2d-uneven", lambda x: F.adaptive_avg_pool2d(x, (3, 4)),
    lambda t, x: t.nn.functional.adaptive_avg_pool2d(x, (3, 4)), [N(1, 2, 5, 7)],
    pool.AdaptiveAvgPool2d)


# ---- fused: normalisation -----------------------------------------------------------------
def _bn(training, shape):
    C = shape[1]
    stats = {}

    def ours(x, w, b):
        rm, rv = np.linspace(-0.2, 0.3, C), np.linspace(0.5, 1.5, C)
        stats["ours"] = (rm, rv)
        return F.batch_norm(x, rm, rv, w, b, training=training, momentum=0.2, eps=1e-3)

    def theirs(t, x, w, b):
        rm, rv = t.linspace(-0.2, 0.3, C), t.linspace(0.5, 1.5, C)
        stats["theirs"] = (rm, rv)
        return t.nn.functional.batch_norm(x, rm, rv, w, b, training=training, momentum=0.2,
                                          eps=1e-3)

    return ours, theirs, stats


for training in (True, False):
    for shp in ((6, 3), (3, 2, 4, 3)):
        o, th, st = _bn(training, shp)
        add(f"batch_norm-{'train' if training else 'eval'}-{len(shp)}d", o, th,
            [N(*shp), N(shp[1]), N(shp[1])], norm.BatchNorm, extra={"stats": st})
add("layer_norm", lambda x, w, b: F.layer_norm(x, (3, 4), w, b),
    lambda t, x, w, b: t.nn.functional.layer_norm(x, (3, 4), w, b), [N(2, 3, 4), N(3, 4), N(3, 4)],
    norm.LayerNorm)
add("layer_norm-noaffine", lambda x: F.layer_norm(x, 5), lambda t, x: t.nn.functional.layer_norm(
    x, (5,)), [N(3, 5)], norm.LayerNorm)
# ---- fused: recurrent ----------------------------------------------------------------------
B, I, H, T = 3, 4, 5, 6
add("lstm_cell", lambda x, h, c, wi, wh, bi, bh: F.lstm_cell(x, (h, c), wi, wh, bi, bh),
    lambda t, x, h, c, wi, wh, bi, bh: t._VF.lstm_cell(x, (h, c), wi, wh, bi, bh),
    [N(B, I), N(B, H), N(B, H), N(4 * H, I), N(4 * H, H), N(4 * H), N(4 * H)], rnn.LSTMCell,
    projections=10)
add("gru_cell", lambda x, h, wi, wh, bi, bh: F.gru_cell(x, h, wi, wh, bi, bh),
    lambda t, x, h, wi, wh, bi, bh: t._VF.gru_cell(x, h, wi, wh, bi, bh),
    [N(B, I), N(B, H), N(3 * H, I), N(3 * H, H), N(3 * H), N(3 * H)], rnn.GRUCell, projections=10)
add("gru_cell-nobias", lambda x, h, wi, wh: F.gru_cell(x, h, wi, wh),
    lambda t, x, h, wi, wh: t._VF.gru_cell(x, h, wi, wh, None, None),
    [N(B, I), N(B, H), N(3 * H, I), N(3 * H, H)], rnn.GRUCell, projections=10)


def _torch_lstm(t, x, h0, c0, wi, wh, bi, bh):
    out, h, c = t._VF.lstm(x, (h0[None], c0[None]), (wi, wh, bi, bh), True, 1, 0.0, False,
                           False, False)
    return out, h[0], c[0]


def _torch_gru(t, x, h0, wi, wh, bi, bh):
    out, h = t._VF.gru(x, h0[None], (wi, wh, bi, bh), True, 1, 0.0, False, False, False)
    return out, h[0]


add("lstm-sequence", lambda x, h0, c0, wi, wh, bi, bh: F.lstm(x, h0, c0, wi, wh, bi, bh),
    _torch_lstm, [N(T, B, I), N(B, H), N(B, H), N(4 * H, I), N(4 * H, H), N(4 * H), N(4 * H)],
    rnn.LSTMLayer, projections=10)
add("gru-sequence", lambda x, h0, wi, wh, bi, bh: F.gru(x, h0, wi, wh, bi, bh), _torch_gru,
    [N(T, B, I), N(B, H), N(3 * H, I), N(3 * H, H), N(3 * H), N(3 * H)], rnn.GRULayer,
    projections=10)
# ---- fused: attention ----------------------------------------------------------------------
_BOOL = np.array([[True, False, True, True], [True, True, False, False], [False, True, True, True]])
add("sdpa-plain", lambda q, k, v: F.scaled_dot_product_attention(q, k, v),
    lambda t, q, k, v: t.nn.functional.scaled_dot_product_attention(q, k, v),
    [N(2, 3, 4), N(2, 4, 4), N(2, 4, 5)], attention.ScaledDotProductAttention)
add("sdpa-boolmask", lambda q, k, v: F.scaled_dot_product_attention(q, k, v, attn_mask=_BOOL),
    lambda t, q, k, v: t.nn.functional.scaled_dot_product_attention(q, k, v,
                                                                    attn_mask=t.tensor(_BOOL)),
    [N(2, 2, 3, 4), N(2, 2, 4, 4), N(2, 2, 4, 3)], attention.ScaledDotProductAttention)
add("sdpa-floatmask", lambda q, k, v, m: F.scaled_dot_product_attention(q, k, v, attn_mask=m),
    lambda t, q, k, v, m: t.nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=m),
    [N(2, 3, 4), N(2, 4, 4), N(2, 4, 5), N(3, 4)], attention.ScaledDotProductAttention)
add("sdpa-causal-scale", lambda q, k, v: F.scaled_dot_product_attention(q, k, v, is_causal=True,
                                                                         scale=0.3),
    lambda t, q, k, v: t.nn.functional.scaled_dot_product_attention(q, k, v, is_causal=True,
                                                                    scale=0.3),
    [N(2, 4, 3), N(2, 4, 3), N(2, 4, 2)], attention.ScaledDotProductAttention)
add("sdpa-dropout-fixed-generator",
    lambda q, k, v: F.scaled_dot_product_attention(q, k, v, dropout_p=0.3, generator=gen(5)),
    None, [N(2, 3, 4), N(2, 4, 4), N(2, 4, 5)], attention.ScaledDotProductAttention)
# ---- fused: losses -------------------------------------------------------------------------
_Y = np.array([1, 0, 3, 3, 2])
_W = np.array([0.3, 1.0, 2.0, 0.7])


def _add_ce(name, target, **kw):
    def ours(x):
        return F.cross_entropy(x, target, **kw)

    def theirs(t, x):
        tk = {k: (t.tensor(v) if isinstance(v, np.ndarray) else v) for k, v in kw.items()}
        return t.nn.functional.cross_entropy(x, t.tensor(target), **tk)

    shape = np.shape(target) if np.asarray(target).dtype.kind == "f" else (
        (len(target), 4) if np.ndim(target) == 1 else (target.shape[0], 4) + target.shape[1:])
    add(name, ours, theirs, [N(*shape)], loss.CrossEntropy)


_Y_IGN = np.array([1, -100, 3, 0, -100])
_Y_IGN2 = np.array([1, 2, 3, 0, 2])
_SOFT = np.random.default_rng(7).dirichlet(np.ones(4), size=5)
_Y3 = np.random.default_rng(8).integers(0, 4, (2, 3, 2))
for red in ("mean", "sum", "none"):
    _add_ce(f"cross_entropy-int-{red}", _Y, reduction=red)
    _add_ce(f"cross_entropy-weight-ignore-smooth-{red}", _Y_IGN, weight=_W, reduction=red,
            label_smoothing=0.15)
    _add_ce(f"cross_entropy-soft-weight-smooth-{red}", _SOFT, weight=_W, reduction=red,
            label_smoothing=0.1)
_add_ce("cross_entropy-ignore_index-2", _Y_IGN2, ignore_index=2)
_add_ce("cross_entropy-weight", _Y, weight=_W)
_add_ce("cross_entropy-smooth", _Y, label_smoothing=0.2)
_add_ce("cross_entropy-spatial", _Y3, weight=_W, label_smoothing=0.05)
for red in ("mean", "sum", "none"):
    add(f"nll_loss-weight-ignore-{red}",
        lambda x, red=red: F.nll_loss(F.log_softmax(x, 1), _Y_IGN2, weight=_W, ignore_index=2,
                                      reduction=red),
        lambda t, x, red=red: t.nn.functional.nll_loss(x.log_softmax(1), t.tensor(_Y_IGN2),
                                                       weight=t.tensor(_W), ignore_index=2,
                                                       reduction=red),
        [N(5, 4)], loss.NLLLoss)
    add(f"bce_with_logits-{red}",
        lambda x, y, red=red: F.binary_cross_entropy_with_logits(
            x, y, weight=_W, pos_weight=np.array([1.0, 2.0, 0.5, 3.0]), reduction=red),
        lambda t, x, y, red=red: t.nn.functional.binary_cross_entropy_with_logits(
            x, y, weight=t.tensor(_W), pos_weight=t.tensor([1.0, 2.0, 0.5, 3.0]), reduction=red),
        [N(3, 4), U(0, 1, 3, 4)], loss.BCEWithLogits)
    add(f"bce-{red}",
        lambda p, y, red=red: F.binary_cross_entropy(p, y, weight=_W, reduction=red),
        lambda t, p, y, red=red: t.nn.functional.binary_cross_entropy(p, y, weight=t.tensor(_W),
                                                                      reduction=red),
        [U(0.05, 0.95, 3, 4), U(0, 1, 3, 4)], loss.BCE)
    add(f"mse-{red}", lambda x, y, red=red: F.mse_loss(x, y, reduction=red),
        lambda t, x, y, red=red: t.nn.functional.mse_loss(x, y, reduction=red),
        [N(3, 4), N(3, 4)], loss.MSELoss)
add("bce_with_logits-plain", lambda x, y: F.binary_cross_entropy_with_logits(x, y),
    lambda t, x, y: t.nn.functional.binary_cross_entropy_with_logits(x, y),
    [N(6), U(0, 1, 6)], loss.BCEWithLogits)


def make_inputs(case, seed=0):
    rng = np.random.default_rng(seed)
    return [m(rng) for m in case.makers]


CASE_IDS = [c.id for c in CASES]
assert len(set(CASE_IDS)) == len(CASE_IDS), "duplicate case ids"
