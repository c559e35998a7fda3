# ruff: noqa: E501  (bilingual claim statements are long text)
"""Why weight decay leaves the biases alone.

1. Linear regression with a target offset of 50 (y = wᵀx + 50 + noise): the penalized problem
   mean (y − Xw − b)² + λ(||w||² [+ b²]) solved in closed form along a λ sweep, and once by our
   nn.Linear + SGD with two parameter groups (decay on the weight only, or on both). Penalizing the
   bias drags it toward 0 and the test error explodes; weights-only decay keeps the intercept.
2. Origin dependence: shifting all targets by c shifts the weights-only predictions by exactly c;
   with a bias penalty the fit depends on where the origin of y happens to be.
3. How few the biases are (exact counts), and on a digits MLP trained with SGD + weight decay, decaying
   the biases too barely changes test accuracy: in the usual regime the choice matters little.
"""

from __future__ import annotations

import time

import numpy as np

from dlproof.data import digits
from dlproof.engine import tensor
from dlproof.experiments.figures import new_figure
from dlproof.experiments.registry import Report, RunConfig, experiment

OFFSET = 50.0


def fit(X, y, lam, penalize_bias):
    """argmin_{w,b} mean (y − Xw − b)² + λ(||w||² + [b²]) in closed form."""
    n, d = X.shape
    A = np.hstack([X, np.ones((n, 1))])
    P = np.eye(d + 1)
    if not penalize_bias:
        P[-1, -1] = 0.0
    theta = np.linalg.solve(A.T @ A / n + lam * P, A.T @ y / n)
    return theta[:-1], theta[-1]


def sgd_fit(X, y, lam, penalize_bias, steps, lr):
    """The same objective with our nn.Linear and SGD (decay = ∇ of (λ/2)·2||·||², i.e. weight_decay = 2λ)."""
    import dlproof.nn.functional as F
    from dlproof import nn
    from dlproof.optim import SGD

    lin = nn.Linear(X.shape[1], 1, dtype=np.float64)
    nn.init.zeros_(lin.weight)
    nn.init.zeros_(lin.bias)
    groups = [{"params": [lin.weight], "weight_decay": 2 * lam},
              {"params": [lin.bias], "weight_decay": 2 * lam if penalize_bias else 0.0}]
    opt = SGD(groups, lr=lr)
    Xt, yt = tensor(X), tensor(y[:, None])
    for _ in range(steps):
        opt.zero_grad()
        F.mse_loss(lin(Xt), yt).backward()
        opt.step()
    return lin.weight.data.ravel().copy(), float(lin.bias.data[0])


@experiment(
    "bias-decay",
    questions=["no-bias-decay"],
    title_en="Why not decay the biases: a bias penalty pulls the intercept to 0, breaks shift equivariance, and saves almost nothing",
    title_zh="为什么不衰减偏置：偏置惩罚把截距拉向 0、破坏平移等变性，而且几乎省不下什么",
)
def run(cfg: RunConfig, report: Report) -> None:
    import dlproof.nn.functional as F
    from dlproof import nn
    from dlproof.engine.tensor import no_grad
    from dlproof.optim import SGD

    t0 = time.perf_counter()
    rng = cfg.rng(0)
    n, d = 100, 10
    w_true = rng.standard_normal(d)
    X = rng.standard_normal((n, d))
    y = X @ w_true + OFFSET + rng.standard_normal(n)
    Xte = rng.standard_normal((2000, d))
    yte = Xte @ w_true + OFFSET + rng.standard_normal(2000)

    lams = np.logspace(-4, 1, cfg.pick(21, 51))
    res = {}
    for pb in (False, True):
        mse, bias = [], []
        for lam in lams:
            w, b = fit(X, y, lam, pb)
            mse.append(np.mean((yte - Xte @ w - b) ** 2))
            bias.append(b)
        res[pb] = (np.array(mse), np.array(bias))

    # the closed form is what our SGD with two parameter groups converges to
    lam1 = 0.1
    gaps = []
    for pb in (False, True):
        w_s, b_s = sgd_fit(X, y, lam1, pb, cfg.pick(300, 600), 0.2)
        w_c, b_c = fit(X, y, lam1, pb)
        gaps.append(max(np.abs(w_s - w_c).max(), abs(b_s - b_c)))
    report.claim(
        "sgd-groups-match-closed-form",
        en=f"Our nn.Linear trained by SGD with two parameter groups (weight_decay on the weight only, or on "
           f"weight and bias) converges to the closed-form penalized solutions (λ = {lam1}; largest parameter "
           "difference).",
        zh=f"用两个参数组训练的 nn.Linear + SGD（只对权重 weight_decay，或对权重和偏置都做）收敛到闭式的带惩罚解（λ = {lam1}；参数最大差异）。",
        value=float(max(gaps)), op="<", threshold=1e-6, expression="max |θ_SGD − θ_closed form|")
    i1 = int(np.argmin(np.abs(lams - lam1)))
    ratio = float(res[True][0][i1] / res[False][0][i1])
    report.claim(
        "bias-penalty-blows-up-error",
        en=f"Targets with an offset of {OFFSET:g}: already at λ = {lam1}, penalizing the bias too raises the test "
           "MSE more than 5-fold over weights-only decay (noise variance 1), because the intercept is pulled "
           "toward 0.",
        zh=f"目标带 {OFFSET:g} 的偏移：在 λ = {lam1} 时，连偏置一起惩罚就使测试 MSE 比只惩罚权重时高 5 倍以上（噪声方差为 1），因为截距被拉向 0。",
        value=ratio, op=">", threshold=5.0, expression="MSE(w + b penalized) / MSE(w only)")
    lam_big = 1.0
    ib = int(np.argmin(np.abs(lams - lam_big)))
    b_pen, b_free = float(res[True][1][ib]), float(res[False][1][ib])
    report.metric("bias_penalized_at_lambda_1", b_pen)
    report.metric("bias_free_at_lambda_1", b_free)
    report.claim(
        "penalized-bias-shrinks",
        en=f"At λ = {lam_big} the penalized intercept keeps less than 60% of the offset {OFFSET:g} (about "
           f"{OFFSET:g}/(1 + λ)), while the unpenalized one stays within 1 of it: the fraction b_pen / b_free.",
        zh=f"λ = {lam_big} 时，被惩罚的截距只保留不到 60% 的偏移 {OFFSET:g}（约为 {OFFSET:g}/(1 + λ)），而不被惩罚的截距与它相差不到 1：比值 b_pen / b_free。",
        value=b_pen / b_free, op="<", threshold=0.6, expression="b(penalized) / b(free)")
    report.metric("free_bias_error", abs(b_free - OFFSET))
    free_dev = float(np.abs(res[False][1] - OFFSET).max())
    report.claim(
        "free-bias-tracks-offset",
        en=f"With weights-only decay the intercept stays within 1 of the offset {OFFSET:g} over the whole sweep "
           "λ ∈ [1e-4, 10] (largest |b − offset|), whereas the penalized intercept falls toward 0.",
        zh=f"只衰减权重时，在整个扫描范围 λ ∈ [1e-4, 10] 内截距与偏移 {OFFSET:g} 的差都不超过 1（最大 |b − 偏移|），而被惩罚的截距则向 0 下降。",
        value=free_dev, op="<", threshold=1.0, expression="max_λ |b_free(λ) − offset|")

    # origin dependence: shift the targets by c
    c = 100.0
    lam_s = 0.3
    dev = {}
    for pb in (False, True):
        w0, b0 = fit(X, y, lam_s, pb)
        w1, b1 = fit(X, y + c, lam_s, pb)
        dev[pb] = float(np.abs((Xte @ w1 + b1) - (Xte @ w0 + b0) - c).max())
    report.claim(
        "shift-equivariance",
        en=f"Weights-only decay is equivariant to the origin of y: adding c = {c:g} to every target adds exactly c "
           f"to every prediction (λ = {lam_s}; largest deviation from +c on test inputs). With a bias penalty "
           "the deviation is tens of units (metric shift_deviation_bias_penalized).",
        zh=f"只衰减权重时，拟合对 y 的原点等变：所有目标加上 c = {c:g}，每个预测也恰好加 c（λ = {lam_s}；测试输入上与 +c 的最大偏差）。"
           "带偏置惩罚时偏差达数十（指标 shift_deviation_bias_penalized）。",
        value=dev[False], op="<", threshold=1e-9, expression="max |f_{y+c}(x) − f_y(x) − c|, weights only")
    report.metric("shift_deviation_bias_penalized", dev[True])
    report.progress(0.3, "linear regression")

    # how many biases there are
    sizes = [64, 256, 256, 10]
    n_w = sum(a * b for a, b in zip(sizes[:-1], sizes[1:]))
    n_b = sum(sizes[1:])
    report.claim(
        "biases-are-few",
        en=f"Biases are a tiny share of the parameters: in a {'-'.join(map(str, sizes))} MLP there are {n_b} "
           f"biases against {n_w} weights, so leaving them unregularized frees under 1% of the parameters.",
        zh=f"偏置只占参数的极小部分：{'-'.join(map(str, sizes))} 的 MLP 中有 {n_b} 个偏置、{n_w} 个权重，不对它们正则只放开了不到 1% 的参数。",
        value=n_b / (n_w + n_b), op="<", threshold=0.01, expression="#biases / #parameters")

    # digits MLP: decaying the biases too changes little
    Xd, yd = digits()
    perm = cfg.rng(1).permutation(len(Xd))
    tr, te = perm[:1000], perm[1000:]
    steps = cfg.pick(150, 800)
    accs = {}
    for pb in (False, True):
        r = cfg.rng(2)
        l1 = nn.Linear(64, 128, generator=r, dtype=np.float64)
        l2 = nn.Linear(128, 10, generator=r, dtype=np.float64)
        net = nn.Sequential(l1, nn.ReLU(), l2)
        wd = 5e-3
        opt = SGD([{"params": [l1.weight, l2.weight], "weight_decay": wd},
                   {"params": [l1.bias, l2.bias], "weight_decay": wd if pb else 0.0}], lr=0.1, momentum=0.9)
        rb = cfg.rng(3)
        for _ in range(steps):
            idx = tr[rb.integers(0, len(tr), 64)]
            opt.zero_grad()
            F.cross_entropy(net(tensor(Xd[idx])), tensor(yd[idx])).backward()
            opt.step()
        with no_grad():
            accs[pb] = float((net(tensor(Xd[te])).data.argmax(1) == yd[te]).mean())
    report.table("digits_mlp", ["decay on", "test accuracy"], [["weights only", f"{accs[False]:.3f}"],
                                                              ["weights + biases", f"{accs[True]:.3f}"]])
    report.metric("digits_acc_weights_only", accs[False])
    report.metric("digits_acc_with_biases", accs[True])
    report.claim(
        "digits-difference-small",
        en=f"On digits (64-128-10 MLP, SGD with momentum and weight decay 5e-3, {steps} steps) decaying the biases "
           "too changes test accuracy by less than 3 points: with standardized inputs and mild decay the choice "
           "matters little, unlike in the offset regression above.",
        zh=f"在 digits 上（64-128-10 MLP，带动量的 SGD，权重衰减 5e-3，{steps} 步），连偏置一起衰减对测试准确率的影响小于 3 个百分点："
           "输入已标准化、衰减较弱时，这个选择影响不大，与上面带偏移的回归不同。",
        value=abs(accs[False] - accs[True]), op="<", threshold=0.03, expression="|acc(w only) − acc(w + b)|")

    # figure
    fig, ax = new_figure(1, 2, size=(8.8, 3.3))
    ax[0].loglog(lams, res[False][0], label="decay on weights only")
    ax[0].loglog(lams, res[True][0], label="decay on weights + bias")
    ax[0].set_xlabel("λ")
    ax[0].set_ylabel("test MSE")
    ax[0].legend(fontsize=7)
    ax[0].set_title(f"regression with target offset {OFFSET:g}")
    ax[1].semilogx(lams, res[False][1], label="weights only")
    ax[1].semilogx(lams, res[True][1], label="weights + bias")
    ax[1].axhline(OFFSET, color="k", ls=":", lw=0.8)
    ax[1].set_xlabel("λ")
    ax[1].set_ylabel("learned bias")
    ax[1].legend(fontsize=7)
    ax[1].set_title("the intercept")
    report.figure(
        "bias_decay", fig,
        en=f"Linear regression with targets offset by {OFFSET:g}. Left: test MSE against the penalty strength λ "
           "when only the weights are penalized and when the bias is penalized too. Right: the learned bias; "
           "penalized, it is pulled toward 0 (dotted: the true offset).",
        zh=f"目标偏移 {OFFSET:g} 的线性回归。左：只惩罚权重与连偏置一起惩罚时，测试 MSE 随惩罚强度 λ 的变化。右：学到的偏置；被惩罚时它被拉向 0（虚线：真实偏移）。")
    report.metric("seconds", time.perf_counter() - t0)
    report.progress(1.0, "done")
