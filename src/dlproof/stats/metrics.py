"""Classification metrics for binary problems, vectorised (one sort, cumulative sums).

Conventions as scikit-learn: label 1 is the positive (usually minority) class; ``scores`` are any
monotone confidence (probabilities or logits). Ties in scores are handled as one threshold.
"""

from __future__ import annotations

import numpy as np


def _check(y, scores=None):
    y = np.asarray(y)
    if y.ndim != 1 or not np.isin(y, (0, 1)).all():
        raise ValueError("labels must be a 1-D array of 0/1")
    if scores is not None:
        scores = np.asarray(scores, dtype=np.float64)
        if scores.shape != y.shape:
            raise ValueError(f"scores must have the labels' shape {y.shape}, got {scores.shape}")
        if not (y == 1).any() or not (y == 0).any():
            raise ValueError("ranking metrics need both classes among the labels")
    return y.astype(np.int64), scores


def recall_per_class(y, pred) -> np.ndarray:
    """[recall of class 0, recall of class 1] = TN/(TN+FP), TP/(TP+FN)."""
    y, _ = _check(y)
    pred = np.asarray(pred)
    return np.array([np.mean(pred[y == k] == k) if (y == k).any() else np.nan for k in (0, 1)])


def balanced_accuracy(y, pred) -> float:
    """Mean of the per-class recalls: 0.5 for any constant predictor."""
    return float(np.nanmean(recall_per_class(y, pred)))


def f1(y, pred) -> float:
    """F1 = 2 TP / (2 TP + FP + FN) for the positive class."""
    y, _ = _check(y)
    pred = np.asarray(pred)
    tp = np.sum((pred == 1) & (y == 1))
    denom = 2 * tp + np.sum((pred == 1) & (y == 0)) + np.sum((pred == 0) & (y == 1))
    return float(2 * tp / denom) if denom else 0.0


def _sorted_counts(y, scores):
    """Cumulative TP and FP counts at each distinct threshold, from the highest score down."""
    order = np.argsort(-scores, kind="mergesort")
    s, t = scores[order], y[order]
    last = np.r_[np.nonzero(np.diff(s))[0], len(s) - 1]   # last index of each tie group
    tp = np.cumsum(t)[last]
    fp = (last + 1) - tp
    return tp, fp, s[last]


def roc_auc(y, scores) -> float:
    """Area under the ROC curve = P(score of a random positive > a random negative) (ties count ½)."""
    y, scores = _check(y, scores)
    tp, fp, _ = _sorted_counts(y, scores)
    tpr = np.r_[0.0, tp / tp[-1]]
    fpr = np.r_[0.0, fp / fp[-1]]
    return float(np.trapezoid(tpr, fpr))


def precision_recall_curve(y, scores):
    """(precision, recall, thresholds) at every distinct threshold, highest threshold first."""
    y, scores = _check(y, scores)
    tp, fp, thr = _sorted_counts(y, scores)
    return tp / (tp + fp), tp / tp[-1], thr


def average_precision(y, scores) -> float:
    """PR-AUC as average precision: AP = Σ_k (R_k − R_{k−1}) P_k (the step-wise area, no interpolation)."""
    precision, recall, _ = precision_recall_curve(y, scores)
    return float(np.sum(np.diff(np.r_[0.0, recall]) * precision))


def reliability_curve(y, prob, n_bins: int = 10):
    """(mean predicted probability, observed frequency, count) per equal-width probability bin
    (bins closed on the right, as scikit-learn's ``calibration_curve``; empty bins dropped): a
    calibrated model lies on the diagonal."""
    y, prob = np.asarray(y), np.asarray(prob, dtype=np.float64)
    idx = np.searchsorted(np.linspace(0.0, 1.0, n_bins + 1)[1:-1], prob)
    count = np.bincount(idx, minlength=n_bins)
    mean_p = np.bincount(idx, prob, n_bins)
    freq = np.bincount(idx, y.astype(np.float64), n_bins)
    keep = count > 0
    return mean_p[keep] / count[keep], freq[keep] / count[keep], count[keep]


def expected_calibration_error(y, prob, n_bins: int = 10) -> float:
    """ECE = Σ_bins (n_b / N) |mean p_b − frequency_b|."""
    mean_p, freq, count = reliability_curve(y, prob, n_bins)
    return float(np.sum(count * np.abs(mean_p - freq)) / count.sum())
