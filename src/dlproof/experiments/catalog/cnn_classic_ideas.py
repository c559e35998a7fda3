# ruff: noqa: E501  (bilingual claim statements are long text)
"""What each classic CNN idea buys, measured on small versions of the architectures
(``dlproof.models.cnn``).

1. VGG: two stacked 3x3 convs have the receptive field of one 5x5 (three: one 7x7), read off the
   gradient, with 18C^2 (27C^2) instead of 25C^2 (49C^2) weights, counted from the modules.
2. ResNet: the norm of the gradient that reaches the input of a deep stack at initialisation,
   relative to the gradient at its output, for plain blocks and residual blocks (PyTorch's default
   init), and for plain blocks with He init.
3. MobileNet: multiply-adds and parameters of a depthwise-separable conv against a standard conv,
   counted by running the layers, against the formula 1/C_out + 1/k^2.
4. LeNet-like, VGG-style, ResNet-style and MobileNet-style nets and a dense net trained with the
   same budget on the 8x8 digits: parameters, multiply-adds, test accuracy.
"""

from __future__ import annotations

import numpy as np

from dlproof.experiments.registry import Report, RunConfig, experiment


def input_gradient_ratio(blocks, x: np.ndarray, rng: np.random.Generator) -> float:
    """||dL/dx_0|| / ||dL/dx_L|| for a chain of blocks at its current weights, with L = <g, x_L>
    for a random upstream gradient g (float64)."""
    from dlproof.engine import Tensor

    x0 = Tensor(x, requires_grad=True)
    h = x0
    for b in blocks:
        h = b(h)
    g = rng.standard_normal(h.shape)
    h.backward(g)
    return float(np.linalg.norm(x0.grad) / np.linalg.norm(g))


@experiment(
    "cnn-classic-ideas",
    questions=["cnn-classic-models"],
    title_en="Classic CNNs, idea by idea: 3×3 stacks, residual connections, depthwise-separable convs, accuracy on digits",
    title_zh="经典 CNN 逐个思想来看：3×3 堆叠、残差连接、深度可分离卷积、在 digits 上的准确率",
)
def run(cfg: RunConfig, report: Report) -> None:
    import dlproof.nn as nn
    import dlproof.nn.functional as F
    from dlproof.data import digits
    from dlproof.engine import Tensor
    from dlproof.models.cnn import (
        DepthwiseSeparableConv,
        LeNet,
        MobileNetMini,
        PlainBlock,
        ResidualBlock,
        ResNetMini,
        VGGMini,
        count_macs,
        count_params,
        measured_receptive_field,
        mlp,
        vgg_stage,
    )
    from dlproof.optim import Adam
    from dlproof.training import Trainer, accuracy

    rng = cfg.rng(0)

    # (1) VGG: stacks of 3x3 --------------------------------------------------------------------------
    def rf(kernels):
        ws = [np.abs(rng.standard_normal((1, 1, k, k))) for k in kernels]

        def fn(t):
            for w in ws:
                t = F.conv2d(t, Tensor(w))
            return t
        return measured_receptive_field(fn, (1, 32, 32))[0]

    rf33, rf5, rf333, rf7 = rf([3, 3]), rf([5]), rf([3, 3, 3]), rf([7])
    C = 64
    p33 = count_params(vgg_stage(C, C, 2, pool=False))
    p5 = count_params(nn.Conv2d(C, C, 5))
    p333 = count_params(vgg_stage(C, C, 3, pool=False))
    p7 = count_params(nn.Conv2d(C, C, 7))
    report.table("vgg_stacks", ["layers (C = 64)", "receptive field (gradient)", "parameters (counted)", "formula (weights)"],
                 [["two 3×3", rf33, p33, "18C² + 2C"], ["one 5×5", rf5, p5, "25C² + C"],
                  ["three 3×3", rf333, p333, "27C² + 3C"], ["one 7×7", rf7, p7, "49C² + C"]])
    report.claim(
        "two-3x3-equal-5x5-field",
        en="Two stacked 3×3 convs see exactly the 5×5 window of one 5×5 conv, and three see the 7×7 window of one 7×7 (receptive fields read off the gradient of the centre output; reported: the largest difference).",
        zh="两层 3×3 卷积恰好看到一层 5×5 卷积的 5×5 窗口，三层 3×3 看到一层 7×7 的 7×7 窗口（感受野由中心输出的梯度读出；报告最大差）。",
        value=float(max(abs(rf33 - rf5), abs(rf333 - rf7))) if rf5 == 5 and rf7 == 7 else 99.0, op="==", threshold=0.0,
        expression="max(|rf(3,3) − rf(5)|, |rf(3,3,3) − rf(7)|)")
    counts_ok = (p33 == 18 * C * C + 2 * C and p5 == 25 * C * C + C and p333 == 27 * C * C + 3 * C and p7 == 49 * C * C + C)
    report.claim(
        "two-3x3-fewer-params",
        en="… with fewer weights: at C = 64 channels, two 3×3 layers have 18C² + 2C parameters against 25C² + C for one 5×5 (ratio 0.72), three 3×3 have 27C² + 3C against 49C² + C (ratio 0.55), counted from the modules (reported: the two-layer ratio; both counts must equal the formulas), and they add a nonlinearity in between.",
        zh="……而且权重更少：C = 64 个通道时，两层 3×3 有 18C² + 2C 个参数，一层 5×5 有 25C² + C 个（比值 0.72）；三层 3×3 有 27C² + 3C 个，一层 7×7 有 49C² + C 个（比值 0.55）。数值从模块中数出（报告两层的比值；两个计数都必须与公式一致），而且中间多了非线性。",
        value=p33 / p5 if counts_ok and p333 / p7 < 0.56 else 1.0, op="<", threshold=0.73, expression="params(3×3, 3×3) / params(5×5)")
    report.progress(0.1, "3x3 stacks")

    # (2) ResNet: gradient at the input of a deep stack at init -------------------------------------
    width, depths = 8, [1, 2, 4, 8, 16]
    x = rng.standard_normal((4, width, 8, 8))
    rows, ratios = [], {"plain (default init)": [], "plain (He init)": [], "residual (default init)": []}
    for L in depths:
        plain = [PlainBlock(width, width, generator=rng, dtype=np.float64) for _ in range(L)]
        res = [ResidualBlock(width, width, generator=rng, dtype=np.float64) for _ in range(L)]
        he = [PlainBlock(width, width, generator=rng, dtype=np.float64) for _ in range(L)]
        for b in he:
            for conv in (b.conv1, b.conv2):
                nn.init.kaiming_normal_(conv.weight, nonlinearity="relu", generator=rng)
                nn.init.zeros_(conv.bias)
        for name, blocks in (("plain (default init)", plain), ("plain (He init)", he), ("residual (default init)", res)):
            ratios[name].append(input_gradient_ratio(blocks, x, rng))
        rows.append([2 * L] + [f"{ratios[k][-1]:.3g}" for k in ratios])
    report.table("gradient_at_input", ["conv layers", *[f"‖∂L/∂x₀‖ / ‖∂L/∂x_L‖, {k}" for k in ratios]], rows)
    plain_deep, he_deep, res_deep = (ratios[k][-1] for k in ratios)
    res_all = ratios["residual (default init)"]
    report.metric("plain_ratio_32_layers", plain_deep)
    report.metric("he_plain_ratio_32_layers", he_deep)
    report.metric("residual_ratio_32_layers", res_deep)
    report.claim(
        "plain-stack-gradient-vanishes",
        en="Without shortcuts the gradient vanishes with depth at PyTorch's default init: through 32 conv + ReLU layers (16 plain blocks) the input receives less than 1e-8 of the output gradient's norm.",
        zh="没有捷径连接时，在 PyTorch 默认初始化下梯度随深度消失：经过 32 层卷积 + ReLU（16 个普通块）后，输入得到的梯度范数不到输出梯度的 1e-8。",
        value=plain_deep, op="<", threshold=1e-8, expression="‖∂L/∂x₀‖ / ‖∂L/∂x_L‖, plain, 32 layers")
    report.claim(
        "residual-keeps-gradient",
        en="With identity shortcuts and the same init the gradient does not decay with depth: at every depth from 2 to 32 conv layers the input receives between 0.4 and 2 times the output gradient's norm (the ReLU after each sum drops a share; reported: the smallest over depths, the claim also requires the largest < 2).",
        zh="加上恒等捷径、同样的初始化，梯度不随深度衰减：从 2 层到 32 层卷积的每个深度上，输入得到的梯度范数都在输出梯度的 0.4 到 2 倍之间（每次相加之后的 ReLU 会截掉一部分；报告各深度中的最小值，断言同时要求最大值 < 2）。",
        value=min(res_all) if max(res_all) < 2 else 0.0, op=">", threshold=0.4, expression="min over depths of ‖∂L/∂x₀‖ / ‖∂L/∂x_L‖, residual")
    report.progress(0.3, "residual gradients")

    # (3) MobileNet: depthwise-separable cost -----------------------------------------------------
    c_in, c_out, k, hw = 64, 128, 3, 8
    std = nn.Conv2d(c_in, c_out, k, padding=1, bias=False)
    ds = DepthwiseSeparableConv(c_in, c_out, k)
    m_std, m_ds = count_macs(std, (c_in, hw, hw))["total"], count_macs(ds, (c_in, hw, hw))["total"]
    formula = 1 / c_out + 1 / k**2
    p_std, p_ds = count_params(std), count_params(ds)
    report.table("depthwise_separable", ["", "standard 3×3 conv", "depthwise + pointwise", "ratio", "1/C_out + 1/k²"],
                 [["multiply-adds (8×8 map, counted)", m_std, m_ds, f"{m_ds / m_std:.4f}", f"{formula:.4f}"],
                  ["parameters (counted)", p_std, p_ds, f"{p_ds / p_std:.4f}", "(+ biases)"]])
    report.claim(
        "depthwise-separable-cost",
        en="A depthwise-separable conv (64 → 128 channels, 3×3) costs 1/C_out + 1/k² = 0.119 of a standard conv's multiply-adds: counted by running both layers on an 8×8 map, the ratio equals the formula (reported: the absolute difference).",
        zh="深度可分离卷积（64 → 128 通道、3×3）的乘加次数是标准卷积的 1/C_out + 1/k² = 0.119：在 8×8 特征图上运行两层并计数，比值与公式相等（报告绝对差）。",
        value=abs(m_ds / m_std - formula), op="<", threshold=1e-12, expression="|MACs(ds)/MACs(std) − (1/C_out + 1/k²)|")
    report.progress(0.35, "depthwise separable")

    # (4) the small nets on digits ------------------------------------------------------------------
    X, y = digits(np.float32)
    X = X.reshape(-1, 1, 8, 8)
    perm = rng.permutation(len(X))
    n_train = cfg.pick(500, 1000)
    tr, te = perm[:n_train], perm[1297:]
    epochs = cfg.pick(10, 15)
    nets = {"LeNet-like": LeNet(generator=rng), "VGG-style (3×3 stacks)": VGGMini(8, generator=rng),
            "ResNet-style": ResNetMini(8, 1, generator=rng), "MobileNet-style": MobileNetMini(8, generator=rng),
            "dense 64-64-10": mlp([64, 64, 10], generator=rng)}
    results = {}
    for i, (name, model) in enumerate(nets.items()):
        trainer = Trainer(model, Adam(model.parameters(), lr=1e-2), nn.CrossEntropyLoss(), epochs=epochs,
                          batch_size=32, generator=cfg.rng(1))
        trainer.fit(X[tr], y[tr])
        results[name] = (count_params(model), count_macs(model, (1, 8, 8))["total"],
                         accuracy(trainer.predict(X[te]), y[te]))
        report.progress(0.35 + 0.13 * (i + 1), name)
    report.table("digits", ["model", "parameters", "multiply-adds / image", "test accuracy"],
                 [[k, p, m, f"{a:.3f}"] for k, (p, m, a) in results.items()])
    cnn_accs = [a for k, (_, _, a) in results.items() if not k.startswith("dense")]
    for k, (_, _, a) in results.items():
        report.metric("acc_" + k.split(" ")[0].split("-")[0].lower(), a)
    report.claim(
        "small-cnns-learn-digits",
        en=f"Each of the four small CNNs (LeNet-like, VGG-style, ResNet-style, MobileNet-style, 1.4k-6k parameters) reaches more than 80% test accuracy on the 8×8 digits after {epochs} epochs on {n_train} images (reported: the worst of the four).",
        zh=f"四个小 CNN（类 LeNet、VGG 式、ResNet 式、MobileNet 式，1.4k-6k 个参数）在 {n_train} 张 8×8 digits 图像上训练 {epochs} 轮后，测试准确率都超过 80%（报告四者中最差的）。",
        value=min(cnn_accs), op=">", threshold=0.8, expression="min accuracy over the four CNNs")
    report.claim(
        "digits-too-small-to-rank",
        en="On centred 8×8 digits the architectures are not separated by accuracy: no CNN beats the dense 64-64-10 net by more than 3 points (reported: best CNN − dense); what the ideas buy is shown by the counts and gradients above, and by shifted inputs in the CNN-mechanics experiment.",
        zh="在居中的 8×8 digits 上，准确率区分不出这些结构：没有哪个 CNN 比 64-64-10 的全连接网络高出 3 个百分点以上（报告最好的 CNN − 全连接）；这些思想带来的好处见上面的计数与梯度，以及 CNN 原理实验中平移输入的结果。",
        value=max(cnn_accs) - results["dense 64-64-10"][2], op="<", threshold=0.03, expression="max acc(CNN) − acc(dense)")
    report.progress(1.0, "done")
