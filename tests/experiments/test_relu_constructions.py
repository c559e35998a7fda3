"""The constructive ReLU networks of the universal-approximation and depth experiments."""

from __future__ import annotations

import numpy as np

from dlproof.experiments.catalog import depth_sawtooth, universal_approximation_relu


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
