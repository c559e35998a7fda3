# ruff: noqa: E501  (bilingual claim statements are long text)
"""Feature-map size, parameter count and receptive field of convolutions, checked against the
actual shapes and gradients of our layers.

1. Property test: for random (W, K, P, S, D) per spatial axis, the formula
   O = floor((W + 2P - D(K - 1) - 1) / S) + 1 against F.conv2d and F.max_pool2d output shapes, and
   O = (W - 1)S - 2P + D(K - 1) + output_padding + 1 against F.conv_transpose2d.
2. TensorFlow's 'same' at stride S (asymmetric padding via F.pad) gives ceil(W / S).
3. Parameters of nn.Conv2d / nn.ConvTranspose2d: K_h K_w C_in C_out / groups + C_out.
4. Receptive field of a stack: r_l = r_{l-1} + D_l (K_l - 1) prod_{i<l} S_i, against the nonzero
   input region of the gradient of one output unit (random positive weights, so nothing cancels).
"""

from __future__ import annotations

import math

import numpy as np

from dlproof.engine import tensor
from dlproof.experiments.figures import new_figure
from dlproof.experiments.registry import Report, RunConfig, experiment


def out_size(W, K, P=0, S=1, D=1):
    """Conv / pooling output size per axis (floor mode)."""
    return (W + 2 * P - D * (K - 1) - 1) // S + 1


def out_size_transposed(W, K, P=0, S=1, D=1, op=0):
    return (W - 1) * S - 2 * P + D * (K - 1) + op + 1


def rf_formula(layers):
    """layers: list of (K, S, D); returns the receptive field after each layer."""
    r, jump, out = 1, 1, []
    for K, S, D in layers:
        r += D * (K - 1) * jump
        jump *= S
        out.append(r)
    return out


def rf_measured(layers, rng):
    """Width of the input region that one central output unit of a linear conv stack depends on."""
    import dlproof.nn.functional as F

    r_max = rf_formula(layers)[-1]
    jump = math.prod(S for _, S, _ in layers)
    W = r_max + 4 * jump + 2
    x = tensor(np.zeros((1, 1, 1, W)), requires_grad=True)  # a 1-pixel-high image: rows are trivial
    h = x
    for K, S, D in layers:
        w = np.abs(rng.standard_normal((1, 1, 1, K))) + 0.1
        h = F.conv2d(h, tensor(w), stride=(1, S), dilation=(1, D))
    g = np.zeros(h.shape)
    g[..., h.shape[-1] // 2] = 1.0  # one-hot upstream gradient at the central output
    h.backward(g)
    nz = np.flatnonzero(x.grad[0, 0, 0])
    return int(nz[-1] - nz[0] + 1)


@experiment(
    "conv-shape-arithmetic",
    questions=["conv-output-size"],
    title_en="Feature-map size, parameter count and receptive field: formulas against actual layers",
    title_zh="特征图大小、参数量与感受野：公式与实际层的对照",
)
def run(cfg: RunConfig, report: Report) -> None:
    import dlproof.nn.functional as F
    from dlproof import nn
    from dlproof.training import count_parameters

    rng = cfg.rng(0)
    n = cfg.pick(400, 2000)

    # (1) property test of the output-size formulas -----------------------------------------------
    conv_bad = tconv_bad = pool_bad = 0
    n_pool = 0
    for _ in range(n):
        Kh, Kw = (int(v) for v in rng.integers(1, 8, 2))
        Sh, Sw = (int(v) for v in rng.integers(1, 5, 2))
        Dh, Dw = (int(v) for v in rng.integers(1, 4, 2))
        Ph, Pw = (int(v) for v in rng.integers(0, 4, 2))
        Hmin = max(Dh * (Kh - 1) + 1 - 2 * Ph, 1)
        Wmin = max(Dw * (Kw - 1) + 1 - 2 * Pw, 1)
        H, W = int(rng.integers(Hmin, Hmin + 24)), int(rng.integers(Wmin, Wmin + 24))
        x = tensor(np.zeros((1, 1, H, W)))
        w = tensor(np.zeros((1, 1, Kh, Kw)))
        o = F.conv2d(x, w, stride=(Sh, Sw), padding=(Ph, Pw), dilation=(Dh, Dw)).shape[2:]
        conv_bad += o != (out_size(H, Kh, Ph, Sh, Dh), out_size(W, Kw, Pw, Sw, Dw))
        oph = int(rng.integers(0, max(Sh, Dh)))
        opw = int(rng.integers(0, max(Sw, Dw)))
        Hi, Wi = int(rng.integers(1, 16)), int(rng.integers(1, 16))
        Ph2, Pw2 = min(Ph, (Hi - 1) * Sh // 2), min(Pw, (Wi - 1) * Sw // 2)  # keep the output non-empty
        xt = tensor(np.zeros((1, 1, Hi, Wi)))
        ot = F.conv_transpose2d(xt, w, stride=(Sh, Sw), padding=(Ph2, Pw2), output_padding=(oph, opw),
                                dilation=(Dh, Dw)).shape[2:]
        tconv_bad += ot != (out_size_transposed(Hi, Kh, Ph2, Sh, Dh, oph),
                            out_size_transposed(Wi, Kw, Pw2, Sw, Dw, opw))
        if Ph <= Kh // 2 and Pw <= Kw // 2 and H + 2 * Ph >= Kh and W + 2 * Pw >= Kw:
            op_ = F.max_pool2d(x, (Kh, Kw), stride=(Sh, Sw), padding=(Ph, Pw)).shape[2:]
            pool_bad += op_ != (out_size(H, Kh, Ph, Sh), out_size(W, Kw, Pw, Sw))
            n_pool += 1
    report.metric("pool_cases", n_pool)
    report.claim(
        "conv-output-size-formula",
        en=f"O = ⌊(W + 2P − D(K − 1) − 1)/S⌋ + 1 per axis matches the output shape of F.conv2d for {n} random "
           "(W, K ≤ 7, P ≤ 3, S ≤ 4, D ≤ 3) combinations, chosen independently for height and width: number of mismatches.",
        zh=f"逐轴公式 O = ⌊(W + 2P − D(K − 1) − 1)/S⌋ + 1 与 F.conv2d 的输出形状在 {n} 组随机的 (W, K ≤ 7, P ≤ 3, S ≤ 4, D ≤ 3)"
           "（高、宽分别独立抽取）上一致：不一致的个数。",
        value=float(conv_bad), op="==", threshold=0.0, expression="mismatches")
    report.claim(
        "transposed-output-size-formula",
        en=f"O = (W − 1)S − 2P + D(K − 1) + output_padding + 1 matches F.conv_transpose2d on {n} random combinations: number of mismatches.",
        zh=f"O = (W − 1)S − 2P + D(K − 1) + output_padding + 1 与 F.conv_transpose2d 在 {n} 组随机组合上一致：不一致的个数。",
        value=float(tconv_bad), op="==", threshold=0.0, expression="mismatches")
    report.claim(
        "pooling-output-size-formula",
        en="The same floor formula (D = 1) gives the output shape of F.max_pool2d (the valid combinations among the random ones): number of mismatches.",
        zh="同一个向下取整公式（D = 1）也给出 F.max_pool2d 的输出形状（随机组合中合法的那些）：不一致的个数。",
        value=float(pool_bad), op="==", threshold=0.0, expression="mismatches")

    # (2) 'same' padding ------------------------------------------------------------------------
    same1_bad = tf_bad = 0
    m = cfg.pick(100, 300)
    for _ in range(m):
        W = int(rng.integers(1, 40))
        K = int(rng.choice([1, 3, 5, 7]))
        x = tensor(np.zeros((1, 1, W, W)))
        w = tensor(np.zeros((1, 1, K, K)))
        same1_bad += F.conv2d(x, w, padding=(K - 1) // 2).shape[2] != W
        S = int(rng.integers(1, 5))
        K2 = int(rng.integers(1, 8))
        total = max((math.ceil(W / S) - 1) * S + K2 - W, 0)  # TensorFlow's SAME rule
        lo, hi = total // 2, total - total // 2
        xp = F.pad(x, (lo, hi, lo, hi))
        o = F.conv2d(xp, tensor(np.zeros((1, 1, K2, K2))), stride=S).shape[2]
        tf_bad += o != math.ceil(W / S)
    report.claim(
        "same-padding-sizes",
        en=f"'Same' padding: P = (K − 1)/2 keeps W at stride 1 (odd K), and TensorFlow's rule (total padding "
           f"max((⌈W/S⌉ − 1)S + K − W, 0), the extra pixel on the right/bottom) gives ⌈W/S⌉ at stride S; mismatches over {m} random cases of each.",
        zh=f"“same”填充：步长 1、奇数 K 时 P = (K − 1)/2 保持 W 不变；TensorFlow 的规则（总填充 max((⌈W/S⌉ − 1)S + K − W, 0)，"
           f"多出的一个像素放在右/下）在步长 S 时给出 ⌈W/S⌉；各 {m} 个随机情形中不一致的个数。",
        value=float(same1_bad + tf_bad), op="==", threshold=0.0, expression="mismatches")

    # (3) parameter counts -----------------------------------------------------------------------
    pbad = 0
    for _ in range(cfg.pick(20, 60)):
        g = int(rng.choice([1, 2, 4]))
        cin, cout = g * int(rng.integers(1, 9)), g * int(rng.integers(1, 9))
        kh, kw = (int(v) for v in rng.integers(1, 6, 2))
        conv = nn.Conv2d(cin, cout, (kh, kw), groups=g, generator=rng)
        tconv = nn.ConvTranspose2d(cin, cout, (kh, kw), groups=g, generator=rng)
        expect = kh * kw * cin * cout // g + cout
        pbad += (count_parameters(conv) != expect) + (count_parameters(tconv) != expect)
    report.claim(
        "parameter-count",
        en="nn.Conv2d and nn.ConvTranspose2d have K_h·K_w·C_in·C_out/groups + C_out parameters, independent of "
           "the input size (random channels, kernels, groups): number of mismatches.",
        zh="nn.Conv2d 与 nn.ConvTranspose2d 的参数量为 K_h·K_w·C_in·C_out/groups + C_out，与输入大小无关"
           "（随机的通道数、卷积核、分组数）：不一致的个数。",
        value=float(pbad), op="==", threshold=0.0, expression="mismatches")
    report.progress(0.5, "shapes and parameters")

    # (4) receptive field ---------------------------------------------------------------------------
    stacks = {
        "3×3, stride 1": [(3, 1, 1)] * 8,
        "3×3, stride 2": [(3, 2, 1)] * 5,
        "3×3, dilation 1, 2, 4, ...": [(3, 1, 2 ** i) for i in range(5)],
        "7×7/2 + pool 3/2 + 3×3 (ResNet stem)": [(7, 2, 1), (3, 2, 1), (3, 1, 1), (3, 1, 1)],
    }
    rf_bad, rows, curves = 0, [], {}
    rrng = cfg.rng(1)
    for name, layers in stacks.items():
        f = rf_formula(layers)
        meas = [rf_measured(layers[:i + 1], rrng) for i in range(len(layers))]
        rf_bad += sum(a != b for a, b in zip(f, meas))
        curves[name] = (f, meas)
        rows.append([name, " ".join(map(str, f)), " ".join(map(str, meas))])
    report.table("receptive_field", ["stack", "formula r_l", "measured (gradient support)"], rows)
    report.claim(
        "receptive-field-formula",
        en="Receptive field r_l = r_(l−1) + D_l(K_l − 1)·∏_(i<l) S_i (r_0 = 1) equals the width of the input "
           "region where the gradient of one central output is nonzero, for stacks of 3×3 convs at stride 1, "
           "stride 2, exponentially growing dilation, and a ResNet-like stem, after every layer: number of mismatches.",
        zh="感受野 r_l = r_(l−1) + D_l(K_l − 1)·∏_(i<l) S_i（r_0 = 1）等于一个中心输出的梯度在输入上非零区域的宽度；"
           "对步长 1、步长 2、指数增长膨胀率的 3×3 卷积堆叠以及类 ResNet 的起始层，逐层检查：不一致的个数。",
        value=float(rf_bad), op="==", threshold=0.0, expression="mismatches")
    s1 = curves["3×3, stride 1"][1]
    s2 = curves["3×3, stride 2"][1]
    report.claim(
        "stride-grows-rf-exponentially",
        en="Five 3×3 layers at stride 1 see 2L + 1 = 11 pixels; at stride 2 the same five layers see 2^(L+1) − 1 = 63 "
           "(measured ratio).",
        zh="5 个步长 1 的 3×3 层感受野为 2L + 1 = 11 像素；同样 5 层步长 2 时为 2^(L+1) − 1 = 63（实测之比）。",
        value=s2[4] / s1[4], op="==", threshold=63 / 11, expression="r(stride 2, L=5) / r(stride 1, L=5)")

    fig, ax = new_figure(1, 1, size=(5, 3.6))
    for (name, (f, meas)), mk, ms in zip(curves.items(), "osxD", (6, 11, 8, 6)):
        L = np.arange(1, len(f) + 1)
        ax.plot(L, f, "-", lw=1, color="0.6")
        ax.plot(L, meas, mk, ms=ms, mfc="none" if mk == "s" else None, label=name)
    ax.set_yscale("log", base=2)
    ax.set_xlabel("number of layers L")
    ax.set_ylabel("receptive field (pixels)")
    ax.legend(fontsize=7)
    report.figure(
        "receptive-field", fig,
        en="Receptive field against depth: dots are measured (support of the gradient of one output unit), grey "
           "lines the formula r_l = r_(l−1) + D_l(K_l − 1)∏S_i. Stride 1 grows linearly; stride or dilation make it grow exponentially.",
        zh="感受野随层数的变化：点为实测值（一个输出单元的梯度在输入上的支撑），灰线为公式 r_l = r_(l−1) + D_l(K_l − 1)∏S_i。"
           "步长 1 时线性增长；步长或膨胀使其指数增长。")
    report.progress(1.0, "done")
