"""Rebalancing a training set: random over- and undersampling and SMOTE (Chawla et al. 2002).

All take X (N, d), y (N,) integer labels and a ``numpy.random.Generator`` and return a new
(X, y) in which every class has as many examples as the largest (oversampling, SMOTE) or the
smallest (undersampling) class. The input arrays are never modified.
"""

from __future__ import annotations

import numpy as np


def _check(X, y):
    X, y = np.asarray(X), np.asarray(y)
    if X.ndim != 2 or y.shape != (len(X),):
        raise ValueError(f"resampling needs X (N, d) and y (N,), got {X.shape} and {y.shape}")
    return X, y


def random_oversample(X, y, rng: np.random.Generator):
    """Duplicate examples of the smaller classes (drawn with replacement) up to the largest count."""
    X, y = _check(X, y)
    classes, counts = np.unique(y, return_counts=True)
    extra = [rng.choice(np.flatnonzero(y == c), counts.max() - n) for c, n in zip(classes, counts)]
    idx = np.r_[np.arange(len(y)), np.concatenate(extra)].astype(np.int64)
    return X[idx], y[idx]


def random_undersample(X, y, rng: np.random.Generator):
    """Keep a random subset of every class, of the smallest class's size (discards data)."""
    X, y = _check(X, y)
    classes, counts = np.unique(y, return_counts=True)
    idx = np.concatenate([rng.choice(np.flatnonzero(y == c), counts.min(), replace=False) for c in classes])
    return X[idx], y[idx]


def smote(X, y, rng: np.random.Generator, k: int = 5):
    """SMOTE: for each new minority example pick a minority point x_i, one of its k nearest minority
    neighbours x_j (Euclidean), and u ~ U(0, 1); the new point is x_i + u (x_j − x_i), on the segment.
    Classes smaller than the largest are filled up to its count; the originals are kept."""
    X, y = _check(X, y)
    X = X.astype(np.float64)
    classes, counts = np.unique(y, return_counts=True)
    new_X, new_y = [X], [y]
    for c, n in zip(classes, counts):
        need = counts.max() - n
        if need == 0:
            continue
        if n <= k:
            raise ValueError(f"smote: class {c.item()!r} has {n} examples, needs more than k = {k}")
        M = X[y == c]
        d2 = np.sum(M**2, 1)[:, None] + np.sum(M**2, 1)[None, :] - 2 * M @ M.T
        np.fill_diagonal(d2, np.inf)
        neighbours = np.argpartition(d2, k, axis=1)[:, :k]   # (n, k) k nearest, unordered
        i = rng.integers(0, n, need)
        j = neighbours[i, rng.integers(0, k, need)]
        u = rng.random((need, 1))
        new_X.append(M[i] + u * (M[j] - M[i]))
        new_y.append(np.full(need, c, dtype=y.dtype))
    return np.concatenate(new_X), np.concatenate(new_y)
