# ruff: noqa: E501  (bilingual mistake messages are long text)
"""A vanilla RNN's BPTT, an LSTM cell, a GRU cell, scaled dot-product attention with a causal mask."""

from __future__ import annotations

import numpy as np

from dlproof.nn import functional as F
from dlproof.practice.catalog._engine import t, value
from dlproof.practice.exercise import Case, Exercise, Mistake, fd_vjp, register


def _sig(x):
    return 0.5 * (1 + np.tanh(0.5 * x))


# ---- RNN forward and BPTT -----------------------------------------------------------------------


def _ref_rnn_forward(x, h0, w_ih, w_hh, b):
    """h_t = tanh(x_t W_ih^T + h_{t-1} W_hh^T + b), through the engine; (T, N, H)."""
    h, hs = t(h0), []
    for step in range(x.shape[0]):                   # loop over time steps
        h = F.tanh(F.linear(t(x[step]), t(w_ih)) + F.linear(h, t(w_hh), t(b)))
        hs.append(value(h))
    return np.stack(hs)


def _ref_rnn_backward(x, h0, w_ih, w_hh, b, grad_hs):
    args = {"x": x, "h0": h0, "w_ih": w_ih, "w_hh": w_hh, "b": b}
    return tuple(fd_vjp(_ref_rnn_forward, args, ["w_ih", "w_hh", "b", "h0"], grad_hs))


def _rnn_truncated(x, h0, w_ih, w_hh, b, grad_hs):
    """Each step's local gradient only: the path through h_{t-1} back in time is dropped."""
    hs = _ref_rnn_forward(x, h0, w_ih, w_hh, b)
    prev = np.concatenate([h0[None], hs[:-1]])
    da = grad_hs * (1 - hs**2)                                  # (T, N, H)
    return (np.einsum("tnh,tni->hi", da, x), np.einsum("tnh,tnk->hk", da, prev), da.sum((0, 1)), da[0] @ w_hh)


def _rnn_cases(rng):
    out = []
    for T, n, i, h in ((4, 2, 3, 3), (1, 1, 2, 2), (6, 3, 2, 4)):
        args = {"x": rng.normal(0, 1, (T, n, i)), "h0": rng.normal(0, 0.5, (n, h)),
                "w_ih": rng.normal(0, 0.7, (h, i)), "w_hh": rng.normal(0, 0.7, (h, h)), "b": rng.normal(0, 0.3, h)}
        label = f"T={T}, N={n}, I={i}, H={h}"
        out.append(Case(label, "rnn_forward", dict(args)))
        out.append(Case(label + ", a random upstream gradient on every h_t", "rnn_backward",
                        {**args, "grad_hs": rng.normal(0, 1, (T, n, h))}))
    return out


register(Exercise(
    id="rnn-bptt",
    question="rnn-basics",
    title_en="A vanilla RNN forward and backpropagation through time",
    title_zh="普通 RNN 的前向与随时间反向传播（BPTT）",
    stub='''
import numpy as np


def rnn_forward(x, h0, w_ih, w_hh, b):
    """h_t = tanh(x_t W_ih^T + h_{t-1} W_hh^T + b) for t = 1..T.

    x (T, N, I), h0 (N, H), w_ih (H, I), w_hh (H, H), b (H,). Returns all h_t, (T, N, H)."""
    raise NotImplementedError


def rnn_backward(x, h0, w_ih, w_hh, b, grad_hs):
    """Given dL/dh_t = grad_hs[t] (T, N, H) for a loss that reads every h_t, return
    (dw_ih (H, I), dw_hh (H, H), db (H,), dh0 (N, H)).

    Hint: walk t = T..1 carrying dh = grad_hs[t] + (gradient arriving from step t + 1);
    da = dh * (1 - h_t^2); the gradient sent back to h_{t-1} is da @ w_hh.
    """
    raise NotImplementedError
''',
    reference={"rnn_forward": _ref_rnn_forward, "rnn_backward": _ref_rnn_backward},
    cases=_rnn_cases,
    rtol=1e-5, atol=1e-7,
    mistakes=[
        Mistake("no-recurrent-path", "rnn_backward", _rnn_truncated,
                en="the gradient does not flow back through h_{t-1}: each step needs dh_t = dL/dh_t + (da_{t+1} @ W_hh), the heart of BPTT",
                zh="梯度没有沿 h_{t-1} 往回传：每一步都要 dh_t = dL/dh_t + (da_{t+1} @ W_hh)，这正是 BPTT 的核心"),
    ],
))

# ---- LSTM cell ----------------------------------------------------------------------------------


def _ref_lstm(x, h, c, w_ih, w_hh, b_ih, b_hh):
    h2, c2 = F.lstm_cell(t(x), (t(h), t(c)), t(w_ih), t(w_hh), t(b_ih), t(b_hh))
    return value(h2), value(c2)


def _lstm_manual(x, h, c, w_ih, w_hh, b_ih, b_hh, order="ifgo", tanh_out=True, swap_fi=False):
    z = x @ w_ih.T + b_ih + h @ w_hh.T + b_hh
    parts = dict(zip(order, np.split(z, 4, axis=1)))
    i, f, g, o = _sig(parts["i"]), _sig(parts["f"]), np.tanh(parts["g"]), _sig(parts["o"])
    c2 = (i * c + f * g) if swap_fi else (f * c + i * g)
    return o * (np.tanh(c2) if tanh_out else c2), c2


def _lstm_cases(rng):
    out = []
    for n, i, h in ((2, 3, 4), (1, 1, 1), (3, 5, 2)):
        out.append(Case(f"N={n}, I={i}, H={h}", "lstm_cell",
                        {"x": rng.normal(0, 1, (n, i)), "h": rng.normal(0, 0.5, (n, h)), "c": rng.normal(0, 1, (n, h)),
                         "w_ih": rng.normal(0, 0.6, (4 * h, i)), "w_hh": rng.normal(0, 0.6, (4 * h, h)),
                         "b_ih": rng.normal(0, 0.3, 4 * h), "b_hh": rng.normal(0, 0.3, 4 * h)}))
    return out


register(Exercise(
    id="lstm-cell",
    question="lstm-architecture",
    title_en="One LSTM step (PyTorch's gate layout)",
    title_zh="LSTM 单步（PyTorch 的门排列）",
    stub='''
import numpy as np


def lstm_cell(x, h, c, w_ih, w_hh, b_ih, b_hh):
    """One LSTM step as torch.nn.LSTMCell. x (N, I), h and c (N, H), w_ih (4H, I), w_hh (4H, H),
    b_ih and b_hh (4H,). The 4H rows are the gates in the order i, f, g, o:
        i, f, o = sigmoid(.), g = tanh(.)   of   x W_ih^T + b_ih + h W_hh^T + b_hh
        c' = f * c + i * g;   h' = o * tanh(c')
    Returns (h', c')."""
    raise NotImplementedError
''',
    reference={"lstm_cell": _ref_lstm},
    cases=_lstm_cases,
    mistakes=[
        Mistake("gate-order-igfo", "lstm_cell", lambda **a: _lstm_manual(**a, order="igfo"),
                en="you read the gates in the order i, g, f, o (the old TensorFlow LSTMCell layout); PyTorch and dlproof stack i, f, g, o",
                zh="你按 i, g, f, o 的顺序读取了门（旧版 TensorFlow LSTMCell 的排列）；PyTorch 和 dlproof 是 i, f, g, o"),
        Mistake("no-tanh-on-cell", "lstm_cell", lambda **a: _lstm_manual(**a, tanh_out=False),
                en="h' = o * tanh(c'): the tanh on the cell state is missing",
                zh="h' = o * tanh(c')：漏了对细胞状态的 tanh"),
        Mistake("forget-input-swapped", "lstm_cell", lambda **a: _lstm_manual(**a, swap_fi=True),
                en="the forget gate multiplies the OLD cell state and the input gate the candidate: c' = f * c + i * g",
                zh="遗忘门乘旧的细胞状态，输入门乘候选值：c' = f * c + i * g"),
    ],
))

# ---- GRU cell -----------------------------------------------------------------------------------


def _ref_gru(x, h, w_ih, w_hh, b_ih, b_hh):
    return value(F.gru_cell(t(x), t(h), t(w_ih), t(w_hh), t(b_ih), t(b_hh)))


def _gru_manual(x, h, w_ih, w_hh, b_ih, b_hh, reset_after_bias=False, swap=False):
    gi = np.split(x @ w_ih.T + b_ih, 3, axis=1)
    wr, wz, wn = np.split(w_hh, 3, axis=0)
    br, bz, bn = np.split(b_hh, 3)
    r = _sig(gi[0] + h @ wr.T + br)
    z = _sig(gi[1] + h @ wz.T + bz)
    n = np.tanh(gi[2] + (r * (h @ wn.T) + bn if reset_after_bias else r * (h @ wn.T + bn)))
    return z * n + (1 - z) * h if swap else (1 - z) * n + z * h


def _gru_cases(rng):
    out = []
    for n, i, h in ((2, 3, 4), (1, 2, 1), (4, 2, 3)):
        out.append(Case(f"N={n}, I={i}, H={h}", "gru_cell",
                        {"x": rng.normal(0, 1, (n, i)), "h": rng.normal(0, 0.7, (n, h)),
                         "w_ih": rng.normal(0, 0.6, (3 * h, i)), "w_hh": rng.normal(0, 0.6, (3 * h, h)),
                         "b_ih": rng.normal(0, 0.5, 3 * h), "b_hh": rng.normal(0, 0.5, 3 * h)}))
    return out


register(Exercise(
    id="gru-cell",
    question="seq2seq-gru",
    title_en="One GRU step (PyTorch's form)",
    title_zh="GRU 单步（PyTorch 的形式）",
    stub='''
import numpy as np


def gru_cell(x, h, w_ih, w_hh, b_ih, b_hh):
    """One GRU step as torch.nn.GRUCell. x (N, I), h (N, H), w_ih (3H, I), w_hh (3H, H), biases (3H,),
    gates stacked r, z, n:
        r = sigmoid(x W_ir^T + b_ir + h W_hr^T + b_hr),  z likewise
        n = tanh(x W_in^T + b_in + r * (h W_hn^T + b_hn))
        h' = (1 - z) * n + z * h
    Returns h' (N, H)."""
    raise NotImplementedError
''',
    reference={"gru_cell": _ref_gru},
    cases=_gru_cases,
    mistakes=[
        Mistake("reset-outside-bias", "gru_cell", lambda **a: _gru_manual(**a, reset_after_bias=True),
                en="r multiplies (h W_hn^T + b_hn), bias included, in PyTorch's GRU; you left b_hn outside",
                zh="PyTorch 的 GRU 中 r 乘的是 (h W_hn^T + b_hn)，包括偏置；你把 b_hn 放在了外面"),
        Mistake("update-gate-swapped", "gru_cell", lambda **a: _gru_manual(**a, swap=True),
                en="h' = (1 − z) n + z h: z is the weight of the OLD state in PyTorch's convention; you swapped them",
                zh="h' = (1 − z) n + z h：按 PyTorch 的约定 z 是旧状态的权重；你把两者换了"),
    ],
))

# ---- scaled dot-product attention ---------------------------------------------------------------


def _ref_attention(q, k, v, causal):
    return value(F.scaled_dot_product_attention(t(q), t(k), t(v), is_causal=causal))


def _attention_manual(q, k, v, causal, scale=True, mask_with_zero=False, axis=-1):
    s = q @ np.swapaxes(k, -1, -2) / (np.sqrt(q.shape[-1]) if scale else 1.0)
    if causal:
        keep = np.tril(np.ones(s.shape[-2:], dtype=bool))
        s = s * keep if mask_with_zero else np.where(keep, s, -np.inf)
    s = s - s.max(axis, keepdims=True)
    w = np.exp(s)
    return (w / w.sum(axis, keepdims=True)) @ v


def _attention_cases(rng):
    out = []
    for b, lq, e, ev, causal in ((2, 4, 8, 3, False), (1, 5, 16, 16, True), (3, 3, 4, 2, True), (1, 1, 2, 2, False)):
        s = lq
        out.append(Case(f"B={b}, L=S={lq}, E={e}, Ev={ev}" + (", causal" if causal else ""), "attention",
                        {"q": rng.normal(0, 1, (b, lq, e)), "k": rng.normal(0, 1, (b, s, e)),
                         "v": rng.normal(0, 1, (b, s, ev)), "causal": causal}))
    return out


register(Exercise(
    id="attention",
    question="attention-mechanisms",
    title_en="Scaled dot-product attention with an optional causal mask",
    title_zh="带可选因果掩码的缩放点积注意力",
    stub='''
import numpy as np


def attention(q, k, v, causal: bool):
    """softmax(q k^T / sqrt(E) + mask) v, batched: q (B, L, E), k (B, S, E), v (B, S, Ev) -> (B, L, Ev).

    causal=True: position i attends only to positions j <= i (L == S here).
    Hint: masked scores must get ZERO weight after the softmax.
    """
    raise NotImplementedError
''',
    reference={"attention": _ref_attention},
    cases=_attention_cases,
    mistakes=[
        Mistake("no-scaling", "attention", lambda **a: _attention_manual(**a, scale=False),
                en="the 1/sqrt(E) scaling is missing: dot products grow like sqrt(E) and saturate the softmax",
                zh="漏了 1/sqrt(E) 缩放：点积随 sqrt(E) 增长，会让 softmax 饱和"),
        Mistake("mask-with-zero", "attention", lambda **a: _attention_manual(**a, mask_with_zero=True),
                en="you set masked scores to 0, which still gets weight e^0 after the softmax: use -inf (or a large negative number)",
                zh="你把被掩码的分数设成 0，softmax 之后它仍有权重 e^0：应设为 -inf（或很大的负数）"),
        Mistake("softmax-over-queries", "attention", lambda **a: _attention_manual(**a, axis=-2),
                en="the softmax runs over the keys (last axis of the scores), so each query's weights sum to 1",
                zh="softmax 应在 key 的维度（分数的最后一维）上做，使每个 query 的权重和为 1"),
    ],
))
