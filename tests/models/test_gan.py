"""GAN losses: gradients against central finite differences and their closed forms (with negative
controls), the saturation of the minimax generator loss, D* = p_data / (p_data + p_g) as the
pointwise maximiser and V(D*, G) = 2 JSD - log 4, and the networks' shapes."""

from __future__ import annotations

import numpy as np
import pytest

from dlproof.engine import tensor
from dlproof.models import gan


def loss_grad(loss_fn, logits):
    t = tensor(logits, requires_grad=True)
    loss = loss_fn(t)
    loss.backward()
    return float(loss.numpy()), t.grad.copy()


def fd(loss_fn, logits, eps=1e-6):
    g = np.zeros_like(logits)
    for i in range(logits.shape[0]):            # test loop over a few logits
        e = np.zeros_like(logits)
        e[i, 0] = eps
        up, down = float(loss_fn(tensor(logits + e)).numpy()), float(loss_fn(tensor(logits - e)).numpy())
        g[i, 0] = (up - down) / (2 * eps)
    return g


def sig(x):
    return 1 / (1 + np.exp(-x))


@pytest.mark.parametrize("which", ["minimax", "non_saturating"])
def test_generator_loss_gradients_fd_closed_form_and_negative_control(which):
    rng = np.random.default_rng(0)
    l = rng.normal(0, 2, (7, 1))
    fn = gan.generator_loss_minimax if which == "minimax" else gan.generator_loss_non_saturating
    _, g = loss_grad(fn, l)
    assert np.abs(g - fd(fn, l)).max() < 1e-8
    D = sig(l)
    closed = -D / len(l) if which == "minimax" else -(1 - D) / len(l)
    wrong = -(1 - D) / len(l) if which == "minimax" else -D / len(l)   # the other loss's formula
    assert np.abs(g - closed).max() < 1e-12
    assert np.abs(g - wrong).max() > 1e-2


def test_discriminator_loss_gradient_and_value():
    rng = np.random.default_rng(1)
    lr, lf = rng.normal(0, 2, (5, 1)), rng.normal(0, 2, (6, 1))
    r, f = tensor(lr, requires_grad=True), tensor(lf, requires_grad=True)
    loss = gan.discriminator_loss(r, f)
    loss.backward()
    bce = -np.mean(np.log(sig(lr))) - np.mean(np.log(1 - sig(lf)))
    assert abs(float(loss.numpy()) - bce) < 1e-12
    assert np.abs(r.grad - (-(1 - sig(lr)) / 5)).max() < 1e-12
    assert np.abs(f.grad - sig(lf) / 6).max() < 1e-12
    assert np.abs(f.grad - fd(lambda t: gan.discriminator_loss(tensor(lr), t), lf)).max() < 1e-8
    assert np.abs(f.grad - (-sig(lf) / 6)).max() > 1e-2           # negative control: sign flipped


def test_minimax_saturates_where_non_saturating_does_not():
    l = np.full((4, 1), -8.0)                    # D(G(z)) = 3e-4: the discriminator rejects confidently
    _, g_mm = loss_grad(gan.generator_loss_minimax, l)
    _, g_ns = loss_grad(gan.generator_loss_non_saturating, l)
    assert np.abs(g_mm).max() < 1e-3 * np.abs(g_ns).max()
    # both losses have the same fixed points in G: their logit gradients have the same sign
    l2 = np.random.default_rng(2).normal(0, 3, (9, 1))
    assert np.all(np.sign(loss_grad(gan.generator_loss_minimax, l2)[1])
                  == np.sign(loss_grad(gan.generator_loss_non_saturating, l2)[1]))


def normal_pdf(x, m, s):
    return np.exp(-0.5 * ((x - m) / s) ** 2) / (s * np.sqrt(2 * np.pi))


def test_optimal_discriminator_maximises_value_and_gives_jsd():
    x = np.linspace(-12, 12, 24001)
    dx = x[1] - x[0]
    p = 0.5 * normal_pdf(x, -2, 0.5) + 0.5 * normal_pdf(x, 2, 0.5)
    q = normal_pdf(x, 0.5, 1.5)
    d_star = gan.optimal_discriminator(p, q)

    def value(d):
        return float(np.sum(p * np.log(d) + q * np.log(1 - d)) * dx)

    v_star = value(d_star)
    assert abs(v_star - gan.value_at_optimal_discriminator(p, q, dx)) < 1e-9
    rng = np.random.default_rng(3)
    for _ in range(5):                           # any perturbation of D* lowers V
        d = np.clip(d_star + 0.05 * rng.normal(size=x.shape) * d_star * (1 - d_star), 1e-12, 1 - 1e-12)
        assert value(d) < v_star
    assert abs(v_star - (2 * gan.jensen_shannon(p, q, dx) - np.log(4))) < 1e-9
    # JSD is 0 exactly when p_g = p_data (value -log 4), and log 2 for disjoint supports
    assert abs(gan.value_at_optimal_discriminator(p, p, dx) + np.log(4)) < 1e-9
    a, b = np.where(x < 0, 1 / 12, 0.0), np.where(x >= 0, 1 / 12, 0.0)
    assert abs(gan.jensen_shannon(a, b, dx) - np.log(2)) < 1e-3
    with pytest.raises(ValueError, match="differ in shape"):
        gan.optimal_discriminator(p, q[:-1])


def test_networks_shapes_and_bad_logits():
    rng = np.random.default_rng(4)
    m = gan.GAN(data_dim=2, noise_dim=3, hidden=8, generator=rng)
    z = m.sample_noise(5, rng)
    x = m.G(tensor(z))
    assert tuple(x.shape) == (5, 2)
    assert tuple(m.D_logit(x).shape) == (5, 1)
    with pytest.raises(ValueError, match=r"logits must be \(n, 1\)"):
        gan.generator_loss_minimax(tensor(np.zeros(5)))
    with pytest.raises(ValueError, match="sizes must be >= 1"):
        gan.GAN(data_dim=0, noise_dim=3, hidden=8, generator=rng)


def test_wasserstein_1d_matches_scipy_and_shift():
    scipy_stats = pytest.importorskip("scipy.stats")
    rng = np.random.default_rng(5)
    a, b = rng.normal(0, 1, 500), rng.standard_t(3, 500) + 0.7
    assert abs(gan.wasserstein_1d(a, b) - scipy_stats.wasserstein_distance(a, b)) < 1e-12
    assert abs(gan.wasserstein_1d(a[:, None], a + 2.5) - 2.5) < 1e-12    # a pure shift costs its length
    assert gan.wasserstein_1d(a, rng.permutation(a)) == 0.0
    with pytest.raises(ValueError, match="equal length"):
        gan.wasserstein_1d(a, b[:-1])
