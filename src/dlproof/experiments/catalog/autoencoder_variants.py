"""What each autoencoder regulariser does, measured on digits (standardised, 1400 train / 397 test).

1. Denoising: the same 64-64-32-64-64 ReLU network trained on clean inputs (plain) and on
   Gaussian-corrupted inputs (denoising, sigma = 0.7); both reconstruct corrupted test digits,
   scored against the clean ones. The displacement r(x~) - x~ of the denoiser points back to the
   clean x (cosine), the vector field of Alain & Bengio (2014).
2. Overcomplete, no regulariser (64 -> 128 ReLU -> 64): near-zero training error, but it copies
   the noise of a corrupted input instead of removing it.
3. Sparse: the same overcomplete net with an L1 penalty on the codes (fraction of active units);
   a 64-unit sigmoid code with the KL sparsity penalty (mean activation against the target rho).
4. Contractive: a one-layer sigmoid encoder (64 -> 32) with the Jacobian penalty, against the same
   net without it: ||df/dx||_F^2 measured by central differences on test digits.
5. VAE (64-64-2-64-64, pixels / 16, Gaussian decoder sigma = 0.25): the two terms of -ELBO per example, the
   closed-form KL against a Monte Carlo estimate, and the importance-weighted bound (Burda et al.
   2016) that is tighter than the ELBO.
"""

from __future__ import annotations

import numpy as np

from dlproof.data import digits
from dlproof.engine import no_grad
from dlproof.experiments.registry import RunConfig, experiment
from dlproof.models.autoencoder import (
    VAE,
    Autoencoder,
    contractive_penalty,
    corrupt,
    fit,
    gaussian_kl_monte_carlo,
    jacobian_frobenius_sq,
    kl_sparsity,
    l1_sparsity,
)


def mse_loss(model, x_in, x_target):
    return ((model(x_in) - x_target) ** 2).mean()


def _mse(model, X_in, X_target) -> float:
    with no_grad():
        return float(np.mean((model(X_in).data - X_target) ** 2))


def importance_weighted_bound(vae: VAE, X: np.ndarray, rng: np.random.Generator, K: int) -> np.ndarray:
    """log (1/K) sum_k p(x, z_k) / q(z_k | x), z_k ~ q(z | x), per row of X (N,): a lower bound on
    log p(x) that grows with K towards it (K = 1 is the ELBO in expectation)."""
    with no_grad():
        mu, logvar = (t.data.astype(np.float64) for t in vae.encode(X))
        eps = rng.standard_normal((K,) + mu.shape)
        z = mu + np.exp(0.5 * logvar) * eps                               # (K, N, k)
        r = vae.decode(z.reshape(-1, mu.shape[1]).astype(np.float32)).data.reshape(K, len(X), -1)
        s2 = vae.sigma ** 2
        log_px_z = -0.5 * (((X - r) ** 2).sum(-1) / s2 + X.shape[1] * np.log(2 * np.pi * s2))
        log_pz = -0.5 * (z ** 2 + np.log(2 * np.pi)).sum(-1)
        log_qz = -0.5 * (eps ** 2 + logvar + np.log(2 * np.pi)).sum(-1)
        w = log_px_z + log_pz - log_qz                                    # (K, N) log weights
        m = w.max(axis=0)
        return m + np.log(np.exp(w - m).mean(axis=0))


@experiment("autoencoder-variants", questions=["autoencoder-variants"],
            title_en="Autoencoder variants measured: denoising, overcomplete, sparse, contractive, VAE",
            title_zh="自编码器变体的实测：去噪、过完备、稀疏、收缩、VAE")
def run(cfg: RunConfig, report) -> None:
    rng = cfg.rng()
    # standardised pixels clipped at +-5: a few near-constant border pixels become 20-40 sigma outliers
    # (134 of 115008 entries beyond 6) that would dominate every squared error
    X = np.clip(digits(np.float32)[0], -5, 5)
    perm = rng.permutation(len(X))
    tr, te = X[perm[:1400]], X[perm[1400:]]
    ep = cfg.pick(30, 50)
    sigma = 0.7
    te_noisy = corrupt(te, cfg.rng(1), "gaussian", sigma)
    noise_mse = float(np.mean((te_noisy - te) ** 2))
    report.metric("noisy_input_mse_to_clean", noise_mse)

    # --- 1. denoising --------------------------------------------------------------------------------
    plain = Autoencoder([64, 64, 32], activation="relu", code_activation="relu", generator=cfg.rng(2))
    fit(plain, tr, mse_loss, epochs=ep, rng=rng, batch_size=128)
    dae = Autoencoder([64, 64, 32], activation="relu", code_activation="relu", generator=cfg.rng(2))
    fit(dae, tr, mse_loss, epochs=ep, rng=rng, batch_size=128,
        noise=lambda x, r: corrupt(x, r, "gaussian", sigma))
    m_plain, m_dae = _mse(plain, te_noisy, te), _mse(dae, te_noisy, te)
    te_mask = corrupt(te, cfg.rng(3), "mask", 0.3)
    report.table("denoising", ["model", "MSE(r(x~), x) gaussian",
                  "MSE(r(x~), x) mask 30%", "MSE(r(x), x) clean"],
                 [["noisy input itself", noise_mse, float(np.mean((te_mask - te) ** 2)), 0.0],
                  ["plain AE", m_plain, _mse(plain, te_mask, te), _mse(plain, te, te)],
                  ["denoising AE", m_dae, _mse(dae, te_mask, te), _mse(dae, te, te)]])
    report.claim("denoising-beats-plain-on-noisy-inputs",
                 en=f"Reconstructing Gaussian-corrupted test digits (sigma = {sigma}), the denoising "
                    "autoencoder's "
                    "output is closer to the clean digit than the plain autoencoder's (same net, same "
                    "training budget): MSE ratio below 0.85.",
                 zh=f"重构被高斯噪声（sigma = {sigma}）污染的测试 digits "
                    "时，去噪自编码器的输出比普通自编码器（同样"
                    "的网络与训练量）更接近干净图像：MSE 之比低于 0.85。",
                 value=m_dae / m_plain, op="<", threshold=0.85,
                 expression="MSE_DAE(x~ -> x) / MSE_AE(x~ -> x)")
    with no_grad():
        step = dae(te_noisy).data - te_noisy
    back = te - te_noisy
    cos = np.sum(step * back, 1) / (np.linalg.norm(step, axis=1) * np.linalg.norm(back, axis=1))
    report.claim("denoiser-points-back-to-data",
                 en="The denoiser's displacement r(x~) - x~ points back towards the clean digit: its mean "
                    "cosine "
                    "with x - x~ is above 0.6, and the output is closer to x than x~ is (MSE below 0.8 of "
                    "the "
                    "noise's).",
                 zh="去噪器的位移 r(x~) - x~ 指回干净图像：它与 x - x~ 的平均余弦大于 0.6，且输出比 x~ "
                    "更接近 x"
                    "（MSE 低于噪声 MSE 的 0.8）。",
                 value=float(min(cos.mean() / 0.6, 0.8 / (m_dae / noise_mse))), op=">", threshold=1.0,
                 expression="min(mean cos / 0.6, 0.8 / (MSE_DAE / MSE_noise))")
    report.metric("denoiser_mean_cosine", float(cos.mean()))
    report.progress(0.25, "overcomplete")

    # --- 2. overcomplete without a regulariser -------------------------------------------------------
    over = Autoencoder([64, 128], activation=None, code_activation="relu", generator=cfg.rng(4))
    fit(over, tr, mse_loss, epochs=ep, rng=rng, batch_size=128)
    under = Autoencoder([64, 16], activation=None, code_activation="relu", generator=cfg.rng(4))
    fit(under, tr, mse_loss, epochs=ep, rng=rng, batch_size=128)
    m_over_tr, m_under_tr = _mse(over, tr, tr), _mse(under, tr, tr)
    kept = _mse(over, te_noisy, te_noisy) / noise_mse                    # 0: copies x~ exactly
    kept_dae = _mse(dae, te_noisy, te_noisy) / noise_mse
    report.table("overcomplete", ["model", "train MSE", "MSE(r(x~), x~) / MSE(x~, x)", "MSE(r(x~), x)"],
                 [["overcomplete 128, no penalty", m_over_tr, kept, _mse(over, te_noisy, te)],
                  ["undercomplete 16", m_under_tr, _mse(under, te_noisy, te_noisy) / noise_mse,
                   _mse(under, te_noisy, te)],
                  ["denoising 64-64-32", _mse(dae, tr, tr), kept_dae, m_dae]])
    report.claim("overcomplete-nearly-copies",
                 en="An overcomplete autoencoder (128 ReLU codes for 64 pixels) without a regulariser "
                    "reaches a "
                    "training MSE below 0.05, under a fifth of a 16-unit bottleneck's: it can copy its "
                    "input.",
                 zh="不加正则的过完备自编码器（64 个像素、128 个 ReLU 编码单元）训练 MSE 低于 0.05，不到 16 "
                    "单元"
                    "瓶颈的五分之一：它能把输入照抄过去。",
                 value=float(max(m_over_tr / 0.05, m_over_tr / (0.2 * m_under_tr))), op="<", threshold=1.0,
                 expression="max(MSE_over / 0.05, MSE_over / (0.2 MSE_under))")
    denoise_over = _mse(over, te_noisy, te) / noise_mse
    report.metric("overcomplete_noise_kept", kept)
    report.metric("denoiser_noise_kept", kept_dae)
    report.claim("overcomplete-does-not-denoise",
                 en="But the copy is nearly useless for removing noise: on corrupted test digits its output "
                    "keeps more than 80% of the corrupted input's squared error to the clean digit, where "
                    "the "
                    "denoiser's keeps less than 70%.",
                 zh="但这种照抄几乎不能去噪：对被污染的测试 digits，它的输出与干净图像的平方误差仍超过被污染"
                    "输入"
                    "本身的 80%，而去噪器的输出低于 70%。",
                 value=float(min(denoise_over / 0.8, 0.7 / (m_dae / noise_mse))), op=">", threshold=1.0,
                 expression="min((MSE_over(x~ -> x) / MSE(x~, x)) / 0.8, 0.7 / (MSE_DAE / MSE(x~, x)))")
    report.progress(0.45, "sparse")

    # --- 3. sparse: L1 and KL ------------------------------------------------------------------------
    lam = 0.02
    l1 = Autoencoder([64, 128], activation=None, code_activation="relu", generator=cfg.rng(4))
    fit(l1, tr, lambda m, xi, xt: mse_loss(m, xi, xt) + lam * l1_sparsity(m.encode(xi)), epochs=ep,
        rng=rng, batch_size=128)
    with no_grad():
        act_over = float((over.encode(te).data > 0).mean())
        act_l1 = float((l1.encode(te).data > 0).mean())
    report.table("sparsity", ["model", "fraction of active codes", "test MSE"],
                 [["overcomplete, no penalty", act_over, _mse(over, te, te)],
                  [f"overcomplete, L1 {lam}", act_l1, _mse(l1, te, te)]])
    report.claim("l1-makes-codes-sparse",
                 en=f"An L1 penalty ({lam} x sum |h|) on the same overcomplete net leaves less than a third "
                    "as many "
                    "codes active (h > 0) on test digits as without it.",
                 zh=f"同一个过完备网络加 L1 惩罚（{lam} x sum |h|）后，测试 digits 上非零（h > "
                    "0）编码的比例不到不加惩罚"
                    "时的三分之一。",
                 value=act_l1 / act_over, op="<", threshold=1 / 3, expression="active_L1 / active_plain")
    rho, beta, lr_kl = 0.05, 0.3, 1e-2   # a larger step: Adam moves each weight by about lr per step
    kls = Autoencoder([64, 64], activation=None, code_activation="sigmoid", generator=cfg.rng(5))

    def kl_loss(m, xi, xt):
        h = m.encode(xi)
        return ((m.decode(h) - xt) ** 2).mean() + beta * kl_sparsity(h, rho)

    fit(kls, tr, kl_loss, epochs=cfg.pick(20, 40), rng=rng, batch_size=64, lr=lr_kl)
    sig_plain = Autoencoder([64, 64], activation=None, code_activation="sigmoid", generator=cfg.rng(5))
    fit(sig_plain, tr, mse_loss, epochs=cfg.pick(20, 40), rng=rng, batch_size=64, lr=lr_kl)
    with no_grad():
        H_kl = kls.encode(te).data
        mean_kl, mean_plain = float(H_kl.mean()), float(sig_plain.encode(te).data.mean())
    report.metric("kl_sparse_median_activation", float(np.median(H_kl)))
    report.metric("kl_sparse_test_mse", _mse(kls, te, te))
    report.metric("sigmoid_plain_test_mse", _mse(sig_plain, te, te))
    report.claim("kl-sparsity-lowers-mean-activation",
                 en=f"The KL sparsity penalty (target rho = {rho}, beta = {beta}) pulls the mean sigmoid "
                    "activation on "
                    "test digits below a third of the unpenalised net's (which sits near 0.5).",
                 zh=f"KL 稀疏惩罚（目标 rho = {rho}，beta = {beta}）把测试 digits 上 sigmoid "
                    "单元的平均激活压到不加惩罚"
                    "时（约 0.5）的三分之一以下。",
                 value=mean_kl / mean_plain, op="<", threshold=1 / 3,
                 expression="mean h (KL) / mean h (plain)")
    report.metric("kl_sparse_mean_activation", mean_kl)
    report.progress(0.6, "contractive")

    # --- 4. contractive --------------------------------------------------------------------------------
    lam_c = 0.1
    cae = Autoencoder([64, 32], activation=None, code_activation="sigmoid", generator=cfg.rng(6))
    fit(cae, tr, lambda m, xi, xt: mse_loss(m, xi, xt) + lam_c * contractive_penalty(xi, m.first_layer()),
        epochs=ep, rng=rng, batch_size=128)
    sig32 = Autoencoder([64, 32], activation=None, code_activation="sigmoid", generator=cfg.rng(6))
    fit(sig32, tr, mse_loss, epochs=ep, rng=rng, batch_size=128)

    def jac(m):
        return float(jacobian_frobenius_sq(lambda Z: m.encode(Z.astype(np.float32)).data, te[:200],
                                            1e-2).mean())

    j_cae, j_plain = jac(cae), jac(sig32)
    report.table("contractive", ["model", "mean ||df/dx||_F^2 (central differences)", "test MSE"],
                 [["sigmoid AE", j_plain, _mse(sig32, te, te)], [f"contractive, lambda {lam_c}", j_cae,
                                                                  _mse(cae, te, te)]])
    report.claim("contractive-shrinks-jacobian",
                 en=f"The contractive penalty (lambda = {lam_c}) makes the encoder's Jacobian Frobenius norm "
                    "squared, "
                    "measured by central differences on test digits, less than half of the same encoder's "
                    "trained "
                    "without it.",
                 zh=f"收缩惩罚（lambda = {lam_c}）使编码器雅可比矩阵的 Frobenius 范数平方（在测试 digits "
                    "上用中心差分"
                    "测量）不到不加惩罚时同一编码器的一半。",
                 value=j_cae / j_plain, op="<", threshold=0.5, expression="||J||_F^2 CAE / ||J||_F^2 plain")
    report.progress(0.75, "VAE")

    # --- 5. VAE ------------------------------------------------------------------------------------------
    # pixels / 16 in [0, 1]: the standardised pixels have rare 20-sigma outliers that dominate a Gaussian
    # likelihood
    raw = digits(np.float32, standardize=False)[0] / 16
    tr01, te01 = raw[perm[:1400]], raw[perm[1400:]]
    vae = VAE(64, 64, 2, sigma=0.25, generator=cfg.rng(7))
    terms_hist = []

    def vae_loss(m, xi, xt):
        t = m.elbo_terms(xi, rng)
        terms_hist.append((float(t["recon"].data), float(t["kl"].data)))
        return t["loss"]

    fit(vae, tr01, vae_loss, epochs=cfg.pick(25, 60), rng=rng, batch_size=128, lr=3e-3)
    with no_grad():
        t = vae.elbo_terms(te01, cfg.rng(8))
        mu, logvar = t["mu"].data.astype(np.float64), t["logvar"].data.astype(np.float64)
    kl_closed = 0.5 * (mu ** 2 + np.exp(logvar) - 1 - logvar).sum(1)
    kl_mc = gaussian_kl_monte_carlo(mu, logvar, cfg.rng(9), cfg.pick(1000, 4000))
    kl_err = float(abs(kl_mc.mean() - kl_closed.mean()) / kl_closed.mean())
    report.table("vae_elbo_terms", ["term", "test mean per example (nats)"],
                 [["E_q[-log p(x|z)] (reconstruction)", float(t["recon"].data)],
                  ["KL(q(z|x) || p(z)) closed form", float(kl_closed.mean())],
                  ["KL Monte Carlo", float(kl_mc.mean())],
                  ["-ELBO", float(t["loss"].data)]])
    report.claim("vae-kl-closed-form-matches-monte-carlo",
                 en="On the trained VAE's test posteriors the closed-form Gaussian KL agrees with a Monte "
                    "Carlo "
                    "estimate E_q[log q(z|x) - log p(z)] to within 2% (mean over test digits).",
                 zh="在训练好的 VAE 的测试后验上，高斯 KL 的闭式解与蒙特卡洛估计 E_q[log q(z|x) - log p(z)] "
                    "相差不到 "
                    "2%（对测试 digits 取平均）。",
                 value=kl_err, op="<", threshold=0.02, expression="|KL_MC - KL_closed| / KL_closed")
    elbo = -(t["recon"].data + kl_closed.mean())
    K = cfg.pick(50, 200)
    iw = float(importance_weighted_bound(vae, te01, cfg.rng(10), K).mean())
    report.metric("test_elbo", float(elbo))
    report.metric(f"test_iw_bound_k{K}", iw)
    report.claim("importance-weighting-tightens-elbo",
                 en=f"The ELBO is a loose lower bound on log p(x): the importance-weighted bound with K = "
                    f"{K} samples "
                    "is higher on test digits by more than 0.5 nats per example.",
                 zh=f"ELBO 是 log p(x) 的一个松的下界：用 K = {K} 个样本的重要性加权下界在测试 digits "
                    "上每个样本高出 "
                    "0.5 nats 以上。",
                 value=iw - float(elbo), op=">", threshold=0.5,
                 expression="IW bound - ELBO (nats, test mean)")
    report.progress(0.9, "figures")

    from dlproof.experiments.figures import new_figure

    fig, ax = new_figure(1, 3, size=(13.0, 4.0))
    rows = []
    with no_grad():
        for img in (te[:6], te_noisy[:6], plain(te_noisy[:6]).data, dae(te_noisy[:6]).data):
            rows.append(np.hstack([im.reshape(8, 8) for im in img]))
    ax[0].imshow(np.vstack(rows), cmap="gray_r")
    ax[0].set_title("clean / noisy / plain AE / denoising AE")
    ax[0].set_axis_off()
    H = np.array(terms_hist)
    ax[1].plot(H[:, 0], label="reconstruction")
    ax[1].plot(H[:, 1], label="KL")
    ax[1].plot(H.sum(1), label="-ELBO")
    ax[1].set_xlabel("step")
    ax[1].set_ylabel("nats per example")
    ax[1].set_yscale("log")
    ax[1].legend(fontsize=8)
    g = np.linspace(-2, 2, 8)
    Z = np.array([[a, b] for b in g[::-1] for a in g], dtype=np.float32)
    with no_grad():
        dec = vae.decode(Z).data
    ax[2].imshow(np.vstack([np.hstack([d.reshape(8, 8) for d in dec[i * 8:(i + 1) * 8]]) for i in range(8)]),
                 cmap="gray_r")
    ax[2].set_title("VAE decoder over a grid of z")
    ax[2].set_axis_off()
    report.figure("autoencoder-variants", fig,
                  en="Left: clean test digits, Gaussian-corrupted copies, and the plain and denoising "
                     "reconstructions. "
                     "Middle: the two terms of -ELBO during VAE training. Right: VAE decoder means over a "
                     "grid of the "
                     "2-D latent.",
                  zh="左：干净测试 digits、高斯污染后的版本，以及普通与去噪自编码器的重构。中：VAE 训练中 "
                     "-ELBO 的两项。"
                     "右：在二维隐空间网格上 VAE 解码器的均值。")
    report.progress(1.0, "done")
