"""The shared helpers of the experiment catalog."""

import numpy as np

from dlproof.data import _digits_raw, digits


def test_digits_file_equals_sklearn_loader():
    from sklearn.datasets import load_digits

    d = load_digits()
    X, y = _digits_raw()
    assert np.array_equal(X, d.data) and np.array_equal(y, d.target)
    Xs, ys = digits(np.float32)
    assert Xs.dtype == np.float32 and Xs.shape == (1797, 64)
    assert np.allclose(Xs.mean(0), 0, atol=1e-5)
    assert np.array_equal(ys, d.target)
