"""Autoencoders: under/overcomplete, denoising, sparse (L1, KL), contractive, and the VAE.

An autoencoder is an encoder h = f(x) and a decoder r = g(h) trained to make r close to x
(Goodfellow et al. ch. 14). Data are rows: x (N, D), codes h (N, k), reconstructions r (N, D).
What stops it from learning the identity is the constraint added to the reconstruction loss
L(x, g(f(x))) (mean squared error here, ``reduction='mean'`` over all N x D entries):

* undercomplete: k < D (a bottleneck);
* denoising (Vincent et al. 2008): L(x, g(f(x~))) with x~ a corrupted copy (:func:`corrupt`);
* sparse, L1: + lambda * mean_n sum_j |h_nj|                               (:func:`l1_sparsity`)
* sparse, KL (Ng 2011): + beta * sum_j KL(rho || rho^_j), rho^_j = mean_n h_nj in (0, 1)
  (:class:`KLSparsity`, hand-derived gradient);
* contractive (Rifai et al. 2011): + lambda * mean_n ||d f(x_n) / d x_n||_F^2, closed form for a
  one-layer sigmoid or tanh encoder (:class:`ContractivePenalty`, hand-derived gradient);
* variational (Kingma & Welling 2014; Rezende et al. 2014): q(z|x) = N(mu(x), diag exp(logvar(x))),
  z = mu + exp(logvar / 2) * eps with eps ~ N(0, I) drawn from an explicit Generator, prior
  p(z) = N(0, I), loss = -ELBO = E_q[-log p(x|z)] + KL(q(z|x) || p(z)) with the closed-form KL
  (:class:`GaussianKL`, hand-derived gradient) (:class:`VAE`).

The three custom penalties are fused Functions whose backward formulas sit next to the lines that
compute them; tests compare each with central differences, with the same penalty composed from
engine primitives, and with PyTorch.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

import dlproof.nn as nn
from dlproof.engine import Tensor, as_tensor, no_grad
from dlproof.engine.function import Function
from dlproof.nn.init import resolve_generator
from dlproof.optim.adam import Adam

__all__ = [
    "Autoencoder",
    "VAE",
    "KLSparsity",
    "ContractivePenalty",
    "GaussianKL",
    "kl_sparsity",
    "contractive_penalty",
    "gaussian_kl",
    "l1_sparsity",
    "gaussian_kl_monte_carlo",
    "corrupt",
    "jacobian_frobenius_sq",
    "fit",
]

_ACTIVATIONS = {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid}


def _activation(name: str | None, where: str):
    if name is None:
        return None
    if name not in _ACTIVATIONS:
        raise ValueError(f"Autoencoder: {where} must be one of {sorted(_ACTIVATIONS)} or None, got {name!r}")
    return _ACTIVATIONS[name]()


class Autoencoder(nn.Module):
    """An MLP autoencoder with encoder sizes ``sizes = [D, h_1, ..., k]`` and the mirrored decoder
    ``[k, ..., h_1, D]``.

    ``activation`` (``'relu'``, ``'tanh'``, ``'sigmoid'`` or None = linear) goes between hidden
    layers of both halves; ``code_activation`` after the last encoder layer (None: a linear code;
    ``'sigmoid'`` for the KL sparsity and contractive penalties, which need h in (0, 1));
    ``output_activation`` after the decoder (None: linear output, for standardised data).
    With ``activation=None`` and ``code_activation=None`` it is a *linear* autoencoder
    r = (x W_e^T + b_e) W_d^T + b_d. Linear weights are (out, in) as PyTorch.
    """

    def __init__(self, sizes, activation: str | None = "relu", code_activation: str | None = None,
                 output_activation: str | None = None, generator=None, dtype=np.float32):
        super().__init__()
        sizes = [int(s) for s in sizes]
        if len(sizes) < 2 or min(sizes) < 1:
            raise ValueError(f"Autoencoder: sizes must be [D, ..., k] with at least two positive entries, "
                             f"got {sizes}")
        gen = resolve_generator(generator)
        self.sizes = sizes
        self.code_activation = code_activation
        enc, dec = [], []
        for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
            enc.append(nn.Linear(a, b, generator=gen, dtype=dtype))
            act = _activation(activation if i < len(sizes) - 2 else code_activation,
                              "activation" if i < len(sizes) - 2 else "code_activation")
            if act is not None:
                enc.append(act)
        rev = sizes[::-1]
        for i, (a, b) in enumerate(zip(rev[:-1], rev[1:])):
            dec.append(nn.Linear(a, b, generator=gen, dtype=dtype))
            act = _activation(activation if i < len(rev) - 2 else output_activation,
                              "activation" if i < len(rev) - 2 else "output_activation")
            if act is not None:
                dec.append(act)
        self.encoder = nn.Sequential(*enc)
        self.decoder = nn.Sequential(*dec)

    def encode(self, x) -> Tensor:
        """h = f(x): (N, D) -> (N, k)."""
        x = as_tensor(x)
        if x.ndim != 2 or x.shape[1] != self.sizes[0]:
            raise ValueError(f"Autoencoder.encode: x must be (N, {self.sizes[0]}), got {tuple(x.shape)}")
        return self.encoder(x)

    def decode(self, h) -> Tensor:
        """r = g(h): (N, k) -> (N, D)."""
        return self.decoder(as_tensor(h))

    def forward(self, x) -> Tensor:
        return self.decode(self.encode(x))

    def first_layer(self) -> nn.Linear:
        return self.encoder[0]

    def decoder_matrix(self) -> np.ndarray:
        """For a one-layer decoder, its weight (D, k): the columns span the reconstructions' subspace."""
        return self.decoder[0].weight.data


# --- penalties ----------------------------------------------------------------------------------

def l1_sparsity(h) -> Tensor:
    """mean_n sum_j |h_nj|: the L1 activity penalty ((N, k) -> scalar; subgradient 0 at 0)."""
    h = as_tensor(h)
    return h.abs().sum(dim=1).mean()


def _check_probabilities(H: np.ndarray, rho_hat: np.ndarray, op: str) -> None:
    if H.ndim != 2:
        raise ValueError(f"{op}: codes must be (N, k), got shape {H.shape}")
    if np.any(H < 0) or np.any(H > 1):
        raise ValueError(f"{op}: codes must lie in [0, 1] (sigmoid units), got range "
                         f"[{H.min():.3g}, {H.max():.3g}]")
    if np.any(rho_hat <= 0) or np.any(rho_hat >= 1):
        raise ValueError(f"{op}: every unit's mean activation must lie strictly in (0, 1), got range "
                         f"[{rho_hat.min():.3g}, {rho_hat.max():.3g}]")


class KLSparsity(Function):
    """sum_j KL(Bernoulli(rho) || Bernoulli(rho^_j)) with rho^_j = (1/N) sum_n H_nj, H (N, k) in [0, 1].

        out = sum_j [ rho log(rho / rho^_j) + (1 - rho) log((1 - rho) / (1 - rho^_j)) ]
        d out / d H_nj = (1/N) [ -rho / rho^_j + (1 - rho) / (1 - rho^_j) ]

    The average is over the batch *before* the KL (a per-example KL would push every unit of
    every example towards rho, not the units' average activity).
    """

    @staticmethod
    def forward(ctx, H, rho=0.05):
        if not 0 < rho < 1:
            raise ValueError(f"KLSparsity: rho must lie in (0, 1), got {rho}")
        rho_hat = H.mean(axis=0)
        _check_probabilities(H, rho_hat, "KLSparsity")
        ctx.rho, ctx.rho_hat, ctx.N = rho, rho_hat, H.shape[0]
        out = np.sum(rho * np.log(rho / rho_hat) + (1 - rho) * np.log((1 - rho) / (1 - rho_hat)))
        return np.asarray(out, H.dtype)

    @staticmethod
    def backward(ctx, g):
        rho, rho_hat = ctx.rho, ctx.rho_hat
        d_rho_hat = -rho / rho_hat + (1 - rho) / (1 - rho_hat)         # d KL / d rho^_j
        gH = np.broadcast_to(g * d_rho_hat / ctx.N, (ctx.N, rho_hat.shape[0]))   # d rho^_j / d H_nj = 1/N
        return gH.astype(rho_hat.dtype), None


def kl_sparsity(h, rho: float = 0.05) -> Tensor:
    """:class:`KLSparsity` applied to codes h (N, k) in [0, 1] (every column's mean strictly inside):
    a scalar Tensor."""
    return KLSparsity.apply(as_tensor(h), rho)


def _encoder_slope(A: np.ndarray, activation: str):
    """h, s = dh/da and ds/da for the elementwise encoder nonlinearity at pre-activations A."""
    if activation == "sigmoid":
        h = np.exp(-np.logaddexp(0.0, -A))
        s = h * (1 - h)                                                # sigma' = h (1 - h)
        return h, s, s * (1 - 2 * h)                                   # d/da [h (1 - h)] = s (1 - 2h)
    if activation == "tanh":
        h = np.tanh(A)
        s = 1 - h ** 2                                                 # tanh' = 1 - h^2
        return h, s, -2 * h * s                                        # d/da [1 - h^2] = -2 h s
    raise ValueError(f"ContractivePenalty: activation must be 'sigmoid' or 'tanh', got {activation!r}")


class ContractivePenalty(Function):
    """mean_n ||J_n||_F^2 for the encoder h = s(x W^T + b): x (N, D), W (k, D), b (k,).

    J_n = dh_n / dx_n = diag(s'(a_n)) W, so with S = s'(A) (N, k) and w_j = ||W_j.||^2:

        out = (1/N) sum_n sum_j S_nj^2 w_j
        G_nj = d out / d a_nj = (2/N) S_nj w_j * dS_nj/da_nj
        d out / dW = G^T x + (2/N) diag(sum_n S_nj^2) W      (through a, and through w_j)
        d out / db = sum_n G_nj,     d out / dx = G W

    Forgetting the first term (treating s'(a) as a constant) is the classic mistake; a test
    checks that this wrong backward fails the finite-difference check.
    """

    @staticmethod
    def forward(ctx, x, W, b, activation="sigmoid"):
        if x.ndim != 2 or W.ndim != 2 or b.shape != (W.shape[0],) or x.shape[1] != W.shape[1]:
            raise ValueError(f"ContractivePenalty: need x (N, D), W (k, D), b (k,); got {x.shape}, "
                             f"{W.shape}, {b.shape}")
        A = x @ W.T + b
        _, S, dS = _encoder_slope(A, activation)
        w = (W ** 2).sum(axis=1)                                       # ||W_j.||^2, (k,)
        ctx.save = (x, W, S, dS, w)
        return np.asarray((S ** 2 @ w).mean(), x.dtype)

    @staticmethod
    def backward(ctx, g):
        x, W, S, dS, w = ctx.save
        N = x.shape[0]
        G = (2.0 * g / N) * S * w * dS                                 # d out / d A, (N, k)
        gW = G.T @ x + (2.0 * g / N) * (S ** 2).sum(axis=0)[:, None] * W   # via A, and via w_j
        return G @ W, gW, G.sum(axis=0), None


def contractive_penalty(x, linear: nn.Linear, activation: str = "sigmoid") -> Tensor:
    """:class:`ContractivePenalty` for the encoder layer ``activation(linear(x))``: a scalar Tensor."""
    return ContractivePenalty.apply(as_tensor(x), linear.weight, linear.bias, activation)


class GaussianKL(Function):
    """KL(N(mu, diag exp(logvar)) || N(0, I)), averaged over the N rows of mu, logvar (N, k):

        out = (1/N) sum_n sum_j (1/2) (mu_nj^2 + exp(logvar_nj) - 1 - logvar_nj)
        d out / d mu = mu / N,     d out / d logvar = (exp(logvar) - 1) / (2N)
    """

    @staticmethod
    def forward(ctx, mu, logvar):
        if mu.shape != logvar.shape or mu.ndim != 2:
            raise ValueError(f"GaussianKL: mu and logvar must both be (N, k), got {mu.shape} and "
                             f"{logvar.shape}")
        ev = np.exp(logvar)
        ctx.save = (mu, ev)
        return np.asarray(0.5 * np.sum(mu ** 2 + ev - 1.0 - logvar) / mu.shape[0], mu.dtype)

    @staticmethod
    def backward(ctx, g):
        mu, ev = ctx.save
        N = mu.shape[0]
        return g * mu / N, g * 0.5 * (ev - 1.0) / N


def gaussian_kl(mu, logvar) -> Tensor:
    """:class:`GaussianKL`: mean over rows of KL(q(z|x) || N(0, I)), a scalar Tensor."""
    return GaussianKL.apply(as_tensor(mu), as_tensor(logvar))


def gaussian_kl_monte_carlo(mu, logvar, rng: np.random.Generator, n_samples: int) -> np.ndarray:
    """Per-row Monte Carlo estimate of KL(q || N(0, I)) = E_q[log q(z) - log p(z)] from
    ``n_samples`` draws z = mu + exp(logvar/2) eps per row: (N,). Unbiased; its error shrinks like
    1/sqrt(n_samples), which the closed form avoids."""
    mu, logvar = np.asarray(mu, np.float64), np.asarray(logvar, np.float64)
    eps = rng.standard_normal((n_samples,) + mu.shape)
    z = mu + np.exp(0.5 * logvar) * eps
    log_q = -0.5 * (eps ** 2 + logvar + np.log(2 * np.pi)).sum(-1)   # log N(z; mu, sigma^2)
    log_p = -0.5 * (z ** 2 + np.log(2 * np.pi)).sum(-1)               # log N(z; 0, I)
    return (log_q - log_p).mean(axis=0)


# --- the VAE --------------------------------------------------------------------------------------

class VAE(nn.Module):
    """A Gaussian VAE with one hidden layer in each half: x (N, D) -> tanh hidden (N, H) ->
    [mu, logvar] (N, 2k) -> z (N, k) -> relu hidden (N, H) -> mean of p(x|z) (N, D).

    The decoder's p(x|z) = N(g(z), sigma^2 I) with a fixed ``sigma``, so per example
    -log p(x|z) = ||x - g(z)||^2 / (2 sigma^2) + (D/2) log(2 pi sigma^2).
    ``elbo_terms`` returns the per-example means of the reconstruction term and the KL; their sum
    is -ELBO, an upper bound on -log p(x).
    """

    def __init__(self, n_in: int, n_hidden: int, n_latent: int, sigma: float = 1.0,
                 generator=None, dtype=np.float32):
        super().__init__()
        if min(n_in, n_hidden, n_latent) < 1 or sigma <= 0:
            raise ValueError(f"VAE: sizes must be >= 1 and sigma > 0, got {n_in}, {n_hidden}, {n_latent}, "
                             f"{sigma}")
        gen = resolve_generator(generator)
        self.n_in, self.n_latent, self.sigma = n_in, n_latent, float(sigma)
        self.enc = nn.Sequential(nn.Linear(n_in, n_hidden, generator=gen, dtype=dtype), nn.Tanh(),
                                 nn.Linear(n_hidden, 2 * n_latent, generator=gen, dtype=dtype))
        self.dec = nn.Sequential(nn.Linear(n_latent, n_hidden, generator=gen, dtype=dtype), nn.ReLU(),
                                 nn.Linear(n_hidden, n_in, generator=gen, dtype=dtype))

    def encode(self, x):
        """(mu, logvar), each (N, k)."""
        x = as_tensor(x)
        if x.ndim != 2 or x.shape[1] != self.n_in:
            raise ValueError(f"VAE.encode: x must be (N, {self.n_in}), got {tuple(x.shape)}")
        out = self.enc(x)
        k = self.n_latent
        return out[:, :k], out[:, k:]

    @staticmethod
    def reparameterize(mu, logvar, eps) -> Tensor:
        """z = mu + exp(logvar / 2) * eps: the noise eps (N, k) is an input, so dz/dmu = 1 and
        dz/dlogvar = eps exp(logvar/2) / 2 flow through (the reparameterisation trick)."""
        return mu + (logvar * 0.5).exp() * as_tensor(eps)

    def decode(self, z) -> Tensor:
        return self.dec(as_tensor(z))

    def elbo_terms(self, x, rng: np.random.Generator) -> dict:
        """{'recon': mean_n E_q[-log p(x_n|z)] (one sample of z per row), 'kl': mean_n KL, 'loss':
        recon + kl = -ELBO, 'mu', 'logvar'}: scalar Tensors (mu, logvar (N, k))."""
        x = as_tensor(x)
        mu, logvar = self.encode(x)
        eps = rng.standard_normal(mu.shape).astype(mu.dtype)
        r = self.decode(self.reparameterize(mu, logvar, eps))
        D = self.n_in
        const = 0.5 * D * np.log(2 * np.pi * self.sigma ** 2)
        recon = ((r - x) ** 2).sum(dim=1).mean() * (0.5 / self.sigma ** 2) + const
        kl = gaussian_kl(mu, logvar)
        return {"recon": recon, "kl": kl, "loss": recon + kl, "mu": mu, "logvar": logvar}

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """Means g(z) (n, D) of p(x|z) for z ~ N(0, I)."""
        with no_grad():
            z = rng.standard_normal((n, self.n_latent)).astype(self.dec[0].weight.dtype)
            return self.decode(z).data


# --- data corruption, measurement, training -----------------------------------------------------

def corrupt(X, rng: np.random.Generator, kind: str = "gaussian", level: float = 0.5) -> np.ndarray:
    """x~ for a denoising autoencoder: ``'gaussian'``: x + level * N(0, 1) per entry;
    ``'mask'``: each entry set to 0 with probability ``level`` (masking noise)."""
    X = np.asarray(X)
    if kind == "gaussian":
        return (X + level * rng.standard_normal(X.shape)).astype(X.dtype)
    if kind == "mask":
        if not 0 <= level < 1:
            raise ValueError(f"corrupt: masking probability must lie in [0, 1), got {level}")
        return (X * (rng.uniform(size=X.shape) >= level)).astype(X.dtype)
    raise ValueError(f"corrupt: kind must be 'gaussian' or 'mask', got {kind!r}")


def jacobian_frobenius_sq(encode: Callable[[np.ndarray], np.ndarray], X, eps: float = 1e-4) -> np.ndarray:
    """||d encode(x_n) / d x_n||_F^2 for every row of X (N, D), by central differences along each
    of the D input axes (a loop over features, all rows at once): (N,). Works for any encoder,
    so it measures the quantity the contractive penalty targets independently of its closed form."""
    X = np.asarray(X, dtype=np.float64)
    total = np.zeros(X.shape[0])
    for i in range(X.shape[1]):
        E = np.zeros_like(X)
        E[:, i] = eps
        col = (np.asarray(encode(X + E), np.float64) - np.asarray(encode(X - E), np.float64)) / (2 * eps)
        total += (col ** 2).sum(axis=1)                                 # column i of every J_n
    return total


def fit(model: nn.Module, X, loss_fn: Callable[[nn.Module, Tensor, Tensor], Tensor], epochs: int,
        rng: np.random.Generator, batch_size: int = 64, lr: float = 3e-3,
        noise: Callable[[np.ndarray, np.random.Generator], np.ndarray] | None = None) -> list[float]:
    """Adam on mini-batches of X (N, D): each step computes ``loss_fn(model, x_in, x_target)``
    with x_target a batch of X and x_in = noise(x_target, rng) (a fresh corruption every step; no
    noise: x_in = x_target). Returns the mean training loss of each epoch; raises
    FloatingPointError on a NaN/inf loss, before the bad step is taken."""
    X = np.asarray(X)
    opt = Adam(model.parameters(), lr=lr)
    history = []
    for epoch in range(epochs):
        perm = rng.permutation(len(X))
        total, count = 0.0, 0
        for start in range(0, len(X), batch_size):
            xb = X[perm[start:start + batch_size]]
            xin = noise(xb, rng) if noise is not None else xb
            loss = loss_fn(model, as_tensor(xin), as_tensor(xb))
            value = float(loss.data)
            if not np.isfinite(value):
                raise FloatingPointError(f"autoencoder fit: loss is {value} at epoch {epoch}")
            opt.zero_grad()
            loss.backward()
            opt.step()
            total, count = total + value * len(xb), count + len(xb)
        history.append(total / count)
    return history
