"""2-D convolution and its adjoint (transposed convolution) via im2col + GEMM.

Layout: Conv2d keeps its memory batch-innermost, (C, H, W, N), and returns an NCHW *view*
(see Conv2d.forward); ConvTranspose2d and conv2d_forward transpose the input once to
(C, N, H, W) and padded; im2col copies kh*kw strided slices into
``cols`` of shape (C, kh, kw, N, Ho, Wo) = [C*kh*kw, N*Ho*Wo] (long contiguous runs along Wo);
one GEMM per group computes Y_g = W_g [Og, Cg*kh*kw] @ cols_g [Cg*kh*kw, N*Ho*Wo].
col2im (the adjoint of im2col) is a loop over the kh*kw kernel offsets of strided slice-adds
(never np.add.at: 10x slower). No Python loop over examples or pixels.

Forward  Y[n,o,p,q] = b[o] + sum_{c,i,j} W[o,c,i,j] Xpad[n, g(o)*Cg + c, p*s + i*d, q*s + j*d]
Backward dL/dW_g = G_g @ cols_g^T,   dL/db = sum_{n,p,q} G,   dL/dX = col2im(W_g^T @ G_g),
where G_g = dL/dY of group g laid out [Og, N*Ho*Wo].
"""

from __future__ import annotations

import numpy as np

from dlproof.engine.function import Function


def pair(v, name="value"):
    """int or 2-sequence -> (a, b)."""
    if isinstance(v, (int, np.integer)):
        return (int(v), int(v))
    v = tuple(int(a) for a in v)
    if len(v) != 2:
        raise ValueError(f"{name} must be an int or a pair, got {v}")
    return v


def out_size(h, k, s, p, d):
    """floor((h + 2p - d(k-1) - 1) / s) + 1."""
    return (h + 2 * p - d * (k - 1) - 1) // s + 1


def im2col(xt, kh, kw, sh, sw, dh, dw, ho, wo):
    """xt: padded (C, N, Hp, Wp) -> cols (C, kh, kw, N, ho, wo)."""
    C, N = xt.shape[:2]
    cols = np.empty((C, kh, kw, N, ho, wo), xt.dtype)
    for i in range(kh):
        hs = slice(i * dh, i * dh + sh * (ho - 1) + 1, sh)
        for j in range(kw):
            cols[:, i, j] = xt[:, :, hs, slice(j * dw, j * dw + sw * (wo - 1) + 1, sw)]
    return cols


def col2im(dcols, hp, wp, sh, sw, dh, dw):
    """Adjoint of im2col: dcols (C, kh, kw, N, ho, wo) -> summed (C, N, hp, wp)."""
    C, kh, kw, N, ho, wo = dcols.shape
    out = np.zeros((C, N, hp, wp), dcols.dtype)
    for i in range(kh):
        hs = slice(i * dh, i * dh + sh * (ho - 1) + 1, sh)
        for j in range(kw):
            out[:, :, hs, slice(j * dw, j * dw + sw * (wo - 1) + 1, sw)] += dcols[:, i, j]
    return out


def _grouped_gemm(wmat, cols2, groups):
    """wmat (O, K*groups... per group), cols2 [groups*Kg, M] -> (O, M) with one GEMM per group."""
    if groups == 1:
        return wmat @ cols2
    O = wmat.shape[0]
    og, kg = O // groups, cols2.shape[0] // groups
    out = np.empty((O, cols2.shape[1]), np.result_type(wmat, cols2))
    for gi in range(groups):
        np.matmul(wmat[gi * og:(gi + 1) * og], cols2[gi * kg:(gi + 1) * kg],
                  out=out[gi * og:(gi + 1) * og])
    return out


def _grouped_gemm_t(wmat, g2, groups):
    """Per group W_g^T @ G_g: wmat (O, Kg), g2 (O, M) -> (groups*Kg, M)."""
    if groups == 1:
        return wmat.T @ g2
    O, kg = wmat.shape
    og = O // groups
    out = np.empty((groups * kg, g2.shape[1]), np.result_type(wmat, g2))
    for gi in range(groups):
        np.matmul(wmat[gi * og:(gi + 1) * og].T, g2[gi * og:(gi + 1) * og],
                  out=out[gi * kg:(gi + 1) * kg])
    return out


def _grouped_dw(g2, cols2, groups):
    """Per group G_g @ cols_g^T: g2 (O, M), cols2 (groups*Kg, M) -> (O, Kg)."""
    if groups == 1:
        return g2 @ cols2.T
    O = g2.shape[0]
    og, kg = O // groups, cols2.shape[0] // groups
    out = np.empty((O, kg), np.result_type(g2, cols2))
    for gi in range(groups):
        np.matmul(g2[gi * og:(gi + 1) * og], cols2[gi * kg:(gi + 1) * kg].T,
                  out=out[gi * og:(gi + 1) * og])
    return out


def _pad_t(x, ph, pw):
    """(N, C, H, W) -> padded (C, N, H+2ph, W+2pw), contiguous."""
    xt = x.transpose(1, 0, 2, 3)
    if ph or pw:
        out = np.zeros((x.shape[1], x.shape[0], x.shape[2] + 2 * ph, x.shape[3] + 2 * pw), x.dtype)
        out[:, :, ph:ph + x.shape[2], pw:pw + x.shape[3]] = xt
        return out
    return np.ascontiguousarray(xt)


def conv2d_forward(x, w, stride, padding, dilation, groups, bias=None):
    """Returns y (N, O, Ho, Wo) (contiguous; + bias) and cols for backward."""
    N, C, H, W = x.shape
    O, Cg, kh, kw = w.shape
    (sh, sw), (ph, pw), (dh, dw) = stride, padding, dilation
    ho, wo = out_size(H, kh, sh, ph, dh), out_size(W, kw, sw, pw, dw)
    if ho <= 0 or wo <= 0:
        raise ValueError(
            f"conv2d: input shape {x.shape} is too small for weight shape {w.shape} "
            f"(stride {stride}, padding {padding}, dilation {dilation})"
        )
    cols = im2col(_pad_t(x, ph, pw), kh, kw, sh, sw, dh, dw, ho, wo)
    y2 = _grouped_gemm(w.reshape(O, -1), cols.reshape(C * kh * kw, -1), groups)
    if bias is not None:
        y2 += bias.reshape(O, 1)  # on the GEMM output, before the one layout copy below
    y = np.ascontiguousarray(y2.reshape(O, N, ho, wo).transpose(1, 0, 2, 3))
    return y, cols


def conv2d_input_grad(g2, w, x_shape, stride, padding, dilation, groups, ho, wo):
    """dL/dX from G laid out (O, N*Ho*Wo): col2im(W_g^T G_g), unpadded to x_shape (N,C,H,W)."""
    N, C, H, W = x_shape
    O, Cg, kh, kw = w.shape
    (sh, sw), (ph, pw), (dh, dw) = stride, padding, dilation
    dcols = _grouped_gemm_t(w.reshape(O, -1), g2, groups).reshape(C, kh, kw, N, ho, wo)
    hp, wp = H + 2 * ph, W + 2 * pw
    gxt = col2im(dcols, hp, wp, sh, sw, dh, dw)
    return gxt[:, :, ph:ph + H, pw:pw + W].transpose(1, 0, 2, 3)


def _pad_chwn(x, ph, pw):
    """(N, C, H, W) (any strides) -> padded (C, Hp, Wp, N), contiguous: batch innermost."""
    N, C, H, W = x.shape
    xt = x.transpose(1, 2, 3, 0)
    if not (ph or pw):
        return np.ascontiguousarray(xt)
    out = np.zeros((C, H + 2 * ph, W + 2 * pw, N), x.dtype)
    out[:, ph:ph + H, pw:pw + W, :] = xt
    return out


def im2col_chwn(xt, kh, kw, sh, sw, dh, dw, ho, wo):
    """xt: padded (C, Hp, Wp, N) -> cols (C, kh, kw, ho, wo, N) (copies in runs of N or wo*N)."""
    C, N = xt.shape[0], xt.shape[3]
    cols = np.empty((C, kh, kw, ho, wo, N), xt.dtype)
    for i in range(kh):
        hs = slice(i * dh, i * dh + sh * (ho - 1) + 1, sh)
        for j in range(kw):
            cols[:, i, j] = xt[:, hs, slice(j * dw, j * dw + sw * (wo - 1) + 1, sw), :]
    return cols


def col2im_chwn(dcols, hp, wp, sh, sw, dh, dw):
    """Adjoint of im2col_chwn: dcols (C, kh, kw, ho, wo, N) -> summed (C, hp, wp, N)."""
    C, kh, kw, ho, wo, N = dcols.shape
    out = np.zeros((C, hp, wp, N), dcols.dtype)
    for i in range(kh):
        hs = slice(i * dh, i * dh + sh * (ho - 1) + 1, sh)
        for j in range(kw):
            out[:, hs, slice(j * dw, j * dw + sw * (wo - 1) + 1, sw), :] += dcols[:, i, j]
    return out


def _check(x, w, groups, name):
    if x.ndim != 4 or w.ndim != 4:
        raise ValueError(f"{name}: expected 4-D input and weight, got {x.shape} and {w.shape}")
    if x.shape[1] % groups or w.shape[0] % groups:
        raise ValueError(f"{name}: channels {x.shape[1]}, {w.shape[0]} not divisible by groups")


class Conv2d(Function):
    """See the module docstring. x (N, C, H, W), w (O, C/groups, kh, kw), b (O,) ->
    (N, O, Ho, Wo), Ho = floor((H + 2p - d(kh - 1) - 1)/s) + 1."""

    @staticmethod
    def forward(ctx, x, w, b=None, stride=1, padding=0, dilation=1, groups=1):
        _check(x, w, groups, "conv2d")
        if x.shape[1] != w.shape[1] * groups:
            raise ValueError(
                f"conv2d: input shape {x.shape} has {x.shape[1]} channels but weight shape "
                f"{w.shape} expects {w.shape[1] * groups} (groups={groups})"
            )
        stride, dilation = pair(stride, "stride"), pair(dilation, "dilation")
        if padding == "valid":
            padding = 0
        elif padding == "same":
            if stride != (1, 1):
                raise ValueError("conv2d: padding='same' needs stride 1")
            kh, kw = w.shape[2:]
            if (dilation[0] * (kh - 1)) % 2 or (dilation[1] * (kw - 1)) % 2:
                raise ValueError("conv2d: padding='same' needs an odd effective kernel here")
            padding = (dilation[0] * (kh - 1) // 2, dilation[1] * (kw - 1) // 2)
        padding = pair(padding, "padding")
        # Batch-innermost memory, (C, H, W, N), behind an NCHW view of the result: on small
        # images every im2col copy / col2im add then runs over N (or wo*N) contiguous elements
        # instead of wo; ReLU and max-pool keep the layout, so the backward's g is contiguous.
        N, C, H, W = x.shape
        O, Cg, kh, kw = w.shape
        (sh, sw), (ph, pw), (dh, dw) = stride, padding, dilation
        ho, wo = out_size(H, kh, sh, ph, dh), out_size(W, kw, sw, pw, dw)
        if ho <= 0 or wo <= 0:
            raise ValueError(
                f"conv2d: input shape {x.shape} is too small for weight shape {w.shape} "
                f"(stride {stride}, padding {padding}, dilation {dilation})"
            )
        cols = im2col_chwn(_pad_chwn(x, ph, pw), kh, kw, sh, sw, dh, dw, ho, wo)
        y2 = _grouped_gemm(w.reshape(O, -1), cols.reshape(C * kh * kw, -1), groups)
        if b is not None:
            y2 += b.reshape(O, 1)
        ctx.saved_tensors = (cols, w)
        ctx.cfg = (stride, padding, dilation, groups)
        ctx.x_shape = x.shape
        return y2.reshape(O, ho, wo, N).transpose(3, 0, 1, 2)

    @staticmethod
    def backward(ctx, g):
        cols, w = ctx.saved_tensors
        stride, padding, dilation, groups = ctx.cfg
        N, O, ho, wo = g.shape
        g2 = np.ascontiguousarray(g.transpose(1, 2, 3, 0)).reshape(O, -1)
        need = ctx.needs_input_grad
        gx = gw = gb = None
        if need[0]:
            _, C, H, W = ctx.x_shape
            _, _, kh, kw = w.shape
            (sh, sw), (ph, pw), (dh, dw) = stride, padding, dilation
            dcols = _grouped_gemm_t(w.reshape(O, -1), g2, groups).reshape(C, kh, kw, ho, wo, N)
            gxt = col2im_chwn(dcols, H + 2 * ph, W + 2 * pw, sh, sw, dh, dw)
            gx = gxt[:, ph:ph + H, pw:pw + W, :].transpose(3, 0, 1, 2)
        if need[1]:
            gw = _grouped_dw(g2, cols.reshape(cols.shape[0] * cols.shape[1] * cols.shape[2], -1),
                             groups).reshape(w.shape)
        if len(need) > 2 and need[2]:
            gb = g2.sum(axis=1)
        return gx, gw, gb


class ConvTranspose2d(Function):
    """Transposed convolution = the adjoint of conv2d with respect to its input.

    x (N, Cin, H, W), w (Cin, Cout/groups, kh, kw) (PyTorch's layout), b (Cout,) ->
    y (N, Cout, Ho, Wo), Ho = (H - 1) s - 2p + d (kh - 1) + output_padding + 1.
    Viewing w as a conv2d weight (out=Cin, in/groups=Cout/groups), y = conv2d_input_grad(x):
        y = crop(col2im(W_g^T X_g)) + b.
    Backward: dL/dx = conv2d(G, w) (same stride/padding/dilation/groups),
              dL/dW_g = X_g @ im2col(G)_g^T,  dL/db = sum_{n,p,q} G.
    """

    @staticmethod
    def forward(ctx, x, w, b=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
        _check(x, w, groups, "conv_transpose2d")
        if x.shape[1] != w.shape[0]:
            raise ValueError(
                f"conv_transpose2d: input shape {x.shape} has {x.shape[1]} channels but weight "
                f"shape {w.shape} expects {w.shape[0]}"
            )
        stride, padding = pair(stride, "stride"), pair(padding, "padding")
        dilation, opad = pair(dilation, "dilation"), pair(output_padding, "output_padding")
        if opad[0] >= max(stride[0], dilation[0]) or opad[1] >= max(stride[1], dilation[1]):
            raise ValueError("conv_transpose2d: output_padding must be < stride or dilation")
        N, Cin, H, W = x.shape
        kh, kw = w.shape[2:]
        cout = w.shape[1] * groups
        ho = (H - 1) * stride[0] - 2 * padding[0] + dilation[0] * (kh - 1) + opad[0] + 1
        wo = (W - 1) * stride[1] - 2 * padding[1] + dilation[1] * (kw - 1) + opad[1] + 1
        x2 = np.ascontiguousarray(x.transpose(1, 0, 2, 3)).reshape(Cin, -1)
        y = conv2d_input_grad(x2, w, (N, cout, ho, wo), stride, padding, dilation, groups, H, W)
        if b is not None:
            y = y + b.reshape(1, -1, 1, 1)
        ctx.saved_tensors = (x2, w)
        ctx.cfg = (stride, padding, dilation, groups)
        ctx.x_shape = x.shape
        return np.ascontiguousarray(y)

    @staticmethod
    def backward(ctx, g):
        x2, w = ctx.saved_tensors
        stride, padding, dilation, groups = ctx.cfg
        gconv, cols = conv2d_forward(g, w, stride, padding, dilation, groups)
        need = ctx.needs_input_grad
        gx = gconv if need[0] else None
        gw = gb = None
        if need[1]:
            kg = cols.shape[0] * cols.shape[1] * cols.shape[2]
            gw = _grouped_dw(x2, cols.reshape(kg, -1), groups).reshape(w.shape)
        if len(need) > 2 and need[2]:
            gb = g.sum(axis=(0, 2, 3))
        return gx, gw, gb
