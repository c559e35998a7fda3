# ruff: noqa: E501  (bilingual claim statements are long text)
"""What padding does: keeps the map size (so depth is decoupled from kernel size), gives border
pixels a fair share of outputs, and, as a side effect, tells the network where the border is.

1. Influence counts: how many outputs of a 3x3 conv each input pixel of an 8x8 image reaches, valid
   vs same (the gradient of sum(outputs) with an all-ones kernel, i.e. a transposed conv of ones).
2. Map size against the number of stacked 3x3 layers on a 32x32 input, valid vs same (actual shapes).
3. Position probe (Islam et al. 2020): a random 3-layer ReLU CNN with global average pooling sees an
   image with one bright pixel (plus a fixed noise pattern) circularly rolled to every position of a
   16x16 grid; a ridge probe on the pooled features predicts the pixel's (row, col) on held-out
   positions. Zero (and reflect) padding leak the position; circular padding makes the features
   exactly position-independent.
"""

from __future__ import annotations

import numpy as np

from dlproof.engine import tensor
from dlproof.experiments.figures import new_figure
from dlproof.experiments.registry import Report, RunConfig, experiment

MODES = {"zero": "constant", "reflect": "reflect", "circular": "circular"}


def influence(H: int, K: int, padding: int) -> np.ndarray:
    """count[i, j] = number of outputs of a K x K conv whose window covers input pixel (i, j)."""
    import dlproof.nn.functional as F

    x = tensor(np.zeros((1, 1, H, H)), requires_grad=True)
    F.conv2d(x, tensor(np.ones((1, 1, K, K))), padding=padding).sum().backward()
    return x.grad[0, 0]


def pooled_features(X: np.ndarray, weights, mode: str) -> np.ndarray:
    """Global-average-pooled ReLU features of every layer of a 3x3 conv stack with 'same' padding."""
    import dlproof.nn.functional as F

    h, out = tensor(X), []
    for W in weights:
        h = F.conv2d(F.pad(h, (1, 1, 1, 1), mode=mode), tensor(W)).relu()
        out.append(h.data.mean(axis=(2, 3)))
    return np.concatenate(out, axis=1)


def probe_r2(Phi: np.ndarray, T: np.ndarray, rng, lam: float = 1e-2) -> np.ndarray:
    """Held-out R^2 per target column of a ridge probe on standardized features (random half split)."""
    n = len(Phi)
    idx = rng.permutation(n)
    tr, te = idx[: n // 2], idx[n // 2:]
    mu, sd = Phi[tr].mean(0), Phi[tr].std(0) + 1e-8
    A = np.c_[(Phi - mu) / sd, np.ones(n)]
    w = np.linalg.solve(A[tr].T @ A[tr] + lam * np.eye(A.shape[1]), A[tr].T @ T[tr])
    resid = A[te] @ w - T[te]
    return 1 - (resid ** 2).sum(0) / ((T[te] - T[te].mean(0)) ** 2).sum(0)


@experiment(
    "padding-effects",
    questions=["conv-padding"],
    title_en="Padding: map size against depth, border under-representation, and position leaking through zero padding",
    title_zh="填充：特征图大小随深度的变化、边界像素的利用不足、零填充泄露位置信息",
)
def run(cfg: RunConfig, report: Report) -> None:
    import dlproof.nn.functional as F

    # (1) influence counts ------------------------------------------------------------------------
    valid = influence(8, 3, 0)
    same = influence(8, 3, 1)
    report.table("influence_valid", [f"col {j}" for j in range(8)], valid.astype(int).tolist())
    report.claim(
        "valid-corner-vs-center",
        en="Valid 3×3 conv on an 8×8 input: a corner pixel reaches 1 output, a central pixel K² = 9 "
           "(ratio of the counts: corner / centre).",
        zh="8×8 输入上的 valid 3×3 卷积：角上的像素只影响 1 个输出，中心像素影响 K² = 9 个（两者之比：角 / 中心）。",
        value=float(valid[0, 0] / valid[4, 4]), op="==", threshold=1 / 9, expression="count(corner) / count(centre)")
    report.claim(
        "same-corner-count",
        en="With same (zero) padding the corner pixel reaches 4 outputs, an edge pixel 6 and every interior pixel 9: "
           "the border is still used less, but far less unevenly (corner count).",
        zh="用 same（零）填充时，角上的像素影响 4 个输出，边上的 6 个，内部每个像素 9 个：边界仍用得较少，但不均衡程度小得多（角上的计数）。",
        value=float(same[0, 0]) if (same[0, 3] == 6 and same[4, 4] == 9) else -1.0, op="==", threshold=4.0,
        expression="count(corner), same padding")
    border_share_valid = float(valid[[0, -1]].sum() + valid[1:-1, [0, -1]].sum()) / valid.sum()
    report.metric("border_share_of_connections_valid", border_share_valid)
    report.metric("border_share_of_pixels", 28 / 64)

    # (2) map size against depth -----------------------------------------------------------------------
    sizes = {"valid": [32], "same": [32]}
    for name, pad in (("valid", 0), ("same", 1)):
        h = tensor(np.zeros((1, 1, 32, 32)))
        w = tensor(np.zeros((1, 1, 3, 3)))
        for _ in range(20):
            if h.shape[-1] + 2 * pad < 3:
                break
            h = F.conv2d(h, w, padding=pad)
            sizes[name].append(h.shape[-1])
    n_valid = len(sizes["valid"]) - 1
    report.claim(
        "valid-depth-limit",
        en="32×32 input, stacked valid 3×3 convs: each layer removes K − 1 = 2 pixels per axis, so 15 layers leave "
           "a 2×2 map and a 16th cannot be applied (number of layers that run).",
        zh="32×32 输入上堆叠 valid 3×3 卷积：每层每个方向减少 K − 1 = 2 个像素，15 层后剩 2×2，第 16 层已无法进行（能运行的层数）。",
        value=float(n_valid), op="==", threshold=15.0, expression="valid layers before the map vanishes")
    report.claim(
        "same-keeps-size",
        en="With same padding (P = 1) the map is still 32×32 after 20 layers (final size).",
        zh="用 same 填充（P = 1）时，20 层后特征图仍为 32×32（最终大小）。",
        value=float(sizes["same"][-1]), op="==", threshold=32.0, expression="size after 20 same layers")
    report.progress(0.3, "counts and sizes")

    # (3) position probe ----------------------------------------------------------------------------
    rng = cfg.rng(0)
    N, C = 16, cfg.pick(16, 32)
    n_nets = cfg.pick(2, 5)
    r2 = {m: [] for m in MODES}
    spread = {m: [] for m in MODES}
    T = np.array([(i, j) for i in range(N) for j in range(N)], float)
    for k in range(n_nets):
        base = 0.3 * rng.standard_normal((N, N))
        base[0, 0] += 5.0
        X = np.stack([np.roll(base, (i, j), (0, 1)) for i in range(N) for j in range(N)])[:, None]
        weights = [rng.standard_normal((C, 1, 3, 3)) * np.sqrt(2 / 9)]
        weights += [rng.standard_normal((C, C, 3, 3)) * np.sqrt(2 / (9 * C)) for _ in range(2)]
        for name, mode in MODES.items():
            Phi = pooled_features(X, weights, mode)
            r2[name].append(float(probe_r2(Phi, T, rng).mean()))
            spread[name].append(float(Phi.std(0).max() / np.abs(Phi).mean()))
        report.progress(0.3 + 0.6 * (k + 1) / n_nets, f"probe net {k + 1}/{n_nets}")
    rows = [[m, f"{np.mean(r2[m]):.3f}", f"{min(r2[m]):.3f}", f"{max(spread[m]):.2e}"] for m in MODES]
    report.table("position_probe", ["padding", "mean held-out R²", "worst R²",
                                     "max relative feature spread over positions"], rows)
    report.claim(
        "zero-padding-leaks-position",
        en=f"Zero padding lets a CNN know where things are: a linear (ridge) probe on the globally pooled features of "
           f"random 3-layer CNNs predicts the (row, col) of a bright pixel on held-out positions with R² above 0.6 "
           f"(the worst of {n_nets} random nets).",
        zh=f"零填充让 CNN 知道物体在哪里：在随机 3 层 CNN 全局池化后的特征上训练线性（岭回归）探针，"
           f"在留出的位置上预测亮点的（行、列），R² 高于 0.6（{n_nets} 个随机网络中最差的一个）。",
        value=min(r2["zero"]), op=">", threshold=0.6, expression="min R²(zero padding)")
    report.claim(
        "reflect-padding-also-leaks",
        en="Reflect padding changes the border artifact but does not remove it: the same probe still reaches R² above 0.5.",
        zh="反射填充改变了边界伪影，但没有消除它：同样的探针 R² 仍高于 0.5。",
        value=min(r2["reflect"]), op=">", threshold=0.5, expression="min R²(reflect padding)")
    report.claim(
        "circular-padding-hides-position",
        en="With circular padding the conv stack is exactly equivariant to (circular) shifts, so the pooled features "
           "are identical for every position: largest spread of a feature over positions relative to the mean feature size.",
        zh="用循环填充时，卷积堆叠对（循环）平移严格等变，池化后的特征对所有位置都相同：特征在各位置间的最大离散度相对于特征平均大小。",
        value=max(spread["circular"]), op="<", threshold=1e-12, expression="max std over positions / mean |feature|")
    report.claim(
        "circular-probe-learns-nothing",
        en="…so the position probe on circular-padding features learns nothing: held-out R² at most 0.1 (the best of the nets).",
        zh="……所以基于循环填充特征的位置探针学不到任何东西：留出数据上的 R² 不超过 0.1（各网络中最好的一个）。",
        value=max(r2["circular"]), op="<=", threshold=0.1, expression="max R²(circular padding)")

    # figures ------------------------------------------------------------------------------------------
    fig, ax = new_figure(1, 4, size=(12.8, 3))
    for a, M, title in ((ax[0], valid, "valid: outputs reached"), (ax[1], same, "same: outputs reached")):
        im = a.imshow(M, cmap="viridis", vmin=0, vmax=9)
        for (i, j), v in np.ndenumerate(M):
            a.text(j, i, int(v), ha="center", va="center", fontsize=6, color="w" if v < 6 else "k")
        a.set_title(title, fontsize=9)
        a.set_xticks([])
        a.set_yticks([])
    fig.colorbar(im, ax=ax[1], shrink=0.7)
    for name, s in sizes.items():
        ax[2].plot(range(len(s)), s, "o-", ms=3, label=name)
    ax[2].set_xlabel("stacked 3×3 layers")
    ax[2].set_ylabel("map size (32×32 input)")
    ax[2].legend()
    names = list(MODES)
    ax[3].bar(names, [np.mean(r2[m]) for m in names], color=["C0", "C1", "C2"])
    ax[3].axhline(0, color="k", lw=0.8)
    ax[3].set_ylabel("held-out R² of position probe")
    ax[3].set_title("where is the bright pixel?", fontsize=9)
    report.figure(
        "padding", fig,
        en="From left: how many outputs of a 3×3 conv each pixel of an 8×8 input reaches, valid and same padding; "
           "map size against the number of stacked 3×3 layers on a 32×32 input; held-out R² of a linear probe "
           "predicting the position of a bright pixel from globally pooled features of random CNNs, by padding mode.",
        zh="从左到右：8×8 输入的每个像素在 valid 与 same 填充下能影响多少个 3×3 卷积输出；32×32 输入上堆叠 3×3 层时特征图大小随层数的变化；"
           "按填充方式，从随机 CNN 全局池化特征预测亮点位置的线性探针在留出数据上的 R²。")
    report.progress(1.0, "done")
