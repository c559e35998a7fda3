# ruff: noqa: E501  (bilingual claim statements are long text)
"""Damping the Hessian (Levenberg-Marquardt): Newton and gradient descent as the two ends.

1. Spectrum: the damped step -(H + alpha I)^{-1} g scales eigen-direction i by 1/(lambda_i + alpha);
   alpha -> 0 is Newton, alpha -> inf is gradient descent with step 1/alpha, and the condition
   number of the preconditioned Hessian (H + alpha I)^{-1} H rises from 1 to kappa(H).
2. Iterations on an ill-conditioned quadratic: damped Newton needs exactly
   ceil(log tol / log max_i alpha/(lambda_i + alpha)) steps, GD ceil(log tol / log(1 - lambda_min/lambda_max)).
3. Indefinite Hessians: on f(x, y) = x^2 - y^2 + y^4/4 (saddle at 0, minima at y = +-sqrt 2), raw
   Newton from starts near the saddle converges to the saddle; saddle-free Newton (|H|) and
   adaptive LM reach the minima; H + alpha I gives a descent direction iff alpha > -lambda_min.
"""

from __future__ import annotations

import math

import numpy as np

from dlproof.experiments.registry import Report, RunConfig, experiment
from dlproof.stats.optimality import (
    damped_condition_number,
    damped_newton_direction,
    levenberg_marquardt,
    saddle_free_newton_direction,
)


def f_saddle(z):
    return float(z[0] ** 2 - z[1] ** 2 + z[1] ** 4 / 4)


def g_saddle(z):
    return np.array([2 * z[0], -2 * z[1] + z[1] ** 3])


def h_saddle(z):
    return np.array([[2.0, 0.0], [0.0, -2.0 + 3 * z[1] ** 2]])


def iterate(direction, z0, iters=200, gtol=1e-10):
    """z <- z + direction(H(z), g(z)) until ||g|| <= gtol; returns the final point and the step count."""
    z = np.array(z0, float)
    for k in range(iters):  # iterations of the method
        g = g_saddle(z)
        if np.linalg.norm(g) <= gtol:
            return z, k
        z = z + direction(h_saddle(z), g)
        if not np.all(np.isfinite(z)) or np.abs(z).max() > 1e6:
            return z, iters
    return z, iters


def _fig(ncols, w=3.9, h=3.3):
    from matplotlib.figure import Figure

    fig = Figure(figsize=(w * ncols, h), layout="constrained")
    return fig, fig.subplots(1, ncols)


@experiment(
    "lm-damping",
    questions=["hessian-damping-second-order"],
    title_en="Levenberg-Marquardt damping H + αI: from Newton to gradient descent on the Hessian spectrum, and at saddles",
    title_zh="Levenberg-Marquardt 阻尼 H + αI：在 Hessian 谱上从 Newton 过渡到梯度下降，以及在鞍点处的行为",
)
def run(cfg: RunConfig, report: Report) -> None:
    rng = cfg.rng(0)
    d = 8
    lam = np.logspace(-2, 2, d)  # kappa(H) = 1e4
    Q, _ = np.linalg.qr(rng.standard_normal((d, d)))
    H = Q @ np.diag(lam) @ Q.T
    g = rng.standard_normal(d)
    gq = Q.T @ g

    # (1) per-direction factors, the two limits, the preconditioned condition number ---------------
    alphas = np.logspace(-6, 6, cfg.pick(25, 121))
    fac_err, kappas, cosines = 0.0, [], []
    for a in alphas:
        p = damped_newton_direction(H, g, a)
        fac_err = max(fac_err, float(np.abs((Q.T @ p) / (-gq) * (lam + a) - 1).max()))
        kappas.append(damped_condition_number(lam, a))
        cosines.append(float(-(p @ g) / (np.linalg.norm(p) * np.linalg.norm(g))))
    p_newton = -np.linalg.solve(H, g)
    newton_gap = float(np.linalg.norm(damped_newton_direction(H, g, 1e-10) - p_newton) / np.linalg.norm(p_newton))
    a_big = 1e7
    gd_gap = float(np.linalg.norm(a_big * damped_newton_direction(H, g, a_big) + g) / np.linalg.norm(g))
    kappas = np.array(kappas)
    report.claim(
        "damping-scales-each-eigendirection",
        en="In the Hessian's eigenbasis the damped step −(H + αI)⁻¹g multiplies component i of −g by exactly 1/(λ_i + α), for α from 1e-6 to 1e6 and eigenvalues λ from 0.01 to 100 (largest relative deviation).",
        zh="在 Hessian 的特征基下，阻尼步 −(H + αI)⁻¹g 把 −g 的第 i 个分量恰好乘以 1/(λ_i + α)，α 从 1e-6 到 1e6、特征值 λ 从 0.01 到 100（最大相对偏差）。",
        value=fac_err, op="<", threshold=1e-9, expression="max_i,α |p_i (λ_i+α) / (−g_i) − 1|")
    report.claim(
        "small-damping-is-newton",
        en="With α = 1e-10 the damped step equals the Newton step −H⁻¹g (relative distance, about α/λ_min).",
        zh="α = 1e-10 时阻尼步等于 Newton 步 −H⁻¹g（相对距离，约为 α/λ_min）。",
        value=newton_gap, op="<", threshold=1e-6, expression="||p(1e-10) − p_N|| / ||p_N||")
    report.claim(
        "large-damping-is-gradient-descent",
        en="With α = 1e7 the damped step is the gradient step −g/α with learning rate 1/α (relative distance ||αp + g||/||g||, about λ_max/α).",
        zh="α = 1e7 时阻尼步就是学习率 1/α 的梯度步 −g/α（相对距离 ||αp + g||/||g||，约为 λ_max/α）。",
        value=gd_gap, op="<", threshold=1e-4, expression="||α p(α) + g|| / ||g||")
    mono = float(np.min(np.diff(kappas)) / kappas.max())
    report.claim(
        "preconditioned-condition-number-interpolates",
        en="The condition number of the preconditioned Hessian (H + αI)⁻¹H, whose eigenvalues are λ_i/(λ_i + α), rises monotonically with α from ≈1 (Newton: curvature fully normalised) to ≈κ(H) = 1e4 (gradient descent). Value: log10 κ at α = 1e6 minus log10 κ at α = 1e-6, required near 4, with monotonicity checked (−1 if it ever decreases).",
        zh="预条件后 Hessian (H + αI)⁻¹H 的特征值为 λ_i/(λ_i + α)，其条件数随 α 单调从 ≈1（Newton：曲率被完全归一化）升到 ≈κ(H) = 1e4（梯度下降）。数值：α = 1e6 与 α = 1e-6 时 log10 κ 之差，应接近 4；并检查单调性（若出现下降则记为 −1）。",
        value=(math.log10(kappas[-1]) - math.log10(kappas[0])) if mono >= 0 else -1.0, op="between", threshold=(3.99, 4.0001),
        expression="log10 κ(1e6) − log10 κ(1e-6)")
    report.metric("kappa_alpha_min", float(kappas[0]))
    report.metric("kappa_alpha_max", float(kappas[-1]))
    fig, axs = _fig(3)
    axs[0].loglog(alphas, kappas)
    axs[0].set_xlabel("damping α")
    axs[0].set_ylabel("κ((H+αI)⁻¹H)")
    axs[0].set_title("preconditioned condition number")
    axs[1].semilogx(alphas, cosines)
    axs[1].set_xlabel("damping α")
    axs[1].set_ylabel("cos(p(α), −g)")
    axs[1].set_title("direction: Newton → gradient")
    report.progress(0.3, "spectrum")

    # (2) iteration counts on the quadratic: measured = predicted -------------------------------------
    tol = 1e-8
    x_star = rng.standard_normal(d)
    x0 = x_star + rng.standard_normal(d)
    e0 = np.linalg.norm(x0 - x_star)
    c0 = Q.T @ (x0 - x_star)  # initial error in the eigenbasis

    def predicted(factors):
        # error after k steps is ||c0 * factors^k||: the first k with error <= tol e0 (bisection on k)
        lo, hi = 0, 1
        while np.linalg.norm(c0 * factors**hi) > tol * e0:
            hi *= 2
        while lo < hi:
            mid = (lo + hi) // 2
            lo, hi = (mid + 1, hi) if np.linalg.norm(c0 * factors**mid) > tol * e0 else (lo, mid)
        return lo

    mism, rows = 0, []
    for a in [0.0, 1e-3, 1e-2, 1e-1, 1.0]:
        x, k = x0.copy(), 0
        while np.linalg.norm(x - x_star) > tol * e0 and k < 20000:
            x = x + damped_newton_direction(H, H @ (x - x_star), a)
            k += 1
        pred = predicted(a / (lam + a))  # per-direction contraction alpha / (lambda_i + alpha)
        mism = max(mism, max(0, abs(k - pred) - 1))  # one step of slack for rounding at the threshold
        rows.append([a, k, pred])
    eta = 1.0 / lam.max()
    x, k_gd = x0.copy(), 0
    while np.linalg.norm(x - x_star) > tol * e0 and k_gd < 400000:
        x = x - eta * (H @ (x - x_star))
        k_gd += 1
    pred_gd = predicted(1 - eta * lam)
    rows.append(["GD η = 1/λ_max", k_gd, pred_gd])
    report.table("iterations_to_1e-8", ["damping α", "measured iterations", "predicted from the spectrum: min k with ||c₀ ⊙ ρ^k|| ≤ tol·||c₀||"], rows)
    report.metric("gd_iterations", k_gd)
    report.claim(
        "iterations-follow-damped-spectrum",
        en=f"On a quadratic with κ(H) = 1e4, damped Newton x ← x − (H + αI)⁻¹g reaches a 1e-8 relative error in exactly the number of steps predicted from the spectrum, where direction i contracts by ρ_i = α/(λ_i + α) per step: 1 step for α = 0 and more as α grows, while gradient descent with η = 1/λ_max (ρ_i = 1 − λ_i/λ_max) needs {pred_gd}. Value: largest miss beyond one step of rounding slack.",
        zh=f"在 κ(H) = 1e4 的二次函数上，阻尼 Newton x ← x − (H + αI)⁻¹g 达到 1e-8 相对误差所需步数恰好等于由谱预测的步数（方向 i 每步收缩 ρ_i = α/(λ_i + α)）：α = 0 时 1 步，α 越大步数越多；η = 1/λ_max 的梯度下降（ρ_i = 1 − λ_i/λ_max）需要 {pred_gd} 步。数值：超出一步舍入余量的最大偏差。",
        value=max(mism, 0 if pred_gd - 1 <= k_gd <= pred_gd else abs(k_gd - pred_gd)), op="==", threshold=0,
        expression="max |measured − predicted| beyond one step")
    report.progress(0.55, "iterations")

    # (3) indefinite Hessian at a saddle ---------------------------------------------------------------
    n_starts = cfg.pick(30, 100)
    starts = rng.uniform(-0.5, 0.5, (n_starts, 2))
    starts[:, 1] = np.where(np.abs(starts[:, 1]) < 0.02, 0.02, starts[:, 1])
    y_min = math.sqrt(2.0)

    def outcome(z):
        if np.linalg.norm(z) < 1e-6:
            return "saddle"
        if abs(abs(z[1]) - y_min) < 1e-6 and abs(z[0]) < 1e-6:
            return "minimum"
        return "other"

    methods = {
        "Newton (α = 0)": lambda Hm, gv: damped_newton_direction(Hm, gv, 0.0),
        "damped α = 1": lambda Hm, gv: damped_newton_direction(Hm, gv, 1.0),
        "damped α = 10": lambda Hm, gv: damped_newton_direction(Hm, gv, 10.0),
        "saddle-free |H|": saddle_free_newton_direction,
    }
    res, rows = {}, []
    for name, fn in methods.items():
        outs, its = [], []
        for z0 in starts:
            z, k = iterate(fn, z0, iters=cfg.pick(300, 600))
            outs.append(outcome(z))
            its.append(k)
        res[name] = (np.mean([o == "saddle" for o in outs]), np.mean([o == "minimum" for o in outs]), float(np.median(its)))
        rows.append([name, f"{res[name][0]:.2f}", f"{res[name][1]:.2f}", res[name][2]])
    lm_out, lm_its = [], []
    for z0 in starts:
        z, k, _ = levenberg_marquardt(f_saddle, g_saddle, h_saddle, z0, alpha0=1e-3, gtol=1e-10, max_iter=500)
        lm_out.append(outcome(z))
        lm_its.append(k)
    res["adaptive LM"] = (np.mean([o == "saddle" for o in lm_out]), np.mean([o == "minimum" for o in lm_out]), float(np.median(lm_its)))
    rows.append(["adaptive LM", f"{res['adaptive LM'][0]:.2f}", f"{res['adaptive LM'][1]:.2f}", res["adaptive LM"][2]])
    report.table("saddle_starts", ["method", "fraction → saddle (0, 0)", "fraction → minimum (0, ±√2)", "median iterations"], rows)
    report.claim(
        "raw-newton-converges-to-saddle",
        en=f"From {n_starts} random starts in [−0.5, 0.5]² around the saddle of f = x² − y² + y⁴/4, raw Newton converges to the saddle (0, 0) every time: it jumps to the critical point of the local quadratic model whatever its curvature (fraction ending at the saddle).",
        zh=f"在 f = x² − y² + y⁴/4 的鞍点周围 [−0.5, 0.5]² 中的 {n_starts} 个随机起点，纯 Newton 每次都收敛到鞍点 (0, 0)：它总是跳到局部二次模型的临界点，而不管曲率的符号（停在鞍点的比例）。",
        value=res["Newton (α = 0)"][0], op=">=", threshold=0.95, expression="fraction → saddle")
    report.claim(
        "saddle-free-newton-reaches-minima",
        en="Saddle-free Newton, −|H|⁻¹g (eigenvalues replaced by their absolute values), and adaptive Levenberg-Marquardt (α raised when a step fails to lower f) reach a minimum (0, ±√2) from every start (smaller of the two fractions).",
        zh="无鞍点 Newton −|H|⁻¹g（特征值换成绝对值）与自适应 Levenberg-Marquardt（α 保持在 −λ_min 之上，并按实际下降与预测下降之比调整）从每个起点都到达极小点 (0, ±√2)（两者比例的较小值）。",
        value=min(res["saddle-free |H|"][1], res["adaptive LM"][1]), op=">=", threshold=1.0, expression="min fraction → minimum")
    report.claim(
        "strong-damping-is-slow",
        en="A fixed damping larger than the negative curvature (α = 10 > −λ_min = 2) also avoids the saddle, but behaves like gradient descent with step 1/α: its median iteration count is several times that of saddle-free Newton (ratio of medians).",
        zh="大于负曲率的固定阻尼（α = 10 > −λ_min = 2）同样避开鞍点，但表现得像步长 1/α 的梯度下降：其迭代次数中位数是无鞍点 Newton 的数倍（中位数之比）。",
        value=res["damped α = 10"][2] / max(res["saddle-free |H|"][2], 1.0) if res["damped α = 10"][1] == 1.0 else 0.0, op=">", threshold=3.0,
        expression="median its(α = 10) / median its(|H|), all reaching a minimum")
    # descent iff alpha > -lambda_min, at points near the saddle
    pts = rng.uniform(-0.5, 0.5, (cfg.pick(500, 3000), 2))
    wrong = 0
    uphill_small = 0
    for z in pts:
        Hm, gv = h_saddle(z), g_saddle(z)
        lmin = float(np.linalg.eigvalsh(Hm).min())
        for a in (0.5, 1.5, 2.5, 5.0):
            if a + lmin == 0:
                continue
            descent = float(gv @ damped_newton_direction(Hm, gv, a)) < 0
            if a > -lmin and not descent:
                wrong += 1
            if a < -lmin and not descent:
                uphill_small += 1
    report.claim(
        "descent-iff-damping-exceeds-negative-curvature",
        en="At random points near the saddle, H + αI gives a descent direction (gᵀp < 0) for every α > −λ_min(H), and for α < −λ_min the damped step goes uphill at a sizeable share of points. Value: share of (point, α < −λ_min) pairs going uphill, set to −1 if any α > −λ_min fails to descend.",
        zh="在鞍点附近的随机点上，只要 α > −λ_min(H)，H + αI 就给出下降方向（gᵀp < 0）；α < −λ_min 时，相当比例的点上阻尼步是上坡的。数值：(点, α < −λ_min) 组合中上坡的比例；若有任一 α > −λ_min 未下降则记为 −1。",
        value=(uphill_small / max(1, sum(1 for z in pts for a in (0.5, 1.5, 2.5, 5.0) if a < -np.linalg.eigvalsh(h_saddle(z)).min()))) if wrong == 0 else -1.0,
        op=">", threshold=0.2, expression="uphill share for α < −λ_min")
    xs = np.linspace(-1.2, 1.2, 121)
    ys = np.linspace(-2.0, 2.0, 161)
    Xg, Yg = np.meshgrid(xs, ys)
    axs[2].contour(Xg, Yg, Xg**2 - Yg**2 + Yg**4 / 4, levels=25, linewidths=0.6)
    for name, fn, col in [("Newton", methods["Newton (α = 0)"], "r"), ("|H|", saddle_free_newton_direction, "g")]:
        for z0 in starts[:6]:
            z, path = np.array(z0), [np.array(z0)]
            for _ in range(15):
                z = z + fn(h_saddle(z), g_saddle(z))
                path.append(z.copy())
            path = np.array(path)
            axs[2].plot(path[:, 0], path[:, 1], col + ".-", lw=0.8, ms=3)
        axs[2].plot([], [], col + ".-", label=name)
    axs[2].set_title("f = x² − y² + y⁴/4")
    axs[2].legend(fontsize=7)
    report.figure("damping", fig, en="Left: condition number of the damped-preconditioned Hessian against α (1 = Newton, κ(H) = gradient descent). Middle: cosine between the damped step and −g. Right: raw Newton (red) goes to the saddle, saddle-free Newton (green) to the minima.",
                  zh="左：阻尼预条件后 Hessian 的条件数随 α 的变化（1 = Newton，κ(H) = 梯度下降）。中：阻尼步与 −g 的夹角余弦。右：纯 Newton（红）走向鞍点，无鞍点 Newton（绿）走向极小点。")
