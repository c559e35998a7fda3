# ruff: noqa: E501  (bilingual claim statements are long text)
"""Jacobian and Hessian: the engine's against finite differences, Taylor orders, eigenvalue tests.

1. The input Jacobian of a small tanh MLP (3 -> 8 -> 2) from reverse mode equals central finite
   differences; one backward pass with upstream v returns the whole row combination v^T J.
2. The parameter Hessian of the MLP's MSE loss (finite differences of exact gradients) is
   symmetric before symmetrisation; a Hessian-vector product costs 2 gradient calls, the full
   Hessian 2P of them.
3. Taylor models: along a random direction the first-order error falls like eps^2, the
   second-order error like eps^3 (log-log slopes).
4. On f(x, y) = x^3 - 3x + y^3 - 3y the Hessian eigenvalues at the four critical points
   (+-1, +-1) say min / max / saddle, and sampling f around each point agrees.
5. On a quadratic, the step eps* = g^T g / g^T H g along -g is the best step (grid search) and
   2 eps* is where the decrease vanishes.
"""

from __future__ import annotations

import numpy as np

from dlproof.experiments.registry import Report, RunConfig, experiment

D_IN, HID, D_OUT = 3, 8, 2
SHAPES = [(HID, D_IN), (HID,), (D_OUT, HID), (D_OUT,)]
P = sum(int(np.prod(s)) for s in SHAPES)


def unpack(theta):
    """Split a flat parameter vector (P,) into W1 (8, 3), b1 (8,), W2 (2, 8), b2 (2,) (works on Tensors)."""
    out, i = [], 0
    for s in SHAPES:
        k = int(np.prod(s))
        out.append(theta[i:i + k].reshape(s))
        i += k
    return out


def mlp(theta, x):
    """f(x) = W2 tanh(W1 x + b1) + b2 for a batch x (n, 3) -> (n, 2)."""
    W1, b1, W2, b2 = unpack(theta)
    return (x @ W1.T + b1).tanh() @ W2.T + b2


def _fig(ncols, w=3.8, h=3.3):
    from matplotlib.figure import Figure

    fig = Figure(figsize=(w * ncols, h), layout="constrained")
    return fig, fig.subplots(1, ncols)


@experiment(
    "jacobian-hessian",
    questions=["jacobian-hessian"],
    title_en="Jacobian and Hessian: engine vs finite differences, Taylor orders, eigenvalues classify critical points",
    title_zh="Jacobian 与 Hessian：引擎对照有限差分、Taylor 阶数、特征值判别临界点",
)
def run(cfg: RunConfig, report: Report) -> None:
    from dlproof.engine import tensor
    from dlproof.engine.derivatives import grad, hessian, hvp, jacobian

    rng = cfg.rng(0)
    theta0 = rng.standard_normal(P) * 0.7
    th = tensor(theta0)
    n_pts = cfg.pick(3, 10)

    # (1) input Jacobian vs central differences; a VJP is one backward ----------------------------
    jac_err, vjp_err = 0.0, 0.0
    for _ in range(n_pts):
        x0 = rng.standard_normal(D_IN)
        J = jacobian(lambda xt: mlp(th, xt.reshape(1, D_IN)).reshape(D_OUT), x0)
        h = 1e-5
        Jfd = np.stack([(mlp(th, tensor((x0 + h * e)[None])).data[0]
                         - mlp(th, tensor((x0 - h * e)[None])).data[0]) / (2 * h) for e in np.eye(D_IN)], 1)
        jac_err = max(jac_err, float(np.abs(J - Jfd).max() / np.abs(J).max()))
        v = rng.standard_normal(D_OUT)
        xt = tensor(x0[None], requires_grad=True)
        out = mlp(th, xt)
        out.backward(v[None])  # one reverse pass with upstream v gives v^T J
        vjp_err = max(vjp_err, float(np.abs(xt.grad[0] - v @ J).max() / np.abs(v @ J).max()))
    report.claim(
        "jacobian-matches-finite-differences",
        en=f"The input Jacobian J_ij = ∂f_i/∂x_j of a tanh MLP 3→8→2, computed by reverse mode (one backward pass per output), equals central finite differences (h = 1e-5) at {n_pts} random points (largest relative error).",
        zh=f"tanh MLP 3→8→2 的输入 Jacobian J_ij = ∂f_i/∂x_j 由反向模式计算（每个输出一次反向传播），在 {n_pts} 个随机点上等于中心有限差分（h = 1e-5）（最大相对误差）。",
        value=jac_err, op="<", threshold=1e-8, expression="max |J − J_fd| / max |J|")
    report.claim(
        "one-backward-gives-vjp",
        en="One backward pass with a random upstream vector v returns the whole vector–Jacobian product vᵀJ, without forming J: it equals v times the explicit Jacobian (largest relative difference).",
        zh="以随机上游向量 v 做一次反向传播就得到整个向量-Jacobian 积 vᵀJ，而无需构造 J：它等于 v 乘以显式 Jacobian（最大相对差）。",
        value=vjp_err, op="<", threshold=1e-12, expression="max |x.grad − vᵀJ| / max |vᵀJ|")
    report.progress(0.2, "Jacobian")

    # (2) parameter Hessian of the loss: symmetric; HVP cheap ---------------------------------------
    X = rng.standard_normal((20, D_IN))
    Y = rng.standard_normal((20, D_OUT))
    Xt, Yt = tensor(X), tensor(Y)
    calls = {"n": 0}

    def loss(t):
        calls["n"] += 1
        r = mlp(t, Xt) - Yt
        return (r * r).mean()

    eps = 1e-5
    g0 = grad(loss, theta0)
    Hcols = np.stack([(grad(loss, theta0 + eps * e) - grad(loss, theta0 - eps * e)) / (2 * eps) for e in np.eye(P)], 1)
    asym = float(np.abs(Hcols - Hcols.T).max() / np.abs(Hcols).max())
    report.metric("parameters", P)
    report.claim(
        "parameter-hessian-symmetric",
        en=f"The Hessian of the MSE loss in the MLP's {P} parameters, built column by column from finite differences of exact gradients and NOT symmetrised, is symmetric to finite-difference accuracy (Schwarz: continuous second partials commute); largest relative asymmetry.",
        zh=f"MLP 的 {P} 个参数上 MSE 损失的 Hessian，按列由精确梯度的有限差分构造且未做对称化，在有限差分精度内是对称的（Schwarz 定理：二阶偏导连续时可交换）；最大相对不对称度。",
        value=asym, op="<", threshold=1e-7, expression="max |H − Hᵀ| / max |H|")
    v = rng.standard_normal(P)
    calls["n"] = 0
    Hv = hvp(loss, theta0, v)
    hvp_calls = calls["n"]
    calls["n"] = 0
    H = hessian(loss, theta0)
    h_calls = calls["n"]
    hvp_err = float(np.linalg.norm(Hv - H @ v) / np.linalg.norm(H @ v))
    report.metric("hvp_gradient_calls", hvp_calls)
    report.metric("hessian_gradient_calls", h_calls)
    report.claim(
        "hvp-costs-two-gradients",
        en=f"A Hessian-vector product Hv = (∇f(θ+εv) − ∇f(θ−εv))/2ε matches the full Hessian times v, at the cost of 2 gradient evaluations instead of 2P = {2 * P} for the full Hessian. Value: relative error of Hv plus |gradient calls − 2|.",
        zh=f"Hessian-向量积 Hv = (∇f(θ+εv) − ∇f(θ−εv))/2ε 与完整 Hessian 乘 v 一致，只需 2 次梯度计算，而完整 Hessian 需要 2P = {2 * P} 次。数值：Hv 的相对误差加 |梯度调用次数 − 2|。",
        value=hvp_err + abs(hvp_calls - 2), op="<", threshold=1e-6, expression="rel.err(Hv) + |calls − 2|")
    report.progress(0.45, "Hessian")

    # (3) Taylor residuals ---------------------------------------------------------------------------
    u = rng.standard_normal(P)
    u /= np.linalg.norm(u)
    f0 = float(loss(tensor(theta0)).data)
    epss = np.logspace(-3, -1, 9)
    r1, r2 = [], []
    for e in epss:
        fe = float(loss(tensor(theta0 + e * u)).data)
        r1.append(abs(fe - f0 - e * g0 @ u))
        r2.append(abs(fe - f0 - e * g0 @ u - 0.5 * e * e * u @ H @ u))
    s1 = float(np.polyfit(np.log(epss), np.log(r1), 1)[0])
    s2 = float(np.polyfit(np.log(epss), np.log(r2), 1)[0])
    fig, axs = _fig(2)
    axs[0].loglog(epss, r1, "o-", label=f"1st order, slope {s1:.2f}")
    axs[0].loglog(epss, r2, "s-", label=f"2nd order, slope {s2:.2f}")
    axs[0].set_xlabel("step ε")
    axs[0].set_ylabel("|f(θ+εu) − model|")
    axs[0].legend(fontsize=8)
    report.claim(
        "taylor-first-order-error-quadratic",
        en="Along a random unit direction u, the error of the first-order model f + ε gᵀu falls like ε² (log-log slope over ε ∈ [1e-3, 1e-1]).",
        zh="沿随机单位方向 u，一阶模型 f + ε gᵀu 的误差按 ε² 下降（ε ∈ [1e-3, 1e-1] 上的对数-对数斜率）。",
        value=s1, op="between", threshold=(1.85, 2.15), expression="slope of log error vs log ε")
    report.claim(
        "taylor-second-order-error-cubic",
        en="Adding the Hessian term ½ε² uᵀHu makes the error fall like ε³ (log-log slope), so the Hessian is the right second-order correction.",
        zh="加上 Hessian 项 ½ε² uᵀHu 后误差按 ε³ 下降（对数-对数斜率），说明 Hessian 正是正确的二阶修正。",
        value=s2, op="between", threshold=(2.75, 3.25), expression="slope of log error vs log ε")
    report.progress(0.6, "Taylor")

    # (4) classify critical points by eigenvalues, check by sampling ------------------------------
    def f2(t):
        x, y = t[0], t[1]
        return x * x * x - 3.0 * x + y * y * y - 3.0 * y

    kinds, rows, agree = {}, [], 0
    r3 = cfg.rng(1)
    dz = r3.standard_normal((cfg.pick(500, 5000), 2))
    dz = 1e-2 * dz / np.linalg.norm(dz, axis=1, keepdims=True)
    for pt in [(1.0, 1.0), (-1.0, -1.0), (1.0, -1.0), (-1.0, 1.0)]:
        p = np.array(pt)
        gn = float(np.linalg.norm(grad(f2, p)))
        lam = np.linalg.eigvalsh(hessian(f2, p))
        by_eig = "min" if lam.min() > 0 else "max" if lam.max() < 0 else "saddle"
        fz = (p[0] + dz[:, 0]) ** 3 - 3 * (p[0] + dz[:, 0]) + (p[1] + dz[:, 1]) ** 3 - 3 * (p[1] + dz[:, 1])
        fp = p[0] ** 3 - 3 * p[0] + p[1] ** 3 - 3 * p[1]
        up, down = bool(np.all(fz > fp)), bool(np.all(fz < fp))
        by_samp = "min" if up else "max" if down else "saddle"
        agree += by_eig == by_samp
        kinds[pt] = by_eig
        rows.append([str(pt), f"{gn:.1e}", f"{lam[0]:.4f}, {lam[1]:.4f}", by_eig, by_samp])
    report.table("critical_points", ["point", "||∇f||", "Hessian eigenvalues", "eigenvalue test", "sampling f on a circle r = 0.01"], rows)
    distinct = len(set(kinds.values()))
    report.claim(
        "eigenvalues-classify-critical-points",
        en="On f(x, y) = x³ − 3x + y³ − 3y the engine's Hessian at the four critical points (±1, ±1) has eigenvalues (6, 6), (−6, −6) and (6, −6) twice: a minimum, a maximum and two saddles, and sampling f on a small circle around each point agrees. Value: number of points where both tests agree, with all three kinds present.",
        zh="在 f(x, y) = x³ − 3x + y³ − 3y 上，引擎在四个临界点 (±1, ±1) 处算出的 Hessian 特征值为 (6, 6)、(−6, −6) 和两次 (6, −6)：一个极小、一个极大、两个鞍点；在每点周围的小圆上采样 f 得到同样的结论。数值：两种判别一致的点数，且三种类型都出现。",
        value=agree if distinct == 3 else 0, op=">=", threshold=4, expression="#points where eigen-test = sampling test")
    report.progress(0.75, "critical points")

    # (5) optimal step along -g on a quadratic -------------------------------------------------------
    Q, _ = np.linalg.qr(r3.standard_normal((6, 6)))
    A = Q @ np.diag(np.logspace(0, 2, 6)) @ Q.T
    b = r3.standard_normal(6)
    x0 = r3.standard_normal(6)

    def fq(x):
        return 0.5 * x @ A @ x - b @ x

    g = A @ x0 - b
    e_star = float(g @ g / (g @ A @ g))
    grid = e_star * np.linspace(0.01, 2.5, 2491)
    vals = np.array([fq(x0 - e * g) for e in grid])
    e_best = float(grid[np.argmin(vals)])
    dec_2 = fq(x0) - fq(x0 - 2 * e_star * g)
    axs[1].plot(grid / e_star, vals - fq(x0))
    axs[1].axvline(1.0, ls="--", c="k")
    axs[1].axhline(0.0, c="gray", lw=0.5)
    axs[1].set_xlabel("ε / ε*")
    axs[1].set_ylabel("f(x − εg) − f(x)")
    report.figure("taylor_and_step", fig, en="Left: Taylor-model errors along a random direction (slopes 2 and 3). Right: change of a quadratic along −g; the minimum is at ε* = gᵀg/gᵀHg and the decrease vanishes at 2ε*.",
                  zh="左：沿随机方向的 Taylor 模型误差（斜率 2 和 3）。右：二次函数沿 −g 的变化；最小值在 ε* = gᵀg/gᵀHg，2ε* 处下降量归零。")
    report.claim(
        "optimal-step-along-gradient",
        en="On a quadratic with Hessian eigenvalues 1…100, the best step along −g found by a fine grid is ε* = gᵀg/gᵀHg (relative distance), and at 2ε* the decrease has vanished exactly (the second-order condition ε gᵀg > ½ε² gᵀHg fails there). Value: |ε_grid − ε*|/ε* + |Δf(2ε*)|/Δf(ε*).",
        zh="在 Hessian 特征值为 1…100 的二次函数上，细网格沿 −g 找到的最佳步长就是 ε* = gᵀg/gᵀHg（相对距离），而在 2ε* 处下降量恰好归零（二阶条件 ε gᵀg > ½ε² gᵀHg 在此失效）。数值：|ε_grid − ε*|/ε* + |Δf(2ε*)|/Δf(ε*)。",
        value=abs(e_best - e_star) / e_star + abs(dec_2) / (fq(x0) - fq(x0 - e_star * g)), op="<", threshold=2e-3,
        expression="|ε_grid − ε*|/ε* + |Δf(2ε*)|/Δf(ε*)")
    report.progress(1.0, "optimal step")
