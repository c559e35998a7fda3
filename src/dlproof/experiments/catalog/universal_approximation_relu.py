# ruff: noqa: E501  (bilingual claim statements are long text)
"""Universal approximation in 1-D, constructively and by training.

(a) Construction: a one-hidden-layer ReLU net with N - 1 hidden units whose weights are written down
    from the slopes, g(x) = f(x_0) + sum_k (s_k - s_{k-1}) relu(x - x_k) (s_{-1} = 0), equals the
    piecewise-linear interpolant of f on N equally spaced knots. For f in C^2 the sup error is at
    most h^2/8 max|f''| = O(1/N^2). The net is evaluated with the engine (dlproof.nn.functional).
(b) Training: one-hidden-layer ReLU nets of increasing width fitted with dlproof.optim.Adam to the
    same function; the error they reach against width, next to the construction.
"""

from __future__ import annotations

import time

import numpy as np

from dlproof.engine import tensor
from dlproof.experiments.figures import new_figure
from dlproof.experiments.measure import loglog_slope
from dlproof.experiments.registry import Report, RunConfig, experiment
from dlproof.models.mlp import fit_relu_1d

A, B = -2.0, 2.0


def target(x):
    return np.sin(3 * x) + 0.3 * x**2


def target_dd_max():
    x = np.linspace(A, B, 20001)
    return float(np.abs(-9 * np.sin(3 * x) + 0.6).max())


def constructive_net(n_knots: int):
    """(W1 (H,1), b1 (H,), W2 (1,H), b2 (1,)) of the ReLU net interpolating f at n_knots knots."""
    knots = np.linspace(A, B, n_knots)
    vals = target(knots)
    slopes = np.diff(vals) / np.diff(knots)  # s_0 .. s_{N-2}
    coef = np.diff(np.concatenate([[0.0], slopes]))  # s_k - s_{k-1}
    W1 = np.ones((n_knots - 1, 1))
    b1 = -knots[:-1]
    return W1, b1, coef[None, :], np.array([vals[0]])


def evaluate(params, x):
    import dlproof.nn.functional as F
    from dlproof.engine.tensor import no_grad

    W1, b1, W2, b2 = (tensor(p) for p in params)
    with no_grad():
        return F.linear(F.relu(F.linear(tensor(x[:, None]), W1, b1)), W2, b2).data[:, 0]


def train_net(width, x, yv, steps, rng):
    W1 = rng.normal(0, 1.0, (width, 1))
    b1 = rng.uniform(A, B, width) * -W1[:, 0]  # kinks spread over [A, B]
    return fit_relu_1d(W1, b1, x, yv, steps, rng)[1]


@experiment(
    "universal-approximation-relu",
    questions=["universal-approximation"],
    title_en="Universal approximation in 1-D: a constructive ReLU net (error ∝ 1/N²) and trained nets",
    title_zh="一维万能近似：构造出的 ReLU 网络（误差 ∝ 1/N²）与训练出的网络",
)
def run(cfg: RunConfig, report: Report) -> None:
    t0 = time.perf_counter()
    grid = np.linspace(A, B, 4001)
    fg = target(grid)
    Ns = [4, 8, 16, 32, 64, 128, 256, 512]
    sup, bound, interp_dev = [], [], []
    ddmax = target_dd_max()
    for N in Ns:
        g = evaluate(constructive_net(N), grid)
        knots = np.linspace(A, B, N)
        interp_dev.append(float(np.abs(g - np.interp(grid, knots, target(knots))).max()))
        sup.append(float(np.abs(g - fg).max()))
        h = (B - A) / (N - 1)
        bound.append(h**2 / 8 * ddmax)
    sup, bound = np.array(sup), np.array(bound)
    big = np.array(Ns) >= 16
    slope = loglog_slope(np.array(Ns)[big], sup[big])
    report.table("construction", ["knots N", "hidden units", "sup error", "bound h²/8·max|f''|"],
                 [[N, N - 1, f"{e:.3g}", f"{b:.3g}"] for N, e, b in zip(Ns, sup, bound)])
    report.claim(
        "construction-is-interpolant",
        en="The hand-built one-hidden-layer ReLU net (weights from the slopes) equals the piecewise-linear "
           "interpolant of f on its knots (largest deviation over a 4001-point grid, all N).",
        zh="手工构造的单隐藏层 ReLU 网络（权重由斜率给出）与 f 在结点上的分段线性插值完全一致（4001 点网格上、所有 N 的最大偏差）。",
        value=max(interp_dev), op="<", threshold=1e-9, expression="max |g_net − interp|")
    report.claim(
        "sup-error-rate",
        en="Its sup error on f(x) = sin 3x + 0.3x² falls like 1/N²: log-log slope of sup error against "
           "the number of knots N (N ≥ 16).",
        zh="它在 f(x) = sin 3x + 0.3x² 上的最大误差按 1/N² 下降：最大误差对结点数 N 的双对数斜率（N ≥ 16）。",
        value=slope, op="between", threshold=(-2.2, -1.8), expression="slope")
    report.claim(
        "sup-error-within-bound",
        en="For every N the sup error is below the interpolation bound h²/8·max|f''| (largest ratio).",
        zh="对每个 N，最大误差都低于插值误差界 h²/8·max|f''|（最大比值）。",
        value=float((sup / bound).max()), op="<=", threshold=1.0, expression="max sup_err / bound")
    report.progress(0.2, "construction done")

    # trained nets -------------------------------------------------------------------------------
    widths = cfg.pick([2, 8, 32], [2, 4, 8, 16, 32, 64])
    steps = cfg.pick(800, 3000)
    xt = np.linspace(A, B, 256)
    yt = target(xt)
    trained_sup, trained_rmse = [], []
    restarts = 2
    for k, w in enumerate(widths):
        # best of a few random restarts (by training error), as one would do in practice
        fits = [train_net(w, xt, yt, steps, cfg.rng(10 + restarts * k + r)) for r in range(restarts)]
        params = min(fits, key=lambda p: float(np.mean((evaluate(p, xt) - yt) ** 2)))
        g = evaluate(params, grid)
        trained_sup.append(float(np.abs(g - fg).max()))
        trained_rmse.append(float(np.sqrt(np.mean((g - fg) ** 2))))
        report.progress(0.2 + 0.75 * (k + 1) / len(widths), f"trained width {w}")
    constr_at = {w: float(np.abs(evaluate(constructive_net(w + 1), grid) - fg).max()) for w in widths}
    report.table("trained", ["width", "trained sup error", "trained RMSE",
                             "construction with the same number of units: sup error"],
                 [[w, f"{s:.3g}", f"{r:.3g}", f"{constr_at[w]:.3g}"]
                  for w, s, r in zip(widths, trained_sup, trained_rmse)])
    ratio = trained_rmse[-1] / trained_rmse[0]
    report.claim(
        "trained-error-falls-with-width",
        en=f"Training with Adam ({steps} steps, best of {restarts} restarts): the RMSE of the widest net (width {widths[-1]}) is less "
           f"than 1/10 of the narrowest one's (width {widths[0]}).",
        zh=f"用 Adam 训练（{steps} 步，{restarts} 次随机重启取最好）：最宽网络（宽 {widths[-1]}）的均方根误差不到最窄网络（宽 {widths[0]}）的 1/10。",
        value=ratio, op="<", threshold=0.1, expression=f"RMSE(width {widths[-1]}) / RMSE(width {widths[0]})")
    gap = trained_sup[-1] / constr_at[widths[-1]]
    report.claim(
        "training-does-not-find-construction",
        en=f"Existence is not learnability: at width {widths[-1]} the trained net's sup error is more "
           "than 3 times that of the hand-built net with the same number of units.",
        zh=f"存在不等于学得到：宽度 {widths[-1]} 时，训练出的网络最大误差是同样单元数的手工构造网络的 3 倍以上。",
        value=gap, op=">", threshold=3, expression="sup_err(trained) / sup_err(construction)")

    fig, ax = new_figure(1, 2, size=(8.8, 3.4))
    ax[0].plot(grid, fg, "k", lw=2, label="f(x) = sin 3x + 0.3x²")
    for N in (4, 8):
        ax[0].plot(grid, evaluate(constructive_net(N), grid), "--", label=f"ReLU net, {N - 1} units")
    ax[0].legend(fontsize=7)
    ax[0].set_xlabel("x")
    ax[0].set_title("constructed one-hidden-layer ReLU nets")
    units = np.array(Ns) - 1
    ax[1].loglog(units, sup, "o-", label="construction: sup error")
    ax[1].loglog(units, bound, "k:", label="bound h²/8·max|f''|")
    ax[1].loglog(widths, trained_sup, "s-", label=f"trained (Adam, {steps} steps): sup error")
    ax[1].set_xlabel("hidden units")
    ax[1].set_ylabel("sup |g − f|")
    ax[1].legend(fontsize=7)
    ax[1].set_title("error against width")
    report.figure(
        "approximation", fig,
        en="Left: one-hidden-layer ReLU nets built by hand to interpolate f at N knots. Right: their sup "
           "error falls like 1/N² under the interpolation bound; trained nets of the same width "
           "(Adam) improve with width too, but gradient descent does not find the best weights.",
        zh="左：手工构造、在 N 个结点处插值 f 的单隐藏层 ReLU 网络。右：它们的最大误差按 1/N² 下降，且在插值误差界之下；"
           "同样宽度、用 Adam 训练出的网络误差也随宽度下降，但梯度下降找不到最好的权重。")
    report.metric("seconds", time.perf_counter() - t0)
    report.progress(1.0, "done")
