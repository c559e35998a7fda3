# ruff: noqa: E501  (bilingual claim statements are long text)
"""Depth efficiency: the sawtooth (Telgarsky 2016), the N + 1 piece limit of shallow nets, and how
many linear regions random and trained nets actually have.

(a) The tent map t(x) = 2 relu(x) - 4 relu(x - 1/2) on [0, 1] uses 2 ReLU units; composing it k
    times (a k-layer net with 2 units per layer) gives a sawtooth with exactly 2^k linear pieces.
    Pieces are counted exactly on a dyadic grid that contains every kink.
(b) A one-hidden-layer ReLU net on a 1-D input with N units has at most N + 1 pieces (each unit
    switches once along the line); so it needs >= 2^k - 1 units for the k-sawtooth.
(c) Shallow ReLU nets of increasing width trained with Adam on the k = 5 sawtooth, against the
    exact 10-unit deep construction.
(d) Random (He-init) nets with the same number of units arranged deep-narrow or shallow-wide:
    linear regions along a line through input space (activation-pattern changes), far below the
    exponential maximum (Hanin & Rolnick 2019).
"""

from __future__ import annotations

import time

import numpy as np

from dlproof.engine import tensor
from dlproof.experiments.figures import new_figure
from dlproof.experiments.registry import Report, RunConfig, experiment
from dlproof.models.mlp import fit_relu_1d


def sawtooth_params(k):
    """Layers (W (2,1), b (2,)) and combiners: x_{j+1} = 2 relu(x_j) - 4 relu(x_j - 1/2)."""
    W = np.array([[1.0], [1.0]])
    b = np.array([0.0, -0.5])
    c = np.array([[2.0, -4.0]])
    return [(W, b, c)] * k


def sawtooth_net(k, x):
    """Evaluate the k-layer sawtooth net with the engine on x (M,)."""
    import dlproof.nn.functional as F
    from dlproof.engine.tensor import no_grad

    with no_grad():
        h = tensor(x[:, None])
        for W, b, c in sawtooth_params(k):
            h = F.linear(F.relu(F.linear(h, tensor(W), tensor(b))), tensor(c))
        return h.data[:, 0]


def count_pieces_on_grid(y, dx, tol=1e-6):
    """Linear pieces of a piecewise-linear function sampled on a grid containing every kink."""
    slopes = np.diff(y) / dx
    return int(1 + np.count_nonzero(np.abs(np.diff(slopes)) > tol * max(1.0, np.abs(slopes).max())))


def count_regions_along(Ws, bs, X):
    """Activation-pattern regions met along the points X (M, d) (consecutive, dense enough)."""
    h = X
    patterns = []
    for W, b in zip(Ws, bs):
        z = h @ W.T + b
        patterns.append(z > 0)
        h = np.maximum(z, 0)
    P = np.concatenate(patterns, 1)
    return int(1 + np.count_nonzero(np.any(P[1:] != P[:-1], axis=1)))


def train_shallow(width, x, yv, steps, rng):
    W1 = rng.choice([-1.0, 1.0], (width, 1)) * rng.uniform(0.5, 2.0, (width, 1))
    b1 = -W1[:, 0] * rng.uniform(0, 1, width)  # kinks spread over [0, 1]
    return fit_relu_1d(W1, b1, x, yv, steps, rng)


@experiment(
    "depth-sawtooth",
    questions=["depth-vs-width", "universal-approximation"],
    title_en="Depth vs width: the sawtooth needs 2^k − 1 shallow units but only 2k deep ones",
    title_zh="深度与宽度：锯齿函数用浅层网络需要 2^k − 1 个单元，用深层网络只需 2k 个",
)
def run(cfg: RunConfig, report: Report) -> None:
    t0 = time.perf_counter()
    # (a) exact pieces of the sawtooth --------------------------------------------------------------
    M = 2**14
    grid = np.arange(M + 1) / M  # contains every kink j / 2^k for k <= 14
    ks = list(range(1, 9))
    pieces = [count_pieces_on_grid(sawtooth_net(k, grid), 1.0 / M) for k in ks]
    report.table("sawtooth_pieces", ["depth k", "ReLU units (2k)", "linear pieces", "2^k",
                                     "shallow units needed (≥ 2^k − 1)"],
                 [[k, 2 * k, p, 2**k, 2**k - 1] for k, p in zip(ks, pieces)])
    report.claim(
        "sawtooth-has-2k-pieces",
        en="Composing the 2-unit tent map k times gives exactly 2^k linear pieces for k = 1 … 8 "
           "(largest |pieces − 2^k|, counted on a grid containing every kink).",
        zh="把 2 个单元的帐篷映射复合 k 次，对 k = 1 … 8 恰好得到 2^k 段线性片（在包含所有折点的网格上计数，|段数 − 2^k| 的最大值）。",
        value=max(abs(p - 2**k) for k, p in zip(ks, pieces)), op="==", threshold=0,
        expression="max_k |pieces − 2^k|")

    # (b) shallow nets: at most N + 1 pieces ---------------------------------------------------------
    rng = cfg.rng(0)
    line = np.linspace(-3, 3, cfg.pick(20001, 100001))[:, None]
    excess = []
    for N in (4, 16, 64):
        for _ in range(cfg.pick(10, 50)):
            W = rng.normal(size=(N, 1))
            b = rng.normal(size=N)
            excess.append(count_regions_along([W], [b], line) - (N + 1))
    report.claim(
        "shallow-at-most-n-plus-1",
        en="Random one-hidden-layer ReLU nets on a 1-D input (N = 4, 16, 64 units) never have more "
           "than N + 1 linear regions (largest regions − (N + 1)).",
        zh="随机的单隐藏层 ReLU 网络（一维输入，N = 4、16、64 个单元）的线性区域从不超过 N + 1 个（区域数 − (N + 1) 的最大值）。",
        value=max(excess), op="<=", threshold=0, expression="max (regions − (N + 1))")
    report.progress(0.2, "counting done")

    # (c) shallow nets trained on the k = 5 sawtooth ----------------------------------------------------
    k5 = 5
    xt = (np.arange(512) + 0.5) / 512
    yt = sawtooth_net(k5, xt)
    var = float(yt.var())
    widths = cfg.pick([8, 32], [8, 16, 32, 64])
    steps = cfg.pick(1500, 4000)
    mse = {}
    for j, w in enumerate(widths):
        mse[w], _ = train_shallow(w, xt, yt, steps, cfg.rng(10 + j))
        report.progress(0.2 + 0.6 * (j + 1) / len(widths), f"trained width {w}")
    report.table("shallow_on_sawtooth", ["hidden units", "training MSE / Var(y)"],
                 [[w, f"{mse[w] / var:.3g}"] for w in widths] + [["deep: 5 layers × 2 units", "0 (exact)"]])
    w_small = widths[0]
    report.claim(
        "shallow-fails-with-few-units",
        en=f"On the k = 5 sawtooth (32 pieces) a trained shallow ReLU net with {w_small} units (almost "
           f"the deep net's 10) leaves more than 30% of the variance unexplained, while the 5-layer, "
           f"2-unit-per-layer net is exact.",
        zh=f"在 k = 5 的锯齿函数（32 段）上，训练出的 {w_small} 单元浅层 ReLU 网络（与深层网络的 10 个单元相当）"
           f"仍有 30% 以上的方差没有解释，而 5 层、每层 2 个单元的网络是精确的。",
        value=mse[w_small] / var, op=">", threshold=0.3, expression=f"MSE(width {w_small}) / Var(y)")
    w_big = widths[-1]
    report.claim(
        "shallow-representable-not-learned",
        en=f"With {w_big} units (≥ 31, enough to represent the 32-piece sawtooth exactly) Adam still "
           f"leaves more than half of the variance unexplained after {steps} steps: high-frequency "
           "targets are hard for gradient descent on shallow nets.",
        zh=f"即使有 {w_big} 个单元（≥ 31，足以精确表示 32 段的锯齿函数），Adam 训练 {steps} 步后仍有一半以上的方差没有解释："
           "对浅层网络的梯度下降来说，高频目标很难学。",
        value=mse[w_big] / var, op=">", threshold=0.5, expression=f"MSE(width {w_big}) / Var(y)")

    # (d) random deep-narrow vs shallow-wide nets ------------------------------------------------------
    d_in = 2
    arrangements = [(1, 64), (2, 32), (4, 16), (8, 8)]
    a, bvec = rng.normal(size=d_in), rng.normal(size=d_in)
    tline = np.linspace(-1, 1, cfg.pick(20001, 100001))[:, None]
    Xline = tline * (bvec - a)[None, :] * 3 + (a + bvec)[None, :] / 2
    reps = cfg.pick(5, 20)
    regions = {}
    for depth, width in arrangements:
        counts = []
        for _ in range(reps):
            sizes = [d_in] + [width] * depth
            Ws = [rng.normal(0, np.sqrt(2.0 / i), (o, i)) for i, o in zip(sizes[:-1], sizes[1:])]
            bs = [rng.normal(0, 0.1, o) for o in sizes[1:]]
            counts.append(count_regions_along(Ws, bs, Xline))
        regions[(depth, width)] = float(np.mean(counts))
    report.table("random_regions", ["depth × width (64 units)", "mean regions along a line",
                                    "upper bound for this arrangement"],
                 [[f"{d} × {w}", f"{regions[(d, w)]:.1f}", f"{(w + 1) ** d:.3g}"] for d, w in arrangements])
    deep = regions[(8, 8)]
    report.claim(
        "random-deep-far-below-maximum",
        en="A random He-initialized 8 × 8 ReLU net has on average fewer than 100 linear regions along a "
           "line, although the arrangement allows up to 9^8 ≈ 4·10^7: depth's exponential capacity "
           "is not realized at random (Hanin & Rolnick 2019).",
        zh="随机 He 初始化的 8 × 8 ReLU 网络沿一条直线平均不到 100 个线性区域，尽管这种结构最多允许 9^8 ≈ 4·10^7 个："
           "深度的指数级容量在随机网络中并没有实现（Hanin & Rolnick 2019）。",
        value=deep, op="<", threshold=100, expression="mean regions (8 × 8)")
    report.metric("regions_1x64", regions[(1, 64)])
    report.metric("regions_8x8", deep)

    # figure -----------------------------------------------------------------------------------------
    fig, ax = new_figure(1, 3, size=(11.7, 3.2))
    xs = np.linspace(0, 1, 2049)
    for k in (1, 2, 3, 5):
        ax[0].plot(xs, sawtooth_net(k, xs), lw=1, label=f"k = {k}")
    ax[0].set_title("t(t(...t(x))) (k times)")
    ax[0].legend(fontsize=7)
    ax[0].set_xlabel("x")
    ax[1].semilogy(ks, pieces, "o-", label="deep: 2k units")
    ax[1].semilogy(ks, [2 * k + 1 for k in ks], "s--", label="shallow with 2k units: ≤ 2k + 1")
    ax[1].set_xlabel("depth k")
    ax[1].set_ylabel("linear pieces")
    ax[1].legend(fontsize=7)
    ax[1].set_title("pieces vs units")
    xd = np.linspace(0, 1, 1025)
    ax[2].plot(xd, sawtooth_net(k5, xd), "k", lw=1, label="k = 5 sawtooth (deep, 10 units)")
    _, p = train_shallow(w_small, xt, yt, steps, cfg.rng(10))
    import dlproof.nn.functional as F

    W1, b1, W2, b2 = (tensor(q) for q in p)
    ys = F.linear(F.relu(F.linear(tensor(xd[:, None]), W1, b1)), W2, b2).data[:, 0]
    ax[2].plot(xd, ys, "r", lw=1, label=f"shallow, {w_small} units (trained)")
    ax[2].legend(fontsize=7, loc="lower right")
    ax[2].set_title("deep exact vs shallow trained")
    report.figure(
        "sawtooth", fig,
        en="Left: the tent map composed k times. Middle: its number of linear pieces (exactly 2^k) against "
           "the at most 2k + 1 pieces of a shallow net with the same 2k units. Right: the k = 5 sawtooth "
           "and the best a trained shallow net with a similar number of units does.",
        zh="左：复合 k 次的帐篷映射。中：它的线性片数（恰为 2^k），对比同样 2k 个单元的浅层网络最多 2k + 1 片。"
           "右：k = 5 的锯齿函数，以及单元数相近的浅层网络训练后的最好结果。")
    report.metric("seconds", time.perf_counter() - t0)
    report.progress(1.0, "done")
