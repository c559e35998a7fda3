"""Autoencoders against PCA and ICA: same subspace, different basis; independence needs ICA;
curvature needs a nonlinear autoencoder.

1. Digits (standardised 64-D, 1400 training rows). A linear autoencoder with k = 4 code units,
   trained on the MSE by Adam, against PCA's top-4 subspace: the principal angles between the
   decoder's column space and the PCA subspace, its training MSE against PCA's (the optimum of
   every rank-k linear map, Eckart-Young), the cosines between its individual (normalised)
   decoder columns and the principal directions (not the PCs: any invertible mixing inside the
   subspace is equally optimal), and the PCs recovered by a PCA *inside* its code space.
   k = 4 because the eigenvalue gap lambda_4 / lambda_5 = 1.34 is the widest among small k; the
   rotation inside a nearly degenerate pair (lambda_5 / lambda_6 = 1.15) converges slowly.
2. Three non-Gaussian sources (Laplace, uniform, a sinusoid), mixed by a random 3x3 matrix:
   FastICA recovers them (Amari index, matching correlation), PCA whitening does not. The same
   ICA on Gaussian sources cannot (rotation invariance of the Gaussian), averaged over mixings.
3. Curved data: a noisy three-quarter circle in 2-D with a 1-D code, and digits with k = 4:
   a nonlinear (tanh) autoencoder against PCA with the same k, on held-out rows.
"""

from __future__ import annotations

import numpy as np

from dlproof.data import digits
from dlproof.experiments.registry import RunConfig, experiment
from dlproof.models.autoencoder import Autoencoder, fit
from dlproof.stats.decomposition import PCA, FastICA, amari_index, match_components, principal_angles


def mse_loss(model, x_in, x_target):
    """Mean squared reconstruction error over all entries."""
    return ((model(x_in) - x_target) ** 2).mean()


def _mse(model, X) -> float:
    return float(np.mean((model(X).data - X) ** 2))


def _sources(rng: np.random.Generator, n: int) -> np.ndarray:
    """Laplace, uniform and sinusoidal sources, each standardised: (n, 3)."""
    S = np.c_[rng.laplace(size=n), rng.uniform(-1, 1, n),
              np.sin(rng.uniform(0, 2 * np.pi) + np.linspace(0, 60, n))]
    return (S - S.mean(0)) / S.std(0)


def _arc(rng: np.random.Generator, n: int) -> np.ndarray:
    t = rng.uniform(0, 1.5 * np.pi, n)
    return (np.c_[np.cos(t), np.sin(t)] + 0.03 * rng.standard_normal((n, 2))).astype(np.float32)


@experiment("autoencoder-pca-ica", questions=["autoencoder-pca-ica"],
            title_en="Linear AE = PCA subspace (not basis); ICA unmixes what PCA mixes; nonlinear AE on "
                     "curves",
            title_zh="线性自编码器与 PCA 子空间相同但基不同；ICA 分离 PCA "
                     "分不开的源；曲线流形上的非线性自编码器")
def run(cfg: RunConfig, report) -> None:
    rng = cfg.rng()
    # --- 1. linear AE vs PCA on digits -----------------------------------------------------------
    X = digits(np.float32)[0]
    perm = rng.permutation(len(X))
    tr, te = X[perm[:1400]], X[perm[1400:]]
    k = 4
    pca = PCA(k).fit(tr)
    V = pca.components_.T                                             # (64, k) principal directions
    lam = PCA().fit(tr).explained_variance_
    report.metric("eigenvalue_gap_k", float(lam[k - 1] / lam[k]))
    lin = Autoencoder([64, k], activation=None, generator=cfg.rng(1))
    epochs = cfg.pick(80, 120)
    for lr in (1e-2, 3e-3, 1e-3):                                     # a step-wise decaying learning rate
        fit(lin, tr, mse_loss, epochs=epochs, rng=rng, lr=lr, batch_size=256)
    Wd = lin.decoder_matrix().astype(np.float64)                      # (64, k)
    angles = np.degrees(principal_angles(Wd, V))
    rand_angle = float(np.degrees(principal_angles(rng.standard_normal((64, k)), V).max()))
    report.metric("max_angle_random_subspace_deg", rand_angle)
    report.table("principal_angles", ["i", "angle (deg)"], [[i + 1, float(a)] for i, a in enumerate(angles)])
    report.claim("linear-ae-spans-pca-subspace",
                 en=f"A linear autoencoder (64 -> {k} -> 64, MSE, Adam) trained on digits spans PCA's "
                    f"top-{k} "
                    f"subspace: the largest principal angle between its decoder's columns and the top-{k} "
                    "principal directions is below 2 degrees (a random subspace: near 90 degrees).",
                 zh=f"在 digits 上用 Adam 以 MSE 训练的线性自编码器（64 -> {k} -> 64）张成 PCA 的前 {k} "
                    "维子空间："
                    f"其解码器列与前 {k} 个主方向之间的最大主角小于 2 度（随机子空间接近 90 度）。",
                 value=float(angles.max()), op="<", threshold=2.0, expression="max principal angle (deg)")
    ratio = _mse(lin, tr) / pca.reconstruction_mse(tr)
    report.claim("linear-ae-reaches-pca-error",
                 en=f"Its training MSE is within 0.1% of PCA's rank-{k} reconstruction error, the optimum "
                    "over "
                    "all rank-k linear maps (Eckart-Young), and not below it.",
                 zh=f"它的训练 MSE 与 PCA 的秩 {k} 重构误差（所有秩 k 线性映射中的最优值，Eckart-Young）相差"
                    "不到 "
                    "0.1%，且不低于它。",
                 value=ratio, op="between", threshold=[0.9999, 1.001],
                 expression="MSE_linAE / MSE_PCA (train)")
    Wn = Wd / np.linalg.norm(Wd, axis=0)
    C = np.abs(Wn.T @ V)                                              # (k, k) |cos(decoder column i, PC j)|
    best = C.max(axis=1)
    gram = np.abs(Wn.T @ Wn) - np.eye(k)
    report.table("decoder_vs_pc_cosines", ["decoder column"] + [f"|cos| PC{j + 1}" for j in range(k)],
                 [[i + 1] + [float(c) for c in C[i]] for i in range(k)])
    report.metric("max_offdiag_cos_decoder_columns", float(gram.max()))
    report.claim("linear-ae-basis-is-not-pca",
                 en="But not the same basis: the mean over decoder columns of the best |cosine| with any "
                    "principal "
                    "direction is below 0.95 (a column equal to a PC would give 1); the columns are "
                    "mixtures.",
                 zh="但基不同：各解码器列与任一主方向的最大 |余弦| 的平均值低于 0.95（等于某个主成分时为 "
                    "1）；"
                    "这些列是主成分的混合。",
                 value=float(best.mean()), op="<", threshold=0.95, expression="mean_i max_j |cos(w_i, v_j)|")
    # PCA inside the code space recovers the principal directions: the information is all there
    H = lin.encode(tr).data.astype(np.float64)
    Q, _ = np.linalg.qr(Wd)
    inner = PCA(k).fit((tr - tr.mean(0)) @ Q)                         # PCA of the data projected on span(W_d)
    rot = Q @ inner.components_.T                                     # (64, k)
    recovered = float(np.abs(np.sum(rot * V, axis=0)).min())
    report.metric("code_rank", int(np.linalg.matrix_rank(H, tol=1e-3)))
    report.claim("pcs-recovered-inside-ae-subspace",
                 en="Diagonalising the data's covariance inside the autoencoder's subspace recovers every "
                    "principal "
                    "direction (min |cosine| above 0.99): the AE found the right subspace, only its basis is "
                    "arbitrary.",
                 zh="在自编码器子空间内对数据协方差做对角化，就能恢复每个主方向（最小 |余弦| 大于 0.99）："
                    "自编码器找对了子空间，只是基是任意的。",
                 value=recovered, op=">", threshold=0.99, expression="min_j |cos(rotated_j, v_j)|")
    report.progress(0.4, "ICA")

    # --- 2. ICA vs PCA on mixed non-Gaussian sources ------------------------------------------------
    n = cfg.pick(2000, 4000)
    n_mix = cfg.pick(10, 20)
    rows, am_gauss = [], []
    for i in range(n_mix):                                            # independent random mixings
        r = cfg.rng(10 + i)
        S = _sources(r, n)
        A = r.standard_normal((3, 3))
        Xm = S @ A.T
        ica = FastICA(3).fit(Xm, r)
        pca3 = PCA(3, whiten=True).fit(Xm)
        K = pca3.components_ / np.sqrt(pca3.explained_variance_)[:, None]   # whitening = PCA's "unmixing"
        rows.append([amari_index(ica.components_, A), amari_index(K, A),
                     float(match_components(ica.transform(Xm), S)[2].min()),
                     float(match_components(pca3.transform(Xm), S)[2].min()), ica.n_iter_])
        if i == 0:
            S_ica, S_pca = ica.transform(Xm), pca3.transform(Xm)
            am_ica0, am_pca0 = rows[0][0], rows[0][1]
        B = r.standard_normal((2, 2))                                 # the same ICA on Gaussian sources
        am_gauss.append(amari_index(FastICA(2).fit(r.standard_normal((n, 2)) @ B.T, r).components_, B))
    R = np.array(rows)
    report.table("source_recovery", ["mixing", "Amari ICA", "Amari PCA", "min |corr| ICA", "min |corr| PCA",
                                     "ICA iterations"],
                 [[i] + [float(v) for v in row] for i, row in enumerate(R)])
    report.metric("amari_ica_mean", float(R[:, 0].mean()))
    report.metric("amari_pca_mean", float(R[:, 1].mean()))
    report.metric("amari_pca_min", float(R[:, 1].min()))
    report.claim("ica-recovers-sources",
                 en=f"FastICA recovers three mixed non-Gaussian sources (Laplace, uniform, sinusoid) up to "
                    "sign and "
                    f"order: over {n_mix} random 3x3 mixings, every source is matched with |correlation| "
                    "above 0.98.",
                 zh=f"FastICA 在符号与顺序的不确定性之外恢复了三个混合的非高斯源（拉普拉斯、均匀、正弦）：在 "
                    f"{n_mix} "
                    "个随机 3x3 混合上，每个源的匹配 |相关系数| 都大于 0.98。",
                 value=float(R[:, 2].min()), op=">", threshold=0.98,
                 expression="min over mixings, sources |corr|")
    report.claim("ica-amari-small",
                 en="Its Amari index (0 for a perfect separation up to scale and permutation) stays below "
                    "0.05 "
                    "on every mixing.",
                 zh="它的 Amari 指数（在尺度与置换意义下完全分离时为 0）在每个混合上都低于 0.05。",
                 value=float(R[:, 0].max()), op="<", threshold=0.05,
                 expression="max over mixings Amari(W_ICA, A)")
    report.claim("pca-leaves-sources-mixed",
                 en="PCA whitening decorrelates the same data exactly yet leaves the sources mixed by a "
                    "rotation: "
                    "its mean Amari index over the mixings is above 0.2, more than five times ICA's worst.",
                 zh="PCA 白化同样让数据完全去相关，却把源留在一个旋转之下：它在各混合上的平均 Amari 指数大于 "
                    "0.2，"
                    "超过 ICA 最差值的五倍。",
                 value=float(min(R[:, 1].mean() / 0.2, R[:, 1].mean() / (5 * R[:, 0].max()))), op=">",
                 threshold=1.0, expression="min(mean Amari_PCA / 0.2, mean Amari_PCA / (5 max Amari_ICA))")
    report.metric("pca_min_corr_mean", float(R[:, 3].mean()))
    report.metric("amari_gaussian_2src_mean", float(np.mean(am_gauss)))
    report.claim("gaussian-sources-not-identifiable",
                 en=f"Identifiability needs non-Gaussianity: on two Gaussian sources under {n_mix} random "
                    "2x2 "
                    "mixings FastICA's mean Amari index is above 0.2 (any rotation of white Gaussian sources "
                    "is "
                    "equally independent), far from the below-0.05 it reaches on non-Gaussian sources.",
                 zh=f"可辨识性需要非高斯性：两个高斯源在 {n_mix} 个随机 2x2 混合下，FastICA 的平均 Amari "
                    "指数大于 0.2"
                    "（白化高斯源任意旋转后同样独立），远离它在非高斯源上达到的 0.05 以下。",
                 value=float(np.mean(am_gauss)), op=">", threshold=0.2,
                 expression="mean Amari (Gaussian sources)")
    report.progress(0.65, "nonlinear autoencoders")

    # --- 3. nonlinear AE vs PCA on curved data -------------------------------------------------------
    arc_tr, arc_te = _arc(rng, 1000), _arc(rng, 1000)
    pca1 = PCA(1).fit(arc_tr)
    nl1 = Autoencoder([2, 32, 1], activation="tanh", generator=cfg.rng(3))
    for lr in (1e-2, 3e-3):
        fit(nl1, arc_tr, mse_loss, epochs=cfg.pick(40, 80), rng=rng, lr=lr, batch_size=128)
    arc_ratio = _mse(nl1, arc_te) / pca1.reconstruction_mse(arc_te)
    report.claim("nonlinear-ae-beats-pca-on-curve",
                 en="On a noisy three-quarter circle in 2-D with a 1-D code, a tanh autoencoder "
                    "(2-32-1-32-2) has "
                    "held-out MSE below 30% of PCA's with one component (a line cannot follow the curve).",
                 zh="在二维带噪四分之三圆弧上、编码维数为 1 时，tanh 自编码器（2-32-1-32-2）的留出集 MSE 低于"
                    "单主成分 PCA 的 30%（直线跟不上曲线）。",
                 value=arc_ratio, op="<", threshold=0.3, expression="MSE_AE / MSE_PCA1 (held out)")
    nl = Autoencoder([64, 64, k], activation="tanh", generator=cfg.rng(4))
    for lr in (3e-3, 1e-3):
        fit(nl, tr, mse_loss, epochs=cfg.pick(20, 40), rng=rng, lr=lr, batch_size=128)
    dig_ratio = _mse(nl, te) / pca.reconstruction_mse(te)
    report.metric("digits_linear_ae_heldout_mse", _mse(lin, te))
    report.metric("digits_pca_heldout_mse", pca.reconstruction_mse(te))
    report.metric("digits_nonlinear_ae_heldout_mse", _mse(nl, te))
    report.claim("nonlinear-ae-beats-pca-on-digits",
                 en=f"On digits with the same k = {k}, a tanh autoencoder (64-64-{k}-64-64) reconstructs "
                    "held-out "
                    "digits with MSE below 90% of PCA's (and of the linear autoencoder's, which equals "
                    "PCA's).",
                 zh=f"在 digits 上取相同的 k = {k}，tanh 自编码器（64-64-{k}-64-64）在留出集上的重构 MSE "
                    "低于 PCA 的 "
                    "90%（线性自编码器与 PCA 相同）。",
                 value=dig_ratio, op="<", threshold=0.9, expression="MSE_AE / MSE_PCA (held out)")
    report.progress(0.9, "figures")

    from dlproof.experiments.figures import new_figure

    fig, ax = new_figure(1, 4, size=(15.0, 3.6))
    im = ax[0].imshow(C, vmin=0, vmax=1, cmap="viridis")
    ax[0].set_xlabel("principal direction $j$")
    ax[0].set_ylabel("decoder column $i$")
    ax[0].set_title(rf"$|\cos(w_i, v_j)|$, max angle {angles.max():.2f}$^\circ$")
    fig.colorbar(im, ax=ax[0], shrink=0.8)
    ax[1].scatter(S_pca[:600, 0], S_pca[:600, 1], s=2, alpha=0.5)
    ax[1].set_title(f"PCA whitened (Amari {am_pca0:.2f})")
    ax[2].scatter(S_ica[:600, 0], S_ica[:600, 1], s=2, alpha=0.5)
    ax[2].set_title(f"FastICA (Amari {am_ica0:.3f})")
    sub = arc_te[:400]
    ax[3].scatter(sub[:, 0], sub[:, 1], s=2, color="0.7", label="data")
    ax[3].plot(*pca1.inverse_transform(pca1.transform(sub)).T, ".", ms=2, label="PCA, k=1")
    ax[3].plot(*nl1(sub).data.T, ".", ms=2, label="tanh AE, k=1")
    ax[3].legend(fontsize=7, markerscale=4)
    ax[3].set_aspect("equal")
    report.figure("autoencoder-pca-ica", fig,
                  en="Left: |cosines| between the linear AE's decoder columns and the principal directions "
                     "(mixtures, "
                     "though the subspace is the same). Middle: the first two whitened PCA components and "
                     "FastICA "
                     "components of three mixed sources. Right: reconstructions of a curve with a 1-D code.",
                  zh="左：线性自编码器解码器列与主方向的 |余弦|（子空间相同，但列是混合）。中：三个混合源的 "
                     "PCA "
                     "白化分量与 FastICA 分量（前两维）。右：1 维编码对曲线的重构。")
    report.progress(1.0, "done")
