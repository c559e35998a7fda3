# ruff: noqa: E501  (bilingual claim statements are long text)
"""What KL measures: extra code length, Gibbs' inequality, asymmetry, and the two directions of fitting.

1. Coding: samples from an 8-symbol P encoded with lengths −log₂Q (ideal) and ⌈−log₂Q⌉ (Shannon code,
   a real prefix code since the Kraft sum is ≤ 1). Average ideal length − H(P) = KL(P‖Q) bits; the
   Shannon code's expected length lies in [H(P) + KL(P‖Q), H(P) + KL(P‖Q) + 1).
2. Gibbs' inequality over many random pairs (KL ≥ 0, = 0 only for P = Q), asymmetry, and a triple
   that breaks the triangle inequality.
3. One Gaussian fitted to a bimodal mixture by minimising each direction of KL on a grid (quadrature,
   scipy L-BFGS over (μ, log σ)): forward KL(p‖q) moment-matches and covers both modes (mass in the
   valley where p is tiny); reverse KL(q‖p) locks onto one mode.
"""

from __future__ import annotations

import time

import numpy as np
from scipy import optimize

from dlproof.experiments.figures import new_figure
from dlproof.experiments.registry import Report, RunConfig, experiment
from dlproof.stats.information import entropy, kl_divergence

GRID = np.linspace(-12.0, 12.0, 6001)
DX = GRID[1] - GRID[0]


def normal_logpdf(x, mu, sigma):
    return -0.5 * ((x - mu) / sigma) ** 2 - np.log(sigma) - 0.5 * np.log(2 * np.pi)


def mixture_logpdf(x, w, mus, sigmas):
    comps = np.log(w)[:, None] + normal_logpdf(x[None, :], mus[:, None], sigmas[:, None])
    m = comps.max(axis=0)
    return m + np.log(np.exp(comps - m).sum(axis=0))


def kl_grid(logp, logq):
    """KL(p‖q) = ∫ p (log p − log q) dx by the rectangle rule on GRID (both log-densities on GRID)."""
    p = np.exp(logp)
    return float(np.sum(p * (logp - logq)) * DX)


def fit_gaussian(logp_target, direction: str, mu0: float, sigma0: float):
    """argmin over (μ, log σ) of KL(p‖q) ('forward') or KL(q‖p) ('reverse'), q = N(μ, σ²)."""
    def f(v):
        logq = normal_logpdf(GRID, v[0], np.exp(v[1]))
        return kl_grid(logp_target, logq) if direction == "forward" else kl_grid(logq, logp_target)
    res = optimize.minimize(f, np.array([mu0, np.log(sigma0)]), method="L-BFGS-B")
    return float(res.x[0]), float(np.exp(res.x[1])), float(res.fun)


@experiment(
    "kl-intuition",
    questions=["kl-divergence-intuition"],
    title_en="KL as extra code length; Gibbs' inequality; asymmetry; forward KL covers modes, reverse KL picks one",
    title_zh="KL 即额外编码长度；Gibbs 不等式；不对称；前向 KL 覆盖众数、反向 KL 锁定一个众数",
)
def run(cfg: RunConfig, report: Report) -> None:
    t0 = time.perf_counter()
    rng = cfg.rng(0)

    # (1) coding with the wrong code ------------------------------------------------------------------
    K = 8
    P = rng.dirichlet(np.full(K, 0.7))
    Q = rng.dirichlet(np.full(K, 0.7))
    P = np.maximum(P, 1e-3)
    P /= P.sum()
    Q = np.maximum(Q, 1e-3)
    Q /= Q.sum()
    H = float(entropy(P, base=2))
    kl_pq, kl_qp = float(kl_divergence(P, Q, base=2)), float(kl_divergence(Q, P, base=2))
    n = cfg.pick(100_000, 1_000_000)
    x = rng.choice(K, size=n, p=P)
    ideal = -np.log2(Q)
    shannon = np.ceil(ideal)
    avg_ideal = float(ideal[x].mean())
    se = float(ideal[x].std() / np.sqrt(n))
    report.metric("entropy_P_bits", H)
    report.metric("kl_PQ_bits", kl_pq)
    report.metric("kl_QP_bits", kl_qp)
    report.metric("avg_ideal_length_bits", avg_ideal)
    report.claim(
        "extra-bits-is-kl",
        en=f"Encoding {n} samples of an 8-symbol P with the code lengths −log₂Q(x) that are optimal for Q costs on average H(P) + KL(P‖Q) "
           "bits per symbol: the measured average minus H(P) matches KL(P‖Q) within 4 Monte-Carlo standard errors.",
        zh=f"用对 Q 最优的码长 −log₂Q(x) 编码来自 8 符号分布 P 的 {n} 个样本，平均每符号花 H(P) + KL(P‖Q) 比特：实测平均长度减 H(P) 与 KL(P‖Q) 的差在 4 个蒙特卡洛标准误以内。",
        value=abs(avg_ideal - H - kl_pq) / se, op="<", threshold=4.0, expression="|mean length − H(P) − KL(P‖Q)| / s.e.")
    kraft = float(np.sum(2.0 ** -shannon))
    exp_shannon = float(P @ shannon)
    excess = exp_shannon - H - kl_pq
    report.metric("kraft_sum", kraft)
    report.metric("shannon_expected_length_bits", exp_shannon)
    report.claim(
        "shannon-code-bounds",
        en="The Shannon code with integer lengths ⌈−log₂Q(x)⌉ is a valid prefix code (Kraft sum ≤ 1) and its expected length under P lies in "
           "[H(P) + KL(P‖Q), H(P) + KL(P‖Q) + 1): the excess over H(P) + KL(P‖Q) is in [0, 1).",
        zh="整数码长 ⌈−log₂Q(x)⌉ 的 Shannon 码是合法的前缀码（Kraft 和 ≤ 1），它在 P 下的期望码长落在 [H(P) + KL(P‖Q), H(P) + KL(P‖Q) + 1)：超出 H(P) + KL(P‖Q) 的部分在 [0, 1) 内。",
        value=excess if kraft <= 1 + 1e-12 else -1.0, op="between", threshold=(0.0, 0.999999), expression="E_P[⌈−log₂Q⌉] − H(P) − KL(P‖Q)")
    report.progress(0.3, "coding")

    # (2) Gibbs, asymmetry, triangle inequality -------------------------------------------------------
    m = cfg.pick(20_000, 200_000)
    A = rng.dirichlet(np.full(K, 0.5), size=m)
    B = rng.dirichlet(np.full(K, 0.5), size=m)
    kab, kba = kl_divergence(A, B), kl_divergence(B, A)
    report.claim(
        "gibbs-nonnegative",
        en=f"Gibbs' inequality: over {m} random pairs of 8-outcome distributions KL(A‖B) is never negative (smallest value found), "
           "and KL(A‖A) = 0 exactly.",
        zh=f"Gibbs 不等式：在 {m} 对随机 8 类分布上 KL(A‖B) 从不为负（找到的最小值），且 KL(A‖A) = 0。",
        value=float(min(kab.min(), kba.min())) if float(np.abs(kl_divergence(A, A)).max()) == 0.0 else -1.0,
        op=">", threshold=0.0, expression="min KL(A‖B) over pairs")
    rel_asym = np.abs(kab - kba) / np.maximum(kab, kba)
    report.metric("median_relative_asymmetry", float(np.median(rel_asym)))
    report.claim(
        "asymmetric",
        en=f"KL is not symmetric: over {m} random pairs of 8-outcome distributions the median relative difference "
           "|KL(A‖B) − KL(B‖A)| / max(KL(A‖B), KL(B‖A)) is above 0.1.",
        zh=f"KL 不对称：在 {m} 对随机 8 类分布上，相对差 |KL(A‖B) − KL(B‖A)| / max(KL(A‖B), KL(B‖A)) 的中位数大于 0.1。",
        value=float(np.median(rel_asym)), op=">", threshold=0.1, expression="median relative asymmetry")
    bern = lambda t: np.array([t, 1 - t])  # noqa: E731
    tri = float(kl_divergence(bern(0.1), bern(0.9)) - kl_divergence(bern(0.1), bern(0.5)) - kl_divergence(bern(0.5), bern(0.9)))
    report.claim(
        "triangle-violated",
        en="KL is not a metric: for Bernoulli(0.1), Bernoulli(0.5), Bernoulli(0.9) the direct divergence exceeds the two-step path, "
           "KL(p‖r) − KL(p‖q) − KL(q‖r) > 0.5 nats.",
        zh="KL 不是度量：对 Bernoulli(0.1)、Bernoulli(0.5)、Bernoulli(0.9)，直接的散度大于经由中间点的两段之和，KL(p‖r) − KL(p‖q) − KL(q‖r) > 0.5 nats。",
        value=tri, op=">", threshold=0.5, expression="KL(p‖r) − KL(p‖q) − KL(q‖r)")
    report.progress(0.5, "Gibbs")

    # (3) forward vs reverse KL fit of one Gaussian to a bimodal target -------------------------------
    w, mus, sig = np.array([0.6, 0.4]), np.array([-2.5, 2.5]), np.array([0.6, 0.6])
    logp = mixture_logpdf(GRID, w, mus, sig)
    mean_p = float(w @ mus)
    var_p = float(w @ (sig**2 + mus**2) - mean_p**2)
    fmu, fsig, fkl = fit_gaussian(logp, "forward", 1.0, 1.0)
    mm_err = max(abs(fmu - mean_p), abs(fsig - np.sqrt(var_p)))
    report.claim(
        "forward-moment-matches",
        en="Minimising the forward KL(p‖q) over Gaussians q (numerically, on a grid) lands on moment matching: μ = E_p[x] and σ² = Var_p[x] "
           "of the mixture (largest error).",
        zh="在高斯族上（网格数值）最小化前向 KL(p‖q)，得到的恰好是矩匹配：μ = E_p[x]，σ² = Var_p[x]（最大误差）。",
        value=mm_err, op="<", threshold=1e-3, expression="max(|μ − E_p x|, |σ − sd_p|)")
    rev = [fit_gaussian(logp, "reverse", m0, 1.0) for m0 in mus]
    best = min(rev, key=lambda r: r[2])
    rmu, rsig, rkl = best
    report.table("fits", ["fit", "μ", "σ", "objective (nats)"],
                 [["forward KL(p‖q)", f"{fmu:.4f}", f"{fsig:.4f}", f"{fkl:.4f}"]]
                 + [[f"reverse KL(q‖p), start at {m0:g}", f"{r[0]:.4f}", f"{r[1]:.4f}", f"{r[2]:.4f}"] for m0, r in zip(mus, rev, strict=True)])
    seek_err = max(abs(rmu - mus[0]), abs(rsig - sig[0]) / sig[0])
    report.claim(
        "reverse-seeks-mode",
        en="Minimising the reverse KL(q‖p) locks onto one mode: the best fit sits on the heavier component (|μ − μ₁| and the relative error of σ "
           "against that component's σ both below 0.05), and each mode is a separate local minimum.",
        zh="最小化反向 KL(q‖p) 会锁定一个众数：最优拟合落在较重的分量上（|μ − μ₁| 与 σ 相对该分量 σ 的相对误差都小于 0.05），且每个众数各是一个局部极小点。",
        value=seek_err if abs(rev[0][0] - rev[1][0]) > 3.0 else 1.0, op="<", threshold=0.05,
        expression="max(|μ − μ₁|, |σ − σ₁|/σ₁)")
    q_f = np.exp(normal_logpdf(GRID, fmu, fsig))
    q_r = np.exp(normal_logpdf(GRID, rmu, rsig))
    p = np.exp(logp)
    other = np.abs(GRID - mus[1]) < 2 * sig[1]
    mass_f, mass_r, mass_p = (float(d[other].sum() * DX) for d in (q_f, q_r, p))
    report.metric("mass_near_second_mode_target", mass_p)
    report.metric("mass_near_second_mode_forward", mass_f)
    report.metric("mass_near_second_mode_reverse", mass_r)
    report.claim(
        "forward-covers-reverse-ignores",
        en="Mass-covering vs mode-seeking: within 2σ of the lighter mode (where p has about 38% of its mass) the forward fit puts over 10% of "
           "its mass and the reverse fit under 0.1% (value: forward mass / reverse mass, > 100).",
        zh="覆盖质量 vs 寻找众数：在较轻众数的 2σ 范围内（p 在此约有 38% 的质量），前向拟合放了超过 10% 的质量，反向拟合不到 0.1%（值：前向质量 / 反向质量，> 100）。",
        value=mass_f / max(mass_r, 1e-300) if mass_f > 0.1 else 0.0, op=">", threshold=100.0, expression="q_fwd(near mode 2) / q_rev(near mode 2)")
    valley = np.abs(GRID) < 0.5
    ratio_valley = float(q_f[valley].sum() / p[valley].sum())
    report.claim(
        "forward-puts-mass-in-valley",
        en="The price of covering: in the valley |x| < 0.5 between the modes, where p is nearly 0, the forward fit has over 100 times the target's mass.",
        zh="覆盖的代价：在两众数之间的低谷 |x| < 0.5（p 几乎为 0），前向拟合的质量是目标的 100 倍以上。",
        value=ratio_valley, op=">", threshold=100.0, expression="∫_valley q_fwd / ∫_valley p")

    fig, ax = new_figure(1, 1, size=(6.0, 3.4))
    sel = np.abs(GRID) < 6
    ax.plot(GRID[sel], p[sel], "k", lw=2, label="target p (bimodal)")
    ax.plot(GRID[sel], q_f[sel], "C0", label=f"argmin KL(p‖q): μ={fmu:.2f}, σ={fsig:.2f}")
    ax.plot(GRID[sel], q_r[sel], "C3", label=f"argmin KL(q‖p): μ={rmu:.2f}, σ={rsig:.2f}")
    ax.set_xlabel("x")
    ax.legend(fontsize=7)
    report.figure(
        "forward_reverse_kl", fig,
        en="One Gaussian fitted to a two-component mixture. Forward KL(p‖q) (maximum likelihood's direction) matches the mixture's mean and "
           "variance, covering both modes and the empty valley; reverse KL(q‖p) (variational inference's direction) sits on one mode.",
        zh="用一个高斯拟合两分量混合分布。前向 KL(p‖q)（最大似然的方向）匹配混合分布的均值和方差，覆盖两个众数以及中间的空谷；"
           "反向 KL(q‖p)（变分推断的方向）停在一个众数上。")
    report.metric("seconds", time.perf_counter() - t0)
    report.progress(1.0, "done")
