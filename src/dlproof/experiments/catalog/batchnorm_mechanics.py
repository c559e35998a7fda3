# ruff: noqa: E501  (bilingual claim statements are long text)
"""BatchNorm: what it computes in train and eval mode, its scale invariance, and what it does for
optimization (larger stable learning rates, smoother loss along the gradient), with a
Santurkar-style test that injects 'covariate shift' after every BN layer.

All networks are dlproof.nn modules (Linear, BatchNorm1d, ReLU in a Sequential) trained with
dlproof.optim.SGD on digits; the same He initialization is used with and without BN.
"""

from __future__ import annotations

import time

import numpy as np

from dlproof.data import digits
from dlproof.engine import tensor
from dlproof.experiments.figures import new_figure
from dlproof.experiments.registry import Report, RunConfig, experiment

DEPTH, WIDTH = 10, 64


class NoisyShift:
    """A module-like callable adding fresh random per-unit scale and shift (non-stationary noise)."""

    def __init__(self, rng, scale=0.5, shift=0.5):
        self.rng, self.scale, self.shift, self.active = rng, scale, shift, True

    def __call__(self, x):
        if not self.active:
            return x
        n = x.shape[1]
        a = 1.0 + self.scale * self.rng.standard_normal(n)
        b = self.shift * self.rng.standard_normal(n)
        return x * tensor(a.astype(x.data.dtype)) + tensor(b.astype(x.data.dtype))


def make_net(bn: bool, rng, noise_rng=None):
    from dlproof import nn

    layers = []
    sizes = [64] + [WIDTH] * (DEPTH - 1) + [10]
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        lin = nn.Linear(a, b, generator=rng)
        nn.init.kaiming_normal_(lin.weight, nonlinearity="relu", generator=rng)
        nn.init.zeros_(lin.bias)
        layers.append(lin)
        if i < len(sizes) - 2:
            if bn:
                layers.append(nn.BatchNorm1d(b))
            if noise_rng is not None:
                layers.append(_Wrap(NoisyShift(noise_rng)))
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


def _Wrap(fn):  # noqa: N802 - a tiny Module around a callable
    from dlproof import nn

    class Wrap(nn.Module):
        def __init__(self):
            super().__init__()
            self.fn = fn

        def forward(self, x):
            return self.fn(x) if self.training else x

    return Wrap()


def full_loss(net, X, y):
    import dlproof.nn.functional as F
    from dlproof.engine.tensor import no_grad

    net.eval()
    with no_grad():
        out = float(F.cross_entropy(net(tensor(X)), tensor(y)).data)
    net.train()
    return out


def train(net, X, y, lr, steps, batch, rng):
    import dlproof.nn.functional as F
    from dlproof.optim import SGD

    opt = SGD(net.parameters(), lr=lr)
    losses = []
    n = len(X)
    for _ in range(steps):
        idx = rng.choice(n, batch, replace=False)
        opt.zero_grad()
        loss = F.cross_entropy(net(tensor(X[idx])), tensor(y[idx]))
        v = float(loss.data)
        losses.append(v)
        if not np.isfinite(v) or v > 1e4:
            break
        loss.backward()
        opt.step()
    return np.array(losses)


def smoothness_along_gradient(net, X, y, etas):
    """Santurkar et al.'s measures at the current point: loss range and gradient change per unit
    step when moving along -g by the step sizes ``etas``."""
    import dlproof.nn.functional as F

    params = list(net.parameters())
    net.train()

    def loss_and_grad():
        for p in params:
            p.grad = None
        loss = F.cross_entropy(net(tensor(X)), tensor(y))
        loss.backward()
        return float(loss.data), np.concatenate([p.grad.ravel() for p in params])

    theta0 = [p.data.copy() for p in params]
    L0, g0 = loss_and_grad()
    losses, beta = [], []
    for eta in etas:
        off = 0
        for p, t in zip(params, theta0):
            k = t.size
            p.data[...] = t - eta * g0[off:off + k].reshape(t.shape)
            off += k
        L, g = loss_and_grad()
        losses.append(L)
        beta.append(np.linalg.norm(g - g0) / (eta * np.linalg.norm(g0)))
    for p, t in zip(params, theta0):
        p.data[...] = t
    return L0, np.array(losses), np.array(beta)


@experiment(
    "batchnorm-mechanics",
    questions=["batchnorm"],
    title_en="BatchNorm: train/eval statistics, scale invariance, larger stable learning rates, smoother loss",
    title_zh="BatchNorm：训练/推理时的统计量、尺度不变性、更大的稳定学习率、更平滑的损失",
)
def run(cfg: RunConfig, report: Report) -> None:
    import dlproof.nn.functional as F
    from dlproof import nn
    from dlproof.engine.tensor import no_grad

    t0 = time.perf_counter()
    X, y = digits()
    X = X.astype(np.float32)

    # (a) train mode: batch statistics; eval mode: running statistics ------------------------------
    rng = cfg.rng(0)
    bn = nn.BatchNorm1d(16, dtype=np.float64)
    Z = rng.normal(3.0, 5.0, (128, 16)) * rng.uniform(0.1, 10, 16) + rng.normal(0, 10, 16)
    out = bn(tensor(Z)).data
    mean_err = float(np.abs(out.mean(0)).max())
    var_err = float(np.abs(out.var(0) - 1).max())
    report.claim(
        "train-mode-standardizes",
        en="Train mode: every unit's output over the batch has mean 0 and (biased) variance 1, whatever the "
           "input's scale and offset (largest |mean| and |var − 1| over 16 units, batch 128; eps = 1e-5).",
        zh="训练模式：无论输入的尺度与偏移如何，每个单元在批内的输出均值为 0、（有偏）方差为 1"
           "（16 个单元、批大小 128 中 |均值| 与 |方差 − 1| 的最大值；eps = 1e-5）。",
        value=max(mean_err, var_err), op="<", threshold=1e-4, expression="max(|mean|, |var − 1|)")
    for _ in range(200):  # running statistics converge to the population's
        bn(tensor(rng.normal(3.0, 5.0, (256, 16)) * 2.0 + 1.0))
    run_err = float(max(np.abs(bn.running_mean - 7.0).max() / 10.0, np.abs(bn.running_var - 100.0).max() / 100.0))
    report.metric("running_stats_rel_err", run_err)
    bn.eval()
    batch = tensor(rng.normal(7.0, 10.0, (32, 16)))
    alone = np.concatenate([bn(batch[i:i + 1]).data for i in range(0, 32, 8)])  # 4 single examples
    together = bn(batch).data[0:32:8]
    eval_dep = float(np.abs(alone - together).max())
    bn.train()
    tr_a = bn(batch[:8]).data[0]
    tr_b = bn(batch[:16]).data[0]
    train_dep = float(np.abs(tr_a - tr_b).max())
    report.metric("train_mode_batch_dependence", train_dep)
    report.claim(
        "eval-mode-uses-running-stats",
        en="Eval mode normalizes with the running estimates, so an example's output does not depend on "
           "the rest of its batch (largest difference alone vs in a batch of 32); in train mode the same "
           "example's output changes with its batch-mates.",
        zh="推理模式用滑动平均估计做归一化，所以一个样本的输出与同批其他样本无关（单独输入与放在 32 个样本的批中相比的最大差异）；"
           "训练模式下同一样本的输出随批内其他样本而变。",
        value=eval_dep, op="<", threshold=1e-12, expression="max |BN_eval(x alone) − BN_eval(x in batch)|")
    report.claim(
        "train-mode-depends-on-batch",
        en="In train mode the same example's normalized output changes when its batch-mates change "
           "(largest difference of one example's output in a batch of 8 vs 16).",
        zh="训练模式下，同一个样本归一化后的输出会随同批样本而改变（某个样本在 8 个与 16 个样本的批中输出的最大差异）。",
        value=train_dep, op=">", threshold=0.05, expression="max |BN_train(x | batch 8) − BN_train(x | batch 16)|")
    report.claim(
        "running-stats-converge",
        en="The running mean and variance (momentum 0.1, unbiased variance) converge to the population's "
           "(mean 7, variance 100): largest relative error after 200 batches.",
        zh="滑动均值和方差（momentum 0.1，无偏方差）收敛到总体值（均值 7、方差 100）：200 个批次后的最大相对误差。",
        value=run_err, op="<", threshold=0.1, expression="max relative error")

    # (b) scale invariance ------------------------------------------------------------------------
    W = rng.normal(0, 0.3, (16, 8))
    x = rng.normal(0, 1, (64, 8))
    R = rng.normal(0, 1, (64, 16))  # a random upstream gradient (sum(o) alone is identically 0)

    def bn_out_and_grad(scale):
        Wt = tensor(W * scale, requires_grad=True)
        rm, rv = np.zeros(16), np.ones(16)
        o = F.batch_norm(tensor(x) @ Wt.T, rm, rv, training=True, eps=1e-12)
        (o * tensor(R)).sum().backward()
        return o.data, Wt.grad

    o1, g1 = bn_out_and_grad(1.0)
    o10, g10 = bn_out_and_grad(10.0)
    inv_err = float(np.abs(o1 - o10).max())
    grad_ratio = float(np.linalg.norm(g10) * 10.0 / np.linalg.norm(g1))
    report.claim(
        "scale-invariant-output",
        en="BN(a·Wx) = BN(Wx): scaling the preceding weights by a = 10 leaves the normalized output "
           "unchanged (largest difference, float64).",
        zh="BN(a·Wx) = BN(Wx)：把前一层权重放大 a = 10 倍，归一化后的输出不变（最大差异，float64）。",
        value=inv_err, op="<", threshold=1e-9, expression="max |BN(10Wx) − BN(Wx)|")
    report.claim(
        "gradient-scales-inversely",
        en="…and the gradient with respect to W shrinks by 1/a: a·||∇_{aW}|| / ||∇_W|| = 1, so larger "
           "weights take smaller effective steps (automatic learning-rate tuning).",
        zh="……而对 W 的梯度缩小为 1/a：a·||∇_{aW}|| / ||∇_W|| = 1，所以权重越大，有效步长越小（自动调节学习率）。",
        value=abs(grad_ratio - 1), op="<", threshold=1e-9, expression="|a·||g(aW)|| / ||g(W)|| − 1|")
    report.progress(0.1, "mechanics done")

    # (c) learning-rate sweep with and without BN -------------------------------------------------------
    lrs = cfg.pick([0.03, 0.1, 0.3, 1.0, 3.0], [0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0])
    steps = cfg.pick(70, 300)
    batch_size = 64
    ln10 = float(np.log(10))
    final = {}
    curves = {}
    configs = [("no BN", False, False), ("BN", True, False), ("BN + injected shift", True, True)]
    total = len(configs) * len(lrs)
    k = 0
    for name, use_bn, noisy in configs:
        for lr in lrs:
            net = make_net(use_bn, cfg.rng(1), cfg.rng(2) if noisy else None)
            losses = train(net, X, y, lr, steps, batch_size, cfg.rng(3))
            ok = len(losses) == steps and np.isfinite(losses).all()
            final[(name, lr)] = full_loss(net, X, y) if ok else float("inf")
            if not np.isfinite(final[(name, lr)]):
                final[(name, lr)] = float("inf")
            curves[(name, lr)] = losses
            k += 1
            report.progress(0.1 + 0.6 * k / total, f"{name} lr={lr}")
    stable_thr = 0.5 * ln10

    def max_stable(name):
        ok = [lr for lr in lrs if final[(name, lr)] < stable_thr]
        return max(ok) if ok else 0.0

    ms = {name: max_stable(name) for name, _, _ in configs}
    report.table("lr_sweep", ["learning rate"] + [n for n, _, _ in configs],
                 [[lr] + [("diverged" if not np.isfinite(final[(n, lr)]) else f"{final[(n, lr)]:.3f}")
                          for n, _, _ in configs] for lr in lrs])
    for name in ms:
        report.metric(f"max_stable_lr_{name}", ms[name])
    report.claim(
        "bn-larger-stable-lr",
        en=f"10-layer ReLU MLP on digits, He init, SGD for {steps} steps: the largest learning rate that "
           "brings the training loss below half of log 10 is at least 3 times larger with BN than without "
           "(ratio of the largest such rates on a half-decade grid).",
        zh=f"10 层 ReLU MLP 在 digits 上，He 初始化，SGD 训练 {steps} 步：能把训练损失降到 log 10 的一半以下的最大学习率，"
           "有 BN 时至少是没有 BN 时的 3 倍（半个数量级网格上此类学习率最大值之比）。",
        value=ms["BN"] / ms["no BN"] if ms["no BN"] > 0 else float("inf"), op=">=", threshold=3.0,
        expression="max_stable_lr(BN) / max_stable_lr(no BN)")
    unstable = [lr for lr in lrs if not final[("no BN", lr)] < stable_thr and lr > ms["no BN"]]
    lr_star = min(unstable) if unstable else None
    shifted = final[("BN + injected shift", lr_star)] if lr_star is not None else float("inf")
    report.metric("lr_where_plain_net_fails", lr_star if lr_star is not None else float("nan"))
    report.claim(
        "bn-helps-despite-injected-shift",
        en="Santurkar-style test: with fresh random per-unit scale and shift added after every BN layer at "
           "every step (deliberately injected 'covariate shift'), the net still trains at the smallest "
           "learning rate at which the plain net fails: its training loss there is below 3/4 of log 10.",
        zh="Santurkar 式检验：在每个 BN 层之后每一步都加上新的随机逐单元缩放与平移（故意注入“协变量偏移”），"
           "在无 BN 网络已经失败的最小学习率上，网络仍能训练：那里的训练损失低于 log 10 的 3/4。",
        value=shifted / ln10, op="<", threshold=0.75,
        expression="loss(BN + shift, lr*) / log 10, lr* = smallest lr where no-BN fails")

    # (d) smoothness along the gradient (Santurkar et al. 2018) --------------------------------------
    etas = np.array([0.05, 0.1, 0.2, 0.4])
    idx = cfg.rng(4).choice(len(X), 256, replace=False)
    smooth = {}
    for name, use_bn in (("no BN", False), ("BN", True)):
        net = make_net(use_bn, cfg.rng(1))
        train(net, X, y, 0.03, cfg.pick(30, 60), batch_size, cfg.rng(5))  # a little way into training
        L0, Ls, beta = smoothness_along_gradient(net, X[idx], y[idx], etas)
        smooth[name] = (L0, Ls, beta)
    beta_ratio = float(smooth["no BN"][2].max() / smooth["BN"][2].max())
    range_ratio = float((smooth["no BN"][1].max() - smooth["no BN"][1].min())
                        / max(smooth["BN"][1].max() - smooth["BN"][1].min(), 1e-12))
    report.table("smoothness", ["network", "loss range over steps η·g, η ∈ [0.05, 0.4]",
                                "max ||∇L(θ − ηg) − ∇L(θ)|| / ||ηg||"],
                 [[n, f"{smooth[n][1].max() - smooth[n][1].min():.3g}", f"{smooth[n][2].max():.3g}"]
                  for n in smooth])
    report.metric("loss_range_ratio", range_ratio)
    report.claim(
        "bn-smoother-along-gradient",
        en="Along the gradient direction the BN net's gradient changes less per unit step: the largest "
           "'effective β-smoothness' ||∇L(θ − ηg) − ∇L(θ)|| / ||ηg|| (η ∈ [0.05, 0.4]) is more than 2 times "
           "smaller with BN (no-BN value / BN value).",
        zh="沿梯度方向，BN 网络的梯度每单位步长变化更小：最大“有效 β-光滑度” ||∇L(θ − ηg) − ∇L(θ)|| / ||ηg||"
           "（η ∈ [0.05, 0.4]）在有 BN 时小 2 倍以上（无 BN 值 / 有 BN 值）。",
        value=beta_ratio, op=">", threshold=2.0, expression="β(no BN) / β(BN)")
    report.progress(0.85, "smoothness done")

    # (e) small batches: train/eval mismatch ----------------------------------------------------------
    net = make_net(True, cfg.rng(1))
    train(net, X, y, 0.1, cfg.pick(100, 200), 64, cfg.rng(6))
    net.eval()
    with no_grad():
        ref = net(tensor(X[:256])).data
    net.train()
    mism = {}
    for bs in (2, 64):
        with no_grad():
            outs = np.concatenate([net(tensor(X[i:i + bs])).data for i in range(0, 256, bs)])
        mism[bs] = float(np.abs(outs - ref).mean())
    report.table("batch_size_mismatch", ["train-mode batch size", "mean |logits(train mode) − logits(eval)|"],
                 [[bs, f"{m:.3g}"] for bs, m in mism.items()])
    report.claim(
        "small-batch-train-eval-mismatch",
        en="With batch size 2 the batch statistics are so noisy that train-mode outputs differ from the "
           "eval-mode outputs more than 2 times as much as with batch size 64 (mean |Δlogits| ratio).",
        zh="批大小为 2 时批统计量噪声很大，训练模式与推理模式输出的差异是批大小 64 时的 2 倍以上（平均 |Δlogits| 之比）。",
        value=mism[2] / mism[64], op=">", threshold=2.0, expression="mismatch(bs 2) / mismatch(bs 64)")

    # figures ----------------------------------------------------------------------------------------
    fig, ax = new_figure(1, 2, size=(9.2, 3.4))
    for name, _, _ in configs:
        vals = [min(final[(name, lr)], 10.0) for lr in lrs]
        ax[0].semilogx(lrs, vals, "o-", label=name)
    ax[0].axhline(stable_thr, color="k", ls=":", lw=0.8)
    ax[0].set_xlabel("learning rate")
    ax[0].set_ylabel(f"training loss after {steps} steps (10 = diverged)")
    ax[0].legend(fontsize=7)
    ax[0].set_title("learning-rate sweep, 10-layer MLP")
    for name in smooth:
        L0, Ls, _ = smooth[name]
        ax[1].plot(np.concatenate([[0], etas]), np.concatenate([[L0], Ls]), "o-", label=name)
    ax[1].set_xlabel("step η along −∇L")
    ax[1].set_ylabel("loss")
    ax[1].legend(fontsize=7)
    ax[1].set_title("loss along the gradient direction")
    report.figure(
        "batchnorm", fig,
        en="Left: final training loss against learning rate for a 10-layer ReLU MLP on digits without BN, "
           "with BN, and with BN plus randomly injected per-step shifts (dotted: the stability threshold "
           "log 10 / 2). Right: loss when stepping along the negative gradient from the same training "
           "point: the BN net's loss changes more predictably.",
        zh="左：10 层 ReLU MLP 在 digits 上无 BN、有 BN、有 BN 且每步随机注入偏移时，最终训练损失随学习率的变化（虚线：稳定阈值 log 10 / 2）。"
           "右：从训练中的同一点沿负梯度方向走不同步长时的损失：BN 网络的损失变化更可预测。")
    report.metric("seconds", time.perf_counter() - t0)
    report.progress(1.0, "done")
