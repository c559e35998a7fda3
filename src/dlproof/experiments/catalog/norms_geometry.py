# ruff: noqa: E501  (bilingual claim statements are long text)
"""Norms: the axioms checked, the unit balls drawn, and L1 vs L2 penalties on one regression.

1. For p in {1, 2, inf}: triangle inequality and absolute homogeneity hold on random vectors to
   rounding; for p = 0.5 the triangle inequality fails; the L0 "norm" (count of nonzeros) is not
   homogeneous, ||a x||_0 = ||x||_0.
2. Unit balls of p = 0.5, 1, 2, inf: convex iff p >= 1 (midpoints of random boundary pairs leave
   the p = 0.5 ball); areas 2/3, 2, pi, 4 from the closed form 4 Gamma(1+1/p)^2 / Gamma(1+2/p).
3. Dual norm: the worst L-inf perturbation of size eps moves a linear score by eps ||w||_1
   (attained by eps sign(w)); Frobenius = sqrt(tr A^T A) = sqrt(sum sigma_i^2), and
   sigma_max <= ||A||_F <= sqrt(rank A) sigma_max.
4. Lasso (coordinate descent) vs ridge (closed form) on one sparse regression (d = 50, n = 40,
   5 true nonzeros): lasso returns exact zeros, ridge none.
"""

from __future__ import annotations

import math

import numpy as np

from dlproof.experiments.registry import Report, RunConfig, experiment
from dlproof.stats.linear import lasso, ridge


def lp(x, p, axis=-1):
    """||x||_p along ``axis`` (p = 0: number of nonzeros; p = inf: max |x_i|; p < 1: the quasi-norm formula)."""
    a = np.abs(x)
    if p == 0:
        return np.count_nonzero(a, axis=axis).astype(float)
    if p == np.inf:
        return a.max(axis=axis)
    return (a**p).sum(axis=axis) ** (1.0 / p)


def _fig(ncols, w=3.6, h=3.4):
    from matplotlib.figure import Figure

    fig = Figure(figsize=(w * ncols, h), layout="constrained")
    return fig, fig.subplots(1, ncols)


@experiment(
    "norms-geometry",
    questions=["norms"],
    title_en="Norms: axioms checked, unit balls drawn, L0 is no norm, lasso zeros vs ridge shrinkage",
    title_zh="范数：公理的数值检验、单位球、L0 不是范数、lasso 的精确零与 ridge 的收缩",
)
def run(cfg: RunConfig, report: Report) -> None:
    rng = cfg.rng(0)
    m, dim = cfg.pick(4000, 40000), 6

    # (1) axioms on random pairs -------------------------------------------------------------------
    x = rng.standard_normal((m, dim)) * rng.exponential(1.0, (m, 1))
    y = rng.standard_normal((m, dim)) * rng.exponential(1.0, (m, 1))
    # sparse copies so that L0 is not trivially dim everywhere
    xs = x * (rng.random((m, dim)) < 0.5)
    a = rng.uniform(-3, 3, (m, 1))
    a[np.abs(a) < 1.2] = 2.0  # |a| != 1 so homogeneity can tell L0 apart
    worst, rows = 0.0, []
    for p in (1, 2, np.inf):
        tri = float(np.max((lp(x + y, p) - lp(x, p) - lp(y, p)) / (lp(x, p) + lp(y, p))))
        hom = float(np.max(np.abs(lp(a * x, p) - np.abs(a[:, 0]) * lp(x, p)) / lp(x, p) / np.abs(a[:, 0])))
        worst = max(worst, tri, hom)
        rows.append([str(p), f"{tri:.2e}", f"{hom:.2e}"])
    half_fail = float(np.mean(lp(x + y, 0.5) > lp(x, 0.5) + lp(y, 0.5)))
    nz = lp(xs, 0) > 0
    l0_hom_fail = float(np.mean(np.abs(lp(a * xs, 0) - np.abs(a[:, 0]) * lp(xs, 0))[nz] > 1e-9))
    ys = y * (rng.random((m, dim)) < 0.5)
    l0_tri = float(np.max(lp(xs + ys, 0) - lp(xs, 0) - lp(ys, 0)))  # supp(x+y) is inside supp(x) ∪ supp(y)
    rows.append(["0.5", f"fails on {half_fail:.1%}", "holds (it is (|a|^p)^(1/p) = |a|)"])
    rows.append(["0 (count)", "holds", f"fails on {l0_hom_fail:.1%}"])
    report.table("axioms", ["p", "triangle: max (||x+y|| − ||x|| − ||y||)/(||x||+||y||)", "homogeneity: max relative error"], rows)
    report.metric("l0_triangle_max_excess", l0_tri)
    report.claim(
        "lp-axioms-hold",
        en=f"For p = 1, 2, ∞ the triangle inequality ||x+y||_p ≤ ||x||_p + ||y||_p and absolute homogeneity ||ax||_p = |a|·||x||_p hold on all {m} random pairs to rounding (largest relative violation of either).",
        zh=f"p = 1、2、∞ 时，三角不等式 ||x+y||_p ≤ ||x||_p + ||y||_p 与绝对齐次性 ||ax||_p = |a|·||x||_p 在全部 {m} 组随机样本上成立到舍入误差（两者的最大相对违背）。",
        value=worst, op="<", threshold=1e-12, expression="max relative violation, p ∈ {1, 2, ∞}")
    report.claim(
        "p-half-breaks-triangle",
        en="For p = 0.5 the formula (Σ|x_i|^p)^(1/p) violates the triangle inequality on more than 5% of the same random pairs, so it is not a norm (fraction of pairs with ||x+y|| > ||x|| + ||y||).",
        zh="p = 0.5 时，公式 (Σ|x_i|^p)^(1/p) 在同样的随机样本中有超过 5% 违背三角不等式，因此不是范数（||x+y|| > ||x|| + ||y|| 的样本比例）。",
        value=half_fail, op=">", threshold=0.05, expression="fraction of pairs violating the triangle inequality")
    report.claim(
        "l0-not-homogeneous",
        en="The L0 'norm' (number of nonzero entries) is not absolutely homogeneous: ||ax||_0 = ||x||_0 ≠ |a|·||x||_0 for every random nonzero sparse x and |a| ≥ 1.2 (fraction of cases where homogeneity fails).",
        zh="L0“范数”（非零元素个数）不满足绝对齐次性：对每个随机非零稀疏 x 和 |a| ≥ 1.2，||ax||_0 = ||x||_0 ≠ |a|·||x||_0（齐次性不成立的比例）。",
        value=l0_hom_fail, op=">", threshold=0.999, expression="fraction with ||ax||_0 ≠ |a|·||x||_0")
    report.progress(0.25, "axioms")

    # (2) unit balls: convexity and areas -------------------------------------------------------
    ps = (0.5, 1, 2, np.inf)
    k = cfg.pick(20000, 200000)
    theta = rng.uniform(0, 2 * np.pi, (k, 2))
    mid_out, area_err, fig, axs = {}, 0.0, *_fig(2, 4.0, 3.8)
    t = np.linspace(0, 2 * np.pi, 721)
    for p in ps:
        dirs = np.stack([np.cos(t), np.sin(t)], 1)
        b = dirs / lp(dirs, p)[:, None]
        axs[0].plot(b[:, 0], b[:, 1], label=f"p = {p}")
        u = np.stack([np.cos(theta), np.sin(theta)], -1)  # (k, 2 points, 2 coords)
        u = u / lp(u, p)[..., None]  # two random points on the unit sphere of ||.||_p
        mid_out[p] = float(np.mean(lp(u.mean(axis=1), p) > 1 + 1e-12))
        exact = 4.0 if p == np.inf else 4 * math.gamma(1 + 1 / p) ** 2 / math.gamma(1 + 2 / p)
        pts = rng.uniform(-1, 1, (k, 2))
        mc = 4.0 * float(np.mean(lp(pts, p) <= 1))
        se = 4.0 * math.sqrt((exact / 4) * (1 - exact / 4) / k)
        area_err = max(area_err, abs(mc - exact) / se if se > 0 else 0.0)
        report.metric(f"area_p{p}", exact)
    axs[0].set_aspect("equal")
    axs[0].legend(fontsize=8)
    axs[0].set_title("unit spheres ||x||_p = 1")
    axs[1].bar([str(p) for p in ps], [mid_out[p] for p in ps])
    axs[1].set_ylabel("fraction of midpoints outside the ball")
    axs[1].set_title("convexity test")
    report.figure("unit_balls", fig, en="Left: the unit spheres of p = 0.5, 1, 2, ∞ in 2-D. Right: the fraction of midpoints of random pairs of boundary points that fall outside the ball (0 iff the ball is convex).",
                  zh="左：二维中 p = 0.5、1、2、∞ 的单位球面。右：随机两点（都在球面上）的中点落在球外的比例（球是凸的当且仅当为 0）。")
    report.claim(
        "unit-ball-convex-iff-p-ge-1",
        en=f"The unit balls of p = 1, 2, ∞ are convex (no midpoint of {k} random boundary pairs leaves them), while the p = 0.5 'ball' is not (share of midpoints outside it); value = share outside for p = 0.5 minus the largest share for p ≥ 1.",
        zh=f"p = 1、2、∞ 的单位球是凸的（{k} 对随机边界点的中点无一落到球外），而 p = 0.5 的“球”不是（中点落在球外的比例）；数值 = p = 0.5 的球外比例减去 p ≥ 1 中最大的球外比例。",
        value=mid_out[0.5] - max(mid_out[1], mid_out[2], mid_out[np.inf]), op=">", threshold=0.2,
        expression="out(0.5) − max_{p≥1} out(p)")
    report.claim(
        "unit-ball-areas",
        en="The areas of the 2-D unit balls equal the closed form 4Γ(1+1/p)²/Γ(1+2/p): 2/3 (p = 0.5), 2 (L1 diamond), π (L2 disc), 4 (L∞ square); Monte-Carlo estimates agree (largest deviation in standard errors).",
        zh="二维单位球面积等于闭式 4Γ(1+1/p)²/Γ(1+2/p)：2/3（p = 0.5）、2（L1 菱形）、π（L2 圆盘）、4（L∞ 正方形）；蒙特卡洛估计与之吻合（最大偏差，以标准误计）。",
        value=area_err, op="<", threshold=4.5, expression="max |MC − exact| / s.e.")
    report.progress(0.5, "unit balls")

    # (3) dual norm and Frobenius ----------------------------------------------------------------
    w = rng.standard_normal(20)
    eps = 0.1
    deltas = eps * rng.uniform(-1, 1, (cfg.pick(20000, 100000), 20))
    best_random = float((deltas @ w).max())
    attained = float(eps * np.sign(w) @ w)
    dual_gap = abs(attained - eps * lp(w, 1)) / (eps * lp(w, 1))
    report.claim(
        "linf-dual-is-l1",
        en="The largest change of a linear score wᵀx under an L∞ perturbation ||δ||_∞ ≤ ε is ε||w||_1 (the dual norm), attained by δ = ε·sign(w) (the FGSM direction); no random δ in the box exceeds it. Value: relative gap between wᵀ(ε sign w) and ε||w||_1 plus any excess of the best random δ.",
        zh="线性打分 wᵀx 在 L∞ 扰动 ||δ||_∞ ≤ ε 下的最大变化是 ε||w||_1（对偶范数），由 δ = ε·sign(w)（FGSM 方向）取到；盒子里的随机 δ 都不超过它。数值：wᵀ(ε sign w) 与 ε||w||_1 的相对差，加上最佳随机 δ 的任何超出量。",
        value=dual_gap + max(0.0, best_random - attained), op="<", threshold=1e-12, expression="|gap| + excess")
    report.metric("best_random_over_bound", best_random / attained)
    fro_err, lower, upper = 0.0, np.inf, 0.0
    for r in range(1, 6):
        A = rng.standard_normal((8, r)) @ rng.standard_normal((r, 6))
        s = np.linalg.svd(A, compute_uv=False)
        F = float(np.sqrt((A * A).sum()))
        fro_err = max(fro_err, abs(F - np.sqrt(np.trace(A.T @ A))) / F, abs(F - np.sqrt((s**2).sum())) / F)
        rank = int(np.sum(s > 1e-10 * s[0]))
        lower = min(lower, F / s[0])
        upper = max(upper, F / (np.sqrt(rank) * s[0]))
    report.claim(
        "frobenius-identities",
        en="||A||_F = √(Σ a_ij²) = √tr(AᵀA) = √(Σ σ_i²) on random matrices of rank 1-5 (largest relative difference), so the Frobenius norm is the L2 norm of the singular values.",
        zh="在秩为 1-5 的随机矩阵上 ||A||_F = √(Σ a_ij²) = √tr(AᵀA) = √(Σ σ_i²)（最大相对差），即 Frobenius 范数是奇异值向量的 L2 范数。",
        value=fro_err, op="<", threshold=1e-12, expression="max relative difference")
    report.claim(
        "spectral-frobenius-bounds",
        en="σ_max ≤ ||A||_F ≤ √rank(A)·σ_max on the same matrices: value = max(1 − min ||A||_F/σ_max, max ||A||_F/(√r σ_max) − 1), which must not be positive (equality at rank 1).",
        zh="同样的矩阵上 σ_max ≤ ||A||_F ≤ √rank(A)·σ_max：数值 = max(1 − min ||A||_F/σ_max, max ||A||_F/(√r σ_max) − 1)，不应为正（秩 1 时取等号）。",
        value=max(1 - lower, upper - 1), op="<", threshold=1e-12, expression="largest bound violation")
    report.progress(0.65, "dual norm, Frobenius")

    # (4) lasso vs ridge on the same sparse problem ------------------------------------------------
    n, d, s_true = 40, 50, 5
    r2 = cfg.rng(1)
    X = r2.standard_normal((n, d))
    w_true = np.zeros(d)
    support = r2.choice(d, s_true, replace=False)
    w_true[support] = r2.choice([-1, 1], s_true) * r2.uniform(1.0, 3.0, s_true)
    yv = X @ w_true + 0.1 * r2.standard_normal(n)
    alphas = cfg.pick([0.05, 0.1, 0.3], [0.02, 0.05, 0.1, 0.2, 0.3, 0.5])
    zl, zr, rows = [], [], []
    wl_main = wr_main = None
    for al in alphas:
        wl = lasso(X, yv, al)
        wr = ridge(X, yv, 2 * n * al)  # same penalty scale: 1/(2n) data term, alpha times the norm
        zl.append(int(np.sum(wl == 0.0)))
        zr.append(int(np.sum(np.abs(wr) < 1e-8)))
        rows.append([al, zl[-1], zr[-1], f"{np.abs(wr).min():.2e}", int(np.all(wl[support] != 0))])
        if al == 0.1:
            wl_main, wr_main = wl, wr
    report.table("sparsity", ["α", "lasso exact zeros (of 50)", "ridge |w| < 1e-8", "ridge min |w_i|", "lasso keeps true support"], rows)
    fig, axs = _fig(1, 7.0, 3.2)
    idx = np.arange(d)
    axs.bar(idx - 0.3, w_true, 0.3, label="true")
    axs.bar(idx, wl_main, 0.3, label="lasso α = 0.1")
    axs.bar(idx + 0.3, wr_main, 0.3, label="ridge (same scale)")
    axs.legend(fontsize=8)
    axs.set_xlabel("coefficient index")
    report.figure("coefficients", fig, en="Coefficients of the true sparse vector, the lasso solution and the ridge solution on the same data (d = 50, n = 40).",
                  zh="同一数据（d = 50、n = 40）上真实稀疏向量、lasso 解与 ridge 解的系数。")
    report.claim(
        "lasso-exact-zeros",
        en=f"On a regression with d = {d} features, n = {n} examples and {s_true} true nonzeros, the lasso (L1) solution has many coefficients exactly 0.0 for every α in {alphas} (smallest count of exact zeros).",
        zh=f"在 d = {d} 个特征、n = {n} 个样本、{s_true} 个真实非零系数的回归上，对 {alphas} 中的每个 α，lasso（L1）解都有大量恰好为 0.0 的系数（精确零个数的最小值）。",
        value=min(zl), op=">=", threshold=30, expression="min_α #{w_i = 0}")
    report.claim(
        "ridge-no-zeros",
        en="Ridge (L2) with the same penalty scale on the same data shrinks but zeroes nothing: no coefficient is below 1e-8 in magnitude for any α (largest count).",
        zh="同一数据上相同惩罚尺度的 ridge（L2）只收缩不置零：任何 α 下都没有绝对值小于 1e-8 的系数（最大个数）。",
        value=max(zr), op="==", threshold=0, expression="max_α #{|w_i| < 1e-8}")
    report.progress(1.0, "lasso vs ridge")
