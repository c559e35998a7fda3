"""Gibbs sampling: invariance, and slow mixing under strong correlation.

1. Bivariate Gaussian with correlation rho in {0, 0.5, 0.9, 0.99}, sampled with the closed-form
   conditionals x | y ~ N(rho y, 1 - rho^2), y | x ~ N(rho x, 1 - rho^2). The x-chain is AR(1)
   with coefficient rho^2, so its lag-1 autocorrelation is rho^2 and its effective sample size
   per draw is (1 - rho^2) / (1 + rho^2): the chain's ESS collapses as rho -> 1.
2. A 4-spin Ising ring p(x) ~ exp(J sum_i x_i x_{i+1}), x_i in {-1, +1}: the exact single-site
   Gibbs kernel is a Metropolis-Hastings kernel whose acceptance probability is exactly 1, the
   sweep kernel leaves p invariant, and strong coupling (two modes, all-up and all-down) slows
   mixing: the total-variation distance to p after t sweeps, computed exactly, decays at the rate
   |lambda_2| of the sweep kernel, near 1 for large J. The sampler's empirical distribution
   matches the kernel's prediction.
"""

from __future__ import annotations

import numpy as np

from dlproof.experiments.registry import RunConfig, experiment
from dlproof.stats import sampling as S

RHOS = (0.0, 0.5, 0.9, 0.99)


def ising_ring(d: int, J: float) -> np.ndarray:
    """Joint table (2,)*d of p(x) ~ exp(J sum_i s_i s_{i+1}) on a ring, s = 2x - 1."""
    s = 2 * np.indices((2,) * d) - 1                               # (d, 2, ..., 2)
    logp = J * sum(s[i] * s[(i + 1) % d] for i in range(d))
    p = np.exp(logp - logp.max())
    return p / p.sum()


@experiment("gibbs-mixing", questions=["gibbs-sampling"],
            title_en="Gibbs sampling: exact invariance, acceptance 1, and slow mixing as correlation grows",
            title_zh="Gibbs 采样：精确的不变性、接受率为 1，以及相关性增大时混合变慢")
def run(cfg: RunConfig, report) -> None:
    rng = cfg.rng()
    n_steps, n_chains = cfg.pick(2000, 8000), cfg.pick(32, 64)
    burn = 200
    lag1, ess, traces = {}, {}, {}
    rows = []
    for rho in RHOS:
        tr = S.gibbs_gaussian_2d(rho, n_steps + burn, n_chains, rng, x0=rng.standard_normal((n_chains, 2)))
        traces[rho] = tr[burn:]
        x = tr[burn:, :, 0]
        lag1[rho] = float(S.autocorrelation(x, 1)[1])
        ess[rho] = S.effective_sample_size(x) / x.size
        theory = (1 - rho**2) / (1 + rho**2)
        rows.append([rho, lag1[rho], rho**2, ess[rho], theory])
        report.metric(f"ess_per_draw_rho{rho}", ess[rho])
    report.table("gaussian_gibbs", ["rho", "lag-1 autocorr", "rho^2", "ESS / N", "(1-rho^2)/(1+rho^2)"], rows)
    lag_err = max(abs(lag1[r] - r**2) for r in RHOS)
    report.claim("lag1-is-rho-squared",
                 en="The x-chain's lag-1 autocorrelation equals rho^2 for every rho in {0, 0.5, 0.9, "
                    "0.99} (max abs deviation below 0.03).",
                 zh="对 rho 属于 {0, 0.5, 0.9, 0.99}，x 链的滞后 1 自相关都等于 rho^2（最大绝对偏差小于 "
                    "0.03）。",
                 value=lag_err, op="<", threshold=0.03, expression="max_rho |acf_1 - rho^2|")
    ess_rel = max(abs(ess[r] / ((1 - r**2) / (1 + r**2)) - 1) for r in RHOS)
    report.claim("ess-matches-ar1-theory",
                 en="The measured effective sample size per draw matches the AR(1) value (1 - rho^2)/(1 + "
                    "rho^2) within 30% for every rho.",
                 zh="实测的每次抽样有效样本量与 AR(1) 理论值 (1 - rho^2)/(1 + rho^2) 在每个 rho "
                    "上相差不到 30%。",
                 value=ess_rel, op="<", threshold=0.3, expression="max_rho |ESS/ESS_theory - 1|")
    report.claim("ess-collapses-as-rho-to-1",
                 en="At rho = 0.99 fewer than 3 effective samples come from every 100 Gibbs sweeps "
                    "(theory: 1), against more than 80 at rho = 0.",
                 zh="rho = 0.99 时每 100 次 Gibbs 扫描得到的有效样本不到 3 个（理论值 1 个），rho = 0 "
                    "时超过 80 个。",
                 value=ess[0.99], op="<", threshold=0.03, expression="ESS / N at rho = 0.99")
    report.claim("ess-near-n-at-rho-0",
                 en="(the rho = 0 half: more than 80 effective samples per 100 sweeps)",
                 zh="（rho = 0 的那一半：每 100 次扫描超过 80 个有效样本）",
                 value=ess[0.0], op=">", threshold=0.8, expression="ESS / N at rho = 0")
    xy = traces[0.9].reshape(-1, 2)
    corr_err = float(abs(np.corrcoef(xy.T)[0, 1] - 0.9))
    report.claim("moments-correct",
                 en="The chain is still correct, only slow: at rho = 0.9 the sample correlation is within "
                    "0.02 of 0.9.",
                 zh="链依然是正确的，只是慢：rho = 0.9 时样本相关系数与 0.9 相差不到 0.02。",
                 value=corr_err, op="<", threshold=0.02, expression="|corr_hat - 0.9|")
    report.progress(0.5, "Ising ring")

    # --- discrete: exact kernels on a 4-spin Ising ring -------------------------------------------
    d = 4
    tv_curves, lam2 = {}, {}
    for J in (0.3, 2.0):
        p = ising_ring(d, J)
        K = S.gibbs_kernel(p)
        lam2[J] = S.second_eigenvalue_modulus(K)
        start = np.zeros(p.size)
        start[0] = 1.0                       # all spins down
        tv_curves[J] = S.tv_distance(S.power_iteration(K, start, 60), p.ravel())
        report.metric(f"lambda2_J{J}", lam2[J])
    p = ising_ring(d, 2.0)
    K = S.gibbs_kernel(p)
    inv_err = float(np.abs(p.ravel() @ K - p.ravel()).max())
    report.claim("sweep-leaves-p-invariant",
                 en="The exact systematic-scan Gibbs kernel of the Ising ring leaves p invariant: max |pK "
                    "- p| below 1e-14.",
                 zh="Ising 环的系统扫描 Gibbs 精确转移矩阵保持 p 不变：max |pK - p| 小于 1e-14。",
                 value=inv_err, op="<", threshold=1e-14, expression="max|pK - p|")
    # Gibbs as Metropolis-Hastings: proposal q(x'|x) = p(x'_i | x_{-i}); acceptance ratio
    # p(x') q(x|x') / (p(x) q(x'|x)) over all pairs that differ only in site i.
    flat = p.ravel()
    grid = np.indices(p.shape).reshape(d, -1)
    ratios = []
    for i in range(d):                       # loop over sites
        flipped = grid.copy()
        flipped[i] = 1 - flipped[i]
        j = np.ravel_multi_index(flipped, p.shape)
        q_fwd = flat[j] / (flat + flat[j])   # p(x'_i | x_{-i}) for the flipped value
        q_bwd = flat / (flat + flat[j])      # p(x_i | x'_{-i}), same x_{-i}
        ratios.append(flat[j] * q_bwd / (flat * q_fwd))
    acc_err = float(np.abs(np.concatenate(ratios) - 1.0).max())
    report.claim("acceptance-is-one",
                 en="Read as a Metropolis-Hastings proposal, every single-site Gibbs move has acceptance "
                    "ratio p(x')q(x|x') / (p(x)q(x'|x)) = 1 (max deviation below 1e-12 over all states "
                    "and sites).",
                 zh="把单点 Gibbs 更新看作 Metropolis-Hastings 提议，其接受比 p(x')q(x|x') / "
                    "(p(x)q(x'|x)) 恒为 1（所有状态和位置上的最大偏差小于 1e-12）。",
                 value=acc_err, op="<", threshold=1e-12, expression="max|ratio - 1|")
    report.claim("strong-coupling-mixes-slowly",
                 en="Strong coupling (J = 2, two modes) slows mixing: after 20 sweeps from all-down the "
                    "exact TV distance to p is above 0.1, while with J = 0.3 it is below 1e-6.",
                 zh="强耦合（J = 2，两个模式）使混合变慢：从全部向下出发扫描 20 次后，精确的 TV "
                    "距离仍大于 0.1，而 J = 0.3 时小于 1e-6。",
                 value=tv_curves[2.0][20], op=">", threshold=0.1, expression="TV_20(J=2)")
    report.claim("weak-coupling-mixes-fast",
                 en="(the J = 0.3 half of the comparison above)",
                 zh="（上面对比中 J = 0.3 的那一半）",
                 value=tv_curves[0.3][20], op="<", threshold=1e-6, expression="TV_20(J=0.3)")
    t = np.arange(20, 41)
    rate = float(np.exp(np.polyfit(t, np.log(tv_curves[2.0][t]), 1)[0]))
    report.claim("tv-rate-is-lambda2",
                 en="For J = 2 the TV distance decays geometrically at the rate |lambda_2| of the sweep "
                    "kernel (fitted rate within 1% of |lambda_2|).",
                 zh="J = 2 时 TV 距离按扫描转移矩阵的 |lambda_2| 几何衰减（拟合速率与 |lambda_2| 相差不到 "
                    "1%）。",
                 value=abs(rate / lam2[2.0] - 1), op="<", threshold=0.01,
                 expression="|rate / |lambda_2| - 1|")
    # the sampler agrees with the kernel: empirical distribution after 10 sweeps from all-down
    n = cfg.pick(20000, 100000)
    tr = S.gibbs_discrete(p, np.zeros((n, d), dtype=int), 10, cfg.rng(1))
    emp = np.bincount(np.ravel_multi_index(tr[-1].T, p.shape), minlength=p.size) / n
    pred = S.power_iteration(K, np.eye(p.size)[0], 10)[-1]
    samp_err = float(S.tv_distance(emp, pred))
    report.claim("sampler-matches-kernel",
                 en="The vectorised sampler's empirical distribution after 10 sweeps matches the exact "
                    "kernel's prediction (TV below 0.02).",
                 zh="向量化采样器扫描 10 次后的经验分布与精确转移矩阵的预测一致（TV 小于 0.02）。",
                 value=samp_err, op="<", threshold=0.02, expression="TV(empirical, e_0 K^10)")

    from dlproof.experiments.figures import new_figure

    fig, (a0, a1, a2) = new_figure(1, 3, size=(13.0, 3.8))
    for rho in (0.5, 0.99):
        a0.plot(traces[rho][:300, 0, 0], traces[rho][:300, 0, 1], ".-", lw=0.5, ms=2, label=f"rho = {rho}")
    a0.set_xlabel("x")
    a0.set_ylabel("y")
    a0.legend(fontsize=8)
    a0.set_title("300 Gibbs sweeps")
    a1.semilogy(RHOS, [ess[r] for r in RHOS], "o-", label="measured")
    a1.semilogy(RHOS, [(1 - r**2) / (1 + r**2) for r in RHOS], "k--", label="(1-rho^2)/(1+rho^2)")
    a1.set_xlabel("rho")
    a1.set_ylabel("ESS per sweep")
    a1.legend(fontsize=8)
    for J, c in tv_curves.items():
        a2.semilogy(np.maximum(c, 1e-17), label=f"J = {J}, |lambda_2| = {lam2[J]:.3f}")
    a2.set_xlabel("sweeps")
    a2.set_ylabel("TV to p (exact)")
    a2.legend(fontsize=8)
    report.figure("gibbs-mixing", fig,
                  en="Left: Gibbs moves are axis-aligned, so a strongly correlated Gaussian is explored "
                     "in tiny steps. Middle: ESS per sweep collapses as rho -> 1. Right: on a 4-spin "
                     "Ising ring, strong coupling makes the exact TV distance decay at a rate |lambda_2| "
                     "near 1.",
                  zh="左：Gibbs 每步沿坐标轴移动，强相关的高斯只能以很小的步子探索。中：rho -> 1 "
                     "时每次扫描的 ESS 崩塌。右：4 自旋 Ising 环上，强耦合使精确 TV 距离以接近 1 的 "
                     "|lambda_2| 衰减。")
    report.progress(1.0, "done")
