# ruff: noqa: E501  (bilingual claim statements are long text)
"""The Inception module (``dlproof.models.cnn.InceptionBlock``): what the 1x1 bottlenecks save,
what the concatenation does, and the mix of receptive fields in one layer.

1. Cost of a 5x5 branch on 256 channels with 32 outputs, with and without a 1x1 reduction to 64,
   counted by running the layers, against 25*256*32 and 256*64 + 25*64*32.
2. GoogLeNet's inception (3a) (192 channels at 28x28; 64, 96->128, 16->32, pool->32): parameters
   and multiply-adds counted from the block, with and without the reductions; against the 128M
   multiply-adds of Szegedy et al. (2015), Table 1.
3. Concatenation: each channel slice of the output equals its branch run alone, and the input
   gradient is the sum of the branches' input gradients.
4. Receptive fields of the four branches (gradient support): 1, 3, 5 and 3 pixels in one layer.
5. A small net with an Inception block, with and without the reductions, trained on digits.
"""

from __future__ import annotations

import numpy as np

from dlproof.experiments.registry import Report, RunConfig, experiment


@experiment(
    "inception-module",
    questions=["inception-network"],
    title_en="The Inception module: 1×1 bottleneck savings counted, concatenation, receptive fields of the branches",
    title_zh="Inception 模块：数出 1×1 瓶颈省下的计算、拼接、各分支的感受野",
)
def run(cfg: RunConfig, report: Report) -> None:
    import dlproof.nn as nn
    from dlproof.data import digits
    from dlproof.engine import Tensor
    from dlproof.models.cnn import InceptionBlock, InceptionMini, conv2d_macs, count_macs, count_params
    from dlproof.optim import Adam
    from dlproof.training import Trainer, accuracy

    rng = cfg.rng(0)

    # (1) the 5x5 branch with and without a 1x1 reduction -----------------------------------------
    hw = 8
    direct = nn.Conv2d(256, 32, 5, padding=2, bias=False)
    reduced = nn.Sequential(nn.Conv2d(256, 64, 1, bias=False), nn.ReLU(), nn.Conv2d(64, 32, 5, padding=2, bias=False))
    m_direct = count_macs(direct, (256, hw, hw))["total"] // (hw * hw)
    m_reduced = count_macs(reduced, (256, hw, hw))["total"] // (hw * hw)
    formula_ok = m_direct == 25 * 256 * 32 == 204_800 and m_reduced == 256 * 64 + 25 * 64 * 32 == 67_584
    report.table("bottleneck_5x5", ["5×5 branch, 256 → 32 channels", "multiply-adds per location (counted)", "formula"],
                 [["direct 5×5", m_direct, "25·256·32 = 204,800"],
                  ["1×1 to 64, then 5×5", m_reduced, "256·64 + 25·64·32 = 67,584"]])
    report.claim(
        "bottleneck-5x5-saving",
        en="A 1×1 reduction cuts the cost of a 5×5 branch by the factor the formula predicts: 256 → 32 channels cost 25·256·32 = 204,800 multiply-adds per location directly and 256·64 + 25·64·32 = 67,584 after a 1×1 reduction to 64 channels, 3.03 times less (counted by running the layers; the counts must equal the formulas).",
        zh="1×1 降维按公式预测的倍数降低 5×5 分支的计算量：256 → 32 通道直接做 5×5 时每个位置 25·256·32 = 204,800 次乘加，先用 1×1 降到 64 通道后是 256·64 + 25·64·32 = 67,584 次，少 3.03 倍（通过运行各层计数；计数必须与公式一致）。",
        value=m_direct / m_reduced if formula_ok else 0.0, op=">", threshold=3.0, expression="MACs(direct) / MACs(reduced)")

    # (2) inception (3a) --------------------------------------------------------------------------
    with_r = InceptionBlock(192, 64, 96, 128, 16, 32, 32, reduce=True)
    without_r = InceptionBlock(192, 64, 96, 128, 16, 32, 32, reduce=False)
    side = cfg.pick(8, 28)
    macs_r = count_macs(with_r, (192, side, side))["total"] * (28 * 28) // (side * side)
    macs_n = count_macs(without_r, (192, side, side))["total"] * (28 * 28) // (side * side)
    p_r, p_n = count_params(with_r), count_params(without_r)
    weights_r = sum(p.data.size for n, p in with_r.named_parameters() if n.endswith("weight"))
    closed_form = 28 * 28 * (conv2d_macs(192, 64, 1, 1, 1) + conv2d_macs(192, 96, 1, 1, 1) + conv2d_macs(96, 128, 3, 1, 1)
                             + conv2d_macs(192, 16, 1, 1, 1) + conv2d_macs(16, 32, 5, 1, 1) + conv2d_macs(192, 32, 1, 1, 1))
    report.table("inception_3a", ["inception (3a), 192 ch at 28×28", "parameters", "multiply-adds (millions)"],
                 [["with 1×1 reductions", p_r, f"{macs_r / 1e6:.1f}"], ["without reductions", p_n, f"{macs_n / 1e6:.1f}"],
                  ["Szegedy et al. 2015, Table 1", "159K", "128"]])
    report.metric("inception3a_params_reduced", p_r)
    report.metric("inception3a_macs_reduced_millions", macs_r / 1e6)
    report.metric("inception3a_macs_unreduced_millions", macs_n / 1e6)
    report.claim(
        "inception-3a-matches-paper",
        en="Our InceptionBlock with GoogLeNet's inception (3a) sizes does 128.0 million multiply-adds at 28×28, the 128M of Szegedy et al. (2015, Table 1), and its 163,328 weights are their 159K (in units of 1024) (counted from the block; reported: the multiply-adds in millions; the count must equal the closed form).",
        zh="按 GoogLeNet inception (3a) 的尺寸构造的 InceptionBlock 在 28×28 上做 1.280 亿次乘加，正是 Szegedy et al.（2015，表 1）中的 128M；它的 163,328 个权重就是表中的 159K（以 1024 为单位）（从模块中计数；报告乘加次数（百万）；计数必须等于闭式结果）。",
        value=macs_r / 1e6 if macs_r == closed_form and weights_r == 163_328 else 0.0, op="between", threshold=(127.5, 128.5),
        expression="MACs(inception 3a) / 1e6")
    report.claim(
        "inception-3a-reduction-saving",
        en="Without the 1×1 reductions in front of the 3×3 and 5×5 branches the same module needs 2.4 times the multiply-adds and 2.4 times the parameters (ratio of multiply-adds, counted).",
        zh="去掉 3×3 和 5×5 分支前面的 1×1 降维，同一个模块需要 2.4 倍的乘加次数和 2.4 倍的参数（报告乘加次数之比，计数得到）。",
        value=macs_n / macs_r if p_n / p_r > 2.2 else 0.0, op=">", threshold=2.2, expression="MACs(no reduction) / MACs(reduced)")
    report.progress(0.3, "counting")

    # (3) concatenation ---------------------------------------------------------------------------
    block = InceptionBlock(6, 3, 2, 4, 2, 3, 2, generator=rng, dtype=np.float64)
    x = rng.standard_normal((2, 6, 7, 7))
    xt = Tensor(x, requires_grad=True)
    y = block(xt)
    g = rng.standard_normal(y.shape)
    y.backward(g)
    branches = [block.b1, block.b3, block.b5, block.bp]
    slices, start, grad_sum, errs = [], 0, np.zeros_like(x), []
    for b in branches:
        xb = Tensor(x, requires_grad=True)
        yb = b(xb)
        width = yb.shape[1]
        errs.append(float(np.abs(y.data[:, start:start + width] - yb.data).max()))
        yb.backward(g[:, start:start + width])
        grad_sum += xb.grad
        slices.append(width)
        start += width
    grad_err = float(np.abs(xt.grad - grad_sum).max())
    report.claim(
        "concat-is-branchwise",
        en="The module's output is the channel concatenation of its branches, and backprop splits the upstream gradient by channel slices and adds the branches' input gradients: each slice equals its branch run alone, and the input gradient equals the sum of the four branch gradients (largest difference, float64).",
        zh="模块的输出就是各分支沿通道的拼接，反向传播按通道切片拆开上游梯度，再把各分支对输入的梯度相加：每个切片等于该分支单独运行的结果，输入梯度等于四个分支梯度之和（最大差，float64）。",
        value=max(max(errs), grad_err) if sum(slices) == y.shape[1] == 12 else 1.0, op="<", threshold=1e-12,
        expression="max(|slice − branch|, |grad − Σ branch grads|)")

    # (4) receptive fields of the branches --------------------------------------------------------
    probe = InceptionBlock(1, 1, 1, 1, 1, 1, 1, generator=rng, dtype=np.float64)
    for p in probe.parameters():
        p.data[...] = np.abs(p.data) + 0.1  # positive weights: no cancellation, every ReLU active
    def support(branch) -> int:
        """Width of the union, over 16 random inputs, of the input pixels where the centre output's
        gradient is nonzero (max pooling routes each gradient to one argmax, so one input is not enough)."""
        z = Tensor(rng.uniform(0.5, 1.5, (16, 1, 15, 15)), requires_grad=True)
        out = branch(z)
        sel = np.zeros(out.shape)
        sel[:, :, 7, 7] = 1.0
        (out * Tensor(sel)).sum().backward()
        cols = np.flatnonzero((np.abs(z.grad) > 0).any(axis=(0, 1, 2)))
        return int(cols[-1] - cols[0] + 1)

    rfs = [support(b) for b in (probe.b1, probe.b3, probe.b5, probe.bp)]
    report.table("branch_receptive_fields", ["branch", "receptive field (gradient support)"],
                 [[n, r] for n, r in zip(["1×1", "1×1 → 3×3", "1×1 → 5×5", "3×3 max pool → 1×1"], rfs)])
    report.claim(
        "branches-mix-scales",
        en="One Inception layer mixes scales: its four branches have receptive fields of 1, 3, 5 and 3 pixels (read off the gradient, united over 16 random inputs because max pooling routes the gradient to one argmax; reported: the largest difference from (1, 3, 5, 3)).",
        zh="一个 Inception 层混合了多个尺度：四个分支的感受野分别是 1、3、5、3 个像素（由梯度读出，取 16 个随机输入的并集，因为最大池化只把梯度传给一个 argmax；报告与 (1, 3, 5, 3) 的最大差）。",
        value=float(np.max(np.abs(np.array(rfs) - np.array([1, 3, 5, 3])))), op="==", threshold=0.0,
        expression="max |rf − (1, 3, 5, 3)|")
    report.progress(0.45, "concatenation and receptive fields")

    # (5) training on digits ----------------------------------------------------------------------
    X, yd = digits(np.float32)
    X = X.reshape(-1, 1, 8, 8)
    perm = rng.permutation(len(X))
    n_train, epochs = cfg.pick(600, 1000), cfg.pick(10, 12)
    tr, te = perm[:n_train], perm[1297:]
    rows, res = [], {}
    for i, reduce in enumerate((True, False)):
        model = InceptionMini(reduce=reduce, generator=rng)
        trainer = Trainer(model, Adam(model.parameters(), lr=1e-2), nn.CrossEntropyLoss(), epochs=epochs,
                          batch_size=32, generator=cfg.rng(1))
        trainer.fit(X[tr], yd[tr])
        acc = accuracy(trainer.predict(X[te]), yd[te])
        macs = count_macs(model, (1, 8, 8))["total"]
        res[reduce] = (count_params(model), macs, acc)
        rows.append(["with 1×1 reductions" if reduce else "without reductions", res[reduce][0], macs, f"{acc:.3f}"])
        report.progress(0.45 + 0.27 * (i + 1), "training")
    report.table("digits", ["stem + Inception block + GAP", "parameters", "multiply-adds / image", "test accuracy"], rows)
    report.metric("acc_reduced", res[True][2])
    report.metric("acc_unreduced", res[False][2])
    report.claim(
        "bottleneck-net-learns",
        en=f"A small net with one Inception block (with the 1×1 reductions) learns the 8×8 digits: more than 75% test accuracy after {epochs} epochs on {n_train} images, with fewer multiply-adds than the same net without reductions (reported: its accuracy).",
        zh=f"带一个 Inception 模块（有 1×1 降维）的小网络能学会 8×8 digits：在 {n_train} 张图上训练 {epochs} 轮后测试准确率超过 75%，乘加次数比去掉降维的同一网络少（报告其准确率）。",
        value=res[True][2] if res[True][1] < res[False][1] else 0.0, op=">", threshold=0.75, expression="accuracy, with reductions")
    report.progress(1.0, "done")
