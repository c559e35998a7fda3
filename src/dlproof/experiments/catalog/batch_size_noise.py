# ruff: noqa: E501  (bilingual claim statements are long text)
"""Batch size and the stability of minibatch updates, on digits.

(a) Softmax regression: per-example gradients from the engine (gradient of the summed loss with
    respect to the logits, then outer products with the inputs), minibatch gradients as count
    matrices times the per-example gradients: E||g_B - g||^2 = tr(Sigma)/B, slope -1 on log-log.
(b) Least squares on digits (Hessian X^T X / N known in closed form), trained with
    dlproof.optim.SGD for many learning rates at once (replica r's loss is scaled by lr_r and the
    optimizer's lr is 1): roughness of the loss curve, the largest stable learning rate per batch
    size (it grows with B and saturates at the full-batch limit 2/lambda_max), and steps to a target
    loss with the learning rate tuned per B (near-linear speed-up, then a plateau).
"""

from __future__ import annotations

import time

import numpy as np

from dlproof.data import digits
from dlproof.engine import tensor
from dlproof.experiments.figures import new_figure
from dlproof.experiments.measure import loglog_slope
from dlproof.experiments.registry import Report, RunConfig, experiment

BATCHES = [1, 4, 16, 64, 256, 1024]


def _per_example_grads(X, y, W):
    """Per-example gradients (N, K*D + K) of the softmax cross-entropy at weights W (K, D), bias 0."""
    import dlproof.nn.functional as F

    logits = tensor(X @ W.T, requires_grad=True)
    F.cross_entropy(logits, tensor(y), reduction="sum").backward()
    delta = logits.grad  # (N, K): p - onehot, per example
    return np.concatenate([(delta[:, :, None] * X[:, None, :]).reshape(len(X), -1), delta], 1)


def _sgd_many_lrs(X, Y, lrs, batch, steps, rng, eval_every=1, stop_below=None):
    """SGD on 1/2 mean ||X W - Y||^2 for every learning rate in ``lrs`` at once (same minibatches).
    Returns full-data losses, shape (steps // eval_every + 1, len(lrs)), stopped as soon as any replica
    gets below ``stop_below``. The full loss uses the closed form
    1/2 tr(W^T H W) - tr(W^T C) + 1/2 ||Y||^2 / N with H = X^T X / N and C = X^T Y / N."""
    from dlproof.optim import SGD

    R, D, K = len(lrs), X.shape[1], Y.shape[1]
    W = tensor(np.zeros((D, R * K)), requires_grad=True)  # replica r owns columns r*K .. r*K + K - 1
    scale = tensor(np.repeat(np.asarray(lrs, float), K))
    opt = SGD([W], lr=1.0)
    H = X.T @ X / len(X)
    C = X.T @ Y / len(X)
    c0 = 0.5 * float((Y ** 2).sum()) / len(X)

    def full_loss(Wd):
        Wr = Wd.reshape(D, R, K)
        return 0.5 * np.einsum("drk,drk->r", np.einsum("de,erk->drk", H, Wr), Wr) - np.einsum("drk,dk->r", Wr, C) + c0

    out = [full_loss(W.data)]
    n = len(X)
    dead = np.zeros(R, bool)  # replicas that blew up: parked at 0 (inf/NaN would slow BLAS down) and reported as inf
    for k in range(steps):
        idx = rng.choice(n, batch, replace=False) if batch < n else np.arange(n)
        xb, yb = tensor(X[idx]), tensor(np.tile(Y[idx], (1, R)))
        opt.zero_grad()
        res = xb @ W - yb  # (B, R*K)
        (0.5 * (scale * res * res).sum() / batch).backward()
        opt.step()
        dead |= np.abs(W.data).reshape(D, R, K).max((0, 2)) > 1e6
        W.data.reshape(D, R, K)[:, dead, :] = 0.0
        if (k + 1) % eval_every == 0:
            out.append(np.where(dead, np.inf, full_loss(W.data)))
            if stop_below is not None and np.any(out[-1] <= stop_below):
                break
    return np.array(out)


@experiment(
    "batch-size-noise",
    questions=["batch-size-stability"],
    title_en="Batch size: gradient noise ∝ 1/B, rougher updates, the largest stable learning rate, and diminishing returns",
    title_zh="批大小：梯度噪声 ∝ 1/B、更新的粗糙程度、最大稳定学习率与收益递减",
)
def run(cfg: RunConfig, report: Report) -> None:
    t0 = time.perf_counter()
    X, y = digits()
    N = len(X)

    # (a) variance of the minibatch gradient -------------------------------------------------------------
    W0 = cfg.rng(0).normal(0, 0.05, (10, 64))
    G = _per_example_grads(X, y, W0)  # (N, P)
    g_full = G.mean(0)
    tr_sigma = float(((G - g_full) ** 2).sum(1).mean())
    rng = cfg.rng(1)
    var_b = []
    for B in BATCHES:
        reps = max(cfg.pick(200, 500), cfg.pick(4000, 10000) // B)
        idx = rng.integers(0, N, (reps, B))  # sampling with replacement
        if B <= 16:
            gb = G[idx].mean(1)
        else:
            counts = np.zeros((reps, N))
            np.add.at(counts, (np.repeat(np.arange(reps), B), idx.ravel()), 1.0)
            gb = counts @ G / B
        var_b.append(float(((gb - g_full) ** 2).sum(1).mean()))
    var_b = np.array(var_b)
    slope = loglog_slope(BATCHES, var_b)
    dev = float(np.abs(var_b * np.array(BATCHES) / tr_sigma - 1).max())
    report.table("gradient_variance", ["B", "E||g_B − g||²", "tr(Σ)/B"],
                 [[B, f"{v:.4g}", f"{tr_sigma / B:.4g}"] for B, v in zip(BATCHES, var_b)])
    report.claim(
        "gradient-variance-slope",
        en="The minibatch gradient of softmax regression on digits is an unbiased estimate whose squared error "
           "E||g_B − g||² falls like 1/B: log-log slope against B ∈ {1 … 1024} (sampling with replacement).",
        zh="digits 上 softmax 回归的小批量梯度是无偏估计，其平方误差 E||g_B − g||² 按 1/B 下降：对 B ∈ {1 … 1024} 的双对数斜率（有放回抽样）。",
        value=slope, op="between", threshold=(-1.1, -0.9), expression="slope of log E||g_B − g||² vs log B")
    report.claim(
        "gradient-variance-closed-form",
        en="…and it equals tr(Σ)/B, with Σ the covariance of the per-example gradients, so 4 times the batch only halves "
           "the standard error (largest relative deviation over the six batch sizes).",
        zh="……并且等于 tr(Σ)/B（Σ 为单样本梯度的协方差），所以批大小扩大 4 倍只能让标准误减半（六个批大小中的最大相对偏差）。",
        value=dev, op="<", threshold=0.25, expression="max |E||g_B − g||² · B / tr(Σ) − 1|")
    report.progress(0.2, "gradient variance done")

    # least squares on digits: closed-form curvature ---------------------------------------------------
    Y = np.eye(10)[y]
    Y = Y - Y.mean(0)
    H = X.T @ X / N
    lam_max = float(np.linalg.eigvalsh(H)[-1])
    lr_full = 2.0 / lam_max
    W_star = np.linalg.lstsq(X, Y, rcond=None)[0]
    L_star = float(0.5 * ((X @ W_star - Y) ** 2).sum() / N)
    L0 = float(0.5 * (Y ** 2).sum() / N)
    report.metric("lambda_max", lam_max)

    # (b) roughness of the loss curve at a fixed learning rate ----------------------------------------
    rough_B = [1, 16, 256]
    lr_fix = 0.05 * lr_full
    rough = {}
    curves_fixed = {}
    steps_r = cfg.pick(150, 300)
    for B in rough_B:
        c = _sgd_many_lrs(X, Y, [lr_fix], B, steps_r, cfg.rng(2))[:, 0]
        curves_fixed[B] = c
        rough[B] = float(np.std(np.diff(c[steps_r // 2:])))
    report.table("roughness", ["B", "std of step-to-step change of the full loss (second half)"],
                 [[B, f"{rough[B]:.3g}"] for B in rough_B])
    report.claim(
        "small-batch-rougher",
        en=f"At the same learning rate (0.05·2/λmax), the full-data loss moves far more erratically from step to step with "
           f"B = 1 than with B = 256: ratio of the std of step-to-step loss changes over the second half of {steps_r} steps.",
        zh=f"学习率相同（0.05·2/λmax）时，B = 1 的全数据损失逐步变化比 B = 256 时剧烈得多：{steps_r} 步后半段中逐步损失变化的标准差之比。",
        value=rough[1] / rough[256], op=">", threshold=10.0, expression="std Δloss (B = 1) / std Δloss (B = 256)")

    # (c) the largest stable learning rate per batch size -------------------------------------------------
    qs = np.logspace(-2.5, 0.3, cfg.pick(15, 29))  # lr = q · 2/λmax
    steps_s = cfg.pick(150, 300)
    q_star = {}
    for B in BATCHES:
        L = _sgd_many_lrs(X, Y, qs * lr_full, B, steps_s, cfg.rng(3), eval_every=steps_s)
        ok = np.isfinite(L[-1]) & (L[-1] < L0)
        q_star[B] = float(qs[ok].max()) if ok.any() else 0.0
    report.table("max_stable_lr", ["B", "largest stable lr / (2/λmax)"], [[B, f"{q_star[B]:.3g}"] for B in BATCHES])
    report.claim(
        "stable-lr-grows-with-batch",
        en=f"Least squares on digits, SGD for {steps_s} steps: the largest learning rate that does not diverge is many "
           "times larger at B = 1024 than at B = 1 (ratio), because single-example curvature ||x||² is much larger than λmax.",
        zh=f"digits 上的最小二乘，SGD 训练 {steps_s} 步：不发散的最大学习率在 B = 1024 时比 B = 1 时大很多倍（比值），因为单个样本的曲率 ||x||² 远大于 λmax。",
        value=q_star[1024] / max(q_star[1], 1e-12), op=">", threshold=5.0, expression="lr*(B = 1024) / lr*(B = 1)")
    report.claim(
        "stable-lr-saturates-at-full-batch-limit",
        en="…and it saturates at the full-batch limit 2/λmax: the largest stable learning rate at B = 1024 divided by "
           "2/λmax (grid spacing ≈ 25%).",
        zh="……并且饱和于全批量的上限 2/λmax：B = 1024 时最大稳定学习率除以 2/λmax（网格间隔约 25%）。",
        value=q_star[1024], op="between", threshold=(0.7, 1.05), expression="lr*(B = 1024) · λmax / 2")
    report.progress(0.6, "stable learning rates done")

    # (d) steps to a target with lr ∝ B up to the cap ------------------------------------------------------
    target = L_star + 0.05 * (L0 - L_star)
    max_steps = 2000
    steps_to = {}
    lr_used = {}
    batches_d = BATCHES
    for B in batches_d:
        c = _sgd_many_lrs(X, Y, qs * lr_full, B, max_steps, cfg.rng(4), eval_every=1, stop_below=target)
        reached = c[-1] <= target
        steps_to[B] = len(c) - 1 if reached.any() else max_steps
        lr_used[B] = float(qs[np.argmin(np.where(reached, c[-1], np.inf))] * lr_full) if reached.any() else float("nan")
    report.table("steps_to_target", ["B", "fastest lr of the grid", "steps to reach the target loss", "examples seen"],
                 [[B, f"{lr_used[B]:.3g}", steps_to[B] if steps_to[B] < max_steps else f"> {max_steps}",
                   steps_to[B] * B if steps_to[B] < max_steps else f"> {max_steps * B}"] for B in batches_d])
    report.claim(
        "linear-speedup-small-batch",
        en="With the learning rate tuned for each batch size (the fastest of the grid), going from B = 4 to B = 64 cuts the steps "
           "needed to reach the target loss (95% of the way from the initial to the optimal loss) by a large factor: "
           "below the critical batch size, larger batches buy almost proportionally fewer steps (ratio of steps).",
        zh="每个批大小都取网格中最快的学习率，从 B = 4 到 B = 64，达到目标损失（从初始损失到最优损失走完 95%）所需步数大幅减少："
           "在临界批大小以下，更大的批几乎按比例换来更少的步数（步数之比）。",
        value=steps_to[4] / max(steps_to[64], 1) if steps_to[4] < max_steps else 0.0, op=">", threshold=5.0,
        expression="steps(B = 4) / steps(B = 64), B = 4 must reach the target")
    report.claim(
        "diminishing-returns-large-batch",
        en="Once the stable learning rate saturates at the full-batch limit, larger batches give diminishing returns: going "
           "from B = 64 to B = 1024 costs 16 times the examples per step but saves far less than 16 times the steps "
           "(step saving divided by 16, i.e. the data efficiency of the larger batch).",
        zh="当稳定学习率饱和于全批量上限后，更大的批收益递减：从 B = 64 到 B = 1024，每步处理的样本多 16 倍，步数却远没有减少 16 倍"
           "（步数减少倍数除以 16，即大批量的数据效率）。",
        value=steps_to[64] / max(steps_to[1024], 1) / 16, op="<", threshold=0.5, expression="(steps(B = 64) / steps(B = 1024)) / 16")
    report.progress(0.9, "steps to target done")

    # figures -------------------------------------------------------------------------------------------
    fig, ax = new_figure(2, 2, size=(8.6, 6.6))
    ax = ax.ravel()
    ax[0].loglog(BATCHES, var_b, "o-", label="measured")
    ax[0].loglog(BATCHES, tr_sigma / np.array(BATCHES), "k:", label="tr(Σ)/B")
    ax[0].set_xlabel("batch size B")
    ax[0].set_ylabel("E||g_B − g||²")
    ax[0].legend(fontsize=7)
    ax[0].set_title("gradient noise (softmax regression)")
    for B in rough_B:
        ax[1].plot(curves_fixed[B], lw=0.8, label=f"B = {B}")
    ax[1].set_xlabel("step")
    ax[1].set_ylabel("full-data loss")
    ax[1].set_title("same lr, different B (least squares)")
    ax[1].legend(fontsize=7)
    ax[2].semilogx(BATCHES, [q_star[B] for B in BATCHES], "o-")
    ax[2].axhline(1.0, color="k", ls=":", lw=0.8)
    ax[2].set_xlabel("batch size B")
    ax[2].set_ylabel("largest stable lr / (2/λmax)")
    ax[2].set_title("stability limit")
    reached_b = [B for B in batches_d if steps_to[B] < max_steps]
    ax[3].loglog(reached_b, [steps_to[B] for B in reached_b], "o-", label="steps (B that reached the target)")
    ax[3].loglog(batches_d, [steps_to[4] * 4 / B for B in batches_d], "k:", label="perfect scaling")
    ax[3].set_xlabel("batch size B")
    ax[3].set_ylabel("steps to target loss")
    ax[3].set_ylim(bottom=1)
    ax[3].legend(fontsize=7)
    ax[3].set_title("lr tuned per batch size")
    report.figure(
        "batch-size", fig,
        en="Top left: squared error of the minibatch gradient against batch size, on the line tr(Σ)/B. Top right: full-data "
           "loss during SGD at the same learning rate: B = 1 is much rougher. Bottom left: the largest stable learning rate "
           "grows with B and saturates at the full-batch limit 2/λmax (dotted). Bottom right: steps to the target loss with "
           "the learning rate tuned for each batch size: near-linear speed-up at small B, then a plateau.",
        zh="左上：小批量梯度的平方误差随批大小的变化，落在 tr(Σ)/B 直线上。右上：相同学习率下 SGD 过程中的全数据损失：B = 1 粗糙得多。"
           "左下：最大稳定学习率随 B 增大，并饱和于全批量上限 2/λmax（虚线）。右下：每个批大小取最佳学习率时达到目标损失的步数："
           "小批量时近似线性加速，之后进入平台。")
    report.metric("seconds", time.perf_counter() - t0)
    report.progress(1.0, "done")
