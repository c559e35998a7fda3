"""Shared by the web tests: a tiny question bank with math and a test experiment."""

from __future__ import annotations

import time
from pathlib import Path

from dlproof.experiments import registry

EXP_ID = "web-test-exp"
ANSWERED = "web-test-answered"
UNANSWERED = "web-test-unanswered"

_ZH = r"""
## 简答

softmax 的导数是 $\frac{\partial p_i}{\partial z_j} = p_i(\delta_{ij} - p_j)$，雅可比矩阵对称。
实验测得误差 [[claim:web-test-exp/error-small]]。

## 推导与机制

令 $p = \operatorname{softmax}(z)$，则

$$
\frac{\partial p_i}{\partial z_j} = \begin{cases} p_i (1 - p_i) & i = j \\ -p_i p_j & i \neq j \end{cases}
$$

写成矩阵：

$$
J = \operatorname{diag}(p) - p p^\top, \qquad \sum_{i} J_{ij} = 0
$$

## 证据

| 量 | 值 |
|---|---|
| 误差 | $< 10^{-8}$ |

比值 [[claim:web-test-exp/ratio-near-one]]。

## 追问

为什么 $\mathbb{E}[x] = \mu$ 的估计是无偏的？

## 陷阱

只写 $p(1-p)$ 会漏掉非对角项。
"""

_EN = r"""
## Short answer

The derivative is $\frac{\partial p_i}{\partial z_j} = p_i(\delta_{ij} - p_j)$; the Jacobian is
symmetric. Measured error: [[claim:web-test-exp/error-small]].

## Derivation and mechanism

Let $p = \operatorname{softmax}(z)$. Then

$$
\frac{\partial p_i}{\partial z_j} = \begin{cases} p_i (1 - p_i) & i = j \\ -p_i p_j & i \neq j \end{cases}
$$

In matrix form:

$$
J = \operatorname{diag}(p) - p p^\top, \qquad \sum_{i} J_{ij} = 0
$$

## Evidence

| quantity | value |
|---|---|
| error | $< 10^{-8}$ |

Ratio: [[claim:web-test-exp/ratio-near-one]].

## Follow-up questions

Why is the estimate of $\mathbb{E}[x] = \mu$ unbiased?

## Pitfalls

Writing only $p(1-p)$ misses the off-diagonal terms.
"""


def write_bank(directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / f"{ANSWERED}.md").write_text(f"""+++
id = "{ANSWERED}"
topic = "feedforward-backprop"
difficulty = 2
title_zh = "softmax 函数导数的推导（测试）"
title_en = "Derive the derivative of softmax (test)"
seed_lines = ["softmax函数导数的推导"]
related = ["{UNANSWERED}"]
book_section = "Goodfellow et al. §6.2.2.3"
experiments = ["{EXP_ID}"]
+++

# zh
{_ZH}
# en
{_EN}""", "utf-8")
    (directory / f"{UNANSWERED}.md").write_text(f"""+++
id = "{UNANSWERED}"
topic = "optimization"
difficulty = 1
title_zh = "什么是学习率（测试）"
title_en = "What is a learning rate? (test)"
seed_lines = ["学习率"]
related = ["{ANSWERED}"]
book_section = ""
experiments = []
+++
""", "utf-8")
    return directory


def _web_test_exp(cfg: registry.RunConfig, report: registry.Report) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rng = cfg.rng()
    steps = cfg.pick(4, 8)
    for i in range(steps):
        report.progress(i / steps, f"step {i + 1}/{steps}")
        time.sleep(0.15)
    x = rng.standard_normal(16)
    report.metric("mean", float(x.mean()))
    report.claim("error-small", en="The error is tiny.", zh="误差很小。", value=1e-12, op="<",
                 threshold=1e-8, expression="max_abs_err")
    report.claim("ratio-near-one", en="The ratio is near one.", zh="比值接近一。", value=1.01,
                 op="between", threshold=(0.9, 1.1), expression="ratio")
    fig, ax = plt.subplots(figsize=(4, 2.5))
    ax.plot(range(16), x)
    ax.set_title("test figure")
    report.figure("curve", fig, en="A test curve.", zh="测试曲线。")
