# ruff: noqa: E501  (bilingual claim statements are long text)
"""Pooling: what it computes, how its gradient is routed, how much invariance to small shifts it
buys, pooling across channels (maxout-style) for invariance to other transformations, and what
downsampling saves.

1. Backward: max pooling sends each window's upstream gradient to its argmax only, average pooling
   spreads it evenly (exact checks), and both pass a float64 gradcheck on tie-free inputs.
2. Approximate shift invariance (Goodfellow et al. 9.3): digits (zero-padded to 12x12) through a
   random 3x3 conv + ReLU detector stage; after a 1-pixel shift, the fraction of active outputs that
   are exactly unchanged at the same location, without pooling, with max pooling of widths 3 and 5
   (stride 1) and with average pooling.
3. Pooling over channels: the max over four 90-degree rotations of one kernel gives a map that is
   exactly rotation-equivariant (and its global max rotation-invariant); a single kernel is not.
4. Cost: a 2x2 stride-2 pooling cuts the next conv layer's multiply-adds by 4 and doubles the
   receptive-field growth of every later layer (exact counts).
"""

from __future__ import annotations

import numpy as np

from dlproof.data import digits
from dlproof.engine import tensor
from dlproof.experiments.figures import new_figure
from dlproof.experiments.registry import Report, RunConfig, experiment


@experiment(
    "pooling-mechanics",
    questions=["pooling"],
    title_en="Pooling: gradient routing, approximate shift invariance, pooling over channels, downsampling cost",
    title_zh="池化：梯度的路由、对小平移的近似不变性、跨通道池化、下采样节省的计算",
)
def run(cfg: RunConfig, report: Report) -> None:
    import dlproof.nn.functional as F
    from dlproof.engine import gradcheck

    rng = cfg.rng(0)

    # (1) backward of max and average pooling -----------------------------------------------------------
    x = rng.permutation(4 * 3 * 8 * 8).reshape(4, 3, 8, 8).astype(float) + rng.uniform(0, 0.5, (4, 3, 8, 8))  # no ties
    g = rng.standard_normal((4, 3, 4, 4))
    xt = tensor(x, requires_grad=True)
    F.max_pool2d(xt, 2, 2).backward(g)
    win = x.reshape(4, 3, 4, 2, 4, 2)
    is_max = win == win.max(axis=(3, 5), keepdims=True)
    expected = (is_max * g[:, :, :, None, :, None]).reshape(4, 3, 8, 8)
    max_err = float(np.abs(xt.grad - expected).max())
    nnz = np.count_nonzero(xt.grad.reshape(4, 3, 4, 2, 4, 2), axis=(3, 5))
    report.claim(
        "max-pool-routes-to-argmax",
        en="Max pooling (2×2, stride 2) sends each window's upstream gradient to its argmax only: the engine's input "
           "gradient equals the upstream gradient placed at the argmax, zero elsewhere, one nonzero per window "
           "(largest difference from that routing; tie-free input).",
        zh="最大池化（2×2、步长 2）只把每个窗口的上游梯度传给最大值所在位置：引擎算出的输入梯度等于把上游梯度放在 argmax 处、其余为 0，"
           "每个窗口恰好一个非零（与这一路由的最大差；输入无并列）。",
        value=max_err if np.all(nnz == 1) else 1.0, op="<", threshold=1e-15, expression="max |grad − routed|")
    xt2 = tensor(x, requires_grad=True)
    F.avg_pool2d(xt2, 2, 2).backward(g)
    avg_err = float(np.abs(xt2.grad - np.repeat(np.repeat(g, 2, 2), 2, 3) / 4).max())
    report.claim(
        "avg-pool-spreads-evenly",
        en="Average pooling (2×2) spreads each upstream gradient evenly: every input of the window gets g/4 "
           "(largest difference).",
        zh="平均池化（2×2）把每个上游梯度均匀分摊：窗口中每个输入得到 g/4（最大差）。",
        value=avg_err, op="<", threshold=1e-15, expression="max |grad − g/4|")
    small = rng.permutation(2 * 2 * 7 * 7).reshape(2, 2, 7, 7) / 10.0 + rng.uniform(0, 0.05, (2, 2, 7, 7))
    checks = [gradcheck(lambda t: F.max_pool2d(t, 3, 2), [small]),  # overlapping windows
              gradcheck(lambda t: F.max_pool2d(t, 2, 2, 1), [small]),
              gradcheck(lambda t: F.avg_pool2d(t, 3, 2, 1), [small])]
    report.claim(
        "pooling-gradcheck",
        en="Max pooling (3×3 stride 2, overlapping; 2×2 with padding) and average pooling (3×3, stride 2, padding 1) "
           "pass a float64 central-difference gradient check on tie-free inputs (all pass = 1).",
        zh="最大池化（3×3 步长 2 的重叠窗口；带填充的 2×2）与平均池化（3×3、步长 2、填充 1）在无并列的输入上通过 float64 中心差分梯度检查"
           "（全部通过 = 1）。",
        value=float(all(c.ok for c in checks)), op="==", threshold=1.0, expression="all gradchecks pass")
    report.progress(0.25, "backward")

    # (2) approximate invariance to a 1-pixel shift -------------------------------------------------
    X, _ = digits()
    n = cfg.pick(256, 1024)
    imgs = np.pad(X[rng.choice(len(X), n, replace=False)].reshape(-1, 1, 8, 8), ((0, 0), (0, 0), (2, 2), (2, 2)))
    W = rng.standard_normal((8, 1, 3, 3)) * np.sqrt(2 / 9)
    det0 = F.conv2d(tensor(imgs), tensor(W), padding=1).relu()
    det1 = F.conv2d(tensor(np.roll(imgs, 1, 3)), tensor(W), padding=1).relu()
    pools = {
        "no pooling": lambda h: h,
        "max 3×3, stride 1": lambda h: F.max_pool2d(h, 3, 1, 1),
        "max 5×5, stride 1": lambda h: F.max_pool2d(h, 5, 1, 2),
        "average 3×3, stride 1": lambda h: F.avg_pool2d(h, 3, 1, 1),
    }
    unchanged = {}
    for name, fn in pools.items():
        a, b = fn(det0).data, fn(det1).data
        active = (a > 0) | (b > 0)
        same = np.abs(a - b) <= 1e-12 * np.abs(a).max()
        unchanged[name] = float(same[active].mean())
    report.table("unchanged_after_shift", ["stage", "fraction of active outputs unchanged after a 1-pixel shift"],
                 [[k, f"{v:.3f}"] for k, v in unchanged.items()])
    report.claim(
        "detector-outputs-all-change",
        en="Without pooling, a 1-pixel shift of a digit changes essentially every active detector output "
           "(conv 3×3 + ReLU; fraction of active outputs unchanged at the same location).",
        zh="不做池化时，数字平移 1 个像素几乎会改变每一个激活的检测器输出（3×3 卷积 + ReLU；同一位置上保持不变的激活输出所占比例）。",
        value=unchanged["no pooling"], op="<", threshold=0.02, expression="fraction unchanged, no pooling")
    report.claim(
        "max-pool-approximate-invariance",
        en="Max pooling of width 3 (stride 1) leaves a large share of the active outputs exactly unchanged (about 40%), "
           "against essentially none without pooling (fraction unchanged, max 3×3).",
        zh="宽度 3（步长 1）的最大池化让相当一部分激活输出完全不变（约 40%），而不做池化时几乎没有（最大池化 3×3 时不变的比例）。",
        value=unchanged["max 3×3, stride 1"], op=">", threshold=0.25, expression="fraction unchanged, max 3×3")
    report.claim(
        "wider-max-pool-more-invariant",
        en="A wider max window buys more invariance: the unchanged fraction with 5×5 is more than 1.15 times that with 3×3.",
        zh="最大池化窗口越宽，不变性越强：5×5 时不变的比例是 3×3 时的 1.15 倍以上。",
        value=unchanged["max 5×5, stride 1"] / unchanged["max 3×3, stride 1"], op=">", threshold=1.15,
        expression="u(max 5×5) / u(max 3×3)")
    report.claim(
        "max-more-invariant-than-average",
        en="Average pooling averages the changes instead of ignoring them: 3×3 max pooling leaves more than 3 times as many "
           "active outputs exactly unchanged as 3×3 average pooling.",
        zh="平均池化是把变化平均掉，而不是忽略它们：3×3 最大池化中完全不变的激活输出是 3×3 平均池化的 3 倍以上。",
        value=unchanged["max 3×3, stride 1"] / max(unchanged["average 3×3, stride 1"], 1e-9), op=">", threshold=3.0,
        expression="u(max 3×3) / u(avg 3×3)")
    report.progress(0.5, "shift invariance")

    # (3) pooling across channels: max over rotated copies of a kernel --------------------------------
    k = rng.standard_normal((3, 3))
    rots = np.stack([np.rot90(k, r) for r in range(4)])[:, None]  # 4 channels
    imgs16 = np.kron(X[:cfg.pick(32, 128)].reshape(-1, 1, 8, 8), np.ones((1, 1, 2, 2)))

    def maps(z, kernels):
        return F.conv2d(F.pad(tensor(z), (1, 1, 1, 1), mode="circular"), tensor(kernels)).data

    def rel(a, b):
        return float(np.linalg.norm(a - b) / np.linalg.norm(b))

    zr = np.rot90(imgs16, 1, (2, 3))
    one = rel(maps(zr, rots[:1]), np.rot90(maps(imgs16, rots[:1]), 1, (2, 3)))
    mx = rel(maps(zr, rots).max(1), np.rot90(maps(imgs16, rots).max(1), 1, (1, 2)))
    report.claim(
        "cross-channel-max-rotation",
        en="Pooling over channels learns other invariances: the max over 4 channels holding the 90° rotations of one kernel "
           "is exactly rotation-equivariant (relative error, circular padding), while a single kernel's map is off by "
           "a relative error of order one (reported: the max-over-channels error; claim holds only if the single-kernel error > 0.3).",
        zh="跨通道池化可以学到其他不变性：对存放同一个卷积核 4 个 90° 旋转版本的通道取最大值，结果对旋转严格等变（相对误差，循环填充），"
           "而单个卷积核的输出误差为 1 的量级（报告的是跨通道最大值的误差；只有单核误差 > 0.3 时断言才成立）。",
        value=mx if one > 0.3 else 1.0, op="<", threshold=1e-12, expression="||maxpool_c(f(Rx)) − R maxpool_c(f(x))|| / ||·||")
    report.metric("single_kernel_rotation_error", one)

    # (4) cost: multiply-adds and receptive field -------------------------------------------------------
    H, C = 32, 64
    macs_no = H * H * 9 * C * C
    macs_pool = (H // 2) * (H // 2) * 9 * C * C
    report.metric("next_layer_macs_without_pool", macs_no)
    report.metric("next_layer_macs_after_pool", macs_pool)
    from dlproof.experiments.catalog.conv_shape_arithmetic import rf_formula

    rf_plain = rf_formula([(3, 1, 1)] * 4)[-1]
    rf_pool = rf_formula([(3, 1, 1), (2, 2, 1), (3, 1, 1), (3, 1, 1), (3, 1, 1)])[-1]
    report.table("cost", ["", "without pooling", "with one 2×2/2 pool after layer 1"],
                 [["next 3×3 conv (64→64) multiply-adds, 32×32 input", macs_no, macs_pool],
                  ["receptive field after four 3×3 convs", rf_plain, rf_pool]])
    report.claim(
        "pooling-cuts-compute",
        en="A 2×2 stride-2 pool on a 32×32×64 map cuts the next 3×3 conv's multiply-adds by exactly 4 (its parameters "
           "stay the same; a following fully connected layer's would shrink 4×), and widens the receptive field of four "
           "3×3 convs from 9 to 16 (ratio of multiply-adds).",
        zh="在 32×32×64 的特征图上做 2×2、步长 2 的池化，下一层 3×3 卷积的乘加次数正好减少为 1/4（参数不变；若后面是全连接层，其参数减少为 1/4），"
           "四个 3×3 卷积的感受野从 9 扩大到 16（乘加次数之比）。",
        value=macs_no / macs_pool if (rf_plain, rf_pool) == (9, 16) else 0.0, op="==", threshold=4.0,
        expression="MACs(no pool) / MACs(pool)")

    # figure ------------------------------------------------------------------------------------------
    fig, ax = new_figure(1, 3, size=(9.9, 3.2))
    i = int(np.argmax(imgs[:, 0].sum((1, 2))))
    ch = int(np.argmax(det0.data[i].sum((1, 2))))
    a = det0.data[i, ch]
    b = det1.data[i, ch]
    pa = F.max_pool2d(det0, 3, 1, 1).data[i, ch]
    pb = F.max_pool2d(det1, 3, 1, 1).data[i, ch]
    ax[0].imshow(np.abs(a - b) > 1e-12 * np.abs(a).max(), cmap="Reds", vmin=0, vmax=1)
    ax[0].set_title("detector: changed after 1-px shift", fontsize=8)
    ax[1].imshow(np.abs(pa - pb) > 1e-12 * np.abs(pa).max(), cmap="Reds", vmin=0, vmax=1)
    ax[1].set_title("after max-pool 3×3: changed", fontsize=8)
    for aa in ax[:2]:
        aa.set_xticks([])
        aa.set_yticks([])
    names = list(unchanged)
    ax[2].bar(range(len(names)), [unchanged[k] for k in names], color=["C0", "C1", "C2", "C3"])
    ax[2].set_xticks(range(len(names)), ["none", "max 3", "max 5", "avg 3"])
    ax[2].set_ylabel("fraction of active outputs unchanged")
    report.figure(
        "pooling-invariance", fig,
        en="A digit shifted by one pixel. Left: detector-stage outputs (3×3 conv + ReLU, one channel) that change (red). "
           "Middle: the same after 3×3 max pooling (stride 1): many outputs no longer change. Right: fraction of active "
           "outputs unchanged, over many digits, without pooling, with max pooling of width 3 and 5, and with average pooling.",
        zh="把一个数字平移一个像素。左：检测阶段（3×3 卷积 + ReLU，一个通道）发生变化的输出（红色）。中：经过 3×3 最大池化（步长 1）后："
           "许多输出不再变化。右：在许多数字上统计的、保持不变的激活输出比例：无池化、宽度 3 和 5 的最大池化、平均池化。")
    report.progress(1.0, "done")
