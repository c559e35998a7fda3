# ruff: noqa: E501  (bilingual claim statements are long text)
"""Under-constrained problems and what regularisation does to them (Goodfellow et al. §7.3).

(a) Least squares with n = 20 examples and d = 100 features: X^T X has rank 20, every
    w_pinv + (null-space vector) interpolates, X^+ y is the one of minimum norm. Ridge makes
    X^T X + alpha I invertible (smallest eigenvalue exactly alpha) and tends to X^+ y as alpha -> 0
    (at rate O(alpha)). Gradient descent from 0 never leaves the row space and converges to X^+ y;
    from another start it keeps that start's null-space part.
(b) Logistic regression on linearly separable data: without a penalty no minimiser exists, GD's ||w||
    grows like ||w_svm|| log t and its direction tends to the hard-margin SVM (Soudry et al. 2018);
    with alpha > 0 GD converges to a finite minimiser.
"""

from __future__ import annotations

import numpy as np

from dlproof.experiments.registry import Report, RunConfig, experiment
from dlproof.stats.linear import gradient_descent_least_squares, ridge
from dlproof.stats.max_margin import hard_margin_svm, logistic_gradient_descent, normalized_margin


def _fig(ncols, w=3.9, h=3.3):
    from matplotlib.figure import Figure

    fig = Figure(figsize=(w * ncols, h), layout="constrained")
    return fig, fig.subplots(1, ncols)


@experiment(
    "underdetermined-regularization",
    questions=["underconstrained-problems"],
    title_en="Under-constrained problems: singular XᵀX, the pseudo-inverse, ridge, implicit bias of GD, separable logistic regression",
    title_zh="欠约束问题：奇异的 XᵀX、伪逆、岭回归、梯度下降的隐式偏好、可分数据上的逻辑回归",
)
def run(cfg: RunConfig, report: Report) -> None:
    rng = cfg.rng(0)
    n, d = 20, 100
    X = rng.standard_normal((n, d))
    y = rng.standard_normal(n)

    # (a) singular Gram matrix, many interpolants, the minimum-norm one --------------------------------
    eig = np.linalg.eigvalsh(X.T @ X)
    n_zero = int((eig < 1e-9 * eig.max()).sum())
    report.metric("zero_eigenvalues_of_XtX", n_zero)
    w_pinv = np.linalg.pinv(X) @ y
    _, _, Vt = np.linalg.svd(X)
    N = Vt[n:].T  # (d, d - n) orthonormal basis of the null space of X
    Z = N @ rng.standard_normal((d - n, 50))  # 50 random null-space directions
    W_other = w_pinv[:, None] + Z  # 50 other solutions
    resid = float(np.abs(X @ W_other - y[:, None]).max())
    pyth = float(np.abs(np.linalg.norm(W_other, axis=0) ** 2 - (w_pinv @ w_pinv + np.linalg.norm(Z, axis=0) ** 2)).max())
    report.claim(
        "xtx-singular",
        en=f"With n = {n} examples and d = {d} features, XᵀX has exactly d − n = {d - n} zero eigenvalues (counted below 1e-9 · λ_max), so the normal equations XᵀXw = Xᵀy have no unique solution.",
        zh=f"n = {n} 个样本、d = {d} 个特征时，XᵀX 恰有 d − n = {d - n} 个零特征值（按小于 1e-9 · λ_max 计数），所以正规方程 XᵀXw = Xᵀy 没有唯一解。",
        value=n_zero, op="==", threshold=d - n, expression="#{λ(XᵀX) < 1e-9 λ_max}")
    report.claim(
        "infinitely-many-interpolants-pinv-min-norm",
        en="Adding any null-space vector z to X⁺y gives another exact solution (largest residual of 50 random ones below the threshold), and ||X⁺y + z||² = ||X⁺y||² + ||z||² (largest deviation, also below it): X⁺y is the unique minimum-norm solution.",
        zh="给 X⁺y 加上任意零空间向量 z 都得到另一个精确解（50 个随机解的最大残差低于阈值），且 ||X⁺y + z||² = ||X⁺y||² + ||z||²（最大偏差也低于阈值）：X⁺y 是唯一的最小范数解。",
        value=max(resid, pyth), op="<", threshold=1e-9, expression="max(max|X w − y|, max| ||w||² − ||w⁺||² − ||z||² |)")

    alphas = np.logspace(-8, 2, cfg.pick(6, 11))
    gaps, min_eigs = [], []
    for a in alphas:
        gaps.append(float(np.linalg.norm(ridge(X, y, a) - w_pinv) / np.linalg.norm(w_pinv)))
        min_eigs.append(float(np.linalg.eigvalsh(X.T @ X + a * np.eye(d)).min()))
    eig_err = float(max(abs(m - a) / a for m, a in zip(min_eigs, alphas) if a >= 1e-4))
    report.claim(
        "ridge-makes-invertible",
        en="Ridge adds α to every eigenvalue: the smallest eigenvalue of XᵀX + αI is exactly α (largest relative error over α ≥ 1e-4; below that float64 rounding of the zero eigenvalues, about 1e-12 · λ_max, is visible), so the penalised problem has one solution.",
        zh="岭回归给每个特征值加 α：XᵀX + αI 的最小特征值恰为 α（α ≥ 1e-4 上的最大相对误差；更小时可见零特征值的 float64 舍入，约 1e-12 · λ_max），因此惩罚后的问题只有一个解。",
        value=eig_err, op="<", threshold=1e-6, expression="max_α |λ_min(XᵀX + αI) − α| / α")
    slope = float(np.polyfit(np.log(alphas[:4]), np.log(gaps[:4]), 1)[0])
    mono = bool(np.all(np.diff(gaps) > 0))
    report.claim(
        "ridge-tends-to-pinv",
        en=f"As α → 0 the ridge solution tends to X⁺y: ||w_α − X⁺y||/||X⁺y|| falls monotonically with α, to {gaps[0]:.1e} at α = 1e-8, with log-log slope 1 for small α (error O(α)). Value: the slope (0 if not monotone).",
        zh=f"α → 0 时岭回归解趋于 X⁺y：||w_α − X⁺y||/||X⁺y|| 随 α 单调下降，α = 1e-8 时为 {gaps[0]:.1e}，小 α 时对数斜率为 1（误差为 O(α)）。数值：斜率（不单调则为 0）。",
        value=slope if mono else 0.0, op="between", threshold=(0.95, 1.05), expression="d log gap / d log α (α ≤ 1e-5)")
    report.progress(0.3, "least squares")

    lr = 1.0 / np.linalg.eigvalsh(X @ X.T).max()
    steps = cfg.pick(1500, 4000)
    w_gd = gradient_descent_least_squares(X, y, lr, steps)
    gd_gap = float(np.linalg.norm(w_gd - w_pinv) / np.linalg.norm(w_pinv))
    report.claim(
        "gd-from-zero-finds-min-norm",
        en=f"Gradient descent on ½||Xw − y||² from w = 0 (η = 1/λ_max(XXᵀ), {steps} steps) converges to the minimum-norm solution X⁺y out of all the interpolating ones (relative distance): every step Xᵀ(Xw − y) lies in the row space of X, so the iterate never acquires a null-space component: an implicit regularisation.",
        zh=f"从 w = 0 出发对 ½||Xw − y||² 做梯度下降（η = 1/λ_max(XXᵀ)，{steps} 步），在所有插值解中收敛到最小范数解 X⁺y（相对距离）：每一步 Xᵀ(Xw − y) 都在 X 的行空间中，迭代永远不会获得零空间分量：一种隐式正则化。",
        value=gd_gap, op="<", threshold=1e-6, expression="||w_GD − X⁺y|| / ||X⁺y||")
    w0 = rng.standard_normal(d)
    w_gd0 = gradient_descent_least_squares(X, y, lr, steps, w0=w0)
    keep = float(np.linalg.norm(w_gd0 - (w_pinv + N @ (N.T @ w0))) / np.linalg.norm(w_pinv))
    report.claim(
        "gd-keeps-initial-null-component",
        en="Started from a random w₀ instead, gradient descent still interpolates but converges to X⁺y + P_null w₀: the starting point's null-space part is never removed (relative distance to that prediction; its norm exceeds the minimum by ||P_null w₀||).",
        zh="若改从随机 w₀ 出发，梯度下降仍然插值，但收敛到 X⁺y + P_null w₀：起点的零空间部分永远不会被去掉（到该预测的相对距离；其范数比最小值多出 ||P_null w₀||）。",
        value=keep, op="<", threshold=1e-6, expression="||w_GD(w₀) − (X⁺y + P_null w₀)|| / ||X⁺y||")
    report.progress(0.5, "gradient descent")

    # (b) separable logistic regression -------------------------------------------------------------
    r2 = cfg.rng(1)
    m = 60
    Xs = r2.standard_normal((m, 2)) * np.array([3.0, 0.5])
    u = np.array([-0.3, 1.0]) / np.hypot(0.3, 1.0)
    ys = np.sign(Xs @ u)
    Xs = Xs + 0.3 * ys[:, None] * u  # push the classes apart: separable through the origin
    w_svm = hard_margin_svm(Xs, ys)
    T = cfg.pick(20_000, 100_000)
    t_lo = T // 10
    marks = sorted({int(v) for v in np.logspace(0, np.log10(T), 60).astype(int)} | {t_lo})
    free = logistic_gradient_descent(Xs, ys, lr=1.0, steps=T, record=marks)
    a_pen = 1e-2
    T_pen = cfg.pick(12_000, 20_000)  # strongly convex: converges linearly, needs far fewer steps
    marks_pen = [t for t in marks if t <= T_pen]
    pen = logistic_gradient_descent(Xs, ys, lr=1.0, steps=T_pen, alpha=a_pen, record=marks_pen + [T_pen // 10])
    nf = np.array([np.linalg.norm(free["record"][t]) for t in marks])
    npn = np.array([np.linalg.norm(pen["record"][t]) for t in marks_pen])
    n_lo = np.linalg.norm(free["record"][t_lo])
    per_decade = float(nf[-1] - n_lo)
    ratio = per_decade / (np.linalg.norm(w_svm) * np.log(10))
    report.claim(
        "separable-norm-grows-log-t",
        en=f"On linearly separable data without a penalty, gradient descent on the logistic loss never converges: ||w|| keeps growing, by about ||w_SVM|| · ln 10 per decade of steps (Soudry et al. 2018: w(t) ≈ w_SVM log t). Value: the growth from t = {t_lo} to {T} divided by ||w_SVM|| ln 10.",
        zh=f"在线性可分数据上不加惩罚时，逻辑损失上的梯度下降永不收敛：||w|| 持续增长，每十倍步数约增长 ||w_SVM|| · ln 10（Soudry et al. 2018：w(t) ≈ w_SVM log t）。数值：从 t = {t_lo} 到 {T} 的增长除以 ||w_SVM|| ln 10。",
        value=ratio, op="between", threshold=(0.7, 1.1), expression="(||w_T|| − ||w_{T/10}||) / (||w_SVM|| ln 10)")
    cosang = float(free["w"] @ w_svm / (np.linalg.norm(free["w"]) * np.linalg.norm(w_svm)))
    angle = float(np.degrees(np.arccos(min(1.0, cosang))))
    marg = normalized_margin(free["w"], Xs, ys) * np.linalg.norm(w_svm)
    report.metric("angle_to_svm_deg", angle)
    report.claim(
        "separable-direction-tends-to-max-margin",
        en=f"Its direction approaches the hard-margin SVM direction (computed separately by SLSQP): after {T} steps the angle is {angle:.2f}° and the normalised margin min_i y_i x_iᵀw/||w|| is close to the maximum 1/||w_SVM|| (value: their ratio). The convergence is slow, O(1/log t).",
        zh=f"它的方向趋于硬间隔 SVM 方向（另用 SLSQP 求得）：{T} 步后夹角为 {angle:.2f}°，归一化间隔 min_i y_i x_iᵀw/||w|| 接近最大值 1/||w_SVM||（数值：两者之比）。收敛很慢，为 O(1/log t)。",
        value=marg if angle < 3.0 else 0.0, op=">", threshold=0.9, expression="margin(w_T) · ||w_SVM|| (0 unless angle < 3°)")
    pen_norm = float(np.linalg.norm(pen["w"]))
    pen_change = float(abs(pen_norm - np.linalg.norm(pen["record"][T_pen // 10])) / pen_norm)
    report.claim(
        "penalty-gives-finite-minimiser",
        en=f"With α = {a_pen} the objective is strongly convex and GD converges: the gradient norm at the end is below 1e-8 and ||w|| settles at {pen_norm:.2f} (value: the larger of the gradient norm and the relative change of ||w|| over the last decade of steps).",
        zh=f"α = {a_pen} 时目标强凸，梯度下降收敛：最后梯度范数低于 1e-8，||w|| 稳定在 {pen_norm:.2f}（数值：梯度范数与最后十倍步数内 ||w|| 相对变化中的较大者）。",
        value=max(pen["grad_norm"], pen_change), op="<", threshold=1e-8, expression="max(||∇L(w_T)||, | ||w_T|| − ||w_{T/10}|| | / ||w_T||)")

    fig, axs = _fig(3)
    axs[0].loglog(alphas, gaps, "o-")
    axs[0].set_xlabel("α")
    axs[0].set_ylabel(r"$\|w_\alpha - X^+y\| / \|X^+y\|$")
    axs[0].set_title(f"ridge → pseudo-inverse (n = {n}, d = {d})")
    axs[1].semilogx(marks, nf, label="α = 0")
    axs[1].semilogx(marks_pen, npn, label=f"α = {a_pen}")
    axs[1].set_xlabel("GD step t")
    axs[1].set_ylabel("||w||")
    axs[1].legend(fontsize=7)
    pos = ys > 0
    axs[2].scatter(Xs[pos, 0], Xs[pos, 1], s=8)
    axs[2].scatter(Xs[~pos, 0], Xs[~pos, 1], s=8)
    span = np.array([-8.0, 8.0])
    for w_, lab in ((w_svm, "max margin"), (free["w"], f"GD, t = {T}"), (pen["w"], f"GD, α = {a_pen}")):
        axs[2].plot(span, -w_[0] * span / w_[1], label=lab, lw=1)
    axs[2].set_ylim(-3, 3)
    axs[2].legend(fontsize=7)
    report.figure("underdetermined", fig,
                  en="Left: ridge's distance to the pseudo-inverse solution vs α. Middle: ||w|| of GD on separable logistic regression, growing like log t without a penalty and flat with one. Right: the separators.",
                  zh="左：岭回归解到伪逆解的距离随 α 的变化。中：可分逻辑回归上梯度下降的 ||w||，无惩罚时按 log t 增长，有惩罚时持平。右：各分界线。")
