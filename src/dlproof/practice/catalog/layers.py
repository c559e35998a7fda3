# ruff: noqa: E501  (bilingual mistake messages are long text)
"""Convolution arithmetic and forward, max pooling forward/backward, inverted dropout, BatchNorm."""

from __future__ import annotations

import numpy as np

from dlproof.nn import functional as F
from dlproof.practice.catalog._engine import t, value, vjp
from dlproof.practice.exercise import Case, Exercise, Mistake, fd_vjp, register

# ---- conv output size ---------------------------------------------------------------------------


def _ref_out_size(n, k, stride, padding, dilation):
    """Measured, not recited: the engine's conv2d applied to a zero input of height n."""
    x = t(np.zeros((1, 1, n, 1)))
    w = t(np.zeros((1, 1, k, 1)))
    return int(F.conv2d(x, w, stride=(stride, 1), padding=(padding, 0), dilation=(dilation, 1)).shape[2])


def _size_cases(rng):
    fixed = [(32, 3, 1, 1, 1, "'same' 3x3"), (224, 7, 2, 3, 1, "ResNet stem 7x7/2"), (5, 5, 1, 0, 1, "kernel = input"),
             (10, 3, 2, 0, 1, "stride 2 that does not divide evenly"), (16, 3, 1, 2, 2, "dilation 2"),
             (1, 1, 1, 0, 1, "a 1x1 input and kernel"), (7, 3, 3, 1, 1, "stride 3")]
    out = [Case(f"{label}: n={n}, k={k}, s={s}, p={p}, d={d}", "conv_output_size",
                {"n": n, "k": k, "stride": s, "padding": p, "dilation": d}) for n, k, s, p, d, label in fixed]
    for _ in range(4):
        k, d, s, p = int(rng.integers(1, 6)), int(rng.integers(1, 4)), int(rng.integers(1, 4)), int(rng.integers(0, 3))
        n = int(rng.integers(d * (k - 1) + 1, 40))
        out.append(Case(f"random: n={n}, k={k}, s={s}, p={p}, d={d}", "conv_output_size",
                        {"n": n, "k": k, "stride": s, "padding": p, "dilation": d}))
    return out


register(Exercise(
    id="conv-output-size",
    question="conv-output-size",
    title_en="Output size of a convolution with stride, padding and dilation",
    title_zh="带步长、填充和空洞的卷积输出尺寸",
    stub='''
def conv_output_size(n: int, k: int, stride: int, padding: int, dilation: int) -> int:
    """Output length along one axis of a convolution (or pooling) with input length n, kernel k,
    stride, zero padding on EACH side, and dilation, as PyTorch computes it.

    Hint: a dilated kernel covers d(k - 1) + 1 inputs; count how many stride steps fit.
    """
    raise NotImplementedError
''',
    reference={"conv_output_size": _ref_out_size},
    cases=_size_cases,
    mistakes=[
        Mistake("ignores-dilation", "conv_output_size", lambda n, k, stride, padding, dilation: (n + 2 * padding - k) // stride + 1,
                en="dilation is ignored: a dilated kernel spans d(k - 1) + 1 inputs",
                zh="忽略了空洞：空洞卷积核覆盖 d(k - 1) + 1 个输入"),
        Mistake("ceil", "conv_output_size", lambda n, k, stride, padding, dilation: -(-(n + 2 * padding - dilation * (k - 1) - 1) // stride) + 1,
                en="you rounded up: the last partial window is dropped (floor), unless ceil_mode is asked for",
                zh="你向上取整了：最后不完整的窗口被丢弃（向下取整），除非指定 ceil_mode"),
        Mistake("padding-once", "conv_output_size", lambda n, k, stride, padding, dilation: (n + padding - dilation * (k - 1) - 1) // stride + 1,
                en="padding is added on both sides: 2p, not p",
                zh="填充加在两侧：是 2p，不是 p"),
    ],
))

# ---- conv2d forward -----------------------------------------------------------------------------


def _ref_conv2d(x, w, b, stride, padding):
    return value(F.conv2d(t(x), t(w), t(b), stride=stride, padding=padding))


def _conv_cases(rng):
    out = []
    for (n, c, h, wd), (o, kh, kw), s, p in (((1, 1, 5, 5), (1, 3, 3), 1, 0), ((2, 3, 6, 7), (4, 3, 2), 1, 1),
                                              ((2, 2, 7, 7), (3, 3, 3), 2, 1), ((1, 3, 4, 4), (2, 1, 1), 1, 0)):
        out.append(Case(f"x {(n, c, h, wd)}, weight {(o, c, kh, kw)}, stride {s}, padding {p}", "conv2d",
                        {"x": rng.normal(0, 1, (n, c, h, wd)), "w": rng.normal(0, 1, (o, c, kh, kw)),
                         "b": rng.normal(0, 1, o), "stride": s, "padding": p}))
    return out


register(Exercise(
    id="conv2d-forward",
    question="convolution-operation",
    title_en="2-D convolution forward (NCHW, cross-correlation, stride, zero padding)",
    title_zh="二维卷积前向（NCHW、互相关、步长、零填充）",
    stub='''
import numpy as np


def conv2d(x: np.ndarray, w: np.ndarray, b: np.ndarray, stride: int, padding: int) -> np.ndarray:
    """x (N, C, H, W), w (O, C, kh, kw), b (O,) -> (N, O, H_out, W_out), as torch.nn.functional.conv2d.

    out[n, o, i, j] = b[o] + sum_{c, u, v} w[o, c, u, v] * xp[n, c, i*stride + u, j*stride + v],
    xp = x zero-padded by `padding` on each side of H and W.
    Hint: the deep-learning "convolution" does not flip the kernel.
    """
    raise NotImplementedError
''',
    reference={"conv2d": _ref_conv2d},
    cases=_conv_cases,
    mistakes=[
        Mistake("flipped-kernel", "conv2d", lambda x, w, b, stride, padding: _ref_conv2d(x, w[..., ::-1, ::-1].copy(), b, stride, padding),
                en="you flipped the kernel (a true convolution): deep-learning conv layers compute cross-correlation",
                zh="你翻转了卷积核（数学上的卷积）：深度学习的卷积层计算的是互相关"),
        Mistake("no-bias", "conv2d", lambda x, w, b, stride, padding: _ref_conv2d(x, w, np.zeros_like(b), stride, padding),
                en="the bias b[o] is missing", zh="漏加了偏置 b[o]"),
    ],
))

# ---- max pooling forward and backward ----------------------------------------------------------


def _ref_pool(x, k, stride):
    return value(F.max_pool2d(t(x), k, stride=stride))


def _ref_pool_backward(x, grad, k, stride):
    """The engine's reverse mode (routes each window's gradient to its maximum); the inputs are
    continuous random numbers, so ties have probability 0."""
    return vjp(lambda x: F.max_pool2d(x, k, stride=stride), {"x": x}, ["x"], grad)[0]


def _pool_windows(x, k, stride):
    """(N, C, Ho, Wo, k*k) flat input indices of each window."""
    N, C, H, W = x.shape
    Ho, Wo = (H - k) // stride + 1, (W - k) // stride + 1
    rows = (np.arange(Ho) * stride)[:, None, None, None] + np.arange(k)[None, None, :, None]
    cols = (np.arange(Wo) * stride)[None, :, None, None] + np.arange(k)[None, None, None, :]
    idx = (rows * W + cols).reshape(Ho, Wo, k * k)
    base = (np.arange(N * C) * H * W).reshape(N, C, 1, 1, 1)
    return base + idx[None, None]


def _pool_backward_overwrite(x, grad, k, stride):
    win = _pool_windows(x, k, stride)
    flat = x.reshape(-1)
    arg = np.take_along_axis(win, flat[win].argmax(-1)[..., None], -1)[..., 0]
    out = np.zeros(x.size)
    out[arg.reshape(-1)] = grad.reshape(-1)          # assignment: overlapping windows overwrite
    return out.reshape(x.shape)


def _pool_backward_spread(x, grad, k, stride):
    win = _pool_windows(x, k, stride)
    out = np.zeros(x.size)
    np.add.at(out, win.reshape(-1), np.repeat(grad.reshape(-1) / (k * k), k * k))
    return out.reshape(x.shape)


def _pool_cases(rng):
    out = []
    for shape, k, s in (((1, 1, 4, 4), 2, 2), ((2, 3, 6, 5), 2, 2), ((1, 2, 5, 5), 3, 1), ((2, 1, 7, 7), 3, 2)):
        x = rng.normal(0, 1, shape)
        label = f"x {shape}, k={k}, stride={s}" + (" (overlapping windows)" if s < k else "")
        out.append(Case(label, "max_pool2d", {"x": x, "k": k, "stride": s}))
        g = rng.normal(0, 1, _ref_pool(x, k, s).shape)
        out.append(Case(label, "max_pool2d_backward", {"x": x, "grad": g, "k": k, "stride": s}))
    return out


register(Exercise(
    id="max-pool",
    question="pooling",
    title_en="Max pooling forward and backward",
    title_zh="最大池化的前向与反向",
    stub='''
import numpy as np


def max_pool2d(x: np.ndarray, k: int, stride: int) -> np.ndarray:
    """x (N, C, H, W) -> (N, C, (H - k)//stride + 1, (W - k)//stride + 1): max over each k x k window."""
    raise NotImplementedError


def max_pool2d_backward(x: np.ndarray, grad: np.ndarray, k: int, stride: int) -> np.ndarray:
    """dL/dx (N, C, H, W) given x and dL/d(max_pool2d(x)) = grad.

    Hint: each window's gradient goes to its maximum only; windows may overlap (stride < k).
    """
    raise NotImplementedError
''',
    reference={"max_pool2d": _ref_pool, "max_pool2d_backward": _ref_pool_backward},
    cases=_pool_cases,
    mistakes=[
        Mistake("spread-evenly", "max_pool2d_backward", _pool_backward_spread,
                en="you spread the gradient evenly over the window (that is average pooling's backward): only the maximum gets it",
                zh="你把梯度平均分给了整个窗口（那是平均池化的反向）：只有最大值位置得到梯度"),
        Mistake("overwrite-overlaps", "max_pool2d_backward", _pool_backward_overwrite,
                en="with overlapping windows one input can be the maximum of several windows: accumulate (+=), do not assign",
                zh="窗口重叠时一个输入可能是多个窗口的最大值：梯度要累加（+=），不能直接赋值"),
    ],
))

# ---- inverted dropout ---------------------------------------------------------------------------


def _ref_dropout(x, p, u):
    """Inverted dropout as dlproof.nn.functional.dropout defines it (p = DROP probability), with
    the randomness given as uniforms u: element kept iff u >= p."""
    if p == 1.0:
        return np.zeros_like(x)
    return np.where(u >= p, x / (1.0 - p), 0.0)


def _dropout_cases(rng):
    out = []
    for shape, p in (((4, 5), 0.5), ((3, 7), 0.2), ((2, 3), 0.0), ((2, 4), 1.0), ((1, 1), 0.9)):
        out.append(Case(f"x {shape}, p={p}" + {0.0: " (must be the identity)", 1.0: " (everything dropped)"}.get(p, ""),
                        "dropout", {"x": rng.normal(0, 1, shape), "p": p, "u": rng.random(shape)}))
    return out


def _safe(f):
    def g(x, p, u):
        with np.errstate(all="ignore"):
            return f(x, p, u)
    return g


register(Exercise(
    id="inverted-dropout",
    question="dropout-implementation",
    title_en="Inverted dropout in training mode",
    title_zh="训练模式下的 inverted dropout",
    stub='''
import numpy as np


def dropout(x: np.ndarray, p: float, u: np.ndarray) -> np.ndarray:
    """Training-mode inverted dropout of x with DROP probability p; u (same shape as x) holds
    uniform [0, 1) numbers: element i is kept iff u[i] >= p. E[output] must equal x, so that
    evaluation mode is the identity. p = 0: identity; p = 1: all zeros.
    """
    raise NotImplementedError
''',
    reference={"dropout": _ref_dropout},
    cases=_dropout_cases,
    mistakes=[
        Mistake("no-rescale", "dropout", _safe(lambda x, p, u: np.where(u >= p, x, 0.0)),
                en="the kept units are not scaled by 1/(1 - p): E[output] = (1 - p) x, so test time would need rescaling",
                zh="保留的单元没有乘 1/(1 - p)：E[输出] = (1 - p) x，测试时就得再缩放"),
        Mistake("keep-probability", "dropout", _safe(lambda x, p, u: np.where(u < p, x / p, 0.0)),
                en="you treated p as the KEEP probability: here (as in PyTorch) p is the probability of dropping",
                zh="你把 p 当成了保留概率：这里（和 PyTorch 一样）p 是丢弃的概率"),
        Mistake("scale-by-keep", "dropout", _safe(lambda x, p, u: np.where(u >= p, x * (1.0 - p), 0.0)),
                en="you multiplied by (1 - p) during training: inverted dropout DIVIDES by 1 - p",
                zh="你在训练时乘了 (1 - p)：inverted dropout 是除以 1 - p"),
    ],
))

# ---- BatchNorm ----------------------------------------------------------------------------------


def _ref_bn_train(x, gamma, beta, eps):
    rm, rv = np.zeros(x.shape[1]), np.ones(x.shape[1])
    return value(F.batch_norm(t(x), rm, rv, t(gamma), t(beta), training=True, eps=eps))


def _ref_bn_backward(x, gamma, beta, eps, grad):
    return tuple(fd_vjp(_ref_bn_train, {"x": x, "gamma": gamma, "beta": beta, "eps": eps}, ["x", "gamma", "beta"], grad))


def _bn_constant_stats(x, gamma, beta, eps, grad):
    var = x.var(0)
    xhat = (x - x.mean(0)) / np.sqrt(var + eps)
    return grad * gamma / np.sqrt(var + eps), (grad * xhat).sum(0), grad.sum(0)


def _bn_cases(rng):
    out = []
    for n, d in ((8, 3), (2, 4), (16, 1), (5, 6)):
        x = rng.normal(2.0, 3.0, (n, d))
        gamma, beta = rng.normal(1, 0.5, d), rng.normal(0, 1, d)
        out.append(Case(f"x ({n}, {d})", "batchnorm_train", {"x": x, "gamma": gamma, "beta": beta, "eps": 1e-5}))
        out.append(Case(f"x ({n}, {d}) and a random upstream gradient", "batchnorm_backward",
                        {"x": x, "gamma": gamma, "beta": beta, "eps": 1e-5, "grad": rng.normal(0, 1, (n, d))}))
    return out


register(Exercise(
    id="batchnorm-train",
    question="batchnorm",
    title_en="BatchNorm forward and backward in training mode",
    title_zh="训练模式下 BatchNorm 的前向与反向",
    stub='''
import numpy as np


def batchnorm_train(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, eps: float) -> np.ndarray:
    """x (N, D): normalise each feature over the batch with the batch mean and the BIASED batch
    variance, then y = gamma * xhat + beta (gamma, beta (D,)). Returns y (N, D)."""
    raise NotImplementedError


def batchnorm_backward(x, gamma, beta, eps, grad):
    """Given dL/dy = grad (N, D), return (dx (N, D), dgamma (D,), dbeta (D,)).

    Hint: the mean and the variance depend on x too; with xhat and s = sqrt(var + eps):
    dx = (gamma / s) * (grad - mean(grad) - xhat * mean(grad * xhat)), means over the batch.
    """
    raise NotImplementedError
''',
    reference={"batchnorm_train": _ref_bn_train, "batchnorm_backward": _ref_bn_backward},
    cases=_bn_cases,
    rtol=1e-5, atol=1e-6,
    mistakes=[
        Mistake("unbiased-variance", "batchnorm_train",
                lambda x, gamma, beta, eps: gamma * (x - x.mean(0)) / np.sqrt(x.var(0, ddof=1) + eps) + beta,
                en="normalisation uses the biased variance (divide by N); the unbiased one (N - 1) is only for the running estimate",
                zh="归一化用有偏方差（除以 N）；无偏方差（N - 1）只用于滑动估计"),
        Mistake("normalised-over-features", "batchnorm_train",
                lambda x, gamma, beta, eps: gamma * (x - x.mean(1, keepdims=True)) / np.sqrt(x.var(1, keepdims=True) + eps) + beta,
                en="you normalised each example over its features (that is LayerNorm): BatchNorm normalises each feature over the batch",
                zh="你对每个样本在特征维上做了归一化（那是 LayerNorm）：BatchNorm 对每个特征在 batch 维上归一化"),
        Mistake("constant-statistics", "batchnorm_backward", _bn_constant_stats,
                en="dx treats the batch mean and variance as constants: they depend on x, which adds the two mean-correction terms",
                zh="dx 把 batch 的均值和方差当成了常数：它们依赖 x，所以还有两项均值修正"),
    ],
))


def _ref_bn_running(running_mean, running_var, x, momentum):
    rm, rv = running_mean.copy(), running_var.copy()
    F.batch_norm(t(x), rm, rv, None, None, training=True, momentum=momentum)
    return rm, rv


def _ref_bn_eval(x, running_mean, running_var, gamma, beta, eps):
    return value(F.batch_norm(t(x), running_mean.copy(), running_var.copy(), t(gamma), t(beta), training=False, eps=eps))


def _bn_eval_cases(rng):
    out = []
    for n, d in ((6, 3), (2, 2), (10, 1)):
        x = rng.normal(1.0, 2.0, (n, d))
        rm, rv = rng.normal(0, 1, d), rng.uniform(0.5, 2.0, d)
        out.append(Case(f"batch ({n}, {d}), momentum 0.1", "batchnorm_running",
                        {"running_mean": rm, "running_var": rv, "x": x, "momentum": 0.1}))
        out.append(Case(f"one-example-at-a-time inference, x ({n}, {d})", "batchnorm_eval",
                        {"x": x, "running_mean": rm, "running_var": rv, "gamma": rng.normal(1, 0.3, d),
                         "beta": rng.normal(0, 1, d), "eps": 1e-5}))
    return out


register(Exercise(
    id="batchnorm-running-stats",
    question="batchnorm",
    title_en="BatchNorm running statistics and evaluation mode",
    title_zh="BatchNorm 的滑动统计量与评估模式",
    stub='''
import numpy as np


def batchnorm_running(running_mean, running_var, x, momentum):
    """The running estimates after one training batch x (N, D), as PyTorch updates them:
    new = (1 - momentum) * old + momentum * batch statistic, where the batch variance here is the
    UNBIASED one (divide by N - 1). Returns (new_mean (D,), new_var (D,)); do not modify the inputs."""
    raise NotImplementedError


def batchnorm_eval(x, running_mean, running_var, gamma, beta, eps):
    """Evaluation mode: y = gamma * (x - running_mean) / sqrt(running_var + eps) + beta for x (N, D).

    The output of one example must not depend on the others in the batch.
    """
    raise NotImplementedError
''',
    reference={"batchnorm_running": _ref_bn_running, "batchnorm_eval": _ref_bn_eval},
    cases=_bn_eval_cases,
    mistakes=[
        Mistake("biased-running-variance", "batchnorm_running",
                lambda running_mean, running_var, x, momentum: ((1 - momentum) * running_mean + momentum * x.mean(0),
                                                               (1 - momentum) * running_var + momentum * x.var(0)),
                en="the running variance uses the unbiased batch variance (N - 1) in PyTorch's convention",
                zh="按 PyTorch 的约定，滑动方差用无偏的 batch 方差（N - 1）"),
        Mistake("momentum-reversed", "batchnorm_running",
                lambda running_mean, running_var, x, momentum: (momentum * running_mean + (1 - momentum) * x.mean(0),
                                                               momentum * running_var + (1 - momentum) * x.var(0, ddof=1)),
                en="momentum weights the NEW batch statistic in PyTorch (new = (1 - m) old + m batch); you reversed it",
                zh="PyTorch 中 momentum 是新 batch 统计量的权重（new = (1 - m) old + m batch）；你弄反了"),
        Mistake("batch-statistics-at-eval", "batchnorm_eval",
                lambda x, running_mean, running_var, gamma, beta, eps: gamma * (x - x.mean(0)) / np.sqrt(x.var(0) + eps) + beta,
                en="evaluation mode uses the running statistics, not the current batch's (the output must not depend on the batch)",
                zh="评估模式用滑动统计量，而不是当前 batch 的统计量（输出不能依赖 batch 里的其他样本）"),
    ],
))
