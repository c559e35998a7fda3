"""Branch-free winner index in ``MaxPool2d.forward`` (src/dlproof/engine/fused/pool.py).

The forward records, per output, the window offset t = i*kw + j of the first maximum. It does so
with ``np.copyto(arg, t, where=better)`` (``better = v > out``, a random boolean mask). A masked
copy with a random mask defeats vectorisation: measured on this machine for the benchmark's
(32, 32, 14, 14) output, ``np.copyto(..., where=mask)`` takes 1.26 ms (boolean fancy indexing
``arg[mask] = t``: 1.02 ms) while ``np.greater`` and ``np.maximum`` on the float32 views take
0.19 ms each; with 3 such offsets, the index bookkeeping is ~3.8 ms of a ~5 ms pooling step.

Patch: because the offsets are visited in increasing order and ``better`` is a strict ``>``, the
winner's offset is simply the largest t at which the running max strictly improved:

    np.greater(v, out, out=better)                              # reuse one bool buffer
    np.maximum(out, v, out=out)
    np.multiply(better.view(np.uint8), t, out=tmp)              # uint8: 1 byte per output
    np.maximum(arg, tmp, out=arg)

(two uint8 ufuncs, ~0.02 ms together). Tie-breaking is unchanged (first maximum wins), the
backward is untouched. Only for ``arg.dtype == uint8`` (kernels under 256 elements); larger
kernels keep ``np.copyto``.
"""


from __future__ import annotations

import numpy as np

from bench.proposals import compare


def install():
    from dlproof.engine.fused import pool

    def forward(ctx, x, kernel_size, stride=None, padding=0):
        kh, kw, sh, sw, ph, pw, ho, wo = pool._geometry(x, kernel_size, stride, padding,
                                                        "max_pool2d")
        xp = pool._pad(x, ph, pw, -np.inf)
        out = None
        arg = np.zeros((x.shape[0], x.shape[1], ho, wo), np.uint8 if kh * kw < 256 else np.int32)
        better = tmp = None
        small = arg.dtype == np.uint8
        for (i, j), sl in pool._views(xp, kh, kw, sh, sw, ho, wo):
            v = xp[sl]
            if out is None:
                out = v.copy()
                better = np.empty(out.shape, bool)
                tmp = np.empty(out.shape, arg.dtype)
                continue
            np.greater(v, out, out=better)
            np.maximum(out, v, out=out)
            if small:  # t increases, so the strict winner's t exceeds every earlier arg
                np.multiply(better.view(np.uint8), i * kw + j, out=tmp)
                np.maximum(arg, tmp, out=arg)
            else:
                np.copyto(arg, i * kw + j, where=better)
        ctx.saved_tensors = (arg,)
        ctx.geo = (kh, kw, sh, sw, ph, pw, ho, wo)
        ctx.x_shape = x.shape
        return out

    return pool.MaxPool2d, {"forward": staticmethod(forward)}


def main() -> None:
    target, attrs = install()
    compare(["maxpool_f32", "lenet8_step_f32"], target, attrs)


if __name__ == "__main__":
    main()
