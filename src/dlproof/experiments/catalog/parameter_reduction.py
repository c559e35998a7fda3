# ruff: noqa: E501  (bilingual claim statements are long text)
"""Reducing the number of parameters: what each method costs in accuracy, measured on one network.

A teacher MLP 64-256-256-10 (85,002 parameters) is trained on 1,200 digits and tested on the other
597. Then, without retraining from scratch:

(a) Low rank: both hidden layers are replaced by their rank-r truncated SVD (two factors, r(m + n)
    weights instead of mn), for r = 2..32, with and without a short fine-tune of the factors. The
    spectra explain the result: the weight matrix after training is still mostly its random
    initialisation (a flat spectrum), while the training update W - W0 is nearly low-rank.
(b) Magnitude pruning: the smallest |w| over all layers are zeroed at 50-98% sparsity (global
    masks), with and without a short fine-tune that keeps the masks; random pruning at the same
    sparsity is the control.
(c) Quantisation: uniform symmetric k-bit (k = 8, 4, 3, 2) against k-means weight sharing with
    2^k shared values per layer (Deep Compression); the parameter count stays, the bits drop.
(d) Distillation: a 64-32-10 student (2,410 parameters) trained on hard labels against the same
    student trained on the teacher's softened outputs (T = 4, alpha = 0.9), on the full transfer
    set and on a small one (150 labelled examples).
(e) Architecture: parameter counts of standard, grouped, depthwise-separable and bottleneck
    convolutions and of a flatten+FC head against global average pooling, counted from the
    modules; parameters against multiply-adds in a small CNN (run) and in VGG-16 (closed form).
"""

from __future__ import annotations

import time

import numpy as np

from dlproof.experiments.registry import Report, RunConfig, experiment

SIZES = [64, 256, 256, 10]
RANKS = [2, 4, 8, 16, 32]
SPARSITIES = [0.5, 0.8, 0.9, 0.95, 0.98]
BITS = [8, 4, 3, 2]
VGG16 = [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"]
VGG16_PUBLISHED = 138_357_544  # torchvision's vgg16 parameter count


def _energy(s, r):
    """Share of the squared Frobenius norm in the top r singular values."""
    return float((s[:r] ** 2).sum() / (s ** 2).sum())


def _vgg16_counts():
    """(conv params, conv MACs, fc params, fc MACs) of VGG-16 at 224x224, from the closed forms."""
    from dlproof.models.cnn import conv2d_macs
    from dlproof.models.compression import conv_params

    c, hw, cp, cm = 3, 224, 0, 0
    for v in VGG16:
        if v == "M":
            hw //= 2
            continue
        cp += conv_params(c, v, 3)
        cm += conv2d_macs(c, v, 3, hw, hw)
        c = v
    fc = [(c * hw * hw, 4096), (4096, 4096), (4096, 1000)]
    return cp, cm, sum(i * o + o for i, o in fc), sum(i * o for i, o in fc)


@experiment(
    "parameter-reduction",
    questions=["reduce-parameters"],
    title_en="Reducing parameters: low rank, pruning, quantisation, distillation and cheaper layers",
    title_zh="减少参数：低秩分解、剪枝、量化、蒸馏与更省参数的层",
)
def run(cfg: RunConfig, report: Report) -> None:
    import dlproof
    import dlproof.nn as nn
    import dlproof.nn.functional as F
    from dlproof import data
    from dlproof.models import compression as C
    from dlproof.models.cnn import DepthwiseSeparableConv, LeNet, count_macs, count_params
    from dlproof.models.mlp import activation, init_mlp, train
    from dlproof.optim import SGD

    t0 = time.perf_counter()
    epochs, ft_epochs = cfg.pick((15, 3), (30, 6))
    act = activation("relu")
    rng = cfg.rng(0)
    X, y = data.digits(np.float32)
    perm = rng.permutation(len(X))
    tr, te = perm[:1200], perm[1200:]
    Xtr, ytr, Xte, yte = X[tr], y[tr], X[te], y[te]

    def tens(a, grad=True):
        return dlproof.tensor(np.asarray(a, np.float32), requires_grad=grad)

    def acc(layers) -> float:
        with dlproof.no_grad():
            return float((C.compressed_forward(layers, Xte, act).numpy().argmax(1) == yte).mean())

    def n_params(layers) -> int:
        return int(sum(t.data.size for layer in layers for t in layer))

    params = init_mlp(SIZES, rng, gain2=2.0, dtype=np.float32)
    W0 = [W.data.copy() for W, _ in params]
    train(params, Xtr, ytr, act, lr=0.05, epochs=epochs, batch=64, rng=rng, momentum=0.9)
    Ws, bs = [W.data.copy() for W, _ in params], [b.data.copy() for _, b in params]
    base, P = acc(params), n_params(params)
    report.metric("teacher_accuracy", base)
    report.metric("teacher_params", P)
    report.progress(0.15, "teacher trained")
    frng = cfg.rng(1)

    def finetune(layers, masks=None, lr=0.05):
        C.finetune(layers, Xtr, ytr, act, lr=lr, epochs=ft_epochs, batch=64, rng=frng, momentum=0.9,
                   masks=masks)
        return acc(layers)

    # (a) low rank ---------------------------------------------------------------------------------
    s_W = np.linalg.svd(Ws[1], compute_uv=False)
    s_dW = np.linalg.svd(Ws[1] - W0[1], compute_uv=False)
    e_W, e_dW = _energy(s_W, 16), _energy(s_dW, 16)
    report.metric("energy_top16_W", e_W)
    report.metric("energy_top16_update", e_dW)
    report.claim(
        "update-low-rank-weight-not",
        en=f"After training, the 256×256 hidden layer is not low-rank but its training update is: the top 16 of 256 singular values hold {e_dW:.0%} of the squared norm of W − W0 and only {e_W:.0%} of W's (W is still mostly its random initialisation). Reported: the update's share, required > 0.7 with W's share < 0.4.",
        zh=f"训练后 256×256 隐藏层本身不是低秩的，但它的训练增量是：256 个奇异值中最大的 16 个占 W − W0 平方范数的 {e_dW:.0%}，只占 W 的 {e_W:.0%}（W 大部分仍是随机初始化）。报告增量的占比，要求 > 0.7，且 W 的占比 < 0.4。",
        value=e_dW if e_W < 0.4 else 0.0, op=">", threshold=0.7,
        expression="sum_{i<=16} s_i(W - W0)^2 / ||W - W0||_F^2, set to 0 unless the same share of W < 0.4")

    rows, lr_curve, count_err = [], [], 0
    for r in RANKS:
        layers = []
        for i, (W, b) in enumerate(zip(Ws, bs)):
            if i < 2:
                A, B = C.low_rank_factors(W, r)
                count_err = max(count_err, abs(A.size + B.size - C.low_rank_params(*W.shape, r)))
                layers.append((tens(A), tens(B), tens(b)))
            else:
                layers.append((tens(W), tens(b)))
        a0 = acc(layers)
        a1 = finetune(layers, lr=0.02)
        lr_curve.append((r, n_params(layers), a0, a1))
        rows.append([f"rank {r}", n_params(layers), f"{a0:.3f}", f"{a1:.3f}"])
    r16 = lr_curve[RANKS.index(16)]
    loss16_raw, loss16_ft = 100 * (base - r16[2]), 100 * (base - r16[3])
    report.metric("rank16_params", r16[1])
    report.metric("rank16_loss_points_no_finetune", loss16_raw)
    report.metric("rank16_loss_points_finetuned", loss16_ft)
    report.claim(
        "factor-counts",
        en=f"A rank-r factorised layer stores exactly r(m + n) weights: counted from the SVD factors for r = {', '.join(map(str, RANKS))} on both hidden layers (reported: the largest difference from the formula). At r = 16 the 256×256 layer needs 16·512 = 8,192 weights instead of 65,536 (8× fewer), the whole network {r16[1]:,} instead of {P:,}.",
        zh=f"秩 r 分解后的层恰好存 r(m + n) 个权重：对两个隐藏层、r = {', '.join(map(str, RANKS))} 从 SVD 因子数出（报告与公式的最大差）。r = 16 时 256×256 层只要 16·512 = 8,192 个权重而非 65,536（少 8 倍），整个网络 {r16[1]:,} 个而非 {P:,}。",
        value=count_err, op="<", threshold=0.5, expression="max_r |size(A) + size(B) - r(m + n)|")
    report.claim(
        "truncation-alone-hurts",
        en=f"Truncating both hidden layers to rank 16 without fine-tuning costs more than 10 accuracy points ({100 * r16[2]:.1f}% against the teacher's {100 * base:.1f}%): the discarded singular directions still carry the random initialisation the network's function depends on.",
        zh=f"不做微调、直接把两个隐藏层截断到秩 16，准确率损失超过 10 个百分点（{100 * r16[2]:.1f}% 对教师网络的 {100 * base:.1f}%）：丢掉的奇异方向里仍有网络函数所依赖的随机初始化成分。",
        value=loss16_raw, op=">", threshold=10.0, expression="100 (acc_teacher - acc_rank16)")
    report.claim(
        "rank16-finetuned",
        en=f"After {ft_epochs} epochs of fine-tuning the factors, the rank-16 network ({r16[1]:,} parameters, {P / r16[1]:.1f}× fewer) loses less than 5 points ({100 * r16[3]:.1f}%).",
        zh=f"对两个因子微调 {ft_epochs} 轮后，秩 16 的网络（{r16[1]:,} 个参数，少 {P / r16[1]:.1f} 倍）损失不到 5 个百分点（{100 * r16[3]:.1f}%）。",
        value=loss16_ft, op="<", threshold=5.0, expression="100 (acc_teacher - acc_rank16_finetuned)")
    report.progress(0.4, "low rank done")

    # (b) pruning ----------------------------------------------------------------------------------
    n_w = sum(W.size for W in Ws)
    pr_curve = []
    mrng = cfg.rng(3)
    for sp in SPARSITIES:
        masks = C.magnitude_masks(Ws, sp, scope="global")
        layers = [(tens(W), tens(b)) for W, b in zip(C.apply_masks(Ws, masks), bs)]
        a0 = acc(layers)
        a1 = finetune(layers, masks)
        zeros_kept = all(np.all(L[0].data[~M] == 0) for L, M in zip(layers, masks))
        rand = C.apply_masks(Ws, C.random_masks(Ws, sp, mrng))
        ar = acc([(tens(W), tens(b)) for W, b in zip(rand, bs)])
        kept = P - (n_w - sum(int(M.sum()) for M in masks))
        pr_curve.append((sp, kept, a0, a1, ar, zeros_kept))
        rows.append([f"prune {sp:.0%}", kept, f"{a0:.3f}", f"{a1:.3f}"])
    by = {c[0]: c for c in pr_curve}
    report.table("accuracy", ["model", "non-zero parameters", "test accuracy", "after fine-tuning"],
                 [["teacher", P, f"{base:.3f}", "-"]] + rows)
    gap90 = 100 * (by[0.9][2] - by[0.9][4])
    report.claim(
        "magnitude-beats-random",
        en=f"The magnitude is what matters: at 90% sparsity without fine-tuning, removing the smallest weights keeps {100 * by[0.9][2]:.1f}% accuracy, removing random weights {100 * by[0.9][4]:.1f}%; the difference exceeds 30 points.",
        zh=f"关键在于按大小剪：稀疏度 90%、不微调时，剪掉最小的权重还剩 {100 * by[0.9][2]:.1f}% 准确率，随机剪掉同样多的权重只剩 {100 * by[0.9][4]:.1f}%；差距超过 30 个百分点。",
        value=gap90, op=">", threshold=30.0, expression="100 (acc_magnitude90 - acc_random90)")
    loss90 = 100 * (base - by[0.9][3])
    report.metric("prune90_loss_points_no_finetune", 100 * (base - by[0.9][2]))
    report.metric("prune90_loss_points_finetuned", loss90)
    report.claim(
        "prune90-finetuned",
        en=f"Keeping 10% of the weights (global magnitude pruning) and fine-tuning {ft_epochs} epochs with the masks fixed loses less than 4 points ({100 * by[0.9][3]:.1f}% against {100 * base:.1f}%); the pruned weights stay exactly zero during fine-tuning.",
        zh=f"只保留 10% 的权重（全局按大小剪枝）并在固定掩码下微调 {ft_epochs} 轮，损失不到 4 个百分点（{100 * by[0.9][3]:.1f}% 对 {100 * base:.1f}%）；微调过程中被剪掉的权重始终严格为 0。",
        value=loss90 if all(c[5] for c in pr_curve) else 100.0, op="<", threshold=4.0,
        expression="100 (acc_teacher - acc_pruned90_finetuned), 100 if a pruned weight moved")
    rec95 = 100 * (by[0.95][3] - by[0.95][2])
    report.claim(
        "finetune-recovers",
        en=f"At 95% sparsity one-shot pruning loses {100 * (base - by[0.95][2]):.0f} points; {ft_epochs} epochs of masked fine-tuning win back more than 25 of them ({100 * by[0.95][2]:.1f}% → {100 * by[0.95][3]:.1f}%).",
        zh=f"稀疏度 95% 时一次性剪枝损失 {100 * (base - by[0.95][2]):.0f} 个百分点；固定掩码微调 {ft_epochs} 轮能挽回其中 25 个以上（{100 * by[0.95][2]:.1f}% → {100 * by[0.95][3]:.1f}%）。",
        value=rec95, op=">", threshold=25.0, expression="100 (acc_pruned95_finetuned - acc_pruned95)")
    # dense hardware: a 90%-zero matrix stored densely costs the same matrix product
    Wp = C.apply_masks(Ws, C.magnitude_masks(Ws, 0.9))[1]
    H = np.maximum(Xtr @ Ws[0].T, 0).astype(np.float32)
    times = {}
    for name, M in (("dense", Ws[1]), ("pruned90", Wp)):
        t = time.perf_counter()
        for _ in range(20):
            H @ M.T
        times[name] = time.perf_counter() - t
    report.metric("matmul_time_ratio_pruned90_over_dense", times["pruned90"] / times["dense"])
    report.progress(0.6, "pruning done")

    # (c) quantisation and weight sharing -----------------------------------------------------------
    q_rows, q_curve = [], []
    for bits in BITS:
        uq = acc([(tens(C.quantize_uniform(W, bits)[0]), tens(b)) for W, b in zip(Ws, bs)])
        shared = []
        for W in Ws:
            c, lab = C.kmeans_share(W, 2 ** bits)
            shared.append(c[lab])
        km = acc([(tens(W), tens(b)) for W, b in zip(shared, bs)])
        q_curve.append((bits, uq, km))
        q_rows.append([bits, f"{P * bits / 8 / 1024:.1f}", f"{uq:.3f}", f"{km:.3f}"])
    report.table("quantisation", ["bits per weight", "weight storage (KiB; float32: %.1f)" % (P * 4 / 1024),
                                  "uniform", "k-means sharing"], q_rows)
    qb = {c[0]: c for c in q_curve}
    zero2 = float(np.mean(np.concatenate([(C.quantize_uniform(W, 2)[1] == 0).ravel() for W in Ws])))
    report.metric("uniform2_zero_fraction", zero2)
    d8, d4 = 100 * abs(qb[8][1] - base), 100 * abs(qb[4][1] - base)
    report.claim(
        "int8-free",
        en=f"Uniform 8-bit quantisation (4× less storage than float32, the same number of parameters) changes test accuracy by less than 0.5 points ({100 * qb[8][1]:.1f}% against {100 * base:.1f}%; absolute change).",
        zh=f"均匀 8 比特量化（存储比 float32 少 4 倍，参数个数不变）使测试准确率的变化小于 0.5 个百分点（{100 * qb[8][1]:.1f}% 对 {100 * base:.1f}%；取绝对变化）。",
        value=d8, op="<", threshold=0.5, expression="100 |acc_int8 - acc_teacher|")
    report.claim(
        "int4-small",
        en=f"Uniform 4-bit quantisation (8× less storage) changes it by less than 1.5 points ({100 * qb[4][1]:.1f}%).",
        zh=f"均匀 4 比特量化（存储少 8 倍）使其变化小于 1.5 个百分点（{100 * qb[4][1]:.1f}%）。",
        value=d4, op="<", threshold=1.5, expression="100 |acc_int4 - acc_teacher|")
    report.claim(
        "kmeans-2bit",
        en=f"At 2 bits the grid's placement decides: k-means weight sharing with 4 values per layer keeps {100 * qb[2][2]:.1f}% (less than 5 points lost), while the uniform 2-bit grid {{−s, 0, s}} with s = max|w| sets {zero2:.0%} of the weights to zero and falls to {100 * qb[2][1]:.1f}% (reported: k-means' loss; the claim also requires the uniform grid to lose more than 30 points).",
        zh=f"2 比特时关键在于量化格点放在哪里：每层 4 个共享值的 k-means 权值共享保留 {100 * qb[2][2]:.1f}%（损失不到 5 个百分点），而 s = max|w| 的均匀 2 比特格点 {{−s, 0, s}} 把 {zero2:.0%} 的权重置零，跌到 {100 * qb[2][1]:.1f}%（报告 k-means 的损失；断言同时要求均匀格点损失超过 30 个百分点）。",
        value=100 * (base - qb[2][2]) if base - qb[2][1] > 0.3 else 100.0, op="<", threshold=5.0,
        expression="100 (acc_teacher - acc_kmeans2), 100 unless the uniform 2-bit loss > 30 points")
    report.progress(0.7, "quantisation done")

    # (d) distillation -----------------------------------------------------------------------------
    with dlproof.no_grad():
        teacher_logits = C.compressed_forward(params, Xtr, act).numpy()

    def student(idx, distil, n_epochs, batch):
        srng = cfg.rng(2)  # same init and order for the hard-label and the distilled student
        sp = init_mlp([64, 32, 10], srng, gain2=2.0, dtype=np.float32)
        opt = SGD([t for layer in sp for t in layer], lr=0.05, momentum=0.9)
        for _ in range(n_epochs):
            order = idx[srng.permutation(len(idx))]
            for s in range(0, len(order), batch):  # loop over minibatches
                b = order[s:s + batch]
                opt.zero_grad()
                z = C.compressed_forward(sp, Xtr[b], act)
                loss = (C.distillation_loss(z, teacher_logits[b], ytr[b], T=4.0, alpha=0.9) if distil
                        else F.cross_entropy(z, ytr[b]))
                loss.backward()
                opt.step()
        return acc(sp), n_params(sp)

    all_idx, few_idx = np.arange(len(tr)), np.arange(150)
    hard_all, n_student = student(all_idx, False, epochs, 64)
    kd_all, _ = student(all_idx, True, epochs, 64)
    hard_few, _ = student(few_idx, False, 60, 32)
    kd_few, _ = student(few_idx, True, 60, 32)
    report.metric("student_params", n_student)
    report.metric("student_hard_accuracy", hard_all)
    report.metric("student_distilled_accuracy", kd_all)
    report.metric("distillation_gain_points_full_transfer_set", 100 * (kd_all - hard_all))
    report.metric("student_hard_accuracy_150", hard_few)
    report.metric("student_distilled_accuracy_150", kd_few)
    report.table("distillation", ["student 64-32-10", "transfer set", "hard labels", "distilled (T = 4, α = 0.9)"],
                 [[f"{n_student:,} parameters", "1,200 (all)", f"{hard_all:.3f}", f"{kd_all:.3f}"],
                  [f"{n_student:,} parameters", "150", f"{hard_few:.3f}", f"{kd_few:.3f}"]])
    report.claim(
        "student-close-to-teacher",
        en=f"On digits a student with {P / n_student:.0f}× fewer parameters ({n_student:,}), distilled on the full training set, is within 3 points of the teacher ({100 * kd_all:.1f}% against {100 * base:.1f}%). The same student trained on hard labels alone reaches {100 * hard_all:.1f}% here: with the full set, distillation's own gain on this easy task is small (a metric, not claimed).",
        zh=f"在 digits 上，参数少 {P / n_student:.0f} 倍（{n_student:,} 个）的学生网络在整个训练集上蒸馏后，与教师相差不到 3 个百分点（{100 * kd_all:.1f}% 对 {100 * base:.1f}%）。同一个学生只用硬标签训练在这里达到 {100 * hard_all:.1f}%：用全部数据时，蒸馏本身在这个简单任务上的增益很小（记为测量值，不作断言）。",
        value=100 * (base - kd_all), op="<", threshold=3.0, expression="100 (acc_teacher - acc_distilled_student)")
    report.claim(
        "distillation-helps-few-labels",
        en=f"With only 150 labelled examples to train the student, the teacher's soft targets (the teacher saw all 1,200) lift it from {100 * hard_few:.1f}% to {100 * kd_few:.1f}%: a gain of more than 1 point.",
        zh=f"当学生网络只有 150 个带标签样本可用时，教师（见过全部 1,200 个）的软目标把它从 {100 * hard_few:.1f}% 提高到 {100 * kd_few:.1f}%：增益超过 1 个百分点。",
        value=100 * (kd_few - hard_few), op=">", threshold=1.0, expression="100 (acc_distilled_150 - acc_hard_150)")
    report.progress(0.85, "distillation done")

    # (e) architecture: counted from modules -------------------------------------------------------
    g = cfg.rng(4)
    c, k = 256, 3

    def weights(m):
        return int(sum(p.data.size for name, p in m.named_parameters() if name.endswith("weight")))

    arch = [
        ("standard 3×3 conv, 256 → 256", nn.Conv2d(c, c, k, bias=False, generator=g), C.conv_params(c, c, k, bias=False)),
        ("grouped 3×3 conv, 8 groups", nn.Conv2d(c, c, k, groups=8, bias=False, generator=g), C.conv_params(c, c, k, 8, bias=False)),
        ("depthwise-separable 3×3", DepthwiseSeparableConv(c, c, k, generator=g), C.separable_conv_params(c, c, k, bias=False)),
        ("bottleneck 1×1 → 3×3 → 1×1 (64)", nn.Sequential(nn.Conv2d(c, 64, 1, bias=False, generator=g), nn.Conv2d(64, 64, k, padding=1, bias=False, generator=g), nn.Conv2d(64, c, 1, bias=False, generator=g)), C.bottleneck_params(c, 64, k, bias=False)),
        ("head: flatten 64×8×8 → FC 10", nn.Linear(64 * 8 * 8, 10, bias=False, generator=g), 64 * 8 * 8 * 10),
        ("head: global average pool → FC 10", nn.Linear(64, 10, bias=False, generator=g), 64 * 10),
    ]
    std = arch[0][2]
    report.table("architecture", ["layer", "weights (counted)", "formula", "ratio to the standard conv / flatten head"],
                 [[n, weights(m), f, f"{f / (std if i < 4 else arch[4][2]):.4f}"] for i, (n, m, f) in enumerate(arch)])
    mismatch = max(abs(weights(m) - f) for _, m, f in arch)
    sep_ratio = weights(arch[2][1]) / weights(arch[0][1])
    report.metric("separable_weight_ratio", sep_ratio)
    report.claim(
        "architecture-counts",
        en="The weights counted from the modules equal the closed forms for a standard 3×3 conv (k²C_inC_out), a grouped one (÷ groups), a depthwise-separable one (k²C_in + C_inC_out), a 1×1-3×3-1×1 bottleneck and a flatten or global-average-pool head (reported: the largest difference).",
        zh="从模块中数出的权重数与闭式公式一致：标准 3×3 卷积（k²C_inC_out）、分组卷积（÷ 组数）、深度可分离卷积（k²C_in + C_inC_out）、1×1-3×3-1×1 瓶颈，以及展平或全局平均池化的输出头（报告最大差）。",
        value=mismatch, op="<", threshold=0.5, expression="max |counted - formula|")
    report.claim(
        "separable-ratio",
        en=f"A depthwise-separable 3×3 conv with 256 → 256 channels has {sep_ratio:.4f} of a standard conv's weights, exactly 1/C_out + 1/k² = {1 / c + 1 / k ** 2:.4f} ({1 / sep_ratio:.1f}× fewer; reported: the absolute difference of the counted ratio from the formula).",
        zh=f"256 → 256 通道的深度可分离 3×3 卷积的权重数是标准卷积的 {sep_ratio:.4f}，恰好等于 1/C_out + 1/k² = {1 / c + 1 / k ** 2:.4f}（少 {1 / sep_ratio:.1f} 倍；报告数出的比值与公式之差的绝对值）。",
        value=abs(sep_ratio - (1 / c + 1 / k ** 2)), op="<", threshold=1e-12, expression="|counted ratio - (1/C_out + 1/k^2)|")

    # parameters are not FLOPs
    lenet = LeNet(generator=g)
    rec = count_macs(lenet, (1, 8, 8))["layers"]
    conv_p = sum(count_params(m) for kind, m, _ in rec if kind == "Conv2d")
    conv_m = sum(mac for kind, _, mac in rec if kind == "Conv2d")
    p_share, m_share = conv_p / count_params(lenet), conv_m / sum(r[2] for r in rec)
    report.claim(
        "params-are-not-flops",
        en=f"Parameters are not compute: in the LeNet-style digits CNN (run once and counted) the two conv layers hold {p_share:.0%} of the parameters but do {m_share:.0%} of the multiply-adds (reported: the MAC share minus the parameter share, > 0.5).",
        zh=f"参数量不等于计算量：在类 LeNet 的 digits CNN 中（运行一次并计数），两个卷积层只占 {p_share:.0%} 的参数，却做了 {m_share:.0%} 的乘加（报告乘加占比减参数占比，> 0.5）。",
        value=m_share - p_share, op=">", threshold=0.5, expression="conv MAC share - conv parameter share")
    cp, cm, fp, fm = _vgg16_counts()
    report.metric("vgg16_params", cp + fp)
    report.metric("vgg16_gmacs", (cm + fm) / 1e9)
    fc_p, fc_m = fp / (cp + fp), fm / (cm + fm)
    report.claim(
        "vgg16-fc-params",
        en=f"VGG-16 at 224×224, from the layer shapes: {(cp + fp) / 1e6:.1f}M parameters (equal to the published {VGG16_PUBLISHED:,}) and {(cm + fm) / 1e9:.1f}G multiply-adds; the three FC layers hold {fc_p:.0%} of the parameters but do {fc_m:.1%} of the multiply-adds, and the first one alone (25,088 → 4,096) has {(25088 * 4096 + 4096) / 1e6:.1f}M, which global average pooling removes. Reported: the FC parameter share minus their MAC share, required > 0.8 with the total equal to the published count.",
        zh=f"VGG-16（224×224），由各层形状算出：{(cp + fp) / 1e6:.1f}M 个参数（等于公开的 {VGG16_PUBLISHED:,}），{(cm + fm) / 1e9:.1f}G 次乘加；三个全连接层占 {fc_p:.0%} 的参数，却只做 {fc_m:.1%} 的乘加，仅第一个（25,088 → 4,096）就有 {(25088 * 4096 + 4096) / 1e6:.1f}M 个参数，而全局平均池化可以把它去掉。报告全连接层的参数占比减乘加占比，要求 > 0.8，且总数等于公开值。",
        value=fc_p - fc_m if cp + fp == VGG16_PUBLISHED else 0.0, op=">", threshold=0.8,
        expression="FC parameter share - FC MAC share, 0 unless the total equals 138,357,544")

    # figure ---------------------------------------------------------------------------------------
    from dlproof.experiments.figures import new_figure

    fig, ax = new_figure(1, 3, size=(13.0, 3.8))
    lc = np.array(lr_curve, float)
    pc = np.array([c[:5] for c in pr_curve], float)
    ax[0].plot(lc[:, 1], lc[:, 2], "o--", color="C0", label="low rank, no fine-tune")
    ax[0].plot(lc[:, 1], lc[:, 3], "o-", color="C0", label="low rank, fine-tuned")
    ax[0].plot(pc[:, 1], pc[:, 2], "s--", color="C1", label="magnitude pruning")
    ax[0].plot(pc[:, 1], pc[:, 3], "s-", color="C1", label="pruning, fine-tuned")
    ax[0].plot(pc[:, 1], pc[:, 4], "x:", color="C7", label="random pruning")
    ax[0].plot([n_student], [kd_all], "*", ms=11, color="C2", label="distilled 64-32-10")
    ax[0].plot([n_student], [hard_all], "+", ms=11, color="C3", label="hard-label 64-32-10")
    ax[0].plot([P], [base], "kD", label="teacher")
    ax[0].set(xscale="log", xlabel="parameters (non-zero)", ylabel="test accuracy", title="accuracy vs parameters")
    ax[0].legend(fontsize=6.5)
    qc = np.array(q_curve, float)
    ax[1].plot(qc[:, 0], qc[:, 1], "o-", label="uniform")
    ax[1].plot(qc[:, 0], qc[:, 2], "s-", label="k-means sharing")
    ax[1].axhline(base, color="k", lw=0.8, ls=":")
    ax[1].set(xlabel="bits per weight", ylabel="test accuracy", title="quantisation (same parameter count)")
    ax[1].legend(fontsize=7)
    ax[2].semilogy(s_W, label="W (trained)")
    ax[2].semilogy(s_dW, label="W − W0 (update)")
    ax[2].axvline(16, color="k", lw=0.8, ls=":")
    ax[2].set(xlabel="index", ylabel="singular value", title="spectra of the 256×256 layer")
    ax[2].legend(fontsize=7)
    report.figure("accuracy-vs-parameters", fig,
                  en="Left: test accuracy against the number of (non-zero) parameters for low-rank factorisation, magnitude pruning (with and without masked fine-tuning, random pruning as control) and small students; log scale. Middle: accuracy against bits per weight for uniform quantisation and k-means weight sharing. Right: singular values of the trained 256×256 layer and of its training update.",
                  zh="左：低秩分解、按大小剪枝（有无固定掩码微调，随机剪枝作对照）和小学生网络的测试准确率与（非零）参数个数的关系，对数横轴。中：均匀量化与 k-means 权值共享的准确率与每个权重比特数的关系。右：训练后 256×256 层及其训练增量的奇异值。")
    report.metric("seconds", time.perf_counter() - t0)
