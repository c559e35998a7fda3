"""A 4x cheaper ``_sigmoid`` (src/dlproof/engine/ops/activation.py), used by every LSTM/GRU step.

As it is, the overflow-free logistic is
``z = exp(-|x|); where(x >= 0, 1/(1+z), z/(1+z)).astype(...)``: abs, negate, exp, two adds, two
divides, a compare and a select, each a full pass with a fresh temporary. In the LSTM layer it
runs on the (B, 4H) gate pre-activations at every time step; cProfile of ``lstm_f32`` (1 BLAS
thread): ``_sigmoid`` is 0.60 s of the forward's 1.43 s.

Patch: ``out = 1 / (1 + exp(-x))`` in place, 4 passes into one output buffer:

    with np.errstate(over="ignore"):        # exp(-x) = inf for x < -88 (float32): 1/(1+inf) = 0
        out = np.negative(x); np.exp(out, out=out); out += 1; np.reciprocal(out, out=out)

It never produces NaN (1 + inf = inf, 1/inf = 0) and agrees with the current form to 1 ulp.
Microbenchmark on a (64, 512) float32 array: 265 us -> 63 us (``np.tanh``-based
``0.5 * (1 + tanh(x/2))`` is 127 us).
"""

from __future__ import annotations

import numpy as np

from bench.proposals import compare


def sigmoid(x):
    out = np.negative(x)
    with np.errstate(over="ignore"):
        np.exp(out, out=out)
    out += 1
    np.reciprocal(out, out=out)
    return out


def install():
    from dlproof.engine.fused import rnn
    from dlproof.engine.ops import activation

    return [(activation, {"_sigmoid": sigmoid}), (rnn, {"_sigmoid": sigmoid})]


def main() -> None:
    compare(["lstm_f32", "lstm_f64"], install())


if __name__ == "__main__":
    main()
