# ruff: noqa: E501  (bilingual claim statements are long text)
"""SGD, the learning rate and momentum: what momentum does to ill-conditioning (iterations ~ sqrt(kappa)
instead of kappa), what it does *not* do to gradient noise (at equal effective step lr/(1 - beta)
it leaves the stationary loss unchanged), why a constant learning rate stalls at a noise floor
while a decaying one keeps going, and an LR range test on a digits MLP.

Every optimizer step is ``dlproof.optim.SGD`` (heavy ball = PyTorch's momentum form) on engine
tensors. Replicas of the noisy quadratic are rows of one tensor (the loss is a sum over rows).
"""

from __future__ import annotations

import time

import numpy as np

from dlproof.data import digits
from dlproof.engine import tensor
from dlproof.experiments.figures import new_figure
from dlproof.experiments.measure import loglog_slope
from dlproof.experiments.registry import Report, RunConfig, experiment


def quad_iterations(kappa: float, momentum: bool, tol: float = 1e-6, max_iter: int = 200_000):
    """Iterations of GD / heavy ball (optimal constants) on 1/2 (x^2 + y^2/kappa) from (1, 1)
    until ||x|| <= tol ||x0||. Returns (iterations, path)."""
    from dlproof.optim import SGD

    L, mu = 1.0, 1.0 / kappa
    h = tensor(np.array([L, mu]))
    x = tensor(np.array([1.0, 1.0]), requires_grad=True)
    if momentum:
        lr = 4.0 / (np.sqrt(L) + np.sqrt(mu)) ** 2
        beta = ((np.sqrt(kappa) - 1) / (np.sqrt(kappa) + 1)) ** 2
        opt = SGD([x], lr=lr, momentum=beta)
    else:
        opt = SGD([x], lr=2.0 / (L + mu))
    x0 = np.sqrt(2.0)
    path = [x.data.copy()]
    for k in range(1, max_iter + 1):
        opt.zero_grad()
        (0.5 * (h * x * x).sum()).backward()
        opt.step()
        if k <= 400:
            path.append(x.data.copy())
        if np.linalg.norm(x.data) <= tol * x0:
            return k, np.array(path)
    return max_iter, np.array(path)


def noisy_quadratic(lams, lr, beta, sigma, steps, reps, rng, decay=None, nesterov=False):
    """SGD(lr, momentum=beta) on f = 1/2 sum lam_i x_i^2 with gradient noise N(0, sigma^2) added
    to every coordinate; ``reps`` independent replicas. Returns the mean loss per step."""
    from dlproof.optim import SGD

    d = len(lams)
    h = tensor(np.broadcast_to(lams, (reps, d)).copy())
    x = tensor(np.zeros((reps, d)), requires_grad=True)
    opt = SGD([x], lr=lr, momentum=beta, nesterov=nesterov)
    out = np.empty(steps)
    for k in range(steps):
        if decay is not None:
            opt.param_groups[0]["lr"] = decay(k)
        opt.zero_grad()
        noise = tensor(sigma * rng.standard_normal((reps, d)))
        (0.5 * (h * x * x).sum() + (noise * x).sum()).backward()
        opt.step()
        out[k] = 0.5 * float((lams * x.data ** 2).sum(1).mean())
    return out


def stationary_loss(lams, lr, beta, sigma):
    """Closed form of E f at stationarity for SGD with heavy-ball momentum on the noisy quadratic:
    per coordinate E x^2 = lr sigma^2 (1 + beta) / (lam (1 - beta) (2 (1 + beta) - lr lam))."""
    ex2 = lr * sigma ** 2 * (1 + beta) / (lams * (1 - beta) * (2 * (1 + beta) - lr * lams))
    return float(0.5 * (lams * ex2).sum())


@experiment(
    "sgd-momentum",
    questions=["sgd-lr-momentum"],
    title_en="SGD and momentum: √κ iterations on ill-conditioned quadratics, no noise reduction at equal effective step, LR decay and the LR range test",
    title_zh="SGD 与动量：病态二次函数上迭代次数 √κ、等效步长相同时不降低噪声、学习率衰减与学习率范围测试",
)
def run(cfg: RunConfig, report: Report) -> None:
    import dlproof.nn.functional as F
    from dlproof import nn
    from dlproof.engine.tensor import no_grad
    from dlproof.optim import SGD

    t0 = time.perf_counter()

    # (a) ill-conditioning: GD ~ kappa, heavy ball ~ sqrt(kappa) ---------------------------------------
    kappas = cfg.pick([10.0, 100.0, 1000.0], [10.0, 100.0, 1000.0, 10000.0])
    it_gd, it_hb, paths = [], [], {}
    for kap in kappas:
        k1, p1 = quad_iterations(kap, False)
        k2, p2 = quad_iterations(kap, True)
        it_gd.append(k1)
        it_hb.append(k2)
        paths[kap] = (p1, p2)
    s_gd, s_hb = loglog_slope(kappas, it_gd), loglog_slope(kappas, it_hb)
    report.table("iterations_to_1e-6", ["κ", "GD (lr = 2/(L+μ))", "heavy ball (optimal lr, β)"],
                 [[f"{k:g}", a, b] for k, a, b in zip(kappas, it_gd, it_hb)])
    report.claim(
        "gd-iterations-slope-1",
        en="On ½(x² + y²/κ), gradient descent with its best fixed step needs iterations ∝ κ to reach 1e-6: "
           "log-log slope of iterations against κ.",
        zh="在 ½(x² + y²/κ) 上，最优固定步长的梯度下降达到 1e-6 所需迭代次数 ∝ κ：迭代次数对 κ 的双对数斜率。",
        value=s_gd, op="between", threshold=(0.9, 1.1), expression="slope(GD)")
    report.claim(
        "momentum-iterations-slope-half",
        en="Heavy-ball momentum with the optimal lr = 4/(√L + √μ)² and β = ((√κ − 1)/(√κ + 1))² needs only "
           "iterations ∝ √κ: log-log slope of iterations against κ.",
        zh="取最优 lr = 4/(√L + √μ)² 和 β = ((√κ − 1)/(√κ + 1))² 的重球动量法只需迭代次数 ∝ √κ：迭代次数对 κ 的双对数斜率。",
        value=s_hb, op="between", threshold=(0.4, 0.6), expression="slope(heavy ball)")
    report.claim(
        "momentum-speedup",
        en=f"At κ = {kappas[-1]:g} heavy ball needs many times fewer iterations than GD (ratio GD / heavy ball).",
        zh=f"κ = {kappas[-1]:g} 时，重球法所需迭代次数比梯度下降少很多倍（梯度下降 / 重球法）。",
        value=it_gd[-1] / it_hb[-1], op=">", threshold=cfg.pick(5.0, 15.0), expression="iters(GD) / iters(HB)")
    report.progress(0.3, "quadratics done")

    # (b) noise: momentum (lr, beta) behaves like SGD with lr / (1 - beta) -----------------------------
    d, reps = 10, cfg.pick(200, 400)
    lams = np.logspace(-1, 0, d)
    sigma, beta, lr = 1.0, 0.9, 0.01
    steps = cfg.pick(1500, 3000)
    burn = steps // 3
    rng = cfg.rng(1)
    runs = {
        "SGD lr": (lr, 0.0),
        "momentum lr, β = 0.9": (lr, beta),
        "SGD lr/(1 − β)": (lr / (1 - beta), 0.0),
    }
    curves = {k: noisy_quadratic(lams, a, b, sigma, steps, reps, rng) for k, (a, b) in runs.items()}
    stat = {k: float(c[burn:].mean()) for k, c in curves.items()}
    theory = {k: stationary_loss(lams, a, b, sigma) for k, (a, b) in runs.items()}
    report.table("noisy_quadratic_stationary_loss", ["optimizer", "measured", "closed form"],
                 [[k, f"{stat[k]:.4g}", f"{theory[k]:.4g}"] for k in runs])
    ratio_equiv = stat["momentum lr, β = 0.9"] / stat["SGD lr/(1 − β)"]
    ratio_same_lr = stat["momentum lr, β = 0.9"] / stat["SGD lr"]
    report.metric("stationary_ratio_momentum_vs_sgd_same_lr", ratio_same_lr)
    report.claim(
        "momentum-equals-sgd-at-effective-lr",
        en="Noisy quadratic (eigenvalues 0.1…1, Gaussian gradient noise): the stationary loss of momentum "
           "(lr = 0.01, β = 0.9) equals that of plain SGD with lr/(1 − β) = 0.1 (ratio of the two, averaged "
           "over replicas and the last 2/3 of the steps): momentum does not reduce the noise at equal effective step.",
        zh="带噪声的二次函数（特征值 0.1…1，高斯梯度噪声）：动量法（lr = 0.01，β = 0.9）的平稳损失与 lr/(1 − β) = 0.1 的普通 SGD 相同"
           "（两者之比，对副本和最后 2/3 的步数求平均）：在等效步长相同时，动量并不降低噪声。",
        value=ratio_equiv, op="between", threshold=(0.85, 1.15), expression="loss(momentum) / loss(SGD at lr/(1−β))")
    report.claim(
        "momentum-amplifies-noise-at-same-lr",
        en="At the same lr, adding momentum β = 0.9 raises the stationary loss about 1/(1 − β) = 10 times "
           "(ratio momentum / SGD): the averaging of gradients is outweighed by the 10× larger effective step.",
        zh="在相同 lr 下，加上 β = 0.9 的动量会使平稳损失增大约 1/(1 − β) = 10 倍（动量 / SGD）：梯度平均带来的降噪被 10 倍大的等效步长抵消且超过。",
        value=ratio_same_lr, op="between", threshold=(7.0, 13.0), expression="loss(momentum) / loss(SGD), same lr")
    rel_theory = max(abs(stat[k] / theory[k] - 1) for k in runs)
    report.claim(
        "stationary-loss-closed-form",
        en="The measured stationary losses match the closed form lr·σ²(1 + β) / (2(1 − β)(2(1 + β) − lr·λ)) summed "
           "over eigenvalues (largest relative deviation over the three optimizers).",
        zh="测得的平稳损失与闭式解 lr·σ²(1 + β) / (2(1 − β)(2(1 + β) − lr·λ))（对各特征值求和）一致（三种优化器中的最大相对偏差）。",
        value=rel_theory, op="<", threshold=0.15, expression="max |measured / closed form − 1|")

    # constant vs decaying lr (Robbins-Monro) on the same noisy problem
    lr0 = 0.5
    const = noisy_quadratic(lams, lr0, 0.0, sigma, steps, reps, rng)
    decay = noisy_quadratic(lams, lr0, 0.0, sigma, steps, reps, rng, decay=lambda k: lr0 / (1 + lr0 * 0.1 * k))
    tail = slice(steps - steps // 10, steps)
    decay_gain = float(const[tail].mean() / decay[tail].mean())
    report.claim(
        "decaying-lr-beats-noise-floor",
        en=f"With constant lr = 0.5 SGD stalls at a noise floor proportional to lr; with lr_k = 0.5/(1 + 0.05k) "
           f"(Σ lr = ∞, Σ lr² < ∞) the loss keeps falling: after {steps} steps the constant-lr loss is many "
           "times the decayed one (ratio).",
        zh=f"学习率恒为 0.5 时，SGD 停在与 lr 成正比的噪声底；用 lr_k = 0.5/(1 + 0.05k)（Σ lr = ∞，Σ lr² < ∞）时损失持续下降："
           f"{steps} 步后恒定学习率的损失是衰减学习率的许多倍（比值）。",
        value=decay_gain, op=">", threshold=5.0, expression="loss(constant lr) / loss(decaying lr), last 10%")
    report.progress(0.6, "noisy quadratic done")

    # (c) LR range test on a digits MLP ------------------------------------------------------------------
    X, y = digits()
    Xt, yt = tensor(X), tensor(y)
    n_steps = cfg.pick(120, 200)
    lrs = np.logspace(-3, 2, n_steps)
    def make_model():
        g = cfg.rng(2)
        return nn.Sequential(nn.Linear(64, 64, generator=g, dtype=np.float64), nn.ReLU(),
                             nn.Linear(64, 10, generator=g, dtype=np.float64))

    model = make_model()
    opt = SGD(model.parameters(), lr=lrs[0])
    rng_b = cfg.rng(3)
    rt_loss = []
    for lr_k in lrs:
        opt.param_groups[0]["lr"] = float(lr_k)
        idx = rng_b.choice(len(X), 128, replace=False)
        opt.zero_grad()
        loss = F.cross_entropy(model(tensor(X[idx])), tensor(y[idx]))
        v = float(loss.data)
        rt_loss.append(v)
        if not np.isfinite(v) or v > 50:
            break
        loss.backward()
        opt.step()
    rt_loss = np.array(rt_loss)
    smooth = np.convolve(rt_loss, np.ones(5) / 5, mode="valid")
    best = float(smooth.min())
    blow = np.nonzero(smooth > 2 * max(best, 0.1) + 1.0)[0]
    blow = blow[blow > np.argmin(smooth)]
    lr_div = float(lrs[blow[0] + 2]) if len(blow) else float(lrs[len(rt_loss) - 1])
    report.metric("range_test_divergence_lr", lr_div)

    def train_fixed(lr_c, steps_c):
        m = make_model()
        o = SGD(m.parameters(), lr=lr_c)
        r = cfg.rng(4)
        for _ in range(steps_c):
            idx = r.choice(len(X), 128, replace=False)
            o.zero_grad()
            ls = F.cross_entropy(m(tensor(X[idx])), tensor(y[idx]))
            if not np.isfinite(float(ls.data)) or float(ls.data) > 1e3:
                break  # diverged: keep the last finite weights
            ls.backward()
            o.step()
        with no_grad():
            logits = m(Xt)
            v = float(F.cross_entropy(logits, yt).data)
            acc = float((logits.data.argmax(1) == y).mean())
        return (v if np.isfinite(v) and v < 1e3 else float("inf")), acc

    factors = [0.01, 0.1, 0.3, 3.0]
    fixed_steps = cfg.pick(80, 200)
    res = {f: train_fixed(f * lr_div, fixed_steps) for f in factors}
    fixed = {f: r[0] for f, r in res.items()}
    accs = {f: r[1] for f, r in res.items()}
    report.table("range_test_pick", ["lr / divergence lr", "lr", f"full training loss after {fixed_steps} steps", "training accuracy"],
                 [[f, f"{f * lr_div:.3g}", "diverged" if not np.isfinite(v) else f"{v:.4f}", f"{accs[f]:.3f}"]
                  for f, v in fixed.items()])
    good = min(fixed[0.1], fixed[0.3])
    report.claim(
        "range-test-pick-beats-tiny-lr",
        en=f"LR range test (lr grown geometrically from 1e-3 to 100 over one short run, a one-hidden-layer ReLU MLP on digits): "
           f"a fixed lr 3–10 times below the point where the loss blows up trains to a much lower loss in {fixed_steps} "
           "steps than an lr 100 times below it (ratio of final full-data losses, tiny lr / best of the two picks).",
        zh=f"学习率范围测试（一次短训练中学习率从 1e-3 几何增长到 100，digits 上的单隐层 ReLU MLP）：比损失爆炸点低 3–10 倍的固定学习率，"
           f"{fixed_steps} 步后的损失远低于比爆炸点低 100 倍的学习率（全数据最终损失之比，小学习率 / 两个候选中较好者）。",
        value=fixed[0.01] / good, op=">", threshold=5.0, expression="loss(lr_div/100) / min(loss(lr_div/10), loss(lr_div/3))")
    report.claim(
        "range-test-above-divergence-fails",
        en="…and an lr 3 times above the blow-up point does not train: the training accuracy of its last finite "
           "weights is far below that of the best pick (difference of training accuracies).",
        zh="……而比爆炸点高 3 倍的学习率无法训练：其最后一组有限权重的训练准确率远低于最佳候选（训练准确率之差）。",
        value=max(accs[0.1], accs[0.3]) - accs[3.0], op=">", threshold=0.4,
        expression="max(acc(lr_div/10), acc(lr_div/3)) − acc(3·lr_div)")
    report.progress(0.9, "range test done")

    # figures ----------------------------------------------------------------------------------------
    fig, ax = new_figure(1, 3, size=(12, 3.4))
    kap = 100.0 if 100.0 in paths else kappas[0]
    p1, p2 = paths[kap]
    gx, gy = np.meshgrid(np.linspace(-1.2, 1.2, 101), np.linspace(-1.2, 1.2, 101))
    ax[0].contour(gx, gy, 0.5 * (gx ** 2 + gy ** 2 / kap), 15, linewidths=0.5)
    ax[0].plot(p1[:60, 0], p1[:60, 1], "o-", ms=2, lw=0.7, label="GD, 60 steps")
    ax[0].plot(p2[:60, 0], p2[:60, 1], "s-", ms=2, lw=0.7, label="heavy ball, 60 steps")
    ax[0].set_title(f"κ = {kap:g}")
    ax[0].legend(fontsize=7)
    ax[1].loglog(kappas, it_gd, "o-", label=f"GD (slope {s_gd:.2f})")
    ax[1].loglog(kappas, it_hb, "s-", label=f"heavy ball (slope {s_hb:.2f})")
    ax[1].set_xlabel("κ")
    ax[1].set_ylabel("iterations to 1e-6")
    ax[1].legend(fontsize=7)
    ax[1].set_title("ill-conditioning")
    w = 25
    for k, c in curves.items():
        ax[2].semilogy(np.convolve(c, np.ones(w) / w, mode="valid"), lw=0.9, label=k)
    ax[2].semilogy(np.convolve(const, np.ones(w) / w, mode="valid"), lw=0.9, label="SGD lr = 0.5")
    ax[2].semilogy(np.convolve(decay, np.ones(w) / w, mode="valid"), lw=0.9, label="SGD lr = 0.5/(1 + 0.05k)")
    ax[2].set_xlabel("step")
    ax[2].set_ylabel("mean loss (noisy quadratic)")
    ax[2].legend(fontsize=6)
    ax[2].set_title("gradient noise")
    report.figure(
        "momentum", fig,
        en="Left: 60 steps of gradient descent and heavy-ball momentum (optimal constants) on a quadratic with κ = 100: "
           "GD zig-zags and crawls along the flat axis, momentum builds up speed along it. Middle: iterations to 1e-6 "
           "against κ (slopes ≈ 1 and ≈ 0.5). Right: mean loss on a noisy quadratic: momentum (lr 0.01, β 0.9) sits on "
           "the same noise floor as SGD with lr 0.1 and 10 times above SGD with lr 0.01; a decaying lr goes below the floor.",
        zh="左：κ = 100 的二次函数上，梯度下降和重球动量法（最优参数）各 60 步：梯度下降来回折返、沿平坦轴爬行，动量法沿平坦轴不断加速。"
           "中：达到 1e-6 的迭代次数对 κ（斜率约 1 和约 0.5）。右：带噪声二次函数上的平均损失：动量法（lr 0.01，β 0.9）与 lr 0.1 的 SGD "
           "停在同一噪声底，比 lr 0.01 的 SGD 高 10 倍；衰减学习率能降到噪声底以下。")
    fig2, ax2 = new_figure(1, 1, size=(4.6, 3.4))
    ax2.semilogx(lrs[:len(rt_loss)], rt_loss, lw=0.8, label="minibatch loss")
    ax2.axvline(lr_div, color="r", ls=":", lw=0.9, label="blow-up")
    ax2.axvspan(lr_div / 10, lr_div / 3, color="g", alpha=0.2, label="pick: lr_div/10 … lr_div/3")
    ax2.set_ylim(0, max(4.0, best * 3))
    ax2.set_xlabel("learning rate (grown each step)")
    ax2.set_ylabel("training loss")
    ax2.legend(fontsize=7)
    report.figure(
        "lr-range-test", fig2,
        en="LR range test on a one-hidden-layer ReLU MLP on digits: one run in which the learning rate grows geometrically every "
           "step. The loss falls, flattens, then blows up; a good fixed learning rate lies 3–10 times below the blow-up point.",
        zh="digits 上单隐层 ReLU MLP 的学习率范围测试：一次训练中学习率每步几何增长。损失先下降、再变平、然后爆炸；好的固定学习率位于爆炸点以下 3–10 倍处。")
    report.metric("seconds", time.perf_counter() - t0)
    report.progress(1.0, "done")
