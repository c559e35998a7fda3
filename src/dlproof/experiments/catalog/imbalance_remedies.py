# ruff: noqa: E501  (bilingual claim statements are long text)
"""Class imbalance on a well-specified problem: what each remedy really changes.

Two Gaussian classes with the same covariance (so logistic regression is the correct model) at 1%
positives. Logistic regression is fitted plain, with balanced class weights, on randomly over- and
undersampled data and on SMOTE data; the plain model is also used with a threshold tuned on a
validation set and with post-hoc logit adjustment (subtract log π/(1−π), Menon et al. 2021).

Measured: accuracy cannot tell a useless predictor from a real one; every remedy lands on the same
balanced accuracy; class weighting leaves the weight vector's direction unchanged and moves the
intercept by log(c₁/c₀) (a threshold shift); rankings (ROC-AUC, PR-AUC) are therefore unchanged;
weighted probabilities are miscalibrated until the shift is undone; ROC-AUC is blind to prevalence
while PR-AUC collapses with it. Averaged over several independent datasets per run.
"""

from __future__ import annotations

import numpy as np

from dlproof.experiments.figures import new_figure
from dlproof.experiments.registry import Report, RunConfig, experiment
from dlproof.stats import metrics
from dlproof.stats.logistic import LogisticRegression, sigmoid
from dlproof.stats.resample import random_oversample, random_undersample, smote

MEAN_SHIFT = np.array([2.0, 1.0])    # positives ~ N(μ, I), negatives ~ N(0, I): Bayes ROC-AUC ≈ 0.94
PREVALENCE = 0.01


def draw(rng: np.random.Generator, n: int, prevalence: float):
    """X (n, 2), y (n,): y ~ Bernoulli(prevalence), x | y ~ N(y μ, I)."""
    y = (rng.random(n) < prevalence).astype(np.int64)
    return rng.standard_normal((n, 2)) + y[:, None] * MEAN_SHIFT, y


def tuned_threshold(logit: np.ndarray, y: np.ndarray, n_candidates: int = 300) -> float:
    """The logit threshold that maximises balanced accuracy on (logit, y), among upper quantiles."""
    cand = np.quantile(logit, np.linspace(0.5, 0.9995, n_candidates))
    pred = logit[None, :] >= cand[:, None]                        # (candidates, N)
    pos = y == 1
    ba = 0.5 * (pred[:, pos].mean(1) + (~pred[:, ~pos]).mean(1))
    return float(cand[int(np.argmax(ba))])


def one_dataset(rng, n_train, n_test):
    X, y = draw(rng, n_train, PREVALENCE)
    Xv, yv = draw(rng, n_train, PREVALENCE)
    Xt, yt = draw(rng, n_test, PREVALENCE)
    Xb, yb = draw(rng, n_test // 4, 0.5)                          # the same classes at 50% prevalence
    models = {
        "plain": LogisticRegression().fit(X, y),
        "class weights": LogisticRegression(class_weight="balanced").fit(X, y),
        "oversampling": LogisticRegression().fit(*random_oversample(X, y, rng)),
        "undersampling": LogisticRegression().fit(*random_undersample(X, y, rng)),
        "SMOTE": LogisticRegression().fit(*smote(X, y, rng)),
    }
    plain = models["plain"]
    counts = np.bincount(y, minlength=2)
    weight_ratio = counts[0] / counts[1]                          # c₁/c₀ of class_weight="balanced"
    prior = counts[1] / counts.sum()
    z_test = {k: m.decision_function(Xt) for k, m in models.items()}
    thr_val = tuned_threshold(plain.decision_function(Xv), yv)
    r = {"n_pos": int(counts[1]), "shift": float(np.log(weight_ratio))}
    r["acc_trivial"] = float(np.mean(yt == 0))
    r["acc"] = {k: float(np.mean((z >= 0) == yt)) for k, z in z_test.items()}
    r["ba"] = {k: metrics.balanced_accuracy(yt, (z >= 0).astype(np.int64)) for k, z in z_test.items()}
    r["ba"]["tuned threshold"] = metrics.balanced_accuracy(yt, (z_test["plain"] >= thr_val).astype(np.int64))
    r["ba"]["logit adjustment"] = metrics.balanced_accuracy(
        yt, (z_test["plain"] >= np.log(prior / (1 - prior))).astype(np.int64))
    r["recall_plain"] = float(metrics.recall_per_class(yt, (z_test["plain"] >= 0).astype(np.int64))[1])
    wm = models["class weights"]
    r["cos"] = float(plain.coef_ @ wm.coef_ / np.linalg.norm(plain.coef_) / np.linalg.norm(wm.coef_))
    r["intercept_shift"] = wm.intercept_ - plain.intercept_
    r["ap"] = {k: metrics.average_precision(yt, z) for k, z in z_test.items()}
    r["auc"] = {k: metrics.roc_auc(yt, z) for k, z in z_test.items()}
    r["auc_balanced_test"] = metrics.roc_auc(yb, plain.decision_function(Xb))
    r["ap_balanced_test"] = metrics.average_precision(yb, plain.decision_function(Xb))
    r["ece_plain"] = metrics.expected_calibration_error(yt, sigmoid(z_test["plain"]))
    r["ece_weighted"] = metrics.expected_calibration_error(yt, sigmoid(z_test["class weights"]))
    r["ece_corrected"] = metrics.expected_calibration_error(yt, sigmoid(z_test["class weights"] - r["shift"]))
    r["mean_p_weighted"] = float(sigmoid(z_test["class weights"]).mean())
    r["prevalence_test"] = float(yt.mean())
    # kept from the first dataset for the figures
    r["_fig"] = dict(X=X, y=y, models=models, thr=thr_val, prior=prior, Xt=Xt, yt=yt, z=z_test, shift=r["shift"])
    return r


@experiment(
    "imbalance-remedies",
    questions=["imbalanced-data"],
    title_en="Imbalanced classes: accuracy misleads, and reweighting, resampling, SMOTE and threshold tuning all make the same threshold shift",
    title_zh="类别不平衡：准确率会误导；重加权、重采样、SMOTE 和调阈值做的都是同一个阈值平移",
)
def run(cfg: RunConfig, report: Report) -> None:
    rng = cfg.rng(0)
    reps = cfg.pick(3, 8)
    n_train, n_test = cfg.pick(20_000, 40_000), cfg.pick(60_000, 200_000)
    runs = []
    for i in range(reps):
        runs.append(one_dataset(rng, n_train, n_test))
        report.progress((i + 1) / reps, f"dataset {i + 1}/{reps}")

    def mean(key, sub=None):
        return float(np.mean([r[key] if sub is None else r[key][sub] for r in runs]))

    names = list(runs[0]["ba"])
    report.table(
        "remedies",
        ["method", "accuracy", "balanced accuracy", "ROC-AUC", "PR-AUC (AP)"],
        [[k, round(mean("acc", k), 4) if k in runs[0]["acc"] else "",
          round(mean("ba", k), 4),
          round(mean("auc", k), 4) if k in runs[0]["auc"] else "",
          round(mean("ap", k), 4) if k in runs[0]["ap"] else ""] for k in names])
    report.metric("minority_examples_per_training_set", mean("n_pos"))
    report.metric("accuracy_class_weights", mean("acc", "class weights"))

    report.claim(
        "accuracy-cannot-tell-trivial-from-real",
        en=f"At {PREVALENCE:.0%} positives, the predictor that always says 'negative' scores ≈ 99% accuracy, and the "
           "fitted logistic regression beats it by less than half a percentage point (accuracy(plain model) − "
           "accuracy(always negative), mean over datasets), although the model's ROC-AUC is ≈ 0.94.",
        zh=f"正类占 {PREVALENCE:.0%} 时，永远预测“负类”的分类器就有约 99% 的准确率，而拟合好的逻辑回归只比它高不到 0.5 个百分点"
           "（准确率(普通模型) − 准确率(全判负)，各数据集平均），尽管该模型的 ROC-AUC 约为 0.94。",
        value=mean("acc", "plain") - mean("acc_trivial"), op="<", threshold=0.005,
        expression="acc(plain) − acc(always negative)")
    report.metric("accuracy_always_negative", mean("acc_trivial"))
    report.claim(
        "plain-model-misses-the-minority",
        en="With the default threshold p ≥ 0.5 the plain model finds less than a third of the positives (minority recall).",
        zh="用默认阈值 p ≥ 0.5 时，普通模型找到的正类不到三分之一（少数类召回率）。",
        value=mean("recall_plain"), op="<", threshold=1 / 3, expression="recall of class 1, plain, threshold 0.5")
    gain = mean("ba", "class weights") - mean("ba", "plain")
    report.claim(
        "weighting-raises-balanced-accuracy",
        en="Balanced class weights raise balanced accuracy by more than 0.2 over the plain model (≈ 0.59 → ≈ 0.87).",
        zh="平衡类别权重使平衡准确率比普通模型提高 0.2 以上（约 0.59 → 约 0.87）。",
        value=gain, op=">", threshold=0.2, expression="BA(class weights) − BA(plain)")
    others = [k for k in names if k not in ("plain", "class weights")]
    spread = max(abs(mean("ba", k) - mean("ba", "class weights")) for k in others)
    report.claim(
        "all-remedies-agree",
        en="Random oversampling, undersampling, SMOTE, a threshold tuned on validation data and post-hoc logit "
           "adjustment (threshold at logit log π/(1−π)) all reach the balanced accuracy of class weighting to within "
           "0.01 (largest difference): on this well-specified model they are one remedy, a moved threshold.",
        zh="随机过采样、欠采样、SMOTE、在验证集上调的阈值以及事后 logit 调整（阈值取 logit = log π/(1−π)）"
           "达到的平衡准确率与类别加权相差都在 0.01 以内（最大差值）：在这个设定正确的模型上它们是同一种补救——移动阈值。",
        value=spread, op="<", threshold=0.01, expression="max_method |BA(method) − BA(class weights)|")
    report.claim(
        "weighting-keeps-the-direction",
        en="Class weighting leaves the direction of the weight vector unchanged: cosine between the plain and the weighted w (worst dataset).",
        zh="类别加权不改变权重向量的方向：普通模型与加权模型 w 的余弦相似度（最差的数据集）。",
        value=min(r["cos"] for r in runs), op=">", threshold=0.995, expression="min cos(w_plain, w_weighted)")
    rel = float(np.mean([abs(r["intercept_shift"] - r["shift"]) / r["shift"] for r in runs]))
    report.metric("log_weight_ratio", mean("shift"))
    report.metric("intercept_shift", mean("intercept_shift"))
    report.claim(
        "weighting-shifts-the-intercept",
        en="…and moves only the intercept, by log(c₁/c₀) = log(N₀/N₁) ≈ 4.6: relative error of b_weighted − b_plain "
           "against log(c₁/c₀) (mean over datasets). Reweighting is a threshold shift on the logit.",
        zh="……只移动截距，移动量为 log(c₁/c₀) = log(N₀/N₁) ≈ 4.6：b_加权 − b_普通 相对 log(c₁/c₀) 的相对误差（各数据集平均）。"
           "重加权就是在 logit 上平移阈值。",
        value=rel, op="<", threshold=0.1, expression="|Δb − log(c₁/c₀)| / log(c₁/c₀)")
    rank_gap = max(max(abs(mean("ap", k) - mean("ap", "plain")), abs(mean("auc", k) - mean("auc", "plain")))
                   for k in runs[0]["ap"])
    report.claim(
        "rankings-unchanged",
        en="Because only the threshold moves, no remedy improves the ranking: ROC-AUC and PR-AUC of every fitted model "
           "are within 0.01 of the plain model's (largest difference).",
        zh="因为只移动了阈值，没有哪种补救改进排序：每个模型的 ROC-AUC 和 PR-AUC 与普通模型的差都在 0.01 以内（最大差值）。",
        value=rank_gap, op="<", threshold=0.01, expression="max |ΔAUC|, |ΔAP| vs plain")
    report.metric("ece_plain", mean("ece_plain"))
    report.metric("mean_probability_weighted", mean("mean_p_weighted"))
    report.claim(
        "weighted-probabilities-miscalibrated",
        en="The weighted model's probabilities are not probabilities of the real population: expected calibration "
           "error above 0.1 (the plain model's is ≈ 0.001), its mean predicted probability is more than 10× the true "
           "prevalence (metric mean_probability_weighted).",
        zh="加权模型输出的概率不是真实总体的概率：期望校准误差（ECE）超过 0.1（普通模型约 0.001），平均预测概率是真实正类比例的 10 倍以上"
           "（指标 mean_probability_weighted）。",
        value=mean("ece_weighted"), op=">", threshold=0.1, expression="ECE(class weights)")
    report.claim(
        "shift-back-restores-calibration",
        en="Subtracting log(c₁/c₀) from the weighted logit restores calibration: ECE below 0.005.",
        zh="从加权模型的 logit 中减去 log(c₁/c₀) 就恢复了校准：ECE 低于 0.005。",
        value=mean("ece_corrected"), op="<", threshold=0.005, expression="ECE(σ(z_weighted − log(c₁/c₀)))")
    report.metric("roc_auc_balanced_test", mean("auc_balanced_test"))
    report.metric("pr_auc_balanced_test", mean("ap_balanced_test"))
    report.claim(
        "roc-auc-blind-to-prevalence",
        en="The same scoring function evaluated at 50% and at 1% prevalence: ROC-AUC changes by less than 0.01 …",
        zh="同一个打分函数分别在 50% 和 1% 的正类比例下评估：ROC-AUC 变化不到 0.01……",
        value=abs(mean("auc", "plain") - mean("auc_balanced_test")), op="<", threshold=0.01,
        expression="|AUC(1%) − AUC(50%)|")
    report.claim(
        "pr-auc-falls-with-prevalence",
        en="… while PR-AUC (average precision) falls by more than 0.4 (≈ 0.94 → ≈ 0.36): at 1% positives, ROC-AUC "
           "looks optimistic and PR-AUC shows how many false alarms come with each hit.",
        zh="……而 PR-AUC（平均精度）下降超过 0.4（约 0.94 → 约 0.36）：正类只占 1% 时 ROC-AUC 显得乐观，PR-AUC 才显示每个命中伴随多少误报。",
        value=mean("ap_balanced_test") - mean("ap", "plain"), op=">", threshold=0.4,
        expression="AP(50%) − AP(1%)")

    f = runs[0]["_fig"]
    fig, ax = new_figure(size=(5.2, 4.2))
    neg, pos = f["X"][f["y"] == 0], f["X"][f["y"] == 1]
    ax.scatter(*neg[:1500].T, s=3, c="0.75", label="negative (subset)", rasterized=True)
    ax.scatter(*pos.T, s=6, c="tab:red", label="positive")
    xs = np.linspace(-4, 6, 2)
    w, b = f["models"]["plain"].coef_, f["models"]["plain"].intercept_
    lines = {"plain, p = 0.5": 0.0, "tuned threshold": f["thr"],
             "logit adjustment": float(np.log(f["prior"] / (1 - f["prior"])))}
    for (label, z0), style in zip(lines.items(), ("-", "--", ":")):
        ax.plot(xs, (z0 - b - w[0] * xs) / w[1], style, c="k", label=label)
    wm = f["models"]["class weights"]
    ax.plot(xs, (-wm.intercept_ - wm.coef_[0] * xs) / wm.coef_[1], "-", c="tab:blue", lw=2, alpha=0.6, label="class weights, p = 0.5")
    ax.set(xlim=(-4, 6), ylim=(-4, 5), xlabel="x₁", ylabel="x₂", title="decision boundaries are parallel")
    ax.legend(fontsize=7, loc="upper left")
    report.figure("boundaries", fig,
                  en="Decision boundaries on one training set: class weighting, the tuned threshold and logit adjustment are parallel shifts of the plain boundary.",
                  zh="一个训练集上的决策边界：类别加权、调过的阈值和 logit 调整都是普通边界的平行移动。")

    fig, axes = new_figure(1, 2, size=(8.4, 3.6))
    for k in ("plain", "class weights", "SMOTE"):
        p, r, _ = metrics.precision_recall_curve(f["yt"], f["z"][k])
        axes[0].plot(r, p, label=k, lw=1.2)
    axes[0].set(xlabel="recall", ylabel="precision", title="PR curves coincide")
    axes[0].legend(fontsize=8)
    for label, prob in (("plain", sigmoid(f["z"]["plain"])), ("class weights", sigmoid(f["z"]["class weights"])),
                        ("weights, shifted back", sigmoid(f["z"]["class weights"] - f["shift"]))):
        mp, fr, _ = metrics.reliability_curve(f["yt"], prob, 10)
        axes[1].plot(mp, fr, "o-", ms=3, label=label)
    axes[1].plot([0, 1], [0, 1], c="0.6", lw=0.8)
    axes[1].set(xlabel="mean predicted p", ylabel="observed frequency", title="calibration")
    axes[1].legend(fontsize=8)
    report.figure("pr-and-calibration", fig,
                  en="Left: the PR curves of the plain, weighted and SMOTE models lie on top of each other (same ranking). Right: reliability curves; weighting inflates the probabilities, subtracting log(c₁/c₀) from the logit puts them back on the diagonal.",
                  zh="左：普通、加权和 SMOTE 模型的 PR 曲线相互重合（排序相同）。右：可靠性曲线；加权使概率虚高，从 logit 中减去 log(c₁/c₀) 后又回到对角线上。")
