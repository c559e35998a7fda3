# ruff: noqa: E501  (bilingual claim statements are long text)
"""Why one weight decay for every layer is a choice: scale invariance and decoupled decay.

1. A weight matrix followed by BatchNorm (training mode, eps = 0) is scale invariant: f(cW) = f(W),
   the gradient scales like 1/c and is orthogonal to W.
2. Hence L2 on such a weight does not constrain the function; it only shrinks ||W||, and the
   effective learning rate eta/||W||^2 grows. Exactly: SGD with weight decay alpha on W gives the same
   function at every step as SGD without decay and the learning rate eta (1 - eta alpha)^-(2t+1)
   (Li & Arora 2020). Without decay ||W||^2 grows by eta^2 ||g||^2 each step.
3. For SGD, L2 in the gradient and decoupled decay are the same update; for Adam they are not:
   Adam with L2 converges to the ridge optimum, AdamW (Loshchilov & Hutter 2019) elsewhere.
"""

from __future__ import annotations

import numpy as np

from dlproof.experiments.registry import Report, RunConfig, experiment


def _fig(ncols, w=3.9, h=3.3):
    from matplotlib.figure import Figure

    fig = Figure(figsize=(w * ncols, h), layout="constrained")
    return fig, fig.subplots(1, ncols)


def _bn_net(X, W1, gamma, beta, W2, b2):
    """logits = relu(BN(X W1^T)) W2^T + b2, BatchNorm with batch statistics and eps = 0 (exact
    scale invariance in W1)."""
    import dlproof.nn.functional as F

    z = F.batch_norm(F.linear(X, W1), None, None, gamma, beta, training=True, eps=0.0)
    return F.linear(F.relu(z), W2, b2)


def _train_bn(X, y, init, lr, wd, steps, batches, lr_schedule=None):
    """SGD on the BN net; weight decay ``wd`` on W1 only. ``lr_schedule(t)`` (optional) replaces
    W1's learning rate at step t. Returns per-step W1 norms, W1 gradient norms, logits on X."""
    import dlproof.nn.functional as F
    from dlproof.engine import tensor
    from dlproof.nn.module import Parameter
    from dlproof.optim.sgd import SGD

    W1, gamma, beta, W2, b2 = (Parameter(a.copy()) for a in init)
    opt = SGD([{"params": [W1], "weight_decay": wd}, {"params": [gamma, beta, W2, b2]}], lr=lr)
    norms, gnorms, logits = [float(np.linalg.norm(W1.data))], [], []
    for t in range(steps):  # loop over steps
        idx = batches[t % len(batches)]
        if lr_schedule is not None:
            opt.param_groups[0]["lr"] = lr_schedule(t)
        opt.zero_grad()
        F.cross_entropy(_bn_net(tensor(X[idx]), W1, gamma, beta, W2, b2), y[idx]).backward()
        gnorms.append(float(np.linalg.norm(W1.grad)))
        opt.step()
        norms.append(float(np.linalg.norm(W1.data)))
        logits.append(_bn_net(tensor(X), W1, gamma, beta, W2, b2).data.copy())
    return np.array(norms), np.array(gnorms), np.array(logits)


@experiment(
    "scale-invariant-decay",
    questions=["per-layer-weight-decay"],
    title_en="Weight decay before BatchNorm is a learning-rate change; L2 in Adam is not AdamW",
    title_zh="BatchNorm 之前的权重衰减等于改变学习率；Adam 中的 L2 不等于 AdamW",
)
def run(cfg: RunConfig, report: Report) -> None:
    import dlproof.nn.functional as F
    from dlproof.data import digits
    from dlproof.engine import tensor
    from dlproof.nn.module import Parameter
    from dlproof.optim.adam import Adam, AdamW
    from dlproof.optim.sgd import SGD
    from dlproof.stats.linear import ridge

    rng = cfg.rng(0)
    X, y = digits(np.float64, n=300, rng=cfg.rng(1))
    hidden = 32
    W1 = rng.standard_normal((hidden, 64)) * 0.5  # deliberately large: ||W1|| above its decay equilibrium
    init = [W1, np.ones(hidden), np.zeros(hidden), rng.standard_normal((10, hidden)) / np.sqrt(hidden), np.zeros(10)]

    # (1) scale invariance of W1 -------------------------------------------------------------------
    def loss_and_grad(W):
        Wt = Parameter(W.copy())
        out = _bn_net(tensor(X), Wt, *(tensor(a) for a in init[1:]))
        loss = F.cross_entropy(out, y)
        loss.backward()
        return out.data, Wt.grad.copy()

    out1, g1 = loss_and_grad(W1)
    inv_err, grad_err = 0.0, 0.0
    for c in (0.1, 10.0):
        out_c, g_c = loss_and_grad(c * W1)
        inv_err = max(inv_err, float(np.abs(out_c - out1).max() / np.abs(out1).max()))
        grad_err = max(grad_err, float(np.linalg.norm(c * g_c - g1) / np.linalg.norm(g1)))
    orth = float(abs(np.sum(W1 * g1)) / (np.linalg.norm(W1) * np.linalg.norm(g1)))
    report.claim(
        "bn-output-scale-invariant",
        en="A layer W followed by BatchNorm (batch statistics, eps = 0), on 300 digits: multiplying W by 0.1 or 10 leaves the network's logits unchanged (largest relative change), so an L2 penalty on W cannot change which functions the net can express.",
        zh="在 300 张 digits 上，后接 BatchNorm（批统计量、eps = 0）的层 W：把 W 乘以 0.1 或 10，网络的 logits 不变（最大相对变化），所以对 W 的 L2 惩罚不能改变网络能表达的函数。",
        value=inv_err, op="<", threshold=1e-10, expression="max_c max|f(cW) − f(W)| / max|f(W)|")
    report.claim(
        "bn-gradient-scales-inversely",
        en="Its gradient scales inversely with the weight's scale, ∇L(cW) = ∇L(W)/c (largest relative error over c ∈ {0.1, 10}), and is orthogonal to W (|⟨W, ∇L⟩|/(||W|| ||∇L||), also below the threshold): a larger ||W|| means smaller relative steps.",
        zh="它的梯度与权重尺度成反比：∇L(cW) = ∇L(W)/c（c ∈ {0.1, 10} 上的最大相对误差），且与 W 正交（|⟨W, ∇L⟩|/(||W|| ||∇L||) 也低于阈值）：||W|| 越大，相对步长越小。",
        value=max(grad_err, orth), op="<", threshold=1e-10, expression="max(||c∇L(cW) − ∇L(W)||/||∇L(W)||, cos∠(W, ∇L))")
    report.progress(0.2, "scale invariance")

    # (2) weight decay = growing learning rate --------------------------------------------------------
    steps = cfg.pick(120, 400)
    lr, wd = 0.2, cfg.pick(0.02, 0.01)
    perm = cfg.rng(2).permutation(len(X))
    batches = [perm[i:i + 50] for i in range(0, len(X), 50)]
    n_wd, g_wd, f_wd = _train_bn(X, y, init, lr, wd, steps, batches)
    n_sched, _, f_sched = _train_bn(X, y, init, lr, 0.0, steps, batches,
                                    lr_schedule=lambda t: lr * (1 - lr * wd) ** (-(2 * t + 1)))
    n_0, g_0, f_0 = _train_bn(X, y, init, lr, 0.0, steps, batches)
    same_fn = float(np.abs(f_wd - f_sched).max() / np.abs(f_wd).max())
    report.claim(
        "decay-equals-exponential-lr",
        en=f"SGD (η = {lr}, minibatches of 50) with weight decay α = {wd} on the BatchNorm-preceded layer computes, at every one of {steps} steps, the same function as SGD without decay whose learning rate for that layer grows as η(1 − ηα)^−(2t+1) (Li & Arora 2020): largest relative logit difference over the whole run.",
        zh=f"在后接 BatchNorm 的层上用权重衰减 α = {wd} 的 SGD（η = {lr}，批大小 50），在 {steps} 步中的每一步都与不带衰减、该层学习率按 η(1 − ηα)^−(2t+1) 增长的 SGD 计算同一个函数（Li & Arora 2020）：整个训练过程中 logits 的最大相对差。",
        value=same_fn, op="<", threshold=1e-8, expression="max_t max|f_wd − f_sched| / max|f_wd|")
    incr = np.diff(n_0 ** 2)
    pyth = float(np.abs(incr - (lr * g_0) ** 2).max() / np.abs(incr).max())
    report.claim(
        "norm-grows-without-decay",
        en="Without decay the gradient's orthogonality makes ||W||² grow by exactly η²||∇L||² each step (largest relative deviation of the increments), so ||W|| only grows and the effective learning rate η/||W||² only falls.",
        zh="没有衰减时，由于梯度正交，||W||² 每步恰好增长 η²||∇L||²（增量的最大相对偏差），所以 ||W|| 只增不减，有效学习率 η/||W||² 只减不增。",
        value=pyth, op="<", threshold=1e-6, expression="max_t |Δ||W||² − η²||g||²| / max Δ||W||²")
    eff_gain = float((n_wd[0] / n_wd[-1]) ** 2)
    eff_gain0 = float((n_0[0] / n_0[-1]) ** 2)
    report.metric("effective_lr_gain_with_decay", eff_gain)
    report.metric("effective_lr_gain_without_decay", eff_gain0)
    report.claim(
        "decay-raises-effective-lr",
        en=f"With decay α = {wd}, ||W|| falls from {n_wd[0]:.2f} to {n_wd[-1]:.2f} over the run and the effective learning rate η/||W||² rises by the factor shown; without decay it falls (factor {eff_gain0:.2f}).",
        zh=f"衰减 α = {wd} 时 ||W|| 在训练中从 {n_wd[0]:.2f} 降到 {n_wd[-1]:.2f}，有效学习率 η/||W||² 按所示倍数上升；没有衰减时它下降（倍数 {eff_gain0:.2f}）。",
        value=eff_gain if eff_gain0 < 1 else 0.0, op=">", threshold=2.0, expression="(||W_0||/||W_T||)² with decay (0 unless < 1 without)")
    step_rel_wd = lr * g_wd / n_wd[:-1]
    step_rel_0 = lr * g_0 / n_0[:-1]
    report.progress(0.65, "weight decay as learning rate")

    # (3) L2 vs decoupled: SGD identical, Adam different ------------------------------------------------
    r3 = cfg.rng(3)
    n = 200
    scales = np.array([10.0, 1.0, 0.1])
    Xl = r3.standard_normal((n, 3)) * scales
    yl = Xl @ (1.0 / scales) + 0.1 * r3.standard_normal(n)  # each feature contributes O(1)
    a = 0.1

    def fit(make_opt, iters, decoupled_by_hand=False):
        w = Parameter(np.zeros(3))
        opt = make_opt([w])
        Xt, yt = tensor(Xl), tensor(yl)
        for _ in range(iters):  # loop over full-batch steps
            opt.zero_grad()
            r = Xt @ w - yt
            (0.5 * (r @ r) / n).backward()  # mean loss 1/(2n)||Xw - y||^2
            if decoupled_by_hand:
                w.data *= 1 - opt.param_groups[0]["lr"] * a  # decoupled decay, then a plain step
            opt.step()
        return w.data.copy()

    sgd_lr = 0.009
    w_sgd_l2 = fit(lambda p: SGD(p, lr=sgd_lr, weight_decay=a), 300)
    w_sgd_dec = fit(lambda p: SGD(p, lr=sgd_lr), 300, decoupled_by_hand=True)
    sgd_same = float(np.abs(w_sgd_l2 - w_sgd_dec).max() / np.abs(w_sgd_l2).max())
    report.claim(
        "sgd-l2-equals-decoupled",
        en="For SGD the two are one update: weight_decay in the gradient and decoupled shrinking w ← (1 − ηα)w before the step give the same weights after 300 steps (largest relative difference).",
        zh="对 SGD 两者是同一个更新：梯度中的 weight_decay 与步前解耦收缩 w ← (1 − ηα)w，300 步后权重相同（最大相对差）。",
        value=sgd_same, op="<", threshold=1e-12, expression="max|w_L2 − w_dec| / max|w_L2|")
    iters = cfg.pick(3000, 5000)
    w_adam = fit(lambda p: Adam(p, lr=0.01, weight_decay=a), iters)
    w_adamw = fit(lambda p: AdamW(p, lr=0.01, weight_decay=a), iters)
    w_ridge = ridge(Xl, yl, a * n)  # the minimiser of 1/(2n)||Xw − y||² + a/2 ||w||²
    w_ols = ridge(Xl, yl, 0.0)
    adam_gap = float(np.linalg.norm(w_adam - w_ridge) / np.linalg.norm(w_ridge))
    adamw_gap = float(np.linalg.norm(w_adamw - w_ridge) / np.linalg.norm(w_ridge))
    report.table("adam_vs_adamw", ["feature scale", "least squares", "ridge (α = 0.1)", "Adam + L2", "AdamW"],
                 [[float(s), f"{o:.3f}", f"{r_:.3f}", f"{p:.3f}", f"{q:.3f}"] for s, o, r_, p, q in zip(scales, w_ols, w_ridge, w_adam, w_adamw)])
    report.claim(
        "adam-l2-converges-to-ridge",
        en=f"Adam with weight_decay = {a} (the penalty's gradient goes through the adaptive denominator) converges on linear regression with feature scales 10, 1, 0.1 to the L2-regularised optimum, the ridge solution (relative distance after {iters} full-batch steps).",
        zh=f"weight_decay = {a} 的 Adam（惩罚的梯度也经过自适应分母）在特征尺度为 10、1、0.1 的线性回归上收敛到 L2 正则化的最优点，即岭回归解（{iters} 步全批量后的相对距离）。",
        value=adam_gap, op="<", threshold=1e-3, expression="||w_Adam − w_ridge|| / ||w_ridge||")
    kept_ratio = float((w_adamw[2] / w_ols[2]) / (w_adam[2] / w_ols[2]))
    report.claim(
        "adamw-differs-from-l2-adam",
        en=f"AdamW with the same coefficient ends elsewhere (relative distance to ridge {adamw_gap:.2f}): along the low-curvature feature (scale 0.1) it keeps many times more of the least-squares weight than Adam + L2 does (ratio of kept fractions), because its decay is not divided by the small √v of that coordinate.",
        zh=f"同一系数的 AdamW 停在别处（到岭回归解的相对距离 {adamw_gap:.2f}）：沿低曲率特征（尺度 0.1），它保留的最小二乘权重是 Adam + L2 的许多倍（保留比例之比），因为它的衰减没有被该坐标较小的 √v 放大。",
        value=kept_ratio if adamw_gap > 0.3 else 0.0, op=">", threshold=4.0, expression="(w_AdamW/w_LS) / (w_Adam+L2/w_LS) on the scale-0.1 feature (0 unless AdamW is > 0.3 away from ridge)")

    fig, axs = _fig(2)
    t = np.arange(steps + 1)
    axs[0].plot(t, n_wd, label=f"decay α = {wd}")
    axs[0].plot(t, n_0, label="no decay")
    axs[0].plot(t, n_sched, "--", label="no decay, exp. growing lr")
    axs[0].set_xlabel("step")
    axs[0].set_ylabel("||W₁|| (before BatchNorm)")
    axs[0].legend(fontsize=7)
    axs[1].semilogy(np.arange(steps), step_rel_wd, label=f"decay α = {wd}")
    axs[1].semilogy(np.arange(steps), step_rel_0, label="no decay")
    axs[1].set_xlabel("step")
    axs[1].set_ylabel("relative step η||∇W₁||/||W₁||")
    axs[1].legend(fontsize=7)
    report.figure("norm_and_effective_step", fig,
                  en="Left: the norm of the BatchNorm-preceded weight with and without decay (the exponential-lr run without decay grows its norm instead: same function, different scale). Right: the effective relative step grows under decay and shrinks without.",
                  zh="左：后接 BatchNorm 的权重在有/无衰减时的范数（无衰减、学习率指数增长的那次训练范数反而增长：函数相同，尺度不同）。右：有效相对步长在衰减下增大，无衰减时减小。")
