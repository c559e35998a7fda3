# ruff: noqa: E501  (bilingual mistake messages are long text)
"""Softmax, its Jacobian and backward, log-sum-exp, softmax cross-entropy and its gradient."""

from __future__ import annotations

import numpy as np

from dlproof.nn import functional as F
from dlproof.practice.catalog._engine import t, value
from dlproof.practice.exercise import Case, Exercise, Mistake, fd_vjp, register


def _logits(rng, shapes=((1, 1), (1, 7), (5, 3), (4, 10))):
    return [rng.normal(0, 2, s) for s in shapes]


def _ref_softmax(z):
    return value(F.softmax(t(z), dim=-1))


def _naive_softmax(z):
    e = np.exp(z)
    return e / e.sum(-1, keepdims=True)


def _softmax_cases(rng):
    cases = [Case(f"logits of shape {z.shape}", "softmax", {"z": z}) for z in _logits(rng)]
    big = rng.normal(0, 1, (3, 6)) * 5 + 900.0
    cases.append(Case("large logits (about 900): e^z overflows unless you shift", "softmax", {"z": big}))
    cases.append(Case("very negative logits (about -900)", "softmax", {"z": -big}))
    cases.append(Case("a 1-D vector", "softmax", {"z": rng.normal(0, 1, 5)}))
    return cases


register(Exercise(
    id="softmax-stable",
    question="softmax-overflow-underflow",
    title_en="Numerically stable softmax over the last axis",
    title_zh="数值稳定的 softmax（沿最后一维）",
    stub='''
import numpy as np


def softmax(z: np.ndarray) -> np.ndarray:
    """softmax along the last axis of z (any shape (..., K)); same shape out.

    s_i = exp(z_i) / sum_k exp(z_k). Must stay finite for logits of size 1000 or -1000.
    Hint: softmax(z) = softmax(z - c) for any constant c per row.
    """
    raise NotImplementedError
''',
    reference={"softmax": _ref_softmax},
    cases=_softmax_cases,
    mistakes=[
        Mistake("no-max-shift", "softmax", _naive_softmax,
                en="exp(z) overflows for large logits: subtract the row maximum before exponentiating",
                zh="大 logit 时 exp(z) 上溢：取指数前先减去每行的最大值"),
        Mistake("wrong-axis", "softmax", lambda z: np.exp(z - z.max(0)) / np.exp(z - z.max(0)).sum(0),
                en="you normalised over the first axis (the batch); softmax normalises each row, axis -1",
                zh="你在第一维（batch）上归一化了；softmax 应对每一行（最后一维）归一化"),
    ],
))


def _ref_jacobian(s):
    return np.diag(s) - np.outer(s, s)


def _jacobian_cases(rng):
    out = []
    for k in (1, 2, 5, 9):
        s = _ref_softmax(rng.normal(0, 1.5, k))
        out.append(Case(f"a probability vector of length {k}", "softmax_jacobian", {"s": s}))
    out.append(Case("a nearly one-hot vector", "softmax_jacobian", {"s": _ref_softmax(np.array([8.0, 0, -1, 0.5]))}))
    return out


register(Exercise(
    id="softmax-jacobian",
    question="softmax-derivative",
    title_en="The Jacobian of softmax",
    title_zh="softmax 的 Jacobian 矩阵",
    stub='''
import numpy as np


def softmax_jacobian(s: np.ndarray) -> np.ndarray:
    """J[i, j] = d s_i / d z_j for s = softmax(z), given s (K,) (not z); returns (K, K).

    Hint: differentiate log s_i = z_i - log sum_k exp(z_k), then multiply by s_i.
    """
    raise NotImplementedError
''',
    reference={"softmax_jacobian": _ref_jacobian},
    cases=_jacobian_cases,
    mistakes=[
        Mistake("diagonal-only", "softmax_jacobian", lambda s: np.diag(s * (1 - s)),
                en="you used s_i(1 - s_i) only: the off-diagonal terms -s_i s_j are missing",
                zh="你只写了 s_i(1 - s_i)：缺少非对角项 -s_i s_j"),
        Mistake("sign-flipped", "softmax_jacobian", lambda s: np.outer(s, s) - np.diag(s),
                en="the sign is flipped: J = diag(s) - s s^T, positive on the diagonal",
                zh="符号反了：J = diag(s) - s s^T，对角线为正"),
    ],
))


def _ref_softmax_backward(z, grad):
    return fd_vjp(_ref_softmax, {"z": z}, ["z"], grad)[0]


def _softmax_backward_cases(rng):
    out = []
    for z in _logits(rng, ((1, 4), (3, 5), (2, 2))):
        out.append(Case(f"logits {z.shape} and a random upstream gradient", "softmax_backward",
                        {"z": z, "grad": rng.normal(0, 1, z.shape)}))
    z = rng.normal(0, 1, (2, 4)) + 500.0
    out.append(Case("large logits (about 500)", "softmax_backward", {"z": z, "grad": rng.normal(0, 1, z.shape)}))
    return out


def _elementwise_backward(z, grad):
    s = _naive_softmax(z - z.max(-1, keepdims=True))
    return grad * s * (1 - s)


register(Exercise(
    id="softmax-backward",
    question="softmax-derivative",
    title_en="Backward of softmax without building the Jacobian",
    title_zh="不构造 Jacobian 的 softmax 反向传播",
    stub='''
import numpy as np


def softmax_backward(z: np.ndarray, grad: np.ndarray) -> np.ndarray:
    """Given logits z (N, K) and dL/ds = grad (N, K) for s = softmax(z) row-wise, return dL/dz (N, K).

    O(N K) memory: do not build the K x K Jacobian. Stay finite for large logits.
    Hint: J^T g = s * (g - <g, s>) per row.
    """
    raise NotImplementedError
''',
    reference={"softmax_backward": _ref_softmax_backward},
    cases=_softmax_backward_cases,
    rtol=1e-5, atol=1e-7,   # the reference is a finite difference
    mistakes=[
        Mistake("diagonal-only", "softmax_backward", _elementwise_backward,
                en="you multiplied by s(1 - s) elementwise: that is the diagonal of the Jacobian only; "
                   "the -s_i s_j terms give the -<g, s> correction",
                zh="你逐元素乘了 s(1 - s)：这只是 Jacobian 的对角线；-s_i s_j 项带来 -<g, s> 修正"),
    ],
))


def _ref_logsumexp(z):
    return value(F.logsumexp(t(z), dim=-1))


def _lse_cases(rng):
    cases = [Case(f"z of shape {z.shape}", "logsumexp", {"z": z}) for z in _logits(rng)]
    cases.append(Case("large z (about 1000)", "logsumexp", {"z": rng.normal(0, 1, (2, 5)) + 1000.0}))
    cases.append(Case("very negative z (about -1000): the sum underflows to 0 unless you shift",
                      "logsumexp", {"z": rng.normal(0, 1, (2, 5)) - 1000.0}))
    return cases


register(Exercise(
    id="logsumexp",
    question="softmax-overflow-underflow",
    title_en="log-sum-exp that neither overflows nor underflows",
    title_zh="既不上溢也不下溢的 log-sum-exp",
    stub='''
import numpy as np


def logsumexp(z: np.ndarray) -> np.ndarray:
    """log(sum_k exp(z_k)) over the last axis of z (..., K); returns shape (...).

    Must be exact for z around +1000 and around -1000.
    Hint: log sum exp(z) = m + log sum exp(z - m) with m = max_k z_k.
    """
    raise NotImplementedError
''',
    reference={"logsumexp": _ref_logsumexp},
    cases=_lse_cases,
    mistakes=[
        Mistake("no-max-shift", "logsumexp", lambda z: np.log(np.exp(z).sum(-1)),
                en="exp(z) overflows (z ≈ 1000) or the sum underflows to 0 (z ≈ -1000): factor out the maximum",
                zh="exp(z) 上溢（z ≈ 1000）或求和下溢为 0（z ≈ -1000）：先提出最大值"),
        Mistake("max-only", "logsumexp", lambda z: z.max(-1),
                en="max_k z_k alone is only a bound: add log sum exp(z - max)",
                zh="只取 max_k z_k 只是一个界：还要加上 log sum exp(z - max)"),
    ],
))


def _ref_ce(logits, targets):
    return float(value(F.cross_entropy(t(logits), np.asarray(targets))))


def _ref_ce_grad(logits, targets):
    return fd_vjp(lambda logits: np.array(_ref_ce(logits, targets)), {"logits": logits}, ["logits"],
                  np.array(1.0))[0]


def _ce_cases(rng):
    out = []
    for n, k in ((1, 2), (4, 3), (6, 10), (3, 1)):
        logits = rng.normal(0, 2, (n, k))
        targets = rng.integers(0, k, n)
        out.append(Case(f"N={n}, K={k}", "cross_entropy", {"logits": logits, "targets": targets}))
        out.append(Case(f"N={n}, K={k}", "cross_entropy_grad", {"logits": logits, "targets": targets}))
    logits = rng.normal(0, 1, (3, 4)) * 3 + np.array([0, 0, 0, 800.0])
    targets = np.array([0, 1, 3])
    out.append(Case("one logit about 800 (log of softmax underflows)", "cross_entropy",
                    {"logits": logits, "targets": targets}))
    out.append(Case("one logit about 800", "cross_entropy_grad", {"logits": logits, "targets": targets}))
    return out


def _ce_naive(logits, targets):
    s = _naive_softmax(logits)
    return float(-np.log(s[np.arange(len(targets)), targets]).mean())


def _ce_grad_sum(logits, targets):
    s = _naive_softmax(logits - logits.max(-1, keepdims=True))
    s[np.arange(len(targets)), targets] -= 1
    return s


register(Exercise(
    id="cross-entropy-from-logits",
    question="ce-vs-mse-output",
    title_en="Softmax cross-entropy from logits and its gradient",
    title_zh="由 logit 计算 softmax 交叉熵及其梯度",
    stub='''
import numpy as np


def cross_entropy(logits: np.ndarray, targets: np.ndarray) -> float:
    """Mean over the batch of -log softmax(logits)[n, targets[n]].

    logits (N, K) floats, targets (N,) integer class indices in [0, K). Stable for logits of 1000.
    Hint: -log softmax(z)_y = logsumexp(z) - z_y.
    """
    raise NotImplementedError


def cross_entropy_grad(logits: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """d cross_entropy / d logits, shape (N, K).

    Hint: for one example it is softmax(z) - onehot(y); mind the mean over N.
    """
    raise NotImplementedError
''',
    reference={"cross_entropy": _ref_ce, "cross_entropy_grad": _ref_ce_grad},
    cases=_ce_cases,
    rtol=1e-5, atol=1e-7,
    mistakes=[
        Mistake("log-of-softmax", "cross_entropy", _ce_naive,
                en="log(softmax) underflows to log 0 for large logit gaps: use logsumexp(z) - z_y",
                zh="logit 差距很大时 log(softmax) 下溢成 log 0：用 logsumexp(z) - z_y"),
        Mistake("sum-not-mean", "cross_entropy_grad", _ce_grad_sum,
                en="this is the gradient of the summed loss: divide by N for the mean",
                zh="这是求和损失的梯度：均值损失还要除以 N"),
        Mistake("logits-minus-onehot", "cross_entropy_grad",
                lambda logits, targets: (logits - np.eye(logits.shape[1])[targets]) / len(targets),
                en="you used z - onehot(y): the gradient is softmax(z) - onehot(y) (the softmax is missing)",
                zh="你用了 z - onehot(y)：梯度是 softmax(z) - onehot(y)（漏了 softmax）"),
    ],
))
