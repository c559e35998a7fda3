# ruff: noqa: E501  (bilingual claim statements are long text)
"""Symmetric initialization never breaks; random initialization does; weight-space symmetries.

A tanh MLP 64-32-10 on digits is trained by full-batch gradient descent (engine autograd +
dlproof.optim.SGD) from four initializations: all zeros, all weights 0.1 (biases 0), small random
weights with zero biases (Xavier), and Xavier again for the permutation test. Measured: the largest
distance between two hidden units' incoming weight vectors, the numerical rank of W1 (sigma_2 /
sigma_1), which parameters moved at all, and accuracy. Then the hidden units of the trained random
net are permuted (and some tanh units sign-flipped): same function, far-away parameters.
"""

from __future__ import annotations

import time

import numpy as np

from dlproof.data import digits
from dlproof.experiments.figures import new_figure
from dlproof.experiments.registry import Report, RunConfig, experiment
from dlproof.models.mlp import MLP, init_weights
from dlproof.nn.functional import cross_entropy


def _max_unit_distance(W):
    """Largest Euclidean distance between two rows of W (hidden units' incoming weights)."""
    return float(np.sqrt(((W[:, None, :] - W[None, :, :]) ** 2).sum(-1).max()))


def _train(net, X, y, steps, lr):
    from dlproof.optim import SGD

    opt = SGD(net.parameters(), lr=lr)
    dist, losses = [], []
    for _ in range(steps):
        opt.zero_grad()
        loss = cross_entropy(net(X), y)
        loss.backward()
        opt.step()
        losses.append(float(loss.data))
        dist.append(_max_unit_distance(net.layers[0][0].data))
    return np.array(losses), np.array(dist)


def _accuracy(net, X, y):
    from dlproof.engine.tensor import no_grad

    with no_grad():
        return float((net(X).data.argmax(1) == y).mean())


@experiment(
    "symmetry-breaking",
    questions=["weight-symmetry", "weight-initialization", "nonconvexity-hidden-layers"],
    title_en="Symmetric initialization never breaks; permutation and sign symmetries of the weights",
    title_zh="对称初始化无法被打破；权重空间的置换与符号对称性",
)
def run(cfg: RunConfig, report: Report) -> None:
    t0 = time.perf_counter()
    rng = cfg.rng(0)
    X, y = digits(n=cfg.pick(600, None), rng=rng)
    sizes = [64, 32, 10]
    steps, lr = cfg.pick(150, 400), 0.5
    inits = {
        "zeros": init_weights(rng, sizes, "const:0"),
        "constant 0.1": init_weights(rng, sizes, "const:0.1"),
        "Xavier, zero bias": init_weights(cfg.rng(1), sizes, "xavier"),
    }
    nets, curves, dists, accs = {}, {}, {}, {}
    for name, W in inits.items():
        nets[name] = MLP([w.copy() for w in W], act="tanh")
        curves[name], dists[name] = _train(nets[name], X, y, steps, lr)
        accs[name] = _accuracy(nets[name], X, y)
        report.progress(0.2 + 0.2 * len(nets), f"trained {name}")

    W1c = nets["constant 0.1"].layers[0][0].data
    s = np.linalg.svd(W1c, compute_uv=False)
    rank_ratio = float(s[1] / s[0])
    rand_dist = float(dists["Xavier, zero bias"][-1])
    const_dist = float(np.max(dists["constant 0.1"]))
    report.table("symmetry", ["init", "max distance between hidden units", "σ2/σ1 of W1",
                              "train accuracy"],
                 [[n, f"{dists[n][-1]:.3g}",
                   f"{(lambda v: v[1] / v[0] if v[0] > 0 else float('nan'))(np.linalg.svd(nets[n].layers[0][0].data, compute_uv=False)):.3g}",
                   f"{accs[n]:.3f}"] for n in nets])
    report.claim(
        "constant-init-units-stay-identical",
        en=f"Constant init (all weights 0.1): after {steps} full-batch gradient steps the 32 hidden "
           "units still have identical incoming weights (largest pairwise distance, any step).",
        zh=f"常数初始化（所有权重为 0.1）：全批量梯度下降 {steps} 步后，32 个隐藏单元的输入权重仍完全相同"
           "（任意一步中两两之间的最大距离）。",
        value=const_dist, op="<", threshold=1e-9, expression="max_t max_ij ||w_i − w_j||")
    report.claim(
        "constant-init-rank-one",
        en="The first-layer weight matrix of the constant-init net stays rank 1 (σ2/σ1 after training).",
        zh="常数初始化网络的第一层权重矩阵始终是秩 1（训练后的 σ2/σ1）。",
        value=rank_ratio, op="<", threshold=1e-9, expression="σ2 / σ1")
    report.claim(
        "random-init-breaks-symmetry",
        en="Random (Xavier) init: the hidden units' incoming weights differ by more than 1 after training "
           "(largest pairwise distance).",
        zh="随机（Xavier）初始化：训练后隐藏单元的输入权重两两之间最大距离超过 1。",
        value=rand_dist, op=">", threshold=1.0, expression="max_ij ||w_i − w_j||")
    (c1W, c1b), (c2W, c2b) = [(w.data, b.data) for w, b in nets["constant 0.1"].layers]
    collapsed = MLP([c1W[:1], c2W.sum(1, keepdims=True)], [c1b[:1], c2b], act="tanh",
                    requires_grad=False)
    from dlproof.engine.tensor import no_grad

    with no_grad():
        collapse_err = float(np.abs(nets["constant 0.1"](X).data - collapsed(X).data).max())
    report.claim(
        "symmetric-net-is-one-unit",
        en="After training, the 32-unit constant-init net computes exactly the function of a net with a "
           "single hidden unit (its first row of W1, the row sums of W2): largest difference of the "
           "logits on all examples.",
        zh="训练后，32 个单元的常数初始化网络计算的函数与一个只有 1 个隐藏单元的网络（取 W1 的第一行、W2 各行之和）完全相同："
           "所有样本上 logits 的最大差异。",
        value=collapse_err, op="<", threshold=1e-9, expression="max |f_32 units(x) − f_1 unit(x)|")
    report.claim(
        "random-init-zero-bias-trains",
        en="Random weights with all biases initialized to 0 train normally: training accuracy above 0.9.",
        zh="权重随机、偏置全部初始化为 0 时网络正常训练：训练准确率高于 0.9。",
        value=accs["Xavier, zero bias"], op=">", threshold=0.9, expression="train accuracy")
    z = nets["zeros"]
    moved = max(float(np.abs(z.layers[0][0].data).max()), float(np.abs(z.layers[0][1].data).max()),
                float(np.abs(z.layers[1][0].data).max()))
    report.metric("zero_init_output_bias_norm", float(np.linalg.norm(z.layers[1][1].data)))
    report.claim(
        "zero-init-only-output-bias-learns",
        en="All-zero init of a tanh MLP: W1, b1 and W2 receive exactly zero gradient and never move; "
           "only the output bias learns (largest absolute entry of W1, b1, W2 after training).",
        zh="tanh MLP 全零初始化：W1、b1、W2 的梯度恰为零，始终不动，只有输出偏置在学习（训练后 W1、b1、W2 的最大绝对值）。",
        value=moved, op="==", threshold=0.0, expression="max |W1|, |b1|, |W2|")
    report.metric("zero_init_accuracy", accs["zeros"])

    # weight-space symmetries of the trained random net -----------------------------------------
    net = nets["Xavier, zero bias"]
    (W1, b1), (W2, b2) = [(w.data.copy(), b.data.copy()) for w, b in net.layers]
    perm = cfg.rng(3).permutation(W1.shape[0])
    flip = np.where(cfg.rng(4).random(W1.shape[0]) < 0.5, -1.0, 1.0)  # tanh is odd
    W1p, b1p, W2p = (W1[perm] * flip[:, None]), b1[perm] * flip, W2[:, perm] * flip[None, :]
    twin = MLP([W1p, W2p], [b1p, b2], act="tanh", requires_grad=False)
    with no_grad():
        out_a = net(X).data
        out_b = twin(X).data
        loss_a = float(cross_entropy(net(X), y).data)
        loss_b = float(cross_entropy(twin(X), y).data)
    out_diff = float(np.abs(out_a - out_b).max())
    theta = np.concatenate([W1.ravel(), b1, W2.ravel(), b2])
    theta_p = np.concatenate([W1p.ravel(), b1p, W2p.ravel(), b2])
    param_dist = float(np.linalg.norm(theta - theta_p) / np.linalg.norm(theta))
    report.metric("permuted_loss_difference", abs(loss_a - loss_b))
    report.claim(
        "permutation-same-function",
        en="Permuting the 32 hidden units of the trained net and flipping the signs of some (tanh is "
           "odd) gives the same outputs on every example (largest absolute difference of the logits).",
        zh="把训练好网络的 32 个隐藏单元重新排列，并翻转其中一部分的符号（tanh 是奇函数），所有样本上的输出都不变"
           "（logits 的最大绝对差）。",
        value=out_diff, op="<", threshold=1e-9, expression="max |f_θ(x) − f_πθ(x)|")
    report.claim(
        "permutation-far-in-parameter-space",
        en="…while the permuted parameter vector is far from the original: relative distance "
           "||θ − πθ|| / ||θ|| above 0.5.",
        zh="……而置换后的参数向量离原参数很远：相对距离 ||θ − πθ|| / ||θ|| 大于 0.5。",
        value=param_dist, op=">", threshold=0.5, expression="||θ − πθ|| / ||θ||")
    report.progress(0.9, "symmetries done")

    fig, ax = new_figure(1, 2, size=(8.8, 3.3))
    for name in nets:
        ax[0].plot(dists[name] + 1e-18, label=name)
        ax[1].plot(curves[name], label=name)
    ax[0].set_yscale("log")
    ax[0].set_xlabel("gradient step")
    ax[0].set_ylabel("max ||w_i − w_j|| (hidden units)")
    ax[0].legend(fontsize=7)
    ax[0].set_title("symmetry between hidden units")
    ax[1].set_xlabel("gradient step")
    ax[1].set_ylabel("training loss")
    ax[1].set_title("tanh MLP 64-32-10 on digits")
    report.figure(
        "symmetry", fig,
        en="Left: largest distance between two hidden units' incoming weights during training. With "
           "a constant or zero init it stays exactly 0 (drawn at 1e-18): the units remain copies. "
           "Right: training loss; the zero-init net only learns the output bias (class frequencies).",
        zh="左：训练过程中两个隐藏单元输入权重之间的最大距离。常数或零初始化时它恒为 0（画在 1e-18 处）：各单元始终是彼此的复制。"
           "右：训练损失；零初始化网络只学到了输出偏置（类别频率）。")
    report.metric("seconds", time.perf_counter() - t0)
    report.progress(1.0, "done")
