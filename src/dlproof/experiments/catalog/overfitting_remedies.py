# ruff: noqa: E501  (bilingual claim statements are long text)
"""Overfitting and its remedies, measured.

1. Polynomial regression (closed-form least squares on Legendre features, 15 noisy samples of a smooth
   function): the degree-14 fit interpolates the training points (training error ~0) while its test error
   explodes; the remedies act on the objective (ridge with λ chosen on a validation set), on the model
   (lower degree, chosen on validation) and on the data (more samples), and each brings the test error
   back near the noise floor.
2. Memorization: a 64-256-10 MLP (our nn.Linear, Adam, full batch) fits 300 digits with randomly
   permuted labels perfectly while its accuracy on unseen digits stays at chance (Zhang et al. 2017).
"""

from __future__ import annotations

import time

import numpy as np

from dlproof.data import digits
from dlproof.engine import tensor
from dlproof.experiments.figures import new_figure
from dlproof.experiments.registry import Report, RunConfig, experiment

N_TRAIN = 300
NOISE = 0.3


def target(x):
    return np.sin(2.5 * x) + 0.5 * x


def features(x, deg):
    return np.polynomial.legendre.legvander(x, deg)


def lstsq_fit(x, y, deg, lam=0.0):
    A = features(x, deg)
    if lam == 0.0:
        return np.linalg.lstsq(A, y, rcond=None)[0]
    P = np.eye(deg + 1)
    P[0, 0] = 0.0  # the constant term is not penalized
    return np.linalg.solve(A.T @ A + lam * P, A.T @ y)


def mse(x, y, w):
    return float(np.mean((features(x, len(w) - 1) @ w - y) ** 2))


def train_mlp(Xtr, ytr, Xte, yte, cfg, steps):
    import dlproof.nn.functional as F
    from dlproof import nn
    from dlproof.engine.tensor import no_grad
    from dlproof.optim import Adam

    r = cfg.rng(10)
    net = nn.Sequential(nn.Linear(64, 256, generator=r, dtype=np.float64), nn.ReLU(),
                        nn.Linear(256, 10, generator=r, dtype=np.float64))
    opt = Adam(net.parameters(), lr=5e-3)
    Xt, yt = tensor(Xtr), tensor(ytr)
    accs = []
    for _ in range(steps):
        opt.zero_grad()
        out = net(Xt)
        F.cross_entropy(out, yt).backward()
        opt.step()
        accs.append(float((out.data.argmax(1) == ytr).mean()))
    with no_grad():
        te_acc = float((net(tensor(Xte)).data.argmax(1) == yte).mean())
    return np.array(accs), te_acc


@experiment(
    "overfitting-remedies",
    questions=["overfitting-remedies"],
    title_en="Overfitting on 300 digits: diverging train/validation loss, early stopping, weight decay, dropout, augmentation, random labels",
    title_zh="300 个数字上的过拟合：训练/验证损失背离、提前停止、权重衰减、dropout、数据增强、随机标签",
)
def run(cfg: RunConfig, report: Report) -> None:
    t0 = time.perf_counter()
    rng = cfg.rng(0)
    n = 15
    x_tr = np.sort(rng.uniform(-1, 1, n))
    y_tr = target(x_tr) + NOISE * rng.standard_normal(n)
    x_va = rng.uniform(-1, 1, 200)
    y_va = target(x_va) + NOISE * rng.standard_normal(200)
    x_te = rng.uniform(-1, 1, 2000)
    y_te = target(x_te) + NOISE * rng.standard_normal(2000)
    noise_var = NOISE**2

    degs = np.arange(0, n)
    tr_err = np.array([mse(x_tr, y_tr, lstsq_fit(x_tr, y_tr, d)) for d in degs])
    va_err = np.array([mse(x_va, y_va, lstsq_fit(x_tr, y_tr, d)) for d in degs])
    te_err = np.array([mse(x_te, y_te, lstsq_fit(x_tr, y_tr, d)) for d in degs])
    D = n - 1
    report.claim(
        "interpolation-overfits",
        en=f"Overfitting: with {n} noisy training points (noise variance {noise_var:g}), the degree-{D} polynomial "
           "interpolates them (training MSE ~0) while its test MSE is more than 10 times the noise variance.",
        zh=f"过拟合：{n} 个带噪训练点（噪声方差 {noise_var:g}）上，{D} 次多项式穿过所有训练点（训练 MSE 约为 0），而测试 MSE 超过噪声方差的 10 倍。",
        value=float(te_err[D] / noise_var), op=">", threshold=10.0, expression=f"test MSE(deg {D}) / σ²")
    report.metric("train_mse_max_degree", float(tr_err[D]))
    d_best = int(np.argmin(va_err))
    report.metric("degree_chosen_on_validation", d_best)
    report.claim(
        "train-error-falls-test-error-u",
        en="Training error falls monotonically with the degree (it always can), while the test error is U-shaped: "
           "its minimum lies strictly inside the range, and the maximum degree's test error is over 5 times that minimum.",
        zh="训练误差随次数单调下降（总是如此），而测试误差呈 U 形：最小值在范围内部，最高次数的测试误差是该最小值的 5 倍以上。",
        value=float(te_err[D] / te_err.min()) if 0 < int(np.argmin(te_err)) < D and np.all(np.diff(tr_err) <= 1e-6) else 0.0,
        op=">", threshold=5.0, expression="test MSE(max deg) / min test MSE, if train MSE monotone and argmin interior")
    lams = np.logspace(-8, 1, 37)
    va_r = [mse(x_va, y_va, lstsq_fit(x_tr, y_tr, D, lam)) for lam in lams]
    lam_best = float(lams[int(np.argmin(va_r))])
    te_ridge = mse(x_te, y_te, lstsq_fit(x_tr, y_tr, D, lam_best))
    te_model = float(te_err[d_best])
    x_big = rng.uniform(-1, 1, 300)
    y_big = target(x_big) + NOISE * rng.standard_normal(300)
    te_data = mse(x_te, y_te, lstsq_fit(x_big, y_big, D))
    report.table("remedies", ["remedy", "test MSE / σ²"],
                 [[f"none (degree {D}, {n} points)", f"{te_err[D] / noise_var:.3g}"],
                  [f"ridge, λ = {lam_best:.2g} chosen on validation", f"{te_ridge / noise_var:.3g}"],
                  [f"smaller model, degree {d_best} chosen on validation", f"{te_model / noise_var:.3g}"],
                  [f"more data (300 points, degree {D})", f"{te_data / noise_var:.3g}"]])
    for cid, val, en, zh in (
        ("ridge-fixes-it", te_ridge, "On the objective: ridge (L2) on the same degree-14 features, λ chosen on a validation set",
         "作用在目标函数上：在同样的 14 次特征上用 ridge（L2），λ 在验证集上选择"),
        ("smaller-model-fixes-it", te_model, "On the model: a lower degree chosen on the validation set",
         "作用在模型上：在验证集上选择较低的次数"),
        ("more-data-fixes-it", te_data, "On the data: 300 training points instead of 15, same degree 14",
         "作用在数据上：用 300 个训练点代替 15 个，次数仍为 14"),
    ):
        report.claim(
            cid,
            en=f"{en}, brings the test MSE from many orders of magnitude above the noise variance to below 5 times it (the best possible is 1 times).",
            zh=f"{zh}，使测试 MSE 从高于噪声方差许多个数量级降到其 5 倍以下（最优为 1 倍）。",
            value=val / noise_var, op="<", threshold=5.0, expression="test MSE / σ²")
    report.progress(0.2, "polynomials")

    # memorization of random labels ----------------------------------------------------------------------
    X, y = digits()
    perm = cfg.rng(1).permutation(len(X))
    tr, te = perm[:N_TRAIN], perm[N_TRAIN:]
    y_rand = cfg.rng(2).permutation(y[tr])
    steps = cfg.pick(80, 300)
    acc_rand, te_rand = train_mlp(X[tr], y_rand, X[te], y[te], cfg, steps)
    acc_true, te_true = train_mlp(X[tr], y[tr], X[te], y[te], cfg, steps)
    report.metric("true_labels_test_acc", te_true)
    report.claim(
        "memorizes-random-labels",
        en=f"A 64-256-10 MLP (Adam, full batch, {steps} steps) fits {N_TRAIN} digits with randomly permuted "
           "labels: training accuracy at least 95%…",
        zh=f"64-256-10 MLP（Adam，全批量，{steps} 步）能拟合标签被随机打乱的 {N_TRAIN} 个数字：训练准确率至少 95%……",
        value=float(acc_rand[-1]), op=">=", threshold=0.95, expression="train acc, random labels")
    report.claim(
        "random-labels-chance-test",
        en="…while its accuracy on unseen digits stays at chance (below 0.2; chance is 0.1). The same net on the "
           "true labels generalizes (metric true_labels_test_acc): fitting the training set says nothing about "
           "generalization, and capacity alone does not explain it.",
        zh="……而它在未见过的数字上的准确率停留在随机水平（低于 0.2；随机为 0.1）。同一网络在真实标签上能泛化（指标 true_labels_test_acc）："
           "能拟合训练集不说明能泛化，单看容量也解释不了泛化。",
        value=te_rand, op="<", threshold=0.2, expression="test acc, random labels")

    fig, ax = new_figure(1, 3, size=(11.7, 3.3))
    ax[0].semilogy(degs, tr_err / noise_var + 1e-16, "o-", label="train")
    ax[0].semilogy(degs, te_err / noise_var, "o-", label="test")
    ax[0].axhline(1, color="k", ls=":", lw=0.8)
    ax[0].set_xlabel("polynomial degree")
    ax[0].set_ylabel("MSE / σ²")
    ax[0].set_ylim(1e-3, None)
    ax[0].legend(fontsize=7)
    ax[0].set_title(f"{n} training points")
    xs = np.linspace(-1, 1, 400)
    ax[1].plot(x_tr, y_tr, "ko", ms=4, label="training data")
    ax[1].plot(xs, target(xs), "k:", lw=1, label="truth")
    ax[1].plot(xs, features(xs, D) @ lstsq_fit(x_tr, y_tr, D), label=f"degree {D}")
    ax[1].plot(xs, features(xs, D) @ lstsq_fit(x_tr, y_tr, D, lam_best), label=f"degree {D} + ridge")
    ax[1].set_ylim(-3, 3)
    ax[1].legend(fontsize=7)
    ax[1].set_title("interpolation vs ridge")
    ax[2].plot(np.arange(1, steps + 1), acc_rand, label="train acc, random labels")
    ax[2].axhline(te_rand, color="C1", ls="--", label="test acc, random labels")
    ax[2].axhline(te_true, color="C2", ls="--", label="test acc, true labels")
    ax[2].set_xlabel("step")
    ax[2].set_ylim(0, 1.02)
    ax[2].legend(fontsize=7)
    ax[2].set_title("memorizing random labels")
    report.figure(
        "overfitting", fig,
        en=f"Left: training and test MSE (in units of the noise variance) of least-squares polynomials on {n} noisy "
           "points: training error falls to 0, test error is U-shaped. Middle: the interpolating degree-14 fit "
           "against the same features with ridge. Right: a digits MLP reaches 100% training accuracy on randomly "
           "permuted labels while its test accuracy stays at chance.",
        zh=f"左：{n} 个带噪点上最小二乘多项式的训练与测试 MSE（以噪声方差为单位）：训练误差降到 0，测试误差呈 U 形。"
           "中：穿过所有点的 14 次拟合与同样特征加 ridge 的拟合。右：digits MLP 在随机打乱的标签上训练准确率达到 100%，测试准确率停留在随机水平。")
    report.metric("seconds", time.perf_counter() - t0)
    report.progress(1.0, "done")
