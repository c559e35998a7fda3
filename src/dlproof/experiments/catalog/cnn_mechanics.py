# ruff: noqa: E501  (bilingual claim statements are long text)
"""How a CNN works, measured on our layers: local connectivity, weight sharing, exact translation
equivariance of convolution, approximate invariance after pooling, receptive-field growth with
depth, and what the built-in prior buys on data where position varies.

1. Local connectivity: the input gradient of one output unit of a 3x3 conv is nonzero on exactly
   its 3x3 window (times the input channels); a dense layer's is nonzero everywhere.
2. Weight sharing: the conv's explicit matrix (the Jacobian of the linear map) has only k^2 distinct
   nonzero values; parameters of conv vs a dense layer with the same input and output shapes,
   counted from the modules and by the formulas.
3. Equivariance: a random 3-layer conv + ReLU stack, circular padding, random shifts: f(T x) = T f(x)
   to rounding; zero padding on digits placed inside a zero canvas: also exact.
4. Pooling: the relative change of the representation when a digit moves by one pixel, after the
   first conv, after conv-pool-conv-pool (2x2 max pooling) and after global average pooling.
5. Receptive field of a conv/pool stack from the gradient of the centre unit vs the recursion.
6. Digits placed at random positions in a 16x16 canvas: a small CNN with global average pooling
   against a dense net with as many parameters, same training budget.
"""

from __future__ import annotations

import numpy as np

from dlproof.experiments.registry import Report, RunConfig, experiment


def place_in_canvas(images: np.ndarray, rng: np.random.Generator, size: int = 16) -> np.ndarray:
    """Put each 8x8 image (N, 64) at a uniformly random position of a zero (N, 1, size, size) canvas."""
    n = len(images)
    out = np.zeros((n, 1, size, size), np.float32)
    r, c = rng.integers(0, size - 7, n), rng.integers(0, size - 7, n)
    rows = r[:, None, None] + np.arange(8)[None, :, None]
    cols = c[:, None, None] + np.arange(8)[None, None, :]
    out[np.arange(n)[:, None, None], 0, rows, cols] = images.reshape(-1, 8, 8)
    return out


def small_cnn(generator, dtype=np.float32):
    """conv3(1->8)-ReLU-pool2, conv3(8->16)-ReLU-pool2, conv3(16->32)-ReLU, global average pool, Linear 32->10."""
    import dlproof.nn as nn

    g = generator
    return nn.Sequential(nn.Conv2d(1, 8, 3, padding=1, generator=g, dtype=dtype), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(8, 16, 3, padding=1, generator=g, dtype=dtype), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(16, 32, 3, padding=1, generator=g, dtype=dtype), nn.ReLU(),
                         nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(32, 10, generator=g, dtype=dtype))


@experiment(
    "cnn-mechanics",
    questions=["cnn-how-it-works"],
    title_en="How a CNN works: local connectivity, weight sharing, equivariance, pooling invariance, receptive field, the prior on shifted digits",
    title_zh="CNN 的工作原理：局部连接、权重共享、平移等变、池化的不变性、感受野、在平移的数字上先验的作用",
)
def run(cfg: RunConfig, report: Report) -> None:
    import dlproof.nn as nn
    import dlproof.nn.functional as F
    from dlproof.data import digits
    from dlproof.engine import Tensor, no_grad
    from dlproof.models.cnn import count_params, measured_receptive_field, mlp, receptive_field
    from dlproof.optim import Adam
    from dlproof.training import Trainer, accuracy

    rng = cfg.rng(0)

    # (1) local connectivity ----------------------------------------------------------------------
    C = 3
    conv = nn.Conv2d(C, 4, 3, padding=1, generator=rng, dtype=np.float64)
    dense = nn.Linear(C * 64, 4 * 64, generator=rng, dtype=np.float64)
    x = Tensor(rng.standard_normal((1, C, 8, 8)), requires_grad=True)
    i, j = (int(v) for v in rng.integers(1, 7, 2))
    conv(x)[0, 1, i, j].backward()
    conv_support = int(np.count_nonzero(x.grad))
    window_ok = bool(np.all(x.grad[:, :, i - 1:i + 2, j - 1:j + 2] != 0))
    xd = Tensor(x.data.reshape(1, -1), requires_grad=True)
    dense(xd)[0, 1 * 64 + i * 8 + j].backward()
    dense_support = int(np.count_nonzero(xd.grad))
    report.table("support", ["layer", "inputs one output depends on (nonzero gradient entries)"],
                 [["conv 3×3, 3 input channels", conv_support], ["dense", dense_support]])
    report.claim(
        "local-connectivity",
        en="Local connectivity: one output of a 3×3 conv on a 3-channel 8×8 input depends on exactly 3·3·3 = 27 inputs (its window across the channels: the nonzero entries of its input gradient), a dense layer's on all 192.",
        zh="局部连接：3 通道 8×8 输入上 3×3 卷积的一个输出恰好只依赖 3·3·3 = 27 个输入（即它在各通道上的窗口：输入梯度的非零元个数），而全连接层的一个输出依赖全部 192 个。",
        value=conv_support if (window_ok and dense_support == C * 64) else -1, op="==", threshold=27,
        expression="nonzeros of d y[0,1,i,j] / d x")

    # (2) weight sharing ----------------------------------------------------------------------------
    k1 = nn.Conv2d(1, 1, 3, padding=1, bias=False, generator=rng, dtype=np.float64)
    basis = np.eye(64).reshape(64, 1, 8, 8)
    with no_grad():
        M = k1(Tensor(basis)).data.reshape(64, 64).T  # column q = response to the q-th basis image
    distinct = np.unique(np.round(M[M != 0], 12))
    report.metric("conv_matrix_nonzeros", int(np.count_nonzero(M)))
    report.claim(
        "weight-sharing",
        en="Weight sharing: the 64×64 matrix of a 3×3 conv on an 8×8 image (built by convolving the 64 basis images) has 484 nonzero entries but only 9 distinct values, the kernel's weights, reused at every position.",
        zh="权重共享：8×8 图像上 3×3 卷积的 64×64 矩阵（对 64 个基图像做卷积得到）有 484 个非零元，但只有 9 个不同的值，就是卷积核的权重，在每个位置重复使用。",
        value=len(distinct) if np.count_nonzero(M) == 484 else -1, op="==", threshold=9,
        expression="#distinct nonzero values of the conv matrix")
    conv8 = nn.Conv2d(1, 8, 3, padding=1)
    dense8 = nn.Linear(64, 8 * 64)
    p_conv, p_dense = count_params(conv8), count_params(dense8)
    formula_ok = p_conv == 8 * 9 + 8 and p_dense == 64 * 512 + 512
    big_ratio = (224 * 224 * 3 * 224 * 224 * 64 + 224 * 224 * 64) / (64 * 3 * 9 + 64)
    report.table("params", ["map", "conv 3×3", "dense", "dense / conv"],
                 [["1×8×8 → 8×8×8 (counted from modules)", p_conv, p_dense, f"{p_dense / p_conv:.0f}"],
                  ["3×224×224 → 64×224×224 (formula)", 64 * 3 * 9 + 64, f"{big_ratio * 1792:.3g}", f"{big_ratio:.3g}"]])
    report.claim(
        "conv-vs-dense-params",
        en="Parameters for the same input and output shapes (1×8×8 → 8×8×8), counted from the modules: the conv has 8·9 + 8 = 80, the dense layer 64·512 + 512 = 33,280, 416 times more (reported: the ratio; the counts must equal the formulas).",
        zh="相同输入输出形状（1×8×8 → 8×8×8）下的参数，从模块中数出：卷积 8·9 + 8 = 80 个，全连接 64·512 + 512 = 33,280 个，多 416 倍（报告的是比值；计数必须与公式一致）。",
        value=p_dense / p_conv if formula_ok else 0.0, op=">", threshold=400.0, expression="params(dense) / params(conv)")
    report.progress(0.15, "connectivity and sharing")

    # (3) translation equivariance ------------------------------------------------------------------
    stack = [nn.Conv2d(c_in, c_out, 3, padding=0, generator=rng, dtype=np.float64)
             for c_in, c_out in ((1, 4), (4, 8), (8, 8))]

    def f_circ(z):
        h = Tensor(z)
        for layer in stack:
            h = layer(F.pad(h, (1, 1, 1, 1), mode="circular")).relu()
        return h.data

    def f_zero(z):
        h = Tensor(z)
        for layer in stack:
            h = F.conv2d(h, layer.weight, padding=1).relu()  # no bias: the background stays 0 like the padding
        return h.data

    Xd, yd = digits(np.float64, standardize=False)
    Xd = Xd / 16.0
    z = rng.standard_normal((8, 1, 12, 12))
    errs = []
    with no_grad():
        for _ in range(4):
            dy, dx = (int(v) for v in rng.integers(-5, 6, 2))
            a = f_circ(np.roll(z, (dy, dx), (2, 3)))
            b = np.roll(f_circ(z), (dy, dx), (2, 3))
            errs.append(np.abs(a - b).max() / np.abs(b).max())
        canvas = np.zeros((16, 1, 20, 20))
        canvas[:, :, 6:14, 6:14] = Xd[rng.choice(len(Xd), 16, replace=False)].reshape(-1, 1, 8, 8)
        for dy, dx in ((1, 0), (0, -2), (3, 3), (-3, 1)):  # content and its 3-pixel halo stay inside the canvas
            a = f_zero(np.roll(canvas, (dy, dx), (2, 3)))
            b = np.roll(f_zero(canvas), (dy, dx), (2, 3))
            errs.append(np.abs(a - b).max() / np.abs(b).max())
    report.claim(
        "conv-equivariance-exact",
        en="Convolution is translation-equivariant: for a random 3-layer conv + ReLU stack, shifting the input shifts the output by the same amount, f(Tx) = T f(x), to rounding (largest relative error over 4 random circular shifts with circular padding and 4 shifts of digits inside a zero canvas with zero padding; float64).",
        zh="卷积具有平移等变性：对随机的 3 层卷积 + ReLU，输入平移多少输出就平移多少，f(Tx) = T f(x)，误差只在舍入量级（4 个随机循环平移配循环填充、4 个在零画布内平移数字配零填充，取最大相对误差；float64）。",
        value=float(max(errs)), op="<", threshold=1e-12, expression="max |f(Tx) − T f(x)| / max |f(x)|")

    # (4) approximate invariance after pooling -----------------------------------------------------
    net = small_cnn(rng, np.float64)
    idx = rng.choice(len(Xd), cfg.pick(200, 800), replace=False)
    img = np.zeros((len(idx), 1, 16, 16))
    img[:, :, 4:12, 4:12] = Xd[idx].reshape(-1, 1, 8, 8)
    shifted = np.roll(img, 1, 3)
    stages = {"conv 1 (+ReLU)": 2, "conv-pool-conv-pool (2×2 max)": 6, "+ conv + global average pool": 9}
    change = {}
    with no_grad():
        for name, depth in stages.items():
            sub = nn.Sequential(*list(net)[:depth])
            a, b = sub(Tensor(img)).data.reshape(len(idx), -1), sub(Tensor(shifted)).data.reshape(len(idx), -1)
            change[name] = float(np.median(np.linalg.norm(a - b, axis=1) / np.linalg.norm(a, axis=1)))
    report.table("shift_change", ["representation", "median relative change after a 1-pixel shift"],
                 [[k, f"{v:.3f}"] for k, v in change.items()])
    c_first, c_pool, c_gap = change.values()
    report.claim(
        "pooling-approximate-invariance",
        en="Global pooling makes the representation approximately invariant: when a digit moves by one pixel, the output of global average pooling changes by less than 0.3 times as much as the first conv's feature map does at fixed positions (ratio of median relative changes; random untrained net, so this is the architecture, not learning).",
        zh="全局池化使表示近似不变：数字移动一个像素时，全局平均池化输出的变化不到第一层卷积特征图（在固定位置上）变化的 0.3 倍（相对变化中位数之比；随机未训练的网络，所以这来自结构而不是学习）。",
        value=c_gap / c_first if c_first > 0.2 else 1.0, op="<", threshold=0.3, expression="change(GAP) / change(conv 1)")
    report.claim(
        "local-pooling-partial-invariance",
        en="Local 2×2 max pooling (stride 2) buys only part of this: after conv-pool-conv-pool the relative change is smaller than after the first conv, but still more than 3 times the change after global average pooling (a 1-pixel shift is not a multiple of the stride).",
        zh="局部的 2×2 最大池化（步长 2）只带来一部分不变性：经过卷积-池化-卷积-池化后相对变化比第一层卷积后小，但仍是全局平均池化后变化的 3 倍以上（1 像素的平移不是步长的整数倍）。",
        value=c_pool / c_gap if c_pool < c_first else 0.0, op=">", threshold=3.0, expression="change(conv-pool-conv-pool) / change(GAP)")
    report.progress(0.35, "equivariance and pooling")

    # (5) receptive field ---------------------------------------------------------------------------
    chain = [("conv 3×3", 3, 1, 1), ("conv 3×3", 3, 1, 1), ("avg pool 2×2", 2, 2, 1), ("conv 3×3", 3, 1, 1),
             ("conv 3×3", 3, 1, 1), ("avg pool 2×2", 2, 2, 1), ("conv 3×3", 3, 1, 1), ("conv 3×3, dilation 2", 3, 1, 2)]
    formula = receptive_field([(k, s, d) for _, k, s, d in chain])
    ws = [np.abs(rng.standard_normal((2, 1 if n == 0 else 2, 3, 3))) for n in range(6)]
    measured = []
    for depth in range(1, len(chain) + 1):
        def fn(t, depth=depth):
            h, wi = t, 0
            for name, k, s, d in chain[:depth]:
                if name.startswith("avg"):
                    h = F.avg_pool2d(h, k, s)
                else:
                    h = F.conv2d(h, Tensor(ws[wi]), dilation=d)
                    wi += 1
            return h
        measured.append(measured_receptive_field(fn, (1, 64, 64))[0])
    report.table("receptive_field", ["layer", "formula r_l", "measured (gradient support)"],
                 [[f"{n + 1}: {chain[n][0]}", formula[n], measured[n]] for n in range(len(chain))])
    report.metric("receptive_field_final", formula[-1])
    report.claim(
        "receptive-field-formula",
        en="The receptive field grows with depth as r_l = r_{l−1} + d_l(k_l − 1)∏_{i<l} s_i: for an 8-layer stack of 3×3 convs, two 2×2 poolings and one dilated conv it reaches 40 pixels, and the gradient of the centre unit is nonzero on exactly that window after every layer (largest difference).",
        zh="感受野随深度按 r_l = r_{l−1} + d_l(k_l − 1)∏_{i<l} s_i 增长：由 3×3 卷积、两次 2×2 池化和一层空洞卷积组成的 8 层网络中它增长到 40 个像素，并且每一层之后中心单元的梯度恰好在这个窗口上非零（最大差）。",
        value=float(np.max(np.abs(np.array(formula) - np.array(measured)))) if formula[-1] == 40 else 99.0,
        op="==", threshold=0.0, expression="max_l |r_l(formula) − r_l(gradient)|")
    report.progress(0.45, "receptive field")

    # (6) the prior: digits at random positions ----------------------------------------------------
    n_train = cfg.pick(600, 1000)
    perm = rng.permutation(len(Xd))
    tr, te = perm[:n_train], perm[n_train:n_train + 600]
    Xtr, Xte = place_in_canvas(Xd[tr], rng), place_in_canvas(Xd[te], rng)
    epochs = cfg.pick(30, 40)
    accs, params = {}, {}
    for name, model in (("CNN (3 conv + global average pool)", small_cnn(rng)),
                        ("dense net 256-24-10", mlp([256, 24, 10], generator=rng))):
        trainer = Trainer(model, Adam(model.parameters(), lr=3e-3), nn.CrossEntropyLoss(), epochs=epochs,
                          batch_size=32, generator=cfg.rng(1))
        trainer.fit(Xtr, yd[tr])
        accs[name] = accuracy(trainer.predict(Xte), yd[te])
        params[name] = count_params(model)
        report.progress(0.45 + 0.27 * len(accs), name)
    report.table("shifted_digits", ["model", "parameters", "test accuracy (random position in 16×16)"],
                 [[k, params[k], f"{accs[k]:.3f}"] for k in accs])
    acc_cnn, acc_mlp = accs.values()
    report.metric("acc_cnn_shifted", acc_cnn)
    report.metric("acc_mlp_shifted", acc_mlp)
    report.claim(
        "cnn-prior-beats-dense",
        en="The prior pays where position varies: with digits placed at random positions in a 16×16 canvas and the same training budget, a CNN with global average pooling beats a dense net with about as many parameters by more than 30 points of test accuracy.",
        zh="在位置会变化的数据上先验很有用：数字随机放在 16×16 画布中、训练预算相同时，带全局平均池化的 CNN 的测试准确率比参数量相当的全连接网络高 30 个百分点以上。",
        value=acc_cnn - acc_mlp if abs(params["dense net 256-24-10"] / params["CNN (3 conv + global average pool)"] - 1) < 0.1 else 0.0,
        op=">", threshold=0.3, expression="acc(CNN) − acc(dense)")
    report.progress(1.0, "done")
