"""Generative adversarial network (Goodfellow et al. 2014): generator, discriminator and losses.

The discriminator outputs a logit l(x), D(x) = sigmoid(l(x)). With l_r = l(x) on data and
l_f = l(G(z)) on generated samples, every loss is written in logits (stable: log D = -softplus(-l),
log(1 - D) = -softplus(l)):

    discriminator:            L_D  = mean softplus(-l_r) + mean softplus(l_f)
                                   = -E[log D(x)] - E[log(1 - D(G(z)))]
    minimax generator:        L_G  = E[log(1 - D(G(z)))] = -mean softplus(l_f)
        dL_G/dl_f  = -sigmoid(l_f) / n = -D / n          -> 0 when D rejects the fakes (D -> 0)
    non-saturating generator: L_NS = -E[log D(G(z))] = mean softplus(-l_f)
        dL_NS/dl_f = -sigmoid(-l_f) / n = -(1 - D) / n   -> -1/n when D -> 0

For a fixed generator the discriminator's objective is maximised pointwise by
D*(x) = p_data(x) / (p_data(x) + p_g(x)), where the value is 2 JSD(p_data || p_g) - log 4.
Tensors follow ``dlproof.engine``; networks are ``dlproof.nn`` MLPs with Linear weight (out, in).
"""

from __future__ import annotations

import numpy as np

import dlproof.nn as nn
import dlproof.nn.functional as F

__all__ = ["mlp", "GAN", "discriminator_loss", "generator_loss_minimax", "generator_loss_non_saturating",
           "optimal_discriminator", "value_at_optimal_discriminator", "jensen_shannon", "wasserstein_1d"]


def mlp(sizes: list[int], generator: np.random.Generator, dtype=np.float32) -> nn.Sequential:
    """Linear -> LeakyReLU(0.2) -> ... -> Linear for consecutive widths ``sizes`` (no output activation)."""
    if len(sizes) < 2:
        raise ValueError(f"mlp: need at least an input and an output width, got {sizes}")
    layers = []
    for k, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(a, b, generator=generator, dtype=dtype))
        if k < len(sizes) - 2:
            layers.append(nn.LeakyReLU(0.2))
    return nn.Sequential(*layers)


class GAN:
    """A generator G: R^noise_dim -> R^data_dim and a discriminator l: R^data_dim -> R (a logit).

    ``G(z)`` takes a Tensor (n, noise_dim) and returns (n, data_dim); ``D_logit(x)`` returns (n, 1).
    """

    def __init__(self, data_dim: int, noise_dim: int, hidden: int, generator: np.random.Generator,
                 depth: int = 2, dtype=np.float32):
        if min(data_dim, noise_dim, hidden, depth) < 1:
            raise ValueError(f"GAN: sizes must be >= 1, got data_dim={data_dim}, noise_dim={noise_dim}, "
                             f"hidden={hidden}, depth={depth}")
        self.data_dim, self.noise_dim = data_dim, noise_dim
        self.G = mlp([noise_dim] + [hidden] * depth + [data_dim], generator, dtype)
        self.D_logit = mlp([data_dim] + [hidden] * depth + [1], generator, dtype)

    def sample_noise(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """z ~ N(0, I): (n, noise_dim) float32."""
        return rng.standard_normal((n, self.noise_dim)).astype(np.float32)


def _logits(x, name: str):
    shape = tuple(x.shape)
    if len(shape) != 2 or shape[1] != 1:
        raise ValueError(f"{name}: discriminator logits must be (n, 1), got {shape}")
    return x


def discriminator_loss(real_logits, fake_logits):
    """L_D = mean softplus(-l_r) + mean softplus(l_f): binary cross-entropy, data 1, fakes 0."""
    _logits(real_logits, "discriminator_loss")
    _logits(fake_logits, "discriminator_loss")
    return F.softplus(-real_logits).mean() + F.softplus(fake_logits).mean()


def generator_loss_minimax(fake_logits):
    """L_G = mean log(1 - D(G(z))) = -mean softplus(l_f) (minimised by G); dL/dl_f = -D / n."""
    return -F.softplus(_logits(fake_logits, "generator_loss_minimax")).mean()


def generator_loss_non_saturating(fake_logits):
    """L_NS = -mean log D(G(z)) = mean softplus(-l_f); dL/dl_f = -(1 - D) / n."""
    return F.softplus(-_logits(fake_logits, "generator_loss_non_saturating")).mean()


def optimal_discriminator(p_data: np.ndarray, p_g: np.ndarray) -> np.ndarray:
    """D*(x) = p_data(x) / (p_data(x) + p_g(x)) from densities on the same points (0.5 where both are 0)."""
    p_data, p_g = np.asarray(p_data, float), np.asarray(p_g, float)
    if p_data.shape != p_g.shape:
        raise ValueError(f"optimal_discriminator: densities differ in shape {p_data.shape} vs {p_g.shape}")
    s = p_data + p_g
    return np.where(s > 0, p_data / np.where(s > 0, s, 1.0), 0.5)


def value_at_optimal_discriminator(p_data: np.ndarray, p_g: np.ndarray, dx: float) -> float:
    """V(D*, G) = int p_data log D* + p_g log(1 - D*) dx on a uniform grid of spacing dx."""
    d = optimal_discriminator(p_data, p_g)
    with np.errstate(divide="ignore", invalid="ignore"):
        a = np.where(p_data > 0, p_data * np.log(d), 0.0)
        b = np.where(p_g > 0, p_g * np.log(1 - d), 0.0)
    return float(np.sum(a + b) * dx)


def jensen_shannon(p: np.ndarray, q: np.ndarray, dx: float) -> float:
    """JSD(p || q) = KL(p || m) / 2 + KL(q || m) / 2, m = (p + q) / 2, densities on a uniform grid."""
    p, q = np.asarray(p, float), np.asarray(q, float)
    m = 0.5 * (p + q)
    with np.errstate(divide="ignore", invalid="ignore"):
        kp = np.where(p > 0, p * np.log(p / m), 0.0)
        kq = np.where(q > 0, q * np.log(q / m), 0.0)
    return float(0.5 * np.sum(kp + kq) * dx)


def wasserstein_1d(a: np.ndarray, b: np.ndarray) -> float:
    """W_1 between the empirical distributions of two equally long 1-D samples.

    In one dimension the optimal transport plan matches sorted samples, so
    W_1 = int |F_a^{-1}(u) - F_b^{-1}(u)| du = mean_i |a_(i) - b_(i)| (order statistics).
    ``a`` and ``b`` may be (n,) or (n, 1).
    """
    a, b = np.asarray(a, float), np.asarray(b, float)
    if a.ndim == 2 and a.shape[1] == 1:
        a = a[:, 0]
    if b.ndim == 2 and b.shape[1] == 1:
        b = b[:, 0]
    if a.ndim != 1 or b.ndim != 1 or a.size != b.size or a.size == 0:
        raise ValueError(f"wasserstein_1d: need two non-empty 1-D samples of equal length, got shapes "
                         f"{np.shape(a)} and {np.shape(b)}")
    return float(np.mean(np.abs(np.sort(a) - np.sort(b))))
