# ruff: noqa: E501  (bilingual mistake messages are long text)
"""Activation derivatives, backprop through a two-layer MLP, Xavier/He initialisation scales."""

from __future__ import annotations

import math

import numpy as np

from dlproof import nn
from dlproof.nn import functional as F
from dlproof.practice.catalog._engine import t, value, vjp
from dlproof.practice.exercise import Case, Exercise, Mistake, fd_vjp, register


def _act_backward(fn):
    """The engine's reverse mode (exact, and ReLU'(0) = 0 as in PyTorch, which finite
    differences at 0 would blur to 1/2)."""
    return lambda x, grad: vjp(lambda x: fn(x), {"x": x}, ["x"], grad)[0]


def _act_cases(rng):
    out = []
    for name in ("relu_backward", "sigmoid_backward", "tanh_backward"):
        for shape in ((5,), (3, 4)):
            x = rng.normal(0, 2, shape)
            out.append(Case(f"x {shape}", name, {"x": x, "grad": rng.normal(0, 1, shape)}))
        x = np.array([-30.0, -1.0, 0.0, 1.0, 30.0])
        out.append(Case("x in {-30, -1, 0, 1, 30}: saturation and the kink at 0", name,
                        {"x": x, "grad": rng.normal(0, 1, 5)}))
    return out


def _sig(x):
    return 0.5 * (1 + np.tanh(0.5 * x))


register(Exercise(
    id="activation-derivatives",
    question="activation-catalog",
    title_en="Backward of ReLU, sigmoid and tanh",
    title_zh="ReLU、sigmoid 和 tanh 的反向传播",
    stub='''
import numpy as np


def relu_backward(x: np.ndarray, grad: np.ndarray) -> np.ndarray:
    """dL/dx for y = max(x, 0) given dL/dy = grad; use ReLU'(0) = 0 (PyTorch's convention)."""
    raise NotImplementedError


def sigmoid_backward(x: np.ndarray, grad: np.ndarray) -> np.ndarray:
    """dL/dx for y = 1 / (1 + exp(-x)) given dL/dy = grad. Stay finite at x = -1000."""
    raise NotImplementedError


def tanh_backward(x: np.ndarray, grad: np.ndarray) -> np.ndarray:
    """dL/dx for y = tanh(x) given dL/dy = grad."""
    raise NotImplementedError
''',
    reference={"relu_backward": _act_backward(F.relu), "sigmoid_backward": _act_backward(F.sigmoid),
               "tanh_backward": _act_backward(F.tanh)},
    cases=_act_cases,
    mistakes=[
        Mistake("relu-one-at-zero", "relu_backward", lambda x, grad: grad * (x >= 0),
                en="at x = 0 you passed the gradient (ReLU'(0) = 1); any value in [0, 1] is a valid subgradient, but PyTorch and dlproof use 0",
                zh="在 x = 0 处你让梯度通过了（ReLU'(0) = 1）；[0, 1] 中任何值都是合法的次梯度，但 PyTorch 和 dlproof 取 0"),
        Mistake("sigmoid-of-input", "sigmoid_backward", lambda x, grad: grad * x * (1 - x),
                en="you applied s(1 - s) to x itself: the derivative is σ(x)(1 − σ(x)), evaluated at the OUTPUT σ(x)",
                zh="你把 s(1 - s) 用在了 x 上：导数是 σ(x)(1 − σ(x))，要在输出 σ(x) 处计算"),
        Mistake("sigmoid-missing-factor", "sigmoid_backward", lambda x, grad: grad * _sig(x),
                en="the factor (1 − σ(x)) is missing: σ'(x) = σ(x)(1 − σ(x)) ≤ 1/4",
                zh="漏了因子 (1 − σ(x))：σ'(x) = σ(x)(1 − σ(x)) ≤ 1/4"),
        Mistake("tanh-not-squared", "tanh_backward", lambda x, grad: grad * (1 - np.tanh(x)),
                en="tanh'(x) = 1 − tanh²(x): the tanh must be squared",
                zh="tanh'(x) = 1 − tanh²(x)：tanh 要平方"),
    ],
))


# ---- two-layer MLP backprop ---------------------------------------------------------------------


def _mlp_loss(X, W1, b1, W2, b2, Y):
    """L = 1/(2N) sum_n ||W2 relu(W1 x_n + b1) + b2 - y_n||² through the engine."""
    h = F.relu(F.linear(t(X), t(W1), t(b1)))
    out = F.linear(h, t(W2), t(b2))
    return float(value(((out - t(Y)) ** 2).sum() / (2 * X.shape[0])))


def _ref_mlp_backward(X, W1, b1, W2, b2, Y):
    args = {"X": X, "W1": W1, "b1": b1, "W2": W2, "b2": b2, "Y": Y}
    return tuple(fd_vjp(lambda **a: np.array(_mlp_loss(**a)), args, ["W1", "b1", "W2", "b2"], np.array(1.0)))


def _mlp_manual(X, W1, b1, W2, b2, Y, mask=True, mean=True):
    a = X @ W1.T + b1
    h = np.maximum(a, 0)
    d_out = (h @ W2.T + b2 - Y) / (X.shape[0] if mean else 1)
    da = (d_out @ W2) * ((a > 0) if mask else 1.0)
    return da.T @ X, da.sum(0), d_out.T @ h, d_out.sum(0)


def _mlp_cases(rng):
    out = []
    for n, d, hdim, o in ((4, 3, 5, 2), (1, 2, 3, 1), (6, 4, 4, 3)):
        args = {"X": rng.normal(0, 1, (n, d)), "W1": rng.normal(0, 0.8, (hdim, d)), "b1": rng.normal(0, 0.5, hdim),
                "W2": rng.normal(0, 0.8, (o, hdim)), "b2": rng.normal(0, 0.5, o), "Y": rng.normal(0, 1, (n, o))}
        out.append(Case(f"N={n}, D={d}, H={hdim}, O={o}", "mlp_backward", args))
    return out


register(Exercise(
    id="mlp-backward",
    question="backprop-derivation",
    title_en="Backpropagation through a two-layer ReLU network by hand",
    title_zh="手推两层 ReLU 网络的反向传播",
    stub='''
import numpy as np


def mlp_backward(X, W1, b1, W2, b2, Y):
    """Gradients of L = 1/(2N) sum_n || W2 relu(W1 x_n + b1) + b2 - y_n ||^2.

    X (N, D), W1 (H, D), b1 (H,), W2 (O, H), b2 (O,), Y (N, O) (weights as nn.Linear: (out, in)).
    Returns (dW1, db1, dW2, db2) with the parameters' shapes.
    Hint: delta_out = (out - Y) / N; delta_hidden = (delta_out @ W2) * relu'(pre-activation).
    """
    raise NotImplementedError
''',
    reference={"mlp_backward": _ref_mlp_backward},
    cases=_mlp_cases,
    rtol=1e-5, atol=1e-7,
    mistakes=[
        Mistake("no-relu-mask", "mlp_backward", lambda **a: _mlp_manual(**a, mask=False),
                en="the ReLU derivative is missing: the hidden delta must be zeroed where the pre-activation is ≤ 0",
                zh="漏了 ReLU 的导数：预激活 ≤ 0 的位置，隐藏层 delta 要置零"),
        Mistake("sum-not-mean", "mlp_backward", lambda **a: _mlp_manual(**a, mean=False),
                en="the 1/N of the mean loss is missing (these are the gradients of the summed loss)",
                zh="漏了均值损失的 1/N（这是求和损失的梯度）"),
    ],
))


# ---- initialisation scales ----------------------------------------------------------------------


def _engine_fans(shape):
    return nn.init.calculate_fan_in_and_fan_out(t(np.zeros(shape)))


def _ref_xavier(shape):
    fan_in, fan_out = _engine_fans(shape)
    return float(math.sqrt(6.0 / (fan_in + fan_out)))       # uniform(-a, a), std = gain sqrt(2/(fi+fo))


def _ref_he(shape):
    fan_in, _ = _engine_fans(shape)
    return float(nn.init.calculate_gain("relu") / math.sqrt(fan_in))


def _init_cases(rng):
    shapes = [(256, 128), (10, 784), (64, 3, 3, 3), (1, 1), (128, 64, 5, 5)]
    out = []
    for s in shapes:
        out.append(Case(f"weight shape {s}", "xavier_uniform_bound", {"shape": s}))
        out.append(Case(f"weight shape {s}", "he_normal_std", {"shape": s}))
    return out


def _fans_dense_only(shape):
    return shape[1], shape[0]


register(Exercise(
    id="init-scales",
    question="weight-initialization",
    title_en="Xavier/Glorot and He/Kaiming initialisation scales, dense and conv weights",
    title_zh="Xavier/Glorot 与 He/Kaiming 初始化尺度（全连接与卷积权重）",
    stub='''
import math


def xavier_uniform_bound(shape: tuple) -> float:
    """The bound a of Xavier/Glorot uniform init U(-a, a) for a weight of this shape:
    Linear (out, in) or Conv (out, in, kh, kw); the variance is 2 / (fan_in + fan_out).
    Hint: fan_in of a conv weight counts its receptive field; Var(U(-a, a)) = a^2 / 3."""
    raise NotImplementedError


def he_normal_std(shape: tuple) -> float:
    """The standard deviation of He/Kaiming normal init (fan_in mode, ReLU gain) for this shape."""
    raise NotImplementedError
''',
    reference={"xavier_uniform_bound": _ref_xavier, "he_normal_std": _ref_he},
    cases=_init_cases,
    mistakes=[
        Mistake("std-as-bound", "xavier_uniform_bound", lambda shape: math.sqrt(2.0 / sum(_engine_fans(shape))),
                en="that is the STANDARD DEVIATION sqrt(2/(fan_in+fan_out)); the uniform bound is sqrt(3) times larger, sqrt(6/(fan_in+fan_out))",
                zh="这是标准差 sqrt(2/(fan_in+fan_out))；均匀分布的边界还要乘 sqrt(3)，即 sqrt(6/(fan_in+fan_out))"),
        Mistake("lecun-not-he", "he_normal_std", lambda shape: 1.0 / math.sqrt(_engine_fans(shape)[0]),
                en="1/sqrt(fan_in) is LeCun init; ReLU zeroes half the signal, so He init uses sqrt(2/fan_in)",
                zh="1/sqrt(fan_in) 是 LeCun 初始化；ReLU 砍掉一半信号，所以 He 初始化用 sqrt(2/fan_in)"),
        Mistake("conv-fans-without-receptive-field", "he_normal_std",
                lambda shape: math.sqrt(2.0 / _fans_dense_only(shape)[0]),
                en="for a conv weight (out, in, kh, kw), fan_in = in * kh * kw: the receptive field counts",
                zh="卷积权重 (out, in, kh, kw) 的 fan_in = in * kh * kw：感受野也要算上"),
    ],
))
