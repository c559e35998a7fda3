# ruff: noqa: E501  (bilingual claim statements are long text)
"""Why a network does not learn: each classic cause reproduced on a digits MLP, with its symptom.

A ReLU MLP 64-64-10 (dlproof.nn, default PyTorch-style init) is trained full-batch with
dlproof.optim.SGD through dlproof.models.diagnostics.train_full_batch. Reproduced and measured:

* learning-rate sweep on standardised inputs: too small crawls, too large diverges;
* the same sweep on raw pixels (0..16): a narrower working range and slower training, and at a
  learning rate that is fine for standardised inputs every ReLU dies;
* the initial loss against log K;
* all-zero init: no hidden weight ever moves, the net predicts the class prior;
* shuffled labels: the training loss still falls, validation accuracy stays at chance;
* the overfit-a-tiny-batch test: the correct net reaches ~0, a double softmax cannot go below
  log(1 + (K-1)/e), gradient ascent blows up, and a forgotten zero_grad is *not* caught;
* gradient check (float64 central differences) of the correct gradient and of one missing 1/N;
* log(softmax) computed naively in float32 gives -inf/NaN; the stable log-softmax does not.
"""

from __future__ import annotations

import time

import numpy as np

from dlproof.experiments.registry import Report, RunConfig, experiment

LRS = [1e-4, 1e-3, 1e-2, 0.1, 0.3, 1.0, 3.0, 10.0]


def _mlp(seed, hidden=64, dtype=np.float32):
    from dlproof import nn

    rng = np.random.default_rng(seed)
    return nn.Sequential(nn.Linear(64, hidden, generator=rng, dtype=dtype), nn.ReLU(),
                         nn.Linear(hidden, 10, generator=rng, dtype=dtype))


def _accuracy(net, X, y) -> float:
    from dlproof.engine.tensor import no_grad, tensor

    with no_grad():
        return float((net(tensor(X)).data.argmax(1) == y).mean())


@experiment(
    "training-failure-modes",
    questions=["training-not-converging"],
    title_en="Why a network does not learn: the classic causes reproduced, with their symptoms",
    title_zh="神经网络为什么不学习：逐一复现常见原因及其症状",
)
def run(cfg: RunConfig, report: Report) -> None:
    import dlproof.nn.functional as F
    from dlproof import data
    from dlproof.engine.tensor import tensor
    from dlproof.models.diagnostics import (
        dead_relu_fraction,
        gradient_check,
        naive_log_softmax,
        overfit_small_batch,
        stable_log_softmax,
        train_full_batch,
    )

    t0 = time.perf_counter()
    n, steps = cfg.pick(250, 1000), cfg.pick(60, 200)
    perm = cfg.rng(0).permutation(1797)
    Xs_all, y_all = data.digits(np.float32)
    Xr_all, _ = data.digits(np.float32, standardize=False)
    tr, va = perm[:n], perm[n:n + 400]
    X, y, Xraw = Xs_all[tr], y_all[tr], Xr_all[tr]
    seed = int(cfg.rng(1).integers(2**31))

    # learning-rate sweeps, standardised and raw -----------------------------------------------------
    curves = {"standardised": {}, "raw pixels": {}}
    final = {"standardised": {}, "raw pixels": {}}
    dead = {"standardised": {}, "raw pixels": {}}
    for name, Xin in (("standardised", X), ("raw pixels", Xraw)):
        for lr in LRS:
            net = _mlp(seed)
            out = train_full_batch(net, Xin, y, lr, steps)
            curves[name][lr] = out["losses"]
            final[name][lr] = np.inf if out["diverged"] else float(out["losses"][-1])
            dead[name][lr] = dead_relu_fraction(net, Xin) if not out["diverged"] else float("nan")
        report.progress(0.25 if name == "standardised" else 0.5, f"learning-rate sweep ({name})")
    L0 = float(curves["standardised"][LRS[0]][0])
    report.table("lr-sweep", ["learning rate", "final loss (standardised)", "final loss (raw)",
                              "dead ReLUs (standardised)", "dead ReLUs (raw)"],
                 [[f"{lr:g}", f"{final['standardised'][lr]:.3g}", f"{final['raw pixels'][lr]:.3g}",
                   f"{dead['standardised'][lr]:.2f}", f"{dead['raw pixels'][lr]:.2f}"] for lr in LRS])
    tiny = curves["standardised"][1e-4]
    report.claim(
        "tiny-lr-crawls",
        en=f"Learning rate 1e-4: after {steps} full-batch steps the loss has fallen by less than 5% of its initial value (relative decrease); the curve looks flat.",
        zh=f"学习率 1e-4：{steps} 步全批量训练后，损失的下降不到初始值的 5%（相对下降）；曲线看起来是平的。",
        value=float((tiny[0] - tiny[-1]) / tiny[0]), op="<", threshold=0.05,
        expression="(L_0 - L_T) / L_0 at lr = 1e-4")
    huge = curves["standardised"][10.0]
    report.claim(
        "huge-lr-diverges",
        en="Learning rate 10: the loss explodes, its largest recorded value exceeds 100 times the initial loss (the run then goes to inf/NaN and is stopped).",
        zh="学习率 10：损失爆炸，记录到的最大损失超过初始损失的 100 倍（随后变成 inf/NaN，训练被中止）。",
        value=float(np.max(huge) / huge[0]), op=">", threshold=100, expression="max_t L_t / L_0 at lr = 10")
    good = {k: min(v.values()) for k, v in final.items()}
    report.metric("best_final_loss_standardised", good["standardised"])
    report.metric("best_final_loss_raw", good["raw pixels"])
    report.claim(
        "unnormalised-inputs-train-slower",
        en=f"Raw pixels (0..16) instead of standardised inputs: with the learning rate picked from the same grid for each, the best loss after {steps} steps is more than 2 times higher (ratio raw / standardised).",
        zh=f"用原始像素（0..16）代替标准化输入：两者各自在同一学习率网格中取最优，{steps} 步后的最低损失高出 2 倍以上（原始 / 标准化）。",
        value=good["raw pixels"] / good["standardised"], op=">", threshold=2.0,
        expression="min_lr L_T(raw) / min_lr L_T(standardised)")
    works = {k: max([lr for lr in LRS if v[lr] < 0.5], default=LRS[0] / 10) for k, v in final.items()}
    report.claim(
        "unnormalised-inputs-narrow-lr-range",
        en="The largest learning rate that still trains (final loss below 0.5) is at least 10 times smaller for raw pixels than for standardised inputs (ratio).",
        zh="仍能训练（最终损失低于 0.5）的最大学习率，原始像素比标准化输入小至少 10 倍（比值）。",
        value=works["standardised"] / works["raw pixels"], op=">=", threshold=10.0,
        expression="max working lr (standardised) / max working lr (raw)")
    report.claim(
        "large-lr-kills-relus",
        en="At learning rate 0.3, which trains the standardised net with no dead unit, the raw-pixel net loses at least 90% of its ReLUs (zero output on every training input) and its loss stays near log 10.",
        zh="学习率 0.3 能让标准化输入的网络正常训练且没有死单元，而原始像素的网络至少 90% 的 ReLU 死亡（在所有训练样本上输出都为 0），损失停在 log 10 附近。",
        value=dead["raw pixels"][0.3] - dead["standardised"][0.3], op=">=", threshold=0.9,
        expression="dead(raw, 0.3) - dead(standardised, 0.3)")
    report.claim(
        "initial-loss-log-k",
        en="With standardised inputs and the default small init the initial loss is within 0.15 of log 10 = 2.303 (|L_0 - log K|); a much larger value says the init or the inputs are badly scaled.",
        zh="标准化输入加默认的小初始化时，初始损失与 log 10 = 2.303 相差不到 0.15（|L_0 − log K|）；明显更大说明初始化或输入的尺度有问题。",
        value=abs(L0 - np.log(10)), op="<", threshold=0.15, expression="|L_0 - log 10|")
    report.metric("initial_loss_raw", float(curves["raw pixels"][LRS[0]][0]))

    # zero init and shuffled labels -------------------------------------------------------------------
    net = _mlp(seed)
    for p in net.parameters():
        p.data[...] = 0
    out = train_full_batch(net, X, y, 0.3, steps)
    prior = float(np.bincount(y, minlength=10).max() / len(y))
    report.metric("zero_init_accuracy", _accuracy(net, X, y))
    report.claim(
        "zero-init-never-learns",
        en=f"All-zero init: after {steps} steps at learning rate 0.3 no hidden weight has moved (max |W1| = 0, measured exactly) and training accuracy equals that of predicting the majority class (accuracy minus majority frequency).",
        zh=f"全零初始化：学习率 0.3 训练 {steps} 步后，隐藏层权重一个都没有动（max |W1| 精确为 0），训练准确率等于总是预测多数类的准确率（度量为准确率减多数类频率）。",
        value=float(np.abs(net[0].weight.data).max()) + abs(_accuracy(net, X, y) - prior), op="==",
        threshold=0.0, expression="max|W1| + |acc - majority frequency|")
    net = _mlp(seed)
    y_shuf = cfg.rng(2).permutation(y)
    out = train_full_batch(net, X, y_shuf, 0.3, steps)
    ok_net = _mlp(seed)
    train_full_batch(ok_net, X, y, 0.3, steps)
    acc_shuf, acc_ok = _accuracy(net, Xs_all[va], y_all[va]), _accuracy(ok_net, Xs_all[va], y_all[va])
    report.metric("shuffled_train_loss_drop", float(out["losses"][0] - out["losses"][-1]))
    report.metric("val_accuracy_correct_labels", acc_ok)
    report.claim(
        "shuffled-labels-chance-validation",
        en="Labels shuffled against the inputs (a data-pipeline bug): the training loss still falls, but validation accuracy stays below 0.2 (chance is 0.1), while the same net with correct labels is far higher (measured: correct minus shuffled > 0.6).",
        zh="标签与输入错位（数据管道的 bug）：训练损失照样下降，但验证准确率低于 0.2（随机为 0.1）；同一网络用正确标签高得多（度量：正确减错位 > 0.6）。",
        value=acc_ok - acc_shuf, op=">", threshold=0.6, expression="val acc(correct) - val acc(shuffled)")
    report.progress(0.7, "init and label bugs done")

    # overfit a tiny batch ----------------------------------------------------------------------------
    Xb, yb = X[:16], y[:16]
    tiny_steps = 200
    ok = overfit_small_batch(_mlp(seed), Xb, yb, 0.5, tiny_steps)
    dbl = overfit_small_batch(_mlp(seed), Xb, yb, 0.5, tiny_steps,
                              loss_fn=lambda z, t: F.cross_entropy(F.softmax(z, dim=1), t))
    asc = train_full_batch(_mlp(seed), Xb, yb, 0.5, tiny_steps, grad_sign=-1.0)
    nzg = train_full_batch(_mlp(seed), Xb, yb, 0.5, tiny_steps, zero_grad=False)
    floor = float(np.log(1 + 9 / np.e))
    report.table("overfit-16", ["variant", "final loss on 16 examples"],
                 [["correct", f"{ok:.2e}"], ["double softmax", f"{dbl:.4f}"],
                  ["gradient ascent", "diverged" if asc["diverged"] else f"{asc['losses'][-1]:.3g}"],
                  ["zero_grad forgotten", "diverged" if nzg["diverged"] else f"{nzg['losses'][-1]:.2e}"]])
    report.claim(
        "correct-net-overfits-tiny-batch",
        en=f"Overfit test: the correct net drives the loss on 16 examples below 0.01 in {tiny_steps} steps.",
        zh=f"过拟合测试：正确的网络在 {tiny_steps} 步内把 16 个样本上的损失降到 0.01 以下。",
        value=ok, op="<", threshold=0.01, expression="L after 200 steps on 16 examples")
    report.claim(
        "double-softmax-floor",
        en=f"A softmax applied twice (softmax output fed to a cross-entropy that applies its own) cannot go below log(1 + 9/e) = {floor:.3f}: its final loss on the same 16 examples is within 0.01 of that floor.",
        zh=f"重复做两次 softmax（把 softmax 输出再送进自带 softmax 的交叉熵）时，损失不可能低于 log(1 + 9/e) = {floor:.3f}：在同样 16 个样本上的最终损失与这个下界相差不到 0.01。",
        value=abs(dbl - floor), op="<", threshold=0.01, expression="|L_double - log(1 + 9/e)|")
    report.claim(
        "gradient-sign-bug-caught",
        en="A flipped gradient sign (ascent) fails the overfit test: its loss on the 16 examples rises above 10 times the initial loss, or becomes non-finite (largest recorded loss / initial loss).",
        zh="梯度符号写反（变成上升）无法通过过拟合测试：16 个样本上的损失升到初始值的 10 倍以上或变成非有限值（度量为记录到的最大损失 / 初始损失）。",
        value=float(np.max(asc["losses"]) / asc["losses"][0]) if not asc["diverged"] else 1e6,
        op=">", threshold=10.0, expression="max_t L_t / L_0 (1e6 when it went non-finite)")
    report.claim(
        "forgotten-zero-grad-not-caught",
        en="A forgotten zero_grad is NOT caught by the overfit test: with accumulated gradients the 16 examples are still fitted to a loss below 0.01, so this bug has to be found by reading the code or the loss curve.",
        zh="忘记 zero_grad 这个 bug 过拟合测试抓不到：梯度累积时 16 个样本仍然能拟合到 0.01 以下，所以这个 bug 只能靠读代码或看损失曲线发现。",
        value=float(nzg["losses"][-1]) if not nzg["diverged"] else 1e6, op="<", threshold=0.01,
        expression="L after 200 steps, zero_grad forgotten")

    # gradient check ----------------------------------------------------------------------------------
    net64 = _mlp(seed, hidden=8, dtype=np.float64)
    Xg, yg = X[:10].astype(np.float64), y[:10]
    params = list(net64.parameters())
    loss_of = lambda: F.cross_entropy(net64(tensor(Xg)), yg)  # noqa: E731
    err_ok = gradient_check(loss_of, params)
    for p in params:
        p.grad = None
    loss_of().backward()
    wrong = [p.grad * len(Xg) for p in params]  # the bug: gradient of the summed loss, 1/N forgotten
    err_bug = gradient_check(loss_of, params, grads=wrong)
    report.metric("gradcheck_rel_error_correct", err_ok)
    report.metric("gradcheck_rel_error_missing_1_over_n", err_bug)
    report.claim(
        "gradcheck-passes-correct",
        en="Gradient check (float64 central differences, all 610 parameters of a 64-8-10 net): the backprop gradient agrees to a relative error below 1e-6.",
        zh="梯度检验（float64 中心差分，64-8-10 网络的全部 610 个参数）：反向传播梯度的相对误差小于 1e-6。",
        value=err_ok, op="<", threshold=1e-6, expression="||g - g_fd|| / ||g_fd||")
    report.claim(
        "gradcheck-catches-missing-mean",
        en="The same check flags a gradient that forgot the 1/N of the mean loss: relative error above 1 (it is N - 1 = 9).",
        zh="同样的检验能抓出忘了平均损失中 1/N 的梯度：相对误差大于 1（理论值 N − 1 = 9）。",
        value=err_bug, op=">", threshold=1.0, expression="||N g - g_fd|| / ||g_fd||")

    # log(0): naive vs stable log-softmax -------------------------------------------------------------
    with_big = _mlp(seed)
    for p in with_big.parameters():
        p.data *= 20  # badly scaled weights: logits in the hundreds
    from dlproof.engine.tensor import no_grad

    with no_grad():
        z = with_big(tensor(X)).data.astype(np.float32)
    naive = -naive_log_softmax(z)[np.arange(len(y)), y]
    stable = -stable_log_softmax(z)[np.arange(len(y)), y]
    frac_bad = float(np.mean(~np.isfinite(naive)))
    report.metric("logit_range", float(np.ptp(z, axis=1).mean()))
    report.claim(
        "naive-log-softmax-nan",
        en="With badly scaled weights (logits in the hundreds), log(softmax(z)) computed naively in float32 gives an infinite or NaN loss on more than 20% of the examples (fraction).",
        zh="权重尺度过大（logit 达到数百）时，在 float32 中直接计算 log(softmax(z))，超过 20% 的样本得到无穷或 NaN 的损失（比例）。",
        value=frac_bad, op=">", threshold=0.2, expression="fraction of non-finite naive losses")
    report.claim(
        "stable-log-softmax-finite",
        en="The stable log-softmax (subtract the max, then log-sum-exp) gives a finite loss on every example (fraction non-finite).",
        zh="稳定的 log-softmax（先减最大值，再 log-sum-exp）在每个样本上都给出有限的损失（度量为非有限值的比例）。",
        value=float(np.mean(~np.isfinite(stable))), op="==", threshold=0.0,
        expression="fraction of non-finite stable losses")

    fig, ax = _figure()
    for lr in LRS:
        c = curves["standardised"][lr]
        ax[0].semilogy(c, label=f"{lr:g}" + (" (diverged)" if not np.isfinite(final["standardised"][lr]) else ""))
        ax[1].semilogy(curves["raw pixels"][lr], label=f"{lr:g}")
    ax[0].set(xlabel="step", ylabel="training loss", title="standardised inputs")
    ax[1].set(xlabel="step", title="raw pixels 0..16")
    ax[0].legend(fontsize=7, title="lr")
    report.figure("lr-sweeps", fig, en="Training-loss curves for each learning rate: standardised inputs (left) and raw pixels (right).",
                  zh="各学习率的训练损失曲线：标准化输入（左）与原始像素（右）。")
    report.metric("seconds", time.perf_counter() - t0)


def _figure():
    from matplotlib.figure import Figure

    fig = Figure(figsize=(9.5, 3.4), layout="constrained")
    return fig, fig.subplots(1, 2, sharey=True)
