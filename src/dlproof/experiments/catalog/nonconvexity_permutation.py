# ruff: noqa: E501  (bilingual claim statements are long text)
"""What hidden layers buy and what they cost: convex logistic regression vs a non-convex MLP.

On two interleaved spirals, logistic regression on the raw coordinates (a convex problem: the loss
along every segment lies below the chord) cannot separate the classes; a 2-32-32-1 ReLU MLP
trained with Adam fits them. The MLP's loss is non-convex: permuting its hidden units gives a
second minimum with exactly the same loss, and the loss along the straight segment between the
two minima rises far above both ends (a barrier), which a convex function cannot do. Different
seeds reach equally low losses at far-apart parameters.
"""

from __future__ import annotations

import time

import numpy as np

from dlproof.engine import tensor
from dlproof.experiments.figures import new_figure
from dlproof.experiments.registry import Report, RunConfig, experiment

H = 32


def spirals(n, rng, turns=2.0, noise=0.05):
    """Two interleaved spirals, n points each: X (2n, 2), y (2n,) in {0, 1}."""
    t = np.sqrt(rng.uniform(0, 1, n)) * turns * 2 * np.pi
    r = 2 * t / (turns * 2 * np.pi)
    X0 = np.stack([r * np.cos(t), r * np.sin(t)], 1)
    X = np.concatenate([X0, -X0]) + rng.normal(0, noise, (2 * n, 2))
    return X, np.concatenate([np.zeros(n), np.ones(n)])


def mlp_loss(theta, X, y):
    """Mean BCE of the MLP with flat parameters theta (list of arrays), via the engine."""
    import dlproof.nn.functional as F
    from dlproof.engine.tensor import no_grad

    W1, b1, W2, b2, W3, b3 = (tensor(p) for p in theta)
    with no_grad():
        h = F.relu(F.linear(tensor(X), W1, b1))
        h = F.relu(F.linear(h, W2, b2))
        o = F.linear(h, W3, b3)
        return float(F.binary_cross_entropy_with_logits(o, tensor(y[:, None])).data), o.data[:, 0]


def train_mlp(X, y, seed_rng, steps):
    import dlproof.nn.functional as F
    from dlproof.optim import Adam

    sizes = [2, H, H, 1]
    P = []
    for i, o in zip(sizes[:-1], sizes[1:]):
        P += [tensor(seed_rng.normal(0, np.sqrt(2 / i), (o, i)), True), tensor(np.zeros(o), True)]
    opt = Adam(P, lr=1e-2)
    Xt, Yt = tensor(X), tensor(y[:, None])
    for _ in range(steps):
        opt.zero_grad()
        h = F.relu(F.linear(Xt, P[0], P[1]))
        h = F.relu(F.linear(h, P[2], P[3]))
        loss = F.binary_cross_entropy_with_logits(F.linear(h, P[4], P[5]), Yt)
        loss.backward()
        opt.step()
    return [p.data.copy() for p in P]


def logreg_loss(w, X, y):
    import dlproof.nn.functional as F
    from dlproof.engine.tensor import no_grad

    with no_grad():
        o = F.linear(tensor(X), tensor(w[None, :2]), tensor(w[2:]))
        return float(F.binary_cross_entropy_with_logits(o, tensor(y[:, None])).data), o.data[:, 0]


def train_logreg(X, y, steps):
    import dlproof.nn.functional as F
    from dlproof.optim import SGD

    W = tensor(np.zeros((1, 2)), True)
    b = tensor(np.zeros(1), True)
    opt = SGD([W, b], lr=0.5)
    for _ in range(steps):
        opt.zero_grad()
        F.binary_cross_entropy_with_logits(F.linear(tensor(X), W, b), tensor(y[:, None])).backward()
        opt.step()
    return np.concatenate([W.data[0], b.data])


def permute(theta, p1, p2):
    W1, b1, W2, b2, W3, b3 = theta
    return [W1[p1], b1[p1], W2[p2][:, p1], b2[p2], W3[:, p2], b3]


def flat(theta):
    return np.concatenate([p.ravel() for p in theta])


def interp(a, b, t):
    return [(1 - t) * x + t * z for x, z in zip(a, b)]


@experiment(
    "nonconvexity-permutation",
    questions=["nonconvexity-hidden-layers"],
    title_en="Convex logistic regression vs a non-convex MLP: capacity, permutation minima and barriers",
    title_zh="凸的逻辑回归与非凸的 MLP：表示能力、置换极小值与势垒",
)
def run(cfg: RunConfig, report: Report) -> None:
    t0 = time.perf_counter()
    X, y = spirals(cfg.pick(100, 200), cfg.rng(0))
    steps = cfg.pick(1200, 2500)
    n_seeds = cfg.pick(3, 6)

    # convex model -------------------------------------------------------------------------------
    w_lr = train_logreg(X, y, cfg.pick(300, 1000))
    L_lr, o_lr = logreg_loss(w_lr, X, y)
    acc_lr = float(((o_lr > 0) == y).mean())
    w_far = cfg.rng(1).normal(0, 3, 3)  # any other point: convexity holds along every segment
    ts = np.linspace(0, 1, 41)
    lr_path = np.array([logreg_loss((1 - t) * w_lr + t * w_far, X, y)[0] for t in ts])
    chord = (1 - ts) * lr_path[0] + ts * lr_path[-1]
    lr_violation = float((lr_path - chord).max())

    # non-convex model ------------------------------------------------------------------------------
    thetas, losses, accs = [], [], []
    for s in range(n_seeds):
        th = train_mlp(X, y, cfg.rng(10 + s), steps)
        L, o = mlp_loss(th, X, y)
        thetas.append(th)
        losses.append(L)
        accs.append(float(((o > 0) == y).mean()))
        report.progress(0.8 * (s + 1) / n_seeds, f"trained seed {s}")
    report.table("models", ["model", "training loss", "training accuracy"],
                 [["logistic regression (convex)", f"{L_lr:.4f}", f"{acc_lr:.3f}"]] +
                 [[f"MLP 2-32-32-1, seed {s}", f"{L:.2e}", f"{a:.3f}"]
                  for s, (L, a) in enumerate(zip(losses, accs))])
    report.claim(
        "convex-model-underfits",
        en="Logistic regression on the raw coordinates of two spirals (a convex problem with a global "
           "optimum) reaches a training accuracy below 0.75.",
        zh="在两条螺旋线的原始坐标上做逻辑回归（凸问题，有全局最优）：训练准确率低于 0.75。",
        value=acc_lr, op="<", threshold=0.75, expression="accuracy (logistic regression)")
    report.claim(
        "mlp-fits",
        en=f"A 2-32-32-1 ReLU MLP trained with Adam from each of {n_seeds} seeds reaches training accuracy "
           "above 0.98 (the smallest over seeds).",
        zh=f"2-32-32-1 的 ReLU MLP 用 Adam 从 {n_seeds} 个随机种子分别训练，训练准确率都高于 0.98（各种子中的最小值）。",
        value=min(accs), op=">", threshold=0.98, expression="min accuracy over seeds")
    report.claim(
        "logistic-loss-convex-along-segment",
        en="Along the segment from the logistic-regression optimum to a random point, the loss never "
           "exceeds the chord (largest L(t) − [(1−t)L(0) + tL(1)] over 41 points).",
        zh="从逻辑回归的最优点到一个随机点的线段上，损失从不超过弦（41 个点上 L(t) − [(1−t)L(0) + tL(1)] 的最大值）。",
        value=lr_violation, op="<=", threshold=1e-12, expression="max (L(t) − chord(t))")

    # permutation minimum and the barrier ----------------------------------------------------------
    A = thetas[0]
    p1 = cfg.rng(2).permutation(H)
    p2 = cfg.rng(3).permutation(H)
    Ap = permute(A, p1, p2)
    L_A, L_Ap = mlp_loss(A, X, y)[0], mlp_loss(Ap, X, y)[0]
    perm_path = np.array([mlp_loss(interp(A, Ap, t), X, y)[0] for t in ts])
    seed_path = np.array([mlp_loss(interp(A, thetas[1], t), X, y)[0] for t in ts])
    barrier = float(perm_path.max() - max(L_A, L_Ap))
    report.metric("loss_A", L_A)
    report.metric("loss_permuted_A", L_Ap)
    report.claim(
        "permuted-minimum-same-loss",
        en="Permuting the hidden units of a trained MLP (both hidden layers) gives another minimum with "
           "the same loss (absolute difference).",
        zh="把训练好的 MLP 两个隐藏层的单元重新排列，得到另一个损失相同的极小值（绝对差）。",
        value=abs(L_A - L_Ap), op="<", threshold=1e-9, expression="|L(θ) − L(πθ)|")
    report.claim(
        "barrier-between-permuted-minima",
        en="The loss along the straight segment between θ and its permutation πθ rises more than 0.3 nats "
           "above the endpoints, which no convex function can do (max over the segment minus the "
           "endpoint loss).",
        zh="θ 与其置换 πθ 之间直线段上的损失比端点高出 0.3 nat 以上，凸函数不可能如此（线段上的最大值减去端点损失）。",
        value=barrier, op=">", threshold=0.3, expression="max_t L − max(L(θ), L(πθ))")
    flats = [flat(t) for t in thetas]
    dists = [np.linalg.norm(flats[i] - flats[j]) / np.linalg.norm(flats[i])
             for i in range(n_seeds) for j in range(i + 1, n_seeds)]
    report.metric("seed_loss_max", max(losses))
    report.claim(
        "seeds-reach-equal-loss",
        en=f"All {n_seeds} seeds reach a training loss below 0.01 (the largest over seeds).",
        zh=f"{n_seeds} 个种子都把训练损失降到 0.01 以下（各种子中的最大值）。",
        value=max(losses), op="<", threshold=0.01, expression="max loss over seeds")
    report.claim(
        "seeds-far-apart",
        en="…at parameter vectors far apart from each other: smallest pairwise relative distance "
           "||θ_i − θ_j|| / ||θ_i|| above 0.5 (different minima, not one).",
        zh="……而它们的参数向量彼此相距很远：两两相对距离 ||θ_i − θ_j|| / ||θ_i|| 的最小值大于 0.5（是不同的极小值，而不是同一个）。",
        value=min(dists), op=">", threshold=0.5, expression="min_ij ||θ_i − θ_j|| / ||θ_i||")
    report.progress(0.9, "segments done")

    # figures ---------------------------------------------------------------------------------------
    fig, ax = new_figure(1, 3, size=(11.7, 3.4))
    gx = np.linspace(-2.6, 2.6, 161)
    GX, GY = np.meshgrid(gx, gx)
    G = np.stack([GX.ravel(), GY.ravel()], 1)
    ax[0].contourf(GX, GY, (mlp_loss(A, G, np.zeros(len(G)))[1] > 0).reshape(GX.shape), levels=1,
                   colors=["#dde8f5", "#f7e0d5"])
    ax[0].contour(GX, GY, logreg_loss(w_lr, G, np.zeros(len(G)))[1].reshape(GX.shape), levels=[0],
                  colors="k", linestyles="--")
    ax[0].scatter(X[:, 0], X[:, 1], c=y, s=4, cmap="coolwarm")
    ax[0].set_title(f"MLP acc {accs[0]:.2f} (shaded) vs logistic {acc_lr:.2f} (dashed)", fontsize=8)
    ax[0].set_aspect("equal")
    ax[1].plot(ts, perm_path, label="MLP: θ → πθ (permuted)")
    ax[1].plot(ts, seed_path, label="MLP: θ_seed0 → θ_seed1")
    ax[1].set_xlabel("t")
    ax[1].set_ylabel("training loss")
    ax[1].legend(fontsize=7)
    ax[1].set_title("non-convex: barriers")
    ax[2].plot(ts, lr_path, label="logistic: L(t)")
    ax[2].plot(ts, chord, "k:", label="chord")
    ax[2].set_xlabel("t")
    ax[2].legend(fontsize=7)
    ax[2].set_title("convex: below the chord")
    report.figure(
        "nonconvexity", fig,
        en="Left: two spirals; the MLP's decision regions (shaded) against logistic regression's line "
           "(dashed). Middle: training loss along the straight segment between an MLP solution and its "
           "hidden-unit permutation (same loss at both ends) and between two seeds' solutions: a "
           "barrier. Right: logistic regression's loss along a segment stays below the chord.",
        zh="左：两条螺旋线；MLP 的决策区域（阴影）与逻辑回归的分界线（虚线）。中：MLP 的一个解与其隐藏单元置换之间"
           "（两端损失相同），以及两个种子的解之间，沿直线段的训练损失：有势垒。右：逻辑回归沿线段的损失始终在弦之下。")
    report.metric("seconds", time.perf_counter() - t0)
    report.progress(1.0, "done")
