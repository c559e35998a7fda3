"""The softmax Jacobian J = diag(s) - s s^T, checked three ways, and the s - y gradient of CE.

1. The analytic J against float64 central differences of softmax (random logits, K = 10).
2. The engine's backward of ``ops.softmax`` (one upstream basis vector per row, batched) against J.
3. The classic mistake, a diagonal-only Jacobian diag(s(1-s)), against the same finite differences.
Then the spectrum of J over many random logit vectors (PSD, largest eigenvalue <= 1/2, with 1/2
reached when two logits tie far above the rest), and the cross-entropy gradient s - y by autograd
through separate softmax/log nodes and through the fused loss.
"""

from __future__ import annotations

import numpy as np

import dlproof
from dlproof.engine import ops
from dlproof.experiments.registry import RunConfig, experiment
from dlproof.nn.functional import cross_entropy


def softmax_np(z: np.ndarray) -> np.ndarray:
    """Row-wise softmax, max-shifted: s = exp(z - max z) / sum exp(z - max z)."""
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def jacobian(s: np.ndarray) -> np.ndarray:
    """J[..., i, j] = s_i (delta_ij - s_j) for a batch of probability vectors (..., K)."""
    return s[..., :, None] * np.eye(s.shape[-1]) - s[..., :, None] * s[..., None, :]


def fd_jacobian(z: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """Central differences for a batch (M, K): all K perturbations at once, J[m, i, j]."""
    M, K = z.shape
    E = np.eye(K) * eps
    plus = softmax_np(z[:, None, :] + E[None])    # (M, j, i): perturb coordinate j
    minus = softmax_np(z[:, None, :] - E[None])
    return np.swapaxes((plus - minus) / (2 * eps), 1, 2)


@experiment("softmax-jacobian", questions=["softmax-derivative"],
            title_en="The softmax Jacobian diag(s) - ss^T and the s - y gradient",
            title_zh="softmax 的 Jacobian diag(s) - ss^T 与交叉熵梯度 s - y")
def run(cfg: RunConfig, report) -> None:
    rng = cfg.rng()
    K = 10
    M = cfg.pick(50, 200)
    z = rng.standard_normal((M, K)) * rng.uniform(0.5, 4.0, (M, 1))
    s = softmax_np(z)
    J = jacobian(s)
    J_fd = fd_jacobian(z)
    err_fd = float(np.abs(J - J_fd).max())
    report.metric("max_abs_err_analytic_vs_fd", err_fd)
    report.claim("jacobian-matches-fd",
                 en=f"diag(s) - ss^T agrees with float64 central differences (eps = 1e-6) on {M} "
                    "random logit vectors, K = 10: max absolute error below 1e-8.",
                 zh=f"在 {M} 个随机 logit 向量（K = 10）上，diag(s) - ss^T 与 float64 中心差分"
                    "（eps = 1e-6）的最大绝对误差小于 1e-8。",
                 value=err_fd, op="<", threshold=1e-8, expression="max|J - J_fd|")
    report.progress(0.2, "finite differences")

    # The engine's backward, batched: row i of the upstream gradient is e_i, so x.grad[m, i] = J[m, i, :].
    x = dlproof.tensor(np.repeat(z[:, None, :], K, axis=1), requires_grad=True)
    ops.softmax(x, dim=-1).backward(np.broadcast_to(np.eye(K), (M, K, K)).copy())
    err_ag = float(np.abs(x.grad - J).max())
    report.metric("max_abs_err_autograd_vs_analytic", err_ag)
    report.claim("autograd-matches-analytic",
                 en="The engine's softmax backward reproduces diag(s) - ss^T row by row "
                    "(max absolute difference below 1e-14).",
                 zh="引擎 softmax 的反向传播逐行复现 diag(s) - ss^T（最大绝对差小于 1e-14）。",
                 value=err_ag, op="<", threshold=1e-14, expression="max|J_autograd - J|")

    # The classic mistake: only the diagonal s_i (1 - s_i).
    D = np.eye(K) * (s * (1 - s))[:, None, :]
    rel = np.linalg.norm(D - J_fd, axis=(1, 2)) / np.linalg.norm(J_fd, axis=(1, 2))
    report.metric("min_rel_err_diagonal_only", float(rel.min()))
    report.claim("diagonal-only-is-wrong",
                 en="The diagonal-only 'derivative' diag(s(1-s)) is far from the finite-difference "
                    "Jacobian: relative Frobenius error above 0.1 on every test vector.",
                 zh="只保留对角线的“导数” diag(s(1-s)) 与有限差分 Jacobian 相差很大：每个测试"
                    "向量上的相对 Frobenius 误差都大于 0.1。",
                 value=float(rel.min()), op=">", threshold=0.1,
                 expression="min_z ||diag(s(1-s)) - J_fd||_F / ||J_fd||_F")
    rowsum = float(np.abs(J.sum(axis=2)).max())
    report.claim("rows-sum-to-zero",
                 en="Every row of J sums to zero (J 1 = 0: shifting all logits changes nothing); "
                    "max |row sum| below 1e-14.",
                 zh="J 的每一行之和为零（J·1 = 0：所有 logit 同加一个常数不改变输出）；最大行和"
                    "绝对值小于 1e-14。",
                 value=rowsum, op="<", threshold=1e-14, expression="max|J 1|")
    report.progress(0.4, "spectrum")

    # Spectrum over many logit vectors of all scales.
    n_spec = cfg.pick(1000, 5000)
    zs = rng.standard_normal((n_spec, K)) * rng.uniform(0.01, 6.0, (n_spec, 1))
    eig = np.linalg.eigvalsh(jacobian(softmax_np(zs)))  # ascending
    lam_min, lam_max = float(eig.min()), float(eig.max())
    report.metric("eig_min", lam_min)
    report.metric("eig_max", lam_max)
    report.claim("psd",
                 en=f"J is positive semidefinite (it is the covariance of a one-hot draw): the "
                    f"smallest eigenvalue over {n_spec} random logit vectors is >= -1e-14 "
                    "(the zero eigenvalue along 1, up to rounding).",
                 zh=f"J 半正定（它是 one-hot 抽样的协方差矩阵）：{n_spec} 个随机 logit 向量上的"
                    "最小特征值 >= -1e-14（沿全 1 方向的零特征值，只差舍入误差）。",
                 value=lam_min, op=">=", threshold=-1e-14, expression="min eigenvalue")
    report.claim("eigenvalues-at-most-half",
                 en=f"The largest eigenvalue over the same {n_spec} vectors stays in (0, 1/2].",
                 zh=f"同样 {n_spec} 个向量上的最大特征值落在 (0, 1/2] 内。",
                 value=lam_max, op="between", threshold=(1e-6, 0.5), expression="max eigenvalue")
    z_tie = np.array([[0.0, 0.0] + [-40.0] * (K - 2)])
    lam_tie = float(np.linalg.eigvalsh(jacobian(softmax_np(z_tie))).max())
    report.claim("half-is-reached",
                 en="The bound 1/2 is tight: with two tied logits far above the rest, "
                    "lambda_max = 1/2 to within 1e-12.",
                 zh="1/2 这个上界是紧的：两个 logit 相等且远大于其余时，最大特征值与 1/2 "
                    "相差不到 1e-12。",
                 value=abs(lam_tie - 0.5), op="<", threshold=1e-12, expression="|lambda_max - 1/2|")
    report.progress(0.6, "cross-entropy gradient")

    # Cross-entropy: autograd through softmax -> log -> pick, and the fused loss, vs s - y.
    N = 64
    logits = rng.standard_normal((N, K)) * 3
    y = rng.integers(0, K, N)
    Y = np.eye(K)[y]
    t = dlproof.tensor(logits, requires_grad=True)
    loss = -(ops.log(ops.softmax(t, dim=-1)) * Y).sum()
    loss.backward()
    target = softmax_np(logits) - Y
    err_composed = float(np.abs(t.grad - target).max())
    t2 = dlproof.tensor(logits, requires_grad=True)
    cross_entropy(t2, y).backward()
    err_fused = float(np.abs(t2.grad * N - target).max())  # mean reduction: gradient (s - y) / N
    report.metric("ce_grad_err_composed", err_composed)
    report.metric("ce_grad_err_fused", err_fused)
    report.claim("ce-gradient-is-s-minus-y",
                 en="Autograd through separate softmax and log nodes gives dL/dz = s - y for "
                    "L = -sum y log s (max absolute error below 1e-12 on 64 examples).",
                 zh="把 softmax 与 log 作为两个节点做自动微分，L = -Σ y log s 的梯度就是 s - y"
                    "（64 个样本上最大绝对误差小于 1e-12）。",
                 value=err_composed, op="<", threshold=1e-12, expression="max|grad - (s - y)|")
    report.claim("fused-ce-gradient",
                 en="The engine's fused softmax-cross-entropy returns exactly (s - y)/N for the "
                    "mean loss (max absolute error of N*grad below 1e-14).",
                 zh="引擎中融合的 softmax 交叉熵对均值损失给出 (s - y)/N（N×梯度的最大绝对误差"
                    "小于 1e-14）。",
                 value=err_fused, op="<", threshold=1e-14, expression="max|N grad - (s - y)|")

    # Figures: J for one vector, and the eigenvalue histogram.
    from dlproof.experiments.figures import new_figure

    z6 = np.array([2.0, 1.0, 0.5, 0.0, -1.0, -2.0])
    J6 = jacobian(softmax_np(z6))
    fig, (a0, a1) = new_figure(1, 2, size=(9.0, 3.8))
    lim = np.abs(J6).max()
    im = a0.imshow(J6, cmap="RdBu_r", vmin=-lim, vmax=lim)
    for (i, j), v in np.ndenumerate(J6):
        a0.text(j, i, f"{v:.2f}", ha="center", va="center", fontsize=7)
    a0.set_title(r"$J = \mathrm{diag}(s) - ss^\top$, $z = (2, 1, .5, 0, -1, -2)$")
    a0.set_xlabel("$j$")
    a0.set_ylabel("$i$")
    fig.colorbar(im, ax=a0, shrink=0.8)
    a1.hist(eig[:, 1:].ravel(), bins=60, color="tab:blue", alpha=0.7, label="other eigenvalues")
    a1.hist(eig[:, -1], bins=60, color="tab:orange", alpha=0.7, label=r"$\lambda_{\max}$")
    a1.axvline(0.5, color="k", ls="--", lw=1)
    a1.set_yscale("log")
    a1.set_xlabel("eigenvalue of $J$")
    a1.set_title(f"{n_spec} random logit vectors, K = {K}")
    a1.legend(fontsize=8)
    report.figure("softmax-jacobian", fig,
                  en="Left: the softmax Jacobian for one logit vector: positive diagonal s_i(1-s_i), "
                     "negative off-diagonal -s_i s_j, rows summing to 0. Right: its eigenvalues over "
                     "many random logit vectors, all in [0, 1/2] (one is always 0).",
                  zh="左：某个 logit 向量的 softmax Jacobian：对角线为正 s_i(1-s_i)，非对角为负 "
                     "-s_i s_j，每行之和为 0。右：大量随机 logit 向量下的特征值，全部落在 [0, 1/2]"
                     "（总有一个为 0）。")
    report.progress(1.0, "done")
