"""Batch-innermost memory layout behind NCHW views, for conv2d and max-pool on small images.

Where it goes: ``Conv2d.forward/backward`` (src/dlproof/engine/fused/conv.py) and
``MaxPool2d.forward/backward`` (src/dlproof/engine/fused/pool.py).

Problem (LeNet-like step on 1x8x8, B128): the engine transposes to (C, N, H, W) for im2col, so
every im2col copy, col2im add and pooling view runs over a contiguous stretch of Wo = 8, 4 or 2
elements; the data movement (col2im, pool forward/backward, im2col, ``ascontiguousarray``) is
more than half of the step (cProfile, 1 BLAS thread: col2im 3.0 ms, 2 pool backwards 2.4 ms,
2 pool forwards 2.2 ms, 2 im2col 1.4 ms, 4 ``ascontiguousarray`` 0.7 ms of a ~17 ms step).

Patch: keep the *memory* in (C, H, W, N) order (batch innermost) and hand NCHW *views* to the
user (``y = buf.transpose(3, 0, 1, 2)``: same shape and values, only the strides differ):
  * conv forward: pad/copy x into (C, Hp, Wp, N) (a contiguous-run copy when x already has this
    layout), im2col into (C, kh, kw, Ho, Wo, N) (runs of N, or Wo*N at stride 1), one GEMM to
    (O, Ho*Wo*N), bias added there, returned as an NCHW view without the layout copy;
  * conv backward: ``g.transpose(1, 2, 3, 0)`` is contiguous when g has the same layout (ReLU
    and max-pool below preserve it), so the (O, Ho*Wo*N) GEMM operand is free; col2im adds runs of
    N; dx is returned as an NCHW view of the (C, H, W, N) result;
  * max-pool: allocate every buffer ``*_like`` the input (NumPy's ``order='K'`` keeps the
    layout), ``v.copy(order="K")``; branch-free winner index (now in the engine);
  * elementwise ops (ReLU) already keep their input's layout (ufuncs use ``order='K'``).
Only the memory order changes: results are identical, the float64 parity check passes. NCHW
inputs still work (one transposing copy at the first conv, as today's layout copy). Grouped
and dilated convolutions are handled by the same loops (groups split the GEMM as today).
"""

from __future__ import annotations

import numpy as np

from bench.proposals import compare


def install():
    from dlproof.engine.fused import conv, pool

    def pad_chwn(x, ph, pw):
        """(N, C, H, W) (any strides) -> padded (C, Hp, Wp, N), contiguous."""
        N, C, H, W = x.shape
        xt = x.transpose(1, 2, 3, 0)
        if not (ph or pw):
            return np.ascontiguousarray(xt)
        out = np.zeros((C, H + 2 * ph, W + 2 * pw, N), x.dtype)
        out[:, ph:ph + H, pw:pw + W, :] = xt
        return out

    def im2col_chwn(xt, kh, kw, sh, sw, dh, dw, ho, wo):
        C, N = xt.shape[0], xt.shape[3]
        cols = np.empty((C, kh, kw, ho, wo, N), xt.dtype)
        for i in range(kh):
            hs = slice(i * dh, i * dh + sh * (ho - 1) + 1, sh)
            for j in range(kw):
                cols[:, i, j] = xt[:, hs, slice(j * dw, j * dw + sw * (wo - 1) + 1, sw), :]
        return cols

    def col2im_chwn(dcols, hp, wp, sh, sw, dh, dw):
        C, kh, kw, ho, wo, N = dcols.shape
        out = np.zeros((C, hp, wp, N), dcols.dtype)
        for i in range(kh):
            hs = slice(i * dh, i * dh + sh * (ho - 1) + 1, sh)
            for j in range(kw):
                out[:, hs, slice(j * dw, j * dw + sw * (wo - 1) + 1, sw), :] += dcols[:, i, j]
        return out

    general_forward = conv.Conv2d.forward

    def forward(ctx, x, w, b=None, stride=1, padding=0, dilation=1, groups=1):
        conv._check(x, w, groups, "conv2d")
        if x.shape[1] != w.shape[1] * groups or isinstance(padding, str):
            ctx.chwn = False
            return general_forward(ctx, x, w, b, stride, padding, dilation, groups)
        stride, dilation = conv.pair(stride, "stride"), conv.pair(dilation, "dilation")
        padding = conv.pair(padding, "padding")
        N, C, H, W = x.shape
        O, Cg, kh, kw = w.shape
        (sh, sw), (ph, pw), (dh, dw) = stride, padding, dilation
        ho, wo = conv.out_size(H, kh, sh, ph, dh), conv.out_size(W, kw, sw, pw, dw)
        if ho <= 0 or wo <= 0:
            ctx.chwn = False
            return general_forward(ctx, x, w, b, stride, padding, dilation, groups)
        cols = im2col_chwn(pad_chwn(x, ph, pw), kh, kw, sh, sw, dh, dw, ho, wo)
        y2 = conv._grouped_gemm(w.reshape(O, -1), cols.reshape(C * kh * kw, -1), groups)
        if b is not None:
            y2 += b.reshape(O, 1)
        ctx.saved_tensors = (cols, w)
        ctx.cfg = (stride, padding, dilation, groups)
        ctx.x_shape = x.shape
        ctx.chwn = True
        return y2.reshape(O, ho, wo, N).transpose(3, 0, 1, 2)

    general_backward = conv.Conv2d.backward

    def backward(ctx, g):
        if not ctx.chwn:
            return general_backward(ctx, g)
        cols, w = ctx.saved_tensors
        stride, padding, dilation, groups = ctx.cfg
        N, O, ho, wo = g.shape
        g2 = np.ascontiguousarray(g.transpose(1, 2, 3, 0)).reshape(O, -1)
        need = ctx.needs_input_grad
        gx = gw = gb = None
        if need[0]:
            Nx, C, H, W = ctx.x_shape
            _, _, kh, kw = w.shape
            (sh, sw), (ph, pw), (dh, dw) = stride, padding, dilation
            dcols = conv._grouped_gemm_t(w.reshape(O, -1), g2, groups).reshape(
                C, kh, kw, ho, wo, N)
            gxt = col2im_chwn(dcols, H + 2 * ph, W + 2 * pw, sh, sw, dh, dw)
            gx = gxt[:, ph:ph + H, pw:pw + W, :].transpose(3, 0, 1, 2)
        if need[1]:
            k = cols.shape[0] * cols.shape[1] * cols.shape[2]
            gw = conv._grouped_dw(g2, cols.reshape(k, -1), groups).reshape(w.shape)
        if len(need) > 2 and need[2]:
            gb = g2.sum(axis=1)
        return gx, gw, gb

    def pool_forward(ctx, x, kernel_size, stride=None, padding=0):
        kh, kw, sh, sw, ph, pw, ho, wo = pool._geometry(x, kernel_size, stride, padding,
                                                        "max_pool2d")
        if ph or pw:
            xp = np.full_like(x, -np.inf, shape=(x.shape[0], x.shape[1], x.shape[2] + 2 * ph,
                                                  x.shape[3] + 2 * pw))
            xp[:, :, ph:ph + x.shape[2], pw:pw + x.shape[3]] = x
        else:
            xp = x
        out = better = tmp = arg = None
        for (i, j), sl in pool._views(xp, kh, kw, sh, sw, ho, wo):
            v = xp[sl]
            if out is None:
                out = v.copy(order="K")
                arg = np.zeros_like(out, dtype=np.uint8 if kh * kw < 256 else np.int32)
                better = np.empty_like(out, dtype=bool)
                tmp = np.empty_like(arg)
                continue
            np.greater(v, out, out=better)
            np.maximum(out, v, out=out)
            if arg.dtype == np.uint8:  # offsets increase: the strict winner has the largest t
                np.multiply(better.view(np.uint8), i * kw + j, out=tmp)
                np.maximum(arg, tmp, out=arg)
            else:
                np.copyto(arg, i * kw + j, where=better)
        ctx.saved_tensors = (arg, x)
        ctx.geo = (kh, kw, sh, sw, ph, pw, ho, wo)
        ctx.x_shape = x.shape
        return out

    def pool_backward(ctx, g):
        arg, x = ctx.saved_tensors
        kh, kw, sh, sw, ph, pw, ho, wo = ctx.geo
        N, C, H, W = ctx.x_shape
        mask = np.empty_like(arg, dtype=bool)
        tiling = (sh, sw) == (kh, kw) and not (ph or pw) and (H, W) == (ho * kh, wo * kw)
        if tiling:
            gx = np.empty_like(x, dtype=g.dtype)
            for (i, j), sl in pool._views(gx, kh, kw, sh, sw, ho, wo):
                np.equal(arg, i * kw + j, out=mask)
                np.multiply(g, mask, out=gx[sl])
            return gx
        gxp = np.zeros_like(x, dtype=g.dtype, shape=(N, C, H + 2 * ph, W + 2 * pw))
        for (i, j), sl in pool._views(gxp, kh, kw, sh, sw, ho, wo):
            np.equal(arg, i * kw + j, out=mask)
            gxp[sl] += g * mask
        return gxp[:, :, ph:ph + H, pw:pw + W]

    return [
        (conv.Conv2d, {"forward": staticmethod(forward), "backward": staticmethod(backward)}),
        (pool.MaxPool2d, {"forward": staticmethod(pool_forward),
                          "backward": staticmethod(pool_backward)}),
    ]


def main() -> None:
    compare(["lenet8_step_f32", "lenet8_step_f64", "conv2d_f32", "conv2d_f64", "maxpool_f32"],
            install())


if __name__ == "__main__":
    main()
