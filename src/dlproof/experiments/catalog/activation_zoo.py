"""Activation functions and their derivatives, measured on the engine's implementations.

Every derivative below is the engine's autograd (``backward`` through ``dlproof.engine.ops``) on a
fine float64 grid z in [-10, 10], checked against central differences. From the curves we read
off the facts the answers use: the maximum slopes of sigmoid (1/4) and tanh (1), tanh as a
rescaled sigmoid, softplus' = sigmoid, how saturated sigmoid is at |z| = 4, the negative
minimum of GELU and SiLU (non-monotonic), ELU's saturation at -alpha, and ReLU's exact slope 1.
Then a small heteroscedastic regression shows softplus as an output that keeps a scale positive.
"""

from __future__ import annotations

import numpy as np

import dlproof
from dlproof.engine import ops
from dlproof.experiments.registry import RunConfig, experiment
from dlproof.models.mlp import ACTIVATIONS
from dlproof.nn import functional as F

SHOWN = ("sigmoid", "tanh", "relu", "leaky_relu", "elu", "softplus", "gelu", "silu")


def rbf(z):
    """A 1-D radial basis unit exp(-z^2) (center 0, width 1)."""
    return ops.exp(-(z * z))


def value_and_derivative(f, z: np.ndarray):
    t = dlproof.tensor(z.copy(), requires_grad=True)
    y = f(t)
    y.sum().backward()
    return y.numpy(), t.grad


@experiment("activation-zoo",
            questions=["activation-catalog", "activation-drawbacks-alternatives",
                       "saturation-smoothness"],
            title_en="Activation functions and their derivatives, measured",
            title_zh="激活函数及其导数的实测")
def run(cfg: RunConfig, report) -> None:
    z = np.linspace(-10, 10, cfg.pick(20001, 200001))
    curves = {}
    for name in SHOWN:
        curves[name] = value_and_derivative(ACTIVATIONS[name], z)
    curves["rbf"] = value_and_derivative(rbf, z)
    report.progress(0.3, "derivatives")

    # autograd vs central differences at random points away from the kinks
    rng = cfg.rng()
    pts = rng.uniform(-6, 6, 500)
    pts = pts[np.abs(pts) > 1e-3]
    eps = 1e-6
    worst = 0.0
    for f in [*(ACTIVATIONS[n] for n in SHOWN), rbf]:
        _, d = value_and_derivative(f, pts)
        with dlproof.no_grad():
            fd = (f(dlproof.tensor(pts + eps)).numpy() - f(dlproof.tensor(pts - eps)).numpy()) / (2 * eps)
        worst = max(worst, float(np.abs(d - fd).max()))
    report.metric("max_autograd_vs_fd", worst)
    report.claim("derivatives-match-fd",
                 en="For sigmoid, tanh, ReLU, leaky ReLU, ELU, softplus, GELU, SiLU and an RBF unit, "
                    "the engine's derivatives agree with central differences (max error below 1e-8 "
                    "at 500 random points away from the kinks).",
                 zh="sigmoid、tanh、ReLU、leaky ReLU、ELU、softplus、GELU、SiLU 和 RBF 单元的引擎导数"
                    "与中心差分一致（在 500 个远离折点的随机点上最大误差小于 1e-8）。",
                 value=worst, op="<", threshold=1e-8, expression="max|f'_autograd - f'_fd|")

    ds, dt = curves["sigmoid"][1], curves["tanh"][1]
    report.metric("max_sigmoid_derivative", float(ds.max()))
    report.metric("max_tanh_derivative", float(dt.max()))
    report.claim("sigmoid-slope-at-most-quarter",
                 en="The sigmoid's derivative sigma(1 - sigma) peaks at z = 0 with value 1/4: on the "
                    "grid its maximum is 0.25 (to 1e-9).",
                 zh="sigmoid 的导数 sigma(1 - sigma) 在 z = 0 处取最大值 1/4：网格上的最大值为 0.25"
                    "（误差 1e-9 以内）。",
                 value=float(ds.max()), op="between", threshold=(0.25 - 1e-9, 0.25),
                 expression="max sigma'(z)")
    report.claim("tanh-slope-at-most-one",
                 en="tanh's derivative 1 - tanh^2 peaks at z = 0 with value 1.",
                 zh="tanh 的导数 1 - tanh^2 在 z = 0 处取最大值 1。",
                 value=float(dt.max()), op="between", threshold=(1 - 1e-9, 1.0),
                 expression="max tanh'(z)")
    sig = curves["sigmoid"][0]
    with dlproof.no_grad():
        s2 = ops.sigmoid(dlproof.tensor(2 * z)).numpy()
    rescale = float(np.abs(curves["tanh"][0] - (2 * s2 - 1)).max())
    report.claim("tanh-is-rescaled-sigmoid",
                 en="tanh(z) = 2 sigma(2z) - 1 (max difference below 1e-14 on the grid).",
                 zh="tanh(z) = 2 sigma(2z) - 1（网格上最大差值小于 1e-14）。",
                 value=rescale, op="<", threshold=1e-14, expression="max|tanh z - (2 sigma(2z) - 1)|")
    sp_err = float(np.abs(curves["softplus"][1] - sig).max())
    report.claim("softplus-derivative-is-sigmoid",
                 en="softplus(z) = log(1 + e^z) has derivative sigma(z) (max difference below 1e-12).",
                 zh="softplus(z) = log(1 + e^z) 的导数就是 sigma(z)（最大差值小于 1e-12）。",
                 value=sp_err, op="<", threshold=1e-12, expression="max|softplus' - sigma|")
    sat = float(ds[np.abs(z) >= 4].max())
    report.metric("sigmoid_derivative_beyond_4", sat)
    report.claim("sigmoid-saturates-beyond-4",
                 en="Beyond |z| = 4 the sigmoid's slope is below 0.018 (less than 1/14 of its "
                    "maximum): the unit is saturated.",
                 zh="|z| >= 4 时 sigmoid 的斜率小于 0.018（不到最大值的 1/14）：单元已经饱和。",
                 value=sat, op="<", threshold=0.018, expression="max_{|z|>=4} sigma'(z)")
    tsat = float(dt[np.abs(z) >= 3].max())
    report.claim("tanh-saturates-beyond-3",
                 en="tanh saturates too: beyond |z| = 3 its slope is below 0.01.",
                 zh="tanh 也会饱和：|z| >= 3 时斜率小于 0.01。",
                 value=tsat, op="<", threshold=0.01, expression="max_{|z|>=3} tanh'(z)")
    dr = curves["relu"][1]
    report.claim("relu-slope-exactly-one",
                 en="ReLU's derivative is exactly 1 for every z > 0 on the grid (no saturation on the "
                    "active side) and exactly 0 for every z < 0.",
                 zh="网格上 ReLU 的导数在每个 z > 0 处恰好为 1（激活一侧没有饱和），在 z < 0 处恰好为 0。",
                 value=float(np.abs(dr - (z > 0)).max()), op="==", threshold=0.0,
                 expression="max|relu'(z) - 1[z > 0]|")
    for name, lo, hi, cid, en, zh in (
        ("gelu", -0.175, -0.165, "gelu-non-monotonic",
         "GELU is non-monotonic: its minimum is about -0.17 (near z = -0.75).",
         "GELU 不是单调的：最小值约为 -0.17（在 z = -0.75 附近）。"),
        ("silu", -0.285, -0.275, "silu-non-monotonic",
         "SiLU/Swish z sigma(z) is non-monotonic: its minimum is about -0.278 (near z = -1.28).",
         "SiLU/Swish z sigma(z) 不是单调的：最小值约为 -0.278（在 z = -1.28 附近）。"),
    ):
        m = float(curves[name][0].min())
        report.metric(f"{name}_min", m)
        report.claim(cid, en=en, zh=zh, value=m, op="between", threshold=(lo, hi),
                     expression=f"min {name}(z)")
    elu10 = float(curves["elu"][0][0])
    report.claim("elu-saturates-at-minus-alpha",
                 en="ELU saturates smoothly on the negative side at -alpha = -1: ELU(-10) is within "
                    "1e-4 of -1.",
                 zh="ELU 在负半轴平滑地饱和到 -alpha = -1：ELU(-10) 与 -1 的差小于 1e-4。",
                 value=abs(elu10 + 1), op="<", threshold=1e-4, expression="|ELU(-10) + 1|")
    dl = curves["leaky_relu"][1]
    report.claim("leaky-relu-never-zero-gradient",
                 en="Leaky ReLU (slope 0.01) never has a zero gradient: its smallest derivative on "
                    "the grid is 0.01.",
                 zh="Leaky ReLU（负斜率 0.01）的梯度从不为零：网格上最小导数为 0.01。",
                 value=float(dl.min()), op="between", threshold=(0.01 - 1e-12, 0.01 + 1e-12),
                 expression="min leaky_relu'(z)")
    rb, drb = curves["rbf"]
    far = float(np.maximum(rb, np.abs(drb))[np.abs(z) >= 3].max())
    report.claim("rbf-is-local",
                 en="An RBF unit exp(-z^2) responds only near its center: three widths away "
                    "(|z| >= 3) both its output and its gradient are below 1e-3.",
                 zh="RBF 单元 exp(-z^2) 只在中心附近有响应：离中心三个宽度以外（|z| >= 3），"
                    "输出和梯度都小于 1e-3。",
                 value=far, op="<", threshold=1e-3, expression="max_{|z|>=3} max(rbf, |rbf'|)")
    report.progress(0.6, "softplus scale head")

    # Softplus as an output that must stay positive: heteroscedastic regression by Gaussian NLL.
    from dlproof.models.mlp import init_mlp
    from dlproof.optim import Adam

    n = cfg.pick(400, 1000)
    x = rng.uniform(-3, 3, (n, 1))
    true_sigma = 0.1 + 0.3 * (x[:, 0] + 3) / 6
    yv = np.sin(x[:, 0]) + true_sigma * rng.standard_normal(n)
    params = init_mlp([1, 32, 2], np.random.default_rng([cfg.seed, 3]), gain2=2.0)
    opt = Adam([t for layer in params for t in layer], lr=0.01)
    X, Y = dlproof.tensor(x), dlproof.tensor(yv)
    min_sigma = np.inf
    for _ in range(cfg.pick(600, 1500)):
        opt.zero_grad()
        h = ops.tanh(F.linear(X, *params[0]))
        out = F.linear(h, *params[1])
        mu, s = out[:, 0], ops.softplus(out[:, 1]) + 1e-6
        nll = (ops.log(s) + 0.5 * ((Y - mu) / s) ** 2).mean()
        nll.backward()
        opt.step()
        min_sigma = min(min_sigma, float(s.numpy().min()))
    corr = float(np.corrcoef(s.numpy(), true_sigma)[0, 1])
    report.metric("softplus_min_sigma", min_sigma)
    report.metric("softplus_sigma_corr", corr)
    report.claim("softplus-scale-positive",
                 en="A softplus output head keeps the predicted standard deviation positive at every "
                    "step of Gaussian-NLL training (smallest sigma seen > 0).",
                 zh="softplus 输出头让预测的标准差在高斯负对数似然训练的每一步都保持为正"
                    "（见过的最小 sigma > 0）。",
                 value=min_sigma, op=">", threshold=0.0, expression="min sigma over training")
    report.claim("softplus-scale-learned",
                 en="... and the learned sigma(x) tracks the true noise level (correlation above 0.9).",
                 zh="……学到的 sigma(x) 与真实噪声水平一致（相关系数大于 0.9）。",
                 value=corr, op=">", threshold=0.9, expression="corr(sigma_hat, sigma_true)")

    from dlproof.experiments.figures import new_figure

    fig, (a0, a1, a2) = new_figure(1, 3, size=(13.0, 4.0))
    zz = (z >= -5) & (z <= 5)
    for name in ("sigmoid", "tanh", "relu", "softplus", "gelu", "silu", "elu", "rbf"):
        a0.plot(z[zz], curves[name][0][zz], label=name, lw=1.2)
        a1.plot(z[zz], curves[name][1][zz], label=name, lw=1.2)
    a0.set_ylim(-1.5, 3)
    a0.set_title("activation $f(z)$")
    a1.set_title("derivative $f'(z)$ (autograd)")
    a1.axhline(0.25, color="k", ls=":", lw=0.8)
    for a in (a0, a1):
        a.set_xlabel("$z$")
        a.axvline(0, color="gray", lw=0.5)
    a0.legend(fontsize=7)
    order = np.argsort(x[:, 0])
    a2.scatter(x[:, 0], yv, s=4, alpha=0.4)
    a2.plot(x[order, 0], mu.numpy()[order], "k-", label=r"$\mu(x)$")
    a2.fill_between(x[order, 0], (mu.numpy() - 2 * s.numpy())[order],
                    (mu.numpy() + 2 * s.numpy())[order], alpha=0.25, label=r"$\mu \pm 2\sigma$")
    a2.plot(x[order, 0], np.sin(x[order, 0]) + 2 * true_sigma[order], "r:", lw=1)
    a2.plot(x[order, 0], np.sin(x[order, 0]) - 2 * true_sigma[order], "r:", lw=1)
    a2.set_title(r"softplus head: $\sigma = \mathrm{softplus}(\cdot)$")
    a2.legend(fontsize=7)
    report.figure("activations", fig,
                  en="Left and middle: activations and their derivatives computed by the engine. The "
                     "sigmoid's slope never exceeds 1/4 (dotted line), tanh's never exceeds 1; both "
                     "vanish for large |z|; ReLU's is exactly 1 on the active side; GELU and SiLU dip "
                     "below 0. Right: a softplus output keeps a learned noise scale positive (red: "
                     "true ±2 sigma band).",
                  zh="左、中：引擎计算的激活函数及其导数。sigmoid 的斜率从不超过 1/4（虚线），tanh "
                     "不超过 1，二者在 |z| 大时都趋于 0；ReLU 在激活侧斜率恰为 1；GELU 与 SiLU 会降到 "
                     "0 以下。右：softplus 输出让学到的噪声尺度保持为正（红线：真实的 ±2 sigma 带）。")
    report.progress(1.0, "done")
