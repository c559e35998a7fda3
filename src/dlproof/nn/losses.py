r"""Loss functions: functional forms and Module wrappers (``torch.nn`` names and semantics).

Conventions: ``input`` is the prediction, ``target`` the truth (a NumPy array or a Tensor);
``reduction`` is ``'mean'`` (default), ``'sum'`` or ``'none'`` (per-element losses, same shape
as the broadcast inputs). The mean's 1/N is applied in exactly one place: :func:`reduce_loss`
for the losses composed here, and inside the engine's fused Function for the ones that
delegate to ``F`` (mse, cross_entropy, nll, bce, bce_with_logits) — never both.
"""

from __future__ import annotations

import math

import numpy as np

from dlproof.engine import Tensor, ops
from dlproof.nn import functional as F
from dlproof.nn.module import Module

__all__ = [
    "reduce_loss",
    "mse_loss",
    "l1_loss",
    "huber_loss",
    "smooth_l1_loss",
    "cross_entropy",
    "nll_loss",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "kl_div",
    "sigmoid_focal_loss",
    "gaussian_nll_loss",
    "MSELoss",
    "L1Loss",
    "HuberLoss",
    "SmoothL1Loss",
    "CrossEntropyLoss",
    "NLLLoss",
    "BCELoss",
    "BCEWithLogitsLoss",
    "KLDivLoss",
    "FocalLoss",
    "GaussianNLLLoss",
]

_REDUCTIONS = ("none", "mean", "sum")


def _t(x) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(np.asarray(x))


def _target(target, like: Tensor):
    """Constant targets become arrays of the input's dtype (no float64 upcast of float32)."""
    if isinstance(target, Tensor):
        return target
    arr = np.asarray(target)
    return arr.astype(like.dtype) if arr.dtype.kind in "fbiu" else arr


def reduce_loss(per_element: Tensor, reduction: str) -> Tensor:
    """``'none'``: as is; ``'sum'``: sum of all elements; ``'mean'``: sum / N (N = number of
    elements). The single place where this module divides by N."""
    if reduction == "none":
        return per_element
    if reduction == "sum":
        return per_element.sum()
    if reduction == "mean":
        return per_element.mean()
    raise ValueError(f"reduction must be one of {_REDUCTIONS}, got {reduction!r}")


def _check_shapes(input: Tensor, target, name: str) -> None:
    tshape = tuple(np.shape(target.data if isinstance(target, Tensor) else target))
    if tshape != tuple(input.shape):
        raise ValueError(f"{name}: input shape {tuple(input.shape)} and target shape {tshape} differ")


# ---------------------------------------------------------------------- regression losses
def mse_loss(input, target, reduction: str = "mean") -> Tensor:
    """``(x - y)^2`` reduced; gradient of the mean: ``2 (x - y) / N``. (Fused ``F.mse_loss``.)"""
    input = _t(input)
    _check_shapes(input, target, "mse_loss")
    return F.mse_loss(input, _target(target, input), reduction=reduction)


def l1_loss(input, target, reduction: str = "mean") -> Tensor:
    """``|x - y|`` reduced (subgradient 0 at x = y, as PyTorch's sign(0) = 0)."""
    input = _t(input)
    _check_shapes(input, target, "l1_loss")
    return reduce_loss(ops.abs(input - _target(target, input)), reduction)


def huber_loss(input, target, reduction: str = "mean", delta: float = 1.0) -> Tensor:
    """``0.5 d^2`` if ``|d| <= delta`` else ``delta (|d| - 0.5 delta)``, ``d = x - y``:
    quadratic near 0, linear (gradient bounded by delta) for outliers."""
    if delta <= 0:
        raise ValueError(f"huber_loss: delta must be positive, got {delta}")
    input = _t(input)
    _check_shapes(input, target, "huber_loss")
    d = input - _target(target, input)
    a = ops.abs(d)
    per = ops.where(a.data <= delta, 0.5 * d * d, delta * (a - 0.5 * delta))
    return reduce_loss(per, reduction)


def smooth_l1_loss(input, target, reduction: str = "mean", beta: float = 1.0) -> Tensor:
    """``0.5 d^2 / beta`` if ``|d| < beta`` else ``|d| - 0.5 beta`` (= huber / beta; Fast R-CNN).
    ``beta = 0`` is the L1 loss."""
    if beta < 0:
        raise ValueError(f"smooth_l1_loss: beta must be >= 0, got {beta}")
    input = _t(input)
    _check_shapes(input, target, "smooth_l1_loss")
    d = input - _target(target, input)
    a = ops.abs(d)
    if beta == 0:
        return reduce_loss(a, reduction)
    per = ops.where(a.data < beta, (0.5 / beta) * d * d, a - 0.5 * beta)
    return reduce_loss(per, reduction)


def gaussian_nll_loss(
    input, target, var, full: bool = False, eps: float = 1e-6, reduction: str = "mean"
) -> Tensor:
    r"""Negative log-likelihood of ``target ~ N(input, var)``, as ``torch.nn.GaussianNLLLoss``:
    ``0.5 (log(max(var, eps)) + (x - y)^2 / max(var, eps))`` (+ ``0.5 log(2 pi)`` if ``full``).

    ``var`` has input's shape, or input's shape without the last dim (one variance per
    example, shared by its features), or a last dim of 1. The clamp at ``eps`` passes
    gradients straight through (as PyTorch clamps under ``no_grad``)."""
    input, var = _t(input), _t(var)
    if tuple(var.shape) != tuple(input.shape):
        if tuple(input.shape[:-1]) == tuple(var.shape):
            var = ops.unsqueeze(var, -1)
        elif not (tuple(input.shape[:-1]) == tuple(var.shape[:-1]) and var.shape[-1] == 1):
            raise ValueError(
                f"gaussian_nll_loss: var shape {tuple(var.shape)} does not fit "
                f"input shape {tuple(input.shape)}"
            )
    if np.any(var.data < 0):
        raise ValueError("gaussian_nll_loss: var has negative entries")
    # straight-through clamp: value max(var, eps), gradient as if unclamped
    var = var + (np.maximum(var.data, eps) - var.data)
    d = input - _target(target, input)
    per = 0.5 * (ops.log(var) + d * d / var)
    if full:
        per = per + 0.5 * math.log(2 * math.pi)
    return reduce_loss(per, reduction)


# ---------------------------------------------------------------------- classification losses
def cross_entropy(
    input,
    target,
    weight=None,
    ignore_index: int = -100,
    reduction: str = "mean",
    label_smoothing: float = 0.0,
) -> Tensor:
    r"""Softmax cross-entropy from logits (fused ``F.cross_entropy``):
    ``-sum_c q_c log softmax(x)_c`` with ``q`` the one-hot target (smoothed to
    ``(1 - eps) onehot + eps / C``), class weights ``w``; 'mean' divides by the summed weights
    of the non-ignored targets. Shapes: input (N, C) or (N, C, d1, ...); target (N, d1, ...)
    integer classes or probabilities of input's shape."""
    return F.cross_entropy(
        _t(input),
        target,
        weight=weight,
        ignore_index=ignore_index,
        reduction=reduction,
        label_smoothing=label_smoothing,
    )


def nll_loss(input, target, weight=None, ignore_index: int = -100, reduction: str = "mean") -> Tensor:
    """``-w_y log p_y`` from log-probabilities (N, C) (fused ``F.nll_loss``)."""
    return F.nll_loss(_t(input), target, weight=weight, ignore_index=ignore_index, reduction=reduction)


def binary_cross_entropy(input, target, weight=None, reduction: str = "mean") -> Tensor:
    """``-w [y log p + (1 - y) log(1 - p)]`` on probabilities p (logs clamped at -100)."""
    input = _t(input)
    _check_shapes(input, target, "binary_cross_entropy")
    return F.binary_cross_entropy(input, _target(target, input), weight=weight, reduction=reduction)


def binary_cross_entropy_with_logits(
    input, target, weight=None, reduction: str = "mean", pos_weight=None
) -> Tensor:
    """``-w [pw y log s(x) + (1 - y) log(1 - s(x))]`` computed stably from logits x;
    ``pos_weight`` (C,) up-weights positives per class (fused ``F.*_with_logits``)."""
    input = _t(input)
    _check_shapes(input, target, "binary_cross_entropy_with_logits")
    return F.binary_cross_entropy_with_logits(
        input, _target(target, input), weight=weight, reduction=reduction, pos_weight=pos_weight
    )


def kl_div(input, target, reduction: str = "mean", log_target: bool = False) -> Tensor:
    r"""``KL(target || model)`` pointwise, PyTorch's semantics: ``input`` is the model's
    **log**-probabilities; ``target`` probabilities (``log_target=False``: pointwise
    ``t (log t - x)``, 0 where t = 0) or log-probabilities (``log_target=True``:
    ``exp(t) (t - x)``). ``reduction='batchmean'`` divides the sum by the batch size
    (input.shape[0]) — the true KL per example; ``'mean'`` divides by the element count."""
    input = _t(input)
    _check_shapes(input, target, "kl_div")
    if reduction not in _REDUCTIONS + ("batchmean",):
        raise ValueError(f"kl_div: unknown reduction {reduction!r}")
    t = _target(target, input)
    if log_target:
        per = ops.exp(t) * (t - input) if isinstance(t, Tensor) else np.exp(t) * (t - input)
    elif isinstance(t, Tensor):
        tiny = np.finfo(t.dtype).tiny
        per = t * (ops.log(ops.clip(t, min=tiny)) - input)
    else:
        with np.errstate(divide="ignore", invalid="ignore"):
            tlogt = np.where(t > 0, t * np.log(np.where(t > 0, t, 1.0)), 0.0).astype(t.dtype)
        per = tlogt - t * input
    if reduction == "batchmean":
        return per.sum() / (input.shape[0] if input.ndim > 0 else 1)
    return reduce_loss(per, reduction)


def sigmoid_focal_loss(
    input, target, alpha: float = 0.25, gamma: float = 2.0, reduction: str = "mean"
) -> Tensor:
    r"""Focal loss for dense detection (Lin et al. 2017), as ``torchvision.ops.
    sigmoid_focal_loss`` (whose default reduction is 'none'; here 'mean' as every loss)::

        p = sigmoid(x),  ce = BCE_with_logits(x, y),  p_t = p y + (1 - p)(1 - y)
        loss = alpha_t (1 - p_t)^gamma ce,   alpha_t = alpha y + (1 - alpha)(1 - y)

    ``alpha < 0`` disables the class weighting; ``gamma = 0`` gives (weighted) BCE. The factor
    ``(1 - p_t)^gamma`` shrinks the loss of well-classified examples."""
    input = _t(input)
    _check_shapes(input, target, "sigmoid_focal_loss")
    y = _target(target, input)
    p = ops.sigmoid(input)
    ce = F.binary_cross_entropy_with_logits(input, y, reduction="none")
    p_t = p * y + (1 - p) * (1 - y)
    per = ce * (1 - p_t) ** gamma
    if alpha >= 0:
        per = (alpha * y + (1 - alpha) * (1 - y)) * per
    return reduce_loss(per, reduction)


# ---------------------------------------------------------------------- Module wrappers
class _Loss(Module):
    def __init__(self, reduction: str = "mean"):
        super().__init__()
        allowed = _REDUCTIONS + (("batchmean",) if isinstance(self, KLDivLoss) else ())
        if reduction not in allowed:
            raise ValueError(f"{type(self).__name__}: reduction must be one of {allowed}, got {reduction!r}")
        self.reduction = reduction

    def extra_repr(self) -> str:
        return f"reduction={self.reduction!r}"


class MSELoss(_Loss):
    """Module form of :func:`mse_loss`."""

    def forward(self, input, target):
        return mse_loss(input, target, self.reduction)


class L1Loss(_Loss):
    """Module form of :func:`l1_loss`."""

    def forward(self, input, target):
        return l1_loss(input, target, self.reduction)


class HuberLoss(_Loss):
    """Module form of :func:`huber_loss`."""

    def __init__(self, reduction: str = "mean", delta: float = 1.0):
        super().__init__(reduction)
        self.delta = delta

    def forward(self, input, target):
        return huber_loss(input, target, self.reduction, self.delta)


class SmoothL1Loss(_Loss):
    """Module form of :func:`smooth_l1_loss`."""

    def __init__(self, reduction: str = "mean", beta: float = 1.0):
        super().__init__(reduction)
        self.beta = beta

    def forward(self, input, target):
        return smooth_l1_loss(input, target, self.reduction, self.beta)


class CrossEntropyLoss(_Loss):
    """Module form of :func:`cross_entropy` (fused ``F.cross_entropy``)."""

    def __init__(
        self, weight=None, ignore_index: int = -100, reduction: str = "mean", label_smoothing: float = 0.0
    ):
        super().__init__(reduction)
        self.weight, self.ignore_index = weight, ignore_index
        self.label_smoothing = label_smoothing

    def forward(self, input, target):
        return cross_entropy(
            input, target, self.weight, self.ignore_index, self.reduction, self.label_smoothing
        )


class NLLLoss(_Loss):
    """Module form of :func:`nll_loss`."""

    def __init__(self, weight=None, ignore_index: int = -100, reduction: str = "mean"):
        super().__init__(reduction)
        self.weight, self.ignore_index = weight, ignore_index

    def forward(self, input, target):
        return nll_loss(input, target, self.weight, self.ignore_index, self.reduction)


class BCELoss(_Loss):
    """Module form of :func:`binary_cross_entropy`."""

    def __init__(self, weight=None, reduction: str = "mean"):
        super().__init__(reduction)
        self.weight = weight

    def forward(self, input, target):
        return binary_cross_entropy(input, target, self.weight, self.reduction)


class BCEWithLogitsLoss(_Loss):
    """Module form of :func:`binary_cross_entropy_with_logits`."""

    def __init__(self, weight=None, reduction: str = "mean", pos_weight=None):
        super().__init__(reduction)
        self.weight, self.pos_weight = weight, pos_weight

    def forward(self, input, target):
        return binary_cross_entropy_with_logits(input, target, self.weight, self.reduction, self.pos_weight)


class KLDivLoss(_Loss):
    """Module form of :func:`kl_div` (use ``reduction='batchmean'`` for the true KL)."""

    def __init__(self, reduction: str = "mean", log_target: bool = False):
        super().__init__(reduction)
        self.log_target = log_target

    def forward(self, input, target):
        return kl_div(input, target, self.reduction, self.log_target)


class FocalLoss(_Loss):
    """Module form of :func:`sigmoid_focal_loss`."""

    def __init__(self, alpha: float = 0.25, gamma: float = 2.0, reduction: str = "mean"):
        super().__init__(reduction)
        self.alpha, self.gamma = alpha, gamma

    def forward(self, input, target):
        return sigmoid_focal_loss(input, target, self.alpha, self.gamma, self.reduction)


class GaussianNLLLoss(_Loss):
    """Module form of :func:`gaussian_nll_loss`: ``forward(input, target, var)``."""

    def __init__(self, full: bool = False, eps: float = 1e-6, reduction: str = "mean"):
        super().__init__(reduction)
        self.full, self.eps = full, eps

    def forward(self, input, target, var):
        return gaussian_nll_loss(input, target, var, self.full, self.eps, self.reduction)
