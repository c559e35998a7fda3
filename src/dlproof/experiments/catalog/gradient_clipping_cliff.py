# ruff: noqa: E501  (bilingual claim statements are long text)
"""Exploding gradients on an RNN 'cliff' and gradient-norm clipping (after Pascanu et al. 2013).

A one-unit tanh RNN h_t = tanh(w h_{t-1} + b), h_0 = 0.5, run for T = 30 steps, with loss
(h_T - y)^2 and target y = -0.6. For w > 1 the map has two stable fixed points; where the
basin boundary moves past h_0 the final state h_T flips from one to the other, so the loss
surface over (w, b) has a cliff on which the gradient is huge.

Many runs (independent (w, b) starting points, batched as one vector so the engine's autograd
gives every run its own gradient) are trained with plain gradient descent, with gradient-norm
clipping (c = 1, per run) and with value clipping. Measured: the gradient spike on the cliff, the
largest single step, the fraction of runs that end far from the target, and the direction change
caused by each kind of clipping (with dlproof.optim.clip_grad_norm_ / clip_grad_value_).
"""

from __future__ import annotations

import time

import numpy as np

from dlproof.engine import tensor
from dlproof.experiments.figures import new_figure
from dlproof.experiments.registry import Report, RunConfig, experiment

T_STEPS, H0, TARGET = 30, 0.5, -0.6


def _loss(w, b):
    """Per-run loss (h_T - y)^2 for engine tensors w, b of shape (n,)."""
    h = tensor(np.full(w.shape, H0))
    for _ in range(T_STEPS):
        h = (w * h + b).tanh()
    return (h - TARGET) ** 2


def _train(P0, lr, steps, clip):
    """Gradient descent on n independent runs; clip in {None, 'norm', 'value'} (c = 1, per run)."""
    w = tensor(P0[:, 0].copy(), requires_grad=True)
    b = tensor(P0[:, 1].copy(), requires_grad=True)
    n = len(P0)
    traj = [P0.copy()]
    gmax = np.zeros(n)
    jmax = np.zeros(n)
    losses = []
    for _ in range(steps):
        w.grad = b.grad = None
        L = _loss(w, b)
        L.sum().backward()  # runs are independent: d(sum)/d(w_i) is run i's own gradient
        losses.append(L.data.copy())
        g = np.stack([w.grad, b.grad], 1)
        norm = np.linalg.norm(g, axis=1)
        gmax = np.maximum(gmax, norm)
        if clip == "norm":
            g = g * np.minimum(1.0, 1.0 / np.maximum(norm, 1e-12))[:, None]
        elif clip == "value":
            g = np.clip(g, -1.0, 1.0)
        step = lr * g
        jmax = np.maximum(jmax, np.linalg.norm(step, axis=1))
        w.data -= step[:, 0]
        b.data -= step[:, 1]
        traj.append(np.stack([w.data, b.data], 1).copy())
    from dlproof.engine.tensor import no_grad

    with no_grad():
        losses.append(_loss(w, b).data.copy())
    return np.array(traj), np.array(losses), gmax, jmax


@experiment(
    "gradient-clipping-cliff",
    questions=["exploding-gradients", "vanishing-exploding-gradients"],
    title_en="Exploding gradients on an RNN cliff, and gradient clipping",
    title_zh="RNN 损失曲面上的“悬崖”与梯度爆炸，以及梯度裁剪",
)
def run(cfg: RunConfig, report: Report) -> None:
    from dlproof.optim import clip_grad_norm_, clip_grad_value_

    t0 = time.perf_counter()
    rng = cfg.rng(0)
    n = cfg.pick(120, 400)
    steps = cfg.pick(200, 300)
    lr = 0.3
    P0 = np.stack([rng.uniform(1.5, 3.0, n), rng.uniform(0.2, 1.0, n)], 1)
    res = {clip: _train(P0, lr, steps, clip) for clip in (None, "norm", "value")}
    report.progress(0.6, "training done")

    w = tensor(P0[:, 0].copy(), requires_grad=True)
    b = tensor(P0[:, 1].copy(), requires_grad=True)
    _loss(w, b).sum().backward()
    init_norm = np.hypot(w.grad, b.grad)
    spike = float(max(res[c][2].max() for c in res) / np.median(init_norm))
    report.metric("median_initial_grad_norm", np.median(init_norm))
    report.metric("max_grad_norm_seen", max(res[c][2].max() for c in res))
    report.claim(
        "cliff-gradient-spike",
        en="On the RNN loss surface the gradient norm met during training exceeds the median gradient "
           "norm at the starting points by more than 100 times (the cliff).",
        zh="在这个 RNN 的损失曲面上，训练途中遇到的梯度范数超过起点处梯度范数中位数的 100 倍以上（悬崖）。",
        value=spike, op=">", threshold=100, expression="max ||g|| / median ||g_0||")

    tol = 1e-2
    fail = {c: float((res[c][1][-1] > tol).mean()) for c in res}
    jump = {c: float(res[c][3].max()) for c in res}
    far = {c: float((np.linalg.norm(res[c][0][-1] - P0, axis=1) > 5).mean()) for c in res}
    names = {None: "none", "norm": "norm (c=1)", "value": "value (c=1)"}
    report.table("clipping", ["clipping", "runs ending with loss > 0.01", "largest step ||Δθ||",
                              "runs ending > 5 from start"],
                 [[names[c], f"{fail[c]:.3f}", f"{jump[c]:.3g}", f"{far[c]:.3f}"] for c in res])
    for c in res:
        report.metric(f"fail_{names[c].split()[0]}", fail[c])
        report.metric(f"largest_step_{names[c].split()[0]}", jump[c])
    report.claim(
        "unclipped-step-thrown-far",
        en=f"Without clipping a single gradient step on the cliff moves the parameters by more than 10 "
           f"(largest step over {n} runs, learning rate {lr}); with norm clipping no step exceeds lr·c = {lr}.",
        zh=f"不裁剪时，悬崖上的一步梯度更新会把参数移动 10 以上（{n} 次运行中的最大步长，学习率 {lr}）；"
           f"按范数裁剪后任何一步都不超过 lr·c = {lr}。",
        value=jump[None], op=">", threshold=10, expression="max ||Δθ|| without clipping")
    report.claim(
        "norm-clipping-prevents-failures",
        en="Gradient-norm clipping lowers the fraction of runs that end with loss above 0.01 by more "
           "than 0.05 (unclipped fraction minus clipped fraction; same starts, same learning rate).",
        zh="按范数裁剪使最终损失高于 0.01 的运行比例下降 0.05 以上（不裁剪比例减去裁剪比例；起点与学习率相同）。",
        value=fail[None] - fail["norm"], op=">", threshold=0.05,
        expression="fail_none − fail_norm")

    # direction: clip_grad_norm_ keeps it, clip_grad_value_ does not ------------------------------
    j = int(np.argmax(res[None][2]))  # the run with the biggest spike: re-create its worst gradient
    traj = res[None][0][:, j, :]
    ws = tensor(traj[:-1, 0].copy(), requires_grad=True)
    bs = tensor(traj[:-1, 1].copy(), requires_grad=True)
    _loss(ws, bs).sum().backward()
    k = int(np.argmax(np.hypot(ws.grad, bs.grad)))
    raw = np.array([ws.grad[k], bs.grad[k]])
    cos = {}
    for kind in ("norm", "value"):
        pw = tensor(np.array(traj[k, 0]), requires_grad=True)
        pb = tensor(np.array(traj[k, 1]), requires_grad=True)
        pw.grad, pb.grad = np.array(raw[0]), np.array(raw[1])
        if kind == "norm":
            clip_grad_norm_([pw, pb], 1.0)
        else:
            clip_grad_value_([pw, pb], 1.0)
        v = np.array([float(pw.grad), float(pb.grad)])
        cos[kind] = float(v @ raw / (np.linalg.norm(v) * np.linalg.norm(raw)))
    report.metric("cos_norm_clip", cos["norm"])
    report.metric("cos_value_clip", cos["value"])
    report.claim(
        "norm-clip-keeps-direction",
        en="clip_grad_norm_ rescales the cliff gradient without turning it: cosine between clipped and "
           "raw gradient.",
        zh="clip_grad_norm_ 只缩放悬崖处的梯度而不改变方向：裁剪后与原梯度的余弦。",
        value=cos["norm"], op=">", threshold=0.999999, expression="cos(clipped, raw)")
    report.claim(
        "value-clip-turns-direction",
        en="clip_grad_value_ changes the direction of the same gradient: cosine between clipped and raw "
           "gradient is below 0.99.",
        zh="clip_grad_value_ 改变了同一个梯度的方向：裁剪后与原梯度的余弦低于 0.99。",
        value=cos["value"], op="<", threshold=0.99, expression="cos(clipped, raw)")
    report.progress(0.8, "clipping directions done")

    # figures --------------------------------------------------------------------------------------
    from dlproof.engine.tensor import no_grad

    gw = np.linspace(0.0, 4.0, cfg.pick(120, 300))
    gb = np.linspace(-2.0, 2.0, cfg.pick(120, 300))
    Wg, Bg = np.meshgrid(gw, gb, indexing="ij")
    with no_grad():
        surf = _loss(tensor(Wg.ravel()), tensor(Bg.ravel())).data.reshape(Wg.shape)
    fig, ax = new_figure(1, 2, size=(9.2, 3.8))
    cs = ax[0].pcolormesh(gb, gw, surf, shading="auto", cmap="viridis")
    fig.colorbar(cs, ax=ax[0], label="loss (h_T − y)²")
    thrown = np.where((res[None][1][-1] > tol) & (res[None][3] > 1))[0]
    r = int(thrown[0]) if len(thrown) else j
    for c, style in ((None, "w-"), ("norm", "r-")):
        tr = res[c][0][:, r, :]
        ax[0].plot(tr[:, 1], tr[:, 0], style, lw=1.2, label=f"clip: {names[c]}")
        ax[0].plot(tr[0, 1], tr[0, 0], "wo", ms=4)
    ax[0].set_xlim(gb[0], gb[-1])
    ax[0].set_ylim(gw[0], gw[-1])
    ax[0].set_xlabel("b")
    ax[0].set_ylabel("w")
    ax[0].legend(fontsize=7, loc="lower left")
    ax[0].set_title("loss of h_t = tanh(w h_{t−1} + b), T = 30")
    for c, style in ((None, "-"), ("norm", "-"), ("value", "--")):
        ax[1].semilogy(np.median(res[c][1], axis=1) + 1e-16, style, label=f"median, clip {names[c]}")
        ax[1].semilogy(np.quantile(res[c][1], 0.9, axis=1) + 1e-16, style, alpha=0.4,
                       label=f"90th pct, clip {names[c]}")
    ax[1].set_xlabel("step")
    ax[1].set_ylabel("loss")
    ax[1].legend(fontsize=6)
    ax[1].set_title(f"{n} runs, lr {lr}")
    report.figure(
        "cliff", fig,
        en="Left: loss of a one-unit tanh RNN over (b, w); the sharp ridge is the cliff where h_T flips "
           "between the two fixed points. White: a gradient-descent run thrown off the cliff; red: the "
           "same start with gradient-norm clipping. Right: median and 90th-percentile loss over all runs.",
        zh="左：单单元 tanh RNN 的损失随 (b, w) 的变化；尖锐的边界就是悬崖，h_T 在两个不动点之间翻转。"
           "白线：一次被悬崖弹飞的梯度下降；红线：同一起点加上梯度范数裁剪。右：所有运行损失的中位数与 90 分位数。")
    report.metric("seconds", time.perf_counter() - t0)
    report.progress(1.0, "done")
