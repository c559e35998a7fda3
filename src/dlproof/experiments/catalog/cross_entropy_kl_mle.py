# ruff: noqa: E501  (bilingual claim statements are long text)
"""Cross-entropy = entropy + KL, and maximum likelihood = minimum KL from the empirical distribution.

1. The identity H(p, q) = H(p) + KL(p‖q), exact on random discrete pairs.
2. Softmax regression on the digits trained twice from the same initialisation, once on the
   cross-entropy loss and once on the KL loss (gradients by the engine), against one-hot and against
   label-smoothed targets: identical parameter trajectories, loss curves offset by exactly H(p), and
   the engine's gradient with respect to the logits equal to softmax(z) − p for both losses.
3. A categorical distribution fitted by gradient descent on the mean negative log-likelihood: at
   every step NLL − H(p̂) = KL(p̂‖q_θ), and the fit converges to the empirical frequencies p̂.
4. Zero probability on an observed outcome: with q clamped at ε the cross-entropy grows like
   p_k log(1/ε), i.e. it is infinite in the limit.
"""

from __future__ import annotations

import time

import numpy as np

import dlproof.engine as E
from dlproof.data import digits
from dlproof.experiments.figures import new_figure
from dlproof.experiments.registry import Report, RunConfig, experiment
from dlproof.nn import functional as F
from dlproof.stats.information import cross_entropy, entropy, kl_divergence


def softmax(z):
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def train_softmax_regression(X, P, W0, b0, loss: str, steps: int, lr: float):
    """Full-batch gradient descent on the mean CE or KL loss; returns the (W, b) trajectory and losses."""
    logP = np.log(np.where(P > 0, P, 1.0))
    W, b = W0.copy(), b0.copy()
    traj, losses = [], []
    for _ in range(steps):
        Wt, bt = E.tensor(W, requires_grad=True), E.tensor(b, requires_grad=True)
        logq = F.log_softmax(E.tensor(X) @ Wt.T + bt, dim=1)
        if loss == "ce":  # −(1/N) Σ_n Σ_k p_nk log q_nk
            L = -(E.tensor(P) * logq).sum() / len(X)
        else:  # (1/N) Σ_n Σ_k p_nk (log p_nk − log q_nk)
            L = (E.tensor(P) * (E.tensor(logP) - logq)).sum() / len(X)
        L.backward()
        losses.append(L.item())
        W, b = W - lr * Wt.grad, b - lr * bt.grad
        traj.append(np.concatenate([W.ravel(), b]))
    return np.array(traj), np.array(losses)


def logit_grads(X, P, W, b):
    """Engine gradients of the summed CE and KL losses with respect to the logits z = XWᵀ + b."""
    logP = np.log(np.where(P > 0, P, 1.0))
    out = []
    for loss in ("ce", "kl"):
        z = E.tensor(X @ W.T + b, requires_grad=True)
        logq = F.log_softmax(z, dim=1)
        L = -(E.tensor(P) * logq).sum() if loss == "ce" else (E.tensor(P) * (E.tensor(logP) - logq)).sum()
        L.backward()
        out.append(z.grad)
    return out


@experiment(
    "cross-entropy-kl-mle",
    questions=["cross-entropy-kl-mle"],
    title_en="Cross-entropy = entropy + KL: same gradients, same minimiser, offset H(p); MLE = min KL(p̂‖q)",
    title_zh="交叉熵 = 熵 + KL：梯度相同、极小点相同、相差 H(p)；MLE 即最小化 KL(p̂‖q)",
)
def run(cfg: RunConfig, report: Report) -> None:
    t0 = time.perf_counter()
    rng = cfg.rng(0)

    # (1) the identity on random discrete pairs -------------------------------------------------------
    n_pairs, K = cfg.pick(2000, 20000), 10
    conc = rng.uniform(0.1, 3.0, (n_pairs, 1))
    P = rng.dirichlet(np.ones(K), size=n_pairs) ** (1 / conc)  # from near one-hot to near uniform
    P /= P.sum(axis=1, keepdims=True)
    Q = rng.dirichlet(np.ones(K), size=n_pairs)
    gap = np.abs(cross_entropy(P, Q) - entropy(P) - kl_divergence(P, Q))
    report.claim(
        "identity-exact",
        en=f"H(p, q) = H(p) + KL(p‖q) holds on {n_pairs} random pairs of {K}-outcome distributions to rounding error (largest gap).",
        zh=f"在 {n_pairs} 对随机的 {K} 类分布上，H(p, q) = H(p) + KL(p‖q) 在舍入误差内成立（最大差异）。",
        value=float(gap.max()), op="<", threshold=1e-12, expression="max |H(p,q) − H(p) − KL(p‖q)|")
    report.progress(0.1, "identity")

    # (2) softmax regression on digits: CE loss vs KL loss --------------------------------------------
    X, y = digits(n=cfg.pick(400, 1797), rng=cfg.rng(1))
    N, C = len(X), 10
    onehot = np.eye(C)[y]
    eps = 0.1
    smooth = (1 - eps) * onehot + eps / C  # label smoothing
    W0 = 0.01 * cfg.rng(2).standard_normal((C, X.shape[1]))
    b0 = np.zeros(C)
    steps, lr = cfg.pick(30, 150), 0.5
    runs = {}
    for tname, T in (("one-hot", onehot), ("smoothed", smooth)):
        for loss in ("ce", "kl"):
            runs[tname, loss] = train_softmax_regression(X, T, W0, b0, loss, steps, lr)
        report.progress(0.2 + 0.3 * len(runs) / 4, f"{tname} targets")
    traj_diff = max(float(np.abs(runs[t, "ce"][0] - runs[t, "kl"][0]).max()) for t in ("one-hot", "smoothed"))
    report.claim(
        "same-trajectory",
        en=f"Softmax regression on the digits (N = {N}, float64, {steps} full-batch gradient steps from the same initialisation): "
           "training on the cross-entropy loss and on the KL loss gives the same parameters at every step, for one-hot and for "
           "label-smoothed targets (largest parameter difference).",
        zh=f"数字数据上的 softmax 回归（N = {N}，float64，从同一初始化做 {steps} 步全批量梯度下降）：用交叉熵损失和用 KL 损失训练，"
           "每一步的参数都相同，one-hot 目标和标签平滑目标都如此（最大参数差）。",
        value=traj_diff, op="<", threshold=1e-10, expression="max_t max |θ_CE(t) − θ_KL(t)|")
    H_smooth = float(entropy(smooth).mean())
    offset_dev = float(np.abs(runs["smoothed", "ce"][1] - runs["smoothed", "kl"][1] - H_smooth).max())
    report.metric("entropy_of_smoothed_targets", H_smooth)
    report.claim(
        "offset-is-target-entropy",
        en=f"With label-smoothed targets (ε = {eps}) the two loss curves differ at every step by the constant H(p) = {H_smooth:.4f} nats, "
           "the mean entropy of the targets (largest deviation from that constant).",
        zh=f"标签平滑目标（ε = {eps}）下，两条损失曲线在每一步都相差常数 H(p) = {H_smooth:.4f} nats，即目标分布的平均熵（与该常数的最大偏差）。",
        value=offset_dev, op="<", threshold=1e-10, expression="max_t |CE(t) − KL(t) − H(p)|")
    onehot_gap = float(np.abs(runs["one-hot", "ce"][1] - runs["one-hot", "kl"][1]).max())
    report.claim(
        "onehot-ce-equals-kl",
        en="With one-hot targets H(p) = 0, so the cross-entropy and the KL loss are the same number at every step.",
        zh="one-hot 目标下 H(p) = 0，所以交叉熵和 KL 损失在每一步都是同一个数。",
        value=onehot_gap, op="<", threshold=1e-12, expression="max_t |CE(t) − KL(t)|, one-hot")
    ce_floor = float((runs["smoothed", "ce"][1] - H_smooth).min())
    report.metric("smoothed_ce_final", float(runs["smoothed", "ce"][1][-1]))
    report.metric("smoothed_kl_final", float(runs["smoothed", "kl"][1][-1]))
    report.claim(
        "smoothed-ce-floor",
        en="With soft targets the cross-entropy can never drop below H(p) (its minimum), while the KL loss can approach 0: "
           "the smallest CE − H(p) along training is still non-negative.",
        zh="软目标下交叉熵永远不会低于 H(p)（它的最小值），而 KL 损失可以趋近 0：训练过程中 CE − H(p) 的最小值仍非负。",
        value=ce_floor, op=">=", threshold=0.0, expression="min_t CE(t) − H(p)")
    W_mid = runs["smoothed", "ce"][0][steps // 2][: C * X.shape[1]].reshape(C, -1)
    b_mid = runs["smoothed", "ce"][0][steps // 2][C * X.shape[1]:]
    g_ce, g_kl = logit_grads(X, smooth, W_mid, b_mid)
    s_minus_p = softmax(X @ W_mid.T + b_mid) - smooth
    grad_err = float(max(np.abs(g_ce - s_minus_p).max(), np.abs(g_kl - s_minus_p).max()))
    report.claim(
        "logit-gradient-s-minus-p",
        en="For both losses the engine's gradient with respect to the logits is softmax(z) − p (largest deviation, smoothed targets, mid-training).",
        zh="两种损失对 logits 的引擎梯度都等于 softmax(z) − p（最大偏差，标签平滑目标，训练中途）。",
        value=grad_err, op="<", threshold=1e-12, expression="max |∂L/∂z − (softmax(z) − p)|")

    # (3) categorical MLE by gradient descent: NLL − H(p̂) = KL(p̂‖q_θ) at every step ------------------
    r3 = cfg.rng(3)
    Kc, n = 6, cfg.pick(40, 200)
    p_true = r3.dirichlet(np.ones(Kc))
    x = r3.choice(Kc, size=n, p=p_true)
    p_hat = np.bincount(x, minlength=Kc) / n
    theta = np.zeros(Kc)
    gaps, kls, nlls = [], [], []
    for _ in range(cfg.pick(300, 1500)):
        th = E.tensor(theta, requires_grad=True)
        logq = F.log_softmax(th, dim=0)
        nll = -(E.tensor(np.bincount(x, minlength=Kc).astype(np.float64)) * logq).sum() / n  # −(1/n) Σ_i log q(x_i)
        nll.backward()
        q = softmax(theta)
        nlls.append(nll.item())
        kls.append(float(kl_divergence(p_hat, q)))
        gaps.append(abs(nll.item() - float(entropy(p_hat)) - kls[-1]))
        theta = theta - 2.0 * th.grad
    report.claim(
        "nll-minus-entropy-is-kl",
        en=f"Fitting a {Kc}-outcome categorical to n = {n} samples by gradient descent on the mean negative log-likelihood: at every "
           "step NLL(θ) − H(p̂) = KL(p̂‖q_θ), p̂ the empirical distribution (largest gap over all steps).",
        zh=f"用负对数似然均值的梯度下降把 {Kc} 类分布拟合到 n = {n} 个样本：每一步都有 NLL(θ) − H(p̂) = KL(p̂‖q_θ)，p̂ 为经验分布（所有步的最大差异）。",
        value=float(max(gaps)), op="<", threshold=1e-12, expression="max_t |NLL − H(p̂) − KL(p̂‖q_θ)|")
    q_final = softmax(theta)
    support = p_hat > 0
    report.claim(
        "mle-is-empirical",
        en="The maximum-likelihood fit converges to the empirical frequencies p̂ (where KL(p̂‖q) = 0) on every outcome that was observed "
           "(largest |q − p̂|; an unobserved outcome's probability only tends to 0).",
        zh="最大似然拟合收敛到经验频率 p̂（KL(p̂‖q) = 0 之处），在每个出现过的类别上都如此（最大 |q − p̂|；未出现的类别概率只是趋于 0）。",
        value=float(np.abs(q_final - p_hat)[support].max()), op="<", threshold=5e-3, expression="max_k |q_θ,k − p̂_k| (observed k)")
    report.metric("kl_true_to_fit", float(kl_divergence(p_true, q_final)))  # > 0: MLE matches p̂, not p_true
    report.metric("kl_empirical_final", kls[-1])

    # (4) a zero probability on an observed outcome --------------------------------------------------
    p = np.array([0.5, 0.3, 0.2])
    epss = np.logspace(-8, -14, 4)
    ce = np.array([float(cross_entropy(p, np.array([0.6 - e / 2, 0.4 - e / 2, e]))) for e in epss])
    slope = float(np.polyfit(np.log(1 / epss), ce, 1)[0])
    report.claim(
        "zero-prob-blows-up",
        en="If q gives probability ε to an outcome with p_k = 0.2, the cross-entropy grows like p_k·log(1/ε) as ε → 0 (slope of CE against "
           "log(1/ε) equals p_k), so it is infinite at ε = 0; this is why probabilities are clamped or smoothed.",
        zh="若 q 给 p_k = 0.2 的类别只分配概率 ε，ε → 0 时交叉熵按 p_k·log(1/ε) 增长（CE 对 log(1/ε) 的斜率等于 p_k），ε = 0 时为无穷；所以实践中要截断或平滑概率。",
        value=abs(slope - 0.2), op="<", threshold=1e-6, expression="|d CE / d log(1/ε) − p_k|")

    # figure ------------------------------------------------------------------------------------------
    fig, ax = new_figure(1, 2, size=(9.0, 3.4))
    it = np.arange(1, steps + 1)
    ax[0].plot(it, runs["smoothed", "ce"][1], label="cross-entropy (smoothed)")
    ax[0].plot(it, runs["smoothed", "kl"][1], label="KL (smoothed)")
    ax[0].plot(it, runs["one-hot", "ce"][1], ls="--", label="CE = KL (one-hot)")
    ax[0].axhline(H_smooth, color="k", lw=0.8, ls=":", label="H(p)")
    ax[0].set_xlabel("gradient step")
    ax[0].set_ylabel("loss (nats)")
    ax[0].legend(fontsize=7)
    ax[0].set_title("same trajectory, offset H(p)")
    ax[1].semilogy(np.array(nlls) - float(entropy(p_hat)), lw=3, alpha=0.4, label="NLL − H(p̂)")
    ax[1].semilogy(kls, "k--", lw=1, label="KL(p̂‖q_θ)")
    ax[1].set_xlabel("gradient step")
    ax[1].legend(fontsize=7)
    ax[1].set_title("categorical MLE")
    report.figure(
        "ce_kl_mle", fig,
        en="Left: softmax regression on the digits trained on cross-entropy and on KL from the same start. With smoothed targets the curves "
           "are parallel, H(p) apart; with one-hot targets they coincide. Right: fitting a categorical by maximum likelihood, the NLL minus "
           "the empirical entropy is exactly the KL from the empirical distribution, which falls to 0.",
        zh="左：数字数据上的 softmax 回归，从同一起点分别用交叉熵和 KL 训练。标签平滑时两条曲线平行、相差 H(p)；one-hot 时重合。"
           "右：以最大似然拟合类别分布，NLL 减去经验熵恰好等于对经验分布的 KL，且降到 0。")
    report.metric("seconds", time.perf_counter() - t0)
    report.progress(1.0, "done")
