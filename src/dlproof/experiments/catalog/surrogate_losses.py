# ruff: noqa: E501  (bilingual claim statements are long text)
"""Costs that gradient descent cannot minimise (0-1 loss, accuracy, F1, AUC, L0) and what works.

1. Two Gaussian blobs, a linear classifier with a bias (3 parameters). Central differences of the
   0-1 training loss and of count-type metrics (accuracy, F1, ROC-AUC, precision@k, the L0 norm of
   the weights) at random parameter points are exactly zero almost everywhere: the costs are
   piecewise constant. Gradient descent on the 0-1 loss from a bad start therefore never moves,
   while gradient descent on the logistic loss (and subgradient descent on the non-smooth hinge)
   drives the 0-1 training error down; the base-2 logistic loss bounds the 0-1 error at every step.
2. Goodfellow et al. §8.1.2: after the training 0-1 error reaches 0, keep minimising the log-loss.
   On separable data with a gap along one coordinate and noisy, weakly informative other
   coordinates (R independent datasets per run, test error computed exactly by quadrature), the
   log-loss keeps falling, the normalised margin keeps growing, and the test 0-1 error keeps falling.
3. Zeroth-order optimisation: the antithetic ES estimate of the gradient of the Gaussian-smoothed
   0-1 loss (closed form: a mean of normal CDFs) against the exact gradient; the number of
   evaluations needed for cosine 0.9 grows linearly with the dimension. ES then minimises the 0-1
   loss of a 65-parameter classifier on digits (even vs odd) directly.
4. REINFORCE on a sequence-level reward (the accuracy of a whole batch of sampled decisions of a
   stochastic classifier): unbiased against the exact gradient; a baseline cuts its variance;
   ascent on sampled rewards alone raises the expected accuracy.
A decision stump (threshold on one feature) shows the combinatorial alternative: its error is a
staircase in the threshold, and a search over the sorted split points is exact.
"""

from __future__ import annotations

import numpy as np
from scipy.special import ndtr

from dlproof.data import digits
from dlproof.experiments.figures import new_figure
from dlproof.experiments.registry import Report, RunConfig, experiment
from dlproof.stats import metrics
from dlproof.stats.surrogate import (
    SURROGATES,
    es_pair_estimates,
    margins,
    score_function_gradient,
    smoothed_zero_one,
    surrogate_loss,
    zero_one_loss,
)

BLOB_SHIFT = np.array([np.sqrt(2.0), np.sqrt(2.0)])   # class means c ± μ, ||μ|| = 2: Bayes error Φ(−2)
BLOB_CENTER = np.array([1.0, -0.5])
GAP, MEAN, NOISE = 0.1, 0.5, 1.0                      # gap data: x1 = y U(GAP, 1), x_j = y MEAN + NOISE z


def blobs(rng, n):
    """X (n, 3) = [x, 1], y (n,) in {-1, +1}; x | y ~ N(c + y μ, I)."""
    y = np.where(rng.random(n) < 0.5, -1.0, 1.0)
    x = BLOB_CENTER + y[:, None] * BLOB_SHIFT + rng.standard_normal((n, 2))
    return np.c_[x, np.ones(n)], y


def log_loss(W, X, y):
    """Mean natural-log logistic loss of parameter rows W (k, d): (k,)."""
    return np.logaddexp(0.0, -margins(W, X, y)).mean(axis=1)


def fd_all(f, W, eps):
    """Central differences of a batched scalar function f: (k, d) -> (k,) at every row of W: (k, d)."""
    k, d = W.shape
    E = eps * np.eye(d)
    plus = (W[:, None, :] + E).reshape(-1, d)
    minus = (W[:, None, :] - E).reshape(-1, d)
    return ((f(plus) - f(minus)) / (2 * eps)).reshape(k, d)


def batched(metric, X, y):
    """Turn metric(y01, scores) into a function of parameter rows W (k, d) -> (k,) (loop over rows)."""
    y01 = (y > 0).astype(np.int64)
    return lambda W: np.array([metric(y01, X @ w) for w in W])


def gd(grad, w0, lr, steps, X, y):
    """Gradient descent from w0; records the 0-1 training error and the base-2 logistic loss."""
    w = w0.copy()
    err, bound = [], []
    for _ in range(steps):                                       # loop over iterations
        m = margins(w, X, y)
        err.append(zero_one_loss(m).mean())
        bound.append(surrogate_loss("logistic", m)[0].mean())
        w = w - lr * grad(w)
    return w, np.array(err), np.array(bound)


def gap_data(rng, R, n, d):
    """R datasets, X (R, n, d), y (R, n): x1 = y U(GAP, 1) separates every one with a gap; the other
    d − 1 coordinates are y·MEAN + NOISE·z (informative on average, noisy per example)."""
    y = np.where(rng.random((R, n)) < 0.5, -1.0, 1.0)
    x1 = y * rng.uniform(GAP, 1.0, (R, n))
    rest = y[..., None] * MEAN + NOISE * rng.standard_normal((R, n, d - 1))
    return np.concatenate([x1[..., None], rest], axis=2), y


def gap_test_error(W):
    """Exact population 0-1 error of rows W (R, d) on the gap distribution, by quadrature over x1:
    y w·x = w1 u + MEAN Σ_j w_j + NOISE ||w_rest|| z  =>  P(err) = E_u Φ(−(w1 u + MEAN Σ w_j) / (NOISE ||w_rest||))."""
    u = np.linspace(GAP, 1.0, 2001)
    rest = W[:, 1:]
    num = W[:, :1] * u + MEAN * rest.sum(1, keepdims=True)
    return ndtr(-num / (NOISE * np.linalg.norm(rest, axis=1, keepdims=True))).mean(1)


@experiment("surrogate-losses", questions=["non-differentiable-costs"],
            title_en="Piecewise-constant costs, surrogate losses, and zeroth-order / score-function gradients",
            title_zh="分段常数的代价、替代损失，以及零阶与得分函数梯度估计")
def run(cfg: RunConfig, report: Report) -> None:
    # ---------------------------------------------------------------- 1. surrogates and calibration
    m_grid = np.linspace(-4, 4, 8001)
    gap_bound = max(float(np.max(zero_one_loss(m_grid) - surrogate_loss(s, m_grid)[0])) for s in SURROGATES)
    report.claim("surrogates-upper-bound",
                 en="Hinge, base-2 logistic, exponential and squared hinge losses all lie on or above the 0-1 loss at every margin (max of 0-1 minus surrogate on a fine grid is at most 0).",
                 zh="合页损失、以 2 为底的 logistic 损失、指数损失和平方合页损失在每个间隔处都不低于 0-1 损失（在细网格上 0-1 减替代损失的最大值不超过 0）。",
                 value=gap_bound, op="<=", threshold=0.0, expression="max_m max_phi (1[m<=0] - phi(m))")
    etas = np.r_[np.linspace(0.02, 0.48, 24), np.linspace(0.52, 0.98, 24)]
    alphas = np.linspace(-6, 6, 12001)
    agree = []
    for s in SURROGATES:
        risk = etas[:, None] * surrogate_loss(s, alphas)[0] + (1 - etas[:, None]) * surrogate_loss(s, -alphas)[0]
        best = alphas[np.argmin(risk, axis=1)]
        agree.append(np.mean(np.sign(best) == np.sign(2 * etas - 1)))
    report.claim("surrogates-calibrated",
                 en="Each surrogate is classification-calibrated: minimising the conditional risk η φ(a) + (1 − η) φ(−a) numerically gives the Bayes decision sign(2η − 1) for every η tried (fraction of agreement 1).",
                 zh="每个替代损失都是分类校准的：数值最小化条件风险 η φ(a) + (1 − η) φ(−a) 得到的符号对每个 η 都等于贝叶斯决策 sign(2η − 1)（一致比例为 1）。",
                 value=float(min(agree)), op="==", threshold=1.0, expression="min over surrogates of sign agreement")
    report.progress(0.05, "surrogates")

    # ---------------------------------------------------------------- 2. piecewise-constant costs
    rng = cfg.rng(1)
    n = cfg.pick(200, 400)
    X, y = blobs(rng, n)
    K = cfg.pick(150, 400)
    W = rng.standard_normal((K, 3))
    eps = 1e-7
    y01 = (y > 0).astype(np.int64)
    k_top = n // 10

    def precision_at_k(yy, scores):
        return yy[np.argsort(-scores)[:k_top]].mean()

    costs = {
        "0-1 loss": lambda V: zero_one_loss(margins(V, X, y)).mean(1),
        "accuracy": lambda V: 1 - zero_one_loss(margins(V, X, y)).mean(1),
        "F1": lambda V: np.array([metrics.f1(y01, (X @ v > 0).astype(np.int64)) for v in V]),
        "ROC-AUC": batched(metrics.roc_auc, X, y),
        "precision@k": batched(precision_at_k, X, y),
        "L0 norm of w": lambda V: np.count_nonzero(V, axis=1).astype(np.float64),
        "log-loss": lambda V: log_loss(V, X, y),
    }
    zero_frac = {}
    rows = []
    for name, f in costs.items():
        G = fd_all(f, W, eps)
        zero_frac[name] = float(np.mean(np.all(G == 0, axis=1)))
        rows.append([name, zero_frac[name], float(np.abs(G).max())])
    report.table("finite-difference gradients at random parameters",
                 ["cost", "fraction of points with FD gradient exactly 0", "max |FD entry|"], rows)
    counts = [k for k in costs if k != "log-loss"]
    worst_zero = min(zero_frac[k] for k in counts)
    report.claim("count-costs-gradient-zero",
                 en=f"At {K} random parameter points of a linear classifier, the central-difference gradient (step 1e-7) of the 0-1 loss, accuracy, F1, ROC-AUC, precision@k and the L0 norm is exactly 0 in every coordinate at at least 98% of the points: these costs are piecewise constant.",
                 zh=f"在线性分类器的 {K} 个随机参数点上，0-1 损失、准确率、F1、ROC-AUC、precision@k 和 L0 范数的中心差分梯度（步长 1e-7）至少在 98% 的点上每个分量都恰好为 0：这些代价是分段常数。",
                 value=worst_zero, op=">=", threshold=0.98, expression="min over count costs of fraction of all-zero FD gradients")
    report.claim("log-loss-gradient-nonzero",
                 en="The same finite differences of the logistic (log) loss are never all zero (fraction 0).",
                 zh="同样的有限差分用于 logistic（对数）损失时从不全为 0（比例为 0）。",
                 value=zero_frac["log-loss"], op="==", threshold=0.0, expression="fraction of all-zero FD gradients of log-loss")
    jump = float(np.abs(fd_all(costs["0-1 loss"], W, eps)).max())
    report.metric("largest_fd_entry_zero_one", jump)

    # bad start: the Bayes classifier with its sign flipped (training error near 1)
    u = BLOB_SHIFT / np.linalg.norm(BLOB_SHIFT)
    w0 = -np.r_[u, -BLOB_CENTER @ u]
    steps = cfg.pick(300, 1000)
    zero_one_fd = lambda w: fd_all(costs["0-1 loss"], w[None], eps)[0]
    w_01, err_01, _ = gd(zero_one_fd, w0, 1.0, cfg.pick(50, 100), X, y)

    def logistic_grad(w):
        m = margins(w, X, y)
        return -(X.T @ (y * 0.5 * (1 - np.tanh(0.5 * m)))) / n   # d/dw log(1+e^{-m}) = -σ(-m) y x

    def hinge_subgrad(w):
        m = margins(w, X, y)
        return -(X.T @ (y * (m < 1))) / n                         # subgradient of max(0, 1 - m): -1[m<1] y x

    w_log, err_log, bound_log = gd(logistic_grad, w0, 0.5, steps, X, y)
    w_hin, err_hin, _ = gd(hinge_subgrad, w0, 0.05, steps, X, y)
    final_01 = float(zero_one_loss(margins(w_01, X, y)).mean())
    final_log = float(zero_one_loss(margins(w_log, X, y)).mean())
    final_hin = float(zero_one_loss(margins(w_hin, X, y)).mean())
    moved = float(np.linalg.norm(w_01 - w0))
    report.table("gradient descent from a bad start (training 0-1 error)",
                 ["cost descended", "start", "end", "||w_end - w_start||"],
                 [["0-1 loss (FD gradient)", float(err_01[0]), final_01, moved],
                  ["logistic loss", float(err_log[0]), final_log, float(np.linalg.norm(w_log - w0))],
                  ["hinge loss (subgradient)", float(err_hin[0]), final_hin, float(np.linalg.norm(w_hin - w0))]])
    report.claim("gd-on-zero-one-stuck",
                 en=f"Gradient descent on the 0-1 loss (finite-difference gradient) from a start with training error {err_01[0]:.2f} does not move at all: the parameters change by exactly 0.",
                 zh=f"从训练误差为 {err_01[0]:.2f} 的起点对 0-1 损失做梯度下降（有限差分梯度），参数完全不动：变化量恰好为 0。",
                 value=moved, op="==", threshold=0.0, expression="||w_T - w_0||")
    report.claim("logistic-gd-lowers-zero-one",
                 en="Gradient descent on the logistic surrogate from the same start drives the training 0-1 error from above 0.9 to below 0.06 (Bayes error 0.023).",
                 zh="从同一起点对 logistic 替代损失做梯度下降，训练 0-1 误差从 0.9 以上降到 0.06 以下（贝叶斯误差 0.023）。",
                 value=final_log, op="<", threshold=0.06, expression="training 0-1 error after GD on log-loss")
    report.claim("hinge-subgradient-lowers-zero-one",
                 en="Subgradient descent on the hinge loss, which is not differentiable at margin 1, works as well: training 0-1 error below 0.06. Non-smooth is not the same as non-optimisable.",
                 zh="对合页损失（在间隔为 1 处不可导）做次梯度下降同样有效：训练 0-1 误差低于 0.06。不光滑不等于不能用梯度优化。",
                 value=final_hin, op="<", threshold=0.06, expression="training 0-1 error after subgradient descent on hinge")
    slack = float(np.max(err_log - bound_log))
    report.claim("surrogate-bounds-error-along-path",
                 en="Along the whole logistic-loss descent the base-2 logistic loss stays above the training 0-1 error (max of error minus bound at most 0), so lowering the surrogate forces the error down.",
                 zh="在整个 logistic 损失下降过程中，以 2 为底的 logistic 损失始终不低于训练 0-1 误差（误差减上界的最大值不超过 0），所以压低替代损失就迫使误差下降。",
                 value=slack, op="<=", threshold=0.0, expression="max_t (0-1 error_t - log2-loss_t)")

    # a decision stump: the threshold is a parameter of a staircase; sorting solves it exactly
    x1 = X[:, 0]
    order = np.argsort(x1)
    ys = y[order]
    cum_pos = np.r_[0, np.cumsum(ys > 0)]                       # positives at or left of split k
    cum_neg = np.r_[0, np.cumsum(ys < 0)]
    err_k = (cum_pos + (cum_neg[-1] - cum_neg)) / n              # predict +1 right of the split
    best_sorted = float(min(err_k.min(), (1 - err_k).min()))     # either polarity
    grid = np.linspace(x1.min() - 1, x1.max() + 1, 20001)
    right = x1[None, :] > grid[:, None]                          # (thresholds, n)
    err_grid = np.mean(right != (y > 0)[None, :], axis=1)
    best_grid = float(min(err_grid.min(), (1 - err_grid).min()))
    report.metric("stump_distinct_errors_on_grid", float(len(np.unique(err_grid))))
    report.claim("stump-exhaustive-search",
                 en=f"A decision stump's training error is a staircase in its threshold with at most n + 1 = {n + 1} steps, so a combinatorial search over the n + 1 split points between sorted values finds the optimum: it is no worse than the best of 20,001 thresholds on a fine grid.",
                 zh=f"决策树桩的训练误差关于阈值是阶梯函数，至多 n + 1 = {n + 1} 级，所以在排序后相邻值之间的 n + 1 个切分点上做组合搜索就能找到最优：不比细网格上 20,001 个阈值中最好的差。",
                 value=best_sorted - best_grid, op="<=", threshold=0.0, expression="best error (sorted splits) - best error (grid)")
    report.progress(0.3, "piecewise-constant costs")

    # ---------------------------------------------------------------- 3. after zero training error
    R = cfg.pick(20, 40)
    n_gap, d_gap = 100, 5
    T = cfg.pick(3000, 10000)
    Xg, yg = gap_data(cfg.rng(2), R, n_gap, d_gap)
    Wg = np.zeros((R, d_gap))
    hit = np.full(R, -1)
    test_hit, loss_hit, margin_hit = np.zeros(R), np.zeros(R), np.zeros(R)
    record = np.unique(np.geomspace(1, T, 60).astype(int))
    curves = {k: [] for k in ("train", "test", "loss", "margin")}
    for t in range(1, T + 1):                                    # loop over iterations
        m = yg * np.einsum("rnd,rd->rn", Xg, Wg)
        s = 0.5 * (1 - np.tanh(0.5 * m))                        # σ(−m)
        Wg = Wg + 4.0 * np.einsum("rnd,rn->rd", Xg, yg * s) / n_gap   # w ← w − lr ∇ mean log(1+e^{−m}), lr = 4
        m = yg * np.einsum("rnd,rd->rn", Xg, Wg)
        new = (hit < 0) & np.all(m > 0, axis=1)
        if new.any():
            hit[new] = t
            test_hit[new] = gap_test_error(Wg[new])
            loss_hit[new] = np.logaddexp(0, -m[new]).mean(1)
            margin_hit[new] = m[new].min(1) / np.linalg.norm(Wg[new], axis=1)
        if t in record:
            curves["train"].append(np.mean(m <= 0))
            curves["test"].append(gap_test_error(Wg).mean())
            curves["loss"].append(np.logaddexp(0, -m).mean())
            curves["margin"].append(np.mean(m.min(1) / np.linalg.norm(Wg, axis=1)))
    if np.any(hit < 0):
        raise RuntimeError("a gap dataset never reached zero training error: it should be separable")
    test_end = gap_test_error(Wg)
    loss_end = np.logaddexp(0, -m).mean(1)
    margin_end = m.min(1) / np.linalg.norm(Wg, axis=1)
    report.table("after the training error reaches 0 (mean over datasets)",
                 ["", "step", "train 0-1", "test 0-1", "train log-loss", "min normalised margin"],
                 [["first zero training error", float(hit.mean()), 0.0, float(test_hit.mean()), float(loss_hit.mean()), float(margin_hit.mean())],
                  ["end", int(T), 0.0, float(test_end.mean()), float(loss_end.mean()), float(margin_end.mean())]])
    report.claim("test-error-falls-on-most-datasets",
                 en="The fall is typical, not an artefact of the average: the test error at the end is below its value at zero training error on at least 80% of the datasets (it is not guaranteed on every one).",
                 zh="这种下降是普遍现象，不是平均造成的假象：至少 80% 的数据集上，结束时的测试误差低于训练误差为 0 时的值（但并非每个数据集都必然如此）。",
                 value=float(np.mean(test_end < test_hit)), op=">=", threshold=0.8, expression="fraction of datasets with test err(end) < test err(first zero)")
    report.claim("test-error-keeps-falling",
                 en=f"Averaged over {R} separable datasets, the exact test 0-1 error at the end of training is less than half its value at the step where the training 0-1 error first reached 0 (Goodfellow et al. §8.1.2).",
                 zh=f"在 {R} 个可分数据集上取平均，训练结束时的精确测试 0-1 误差不到训练 0-1 误差首次为 0 那一步时的一半（Goodfellow et al. §8.1.2）。",
                 value=float(test_end.mean() / test_hit.mean()), op="<", threshold=0.5, expression="mean test err(end) / mean test err(first zero train err)")
    report.claim("log-loss-keeps-falling",
                 en="Meanwhile the training log-loss keeps falling: at the end it is less than half its value when the training error first reached 0 (worst dataset).",
                 zh="同时训练对数损失继续下降：结束时不到训练误差首次为 0 时的一半（最差的数据集）。",
                 value=float(np.max(loss_end / loss_hit)), op="<", threshold=0.5, expression="max over datasets of loss(end) / loss(first zero)")
    report.claim("margin-keeps-growing",
                 en="And the classes are pushed apart: the minimum normalised margin min_i y_i wᵀx_i/||w|| grows after zero training error on every dataset (smallest gain above 0.02).",
                 zh="类别被进一步推开：在每个数据集上，训练误差为 0 之后最小归一化间隔 min_i y_i wᵀx_i/||w|| 继续增大（最小增量超过 0.02）。",
                 value=float(np.min(margin_end - margin_hit)), op=">", threshold=0.02, expression="min over datasets of margin(end) - margin(first zero)")
    report.progress(0.55, "after zero training error")

    # ---------------------------------------------------------------- 4. zeroth-order (ES) gradients
    rng = cfg.rng(3)
    dims = cfg.pick((4, 8, 16, 32, 64), (4, 8, 16, 32, 64, 128))
    n_es = cfg.pick(100, 200)
    sigma = 0.5
    Ns = 2 ** np.arange(0, cfg.pick(11, 12))
    budget = cfg.pick(512, 2048)                                 # pairs per (d, N) cell
    cos_table = np.zeros((len(dims), len(Ns)))
    needed = []
    for i, d in enumerate(dims):
        yd = np.where(rng.random(n_es) < 0.5, -1.0, 1.0)
        Xd = yd[:, None] * np.eye(d)[0] + rng.standard_normal((n_es, d))
        Xd /= np.linalg.norm(Xd, axis=1, keepdims=True)         # unit rows: the smoothing scale is σ for every d
        wd = rng.standard_normal(d)
        wd /= np.linalg.norm(wd)
        _, g_exact = smoothed_zero_one(wd, Xd, yd, sigma)
        f = lambda V, Xd=Xd, yd=yd: zero_one_loss(margins(V, Xd, yd)).mean(1)
        for j, N in enumerate(Ns):
            reps = max(8, budget // int(N))
            est = es_pair_estimates(f, wd, sigma, reps * int(N), rng).reshape(reps, int(N), d).mean(1)
            norms = np.linalg.norm(est, axis=1)
            cos = np.where(norms > 0, est @ g_exact / np.maximum(norms, 1e-300), 0.0) / np.linalg.norm(g_exact)
            cos_table[i, j] = cos.mean()
        row = cos_table[i]
        k = int(np.argmax(row >= 0.9))
        if row[k] < 0.9 or k == 0:
            raise RuntimeError(f"ES cosine never crossed 0.9 inside the grid for d = {d}")
        frac = (0.9 - row[k - 1]) / (row[k] - row[k - 1])
        needed.append(2 * float(np.exp(np.log(Ns[k - 1]) + frac * np.log(2.0))))   # evaluations = 2 per pair
        report.progress(0.55 + 0.25 * (i + 1) / len(dims), f"ES, d = {d}")
    needed = np.array(needed)
    slope = float(np.polyfit(np.log(dims), np.log(needed), 1)[0])
    report.table("ES: evaluations of the 0-1 loss for mean cosine 0.9 with the exact smoothed gradient",
                 ["dimension d", "evaluations", "evaluations / d", f"mean cosine at {2 * Ns[-1]} evaluations"],
                 [[int(d), float(v), float(v / d), float(cos_table[i, -1])] for i, (d, v) in enumerate(zip(dims, needed))])
    report.claim("es-cosine-high",
                 en=f"With {2 * Ns[-1]} evaluations of the 0-1 loss, the antithetic ES estimate has mean cosine above 0.93 with the exact gradient of the Gaussian-smoothed 0-1 loss, in every dimension up to {dims[-1]}.",
                 zh=f"用 {2 * Ns[-1]} 次 0-1 损失求值，对偶（antithetic）ES 估计与高斯平滑 0-1 损失的精确梯度的平均余弦在直到 {dims[-1]} 的每个维度上都超过 0.93。",
                 value=float(cos_table[:, -1].min()), op=">", threshold=0.93, expression="min over d of mean cosine at the largest N")
    report.claim("es-cost-linear-in-dimension",
                 en="The number of evaluations it needs for mean cosine 0.9 grows linearly with the dimension: the log-log slope against d lies between 0.8 and 1.3 (a gradient costs one backward pass whatever d is).",
                 zh="达到平均余弦 0.9 所需的求值次数随维度线性增长：对 d 的双对数斜率在 0.8 到 1.3 之间（而一次梯度只需一次反向传播，与 d 无关）。",
                 value=slope, op="between", threshold=(0.8, 1.3), expression="slope of log evaluations vs log d")

    # ES descent on the 0-1 loss itself: digits, even vs odd, 65 parameters (unit sphere: the 0-1
    # loss only depends on the direction of w)
    Xdig, lab = digits()
    Xdig = np.c_[Xdig, np.ones(len(Xdig))]
    ydig = np.where(lab % 2 == 0, 1.0, -1.0)
    rng = cfg.rng(4)
    idx = rng.permutation(len(ydig))[:cfg.pick(500, 900)]
    Xt, yt = Xdig[idx], ydig[idx]
    f01 = lambda V: zero_one_loss(margins(V, Xt, yt)).mean(1)
    w = rng.standard_normal(65)
    w /= np.linalg.norm(w)
    v = w.copy()
    es_steps, pairs = cfg.pick(150, 300), 16
    start = float(f01(w[None])[0])
    for _ in range(es_steps):                                    # loop over iterations
        w = w - 1.0 * es_pair_estimates(f01, w, 0.1, pairs, rng).mean(0)
        w /= np.linalg.norm(w)
    for _ in range(es_steps):                                    # logistic GD, same number of steps
        m = margins(v, Xt, yt)
        v = v + 1.0 * (Xt.T @ (yt * 0.5 * (1 - np.tanh(0.5 * m)))) / len(yt)
    es_err = float(f01(w[None])[0])
    log_err = float(f01(v[None])[0])
    report.table("digits even vs odd, 65 parameters: minimising the 0-1 loss directly with ES",
                 ["method", "training 0-1 error (start)", "training 0-1 error (end)", "evaluations"],
                 [["ES on the 0-1 loss", start, es_err, f"{es_steps * 2 * pairs} loss values"],
                  ["GD on the log-loss", start, log_err, f"{es_steps} gradients"]])
    report.claim("es-minimises-zero-one",
                 en=f"ES minimises the 0-1 loss itself: on digits (even vs odd, 65 parameters) {es_steps} steps of {2 * pairs} loss evaluations each take the training 0-1 error below 0.16, at 32 times the evaluations per step of gradient descent.",
                 zh=f"ES 可以直接最小化 0-1 损失本身：在 digits（奇偶二分类，65 个参数）上，{es_steps} 步、每步 {2 * pairs} 次损失求值，训练 0-1 误差降到 0.16 以下，每步的求值次数是梯度下降的 32 倍。",
                 value=es_err, op="<", threshold=0.16, expression="training 0-1 error after ES")
    report.progress(0.85, "ES on digits")

    # ---------------------------------------------------------------- 5. REINFORCE on a batch reward
    rng = cfg.rng(5)
    wr = 0.3 * np.r_[u, -BLOB_CENTER @ u]                        # a weak stochastic classifier
    z = X @ wr
    S = cfg.pick(2000, 8000)
    p_plus = 0.5 * (1 + np.tanh(0.5 * z))                        # P(a = +1) = σ(z)
    A = np.where(rng.random((S, n)) < p_plus, 1.0, -1.0)         # S sampled decision vectors (S, n)
    reward = np.mean(A == y, axis=1)                             # batch accuracy: a non-differentiable reward
    glp = (0.5 * (1 - np.tanh(0.5 * A * z)) * A) @ X             # ∇ log p(a) = Σ_i σ(−a_i z_i) a_i x_i
    my = y * z
    exact = X.T @ (0.25 * (1 - np.tanh(0.5 * my) ** 2) * y) / n  # ∇ mean σ(y z) = mean σ(yz)σ(−yz) y x
    plain = reward[:, None] * glp
    loo = (reward - (reward.sum() - reward) / (S - 1))[:, None] * glp
    cos = lambda a: float(a @ exact / np.linalg.norm(a) / np.linalg.norm(exact))
    var_ratio = float(plain.var(0).sum() / loo.var(0).sum())
    report.table("REINFORCE on the batch accuracy of a stochastic linear classifier",
                 ["estimator", f"cosine of the mean of {S} samples with the exact gradient", "total variance per sample"],
                 [["no baseline", cos(plain.mean(0)), float(plain.var(0).sum())],
                  ["leave-one-out baseline", cos(loo.mean(0)), float(loo.var(0).sum())]])
    report.claim("reinforce-unbiased",
                 en=f"The score-function (REINFORCE) estimate of the gradient of the expected batch accuracy, with a leave-one-out baseline and {S} samples, has cosine above 0.95 with the exact gradient.",
                 zh=f"期望批量准确率梯度的得分函数（REINFORCE）估计，使用留一基线和 {S} 个样本，与精确梯度的余弦超过 0.95。",
                 value=cos(loo.mean(0)), op=">", threshold=0.95, expression="cos(mean REINFORCE estimate, exact gradient)")
    report.claim("baseline-cuts-variance",
                 en="The baseline cuts the per-sample variance of the estimator by more than 10 times (the reward is nearly constant, so without a baseline the estimator is mostly noise).",
                 zh="基线把估计量的单样本方差降低 10 倍以上（奖励几乎是常数，没有基线时估计量几乎全是噪声）。",
                 value=var_ratio, op=">", threshold=10.0, expression="total variance without / with baseline")

    # REINFORCE ascent using only sampled rewards: 16 decision vectors per step, from w = 0
    w_pg = np.zeros(3)
    pg_steps = 200
    for _ in range(pg_steps):                                    # loop over iterations
        zz = X @ w_pg
        Ab = np.where(rng.random((16, n)) < 0.5 * (1 + np.tanh(0.5 * zz)), 1.0, -1.0)
        Gb = (0.5 * (1 - np.tanh(0.5 * Ab * zz)) * Ab) @ X
        w_pg = w_pg + 2.0 * score_function_gradient(np.mean(Ab == y, axis=1), Gb)
    J_end = float(np.mean(0.5 * (1 + np.tanh(0.5 * y * (X @ w_pg)))))   # exact E[batch accuracy] = mean σ(y z)
    report.metric("reinforce_deterministic_accuracy", float(np.mean(y * (X @ w_pg) > 0)))
    report.claim("reinforce-optimises-expected-accuracy",
                 en=f"REINFORCE ascent that only sees sampled rewards ({pg_steps} steps, 16 sampled decision vectors each, leave-one-out baseline) raises the expected batch accuracy of the stochastic classifier from 0.5 (w = 0) to above 0.9.",
                 zh=f"只看采样奖励的 REINFORCE 上升（{pg_steps} 步，每步采样 16 个决策向量，留一基线）把随机分类器的期望批量准确率从 0.5（w = 0）提高到 0.9 以上。",
                 value=J_end, op=">", threshold=0.9, expression="exact expected batch accuracy after REINFORCE")

    # ---------------------------------------------------------------- figures
    fig, axes = new_figure(1, 2, size=(10.0, 3.8))
    ax = axes[0]
    ax.plot(m_grid, zero_one_loss(m_grid), "k-", lw=2, label="0-1")
    for s in SURROGATES:
        ax.plot(m_grid, surrogate_loss(s, m_grid)[0], label=s.replace("_", " "))
    ax.set_ylim(0, 4)
    ax.set_xlabel("margin m = y f(x)")
    ax.set_ylabel("loss")
    ax.legend(fontsize=8)
    ax.set_title("surrogates upper-bound the 0-1 loss")
    ax = axes[1]
    tline = np.linspace(-0.6, 0.6, 2001)
    v_dir = cfg.rng(6).standard_normal(3)
    path = w_log + tline[:, None] * np.linalg.norm(w_log) * v_dir / np.linalg.norm(v_dir)
    ax.plot(tline, zero_one_loss(margins(path, X, y)).mean(1), "k-", label="0-1 training error")
    ax.plot(tline, surrogate_loss("logistic", margins(path, X, y))[0].mean(1), label="log2-loss")
    ax.set_xlabel("t along w = w_logistic + t ||w_logistic|| v (v a random unit vector)")
    ax.legend(fontsize=8)
    ax.set_title("a staircase vs a smooth curve")
    report.figure("surrogates", fig,
                  en="Left: the 0-1 loss and four convex surrogates as functions of the margin. Right: along a random line through the logistic solution the 0-1 training error is a staircase (zero gradient between jumps), the logistic loss is smooth.",
                  zh="左：0-1 损失与四个凸替代损失随间隔的变化。右：沿经过 logistic 解的一条随机直线，0-1 训练误差是阶梯（跳跃之间梯度为 0），logistic 损失是光滑的。")

    fig, axes = new_figure(1, 2, size=(10.0, 3.8))
    steps_axis = record[:len(curves["test"])]
    ax = axes[0]
    ax.plot(steps_axis, curves["train"], label="train 0-1")
    ax.plot(steps_axis, curves["test"], label="test 0-1 (exact)")
    ax.plot(steps_axis, curves["loss"], label="train log-loss")
    ax.axvline(float(np.median(hit)), color="gray", ls=":", label="median step of zero train error")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("GD step")
    ax.legend(fontsize=8)
    ax.set_title(f"mean over {R} separable datasets")
    ax = axes[1]
    for i, d in enumerate(dims):
        ax.plot(2 * Ns, cos_table[i], marker=".", label=f"d = {d}")
    ax.axhline(0.9, color="gray", ls=":")
    ax.set_xscale("log")
    ax.set_xlabel("evaluations of the 0-1 loss")
    ax.set_ylabel("mean cosine with exact smoothed gradient")
    ax.legend(fontsize=8)
    ax.set_title(f"ES: evaluations for cosine 0.9 ~ d^{slope:.2f}")
    report.figure("after-zero-error-and-es", fig,
                  en="Left: after the training 0-1 error reaches 0, gradient descent on the log-loss keeps lowering the loss and the exact test error. Right: cosine of the ES estimate with the exact gradient of the smoothed 0-1 loss against the number of evaluations; the curves shift right in proportion to the dimension.",
                  zh="左：训练 0-1 误差为 0 之后，对数损失上的梯度下降仍在降低损失和精确测试误差。右：ES 估计与平滑 0-1 损失精确梯度的余弦随求值次数的变化；曲线随维度成比例右移。")
    report.progress(1.0, "done")
