"""A Bernoulli RBM, measured exactly: factorised conditionals, the CD-k bias, and training on digits.

1. Tiny RBM (6 visible, 4 hidden): p(h | v) by brute-force enumeration of E(v, h) equals the
   product of the sigmoid conditionals; the exact log-likelihood gradient (negative phase by
   enumeration) equals finite differences of the exact log-likelihood.
2. The *expected* CD-k gradient, computed exactly (no sampling noise): the visible-to-visible
   block-Gibbs kernel T[v, v'] = sum_h p(h | v) p(v' | h) is a 64 x 64 matrix, so the distribution
   of the negative chain after k steps from the data is q_data T^k, and
   E[g_CD-k] = <h v^T>_data - sum_v' (q_data T^k)(v') p(h=1 | v') v'^T. Its distance to the exact
   gradient shrinks with k (geometrically, at the rate |lambda_2(T)|) and CD-1 is biased.
3. Binarised 8x8 digits (64 visible, 16 hidden): CD-1 and PCD-1 training, exact average
   log-likelihood per epoch (log Z by enumerating the 2^16 hidden states), against the best
   factorised (independent-pixel) model.
"""

from __future__ import annotations

import numpy as np

from dlproof.data import digits
from dlproof.experiments.registry import RunConfig, experiment
from dlproof.models.rbm import RBM, all_binary_states


def visible_gibbs_kernel(rbm: RBM) -> tuple[np.ndarray, np.ndarray]:
    """All visible states Vs (2^V, V) and T[v, v'] = sum_h p(h|v) p(v'|h) (2^V, 2^V), enumerating h."""
    Vs = all_binary_states(rbm.n_visible)
    Hs = all_binary_states(rbm.n_hidden)
    ph1 = rbm.p_h_given_v(Vs)                                            # (2^V, H)
    p_h = np.prod(np.where(Hs[None] == 1, ph1[:, None], 1 - ph1[:, None]), axis=2)   # (2^V, 2^H)
    pv1 = rbm.p_v_given_h(Hs)                                            # (2^H, V)
    p_v = np.prod(np.where(Vs[None] == 1, pv1[:, None], 1 - pv1[:, None]), axis=2)   # (2^H, 2^V)
    return Vs, p_h @ p_v


def expected_cd_gradient(rbm: RBM, q_data: np.ndarray, T: np.ndarray, Vs: np.ndarray, k: int) -> np.ndarray:
    """Exact expectation of the CD-k weight gradient (H, V) for a data distribution q_data (2^V,)."""
    pos = (rbm.p_h_given_v(Vs) * q_data[:, None]).T @ Vs                 # <p(h|v) v^T>_data
    q_k = q_data @ np.linalg.matrix_power(T, k)
    neg = (rbm.p_h_given_v(Vs) * q_k[:, None]).T @ Vs
    return pos - neg


@experiment("rbm-cd-pcd", questions=["rbm"],
            title_en="RBM: exact factorised conditionals, the exact CD-k bias, CD vs PCD on digits",
            title_zh="RBM：条件分布精确分解、CD-k 偏差的精确计算、digits 上 CD 与 PCD 的对比")
def run(cfg: RunConfig, report) -> None:
    rng = cfg.rng()
    # --- 1. tiny RBM: factorisation and the exact gradient --------------------------------------
    V, H = 6, 4
    tiny = RBM(V, H, W=rng.normal(0, 1.5, (H, V)), b=rng.normal(0, 0.5, V), c=rng.normal(0, 0.5, H))
    Vs, Hs = all_binary_states(V), all_binary_states(H)
    E = tiny.energy(np.repeat(Vs, len(Hs), 0), np.tile(Hs, (len(Vs), 1))).reshape(len(Vs), len(Hs))
    p_h_brute = np.exp(-E - np.logaddexp.reduce(-E, axis=1, keepdims=True))     # p(h | v), (2^V, 2^H)
    ph1 = tiny.p_h_given_v(Vs)
    p_h_fact = np.prod(np.where(Hs[None] == 1, ph1[:, None], 1 - ph1[:, None]), axis=2)
    fact_err = float(np.abs(p_h_brute - p_h_fact).max())
    report.claim("conditional-factorises",
                 en="On a 6x4 RBM, p(h | v) from brute-force enumeration of exp(-E(v, h)) over all 16 hidden "
                    "states equals prod_j sigmoid(c_j + W_j.v)^h_j (1 - ...)^(1-h_j) for all 64 visible "
                    "states (max abs difference below 1e-12).",
                 zh="在 6x4 的 RBM 上，对全部 64 个可见状态，由 exp(-E(v,h)) 对 16 个隐状态穷举得到的 "
                    "p(h|v) 等于各隐单元 sigmoid 条件概率的乘积（最大绝对差小于 1e-12）。",
                 value=fact_err, op="<", threshold=1e-12, expression="max|p_brute(h|v) - prod_j p(h_j|v)|")

    q_data = rng.dirichlet(np.full(len(Vs), 0.3))                    # a data distribution on 64 states
    n_data = 40
    X = Vs[rng.choice(len(Vs), n_data, p=q_data)]
    codes = (X @ (2 ** np.arange(V - 1, -1, -1))).astype(int)       # row index of each example in Vs
    q_emp = np.bincount(codes, minlength=len(Vs)) / n_data
    dW = tiny.exact_gradient(X)[0]
    eps = 1e-5
    fd = np.zeros_like(dW)
    for idx in np.ndindex(dW.shape):     # 24 parameters of the tiny model
        Wp, Wm = tiny.W.copy(), tiny.W.copy()
        Wp[idx] += eps
        Wm[idx] -= eps
        fd[idx] = (RBM(V, H, W=Wp, b=tiny.b, c=tiny.c).log_likelihood(X)
                   - RBM(V, H, W=Wm, b=tiny.b, c=tiny.c).log_likelihood(X)) / (2 * eps)
    fd_err = float(np.abs(fd - dW).max() / np.abs(fd).max())
    report.claim("exact-gradient-matches-fd",
                 en="The exact gradient <h v^T>_data - <h v^T>_model (model term by enumeration) matches "
                    "central differences of the exact log-likelihood (relative max error below 1e-7).",
                 zh="精确梯度 <h v^T>_data - <h v^T>_model（模型项由穷举求得）与精确对数似然的中心差分"
                    "一致（相对最大误差小于 1e-7）。",
                 value=fd_err, op="<", threshold=1e-7, expression="max|g_fd - g| / max|g_fd|")
    report.progress(0.15, "exact CD-k expectation")

    # --- 2. the exact expected CD-k gradient ------------------------------------------------------
    Vs_, T = visible_gibbs_kernel(tiny)
    ks = [1, 2, 3, 5, 10, 20, 50]
    norm = float(np.linalg.norm(dW))
    bias = {k: float(np.linalg.norm(expected_cd_gradient(tiny, q_emp, T, Vs, k) - dW)) / norm for k in ks}
    for k in ks:
        report.metric(f"cd{k}_relative_bias", bias[k])
    g1 = expected_cd_gradient(tiny, q_emp, T, Vs, 1)
    cos1 = float((g1 * dW).sum() / (np.linalg.norm(g1) * norm))
    report.metric("cd1_cosine_with_exact", cos1)
    lam2 = float(np.sort(np.abs(np.linalg.eigvals(T)))[::-1][1])
    report.metric("lambda2_visible_kernel", lam2)
    report.table("cd_k_bias", ["k", "||E[g_CD-k] - g|| / ||g||"], [[k, bias[k]] for k in ks])
    report.claim("cd1-is-biased",
                 en="The expected CD-1 gradient is not the log-likelihood gradient: their distance is above "
                    "3% of the gradient's norm (computed exactly via the 64-state Gibbs kernel, no noise).",
                 zh="CD-1 的期望梯度并不是对数似然梯度：两者之差超过梯度范数的 3%（用 64 状态的 Gibbs "
                    "转移矩阵精确计算，没有采样噪声）。",
                 value=bias[1], op=">", threshold=0.03, expression="||E[g_CD1] - g|| / ||g||")
    report.claim("cd-bias-shrinks-with-k",
                 en="Longer chains remove the bias: the relative bias of CD-20 is below a tenth of CD-1's "
                    "(it decays like |lambda_2(T)|^k, T the visible Gibbs kernel).",
                 zh="链越长偏差越小：CD-20 的相对偏差不到 CD-1 的十分之一（按 |lambda_2(T)|^k 衰减，"
                    "T 为可见层 Gibbs 转移矩阵）。",
                 value=bias[20] / bias[1], op="<", threshold=0.1, expression="bias(CD-20) / bias(CD-1)")
    report.claim("cd1-still-points-uphill",
                 en="Biased but useful: the expected CD-1 gradient's cosine with the exact gradient "
                    "is above 0.5.",
                 zh="有偏但有用：CD-1 期望梯度与精确梯度的余弦相似度大于 0.5。",
                 value=cos1, op=">", threshold=0.5, expression="cos(E[g_CD1], g)")
    # the sampler agrees with the exact expectation
    Xrep = np.repeat(X, cfg.pick(500, 2000), axis=0)
    g1_mc = tiny.cd_gradient(Xrep, 1, cfg.rng(1))[0][0]
    mc_err = float(np.abs(g1_mc - g1).max())
    report.claim("cd-sampler-matches-expectation",
                 en="The sampled CD-1 gradient, averaged over many chains per data row, agrees with the "
                    "exact expectation q_data T (max abs error below 0.03): the bias is CD's, not noise.",
                 zh="对每个数据行跑很多条链取平均，采样得到的 CD-1 梯度与精确期望 q_data T 一致（最大绝对"
                    "误差小于 0.03）：上面的偏差属于 CD 本身，而非噪声。",
                 value=mc_err, op="<", threshold=0.03, expression="max|mean g_CD1 - E[g_CD1]|")
    report.progress(0.3, "digits")

    # --- 3. digits: CD-1 vs PCD-1 with the exact log-likelihood ------------------------------------
    Xd = digits(standardize=False)[0]
    Xd = (Xd > 7).astype(np.float64)
    n_hidden = cfg.pick(12, 16)
    epochs = cfg.pick(20, 30)
    lr = 0.05
    m_pix = Xd.mean(axis=0).clip(1e-3, 1 - 1e-3)
    ll_indep = float(np.mean(Xd @ np.log(m_pix) + (1 - Xd) @ np.log(1 - m_pix)))
    report.metric("loglik_independent_pixels", ll_indep)
    curves = {}
    final = {}
    for name, persistent in (("CD-1", False), ("PCD-1", True)):
        r = cfg.rng(2)
        m = RBM(64, n_hidden, rng=r, b=np.log(m_pix / (1 - m_pix)))
        curve = []
        m.fit(Xd, epochs=epochs, lr=lr, batch_size=10, k=1, rng=r, persistent=persistent,
              callback=lambda e, rbm, c=curve: c.append(rbm.log_likelihood(Xd)))
        curves[name], final[name] = curve, m
        report.metric(f"loglik_{name}", curve[-1])
    report.progress(0.85, "figures")
    gain = min(curves["CD-1"][-1], curves["PCD-1"][-1]) - ll_indep
    report.claim("rbm-beats-independent-pixels",
                 en=f"With {n_hidden} hidden units, both CD-1 and PCD-1 training raise the exact average "
                    "log-likelihood of binarised digits (log Z by enumerating 2^H hidden states) more than "
                    "3 nats above the best independent-pixel model.",
                 zh=f"用 {n_hidden} 个隐单元，CD-1 和 PCD-1 训练后，二值化 digits 的精确平均对数似然（对 2^H "
                    "个隐状态穷举求 log Z）都比最好的独立像素模型高 3 nats 以上。",
                 value=gain, op=">", threshold=3.0,
                 expression="min(ll_CD1, ll_PCD1) - ll_independent")

    from dlproof.experiments.figures import new_figure

    fig, (a0, a1, a2) = new_figure(1, 3, size=(13.0, 3.8))
    a0.semilogy(ks, [bias[k] for k in ks], "o-")
    a0.set_xscale("log")
    a0.set_xlabel("CD steps $k$")
    a0.set_ylabel(r"$\|E[g_{CD-k}] - g\| / \|g\|$")
    for name, c in curves.items():
        a1.plot(np.arange(1, len(c) + 1), c, "o-", label=name)
    a1.axhline(ll_indep, color="gray", ls="--", label="independent pixels")
    a1.set_xlabel("epoch")
    a1.set_ylabel("exact mean log-likelihood (nats)")
    a1.legend(fontsize=8)
    Wf = final["PCD-1"].W
    tiles = np.ones((2 * 9 + 1, (n_hidden // 2) * 9 + 1)) * np.nan
    for j in range(n_hidden):
        r_, c_ = divmod(j, n_hidden // 2)
        w = Wf[j].reshape(8, 8)
        tiles[r_ * 9 + 1:r_ * 9 + 9, c_ * 9 + 1:c_ * 9 + 9] = w / np.abs(w).max()
    a2.imshow(tiles, cmap="RdBu_r", vmin=-1, vmax=1)
    a2.set_axis_off()
    a2.set_title("PCD-1 filters $W_j$")
    report.figure("rbm-cd-pcd", fig,
                  en="Left: the exact bias of the expected CD-k gradient on a 6x4 RBM falls with k. "
                     "Middle: exact log-likelihood of binarised digits during CD-1 and PCD-1 training. "
                     "Right: learned filters.",
                  zh="左：6x4 RBM 上 CD-k 期望梯度的精确偏差随 k 下降。中：CD-1 与 PCD-1 训练过程中二值化 "
                     "digits 的精确对数似然。右：学到的滤波器。")
    report.progress(1.0, "done")
