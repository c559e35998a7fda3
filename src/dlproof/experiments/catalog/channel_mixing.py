# ruff: noqa: E501  (bilingual claim statements are long text)
"""What a channel is, and why a standard convolution mixes channels.

1. Two 'sensors' (a 2-channel time series): a sinusoid of random frequency, phase and amplitudes in
   both channels, in phase (class 1) or in anti-phase (class 0), plus noise. The class lives only
   in the relation between the channels: each channel alone has the same distribution in both
   classes. Three small 1-D CNNs with global average pooling and a linear head, trained with Adam:
   a standard Conv1d (mixes channels), a depthwise Conv1d (groups = 2, no mixing before the
   pooling), and a depthwise-separable one (depthwise then 1x1 mixing, then ReLU and pooling).
2. Channels are unordered: permuting the input channels together with the kernels' input-channel
   axis leaves a standard conv's output unchanged exactly (no locality prior along channels).
3. A text CNN's channels are the embedding dimensions: Conv1d over a (d, L) embedded sentence
   equals a 2-D conv on the (1, d, L) 'image' with a kernel spanning all d rows.
"""

from __future__ import annotations

import numpy as np

from dlproof.engine import tensor
from dlproof.experiments.figures import new_figure
from dlproof.experiments.registry import Report, RunConfig, experiment

L = 64


def two_sensor_data(n: int, rng):
    """X (n, 2, L) float32, y (n,): channel 2 = +/- channel 1 (in phase = 1, anti-phase = 0)."""
    t = np.arange(L)
    f = rng.uniform(0.05, 0.25, (n, 1))
    ph = rng.uniform(0, 2 * np.pi, (n, 1))
    y = rng.integers(0, 2, n)
    s = np.sin(2 * np.pi * f * t + ph)
    sign = np.where(y == 1, 1.0, -1.0)[:, None]
    X = np.stack([rng.uniform(0.5, 1.5, (n, 1)) * s, rng.uniform(0.5, 1.5, (n, 1)) * sign * s], 1)
    X += 0.2 * rng.standard_normal((n, 2, L))
    return X.astype(np.float32), y


def make_net(kind: str, g, C: int = 8, K: int = 7):
    import dlproof.nn.functional as F
    from dlproof import nn

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.kind = kind
            if kind == "standard":
                self.w = nn.Parameter((g.standard_normal((C, 2, K)) * np.sqrt(2 / (2 * K))).astype(np.float32))
            else:  # depthwise: C/2 filters per input channel
                self.w = nn.Parameter((g.standard_normal((C, 1, K)) * np.sqrt(2 / K)).astype(np.float32))
            if kind == "depthwise-separable":
                self.pw = nn.Parameter((g.standard_normal((C, C, 1)) * np.sqrt(2 / C)).astype(np.float32))
            self.b = nn.Parameter(np.zeros(C, np.float32))
            self.fc = nn.Linear(C, 2, generator=g)

        def forward(self, x):
            if self.kind == "standard":
                h = F.conv1d(x, self.w, self.b)
            elif self.kind == "depthwise":
                h = F.conv1d(x, self.w, self.b, groups=2)
            else:
                h = F.conv1d(F.conv1d(x, self.w, groups=2), self.pw, self.b)
            return self.fc(h.relu().mean(axis=2))  # ReLU, then global average pooling over time

    return Net()


def train(net, X, y, steps, rng, lr=1e-2, batch=128):
    import dlproof.nn.functional as F
    from dlproof.optim import Adam

    opt = Adam(net.parameters(), lr=lr)
    for _ in range(steps):
        idx = rng.choice(len(X), batch)
        opt.zero_grad()
        F.cross_entropy(net(tensor(X[idx])), tensor(y[idx])).backward()
        opt.step()


@experiment(
    "channel-mixing",
    questions=["cnn-channels"],
    title_en="Channels: a class that lives between two sensor channels needs channel mixing; channels are unordered",
    title_zh="通道：类别信息存在于两个传感器通道之间时需要通道混合；通道是无序的",
)
def run(cfg: RunConfig, report: Report) -> None:
    import dlproof.nn.functional as F

    rng = cfg.rng(0)
    n = cfg.pick(768, 2048)
    Xtr, ytr = two_sensor_data(n, rng)
    Xte, yte = two_sensor_data(1024, cfg.rng(1))
    # each channel alone is distributed identically in both classes: compare the class means of |FFT|
    spec = np.abs(np.fft.rfft(Xtr, axis=2))
    marg = max(float(np.abs(spec[ytr == 1, c].mean(0) - spec[ytr == 0, c].mean(0)).max() / spec[:, c].mean(0).max()) for c in range(2))
    report.metric("per_channel_spectrum_class_difference", marg)

    steps = cfg.pick(120, 300)
    acc, nets = {}, {}
    for i, kind in enumerate(("standard", "depthwise", "depthwise-separable")):
        net = make_net(kind, cfg.rng(10 + i))
        train(net, Xtr, ytr, steps, cfg.rng(20 + i))
        from dlproof.engine.tensor import no_grad

        with no_grad():
            acc[kind] = float((net(tensor(Xte)).data.argmax(1) == yte).mean())
        nets[kind] = net
        report.progress(0.2 + 0.25 * (i + 1), kind)
    report.table("accuracy", ["model (global average pooling + linear head)", "test accuracy"],
                 [[k, f"{v:.3f}"] for k, v in acc.items()])
    report.claim(
        "standard-conv-solves-phase-task",
        en=f"Two sensors carry the same sinusoid in phase (class 1) or in anti-phase (class 0); each channel alone looks "
           f"the same in both classes. A standard Conv1d (8 filters of size 7 over both channels) + ReLU + global average "
           f"pooling + linear head, trained for {steps} Adam steps, classifies held-out series almost perfectly (test accuracy).",
        zh=f"两个传感器记录同一个正弦信号，同相（类别 1）或反相（类别 0）；单看任一通道，两类完全一样。标准 Conv1d"
           f"（8 个长度 7、跨两个通道的卷积核）+ ReLU + 全局平均池化 + 线性层，用 Adam 训练 {steps} 步，几乎完美地分类留出序列（测试准确率）。",
        value=acc["standard"], op=">", threshold=0.95, expression="test accuracy, standard conv")
    report.claim(
        "depthwise-stays-at-chance",
        en="A depthwise Conv1d (groups = 2: each filter sees one channel) with the same pooling and head stays near chance, "
           "because nothing combines the channels before the pooling discards the phase (test accuracy).",
        zh="逐通道 Conv1d（groups = 2：每个卷积核只看一个通道），池化与输出层相同，准确率停留在随机水平附近，"
           "因为在池化丢掉相位之前没有任何东西把两个通道组合起来（测试准确率）。",
        value=acc["depthwise"], op="<", threshold=0.6, expression="test accuracy, depthwise conv")
    report.claim(
        "pointwise-mixing-restores",
        en="Adding a 1×1 conv that mixes the channels after the depthwise conv and before the ReLU and pooling "
           "(a depthwise-separable conv) solves the task again (test accuracy).",
        zh="在逐通道卷积之后、ReLU 和池化之前加一个混合通道的 1×1 卷积（即深度可分离卷积），任务又能解决（测试准确率）。",
        value=acc["depthwise-separable"], op=">", threshold=0.9, expression="test accuracy, depthwise + 1×1")

    # (2) channels are unordered ------------------------------------------------------------------
    x = rng.standard_normal((3, 5, 9, 9))
    W = rng.standard_normal((4, 5, 3, 3))
    perm = rng.permutation(5)
    perm_err = float(np.abs(F.conv2d(tensor(x[:, perm]), tensor(W[:, perm])).data - F.conv2d(tensor(x), tensor(W)).data).max())
    report.claim(
        "channels-unordered",
        en="Channels are an unordered set to a standard conv: permuting the input channels together with the kernels' "
           "input-channel axis leaves the output unchanged (largest absolute difference); the sum over channels has no "
           "notion of neighbouring channels, unlike the spatial axes.",
        zh="对标准卷积来说通道是无序的集合：把输入通道与卷积核的输入通道维同时置换，输出不变（最大绝对差）；"
           "对通道求和时没有“相邻通道”的概念，这与空间维不同。",
        value=perm_err, op="<", threshold=1e-12, expression="max |conv(Px; WP) − conv(x; W)|")

    # (3) text CNN: embedding dimensions are the channels ------------------------------------------------
    d, Ls, V, C, K = 16, 12, 50, 6, 3
    E = rng.standard_normal((V, d))
    tokens = rng.integers(0, V, (4, Ls))
    emb = F.embedding(tensor(tokens), tensor(E)).data  # (N, L, d)
    Wt = rng.standard_normal((C, d, K))
    as_1d = F.conv1d(tensor(np.transpose(emb, (0, 2, 1))), tensor(Wt)).data  # channels = embedding dims
    as_2d = F.conv2d(tensor(np.transpose(emb, (0, 2, 1))[:, None]), tensor(Wt[:, None])).data[:, :, 0]
    report.claim(
        "text-embedding-dims-are-channels",
        en="A text CNN's Conv1d over an embedded sentence (embedding dimensions as channels, width-3 filters over words) "
           "equals a 2-D conv on the d × L embedding 'image' with kernels spanning all d rows (largest absolute difference).",
        zh="文本 CNN 在嵌入后的句子上做 Conv1d（嵌入维度作为通道，跨 3 个词的卷积核），等于在 d × L 的嵌入“图像”上做核高度覆盖全部 d 行的二维卷积（最大绝对差）。",
        value=float(np.abs(as_1d - as_2d).max()), op="<", threshold=1e-12, expression="max |conv1d − conv2d(full-height kernel)|")

    # figure ------------------------------------------------------------------------------------------
    fig, ax = new_figure(1, 3, size=(10.2, 3))
    for c, (yy, name) in enumerate(((1, "in phase (class 1)"), (0, "anti-phase (class 0)"))):
        i = int(np.flatnonzero(yte == yy)[0])
        ax[0].plot(Xte[i, 0] + 4 * c, "C0", lw=1)
        ax[0].plot(Xte[i, 1] + 4 * c, "C1", lw=1)
        ax[0].text(0, 4 * c + 1.7, name, fontsize=7)
    ax[0].set_ylim(-2.2, 6.4)
    ax[0].set_yticks([])
    ax[0].set_xlabel("time step")
    ax[0].set_title("two sensors (blue, orange)", fontsize=9)
    names = list(acc)
    ax[1].bar(range(3), [acc[k] for k in names], color=["C0", "C1", "C2"])
    ax[1].axhline(0.5, color="k", ls=":", lw=0.8)
    ax[1].set_xticks(range(3), ["standard", "depthwise", "depthwise\n+ 1×1"], fontsize=8)
    ax[1].set_ylabel("test accuracy")
    w = nets["standard"].w.data
    order = np.argsort(-np.abs(w).sum((1, 2)))[:4]
    ax[2].imshow(np.concatenate([w[o] for o in order]), cmap="RdBu", aspect="auto",
                 vmin=-np.abs(w).max(), vmax=np.abs(w).max())
    ax[2].set_yticks(range(8), [f"f{o} ch{c + 1}" for o in order for c in range(2)], fontsize=6)
    ax[2].set_xlabel("kernel tap")
    ax[2].set_title("learned standard-conv kernels", fontsize=9)
    report.figure(
        "channel-mixing", fig,
        en="Left: an in-phase and an anti-phase example of the two-sensor series. Middle: test accuracy of a standard "
           "Conv1d, a depthwise Conv1d and a depthwise conv followed by 1×1 channel mixing, all with ReLU, global average "
           "pooling and a linear head (dotted: chance). Right: the four largest learned standard-conv kernels, one row per "
           "input channel: every filter weights both sensors, so its response depends on how they relate.",
        zh="左：双传感器序列中同相与反相的示例。中：标准 Conv1d、逐通道 Conv1d 以及逐通道卷积后接 1×1 通道混合的测试准确率，"
           "三者都接 ReLU、全局平均池化和线性层（虚线：随机水平）。右：学到的四个最大的标准卷积核，每行对应一个输入通道："
           "每个卷积核对两个传感器都有权重，所以它的响应取决于两者之间的关系。")
    report.progress(1.0, "done")
