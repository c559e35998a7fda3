"""Stationary distributions of finite Markov chains: eigenvector, power iteration and the |lambda_2| rate.

Row-stochastic P (P[i, j] = P(x' = j | x = i)), distributions as row vectors, v_{t+1} = v_t P.

1. Random reversible 5-state chains (random walks on weighted graphs, real spectrum): pi as the
   left eigenvector for eigenvalue 1 and as the limit of power iteration agree; TV(v_t, pi)
   decays geometrically at the rate |lambda_2|. (A non-reversible chain can have a complex lambda_2;
   then TV oscillates inside the envelope |lambda_2|^t and a short-window fit of the rate is off.)
2. A periodic chain (random walk on a 4-cycle, period 2): v_t never converges, though the uniform
   distribution is stationary and the time average converges to it.
3. A reducible chain (two closed classes): eigenvalue 1 is double, and the limit depends on the start.
4. A Metropolis chain built for a chosen pi satisfies detailed balance and converges to pi; a
   doubly stochastic but non-symmetric chain has the uniform pi stationary *without* detailed balance.
"""

from __future__ import annotations

import numpy as np

from dlproof.experiments.registry import RunConfig, experiment
from dlproof.stats import sampling as S


def sticky_chain(rng: np.random.Generator, n: int, stay: float) -> np.ndarray:
    """P = stay I + (1 - stay) D with D's rows ~ Dirichlet(1): irreducible and aperiodic."""
    return stay * np.eye(n) + (1 - stay) * rng.dirichlet(np.ones(n), size=n)


def reversible_chain(rng: np.random.Generator, n: int, stay: float) -> np.ndarray:
    """A random walk on a weighted graph, P_ij = W_ij / sum_k W_ik with W symmetric (random
    exponential edge weights, self-loops carrying a fraction ``stay`` of each row): reversible
    with respect to pi_i ~ sum_k W_ik, so its eigenvalues are real."""
    A = rng.exponential(size=(n, n))
    W = A + A.T
    np.fill_diagonal(W, 0.0)
    W += np.diag(W.sum(axis=1) * stay / (1 - stay))
    return W / W.sum(axis=1, keepdims=True)


@experiment("markov-stationary", questions=["markov-stationary-distribution"],
            title_en="Markov chains: stationary distribution by eigenvector and power iteration, rate "
                     "|lambda_2|",
            title_zh="马尔可夫链：用特征向量与幂迭代求平稳分布，收敛速率 |lambda_2|")
def run(cfg: RunConfig, report) -> None:
    rng = cfg.rng()
    n_chains = cfg.pick(20, 100)
    eig_err, rate_err, lam2s, tmix = [], [], [], []
    curves = []
    for _ in range(n_chains):            # loop over independent random test chains
        P = reversible_chain(rng, 5, rng.uniform(0.2, 0.6))
        pi = S.stationary_eigenvector(P)
        vs = S.power_iteration(P, np.eye(5), 600)            # all 5 point-mass starts at once
        eig_err.append(np.abs(vs[-1] - pi).max())
        lam2 = S.second_eigenvalue_modulus(P)
        tv = S.tv_distance(vs, pi).max(axis=1)                 # worst start, (401,)
        lo = np.flatnonzero(tv < 1e-6)[0]
        hi = np.flatnonzero(tv < 1e-13)[0]
        t = np.arange(lo, hi + 1)
        rate = float(np.exp(np.polyfit(t, np.log(tv[t]), 1)[0]))   # least-squares slope of log TV
        rate_err.append(abs(rate / lam2 - 1))
        lam2s.append(lam2)
        tmix.append(np.flatnonzero(tv < 1e-3)[0])
        if len(curves) < 4:
            curves.append((tv, lam2))
    report.metric("lambda2_min", float(min(lam2s)))
    report.metric("lambda2_max", float(max(lam2s)))
    report.claim("power-iteration-equals-eigenvector",
                 en=f"On {n_chains} random reversible 5-state chains, power iteration from every point "
                    "mass reaches the left eigenvector of eigenvalue 1 (max abs difference after 600 "
                    "steps below 1e-12).",
                 zh=f"在 {n_chains} 条随机可逆 5 状态链上，从每个单点分布出发的幂迭代都收敛到特征值 1 的"
                    "左特征向量（600 步后最大绝对差小于 1e-12）。",
                 value=float(max(eig_err)), op="<", threshold=1e-12, expression="max |v_600 - pi_eig|")
    report.claim("tv-rate-is-lambda2",
                 en="TV(v_t, pi) decays geometrically at the rate |lambda_2|: the rate fitted between TV "
                    "= 1e-6 and 1e-13 is within 3% of |lambda_2| on every chain (reversible, so lambda_2 "
                    "is real).",
                 zh="TV(v_t, pi) 以 |lambda_2| 的速率几何衰减：在 TV = 1e-6 与 1e-13 "
                    "之间测得的速率在每条链上都与 |lambda_2| 相差不到 3%。",
                 value=float(max(rate_err)), op="<", threshold=0.03, expression="max |rate / |lambda_2| - 1|")
    corr = float(np.corrcoef(1.0 / (1.0 - np.array(lam2s)), tmix)[0, 1])
    report.metric("corr_tmix_relaxation_time", corr)
    report.claim("mixing-time-tracks-relaxation-time",
                 en="The mixing time (first t with TV <= 1e-3) grows with the relaxation time 1/(1 - "
                    "|lambda_2|): their correlation across chains is above 0.9.",
                 zh="混合时间（TV 首次 <= 1e-3 的步数）随弛豫时间 1/(1 - |lambda_2|) "
                    "增长：两者在各条链上的相关系数大于 0.9。",
                 value=corr, op=">", threshold=0.9, expression="corr(t_mix, 1/(1-|lambda_2|))")
    report.progress(0.4, "periodic and reducible chains")

    # --- periodic: lazy-free random walk on a 4-cycle ---------------------------------------------
    C = np.zeros((4, 4))
    idx = np.arange(4)
    C[idx, (idx + 1) % 4] = 0.5
    C[idx, (idx - 1) % 4] = 0.5
    vs = S.power_iteration(C, np.eye(4)[0], 200)
    uni = np.full(4, 0.25)
    tv_late = float(S.tv_distance(vs[150:], uni).min())
    report.claim("periodic-chain-does-not-converge",
                 en="A random walk on a 4-cycle (period 2) never converges from a point mass: TV to the "
                    "uniform stationary distribution stays at 0.5 for t = 150..200.",
                 zh="4 环上的随机游走（周期 2）从单点出发永不收敛：t = 150..200 时到均匀平稳分布的 TV "
                    "一直是 0.5。",
                 value=tv_late, op=">", threshold=0.4, expression="min_t TV(v_t, uniform), t >= 150")
    cesaro = float(S.tv_distance(vs.mean(axis=0), uni))
    report.claim("periodic-time-average-converges",
                 en="... but uniform is stationary and the time average (1/T) sum_t v_t converges to it "
                    "(TV below 0.01 at T = 201).",
                 zh="……但均匀分布是平稳的，时间平均 (1/T) sum_t v_t 收敛到它（T = 201 时 TV 小于 0.01）。",
                 value=cesaro, op="<", threshold=0.01, expression="TV(mean_t v_t, uniform)")
    ev_periodic = np.linalg.eigvals(C)
    report.metric("periodic_min_eigenvalue", float(np.real(ev_periodic).min()))

    # --- reducible: two closed classes {0, 1} and {2, 3, 4} ----------------------------------------
    R = np.zeros((5, 5))
    R[:2, :2] = sticky_chain(rng, 2, 0.5)
    R[2:, 2:] = sticky_chain(rng, 3, 0.5)
    n_unit = int(np.sum(np.abs(np.linalg.eigvals(R) - 1.0) < 1e-9))
    report.claim("reducible-has-two-unit-eigenvalues",
                 en="A reducible chain with two closed classes has eigenvalue 1 twice, so its stationary "
                    "distributions form a one-parameter family (not unique).",
                 zh="含两个闭类的可约链有两个特征值 1，其平稳分布构成一个单参数族（不唯一）。",
                 value=n_unit, op="==", threshold=2, expression="#{eigenvalues = 1}")
    lim = S.power_iteration(R, np.eye(5)[[0, 4]], 300)[-1]
    report.claim("reducible-limit-depends-on-start",
                 en="Started in different classes, power iteration converges to different limits (TV "
                    "between them = 1: disjoint supports).",
                 zh="从不同的类出发，幂迭代收敛到不同的极限（两者之间的 TV = 1：支撑不相交）。",
                 value=float(S.tv_distance(lim[0], lim[1])), op=">", threshold=0.99,
                 expression="TV(lim from state 0, lim from state 4)")
    report.progress(0.7, "detailed balance")

    # --- Metropolis chain for a chosen target; detailed balance is sufficient, not necessary --------
    target = rng.dirichlet(np.ones(6))
    Q = np.full((6, 6), 1.0 / 6)
    M = S.metropolis_kernel(target, Q)
    flow = target[:, None] * M
    db_err = float(np.abs(flow - flow.T).max())
    report.claim("metropolis-detailed-balance",
                 en="A Metropolis chain built for a random 6-state target satisfies detailed balance pi_i "
                    "P_ij = pi_j P_ji (max violation below 1e-15) ...",
                 zh="为随机 6 状态目标构造的 Metropolis 链满足细致平衡 pi_i P_ij = pi_j "
                    "P_ji（最大偏差小于 1e-15）……",
                 value=db_err, op="<", threshold=1e-15, expression="max |pi_i P_ij - pi_j P_ji|")
    conv = float(np.abs(S.power_iteration(M, np.eye(6)[0], 500)[-1] - target).max())
    report.claim("metropolis-converges-to-target",
                 en="... and converges to that target (max abs error after 500 steps below 1e-12).",
                 zh="……并收敛到该目标（500 步后最大绝对误差小于 1e-12）。",
                 value=conv, op="<", threshold=1e-12, expression="max |v_500 - pi|")
    cyc = np.roll(np.eye(5), 1, axis=1)
    N = 0.7 * cyc + 0.3 * np.full((5, 5), 0.2)                 # doubly stochastic, not symmetric
    u = np.full(5, 0.2)
    stat_err = float(np.abs(u @ N - u).max())
    flowN = u[:, None] * N
    report.claim("stationary-without-detailed-balance",
                 en="Detailed balance is sufficient, not necessary: a doubly stochastic cyclic chain "
                    "keeps the uniform distribution stationary (|uN - u| below 1e-15) while violating "
                    "detailed balance by more than 0.1.",
                 zh="细致平衡是充分而非必要条件：一条双随机的循环链保持均匀分布平稳（|uN - u| 小于 "
                    "1e-15），却以超过 0.1 的幅度违反细致平衡。",
                 value=float(np.abs(flowN - flowN.T).max()), op=">", threshold=0.1,
                 expression="max |u_i N_ij - u_j N_ji|")
    report.metric("nonreversible_stationarity_error", stat_err)

    from dlproof.experiments.figures import new_figure

    fig, (a0, a1) = new_figure(1, 2, size=(10.0, 3.8))
    for tv, lam2 in curves:
        t = np.arange(len(tv))
        line, = a0.semilogy(t, np.maximum(tv, 1e-17), label=f"|lambda_2| = {lam2:.2f}")
        a0.semilogy(t, tv[5] * lam2 ** (t - 5), "--", color=line.get_color(), lw=0.8)
    a0.set_xlim(0, 80)
    a0.set_ylim(1e-16, 1)
    a0.set_xlabel("t")
    a0.set_ylabel("TV(v_t, pi), worst start")
    a0.legend(fontsize=7)
    a1.plot(S.tv_distance(vs, uni)[:30], "o-", ms=3, label="4-cycle (periodic): v_t")
    a1.plot(S.tv_distance(np.cumsum(vs, 0)[:30] / np.arange(1, 31)[:, None], uni), "s-", ms=3,
            label="4-cycle: time average")
    a1.set_xlabel("t")
    a1.set_ylabel("TV to uniform")
    a1.legend(fontsize=8)
    report.figure("markov-stationary", fig,
                  en="Left: TV to stationarity on random 5-state chains (solid) against |lambda_2|^t "
                     "(dashed). Right: a periodic chain oscillates forever; only its time average "
                     "converges.",
                  zh="左：随机 5 状态链到平稳分布的 TV（实线）与 "
                     "|lambda_2|^t（虚线）。右：周期链永远振荡，只有时间平均收敛。")
    report.progress(1.0, "done")
