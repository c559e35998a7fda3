# ruff: noqa: E501  (bilingual claim statements are long text)
"""Second-order methods with dlproof.optim.minimize: Newton (one step on a quadratic, quadratic
convergence near a minimum, attraction to saddles), linear conjugate gradient (at most n steps,
k steps for k distinct eigenvalues), nonlinear CG, BFGS and L-BFGS on Rosenbrock, and L-BFGS
against gradient descent on full-batch softmax regression on digits (gradients from the engine).
"""

from __future__ import annotations

import time

import numpy as np

from dlproof.data import digits
from dlproof.engine import tensor
from dlproof.experiments.figures import new_figure
from dlproof.experiments.registry import Report, RunConfig, experiment


def rosen(x):
    return float((1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2)


def rosen_grad(x):
    return np.array([-2 * (1 - x[0]) - 400 * x[0] * (x[1] - x[0] ** 2), 200 * (x[1] - x[0] ** 2)])


def rosen_hess(x):
    return np.array([[2 - 400 * x[1] + 1200 * x[0] ** 2, -400 * x[0]], [-400 * x[0], 200.0]])


def convergence_order(errs: np.ndarray, lo: float = 1e-12, hi: float = 1e-1) -> float:
    """Median of log(e_{k+1}/e_k) / log(e_k/e_{k-1}) over consecutive errors inside (lo, hi)."""
    e = np.asarray(errs)
    orders = []
    for k in range(1, len(e) - 1):
        if lo < e[k + 1] and e[k - 1] < hi and e[k] < e[k - 1] and e[k + 1] < e[k]:
            orders.append(np.log(e[k + 1] / e[k]) / np.log(e[k] / e[k - 1]))
    return float(np.median(orders)) if orders else 0.0


@experiment(
    "second-order-minimizers",
    questions=["second-order-methods"],
    title_en="Newton, conjugate gradient, BFGS and L-BFGS: exactness on quadratics, convergence order, saddles, and cost against GD",
    title_zh="牛顿法、共轭梯度、BFGS 与 L-BFGS：二次函数上的精确性、收敛阶、鞍点，以及与梯度下降的代价对比",
)
def run(cfg: RunConfig, report: Report) -> None:
    import dlproof.nn.functional as F
    from dlproof.optim import SGD
    from dlproof.optim.minimize import bfgs, conjugate_gradient, lbfgs, newton, nonlinear_cg

    t0 = time.perf_counter()
    rng = cfg.rng(0)

    # (a) 50-dimensional quadratic, kappa = 1e3 ----------------------------------------------------
    n = 50
    Q, _ = np.linalg.qr(rng.normal(size=(n, n)))
    eig = np.logspace(0, -3, n)
    A = (Q * eig) @ Q.T
    A = 0.5 * (A + A.T)
    b = rng.normal(size=n)
    x_star = np.linalg.solve(A, b)

    def fq(x):
        return float(0.5 * x @ A @ x - b @ x)

    def gq(x):
        return A @ x - b

    res_n = newton(fq, gq, np.zeros(n), hess=lambda x: A, max_iter=1, gtol=0.0)
    newton_err = float(np.linalg.norm(res_n.x - x_star) / np.linalg.norm(x_star))
    report.claim(
        "newton-one-step-on-quadratic",
        en="Newton's step θ − H⁻¹g lands on the minimizer of a 50-dimensional quadratic with κ = 1e3 in one "
           "iteration (relative distance to the minimizer after one step).",
        zh="牛顿步 θ − H⁻¹g 在 κ = 1e3 的 50 维二次函数上一步就落到极小点（一步后到极小点的相对距离）。",
        value=newton_err, op="<", threshold=1e-9, expression="||x_1 − x*|| / ||x*||")
    # exact rational arithmetic: CG terminates after exactly n_small steps
    from fractions import Fraction

    n_small = 10
    Qs, _ = np.linalg.qr(rng.normal(size=(n_small, n_small)))
    As = (Qs * np.logspace(0, -3, n_small)) @ Qs.T
    As = 0.5 * (As + As.T)
    bs = rng.normal(size=n_small)
    Af = [[Fraction(float(v)) for v in row] for row in As]
    r_f = [Fraction(float(v)) for v in bs]
    p_f = list(r_f)
    exact_res = []
    for _ in range(n_small):
        Ap = [sum(a * q for a, q in zip(row, p_f)) for row in Af]
        rr = sum(v * v for v in r_f)
        alpha = rr / sum(a * q for a, q in zip(p_f, Ap))
        r_f = [v - alpha * w for v, w in zip(r_f, Ap)]
        beta_f = sum(v * v for v in r_f) / rr
        p_f = [v + beta_f * w for v, w in zip(r_f, p_f)]
        exact_res.append(float(sum(v * v for v in r_f)) ** 0.5)
    report.table("cg_exact_arithmetic", ["iteration", "residual norm (exact rational arithmetic)"],
                 [[i + 1, f"{v:.3g}"] for i, v in enumerate(exact_res)])
    report.claim(
        "cg-exact-in-n-steps",
        en="In exact (rational) arithmetic, linear CG on a 10-dimensional quadratic with κ = 1e3 drives the residual "
           "to exactly 0 in n = 10 iterations, using only matrix-vector products (residual after iteration 10, and "
           "nonzero before it).",
        zh="在精确（有理数）算术下，线性 CG 在 κ = 1e3 的 10 维二次函数上恰好 n = 10 次迭代把残差降到 0，只用矩阵-向量乘积"
           "（第 10 次迭代后的残差；此前都不为 0）。",
        value=exact_res[-1] if min(exact_res[:-1]) > 0 else 1.0, op="==", threshold=0.0,
        expression="||r_n|| (given ||r_k|| > 0 for k < n)")
    res_cg = conjugate_gradient(A, b, tol=1e-10, max_iter=4 * n)
    report.metric("cg_iterations_50d_float64", res_cg.n_iter)
    report.claim(
        "cg-float64-loses-finite-termination",
        en="In float64 the directions lose conjugacy: on the 50-dimensional quadratic with eigenvalues spread over "
           "[1e-3, 1], CG needs clearly more than n = 50 iterations to reach a relative residual of 1e-10 (iterations / n). "
           "It still converges, much faster than gradient descent's ~κ·ln(1/ε)/2 ≈ 1e4 iterations.",
        zh="在 float64 下各方向会逐渐失去共轭性：特征值分布在 [1e-3, 1] 的 50 维二次函数上，CG 需要明显多于 n = 50 次迭代才能把相对残差降到 1e-10"
           "（迭代次数 / n）。它仍然收敛，而且远快于梯度下降约 κ·ln(1/ε)/2 ≈ 1e4 次的迭代。",
        value=res_cg.n_iter / n, op="between", threshold=(1.2, 4.0), expression="iterations / n")
    k_distinct = 5
    eig5 = np.repeat(np.logspace(0, -3, k_distinct), n // k_distinct)
    A5 = (Q * eig5) @ Q.T
    A5 = 0.5 * (A5 + A5.T)
    res_cg5 = conjugate_gradient(A5, b, tol=1e-8, max_iter=4 * n)
    report.claim(
        "cg-k-distinct-eigenvalues",
        en="With only 5 distinct eigenvalues (each repeated 10 times) CG finishes in 5 iterations, not 50: the "
           "Krylov space of dimension k already contains the solution (iterations to residual 1e-8).",
        zh="若只有 5 个不同的特征值（各重复 10 次），CG 只需 5 次迭代而不是 50 次：k 维 Krylov 子空间已经包含解（残差降到 1e-8 的迭代次数）。",
        value=float(res_cg5.n_iter), op="<=", threshold=float(k_distinct), expression="CG iterations")
    # conjugacy of the search directions: d_i^T A d_j = 0 for i != j
    P = np.diff(np.array(res_cg5.xs), axis=0)
    P = P / np.linalg.norm(P, axis=1, keepdims=True)
    G = P @ A5 @ P.T
    off = float(np.abs(G - np.diag(np.diag(G))).max() / np.abs(np.diag(G)).min())
    report.claim(
        "cg-directions-conjugate",
        en="CG's steps are mutually A-conjugate: the largest |d_iᵀAd_j| (i ≠ j) relative to the smallest d_iᵀAd_i "
           "over the steps of the 5-eigenvalue run.",
        zh="CG 的各步方向彼此 A-共轭：5 特征值问题各步中，最大的 |d_iᵀAd_j|（i ≠ j）相对于最小的 d_iᵀAd_i。",
        value=off, op="<", threshold=1e-6, expression="max_{i≠j} |d_iᵀAd_j| / min_i d_iᵀAd_i")
    report.progress(0.2, "quadratics done")

    # (b) Rosenbrock: Newton, BFGS, L-BFGS(5), nonlinear CG, GD --------------------------------------
    x0 = np.array([-1.2, 1.0])
    x_opt = np.array([1.0, 1.0])
    runs = {
        "Newton (Armijo)": newton(rosen, rosen_grad, x0, hess=rosen_hess, line_search="armijo", gtol=1e-10, max_iter=200),
        "BFGS": bfgs(rosen, rosen_grad, x0, gtol=1e-10, max_iter=500),
        "L-BFGS (m = 5)": lbfgs(rosen, rosen_grad, x0, m=5, gtol=1e-10, max_iter=500),
        "nonlinear CG (PR+)": nonlinear_cg(rosen, rosen_grad, x0, beta="pr+", gtol=1e-10, max_iter=2000),
    }
    errs = {k: np.linalg.norm(np.array(r.xs) - x_opt, axis=1) for k, r in runs.items()}
    # gradient descent with dlproof.optim.SGD and a fixed step of 1e-3 (the Hessian at x* has λmax ≈ 1002)
    gd_steps = cfg.pick(2000, 20000)
    xt = tensor(x0.copy(), requires_grad=True)
    opt = SGD([xt], lr=1e-3)
    gd_path = [x0.copy()]
    for _ in range(gd_steps):
        opt.zero_grad()
        ((1 - xt[0]) ** 2 + 100 * (xt[1] - xt[0] ** 2) ** 2).backward()
        opt.step()
        gd_path.append(xt.data.copy())
    gd_path = np.array(gd_path)
    gd_err = np.linalg.norm(gd_path - x_opt, axis=1)
    iters_to = {k: int(np.argmax(e < 1e-6)) if (e < 1e-6).any() else len(e) for k, e in errs.items()}
    gd_to = int(np.argmax(gd_err < 1e-6)) if (gd_err < 1e-6).any() else None
    rows = [[k, iters_to[k], r.n_fev, r.n_gev, f"{errs[k][-1]:.1e}"] for k, r in runs.items()]
    rows.append([f"GD lr = 1e-3 ({gd_steps} steps)", gd_to if gd_to is not None else f"> {gd_steps}", gd_steps, gd_steps, f"{gd_err[-1]:.1e}"])
    report.table("rosenbrock", ["method", "iterations to ||x − x*|| < 1e-6", "f evals", "grad evals", "final error"], rows)
    worst_second = max(iters_to.values())
    report.claim(
        "rosenbrock-second-order-fast",
        en=f"On Rosenbrock from (−1.2, 1), Newton, BFGS, L-BFGS (m = 5) and nonlinear CG all reach ||x − x*|| < 1e-6 "
           f"within 100 iterations (the slowest of the four), while gradient descent (lr 1e-3) is still farther than 1e-6 "
           f"after {gd_steps} steps.",
        zh=f"在 Rosenbrock 函数上从 (−1.2, 1) 出发，牛顿法、BFGS、L-BFGS（m = 5）与非线性 CG 都在 100 次迭代内达到 ||x − x*|| < 1e-6"
           f"（四者中最慢者的迭代次数），而梯度下降（lr 1e-3）{gd_steps} 步后仍未进入 1e-6。",
        value=float(worst_second) if gd_to is None else 1e9, op="<", threshold=100.0,
        expression="max iterations (Newton, BFGS, L-BFGS, NCG), given GD not within 1e-6")
    e_n = errs["Newton (Armijo)"]
    quad_c = [e_n[k + 1] / e_n[k] ** 2 for k in range(len(e_n) - 1) if 0 < e_n[k] < 1e-2 and e_n[k + 1] > 0]
    newton_c = float(max(quad_c)) if len(quad_c) >= 2 else 1e9
    order_bfgs = convergence_order(errs["BFGS"])
    report.metric("convergence_order_bfgs", order_bfgs)
    report.claim(
        "newton-quadratic-convergence",
        en="Near the minimum Newton converges quadratically, e_{k+1} ≤ C·e_k² (the number of correct digits roughly "
           "doubles each step): largest e_{k+1}/e_k² over the steps with e_k < 1e-2 (at least two such steps).",
        zh="在极小值附近牛顿法二次收敛，e_{k+1} ≤ C·e_k²（正确的位数每步大约翻倍）：e_k < 1e-2 的各步中 e_{k+1}/e_k² 的最大值（至少两步）。",
        value=newton_c, op="<", threshold=50.0, expression="max e_{k+1} / e_k²")
    report.claim(
        "bfgs-superlinear",
        en="BFGS converges superlinearly (order above 1, below Newton's 2): median measured order over the same range.",
        zh="BFGS 超线性收敛（阶大于 1、小于牛顿法的 2）：同一范围内测得收敛阶的中位数。",
        value=order_bfgs, op=">", threshold=1.15, expression="median convergence order (BFGS)")
    report.progress(0.45, "Rosenbrock done")

    # (c) pure Newton is attracted to a saddle --------------------------------------------------------
    def fs(x):
        return float(0.5 * x[0] ** 2 - 0.5 * x[1] ** 2 + 0.25 * x[1] ** 4)

    def gs(x):
        return np.array([x[0], -x[1] + x[1] ** 3])

    def hs(x):
        return np.array([[1.0, 0.0], [0.0, -1.0 + 3 * x[1] ** 2]])

    starts = cfg.rng(1).uniform(-0.4, 0.4, (cfg.pick(20, 50), 2))
    ends = np.array([newton(fs, gs, s, hess=hs, gtol=1e-12, max_iter=50).x for s in starts])
    at_saddle = float(np.mean(np.linalg.norm(ends, axis=1) < 1e-8))
    report.claim(
        "newton-attracted-to-saddle",
        en="Pure Newton on f = x²/2 − y²/2 + y⁴/4 from random starts in [−0.4, 0.4]² (where the Hessian is indefinite and y_{k+1} = 2y_k³/(3y_k² − 1) shrinks) "
           "converges to the saddle (0, 0), not to a minimum (0, ±1): fraction of starts ending at the saddle.",
        zh="在 f = x²/2 − y²/2 + y⁴/4 上，从 [−0.4, 0.4]² 内的随机起点（该区域 Hessian 不定，且 y_{k+1} = 2y_k³/(3y_k² − 1) 收缩）出发，纯牛顿法收敛到鞍点 (0, 0) 而非极小值 (0, ±1)"
           "：终点为鞍点的起点比例。",
        value=at_saddle, op=">=", threshold=0.99, expression="fraction converging to the saddle")
    report.progress(0.55, "saddle done")

    # (d) full-batch softmax regression on digits: L-BFGS vs GD at equal gradient evaluations ---------
    X, y = digits(n=cfg.pick(500, 1797), rng=cfg.rng(3))
    Xt, yt = tensor(X), tensor(y)
    d_in, k_cls = 64, 10
    wd = 1e-3

    def fg(theta):
        W = tensor(theta[: d_in * k_cls].reshape(k_cls, d_in), requires_grad=True)
        bb = tensor(theta[d_in * k_cls:], requires_grad=True)
        loss = F.cross_entropy(Xt @ W.T + bb, yt) + 0.5 * wd * (W * W).sum()
        loss.backward()
        return float(loss.data), np.concatenate([W.grad.ravel(), bb.grad.ravel()])

    n_par = d_in * k_cls + k_cls
    th0 = np.zeros(n_par)
    budget = cfg.pick(40, 150)
    res_lb = lbfgs(fg, None, th0, m=5, gtol=1e-12, max_iter=budget)
    res_ref = lbfgs(fg, None, th0, m=20, gtol=1e-9, max_iter=cfg.pick(100, 500))
    f_star = min(res_ref.fun, res_lb.fun)
    # gradient descent: step 1/L with L from power iteration on finite-difference HVPs at theta0
    v = cfg.rng(2).normal(size=n_par)
    for _ in range(30):
        hv = (fg(th0 + 1e-5 * v)[1] - fg(th0 - 1e-5 * v)[1]) / 2e-5
        lam_max = float(np.linalg.norm(hv) / np.linalg.norm(v))
        v = hv / np.linalg.norm(hv)
    theta = th0.copy()
    gd_curve = []
    for _ in range(res_lb.n_gev):
        fx, g = fg(theta)
        gd_curve.append(fx)
        theta -= (1.0 / lam_max) * g
    gap_lb = res_lb.fun - f_star
    gap_gd = gd_curve[-1] - f_star
    report.metric("lbfgs_grad_evals", res_lb.n_gev)
    report.metric("lambda_max_at_init", lam_max)
    report.table("softmax_regression", ["method", "gradient evaluations", "f − f*"],
                 [["L-BFGS (m = 5)", res_lb.n_gev, f"{gap_lb:.2e}"], ["GD, lr = 1/λmax", res_lb.n_gev, f"{gap_gd:.2e}"]])
    report.claim(
        "lbfgs-beats-gd-full-batch",
        en=f"Full-batch softmax regression on digits ({len(X)} images, 650 parameters, L2 1e-3): after {budget} L-BFGS iterations, "
           "gradient descent with step 1/λmax given the same number of gradient evaluations is still more than 100 "
           "times farther from the optimum (ratio of the gaps f − f*).",
        zh=f"digits 上全批量 softmax 回归（{len(X)} 张图像，650 个参数，L2 1e-3）：L-BFGS 迭代 {budget} 次后，给予相同梯度计算次数、步长 1/λmax 的梯度下降"
           "离最优值的差距仍大 100 倍以上（两者 f − f* 之比）。",
        value=gap_gd / max(gap_lb, 1e-16), op=">", threshold=100.0, expression="(f_GD − f*) / (f_LBFGS − f*)")
    report.progress(0.85, "softmax regression done")

    # figures ---------------------------------------------------------------------------------------
    fig, ax = new_figure(1, 3, size=(12, 3.4))
    gx, gy = np.meshgrid(np.linspace(-1.5, 1.5, 151), np.linspace(-0.5, 1.5, 121))
    ax[0].contour(gx, gy, np.log1p((1 - gx) ** 2 + 100 * (gy - gx ** 2) ** 2), 20, linewidths=0.5)
    for k, r in runs.items():
        p = np.array(r.xs)
        ax[0].plot(p[:, 0], p[:, 1], "o-", ms=2, lw=0.8, label=k)
    ax[0].plot(gd_path[::50, 0], gd_path[::50, 1], "-", lw=0.8, color="gray", label="GD")
    ax[0].plot([1], [1], "k*")
    ax[0].legend(fontsize=6)
    ax[0].set_title("Rosenbrock paths")
    for k, e in errs.items():
        ax[1].semilogy(np.maximum(e, 1e-16), "o-", ms=2, lw=0.8, label=k)
    ax[1].semilogy(np.arange(0, min(len(gd_err), 120)), gd_err[:120], lw=0.8, color="gray", label="GD")
    ax[1].set_xlabel("iteration")
    ax[1].set_ylabel("||x − x*||")
    ax[1].set_ylim(1e-16, 10)
    ax[1].legend(fontsize=6)
    ax[1].set_title("Rosenbrock error")
    ax[2].semilogy(np.maximum(np.array(res_lb.losses) - f_star, 1e-16), label="L-BFGS (m = 5), per iteration")
    ax[2].semilogy(np.maximum(np.array(gd_curve) - f_star, 1e-16), label="GD, lr = 1/λmax, per gradient")
    ax[2].set_xlabel("iteration / gradient evaluation")
    ax[2].set_ylabel("f − f*")
    ax[2].legend(fontsize=7)
    ax[2].set_title("softmax regression on digits")
    report.figure(
        "second-order", fig,
        en="Left: paths on the Rosenbrock function from (−1.2, 1) (log-scaled contours); gradient descent creeps along the "
           "curved valley. Middle: distance to the minimum per iteration; Newton's error squares each step near the end "
           "(quadratic convergence), BFGS is superlinear. Right: full-batch softmax regression on digits, L-BFGS against "
           "gradient descent with step 1/λmax.",
        zh="左：Rosenbrock 函数上从 (−1.2, 1) 出发的路径（等高线取对数）；梯度下降沿弯曲的山谷缓慢爬行。中：每次迭代到极小点的距离；"
           "牛顿法在末段每步误差平方（二次收敛），BFGS 超线性。右：digits 上的全批量 softmax 回归，L-BFGS 与步长 1/λmax 的梯度下降对比。")
    report.metric("seconds", time.perf_counter() - t0)
    report.progress(1.0, "done")
