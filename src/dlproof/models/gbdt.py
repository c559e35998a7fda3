r"""Gradient-boosted regression trees for binary classification (Friedman 2001), in NumPy.

Model: raw score :math:`F(x) = F_0 + \nu \sum_m f_m(x)`, :math:`p(y=1\mid x) = \sigma(F(x))`, each
:math:`f_m` a depth-limited regression tree. Boosting on the log-loss
:math:`\ell = -y\log p - (1-y)\log(1-p)`:

* initial score :math:`F_0 = \log(\bar y / (1-\bar y))` (the prior log-odds);
* each round fits a least-squares tree to the negative gradient :math:`r_i = y_i - p_i`;
* each leaf then takes one Newton step, :math:`\gamma = \sum_{i\in\text{leaf}} r_i /
  \sum_{i\in\text{leaf}} p_i(1-p_i)` (gradient over Hessian of the log-loss),
* and :math:`F \leftarrow F + \nu\,\gamma_{\text{leaf}(x)}`.

This is the algorithm of scikit-learn's ``GradientBoostingClassifier`` (log-loss, no subsampling);
the tests check that the two agree. Splits: exhaustive search over all features and all midpoints
between consecutive distinct values, maximising the squared-error reduction
:math:`S_L^2/n_L + S_R^2/n_R - S^2/n` (S: residual sums), which equals
:math:`\frac{n_L n_R}{n}(\bar r_L-\bar r_R)^2`, Friedman's criterion. A sample goes left when
:math:`x_j \le t`.
"""

from __future__ import annotations

import numpy as np

__all__ = ["RegressionTree", "GradientBoostingClassifier"]


def _check_X(X, n_features: int | None = None, where: str = "") -> np.ndarray:
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2:
        raise ValueError(f"{where}: X must be 2-D (n_samples, n_features), got shape {X.shape}")
    if n_features is not None and X.shape[1] != n_features:
        raise ValueError(f"{where}: X has {X.shape[1]} features, the model was fit with {n_features}")
    if not np.isfinite(X).all():
        raise ValueError(f"{where}: X contains NaN or inf")
    return X


class RegressionTree:
    """Least-squares regression tree grown depth-first to ``max_depth``.

    ``fit(X, r)``: X (n, d), targets r (n,). Leaf values are the mean of r, or, when ``leaf_value``
    is given, ``leaf_value(rows)`` for the integer row indices of each leaf (boosting's Newton
    step). Arrays ``feature``, ``threshold``, ``left``, ``right``, ``value`` hold the nodes
    (``feature = -1`` at a leaf). ``predict(X)`` (n,), ``apply(X)`` the leaf index (n,).
    """

    def __init__(self, max_depth: int = 3, min_samples_leaf: int = 1):
        if max_depth < 1 or min_samples_leaf < 1:
            raise ValueError(f"RegressionTree: max_depth ({max_depth}) and min_samples_leaf "
                             f"({min_samples_leaf}) must be >= 1")
        self.max_depth, self.min_samples_leaf = int(max_depth), int(min_samples_leaf)

    def _best_split(self, X: np.ndarray, r: np.ndarray):
        """Best (gain, feature, threshold) over all features at once, or None if no valid split."""
        n = X.shape[0]
        order = np.argsort(X, axis=0, kind="stable")                 # (n, d) per-feature sort
        xs = np.take_along_axis(X, order, 0)
        cs = np.cumsum(r[order], axis=0)[:-1]                        # S_L for n_L = 1..n-1
        n_l = np.arange(1, n, dtype=np.float64)[:, None]
        total = r.sum()
        # S_L^2/n_L + S_R^2/n_R - S^2/n: the reduction of the sum of squared errors
        gain = cs**2 / n_l + (total - cs) ** 2 / (n - n_l) - total**2 / n
        ok = (xs[1:] > xs[:-1]) & (n_l >= self.min_samples_leaf) & (n - n_l >= self.min_samples_leaf)
        gain = np.where(ok, gain, -np.inf)
        k, j = np.unravel_index(np.argmax(gain), gain.shape)
        if not np.isfinite(gain[k, j]) or gain[k, j] <= 1e-12 * max(1.0, float(r @ r)):
            return None
        return gain[k, j], int(j), 0.5 * (xs[k, j] + xs[k + 1, j])   # midpoint, as scikit-learn

    def fit(self, X, r, leaf_value=None) -> RegressionTree:
        X = _check_X(X, where="RegressionTree.fit")
        r = np.asarray(r, dtype=np.float64)
        if r.shape != (X.shape[0],):
            raise ValueError(f"RegressionTree.fit: r must have shape ({X.shape[0]},), got {r.shape}")
        self.n_features = X.shape[1]
        feature, threshold, left, right, value = [], [], [], [], []

        def grow(rows: np.ndarray, depth: int) -> int:               # recursion over nodes
            node = len(feature)
            feature.append(-1), threshold.append(0.0), left.append(-1), right.append(-1)
            value.append(float(r[rows].mean()) if leaf_value is None else float(leaf_value(rows)))
            split = self._best_split(X[rows], r[rows]) if depth < self.max_depth and rows.size > 1 else None
            if split is not None:
                _, j, t = split
                go_left = X[rows, j] <= t
                feature[node], threshold[node] = j, t
                left[node] = grow(rows[go_left], depth + 1)
                right[node] = grow(rows[~go_left], depth + 1)
            return node

        grow(np.arange(X.shape[0]), 0)
        self.feature, self.threshold = np.array(feature), np.array(threshold)
        self.left, self.right, self.value = np.array(left), np.array(right), np.array(value)
        return self

    def apply(self, X) -> np.ndarray:
        X = _check_X(X, self.n_features, "RegressionTree.apply")
        node = np.zeros(X.shape[0], dtype=np.int64)
        rows = np.arange(X.shape[0])
        for _ in range(self.max_depth):                              # one level per pass
            f = self.feature[node]
            inner = f >= 0
            go_left = X[rows, np.maximum(f, 0)] <= self.threshold[node]
            node = np.where(inner, np.where(go_left, self.left[node], self.right[node]), node)
        return node

    def predict(self, X) -> np.ndarray:
        return self.value[self.apply(X)]


class GradientBoostingClassifier:
    """Binary gradient boosting with log-loss and Newton leaf values (see the module docstring).

    ``fit(X, y)``: X (n, d), y (n,) in {0, 1}. ``decision_function(X)`` the raw score F (n,),
    ``predict_proba(X)`` (n, 2), ``predict(X)`` (n,) in {0, 1}.
    """

    def __init__(self, n_estimators: int = 100, learning_rate: float = 0.1, max_depth: int = 3,
                 min_samples_leaf: int = 1):
        if n_estimators < 1 or not learning_rate > 0:
            raise ValueError(f"GradientBoostingClassifier: n_estimators ({n_estimators}) must be >= 1 and "
                             f"learning_rate ({learning_rate}) > 0")
        self.n_estimators, self.learning_rate = int(n_estimators), float(learning_rate)
        self.max_depth, self.min_samples_leaf = max_depth, min_samples_leaf

    def fit(self, X, y) -> GradientBoostingClassifier:
        X = _check_X(X, where="GradientBoostingClassifier.fit")
        y = np.asarray(y)
        if y.shape != (X.shape[0],) or not np.isin(y, (0, 1)).all():
            raise ValueError(f"GradientBoostingClassifier.fit: y must be (n,) = ({X.shape[0]},) with values "
                             f"in {{0, 1}}, got shape {y.shape}")
        y = y.astype(np.float64)
        ybar = y.mean()
        if ybar in (0.0, 1.0):
            raise ValueError("GradientBoostingClassifier.fit: y has a single class")
        self.n_features = X.shape[1]
        self.init_ = float(np.log(ybar / (1 - ybar)))                  # prior log-odds F_0
        F = np.full(X.shape[0], self.init_)
        self.trees_ = []
        for _ in range(self.n_estimators):                             # boosting rounds
            p = 1.0 / (1.0 + np.exp(-F))
            r = y - p                                                  # negative gradient of the log-loss
            h = p * (1 - p)                                            # its Hessian

            def newton(rows, r=r, h=h):                                # gamma = sum r / sum p(1-p)
                den = h[rows].sum()
                return r[rows].sum() / den if den > 1e-150 else 0.0

            tree = RegressionTree(self.max_depth, self.min_samples_leaf).fit(X, r, leaf_value=newton)
            F = F + self.learning_rate * tree.predict(X)
            self.trees_.append(tree)
        return self

    def decision_function(self, X) -> np.ndarray:
        X = _check_X(X, getattr(self, "n_features", None), "GradientBoostingClassifier.decision_function")
        if not hasattr(self, "trees_"):
            raise RuntimeError("GradientBoostingClassifier: call fit before predicting")
        return self.init_ + self.learning_rate * sum(t.predict(X) for t in self.trees_)

    def predict_proba(self, X) -> np.ndarray:
        p = 1.0 / (1.0 + np.exp(-self.decision_function(X)))
        return np.stack([1 - p, p], axis=1)

    def predict(self, X) -> np.ndarray:
        return (self.decision_function(X) > 0).astype(np.int64)
