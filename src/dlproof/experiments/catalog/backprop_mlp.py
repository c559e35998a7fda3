"""Backpropagation derived by hand for an MLP, checked against finite differences and the engine,
and timed against finite differences as the number of parameters grows.

Network: 64 -> h1 -> h2 -> 10 with tanh hidden units, mean softmax cross-entropy, on digits.
Forward: z^l = a^{l-1} W^l^T + b^l, a^l = tanh(z^l); logits z^3. Backward (rows = examples):

    delta^3 = (softmax(z^3) - Y) / N
    dW^l = delta^l^T a^{l-1},   db^l = sum_n delta^l
    delta^{l-1} = (delta^l W^l) * (1 - (a^{l-1})^2)
"""

from __future__ import annotations

import time

import numpy as np

import dlproof
from dlproof.data import digits
from dlproof.engine import ops
from dlproof.experiments.registry import RunConfig, experiment
from dlproof.nn import functional as F
from dlproof.nn.functional import cross_entropy


def init(sizes, rng):
    return [(rng.standard_normal((o, i)) / np.sqrt(i), rng.standard_normal(o) * 0.1)
            for i, o in zip(sizes[:-1], sizes[1:])]


def forward(params, X):
    """Returns the activations [a^0 = X, a^1, ..., logits]."""
    acts = [X]
    for l, (W, b) in enumerate(params):
        z = acts[-1] @ W.T + b
        acts.append(z if l == len(params) - 1 else np.tanh(z))
    return acts


def loss(params, X, y) -> float:
    z = forward(params, X)[-1]
    m = z.max(1, keepdims=True)
    logp = z - m - np.log(np.exp(z - m).sum(1, keepdims=True))
    return float(-logp[np.arange(len(y)), y].mean())


def backprop(params, X, y, *, wrong: bool = False):
    """Hand-derived gradients [(dW, db), ...]. ``wrong`` drops the tanh' factor (negative control)."""
    acts = forward(params, X)
    z = acts[-1]
    s = np.exp(z - z.max(1, keepdims=True))
    s /= s.sum(1, keepdims=True)
    delta = s
    delta[np.arange(len(y)), y] -= 1.0
    delta /= len(y)
    grads = []
    for l in range(len(params) - 1, -1, -1):
        W, _ = params[l]
        a_prev = acts[l]
        grads.append((delta.T @ a_prev, delta.sum(0)))
        if l > 0:
            delta = delta @ W
            if not (wrong and l == 1):
                delta = delta * (1 - a_prev ** 2)
    return grads[::-1]


def flatten(grads) -> np.ndarray:
    return np.concatenate([g.ravel() for layer in grads for g in layer])


def fd_gradient(params, X, y, eps=1e-6):
    """Central differences, one parameter at a time (2 forward passes per parameter)."""
    out = []
    for W, b in params:
        pair = []
        for arr in (W, b):
            g = np.zeros_like(arr)
            fa, fg = arr.reshape(-1), g.reshape(-1)
            for i in range(fa.size):
                old = fa[i]
                fa[i] = old + eps
                lp = loss(params, X, y)
                fa[i] = old - eps
                lm = loss(params, X, y)
                fa[i] = old
                fg[i] = (lp - lm) / (2 * eps)
            pair.append(g)
        out.append(tuple(pair))
    return out


def block_rel_err(a, b) -> float:
    """max over parameter blocks of ||a - b|| / (||a|| + ||b||)."""
    return max(float(np.linalg.norm(ga - gb) / (np.linalg.norm(ga) + np.linalg.norm(gb)))
               for la, lb in zip(a, b) for ga, gb in zip(la, lb))


def mean_time(f, repeat: int) -> float:
    f()  # warm-up
    t0 = time.perf_counter()
    for _ in range(repeat):
        f()
    return (time.perf_counter() - t0) / repeat


@experiment("backprop-mlp", questions=["backprop-derivation", "computation-graph"],
            title_en="Backprop by hand for an MLP: checked against finite differences, timed",
            title_zh="手推 MLP 反向传播：与有限差分对照并计时")
def run(cfg: RunConfig, report) -> None:
    rng = cfg.rng()
    X_all, y_all = digits(np.float64)
    n = cfg.pick(100, 300)
    idx = rng.choice(len(X_all), n, replace=False)
    X, y = X_all[idx], y_all[idx]
    sizes = cfg.pick([64, 12, 8, 10], [64, 24, 16, 10])
    params = init(sizes, rng)

    g_bp = backprop(params, X, y)
    g_fd = fd_gradient(params, X, y)
    err = block_rel_err(g_bp, g_fd)
    report.metric("rel_err_backprop_vs_fd", err)
    n_params = sum(W.size + b.size for W, b in params)
    arch = "-".join(map(str, sizes))
    report.claim("backprop-matches-fd",
                 en=f"Hand-derived backprop for a {arch} tanh MLP ({n_params} parameters, "
                    f"{n} digits) agrees with float64 central differences: relative error per "
                    "parameter block below 1e-7.",
                 zh=f"{arch} 的 tanh MLP（{n_params} 个参数，{n} 张 digits 图像）上手推的"
                    "反向传播与 float64 中心差分一致：每个参数块的相对误差小于 1e-7。",
                 value=err, op="<", threshold=1e-7, expression="max_block ||g-g_fd||/(||g||+||g_fd||)")
    wrong_err = block_rel_err(backprop(params, X, y, wrong=True), g_fd)
    report.claim("wrong-backprop-fails",
                 en="Negative control: dropping the factor f'(z^1) in delta^1 gives a relative "
                    "error above 1e-2, so the check does catch a wrong derivation.",
                 zh="反例对照：在 delta^1 中漏掉 f'(z^1) 这一项，相对误差超过 1e-2，说明这个检查"
                    "确实能抓住错误的推导。",
                 value=wrong_err, op=">", threshold=1e-2, expression="same error, wrong backprop")
    report.progress(0.25, "engine autograd")

    # The engine's reverse-mode autodiff on the same network.
    ts = [(dlproof.tensor(W.copy(), requires_grad=True), dlproof.tensor(b.copy(), requires_grad=True))
          for W, b in params]
    h = dlproof.tensor(X)
    for l, (W, b) in enumerate(ts):
        h = F.linear(h, W, b)
        if l < len(ts) - 1:
            h = ops.tanh(h)
    cross_entropy(h, y).backward()
    g_engine = [(W.grad, b.grad) for W, b in ts]
    diff = max(float(np.abs(a - b).max()) for la, lb in zip(g_engine, g_bp) for a, b in zip(la, lb))
    report.metric("max_abs_diff_engine_vs_hand", diff)
    report.claim("engine-matches-hand",
                 en="The engine's autograd returns the same gradients as the hand derivation "
                    "(max absolute difference below 1e-14).",
                 zh="引擎的自动微分与手推公式给出相同的梯度（最大绝对差小于 1e-14）。",
                 value=diff, op="<", threshold=1e-14, expression="max|g_engine - g_hand|")
    small = [(W[:6, :8].copy(), b[:6].copy()) for W, b in params[:1]]
    small.append((params[1][0][:5, :6].copy(), params[1][1][:5].copy()))
    xs, ys = X[:12, :8], y[:12] % 5

    def net(W1, b1, W2, b2):
        return cross_entropy(F.linear(ops.tanh(F.linear(dlproof.tensor(xs), W1, b1)), W2, b2), ys)

    gc = dlproof.engine.gradcheck(net, [small[0][0], small[0][1], small[1][0], small[1][1]])
    report.metric("engine_gradcheck_max_abs_err", gc.max_abs_err)
    report.claim("engine-gradcheck",
                 en="dlproof.engine.gradcheck on a small tanh net (random upstream weights, every "
                    "parameter perturbed): max absolute error below 1e-8.",
                 zh="对一个小型 tanh 网络运行 dlproof.engine.gradcheck（随机上游权重，逐个扰动每个"
                    "参数）：最大绝对误差小于 1e-8。",
                 value=gc.max_abs_err, op="<", threshold=1e-8, expression="gradcheck max abs err")
    report.progress(0.4, "timing")

    # Cost: forward, backprop (forward + backward) and finite differences as parameters grow.
    widths = cfg.pick((2, 4, 8), (4, 8, 16, 32))
    Xt, yt = X_all[:128], y_all[:128]
    rows = []
    for w in widths:
        p = init([64, w, w, 10], np.random.default_rng([cfg.seed, w]))
        P = sum(W.size + b.size for W, b in p)
        # Means over consecutive calls (not minima), so that all three see the same machine load.
        t_f = mean_time(lambda p=p: loss(p, Xt, yt), 200)
        t_bp = mean_time(lambda p=p: backprop(p, Xt, yt), 200)
        t_fd = mean_time(lambda p=p: fd_gradient(p, Xt, yt), 1)
        rows.append([w, P, t_f, t_bp, t_fd, t_bp / t_f, t_fd / t_bp])
        report.progress(0.4 + 0.4 * (widths.index(w) + 1) / len(widths), f"timing width {w}")
    report.table("cost", ["width", "parameters", "forward s", "backprop s", "finite diff s",
                          "backprop/forward", "finite diff/backprop"], rows)
    arr = np.array(rows, dtype=float)
    per_param = arr[:, 4] / (2 * arr[:, 1] * arr[:, 2])
    report.metric("fd_time_per_two_forwards_median", float(np.median(per_param)))
    report.claim("fd-cost-two-forwards-per-parameter",
                 en="Finite differences cost two forward passes per parameter, so their time grows "
                    "in proportion to the parameter count P: t_fd / (2 P t_forward) is between 0.5 "
                    "and 3 (median over the network sizes; >1 is loop overhead and machine noise).",
                 zh="有限差分对每个参数要做两次前向传播，耗时与参数个数 P 成正比："
                    "t_fd / (2 P t_forward) 在 0.5 到 3 之间（各网络规模取中位数；大于 1 的部分是"
                    "循环开销与机器噪声）。",
                 value=float(np.median(per_param)), op="between", threshold=(0.5, 3.0),
                 expression="median t_fd / (2 P t_f)")
    ratio = float(arr[:, 5].max())
    report.metric("max_backprop_over_forward", ratio)
    report.claim("backprop-constant-multiple",
                 en="One backprop (forward + backward) costs a small constant multiple of one "
                    "forward pass at every size: at most 5x (128 examples, mean of 200 runs).",
                 zh="在所有规模下，一次反向传播（前向加反向）的代价只是一次前向传播的常数倍："
                    "不超过 5 倍（128 个样本，200 次取平均）。",
                 value=ratio, op="<", threshold=5.0, expression="max_width t_bp / t_f")
    speedup = float(arr[-1, 6])
    report.metric("fd_over_backprop_largest", speedup)
    report.claim("backprop-beats-fd",
                 en=f"At {int(arr[-1, 1])} parameters, finite differences take more than 100 times "
                    "as long as backprop.",
                 zh=f"在 {int(arr[-1, 1])} 个参数时，有限差分的耗时是反向传播的 100 倍以上。",
                 value=speedup, op=">", threshold=100.0, expression="t_fd / t_bp")

    # A few epochs of SGD with the hand-derived gradients.
    p = init([64, 32, 32, 10], np.random.default_rng([cfg.seed, 99]))
    epochs = cfg.pick(3, 10)
    curve = [loss(p, X_all, y_all)]
    for _ in range(epochs):
        order = rng.permutation(len(X_all))
        for s in range(0, len(order), 32):
            b_idx = order[s:s + 32]
            for (W, b), (dW, db) in zip(p, backprop(p, X_all[b_idx], y_all[b_idx])):
                W -= 0.1 * dW
                b -= 0.1 * db
        curve.append(loss(p, X_all, y_all))
    report.metric("train_loss_first", curve[0])
    report.metric("train_loss_last", curve[-1])
    report.claim("training-loss-falls",
                 en=f"SGD with these gradients (lr 0.1, batch 32) cuts the digits training loss "
                    f"below 1/5 of its initial value in {epochs} epochs.",
                 zh=f"用这些梯度做 SGD（学习率 0.1，批大小 32），{epochs} 个 epoch 内 digits 训练"
                    "损失降到初始值的 1/5 以下。",
                 value=curve[-1] / curve[0], op="<", threshold=0.2, expression="loss_last / loss_first")

    from dlproof.experiments.figures import new_figure

    fig, (a0, a1) = new_figure(1, 2, size=(10.0, 4.0))
    a0.loglog(arr[:, 1], arr[:, 4], "o-", label="finite differences")
    a0.loglog(arr[:, 1], arr[:, 3], "s-", label="backprop (forward + backward)")
    a0.loglog(arr[:, 1], arr[:, 2], "^-", label="one forward pass")
    a0.set_xlabel("number of parameters $P$")
    a0.set_ylabel("seconds (mean over repeated runs)")
    a0.legend(fontsize=8)
    a1.plot(range(len(curve)), curve, "o-")
    a1.set_xlabel("epoch")
    a1.set_ylabel("training cross-entropy")
    report.figure("backprop-cost", fig,
                  en="Left: time to get all gradients. Finite differences grow in proportion to the "
                     "parameter count; backprop stays a small multiple of one forward pass. Right: "
                     "digits training loss with the hand-derived gradients.",
                  zh="左：求出全部梯度的耗时。有限差分随参数个数成正比增长；反向传播始终只是一次"
                     "前向传播的小常数倍。右：用手推梯度训练 digits 的损失曲线。")
    report.progress(1.0, "done")
