"""Gradient-boosted trees: parity with scikit-learn's DecisionTreeRegressor and
GradientBoostingClassifier on continuous data (no split ties), the split search against brute force,
a negative control (mean-of-residual leaves instead of the Newton step must not match), and errors.
Inputs are float32-representable because scikit-learn's trees compare float32 copies of X."""

from __future__ import annotations

import numpy as np
import pytest

from dlproof.models.gbdt import GradientBoostingClassifier, RegressionTree


def data(seed=0, n=300, d=5):
    rng = np.random.default_rng(seed)
    # float32-representable inputs: scikit-learn's trees split on float32 copies of X
    X = rng.normal(size=(n, d)).astype(np.float32).astype(np.float64)
    logit = 2 * np.sin(2 * X[:, 0]) + (X[:, 1] > 0.3) - X[:, 2] * X[:, 3]
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    return X, y


def test_tree_matches_sklearn(oracle):
    tree_mod = oracle("sklearn.tree")
    X, _ = data(1)
    r = np.random.default_rng(2).normal(size=X.shape[0]) + X[:, 0] ** 2
    for depth, leaf in [(1, 1), (3, 5), (4, 5)]:   # leaves >= 5: no two features give one partition
        ours = RegressionTree(depth, leaf).fit(X, r)
        ref = tree_mod.DecisionTreeRegressor(max_depth=depth, min_samples_leaf=leaf, random_state=0).fit(X, r)
        Xt = np.random.default_rng(3).normal(size=(200, X.shape[1])).astype(np.float32).astype(np.float64)
        np.testing.assert_allclose(ours.predict(X), ref.predict(X), atol=1e-12)
        np.testing.assert_allclose(ours.predict(Xt), ref.predict(Xt), atol=1e-12)


def test_boosting_matches_sklearn(oracle):
    ens = oracle("sklearn.ensemble")
    X, y = data(0)
    Xt, _ = data(5, n=100)
    # min_samples_leaf 5: in tiny nodes two features can cut off the same sample (an exact tie that
    # scikit-learn breaks by a random feature order)
    ours = GradientBoostingClassifier(30, 0.2, 3, min_samples_leaf=5).fit(X, y)
    ref = ens.GradientBoostingClassifier(n_estimators=30, learning_rate=0.2, max_depth=3, min_samples_leaf=5,
                                         random_state=0).fit(X, y)
    np.testing.assert_allclose(ours.decision_function(Xt), ref.decision_function(Xt), atol=1e-8)
    np.testing.assert_allclose(ours.predict_proba(Xt), ref.predict_proba(Xt), atol=1e-8)
    np.testing.assert_array_equal(ours.predict(X), ref.predict(X))


def test_plain_mean_leaves_do_not_match_sklearn(oracle):
    """Negative control: the same trees with mean-of-residual leaves (no Newton step) differ."""
    ens = oracle("sklearn.ensemble")
    X, y = data(0)
    ref = ens.GradientBoostingClassifier(n_estimators=10, learning_rate=0.2, max_depth=3,
                                         random_state=0).fit(X, y)
    F = np.full(len(y), np.log(y.mean() / (1 - y.mean())))
    for _ in range(10):
        p = 1 / (1 + np.exp(-F))
        F = F + 0.2 * RegressionTree(3).fit(X, y - p).predict(X)
    assert np.abs(F - ref.decision_function(X)).max() > 1e-2


def test_split_is_the_brute_force_best():
    rng = np.random.default_rng(4)
    X, r = rng.normal(size=(40, 3)), rng.normal(size=40)
    tree = RegressionTree(1).fit(X, r)
    best = -np.inf
    for j in range(3):
        for t in np.unique(X[:, j])[:-1]:
            m = X[:, j] <= t
            sse = ((r[m] - r[m].mean()) ** 2).sum() + ((r[~m] - r[~m].mean()) ** 2).sum()
            best = max(best, ((r - r.mean()) ** 2).sum() - sse)
    pred = tree.predict(X)
    assert ((r - r.mean()) ** 2).sum() - ((r - pred) ** 2).sum() == pytest.approx(best, rel=1e-10)


def test_boosting_fits_axis_aligned_xor():
    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, (400, 4))
    y = ((X[:, 0] > 0.2) ^ (X[:, 1] > -0.3)).astype(int)
    assert (GradientBoostingClassifier(50, 0.3, 2).fit(X, y).predict(X) == y).mean() > 0.98


def test_bad_input_errors():
    X, y = data(0, n=20)
    with pytest.raises(ValueError, match="2-D"):
        RegressionTree().fit(X[:, 0], y)
    with pytest.raises(ValueError, match=r"\{0, 1\}"):
        GradientBoostingClassifier().fit(X, y + 1)
    with pytest.raises(ValueError, match="single class"):
        GradientBoostingClassifier().fit(X, np.zeros(20, int))
    with pytest.raises(ValueError, match="features"):
        GradientBoostingClassifier(2).fit(X, y).predict(X[:, :2])
    with pytest.raises(RuntimeError, match="fit"):
        GradientBoostingClassifier().decision_function(X)
    with pytest.raises(ValueError, match="max_depth"):
        RegressionTree(0)
