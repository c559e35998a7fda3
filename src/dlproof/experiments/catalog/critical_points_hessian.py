# ruff: noqa: E501  (bilingual claim statements are long text)
"""Critical points and the Hessian: the second-derivative test, where it is inconclusive, why it
only certifies a *local* minimum, gradient descent escaping a saddle along the negative-curvature
eigenvector, and the step-size limit 2/lambda_max with zig-zagging on an ill-conditioned quadratic.

Hessians come from the engine (``dlproof.engine.derivatives.hessian``: finite differences of exact
autograd gradients); gradient descent is ``dlproof.optim.SGD`` on an engine tensor holding all
starting points at once (the loss is a sum over rows, so every row follows its own GD path).
"""

from __future__ import annotations

import time

import numpy as np

from dlproof.engine import tensor
from dlproof.experiments.figures import new_figure
from dlproof.experiments.registry import Report, RunConfig, experiment

TEST_FUNCTIONS = [
    # name, f(t), expected class, closed-form Hessian at 0
    ("x² + y²", lambda t: t[0] ** 2 + t[1] ** 2, "minimum", np.diag([2.0, 2.0])),
    ("−x² − y²", lambda t: -(t[0] ** 2) - t[1] ** 2, "maximum", np.diag([-2.0, -2.0])),
    ("x² − y²", lambda t: t[0] ** 2 - t[1] ** 2, "saddle", np.diag([2.0, -2.0])),
    ("x³ − 3xy² (monkey saddle)", lambda t: t[0] ** 3 - 3 * t[0] * t[1] ** 2, "inconclusive", np.zeros((2, 2))),
    ("x⁴ + y²", lambda t: t[0] ** 4 + t[1] ** 2, "inconclusive", np.diag([0.0, 2.0])),
    ("x³ + y²", lambda t: t[0] ** 3 + t[1] ** 2, "inconclusive", np.diag([0.0, 2.0])),
]


def classify(eigs: np.ndarray, tol: float = 1e-6) -> str:
    """Second-derivative test from the Hessian's eigenvalues at a critical point."""
    if np.all(eigs > tol):
        return "minimum"
    if np.all(eigs < -tol):
        return "maximum"
    if eigs.max() > tol and eigs.min() < -tol:
        return "saddle"
    return "inconclusive"


def gd_quadratic(lams: np.ndarray, lr: float, x0: np.ndarray, steps: int) -> np.ndarray:
    """GD with dlproof.optim.SGD on f(x) = 1/2 sum_i lam_i x_i^2; x0 (R, n) rows are independent
    runs. Returns the path, shape (steps + 1, R, n)."""
    from dlproof.optim import SGD

    x = tensor(x0.copy(), requires_grad=True)
    L = tensor(lams)
    opt = SGD([x], lr=lr)
    path = [x0.copy()]
    for _ in range(steps):
        opt.zero_grad()
        (0.5 * (L * x * x).sum()).backward()
        opt.step()
        path.append(x.data.copy())
    return np.array(path)


@experiment(
    "critical-points-hessian",
    questions=["critical-points-hessian"],
    title_en="Critical points: the Hessian test, its blind spots, escaping saddles, and the 2/λmax step limit",
    title_zh="临界点：Hessian 判别法、它的盲区、从鞍点逃离，以及步长上限 2/λmax",
)
def run(cfg: RunConfig, report: Report) -> None:
    from dlproof.engine.derivatives import hessian
    from dlproof.optim import SGD

    t0 = time.perf_counter()

    # (a) second-derivative test on the textbook functions ----------------------------------------
    rows, wrong, h_err = [], 0, 0.0
    for name, f, expected, H_true in TEST_FUNCTIONS:
        H = hessian(f, np.zeros(2))
        eigs = np.linalg.eigvalsh(0.5 * (H + H.T))
        got = classify(eigs)
        wrong += got != expected
        h_err = max(h_err, float(np.abs(H - H_true).max()))
        rows.append([name, f"{eigs[0]:.3g}, {eigs[1]:.3g}", got, expected])
    report.table("second_derivative_test", ["f at (0, 0)", "Hessian eigenvalues", "test says", "expected"], rows)
    report.claim(
        "hessian-test-classifies",
        en="At the critical point (0, 0) the engine's Hessian eigenvalues classify x² + y² as a minimum, "
           "−x² − y² as a maximum, x² − y² as a saddle, and flag the monkey saddle x³ − 3xy² (H = 0), "
           "x⁴ + y² and x³ + y² (one zero eigenvalue) as inconclusive (number of misclassified functions out of 6).",
        zh="在临界点 (0, 0) 处，用引擎算出的 Hessian 特征值判断：x² + y² 是极小值，−x² − y² 是极大值，x² − y² 是鞍点；"
           "猴鞍 x³ − 3xy²（H = 0）、x⁴ + y² 和 x³ + y²（有一个零特征值）判为无法判定（6 个函数中判错的个数）。",
        value=float(wrong), op="==", threshold=0.0, expression="misclassified functions")
    report.claim(
        "hessian-matches-closed-form",
        en="The engine's Hessians (finite differences of exact gradients) equal the closed forms at the origin "
           "(largest absolute entry error over the 6 functions).",
        zh="引擎算出的 Hessian（对精确梯度做有限差分）与原点处的解析结果一致（6 个函数中最大的元素绝对误差）。",
        value=h_err, op="<", threshold=1e-6, expression="max |H − H_closed form|")

    # (b) same Hessian, different verdicts: the test is blind where an eigenvalue is 0 -------------
    theta = np.linspace(0, 2 * np.pi, 721)
    r = 1e-2
    circ = r * np.stack([np.cos(theta), np.sin(theta)], 1)
    min_quartic = float((circ[:, 0] ** 4 + circ[:, 1] ** 2).min())
    min_cubic = float((circ[:, 0] ** 3 + circ[:, 1] ** 2).min())
    report.metric("min_on_circle_x4_y2", min_quartic)
    report.metric("min_on_circle_x3_y2", min_cubic)
    report.claim(
        "zero-eigenvalue-inconclusive",
        en="x⁴ + y² and x³ + y² have the same gradient (0) and the same Hessian diag(0, 2) at the origin, yet "
           "the first is a minimum (f > 0 on a circle of radius 0.01) and the second is not (f < 0 somewhere "
           "on it): value = min f on the circle for x³ + y², which is negative, while the minimum for x⁴ + y² is positive.",
        zh="x⁴ + y² 和 x³ + y² 在原点的梯度（0）和 Hessian diag(0, 2) 完全相同，但前者是极小值（在半径 0.01 的圆上 f > 0），"
           "后者不是（圆上某处 f < 0）：数值为 x³ + y² 在圆上的最小值，它是负的，而 x⁴ + y² 的最小值为正。",
        value=min_cubic if min_quartic > 0 else 1.0, op="<", threshold=0.0,
        expression="min_circle(x³ + y²)  (given min_circle(x⁴ + y²) > 0)")

    # (c) local is not global: a tilted double well --------------------------------------------------
    def well(x):
        return x ** 4 - 2 * x ** 2 + 0.5 * x

    crit = np.sort(np.roots([4.0, 0.0, -4.0, 0.5]).real)
    curv = np.array([float(hessian(lambda t: (t ** 4 - 2 * t ** 2 + 0.5 * t).sum(), np.array([c]))[0, 0]) for c in crit])
    mins = crit[curv > 0]
    gap = float(well(mins).max() - well(mins).min())
    report.table("double_well", ["critical point x", "f''(x)", "f(x)"],
                 [[f"{c:.4f}", f"{h:.4f}", f"{well(c):.4f}"] for c, h in zip(crit, curv)])
    report.claim(
        "local-not-global",
        en="f(x) = x⁴ − 2x² + 0.5x has two critical points with f'' > 0; both pass the second-derivative test, "
           "but their values differ, so the test cannot tell the global minimum from a local one "
           "(value = f(worse minimum) − f(better minimum), with 2 points of positive curvature required).",
        zh="f(x) = x⁴ − 2x² + 0.5x 有两个 f'' > 0 的临界点，都通过二阶导数判别，但函数值不同，所以该判别法分不出全局极小和局部极小"
           "（数值为 f(较差的极小) − f(较好的极小)，要求恰有 2 个正曲率临界点）。",
        value=gap if len(mins) == 2 else 0.0, op=">", threshold=0.5, expression="f(local min) − f(global min)")
    report.progress(0.3, "second-derivative test done")

    # (d) GD escapes the saddle of f = x²/2 − y²/2 + y⁴/4 along the negative-curvature eigenvector ----
    n_starts = cfg.pick(100, 400)
    starts = cfg.rng(1).normal(0, 1e-3, (n_starts, 2))
    x = tensor(starts.copy(), requires_grad=True)
    opt = SGD([x], lr=0.1)
    steps = 300
    path = [starts.copy()]
    for _ in range(steps):
        opt.zero_grad()
        xx, yy = x[:, 0], x[:, 1]
        (0.5 * xx * xx - 0.5 * yy * yy + 0.25 * yy ** 4).sum().backward()
        opt.step()
        path.append(x.data.copy())
    path = np.array(path)
    final = path[-1]
    escaped = float(np.mean((np.abs(np.abs(final[:, 1]) - 1) < 1e-3) & (np.abs(final[:, 0]) < 1e-3)))
    # direction of the displacement when it first reaches distance 0.05 from the saddle
    dist = np.linalg.norm(path, axis=2)
    k_hit = np.argmax(dist > 0.05, axis=0)
    disp = path[k_hit, np.arange(n_starts)]
    cos_y = np.abs(disp[:, 1]) / np.linalg.norm(disp, axis=1)
    report.metric("saddle_escape_fraction", escaped)
    report.metric("median_escape_step", float(np.median(k_hit)))
    report.claim(
        "gd-escapes-saddle",
        en=f"Gradient descent (step 0.1, {steps} steps) from {n_starts} random starts within ~1e-3 of the saddle of "
           "f = x²/2 − y²/2 + y⁴/4 reaches one of the minima (0, ±1) every time (fraction of starts).",
        zh=f"在 f = x²/2 − y²/2 + y⁴/4 的鞍点附近（约 1e-3 以内）随机取 {n_starts} 个起点，梯度下降（步长 0.1，{steps} 步）"
           "每次都到达极小值 (0, ±1) 之一（起点所占比例）。",
        value=escaped, op=">=", threshold=0.99, expression="fraction reaching (0, ±1)")
    report.claim(
        "escape-along-negative-curvature",
        en="The escape follows the eigenvector of the negative Hessian eigenvalue (the y axis): when the iterate "
           "first gets 0.05 away from the saddle, |cos| between its displacement and that eigenvector is close "
           "to 1 (smallest over all starts), because the positive-curvature component shrinks by (1 − 0.1·1) "
           "per step while the negative one grows by (1 + 0.1·1).",
        zh="逃离沿负特征值对应的特征向量（y 轴）进行：迭代点第一次离开鞍点 0.05 时，其位移与该特征向量夹角的 |cos| 接近 1"
           "（所有起点中的最小值），因为正曲率分量每步乘以 (1 − 0.1·1)，负曲率分量每步乘以 (1 + 0.1·1)。",
        value=float(cos_y.min()), op=">", threshold=0.98, expression="min |cos(displacement, e_y)|")
    report.progress(0.55, "saddle escape done")

    # (e) quadratic: divergence boundary 2/λmax, zig-zag, slow flat direction ---------------------------
    kappa = 100.0
    lams = np.array([1.0, 1.0 / kappa])  # λmax = 1
    ratios = np.round(np.arange(0.51, 1.5, 0.02), 4)  # lr = ratio · 2/λmax, never exactly 1
    x0 = np.array([[1.0, 1.0]])
    grow = []
    for q in ratios:
        p = gd_quadratic(lams, 2.0 * q, x0, 60)
        grow.append(np.linalg.norm(p[-1]) / np.linalg.norm(p[0]))
    grow = np.array(grow)
    stable = ratios[grow < 1]
    boundary = float(stable.max()) if len(stable) else 0.0
    report.metric("largest_stable_lr_times_lmax_over_2", boundary)
    report.claim(
        "divergence-boundary",
        en="GD on f = ½(x² + y²/100) (λmax = 1) converges for every step below 2/λmax and diverges above it: "
           "the largest stable step on a grid of spacing 0.02·(2/λmax) (0.51 … 1.49) is 2/λmax up to the grid (value = that step · λmax / 2).",
        zh="在 f = ½(x² + y²/100)（λmax = 1）上，步长小于 2/λmax 时梯度下降收敛，大于它时发散：在间隔 0.02·(2/λmax) 的网格（0.51 … 1.49）上，"
           "最大稳定步长在网格精度内等于 2/λmax（数值为该步长 · λmax / 2）。",
        value=boundary, op="between", threshold=(0.97, 1.0), expression="max stable lr · λmax / 2")

    zig = gd_quadratic(lams, 1.8, x0, 40)[:, 0, :]  # lr = 0.9 · 2/λmax
    flips = float(np.mean(np.sign(zig[1:, 0]) != np.sign(zig[:-1, 0])))
    flat_rate = float(np.exp(np.polyfit(np.arange(41), np.log(zig[:, 1]), 1)[0]))
    report.claim(
        "zigzag-steep-direction",
        en="With step 1.8 = 0.9·(2/λmax) the steep coordinate changes sign at every step (it is multiplied "
           "by 1 − 1.8 = −0.8): fraction of the 40 steps with a sign flip.",
        zh="步长为 1.8 = 0.9·(2/λmax) 时，陡峭方向的坐标每一步都变号（每步乘以 1 − 1.8 = −0.8）：40 步中变号步的比例。",
        value=flips, op="==", threshold=1.0, expression="fraction of steps where x changes sign")
    report.claim(
        "flat-direction-rate",
        en="…while the flat coordinate shrinks only by the factor 1 − ε·λmin = 1 − 1.8/100 per step "
           "(relative error of the fitted per-step factor), so it needs about κ/(ελmax) steps per e-fold.",
        zh="……而平坦方向的坐标每步只缩小为 1 − ε·λmin = 1 − 1.8/100 倍（拟合的每步因子的相对误差），因此每缩小 e 倍约需 κ/(ελmax) 步。",
        value=abs(flat_rate - (1 - 1.8 / kappa)) / (1 - 1.8 / kappa), op="<", threshold=1e-9,
        expression="|fitted factor − (1 − ελmin)| / (1 − ελmin)")

    # iterations to tolerance against the step size, kappa = 10 and 100
    tol = 1e-6
    sweep = np.linspace(0.05, 1.0, cfg.pick(20, 40))
    iters = {}
    for kap in (10.0, 100.0):
        lm = np.array([1.0, 1.0 / kap])
        its = []
        for q in sweep:
            lr = 2.0 * q * 0.999
            rate = np.abs(1 - lr * lm).max()
            its.append(int(np.ceil(np.log(tol) / np.log(rate))))
        iters[kap] = np.array(its)
    # check the rate formula against actual GD runs for kappa = 10 (cheap)
    lm10 = np.array([1.0, 0.1])
    qs_check = [0.2, 0.5, 0.9]
    dev = 0.0
    for q in qs_check:
        lr = 2.0 * q * 0.999
        n_pred = int(np.ceil(np.log(tol) / np.log(np.abs(1 - lr * lm10).max())))
        p = gd_quadratic(lm10, lr, np.array([[1.0, 1.0]]), n_pred + 5)[:, 0, :]
        e = np.abs(p).max(1)
        n_meas = int(np.argmax(e <= tol))
        dev = max(dev, abs(n_meas - n_pred) / n_pred)
    report.claim(
        "iterations-match-spectral-rate",
        en="Iterations of GD to reach 1e-6 on diag(1, 0.1) equal the prediction log ε / log max_i |1 − ελ_i| "
           "at three step sizes (largest relative deviation).",
        zh="在 diag(1, 0.1) 上梯度下降达到 1e-6 所需的迭代次数，在三个步长上都等于预测值 log ε / log max_i |1 − ελ_i|（最大相对偏差）。",
        value=dev, op="<=", threshold=0.05, expression="max |n_meas − n_pred| / n_pred")
    report.progress(0.8, "quadratics done")

    # figures ------------------------------------------------------------------------------------------
    fig, ax = new_figure(1, 3, size=(11.7, 3.4))
    gx, gy = np.meshgrid(np.linspace(-1.3, 1.3, 121), np.linspace(-1.5, 1.5, 121))
    ax[0].contour(gx, gy, 0.5 * gx ** 2 - 0.5 * gy ** 2 + 0.25 * gy ** 4, 25, linewidths=0.6)
    for i in range(min(n_starts, 30)):
        ax[0].plot(path[:, i, 0], path[:, i, 1], lw=0.8)
    ax[0].plot([0], [0], "kx")
    ax[0].set_title("GD leaves the saddle along e_y")
    ax[0].set_xlabel("x")
    ax[0].set_ylabel("y")
    gx, gy = np.meshgrid(np.linspace(-1.2, 1.2, 101), np.linspace(-1.2, 1.2, 101))
    ax[1].contour(gx, gy, 0.5 * (gx ** 2 + gy ** 2 / kappa), 20, linewidths=0.6)
    ax[1].plot(zig[:, 0], zig[:, 1], "o-", ms=2.5, lw=0.8, label="ε = 0.9·2/λmax")
    p_small = gd_quadratic(lams, 0.5, x0, 40)[:, 0, :]
    ax[1].plot(p_small[:, 0], p_small[:, 1], "s-", ms=2.5, lw=0.8, label="ε = 0.25·2/λmax")
    ax[1].set_title("κ = 100: zig-zag, slow along y")
    ax[1].legend(fontsize=7)
    for kap in iters:
        ax[2].semilogy(sweep, iters[kap], "o-", ms=3, label=f"κ = {kap:g}")
    ax[2].axvline(1.0, color="k", ls=":", lw=0.8)
    ax[2].set_xlabel("step ε / (2/λmax)")
    ax[2].set_ylabel("iterations to 1e-6")
    ax[2].set_title("diverges beyond 2/λmax (dotted)")
    ax[2].legend(fontsize=7)
    report.figure(
        "critical-points", fig,
        en="Left: 30 gradient-descent paths starting within 1e-3 of the saddle of x²/2 − y²/2 + y⁴/4 leave it "
           "along the negative-curvature direction y and end in the minima (0, ±1). Middle: GD on a quadratic "
           "with κ = 100; a step near 2/λmax zig-zags across the steep direction, and both steps crawl along the flat one. "
           "Right: iterations to reach 1e-6 against the step size for κ = 10 and 100; beyond 2/λmax GD diverges.",
        zh="左：从 x²/2 − y²/2 + y⁴/4 的鞍点附近（1e-3 以内）出发的 30 条梯度下降路径沿负曲率方向 y 离开鞍点，最终落入极小值 (0, ±1)。"
           "中：κ = 100 的二次函数上的梯度下降；步长接近 2/λmax 时在陡峭方向来回折返，两种步长在平坦方向都走得很慢。"
           "右：κ = 10 和 100 时达到 1e-6 所需迭代次数随步长的变化；超过 2/λmax 后发散。")
    report.metric("seconds", time.perf_counter() - t0)
    report.progress(1.0, "done")
