# ruff: noqa: E501  (bilingual claim statements are long text)
"""KKT conditions checked on a solved constrained problem.

    minimise  f(x) = 1/2 (x - c)^T A (x - c)   subject to  g_i(x) = -x_i <= 0 (i = 1..3),
                                                           g_4(x) = x_1 + x_2 + x_3 - b <= 0,
with A symmetric positive definite (so the problem is strictly convex), for a sweep of targets c.

1. Projected gradient descent solves it; the multipliers recovered from stationarity on the active
   set satisfy all four KKT conditions (stationarity, primal and dual feasibility, complementary
   slackness) to 1e-8.
2. Exact check: of the 2^4 = 16 guesses of the active set, the KKT linear system gives a feasible
   point with mu >= 0 for exactly one, and it is the projected-gradient solution.
3. Active constraints carry positive multipliers, inactive ones mu = 0; dropping the inactive
   constraints leaves the solution unchanged.
4. The multiplier is a shadow price: d f*/d b = -mu_4 (central differences in b).
"""

from __future__ import annotations

import itertools

import numpy as np

from dlproof.experiments.registry import Report, RunConfig, experiment
from dlproof.stats.optimality import kkt_report, project_capped_simplex, solve_kkt_active_set

N, M = 3, 4
C_MAT = np.vstack([-np.eye(N), np.ones((1, N))])


def d_vec(b):
    return np.array([0.0, 0.0, 0.0, b])


def solve_by_enumeration(A, c, b, allowed=None, tol=1e-10):
    """All active-set guesses S whose KKT system solution is feasible with mu >= 0.

    The problem is 1/2 x^T A x - (A c)^T x s.t. C x <= d(b). ``allowed`` restricts which
    constraints exist at all (bool (4,)); returns a list of (S, x, mu)."""
    allowed = np.ones(M, bool) if allowed is None else allowed
    C, d = C_MAT[allowed], d_vec(b)[allowed]
    hits = []
    for S in itertools.product([False, True], repeat=int(allowed.sum())):
        S = np.array(S, bool)
        if S.sum() > N:
            continue
        x, mu = solve_kkt_active_set(A, A @ c, C, d, S)
        if np.all(C @ x - d <= tol) and np.all(mu >= -tol):
            hits.append((S, x, mu))
    return hits


def projected_gd(A, c, b, iters):
    """x_{k+1} = Proj(x_k - (1/L) A (x_k - c)), L = lambda_max(A); Proj onto {x >= 0, sum x <= b}."""
    L = float(np.linalg.eigvalsh(A).max())
    x = np.zeros(N)
    for _ in range(iters):  # iterations of the method; stop once a step no longer moves x
        x_new = project_capped_simplex(x - A @ (x - c) / L, b)
        if np.abs(x_new - x).max() < 1e-16:
            return x_new
        x = x_new
    return x


def _fig(ncols, w=4.0, h=3.3):
    from matplotlib.figure import Figure

    fig = Figure(figsize=(w * ncols, h), layout="constrained")
    return fig, fig.subplots(1, ncols)


@experiment(
    "kkt-conditions",
    questions=["kkt-constrained-optimization"],
    title_en="KKT conditions on a solved constrained QP: residuals, active sets, exact enumeration, shadow prices",
    title_zh="在已求解的约束二次规划上检验 KKT 条件：残差、活跃集、精确枚举、影子价格",
)
def run(cfg: RunConfig, report: Report) -> None:
    rng = cfg.rng(0)
    B = rng.standard_normal((N, N))
    A = B @ B.T + 0.5 * np.eye(N)
    b = 1.0
    k = cfg.pick(25, 120)
    ts = np.linspace(0, 1, k)
    c0, c1 = np.array([-0.5, 0.3, 1.5]), np.array([1.2, 0.9, -0.4])
    c_path = (1 - ts)[:, None] * c0 + ts[:, None] * c1 + 0.3 * rng.standard_normal(N)
    iters = cfg.pick(3000, 4000)

    worst = {"stationarity": 0.0, "primal": 0.0, "dual": 0.0, "slackness": 0.0}
    n_unique, match_err, min_mu_active, max_mu_inactive, drop_err, sp_err = 0, 0.0, np.inf, 0.0, 0.0, 0.0
    n_sp = 0
    mus, gs = np.zeros((k, M)), np.zeros((k, M))
    for j, c in enumerate(c_path):
        x = projected_gd(A, c, b, iters)
        g_vals = C_MAT @ x - d_vec(b)
        rep = kkt_report(A @ (x - c), g_vals, C_MAT, tol=1e-7)  # grad f = A (x - c); rows of C are grad g_i
        for key in worst:
            worst[key] = max(worst[key], getattr(rep, key))
        hits = solve_by_enumeration(A, c, b)
        n_unique += len(hits) == 1
        S, x_e, mu_e = hits[0]
        match_err = max(match_err, float(np.abs(x - x_e).max()))
        g_e = C_MAT @ x_e - d_vec(b)
        if S.any():
            min_mu_active = min(min_mu_active, float(mu_e[S].min()))
        max_mu_inactive = max(max_mu_inactive, float(np.abs(mu_e[~S]).max(initial=0.0)), float(np.abs(g_e[S]).max(initial=0.0)))
        kept = solve_by_enumeration(A, c, b, allowed=S) if S.any() else [(None, c.copy(), None)]
        drop_err = max(drop_err, float(np.abs(kept[0][1] - x_e).max()))
        mus[j], gs[j] = mu_e, g_e
        if S[3]:  # shadow price of the budget constraint sum x <= b
            h = 1e-5

            def fstar(bb, c=c):
                xs = solve_by_enumeration(A, c, bb)[0][1]
                return 0.5 * (xs - c) @ A @ (xs - c)

            dfdb = (fstar(b + h) - fstar(b - h)) / (2 * h)
            sp_err = max(sp_err, abs(dfdb + mu_e[3]) / max(1.0, abs(mu_e[3])))
            n_sp += 1
    report.metric("targets", k)
    report.metric("budget_active_targets", n_sp)
    report.table("kkt_residuals", ["condition", "worst over the sweep"],
                 [["stationarity ||∇f + Σ μ_i ∇g_i||", f"{worst['stationarity']:.2e}"],
                  ["primal feasibility max(g_i, 0)", f"{worst['primal']:.2e}"],
                  ["dual feasibility max(−μ_i, 0)", f"{worst['dual']:.2e}"],
                  ["complementary slackness max |μ_i g_i|", f"{worst['slackness']:.2e}"]])
    report.claim(
        "kkt-residuals-below-1e-8",
        en=f"At the projected-gradient solution for each of {k} targets c, with multipliers recovered from stationarity on the active set, all four KKT conditions hold: stationarity ∇f + Σμ_i∇g_i = 0, primal feasibility g_i ≤ 0, dual feasibility μ_i ≥ 0 and complementary slackness μ_i g_i = 0 (largest residual of any of them).",
        zh=f"对 {k} 个目标 c 中的每一个，在投影梯度法的解处、用活跃集上的平稳性条件恢复乘子后，四条 KKT 条件全部成立：平稳性 ∇f + Σμ_i∇g_i = 0、原始可行 g_i ≤ 0、对偶可行 μ_i ≥ 0、互补松弛 μ_i g_i = 0（四者中的最大残差）。",
        value=max(worst.values()), op="<", threshold=1e-8, expression="max KKT residual")
    report.claim(
        "exactly-one-active-set-satisfies-kkt",
        en="Exact enumeration: of the 16 guesses of which constraints are active, the KKT linear system yields a feasible point with μ ≥ 0 for exactly one guess at every target (strict convexity makes the KKT point unique), and that point is the projected-gradient solution. Value: fraction of targets with exactly one KKT active set, minus the largest distance to the PGD solution.",
        zh="精确枚举：在“哪些约束活跃”的 16 种猜测中，对每个目标都恰有一种使 KKT 线性方程组给出可行且 μ ≥ 0 的点（严格凸保证 KKT 点唯一），且它就是投影梯度法的解。数值：恰有一个 KKT 活跃集的目标比例，减去与 PGD 解的最大距离。",
        value=n_unique / k - match_err, op=">", threshold=1 - 1e-8, expression="fraction unique − max ||x_pgd − x_enum||_∞")
    report.claim(
        "active-constraints-positive-multipliers",
        en="At every target, the constraints that bind (g_i = 0) carry strictly positive multipliers, while the inactive ones (g_i < 0) have μ_i = 0: value = the smallest multiplier of an active constraint over the sweep (the other half, |μ_inactive| and |g_active|, is below 1e-12).",
        zh="在每个目标处，起作用的约束（g_i = 0）乘子严格为正，不活跃的约束（g_i < 0）μ_i = 0：数值 = 扫描中活跃约束的最小乘子（另一半 |μ_不活跃| 与 |g_活跃| 小于 1e-12）。",
        value=min_mu_active if max_mu_inactive < 1e-12 else -1.0, op=">", threshold=1e-8, expression="min_{active} μ_i")
    report.metric("max_abs_mu_inactive_or_g_active", max_mu_inactive)
    report.claim(
        "inactive-constraints-can-be-dropped",
        en="Deleting the inactive constraints and solving again with only the active ones gives the same solution at every target (largest coordinate difference).",
        zh="删去不活跃的约束、只保留活跃约束重新求解，在每个目标处得到同样的解（最大坐标差）。",
        value=drop_err, op="<", threshold=1e-10, expression="max ||x_active-only − x||_∞")
    report.claim(
        "multiplier-is-shadow-price",
        en=f"The multiplier of the budget constraint Σx ≤ b is its shadow price: the central difference d f*/d b (h = 1e-5) equals −μ_4 at all {n_sp} targets where the budget binds (largest relative error).",
        zh=f"预算约束 Σx ≤ b 的乘子就是影子价格：在预算起作用的全部 {n_sp} 个目标上，中心差分 d f*/d b（h = 1e-5）等于 −μ_4（最大相对误差）。",
        value=sp_err if n_sp >= 3 else 1.0, op="<", threshold=1e-6, expression="max |df*/db + μ_4| / max(1, μ_4)")

    fig, axs = _fig(2)
    for i, name in enumerate(["x₁ ≥ 0", "x₂ ≥ 0", "x₃ ≥ 0", "Σx ≤ 1"]):
        axs[0].plot(ts, mus[:, i], label=name)
        axs[1].plot(ts, gs[:, i], label=name)
    axs[0].set_title("multipliers μ_i")
    axs[1].set_title("constraint values g_i(x*)")
    for ax in axs:
        ax.set_xlabel("position t along the sweep of c")
        ax.legend(fontsize=7)
    report.figure("multipliers_and_constraints", fig, en="Along the sweep of targets c: each multiplier μ_i (left) is positive exactly where its constraint g_i is 0 (right); μ_i · g_i = 0 everywhere.",
                  zh="沿目标 c 的扫描：每个乘子 μ_i（左）恰在其约束 g_i 为 0（右）时为正；处处 μ_i · g_i = 0。")
