# ruff: noqa: E501  (bilingual claim statements are long text)
"""How the scale of the initial weights propagates through depth, orthogonal init, and bias init.

(a) Forward pass of 30-layer, width-128 MLPs (tanh and ReLU) on digits with N(0, s^2) weights for
    s in {0.01, 0.05, 1}, Xavier and He (all through dlproof.nn.init): per-layer activation std and
    saturation. Variance theory: Var(z_{l+1}) = n Var(w) E[f(z_l)^2], so ReLU needs n Var(w) = 2.
(b) Deep linear nets: the product of 30 orthogonal matrices keeps every singular value at 1; the
    product of 30 variance-preserving Gaussian matrices (LeCun, Var = 1/n) is badly conditioned.
(c) Output-bias init on imbalanced data: with the bias at the log class priors the initial
    cross-entropy equals the entropy of the prior instead of log K.
"""

from __future__ import annotations

import time

import numpy as np

from dlproof.data import digits
from dlproof.engine import tensor
from dlproof.experiments.figures import new_figure
from dlproof.experiments.registry import Report, RunConfig, experiment
from dlproof.models.mlp import init_weights
from dlproof.nn.functional import cross_entropy

DEPTH, WIDTH = 30, 128


def _forward_stats(X, act, scheme, rng):
    import dlproof.nn.functional as F
    from dlproof.engine.tensor import no_grad

    f = {"tanh": F.tanh, "relu": F.relu}[act]
    Ws = init_weights(rng, [X.shape[1]] + [WIDTH] * DEPTH, scheme)
    h = tensor(X)
    std, sat = [], []
    with no_grad():
        for W in Ws:
            h = f(h @ tensor(W).T)
            a = h.data
            std.append(float(a.std()))
            sat.append(float((np.abs(a) > 0.99).mean()) if act == "tanh" else float((a == 0).mean()))
    return np.array(std), np.array(sat)


@experiment(
    "init-scale-depth",
    questions=["weight-initialization"],
    title_en="Initialization scale through depth: N(0, σ²) vs Xavier vs He, orthogonal init, bias init",
    title_zh="初始化尺度随深度的传播：N(0, σ²)、Xavier、He，正交初始化，偏置初始化",
)
def run(cfg: RunConfig, report: Report) -> None:
    t0 = time.perf_counter()
    X, y = digits()
    X = X[cfg.rng(0).permutation(len(X))[: cfg.pick(256, 1024)]]
    schemes = ["normal:0.01", "normal:0.05", "normal:1.0", "xavier", "he"]
    label = {"normal:0.01": "N(0, 0.01²)", "normal:0.05": "N(0, 0.05²)", "normal:1.0": "N(0, 1)",
             "xavier": "Xavier", "he": "He"}
    stats = {}
    for act in ("tanh", "relu"):
        for k, s in enumerate(schemes):
            stats[(act, s)] = _forward_stats(X, act, s, cfg.rng(10 + k))
    rows = [[act, label[s], f"{stats[(act, s)][0][0]:.3g}", f"{stats[(act, s)][0][-1]:.3g}",
             f"{stats[(act, s)][1][-1]:.2f}"] for act in ("tanh", "relu") for s in schemes]
    report.table("activation_std", ["activation", "init", "std at layer 1", f"std at layer {DEPTH}",
                                    "saturated (tanh: |h|>0.99) / dead (ReLU: h=0) fraction"], rows)
    std_he = stats[("relu", "he")][0]
    he_factor = float((std_he[-1] / std_he[0]) ** (1 / (DEPTH - 1)))
    report.metric("he_std_30_over_1", std_he[-1] / std_he[0])
    report.claim(
        "he-preserves-relu-scale",
        en=f"ReLU with He init (Var = 2/fan_in) keeps the activation scale: the per-layer std factor "
           f"(std_{DEPTH} / std_1)^(1/{DEPTH - 1}) is within 5% of 1 (Xavier's is 1/√2, N(0, 0.01²)'s about 0.11).",
        zh=f"ReLU 配 He 初始化（Var = 2/fan_in）保持激活的尺度：逐层标准差因子 (std_{DEPTH} / std_1)^(1/{DEPTH - 1}) "
           "与 1 相差不超过 5%（Xavier 为 1/√2，N(0, 0.01²) 约为 0.11）。",
        value=he_factor, op="between", threshold=(0.95, 1.05), expression="(std_30 / std_1)^(1/29)")
    std_xr = stats[("relu", "xavier")][0]
    xr_factor = float(np.exp(np.mean(np.log(std_xr[2:] / std_xr[1:-1]))))
    report.claim(
        "xavier-relu-halves-variance",
        en="ReLU with Xavier init (Var = 1/n for square layers) halves the activation variance per layer: "
           "measured per-layer std factor vs the prediction 1/√2 ≈ 0.707 (relative deviation).",
        zh="ReLU 配 Xavier 初始化（方阵时 Var = 1/n）每层把激活方差减半：测得的逐层标准差因子与预测值 1/√2 ≈ 0.707 的相对偏差。",
        value=abs(xr_factor * np.sqrt(2) - 1), op="<", threshold=0.05, expression="|factor·√2 − 1|")
    report.metric("xavier_relu_factor", xr_factor)
    small = stats[("tanh", "normal:0.01")][0]
    report.claim(
        "small-init-collapses",
        en=f"N(0, 0.01²) weights: the tanh activations shrink by about 0.01·√128 ≈ 0.11 per layer, "
           f"so their std at layer {DEPTH} is below 1e-20.",
        zh=f"N(0, 0.01²) 权重：tanh 激活每层约缩小到 0.01·√128 ≈ 0.11，第 {DEPTH} 层的标准差低于 1e-20。",
        value=small[-1], op="<", threshold=1e-20, expression=f"std at layer {DEPTH}")
    sat = stats[("tanh", "normal:1.0")][1]
    report.claim(
        "large-init-saturates-tanh",
        en="N(0, 1) weights with tanh (pre-activation std ≈ √128 ≈ 11): more than 60% of the units "
           f"at layer {DEPTH} are saturated (|h| > 0.99), so their derivatives are near zero.",
        zh="N(0, 1) 权重配 tanh（预激活标准差 ≈ √128 ≈ 11）：第 30 层超过 60% 的单元饱和（|h| > 0.99），导数接近 0。",
        value=sat[-1], op=">", threshold=0.6, expression=f"saturated fraction at layer {DEPTH}")
    report.progress(0.5, "forward statistics done")

    # (b) orthogonal vs Gaussian products ------------------------------------------------------
    rng = cfg.rng(1)
    n, L = 64, 30
    P_orth, P_gauss = np.eye(n), np.eye(n)
    for Wo, Wg in zip(init_weights(rng, [n] * (L + 1), "orth:1"), init_weights(rng, [n] * (L + 1), "lecun")):
        P_orth, P_gauss = Wo @ P_orth, Wg @ P_gauss
    s_orth = np.linalg.svd(P_orth, compute_uv=False)
    s_gauss = np.linalg.svd(P_gauss, compute_uv=False)
    report.metric("orth_product_sv_max_dev", float(np.abs(s_orth - 1).max()))
    report.metric("gauss_product_condition", float(s_gauss[0] / s_gauss[-1]))
    report.claim(
        "orthogonal-product-isometric",
        en=f"The product of {L} orthogonal 64×64 matrices (dlproof.nn.init.orthogonal_) has all singular "
           "values equal to 1 (largest deviation).",
        zh=f"{L} 个 64×64 正交矩阵（dlproof.nn.init.orthogonal_）的乘积的所有奇异值都等于 1（最大偏差）。",
        value=float(np.abs(s_orth - 1).max()), op="<", threshold=1e-10, expression="max |σ_i − 1|")
    report.claim(
        "gaussian-product-ill-conditioned",
        en=f"The product of {L} Gaussian matrices with Var = 1/n (variance-preserving on average) has a "
           "condition number above 1e6: the average scale is kept, the spread of directions is not.",
        zh=f"{L} 个方差为 1/n 的高斯矩阵（平均意义上保持方差）的乘积条件数超过 1e6：平均尺度保住了，各方向的比例却没有。",
        value=float(s_gauss[0] / s_gauss[-1]), op=">", threshold=1e6, expression="σ_max / σ_min")
    report.progress(0.7, "products done")

    # (c) output-bias init on imbalanced data -----------------------------------------------------
    Xd, yd = digits()
    rng = cfg.rng(2)
    keep = (yd == 0) | (rng.random(len(yd)) < 0.05)  # class 0 dominates
    Xi, yi = Xd[keep], yd[keep]
    prior = np.bincount(yi, minlength=10) / len(yi)
    W_out = init_weights(cfg.rng(3), [64, 10], "normal:0.001")[0]
    from dlproof.engine.tensor import no_grad

    with no_grad():
        ce_zero = float(cross_entropy(tensor(Xi) @ tensor(W_out).T, yi).data)
        ce_prior = float(cross_entropy(tensor(Xi) @ tensor(W_out).T + tensor(np.log(prior)), yi).data)
    entropy = float(-(prior * np.log(prior)).sum())
    report.table("bias_init", ["output bias", "initial cross-entropy", "reference"],
                 [["0", f"{ce_zero:.4f}", f"log K = {np.log(10):.4f}"],
                  ["log class priors", f"{ce_prior:.4f}", f"H(prior) = {entropy:.4f}"]])
    report.metric("class0_fraction", prior[0])
    report.claim(
        "prior-bias-starts-at-entropy",
        en=f"Imbalanced digits (class 0 is {prior[0]:.0%} of the data), near-zero weights: with the "
           "output bias at the log class priors the initial cross-entropy equals the prior's entropy "
           "H(p) (absolute difference).",
        zh=f"不平衡的 digits（类别 0 占 {prior[0]:.0%}），权重接近 0：把输出偏置设为类别先验的对数时，初始交叉熵等于先验的熵 H(p)（绝对差）。",
        value=abs(ce_prior - entropy), op="<", threshold=0.01, expression="|CE_0 − H(p)|")
    report.claim(
        "prior-bias-saves-loss",
        en="…which is more than 0.5 nats below the log K that a zero output bias starts from.",
        zh="……比零偏置时的初始损失 log K 低 0.5 nat 以上。",
        value=ce_zero - ce_prior, op=">", threshold=0.5, expression="CE_0(zero bias) − CE_0(prior bias)")

    # figure ----------------------------------------------------------------------------------------
    fig, ax = new_figure(1, 3, size=(12.6, 3.4))
    layers = np.arange(1, DEPTH + 1)
    for i, act in enumerate(("tanh", "relu")):
        for s in schemes:
            ax[i].semilogy(layers, np.maximum(stats[(act, s)][0], 1e-300), label=label[s])
        ax[i].set_title(f"{act}, width {WIDTH}")
        ax[i].set_xlabel("layer")
        ax[i].set_ylabel("activation std")
        ax[i].set_ylim(1e-30, 1e30)
    ax[1].legend(fontsize=7)
    for s in schemes:
        ax[2].plot(layers, stats[("tanh", s)][1], label=label[s])
    ax[2].set_title("tanh: saturated fraction |h| > 0.99")
    ax[2].set_xlabel("layer")
    ax[2].set_ylim(-0.02, 1.02)
    report.figure(
        "activation-std", fig,
        en=f"Activation std across {DEPTH} layers (width {WIDTH}, digits input). Small N(0, σ²) inits "
           "collapse geometrically; N(0, 1) saturates tanh (right: fraction of units with |h| > 0.99) and "
           "explodes ReLU; Xavier keeps tanh roughly stable but halves the ReLU variance each layer; "
           "He keeps ReLU flat.",
        zh=f"{DEPTH} 层（宽 {WIDTH}，输入为 digits）中激活标准差的变化。小的 N(0, σ²) 初始化按几何级数坍缩；"
           "N(0, 1) 让 tanh 饱和（右：|h| > 0.99 的单元比例）、让 ReLU 爆炸；Xavier 使 tanh 大致稳定，但让 ReLU 的方差每层减半；He 使 ReLU 保持平稳。")
    report.metric("seconds", time.perf_counter() - t0)
    report.progress(1.0, "done")
