"""LSTM and GRU cells and whole-sequence layers with hand-written backpropagation.

Gate orders are PyTorch's: LSTM (i, f, g, o), GRU (r, z, n); w_ih (G*H, I), w_hh (G*H, H).

LSTM step (sigma = logistic):
    A = x W_ih^T + b_ih + h W_hh^T + b_hh = [a_i, a_f, a_g, a_o]
    i = sigma(a_i), f = sigma(a_f), g = tanh(a_g), o = sigma(a_o)
    c' = f c + i g,     h' = o tanh(c')
Backward, given dh' and dc' (from later steps / the loss):
    do = dh' tanh(c'),   dC = dc' + dh' o (1 - tanh^2 c')
    di = dC g, df = dC c, dg = dC i,   dc = dC f   (to the previous step)
    dA = [di i(1-i), df f(1-f), dg (1-g^2), do o(1-o)]
    dx = dA W_ih,  dh = dA W_hh,  dW_ih = dA^T x,  dW_hh = dA^T h,  db_ih = db_hh = sum_batch dA

GRU step:
    [r_i, z_i, n_i] = x W_ih^T + b_ih,   [r_h, z_h, n_h] = h W_hh^T + b_hh
    r = sigma(r_i + r_h), z = sigma(z_i + z_h), n = tanh(n_i + r n_h),   h' = (1 - z) n + z h
Backward, given dh':
    dn = dh' (1 - z),  dz = dh' (h - n),  dh (direct) = dh' z
    da_n = dn (1 - n^2),  dr = da_n n_h,  da_r = dr r (1 - r),  da_z = dz z (1 - z)
    dGi = [da_r, da_z, da_n],   dGh = [da_r, da_z, da_n r]
    dx = dGi W_ih,  dh += dGh W_hh,  dW_ih = dGi^T x,  dW_hh = dGh^T h,  db_ih = sum dGi,
    db_hh = sum dGh.

The sequence layers (``LSTMLayer``, ``GRULayer``) are ONE graph node each: the input projection
of all T steps is a single GEMM up front, each step one recurrent GEMM, the backward through time
(BPTT) is a hand-written loop, and dW_ih / dW_hh are single GEMMs over all steps after the loop.
"""

from __future__ import annotations

import numpy as np

from dlproof.engine.function import Function
from dlproof.engine.ops.activation import _sigmoid


def _check_cell(x, h, w_ih, w_hh, gates, name):
    H = w_hh.shape[1]
    if w_ih.shape[0] != gates * H or w_hh.shape != (gates * H, H):
        raise ValueError(
            f"{name}: weight shapes {w_ih.shape}, {w_hh.shape} do not fit {gates} gates of "
            f"hidden size {H}"
        )
    if x.shape[-1] != w_ih.shape[1]:
        raise ValueError(f"{name}: input shape {x.shape} and w_ih shape {w_ih.shape} do not match")
    if h.shape[-1] != H or h.shape[:-1] != x.shape[:-1]:
        raise ValueError(f"{name}: hidden shape {h.shape} does not fit input shape {x.shape} "
                         f"and hidden size {H}")


def _lstm_gates(A, H):
    """A (..., 4H) -> i, f, g, o with one sigmoid call over the i, f, o columns."""
    s = _sigmoid(A)
    return s[..., :H], s[..., H:2 * H], np.tanh(A[..., 2 * H:3 * H]), s[..., 3 * H:]


class LSTMCell(Function):
    """One LSTM step; see the module docstring. x (B, I), h, c (B, H) -> (h', c')."""

    @staticmethod
    def forward(ctx, x, h, c, w_ih, w_hh, b_ih=None, b_hh=None):
        _check_cell(x, h, w_ih, w_hh, 4, "lstm_cell")
        H = h.shape[-1]
        A = x @ w_ih.T + h @ w_hh.T
        if b_ih is not None:
            A += b_ih
        if b_hh is not None:
            A += b_hh
        i, f, g, o = _lstm_gates(A, H)
        c2 = f * c + i * g
        tc = np.tanh(c2)
        h2 = o * tc
        ctx.saved_tensors = (x, h, c, w_ih, w_hh, i, f, g, o, tc)
        return h2, c2

    @staticmethod
    def backward(ctx, dh2, dc2):
        x, h, c, w_ih, w_hh, i, f, g, o, tc = ctx.saved_tensors
        do = dh2 * tc
        dC = dc2 + dh2 * o * (1 - tc * tc)
        dA = np.concatenate(
            [dC * g * i * (1 - i), dC * c * f * (1 - f), dC * i * (1 - g * g), do * o * (1 - o)],
            axis=-1,
        )
        need = ctx.needs_input_grad
        A2 = dA.reshape(-1, dA.shape[-1])
        gx = dA @ w_ih if need[0] else None
        gh = dA @ w_hh if need[1] else None
        gc = dC * f if need[2] else None
        gwi = A2.T @ x.reshape(-1, x.shape[-1]) if need[3] else None
        gwh = A2.T @ h.reshape(-1, h.shape[-1]) if need[4] else None
        gb = A2.sum(axis=0) if (len(need) > 5 and need[5]) or (len(need) > 6 and need[6]) else None
        return gx, gh, gc, gwi, gwh, gb, gb


class GRUCell(Function):
    """One GRU step (PyTorch's formula); see the module docstring. x (B, I), h (B, H) -> h'."""

    @staticmethod
    def forward(ctx, x, h, w_ih, w_hh, b_ih=None, b_hh=None):
        _check_cell(x, h, w_ih, w_hh, 3, "gru_cell")
        H = h.shape[-1]
        Gi = x @ w_ih.T
        if b_ih is not None:
            Gi += b_ih
        Gh = h @ w_hh.T
        if b_hh is not None:
            Gh += b_hh
        rz = _sigmoid(Gi[..., :2 * H] + Gh[..., :2 * H])
        r, z = rz[..., :H], rz[..., H:]
        nh = Gh[..., 2 * H:]
        n = np.tanh(Gi[..., 2 * H:] + r * nh)
        h2 = (1 - z) * n + z * h
        ctx.saved_tensors = (x, h, w_ih, w_hh, r, z, n, nh)
        return h2

    @staticmethod
    def backward(ctx, dh2):
        x, h, w_ih, w_hh, r, z, n, nh = ctx.saved_tensors
        dGi, dGh, dh_direct = _gru_step_back(dh2, h, r, z, n, nh)
        need = ctx.needs_input_grad
        gx = dGi @ w_ih if need[0] else None
        gh = dGh @ w_hh + dh_direct if need[1] else None
        Gi2, Gh2 = dGi.reshape(-1, dGi.shape[-1]), dGh.reshape(-1, dGh.shape[-1])
        gwi = Gi2.T @ x.reshape(-1, x.shape[-1]) if need[2] else None
        gwh = Gh2.T @ h.reshape(-1, h.shape[-1]) if need[3] else None
        gbi = Gi2.sum(axis=0) if len(need) > 4 and need[4] else None
        gbh = Gh2.sum(axis=0) if len(need) > 5 and need[5] else None
        return gx, gh, gwi, gwh, gbi, gbh


def _gru_step_back(dh2, h, r, z, n, nh):
    dn = dh2 * (1 - z)
    dz = dh2 * (h - n)
    dan = dn * (1 - n * n)
    dar = dan * nh * r * (1 - r)
    daz = dz * z * (1 - z)
    dGi = np.concatenate([dar, daz, dan], axis=-1)
    dGh = np.concatenate([dar, daz, dan * r], axis=-1)
    return dGi, dGh, dh2 * z


def _check_seq(x, h0, w_ih, w_hh, gates, name):
    if x.ndim != 3:
        raise ValueError(f"{name}: expected input (T, B, I), got shape {x.shape}")
    _check_cell(x[0], h0, w_ih, w_hh, gates, name)


class LSTMLayer(Function):
    """Whole-sequence LSTM: x (T, B, I), h0, c0 (B, H) -> (outputs (T, B, H), h_T, c_T).
    Forward and BPTT as in the module docstring, one node for all T steps."""

    @staticmethod
    def forward(ctx, x, h0, c0, w_ih, w_hh, b_ih=None, b_hh=None):
        _check_seq(x, h0, w_ih, w_hh, 4, "lstm")
        T, B, _ = x.shape
        H = h0.shape[-1]
        XG = (x.reshape(T * B, -1) @ w_ih.T).reshape(T, B, 4 * H)  # all-steps input GEMM
        if b_ih is not None:
            XG += b_ih
        if b_hh is not None:
            XG += b_hh
        dt = XG.dtype
        S = np.empty((T, B, 4 * H), dt)  # activated gates i, f, g, o per step
        cs = np.empty((T + 1, B, H), dt)
        hs = np.empty((T + 1, B, H), dt)
        tcs = np.empty((T, B, H), dt)
        hs[0], cs[0] = h0, c0
        for t in range(T):
            A = XG[t]
            A += hs[t] @ w_hh.T
            st = S[t]
            st[...] = _sigmoid(A)
            st[:, 2 * H:3 * H] = np.tanh(A[:, 2 * H:3 * H])
            i, f, g, o = st[:, :H], st[:, H:2 * H], st[:, 2 * H:3 * H], st[:, 3 * H:]
            c = cs[t + 1]
            np.multiply(f, cs[t], out=c)
            c += i * g
            np.tanh(c, out=tcs[t])
            np.multiply(o, tcs[t], out=hs[t + 1])
        ctx.saved_tensors = (x, w_ih, w_hh, S, cs, hs, tcs)
        ctx.has_b = (b_ih is not None, b_hh is not None)
        return hs[1:].copy(), hs[T].copy(), cs[T].copy()

    @staticmethod
    def backward(ctx, gout, ghT, gcT):
        x, w_ih, w_hh, S, cs, hs, tcs = ctx.saved_tensors
        T, B, _ = x.shape
        H = hs.shape[-1]
        dA = np.empty((T, B, 4 * H), S.dtype)
        dh = ghT.copy()
        dc = gcT.copy()
        for t in range(T - 1, -1, -1):
            dh += gout[t]
            st = S[t]
            i, f, g, o = st[:, :H], st[:, H:2 * H], st[:, 2 * H:3 * H], st[:, 3 * H:]
            tc = tcs[t]
            dC = dc + dh * o * (1 - tc * tc)
            da = dA[t]
            da[:, :H] = dC * g * i * (1 - i)
            da[:, H:2 * H] = dC * cs[t] * f * (1 - f)
            da[:, 2 * H:3 * H] = dC * i * (1 - g * g)
            da[:, 3 * H:] = dh * tc * o * (1 - o)
            dh = da @ w_hh
            dc = dC * f
        need = ctx.needs_input_grad
        A2 = dA.reshape(T * B, 4 * H)
        gx = (A2 @ w_ih).reshape(x.shape) if need[0] else None
        gwi = A2.T @ x.reshape(T * B, -1) if need[3] else None
        gwh = A2.T @ hs[:T].reshape(T * B, H) if need[4] else None
        gb = A2.sum(axis=0)
        return (gx, dh if need[1] else None, dc if need[2] else None, gwi, gwh,
                gb if ctx.has_b[0] else None, gb if ctx.has_b[1] else None)


class GRULayer(Function):
    """Whole-sequence GRU: x (T, B, I), h0 (B, H) -> (outputs (T, B, H), h_T); one node."""

    @staticmethod
    def forward(ctx, x, h0, w_ih, w_hh, b_ih=None, b_hh=None):
        _check_seq(x, h0, w_ih, w_hh, 3, "gru")
        T, B, _ = x.shape
        H = h0.shape[-1]
        XG = (x.reshape(T * B, -1) @ w_ih.T).reshape(T, B, 3 * H)
        if b_ih is not None:
            XG += b_ih
        dt = XG.dtype
        hs = np.empty((T + 1, B, H), dt)
        R = np.empty((T, B, H), dt)
        Z = np.empty((T, B, H), dt)
        N = np.empty((T, B, H), dt)
        NH = np.empty((T, B, H), dt)
        hs[0] = h0
        for t in range(T):
            Gh = hs[t] @ w_hh.T
            if b_hh is not None:
                Gh += b_hh
            rz = _sigmoid(XG[t, :, :2 * H] + Gh[:, :2 * H])
            R[t], Z[t] = rz[:, :H], rz[:, H:]
            NH[t] = Gh[:, 2 * H:]
            np.tanh(XG[t, :, 2 * H:] + R[t] * NH[t], out=N[t])
            hs[t + 1] = (1 - Z[t]) * N[t] + Z[t] * hs[t]
        ctx.saved_tensors = (x, w_ih, w_hh, hs, R, Z, N, NH)
        ctx.has_b = (b_ih is not None, b_hh is not None)
        return hs[1:].copy(), hs[T].copy()

    @staticmethod
    def backward(ctx, gout, ghT):
        x, w_ih, w_hh, hs, R, Z, N, NH = ctx.saved_tensors
        T, B, _ = x.shape
        H = hs.shape[-1]
        dGi = np.empty((T, B, 3 * H), hs.dtype)
        dGh = np.empty((T, B, 3 * H), hs.dtype)
        dh = ghT.copy()
        for t in range(T - 1, -1, -1):
            dh += gout[t]
            gi, gh, direct = _gru_step_back(dh, hs[t], R[t], Z[t], N[t], NH[t])
            dGi[t], dGh[t] = gi, gh
            dh = gh @ w_hh + direct
        need = ctx.needs_input_grad
        Gi2, Gh2 = dGi.reshape(T * B, -1), dGh.reshape(T * B, -1)
        gx = (Gi2 @ w_ih).reshape(x.shape) if need[0] else None
        gwi = Gi2.T @ x.reshape(T * B, -1) if need[2] else None
        gwh = Gh2.T @ hs[:T].reshape(T * B, H) if need[3] else None
        return (gx, dh if need[1] else None, gwi, gwh,
                Gi2.sum(axis=0) if ctx.has_b[0] else None,
                Gh2.sum(axis=0) if ctx.has_b[1] else None)
