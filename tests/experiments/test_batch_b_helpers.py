"""Batch-B experiment helpers checked on their own (the generic test covers the claims)."""

from __future__ import annotations

import numpy as np
import pytest

from dlproof.experiments.catalog import _batch_b, depth_sawtooth, universal_approximation_relu


@pytest.mark.parametrize("scheme,expected_var", [
    ("xavier", 2.0 / (64 + 128)), ("he", 2.0 / 64), ("lecun", 1.0 / 64), ("normal:0.5", 0.25)])
def test_init_weights_variance(scheme, expected_var):
    (w,) = _batch_b.init_weights(np.random.default_rng(0), [64, 128], scheme)
    assert w.shape == (128, 64)  # (out, in) as nn.Linear
    assert abs(w.var() / expected_var - 1) < 0.05


def test_orthogonal_and_constant_init():
    (q,) = _batch_b.init_weights(np.random.default_rng(0), [32, 32], "orth:1")
    assert np.allclose(q @ q.T, np.eye(32), atol=1e-12)
    (c,) = _batch_b.init_weights(np.random.default_rng(0), [3, 2], "const:0.1")
    assert np.all(c == 0.1)


def test_mlp_cross_entropy_matches_numpy():
    rng = np.random.default_rng(1)
    net = _batch_b.MLP(_batch_b.init_weights(rng, [5, 4, 3], "xavier"), act="tanh")
    X = rng.normal(size=(7, 5))
    y = rng.integers(0, 3, 7)
    loss = _batch_b.cross_entropy(net(X), y)
    (W1, b1), (W2, b2) = [(w.data, b.data) for w, b in net.layers]
    z = np.tanh(X @ W1.T + b1) @ W2.T + b2
    logp = z - np.log(np.exp(z).sum(1, keepdims=True))
    assert abs(float(loss.data) + logp[np.arange(7), y].mean()) < 1e-12


def test_constructive_relu_net_is_the_interpolant():
    ua = universal_approximation_relu
    x = np.linspace(ua.A, ua.B, 1001)
    for n in (3, 10, 50):
        knots = np.linspace(ua.A, ua.B, n)
        g = ua.evaluate(ua.constructive_net(n), x)
        assert np.abs(g - np.interp(x, knots, ua.target(knots))).max() < 1e-10


def test_piece_and_region_counting():
    ds = depth_sawtooth
    grid = np.arange(2**10 + 1) / 2**10
    assert ds.count_pieces_on_grid(np.abs(grid - 0.5), 2.0**-10) == 2
    assert ds.count_pieces_on_grid(2 * grid, 2.0**-10) == 1
    for k in (1, 3, 6):
        assert ds.count_pieces_on_grid(ds.sawtooth_net(k, grid), 2.0**-10) == 2**k
    # one ReLU unit switching at x = 0.3 on a line: two regions
    line = np.linspace(0, 1, 101)[:, None]
    assert ds.count_regions_along([np.array([[1.0]])], [np.array([-0.3])], line) == 2
