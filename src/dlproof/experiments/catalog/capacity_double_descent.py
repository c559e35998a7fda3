# ruff: noqa: E501  (bilingual claim statements are long text)
"""Capacity: representational vs effective, the U-curve, double descent, memorisation (Goodfellow §5.2).

(a) Polynomials of degree 0..12 on n = 20 noisy points from a cubic: nested hypothesis spaces make
    the training error non-increasing in the degree, the test error is U-shaped.
(b) The degree-12 family with an L2 penalty: the same representational capacity, a lower effective
    capacity, and a lower test error at a good lambda.
(c) Random ReLU features, n = 40, p = 5..400, minimum-norm least squares: the test error peaks near
    the interpolation threshold p = n and falls again beyond it (Belkin et al. 2019).
(d) A small MLP fits random labels on digits perfectly (Zhang et al. 2017): its capacity is large
    enough to memorise, so capacity measures based on the function class alone cannot explain why
    the same net generalises on real labels.
"""

from __future__ import annotations

import numpy as np

from dlproof.experiments.registry import Report, RunConfig, experiment
from dlproof.stats.linear import polynomial_features, ridge


def _fig(ncols, w=3.9, h=3.3):
    from matplotlib.figure import Figure

    fig = Figure(figsize=(w * ncols, h), layout="constrained")
    return fig, fig.subplots(1, ncols)


def _cubic(x):
    return 2 * x ** 3 - x


@experiment(
    "capacity-double-descent",
    questions=["model-capacity"],
    title_en="Capacity: U-curve in polynomial degree, effective capacity by L2, double descent, memorising random labels",
    title_zh="容量：多项式次数上的 U 形曲线、L2 下的有效容量、双下降、记住随机标签",
)
def run(cfg: RunConfig, report: Report) -> None:
    rng = cfg.rng(0)
    n = 20
    x = rng.uniform(-1, 1, n)
    y = _cubic(x) + 0.3 * rng.standard_normal(n)
    xt = np.linspace(-1, 1, 400)
    yt = _cubic(xt)  # noiseless test targets: test MSE = squared error of the fitted function
    degrees = np.arange(13)
    tr, te = [], []
    for deg in degrees:
        P = polynomial_features(x, int(deg))
        w = np.linalg.lstsq(P, y, rcond=None)[0]
        tr.append(float(np.mean((P @ w - y) ** 2)))
        te.append(float(np.mean((polynomial_features(xt, int(deg)) @ w - yt) ** 2)))
    tr, te = np.array(tr), np.array(te)
    best = int(np.argmin(te))
    report.table("polynomial", ["degree", "train MSE", "test MSE"], [[int(d), f"{a:.4f}", f"{b:.4f}"] for d, a, b in zip(degrees, tr, te)])
    report.claim(
        "train-error-monotone-in-capacity",
        en=f"Polynomial least squares on n = {n} noisy points from a cubic: the hypothesis spaces are nested, so the training MSE never increases with the degree (largest increase from one degree to the next, degrees 0–12).",
        zh=f"在来自三次函数的 n = {n} 个带噪点上做多项式最小二乘：假设空间是嵌套的，所以训练 MSE 随次数从不增加（相邻次数之间的最大增量，次数 0–12）。",
        value=float(np.max(np.diff(tr))), op="<", threshold=1e-10, expression="max_d (train(d+1) − train(d))")
    report.claim(
        "test-error-u-shaped",
        en=f"The test error is U-shaped: it is lowest at a moderate degree (here {best}; the claim requires 2–6) and at degree 12 it is more than 3 times that minimum. Value: test(12)/min test (0 if the minimum is outside degrees 2–6).",
        zh=f"测试误差呈 U 形：在中等次数处最低（此处为 {best}；声明要求 2–6），在 12 次时超过最小值的 3 倍。数值：test(12)/最小测试误差（若最小值不在 2–6 次则为 0）。",
        value=float(te[-1] / te[best]) if 2 <= best <= 6 else 0.0, op=">", threshold=3.0, expression="test(12) / min_d test(d)")

    P12, P12t = polynomial_features(x, 12), polynomial_features(xt, 12)
    lams = np.logspace(-8, 1, 19)
    te_l = np.array([np.mean((P12t @ ridge(P12, y, lam) - yt) ** 2) for lam in lams])
    report.claim(
        "l2-lowers-effective-capacity",
        en=f"Keeping degree 12 (the same representational capacity) but adding an L2 penalty lowers the effective capacity: the best λ on a grid 1e-8…10 gives a test MSE less than half that of the unpenalised degree-12 fit (ratio; best λ ≈ {lams[int(np.argmin(te_l))]:.1e}).",
        zh=f"保持 12 次（表示容量不变）但加 L2 惩罚会降低有效容量：在 1e-8…10 的网格上最好的 λ 的测试 MSE 不到无惩罚 12 次拟合的一半（比值；最佳 λ ≈ {lams[int(np.argmin(te_l))]:.1e}）。",
        value=float(te_l.min() / te[-1]), op="<", threshold=0.5, expression="min_λ test(λ) / test(λ = 0), degree 12")
    report.progress(0.25, "polynomials")

    # (c) double descent with random ReLU features ---------------------------------------------------
    r2 = cfg.rng(1)
    n_dd, d_in = 40, 5
    w_true = r2.standard_normal(d_in) / np.sqrt(d_in)
    Xtr = r2.standard_normal((n_dd, d_in))
    Xte = r2.standard_normal((1000, d_in))
    ytr = np.tanh(2 * Xtr @ w_true) + 0.2 * r2.standard_normal(n_dd)
    yte = np.tanh(2 * Xte @ w_true)
    ps = np.array(cfg.pick([5, 10, 20, 30, 36, 40, 44, 50, 60, 80, 120, 200, 400],
                           [5, 10, 15, 20, 25, 30, 34, 36, 38, 40, 42, 44, 46, 50, 55, 60, 70, 80, 100, 120, 160, 200, 300, 400]))
    draws = cfg.pick(8, 20)
    te_dd = np.zeros(ps.size)
    tr_dd = np.zeros(ps.size)
    for _ in range(draws):  # loop over independent feature draws (averaging)
        F_all = r2.standard_normal((d_in, ps.max())) / np.sqrt(d_in)
        for j, p in enumerate(ps):
            Phi, Phit = np.maximum(Xtr @ F_all[:, :p], 0), np.maximum(Xte @ F_all[:, :p], 0)
            beta = ridge(Phi, ytr, 0.0)  # least squares; minimum-norm when p > n
            tr_dd[j] += np.mean((Phi @ beta - ytr) ** 2) / draws
            te_dd[j] += np.median((Phit @ beta - yte) ** 2) / draws
    peak = int(ps[np.argmax(te_dd)])
    report.table("double_descent", ["p", "train MSE", "test (median sq. error)"], [[int(p), f"{a:.4f}", f"{b:.4f}"] for p, a, b in zip(ps, tr_dd, te_dd)])
    report.claim(
        "double-descent-peak-at-interpolation",
        en=f"Random ReLU features with n = {n_dd} training points and minimum-norm least squares: the test error (median squared error, averaged over {draws} feature draws) peaks at p = {peak}, within 0.8n…1.25n of the interpolation threshold p = n, where the feature matrix is square and worst conditioned. Value: p_peak / n.",
        zh=f"随机 ReLU 特征、n = {n_dd} 个训练点、最小范数最小二乘：测试误差（中位平方误差，{draws} 次特征抽样平均）在 p = {peak} 处达到峰值，落在插值阈值 p = n 的 0.8n…1.25n 之内，此时特征矩阵为方阵、条件最差。数值：p_peak / n。",
        value=peak / n_dd, op="between", threshold=(0.8, 1.25), expression="argmax_p test(p) / n")
    best_under = float(te_dd[ps < n_dd].min())
    report.metric("test_at_max_p_over_best_underparameterised", float(te_dd[-1] / best_under))
    report.claim(
        "second-descent",
        en=f"Past the threshold the test error falls again: at p = {ps[-1]} (10n, training error 0) it is a small fraction of the peak (value: the ratio). Whether it also beats the best under-parameterised model (p < n) depends on the draw: the ratio to that is {te_dd[-1] / best_under:.2f} here.",
        zh=f"越过阈值后测试误差再次下降：p = {ps[-1]}（10n，训练误差为 0）时只是峰值的一小部分（数值：比值）。它是否也优于欠参数化（p < n）的最好模型取决于抽样：此处与之的比值为 {te_dd[-1] / best_under:.2f}。",
        value=float(te_dd[-1] / te_dd.max()), op="<", threshold=0.2, expression="test(p = 10n) / max_p test(p)")
    report.progress(0.6, "double descent")

    # (d) memorising random labels -------------------------------------------------------------------
    import dlproof.nn as nn
    import dlproof.nn.functional as F
    from dlproof.data import digits
    from dlproof.engine import tensor
    from dlproof.optim.adam import Adam

    Xd, yd = digits(np.float32, n=300, rng=cfg.rng(2))
    Xa, Xb = Xd[:100], Xd[100:]
    y_rand = cfg.rng(3).integers(0, 10, 100)
    net = nn.Sequential(nn.Linear(64, 256, generator=cfg.rng(4)), nn.ReLU(), nn.Linear(256, 10, generator=cfg.rng(5)))
    opt = Adam(net.parameters(), lr=0.01)
    steps = cfg.pick(300, 500)
    Xat = tensor(Xa)
    for _ in range(steps):  # loop over full-batch steps
        opt.zero_grad()
        F.cross_entropy(net(Xat), y_rand).backward()
        opt.step()
    train_acc = float((net(Xat).data.argmax(1) == y_rand).mean())
    test_acc = float((net(tensor(Xb)).data.argmax(1) == cfg.rng(6).integers(0, 10, len(Xb))).mean())
    n_params = sum(int(p.data.size) for p in net.parameters())
    report.metric("random_label_test_accuracy", test_acc)
    report.claim(
        "memorises-random-labels",
        en=f"A one-hidden-layer MLP ({n_params} parameters) trained by Adam for {steps} full-batch steps fits 100 digits with uniformly random labels perfectly (training accuracy) while its accuracy on fresh random labels stays at chance ({test_acc:.2f}): its effective capacity suffices to memorise noise (Zhang et al. 2017).",
        zh=f"单隐层 MLP（{n_params} 个参数）用 Adam 全批量训练 {steps} 步，就能完美拟合标签均匀随机的 100 张 digits（训练精度），而在新的随机标签上精度停留在随机水平（{test_acc:.2f}）：它的有效容量足以记住噪声（Zhang et al. 2017）。",
        value=train_acc, op=">=", threshold=0.99, expression="train accuracy on random labels")

    fig, axs = _fig(2)
    axs[0].semilogy(degrees, tr, "o-", label="train")
    axs[0].semilogy(degrees, te, "s-", label="test")
    axs[0].set_xlabel("polynomial degree")
    axs[0].set_ylabel("MSE")
    axs[0].legend(fontsize=7)
    axs[1].loglog(ps, te_dd, "o-", label="test")
    axs[1].axvline(n_dd, ls=":", color="k", label="p = n")
    axs[1].set_xlabel("random features p")
    axs[1].set_ylabel("median squared error")
    axs[1].legend(fontsize=7)
    report.figure("capacity", fig,
                  en="Left: the classical U-curve over polynomial degree. Right: double descent of minimum-norm random-feature regression, peaking at the interpolation threshold p = n.",
                  zh="左：多项式次数上的经典 U 形曲线。右：最小范数随机特征回归的双下降，在插值阈值 p = n 处达到峰值。")
