"""Activations inside deep nets on digits: gradients at init, training speed, dead ReLUs, zig-zag.

* 10-layer MLPs (width 64) with sigmoid and tanh (Xavier/LeCun init, Var(W) = 1/fan_in) and
  ReLU, leaky ReLU, ELU and SiLU (He init, Var(W) = 2/fan_in): per-layer weight-gradient norms at
  initialisation, and the fraction of exact zeros ReLU produces.
* The same nets trained with SGD + momentum 0.9 for the same number of epochs, the learning rate
  picked per activation from {0.01, 0.03} by final training loss.
* Dead ReLUs: one full-batch SGD step with a 10x-too-large learning rate (lr = 10), then normal
  training; which units output 0 on every input, and whether they come back.
* Non-zero-centred inputs: for one example, a unit whose inputs are all positive (sigmoid outputs)
  gets a weight gradient whose entries all share one sign.
"""

from __future__ import annotations

import numpy as np

import dlproof
from dlproof.data import digits
from dlproof.experiments.registry import RunConfig, experiment
from dlproof.models.mlp import ACTIVATIONS, INIT_GAIN2, accuracy, flat, init_mlp, mlp_forward, train
from dlproof.nn.functional import cross_entropy

TRAINED = ("sigmoid", "tanh", "relu", "leaky_relu", "elu", "silu")
DEPTH, WIDTH = 10, 64
LRS = (0.01, 0.03)


def deep(act: str, seed: int):
    return init_mlp([64] + [WIDTH] * (DEPTH - 1) + [10], np.random.default_rng([seed, 11]),
                    gain2=INIT_GAIN2[act])


@experiment("activation-training",
            questions=["activation-drawbacks-alternatives", "relu-pros-cons"],
            title_en="Activations in deep nets: gradients at init, training speed, dead ReLUs",
            title_zh="深层网络中的激活函数：初始化时的梯度、训练速度与死亡 ReLU")
def run(cfg: RunConfig, report) -> None:
    X, y = digits(np.float64)

    # 1. Gradients at initialisation.
    gnorm, zero_frac = {}, {}
    for act in TRAINED:
        params = deep(act, cfg.seed)
        keep: list = []
        cross_entropy(mlp_forward(params, X, ACTIVATIONS[act], keep=keep), y).backward()
        gnorm[act] = np.array([np.linalg.norm(W.grad) for W, _ in params])
        with dlproof.no_grad():
            zero_frac[act] = float(np.mean([(ACTIVATIONS[act](k).numpy() == 0).mean() for k in keep]))
    report.table("grad-norm-at-init", ["activation"] + [f"layer {i + 1}" for i in range(DEPTH)],
                 [[a, *map(float, gnorm[a])] for a in TRAINED])
    ratio = {a: float(gnorm[a][0] / gnorm[a][DEPTH - 2]) for a in TRAINED}
    for a in TRAINED:
        report.metric(f"grad_ratio_first_over_last_hidden_{a}", ratio[a])
    report.claim("sigmoid-gradients-vanish",
                 en="10-layer sigmoid net at Xavier init: the first layer's weight gradient is more "
                    "than 1000 times smaller than the last hidden layer's.",
                 zh="10 层 sigmoid 网络（Xavier 初始化）：第一层权重梯度比最后一个隐藏层小 1000 倍以上。",
                 value=ratio["sigmoid"], op="<", threshold=1e-3,
                 expression="||dW_1|| / ||dW_9||, sigmoid")
    report.claim("relu-gradients-preserved",
                 en="With ReLU and He init the same ratio stays within a factor 10 of 1.",
                 zh="ReLU 配 He 初始化时，同一比值保持在 1 的 10 倍范围以内。",
                 value=ratio["relu"], op="between", threshold=(0.1, 10.0),
                 expression="||dW_1|| / ||dW_9||, ReLU")
    report.claim("relu-half-zeros-at-init",
                 en="At initialisation ReLU outputs exact zeros for about half of its inputs "
                    "(between 40% and 60%, averaged over the 9 hidden layers).",
                 zh="初始化时 ReLU 对约一半的输入输出恰好为 0（9 个隐藏层平均在 40% 到 60% 之间）。",
                 value=zero_frac["relu"], op="between", threshold=(0.4, 0.6),
                 expression="fraction of exact zeros")
    report.progress(0.15, "training")

    # 2. Training speed at the same budget.
    epochs = cfg.pick(4, 15)
    curves, final, acc, best_lr = {}, {}, {}, {}
    k = 0
    for act in TRAINED:
        best = None
        for lr in cfg.pick(LRS[:1], LRS):
            params = deep(act, cfg.seed)
            losses = train(params, X, y, ACTIVATIONS[act], lr=lr, epochs=epochs, batch=64,
                           rng=np.random.default_rng([cfg.seed, 12]), momentum=0.9)
            if not np.isfinite(losses[-1]):
                losses = [float("inf")] * len(losses)
            if best is None or losses[-1] < best[0][-1]:
                best = (losses, lr, accuracy(params, X, y, ACTIVATIONS[act]))
            k += 1
            report.progress(0.15 + 0.6 * k / (len(TRAINED) * len(cfg.pick(LRS[:1], LRS))),
                            f"{act}, lr {lr}")
        curves[act], best_lr[act], acc[act] = best
        final[act] = float(best[0][-1])
        report.metric(f"final_loss_{act}", final[act])
        report.metric(f"train_acc_{act}", acc[act])
    report.table("training", ["activation", "best lr", "final train loss", "train accuracy"],
                 [[a, best_lr[a], final[a], acc[a]] for a in TRAINED])
    report.claim("sigmoid-deep-net-stalls",
                 en=f"The 10-layer sigmoid net barely learns in {epochs} epochs: its training loss "
                    "stays above 2.0 (ln 10 = 2.30 is chance level).",
                 zh=f"10 层 sigmoid 网络在 {epochs} 个 epoch 内几乎学不动：训练损失保持在 2.0 以上"
                    "（随机猜测为 ln 10 = 2.30）。",
                 value=final["sigmoid"], op=">", threshold=2.0, expression="final loss, sigmoid")
    relu_family = max(final[a] for a in ("relu", "leaky_relu", "elu", "silu"))
    report.claim("relu-family-trains",
                 en="With the same budget ReLU, leaky ReLU, ELU and SiLU all get the training loss "
                    "below 0.5.",
                 zh="同样的训练预算下，ReLU、leaky ReLU、ELU 和 SiLU 都把训练损失降到 0.5 以下。",
                 value=relu_family, op="<", threshold=0.5, expression="max final loss, ReLU family")
    report.claim("tanh-trains",
                 en="tanh (zero-centred, slope 1 at 0) also trains: final loss below 0.5.",
                 zh="tanh（以 0 为中心，0 处斜率为 1）同样能训练：最终损失低于 0.5。",
                 value=final["tanh"], op="<", threshold=0.5, expression="final loss, tanh")
    report.progress(0.8, "dead units")

    # 3. Dead ReLUs after one step with a 10x-too-large learning rate.
    dead_info = {}
    for act in ("relu", "leaky_relu"):
        params = init_mlp([64, 128, 128, 128, 10], np.random.default_rng([cfg.seed, 13]), gain2=2.0)
        cross_entropy(mlp_forward(params, X, ACTIVATIONS[act]), y).backward()
        with dlproof.no_grad():
            for t in flat(params):
                t.data -= 10.0 * t.grad
        keep: list = []
        with dlproof.no_grad():
            mlp_forward(params, X, ACTIVATIONS[act], keep=keep)
        negative = [(k.numpy() <= 0).all(axis=0) for k in keep]  # per unit: never positive
        # gradient reaching the units' incoming weights over the whole data set
        for t in flat(params):
            t.grad = None
        cross_entropy(mlp_forward(params, X, ACTIVATIONS[act]), y).backward()
        got_grad = [np.abs(W.grad).sum(axis=1) > 0 for W, _ in params[:-1]]
        train(params, X, y, ACTIVATIONS[act], lr=0.01, epochs=2, batch=64,
              rng=np.random.default_rng([cfg.seed, 14]), momentum=0.9)
        keep2: list = []
        with dlproof.no_grad():
            mlp_forward(params, X, ACTIVATIONS[act], keep=keep2)
        still = [(k.numpy() <= 0).all(axis=0) for k in keep2]
        neg = np.concatenate(negative)
        dead_info[act] = {
            "negative_fraction": float(neg.mean()),
            "negative_with_grad": float(np.concatenate(got_grad)[neg].mean()) if neg.any() else 1.0,
            "still_negative": float(np.concatenate(still)[neg].mean()) if neg.any() else 0.0,
        }
    d = dead_info["relu"]
    report.metric("relu_dead_after_big_step", d["negative_fraction"])
    report.metric("relu_dead_still_dead_after_training", d["still_negative"])
    report.metric("leaky_negative_after_big_step", dead_info["leaky_relu"]["negative_fraction"])
    report.claim("big-step-kills-relus",
                 en="One full-batch SGD step with lr = 10 (10x too large) leaves more than 10% of "
                    "the ReLU units of a 3-hidden-layer net outputting 0 on every digit.",
                 zh="学习率为 10（大了 10 倍）的一步全批量 SGD 之后，3 隐藏层 ReLU 网络中超过 10% 的"
                    "单元对所有 digits 样本都输出 0。",
                 value=d["negative_fraction"], op=">", threshold=0.1,
                 expression="fraction of units with z <= 0 on all inputs")
    report.claim("dead-relus-get-no-gradient",
                 en="Those units receive exactly zero gradient on their incoming weights.",
                 zh="这些单元的输入权重得到的梯度恰好为 0。",
                 value=d["negative_with_grad"], op="==", threshold=0.0,
                 expression="fraction of dead units with nonzero weight gradient")
    report.claim("dead-relus-stay-dead",
                 en="They cannot revive themselves: after two more epochs of normal training more "
                    "than 20% of them are still dead (the others came back only because the layers "
                    "below changed their inputs).",
                 zh="它们无法自己复活：再正常训练两个 epoch 后，仍有超过 20% 是死的（其余的复活只是"
                    "因为下面的层改变了它们的输入）。",
                 value=d["still_negative"], op=">", threshold=0.2,
                 expression="fraction still dead")
    report.claim("leaky-units-keep-gradient",
                 en="With leaky ReLU the same step also pushes units negative on every input, but all "
                    "of them still receive gradient (slope 0.01), so none is dead.",
                 zh="用 leaky ReLU 时，同样的一步也会让一些单元对所有输入都为负，但它们都仍然有梯度"
                    "（斜率 0.01），没有一个是死的。",
                 value=dead_info["leaky_relu"]["negative_with_grad"], op="==", threshold=1.0,
                 expression="fraction of all-negative units with nonzero weight gradient")

    # 4. All-positive inputs: same-sign weight gradients for one example.
    same_sign = {}
    for act in ("sigmoid", "tanh"):
        params = init_mlp([64, 64, 64, 10], np.random.default_rng([cfg.seed, 15]), gain2=1.0)
        cross_entropy(mlp_forward(params, X[:1], ACTIVATIONS[act]), y[:1]).backward()
        g = params[1][0].grad  # (64 units, 64 inputs = outputs of the first activation)
        rows = g[np.abs(g).sum(1) > 0]
        same_sign[act] = float(np.mean((rows > 0).all(1) | (rows < 0).all(1)))
    report.claim("sigmoid-inputs-same-sign",
                 en="For one example, every unit fed by sigmoid outputs (all positive) gets a weight "
                    "gradient whose 64 entries share one sign: all rows are single-signed.",
                 zh="对单个样本，以 sigmoid 输出（全为正）为输入的每个单元，其 64 个权重梯度同号："
                    "所有行都是单一符号。",
                 value=same_sign["sigmoid"], op="==", threshold=1.0,
                 expression="fraction of single-signed gradient rows, sigmoid inputs")
    report.claim("tanh-inputs-mixed-sign",
                 en="With tanh outputs (zero-centred) as inputs, almost no row is single-signed "
                    "(below 5%).",
                 zh="以 tanh 输出（以 0 为中心）为输入时，几乎没有一行是单一符号（低于 5%）。",
                 value=same_sign["tanh"], op="<", threshold=0.05,
                 expression="fraction of single-signed gradient rows, tanh inputs")

    from dlproof.experiments.figures import new_figure

    fig, (a0, a1) = new_figure(1, 2, size=(11.0, 4.0))
    for a in TRAINED:
        a0.semilogy(range(1, DEPTH + 1), gnorm[a], "o-", ms=3, label=a)
        a1.plot(curves[a], label=f"{a} (lr {best_lr[a]})")
    a0.set_xlabel("layer")
    a0.set_ylabel(r"$\|\partial L/\partial W_l\|$ at init")
    a0.legend(fontsize=7)
    a1.set_xlabel("epoch")
    a1.set_ylabel("training loss")
    a1.set_ylim(0, 3)
    a1.legend(fontsize=7)
    report.figure("deep-activations", fig,
                  en="10-layer MLPs on digits. Left: weight-gradient norm per layer at initialisation; "
                     "with sigmoid it shrinks by orders of magnitude towards the input, with tanh and "
                     "the ReLU family it does not. Right: training loss with SGD + momentum (best of "
                     "two learning rates): the sigmoid net stalls near chance level.",
                  zh="digits 上的 10 层 MLP。左：初始化时各层权重梯度的范数；sigmoid 越靠近输入层"
                     "梯度越小，相差几个数量级，tanh 与 ReLU 家族则没有。右：SGD + 动量的训练损失"
                     "（两个学习率中取较好者）：sigmoid 网络停在随机猜测水平附近。")
    report.progress(1.0, "done")
