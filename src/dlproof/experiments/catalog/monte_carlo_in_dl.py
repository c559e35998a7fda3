"""Sampling in deep learning: Monte Carlo estimates and their variance, measured.

1. Plain Monte Carlo: E[x^2] under N(0, 1) from n draws; the RMSE over repetitions is
   sqrt(Var f / n) = sqrt(2 / n), slope -1/2 on log-log axes.
2. Importance sampling for a rare event, P(x > 4) = 3.2e-5: naive Monte Carlo against a proposal
   shifted to N(4, 1); and E_p[x^2] with proposals lighter (N(0, 0.6^2): E_q[w^2] infinite) or
   heavier (N(0, 2^2)) than the target: the light one converges much slower than 1/sqrt(n).
3. Minibatch SGD as sampling: the minibatch gradient of softmax regression on digits is a Monte
   Carlo estimate of the full-batch gradient; its mean squared error is tr(Sigma) / B with
   replacement and tr(Sigma) / B * (N - B) / (N - 1) without (finite-population correction).
4. Dropout samples a sub-network: the training-mode output averaged over masks equals the eval
   output for a linear layer, but not after a nonlinearity (the weight-scaling rule is approximate).
5. Gradient estimators of d/dmu E_{z ~ N(mu, I)}[f(z)]: reparameterisation against the score
   function (REINFORCE), with and without a baseline, as the dimension grows; and a
   non-differentiable f, where the pathwise gradient is 0 almost surely and REINFORCE still works.
"""

from __future__ import annotations

import numpy as np
from scipy.special import ndtr

import dlproof.nn.functional as F
from dlproof.data import digits
from dlproof.engine import tensor
from dlproof.experiments.registry import RunConfig, experiment
from dlproof.stats.sampling import gaussian_gradient_samples, weight_ess


def softmax_regression_per_example_grads(X: np.ndarray, y: np.ndarray, W: np.ndarray) -> np.ndarray:
    """Per-example gradients of cross-entropy for logits = X W^T (X with a bias column):
    dL_i/dW = (softmax(W x_i) - onehot(y_i)) x_i^T, returned flattened as (N, C * D)."""
    logits = X @ W.T
    P = np.exp(logits - logits.max(1, keepdims=True))
    P /= P.sum(1, keepdims=True)
    P[np.arange(len(y)), y] -= 1.0                  # dL/dlogits = p - onehot(y)
    return (P[:, :, None] * X[:, None, :]).reshape(len(y), -1)


def normal_logpdf(x: np.ndarray, scale: float = 1.0) -> np.ndarray:
    """log N(x; 0, scale^2) elementwise."""
    return -0.5 * (x / scale) ** 2 - np.log(scale) - 0.5 * np.log(2 * np.pi)


def loglog_slope(n: np.ndarray, err: np.ndarray) -> float:
    return float(np.polyfit(np.log(n), np.log(err), 1)[0])


@experiment("monte-carlo-in-dl", questions=["sampling-in-dl"],
            title_en="Sampling in deep learning: Monte Carlo error, importance sampling, minibatches, "
                     "dropout, reparameterisation vs REINFORCE",
            title_zh="深度学习中的采样：Monte Carlo 误差、重要性采样、小批量、dropout、重参数化与 REINFORCE")
def run(cfg: RunConfig, report) -> None:
    R = cfg.pick(200, 600)                          # independent repetitions per estimator
    # --- 1. plain Monte Carlo ------------------------------------------------------------------------
    rng = cfg.rng(0)
    ns = np.array([10, 100, 1000, 10000])
    rmse = np.array([np.sqrt(np.mean((np.mean(rng.standard_normal((R, n)) ** 2, axis=1) - 1.0) ** 2))
                     for n in ns])                  # loop over 4 sample sizes
    theory = np.sqrt(2.0 / ns)                      # Var(x^2) = E[x^4] - 1 = 2
    report.table("plain_mc", ["n", "RMSE of mean x^2", "sqrt(2/n)"], [[int(a), b, c] for a, b, c in
                                                                      zip(ns, rmse, theory)])
    slope = loglog_slope(ns, rmse)
    report.claim("mc-error-rate",
                 en="Plain Monte Carlo error falls like 1/sqrt(n): the log-log slope of the RMSE of the "
                    "sample mean of x^2 (x ~ N(0, 1)) against n = 10..10^4 is within 0.05 of -1/2.",
                 zh="普通 Monte Carlo 的误差按 1/sqrt(n) 下降：x ~ N(0, 1) 时 x^2 样本均值的 RMSE 对 "
                    "n = 10..10^4 的双对数斜率与 -1/2 相差不到 0.05。",
                 value=abs(slope + 0.5), op="<", threshold=0.05, expression="|slope + 1/2|")
    report.claim("mc-error-is-sd-over-root-n",
                 en="The error is exactly sqrt(Var f / n): the measured RMSE is within 15% of sqrt(2 / n) "
                    "at every n.",
                 zh="误差正是 sqrt(Var f / n)：每个 n 上实测 RMSE 与 sqrt(2 / n) 相差不到 15%。",
                 value=float(np.max(np.abs(rmse / theory - 1))), op="<", threshold=0.15,
                 expression="max_n |RMSE / sqrt(2/n) - 1|")
    report.progress(0.2, "importance sampling")

    # --- 2. importance sampling ----------------------------------------------------------------------
    n = 10000
    p_tail = float(ndtr(-4.0))
    x = rng.standard_normal((R, n))
    naive = np.mean(x > 4.0, axis=1)
    y = rng.standard_normal((R, n)) + 4.0           # proposal N(4, 1); weight p(y)/q(y) = exp(8 - 4y)
    is_est = np.mean((y > 4.0) * np.exp(8.0 - 4.0 * y), axis=1)
    rel_naive = float(np.sqrt(np.mean((naive - p_tail) ** 2)) / p_tail)
    rel_is = float(np.sqrt(np.mean((is_est - p_tail) ** 2)) / p_tail)
    report.metric("tail_relative_rmse_naive", rel_naive)
    report.metric("tail_relative_rmse_shifted_is", rel_is)
    report.claim("shifted-proposal-rare-event",
                 en=f"For P(x > 4) = {p_tail:.2e} with n = 10^4 draws, importance sampling from N(4, 1) "
                    "has a relative RMSE below 5%, while naive Monte Carlo (about 0.3 hits per run) has "
                    "one above 100%.",
                 zh=f"估计 P(x > 4) = {p_tail:.2e}、n = 10^4 时，从 N(4, 1) 做重要性采样的相对 RMSE 低于 "
                    "5%，而普通 Monte Carlo（每次约 0.3 次命中）的相对 RMSE 超过 100%。",
                 value=max(rel_is / 0.05, 1.0 / rel_naive), op="<", threshold=1.0,
                 expression="max(relRMSE_IS / 0.05, 1 / relRMSE_naive)")
    report.claim("shifted-proposal-variance-ratio",
                 en="The variance reduction is more than a factor 1000.",
                 zh="方差降低超过 1000 倍。",
                 value=float(np.mean((naive - p_tail) ** 2) / np.mean((is_est - p_tail) ** 2)), op=">",
                 threshold=1000.0, expression="MSE_naive / MSE_IS")
    rows, med_err = [], {}
    R_t = cfg.pick(400, 1000)                       # medians of heavy-tailed errors: more repetitions
    for s in (0.6, 2.0):                            # proposal N(0, s^2) for E_p[x^2] = 1, p = N(0, 1)
        for m in (100, 10000):
            z = s * rng.standard_normal((R_t, m))
            w = np.exp(normal_logpdf(z) - normal_logpdf(z, s))
            est = np.mean(w * z ** 2, axis=1)
            med_err[s, m] = float(np.median(np.abs(est - 1.0)))
            ess = float(np.median([weight_ess(r) for r in w]) / m)
            rows.append([s, m, med_err[s, m], float(np.median(est)), ess])
    report.table("proposal_tails", ["proposal sd", "n", "median |error|", "median estimate",
                                     "median ESS / n"], rows)
    light, heavy = med_err[0.6, 10000] / med_err[0.6, 100], med_err[2.0, 10000] / med_err[2.0, 100]
    report.metric("error_ratio_light", light)
    report.metric("error_ratio_heavy", heavy)
    report.claim("light-tailed-proposal-converges-slowly",
                 en="A proposal with lighter tails than the target (N(0, 0.6^2) for N(0, 1): E_q[w^2] is "
                    "infinite) breaks the 1/sqrt(n) rate: 100 times more draws shrink the median error of "
                    "E[x^2] by less than a factor 5.5 (1/sqrt(n) would give 10).",
                 zh="提议分布的尾部比目标轻（用 N(0, 0.6^2) 逼近 N(0, 1)：E_q[w^2] 无穷大）时 1/sqrt(n) "
                    "速率失效：样本增加 100 倍，E[x^2] 的中位误差缩小不到 5.5 倍（1/sqrt(n) 应为 10 倍）。",
                 value=light, op=">", threshold=0.18, expression="median|err|(n=1e4) / median|err|(n=1e2)")
    report.claim("heavy-tailed-proposal-root-n",
                 en="A heavier-tailed proposal (N(0, 2^2)) keeps the rate: the same ratio is below 0.15.",
                 zh="尾部更重的提议分布（N(0, 2^2)）保持该速率：同一比值低于 0.15。",
                 value=heavy, op="<", threshold=0.15, expression="median|err|(n=1e4) / median|err|(n=1e2)")
    report.progress(0.4, "minibatch gradients")

    # --- 3. minibatch gradient as Monte Carlo -------------------------------------------------------
    X, yl = digits()
    X = np.hstack([X, np.ones((len(X), 1))])
    N = len(X)
    W = cfg.rng(1).normal(0, 0.1, (10, X.shape[1]))
    G = softmax_regression_per_example_grads(X, yl, W)
    g = G.mean(0)
    Wt = tensor(W, requires_grad=True)
    F.cross_entropy(F.linear(tensor(X), Wt), yl).backward()     # autograd's full-batch gradient
    report.claim("per-example-grads-average-to-autograd",
                 en="The per-example gradients (p_i - y_i) x_i^T average to the autograd gradient of the "
                    "mean cross-entropy (max abs difference below 1e-10).",
                 zh="逐样本梯度 (p_i - y_i) x_i^T 的平均等于自动微分得到的平均交叉熵梯度（最大绝对差小于 "
                    "1e-10）。",
                 value=float(np.abs(Wt.grad.reshape(-1) - g).max()), op="<", threshold=1e-10,
                 expression="max |mean_i g_i - autograd grad|")
    tr_sigma = float(np.sum(np.mean((G - g) ** 2, axis=0)))      # tr Cov over the finite population
    Bs = np.array([16, 64, 256, 896])
    rng_b = cfg.rng(2)
    R_mb = cfg.pick(500, 1500)                      # squared errors are heavy-tailed: more repetitions
    perm = np.argsort(rng_b.random((R_mb, N)), axis=1)          # one shuffle per repetition
    rows, ratio_with, ratio_without = [], [], []
    Gc = (G - g).astype(np.float32)                 # deviations; float32 halves the matmul time
    for B in Bs:                                    # loop over 4 batch sizes; all repetitions at once
        counts = np.zeros((R_mb, N), np.float32)    # with replacement: B uniform draws per repetition
        np.add.at(counts, (np.repeat(np.arange(R_mb), B), rng_b.integers(0, N, R_mb * B)), 1.0)
        mse_w = float(np.mean(np.sum((counts @ Gc / B) ** 2, axis=1)))
        mask = np.zeros((R_mb, N), np.float32)      # without replacement: the first B of a shuffle
        np.put_along_axis(mask, perm[:, :B], 1.0, axis=1)
        mse_wo = float(np.mean(np.sum((mask @ Gc / B) ** 2, axis=1)))
        th_w, th_wo = tr_sigma / B, tr_sigma / B * (N - B) / (N - 1)
        ratio_with.append(mse_w / th_w)
        ratio_without.append(mse_wo / th_wo)
        rows.append([int(B), mse_w, th_w, mse_wo, th_wo])
    report.table("minibatch", ["B", "MSE with repl.", "tr(Sigma)/B", "MSE without repl.",
                               "tr(Sigma)/B (N-B)/(N-1)"], rows)
    mb_rows = rows
    report.claim("minibatch-mse-tr-sigma-over-b",
                 en="A minibatch gradient is a Monte Carlo estimate of the full gradient: sampled with "
                    "replacement, its mean squared error is tr(Sigma) / B within 15% for B = 16..896.",
                 zh="小批量梯度是全批量梯度的 Monte Carlo 估计：有放回抽样时，B = 16..896 上其均方误差与 "
                    "tr(Sigma) / B 相差不到 15%。",
                 value=float(np.max(np.abs(np.array(ratio_with) - 1))), op="<", threshold=0.15,
                 expression="max_B |MSE / (tr Sigma / B) - 1|")
    report.claim("minibatch-finite-population-correction",
                 en="Without replacement (an epoch's shuffled batches) it is smaller by the "
                    "finite-population factor (N - B) / (N - 1): within 15% of "
                    "tr(Sigma) / B (N - B) / (N - 1) for every B, about half the with-replacement error "
                    "at B = 896 = N / 2.",
                 zh="无放回抽样（每个 epoch 打乱后的批次）的误差小一个有限总体因子 (N - B) / (N - 1)："
                    "每个 B 上与 tr(Sigma) / B (N - B) / (N - 1) 相差不到 15%，"
                    "B = 896 = N / 2 时约为有放回的一半。",
                 value=float(np.max(np.abs(np.array(ratio_without) - 1))), op="<", threshold=0.15,
                 expression="max_B |MSE / (tr Sigma / B (N-B)/(N-1)) - 1|")
    report.progress(0.6, "dropout")

    # --- 4. dropout as sampling sub-networks ---------------------------------------------------------
    rng_d = cfg.rng(3)
    T, p = cfg.pick(4000, 20000), 0.5
    x0 = rng_d.normal(0, 1, 32)
    W1 = rng_d.normal(0, 1 / np.sqrt(32), (32, 32))
    drop = F.dropout(tensor(np.tile(x0, (T, 1))), p=p, training=True, generator=rng_d).numpy()  # T masks
    lin = drop @ W1.T                               # (T, 32) linear layer on dropped inputs
    lin_gap = np.abs(lin.mean(0) - W1 @ x0) / (lin.std(0) / np.sqrt(T))
    deep = np.maximum(lin, 0).mean(1)               # a ReLU layer, read out by its mean activation
    deep_eval = float(np.maximum(W1 @ x0, 0).mean())
    deep_gap = abs(float(deep.mean()) - deep_eval) / (float(deep.std()) / np.sqrt(T))
    report.metric("dropout_linear_max_gap_se", float(lin_gap.max()))
    report.metric("dropout_relu_gap_se", deep_gap)
    report.claim("dropout-linear-mean-is-eval",
                 en=f"Inverted dropout on the input of a linear layer is an unbiased random sub-network: "
                    f"the mean of the training-mode output over {T} masks equals the eval-mode output "
                    "within 4.5 standard errors in each of the 32 outputs.",
                 zh=f"线性层输入上的反向缩放 dropout 是无偏的随机子网络：{T} 个掩码下训练模式输出的均值与评估"
                    "模式输出在 32 个输出上都相差不到 4.5 个标准误。",
                 value=float(lin_gap.max()), op="<", threshold=4.5, expression="max_j |mean - eval| / SE")
    report.claim("dropout-nonlinear-mean-is-not-eval",
                 en="After a ReLU (the mean of 32 ReLU units on that layer) the eval-mode output (weight "
                    "scaling) is only an approximation of the ensemble mean: they differ by more than 10 "
                    "standard errors.",
                 zh="经过 ReLU（取该层 32 个 ReLU 单元的平均）后，评估模式输出（权重缩放）只是集成均值的"
                    "近似：两者相差超过 10 个标准误。",
                 value=deep_gap, op=">", threshold=10.0, expression="|mean - eval| / SE")
    report.progress(0.8, "gradient estimators")

    # --- 5. reparameterisation vs score function -----------------------------------------------------
    n_g = cfg.pick(50000, 200000)
    rng_g = cfg.rng(4)
    var, rows = {}, []
    for d in (1, 16):                               # f(z) = ||z||^2, mu = 1, sigma = 1: d/dmu_1 = 2
        est = gaussian_gradient_samples(lambda z: np.sum(z ** 2, 1), lambda z: 2 * z, np.ones(d), 1.0, n_g,
                                        rng_g)
        est_b = gaussian_gradient_samples(lambda z: np.sum(z ** 2, 1), None, np.ones(d), 1.0, n_g, rng_g,
                                          baseline=2.0 * d)             # b = E f = d (mu^2 + sigma^2)
        for name, e in (("reparam", est["reparam"][:, 0]), ("score", est["score"][:, 0]),
                        ("score+baseline", est_b["score"][:, 0])):
            var[name, d] = float(e.var())
            z_score = abs(float(e.mean()) - 2.0) / np.sqrt(var[name, d] / n_g)
            var[name, d, "z"] = z_score
            rows.append([d, name, float(e.mean()), var[name, d], z_score])
    report.table("gradient_estimators", ["d", "estimator", "mean (truth 2)", "per-sample variance",
                                         "|mean - 2| / SE"], rows)
    report.claim("estimators-unbiased",
                 en=f"Both estimators are unbiased: with {n_g} samples each mean is within 4.5 standard "
                    "errors of the true gradient 2, for d = 1 and 16, with and without a baseline.",
                 zh=f"两种估计都是无偏的：{n_g} 个样本下，d = 1 与 16、有无基线，每个均值与真实梯度 2 都相差"
                    "不到 4.5 个标准误。",
                 value=max(v for k, v in var.items() if len(k) == 3), op="<", threshold=4.5,
                 expression="max |mean - 2| / SE")
    report.claim("reparam-lower-variance",
                 en="On the same objective the reparameterisation gradient has lower variance: at d = 1 the "
                    "score-function (REINFORCE) variance is more than 4 times larger (theory: 30 vs 4).",
                 zh="同一目标上重参数化梯度方差更小：d = 1 时得分函数（REINFORCE）估计的方差是它的 4 倍以上"
                    "（理论值 30 对 4）。",
                 value=var["score", 1] / var["reparam", 1], op=">", threshold=4.0,
                 expression="Var_score / Var_reparam (d=1)")
    report.claim("score-variance-grows-with-dimension",
                 en="The score-function variance grows with the number of other coordinates, the "
                    "reparameterisation variance does not: the variance ratio at d = 16 is more than 10 "
                    "times the ratio at d = 1.",
                 zh="得分函数估计的方差随其他坐标的个数增长，重参数化的不变：d = 16 时的方差比是 d = 1 时的 "
                    "10 倍以上。",
                 value=(var["score", 16] / var["reparam", 16]) / (var["score", 1] / var["reparam", 1]),
                 op=">", threshold=10.0, expression="ratio(d=16) / ratio(d=1)")
    report.claim("baseline-reduces-variance",
                 en="A baseline b = E[f] leaves REINFORCE unbiased and cuts its variance at d = 16 by more "
                    "than a factor 5.",
                 zh="基线 b = E[f] 不改变 REINFORCE 的无偏性，并把 d = 16 时的方差降低 5 倍以上。",
                 value=var["score", 16] / var["score+baseline", 16], op=">", threshold=5.0,
                 expression="Var_score / Var_score+baseline (d=16)")
    step = gaussian_gradient_samples(lambda z: (z[:, 0] > 0).astype(float), lambda z: np.zeros_like(z),
                                     np.ones(1), 1.0, n_g, rng_g)
    truth = float(np.exp(normal_logpdf(np.array(1.0))))                    # d/dmu P(mu + eps > 0) = phi(mu)
    report.metric("step_pathwise_mean", float(step["reparam"].mean()))
    report.claim("score-handles-non-differentiable",
                 en=f"For a step function f = 1[z > 0] the pathwise derivative is 0 almost surely (useless), "
                    f"while REINFORCE estimates the true gradient phi(1) = {truth:.3f} to within 5%.",
                 zh=f"对阶跃函数 f = 1[z > 0]，路径导数几乎处处为 0（毫无用处），而 REINFORCE 把真实梯度 "
                    f"phi(1) = {truth:.3f} 估计到 5% 以内。",
                 value=abs(float(step["score"].mean()) / truth - 1), op="<", threshold=0.05,
                 expression="|mean_score / phi(1) - 1|")

    from dlproof.experiments.figures import new_figure

    fig, (a0, a1, a2) = new_figure(1, 3, size=(13.0, 3.8))
    a0.loglog(ns, rmse, "o-", label="measured")
    a0.loglog(ns, theory, "k--", label=r"$\sqrt{2/n}$")
    a0.set_xlabel("n")
    a0.set_ylabel("RMSE")
    a0.legend()
    a0.set_title(r"plain Monte Carlo, $E[x^2]$")
    a1.loglog(Bs, [r[1] for r in mb_rows], "o", label="with replacement")
    a1.loglog(Bs, [r[2] for r in mb_rows], "k--", label=r"tr$\Sigma/B$")
    a1.loglog(Bs, [r[3] for r in mb_rows], "s", label="without replacement")
    a1.loglog(Bs, [r[4] for r in mb_rows], "k:", label=r"tr$\Sigma/B\cdot(N-B)/(N-1)$")
    a1.set_xlabel("batch size B")
    a1.set_ylabel("gradient MSE")
    a1.legend(fontsize=8)
    a1.set_title("minibatch gradient (digits softmax regression)")
    names = ["reparam", "score", "score+baseline"]
    for k, d in enumerate((1, 16)):
        a2.bar(np.arange(3) + 0.4 * k, [var[nm, d] for nm in names], width=0.4, label=f"d = {d}")
    a2.set_xticks(np.arange(3) + 0.2, names)
    a2.set_yscale("log")
    a2.set_ylabel("per-sample variance")
    a2.legend()
    a2.set_title(r"$\nabla_{\mu_1}E\|z\|^2$ estimators")
    report.figure("monte-carlo-in-dl", fig,
                  en="Left: plain Monte Carlo error against n with the sqrt(Var/n) law. Middle: the "
                     "minibatch gradient's mean squared error against B, with and without replacement, "
                     "with their formulas. Right: per-sample variance of three unbiased gradient estimators.",
                  zh="左：普通 Monte Carlo 误差随 n 的变化与 sqrt(Var/n) 规律。中：小批量梯度的均方误差随 B "
                     "的变化（有放回/无放回）及其公式。右：三种无偏梯度估计的单样本方差。")
    report.progress(1.0, "done")
