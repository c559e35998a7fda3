"""Low-dimensional, sparse, independent, and distributed against local representations, measured.

Digits (standardised, clipped at +-5; 1397 train / 400 test rows):

1. Low-dimensional: PCA's cumulative explained variance and held-out reconstruction error
   against the number of components k.
2. Sparse: a 2x overcomplete dictionary (128 atoms for 64 pixels) learned by sparse coding
   (``models.sparse_coding``, lasso codes with lam = 1); the fraction of non-zero codes, and its
   held-out error against PCA with as many components as the sparse code has active atoms on
   average.
3. Independent: 10 whitened PCA components against 10 FastICA components. Both are uncorrelated
   on the training digits; ICA also removes dependence that correlation cannot see (correlation
   of the squared codes) and finds heavier-tailed, less Gaussian components (excess kurtosis).

Synthetic, exact:

4. Distributed against local (one-hot) codes: n linear threshold units in the plane cut it into
   1 + n + C(n, 2) regions, counted by probing the four corners around every intersection point
   (each region of an arrangement in general position has a vertex); n prototypes (one-hot,
   nearest-prototype) give n regions.
5. Generalisation to unseen attribute combinations: 5 colours x 5 shapes, an additive target, 5
   combinations never seen in training; ridge regression on the distributed code (two one-hots,
   10 dims) against the local code (one unit per combination, 25 dims); and, as the honest
   control, a multiplicative target that the distributed linear model cannot fit either.
"""

from __future__ import annotations

from math import comb

import numpy as np

from dlproof.data import digits
from dlproof.experiments.registry import RunConfig, experiment
from dlproof.models.sparse_coding import SparseCoding
from dlproof.stats.decomposition import PCA, FastICA
from dlproof.stats.linear import ridge

N_TRAIN = 1397
LAM = 1.0


def mean_abs_offdiag_corr(Z: np.ndarray) -> float:
    """mean_{i<j} |corr(z_i, z_j)| over the columns of Z (N, k)."""
    C = np.corrcoef(Z.T)
    return float(np.abs(C[np.triu_indices(Z.shape[1], 1)]).mean())


def mean_abs_excess_kurtosis(Z: np.ndarray) -> float:
    """mean_j |E[u_j^4] - 3| of the standardised columns u_j of Z: 0 for Gaussian columns."""
    U = (Z - Z.mean(0)) / Z.std(0)
    return float(np.abs((U ** 4).mean(0) - 3).mean())


def count_regions_of_lines(W: np.ndarray, b: np.ndarray, eps: float = 1e-7) -> int:
    """Distinct sign patterns of the n threshold units 1[x W^T + b > 0], W (n, 2), b (n,), found
    around every pairwise intersection (vertex) v of lines i and j: the four points v + delta with
    A delta = eps (s_i, s_j), A = [w_i; w_j], s in {+-1}^2, which lie on the four sides of the two
    lines and, for small eps, on the vertex's side of every other line."""
    n = W.shape[0]
    i, j = np.triu_indices(n, 1)
    A = np.stack([W[i], W[j]], axis=1)                                # (P, 2, 2)
    V = np.linalg.solve(A, -np.stack([b[i], b[j]], axis=1)[..., None])[..., 0]   # vertices (P, 2)
    S = eps * np.array([[1, 1], [1, -1], [-1, 1], [-1, -1]], dtype=np.float64)   # (4, 2)
    delta = np.linalg.solve(A[:, None], np.broadcast_to(S, (len(V), 4, 2))[..., None])[..., 0]
    P = (V[:, None, :] + delta).reshape(-1, 2)
    signs = P @ W.T + b > 0
    return len(np.unique(np.packbits(signs, axis=1), axis=0))


def attribute_codes(n_values: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """All n_values^2 (colour, shape) pairs: indices (M, 2), distributed code (M, 2 n_values)
    = [one-hot colour, one-hot shape], local code (M, n_values^2) = one-hot of the pair."""
    pairs = np.array([(c, s) for c in range(n_values) for s in range(n_values)])
    eye = np.eye(n_values)
    distributed = np.hstack([eye[pairs[:, 0]], eye[pairs[:, 1]]])
    return pairs, distributed, np.eye(len(pairs))


@experiment("representation-types", questions=["representation-types"],
            title_en="Low-dimensional, sparse, independent and distributed representations, measured",
            title_zh="低维、稀疏、独立与分布式表示的实测")
def run(cfg: RunConfig, report) -> None:
    rng = cfg.rng()
    X = np.clip(digits()[0], -5, 5)
    perm = rng.permutation(len(X))
    tr, te = X[perm[:N_TRAIN]], X[perm[N_TRAIN:]]

    # --- 1. low-dimensional -----------------------------------------------------------------------
    full = PCA().fit(tr)
    cum = np.cumsum(full.explained_variance_ratio_)
    k90 = int(np.searchsorted(cum, 0.9) + 1)
    ks = [1, 2, 5, 10, 20, 30, 40, 64]
    pca_mse = {k: PCA(k).fit(tr).reconstruction_mse(te) for k in ks}
    report.metric("pca_components_for_90pct_variance", k90)
    report.claim("low-dim-pca-compresses",
                 en="The 64 pixels are highly redundant: PCA keeps 90% of the training variance with at "
                    "most half of the dimensions (k90 / 64 below 0.5).",
                 zh="64 个像素高度冗余：PCA 只用不超过一半的维度就保留了训练集 90% 的方差"
                    "（k90 / 64 小于 0.5）。",
                 value=k90 / 64, op="<", threshold=0.5, expression="k90 / 64")
    report.progress(0.15, "sparse coding")

    # --- 2. sparse ----------------------------------------------------------------------------------
    sc = SparseCoding(128, LAM, n_iter=cfg.pick(12, 30), code_iter=30).fit(tr, cfg.rng(1))
    H = sc.transform(te)
    active = np.abs(H) > 1e-10
    frac, mean_active = float(active.mean()), float(active.sum(1).mean())
    mse_sparse = float(np.mean((sc.inverse_transform(H) - te) ** 2))
    k_eq = int(np.ceil(mean_active))
    mse_pca_eq = PCA(k_eq).fit(tr).reconstruction_mse(te)
    report.metric("sparse_mean_active_atoms", mean_active)
    report.metric("sparse_units_ever_active_fraction", float(active.any(0).mean()))
    report.claim("sparse-code-mostly-zero",
                 en=f"With 128 atoms for 64 pixels and lam = {LAM}, fewer than 10% of the sparse code's "
                    "entries are non-zero on test digits (each digit uses a few atoms).",
                 zh=f"用 128 个原子表示 64 个像素、lam = {LAM} 时，测试 digits 上稀疏编码的非零项不到 10%"
                    "（每个数字只用少数几个原子）。",
                 value=frac, op="<", threshold=0.10, expression="fraction of non-zero codes")
    report.claim("sparse-beats-pca-at-equal-active-count",
                 en="At the same number of active coefficients per digit, the overcomplete sparse code "
                    "reconstructs held-out digits better than PCA: its MSE is below 0.7 of PCA's with "
                    "k = ceil(mean active atoms) components.",
                 zh="每个数字使用同样多个非零系数时，过完备稀疏编码对留出 digits 的重构优于 PCA：其 MSE 低于"
                    "取 k = ceil(平均非零原子数) 个主成分的 PCA 的 0.7 倍。",
                 value=mse_sparse / mse_pca_eq, op="<", threshold=0.7,
                 expression="MSE_sparse / MSE_PCA(k = ceil(mean active))")
    report.progress(0.5, "ICA")

    # --- 3. independent -------------------------------------------------------------------------------
    Zp = PCA(10, whiten=True).fit(tr).transform(tr)
    ica = FastICA(10).fit(tr, cfg.rng(2))
    Zi = ica.transform(tr)
    corr_p, corr_i = mean_abs_offdiag_corr(Zp), mean_abs_offdiag_corr(Zi)
    sq_p, sq_i = mean_abs_offdiag_corr(Zp ** 2), mean_abs_offdiag_corr(Zi ** 2)
    ku_p, ku_i = mean_abs_excess_kurtosis(Zp), mean_abs_excess_kurtosis(Zi)
    report.table("independence", ["code (10 components, training digits)", "mean |corr(z_i, z_j)|",
                                  "mean |corr(z_i^2, z_j^2)|", "mean |excess kurtosis|"],
                 [["PCA, whitened", corr_p, sq_p, ku_p], ["FastICA", corr_i, sq_i, ku_i]])
    report.metric("max_linear_correlation_pca_ica", max(corr_p, corr_i))
    report.metric("fastica_converged", float(ica.converged_))
    report.metric("digits_sqcorr_ica_over_pca", sq_i / sq_p)
    # decorrelated is not independent, where the ICA model holds: mixed independent Laplace sources
    sq_mix = {"PCA, whitened": [], "FastICA": [], "true sources": []}
    lin_mix = []
    g = cfg.rng(4)
    for _ in range(5):
        S = g.laplace(size=(4000, 2))
        Xm = S @ g.standard_normal((2, 2)).T
        for name, Z in (("PCA, whitened", PCA(2, whiten=True).fit(Xm).transform(Xm)),
                        ("FastICA", FastICA(2).fit(Xm, g).transform(Xm)), ("true sources", S)):
            sq_mix[name].append(abs(np.corrcoef((Z ** 2).T)[0, 1]))
            if name != "true sources":
                lin_mix.append(abs(np.corrcoef(Z.T)[0, 1]))
    sqm = {k: float(np.mean(v)) for k, v in sq_mix.items()}
    report.metric("max_linear_correlation_mixed_sources", float(max(lin_mix)))
    report.table("independence_mixed_laplace",
                 ["code (2 mixed Laplace sources, 5 mixings)", "mean |corr(z_1^2, z_2^2)|"],
                 [[k, v] for k, v in sqm.items()])
    report.claim("decorrelated-is-not-independent",
                 en="On two independent Laplace sources under random mixings, whitened PCA and FastICA "
                    "outputs are both uncorrelated (|corr| below 1e-6), but the PCA outputs' squares stay "
                    "correlated: their mean |corr(z_1^2, z_2^2)| is more than 3 times ICA's.",
                 zh="两个独立拉普拉斯源经随机混合后，白化 PCA 与 FastICA 的输出都不相关"
                    "（|corr| 小于 1e-6），但 PCA 输出的平方仍然相关："
                    "平均 |corr(z_1^2, z_2^2)| 是 ICA 的 3 倍以上。",
                 value=float(min(sqm["PCA, whitened"] / sqm["FastICA"] / 3,
                                 1e-6 / max(max(lin_mix), 1e-300))),
                 op=">", threshold=1.0,
                 expression="min((sqcorr_PCA / sqcorr_ICA) / 3, 1e-6 / max |corr|)")
    report.claim("ica-components-less-gaussian",
                 en="The ICA components are far from Gaussian: their mean |excess kurtosis| is more than "
                    "twice that of the whitened PCA components.",
                 zh="ICA 分量远离高斯：它们的平均 |超额峰度| 是白化 PCA 分量的两倍以上。",
                 value=ku_i / ku_p, op=">", threshold=2.0, expression="kurt_ICA / kurt_PCA")
    report.progress(0.75, "distributed codes")

    # --- 4. how many regions n features can tell apart ----------------------------------------------
    rows, ratios = [], {}
    for n in (5, 10, 20):
        W = rng.standard_normal((n, 2))
        b = rng.standard_normal(n)
        regions = count_regions_of_lines(W, b)
        rows.append([n, regions, 1 + n + comb(n, 2), n])
        ratios[n] = (regions, regions / (1 + n + comb(n, 2)))
    report.table("regions", ["n units", "regions measured (distributed)", "1 + n + C(n, 2)",
                             "regions of n prototypes (one-hot)"], rows)
    mismatch = sum(abs(r[1] - r[2]) for r in rows)
    report.claim("regions-counted-match-formula",
                 en="Counted at the vertices, n = 5, 10, 20 random lines in the plane give exactly "
                    "1 + n + C(n, 2) regions (16, 56, 211): the total mismatch is 0.",
                 zh="在顶点处计数，平面上 n = 5、10、20 条随机直线恰好给出 1 + n + C(n, 2) 个区域"
                    "（16、56、211）：总偏差为 0。",
                 value=float(mismatch), op="<", threshold=0.5,
                 expression="sum_n |regions counted - (1 + n + C(n, 2))|")
    report.claim("distributed-features-carve-more-regions",
                 en="20 linear threshold units in the plane (a distributed binary code) tell apart more "
                    "than 8 times as many regions as 20 one-hot prototypes (which give 20).",
                 zh="平面上 20 个线性阈值单元（分布式二值编码）能区分的区域数是 20 个 one-hot 原型"
                    "（20 个区域）的 8 倍以上。",
                 value=ratios[20][0] / 20, op=">", threshold=8.0, expression="regions(20 units) / 20")

    # --- 5. unseen attribute combinations -------------------------------------------------------------
    nv, reps = 5, 8
    pairs, dist, local = attribute_codes(nv)
    g = cfg.rng(3)
    u, v = g.standard_normal(nv), g.standard_normal(nv)
    shift = int(g.integers(0, nv))
    unseen = (pairs[:, 1] - pairs[:, 0]) % nv == shift            # one combination per colour and shape
    idx = np.repeat(np.arange(len(pairs)), reps)
    res = {}
    for target, f in (("additive", u[pairs[:, 0]] + v[pairs[:, 1]]), ("multiplicative",
                                                                        u[pairs[:, 0]] * v[pairs[:, 1]])):
        y = f[idx] + 0.1 * g.standard_normal(len(idx))
        seen = ~unseen[idx]
        mu = y[seen].mean()
        baseline = np.mean((mu - f[unseen]) ** 2)                 # predicting the training mean
        for name, code in (("distributed", dist), ("local (one-hot)", local)):
            w = ridge(code[idx][seen], y[seen] - mu, 1e-3)
            pred = code[unseen] @ w + mu
            res[target, name] = float(np.mean((pred - f[unseen]) ** 2) / baseline)
    report.table("unseen_combinations",
                 ["target", "code", "MSE on unseen combinations / MSE of the training mean"],
                 [[t, c, res[t, c]] for t, c in res])
    report.claim("distributed-code-generalises-to-unseen-combinations",
                 en=f"For an additive target over {nv} colours x {nv} shapes, a linear model on the "
                    f"distributed code predicts the {nv} never-seen combinations with an error below 0.1 "
                    "of that of predicting the training mean, while on the one-hot code of the "
                    "combinations it does no better than the mean (ratio above 0.9: it has no weight "
                    "for them).",
                 zh=f"对 {nv} 种颜色 x {nv} 种形状上的可加目标，分布式编码上的线性模型预测 {nv} 个"
                    "从未见过的组合，误差低于\"预测训练均值\"的 0.1；而在组合的 one-hot 编码上它不比均值好"
                    "（比值高于 0.9：这些组合没有权重）。",
                 value=float(min(0.1 / max(res["additive", "distributed"], 1e-12),
                                 res["additive", "local (one-hot)"] / 0.9)), op=">", threshold=1.0,
                 expression="min(0.1 / err_distributed, err_local / 0.9)")
    report.metric("additive_unseen_error_distributed", res["additive", "distributed"])
    report.metric("additive_unseen_error_local", res["additive", "local (one-hot)"])
    report.metric("multiplicative_unseen_error_distributed", res["multiplicative", "distributed"])

    from dlproof.experiments.figures import new_figure

    fig, ax = new_figure(1, 3, size=(14.0, 4.2))
    ax[0].plot(ks, [pca_mse[k] for k in ks], marker="o", label="PCA, k components")
    ax[0].plot([mean_active], [mse_sparse], marker="*", ms=14, ls="none",
               label=f"sparse code, 128 atoms (mean {mean_active:.1f} active)")
    ax[0].set_xlabel("active coefficients per digit")
    ax[0].set_ylabel("held-out reconstruction MSE")
    ax[0].legend(fontsize=8)
    order = np.argsort(-np.abs(sc.codes_).sum(0))[:16]
    atoms = sc.components_[order].reshape(16, 8, 8)
    ax[1].imshow(np.vstack([np.hstack(list(atoms[r * 8:(r + 1) * 8])) for r in range(2)]), cmap="RdBu_r",
                 vmin=-np.abs(atoms).max(), vmax=np.abs(atoms).max())
    ax[1].set_title("the 16 most used sparse-coding atoms")
    ax[1].set_axis_off()
    ax[2].scatter(Zp[:, 0], Zp[:, 1], s=4, alpha=0.5, label="PCA 1 vs 2")
    j = np.argsort(-np.abs((Zi ** 4).mean(0) - 3))[:2]
    ax[2].scatter(Zi[:, j[0]], Zi[:, j[1]], s=4, alpha=0.5, label="two ICA components")
    ax[2].set_title("uncorrelated codes: PCA against ICA")
    ax[2].legend(fontsize=8)
    report.figure("representation-types", fig,
                  en="Left: held-out reconstruction error of PCA against k, and of the sparse code at its "
                     "mean number of active atoms. Middle: the most used atoms of the overcomplete "
                     "dictionary. Right: two whitened PCA components and the two most non-Gaussian ICA "
                     "components of the training digits (all uncorrelated).",
                  zh="左：PCA 留出集重构误差随 k 的变化，以及稀疏编码在其平均非零原子数处的误差。"
                     "中：过完备字典中最常用的原子。右：训练 digits 的两个白化 PCA 分量"
                     "与两个最不高斯的 ICA 分量（都不相关）。")
    report.progress(1.0, "done")
