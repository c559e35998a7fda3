"""The LSTM cell: equations, hand-derived backward, parameter count, the cell path, and why
its gates are sigmoids while its content is tanh.

1. One cell step in NumPy (gates i, f, g, o as PyTorch) with a hand-written backward, against the
   engine's fused ``F.lstm_cell`` (float64), plus a finite-difference gradcheck of the fused op.
2. Parameters: nn.LSTM(D, H) has 4(H(H + D) + H) + 4H (PyTorch's second bias adds 4H): exactly 4x
   nn.RNN(D, H).
3. The cell path: with h_{t-1} fixed, dc_t/dc_{t-1} = diag(f_t); over T steps with W_hh = 0 the
   whole Jacobian is diag(prod_k f_k) (the "constant error carousel" when f ~ 1).
4. Activation roles, measured on the same random LSTM run for 300 steps with forget bias +3:
   a sigmoid candidate can only write non-negative increments (the cell can never be decreased
   except by forgetting); without the output tanh, h = o * c grows with the accumulated cell, while
   o * tanh(c) stays in (-1, 1); a raw tanh forget gate flips the sign of the memory, so after
   many steps sign(c_T) no longer tells sign(c_0); sigmoid' <= 1/4 while tanh' <= 1.
"""

from __future__ import annotations

import numpy as np

import dlproof
from dlproof import nn
from dlproof.engine import gradcheck
from dlproof.experiments.registry import RunConfig, experiment
from dlproof.nn import functional as F


def sigmoid(a):
    return 1.0 / (1.0 + np.exp(-a))


def lstm_cell_np(x, h, c, w_ih, w_hh, b):
    """One step. Returns (h', c', cache). Gate order i, f, g, o along the 4H axis."""
    a = x @ w_ih.T + h @ w_hh.T + b
    ai, af, ag, ao = np.split(a, 4, axis=-1)
    i, f, g, o = sigmoid(ai), sigmoid(af), np.tanh(ag), sigmoid(ao)
    c2 = f * c + i * g
    tc = np.tanh(c2)
    return o * tc, c2, (x, h, c, i, f, g, o, tc)


def lstm_cell_backward_np(dh2, dc2, cache, w_ih, w_hh):
    """Hand-derived backward of one LSTM step: returns dx, dh, dc, dW_ih, dW_hh, db."""
    x, h, c, i, f, g, o, tc = cache
    do = dh2 * tc
    dc = dc2 + dh2 * o * (1 - tc ** 2)
    di, df, dg = dc * g, dc * c, dc * i
    da = np.concatenate([di * i * (1 - i), df * f * (1 - f), dg * (1 - g ** 2), do * o * (1 - o)], -1)
    return da @ w_ih, da @ w_hh, dc * f, da.T @ x, da.T @ h, da.sum(0)


def lstm_variant_run(x, w_ih, w_hh, b, *, gate="sigmoid", cand="tanh", out="tanh"):
    """Run a (possibly modified) LSTM over x (T, B, D). gate: 'sigmoid' or 'tanh' for the forget
    gate; cand: candidate activation; out: 'tanh' or 'none' for the output squashing.
    Returns dict of stacked c, h and the writes i * g, each (T, B, H)."""
    acts = {"sigmoid": sigmoid, "tanh": np.tanh, "none": lambda a: a}
    T, B, _ = x.shape
    H = w_hh.shape[1]
    h, c = np.zeros((B, H)), np.zeros((B, H))
    cs, hs, ws = [], [], []
    for t in range(T):
        ai, af, ag, ao = np.split(x[t] @ w_ih.T + h @ w_hh.T + b, 4, axis=-1)
        i, f, g, o = sigmoid(ai), acts[gate](af), acts[cand](ag), sigmoid(ao)
        c = f * c + i * g
        h = o * acts[out](c)
        cs.append(c)
        hs.append(h)
        ws.append(i * g)
    return {"c": np.stack(cs), "h": np.stack(hs), "write": np.stack(ws)}


@experiment("lstm-cell",
            questions=["lstm-architecture", "lstm-gate-activations", "lstm-vs-rnn", "seq2seq-gru"],
            title_en="The LSTM cell: hand backward, parameter count, the cell path, sigmoid vs tanh roles",
            title_zh="LSTM 单元：手推反向、参数量、细胞通路、sigmoid 与 tanh 的分工")
def run(cfg: RunConfig, report) -> None:
    rng = cfg.rng()
    B, D, H = 4, 3, 5
    x = rng.standard_normal((B, D))
    h = rng.standard_normal((B, H)) * 0.5
    c = rng.standard_normal((B, H))
    w_ih = rng.standard_normal((4 * H, D)) * 0.5
    w_hh = rng.standard_normal((4 * H, H)) * 0.5
    b_ih, b_hh = rng.standard_normal(4 * H) * 0.1, rng.standard_normal(4 * H) * 0.1
    dh2, dc2 = rng.standard_normal((B, H)), rng.standard_normal((B, H))   # random upstream

    h2, c2, cache = lstm_cell_np(x, h, c, w_ih, w_hh, b_ih + b_hh)
    hand = lstm_cell_backward_np(dh2, dc2, cache, w_ih, w_hh)
    leaves = [dlproof.tensor(a, requires_grad=True) for a in (x, h, c, w_ih, w_hh, b_ih, b_hh)]
    h2e, c2e = F.lstm_cell(leaves[0], (leaves[1], leaves[2]), *leaves[3:])
    err_fwd = max(float(np.abs(h2e.data - h2).max()), float(np.abs(c2e.data - c2).max()))
    ((h2e * dlproof.tensor(dh2)).sum() + (c2e * dlproof.tensor(dc2)).sum()).backward()
    engine = [t.grad for t in leaves[:5]] + [leaves[5].grad]
    err_bwd = max(float(np.abs(a - e).max()) for a, e in zip(hand, engine))
    err_bwd = max(err_bwd, float(np.abs(leaves[6].grad - hand[5]).max()))
    report.metric("max_abs_err_forward", err_fwd)
    report.metric("max_abs_err_hand_backward", err_bwd)
    report.claim("forward-matches-equations",
                 en="The engine's fused LSTM cell computes exactly i, f, o = sigmoid(.), g = tanh(.), "
                    "c' = f c + i g, h' = o tanh(c') (max difference from the NumPy equations below "
                    "1e-14).",
                 zh="引擎融合的 LSTM 单元恰好计算 i, f, o = sigmoid(.)、g = tanh(.)、c' = f c + i g、"
                    "h' = o tanh(c')（与 NumPy 公式的最大差小于 1e-14）。",
                 value=err_fwd, op="<", threshold=1e-14, expression="max|engine - equations|")
    report.claim("hand-backward-matches",
                 en="The hand-derived backward (dc = dc' + dh' o (1 - tanh^2 c'), then gate "
                    "derivatives) matches the engine's gradients for x, h, c and all weights "
                    "(max difference below 1e-12).",
                 zh="手推的反向传播（dc = dc' + dh' o (1 - tanh^2 c')，再乘各门的导数）与引擎对 x、"
                    "h、c 和全部权重的梯度一致（最大差小于 1e-12）。",
                 value=err_bwd, op="<", threshold=1e-12, expression="max|grad_hand - grad_engine|")
    rep = gradcheck(lambda *a: sum(((t * dlproof.tensor(u)).sum() for t, u in
                                    zip(F.lstm_cell(a[0], (a[1], a[2]), *a[3:]), (dh2, dc2))),
                                   dlproof.tensor(0.0)),
                    [x, h, c, w_ih, w_hh, b_ih, b_hh])
    report.claim("gradcheck-passes",
                 en="Central finite differences agree with the fused cell's backward for all seven "
                    "inputs (max absolute error below 1e-7).",
                 zh="中心有限差分与融合单元对全部七个输入的反向传播一致（最大绝对误差小于 1e-7）。",
                 value=float(rep.max_abs_err), op="<", threshold=1e-7, expression="gradcheck max abs err")
    report.progress(0.25, "parameter count")

    # Parameter count.
    D2, H2 = 10, 20
    n_lstm = sum(p.data.size for p in nn.LSTM(D2, H2, generator=0).parameters())
    n_rnn = sum(p.data.size for p in nn.RNN(D2, H2, generator=0).parameters())
    expected = 4 * (H2 * (H2 + D2) + H2) + 4 * H2
    report.metric("lstm_params", n_lstm)
    report.metric("rnn_params", n_rnn)
    report.claim("parameter-count",
                 en=f"nn.LSTM(input {D2}, hidden {H2}) has 4(H(H + D) + H) + 4H = {expected} "
                    "parameters (the last 4H is PyTorch's second bias vector).",
                 zh=f"nn.LSTM（输入 {D2}，隐藏 {H2}）有 4(H(H + D) + H) + 4H = {expected} 个参数"
                    "（最后的 4H 是 PyTorch 的第二套偏置）。",
                 value=float(n_lstm - expected), op="==", threshold=0.0, expression="count - formula")
    report.claim("four-times-rnn",
                 en="That is exactly 4 times a vanilla RNN of the same sizes (four gate blocks).",
                 zh="恰好是同尺寸普通 RNN 的 4 倍（四个门块）。",
                 value=n_lstm / n_rnn, op="==", threshold=4.0, expression="params_LSTM / params_RNN")

    # The cell path: one step with h fixed, and T steps with W_hh = 0.
    ct = dlproof.tensor(c, requires_grad=True)
    v = rng.standard_normal((B, H))
    _, c2e = F.lstm_cell(dlproof.tensor(x), (dlproof.tensor(h), ct), dlproof.tensor(w_ih),
                         dlproof.tensor(w_hh), dlproof.tensor(b_ih), dlproof.tensor(b_hh))
    (c2e * dlproof.tensor(v)).sum().backward()
    f_gate = cache[4]
    err_step = float(np.abs(ct.grad - v * f_gate).max())
    T = 30
    xs = rng.standard_normal((T, B, D))
    c0 = dlproof.tensor(rng.standard_normal((B, H)), requires_grad=True)
    b_f = b_ih.copy()
    b_f[H:2 * H] += 3.0
    _, _, cT = F.lstm(dlproof.tensor(xs), dlproof.tensor(np.zeros((B, H))), c0, dlproof.tensor(w_ih),
                      dlproof.tensor(np.zeros_like(w_hh)), dlproof.tensor(b_f), dlproof.tensor(b_hh))
    (cT * dlproof.tensor(v)).sum().backward()
    fs = sigmoid(xs @ w_ih[H:2 * H].T + (b_f + b_hh)[H:2 * H])       # (T, B, H): no h dependence
    err_path = float(np.abs(c0.grad - v * fs.prod(0)).max() / np.abs(c0.grad).max())
    report.claim("cell-path-is-forget-gate",
                 en="The direct cell path: with h_{t-1} fixed, dc_t/dc_{t-1} = diag(f_t) exactly "
                    "(error below 1e-12); over 30 steps with W_hh = 0, dc_T/dc_0 = diag(prod_t f_t) "
                    "(relative error below 1e-12). No weight matrix and no squashing derivative on "
                    "this path.",
                 zh="细胞直接通路：固定 h_{t-1} 时 dc_t/dc_{t-1} = diag(f_t)（误差小于 1e-12）；"
                    "W_hh = 0 时 30 步后 dc_T/dc_0 = diag(prod_t f_t)（相对误差小于 1e-12）。这条"
                    "通路上既没有权重矩阵，也没有激活函数的导数。",
                 value=max(err_step, err_path), op="<", threshold=1e-12,
                 expression="max(|dc_t/dc_{t-1} - f_t|, rel|dc_T/dc_0 - prod f|)")
    report.metric("mean_prod_forget_30_steps", float(fs.prod(0).mean()))
    report.progress(0.5, "activation variants")

    # Activation roles: one random LSTM (forget bias +3), inputs with a positive drift.
    Hv, Bv, Tv = 32, 64, cfg.pick(300, 600)
    wv_ih = rng.standard_normal((4 * Hv, 1)) / np.sqrt(Hv) * 2
    wv_hh = rng.standard_normal((4 * Hv, Hv)) / np.sqrt(Hv)
    bv = rng.standard_normal(4 * Hv) * 0.1
    bv[Hv:2 * Hv] += 3.0
    xv = rng.standard_normal((Tv, Bv, 1)) + 0.5
    std = lstm_variant_run(xv, wv_ih, wv_hh, bv)
    sig_cand = lstm_variant_run(xv, wv_ih, wv_hh, bv, cand="sigmoid")
    no_out = lstm_variant_run(xv, wv_ih, wv_hh, bv, out="none")
    frac_neg_std = float((std["write"] < 0).mean())
    frac_neg_sig = float((sig_cand["write"] < 0).mean())
    report.metric("fraction_negative_writes_tanh_candidate", frac_neg_std)
    report.metric("fraction_negative_writes_sigmoid_candidate", frac_neg_sig)
    report.claim("tanh-candidate-writes-both-signs",
                 en="With the tanh candidate a sizeable share of the writes i*g are negative (the "
                    "cell can be pushed down as well as up): more than 20% here.",
                 zh="用 tanh 作候选值时，相当一部分写入 i*g 是负的（细胞既能被加也能被减）：这里超过 "
                    "20%。",
                 value=frac_neg_std, op=">", threshold=0.2, expression="fraction(i*g < 0), tanh g")
    report.claim("sigmoid-candidate-only-adds",
                 en="With a sigmoid candidate every write is non-negative (fraction of negative "
                    "writes exactly 0): the cell can only grow, or be erased by the forget gate.",
                 zh="换成 sigmoid 候选值后，每次写入都非负（负写入比例恰为 0）：细胞只能增加，或被"
                    "遗忘门擦掉。",
                 value=frac_neg_sig, op="==", threshold=0.0, expression="fraction(i*g < 0), sigmoid g")
    max_h_std = float(np.abs(std["h"]).max())
    max_h_none = float(np.abs(no_out["h"]).max())
    max_c = float(np.abs(std["c"]).max())
    report.metric("max_abs_c", max_c)
    report.metric("max_abs_h_with_output_tanh", max_h_std)
    report.metric("max_abs_h_without_output_tanh", max_h_none)
    report.claim("output-tanh-bounds-h",
                 en="With h = o tanh(c), |h| stays below 1 although the additive cell grows well "
                    "beyond it (here max |c| > 3) ...",
                 zh="h = o tanh(c) 时 |h| 始终小于 1，尽管加性更新的细胞值远超于此（这里 max |c| > 3）……",
                 value=min(1.0 - max_h_std, max_c - 3.0), op=">", threshold=0.0,
                 expression="min(1 - max|h|, max|c| - 3)")
    report.claim("no-output-tanh-h-grows",
                 en="... while without the output tanh, h = o c inherits the cell's growth, and fed "
                    "back through W_hh it drives the cell further up: max |h| above 3.",
                 zh="……而去掉输出端的 tanh 后，h = o c 继承了细胞的增长，再经 W_hh 反馈进一步推高细胞："
                    "max |h| 超过 3。",
                 value=max_h_none, op=">", threshold=3.0, expression="max|h| without output tanh")
    # A raw tanh forget gate: the memory's sign flips whenever f < 0.
    Tm = 50
    c_init = np.sign(rng.standard_normal((Bv, Hv)))
    wz = np.zeros_like(bv)
    wz[Hv:2 * Hv] = bv[Hv:2 * Hv] - 3.0                           # forget pre-activation ~ N(0, .1)
    f_pre = xv[:Tm] @ wv_ih[Hv:2 * Hv].T + wz[Hv:2 * Hv]              # input-driven, no writes
    keep_sig = float((np.sign(c_init * sigmoid(f_pre).prod(0)) == c_init).mean())
    keep_tanh = float((np.sign(c_init * np.tanh(f_pre).prod(0)) == c_init).mean())
    report.metric("sign_kept_sigmoid_gate", keep_sig)
    report.metric("sign_kept_tanh_gate", keep_tanh)
    report.claim("tanh-gate-scrambles-sign",
                 en="Gating a stored value for 50 steps with no writes: a sigmoid gate keeps its "
                    "sign in 100% of units (it only scales by a fraction), a raw tanh gate (range "
                    "(-1, 1)) keeps it in roughly half (each negative f flips it).",
                 zh="在没有写入的情况下对存储值门控 50 步：sigmoid 门在 100% 的单元上保持符号（只"
                    "按比例缩放），原始 tanh 门（取值 (-1, 1)）只在大约一半的单元上保持（每个负的 f "
                    "都会翻转符号）。",
                 value=keep_sig - keep_tanh, op=">", threshold=0.3,
                 expression="sign kept (sigmoid) - sign kept (tanh)")
    grid = np.linspace(-10, 10, 20001)
    d_sig = float((sigmoid(grid) * (1 - sigmoid(grid))).max())
    d_tanh = float((1 - np.tanh(grid) ** 2).max())
    report.claim("derivative-maxima",
                 en="max sigmoid' = 1/4 and max tanh' = 1 (on a fine grid, both within 1e-12): a "
                    "tanh passes 4 times more gradient at best.",
                 zh="sigmoid' 的最大值为 1/4，tanh' 的最大值为 1（细网格上误差都小于 1e-12）：tanh "
                    "最多能多传 4 倍的梯度。",
                 value=max(abs(d_sig - 0.25), abs(d_tanh - 1.0)), op="<", threshold=1e-12,
                 expression="max(|max s' - 1/4|, |max tanh' - 1|)")

    from dlproof.experiments.figures import new_figure

    fig, (a0, a1, a2) = new_figure(1, 3, size=(13.0, 3.8))
    t = np.arange(1, Tv + 1)
    q = lambda a: np.quantile(np.abs(a).reshape(Tv, -1), [0.5, 0.99], axis=1)
    for name, arr, col in (("|c| (cell)", std["c"], "tab:blue"),
                           ("|h| = |o tanh c|", std["h"], "tab:green"),
                           ("|h| = |o c| (no output tanh)", no_out["h"], "tab:red"),
                           ("|c| (no output tanh)", no_out["c"], "tab:orange")):
        med, hi = q(arr)
        a0.plot(t, hi, color=col, lw=1.5, label=name + ", 99th pct")
        a0.plot(t, med, color=col, lw=1, ls="--")
    a0.axhline(1, color="k", lw=0.8, ls=":")
    a0.set_yscale("log")
    a0.set_xlabel("step $t$")
    a0.set_title("output squashing (dashed: median)")
    a0.legend(fontsize=7)
    for name, arr, col in (("tanh candidate", std["write"], "tab:blue"),
                           ("sigmoid candidate", sig_cand["write"], "tab:orange")):
        a1.hist(arr.ravel(), bins=80, alpha=0.6, color=col, label=name, density=True)
    a1.axvline(0, color="k", lw=0.8)
    a1.set_xlabel("write $i_t g_t$")
    a1.set_title("what the cell can be told to add")
    a1.legend(fontsize=8)
    a2.plot(grid[8000:12001], (sigmoid(grid) * (1 - sigmoid(grid)))[8000:12001], label=r"$\sigma'$")
    a2.plot(grid[8000:12001], (1 - np.tanh(grid) ** 2)[8000:12001], label=r"$\tanh'$")
    a2.plot(grid[8000:12001], sigmoid(grid)[8000:12001], ":", label=r"$\sigma$ (gate range)")
    a2.plot(grid[8000:12001], np.tanh(grid)[8000:12001], ":", label=r"$\tanh$ (content range)")
    a2.set_title("ranges and derivatives")
    a2.legend(fontsize=8)
    report.figure("lstm-activations", fig,
                  en="Left: a random LSTM (forget bias +3) run for many steps: the cell |c| "
                     "accumulates, h = o tanh(c) stays below 1; without the output tanh h "
                     "inherits the growth and, fed back, makes the cell grow too. "
                     "Middle: the writes i*g take both signs with a tanh "
                     "candidate and are never negative with a sigmoid candidate. Right: sigmoid "
                     "maps to (0, 1) (a fraction: a gate), tanh to (-1, 1) (signed content); their "
                     "derivatives peak at 1/4 and 1.",
                  zh="左：随机 LSTM（遗忘门偏置 +3）运行多步：细胞 |c| 不断累积，h = o tanh(c) 始终"
                     "小于 1；去掉输出 tanh 后 h 随之增长，并经反馈使细胞也持续增长。"
                     "中：tanh 候选值的写入 i*g 有正有负，"
                     "sigmoid 候选值的写入从不为负。右：sigmoid 映到 (0, 1)（比例，适合做门），tanh "
                     "映到 (-1, 1)（带符号的内容）；导数最大值分别为 1/4 和 1。")
    report.progress(1.0, "done")
