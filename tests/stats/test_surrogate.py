import numpy as np
import pytest
from scipy import stats
from scipy.optimize import minimize_scalar

from dlproof.stats.surrogate import (
    SURROGATES,
    conditional_risk_minimizer,
    es_gradient,
    es_pair_estimates,
    margins,
    score_function_gradient,
    smoothed_zero_one,
    surrogate_loss,
    zero_one_loss,
)


def _fd(f, x, eps=1e-6):
    g = np.zeros_like(x)
    for i in range(x.size):
        e = np.zeros_like(x)
        e[i] = eps
        g[i] = (f(x + e) - f(x - e)) / (2 * eps)
    return g


def _blobs(rng, n=40, d=5):
    y = np.where(rng.random(n) < 0.5, -1.0, 1.0)
    X = rng.standard_normal((n, d)) + 0.7 * y[:, None]
    return X, y


@pytest.mark.parametrize("name", SURROGATES)
def test_surrogates_upper_bound_zero_one(name):
    m = np.linspace(-5, 5, 2001)
    phi, _ = surrogate_loss(name, m)
    assert np.all(phi >= zero_one_loss(m) - 1e-12)
    assert surrogate_loss(name, 0.0)[0] == pytest.approx(1.0)


@pytest.mark.parametrize("name", SURROGATES)
def test_surrogate_derivative_fd(name):
    rng = np.random.default_rng(0)
    m = rng.uniform(-3, 3, 50)
    m = m[np.abs(m - 1) > 1e-3]  # away from the hinge kink
    up = rng.standard_normal(m.shape)  # random upstream gradient
    _, d = surrogate_loss(name, m)
    fd = (surrogate_loss(name, m + 1e-6)[0] - surrogate_loss(name, m - 1e-6)[0]) / 2e-6
    assert np.allclose(up * d, up * fd, atol=1e-6)
    # negative control: the natural-log logistic derivative (missing 1/ln 2) must fail
    if name == "logistic":
        assert not np.allclose(up * d * np.log(2), up * fd, atol=1e-3)


def test_logistic_is_cross_entropy_in_bits():
    m = np.linspace(-30, 30, 61)
    p = 1 / (1 + np.exp(-m))  # probability of the true class
    assert np.allclose(surrogate_loss("logistic", m)[0], -np.log2(p))


@pytest.mark.parametrize("name", SURROGATES)
def test_conditional_risk_minimizer_matches_numeric(name):
    for eta in (0.1, 0.3, 0.45, 0.7, 0.95):
        def risk(a, eta=eta):
            return eta * surrogate_loss(name, a)[0] + (1 - eta) * surrogate_loss(name, -a)[0]
        res = minimize_scalar(risk, bounds=(-10, 10), method="bounded", options={"xatol": 1e-10})
        a = float(conditional_risk_minimizer(name, eta))
        assert risk(a) <= res.fun + 1e-7
        assert np.sign(a) == np.sign(2 * eta - 1)  # calibrated: the Bayes decision


def test_conditional_risk_bad_input():
    with pytest.raises(ValueError, match="eta"):
        conditional_risk_minimizer("logistic", 1.0)
    with pytest.raises(ValueError, match="unknown surrogate"):
        surrogate_loss("huber", 0.0)


def test_smoothed_zero_one_value_matches_monte_carlo_and_scipy():
    rng = np.random.default_rng(1)
    X, y = _blobs(rng)
    w = rng.standard_normal(5)
    sigma = 0.4
    val, _ = smoothed_zero_one(w, X, y, sigma)
    m = margins(w, X, y)
    oracle = stats.norm.cdf(-m / (sigma * np.linalg.norm(X, axis=1))).mean()
    assert val == pytest.approx(oracle, abs=1e-12)
    W = w + sigma * rng.standard_normal((200_000, 5))
    mc = zero_one_loss(margins(W, X, y)).mean()
    assert val == pytest.approx(mc, abs=3e-3)


def test_smoothed_zero_one_gradient_fd_and_negative_control():
    rng = np.random.default_rng(2)
    X, y = _blobs(rng)
    w = rng.standard_normal(5)
    up = rng.standard_normal()  # random upstream scalar
    _, g = smoothed_zero_one(w, X, y, 0.3)
    fd = _fd(lambda v: smoothed_zero_one(v, X, y, 0.3)[0], w)
    assert np.allclose(up * g, up * fd, atol=1e-8)
    wrong = -(X.T @ (y * 0.3)) / len(y)  # forgot the density factor
    assert not np.allclose(wrong, fd, atol=1e-3)


def test_smoothed_zero_one_bad_input():
    X = np.zeros((3, 2))
    with pytest.raises(ValueError, match="all-zero row"):
        smoothed_zero_one(np.ones(2), X, np.ones(3), 0.1)
    with pytest.raises(ValueError, match="sigma"):
        smoothed_zero_one(np.ones(2), np.ones((3, 2)), np.ones(3), 0.0)
    with pytest.raises(ValueError, match="-1 or \\+1"):
        margins(np.ones(2), np.ones((3, 2)), np.array([0, 1, 1]))


def test_es_on_quadratic_is_unbiased():
    rng = np.random.default_rng(3)
    d = 6
    A = rng.standard_normal((d, d))
    A = A @ A.T
    theta = rng.standard_normal(d)
    f = lambda T: 0.5 * np.einsum("kd,de,ke->k", T, A, T)
    # smoothed quadratic = f + sigma^2 tr(A)/2, whose gradient is A theta
    est = np.mean([es_gradient(f, theta, 0.5, 2000, rng) for _ in range(20)], axis=0)
    assert np.allclose(est, A @ theta, rtol=0.05, atol=0.05 * np.abs(A @ theta).max())


def test_es_on_step_matches_normal_cdf_gradient():
    """f = 1[a^T theta > c]; f_sigma = Phi((a^T theta - c) / (sigma ||a||)) (scipy is the oracle)."""
    rng = np.random.default_rng(4)
    a = np.array([1.0, -2.0, 0.5])
    c, sigma = 0.3, 0.7
    theta = np.array([0.2, 0.1, -0.4])
    f = lambda T: (T @ a > c).astype(float)
    s = sigma * np.linalg.norm(a)
    exact = stats.norm.pdf((a @ theta - c) / s) * a / s
    est = es_gradient(f, theta, sigma, 400_000, rng)
    assert np.allclose(est, exact, atol=0.01)
    # and the closed-form smoothed 0-1 loss agrees with the ES estimate on a classifier
    X, y = _blobs(rng, n=30, d=4)
    w = rng.standard_normal(4)
    _, g = smoothed_zero_one(w, X, y, 0.5)
    loss = lambda W: zero_one_loss(margins(W, X, y)).mean(axis=1)
    est = es_gradient(loss, w, 0.5, 200_000, rng)
    cos = est @ g / np.linalg.norm(est) / np.linalg.norm(g)
    assert cos > 0.995


def test_es_variance_linear_formula():
    rng = np.random.default_rng(5)
    d, N = 10, 8
    g = rng.standard_normal(d)
    errs = [np.sum((es_gradient(lambda T: T @ g, np.zeros(d), 0.1, N, rng) - g) ** 2)
            for _ in range(4000)]
    assert np.mean(errs) == pytest.approx((d + 1) * (g @ g) / N, rel=0.08)


def test_es_bad_input():
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="theta"):
        es_gradient(lambda T: T.sum(1), np.zeros((2, 2)), 0.1, 3, rng)
    with pytest.raises(ValueError, match="must return shape"):
        es_gradient(lambda T: T, np.zeros(2), 0.1, 3, rng)


def test_score_function_bernoulli_policy_exact_gradient():
    """Stochastic linear classifier: a = +1 w.p. sigma(x^T w); reward 1[a = y]. E[R] = sigma(y x^T w)."""
    rng = np.random.default_rng(6)
    x = np.array([0.5, -1.0, 2.0])
    w = np.array([0.3, 0.2, -0.1])
    y = 1.0
    z = x @ w
    p = 1 / (1 + np.exp(-y * z))
    exact = p * (1 - p) * y * x
    S = 400_000
    a = np.where(rng.random(S) < 1 / (1 + np.exp(-z)), 1.0, -1.0)
    R = (a == y).astype(float)
    glp = (1 / (1 + np.exp(a * z)))[:, None] * a[:, None] * x  # grad log sigma(a z)
    for b in (None, "leave-one-out"):
        est = score_function_gradient(R, glp, baseline=b)
        assert np.allclose(est, exact, atol=5e-3)
    # the baseline lowers the variance of a single-sample-pair estimate
    est_nb = (R[:, None] * glp)
    est_b = ((R - R.mean())[:, None] * glp)
    assert est_b.var(0).sum() < est_nb.var(0).sum()


def test_score_function_bad_input():
    with pytest.raises(ValueError, match="rewards"):
        score_function_gradient(np.ones(3), np.ones((2, 2)))
    with pytest.raises(ValueError, match=">= 2 samples"):
        score_function_gradient(np.ones(1), np.ones((1, 2)))


def test_es_pair_estimates_mean_is_es_gradient():
    f = lambda T: np.sin(T).sum(1)
    theta = np.array([0.3, -1.2, 0.5])
    pairs = es_pair_estimates(f, theta, 0.2, 50, np.random.default_rng(9))
    assert pairs.shape == (50, 3)
    assert np.allclose(pairs.mean(0), es_gradient(f, theta, 0.2, 50, np.random.default_rng(9)))
