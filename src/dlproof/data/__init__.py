"""Offline datasets: sklearn's bundled 8x8 digits and small synthetic generators.

Nothing here downloads. Every generator takes an explicit ``numpy.random.Generator``, so the same
seed gives the same data.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np


@lru_cache(maxsize=1)
def _digits_raw() -> tuple[np.ndarray, np.ndarray]:
    """sklearn's bundled digits file, read directly: the same arrays as ``load_digits()`` (a test
    checks it) without importing scikit-learn, which costs seconds."""
    import importlib.util
    from pathlib import Path

    spec = importlib.util.find_spec("sklearn")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("the digits dataset ships with scikit-learn: pip install scikit-learn")
    path = Path(spec.submodule_search_locations[0]) / "datasets" / "data" / "digits.csv.gz"
    data = np.loadtxt(path, delimiter=",")
    X, y = data[:, :-1], data[:, -1].astype(np.int64)
    X.flags.writeable = False
    y.flags.writeable = False
    return X, y


def digits(dtype=np.float64, standardize: bool = True, n: int | None = None,
           rng: np.random.Generator | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The 1797 handwritten digits: X (N, 64) pixel intensities 0..16, y (N,) int64 labels 0..9.

    ``standardize`` z-scores every pixel over the full set ((x - mean) / std; constant pixels stay
    0). ``n`` keeps a random subset of n examples, drawn with ``rng`` (default: seed 0).
    """
    X, y = _digits_raw()
    X = X.astype(np.float64)
    if standardize:
        std = X.std(axis=0)
        X = (X - X.mean(axis=0)) / np.where(std > 0, std, 1.0)
    y = y.copy()
    if n is not None:
        idx = (rng if rng is not None else np.random.default_rng(0)).permutation(len(X))[:n]
        X, y = X[idx], y[idx]
    return X.astype(dtype), y


def xor_blobs(n: int, rng: np.random.Generator, noise: float = 0.25):
    """XOR as four Gaussian blobs at (+-1, +-1): X (n, 2), y (n,) = 1 where the signs differ."""
    centers = np.array([[1, 1], [-1, -1], [1, -1], [-1, 1]], dtype=np.float64)
    k = rng.integers(0, 4, n)
    X = centers[k] + noise * rng.standard_normal((n, 2))
    return X, (k >= 2).astype(np.int64)


def two_moons(n: int, rng: np.random.Generator, noise: float = 0.12):
    """Two interleaved half circles, standardised: X (n, 2), y (n,) in {0, 1}."""
    k = rng.integers(0, 2, n)
    t = rng.uniform(0, np.pi, n)
    X = np.where(k[:, None] == 0,
                 np.c_[np.cos(t), np.sin(t)],
                 np.c_[1 - np.cos(t), 0.5 - np.sin(t)])
    X = X + noise * rng.standard_normal((n, 2))
    return (X - X.mean(0)) / X.std(0), k.astype(np.int64)
