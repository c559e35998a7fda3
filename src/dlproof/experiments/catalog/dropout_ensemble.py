# ruff: noqa: E501  (bilingual claim statements are long text)
"""Dropout as an implicit ensemble, checked by exact enumeration of all 2^n masks.

1. Softmax regression with dropout on its n = 12 inputs (4096 masks): the renormalized geometric mean
   of the 4096 member predictions equals the weight-scaled single pass softmax(W (x/2) + b) exactly;
   the arithmetic mean does not.
2. An MLP with dropout on its inputs (so a ReLU comes after the mask): the weight-scaled pass only
   approximates the geometric mean, although the predicted classes agree.
3. Linear regression with inverted dropout on the inputs (keep probability q): the expected loss over all
   masks equals the data loss plus ((1 − q)/q) Σ_i w_i² Σ_n x_ni², a data-dependent L2 penalty.
4. SGD on that linear model with fresh dropout masks lands on the penalized solution, not least squares.
"""

from __future__ import annotations

import itertools
import time

import numpy as np

from dlproof.data import digits
from dlproof.engine import tensor
from dlproof.experiments.figures import new_figure
from dlproof.experiments.registry import Report, RunConfig, experiment


def all_masks(n):
    return np.array(list(itertools.product([0.0, 1.0], repeat=n)))


def log_softmax(z):
    z = z - z.max(-1, keepdims=True)
    return z - np.log(np.exp(z).sum(-1, keepdims=True))


def geometric_mean(logp):
    """Renormalized geometric mean over axis 0 of member log-probabilities (M, B, K) -> (B, K)."""
    g = logp.mean(0)
    return np.exp(log_softmax(g))


@experiment(
    "dropout-ensemble-exact",
    questions=["dropout-ensemble"],
    title_en="Dropout as an ensemble: exact enumeration of all masks, the weight-scaling rule, the L2-like penalty, and the generalization gap",
    title_zh="Dropout 作为集成：枚举全部掩码、权重缩放规则、类 L2 惩罚以及泛化差距",
)
def run(cfg: RunConfig, report: Report) -> None:

    t0 = time.perf_counter()
    X, y = digits()
    rng = cfg.rng(0)
    n_in = 12
    feats = rng.choice(np.flatnonzero(X.std(0) > 0), n_in, replace=False)
    M = all_masks(n_in)  # (4096, 12)
    B = cfg.pick(60, 200)
    xb = X[rng.choice(len(X), B, replace=False)][:, feats]

    # (1) softmax regression: weight scaling = exact geometric mean -------------------------------------
    W = rng.standard_normal((n_in, 10))
    b = rng.standard_normal(10)
    logits = (M[:, None, :] * xb[None]) @ W + b  # (4096, B, 10), masks without rescaling, keep prob 1/2
    members = log_softmax(logits)
    geo = geometric_mean(members)
    arith = np.exp(members).mean(0)
    scaled = np.exp(log_softmax((0.5 * xb) @ W + b))
    err_geo = float(np.abs(geo - scaled).max())
    err_arith = float(np.abs(arith - scaled).max())
    report.claim(
        "softmax-regression-exact",
        en=f"Softmax regression with dropout (p = 0.5) on its {n_in} inputs: over all {len(M)} masks, the "
           "renormalized geometric mean of the members' predictions equals the weight-scaled single pass "
           "softmax(W(x/2) + b) to rounding error (largest difference over examples and classes).",
        zh=f"输入端带 dropout（p = 0.5）的 softmax 回归，{n_in} 个输入：在全部 {len(M)} 个掩码上，各成员预测的归一化几何平均等于权重缩放后的单次前向 softmax(W(x/2) + b)，误差只有舍入量级（样本与类别上的最大差异）。",
        value=err_geo, op="<", threshold=1e-10, expression="max |geo-mean − scaled pass|")
    report.claim(
        "arithmetic-mean-differs",
        en="The rule is about the geometric mean: the arithmetic mean of the same members differs from the "
           "scaled pass by more than 0.01 in some probability.",
        zh="这条规则说的是几何平均：同样这些成员的算术平均与缩放前向的某些概率相差超过 0.01。",
        value=err_arith, op=">", threshold=0.01, expression="max |arith-mean − scaled pass|")

    # (2) an MLP with dropout before a nonlinearity: only approximate ------------------------------------
    H = 32
    W1 = rng.standard_normal((n_in, H)) * np.sqrt(2.0 / n_in)
    b1 = 0.1 * rng.standard_normal(H)
    W2 = rng.standard_normal((H, 10)) * np.sqrt(2.0 / H)
    b2 = np.zeros(10)
    keep = 0.8  # a typical input keep probability; members weighted by their mask probabilities
    pm = np.prod(np.where(M == 1, keep, 1 - keep), axis=1)
    hid = np.maximum((M[:, None, :] * xb[None]) @ W1 + b1, 0)
    members2 = log_softmax(hid @ W2 + b2)
    geo2 = np.exp(log_softmax(np.tensordot(pm, members2, axes=1)))
    scaled2 = np.exp(log_softmax(np.maximum((keep * xb) @ W1 + b1, 0) @ W2 + b2))
    tv2 = float(0.5 * np.abs(geo2 - scaled2).sum(-1).mean())
    agree2 = float((geo2.argmax(-1) == scaled2.argmax(-1)).mean())
    report.claim(
        "mlp-only-approximate",
        en="With a ReLU after the dropped inputs (12-32-10 MLP, keep probability 0.8, all 4096 masks enumerated and "
           "weighted by their probabilities) the weight-scaled pass is no longer the geometric mean: mean total-variation distance above 1e-3…",
        zh="被丢弃的输入之后接 ReLU 时（12-32-10 MLP，保留概率 0.8，枚举全部 4096 个掩码并按其概率加权），权重缩放后的前向不再等于几何平均：平均总变差距离大于 1e-3……",
        value=tv2, op=">", threshold=1e-3, expression="mean TV(geo-mean, scaled pass)")
    report.claim(
        "mlp-same-decisions",
        en="…but it is a good approximation: the predicted class agrees with the exact ensemble's on at least "
           "75% of the examples (chance: 10%; random, untrained weights, so many predictions have small margins).",
        zh="……但这是很好的近似：预测类别与精确集成的一致率至少为 75%（随机水平为 10%；权重随机未经训练，许多预测的间隔很小）。",
        value=agree2, op=">=", threshold=0.75, expression="argmax agreement")
    report.progress(0.2, "enumeration")

    # (3) linear regression: dropout = data-dependent L2 ---------------------------------------------------
    d, n = 8, 30
    q = 0.6
    Xl = rng.standard_normal((n, d)) * rng.uniform(0.3, 3.0, d)
    yl = Xl @ rng.standard_normal(d) + 0.3 * rng.standard_normal(n)
    wl = rng.standard_normal(d)
    Ml = all_masks(d)
    prob = np.prod(np.where(Ml == 1, q, 1 - q), axis=1)  # (256,) mask probabilities
    wt = tensor(wl, requires_grad=True)
    pred = tensor((Ml[:, None, :] * Xl[None]) / q) @ wt  # (256, n)
    resid = tensor(yl[None, :]) - pred
    exp_loss = ((resid * resid) * tensor(prob[:, None])).sum()
    exp_loss.backward()
    data_loss = float(np.sum((yl - Xl @ wl) ** 2))
    penalty = (1 - q) / q * float(np.sum(wl**2 * (Xl**2).sum(0)))
    loss_err = abs(float(exp_loss.data) - (data_loss + penalty)) / (data_loss + penalty)
    g_closed = -2 * Xl.T @ (yl - Xl @ wl) + 2 * (1 - q) / q * (Xl**2).sum(0) * wl
    g_err = float(np.abs(wt.grad - g_closed).max() / np.abs(g_closed).max())
    report.claim(
        "linear-dropout-is-l2",
        en=f"Linear regression with inverted dropout on the inputs (keep q = {q}): the expected loss over all "
           f"{len(Ml)} masks equals Σ(y − Xw)² + ((1 − q)/q)·Σ_i w_i²·Σ_n x_ni², and its engine gradient equals the "
           "gradient of that penalized loss (largest relative error of loss and gradient).",
        zh=f"输入端用 inverted dropout（保留概率 q = {q}）的线性回归：全部 {len(Ml)} 个掩码上的期望损失等于 Σ(y − Xw)² + ((1 − q)/q)·Σ_i w_i²·Σ_n x_ni²，"
           "引擎算出的梯度也等于这个带惩罚损失的梯度（损失与梯度的最大相对误差）。",
        value=max(loss_err, g_err), op="<", threshold=1e-10, expression="max rel. error (loss, gradient)")

    # (4) SGD with dropout masks lands on the penalized solution ----------------------------------------
    G = Xl.T @ Xl
    w_ols = np.linalg.solve(G, Xl.T @ yl)
    w_pen = np.linalg.solve(G + (1 - q) / q * np.diag(np.diag(G)), Xl.T @ yl)
    rs = cfg.rng(5)
    w = np.zeros(d)
    K = 32  # masks per example and step
    steps = cfg.pick(400, 1500)
    avg, path = np.zeros(d), []
    lr0 = 0.5 / np.linalg.eigvalsh(G).max()
    for s in range(steps):
        m = (rs.random((K, n, d)) < q) / q
        wt = tensor(w, requires_grad=True)
        r = tensor(yl[None, :]) - tensor(m * Xl[None]) @ wt
        ((r * r).sum() * (1.0 / K)).backward()
        w = w - lr0 / (1 + s / 100) * wt.grad
        if s >= steps // 2:
            avg += w / (steps - steps // 2)
        path.append([np.linalg.norm(w - w_pen), np.linalg.norm(w - w_ols)])
    rel = float(np.linalg.norm(avg - w_pen) / np.linalg.norm(w_pen - w_ols))
    report.metric("dist_to_ols_over_pen_gap", float(np.linalg.norm(avg - w_ols) / np.linalg.norm(w_pen - w_ols)))
    report.claim(
        "dropout-sgd-finds-penalized-solution",
        en=f"Training that linear model by SGD with fresh dropout masks ({steps} steps, {K} masks per example, "
           "iterate averaging) lands on the penalized solution (XᵀX + ((1 − q)/q)·diag(XᵀX))⁻¹Xᵀy, not on least "
           "squares: its distance to the penalized solution is below 0.2 of the distance between the two solutions.",
        zh=f"用每步重新抽取 dropout 掩码的 SGD 训练这个线性模型（{steps} 步，每个样本 {K} 个掩码，迭代平均），落在带惩罚的解 (XᵀX + ((1 − q)/q)·diag(XᵀX))⁻¹Xᵀy 上，"
           "而不是最小二乘解上：它到带惩罚解的距离小于两个解之间距离的 0.2。",
        value=rel, op="<", threshold=0.2, expression="||w_SGD − w_pen|| / ||w_pen − w_OLS||")
    path = np.array(path)

    fig, ax = new_figure(1, 2, size=(8.8, 3.3))
    ax[0].semilogy(path[:, 0], label="distance to dropout-penalized solution")
    ax[0].semilogy(path[:, 1], label="distance to least squares")
    ax[0].set_xlabel("SGD step with dropout masks")
    ax[0].legend(fontsize=7)
    ax[0].set_title("linear regression + input dropout")
    ax[1].hist(np.abs(geo2 - scaled2).max(-1), bins=20)
    ax[1].set_xlabel("max |p_geo − p_scaled| per example")
    ax[1].set_title("MLP: exact ensemble vs weight scaling")
    report.figure(
        "dropout_ensemble", fig,
        en="Left: SGD with fresh dropout masks on a linear regression approaches the solution of the "
           "data-dependent L2 penalty, not least squares. Right: for a 12-32-10 MLP with input dropout, the "
           "per-example gap between the exact (enumerated) geometric-mean ensemble and the weight-scaled pass.",
        zh="左：每步重新抽掩码的 SGD 在线性回归上趋向数据相关 L2 惩罚的解，而不是最小二乘解。右：输入带 dropout 的 12-32-10 MLP 中，"
           "精确（枚举得到的）几何平均集成与权重缩放前向之间每个样本的差距。")
    report.metric("seconds", time.perf_counter() - t0)
    report.progress(1.0, "done")
