import numpy as np


def rnn_forward(x, h0, w_ih, w_hh, b):
    h, hs = h0, []
    for x_t in x:
        h = np.tanh(x_t @ w_ih.T + h @ w_hh.T + b)
        hs.append(h)
    return np.array(hs)


def rnn_backward(x, h0, w_ih, w_hh, b, grad_hs):
    hs = rnn_forward(x, h0, w_ih, w_hh, b)
    prev = np.concatenate([h0[None], hs[:-1]])
    dw_ih, dw_hh, db = np.zeros_like(w_ih), np.zeros_like(w_hh), np.zeros_like(b)
    carry = np.zeros_like(h0)
    for step in range(len(x) - 1, -1, -1):
        da = (grad_hs[step] + carry) * (1 - hs[step] ** 2)
        dw_ih += da.T @ x[step]
        dw_hh += da.T @ prev[step]
        db += da.sum(0)
        carry = da @ w_hh
    return dw_ih, dw_hh, db, carry
