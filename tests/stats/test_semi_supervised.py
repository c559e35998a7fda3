"""dlproof.stats.semi_supervised against scikit-learn's LabelPropagation, LabelSpreading and
SelfTrainingClassifier, the closed forms against the iterations, and bad input."""

import warnings

import numpy as np
import pytest

from dlproof.data import two_moons
from dlproof.stats.logistic import LogisticRegression
from dlproof.stats.semi_supervised import (
    LabelPropagation,
    LabelSpreading,
    SelfTraining,
    affinity,
    class_mass_normalise,
    harmonic_solution,
    one_hot_labels,
    propagation_matrix,
    spreading_matrix,
)

sk_ssl = pytest.importorskip("sklearn.semi_supervised")


def moons_few_labels(n=160, n_lab=8, seed=0):
    rng = np.random.default_rng(seed)
    X, y = two_moons(n, rng)
    yl = np.full(n, -1)
    idx = np.r_[rng.choice(np.flatnonzero(y == 0), n_lab // 2, replace=False),
                rng.choice(np.flatnonzero(y == 1), n_lab // 2, replace=False)]
    yl[idx] = y[idx]
    return X, y, yl


def sk_fit(cls, X, y, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")                      # ConvergenceWarning at small max_iter
        return cls(**kw).fit(X, y)


@pytest.mark.parametrize("kernel,kw", [("rbf", {"gamma": 5.0}), ("rbf", {"gamma": 30.0}),
                                       ("knn", {"n_neighbors": 7})])
@pytest.mark.parametrize("max_iter", [1, 5, 1000])
def test_label_propagation_matches_sklearn(kernel, kw, max_iter):
    X, _, yl = moons_few_labels(seed=max_iter)
    ref = sk_fit(sk_ssl.LabelPropagation, X, yl, kernel=kernel, max_iter=max_iter, **kw)
    ours = LabelPropagation(kernel=kernel, max_iter=max_iter, **kw).fit(X, yl)
    np.testing.assert_allclose(ours.label_distributions_, ref.label_distributions_, atol=1e-12)
    np.testing.assert_array_equal(ours.transduction_, ref.transduction_)
    assert ours.n_iter_ == ref.n_iter_
    Xn = np.random.default_rng(1).standard_normal((15, 2))
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        want = ref.predict_proba(Xn)          # 0/0 = NaN where no neighbour carries a label yet
    ok = np.isfinite(want).all(axis=1)
    np.testing.assert_allclose(ours.predict_proba(Xn)[ok], want[ok], atol=1e-12)


@pytest.mark.parametrize("kernel,kw", [("rbf", {"gamma": 5.0}), ("knn", {"n_neighbors": 5})])
@pytest.mark.parametrize("alpha,max_iter", [(0.2, 30), (0.5, 3), (0.9, 200), (0.99, 1000)])
def test_label_spreading_matches_sklearn(kernel, kw, alpha, max_iter):
    X, _, yl = moons_few_labels(seed=int(alpha * 100))
    ref = sk_fit(sk_ssl.LabelSpreading, X, yl, kernel=kernel, alpha=alpha, max_iter=max_iter, **kw)
    ours = LabelSpreading(kernel=kernel, alpha=alpha, max_iter=max_iter, **kw).fit(X, yl)
    np.testing.assert_allclose(ours.label_distributions_, ref.label_distributions_, atol=1e-12)
    np.testing.assert_array_equal(ours.transduction_, ref.transduction_)
    assert ours.n_iter_ == ref.n_iter_
    Xn = np.random.default_rng(2).standard_normal((15, 2))
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        want = ref.predict_proba(Xn)
    ok = np.isfinite(want).all(axis=1)
    np.testing.assert_allclose(ours.predict_proba(Xn)[ok], want[ok], atol=1e-12)


def test_multiclass_labels_are_kept():
    rng = np.random.default_rng(3)
    centres = np.array([[0.0, 0.0], [4.0, 0.0], [0.0, 4.0]])
    k = rng.integers(0, 3, 150)
    X = centres[k] + 0.5 * rng.standard_normal((150, 2))
    labels = np.array([2, 5, 9])[k]
    yl = np.full(150, -1)
    for c in range(3):
        i = np.flatnonzero(k == c)[:2]
        yl[i] = labels[i]
    ref = sk_fit(sk_ssl.LabelSpreading, X, yl, gamma=1.0)
    ours = LabelSpreading(gamma=1.0).fit(X, yl)
    np.testing.assert_array_equal(ours.classes_, [2, 5, 9])
    np.testing.assert_allclose(ours.label_distributions_, ref.label_distributions_, atol=1e-12)
    assert np.mean(ours.transduction_ == labels) > 0.95


def test_propagation_closed_form_is_the_converged_iteration_and_harmonic():
    X, _, yl = moons_few_labels(n=120, seed=4)
    it = LabelPropagation(gamma=3.0, max_iter=100_000, tol=1e-13).fit(X, yl)
    cf = LabelPropagation(gamma=3.0, method="closed_form").fit(X, yl)
    np.testing.assert_allclose(cf.label_distributions_, it.label_distributions_, atol=1e-9)
    classes, Y, lab = one_hot_labels(yl)
    T = propagation_matrix(affinity(X, gamma=3.0))
    F = harmonic_solution(T, Y, lab)
    np.testing.assert_allclose((T @ F)[~lab], F[~lab], atol=1e-12)   # harmonic: F_u = (T F)_u
    np.testing.assert_array_equal(F[lab], Y[lab])                    # hard clamping
    np.testing.assert_allclose(F.sum(1), 1.0, atol=1e-12)            # already a distribution


def test_spreading_closed_form_is_the_fixed_point():
    X, _, yl = moons_few_labels(n=120, seed=5)
    alpha = 0.9
    it = LabelSpreading(gamma=3.0, alpha=alpha, max_iter=100_000, tol=1e-13).fit(X, yl)
    cf = LabelSpreading(gamma=3.0, alpha=alpha, method="closed_form").fit(X, yl)
    np.testing.assert_allclose(cf.label_distributions_, it.label_distributions_, atol=1e-9)
    _, Y, _ = one_hot_labels(yl)
    S = spreading_matrix(affinity(X, gamma=3.0))
    Fs = (1 - alpha) * np.linalg.solve(np.eye(len(X)) - alpha * S, Y)
    np.testing.assert_allclose(alpha * S @ Fs + (1 - alpha) * Y, Fs, atol=1e-12)
    assert np.abs(np.linalg.eigvalsh(S)).max() <= 1 + 1e-12          # the series converges


def test_spreading_matrix_matches_scipy_normalised_laplacian():
    from scipy.sparse.csgraph import laplacian
    rng = np.random.default_rng(6)
    W = affinity(rng.standard_normal((30, 3)), "knn", n_neighbors=4)     # not symmetric
    L = laplacian(W, normed=True)
    np.fill_diagonal(L, 0.0)
    np.testing.assert_allclose(spreading_matrix(W), -L, atol=1e-14)


def test_knn_affinity_matches_sklearn_graph():
    from sklearn.neighbors import NearestNeighbors
    X = np.random.default_rng(7).standard_normal((40, 3))
    nn = NearestNeighbors(n_neighbors=6).fit(X)
    ref = nn.kneighbors_graph(X, 6, mode="connectivity").toarray()
    np.testing.assert_array_equal(affinity(X, "knn", n_neighbors=6), ref)


def test_semi_supervised_beats_labelled_only_on_moons():
    X, y, yl = moons_few_labels(n=400, n_lab=6, seed=8)
    lp = LabelPropagation(kernel="knn", n_neighbors=10, method="closed_form").fit(X, yl)
    assert np.mean(lp.transduction_ == y) > 0.97


@pytest.mark.parametrize("criterion", ["threshold", "k_best"])
def test_self_training_matches_sklearn(criterion):
    from sklearn.linear_model import LogisticRegression as SkLR
    from sklearn.semi_supervised import SelfTrainingClassifier
    X, _, yl = moons_few_labels(n=200, n_lab=10, seed=9)
    kw = dict(threshold=0.8, criterion=criterion, k_best=15, max_iter=6)
    ref = SelfTrainingClassifier(SkLR(C=10.0), **kw).fit(X, yl)
    ours = SelfTraining(lambda: SkLR(C=10.0), **kw).fit(X, yl)
    np.testing.assert_array_equal(ours.transduction_, ref.transduction_)
    np.testing.assert_array_equal(ours.labeled_iter_, ref.labeled_iter_)
    assert ours.n_iter_ == ref.n_iter_
    assert ours.termination_condition_ == ref.termination_condition_
    np.testing.assert_allclose(ours.predict_proba(X), ref.predict_proba(X), atol=1e-12)


def test_self_training_with_binary_logistic_and_dlproof_model():
    X, y, yl = moons_few_labels(n=200, n_lab=10, seed=10)
    st = SelfTraining(lambda: LogisticRegression(l2=1e-3), threshold=0.9, max_iter=None).fit(X, yl)
    assert st.n_iter_ >= 1 and st.termination_condition_ in ("no_change", "all_labeled")
    got = st.transduction_ != -1
    assert got.sum() > (yl != -1).sum()                       # it did add pseudo-labels
    assert np.all(st.labeled_iter_[yl != -1] == 0)
    assert st.predict(X).shape == (200,) and st.predict_proba(X).shape == (200, 2)


@pytest.mark.parametrize("call,match", [
    (lambda X, y: LabelPropagation().fit(X, y[:-1]), "length"),
    (lambda X, y: LabelPropagation().fit(X, np.where(y == 1, -1, y)), "at least 2 classes"),
    (lambda X, y: LabelPropagation().fit(X, np.full_like(y, -1)), "at least 2 classes"),
    (lambda X, y: LabelPropagation().fit(X, np.where(y == 1, -3, y)), "-1 for unlabelled"),
    (lambda X, y: LabelPropagation().fit(X, y + 0.5), "integer"),
    (lambda X, y: LabelPropagation(kernel="poly").fit(X, y), "kernel must be"),
    (lambda X, y: LabelPropagation(kernel="knn", n_neighbors=0).fit(X, y), "n_neighbors"),
    (lambda X, y: LabelPropagation(gamma=-1.0).fit(X, y), "gamma"),
    (lambda X, y: LabelPropagation(method="exact"), "method"),
    (lambda X, y: LabelPropagation(max_iter=0), "max_iter"),
    (lambda X, y: LabelSpreading(alpha=1.0), "alpha"),
    (lambda X, y: LabelPropagation().fit(X[:, 0], y), "2-D"),
    (lambda X, y: LabelPropagation().fit(np.where(X > 1, np.nan, X), y), "NaN"),
    (lambda X, y: LabelPropagation().predict(X), "call fit"),
    (lambda X, y: LabelPropagation().fit(X, y).predict(X[:, :1]), "features"),
    (lambda X, y: SelfTraining(LogisticRegression, threshold=1.0), "threshold"),
    (lambda X, y: SelfTraining(LogisticRegression, criterion="top"), "criterion"),
    (lambda X, y: SelfTraining(LogisticRegression, criterion="k_best", k_best=0), "k_best"),
    (lambda X, y: SelfTraining(None), "callable"),
    (lambda X, y: SelfTraining(LogisticRegression).predict(X), "call fit"),
])
def test_bad_input(call, match):
    X, _, yl = moons_few_labels(n=40, n_lab=4, seed=11)
    with pytest.raises((ValueError, RuntimeError), match=match):
        call(X, yl)


def test_closed_form_names_an_unlabelled_component():
    X = np.r_[np.zeros((5, 2)) + np.arange(5)[:, None] * 0.01,
              np.zeros((5, 2)) + 100 + np.arange(5)[:, None] * 0.01]
    y = np.array([0, 1, -1, -1, -1, -1, -1, -1, -1, -1])
    with pytest.raises(ValueError, match="connected component"):
        LabelPropagation(kernel="knn", n_neighbors=3, method="closed_form").fit(X, y)


def test_class_mass_normalisation_sets_the_class_masses():
    X, _, yl = moons_few_labels(n=120, n_lab=4, seed=12)
    classes, Y, lab = one_hot_labels(yl)
    F = harmonic_solution(propagation_matrix(affinity(X, "knn", n_neighbors=8)), Y, lab)
    G = class_mass_normalise(F, lab)
    np.testing.assert_allclose(G[~lab].sum(0) / G[~lab].sum(), [0.5, 0.5], atol=1e-12)
    np.testing.assert_array_equal(G[lab], F[lab])
    G = class_mass_normalise(F, lab, q=[0.2, 0.8])
    np.testing.assert_allclose(G[~lab].sum(0), [0.2, 0.8], atol=1e-12)
    with pytest.raises(ValueError, match="q must be"):
        class_mass_normalise(F, lab, q=[1.0])


def test_harmonic_solution_sparse_equals_dense():
    from scipy.sparse import csr_matrix
    X, _, yl = moons_few_labels(n=150, n_lab=6, seed=13)
    _, Y, lab = one_hot_labels(yl)
    T = propagation_matrix(affinity(X, "knn", n_neighbors=6))
    dense = harmonic_solution(T, Y, lab)                      # 4% non-zeros: the sparse path
    np.testing.assert_allclose(harmonic_solution(csr_matrix(T), Y, lab), dense, atol=1e-12)
    Tr = propagation_matrix(affinity(X, "rbf", gamma=2.0))    # dense path
    np.testing.assert_allclose(harmonic_solution(csr_matrix(Tr), Y, lab), harmonic_solution(Tr, Y, lab),
                               atol=1e-10)
