# ruff: noqa: E501  (bilingual claim statements are long text)
"""Parameter sharing as a constraint (Goodfellow et al. §7.9, §9.2).

One architecture, three constraints on its first weight matrix W (C·L' x L, a layer from a length-L
signal to C channels at L' = L - k + 1 positions, then ReLU, global max pooling, a linear head):
dense (W free), locally connected (W zero outside each position's window of k inputs) and
convolutional (additionally the same k weights at every position: W = T theta with a fixed 0/1
tying matrix T). Measured: parameter counts, that the tied W *is* a convolution, equivariance to
shifts, and test accuracy against the number of training examples on a task whose label is a motif
at a random position. Then soft sharing: a penalty beta ||w_A - w_B||^2 between two related
regression tasks interpolates between separate fits (beta = 0) and hard tying (beta -> infinity).
"""

from __future__ import annotations

import numpy as np

from dlproof.experiments.registry import Report, RunConfig, experiment

L, K, C = 24, 5, 4
LP = L - K + 1
MOTIFS = np.array([[1, -1, 1, -1, 1], [1, 1, -1, -1, 1]], float)


def _fig(ncols, w=3.9, h=3.3):
    from matplotlib.figure import Figure

    fig = Figure(figsize=(w * ncols, h), layout="constrained")
    return fig, fig.subplots(1, ncols)


def motif_task(rng: np.random.Generator, n: int):
    """X (n, L): N(0, 0.25) noise plus motif y (0 or 1) at a uniformly random position; y (n,)."""
    y = rng.integers(0, 2, n)
    pos = rng.integers(0, L - K + 1, n)
    X = 0.5 * rng.standard_normal((n, L))
    X[np.arange(n)[:, None], pos[:, None] + np.arange(K)] += MOTIFS[y]  # vectorised placement
    return X, y


def tying_and_mask():
    """T (C·L'·L, C·K): W.ravel() = T theta for a kernel theta (C, K); M (C·L', L): the local mask."""
    c, p, j = np.meshgrid(np.arange(C), np.arange(LP), np.arange(K), indexing="ij")
    rows, cols = (c * LP + p) * L + p + j, c * K + j
    T = np.zeros((C * LP * L, C * K))
    T[rows.ravel(), cols.ravel()] = 1.0
    M = np.zeros((C * LP, L))
    M[(c * LP + p).ravel(), (p + j).ravel()] = 1.0
    return T, M


def _fit(kind, X, y, Xte, yte, rng, T, M, steps):
    import dlproof.nn.functional as F
    from dlproof.engine import tensor
    from dlproof.nn.module import Parameter
    from dlproof.optim.adam import Adam

    if kind == "conv":
        theta = Parameter(rng.standard_normal(C * K) / np.sqrt(K))
    else:
        theta = Parameter(rng.standard_normal((C * LP, L)) / np.sqrt(K if kind == "local" else L))
    b = Parameter(np.zeros((C, 1)))
    V = Parameter(rng.standard_normal((2, C)) / 2)
    c0 = Parameter(np.zeros(2))
    Tt, Mt = tensor(T), tensor(M)

    def weight():
        if kind == "conv":
            return (Tt @ theta).reshape(C * LP, L)  # tied: every position uses the same kernel
        if kind == "local":
            return theta * Mt  # local connectivity, untied
        return theta

    def forward(Xa):
        h = (tensor(Xa) @ weight().T).reshape(Xa.shape[0], C, LP) + b
        return F.relu(h).amax(dim=2) @ V.T + c0  # global max pool over positions, linear head

    opt = Adam([theta, b, V, c0], lr=0.03)
    for _ in range(steps):  # loop over full-batch steps
        opt.zero_grad()
        F.cross_entropy(forward(X), y).backward()
        opt.step()
    return float((forward(Xte).data.argmax(1) == yte).mean())


@experiment(
    "weight-sharing-efficiency",
    questions=["parameter-sharing"],
    title_en="Parameter sharing: counts, conv = tied dense, equivariance, sample efficiency, soft sharing",
    title_zh="参数共享：参数量、卷积 = 绑定的全连接、等变性、样本效率、软共享",
)
def run(cfg: RunConfig, report: Report) -> None:
    import dlproof.nn.functional as F
    from dlproof.engine import tensor

    rng = cfg.rng(0)
    T, M = tying_and_mask()
    counts = {"dense": C * LP * L, "local": int(M.sum()), "conv": C * K}
    report.table("parameters", ["layer", "weights", "formula"],
                 [["dense", counts["dense"], "C·L′·L"], ["locally connected", counts["local"], "C·L′·k"], ["convolution", counts["conv"], "C·k"]])
    report.claim(
        "sharing-cuts-parameters",
        en=f"For a length-{L} input, {C} channels and kernel size {K}, the first layer has {counts['dense']} weights dense, {counts['local']} locally connected and {counts['conv']} as a convolution: sharing the kernel across the {LP} positions divides the count by the number of positions, and the convolution's count does not depend on the input length at all. Value: locally connected / convolution.",
        zh=f"输入长度 {L}、{C} 个通道、卷积核大小 {K} 时，第一层的权重数：全连接 {counts['dense']}，局部连接 {counts['local']}，卷积 {counts['conv']}：在 {LP} 个位置上共享卷积核，参数量除以位置数，而卷积的参数量与输入长度完全无关。数值：局部连接 / 卷积。",
        value=counts["local"] / counts["conv"], op="==", threshold=LP, expression="#local / #conv")

    theta = rng.standard_normal((C, K))
    W = (T @ theta.ravel()).reshape(C * LP, L)
    x = rng.standard_normal((3, L))
    conv_out = F.conv1d(tensor(x[:, None, :]), tensor(theta[:, None, :])).data  # (3, C, L')
    tied_err = float(np.abs((x @ W.T).reshape(3, C, LP) - conv_out).max())
    report.claim(
        "tied-dense-is-convolution",
        en="A dense layer whose weights are constrained by the tying matrix (the same kernel at every position) computes exactly the library's 1-D convolution (cross-correlation) (largest absolute difference): parameter sharing is a hard equality constraint on a dense layer.",
        zh="权重受绑定矩阵约束（每个位置同一个卷积核）的全连接层，精确地计算库中的一维卷积（互相关）（最大绝对差）：参数共享是对全连接层的硬等式约束。",
        value=tied_err, op="<", threshold=1e-12, expression="max|W_tied x − conv1d(x, θ)|")
    s = 3
    xs = np.zeros_like(x)
    xs[:, s:] = x[:, :-s]  # shift right by s (zeros enter on the left)
    out, out_s = (x @ W.T).reshape(3, C, LP), (xs @ W.T).reshape(3, C, LP)
    eq_conv = float(np.abs(out_s[:, :, s:] - out[:, :, :-s]).max())
    W_loc = rng.standard_normal((C * LP, L)) * M
    lo, lo_s = (x @ W_loc.T).reshape(3, C, LP), (xs @ W_loc.T).reshape(3, C, LP)
    eq_loc = float(np.abs(lo_s[:, :, s:] - lo[:, :, :-s]).max() / np.abs(lo).max())
    report.claim(
        "conv-equivariant-local-not",
        en=f"Shifting the input by {s} shifts the convolution's output by {s} positions exactly (largest difference on the valid positions below 1e-12), while a locally connected layer with the same windows but untied weights changes its output by a large fraction of its scale. Value: the locally connected layer's relative change (0 if the convolution were not exact).",
        zh=f"输入平移 {s} 位，卷积输出精确地平移 {s} 个位置（有效位置上的最大差低于 1e-12），而窗口相同但权重不共享的局部连接层的输出变化达到其尺度的很大比例。数值：局部连接层的相对变化（若卷积不精确则为 0）。",
        value=eq_loc if eq_conv < 1e-12 else 0.0, op=">", threshold=0.3, expression="max|LC(shift x) − shift LC(x)| / max|LC(x)|")
    report.progress(0.15, "counts and equivariance")

    # sample efficiency ------------------------------------------------------------------------------
    sizes = cfg.pick([16, 256], [16, 64, 256])
    steps = cfg.pick(250, 300)
    data_rng = cfg.rng(1)
    Xte, yte = motif_task(data_rng, 1000)
    acc = {kind: [] for kind in ("conv", "local", "dense")}
    for i, n in enumerate(sizes):
        X, y = motif_task(data_rng, n)
        for kind in acc:
            acc[kind].append(_fit(kind, X, y, Xte, yte, cfg.rng(10 + i), T, M, steps))
        report.progress(0.15 + 0.65 * (i + 1) / len(sizes), f"n = {n}")
    report.table("test_accuracy", ["n train"] + list(acc), [[n] + [f"{acc[k][i]:.3f}" for k in acc] for i, n in enumerate(sizes)])
    report.claim(
        "conv-more-sample-efficient",
        en=f"On the motif task (label = which of two motifs appears at a random position, test set of 1000), with only {sizes[0]} training examples the convolutional model's test accuracy exceeds the dense model's by more than 0.15 (difference; same architecture, optimiser and steps, only the constraint on W differs).",
        zh=f"在模体任务上（标签 = 随机位置出现的是两种模体中的哪一种，测试集 1000 个），只有 {sizes[0]} 个训练样本时，卷积模型的测试精度比全连接模型高 0.15 以上（差值；结构、优化器和步数相同，只有对 W 的约束不同）。",
        value=acc["conv"][0] - acc["dense"][0], op=">", threshold=0.15, expression=f"acc_conv − acc_dense at n = {sizes[0]}")
    report.claim(
        "conv-small-data-matches-dense-big-data",
        en=f"The convolutional model trained on {sizes[0]} examples is more accurate than the dense model trained on {sizes[-1]} ({sizes[-1] // sizes[0]} times more data) (difference conv({sizes[0]}) − dense({sizes[-1]})): when the prior (translation invariance) matches the data, sharing is worth an order of magnitude of data.",
        zh=f"用 {sizes[0]} 个样本训练的卷积模型，精度高于用 {sizes[-1]} 个样本（{sizes[-1] // sizes[0]} 倍数据）训练的全连接模型（差值 conv({sizes[0]}) − dense({sizes[-1]})）：当先验（平移不变性）与数据相符时，共享抵得上一个数量级的数据。",
        value=acc["conv"][0] - acc["dense"][-1], op=">", threshold=0.0, expression=f"acc_conv(n={sizes[0]}) − acc_dense(n={sizes[-1]})")

    # soft sharing between two models ------------------------------------------------------------------
    d, n_task = 10, 20
    betas = np.array([0.0, 0.3, 1, 3, 10, 30, 100, 1e8])
    reps = cfg.pick(100, 300)
    r4 = cfg.rng(2)
    err = np.zeros(betas.size)
    lim_err = 0.0
    for _ in range(reps):  # loop over independent replications (each a small closed-form solve)
        wA = r4.standard_normal(d)
        wB = wA + 0.6 * r4.standard_normal(d)  # related tasks
        XA, XB = r4.standard_normal((n_task, d)), r4.standard_normal((n_task, d))
        yA, yB = XA @ wA + r4.standard_normal(n_task), XB @ wB + r4.standard_normal(n_task)
        for j, bta in enumerate(betas):
            # normal equations of ||XA a − yA||² + ||XB b − yB||² + β||a − b||²
            A = np.block([[XA.T @ XA + bta * np.eye(d), -bta * np.eye(d)], [-bta * np.eye(d), XB.T @ XB + bta * np.eye(d)]])
            sol = np.linalg.solve(A, np.concatenate([XA.T @ yA, XB.T @ yB]))
            err[j] += np.sum((sol[:d] - wA) ** 2) + np.sum((sol[d:] - wB) ** 2)
            if bta == betas[-1]:
                Xp, yp = np.vstack([XA, XB]), np.concatenate([yA, yB])
                pooled = np.linalg.lstsq(Xp, yp, rcond=None)[0]  # hard tying: one shared w
                lim_err = max(lim_err, float(np.abs(sol[:d] - pooled).max() / np.abs(pooled).max()))
    err /= reps
    report.table("soft_sharing", ["β", "mean ||ŵ − w||² (both tasks)"], [[float(bt), f"{e:.3f}"] for bt, e in zip(betas, err)])
    report.claim(
        "hard-tying-is-infinite-penalty",
        en="Soft sharing between two regression models, penalty β||w_A − w_B||²: at β = 1e8 the two solutions coincide with the single pooled least-squares fit of both data sets (hard parameter tying), largest relative difference over the replications.",
        zh="两个回归模型之间的软共享，惩罚 β||w_A − w_B||²：β = 1e8 时两个解与把两组数据合并后的单个最小二乘解一致（硬参数绑定），各次重复中的最大相对差。",
        value=lim_err, op="<", threshold=1e-5, expression="max |w_A(β=1e8) − w_pooled| / max|w_pooled|")
    best = float(err[1:-1].min())
    report.claim(
        "soft-sharing-beats-both-extremes",
        en=f"When the tasks are related but not equal (w_B = w_A + 0.6·noise, {n_task} examples each, d = {d}), an intermediate β has a lower mean parameter error than both separate fits (β = 0: {err[0]:.2f}) and hard tying (β → ∞: {err[-1]:.2f}) over {reps} replications. Value: best intermediate error / the better extreme.",
        zh=f"当任务相关但不相同时（w_B = w_A + 0.6·噪声，每个任务 {n_task} 个样本，d = {d}），在 {reps} 次重复上，中间的 β 的平均参数误差低于分别拟合（β = 0：{err[0]:.2f}）和硬绑定（β → ∞：{err[-1]:.2f}）。数值：最佳中间误差 / 两端中较好的一个。",
        value=best / min(err[0], err[-1]), op="<", threshold=0.8, expression="min_β err(β) / min(err(0), err(∞))")

    fig, axs = _fig(2)
    for kind, lab in (("conv", "convolution (shared)"), ("local", "locally connected"), ("dense", "dense")):
        axs[0].semilogx(sizes, acc[kind], "o-", label=f"{lab}: {counts[kind]} weights")
    axs[0].set_xlabel("training examples")
    axs[0].set_ylabel("test accuracy")
    axs[0].legend(fontsize=7)
    axs[1].semilogx(betas[1:-1], err[1:-1], "o-", label="soft sharing β||w_A − w_B||²")
    axs[1].axhline(err[0], ls="--", color="gray", label="β = 0 (separate)")
    axs[1].axhline(err[-1], ls=":", color="k", label="β → ∞ (tied)")
    axs[1].set_xlabel("β")
    axs[1].set_ylabel("mean parameter error")
    axs[1].legend(fontsize=7)
    report.figure("sharing", fig,
                  en="Left: test accuracy against training-set size for the same network with dense, locally connected and convolutional (shared) first layers. Right: soft parameter sharing between two related regression tasks.",
                  zh="左：同一网络第一层为全连接、局部连接、卷积（共享）时测试精度随训练集大小的变化。右：两个相关回归任务之间的软参数共享。")
