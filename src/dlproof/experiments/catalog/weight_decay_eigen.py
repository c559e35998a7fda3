# ruff: noqa: E501  (bilingual claim statements are long text)
"""Weight decay seen in the Hessian's eigenbasis (Goodfellow et al. §7.1.1).

1. Quadratic J(w) = 1/2 (w - w*)^T H (w - w*) with spectrum {100, 10, 1, 0.1, 0.01}: the minimiser of
   J + alpha/2 ||w||^2, found by L-BFGS on engine gradients, has component
   lambda_i/(lambda_i + alpha) * (q_i^T w*) along each eigenvector q_i.
2. Linear regression with a design whose Gram matrix X^T X has a chosen spectrum: ridge equals the
   eigen-formula exactly, and the engine's SGD with ``weight_decay = alpha`` converges to ridge.
3. Early stopping: t steps of gradient descent from 0 keep 1 - (1 - eta lambda_i)^t of each component,
   close to lambda_i/(lambda_i + alpha) at alpha = 1/(eta t) in both limits (Goodfellow §7.8).
4. Beyond quadratics: logistic regression; the same formula, with H the Hessian at the
   unregularised optimum, predicts the regularised optimum, with an error that grows with alpha
   (the quadratic approximation is local).
5. Conditioning: alpha is added to every eigenvalue, kappa -> (lambda_max + alpha)/(lambda_min + alpha),
   and gradient descent needs correspondingly fewer steps.
6. Depth: in a deep linear chain the first-layer gradient scales like s^(L-1) with the common weight
   scale s, so the multiplicative shrinkage (1 - eta alpha)^t of weight decay damps exploding
   gradients and deepens vanishing ones.
"""

from __future__ import annotations

import numpy as np

from dlproof.experiments.registry import Report, RunConfig, experiment
from dlproof.stats.linear import (
    design_with_spectrum,
    early_stopping_shrinkage,
    ridge,
    ridge_shrinkage,
)

SPECTRUM = np.array([100.0, 10.0, 1.0, 0.1, 0.01])


def _fig(ncols, w=3.9, h=3.3):
    from matplotlib.figure import Figure

    fig = Figure(figsize=(w * ncols, h), layout="constrained")
    return fig, fig.subplots(1, ncols)


def logistic_newton(X, y, alpha, iters=50):
    """argmin_w mean log(1 + exp(-y_i x_i^T w)) + alpha/2 ||w||^2 by Newton (y in {-1, +1}); returns w and
    the Hessian of the data term at w."""
    n, d = X.shape
    w = np.zeros(d)
    for _ in range(iters):  # Newton iterations
        z = y * (X @ w)
        s = 1 / (1 + np.exp(z))  # sigma(-z)
        g = -(X.T @ (y * s)) / n + alpha * w
        Hd = (X.T * (s * (1 - s))) @ X / n  # d^2/dw^2 of the mean logistic loss
        w = w - np.linalg.solve(Hd + alpha * np.eye(d), g)
    z = y * (X @ w)
    s = 1 / (1 + np.exp(z))
    return w, (X.T * (s * (1 - s))) @ X / n


@experiment(
    "weight-decay-eigen",
    questions=["weight-decay-hessian-eigen"],
    title_en="Weight decay per Hessian eigen-direction: λ/(λ+α) shrinkage, beyond quadratics, conditioning, depth",
    title_zh="按 Hessian 特征方向看权重衰减：λ/(λ+α) 收缩、非二次情形、条件数、深度",
)
def run(cfg: RunConfig, report: Report) -> None:
    from dlproof.engine import tensor
    from dlproof.optim.minimize import lbfgs

    rng = cfg.rng(0)
    d = SPECTRUM.size
    Q, _ = np.linalg.qr(rng.standard_normal((d, d)))
    H = Q @ np.diag(SPECTRUM) @ Q.T
    w_star = Q @ rng.choice([-1.0, 1.0], d) * rng.uniform(1, 2, d)
    Ht, wst = tensor(H), tensor(w_star)

    # (1) L-BFGS on the engine's gradient of J + alpha/2 ||w||^2: the per-direction shrinkage -------
    alphas = cfg.pick([0.1, 1.0, 10.0], [0.01, 0.1, 1.0, 10.0, 100.0])
    err, rows, ratios = 0.0, [], {}
    for a in alphas:

        def fg(w, a=a):
            wt = tensor(w, requires_grad=True)
            r = wt - wst
            f = 0.5 * (r @ (Ht @ r)) + (0.5 * a) * (wt @ wt)  # J(w) + alpha/2 ||w||^2
            f.backward()
            return float(f.data), wt.grad.copy()

        res = lbfgs(lambda w, fg=fg: fg(w)[0], lambda w, fg=fg: fg(w)[1], np.zeros(d), gtol=1e-13, max_iter=500,
                    keep_path=False)
        w_a = res.x
        ratio = (Q.T @ w_a) / (Q.T @ w_star)
        pred = ridge_shrinkage(SPECTRUM, a)
        err = max(err, float(np.abs(ratio - pred).max()))
        ratios[a] = ratio
        rows.append([a] + [f"{r_:.4f} ({p_:.4f})" for r_, p_ in zip(ratio, pred)])
    report.table("shrinkage", ["α"] + [f"λ = {lam:g}: measured (λ/(λ+α))" for lam in SPECTRUM], rows)
    report.claim(
        "shrinkage-is-lambda-over-lambda-plus-alpha",
        en=f"Minimising the quadratic ½(w − w*)ᵀH(w − w*) with Hessian eigenvalues {list(SPECTRUM)} plus the penalty α/2·||w||², by L-BFGS on the engine's gradients, gives a solution whose component along each eigenvector q_i is λ_i/(λ_i + α) times that of w*, for α ∈ {alphas} (largest absolute deviation of the measured ratio).",
        zh=f"以引擎梯度上的 L-BFGS 最小化二次函数 ½(w − w*)ᵀH(w − w*)（Hessian 特征值 {list(SPECTRUM)}）加惩罚 α/2·||w||²，所得解沿每个特征向量 q_i 的分量是 w* 的 λ_i/(λ_i + α) 倍，α ∈ {alphas}（实测比值的最大绝对偏差）。",
        value=err, op="<", threshold=1e-6, expression="max_i,α |ratio_i − λ_i/(λ_i+α)|")
    kept = float(ratios[0.1][0])
    shrunk = float(ratios[0.1][-1])
    report.claim(
        "high-curvature-kept-low-curvature-shrunk",
        en="With α = 0.1 the stiffest direction (λ = 100 ≫ α) keeps more than 99.8% of its component, while the flattest (λ = 0.01 ≪ α) keeps under 10%: weight decay removes the directions the data barely constrain. Value: kept fraction along λ = 100 minus kept fraction along λ = 0.01.",
        zh="α = 0.1 时，最陡方向（λ = 100 ≫ α）保留其分量的 99.8% 以上，最平方向（λ = 0.01 ≪ α）保留不到 10%：权重衰减去掉的是数据几乎不约束的方向。数值：λ = 100 方向保留比例减去 λ = 0.01 方向保留比例。",
        value=kept - shrunk if kept > 0.998 else 0.0, op=">", threshold=0.85, expression="ratio(λ=100) − ratio(λ=0.01), α = 0.1")
    report.progress(0.35, "quadratic")

    # (2) linear regression: Hessian X^T X with a chosen spectrum ------------------------------------
    from dlproof.nn.module import Parameter
    from dlproof.optim.sgd import SGD

    rl = cfg.rng(3)
    spec = np.logspace(2, -2, 9)  # eigenvalues of X^T X: 100 ... 0.01
    X, V = design_with_spectrum(rl, 60, spec)
    w_ols = V @ (rl.choice([-1.0, 1.0], spec.size) * rl.uniform(1, 2, spec.size))
    resid = rl.standard_normal(60)
    resid -= X @ np.linalg.lstsq(X, resid, rcond=None)[0]  # noise orthogonal to col(X): OLS is w_ols
    y = X @ w_ols + 0.5 * resid
    lin_err = 0.0
    for a in alphas:
        ratio = (V.T @ ridge(X, y, a)) / (V.T @ w_ols)
        lin_err = max(lin_err, float(np.abs(ratio - ridge_shrinkage(spec, a)).max()))
    report.claim(
        "linear-regression-ridge-exact",
        en=f"Linear regression whose Gram matrix XᵀX has eigenvalues 100 … 0.01: the ridge solution's component along each eigenvector of XᵀX is exactly λ_i/(λ_i + α) times the least-squares one, for α ∈ {alphas} (largest absolute deviation of the ratio).",
        zh=f"Gram 矩阵 XᵀX 特征值为 100 … 0.01 的线性回归：岭回归解沿 XᵀX 每个特征向量的分量恰好是最小二乘解的 λ_i/(λ_i + α) 倍，α ∈ {alphas}（比值的最大绝对偏差）。",
        value=lin_err, op="<", threshold=1e-9, expression="max_i,α |ratio_i − λ_i/(λ_i+α)|")
    a_sgd = 1.0
    wt = Parameter(np.zeros(spec.size))
    Xt, yt = tensor(X), tensor(y)
    lr = 1.0 / (spec.max() + a_sgd)
    opt = SGD([wt], lr=lr, weight_decay=a_sgd)
    n_sgd = cfg.pick(2500, 4000)
    for _ in range(n_sgd):  # loop over full-batch steps
        opt.zero_grad()
        r = Xt @ wt - yt
        (0.5 * (r @ r)).backward()  # gradient X^T(Xw - y); the optimizer adds alpha * w
        opt.step()
    w_ridge = ridge(X, y, a_sgd)
    sgd_gap = float(np.linalg.norm(wt.data - w_ridge) / np.linalg.norm(w_ridge))
    report.claim(
        "sgd-weight-decay-reaches-ridge",
        en=f"The optimizer's weight decay is this L2 penalty: dlproof.optim.SGD with weight_decay = {a_sgd} on ½||Xw − y||² (full batch, η = 1/(λ_max + α), {n_sgd} steps) ends at the closed-form ridge solution (relative distance).",
        zh=f"优化器里的 weight decay 就是这个 L2 惩罚：dlproof.optim.SGD 取 weight_decay = {a_sgd}，在 ½||Xw − y||² 上（全批量，η = 1/(λ_max + α)，{n_sgd} 步）停在岭回归闭式解上（相对距离）。",
        value=sgd_gap, op="<", threshold=1e-6, expression="||w_SGD − w_ridge|| / ||w_ridge||")

    # (3) early stopping ~ L2 with alpha = 1/(eta t) ------------------------------------------------
    eta_es, t_es = 0.005, 200  # alpha_equiv = 1/(eta t) = 1
    w_es = Parameter(np.zeros(spec.size))
    opt = SGD([w_es], lr=eta_es)
    for _ in range(t_es):  # loop over steps
        opt.zero_grad()
        r = Xt @ w_es - yt
        (0.5 * (r @ r)).backward()
        opt.step()
    f_es = (V.T @ w_es.data) / (V.T @ w_ols)
    es_exact = float(np.abs(f_es - early_stopping_shrinkage(spec, eta_es, t_es)).max())
    a_eq = 1.0 / (eta_es * t_es)
    f_l2 = ridge_shrinkage(spec, a_eq)
    report.table("early_stopping", ["λ", "GD kept fraction 1 − (1 − ηλ)^t", "ridge λ/(λ+α), α = 1/(ηt)"],
                 [[f"{lam:.3g}", f"{fe:.4f}", f"{fl:.4f}"] for lam, fe, fl in zip(spec, f_es, f_l2)])
    report.claim(
        "early-stopping-exact-formula",
        en=f"Gradient descent (η = {eta_es}, from w = 0) stopped after t = {t_es} steps on the same regression keeps exactly 1 − (1 − ηλ_i)^t of each eigen-component of the least-squares solution (largest absolute deviation).",
        zh=f"在同一回归上，从 w = 0 出发、η = {eta_es} 的梯度下降在 t = {t_es} 步时停止，其每个特征分量恰好是最小二乘解的 1 − (1 − ηλ_i)^t（最大绝对偏差）。",
        value=es_exact, op="<", threshold=1e-9, expression="max_i |f_i − (1 − (1 − ηλ_i)^t)|")
    stiff, flat = spec >= 30 * a_eq, spec <= a_eq / 30
    limits = max(float(np.abs(f_es[stiff] - f_l2[stiff]).max()), float(np.abs(f_es[flat] / f_l2[flat] - 1).max()))
    report.claim(
        "early-stopping-matches-l2-in-limits",
        en="Early stopping acts like L2 with α = 1/(ηt): for directions with λ ≥ 30α both keep almost everything (largest absolute gap), and for λ ≤ α/30 both keep a fraction ≈ ηtλ = λ/α (largest relative gap). Value: the larger of the two gaps.",
        zh="提前停止的作用类似 α = 1/(ηt) 的 L2：λ ≥ 30α 的方向两者几乎全部保留（最大绝对差），λ ≤ α/30 的方向两者都只保留约 ηtλ = λ/α（最大相对差）。数值：两个差中较大者。",
        value=limits, op="<", threshold=0.05, expression="max(|f_es − f_L2| on λ ≥ 30α, |f_es/f_L2 − 1| on λ ≤ α/30)")
    mid_gap = float(np.abs(f_es - f_l2).max())
    report.claim(
        "early-stopping-differs-near-alpha",
        en="The match is only approximate where λ ≈ α: the two kept fractions differ by up to about 0.2 there (1 − e^(−u) against u/(1 + u) with u = λ/α; value: the largest gap over all directions, between 0.1 and 0.25).",
        zh="在 λ ≈ α 附近两者只是近似：保留比例相差可达约 0.2（u = λ/α 时是 1 − e^(−u) 对 u/(1 + u)；数值：所有方向上的最大差，介于 0.1 与 0.25 之间）。",
        value=mid_gap, op="between", threshold=(0.1, 0.25), expression="max_i |f_es − f_L2|")
    report.progress(0.45, "linear regression and early stopping")

    # (2) logistic regression: the formula is a local (quadratic) approximation ----------------------
    n, p = 400, 5
    r2 = cfg.rng(1)
    X = r2.standard_normal((n, p)) * np.array([3.0, 1.5, 1.0, 0.5, 0.2])
    w_true = r2.standard_normal(p)
    yv = np.where(r2.random(n) < 1 / (1 + np.exp(-X @ w_true)), 1.0, -1.0)
    w0, H0 = logistic_newton(X, yv, 0.0)
    lam0, Q0 = np.linalg.eigh(H0)
    a_grid = np.array(cfg.pick([1e-4, 1e-3, 1e-2, 1e-1], [1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 1e-1]))
    rel = []
    for a in a_grid:
        wa, _ = logistic_newton(X, yv, a)
        pred = Q0 @ (ridge_shrinkage(lam0, a) * (Q0.T @ w0))
        rel.append(float(np.linalg.norm(wa - pred) / np.linalg.norm(wa - w0)))
    report.table("logistic", ["α", "||w_α − prediction|| / ||w_α − w*||"], [[float(a), f"{r_:.3g}"] for a, r_ in zip(a_grid, rel)])
    report.claim(
        "logistic-small-alpha-matches",
        en="For logistic regression (not quadratic) the eigen-formula w̃ = Q(Λ + αI)⁻¹ΛQᵀw*, with H the Hessian at the unregularised optimum w*, predicts the shift w_α − w* caused by a small penalty α = 1e-4 to within a few percent (relative error of the predicted shift).",
        zh="对逻辑回归（非二次），以未正则最优点 w* 处的 Hessian 代入特征公式 w̃ = Q(Λ + αI)⁻¹ΛQᵀw*，可以在百分之几以内预测小惩罚 α = 1e-4 造成的偏移 w_α − w*（预测偏移的相对误差）。",
        value=rel[0], op="<", threshold=0.05, expression="||w_α − w̃|| / ||w_α − w*||, α = 1e-4")
    report.claim(
        "logistic-error-grows-with-alpha",
        en="The prediction is only local: its relative error grows with α: at α = 0.1 it is several times the error at α = 1e-4 (ratio), because the optimum moves to where the loss is no longer the quadratic seen at w*.",
        zh="这个预测只是局部的：相对误差随 α 增大：α = 0.1 时是 α = 1e-4 时的数倍（比值），因为最优点移到了损失不再是 w* 处二次近似的地方。",
        value=rel[-1] / rel[0], op=">", threshold=3.0, expression="err(α=0.1)/err(α=1e-4)")
    report.progress(0.55, "logistic")

    # (3) conditioning: GD iterations with and without decay ------------------------------------------
    tol = 1e-6
    iters = {}
    for a in (0.0, 1.0):
        w = np.zeros(d)
        target = Q @ ((SPECTRUM / (SPECTRUM + a)) * (Q.T @ w_star))
        eta = 1.0 / (SPECTRUM.max() + a)
        k = 0
        while np.linalg.norm(w - target) > tol * np.linalg.norm(target) and k < 2_000_000:
            w = w - eta * (H @ (w - w_star) + a * w)
            k += 1
        iters[a] = k
    kap0, kap1 = SPECTRUM.max() / SPECTRUM.min(), (SPECTRUM.max() + 1) / (SPECTRUM.min() + 1)
    report.metric("kappa_no_decay", kap0)
    report.metric("kappa_decay_1", kap1)
    report.metric("gd_iterations_no_decay", iters[0.0])
    report.metric("gd_iterations_decay_1", iters[1.0])
    speed = iters[0.0] / iters[1.0]
    report.claim(
        "decay-improves-conditioning",
        en=f"Weight decay adds α to every Hessian eigenvalue: with α = 1 the condition number falls from {kap0:.0f} to {kap1:.1f}, and gradient descent (η = 1/(λ_max + α)) reaches a 1e-6 relative error in about κ-times fewer steps. Value: (iterations without / with decay) divided by (κ without / κ with), near 1.",
        zh=f"权重衰减给每个 Hessian 特征值加上 α：α = 1 时条件数从 {kap0:.0f} 降到 {kap1:.1f}，梯度下降（η = 1/(λ_max + α)）达到 1e-6 相对误差的步数约少 κ 倍。数值：（无/有衰减的迭代次数比）除以（无/有衰减的 κ 比），接近 1。",
        value=speed / (kap0 / kap1), op="between", threshold=(0.5, 2.0), expression="(iters ratio) / (κ ratio)")
    report.progress(0.7, "conditioning")

    # (4) depth: first-layer gradient ~ s^(L-1) --------------------------------------------------------
    L, width = 12, 6
    r3 = cfg.rng(2)
    bases = [np.linalg.qr(r3.standard_normal((width, width)))[0] for _ in range(L)]
    x = r3.standard_normal(width)
    u = r3.standard_normal(width)
    scales = np.array([0.8, 0.9, 1.0, 1.1, 1.25])
    gnorms = []
    for s in scales:
        Ws = [tensor(s * B, requires_grad=True) for B in bases]
        h = tensor(x)
        for W in Ws:  # loop over layers
            h = W @ h
        (h @ tensor(u)).backward()
        gnorms.append(float(np.linalg.norm(Ws[0].grad)))
    slope = float(np.polyfit(np.log(scales), np.log(gnorms), 1)[0])
    fig, axs = _fig(3)
    lam_grid = np.logspace(-3, 3, 200)
    es_grid = np.logspace(-3, np.log10(1 / eta_es), 200)  # GD is stable (and monotone) for ηλ <= 1
    axs[2].semilogx(es_grid, early_stopping_shrinkage(es_grid, eta_es, t_es), label=f"GD, t = {t_es}, η = {eta_es}")
    axs[2].semilogx(es_grid, ridge_shrinkage(es_grid, a_eq), "--", label=f"L2, α = 1/(ηt) = {a_eq:g}")
    axs[2].semilogx(spec, f_es, "o")
    axs[2].set_xlabel("eigenvalue λ of $X^TX$")
    axs[2].set_ylabel("kept fraction")
    axs[2].legend(fontsize=7)
    for a in alphas:
        (line,) = axs[0].semilogx(lam_grid, ridge_shrinkage(lam_grid, a), label=f"λ/(λ+α), α = {a}")
        axs[0].semilogx(SPECTRUM, ratios[a], "o", color=line.get_color())
    axs[0].set_xlabel("Hessian eigenvalue λ")
    axs[0].set_ylabel("kept fraction")
    axs[0].legend(fontsize=7)
    axs[1].loglog(scales, gnorms, "o-")
    axs[1].set_xlabel("common weight scale s")
    axs[1].set_ylabel("||∂f/∂W₁||")
    axs[1].set_title(f"{L}-layer linear chain: slope {slope:.2f}")
    report.figure("shrinkage_and_depth", fig, en="Left: measured kept fraction per eigen-direction (dots) on the curve λ/(λ+α). Middle: first-layer gradient norm of a deep linear chain against the common weight scale (slope L − 1). Right: early stopping (dots: measured GD) against L2 with α = 1/(ηt).",
                  zh="左：每个特征方向实测的保留比例（点）落在曲线 λ/(λ+α) 上。中：深线性链第一层梯度范数随公共权重尺度的变化（斜率 L − 1）。右：提前停止（点：实测梯度下降）与 α = 1/(ηt) 的 L2 对比。")
    report.claim(
        "first-layer-gradient-scales-as-power-of-depth",
        en=f"In a {L}-layer linear chain with orthogonal weights scaled by s, the first-layer gradient norm grows like s^(L−1) (log-log slope against s, expected {L - 1}). So the shrinkage (1 − ηα)^t that weight decay applies to every layer multiplies it by (1 − ηα)^(t(L−1)): it tames explosion (s > 1) and deepens vanishing (s < 1); it is not a fix for either.",
        zh=f"在 {L} 层、正交权重乘以尺度 s 的线性链中，第一层梯度范数按 s^(L−1) 增长（对 s 的对数-对数斜率，预期 {L - 1}）。因此权重衰减对每层施加的收缩 (1 − ηα)^t 会把它乘以 (1 − ηα)^(t(L−1))：抑制爆炸（s > 1），加剧消失（s < 1）；它不能根治两者。",
        value=slope, op="between", threshold=(L - 1 - 0.01, L - 1 + 0.01), expression="d log||∇W₁|| / d log s")
