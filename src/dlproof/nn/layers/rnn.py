r"""Recurrent sequence layers: RNN (tanh / relu), LSTM, GRU.

Shapes (as PyTorch): input (T, B, I), or (B, T, I) with ``batch_first=True``, or unbatched
(T, I); initial state ``h0`` (L*D, B, H) (and ``c0`` for LSTM), zeros when omitted, where
L = ``num_layers`` and D = 2 if ``bidirectional`` else 1. Output (T, B, D*H): the last layer's
hidden states, forward and backward directions concatenated on the feature dim; final states
``h_n`` (L*D, B, H) ordered layer-major (layer 0 forward, layer 0 backward, layer 1 ...).

Parameters per layer l and direction (suffix ``_reverse`` for the backward one):
``weight_ih_l{l}`` (G*H, I_l), ``weight_hh_l{l}`` (G*H, H), ``bias_ih_l{l}``, ``bias_hh_l{l}``
(G*H,) with G = 1 (RNN), 4 (LSTM gates i, f, g, o), 3 (GRU gates r, z, n); I_l = I for l = 0
and D*H above. All initialised U(-1/sqrt(H), 1/sqrt(H)). The backward direction reads the
sequence reversed in time. ``dropout`` (between layers, not after the last) needs a generator.

Cells (per step t):
* RNN:  ``h_t = act(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh)``
* LSTM: ``[i, f, g, o] = [s, s, tanh, s](x_t W_ih^T + b_ih + h W_hh^T + b_hh)``,
  ``c_t = f c_{t-1} + i g``, ``h_t = o tanh(c_t)`` (engine's fused ``F.lstm``: one node per
  layer and direction with hand-written BPTT)
* GRU:  ``r, z = s(...)``, ``n = tanh(x W_in^T + b_in + r (h W_hn^T + b_hn))``,
  ``h_t = (1 - z) n + z h_{t-1}`` (engine's fused ``F.gru``)
"""

from __future__ import annotations

import math

import numpy as np

from dlproof.engine import Tensor, ops
from dlproof.nn import functional as F
from dlproof.nn import init
from dlproof.nn.layers._util import as_tensor
from dlproof.nn.module import Module, Parameter

__all__ = ["RNN", "LSTM", "GRU"]

_GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}


def _flip_time(x: Tensor) -> Tensor:
    return x[::-1]


class _RNNBase(Module):
    mode = "RNN_TANH"

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        generator: np.random.Generator | int | None = None,
        dtype=np.float32,
    ):
        super().__init__()
        if num_layers < 1:
            raise ValueError(f"num_layers must be >= 1, got {num_layers}")
        if not 0.0 <= dropout <= 1.0:
            raise ValueError(f"dropout must lie in [0, 1], got {dropout}")
        self.input_size, self.hidden_size = int(input_size), int(hidden_size)
        self.num_layers, self.bias, self.batch_first = int(num_layers), bias, batch_first
        self.dropout, self.bidirectional = float(dropout), bidirectional
        self.num_directions = 2 if bidirectional else 1
        self.generator = init.resolve_generator(generator)
        G, H = _GATES[self.mode], self.hidden_size
        for layer in range(self.num_layers):
            n_in = self.input_size if layer == 0 else H * self.num_directions
            for d in range(self.num_directions):
                sfx = f"l{layer}" + ("_reverse" if d else "")
                setattr(self, f"weight_ih_{sfx}", Parameter(np.empty((G * H, n_in), dtype)))
                setattr(self, f"weight_hh_{sfx}", Parameter(np.empty((G * H, H), dtype)))
                if bias:
                    setattr(self, f"bias_ih_{sfx}", Parameter(np.empty(G * H, dtype)))
                    setattr(self, f"bias_hh_{sfx}", Parameter(np.empty(G * H, dtype)))
        self.reset_parameters(self.generator)

    def reset_parameters(self, generator=None) -> None:
        gen = init.resolve_generator(generator)
        bound = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0.0
        for p in self.parameters():
            init.uniform_(p, -bound, bound, generator=gen)

    def _weights(self, layer: int, d: int):
        sfx = f"l{layer}" + ("_reverse" if d else "")
        get = lambda name: self._parameters.get(f"{name}_{sfx}")
        return get("weight_ih"), get("weight_hh"), get("bias_ih"), get("bias_hh")

    def _direction(self, x, h0, c0, w_ih, w_hh, b_ih, b_hh):
        """Run one layer in one direction over x (T, B, I) -> (out (T, B, H), h_T, c_T)."""
        raise NotImplementedError

    def _prepare_state(self, hx, B: int, unbatched: bool, dtype, name: str) -> Tensor:
        shape = (self.num_layers * self.num_directions, B, self.hidden_size)
        if hx is None:
            return Tensor(np.zeros(shape, dtype=dtype))
        hx = as_tensor(hx)
        if unbatched:
            if hx.ndim != 2:
                raise ValueError(
                    f"{type(self).__name__}: for unbatched input {name} must be "
                    f"(L*D, H), got {tuple(hx.shape)}"
                )
            hx = ops.unsqueeze(hx, 1)
        if tuple(hx.shape) != shape:
            raise ValueError(
                f"{type(self).__name__}: expected {name} of shape {shape}, got {tuple(hx.shape)}"
            )
        return hx

    def _run(self, x, hx):
        x = as_tensor(x)
        if x.ndim not in (2, 3):
            raise ValueError(
                f"{type(self).__name__}: expected input (T, B, I), (B, T, I) with batch_first, "
                f"or unbatched (T, I); got shape {tuple(x.shape)}"
            )
        unbatched = x.ndim == 2
        if unbatched:
            x = ops.unsqueeze(x, 1)
        elif self.batch_first:
            x = x.transpose(0, 1)
        if x.shape[-1] != self.input_size:
            raise ValueError(
                f"{type(self).__name__}: input feature size is {x.shape[-1]}, "
                f"expected input_size={self.input_size}"
            )
        B = x.shape[1]
        if self.mode == "LSTM":
            h0, c0 = (None, None) if hx is None else hx
            h0 = self._prepare_state(h0, B, unbatched, x.dtype, "h0")
            c0 = self._prepare_state(c0, B, unbatched, x.dtype, "c0")
        else:
            h0 = self._prepare_state(hx, B, unbatched, x.dtype, "h0")
            c0 = None
        h_n, c_n = [], []
        for layer in range(self.num_layers):
            outs = []
            for d in range(self.num_directions):
                k = layer * self.num_directions + d
                inp = _flip_time(x) if d else x
                out, h_t, c_t = self._direction(
                    inp, h0[k], None if c0 is None else c0[k], *self._weights(layer, d)
                )
                outs.append(_flip_time(out) if d else out)
                h_n.append(h_t)
                c_n.append(c_t)
            x = ops.cat(outs, dim=2) if len(outs) > 1 else outs[0]
            if self.dropout > 0 and self.training and layer < self.num_layers - 1:
                x = F.dropout(x, self.dropout, True, self.generator)
        h_n = ops.stack(h_n, dim=0)
        c_n = ops.stack(c_n, dim=0) if self.mode == "LSTM" else None
        if unbatched:
            x = ops.squeeze(x, 1)
            h_n = ops.squeeze(h_n, 1)
            c_n = ops.squeeze(c_n, 1) if c_n is not None else None
        elif self.batch_first:
            x = x.transpose(0, 1)
        return x, h_n, c_n

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if not self.bias:
            s += ", bias=False"
        if self.batch_first:
            s += ", batch_first=True"
        if self.dropout:
            s += f", dropout={self.dropout}"
        if self.bidirectional:
            s += ", bidirectional=True"
        return s


class RNN(_RNNBase):
    """Elman RNN, ``nonlinearity`` 'tanh' (default) or 'relu'. ``forward(x, h0=None)`` returns
    ``(output, h_n)``. The input projection of all steps is one GEMM; the recurrence is
    composed from engine primitives (one add, matmul and activation per step)."""

    def __init__(
        self,
        input_size,
        hidden_size,
        num_layers=1,
        nonlinearity="tanh",
        bias=True,
        batch_first=False,
        dropout=0.0,
        bidirectional=False,
        generator=None,
        dtype=np.float32,
    ):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
        self.mode = "RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU"
        self.nonlinearity = nonlinearity
        super().__init__(
            input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional, generator, dtype
        )

    def _direction(self, x, h0, c0, w_ih, w_hh, b_ih, b_hh):
        act = ops.tanh if self.mode == "RNN_TANH" else ops.relu
        xw = F.linear(x, w_ih, b_ih)  # (T, B, H): all steps' input projections at once
        w_hh_t = w_hh.T
        h, outs = h0, []
        for t in range(x.shape[0]):
            pre = xw[t] + h @ w_hh_t
            if b_hh is not None:
                pre = pre + b_hh
            h = act(pre)
            outs.append(h)
        return ops.stack(outs, dim=0), h, None

    def forward(self, x, h0=None):
        out, h_n, _ = self._run(x, h0)
        return out, h_n

    def extra_repr(self) -> str:
        s = super().extra_repr()
        return s + (", nonlinearity='relu'" if self.nonlinearity == "relu" else "")


class LSTM(_RNNBase):
    """Long short-term memory. ``forward(x, (h0, c0)=None)`` returns
    ``(output, (h_n, c_n))``. Each layer and direction is one fused ``F.lstm`` node."""

    mode = "LSTM"

    def _direction(self, x, h0, c0, w_ih, w_hh, b_ih, b_hh):
        return F.lstm(x, h0, c0, w_ih, w_hh, b_ih, b_hh)

    def forward(self, x, hx=None):
        out, h_n, c_n = self._run(x, hx)
        return out, (h_n, c_n)


class GRU(_RNNBase):
    """Gated recurrent unit. ``forward(x, h0=None)`` returns ``(output, h_n)``. Each layer and
    direction is one fused ``F.gru`` node."""

    mode = "GRU"

    def _direction(self, x, h0, c0, w_ih, w_hh, b_ih, b_hh):
        out, h_t = F.gru(x, h0, w_ih, w_hh, b_ih, b_hh)
        return out, h_t, None

    def forward(self, x, h0=None):
        out, h_n, _ = self._run(x, h0)
        return out, h_n
