"""Semi-supervised classification: graph label propagation and spreading, and self-training.

All methods take a label vector y (N,) in which **-1 marks an unlabelled example** (scikit-learn's
convention); the classes are the distinct values of y other than -1. Y (N, C) is the one-hot matrix
of the labelled rows (zero rows for the unlabelled ones), F (N, C) the soft label matrix.

## The graph

``affinity(X, kernel, gamma, n_neighbors)`` -> W (N, N):

* ``"rbf"``: W_ij = exp(-gamma ||x_i - x_j||^2), a dense graph (self-loops W_ii = 1);
* ``"knn"``: W_ij = 1 if x_j is among the n_neighbors nearest points of x_i (x_i itself counts as
  the first), else 0. Not symmetric. Both as scikit-learn builds them.

## Label propagation (Zhu & Ghahramani 2002)

Random-walk matrix T = D^{-1} W, D = diag(W 1). The iteration, from F = Y,

    F <- row_normalise(T F),    then clamp the labelled rows back to Y,

converges to the harmonic function (Zhu, Ghahramani & Lafferty 2003): F_u = (T F)_u on the
unlabelled rows, i.e. with the rows ordered (labelled l, unlabelled u)

    F_u = (I - T_uu)^{-1} T_ul Y_l,

the minimiser of the graph energy (1/2) sum_ij W_ij ||F_i - F_j||^2 with F_l = Y_l fixed.
With very few labels the harmonic function can give one class most of the mass; class mass
normalisation (Zhu, Ghahramani & Lafferty 2003) rescales column c of F_u so that the classes
receive masses in proportion q_c (default: the class frequencies among the labelled points),
``class_mass_normalise``: F_uc <- q_c F_uc / sum_u F_uc.

## Label spreading (Zhou, Bousquet, Lal, Weston & Schoelkopf 2004)

S = D^{-1/2} W' D^{-1/2}, with W' = W without its diagonal and D the column sums of W' (as
``scipy.sparse.csgraph.laplacian(normed=True)``; for a symmetric W that is the degree). From F = Y,

    F <- alpha S F + (1 - alpha) Y,

whose fixed point is

    F* = (1 - alpha) (I - alpha S)^{-1} Y,

the minimiser of sum_ij W_ij ||F_i / sqrt(d_i) - F_j / sqrt(d_j)||^2 / 2 + mu sum_i ||F_i - Y_i||^2
with alpha = 1 / (1 + mu): labelled points may change their label (soft clamping), which makes it
robust to label noise. The series converges for 0 < alpha < 1 since the spectrum of S is in [-1, 1].

Both classes end as scikit-learn does: rows of F normalised to sum 1 (``label_distributions_``),
``transduction_`` = argmax label. ``method="iterative"`` runs scikit-learn's loop (stop when
sum |F_t - F_{t-1}| < tol, at most max_iter steps), so the tests compare against
``sklearn.semi_supervised`` to rounding; ``method="closed_form"`` solves the fixed point exactly.
``predict_proba(X_new)`` extends F inductively: p(c | x) ∝ sum_j k(x, x_j) F_jc (rbf), or the sum of
F over the n_neighbors nearest training points (knn).

## Self-training / pseudo-labelling (Yarowsky 1995; Lee 2013)

``SelfTraining(make_model, threshold, criterion, k_best, max_iter)``: fit a fresh classifier on the
labelled set; predict the unlabelled points; add those whose top probability is > threshold (or the
k_best most confident) with their predicted labels; repeat until nothing is added, everything is
labelled, or max_iter rounds; refit on the final set. The same loop as scikit-learn's
``SelfTrainingClassifier`` (a test runs both with the same base model). It trusts the model's own
confident mistakes: it helps only where confidence tracks correctness (the cluster assumption).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from dlproof.stats.kernels import sq_dists

__all__ = ["affinity", "one_hot_labels", "propagation_matrix", "spreading_matrix",
           "harmonic_solution", "class_mass_normalise", "spreading_solution",
           "LabelPropagation", "LabelSpreading",
           "SelfTraining"]


def _check_X(X, op: str) -> np.ndarray:
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or X.shape[0] == 0:
        raise ValueError(f"{op}: X must be a non-empty 2-D array (N, d), got shape {X.shape}")
    if not np.all(np.isfinite(X)):
        raise ValueError(f"{op}: X contains NaN or inf")
    return X


def one_hot_labels(y, n: int | None = None, op: str = "one_hot_labels"):
    """(classes (C,), Y (N, C), labelled mask (N,)) for y (N,) with -1 = unlabelled.

    Raises if y is not 1-D integers (of length n when given), or has fewer than 2 classes."""
    y = np.asarray(y)
    if y.ndim != 1 or (n is not None and y.shape[0] != n):
        raise ValueError(f"{op}: y must be 1-D of length {n}, got shape {y.shape}")
    if not np.issubdtype(y.dtype, np.integer):
        if not np.all(np.mod(y, 1) == 0):
            raise ValueError(f"{op}: y must hold integer class labels (-1 = unlabelled)")
        y = y.astype(np.int64)
    if np.any(y < -1):
        raise ValueError(f"{op}: labels must be >= 0, or -1 for unlabelled; got {int(y.min())}")
    labelled = y != -1
    classes = np.unique(y[labelled])
    if len(classes) < 2:
        raise ValueError(f"{op}: need labelled examples of at least 2 classes, got {len(classes)} "
                         f"({int(labelled.sum())} labelled points)")
    Y = (y[:, None] == classes[None, :]).astype(np.float64)      # zero rows where y = -1
    return classes, Y, labelled


def affinity(X, kernel: str = "rbf", gamma: float = 20.0, n_neighbors: int = 7) -> np.ndarray:
    """Dense affinity matrix W (N, N) of X (N, d); see the module docstring."""
    X = _check_X(X, "affinity")
    D2 = sq_dists(X)                                             # ||x_i - x_j||^2, exact 0 diagonal
    if kernel == "rbf":
        if not gamma > 0:
            raise ValueError(f"affinity: gamma must be > 0, got {gamma}")
        return np.exp(-gamma * D2)
    if kernel == "knn":
        n = X.shape[0]
        if not (isinstance(n_neighbors, (int, np.integer)) and 1 <= n_neighbors <= n):
            raise ValueError(f"affinity: n_neighbors must be an integer in [1, {n}], got {n_neighbors}")
        np.fill_diagonal(D2, -1.0)                               # each point is its own first neighbour
        nearest = np.argpartition(D2, n_neighbors - 1, axis=1)[:, :n_neighbors]
        W = np.zeros((n, n))
        W[np.arange(n)[:, None], nearest] = 1.0
        return W
    raise ValueError(f"affinity: kernel must be 'rbf' or 'knn', got {kernel!r}")


def propagation_matrix(W: np.ndarray) -> np.ndarray:
    """T = D^{-1} W with D = diag(W 1): each row a probability distribution over neighbours."""
    d = W.sum(axis=1)
    if np.any(d <= 0):
        raise ValueError("propagation_matrix: a node has no edges (zero row in W); "
                         "increase n_neighbors or lower gamma")
    return W / d[:, None]


def spreading_matrix(W: np.ndarray) -> np.ndarray:
    """S = D^{-1/2} W' D^{-1/2}, W' = W with zero diagonal, d_j = sum_i W'_ij (isolated: d = 1)."""
    Wp = W.copy()
    np.fill_diagonal(Wp, 0.0)
    d = Wp.sum(axis=0)
    r = 1.0 / np.sqrt(np.where(d > 0, d, 1.0))
    return r[:, None] * Wp * r[None, :]


def _normalise_rows(F: np.ndarray) -> np.ndarray:
    s = F.sum(axis=1, keepdims=True)
    return F / np.where(s == 0, 1.0, s)


def harmonic_solution(T, Y: np.ndarray, labelled: np.ndarray) -> np.ndarray:
    """F (N, C): F_l = Y_l and F_u = (I - T_uu)^{-1} T_ul Y_l (the fixed point of propagation).

    T (N, N) dense or ``scipy.sparse``; a sparse (or mostly zero dense) T is solved by sparse LU,
    which is what makes a 10-NN graph on thousands of points cheap."""
    from scipy import sparse
    from scipy.sparse.csgraph import connected_components

    labelled = np.asarray(labelled, dtype=bool)
    if sparse.issparse(T) or np.count_nonzero(T) < 0.05 * T.size:
        T = sparse.csr_matrix(T)
    n_comp, comp = connected_components(T, directed=True, connection="weak")
    reached = np.zeros(n_comp, dtype=bool)
    reached[comp[labelled]] = True
    if not reached.all():
        raise ValueError(f"harmonic_solution: {int((~reached).sum())} connected component(s) of the "
                         "graph hold no labelled point, so I - T_uu is singular; connect the graph "
                         "(more neighbours, smaller gamma) or label a point there")
    u, lab = np.flatnonzero(~labelled), np.flatnonzero(labelled)
    F = np.array(Y, dtype=np.float64)
    if sparse.issparse(T):
        from scipy.sparse.linalg import spsolve
        rows = T[u]
        rhs = np.asarray(rows[:, lab] @ F[lab])                    # T_ul Y_l
        A = (sparse.identity(len(u)) - rows[:, u]).tocsc()        # I - T_uu
        F[u] = np.asarray(spsolve(A, rhs)).reshape(rhs.shape)
    else:
        rhs = T[np.ix_(u, lab)] @ F[lab]
        F[u] = np.linalg.solve(np.eye(len(u)) - T[np.ix_(u, u)], rhs)
    return F


def class_mass_normalise(F: np.ndarray, labelled: np.ndarray, q=None) -> np.ndarray:
    """F (N, C) with the unlabelled rows' columns rescaled: F_uc <- q_c F_uc / sum_u F_uc.

    q (C,) the desired class proportions, default the column means of F over the labelled rows.
    The labelled rows are returned unchanged."""
    F = np.asarray(F, dtype=np.float64)
    labelled = np.asarray(labelled, dtype=bool)
    if F.ndim != 2 or labelled.shape != (F.shape[0],):
        raise ValueError(f"class_mass_normalise: F must be (N, C) and labelled (N,), got {F.shape} "
                         f"and {labelled.shape}")
    q = F[labelled].mean(axis=0) if q is None else np.asarray(q, dtype=np.float64)
    if q.shape != (F.shape[1],) or np.any(q < 0):
        raise ValueError(f"class_mass_normalise: q must be ({F.shape[1]},) non-negative, got {q.shape}")
    mass = F[~labelled].sum(axis=0)
    out = F.copy()
    out[~labelled] *= q / np.where(mass > 0, mass, 1.0)
    return out


def spreading_solution(S: np.ndarray, Y: np.ndarray, alpha: float) -> np.ndarray:
    """F* = (1 - alpha) (I - alpha S)^{-1} Y, (N, C) (not row-normalised)."""
    return (1.0 - alpha) * np.linalg.solve(np.eye(S.shape[0]) - alpha * S, Y)


class _GraphSSL:
    """Shared fit/predict of LabelPropagation and LabelSpreading (see the module docstring)."""

    _variant = ""

    def __init__(self, kernel: str = "rbf", gamma: float = 20.0, n_neighbors: int = 7,
                 max_iter: int = 1000, tol: float = 1e-3, method: str = "iterative"):
        if method not in ("iterative", "closed_form"):
            raise ValueError(f"{type(self).__name__}: method must be 'iterative' or 'closed_form', "
                             f"got {method!r}")
        if not (isinstance(max_iter, (int, np.integer)) and max_iter >= 1):
            raise ValueError(f"{type(self).__name__}: max_iter must be an integer >= 1, got {max_iter}")
        self.kernel, self.gamma, self.n_neighbors = kernel, gamma, n_neighbors
        self.max_iter, self.tol, self.method = max_iter, tol, method

    def _step(self, G, F, Y0, labelled):                          # one iteration
        raise NotImplementedError

    def _graph(self, W):
        raise NotImplementedError

    def _closed(self, G, Y, labelled):
        raise NotImplementedError

    def fit(self, X, y):
        """X (N, d), y (N,) with -1 = unlabelled. Sets classes_, label_distributions_ (N, C),
        transduction_ (N,), n_iter_ (0 for the closed form)."""
        name = type(self).__name__
        X = _check_X(X, f"{name}.fit")
        self.classes_, Y, labelled = one_hot_labels(y, X.shape[0], f"{name}.fit")
        self.X_ = X
        G = self._graph(affinity(X, self.kernel, self.gamma, self.n_neighbors))
        if self.method == "closed_form":
            F, self.n_iter_ = self._closed(G, Y, labelled), 0
        else:
            F, prev = Y.copy(), np.zeros_like(Y)
            self.n_iter_ = self.max_iter
            for it in range(self.max_iter):                       # loop over iterations only
                if np.abs(F - prev).sum() < self.tol:             # sklearn's stopping rule
                    self.n_iter_ = it
                    break
                prev, F = F, self._step(G, F, Y, labelled)
        self.label_distributions_ = _normalise_rows(F)
        self.transduction_ = self.classes_[np.argmax(self.label_distributions_, axis=1)]
        return self

    def predict_proba(self, X) -> np.ndarray:
        """(M, C) class probabilities of new points X (M, d) from the fitted label distributions."""
        if not hasattr(self, "label_distributions_"):
            raise RuntimeError(f"{type(self).__name__}: call fit before predict_proba")
        X = _check_X(X, f"{type(self).__name__}.predict_proba")
        if X.shape[1] != self.X_.shape[1]:
            raise ValueError(f"{type(self).__name__}.predict_proba: fitted on {self.X_.shape[1]} "
                             f"features, got {X.shape[1]}")
        D2 = sq_dists(X, self.X_)
        if self.kernel == "rbf":
            P = np.exp(-self.gamma * D2) @ self.label_distributions_     # sum_j k(x, x_j) F_j
        else:
            nearest = np.argpartition(D2, self.n_neighbors - 1, axis=1)[:, :self.n_neighbors]
            P = self.label_distributions_[nearest].sum(axis=1)           # sum over the k nearest
        return _normalise_rows(P)

    def predict(self, X) -> np.ndarray:
        P = self.predict_proba(X)
        return self.classes_[np.argmax(P, axis=1)]


class LabelPropagation(_GraphSSL):
    """Hard-clamped label propagation (harmonic function); defaults as scikit-learn
    (rbf, gamma 20, n_neighbors 7, max_iter 1000, tol 1e-3)."""

    _variant = "propagation"

    def _graph(self, W):
        return propagation_matrix(W)

    def _step(self, T, F, Y, labelled):
        F = _normalise_rows(T @ F)                                # F <- row_normalise(T F)
        return np.where(labelled[:, None], Y, F)                  # clamp the labelled rows

    def _closed(self, T, Y, labelled):
        return harmonic_solution(T, Y, labelled)


class LabelSpreading(_GraphSSL):
    """Soft-clamped label spreading with clamping factor alpha in (0, 1); defaults as
    scikit-learn (rbf, gamma 20, n_neighbors 7, alpha 0.2, max_iter 30, tol 1e-3)."""

    _variant = "spreading"

    def __init__(self, kernel: str = "rbf", gamma: float = 20.0, n_neighbors: int = 7,
                 alpha: float = 0.2, max_iter: int = 30, tol: float = 1e-3, method: str = "iterative"):
        if not 0.0 < alpha < 1.0:
            raise ValueError(f"LabelSpreading: alpha must be in (0, 1), got {alpha}")
        super().__init__(kernel, gamma, n_neighbors, max_iter, tol, method)
        self.alpha = alpha

    def _graph(self, W):
        return spreading_matrix(W)

    def _step(self, S, F, Y, labelled):
        return self.alpha * (S @ F) + (1.0 - self.alpha) * Y      # F <- alpha S F + (1 - alpha) Y

    def _closed(self, S, Y, labelled):
        return spreading_solution(S, Y, self.alpha)


def _proba_matrix(model, X) -> tuple[np.ndarray, np.ndarray]:
    """(P (N, C), classes (C,)) from ``model.predict_proba``; a 1-D output is read as p(y = 1)."""
    P = np.asarray(model.predict_proba(X), dtype=np.float64)
    if P.ndim == 1:
        P = np.c_[1.0 - P, P]
    classes = np.asarray(getattr(model, "classes_", np.arange(P.shape[1])))
    return P, classes


class SelfTraining:
    """Self-training (pseudo-labelling) around any classifier (see the module docstring).

    ``make_model()`` returns an unfitted classifier with ``fit(X, y)`` and ``predict_proba(X)``
    ((N, C) over ``model.classes_``, or over 0..C-1 without that attribute; or (N,) = p(y = 1)).
    After :meth:`fit`: ``model_`` (fitted on the final labelled set), ``transduction_`` (N,) labels
    used (-1 = never pseudo-labelled), ``labeled_iter_`` (N,) the round in which each point got its
    label (0 = given, -1 = never), ``n_iter_``, ``termination_condition_``.
    """

    def __init__(self, make_model: Callable, threshold: float = 0.75, criterion: str = "threshold",
                 k_best: int = 10, max_iter: int | None = 10):
        if not callable(make_model):
            raise ValueError("SelfTraining: make_model must be a callable returning a fresh classifier")
        if criterion not in ("threshold", "k_best"):
            raise ValueError(f"SelfTraining: criterion must be 'threshold' or 'k_best', got {criterion!r}")
        if not 0.0 <= threshold < 1.0:
            raise ValueError(f"SelfTraining: threshold must be in [0, 1), got {threshold}")
        if criterion == "k_best" and not (isinstance(k_best, (int, np.integer)) and k_best >= 1):
            raise ValueError(f"SelfTraining: k_best must be an integer >= 1, got {k_best}")
        if max_iter is not None and not (isinstance(max_iter, (int, np.integer)) and max_iter >= 1):
            raise ValueError(f"SelfTraining: max_iter must be None or an integer >= 1, got {max_iter}")
        self.make_model, self.threshold, self.criterion = make_model, threshold, criterion
        self.k_best, self.max_iter = k_best, max_iter

    def fit(self, X, y) -> SelfTraining:
        X = _check_X(X, "SelfTraining.fit")
        one_hot_labels(y, X.shape[0], "SelfTraining.fit")           # validates y
        y = np.asarray(y).astype(np.int64)
        has = y != -1
        self.transduction_ = y.copy()
        self.labeled_iter_ = np.where(has, 0, -1)
        self.n_iter_, self.termination_condition_ = 0, "all_labeled"
        while not has.all() and (self.max_iter is None or self.n_iter_ < self.max_iter):
            self.n_iter_ += 1
            model = self.make_model().fit(X[has], self.transduction_[has])
            P, classes = _proba_matrix(model, X[~has])
            pred, conf = classes[P.argmax(axis=1)], P.max(axis=1)
            if self.criterion == "threshold":
                chosen = np.flatnonzero(conf > self.threshold)      # strictly above, as sklearn
            else:
                k = min(self.k_best, len(conf))
                chosen = np.arange(len(conf)) if k == len(conf) else np.argpartition(-conf, k)[:k]
            full = np.flatnonzero(~has)[chosen]
            self.transduction_[full] = pred[chosen]
            has[full] = True
            self.labeled_iter_[full] = self.n_iter_
            if len(full) == 0:
                self.termination_condition_ = "no_change"
                break
        if self.n_iter_ == self.max_iter:
            self.termination_condition_ = "max_iter"
        if has.all():
            self.termination_condition_ = "all_labeled"
        self.model_ = self.make_model().fit(X[has], self.transduction_[has])
        return self

    def predict_proba(self, X) -> np.ndarray:
        if not hasattr(self, "model_"):
            raise RuntimeError("SelfTraining: call fit before predict_proba")
        return _proba_matrix(self.model_, X)[0]

    def predict(self, X) -> np.ndarray:
        if not hasattr(self, "model_"):
            raise RuntimeError("SelfTraining: call fit before predict")
        P, classes = _proba_matrix(self.model_, X)
        return classes[P.argmax(axis=1)]
