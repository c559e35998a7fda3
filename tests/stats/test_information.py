"""dlproof.stats.information against scipy.stats (entropy, distributions' .entropy()) and closed forms."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import integrate, stats

from dlproof.stats import information as info


def rand_dists(rng, shape, k):
    return rng.dirichlet(np.ones(k), size=shape)


def test_discrete_against_scipy():
    rng = np.random.default_rng(0)
    P, Q = rand_dists(rng, 20, 7), rand_dists(rng, 20, 7)
    np.testing.assert_allclose(info.entropy(P), stats.entropy(P, axis=-1), rtol=1e-13)
    np.testing.assert_allclose(info.kl_divergence(P, Q), stats.entropy(P, Q, axis=-1), rtol=1e-12)
    np.testing.assert_allclose(info.entropy(P, base=2), stats.entropy(P, base=2, axis=-1), rtol=1e-13)
    np.testing.assert_allclose(info.cross_entropy(P, Q),
                               info.entropy(P) + info.kl_divergence(P, Q), rtol=1e-13)


def test_zero_conventions_and_infinity():
    p = np.array([0.5, 0.5, 0.0])
    q = np.array([0.25, 0.25, 0.5])
    assert info.entropy(p) == pytest.approx(math.log(2))
    assert info.kl_divergence(p, q) == pytest.approx(math.log(2))
    assert info.kl_divergence(q, p) == np.inf  # p has no mass where q does
    assert info.cross_entropy(q, p) == np.inf
    assert info.kl_divergence(p, p) == 0.0


def test_bad_input_is_named():
    with pytest.raises(ValueError, match="sum to 1"):
        info.entropy([0.5, 0.6])
    with pytest.raises(ValueError, match="non-negative"):
        info.entropy([-0.1, 1.1])
    with pytest.raises(ValueError, match="same number of outcomes"):
        info.kl_divergence([0.5, 0.5], [1 / 3, 1 / 3, 1 / 3])
    with pytest.raises(ValueError, match="var"):
        info.gaussian_entropy(0.0)


def test_gaussian_kl_matches_quadrature():
    m1, v1, m2, v2 = 0.3, 0.7, -1.1, 2.3
    p, q = stats.norm(m1, math.sqrt(v1)), stats.norm(m2, math.sqrt(v2))
    num, _ = integrate.quad(lambda x: p.pdf(x) * (p.logpdf(x) - q.logpdf(x)), -30, 30)
    assert info.gaussian_kl(m1, v1, m2, v2) == pytest.approx(num, rel=1e-9)
    assert info.gaussian_kl(m1, v1, m1, v1) == 0.0


def test_differential_entropies_against_scipy():
    assert info.gaussian_entropy(2.5) == pytest.approx(stats.norm(scale=math.sqrt(2.5)).entropy())
    assert info.laplace_entropy(0.7) == pytest.approx(stats.laplace(scale=0.7).entropy())
    assert info.uniform_entropy(3.0) == pytest.approx(stats.uniform(scale=3.0).entropy())
    assert info.logistic_entropy(0.4) == pytest.approx(stats.logistic(scale=0.4).entropy())
    assert info.student_t_entropy(5.0, 0.8) == pytest.approx(stats.t(5.0, scale=0.8).entropy(), rel=1e-10)
    cov = np.array([[2.0, 0.3], [0.3, 0.5]])
    assert info.mvn_entropy(cov) == pytest.approx(stats.multivariate_normal(cov=cov).entropy())


def test_unit_variance_table_is_unit_variance_and_gaussian_is_max():
    h = info.unit_variance_entropies(5.0)
    frozen = {"gaussian": stats.norm(), "logistic": stats.logistic(scale=math.sqrt(3) / math.pi),
              "student-t(5)": stats.t(5.0, scale=math.sqrt(3 / 5)), "laplace": stats.laplace(scale=2**-0.5),
              "uniform": stats.uniform(scale=math.sqrt(12))}
    for name, d in frozen.items():
        assert d.var() == pytest.approx(1.0)
        assert h[name] == pytest.approx(d.entropy(), rel=1e-10)
    assert max(h, key=h.get) == "gaussian"
    assert h["gaussian"] == pytest.approx(1.4189385332, abs=1e-9)


def test_generalized_normal_entropy_against_scipy():
    for beta in (0.7, 1.0, 2.0, 3.5):
        d = stats.gennorm(beta)
        var = d.var()
        assert info.generalized_normal_entropy(beta, var) == pytest.approx(d.entropy(), rel=1e-10)
    assert info.generalized_normal_entropy(2.0) == pytest.approx(info.gaussian_entropy(1.0))
    assert info.generalized_normal_entropy(1.0) == pytest.approx(info.laplace_entropy(2**-0.5))
