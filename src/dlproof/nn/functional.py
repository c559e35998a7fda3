"""The functional API (``import dlproof.nn.functional as F``), with PyTorch's names and signatures.

Every function takes and returns :class:`dlproof.engine.Tensor` (NumPy arrays and Python numbers
are accepted as constants). Conventions (as PyTorch): NCHW images; Linear weight (out, in);
Conv2d weight (out, in/groups, kh, kw); ConvTranspose2d weight (in, out/groups, kh, kw); LSTM gate
order i, f, g, o; GRU r, z, n; losses reduce by ``mean`` by default; dropout ``p`` is the DROP
probability (inverted dropout); BatchNorm momentum 0.1 with running stats updated in place.
The formulas and their derivatives are documented on the Function each call uses
(``dlproof.engine.ops.*`` primitives, ``dlproof.engine.fused.*`` fused layers).
"""

from __future__ import annotations

import numpy as np

from dlproof.engine import ops as _ops
from dlproof.engine.fused.attention import ScaledDotProductAttention
from dlproof.engine.fused.conv import Conv2d, ConvTranspose2d
from dlproof.engine.fused.linear import Dropout, Embedding, Linear
from dlproof.engine.fused.loss import BCE, BCEWithLogits, CrossEntropy, MSELoss, NLLLoss
from dlproof.engine.fused.norm import BatchNorm, LayerNorm
from dlproof.engine.fused.pool import AdaptiveAvgPool2d, AvgPool2d, MaxPool2d
from dlproof.engine.fused.rnn import GRUCell, GRULayer, LSTMCell, LSTMLayer
from dlproof.engine.tensor import Tensor

__all__ = [
    "linear", "conv1d", "conv2d", "conv_transpose2d", "max_pool2d", "avg_pool2d",
    "adaptive_avg_pool2d", "batch_norm", "layer_norm", "dropout", "embedding", "lstm_cell",
    "gru_cell", "lstm", "gru", "scaled_dot_product_attention", "cross_entropy", "nll_loss",
    "binary_cross_entropy_with_logits", "binary_cross_entropy", "mse_loss", "relu",
    "leaky_relu", "elu", "selu", "gelu", "softplus", "silu", "hardtanh", "sigmoid", "tanh",
    "softmax", "log_softmax", "logsumexp", "pad",
]


def _arr(v):
    """Constant argument -> ndarray (or None); Tensors pass through (Function.apply unwraps the
    positional ones, and static-graph tracing then sees where they came from)."""
    if v is None or isinstance(v, Tensor):
        return v
    return np.asarray(v)


def _data(v):
    """Keyword constant -> ndarray or None."""
    if v is None:
        return None
    return v.data if isinstance(v, Tensor) else np.asarray(v)


# ---- activations (primitives, documented in dlproof.engine.ops.activation) -----------------


def relu(input, inplace=False):
    """max(x, 0); ReLU'(0) = 0."""
    return _ops.relu(input)


def leaky_relu(input, negative_slope=0.01, inplace=False):
    """x if x > 0 else negative_slope * x."""
    return _ops.leaky_relu(input, negative_slope)


def elu(input, alpha=1.0, inplace=False):
    """x if x > 0 else alpha (e^x - 1)."""
    return _ops.elu(input, alpha)


def selu(input, inplace=False):
    """scale * elu(x, alpha), alpha ~ 1.6733, scale ~ 1.0507."""
    return _ops.selu(input)


def gelu(input, approximate="none"):
    """x Phi(x) (exact, with a vectorised erf) or the tanh approximation."""
    return _ops.gelu(input, approximate)


def softplus(input, beta=1.0, threshold=20.0):
    """(1/beta) log(1 + e^{beta x}); linear above the threshold."""
    return _ops.softplus(input, beta, threshold)


def silu(input, inplace=False):
    """x sigmoid(x)."""
    return _ops.silu(input)


def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):
    """clip(x, min_val, max_val) with zero gradient at and beyond the bounds."""
    return _ops.hardtanh(input, min_val, max_val)


def sigmoid(input):
    return _ops.sigmoid(input)


def tanh(input):
    return _ops.tanh(input)


def softmax(input, dim=-1):
    """e^{x_i} / sum_j e^{x_j} along ``dim`` (stable; full-Jacobian backward)."""
    return _ops.softmax(input, dim)


def log_softmax(input, dim=-1):
    """x - logsumexp(x) along ``dim`` (stable at |x| = 1e4)."""
    return _ops.log_softmax(input, dim)


def logsumexp(input, dim=None, keepdim=False):
    return _ops.logsumexp(input, dim, keepdim)


def pad(input, pad, mode="constant", value=0.0):
    """Pad with PyTorch's tuple order (left, right, top, bottom, ...) from the last dim;
    modes constant, reflect, replicate, circular."""
    return _ops.pad(input, pad, mode, value)


# ---- layers ------------------------------------------------------------------------------------


def linear(input, weight, bias=None):
    """y = x W^T + b.  input (..., in), weight (out, in), bias (out,) -> (..., out)."""
    return Linear.apply(input, weight, bias)


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-D cross-correlation (im2col + one GEMM per group).
    input (N, C, H, W), weight (O, C/groups, kh, kw), bias (O,) -> (N, O, Ho, Wo),
    Ho = floor((H + 2 padding - dilation (kh - 1) - 1) / stride) + 1."""
    return Conv2d.apply(input, weight, bias, stride=stride, padding=padding, dilation=dilation,
                        groups=groups)


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """1-D convolution via conv2d on a height-1 image. input (N, C, L), weight (O, C/groups, k)
    -> (N, O, Lo)."""
    if padding in ("same", "valid"):
        pad2 = padding
    else:
        pad2 = (0, int(padding if np.isscalar(padding) else padding[0]))
    s = stride if np.isscalar(stride) else stride[0]
    d = dilation if np.isscalar(dilation) else dilation[0]
    x4 = _ops.unsqueeze(input, 2)
    w4 = _ops.unsqueeze(weight, 2)
    y = Conv2d.apply(x4, w4, bias, stride=(1, s), padding=pad2, dilation=(1, d), groups=groups)
    return _ops.squeeze(y, 2)


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1):
    """Transposed convolution (the adjoint of conv2d w.r.t. its input).
    input (N, Cin, H, W), weight (Cin, Cout/groups, kh, kw) -> (N, Cout, Ho, Wo),
    Ho = (H - 1) stride - 2 padding + dilation (kh - 1) + output_padding + 1."""
    return ConvTranspose2d.apply(input, weight, bias, stride=stride, padding=padding,
                                 output_padding=output_padding, groups=groups, dilation=dilation)


def max_pool2d(input, kernel_size, stride=None, padding=0):
    """Max over windows; backward routes to the first maximum (PyTorch's tie-break)."""
    return MaxPool2d.apply(input, kernel_size, stride=stride, padding=padding)


def avg_pool2d(input, kernel_size, stride=None, padding=0, count_include_pad=True):
    """Mean over windows (divisor kh*kw, or real elements only if not count_include_pad)."""
    return AvgPool2d.apply(input, kernel_size, stride=stride, padding=padding,
                           count_include_pad=count_include_pad)


def adaptive_avg_pool2d(input, output_size):
    """Average pooling to a fixed output size with PyTorch's windows (any size)."""
    return AdaptiveAvgPool2d.apply(input, output_size)


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False,
               momentum=0.1, eps=1e-5):
    """Batch normalisation over (N, C) or (N, C, H, W) per channel. In training the arrays
    ``running_mean``/``running_var`` (NumPy arrays or Tensors, modified IN PLACE) become
    (1 - momentum) running + momentum batch (unbiased var); normalisation uses the biased var."""
    return BatchNorm.apply(input, _arr(running_mean), _arr(running_var), weight, bias,
                           training=training, momentum=momentum, eps=eps)


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    """Normalise over the trailing ``normalized_shape`` axes; y = gamma xhat + beta."""
    return LayerNorm.apply(input, normalized_shape, weight, bias, eps=eps)


def dropout(input, p=0.5, training=True, generator=None, inplace=False):
    """Inverted dropout: zero each element with probability p (the DROP probability) and scale
    the rest by 1/(1-p), so E[output] = input; identity when not training or p = 0.
    ``generator``: the numpy Generator supplying the randomness (required when it is used)."""
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout: p must be in [0, 1], got {p}")
    if not training or p == 0.0:
        return input
    if p == 1.0:
        return _ops.mul(input, 0.0)
    if generator is None:
        raise ValueError("dropout: pass generator=numpy.random.default_rng(seed)")
    return Dropout.apply(input, p, generator)


def embedding(input, weight, padding_idx=None):
    """Row lookup: weight (num, dim)[input] -> input.shape + (dim,); rows scatter-add grads."""
    return Embedding.apply(_arr(input), weight, padding_idx=padding_idx)


def lstm_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    """One LSTM step (gates i, f, g, o). input (B, I), hx = (h, c) each (B, H) -> (h', c')."""
    h, c = hx
    return LSTMCell.apply(input, h, c, w_ih, w_hh, b_ih, b_hh)


def gru_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    """One GRU step (gates r, z, n; n = tanh(W_in x + b_in + r (W_hn h + b_hn))) -> h'."""
    return GRUCell.apply(input, hx, w_ih, w_hh, b_ih, b_hh)


def lstm(input, h0, c0, w_ih, w_hh, b_ih=None, b_hh=None):
    """Whole-sequence single-layer LSTM as ONE graph node (hand-written BPTT).
    input (T, B, I), h0, c0 (B, H) -> (outputs (T, B, H), h_T (B, H), c_T (B, H))."""
    return LSTMLayer.apply(input, h0, c0, w_ih, w_hh, b_ih, b_hh)


def gru(input, h0, w_ih, w_hh, b_ih=None, b_hh=None):
    """Whole-sequence single-layer GRU as ONE node: input (T, B, I), h0 (B, H) ->
    (outputs (T, B, H), h_T)."""
    return GRULayer.apply(input, h0, w_ih, w_hh, b_ih, b_hh)


def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0,
                                 is_causal=False, scale=None, generator=None):
    """softmax(Q K^T scale + mask) V. Bool mask: True = attend (as PyTorch); float mask is
    added to the scores. Q (..., L, E), K (..., S, E), V (..., S, Ev) -> (..., L, Ev)."""
    return ScaledDotProductAttention.apply(query, key, value, attn_mask, dropout_p=dropout_p,
                                           is_causal=is_causal, scale=scale, generator=generator)


# ---- losses ------------------------------------------------------------------------------------


def cross_entropy(input, target, weight=None, ignore_index=-100, reduction="mean",
                  label_smoothing=0.0):
    """Softmax cross-entropy from logits, one fused node (gradient s * sum Q - Q).
    input (N, C) / (N, C, d...) / (C,); target class indices (N, d...) or probabilities
    (input's shape). 'mean' with class weights divides by the sum of the targets' weights."""
    return CrossEntropy.apply(input, _arr(target), weight=_data(weight),
                              ignore_index=ignore_index, reduction=reduction,
                              label_smoothing=label_smoothing)


def nll_loss(input, target, weight=None, ignore_index=-100, reduction="mean"):
    """Negative log-likelihood of log-probabilities: -w_y logp_y (weighted mean)."""
    return NLLLoss.apply(input, _arr(target), weight=_data(weight), ignore_index=ignore_index,
                         reduction=reduction)


def binary_cross_entropy_with_logits(input, target, weight=None, reduction="mean",
                                     pos_weight=None):
    """Stable sigmoid + BCE: w [(1-y) x + (1 + (pw-1) y) softplus(-x)]."""
    return BCEWithLogits.apply(input, target, weight=_data(weight), pos_weight=_data(pos_weight),
                               reduction=reduction)


def binary_cross_entropy(input, target, weight=None, reduction="mean"):
    """-w [y log p + (1-y) log(1-p)] on probabilities (logs clamped at -100)."""
    return BCE.apply(input, target, weight=_data(weight), reduction=reduction)


def mse_loss(input, target, reduction="mean"):
    """(x - y)^2 reduced by mean (default), sum or none."""
    return MSELoss.apply(input, target, reduction=reduction)
