# ruff: noqa: E501  (bilingual claim statements are long text)
"""Translation equivariance of convolution (where it is exact and what breaks it) and the common
forms of convolution, each checked against an equivalent standard convolution.

Equivariance: random 3x3 conv + ReLU stacks on digits (upsampled to 16x16, standardized so the
background is not zero): exact under circular shifts with circular padding; broken only in a
border band with zero padding; broken by stride-2 subsampling for odd shifts (aliasing), much less
with a blur before subsampling (Zhang 2019); not equivariant to 90-degree rotations unless every
kernel is rotation-symmetric.

Forms: depthwise-separable = standard conv with kernel P[o, c] D[c]; grouped = block-diagonal;
dilated = conv with a zero-inserted kernel; 1x1 = a per-pixel linear layer; transposed = the adjoint
of a strided conv; parameter counts from the nn modules.
"""

from __future__ import annotations

import numpy as np

from dlproof.data import digits
from dlproof.engine import tensor
from dlproof.experiments.figures import new_figure
from dlproof.experiments.registry import Report, RunConfig, experiment

BLUR = np.outer([1, 2, 1], [1, 2, 1]) / 16.0


def conv_same(h, W, mode):
    import dlproof.nn.functional as F

    return F.conv2d(F.pad(h, (1, 1, 1, 1), mode=mode), tensor(W))


def stack(x, weights, mode):
    """3x3 conv + ReLU layers with 'same' padding of the given mode; returns the last map (array)."""
    h = tensor(x)
    for W in weights:
        h = conv_same(h, W, mode).relu()
    return h.data


def downsample(h, kind, C):
    import dlproof.nn.functional as F

    if kind == "stride 1 (no downsampling)":
        return h
    if kind == "stride 2":
        return h[:, :, ::2, ::2]
    if kind == "blur + stride 2":
        return F.conv2d(F.pad(h, (1, 1, 1, 1), mode="circular"), tensor(np.tile(BLUR, (C, 1, 1, 1))),
                        groups=C, stride=2)
    if kind == "max-pool 2":
        return F.max_pool2d(h, 2, 2)
    if kind == "max (stride 1) + blur + stride 2":
        h = F.max_pool2d(F.pad(h, (0, 1, 0, 1), mode="circular"), 2, 1)
        return F.conv2d(F.pad(h, (1, 1, 1, 1), mode="circular"), tensor(np.tile(BLUR, (C, 1, 1, 1))),
                        groups=C, stride=2)
    raise ValueError(kind)


def pooled_net(x, W1, W2, kind):
    """conv -> ReLU -> downsample -> conv -> ReLU -> global average pool (circular padding)."""
    h = conv_same(tensor(x), W1, "circular").relu()
    h = downsample(h, kind, W1.shape[0])
    return conv_same(h, W2, "circular").relu().data.mean(axis=(2, 3))


def rel(a, b):
    return float(np.linalg.norm(a - b) / np.linalg.norm(b))


@experiment(
    "conv-equivariance-forms",
    questions=["conv-equivariance-variants"],
    title_en="Translation equivariance (exact, broken by borders, stride, rotation) and the common forms of convolution",
    title_zh="平移等变性（何时严格成立，边界、步长、旋转如何破坏它）与常见的卷积形式",
)
def run(cfg: RunConfig, report: Report) -> None:
    import dlproof.nn.functional as F
    from dlproof import nn
    from dlproof.training import count_parameters

    rng = cfg.rng(0)
    X, _ = digits()
    n = cfg.pick(32, 128)
    idx = rng.choice(len(X), n, replace=False)
    imgs = np.kron(X[idx].reshape(-1, 1, 8, 8), np.ones((1, 1, 2, 2)))  # 16x16, standardized pixels
    C = 8
    weights = [rng.standard_normal((C, 1, 3, 3)) * np.sqrt(2 / 9)]
    weights += [rng.standard_normal((C, C, 3, 3)) * np.sqrt(2 / (9 * C)) for _ in range(2)]

    # (1) circular padding: exact equivariance --------------------------------------------------------
    shifts = [(1, 0), (0, 3), (2, 5), (7, 4)]
    base = stack(imgs, weights, "circular")
    circ = max(rel(stack(np.roll(imgs, s, (2, 3)), weights, "circular"), np.roll(base, s, (2, 3))) for s in shifts)
    report.claim(
        "circular-exact-equivariance",
        en="With circular padding a 3-layer conv + ReLU stack commutes with (circular) shifts: "
           "conv(shift x) = shift(conv x), largest relative error over several shifts (float64).",
        zh="用循环填充时，3 层卷积 + ReLU 堆叠与（循环）平移可交换：conv(shift x) = shift(conv x)，若干平移下的最大相对误差（float64）。",
        value=circ, op="<", threshold=1e-12, expression="max ||f(Tx) − T f(x)|| / ||T f(x)||")

    # (2) zero padding: broken only near the border ------------------------------------------------------
    s = (0, 2)
    base0 = stack(imgs, weights, "constant")
    diff = np.abs(stack(np.roll(imgs, s, (2, 3)), weights, "constant") - np.roll(base0, s, (2, 3)))
    band = len(weights) + s[1]  # columns reachable by the border (3 layers of 3x3) or the wrap-around
    interior = diff[..., band:16 - band].max() / np.abs(base0).max()
    border = diff.max() / np.abs(base0).max()
    report.metric("zero_padding_interior_error", interior)
    report.claim(
        "zero-padding-breaks-at-border",
        en="With zero padding the same stack is still exactly equivariant away from the borders (relative error "
           "below 1e-12 more than L + shift = 5 columns from the left/right edges), but not near them: the largest "
           "error in the border band is more than 10% of the largest activation (reported: border error).",
        zh="用零填充时，同样的堆叠在远离边界处仍然严格等变（距左右边缘超过 L + 平移 = 5 列处相对误差小于 1e-12），"
           "但边界附近不再等变：边界带中的最大误差超过最大激活的 10%（报告的是边界误差）。",
        value=border if interior < 1e-12 else 0.0, op=">", threshold=0.1,
        expression="max border error / max |activation| (0 if interior error ≥ 1e-12)")
    report.progress(0.2, "circular and zero padding")

    # (3) stride and pooling break shift invariance for odd shifts; blurring reduces it ----------------
    nets = [(rng.standard_normal((C, 1, 3, 3)) * np.sqrt(2 / 9), rng.standard_normal((C, C, 3, 3)) * np.sqrt(2 / (9 * C)))
            for _ in range(cfg.pick(3, 6))]
    kinds = ["stride 1 (no downsampling)", "stride 2", "blur + stride 2", "max-pool 2", "max (stride 1) + blur + stride 2"]
    shift_range = list(range(0, cfg.pick(5, 9)))
    inv = {}
    for kind in kinds:  # mean over a few random nets of the relative change of the pooled output
        per_net = []
        for W1, W2 in nets:
            f0 = pooled_net(imgs, W1, W2, kind)
            per_net.append([rel(pooled_net(np.roll(imgs, (0, k), (2, 3)), W1, W2, kind), f0) for k in shift_range])
        inv[kind] = list(np.mean(per_net, axis=0))
    odd = {k: max(v[1::2]) for k, v in inv.items()}
    even = {k: max(v[0::2]) for k, v in inv.items()}
    report.table("shift_invariance", ["network (circular padding, global average pool)"] + [f"shift {k}" for k in shift_range],
                 [[k] + [f"{e:.2e}" for e in v] for k, v in inv.items()])
    report.claim(
        "stride-two-even-shifts-exact",
        en="conv → ReLU → stride-2 subsampling → conv → ReLU → global average pool is exactly shift-invariant for "
           "even shifts, with or without blur (largest relative change over even shifts and all downsampling kinds).",
        zh="conv → ReLU → 步长 2 下采样 → conv → ReLU → 全局平均池化，对偶数像素的平移严格不变，有无模糊都一样"
           "（所有偶数平移、所有下采样方式中的最大相对变化）。",
        value=max(even.values()), op="<", threshold=1e-12, expression="max over even shifts")
    report.claim(
        "stride-two-aliasing",
        en="…but a 1-pixel (odd) shift changes the pooled output of the stride-2 and max-pool-2 nets noticeably "
           "(aliasing), while the stride-1 net is exactly invariant (smaller of the two odd-shift relative changes, mean over random nets).",
        zh="……但平移 1 个（奇数）像素会明显改变步长 2 网络和 2×2 最大池化网络的池化输出（混叠），而步长 1 的网络严格不变"
           "（两者奇数平移相对变化中较小的一个，对若干随机网络取平均）。",
        value=min(odd["stride 2"], odd["max-pool 2"]) if odd["stride 1 (no downsampling)"] < 1e-12 else 0.0,
        op=">", threshold=0.03, expression="min(odd-shift change: stride 2, max-pool 2)")
    blur_gain = min(odd["stride 2"] / odd["blur + stride 2"], odd["max-pool 2"] / odd["max (stride 1) + blur + stride 2"])
    report.claim(
        "blur-pool-reduces-aliasing",
        en="Blurring with a [1, 2, 1]⊗[1, 2, 1]/16 filter before subsampling (Zhang 2019's BlurPool, also after a stride-1 "
           "max) makes the odd-shift change (mean over random nets) more than 3 times smaller, but not zero (smaller of the two reduction factors).",
        zh="下采样前先用 [1, 2, 1]⊗[1, 2, 1]/16 滤波器模糊（Zhang 2019 的 BlurPool，也可放在步长 1 的最大池化之后），"
           "奇数平移的变化（对若干随机网络取平均）缩小 3 倍以上，但不为零（两个缩小倍数中较小的一个）。",
        value=blur_gain, op=">", threshold=3.0, expression="min(odd change without blur / with blur)")
    report.progress(0.45, "stride and blur")

    # (4) rotation ----------------------------------------------------------------------------------------
    rot = rel(stack(np.rot90(imgs, 1, (2, 3)), weights, "circular"), np.rot90(base, 1, (2, 3)))
    sym = [(W + np.rot90(W, 1, (2, 3)) + np.rot90(W, 2, (2, 3)) + np.rot90(W, 3, (2, 3))) / 4 for W in weights]
    base_s = stack(imgs, sym, "circular")
    rot_sym = rel(stack(np.rot90(imgs, 1, (2, 3)), sym, "circular"), np.rot90(base_s, 1, (2, 3)))
    report.claim(
        "not-rotation-equivariant",
        en="Convolution is not equivariant to rotation: for random kernels, f(rot90 x) differs from rot90 f(x) by a "
           "relative error of order one.",
        zh="卷积对旋转不等变：随机卷积核时，f(rot90 x) 与 rot90 f(x) 的相对误差为 1 的量级。",
        value=rot, op=">", threshold=0.3, expression="||f(Rx) − R f(x)|| / ||R f(x)||")
    report.claim(
        "symmetric-kernels-rotation-equivariant",
        en="Only if every kernel is itself invariant to 90° rotations (here: averaged over its 4 rotations, the idea of "
           "group convolutions done the crude way) is the stack rotation-equivariant (relative error).",
        zh="只有每个卷积核本身对 90° 旋转不变（这里是对 4 个旋转取平均，群卷积思想的粗糙版本）时，堆叠才对旋转等变（相对误差）。",
        value=rot_sym, op="<", threshold=1e-12, expression="||f(Rx) − R f(x)|| / ||R f(x)||, symmetric kernels")

    # (5) forms of convolution ------------------------------------------------------------------------------
    x = rng.standard_normal((2, 6, 10, 10))
    Cin, Cout, K = 6, 4, 3
    D = rng.standard_normal((Cin, 1, K, K))       # depthwise kernels
    P = rng.standard_normal((Cout, Cin, 1, 1))    # pointwise mixing
    sep = F.conv2d(F.conv2d(tensor(x), tensor(D), groups=Cin), tensor(P)).data
    full = F.conv2d(tensor(x), tensor(P * D[:, 0][None])).data  # W[o, c] = P[o, c] D[c]
    report.claim(
        "depthwise-separable-equals-factored-conv",
        en="A depthwise-separable conv (depthwise 3×3 with groups = C_in, then 1×1) equals a standard conv whose kernel "
           "is the rank-1-in-channels product W[o, c] = P[o, c]·D[c] (largest absolute difference).",
        zh="深度可分离卷积（groups = C_in 的逐通道 3×3 卷积，再接 1×1 卷积）等于一个标准卷积，其卷积核是通道上秩 1 的乘积 "
           "W[o, c] = P[o, c]·D[c]（最大绝对差）。",
        value=float(np.abs(sep - full).max()), op="<", threshold=1e-12, expression="max |separable − standard|")
    cs = 64
    n_sep = count_parameters(nn.Conv2d(cs, cs, 3, groups=cs, bias=False, generator=rng)) + count_parameters(
        nn.Conv2d(cs, cs, 1, bias=False, generator=rng))
    n_std = count_parameters(nn.Conv2d(cs, cs, 3, bias=False, generator=rng))
    report.metric("separable_params_64", n_sep)
    report.metric("standard_params_64", n_std)
    report.claim(
        "depthwise-separable-parameters",
        en="Parameters for C = C' = 64, K = 3 (no bias): K²C + CC' = 4672 against K²CC' = 36864, a ratio of "
           "1/C' + 1/K² ≈ 0.127 (ratio of nn.Conv2d parameter counts).",
        zh="C = C' = 64、K = 3（无偏置）时的参数量：K²C + CC' = 4672，而 K²CC' = 36864，比值为 1/C' + 1/K² ≈ 0.127"
           "（nn.Conv2d 参数量之比）。",
        value=n_sep / n_std, op="==", threshold=(9 * 64 + 64 * 64) / (9 * 64 * 64), expression="params(separable) / params(standard)")
    g = 2
    Wg = rng.standard_normal((Cout, Cin // g, K, K))
    grouped = F.conv2d(tensor(x), tensor(Wg), groups=g).data
    parts = [F.conv2d(tensor(x[:, i * 3:(i + 1) * 3]), tensor(Wg[i * 2:(i + 1) * 2])).data for i in range(g)]
    report.claim(
        "grouped-is-block-diagonal",
        en="A grouped conv (groups = 2) equals two independent convs on the two halves of the channels, concatenated "
           "(largest absolute difference): a block-diagonal channel mixing with 1/groups of the parameters.",
        zh="分组卷积（groups = 2）等于在通道的两半上分别做两个独立卷积再拼接（最大绝对差）：通道混合是块对角的，参数量为 1/groups。",
        value=float(np.abs(grouped - np.concatenate(parts, 1)).max()), op="<", threshold=1e-12,
        expression="max |grouped − concat(convs)|")
    Wd = rng.standard_normal((Cout, Cin, K, K))
    Wz = np.zeros((Cout, Cin, 2 * K - 1, 2 * K - 1))
    Wz[..., ::2, ::2] = Wd
    dil = F.conv2d(tensor(x), tensor(Wd), dilation=2).data
    report.claim(
        "dilated-is-zero-inserted-kernel",
        en="A dilated conv (dilation 2, 3×3, 9 weights per channel pair) equals a 5×5 conv whose kernel has zeros inserted "
           "between the taps: a 5×5 receptive field at the cost of 3×3 (largest absolute difference).",
        zh="膨胀卷积（膨胀率 2、3×3、每对通道 9 个权重）等于在核元素之间插入零的 5×5 卷积：以 3×3 的代价得到 5×5 的感受野（最大绝对差）。",
        value=float(np.abs(dil - F.conv2d(tensor(x), tensor(Wz)).data).max()), op="<", threshold=1e-12,
        expression="max |dilated − zero-inserted|")
    W1x1 = rng.standard_normal((Cout, Cin, 1, 1))
    lin = np.einsum("oc,nchw->nohw", W1x1[:, :, 0, 0], x)
    report.claim(
        "one-by-one-is-per-pixel-linear",
        en="A 1×1 conv is the same linear layer applied at every pixel (einsum over channels; largest absolute difference).",
        zh="1×1 卷积就是在每个像素上应用同一个线性层（对通道做 einsum；最大绝对差）。",
        value=float(np.abs(F.conv2d(tensor(x), tensor(W1x1)).data - lin).max()), op="<", threshold=1e-12,
        expression="max |conv1x1 − per-pixel linear|")
    Wt = rng.standard_normal((Cout, Cin, K, K))
    yconv = F.conv2d(tensor(x), tensor(Wt), stride=2, padding=1)
    yy = rng.standard_normal(yconv.shape)
    xt = F.conv_transpose2d(tensor(yy), tensor(Wt), stride=2, padding=1, output_padding=1).data
    lhs, rhs = float((yconv.data * yy).sum()), float((x * xt).sum())
    report.claim(
        "transposed-is-adjoint",
        en="Transposed conv is the adjoint (transpose) of the strided conv with the same weights, not its inverse: "
           "⟨conv(x), y⟩ = ⟨x, conv_transpose(y)⟩ for stride 2 (relative difference of the two inner products).",
        zh="转置卷积是同一权重的步长卷积的伴随（转置），而不是它的逆：步长 2 时 ⟨conv(x), y⟩ = ⟨x, conv_transpose(y)⟩"
           "（两个内积的相对差）。",
        value=abs(lhs - rhs) / abs(lhs), op="<", threshold=1e-12, expression="|⟨conv x, y⟩ − ⟨x, convT y⟩| / |⟨conv x, y⟩|")
    param_rows = []
    for name, mod in (("standard 3×3", nn.Conv2d(cs, cs, 3, bias=False, generator=rng)),
                      ("grouped 3×3, groups = 4", nn.Conv2d(cs, cs, 3, groups=4, bias=False, generator=rng)),
                      ("depthwise 3×3", nn.Conv2d(cs, cs, 3, groups=cs, bias=False, generator=rng)),
                      ("pointwise 1×1", nn.Conv2d(cs, cs, 1, bias=False, generator=rng)),
                      ("dilated 3×3, dilation 2", nn.Conv2d(cs, cs, 3, dilation=2, bias=False, generator=rng)),
                      ("transposed 3×3, stride 2", nn.ConvTranspose2d(cs, cs, 3, stride=2, bias=False, generator=rng))):
        param_rows.append([name, count_parameters(mod)])
    param_rows.append(["depthwise-separable (depthwise + pointwise)", n_sep])
    param_rows.append(["locally connected 3×3 on a 32×32 map (no sharing)", 30 * 30 * 9 * cs * cs])
    report.table("parameters_64_channels", ["layer (64 → 64 channels, no bias)", "parameters"], param_rows)

    # figure ------------------------------------------------------------------------------------------------------
    fig, ax = new_figure(1, 2, size=(9.2, 3.4))
    for kind, v in inv.items():
        ax[0].plot(shift_range, v, "o-", ms=4, label=kind)
    ax[0].set_xlabel("horizontal shift of the input (pixels)")
    ax[0].set_ylabel("relative change of pooled output")
    ax[0].legend(fontsize=6)
    ax[0].set_title("shift invariance after global pooling", fontsize=9)
    col_err = diff.max(axis=(0, 1, 2)) / np.abs(base0).max()
    ax[1].semilogy(np.arange(16), np.maximum(col_err, 1e-17), "o-")
    ax[1].axvspan(-0.5, band - 0.5, color="0.9")
    ax[1].axvspan(15.5 - band, 15.5, color="0.9")
    ax[1].set_xlabel("column")
    ax[1].set_ylabel("max |f(Tx) − T f(x)| / max |f|")
    ax[1].set_title("zero padding, shift by 2: error by column", fontsize=9)
    report.figure(
        "equivariance", fig,
        en="Left: relative change of the globally pooled output of small circular-padded CNNs when the input shifts "
           "by 0–8 pixels (mean over random nets): stride 1 is exactly invariant, stride 2 and max-pool 2 only "
           "for even shifts, and blurring before subsampling shrinks the odd-shift error. Right: equivariance error of a "
           "zero-padded 3-layer stack per column; it is at rounding level except in the border bands (grey).",
        zh="左：输入平移 0–8 个像素时，循环填充的小 CNN 全局池化输出的相对变化（对若干随机网络取平均）：步长 1 严格不变，"
           "步长 2 与 2×2 最大池化只对偶数平移不变，下采样前先模糊可以缩小奇数平移的误差。右：零填充的 3 层堆叠逐列的等变误差，"
           "除边界带（灰色）外都在舍入误差水平。")
    report.progress(1.0, "done")
