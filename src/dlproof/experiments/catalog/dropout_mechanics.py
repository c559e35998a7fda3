# ruff: noqa: E501  (bilingual claim statements are long text)
"""How dropout is implemented: Bernoulli masks, inverted scaling, train/eval modes, MC dropout.

1. Our F.dropout over 10^5 x 16 activations: the kept fraction is 1 − p, the mean is preserved by the
   1/(1 − p) scaling (E[m h / (1 − p)] = h) while the second moment grows by 1/(1 − p); eval mode is the
   identity. The backward pass multiplies the upstream gradient by the same mask / (1 − p)
   (exactly, and by gradcheck with a frozen mask).
2. A 64-256-256-10 MLP on digits with p = 0.5 after each hidden layer, trained three ways: inverted
   dropout with a plain eval pass, classic dropout (no scaling in training, activations times 1 − p
   at test), and the bug 'no scaling anywhere'. The first two match; the bug's test-time
   pre-activations are about 1/(1 − p) times their training mean and its predictions are overconfident.
3. MC dropout: averaging T stochastic passes converges to an ensemble prediction close to, but not
   equal to, the single scaled pass.
"""

from __future__ import annotations

import time

import numpy as np

from dlproof.data import digits
from dlproof.engine import tensor
from dlproof.experiments.figures import new_figure
from dlproof.experiments.registry import Report, RunConfig, experiment

P = 0.5
SIZES = [64, 256, 256, 10]


class Net:
    """Linear-ReLU-dropout ×2 then Linear. ``mode``: 'inverted', 'classic' or 'bug'."""

    def __init__(self, rng, mode):
        from dlproof import nn

        self.layers = [nn.Linear(a, b, generator=rng, dtype=np.float64) for a, b in zip(SIZES[:-1], SIZES[1:])]
        self.mode = mode
        self.pre = []

    def parameters(self):
        return [p for lay in self.layers for p in (lay.weight, lay.bias)]

    def __call__(self, x, train, gen=None):
        import dlproof.nn.functional as F

        h = x
        self.pre = []
        for lay in self.layers[:-1]:
            z = lay(h)
            self.pre.append(z)
            h = z.relu()
            if train:
                h = F.dropout(h, P, True, gen)  # inverted: kept units scaled by 1/(1 − p)
                if self.mode in ("classic", "bug"):
                    h = h * (1 - P)  # undo the scaling: a plain Bernoulli mask
            elif self.mode == "classic":
                h = h * (1 - P)  # test-time weight scaling
        z = self.layers[-1](h)
        self.pre.append(z)
        return z


def nll_acc(logits, y):
    z = logits - logits.max(1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(1, keepdims=True))
    return float(-logp[np.arange(len(y)), y].mean()), float((logits.argmax(1) == y).mean())


def softmax(z):
    e = np.exp(z - z.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


@experiment(
    "dropout-mechanics",
    questions=["dropout-implementation"],
    title_en="Dropout in code: masks, inverted scaling, train vs eval, classic test-time scaling, MC dropout",
    title_zh="代码中的 Dropout：掩码、反向缩放（inverted）、训练与推理模式、经典的测试时缩放、MC dropout",
)
def run(cfg: RunConfig, report: Report) -> None:
    import dlproof.nn.functional as F
    from dlproof import nn
    from dlproof.engine import gradcheck
    from dlproof.engine.tensor import no_grad
    from dlproof.optim import SGD

    t0 = time.perf_counter()
    rng = cfg.rng(0)

    # (1) the mask, the scaling and the backward pass ----------------------------------------------------
    n = 100_000
    h = rng.uniform(0.5, 2.0, 16)
    x = tensor(np.broadcast_to(h, (n, 16)).copy(), requires_grad=True)
    out = F.dropout(x, P, True, cfg.rng(1))
    o = out.data
    kept = float((o != 0).mean())
    mean_ratio = o.mean(0) / h
    second = (o**2).mean(0) / h**2
    report.metric("kept_fraction", kept)
    report.claim(
        "mask-keeps-1-minus-p",
        en=f"Training mode draws an independent Bernoulli mask per example and unit: over {n}×16 activations the "
           f"kept fraction is 1 − p = {1 - P} (|kept − (1 − p)|).",
        zh=f"训练模式对每个样本、每个单元独立抽取伯努利掩码：在 {n}×16 个激活上，保留比例为 1 − p = {1 - P}（|保留比例 − (1 − p)|）。",
        value=abs(kept - (1 - P)), op="<", threshold=0.005, expression="|mean(m) − (1 − p)|")
    report.claim(
        "inverted-scaling-preserves-mean",
        en="Inverted dropout divides the kept activations by 1 − p, so the mean of every unit is preserved: "
           "E[m·h/(1 − p)] = h (largest |mean ratio − 1| over 16 units; without the division the ratio would be "
           "1 − p).",
        zh="反向缩放（inverted）dropout 把保留的激活除以 1 − p，所以每个单元的均值不变：E[m·h/(1 − p)] = h"
           "（16 个单元上 |均值比 − 1| 的最大值；不除的话比值是 1 − p）。",
        value=float(np.abs(mean_ratio - 1).max()), op="<", threshold=0.02, expression="max |E[out]/h − 1|")
    report.claim(
        "second-moment-inflated",
        en="Matching the mean does not match the variance: the second moment of the output is h²/(1 − p), "
           "twice the input's at p = 0.5 (largest |(1 − p)·E[out²]/h² − 1|).",
        zh="均值对上了，方差却没有：输出的二阶矩是 h²/(1 − p)，p = 0.5 时为输入的两倍（|(1 − p)·E[out²]/h² − 1| 的最大值）。",
        value=float(np.abs(second * (1 - P) - 1).max()), op="<", threshold=0.03, expression="max |(1−p)E[out²]/h² − 1|")
    out.backward(np.ones_like(o))
    grad_err = float(np.abs(x.grad - (o != 0) / (1 - P)).max())
    report.claim(
        "backward-uses-same-mask",
        en="The backward pass multiplies the upstream gradient by the same mask/(1 − p): dropped units get exactly "
           "zero gradient, kept ones 1/(1 − p) (largest difference from mask/(1 − p)).",
        zh="反向传播把上游梯度乘以同一个掩码/(1 − p)：被丢弃的单元梯度恰好为 0，保留的单元为 1/(1 − p)（与掩码/(1 − p) 的最大差异）。",
        value=grad_err, op="<", threshold=1e-12, expression="max |∂L/∂x − m/(1 − p)|")
    xs = rng.standard_normal((6, 8))
    gc = gradcheck(lambda t: F.dropout(t, P, True, np.random.default_rng(7)).tanh(), [xs])
    report.claim(
        "gradcheck-frozen-mask",
        en="With the mask frozen (same generator seed in every call), the engine's gradient of tanh(dropout(x)) "
           "passes a central-difference gradcheck (largest absolute error).",
        zh="固定掩码（每次调用用同一个生成器种子）时，引擎对 tanh(dropout(x)) 的梯度通过中心差分 gradcheck（最大绝对误差）。",
        value=gc.max_abs_err if gc.ok else float("inf"), op="<", threshold=1e-7, expression="max |g_autograd − g_fd|")
    drop = nn.Dropout(P, generator=cfg.rng(2))
    drop.eval()
    xe = tensor(xs)
    report.claim(
        "eval-is-identity",
        en="In eval mode nn.Dropout is the identity: no mask and no scaling (largest |out − in|).",
        zh="推理模式下 nn.Dropout 是恒等映射：没有掩码也没有缩放（最大 |输出 − 输入|）。",
        value=float(np.abs(drop(xe).data - xs).max()), op="<=", threshold=0.0, expression="max |Dropout_eval(x) − x|")
    report.progress(0.15, "mask and scaling")

    # (2) three implementations trained on digits ------------------------------------------------------------
    X, y = digits()
    perm = cfg.rng(3).permutation(len(X))
    tr, te = perm[:1200], perm[1200:]
    steps = cfg.pick(150, 400)
    nets = {}
    for mode in ("inverted", "classic", "bug"):
        net = Net(cfg.rng(4), mode)
        lr = 0.05 if mode == "inverted" else 0.05 / (1 - P)  # classic activations are (1 − p)× smaller
        opt = SGD(net.parameters(), lr=lr, momentum=0.9)
        gen, rb = cfg.rng(5), cfg.rng(6)
        for _ in range(steps):
            idx = tr[rb.integers(0, len(tr), 64)]
            opt.zero_grad()
            F.cross_entropy(net(tensor(X[idx]), True, gen), tensor(y[idx])).backward()
            opt.step()
        nets[mode] = net
    res, shift = {}, {}
    Xte = tensor(X[te])
    for mode, net in nets.items():
        with no_grad():
            logits = net(Xte, False).data
            z_eval = net.pre[1].data
            gen = cfg.rng(7)
            z_train = 0.0
            reps = cfg.pick(10, 50)
            for _ in range(reps):  # the mean training-mode pre-activation of hidden layer 2, over masks
                net(Xte, True, gen)
                z_train = z_train + net.pre[1].data / reps
        res[mode] = nll_acc(logits, y[te])
        shift[mode] = float(np.abs(z_eval).mean() / np.abs(z_train).mean())
    report.table("implementations", ["variant", "test NLL", "test accuracy", "mean |z₂| eval / train"],
                 [[m, f"{res[m][0]:.3f}", f"{res[m][1]:.3f}", f"{shift[m]:.2f}"] for m in res])
    report.claim(
        "inverted-equals-classic",
        en=f"Inverted dropout (scale by 1/(1 − p) in training, plain eval) and classic dropout (no scaling in "
           f"training, activations × (1 − p) at test) reach the same test accuracy on digits (64-256-256-10, "
           f"p = {P}, {steps} SGD steps; |difference| below 3 points).",
        zh=f"inverted dropout（训练时乘 1/(1 − p)，推理不变）与经典 dropout（训练不缩放，测试时激活乘 1 − p）在 digits 上达到相同的测试准确率"
           f"（64-256-256-10，p = {P}，{steps} 步 SGD；差异小于 3 个百分点）。",
        value=abs(res["inverted"][1] - res["classic"][1]), op="<", threshold=0.03, expression="|acc(inverted) − acc(classic)|")
    report.claim(
        "scaled-eval-matches-train-mean",
        en="With either correct scheme the test-time pre-activations of the second hidden layer have the same "
           "mean magnitude as in training (ratio within 10% of 1, worst of the two schemes).",
        zh="两种正确做法下，第二个隐藏层推理时的预激活平均幅度都与训练时相同（比值与 1 相差不超过 10%，取两者中较差的一个）。",
        value=max(abs(shift["inverted"] - 1), abs(shift["classic"] - 1)), op="<", threshold=0.1,
        expression="max |mean|z_eval| / mean|z_train| − 1|")
    report.claim(
        "no-scaling-bug-shifts-activations",
        en="The bug 'mask in training, no scaling anywhere' feeds the next layer 1/(1 − p) = 2 times larger "
           "inputs at test than in training: the second layer's pre-activations grow by more than 1.5×.",
        zh="“训练时加掩码、哪里都不缩放”的错误让下一层在测试时的输入是训练时的 1/(1 − p) = 2 倍：第二层预激活放大 1.5 倍以上。",
        value=shift["bug"], op=">", threshold=1.5, expression="mean|z_eval| / mean|z_train| (bug)")
    report.metric("nll_inverted", res["inverted"][0])
    report.metric("nll_bug", res["bug"][0])
    report.claim(
        "bug-is-miscalibrated",
        en="…so the bug's predictions are overconfident: its test NLL is more than 1.3 times that of inverted "
           "dropout, even where its accuracy is close.",
        zh="……因此这个错误的预测过度自信：测试 NLL 是 inverted dropout 的 1.3 倍以上，即使准确率相近。",
        value=res["bug"][0] / res["inverted"][0], op=">", threshold=1.3, expression="NLL(bug) / NLL(inverted)")
    report.progress(0.8, "implementations")

    # (3) MC dropout --------------------------------------------------------------------------------------------
    net = nets["inverted"]
    T = cfg.pick(40, 200)
    gen = cfg.rng(8)
    with no_grad():
        p_det = softmax(net(Xte, False).data)
        probs = np.stack([softmax(net(Xte, True, gen).data) for _ in range(T)])
    cum = np.cumsum(probs, axis=0) / np.arange(1, T + 1)[:, None, None]
    agree = (cum.argmax(-1) == p_det.argmax(-1)[None]).mean(axis=1)
    tv = 0.5 * np.abs(cum - p_det[None]).sum(-1).mean(axis=1)
    report.claim(
        "mc-average-agrees-with-scaled-pass",
        en=f"MC dropout (keep dropout on at test and average T = {T} passes) and the single scaled pass predict "
           "the same class on at least 95% of test digits.",
        zh=f"MC dropout（测试时保持 dropout 并平均 T = {T} 次前向）与单次缩放的前向在至少 95% 的测试数字上预测相同类别。",
        value=float(agree[-1]), op=">=", threshold=0.95, expression="agreement(argmax)")
    report.claim(
        "scaled-pass-only-approximates",
        en="…but in a nonlinear net the scaled pass only approximates the ensemble average: the total-variation "
           "distance between the MC average and the scaled prediction stays above 0.005 (mean over test digits).",
        zh="……但在非线性网络中，缩放后的前向只是对集成平均的近似：MC 平均与缩放预测之间的总变差距离保持在 0.005 以上（测试样本上的平均）。",
        value=float(tv[-1]), op=">", threshold=0.005, expression="mean TV(p_MC, p_scaled)")

    fig, ax = new_figure(1, 2, size=(8.8, 3.3))
    names = list(res)
    ax[0].bar(np.arange(3) - 0.2, [res[m][1] for m in names], 0.4, label="test accuracy")
    ax[0].bar(np.arange(3) + 0.2, [res[m][0] for m in names], 0.4, label="test NLL")
    ax[0].set_xticks(np.arange(3), ["inverted", "classic", "no scaling (bug)"])
    ax[0].legend(fontsize=7)
    ax[0].set_title(f"three implementations, p = {P}")
    tt = np.arange(1, T + 1)
    ax[1].semilogx(tt, agree, label="argmax agreement with scaled pass")
    ax[1].semilogx(tt, tv, label="mean TV distance to scaled pass")
    ax[1].set_xlabel("number of MC passes T")
    ax[1].legend(fontsize=7)
    ax[1].set_title("MC dropout vs weight scaling")
    report.figure(
        "dropout_mechanics", fig,
        en="Left: test accuracy and NLL on digits for inverted dropout, classic dropout with test-time scaling, "
           "and the bug without any scaling (same accuracy range, but the bug's NLL is much worse). Right: "
           "averaging T stochastic passes (MC dropout) against the single scaled pass: the argmax agreement "
           "rises toward 1, the distance between the probability vectors levels off above 0.",
        zh="左：digits 上 inverted dropout、测试时缩放的经典 dropout、以及完全不缩放的错误实现的测试准确率和 NLL（准确率相近，但错误实现的 NLL 差很多）。"
           "右：平均 T 次随机前向（MC dropout）与单次缩放前向相比：argmax 一致率趋近 1，概率向量之间的距离趋于一个大于 0 的值。")
    report.metric("seconds", time.perf_counter() - t0)
    report.progress(1.0, "done")
