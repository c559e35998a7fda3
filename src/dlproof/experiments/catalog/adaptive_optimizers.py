# ruff: noqa: E501  (bilingual claim statements are long text)
"""Adaptive learning rates with dlproof.optim (Adagrad, RMSprop, Adam, AdamW, AMSGrad):

(a) exact step sizes under a constant gradient: AdaGrad's step decays like lr/sqrt(t), RMSProp's
    and Adam's stay lr; Adam's bias correction makes the first step exactly lr, while the
    uncorrected update (an ablation written out below) is (1 - b1^t)/sqrt(1 - b2^t) times too big;
(b) scale invariance: multiplying the loss by 1000 leaves Adam's trajectory unchanged, ruins SGD's;
(c) rare informative features in logistic regression: per-parameter rates learn them faster;
(d) Reddi et al.'s online counterexample: Adam converges to the worst point, AMSGrad to the best;
(e) L2 inside Adam vs decoupled weight decay (AdamW).
"""

from __future__ import annotations

import time

import numpy as np

from dlproof.data import digits
from dlproof.engine import tensor
from dlproof.experiments.figures import new_figure
from dlproof.experiments.registry import Report, RunConfig, experiment


def _steps_constant_gradient(opt_cls, steps: int, **kw) -> np.ndarray:
    """|Δθ| per step of an optimizer on f(θ) = g·θ with a constant gradient g = 0.37."""
    x = tensor(np.array([0.0]), requires_grad=True)
    opt = opt_cls([x], **kw)
    out = []
    for _ in range(steps):
        before = x.data.copy()
        opt.zero_grad()
        (x * 0.37).sum().backward()
        opt.step()
        out.append(float(abs(x.data[0] - before[0])))
    return np.array(out)


@experiment(
    "adaptive-optimizers",
    questions=["adaptive-learning-rates"],
    title_en="AdaGrad, RMSProp, Adam: step sizes, bias correction, scale invariance, rare features, AMSGrad and AdamW",
    title_zh="AdaGrad、RMSProp、Adam：步长、偏差修正、尺度不变性、稀有特征、AMSGrad 与 AdamW",
)
def run(cfg: RunConfig, report: Report) -> None:
    import dlproof.nn.functional as F
    from dlproof import nn
    from dlproof.optim import SGD, Adagrad, Adam, AdamW, RMSprop

    t0 = time.perf_counter()
    lr = 0.01

    # (a) step sizes under a constant gradient ------------------------------------------------------
    T = 100
    t = np.arange(1, T + 1)
    s_ada = _steps_constant_gradient(Adagrad, T, lr=lr, eps=1e-12)
    s_rms = _steps_constant_gradient(RMSprop, T, lr=lr, alpha=0.99, eps=1e-12)
    s_adam = _steps_constant_gradient(Adam, T, lr=lr, betas=(0.9, 0.999), eps=1e-12)
    err_ada = float(np.abs(s_ada * np.sqrt(t) / lr - 1).max())
    report.claim(
        "adagrad-step-decays-as-inverse-sqrt-t",
        en="AdaGrad (r ← r + g², θ ← θ − lr·g/√r) with a constant gradient takes steps lr/√t: its effective learning "
           "rate keeps shrinking even when nothing changes (largest |step·√t / lr − 1| over 100 steps).",
        zh="梯度恒定时 AdaGrad（r ← r + g²，θ ← θ − lr·g/√r）第 t 步的步长为 lr/√t：即使什么都没变，有效学习率也不断缩小"
           "（100 步中 |步长·√t / lr − 1| 的最大值）。",
        value=err_ada, op="<", threshold=1e-6, expression="max |step_t·√t / lr − 1|")
    rms_pred = lr / np.sqrt(1 - 0.99 ** t)
    err_rms = float(np.abs(s_rms / rms_pred - 1).max())
    report.metric("rmsprop_step_100_over_lr", s_rms[-1] / lr)
    report.claim(
        "rmsprop-step-does-not-vanish",
        en="RMSProp (r ← ρr + (1 − ρ)g², ρ = 0.99, no bias correction) takes steps lr/√(1 − ρᵗ), which tend to lr instead "
           "of 0: largest relative deviation from that formula over 100 steps.",
        zh="RMSProp（r ← ρr + (1 − ρ)g²，ρ = 0.99，无偏差修正）的步长为 lr/√(1 − ρᵗ)，趋于 lr 而不是 0：100 步中与该公式的最大相对偏差。",
        value=err_rms, op="<", threshold=1e-6, expression="max |step / (lr/√(1 − ρᵗ)) − 1|")
    err_adam = float(np.abs(s_adam / lr - 1).max())
    report.claim(
        "adam-bias-corrected-step-is-lr",
        en="With bias correction (m̂ = m/(1 − β₁ᵗ), v̂ = v/(1 − β₂ᵗ)) Adam's step under a constant gradient is exactly lr "
           "from the very first step (largest |step / lr − 1| over 100 steps, β = (0.9, 0.999)).",
        zh="有偏差修正（m̂ = m/(1 − β₁ᵗ)，v̂ = v/(1 − β₂ᵗ)）时，梯度恒定下 Adam 从第一步起步长恰为 lr（100 步中 |步长 / lr − 1| 的最大值，β = (0.9, 0.999)）。",
        value=err_adam, op="<", threshold=1e-6, expression="max |step / lr − 1|")
    # ablation: the same recursion without bias correction (m, v start at 0)
    g_c, b1, b2 = 0.37, 0.9, 0.999
    m = v = 0.0
    uncorr = []
    for _ in range(T):
        m = b1 * m + (1 - b1) * g_c
        v = b2 * v + (1 - b2) * g_c ** 2
        uncorr.append(lr * m / np.sqrt(v))
    uncorr = np.array(uncorr)
    report.claim(
        "adam-without-correction-wrong-early",
        en="Without bias correction the first step is (1 − β₁)/√(1 − β₂) ≈ 3.16 times lr (β = (0.9, 0.999)): m and v both "
           "start at 0 but v is much more biased toward 0 (ratio of the first uncorrected step to lr).",
        zh="没有偏差修正时，第一步是 lr 的 (1 − β₁)/√(1 − β₂) ≈ 3.16 倍（β = (0.9, 0.999)）：m 和 v 都从 0 开始，但 v 偏向 0 的程度大得多"
           "（未修正的第一步与 lr 之比）。",
        value=float(uncorr[0] / lr), op="between", threshold=(3.1, 3.2), expression="step_1(no correction) / lr")
    report.progress(0.15, "step sizes done")

    # (b) scale invariance on digits softmax regression ----------------------------------------------
    X, y = digits(n=cfg.pick(600, 1797), rng=cfg.rng(0))
    steps = cfg.pick(60, 200)
    rng_b = cfg.rng(1)
    batches = [rng_b.choice(len(X), 64, replace=False) for _ in range(steps)]

    def train(opt_name, scale, lr_):
        model = nn.Linear(64, 10, generator=cfg.rng(2), dtype=np.float64)
        opt = Adam(model.parameters(), lr=lr_, eps=1e-8) if opt_name == "adam" else SGD(model.parameters(), lr=lr_)
        for idx in batches:
            opt.zero_grad()
            loss = F.cross_entropy(model(tensor(X[idx])), tensor(y[idx])) * scale
            loss.backward()
            opt.step()
        W = model.weight.data.copy()
        with_loss = float(F.cross_entropy(model(tensor(X)), tensor(y)).data)
        return W, with_loss

    Wa1, La1 = train("adam", 1.0, 0.01)
    Wa2, La2 = train("adam", 1000.0, 0.01)
    Ws1, Ls1 = train("sgd", 1.0, 0.1)
    Ws2, Ls2 = train("sgd", 1000.0, 0.1)
    adam_dev = float(np.abs(Wa2 - Wa1).max() / np.abs(Wa1).max())
    report.table("loss_scaled_by_1000", ["optimizer", "final loss (loss × 1)", "final loss (loss × 1000)"],
                 [["Adam lr 0.01", f"{La1:.4f}", f"{La2:.4f}"],
                  ["SGD lr 0.1", f"{Ls1:.4f}", f"{Ls2:.4g}" if np.isfinite(Ls2) else "diverged"]])
    report.claim(
        "adam-invariant-to-loss-scale",
        en=f"Multiplying the loss by 1000 leaves Adam's trajectory essentially unchanged (softmax regression on digits, "
           f"{steps} minibatch steps, same batches): largest weight difference relative to the largest weight.",
        zh=f"把损失乘以 1000，Adam 的轨迹基本不变（digits 上的 softmax 回归，{steps} 个小批量步，批次相同）：权重最大差异相对于最大权重。",
        value=adam_dev, op="<", threshold=1e-3, expression="max |W(1000L) − W(L)| / max |W(L)|")
    sgd_dev = float(np.abs(Ws2 - Ws1).max() / np.abs(Ws1).max())
    report.claim(
        "sgd-ruined-by-loss-scale",
        en="…while the same scaling multiplies SGD's steps by 1000 and sends it somewhere else entirely: largest weight "
           "difference relative to the largest weight of the unscaled run (lr 0.1).",
        zh="……而同样的缩放让 SGD 的步长放大 1000 倍，轨迹完全不同：与未缩放运行（lr 0.1）相比，权重最大差异相对于最大权重。",
        value=sgd_dev, op=">", threshold=10.0, expression="max |W(1000L) − W(L)| / max |W(L)|, SGD")
    report.progress(0.35, "scale invariance done")

    # (c) rare informative features: logistic regression -----------------------------------------------
    rng = cfg.rng(3)
    N, d_common, d_rare = 2000, 10, 40
    Xc = (rng.random((N, d_common)) < 0.5).astype(float)
    Xr = (rng.random((N, d_rare)) < 0.02).astype(float)
    Xs = np.concatenate([Xc, Xr], 1)
    w_true = np.concatenate([rng.choice([-1.0, 1.0], d_common) * 0.5, rng.choice([-1.0, 1.0], d_rare) * 3.0])
    logits = Xs @ w_true - (Xs @ w_true).mean()
    ys = (rng.random(N) < 1 / (1 + np.exp(-logits))).astype(float)
    Xs_t, ys_t = tensor(Xs), tensor(ys)
    n_steps = 150  # a fixed budget: the claim is about speed
    opts = {
        "SGD": (SGD, [0.3, 1.0, 3.0, 10.0]),
        "AdaGrad": (Adagrad, [0.03, 0.1, 0.3, 1.0]),
        "RMSProp": (RMSprop, [0.003, 0.01, 0.03, 0.1]),
        "Adam": (Adam, [0.003, 0.01, 0.03, 0.1]),
    }
    sparse_res, sparse_curves = {}, {}
    for name, (cls, grid) in opts.items():
        best = None
        for lr_ in grid:
            w = tensor(np.zeros(d_common + d_rare), requires_grad=True)
            b = tensor(np.zeros(1), requires_grad=True)
            opt = cls([w, b], lr=lr_)
            curve = []
            for _ in range(n_steps):  # full batch: the difference comes from the per-parameter scaling
                opt.zero_grad()
                z = Xs_t @ w + b
                loss = F.binary_cross_entropy_with_logits(z, ys_t)
                curve.append(float(loss.data))
                loss.backward()
                opt.step()
            final = curve[-1] if np.isfinite(curve[-1]) else np.inf
            if best is None or final < best[0]:
                rare_err = float(np.abs(w.data[d_common:] - w_true[d_common:]).mean())
                best = (final, lr_, rare_err, curve)
        sparse_res[name] = best[:3]
        sparse_curves[name] = best[3]
    report.table("rare_features", ["optimizer", "final loss (best lr)", "best lr", "mean |w − w*| on rare features"],
                 [[k, f"{v[0]:.4f}", v[1], f"{v[2]:.3f}"] for k, v in sparse_res.items()])
    adaptive_best = min(sparse_res[k][2] for k in ("AdaGrad", "RMSProp", "Adam"))
    report.claim(
        "adaptive-learns-rare-features",
        en=f"Logistic regression where 40 informative binary features are each present in 2% of the samples "
           f"(full batch, {n_steps} steps, each optimizer at its best learning rate of a 4-point grid): the rare-feature "
           "weights of plain gradient descent stay much farther from the truth than those of the best adaptive method, "
           "because their gradients are 25 times smaller and only a per-parameter rate compensates (ratio of mean |w − w*|).",
        zh=f"逻辑回归中 40 个有信息的二值特征各只出现在 2% 的样本中（全批量，{n_steps} 步，每个优化器取 4 点网格上的最佳学习率）："
           "普通梯度下降在稀有特征上的权重离真值远得多，因为这些梯度小了约 25 倍，只有逐参数的学习率能补偿（平均 |w − w*| 之比）。",
        value=sparse_res["SGD"][2] / adaptive_best, op=">", threshold=1.5,
        expression="rare error(SGD) / min rare error(AdaGrad, RMSProp, Adam)")
    report.progress(0.65, "rare features done")

    # (d) Reddi et al. (2018): Adam converges to the worst point, AMSGrad to the best -----------------
    C = 3.0
    T_online = cfg.pick(1500, 6000)
    reddi = {}
    for ams in (False, True):
        x = tensor(np.array([0.0]), requires_grad=True)
        opt = Adam([x], lr=0.5, betas=(0.0, 1.0 / (1.0 + C * C)), amsgrad=ams)
        xs = np.empty(T_online)
        for k in range(1, T_online + 1):
            opt.param_groups[0]["lr"] = 0.5 / np.sqrt(k)
            opt.zero_grad()
            (x * (C if k % 3 == 1 else -1.0)).sum().backward()
            opt.step()
            x.data[...] = np.clip(x.data, -1.0, 1.0)  # projection onto the feasible set [-1, 1]
            xs[k - 1] = x.data[0]
        reddi["AMSGrad" if ams else "Adam"] = xs
    tail = slice(T_online - T_online // 5, T_online)
    report.claim(
        "adam-fails-reddi-counterexample",
        en="Reddi et al.'s online problem f_t(x) = Cx if t mod 3 = 1 else −x on [−1, 1] (C = 3, β₁ = 0, β₂ = 1/(1 + C²), "
           "lr 0.5/√t): the average gradient is positive so the optimum is x = −1, yet Adam ends at x ≈ +1, the worst "
           "point (mean x over the last 20% of steps), because the rare large gradient C is quickly forgotten by v.",
        zh="Reddi et al. 的在线问题：在 [−1, 1] 上，t mod 3 = 1 时 f_t(x) = Cx，否则为 −x（C = 3，β₁ = 0，β₂ = 1/(1 + C²)，lr 0.5/√t）："
           "平均梯度为正，最优点是 x = −1，但 Adam 停在 x ≈ +1 这个最差点（最后 20% 步的平均 x），因为 v 很快忘掉罕见的大梯度 C。",
        value=float(reddi["Adam"][tail].mean()), op=">", threshold=0.9, expression="mean x (Adam), last 20%")
    report.claim(
        "amsgrad-fixes-it",
        en="AMSGrad (v̂ = max of all past v, so the effective rate never grows) on the same problem converges to the "
           "optimum x = −1 (mean x over the last 20% of steps).",
        zh="AMSGrad（v̂ 取历史上 v 的最大值，有效学习率不会变大）在同一问题上收敛到最优点 x = −1（最后 20% 步的平均 x）。",
        value=float(reddi["AMSGrad"][tail].mean()), op="<", threshold=-0.9, expression="mean x (AMSGrad), last 20%")
    report.progress(0.85, "AMSGrad done")

    # (e) L2 inside Adam vs decoupled weight decay (AdamW) ---------------------------------------------
    sig = np.array([1.0, 0.01])  # two weights, zero-mean alternating loss gradients of different sizes
    wd, lr_w, T_w = 0.1, 0.01, 500
    decay = {}
    for name in ("Adam + L2", "AdamW"):
        x = tensor(np.ones(2), requires_grad=True)
        opt = (Adam([x], lr=lr_w, weight_decay=wd) if name == "Adam + L2" else AdamW([x], lr=lr_w, weight_decay=wd))
        for k in range(T_w):
            opt.zero_grad()
            (x * tensor(sig * (-1.0) ** k)).sum().backward()
            opt.step()
        decay[name] = x.data.copy()
    shrink = {k: -np.log(np.abs(v)) for k, v in decay.items()}  # how much each weight decayed
    report.table("weight_decay", ["method", "final w (gradient scale 1)", "final w (gradient scale 0.01)"],
                 [[k, f"{v[0]:.4f}", f"{v[1]:.4f}"] for k, v in decay.items()])
    ratio_l2 = float(shrink["Adam + L2"][1] / max(shrink["Adam + L2"][0], 1e-12))
    ratio_w = float(shrink["AdamW"][1] / shrink["AdamW"][0])
    report.metric("adamw_decay_ratio", ratio_w)
    report.claim(
        "l2-in-adam-uneven-decay",
        en=f"L2 inside Adam: the decay term wd·θ is divided by √v̂ like the gradient, so a weight with gradients of scale "
           f"0.01 is decayed far more than one with gradients of scale 1 (ratio of −log|w| after {T_w} steps, wd 0.1); "
           "AdamW decays both at the same rate lr·wd.",
        zh=f"把 L2 放进 Adam：衰减项 wd·θ 和梯度一样被 √v̂ 除，所以梯度尺度为 0.01 的权重比尺度为 1 的权重衰减得多得多（{T_w} 步后 −log|w| 之比，wd 0.1）；"
           "AdamW 对两者以相同速率 lr·wd 衰减。",
        value=ratio_l2, op=">", threshold=10.0, expression="shrink(σ = 0.01) / shrink(σ = 1), Adam + L2")
    report.claim(
        "adamw-even-decay",
        en="With decoupled weight decay (AdamW) the two weights shrink by the same factor (1 − lr·wd) per step whatever "
           "their gradient scale (ratio of −log|w|).",
        zh="解耦权重衰减（AdamW）下，两个权重无论梯度尺度如何都每步乘以相同的 (1 − lr·wd)（−log|w| 之比）。",
        value=ratio_w, op="between", threshold=(0.8, 1.25), expression="shrink(σ = 0.01) / shrink(σ = 1), AdamW")

    # figures --------------------------------------------------------------------------------------------
    fig, ax = new_figure(1, 3, size=(12, 3.4))
    ax[0].loglog(t, s_ada / lr, label="AdaGrad")
    ax[0].loglog(t, s_rms / lr, label="RMSProp (ρ = 0.99)")
    ax[0].loglog(t, s_adam / lr, label="Adam (bias-corrected)")
    ax[0].loglog(t, uncorr / lr, "--", label="Adam without correction")
    ax[0].set_xlabel("step t")
    ax[0].set_ylabel("step size / lr (constant gradient)")
    ax[0].legend(fontsize=7)
    ax[0].set_title("effective step sizes")
    for k, c in sparse_curves.items():
        ax[1].semilogy(c, label=f"{k} (lr {sparse_res[k][1]})")
    ax[1].set_xlabel("step (full batch)")
    ax[1].set_ylabel("logistic loss")
    ax[1].legend(fontsize=7)
    ax[1].set_title("rare informative features")
    for k, xs in reddi.items():
        ax[2].plot(np.arange(1, T_online + 1), xs, lw=0.6, label=k)
    ax[2].set_xscale("log")
    ax[2].set_xlabel("t")
    ax[2].set_ylabel("x_t")
    ax[2].legend(fontsize=7)
    ax[2].set_title("Reddi et al. counterexample (optimum −1)")
    report.figure(
        "adaptive", fig,
        en="Left: step size divided by the learning rate under a constant gradient: AdaGrad's shrinks like 1/√t, "
           "RMSProp's and bias-corrected Adam's stay at 1, uncorrected Adam starts 3 times too large. Middle: full-batch "
           "logistic regression with rare informative features, each optimizer at its best learning rate. Right: the "
           "online counterexample of Reddi et al.: Adam drifts to the worst point +1, AMSGrad to the optimum −1.",
        zh="左：梯度恒定时步长除以学习率：AdaGrad 按 1/√t 缩小，RMSProp 和有偏差修正的 Adam 保持为 1，未修正的 Adam 开始时大了 3 倍。"
           "中：含稀有有信息特征的全批量逻辑回归，每个优化器取最佳学习率。右：Reddi et al. 的在线反例：Adam 漂向最差点 +1，AMSGrad 收敛到最优点 −1。")
    report.metric("seconds", time.perf_counter() - t0)
    report.progress(1.0, "done")
