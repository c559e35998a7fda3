"""Pooling from strided views (no reductions over small non-contiguous window axes).

For kernel (kh, kw), stride s and padding p, window offset (i, j) selects the strided view
V_ij = Xpad[:, :, i : i + s(Ho-1) + 1 : s, j : ... : s] of shape (N, C, Ho, Wo); every output is a
pairwise combination of the kh*kw views.
"""

from __future__ import annotations

import numpy as np

from dlproof.engine.fused.conv import pair


def _geometry(x, kernel_size, stride, padding, name):
    if x.ndim != 4:
        raise ValueError(f"{name}: expected (N, C, H, W) input, got shape {x.shape}")
    kh, kw = pair(kernel_size, "kernel_size")
    sh, sw = pair(stride if stride is not None and stride != () else (kh, kw), "stride")
    ph, pw = pair(padding, "padding")
    if ph > kh // 2 or pw > kw // 2:
        raise ValueError(f"{name}: padding {padding} must be at most half of kernel {kh, kw}")
    H, W = x.shape[2:]
    ho, wo = (H + 2 * ph - kh) // sh + 1, (W + 2 * pw - kw) // sw + 1
    if ho <= 0 or wo <= 0:
        raise ValueError(f"{name}: input shape {x.shape} too small for kernel {(kh, kw)}")
    return kh, kw, sh, sw, ph, pw, ho, wo


def _views(xp, kh, kw, sh, sw, ho, wo):
    for i in range(kh):
        for j in range(kw):
            yield (i, j), (slice(None), slice(None), slice(i, i + sh * (ho - 1) + 1, sh),
                           slice(j, j + sw * (wo - 1) + 1, sw))


def _pad(x, ph, pw, value):
    if not (ph or pw):
        return x
    N, C, H, W = x.shape
    out = np.full((N, C, H + 2 * ph, W + 2 * pw), value, x.dtype)
    out[:, :, ph:ph + H, pw:pw + W] = x
    return out


from dlproof.engine.function import Function  # noqa: E402


class MaxPool2d(Function):
    """y = max over each window (padding counts as -inf).
    dL/dx: each output's gradient goes to ONE input, the first maximum of its window in
    row-major order (as PyTorch; matters for ties, common after ReLU); overlapping windows add.
    Forward keeps the offset index t = i*kw + j of the winner (strict > keeps the first)."""

    @staticmethod
    def forward(ctx, x, kernel_size, stride=None, padding=0):
        kh, kw, sh, sw, ph, pw, ho, wo = _geometry(x, kernel_size, stride, padding, "max_pool2d")
        # Every buffer is allocated *_like the input (order 'K'), so a batch-innermost input
        # (what Conv2d returns) keeps its memory layout through the pool and its backward.
        if ph or pw:
            N, C, H, W = x.shape
            xp = np.full_like(x, -np.inf, shape=(N, C, H + 2 * ph, W + 2 * pw))
            xp[:, :, ph:ph + H, pw:pw + W] = x
        else:
            xp = x
        out = better = tmp = arg = None
        small = kh * kw < 256
        for (i, j), sl in _views(xp, kh, kw, sh, sw, ho, wo):
            v = xp[sl]
            if out is None:
                out = v.copy(order="K")
                arg = np.zeros_like(out, dtype=np.uint8 if small else np.int32)
                better = np.empty_like(out, dtype=bool)
                if small:
                    tmp = np.empty_like(arg)
                continue
            np.greater(v, out, out=better)  # strict: an equal later value keeps the first max
            np.maximum(out, v, out=out)
            if small:
                # Offsets t = i*kw + j are visited in increasing order, so the offset of the last
                # strict improvement, i.e. the first maximum, is max(arg, better * t): two cheap
                # uint8 ufuncs instead of a masked copy with a random mask (~10x slower).
                np.multiply(better.view(np.uint8), i * kw + j, out=tmp)
                np.maximum(arg, tmp, out=arg)
            else:
                np.copyto(arg, i * kw + j, where=better)
        ctx.saved_tensors = (arg, x)
        ctx.geo = (kh, kw, sh, sw, ph, pw, ho, wo)
        ctx.x_shape = x.shape
        return out

    @staticmethod
    def backward(ctx, g):
        arg, x = ctx.saved_tensors
        kh, kw, sh, sw, ph, pw, ho, wo = ctx.geo
        N, C, H, W = ctx.x_shape
        mask = np.empty_like(arg, dtype=bool)
        tiling = (sh, sw) == (kh, kw) and not (ph or pw) and (H, W) == (ho * kh, wo * kw)
        if tiling:  # windows tile the input exactly: each element is written once, no zeroing
            gx = np.empty_like(x, dtype=g.dtype)
            for (i, j), sl in _views(gx, kh, kw, sh, sw, ho, wo):
                np.equal(arg, i * kw + j, out=mask)
                np.multiply(g, mask, out=gx[sl])
            return gx
        gxp = np.zeros_like(x, dtype=g.dtype, shape=(N, C, H + 2 * ph, W + 2 * pw))
        for (i, j), sl in _views(gxp, kh, kw, sh, sw, ho, wo):
            np.equal(arg, i * kw + j, out=mask)
            gxp[sl] += g * mask
        return gxp[:, :, ph:ph + H, pw:pw + W]


class AvgPool2d(Function):
    """y = (1/D) sum of each window; D = kh*kw (count_include_pad) or the number of real
    (non-padding) elements in the window.   dL/dx: each window element gets g/D (windows add)."""

    @staticmethod
    def forward(ctx, x, kernel_size, stride=None, padding=0, count_include_pad=True):
        kh, kw, sh, sw, ph, pw, ho, wo = _geometry(x, kernel_size, stride, padding, "avg_pool2d")
        xp = _pad(x, ph, pw, 0)
        out = np.zeros((x.shape[0], x.shape[1], ho, wo), x.dtype)
        for _, sl in _views(xp, kh, kw, sh, sw, ho, wo):
            out += xp[sl]
        if count_include_pad or not (ph or pw):
            div = np.asarray(kh * kw, x.dtype)
        else:
            ones = _pad(np.ones((1, 1) + x.shape[2:], x.dtype), ph, pw, 0)
            div = np.zeros((1, 1, ho, wo), x.dtype)
            for _, sl in _views(ones, kh, kw, sh, sw, ho, wo):
                div += ones[sl]
        out /= div
        ctx.div = div
        ctx.geo = (kh, kw, sh, sw, ph, pw, ho, wo)
        ctx.x_shape = x.shape
        return out

    @staticmethod
    def backward(ctx, g):
        kh, kw, sh, sw, ph, pw, ho, wo = ctx.geo
        N, C, H, W = ctx.x_shape
        gd = g / ctx.div
        gxp = np.zeros((N, C, H + 2 * ph, W + 2 * pw), g.dtype)
        for _, sl in _views(gxp, kh, kw, sh, sw, ho, wo):
            gxp[sl] += gd
        return gxp[:, :, ph:ph + H, pw:pw + W]


def adaptive_matrix(n_in, n_out, dtype):
    """P (n_out, n_in): row o averages inputs [floor(o n_in / n_out), ceil((o+1) n_in / n_out))
    (PyTorch's adaptive pooling windows)."""
    P = np.zeros((n_out, n_in), dtype)
    for o in range(n_out):
        a = (o * n_in) // n_out
        b = -((-(o + 1) * n_in) // n_out)
        P[o, a:b] = 1.0 / (b - a)
    return P


class AdaptiveAvgPool2d(Function):
    """y = P_h x P_w^T per (n, c) image, with P the averaging matrices of ``adaptive_matrix``
    (any output size, exact PyTorch windows).   dL/dx = P_h^T G P_w."""

    @staticmethod
    def forward(ctx, x, output_size):
        if x.ndim != 4:
            raise ValueError(f"adaptive_avg_pool2d: expected (N, C, H, W), got {x.shape}")
        oh, ow = pair(output_size, "output_size") if output_size is not None else x.shape[2:]
        oh = x.shape[2] if oh is None else oh
        ow = x.shape[3] if ow is None else ow
        Ph, Pw = adaptive_matrix(x.shape[2], oh, x.dtype), adaptive_matrix(x.shape[3], ow, x.dtype)
        ctx.P = (Ph, Pw)
        if oh == 1 and ow == 1:
            return x.mean(axis=(2, 3), keepdims=True)
        return Ph @ (x @ Pw.T)

    @staticmethod
    def backward(ctx, g):
        Ph, Pw = ctx.P
        return (Ph.T @ g) @ Pw, None
