"""Fully visible Boltzmann machine: brute-force log p~, the three objectives' gradients against
central finite differences (with negative controls), log Z's gradient as the model expectation,
pseudo-likelihood's Z-independence and consistency, NCE's learned normaliser."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import minimize

from dlproof.models import boltzmann as bm
from dlproof.models.rbm import all_binary_states, sigmoid

D = 5


def fd_grad(f, theta, eps=1e-6):
    return np.array([(f(theta + eps * e) - f(theta - eps * e)) / (2 * eps) for e in np.eye(theta.size)])


def rel_err(a, b):
    return np.abs(a - b).max() / max(np.abs(a).max(), np.abs(b).max(), 1e-12)


def setup(seed=0, n=200):
    rng = np.random.default_rng(seed)
    theta = rng.normal(0, 0.7, bm.n_params(D))
    X = (rng.random((n, D)) < 0.4).astype(float)
    return rng, theta, X


def test_log_ptilde_matches_explicit_energy():
    rng, theta, X = setup()
    h, J = bm.unpack(theta, D)
    assert np.allclose(J, J.T) and np.all(np.diag(J) == 0)
    explicit = np.array([x @ h + sum(J[i, j] * x[i] * x[j] for i in range(D) for j in range(i + 1, D))
                         for x in X[:20]])                  # test loop: the double sum written out
    assert np.allclose(bm.log_ptilde(X[:20], theta), explicit, atol=1e-12)


def test_log_z_gradient_is_model_expectation_and_negative_control():
    _, theta, _ = setup(1)
    fd = fd_grad(lambda t: bm.log_partition(t, D), theta)
    assert rel_err(fd, bm.model_expectation(theta, D)) < 1e-8
    # negative control: the *uniform* average of T(x) is not the gradient
    S = all_binary_states(D)
    wrong = bm.sufficient_stats(S, np.full(len(S), 1.0 / len(S)))
    assert rel_err(fd, wrong) > 1e-2


@pytest.mark.parametrize("which", ["nll", "pl", "nce"])
def test_objective_gradients_match_finite_differences(which):
    rng, theta, X = setup(2)
    if which == "nll":
        f = lambda t: bm.neg_log_likelihood(t, X)          # noqa: E731
        t0 = theta
    elif which == "pl":
        f = lambda t: bm.neg_pseudo_log_likelihood(t, X)   # noqa: E731
        t0 = theta
    else:
        q = np.full(D, 0.4)
        Y = (rng.random((600, D)) < q).astype(float)

        def log_q(Z):
            return Z @ np.log(q) + (1 - Z) @ np.log(1 - q)

        f = lambda t: bm.neg_nce(t, X, Y, log_q)           # noqa: E731
        t0 = np.concatenate([theta, [-1.3]])
    val, grad = f(t0)
    fd = fd_grad(lambda t: f(t)[0], t0)
    assert rel_err(fd, grad) < 1e-7
    # negative control: dropping the symmetric half of the coupling gradient fails the same check
    wrong = grad.copy()
    wrong[D:bm.n_params(D)] *= 0.5
    assert rel_err(fd, wrong) > 1e-3


def test_nll_gradient_negative_phase_regression():
    """Forgetting the negative phase (only E_data[T]) is the classic mistake: it fails the FD check."""
    _, theta, X = setup(3)
    _, grad = bm.neg_log_likelihood(theta, X)
    fd = fd_grad(lambda t: bm.neg_log_likelihood(t, X)[0], theta)
    positive_only = -bm.sufficient_stats(X, np.full(len(X), 1.0 / len(X)))
    assert rel_err(fd, grad) < 1e-7 and rel_err(fd, positive_only) > 1e-2


def test_pseudo_likelihood_conditionals_and_z_independence():
    _, theta, X = setup(4)
    h, J = bm.unpack(theta, D)
    S = all_binary_states(D)
    lp = bm.log_ptilde(S, theta)
    p = np.exp(lp - np.logaddexp.reduce(lp))
    x = X[0]
    for i in range(D):                   # p(x_i = 1 | x_-i) by enumeration vs sigmoid(A_i)
        x1, x0 = x.copy(), x.copy()
        x1[i], x0[i] = 1, 0
        i1 = int("".join(str(int(b)) for b in x1), 2)
        i0 = int("".join(str(int(b)) for b in x0), 2)
        assert abs(p[i1] / (p[i1] + p[i0]) - sigmoid(h[i] + J[i] @ x)) < 1e-12
    # the objective is the explicit sum of conditional log-probabilities (no Z anywhere)
    A = h + X @ J
    explicit = -np.mean(np.sum(np.where(X == 1, np.log(sigmoid(A)), np.log(1 - sigmoid(A))), axis=1))
    assert abs(bm.neg_pseudo_log_likelihood(theta, X)[0] - explicit) < 1e-10


def test_pseudo_likelihood_and_nce_recover_the_true_model():
    rng = np.random.default_rng(5)
    theta_true = rng.normal(0, 0.6, bm.n_params(D))
    S = all_binary_states(D)
    lp = bm.log_ptilde(S, theta_true)
    p = np.exp(lp - np.logaddexp.reduce(lp))
    X = S[rng.choice(len(S), 40000, p=p)]
    t_pl = minimize(bm.neg_pseudo_log_likelihood, np.zeros(bm.n_params(D)), args=(X,), jac=True).x
    assert np.abs(t_pl - theta_true).max() < 0.12
    q = X.mean(0)
    Y = (rng.random((40000, D)) < q).astype(float)

    def log_q(Z):
        return Z @ np.log(q) + (1 - Z) @ np.log(1 - q)

    t_nce = minimize(bm.neg_nce, np.zeros(bm.n_params(D) + 1), args=(X, Y, log_q), jac=True).x
    assert np.abs(t_nce[:-1] - theta_true).max() < 0.15
    assert abs(t_nce[-1] + bm.log_partition(t_nce[:-1], D)) < 0.05
    assert bm.kl_to_model(p, t_pl, D) < 2e-3 and bm.kl_to_model(p, theta_true, D) < 1e-12


def test_bad_shapes_raise_clear_errors():
    _, theta, X = setup()
    with pytest.raises(ValueError, match="theta must have shape"):
        bm.unpack(theta[:-1], D)
    with pytest.raises(ValueError, match=r"X must be a 2-D"):
        bm.neg_pseudo_log_likelihood(theta, X.reshape(-1))
    with pytest.raises(ValueError, match="theta must have shape"):
        bm.neg_log_likelihood(theta, X[:, :4])
    with pytest.raises(ValueError, match=r"Y must be \(N, 5\)"):
        bm.neg_nce(np.zeros(bm.n_params(D) + 1), X, X[:, :4], lambda Z: np.zeros(len(Z)))
