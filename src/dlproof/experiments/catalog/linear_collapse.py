"""Without a nonlinearity a deep network is one linear map: it cannot fit XOR or two moons.

Four models on two 2-D problems (XOR as four Gaussian blobs, two interleaved moons), trained
full-batch with Adam on the cross-entropy: logistic regression, a 5-layer *linear* MLP (width 16,
identity activations), and the same 5-layer MLP with ReLU and with tanh. After training we
multiply the deep linear net's matrices out and check that it *is* a single affine map.
"""

from __future__ import annotations

import numpy as np

import dlproof
from dlproof.data import two_moons, xor_blobs
from dlproof.experiments.registry import RunConfig, experiment
from dlproof.models.mlp import ACTIVATIONS, flat, init_mlp, mlp_forward
from dlproof.nn.functional import cross_entropy

MODELS = {  # name: (hidden sizes, activation, init gain^2)
    "logistic regression": ([], "identity", 1.0),
    "5-layer linear": ([16, 16, 16, 16], "identity", 1.0),
    "5-layer ReLU": ([16, 16, 16, 16], "relu", 2.0),
    "5-layer tanh": ([16, 16, 16, 16], "tanh", 1.0),
}


def fit(name, X, y, steps, seed):
    from dlproof.optim import Adam

    hidden, act_name, g2 = MODELS[name]
    params = init_mlp([2, *hidden, 2], np.random.default_rng([seed, 5]), gain2=g2)
    act = ACTIVATIONS[act_name]
    opt = Adam(flat(params), lr=0.01)
    for _ in range(steps):
        opt.zero_grad()
        cross_entropy(mlp_forward(params, X, act), y).backward()
        opt.step()
    return params, act


def predict(params, act, X):
    with dlproof.no_grad():
        return mlp_forward(params, X, act).numpy()


@experiment("linear-collapse", questions=["why-nonlinearity"],
            title_en="Deep linear networks collapse to one linear map; a nonlinearity fixes it",
            title_zh="没有非线性的深度网络退化成一个线性映射；加入非线性后才能拟合 XOR")
def run(cfg: RunConfig, report) -> None:
    rng = cfg.rng()
    n = cfg.pick(400, 800)
    steps = cfg.pick(400, 800)
    datasets = {"XOR": xor_blobs(n, rng), "two moons": two_moons(n, rng)}
    acc: dict[tuple[str, str], float] = {}
    fitted = {}
    k = 0
    for dname, (X, y) in datasets.items():
        for m in MODELS:
            params, act = fit(m, X, y, steps, cfg.seed)
            fitted[(dname, m)] = (params, act)
            acc[(dname, m)] = float((predict(params, act, X).argmax(1) == y).mean())
            k += 1
            report.progress(0.85 * k / (len(datasets) * len(MODELS)), f"{dname}: {m}")
    report.table("accuracy", ["model", *datasets], [[m] + [acc[(d, m)] for d in datasets]
                                                    for m in MODELS])

    # The trained deep linear net is one affine map x -> M x + c.
    params, _ = fitted[("two moons", "5-layer linear")]
    M = np.eye(2)
    c = np.zeros(2)
    for W, b in params:
        M = W.data @ M
        c = W.data @ c + b.data
    Xt = datasets["two moons"][0]
    collapse = float(np.abs(predict(params, ACTIVATIONS["identity"], Xt) - (Xt @ M.T + c)).max())
    report.metric("deep_linear_vs_product_max_abs_diff", collapse)
    report.claim("deep-linear-is-one-map",
                 en="After training, the 5-layer linear net's outputs equal x -> (W5...W1) x + c, one "
                    "affine map (max absolute difference below 1e-12).",
                 zh="训练后，5 层线性网络的输出等于单个仿射映射 x -> (W5...W1) x + c"
                    "（最大绝对差小于 1e-12）。",
                 value=collapse, op="<", threshold=1e-12, expression="max|net(x) - (Mx + c)|")
    lin_xor = max(acc[("XOR", "logistic regression")], acc[("XOR", "5-layer linear")])
    report.claim("linear-fails-xor",
                 en="On XOR, logistic regression and the 5-layer linear net both stay at or below "
                    "80% training accuracy (no line separates XOR; the best line gets about 75%).",
                 zh="在 XOR 上，逻辑回归和 5 层线性网络的训练准确率都不超过 80%（没有直线能分开 "
                    "XOR，最好的直线约 75%）。",
                 value=lin_xor, op="<=", threshold=0.8, expression="max(acc_logreg, acc_linear5)")
    nonlin_xor = min(acc[("XOR", "5-layer ReLU")], acc[("XOR", "5-layer tanh")])
    report.claim("nonlinear-solves-xor",
                 en="The same 5-layer net with ReLU or tanh reaches at least 95% on XOR.",
                 zh="同样的 5 层网络换成 ReLU 或 tanh 后，在 XOR 上的准确率至少 95%。",
                 value=nonlin_xor, op=">=", threshold=0.95, expression="min(acc_relu5, acc_tanh5)")
    lin_moons = max(acc[("two moons", "logistic regression")], acc[("two moons", "5-layer linear")])
    nonlin_moons = min(acc[("two moons", "5-layer ReLU")], acc[("two moons", "5-layer tanh")])
    report.claim("linear-capped-on-moons",
                 en="On two moons the linear models are capped by the best line: at most 92%.",
                 zh="在双月数据上，线性模型受限于最好的直线：准确率不超过 92%。",
                 value=lin_moons, op="<=", threshold=0.92, expression="max(acc_logreg, acc_linear5)")
    report.claim("nonlinear-fits-moons",
                 en="With ReLU or tanh the 5-layer net reaches at least 97% on two moons.",
                 zh="使用 ReLU 或 tanh 的 5 层网络在双月数据上至少达到 97%。",
                 value=nonlin_moons, op=">=", threshold=0.97, expression="min(acc_relu5, acc_tanh5)")
    gap = abs(acc[("two moons", "logistic regression")] - acc[("two moons", "5-layer linear")])
    report.claim("depth-adds-nothing-linear",
                 en="Depth adds nothing without a nonlinearity: on two moons the 5-layer linear net "
                    "and logistic regression differ by at most 2 points of accuracy.",
                 zh="没有非线性时深度毫无帮助：在双月数据上，5 层线性网络与逻辑回归的准确率相差"
                    "不超过 2 个百分点。",
                 value=gap, op="<=", threshold=0.02, expression="|acc_linear5 - acc_logreg|")

    from dlproof.experiments.figures import new_figure

    fig, axes = new_figure(2, 4, size=(13.0, 6.4))
    for r, (dname, (X, y)) in enumerate(datasets.items()):
        lo, hi = X.min(0) - 0.5, X.max(0) + 0.5
        gx, gy = np.meshgrid(np.linspace(lo[0], hi[0], 120), np.linspace(lo[1], hi[1], 120))
        grid = np.c_[gx.ravel(), gy.ravel()]
        for col, m in enumerate(MODELS):
            ax = axes[r, col]
            params, act = fitted[(dname, m)]
            logits = predict(params, act, grid)
            p1 = np.exp(logits[:, 1] - np.logaddexp(logits[:, 0], logits[:, 1]))
            ax.contourf(gx, gy, p1.reshape(gx.shape), levels=np.linspace(0, 1, 11), cmap="RdBu_r",
                        alpha=0.6)
            ax.scatter(X[:, 0], X[:, 1], c=y, cmap="RdBu_r", s=5, edgecolors="none")
            ax.set_title(f"{m}\n{dname}: acc {acc[(dname, m)]:.2f}", fontsize=9)
            ax.set_xticks([])
            ax.set_yticks([])
    report.figure("decision-boundaries", fig,
                  en="Decision regions on XOR (top) and two moons (bottom). Logistic regression and "
                     "the 5-layer linear net draw the same kind of boundary, a straight line; with "
                     "ReLU or tanh the same architecture bends it and fits both problems.",
                  zh="XOR（上）与双月（下）上的决策区域。逻辑回归和 5 层线性网络画出的是同一种边界："
                     "一条直线；同样的结构换成 ReLU 或 tanh 后，边界可以弯曲，两个问题都能拟合。")
    report.progress(1.0, "done")
