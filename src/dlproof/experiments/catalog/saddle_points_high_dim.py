# ruff: noqa: E501  (bilingual claim statements are long text)
"""Saddle points in high dimension, and how GD, Newton and saddle-free Newton meet them.

(a) Random symmetric matrices (GOE, A = (G + G^T)/sqrt(2n)) as a stand-in for the Hessian at a
    random critical point: the fraction that is positive definite (a minimum) collapses with the
    dimension n (Bray & Dean 2007; the heuristic in Dauphin et al. 2014).
(b) A real loss: the two-layer linear autoencoder (dlproof.stats.linear_autoencoder). Every one of
    its C(d, k) eigen-subset critical points gets its Hessian from the engine
    (dlproof.engine.derivatives.hessian, finite differences of autograd gradients); measured:
    the number of negative eigenvalues (the index) against the loss, and that the only point
    without negative curvature is the global minimum.
(c) f(x, y) = x^2/2 - y^2/2 + y^4/4 (saddle at 0, minima at y = +-1). GD from (1, delta) leaves
    the saddle after about ln(1/delta) / ln(1 + eta) steps; undamped Newton converges to the
    saddle; saddle-free Newton (|H|^{-1} g, Dauphin et al. 2014) escapes; GD started exactly on
    the saddle's stable manifold never leaves, while small gradient noise makes it leave.
"""

from __future__ import annotations

import time

import numpy as np

from dlproof.experiments.registry import Report, RunConfig, experiment


def _goe_pd_fraction(rng, n: int, samples: int) -> float:
    """Fraction of GOE(n) draws with every eigenvalue > 0 (vectorised over the draws)."""
    G = rng.standard_normal((samples, n, n))
    A = (G + G.transpose(0, 2, 1)) / np.sqrt(2 * n)
    return float((np.linalg.eigvalsh(A)[:, 0] > 0).mean())


def _saddle_grad(P):
    """Gradient of f = x^2/2 - y^2/2 + y^4/4 for P (R, 2): (x, -y + y^3)."""
    return np.stack([P[:, 0], -P[:, 1] + P[:, 1] ** 3], 1)


def _saddle_hess_diag(P):
    """The Hessian of f is diagonal: (1, -1 + 3 y^2)."""
    return np.stack([np.ones(len(P)), -1 + 3 * P[:, 1] ** 2], 1)


def _escape_steps(P0, step, max_steps, noise=0.0, rng=None):
    """Iterate P <- step(P) (+ N(0, noise^2)) on rows of P0; first step with |y| > 0.5 (or -1)."""
    P = P0.copy()
    out = np.full(len(P0), -1)
    for t in range(1, max_steps + 1):
        P = step(P)
        if noise:
            P = P + noise * rng.standard_normal(P.shape)
        hit = (np.abs(P[:, 1]) > 0.5) & (out < 0)
        out[hit] = t
    return out, P


@experiment(
    "saddle-points-high-dim",
    questions=["optimization-obstacles"],
    title_en="Saddle points dominate in high dimension; GD escapes them, Newton is attracted",
    title_zh="高维中鞍点占多数；梯度下降能逃离鞍点，牛顿法却被鞍点吸引",
)
def run(cfg: RunConfig, report: Report) -> None:
    from dlproof.engine.derivatives import hessian
    from dlproof.engine.tensor import tensor
    from dlproof.stats.linear_autoencoder import critical_points

    t0 = time.perf_counter()
    rng = cfg.rng(0)

    # (a) random Hessians ---------------------------------------------------------------------------
    samples = cfg.pick(20000, 100000)
    dims = [1, 2, 3, 4, 5, 6]
    pd = {n: _goe_pd_fraction(rng, n, samples) for n in dims}
    report.table("goe", ["n", "P(all eigenvalues > 0)"], [[n, f"{pd[n]:.2e}"] for n in dims])
    report.claim(
        "random-hessian-rarely-minimum",
        en=f"For a random symmetric (GOE) matrix, the probability that every eigenvalue is positive falls from about 1/2 at n = 1 to below 1% at n = 4 ({samples} draws each): a random critical point in high dimension is almost never a minimum.",
        zh=f"随机对称（GOE）矩阵的全部特征值都为正的概率，从 n = 1 时约 1/2 降到 n = 4 时不足 1%（每个 n 抽 {samples} 个）：高维中一个随机临界点几乎不可能是极小值。",
        value=pd[4], op="<", threshold=0.01, expression="P(GOE(4) positive definite)")
    report.claim(
        "goe-one-dimension-half",
        en="Control: in one dimension the fraction is 1/2 (within 0.02), as a symmetric distribution requires.",
        zh="对照：一维时这个比例是 1/2（误差 0.02 以内），正如对称分布所要求的。",
        value=abs(pd[1] - 0.5), op="<", threshold=0.02, expression="|P(n=1) - 0.5|")
    report.progress(0.2, "random matrices done")

    # (b) linear autoencoder critical points --------------------------------------------------------
    d, k = cfg.pick((7, 2), (9, 3))
    lam = np.sort(rng.uniform(0.5, 3.0, d))[::-1]
    Q, _ = np.linalg.qr(rng.standard_normal((d, d)))
    Sigma = Q @ np.diag(lam) @ Q.T
    S_t, I_t = tensor(Sigma), tensor(np.eye(d))

    def loss(th):
        W1 = th[: k * d].reshape(k, d)
        W2 = th[k * d:].reshape(d, k)
        E = I_t - W2 @ W1
        return 0.5 * ((E @ S_t) * E).sum()

    cps = critical_points(Sigma, k)
    losses, index, predicted, zero = [], [], [], []
    for c in cps:
        th = np.concatenate([c["W1"].ravel(), c["W2"].ravel()])
        ev = np.linalg.eigvalsh(hessian(loss, th))
        tol = 1e-6 * np.abs(ev).max()
        losses.append(c["loss"])
        index.append(int((ev < -tol).sum()))
        zero.append(int((np.abs(ev) <= tol).sum()))
        predicted.append(c["index"])
    losses, index = np.array(losses), np.array(index)
    n_par = 2 * k * d
    report.metric("autoencoder_critical_points", len(cps))
    report.metric("autoencoder_parameters", n_par)
    minima = np.flatnonzero(index == 0)
    report.table("autoencoder", ["subset S", "loss", "negative eigenvalues", "predicted", "zero eigenvalues"],
                 [[str(c["subset"]), f"{c['loss']:.3f}", int(index[i]), int(predicted[i]), int(zero[i])]
                  for i, c in enumerate(cps)][:20])
    report.claim(
        "no-bad-local-minimum",
        en=f"Of the {len(cps)} critical points of the linear autoencoder (d = {d}, k = {k}, {n_par} parameters), none is a local minimum with a loss above the global one (number of points without negative curvature whose loss exceeds the minimum): every local minimum is global, every other critical point is a saddle.",
        zh=f"线性自编码器（d = {d}，k = {k}，{n_par} 个参数）的 {len(cps)} 个临界点中，没有一个是损失高于全局最小值的局部极小值（度量为没有负曲率且损失高于最小值的点的个数）：局部极小值都是全局最小值，其余临界点都是鞍点。",
        value=float(np.sum(losses[minima] > losses.min() + 1e-9)), op="==", threshold=0.0,
        expression="#(index 0 and loss > min loss)")
    report.claim(
        "one-minimum-many-saddles",
        en=f"Exactly one of the {len(cps)} critical points has no negative Hessian eigenvalue (number of such points); the other {len(cps) - 1} are saddles.",
        zh=f"{len(cps)} 个临界点中恰好只有一个没有负的 Hessian 特征值（度量为这种点的个数）；其余 {len(cps) - 1} 个都是鞍点。",
        value=float(len(minima)), op="==", threshold=1.0, expression="#(index 0)")
    report.claim(
        "index-matches-theory",
        en="The engine's Hessian at every critical point has exactly the predicted number of negative eigenvalues, #{(i in S, j not in S): λ_j > λ_i} (number of mismatches).",
        zh="在每个临界点，引擎算出的 Hessian 的负特征值个数都恰好等于理论预测 #{(i∈S, j∉S): λ_j > λ_i}（度量为不一致的个数）。",
        value=float(np.sum(index != np.array(predicted))), op="==", threshold=0.0,
        expression="#(measured index != predicted index)")
    rho = float(np.corrcoef(np.argsort(np.argsort(losses)), np.argsort(np.argsort(index)))[0, 1])
    report.metric("spearman_loss_index", rho)
    report.claim(
        "higher-loss-more-negative-curvature",
        en="The higher the loss of a critical point, the more negative-curvature directions it has: the Spearman correlation between loss and index is above 0.8 (Dauphin et al. 2014 report the same trend for neural nets).",
        zh="临界点的损失越高，负曲率方向越多：损失与指数（负特征值个数）的 Spearman 相关系数大于 0.8（Dauphin 等 2014 在神经网络上报告了同样的趋势）。",
        value=rho, op=">", threshold=0.8, expression="spearman(loss, index)")
    report.progress(0.6, "autoencoder Hessians done")

    # (c) GD vs Newton vs saddle-free Newton near a saddle ------------------------------------------
    eta = 0.1
    deltas = 10.0 ** -np.arange(2, 13)
    P0 = np.stack([np.ones_like(deltas), deltas], 1)
    gd = lambda P: P - eta * _saddle_grad(P)  # noqa: E731
    newton = lambda P: P - _saddle_grad(P) / _saddle_hess_diag(P)  # noqa: E731  H^{-1} g
    sfn = lambda P: P - _saddle_grad(P) / np.abs(_saddle_hess_diag(P))  # noqa: E731  |H|^{-1} g
    t_gd, _ = _escape_steps(P0, gd, 2000)
    t_sfn, _ = _escape_steps(P0, sfn, 2000)
    _, P_newton = _escape_steps(P0, newton, 30)
    slope = float(np.polyfit(np.log(1 / deltas), t_gd, 1)[0])
    theory = 1 / np.log(1 + eta)
    report.table("saddle", ["δ", "GD steps to |y| > 0.5", "saddle-free Newton steps",
                            "Newton after 30 steps: |(x, y)|"],
                 [[f"{dl:.0e}", int(a), int(b), f"{np.hypot(*p):.1e}"]
                  for dl, a, b, p in zip(deltas, t_gd, t_sfn, P_newton)])
    report.claim(
        "gd-escape-time-log-delta",
        en=f"GD (η = {eta}) started at distance δ from the saddle's stable manifold escapes after a number of steps linear in ln(1/δ) with slope 1/ln(1+η) = {theory:.2f}: relative error of the fitted slope below 5% (δ = 1e-2 … 1e-12). Saddles slow GD down; they do not trap it.",
        zh=f"梯度下降（η = {eta}）从距鞍点稳定流形 δ 处出发，逃离所需步数与 ln(1/δ) 成线性关系，斜率为 1/ln(1+η) = {theory:.2f}：拟合斜率的相对误差小于 5%（δ = 1e-2 … 1e-12）。鞍点让梯度下降变慢，但困不住它。",
        value=abs(slope - theory) / theory, op="<", threshold=0.05, expression="|slope - 1/ln(1+η)| / (1/ln(1+η))")
    report.claim(
        "newton-attracted-to-saddle",
        en="Undamped Newton's method from the same starts converges to the saddle: after 30 steps the largest distance to (0, 0) is below 1e-8, for every δ.",
        zh="从同样的起点出发，不加阻尼的牛顿法收敛到鞍点：30 步后到 (0, 0) 的最大距离小于 1e-8，对每个 δ 都如此。",
        value=float(np.hypot(P_newton[:, 0], P_newton[:, 1]).max()), op="<", threshold=1e-8,
        expression="max ||(x, y)|| after 30 Newton steps")
    report.claim(
        "saddle-free-newton-escapes-faster",
        en="Saddle-free Newton (step |H|⁻¹g, Dauphin et al. 2014) escapes at least 3 times faster than GD at every δ (smallest ratio of GD steps to saddle-free steps).",
        zh="无鞍牛顿法（步长 |H|⁻¹g，Dauphin 等 2014）在每个 δ 上都至少比梯度下降快 3 倍逃离（梯度下降步数与无鞍牛顿步数之比的最小值）。",
        value=float(np.min(t_gd / t_sfn)) if np.all(t_sfn > 0) else 0.0, op=">", threshold=3.0,
        expression="min_δ steps_GD / steps_SFN")

    R = cfg.pick(200, 1000)
    on_manifold = np.stack([np.ones(R), np.zeros(R)], 1)
    t_exact, P_exact = _escape_steps(on_manifold, gd, 1000)
    t_noisy, _ = _escape_steps(on_manifold, gd, 1000, noise=1e-4, rng=cfg.rng(1))
    report.metric("exact_gd_max_abs_y", float(np.abs(P_exact[:, 1]).max()))
    report.metric("noisy_gd_median_escape_steps", float(np.median(t_noisy[t_noisy > 0])) if np.any(t_noisy > 0) else -1)
    report.claim(
        "noise-escapes-exact-saddle",
        en=f"Started exactly on the stable manifold (y = 0), plain GD never leaves the saddle in 1000 steps, while GD with gradient noise of std 1e-4 escapes in every one of {R} runs: fraction escaped (noisy) minus fraction escaped (exact) = 1.",
        zh=f"从稳定流形上（y = 0）出发时，普通梯度下降 1000 步都离不开鞍点；加入标准差 1e-4 的梯度噪声后，{R} 次运行全部逃离：度量为“有噪声的逃离比例 − 无噪声的逃离比例”，等于 1。",
        value=float((t_noisy > 0).mean() - (t_exact > 0).mean()), op=">=", threshold=1.0,
        expression="escaped_noisy - escaped_exact")

    fig, ax = _figure()
    ax[0].semilogy(dims, [max(pd[n], 1.0 / samples) for n in dims], "o-")
    ax[0].set(xlabel="dimension n", ylabel="P(positive definite)", title="random Hessians")
    ax[1].scatter(losses, index, s=14)
    ax[1].set(xlabel="loss at critical point", ylabel="# negative eigenvalues", title="linear autoencoder")
    ax[2].plot(np.log(1 / deltas), t_gd, "o-", label="GD")
    ax[2].plot(np.log(1 / deltas), t_sfn, "s-", label="saddle-free Newton")
    ax[2].set(xlabel="ln(1/δ)", ylabel="steps to escape", title="escaping a saddle")
    ax[2].legend()
    report.figure("saddles", fig, en="Left: fraction of random symmetric matrices that are positive definite. Middle: index against loss at every critical point of the linear autoencoder. Right: escape time from the saddle.",
                  zh="左：随机对称矩阵中正定的比例。中：线性自编码器每个临界点的指数（负特征值个数）与损失。右：从鞍点逃离所需步数。")
    report.metric("seconds", time.perf_counter() - t0)


def _figure():
    from matplotlib.figure import Figure

    fig = Figure(figsize=(12.6, 3.4), layout="constrained")
    return fig, fig.subplots(1, 3)
