"""Autoencoder family: the hand-derived penalties (KL sparsity, contractive, Gaussian KL) against
central differences, against the same penalty composed from engine primitives, and against PyTorch;
negative controls (the classic wrong backward of each fails the same check); the VAE's ELBO and
reparameterisation; corruption; the training loop."""

from __future__ import annotations

import numpy as np
import pytest

import dlproof.nn as nn
from dlproof.engine import gradcheck, tensor
from dlproof.models.autoencoder import (
    VAE,
    Autoencoder,
    ContractivePenalty,
    GaussianKL,
    KLSparsity,
    contractive_penalty,
    corrupt,
    fit,
    gaussian_kl,
    gaussian_kl_monte_carlo,
    jacobian_frobenius_sq,
    kl_sparsity,
    l1_sparsity,
)


def _codes(rng, shape=(6, 4)):
    return 1 / (1 + np.exp(-rng.normal(size=shape)))


# --- finite differences --------------------------------------------------------------------------

def test_kl_sparsity_gradcheck(rng):
    H = _codes(rng)
    assert gradcheck(lambda h: KLSparsity.apply(h, 0.1), [H]).ok


@pytest.mark.parametrize("activation", ["sigmoid", "tanh"])
def test_contractive_penalty_gradcheck(rng, activation):
    x, W, b = rng.normal(size=(5, 4)), rng.normal(size=(3, 4)), rng.normal(size=3)
    report = gradcheck(lambda x, W, b: ContractivePenalty.apply(x, W, b, activation), [x, W, b])
    assert report.ok, report


def test_gaussian_kl_gradcheck(rng):
    mu, lv = rng.normal(size=(4, 3)), rng.normal(size=(4, 3))
    report = gradcheck(lambda m, v: GaussianKL.apply(m, v), [mu, lv])
    assert report.ok, report


# --- negative controls: the classic mistakes fail the same check --------------------------------

class _ContractiveConstantSlope(ContractivePenalty):
    """Wrong: treats s'(a) as a constant, keeping only the gradient through ||W_j||^2."""

    @staticmethod
    def backward(ctx, g):
        x, W, S, dS, w = ctx.save
        N = x.shape[0]
        return np.zeros_like(x), (2.0 * g / N) * (S ** 2).sum(axis=0)[:, None] * W, np.zeros(W.shape[0]), None


class _GaussianKLNoMean(GaussianKL):
    """Wrong: forgets the 1/N of the batch mean in the backward."""

    @staticmethod
    def backward(ctx, g):
        mu, ev = ctx.save
        return g * mu, g * 0.5 * (ev - 1.0)


class _KLSparsityPerExample(KLSparsity):
    """Wrong: drops the d rho^_j / d H_nj = 1/N factor (every example gets the full KL slope)."""

    @staticmethod
    def backward(ctx, g):
        rho, rho_hat = ctx.rho, ctx.rho_hat
        slope = -rho / rho_hat + (1 - rho) / (1 - rho_hat)
        return np.broadcast_to(g * slope, (ctx.N, rho_hat.shape[0])).copy(), None


def test_wrong_backwards_fail_the_same_checks(rng):
    x, W, b = rng.normal(size=(5, 4)), rng.normal(size=(3, 4)), rng.normal(size=3)
    assert not gradcheck(lambda x, W, b: _ContractiveConstantSlope.apply(x, W, b, "sigmoid"), [x, W, b]).ok
    mu, lv = rng.normal(size=(4, 3)), rng.normal(size=(4, 3))
    assert not gradcheck(lambda m, v: _GaussianKLNoMean.apply(m, v), [mu, lv]).ok
    assert not gradcheck(lambda h: _KLSparsityPerExample.apply(h, 0.1), [_codes(rng)]).ok


# --- fused == composed from engine primitives --------------------------------------------------

def test_fused_penalties_equal_their_composed_forms(rng):
    H = tensor(_codes(rng), requires_grad=True)
    rho = 0.1
    rh = H.mean(dim=0)
    composed = (rho * (rho / rh).log() + (1 - rho) * ((1 - rho) / (1 - rh)).log()).sum()
    fused = kl_sparsity(H, rho)
    assert float(fused.data) == pytest.approx(float(composed.data), rel=1e-12)
    composed.backward()
    g_comp = H.grad.copy()
    H.grad = None
    fused.backward()
    np.testing.assert_allclose(H.grad, g_comp, rtol=1e-10)

    lin = nn.Linear(4, 3, generator=0).double()
    x = tensor(rng.normal(size=(5, 4)), requires_grad=True)
    h = (x @ lin.weight.T + lin.bias).sigmoid()
    comp = ((h * (1 - h)) ** 2 @ (lin.weight ** 2).sum(dim=1)).mean()
    comp.backward()
    g_comp = [x.grad.copy(), lin.weight.grad.copy(), lin.bias.grad.copy()]
    x.grad = lin.weight.grad = lin.bias.grad = None
    fused = contractive_penalty(x, lin)
    assert float(fused.data) == pytest.approx(float(comp.data), rel=1e-12)
    fused.backward()
    for a, b in zip([x.grad, lin.weight.grad, lin.bias.grad], g_comp):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-14)


def test_contractive_closed_form_is_the_jacobian_norm(rng):
    lin = nn.Linear(6, 4, generator=1).double()
    X = rng.normal(size=(7, 6))

    def enc(Z):
        return 1 / (1 + np.exp(-(Z @ lin.weight.data.T + lin.bias.data)))

    fd = jacobian_frobenius_sq(enc, X, eps=1e-5)
    assert float(contractive_penalty(X, lin).data) == pytest.approx(fd.mean(), rel=1e-7)


# --- PyTorch parity -------------------------------------------------------------------------------

def test_penalties_match_torch(torch, rng):
    D = torch.distributions
    H = _codes(rng)
    rho = 0.2
    Ht = torch.tensor(H, requires_grad=True)
    ref = D.kl_divergence(D.Bernoulli(torch.tensor(rho)), D.Bernoulli(Ht.mean(0))).sum()
    ref.backward()
    Hd = tensor(H, requires_grad=True)
    ours = kl_sparsity(Hd, rho)
    ours.backward()
    assert float(ours.data) == pytest.approx(ref.item(), rel=1e-12)
    np.testing.assert_allclose(Hd.grad, Ht.grad.numpy(), rtol=1e-10)

    mu, lv = rng.normal(size=(5, 3)), rng.normal(size=(5, 3))
    mt, lt = torch.tensor(mu, requires_grad=True), torch.tensor(lv, requires_grad=True)
    ref = D.kl_divergence(D.Normal(mt, (0.5 * lt).exp()), D.Normal(0.0, 1.0)).sum(1).mean()
    ref.backward()
    md, ld = tensor(mu, requires_grad=True), tensor(lv, requires_grad=True)
    ours = gaussian_kl(md, ld)
    ours.backward()
    assert float(ours.data) == pytest.approx(ref.item(), rel=1e-12)
    np.testing.assert_allclose(md.grad, mt.grad.numpy(), rtol=1e-10)
    np.testing.assert_allclose(ld.grad, lt.grad.numpy(), rtol=1e-10)


@pytest.mark.parametrize("activation", ["sigmoid", "tanh"])
def test_contractive_penalty_matches_torch_double_backprop(torch, rng, activation):
    """Torch computes each example's Jacobian by autograd (create_graph) and differentiates its norm."""
    x, W, b = rng.normal(size=(4, 5)), rng.normal(size=(3, 5)), rng.normal(size=3)
    xt, Wt, bt = (torch.tensor(a, requires_grad=True) for a in (x, W, b))
    act = torch.sigmoid if activation == "sigmoid" else torch.tanh
    total = 0.0
    for n in range(4):   # test oracle: one Jacobian per example
        J = torch.autograd.functional.jacobian(lambda v: act(Wt @ v + bt), xt[n], create_graph=True)
        total = total + (J ** 2).sum()
    ref = total / 4
    ref.backward()
    xd, Wd, bd = (tensor(a, requires_grad=True) for a in (x, W, b))
    ours = ContractivePenalty.apply(xd, Wd, bd, activation)
    ours.backward()
    assert float(ours.data) == pytest.approx(ref.item(), rel=1e-12)
    for a, t in zip((xd, Wd, bd), (xt, Wt, bt)):
        np.testing.assert_allclose(a.grad, t.grad.numpy(), rtol=1e-9, atol=1e-13)


def test_autoencoder_and_vae_match_torch(torch, rng):
    tnn = torch.nn
    ae = Autoencoder([6, 5, 2], activation="tanh", code_activation="sigmoid", generator=0).double()
    ref = tnn.Sequential(tnn.Linear(6, 5), tnn.Tanh(), tnn.Linear(5, 2), tnn.Sigmoid(),
                         tnn.Linear(2, 5), tnn.Tanh(), tnn.Linear(5, 6))
    ours_lin = [m for m in list(ae.encoder) + list(ae.decoder) if isinstance(m, nn.Linear)]
    ref_lin = [m for m in ref if isinstance(m, tnn.Linear)]
    with torch.no_grad():
        for a, t in zip(ours_lin, ref_lin):
            t.weight.copy_(torch.tensor(a.weight.data))
            t.bias.copy_(torch.tensor(a.bias.data))
    X = rng.normal(size=(8, 6))
    loss = ((ae(X) - tensor(X)) ** 2).mean()
    loss.backward()
    Xt = torch.tensor(X)
    rl = ((ref(Xt) - Xt) ** 2).mean()
    rl.backward()
    assert float(loss.data) == pytest.approx(rl.item(), rel=1e-12)
    for a, t in zip(ours_lin, ref_lin):
        np.testing.assert_allclose(a.weight.grad, t.weight.grad.numpy(), rtol=1e-9, atol=1e-13)

    vae = VAE(6, 5, 2, sigma=0.7, generator=1).double()
    terms = vae.elbo_terms(X, np.random.default_rng(5))
    eps = np.random.default_rng(5).standard_normal((8, 2))
    enc = [torch.tensor(m.weight.data) for m in vae.enc if isinstance(m, nn.Linear)]
    encb = [torch.tensor(m.bias.data) for m in vae.enc if isinstance(m, nn.Linear)]
    dec = [torch.tensor(m.weight.data) for m in vae.dec if isinstance(m, nn.Linear)]
    decb = [torch.tensor(m.bias.data) for m in vae.dec if isinstance(m, nn.Linear)]
    out = torch.tanh(Xt @ enc[0].T + encb[0]) @ enc[1].T + encb[1]
    mu, lv = out[:, :2], out[:, 2:]
    z = mu + (0.5 * lv).exp() * torch.tensor(eps)
    r = torch.relu(z @ dec[0].T + decb[0]) @ dec[1].T + decb[1]
    D = torch.distributions
    recon = -D.Normal(r, 0.7).log_prob(Xt).sum(1).mean()
    kl = D.kl_divergence(D.Normal(mu, (0.5 * lv).exp()), D.Normal(0.0, 1.0)).sum(1).mean()
    assert float(terms["recon"].data) == pytest.approx(recon.item(), rel=1e-12)
    assert float(terms["kl"].data) == pytest.approx(kl.item(), rel=1e-12)


# --- behaviour ------------------------------------------------------------------------------------

def test_reparameterisation_passes_gradients_to_mu_and_logvar(rng):
    mu, lv, eps = rng.normal(size=(3, 2)), rng.normal(size=(3, 2)), rng.normal(size=(3, 2))
    report = gradcheck(lambda m, v: VAE.reparameterize(m, v, eps), [mu, lv])
    assert report.ok, report


def test_closed_form_kl_equals_monte_carlo(rng):
    mu, lv = rng.normal(size=(3, 2)), rng.normal(size=(3, 2)) * 0.5
    closed = 0.5 * (mu ** 2 + np.exp(lv) - 1 - lv).sum(1)
    mc = gaussian_kl_monte_carlo(mu, lv, np.random.default_rng(0), 200_000)
    np.testing.assert_allclose(mc, closed, atol=0.02)
    assert float(gaussian_kl(mu, lv).data) == pytest.approx(closed.mean(), rel=1e-12)
    assert float(gaussian_kl(np.zeros((2, 3)), np.zeros((2, 3))).data) == 0.0


def test_corruption_levels(rng):
    X = np.ones((400, 50))
    M = corrupt(X, rng, "mask", 0.3)
    assert abs((M == 0).mean() - 0.3) < 0.02 and set(np.unique(M)) <= {0.0, 1.0}
    G = corrupt(X, rng, "gaussian", 0.5)
    assert abs((G - X).std() - 0.5) < 0.02
    with pytest.raises(ValueError, match="kind"):
        corrupt(X, rng, "salt")


def test_l1_sparsity_value_and_subgradient():
    h = tensor(np.array([[1.0, -2.0, 0.0], [0.5, 0.0, 3.0]]), requires_grad=True)
    value = l1_sparsity(h)
    assert float(value.data) == pytest.approx(3.25)
    value.backward()
    np.testing.assert_allclose(h.grad, np.array([[1, -1, 0], [1, 0, 1]]) / 2)


def test_linear_autoencoder_learns_the_pca_subspace():
    from dlproof.stats.decomposition import PCA, principal_angles

    rng = np.random.default_rng(0)
    X = (rng.normal(size=(500, 6)) * [3, 2, 1.5, 0.3, 0.2, 0.1]) @ np.linalg.qr(rng.normal(size=(6, 6)))[0]
    X = X.astype(np.float32)
    ae = Autoencoder([6, 2], activation=None, generator=0)
    fit(ae, X, lambda m, xi, xt: ((m(xi) - xt) ** 2).mean(), epochs=60, rng=rng, lr=1e-2)
    angles = principal_angles(ae.decoder_matrix(), PCA(2).fit(X).components_.T)
    assert np.degrees(angles.max()) < 2.0


def test_errors_and_nonfinite_loss():
    with pytest.raises(ValueError, match="code_activation"):
        Autoencoder([4, 2], code_activation="softsign")
    ae = Autoencoder([4, 2], generator=0)
    with pytest.raises(ValueError, match=r"\(N, 4\)"):
        ae.encode(np.zeros((3, 5)))
    with pytest.raises(ValueError, match="strictly in"):
        kl_sparsity(np.array([[0.0, 0.5]]))
    with pytest.raises(ValueError, match=r"in \[0, 1\]"):
        kl_sparsity(np.array([[1.5, 0.5], [0.2, 0.5]]))
    with pytest.raises(ValueError, match="mu and logvar"):
        gaussian_kl(np.zeros((2, 3)), np.zeros((2, 2)))
    with pytest.raises(FloatingPointError, match="epoch 0"):
        fit(ae, np.full((4, 4), np.nan, np.float32), lambda m, xi, xt: ((m(xi) - xt) ** 2).mean(),
            epochs=1, rng=np.random.default_rng(0))
