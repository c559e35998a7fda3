# ruff: noqa: E501  (bilingual mistake messages are long text)
"""SGD with momentum and Nesterov, Adam with bias correction, gradient clipping by global norm.

References run dlproof.optim on a parameter whose gradient is set from the given sequence, so the
user's update rule is compared with the optimizer the experiments train with."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from dlproof import optim
from dlproof.practice.exercise import Case, Exercise, Mistake, register


def _param(p0):
    return SimpleNamespace(data=np.array(p0, dtype=np.float64), grad=None)


def _trajectory(make_opt, p0, grads):
    p = _param(p0)
    opt = make_opt([p])
    out = []
    for g in grads:                                  # loop over optimisation steps
        p.grad = np.array(g, dtype=np.float64)
        opt.step()
        out.append(p.data.copy())
    return np.stack(out)


def _ref_sgd(p0, grads, lr, momentum, nesterov):
    return _trajectory(lambda ps: optim.SGD(ps, lr=lr, momentum=momentum, nesterov=nesterov), p0, grads)


def _sgd_manual(p0, grads, lr, momentum, nesterov, ema=False, plain_for_nesterov=False):
    p, v, out = np.array(p0, float), np.zeros_like(np.asarray(p0, float)), []
    for g in grads:
        v = momentum * v + ((1 - momentum) * g if ema else g)
        step = g + momentum * v if (nesterov and not plain_for_nesterov) else v
        p = p - lr * step
        out.append(p.copy())
    return np.stack(out)


def _sgd_cases(rng):
    out = []
    for d, steps, mom, nest in ((3, 5, 0.9, False), (1, 8, 0.5, False), (4, 6, 0.9, True), (2, 4, 0.0, False), (2, 5, 0.99, True)):
        out.append(Case(f"d={d}, {steps} steps, momentum {mom}" + (", Nesterov" if nest else ""), "sgd_momentum",
                        {"p0": rng.normal(0, 1, d), "grads": rng.normal(0, 1, (steps, d)), "lr": 0.1,
                         "momentum": mom, "nesterov": nest}))
    return out


register(Exercise(
    id="sgd-momentum",
    question="sgd-lr-momentum",
    title_en="SGD with momentum and Nesterov momentum (PyTorch's form)",
    title_zh="带动量与 Nesterov 动量的 SGD（PyTorch 的形式）",
    stub='''
import numpy as np


def sgd_momentum(p0, grads, lr, momentum, nesterov):
    """Run SGD from p0 (d,) on the gradient sequence grads (T, d) (step t uses grads[t]) and
    return the parameters after every step, (T, d). PyTorch's form, velocity starting at 0:
        v <- momentum * v + g;   p <- p - lr * v                 (heavy ball)
        v <- momentum * v + g;   p <- p - lr * (g + momentum * v)   (nesterov=True)
    """
    raise NotImplementedError
''',
    reference={"sgd_momentum": _ref_sgd},
    cases=_sgd_cases,
    mistakes=[
        Mistake("ema-velocity", "sgd_momentum", lambda **a: _sgd_manual(**a, ema=True),
                en="you averaged v <- μv + (1 − μ)g (an EMA, 'dampening'): PyTorch adds the full gradient, so its steps are 1/(1 − μ) times larger at steady state",
                zh="你用了 v <- μv + (1 − μ)g（指数滑动平均，即 dampening）：PyTorch 加的是完整梯度，稳态步长大 1/(1 − μ) 倍"),
        Mistake("nesterov-as-heavy-ball", "sgd_momentum", lambda **a: _sgd_manual(**a, plain_for_nesterov=True),
                en="with nesterov=True the step is g + μv (the look-ahead), not v",
                zh="nesterov=True 时步长是 g + μv（前瞻一步），而不是 v"),
    ],
))


def _ref_adam(p0, grads, lr, beta1, beta2, eps):
    return _trajectory(lambda ps: optim.Adam(ps, lr=lr, betas=(beta1, beta2), eps=eps), p0, grads)


def _adam_manual(p0, grads, lr, beta1, beta2, eps, correct=True, eps_inside=False):
    p = np.array(p0, float)
    m, v, out = np.zeros_like(p), np.zeros_like(p), []
    for step, g in enumerate(grads, start=1):
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g * g
        mh, vh = (m / (1 - beta1**step), v / (1 - beta2**step)) if correct else (m, v)
        p = p - lr * mh / (np.sqrt(vh + eps) if eps_inside else np.sqrt(vh) + eps)
        out.append(p.copy())
    return np.stack(out)


def _adam_cases(rng):
    out = []
    for d, steps, scale in ((3, 6, 1.0), (1, 10, 1e-3), (4, 4, 10.0)):
        out.append(Case(f"d={d}, {steps} steps, gradients of size {scale:g}", "adam",
                        {"p0": rng.normal(0, 1, d), "grads": rng.normal(0, scale, (steps, d)), "lr": 0.01,
                         "beta1": 0.9, "beta2": 0.999, "eps": 1e-8}))
    out.append(Case("eps = 0.1 (large enough to matter)", "adam",
                    {"p0": rng.normal(0, 1, 3), "grads": rng.normal(0, 0.05, (5, 3)), "lr": 0.01,
                     "beta1": 0.9, "beta2": 0.999, "eps": 0.1}))
    return out


register(Exercise(
    id="adam",
    question="adaptive-learning-rates",
    title_en="Adam with bias correction",
    title_zh="带偏差修正的 Adam",
    stub='''
import numpy as np


def adam(p0, grads, lr, beta1, beta2, eps):
    """Run Adam from p0 (d,) on grads (T, d); return the parameters after every step, (T, d).

    m and v start at 0; step t = 1, 2, ...:
        m <- beta1 m + (1 - beta1) g;   v <- beta2 v + (1 - beta2) g^2
        p <- p - lr * m_hat / (sqrt(v_hat) + eps),  m_hat = m / (1 - beta1^t), v_hat = v / (1 - beta2^t)
    """
    raise NotImplementedError
''',
    reference={"adam": _ref_adam},
    cases=_adam_cases,
    mistakes=[
        Mistake("no-bias-correction", "adam", lambda **a: _adam_manual(**a, correct=False),
                en="bias correction is missing: m and v start at 0, so early m, v are shrunk by (1 − β^t); divide by it",
                zh="漏了偏差修正：m、v 从 0 开始，早期被压小了 (1 − β^t) 倍；要除以它"),
        Mistake("eps-inside-sqrt", "adam", lambda **a: _adam_manual(**a, eps_inside=True),
                en="eps goes outside the square root: sqrt(v_hat) + eps, not sqrt(v_hat + eps)",
                zh="eps 在开方之外：sqrt(v_hat) + eps，而不是 sqrt(v_hat + eps)"),
    ],
))


def _ref_clip(grads, max_norm):
    params = [SimpleNamespace(data=np.zeros_like(g), grad=np.array(g, dtype=np.float64)) for g in grads]
    total = optim.clip_grad_norm_(params, max_norm)
    return [p.grad for p in params], float(total)


def _clip_per_tensor(grads, max_norm):
    out = [g * min(1.0, max_norm / (np.linalg.norm(g) + 1e-6)) for g in grads]
    return out, float(np.sqrt(sum((g**2).sum() for g in grads)))


def _clip_by_value(grads, max_norm):
    return [np.clip(g, -max_norm, max_norm) for g in grads], float(np.sqrt(sum((g**2).sum() for g in grads)))


def _clip_cases(rng):
    out = []
    for shapes, scale, max_norm in ((((3, 4), (4,)), 5.0, 1.0), (((2, 2), (3,), (1,)), 0.01, 1.0), (((5,),), 3.0, 0.5),
                                    (((3, 3), (2,)), 2.0, 100.0)):
        grads = [rng.normal(0, scale, s) for s in shapes]
        label = f"{len(shapes)} tensors of size {scale:g}, max_norm {max_norm:g}"
        out.append(Case(label, "clip_grad_norm", {"grads": grads, "max_norm": max_norm}))
    return out


register(Exercise(
    id="clip-grad-norm",
    question="exploding-gradients",
    title_en="Gradient clipping by global norm",
    title_zh="按全局范数裁剪梯度",
    stub='''
import numpy as np


def clip_grad_norm(grads: list, max_norm: float):
    """Scale ALL gradients by one factor so that their global L2 norm is at most max_norm, as
    torch.nn.utils.clip_grad_norm_: factor = min(1, max_norm / (total_norm + 1e-6)).

    grads: list of arrays. Returns (clipped list, total_norm before clipping). Do not modify the
    inputs in place. Hint: total_norm = sqrt(sum over tensors of sum of squares).
    """
    raise NotImplementedError
''',
    reference={"clip_grad_norm": _ref_clip},
    cases=_clip_cases,
    mistakes=[
        Mistake("per-tensor", "clip_grad_norm", _clip_per_tensor,
                en="you clipped each tensor by its own norm: clipping by the GLOBAL norm scales all of them by one factor, keeping the direction",
                zh="你按每个张量自己的范数裁剪：按全局范数裁剪是所有张量乘同一个因子，方向不变"),
        Mistake("by-value", "clip_grad_norm", _clip_by_value,
                en="that is clipping by value (elementwise), which changes the gradient's direction; clip by the global norm",
                zh="这是按值（逐元素）裁剪，会改变梯度方向；应按全局范数裁剪"),
    ],
))
