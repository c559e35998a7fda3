# ruff: noqa: E501  (bilingual claim statements are long text)
"""Noise injection as regularisation (Goodfellow et al. §7.5; Bishop 1995).

1. Input noise on linear regression: the expected summed squared error under x -> x + eps,
   eps ~ N(0, s2 I), is the ridge objective with lambda = n s2; gradient descent with fresh input
   noise each step (iterates averaged) lands on ridge(lambda = n s2), not on least squares.
2. Nonlinear model (1-D tanh net, analytic derivatives): E[(f(x + eps) - y)^2] - (f(x) - y)^2 equals
   s2 (f'^2 + (f - y) f'') + O(s2^2), measured with Gauss-Hermite quadrature (exact for the
   expectation up to 1e-12); the Tikhonov term f'^2 is Bishop's regulariser.
3. Weight noise: on a linear model it adds the constant s2 ||x||^2 and leaves the minimiser alone
   (noisy-weight GD lands on least squares); on the tanh net E[L(theta + delta)] - L(theta) is
   s2/2 tr(Hessian of L): a flatness penalty.
4. Output (label) noise: the expected cross-entropy under labels flipped with probability eps is
   the cross-entropy with smoothed targets, exactly; its optimal logits are finite.
"""

from __future__ import annotations

import numpy as np

from dlproof.experiments.registry import Report, RunConfig, experiment
from dlproof.stats.linear import ridge


def _fig(ncols, w=3.9, h=3.3):
    from matplotlib.figure import Figure

    fig = Figure(figsize=(w * ncols, h), layout="constrained")
    return fig, fig.subplots(1, ncols)


def _tanh_net(x, a, b, v, c):
    """f(x) = sum_j v_j tanh(a_j x + b_j) + c for x (m,), parameters (h,); returns f, f', f'' (m,)."""
    t = np.tanh(np.outer(x, a) + b)  # (m, h)
    s = 1 - t * t  # sech^2
    return t @ v + c, (s * a) @ v, (-2 * t * s * a * a) @ v  # d/dx tanh = sech^2, d2/dx2 = -2 tanh sech^2


def _noisy_gd(X, y, lr, steps, rng, input_s2=0.0, weight_s2=0.0):
    """Full-batch GD on 1/(2n)||X w - y||^2 with fresh Gaussian noise on the inputs or the weights at
    every step; returns the average of the second half of the iterates (Polyak averaging)."""
    n, d = X.shape
    w, avg = np.zeros(d), np.zeros(d)
    for k in range(steps):  # loop over steps
        Xn = X + np.sqrt(input_s2) * rng.standard_normal((n, d)) if input_s2 else X
        wn = w + np.sqrt(weight_s2) * rng.standard_normal(d) if weight_s2 else w
        w = w - lr * (Xn.T @ (Xn @ wn - y)) / n  # gradient of the noisy loss at the noisy point
        if k >= steps // 2:
            avg += w
    return avg / (steps - steps // 2)


@experiment(
    "noise-injection-tikhonov",
    questions=["noise-injection"],
    title_en="Noise injection: input noise = ridge, Bishop's Tikhonov term, weight noise and flatness, label noise = label smoothing",
    title_zh="噪声注入：输入噪声 = 岭回归、Bishop 的 Tikhonov 项、权重噪声与平坦度、标签噪声 = 标签平滑",
)
def run(cfg: RunConfig, report: Report) -> None:
    rng = cfg.rng(0)
    n, d = 50, 20
    X = rng.standard_normal((n, d))
    y = X @ rng.standard_normal(d) + 0.5 * rng.standard_normal(n)
    w_ols = ridge(X, y, 0.0)
    lr = 0.5 / np.linalg.eigvalsh(X.T @ X / n).max()
    steps = cfg.pick(10_000, 20_000)

    # (1) input noise on linear regression = ridge with lambda = n s2 -----------------------------------
    s2s = [0.01, 0.1, 1.0]
    rows, fracs, gaps = [], [], []
    noise_rng = cfg.rng(1)
    for s2 in s2s:
        w_r = ridge(X, y, n * s2)  # argmin ||y - Xw||^2 + n s2 ||w||^2
        w_n = _noisy_gd(X, y, lr, steps, noise_rng, input_s2=s2)
        gap = float(np.linalg.norm(w_n - w_r) / np.linalg.norm(w_r))
        frac = float(np.linalg.norm(w_n - w_r) / np.linalg.norm(w_ols - w_r))
        gaps.append(gap)
        fracs.append(frac)
        rows.append([s2, n * s2, f"{gap:.4f}", f"{np.linalg.norm(w_ols - w_r) / np.linalg.norm(w_r):.4f}"])
    report.table("input_noise", ["σ²", "λ = nσ²", "||w_noisy − w_ridge|| / ||w_ridge||", "||w_LS − w_ridge|| / ||w_ridge||"], rows)
    report.claim(
        "input-noise-is-ridge",
        en=f"Linear regression (n = {n}, d = {d}) trained by gradient descent with fresh input noise N(0, σ²I) at every step ({steps} steps, second half of the iterates averaged) lands on the ridge solution with λ = nσ² for σ² ∈ {s2s}: its distance to ridge is a small fraction of the distance between least squares and ridge (largest fraction).",
        zh=f"线性回归（n = {n}，d = {d}）每步加新的输入噪声 N(0, σ²I) 做梯度下降（{steps} 步，对后一半迭代取平均），σ² ∈ {s2s} 时都落在 λ = nσ² 的岭回归解上：它到岭回归解的距离只是最小二乘解与岭回归解之间距离的一小部分（最大比例）。",
        value=max(fracs), op="<", threshold=0.25, expression="max_σ² ||w_noisy − w_ridge|| / ||w_LS − w_ridge||")
    report.metric("input_noise_worst_relative_gap", max(gaps))
    report.progress(0.35, "input noise")

    # (2) nonlinear: Bishop's expansion by Gauss-Hermite quadrature ---------------------------------------
    h = 16
    r2 = cfg.rng(2)
    a, b = r2.standard_normal(h) * 2, r2.standard_normal(h)
    v, c = r2.standard_normal(h) / np.sqrt(h), 0.1
    xs = np.linspace(-2, 2, 15)
    ys = np.sin(2 * xs) + 0.1 * r2.standard_normal(xs.size)
    nodes, weights = np.polynomial.hermite_e.hermegauss(40)  # E[g(Z)], Z ~ N(0,1) = sum w g(node) / sqrt(2 pi)
    weights = weights / np.sqrt(2 * np.pi)
    f0, f1, f2 = _tanh_net(xs, a, b, v, c)
    second = np.mean(f1 ** 2 + (f0 - ys) * f2)  # predicted coefficient of s2
    tikh = np.mean(f1 ** 2)
    ratios = []
    sigmas = [0.03, 0.01, 0.003]
    for sg in sigmas:
        fz = _tanh_net((xs[:, None] + sg * nodes[None, :]).ravel(), a, b, v, c)[0].reshape(xs.size, -1)
        expected = ((fz - ys[:, None]) ** 2) @ weights  # E over eps per point, exact to quadrature error
        ratios.append(float((expected.mean() - np.mean((f0 - ys) ** 2)) / (sg ** 2 * second)))
    errs = [abs(r_ - 1) for r_ in ratios]
    order = float(np.polyfit(np.log(sigmas), np.log(errs), 1)[0])
    report.claim(
        "bishop-second-order-expansion",
        en=f"For a 1-D tanh net (16 units) on 15 points, the expected squared error under input noise of standard deviation σ exceeds the clean error by σ²·mean(f′² + (f − y)f″) up to O(σ⁴): the ratio of the two is 1 within {errs[-1]:.1e} at σ = 0.003 and the error shrinks like σ² (log-log slope, expected 2; expectations by 40-point Gauss-Hermite quadrature).",
        zh=f"对 15 个点上的一维 tanh 网络（16 个单元），标准差 σ 的输入噪声下的期望平方误差比无噪声误差多 σ²·mean(f′² + (f − y)f″)，误差为 O(σ⁴)：σ = 0.003 时两者之比与 1 相差 {errs[-1]:.1e}，且误差按 σ² 缩小（对数斜率，预期 2；期望用 40 点 Gauss-Hermite 求积）。",
        value=order, op="between", threshold=(1.8, 2.2), expression="d log|ratio − 1| / d log σ")
    report.metric("tikhonov_term_mean_fprime_sq", float(tikh))
    report.metric("curvature_term_mean_residual_fpp", float(second - tikh))
    report.progress(0.55, "Bishop expansion")

    # (3) weight noise --------------------------------------------------------------------------------
    w_wn = _noisy_gd(X, y, lr, steps, cfg.rng(3), weight_s2=0.1)
    w_r01 = ridge(X, y, n * 0.1)
    to_ols = float(np.linalg.norm(w_wn - w_ols) / np.linalg.norm(w_ols - w_r01))
    report.claim(
        "weight-noise-linear-no-regularisation",
        en="On a linear model weight noise does not regularise: E[(xᵀ(w + δ) − y)²] = (xᵀw − y)² + σ²||x||², a constant in w, so gradient descent with fresh weight noise (σ² = 0.1) lands on least squares, not on a ridge solution (distance to least squares as a fraction of the least-squares-to-ridge(λ = nσ²) distance).",
        zh="在线性模型上权重噪声不起正则作用：E[(xᵀ(w + δ) − y)²] = (xᵀw − y)² + σ²||x||²，与 w 无关，所以每步加新权重噪声（σ² = 0.1）的梯度下降落在最小二乘解上，而不是岭回归解上（到最小二乘解的距离占最小二乘解到岭回归解（λ = nσ²）距离的比例）。",
        value=to_ols, op="<", threshold=0.25, expression="||w_wnoise − w_LS|| / ||w_LS − w_ridge||")

    theta = np.concatenate([a, b, v, [c]])

    def loss(th):  # mean squared error of the tanh net; th (M, 3h + 1) batched
        th = np.atleast_2d(th)
        A, B, V, C = th[:, :h], th[:, h:2 * h], th[:, 2 * h:3 * h], th[:, 3 * h]
        f = np.einsum("mph,mh->mp", np.tanh(xs[None, :, None] * A[:, None, :] + B[:, None, :]), V) + C[:, None]
        return ((f - ys[None, :]) ** 2).mean(axis=1)

    # exact trace of the Hessian of L = mean (f - y)^2: 2 mean(||grad_theta f||^2 + (f - y) tr grad^2_theta f)
    t = np.tanh(np.outer(xs, a) + b)
    s = 1 - t * t
    grad_f_sq = ((s * v * xs[:, None]) ** 2).sum(1) + ((s * v) ** 2).sum(1) + (t ** 2).sum(1) + 1.0
    tr_hess_f = ((-2 * t * s * v) * (xs[:, None] ** 2 + 1)).sum(1)  # only a_j, b_j have second derivatives
    trH = float(2 * np.mean(grad_f_sq + (f0 - ys) * tr_hess_f))
    sw = 1e-2
    M = cfg.pick(4000, 8000)
    delta = sw * cfg.rng(4).standard_normal((M, theta.size))
    L0 = float(loss(theta)[0])
    mc = float(np.mean(loss(theta + delta) + loss(theta - delta) - 2 * L0) / 2)  # antithetic pairs
    wratio = mc / (0.5 * sw ** 2 * trH)
    report.claim(
        "weight-noise-is-flatness-penalty",
        en=f"On the tanh net, Gaussian weight noise of standard deviation σ = {sw} raises the expected loss by σ²/2 · tr(∇²L): a penalty on curvature, so it prefers flat minima. Value: the Monte-Carlo increase ({M} antithetic pairs) over σ²/2 · tr(∇²L) computed analytically.",
        zh=f"在 tanh 网络上，标准差 σ = {sw} 的高斯权重噪声使期望损失增加 σ²/2 · tr(∇²L)：一个曲率惩罚，所以它偏好平坦的极小点。数值：蒙特卡洛增量（{M} 对对偶样本）除以解析计算的 σ²/2 · tr(∇²L)。",
        value=wratio, op="between", threshold=(0.9, 1.1), expression="(E[L(θ+δ)] − L(θ)) / (σ²/2 tr ∇²L)")
    report.progress(0.8, "weight noise")

    # (4) label noise = label smoothing ---------------------------------------------------------------
    K, eps = 10, 0.1
    z = cfg.rng(5).standard_normal(K) * 3
    logp = z - np.log(np.exp(z - z.max()).sum()) - z.max()
    true = 3
    # labels: kept with prob 1 - eps, else uniform over all K classes (the smoothing convention)
    probs = np.full(K, eps / K)
    probs[true] += 1 - eps
    expected_ce = float(sum(probs[k] * -logp[k] for k in range(K)))  # enumerate the K noisy labels
    smoothed_ce = float(-(probs @ logp))
    zz = np.zeros(K)
    for _ in range(cfg.pick(3000, 5000)):  # gradient descent on the logits: grad = softmax(z) - q
        p = np.exp(zz - zz.max())
        p /= p.sum()
        zz -= 1.0 * (p - probs)
    gap_meas = float(zz[true] - np.delete(zz, true).max())
    gap_pred = float(np.log((1 - eps + eps / K) / (eps / K)))
    zh_ = np.zeros(K)
    hard = np.eye(K)[true]
    hard_gaps = []
    for k in range(cfg.pick(3000, 5000)):
        p = np.exp(zh_ - zh_.max())
        p /= p.sum()
        zh_ -= 1.0 * (p - hard)
        if k + 1 in (300, 3000):
            hard_gaps.append(float(zh_[true] - np.delete(zh_, true).max()))
    report.claim(
        "label-noise-is-label-smoothing",
        en=f"Output noise: if a label is kept with probability 1 − ε and replaced by a uniformly random class otherwise (K = {K}, ε = {eps}), the expected cross-entropy over that noise equals the cross-entropy with the smoothed target (1 − ε)·onehot + ε/K exactly (enumerated; absolute difference).",
        zh=f"输出噪声：若标签以概率 1 − ε 保留、否则换成均匀随机的类别（K = {K}，ε = {eps}），该噪声下的期望交叉熵恰好等于平滑目标 (1 − ε)·onehot + ε/K 的交叉熵（枚举；绝对差）。",
        value=abs(expected_ce - smoothed_ce), op="<", threshold=1e-12, expression="|E_noise CE − CE(smoothed)|")
    report.claim(
        "label-smoothing-finite-logits",
        en=f"With smoothed targets the optimal logits are finite: gradient descent on the logits converges to the gap log((1 − ε + ε/K)/(ε/K)) = {gap_pred:.3f} between the true class and the others (absolute error), whereas with the hard target the gap keeps growing (from {hard_gaps[0]:.2f} at step 300 to {hard_gaps[1]:.2f} at step 3000; value is 1 if it did not grow).",
        zh=f"使用平滑目标时最优 logits 是有限的：对 logits 做梯度下降，真类与其他类的差收敛到 log((1 − ε + ε/K)/(ε/K)) = {gap_pred:.3f}（绝对误差）；而用硬目标时差值持续增长（第 300 步 {hard_gaps[0]:.2f}，第 3000 步 {hard_gaps[1]:.2f}；若未增长则数值为 1）。",
        value=abs(gap_meas - gap_pred) if hard_gaps[1] > hard_gaps[0] + 1 else 1.0, op="<", threshold=1e-6, expression="|gap − log((1−ε+ε/K)/(ε/K))|")

    fig, axs = _fig(2)
    axs[0].plot(w_ols, ridge(X, y, n * 1.0), "x", label="least squares")
    w_n1 = _noisy_gd(X, y, lr, steps // 4, cfg.rng(6), input_s2=1.0)
    axs[0].plot(w_n1, ridge(X, y, n * 1.0), "o", ms=4, label="noisy-input GD, σ² = 1")
    lim = np.abs(w_ols).max() * 1.1
    axs[0].plot([-lim, lim], [-lim, lim], "k:", lw=0.8)
    axs[0].set_xlabel("fitted weight")
    axs[0].set_ylabel("ridge weight, λ = nσ²")
    axs[0].legend(fontsize=7)
    grid = np.linspace(-2.2, 2.2, 300)
    axs[1].plot(grid, _tanh_net(grid, a, b, v, c)[0], label="f (random tanh net)")
    axs[1].plot(xs, ys, "o", ms=4, label="targets")
    axs[1].set_title(f"E[Δloss]/σ² → mean(f′² + (f − y)f″); ratio at σ = 0.003: {ratios[-1]:.6f}", fontsize=8)
    axs[1].legend(fontsize=7)
    report.figure("noise_injection", fig,
                  en="Left: noisy-input gradient descent falls on the ridge weights (diagonal), least squares does not. Right: the 1-D net used for Bishop's expansion.",
                  zh="左：输入加噪的梯度下降落在岭回归权重上（对角线），最小二乘解则不然。右：用于 Bishop 展开的一维网络。")
