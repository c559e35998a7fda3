# ruff: noqa: E501  (bilingual claim statements are long text)
"""Hyperparameter search: random vs grid, the learning rate's importance, successive halving.

(a) A synthetic objective with low effective dimensionality (Bergstra & Bengio 2012): on [0, 1]^2
    only x_1 matters, and the good region is an interval [a, a + w], a ~ U(0, 1 - w). With a
    budget of 25 trials a 5x5 grid tries 5 distinct values of x_1, random search 25: the
    probability of hitting the region is 5w / (1 - w) for the grid and 1 - (1 - w)^25 for random
    search. Measured over many repetitions (vectorised).
(b) A digits MLP with four hyperparameters: learning rate (log-uniform 1e-4..10), weight decay
    (log-uniform 1e-6..1e-1), init scale (log2-uniform 0.5..2) and width (4..H). A pool of random
    configurations plus a fine learning-rate sweep at default settings are trained at once
    (dlproof.models.mlp_ensemble.MLPEnsemble, full-batch SGD). Measured: the U shape of the final
    training loss in the learning rate; the share of the validation-loss variance explained by
    each hyperparameter's main effect (quintile bins); random vs grid on the swept learning-rate
    curve (a 5x5 grid over (lr, wd) is worth 5 learning rates when weight decay barely matters);
    successive halving (27 configurations, keep a third at 1/9 and 1/3 of the steps) against
    random search with the same budget in training steps.
"""

from __future__ import annotations

import time

import numpy as np

from dlproof.experiments.registry import Report, RunConfig, experiment


def _main_effect_share(v, h, bins: int = 5) -> float:
    """Var_b(E[v | quantile bin b of h]) / Var(v): the fraction of the variance of v explained by
    the main effect of hyperparameter h (a binned one-way ANOVA, as in functional ANOVA)."""
    groups = np.array_split(np.argsort(h, kind="stable"), bins)
    between = sum(len(g) * (v[g].mean() - v.mean()) ** 2 for g in groups) / len(v)
    return float(between / v.var())


@experiment(
    "hyperparameter-search",
    questions=["hyperparameter-tuning"],
    title_en="Random search vs grid search, the learning rate's importance, and successive halving",
    title_zh="随机搜索与网格搜索、学习率的重要性，以及逐次减半",
)
def run(cfg: RunConfig, report: Report) -> None:
    from dlproof import data
    from dlproof.models.mlp_ensemble import MLPEnsemble

    t0 = time.perf_counter()
    rng = cfg.rng(0)

    # (a) synthetic: only x_1 matters ----------------------------------------------------------------
    R, w, budget = cfg.pick(50000, 100000), 0.05, 25
    a = rng.uniform(0, 1 - w, R)
    grid_x1 = (np.arange(5) + 0.5) / 5  # a 5x5 grid has only these 5 values of x_1
    hit_grid = ((grid_x1[None, :] >= a[:, None]) & (grid_x1[None, :] <= a[:, None] + w)).any(1)
    x1 = rng.uniform(0, 1, (R, budget))
    hit_rand = ((x1 >= a[:, None]) & (x1 <= a[:, None] + w)).any(1)
    p_grid, p_rand = float(hit_grid.mean()), float(hit_rand.mean())
    p_rand_theory = 1 - (1 - w) ** budget
    p_grid_theory = 5 * w / (1 - w)  # the interval start a is uniform on [0, 1 - w]
    report.metric("p_hit_grid", p_grid)
    report.metric("p_hit_random", p_rand)
    report.claim(
        "random-beats-grid-synthetic",
        en=f"Only one of two hyperparameters matters and its good range has width {w}: with {budget} trials, random search hits it with probability {p_rand:.2f} and a 5×5 grid with {p_grid:.2f}; the difference exceeds 0.3 ({R} repetitions).",
        zh=f"两个超参数中只有一个重要，且它的好区间宽 {w}：{budget} 次试验下，随机搜索命中的概率为 {p_rand:.2f}，5×5 网格为 {p_grid:.2f}；两者之差超过 0.3（重复 {R} 次）。",
        value=p_rand - p_grid, op=">", threshold=0.3, expression="P(hit | random) - P(hit | grid)")
    report.claim(
        "random-hit-closed-form",
        en=f"The measured hit rate of random search matches 1 - (1 - w)^25 = {p_rand_theory:.3f} within 0.01, and the grid's matches 5w / (1 − w) = {p_grid_theory:.3f} within 0.01 (larger of the two errors).",
        zh=f"随机搜索的实测命中率与 1 − (1 − w)^25 = {p_rand_theory:.3f} 相差不到 0.01，网格与 5w / (1 − w) = {p_grid_theory:.3f} 相差不到 0.01（取两个误差中较大者）。",
        value=max(abs(p_rand - p_rand_theory), abs(p_grid - p_grid_theory)), op="<", threshold=0.01,
        expression="max(|P_rand - (1-(1-w)^25)|, |P_grid - 5w/(1-w)|)")
    report.progress(0.1, "synthetic search done")

    # (b) the digits MLP ------------------------------------------------------------------------------
    n_tr, n_pool, n_sweep, H, steps = cfg.pick((250, 80, 40, 16, 45), (300, 120, 40, 24, 72))
    X, y = data.digits(np.float32)
    perm = rng.permutation(len(X))
    tr, va = perm[:n_tr], perm[n_tr:n_tr + 500]
    lr = 10 ** rng.uniform(-4, 1, n_pool)
    wd = 10 ** rng.uniform(-6, -1, n_pool)
    sc = 2 ** rng.uniform(-1, 1, n_pool)
    width = rng.integers(4, H + 1, n_pool)
    # a fine learning-rate sweep at default settings (width H, init scale 1, weight decay 1e-4)
    sweep_lr = np.logspace(-4, 1, n_sweep)
    ens = MLPEnsemble(n_pool + n_sweep, 64, H, 10, cfg.rng(1), widths=np.r_[width, np.full(n_sweep, H)],
                      init_scales=np.r_[sc, np.ones(n_sweep)])
    out = ens.fit(X[tr], y[tr], np.r_[lr, sweep_lr], np.r_[wd, np.full(n_sweep, 1e-4)], steps,
                  X[va], y[va], record_every=steps // 9)
    report.progress(0.8, "pool and sweep trained")
    cap = np.log(10)  # a diverged or useless run counts as the uniform predictor's loss
    val = np.minimum(out["val"], cap)  # (9, K): validation loss at steps T/9, 2T/9, ..., T
    v_pool, v_sweep = val[-1, :n_pool], val[-1, n_pool:]
    train_sweep = out["train"][-1, n_pool:]  # inf where diverged
    report.metric("diverged_fraction_pool", float(out["diverged"][:n_pool].mean()))
    report.metric("best_pool_val_loss", float(v_pool.min()))

    # U shape: final training loss against the learning rate
    i_best = int(np.argmin(train_sweep))
    low = float(train_sweep[0] - train_sweep[i_best])
    report.metric("best_sweep_lr", float(sweep_lr[i_best]))
    report.claim(
        "loss-u-shaped-in-lr",
        en=f"Final training loss against the learning rate (log scale, {n_sweep} values from 1e-4 to 10, {steps} full-batch steps) is U-shaped: the smallest learning rate ends more than 1 nat above the best one (underfitting within the budget; difference {low:.2f}), the best lies strictly inside the range, and the largest diverges.",
        zh=f"最终训练损失随学习率（对数刻度，{n_sweep} 个值，1e-4 到 10，{steps} 步全批量训练）呈 U 形：最小的学习率比最好的高出 1 nat 以上（预算内欠拟合；差 {low:.2f}），最好的学习率在范围内部，最大的学习率发散。",
        value=low if (0 < i_best < n_sweep - 1 and not np.isfinite(train_sweep[-1])) else 0.0,
        op=">", threshold=1.0,
        expression="L(lr_min) - min L, set to 0 unless the argmin is interior and L(lr_max) diverged")

    shares = {name: _main_effect_share(v_pool, h) for name, h in
              (("learning rate", np.log(lr)), ("weight decay", np.log(wd)),
               ("init scale", np.log(sc)), ("width", width.astype(float)))}
    report.table("importance", ["hyperparameter", "share of validation-loss variance (main effect)"],
                 [[k, f"{s:.3f}"] for k, s in shares.items()])
    others = max(s for k, s in shares.items() if k != "learning rate")
    report.claim(
        "learning-rate-dominates",
        en=f"Over {n_pool} random configurations of four hyperparameters, the learning rate's main effect alone explains more than a third of the variance of the validation loss (share of variance).",
        zh=f"在 {n_pool} 个四超参数随机配置上，仅学习率的主效应就解释了验证损失方差的三分之一以上（方差占比）。",
        value=shares["learning rate"], op=">", threshold=1 / 3, expression="Var(E[loss | lr bin]) / Var(loss)")
    report.claim(
        "learning-rate-most-important",
        en="The learning rate's share is more than twice that of any other hyperparameter (weight decay, init scale, width; ratio to the largest of them).",
        zh="学习率的方差占比是其他任何超参数（权重衰减、初始化尺度、宽度）的两倍以上（与其中最大者之比）。",
        value=shares["learning rate"] / max(others, 1e-12), op=">", threshold=2.0,
        expression="share(lr) / max share(other)")

    # random vs grid on the measured learning-rate curve: weight decay barely matters, so a 5x5 grid
    # over (lr, wd) is worth 5 evenly spaced learning rates (every n_sweep/5-th sweep point, at each
    # of the n_sweep/5 placements); random search of 25 is 25 learning rates drawn from the sweep
    stride = n_sweep // 5
    grid_best = np.array([v_sweep[o::stride][:5].min() for o in range(stride)])
    reps = cfg.pick(2000, 5000)
    rrng = cfg.rng(2)
    rand_best = v_sweep[rrng.integers(0, n_sweep, (reps, 25))].min(1)
    ex_grid = float(grid_best.mean() - v_sweep.min())  # excess over the best swept learning rate
    ex_rand = float(rand_best.mean() - v_sweep.min())
    report.metric("grid5_mean_best", float(grid_best.mean()))
    report.metric("random25_mean_best", float(rand_best.mean()))
    report.metric("grid5_excess", ex_grid)
    report.metric("random25_excess", ex_rand)
    report.claim(
        "random-search-beats-grid-mlp",
        en=f"On the digits MLP, 25 random learning rates come closer to the best swept validation loss than the 5 learning rates a 5×5 grid over (learning rate, weight decay) tries: mean excess {ex_rand:.4f} against {ex_grid:.4f} (grid averaged over its {stride} placements on the sweep); the grid's excess is more than 1.5 times random search's.",
        zh=f"在 digits MLP 上，25 个随机学习率比 (学习率, 权重衰减) 5×5 网格所试的 5 个学习率更接近扫描中最好的验证损失：平均超出 {ex_rand:.4f} 对 {ex_grid:.4f}（网格在扫描上的 {stride} 种摆放取平均）；网格的超出量是随机搜索的 1.5 倍以上。",
        value=ex_grid / max(ex_rand, 1e-12), op=">", threshold=1.5,
        expression="(mean best grid - best sweep) / (mean best random - best sweep)")

    # successive halving: 27 configs, keep the best third at T/9 and at T/3 --------------------------
    subsets = np.argsort(rrng.random((reps, n_pool)), axis=1)
    i9, i3 = 0, 2  # rows of val at steps T/9 and 3T/9
    first = subsets[:, :27]
    keep9 = np.take_along_axis(first, np.argsort(val[i9][first], axis=1)[:, :9], axis=1)
    keep3 = np.take_along_axis(keep9, np.argsort(val[i3][keep9], axis=1)[:, :3], axis=1)
    best_sh = v_pool[keep3].min(1)
    # budget in training steps (continuing the survivors): 27 T/9 + 9 (T/3 - T/9) + 3 (T - T/3) = 7 T
    best_rand7 = v_pool[subsets[:, 27:34]].min(1)
    best_rand27 = v_pool[first].min(1)
    gain = float(np.mean(best_rand7 - best_sh))
    report.metric("successive_halving_mean_best", float(best_sh.mean()))
    report.metric("random7_mean_best", float(best_rand7.mean()))
    report.metric("random27_mean_best", float(best_rand27.mean()))
    report.metric("p_sh_at_least_as_good", float((best_sh <= best_rand7).mean()))
    report.claim(
        "successive-halving-beats-random",
        en=f"With the same budget of 7 full training runs in steps, successive halving (27 configurations, the best third kept at 1/9 and 1/3 of the steps) ends with a lower validation loss than random search over 7 configurations: mean {best_sh.mean():.3f} against {best_rand7.mean():.3f} (difference random − halving above 0.05).",
        zh=f"在相同预算（按步数计，相当于 7 次完整训练）下，逐次减半（27 个配置，在 1/9 和 1/3 步数处各保留最好的三分之一）最终的验证损失低于 7 个配置的随机搜索：平均 {best_sh.mean():.3f} 对 {best_rand7.mean():.3f}（差值 随机 − 逐次减半 大于 0.05）。",
        value=gain, op=">", threshold=0.05, expression="mean(best_random7 - best_SH)")

    fig, ax = _figure()
    ax[0].scatter(lr, v_pool, s=10, label="random pool")
    ax[0].plot(sweep_lr, v_sweep, "k-", lw=1, label="learning-rate sweep")
    ax[0].set(xscale="log", xlabel="learning rate", ylabel="validation loss", title="the learning rate decides")
    ax[0].legend()
    ax[1].scatter(wd, v_pool, s=10)
    ax[1].set(xscale="log", xlabel="weight decay", title="weight decay barely matters here")
    ax[2].hist([best_rand27, best_sh, best_rand7], bins=30, label=["random 27 (27T)", "succ. halving (7T)", "random 7 (7T)"])
    ax[2].set(xlabel="best validation loss found", title="search strategies")
    ax[2].legend(fontsize=7)
    report.figure("search", fig, en="Validation loss against learning rate and weight decay for every configuration; distribution of the best loss found by each search strategy.",
                  zh="每个配置的验证损失与学习率、权重衰减的关系；各搜索策略找到的最低损失的分布。")
    report.metric("seconds", time.perf_counter() - t0)


def _figure():
    from matplotlib.figure import Figure

    fig = Figure(figsize=(12.6, 3.4), layout="constrained")
    return fig, fig.subplots(1, 3)
