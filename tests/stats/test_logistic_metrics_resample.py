"""dlproof.stats.logistic / metrics / resample against scikit-learn and imbalanced-learn."""

from __future__ import annotations

import numpy as np
import pytest

from dlproof.stats import metrics
from dlproof.stats.logistic import LogisticRegression, sigmoid
from dlproof.stats.resample import random_oversample, random_undersample, smote


def _imbalanced(rng, n=600, pos=0.1, d=3):
    y = (rng.random(n) < pos).astype(np.int64)
    X = rng.standard_normal((n, d)) + 1.2 * y[:, None]
    return X, y


@pytest.mark.parametrize("class_weight", [None, "balanced", {0: 1.0, 1: 7.0}])
def test_logistic_matches_sklearn(rng, oracle, class_weight):
    lm = oracle("sklearn.linear_model")
    X, y = _imbalanced(rng)
    C = 0.5
    # sklearn minimises C Σ s_i ℓ_i + ½||w||²; ours divides the data term by Σ s_i, so λ = 1/(C Σ s_i)
    s = LogisticRegression(class_weight=class_weight)._weights(y, None)
    ours = LogisticRegression(l2=1.0 / (C * s.sum()), class_weight=class_weight).fit(X, y)
    ref = lm.LogisticRegression(C=C, class_weight=class_weight, tol=1e-12, max_iter=10_000).fit(X, y)
    np.testing.assert_allclose(ours.coef_, ref.coef_.ravel(), atol=1e-6)
    np.testing.assert_allclose(ours.intercept_, ref.intercept_[0], atol=1e-6)
    np.testing.assert_allclose(ours.predict_proba(X), ref.predict_proba(X)[:, 1], atol=1e-6)


def test_logistic_gradient_is_zero_at_the_fit_and_wrong_gradient_is_caught(rng):
    X, y = _imbalanced(rng)
    m = LogisticRegression(l2=1e-2).fit(X, y)
    theta = np.r_[m.coef_, m.intercept_]
    A = np.hstack([X, np.ones((len(X), 1))])

    def loss(t):
        z = A @ t
        return np.mean(np.logaddexp(0, z) - y * z) + 0.5e-2 * np.sum(t[:-1] ** 2)

    def fd_grad(t, eps=1e-6):
        return np.array([(loss(t + eps * e) - loss(t - eps * e)) / (2 * eps) for e in np.eye(len(t))])

    assert np.abs(fd_grad(theta)).max() < 1e-7
    # negative control: the least-squares fit is not a stationary point of the logistic loss
    wrong = np.linalg.lstsq(A, y - 0.5, rcond=None)[0]
    assert np.abs(fd_grad(wrong)).max() > 1e-3


def test_logistic_bad_input_names_the_problem():
    with pytest.raises(ValueError, match="both labels"):
        LogisticRegression().fit(np.zeros((3, 2)), np.zeros(3, dtype=int))
    with pytest.raises(ValueError, match=r"\(N, d\)"):
        LogisticRegression().fit(np.zeros(3), np.array([0, 1, 0]))
    with pytest.raises(ValueError, match="class_weight"):
        LogisticRegression(class_weight="weird").fit(np.eye(2), np.array([0, 1]))
    with pytest.raises(RuntimeError, match="call fit"):
        LogisticRegression().predict(np.eye(2))


def test_sigmoid_no_overflow():
    z = np.array([-1000.0, 0.0, 1000.0])
    np.testing.assert_allclose(sigmoid(z), [0.0, 0.5, 1.0])


def test_metrics_match_sklearn(rng, oracle):
    skm = oracle("sklearn.metrics")
    cal = oracle("sklearn.calibration")
    y = (rng.random(500) < 0.15).astype(np.int64)
    scores = np.round(rng.standard_normal(500) + y, 1)     # rounding makes ties
    pred = (scores > 0.5).astype(np.int64)
    assert metrics.roc_auc(y, scores) == pytest.approx(skm.roc_auc_score(y, scores), abs=1e-12)
    assert metrics.average_precision(y, scores) == pytest.approx(
        skm.average_precision_score(y, scores), abs=1e-12)
    assert metrics.balanced_accuracy(y, pred) == pytest.approx(skm.balanced_accuracy_score(y, pred))
    assert metrics.f1(y, pred) == pytest.approx(skm.f1_score(y, pred))
    prob = sigmoid(scores)
    freq, mean_p = cal.calibration_curve(y, prob, n_bins=10)
    ours_p, ours_f, _ = metrics.reliability_curve(y, prob, 10)
    np.testing.assert_allclose(ours_p, mean_p, atol=1e-12)
    np.testing.assert_allclose(ours_f, freq, atol=1e-12)


def test_constant_predictor_has_balanced_accuracy_one_half():
    y = np.array([0] * 99 + [1])
    assert metrics.balanced_accuracy(y, np.zeros(100, dtype=int)) == 0.5
    with pytest.raises(ValueError, match="both classes"):
        metrics.roc_auc(np.zeros(4, dtype=int), np.arange(4.0))


def test_over_and_undersampling_balance_and_keep_the_input(rng):
    X, y = _imbalanced(rng)
    X0, y0 = X.copy(), y.copy()
    Xo, yo = random_oversample(X, y, rng)
    Xu, yu = random_undersample(X, y, rng)
    assert np.bincount(yo)[0] == np.bincount(yo)[1] == np.bincount(y).max()
    assert np.bincount(yu)[0] == np.bincount(yu)[1] == np.bincount(y).min()
    rows = {tuple(r): lab for r, lab in zip(X, y)}      # every resampled row is an original with its label
    assert all(rows[tuple(r)] == lab for r, lab in zip(Xu, yu))
    assert all(rows[tuple(r)] == lab for r, lab in zip(Xo, yo))
    np.testing.assert_array_equal(X, X0)
    np.testing.assert_array_equal(y, y0)


def test_smote_points_lie_on_segments_to_k_nearest_neighbours_like_imblearn(rng, oracle):
    over = oracle("imblearn.over_sampling")
    X, y = _imbalanced(rng, n=400, pos=0.1, d=2)
    k = 5
    Xs, ys = smote(X, y, rng, k=k)
    Xr, yr = over.SMOTE(k_neighbors=k, random_state=0).fit_resample(X, y)
    assert np.array_equal(np.bincount(ys), np.bincount(yr))          # same class counts
    M = X[y == 1]
    d2 = ((M[:, None] - M[None]) ** 2).sum(-1)
    np.fill_diagonal(d2, np.inf)
    nn = np.argsort(d2, 1)[:, :k]

    def on_knn_segment(new):
        # distance of each new point to each segment (x_i, x_j), j among i's k nearest neighbours
        A, B = M[:, None, :], M[nn]                                   # (n, 1, 2), (n, k, 2)
        t = np.clip(((new[:, None, None] - A) * (B - A)).sum(-1) / ((B - A) ** 2).sum(-1), 0, 1)
        dist = np.linalg.norm(new[:, None, None] - (A + t[..., None] * (B - A)), axis=-1)
        return dist.reshape(len(new), -1).min(1) < 1e-9

    assert on_knn_segment(Xs[len(X):]).all() and on_knn_segment(Xr[len(X):]).all()
    # negative control: uniform points in the minority's bounding box are mostly not on such segments
    box = rng.uniform(M.min(0), M.max(0), (200, 2))
    assert on_knn_segment(box).mean() < 0.05


def test_smote_needs_more_points_than_neighbours(rng):
    X = rng.standard_normal((20, 2))
    y = np.array([1] * 3 + [0] * 17)
    with pytest.raises(ValueError, match="class 1 has 3 examples"):
        smote(X, y, rng, k=5)
