# ruff: noqa: E501  (bilingual claim statements are long text)
"""Two of BERT's limitations, measured.

1. The independence assumption (the critique behind XLNet, Yang et al. 2019). Masked positions
   are predicted independently given the visible context: p(x_i, x_j | ctx) is modelled as
   p(x_i | ctx) p(x_j | ctx). On a generated corpus of two-token entities ("New York", "Los
   Angeles", ...: K entities, equally frequent, first and second tokens all distinct) the true
   joint of a doubly-masked entity puts mass 1/K on each entity and 0 on the K^2 - K mixtures;
   the product of the ideal marginals puts 1 - 1/K on mixtures ("New Angeles"). Measured with
   the exact count-based marginals and with a trained tiny masked LM, against the autoregressive
   factorisation p(x_i | ctx) p(x_j | x_i, ctx) evaluated with the same model.
2. Self-attention's cost is quadratic in the sequence length n: the memory one attention call
   allocates (measured with tracemalloc, deterministic) grows as n^2, and its wall time grows
   superlinearly (exponent 2 asymptotically; noisy on a shared machine).
"""

from __future__ import annotations

import time
import tracemalloc

import numpy as np

from dlproof.engine import no_grad
from dlproof.experiments.figures import new_figure
from dlproof.experiments.registry import Report, RunConfig, experiment
from dlproof.models.masked_lm import IGNORE, TinyMLM, corrupt, predict_proba
from dlproof.nn import functional as F
from dlproof.optim import Adam

K, N_FILL, L = 4, 8, 6          # entities, filler words, sequence length
V = 2 * K + N_FILL              # first tokens 0..K-1, second tokens K..2K-1, fillers after
MASK = V
START = 2                       # the entity's fixed position: a masked slot there is an entity


def entity_corpus(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """n sequences (n, L) of fillers with one entity (first_k, second_k) at positions START,
    START + 1; returns (tokens, start position, entity id). The fillers carry no information on k,
    so given the context the two entity tokens are jointly, not separately, determined."""
    x = 2 * K + rng.integers(N_FILL, size=(n, L))
    start = np.full(n, START)
    ent = rng.integers(K, size=n)
    rows = np.arange(n)
    x[rows, start] = ent
    x[rows, start + 1] = K + ent
    return x, start, ent


def train(model: TinyMLM, steps: int, batch: int, rng: np.random.Generator, lr: float = 1e-2) -> None:
    """Masked-LM training with BERT's 80/10/10 mix at a 40% selection rate (so both entity
    tokens are often masked together), fresh data and masks every step."""
    opt = Adam(list(model.parameters()), lr=lr)
    for _ in range(steps):
        x, _, _ = entity_corpus(batch, rng)
        c = corrupt(x, V, rng, select=0.4)
        loss = F.cross_entropy(model(c.inputs).reshape(-1, V), c.targets.ravel(), ignore_index=IGNORE)
        opt.zero_grad()
        loss.backward()
        opt.step()


def _renorm(p: np.ndarray) -> np.ndarray:
    return p / p.sum(-1, keepdims=True)


def attention_peak_bytes(n: int, d: int, heads: int, rng: np.random.Generator) -> int:
    """Peak memory (bytes, tracemalloc) allocated inside one attention call on (heads, n, d)."""
    q, k, v = (rng.standard_normal((heads, n, d)).astype(np.float32) for _ in range(3))
    with no_grad():
        tracemalloc.start()
        try:
            F.scaled_dot_product_attention(q, k, v)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    return int(peak)


def attention_seconds(n: int, d: int, heads: int, rng: np.random.Generator, repeats: int) -> float:
    """Shortest wall time of one scaled-dot-product attention call (no graph) on (heads, n, d)."""
    q, k, v = (rng.standard_normal((heads, n, d)).astype(np.float32) for _ in range(3))
    best = np.inf
    with no_grad():
        F.scaled_dot_product_attention(q, k, v)
        for _ in range(repeats):
            t0 = time.perf_counter()
            F.scaled_dot_product_attention(q, k, v)
            best = min(best, time.perf_counter() - t0)
    return float(best)


@experiment(
    "bert-limitations",
    questions=["bert-limitations"],
    title_en="BERT's limitations measured: independent prediction of masked tokens, and quadratic attention cost",
    title_zh="度量 BERT 的局限：被掩词的独立预测，以及注意力的平方代价",
)
def run(cfg: RunConfig, report: Report) -> None:
    # (1) the independence assumption -----------------------------------------------------------------
    corpus, start, ent = entity_corpus(cfg.pick(20000, 50000), cfg.rng(0))
    pA = np.bincount(corpus[np.arange(len(corpus)), start], minlength=K) / len(corpus)
    pB = np.bincount(corpus[np.arange(len(corpus)), start + 1] - K, minlength=K) / len(corpus)
    oracle_invalid = 1.0 - float(np.sum(pA * pB))             # product of marginals off the diagonal

    model = TinyMLM(V, L, rng=cfg.rng(1))
    train(model, cfg.pick(400, 800), 64, cfg.rng(2))
    x, s, e = entity_corpus(cfg.pick(1000, 2000), cfg.rng(3))
    n, rows = len(x), np.arange(len(x))
    both = x.copy()
    both[rows, s] = MASK
    both[rows, s + 1] = MASK
    P = predict_proba(model, both)
    # p(first = k | ctx) and p(second = k | ctx), (n, K), renormalised over the K entity tokens
    # (the little mass a trained model leaves on fillers at an entity slot is training error)
    qa = _renorm(P[rows, s][:, :K])
    qb = _renorm(P[rows, s + 1][:, K:2 * K])
    joint_ind = qa[:, :, None] * qb[:, None, :]                # (n, K, K): the MLM's implied joint
    mlm_invalid = float(np.mean(1.0 - np.einsum("nkk->n", joint_ind)))
    # autoregressive: p(first | ctx) p(second | first, ctx), the first filled in with each value k
    cond = np.empty((n, K, K))
    for k in range(K):
        xk = both.copy()
        xk[rows, s] = k
        cond[:, k] = _renorm(predict_proba(model, xk)[rows, s + 1][:, K:2 * K])
    joint_ar = qa[:, :, None] * cond
    ar_invalid = float(np.mean(1.0 - np.einsum("nkk->n", joint_ar)))
    nll_ind = float(-np.mean(np.log(joint_ind[rows, e, e])))
    nll_ar = float(-np.mean(np.log(joint_ar[rows, e, e])))
    report.table(
        "independence",
        ["factorisation", "mass on mixed entities (e.g. 'New Angeles')", "NLL of the true entity (nats)"],
        [["true joint", "0", f"{np.log(K):.3f}"],
         ["product of the exact marginals (ideal MLM)", f"{oracle_invalid:.3f}", f"{2 * np.log(K):.3f}"],
         ["trained MLM, both masked, independent", f"{mlm_invalid:.3f}", f"{nll_ind:.3f}"],
         ["same MLM, autoregressive p(a) p(b | a)", f"{ar_invalid:.3f}", f"{nll_ar:.3f}"]],
    )
    report.claim(
        "independent-masks-mix-entities",
        en=f"With K = {K} equally frequent two-token entities and both tokens masked, predicting them independently puts mass 1 − 1/K = {1 - 1 / K:.2f} on mixtures that never occur: the exact marginals give {oracle_invalid:.3f} and the trained masked LM {mlm_invalid:.3f} (its marginals renormalised over the entity tokens; the true joint puts 0 there).",
        zh=f"K = {K} 个等频的两词实体，两个词都被遮住时，独立预测会把 1 − 1/K = {1 - 1 / K:.2f} 的概率放在从未出现的混搭上：精确边缘分布给出 {oracle_invalid:.3f}，训练出的掩码语言模型给出 {mlm_invalid:.3f}（其边缘分布在实体词上重新归一化；真实联合分布在这里是 0）。",
        value=mlm_invalid, op=">", threshold=0.6,
    )
    report.claim(
        "autoregressive-factorisation-fixes-it",
        en=f"The same model used autoregressively, p(a | ctx) p(b | a, ctx) with the first token filled in, puts only {ar_invalid:.3f} on mixtures; the NLL of the true entity drops from {nll_ind:.3f} to {nll_ar:.3f} nats (log K = {np.log(K):.3f} is the information the independent factorisation throws away).",
        zh=f"同一个模型按自回归方式使用，即先填入第一个词再预测第二个词 p(a | ctx) p(b | a, ctx)，只把 {ar_invalid:.3f} 的概率放在混搭上；真实实体的负对数似然从 {nll_ind:.3f} 降到 {nll_ar:.3f} nats（独立分解丢掉的信息为 log K = {np.log(K):.3f}）。",
        value=ar_invalid, op="<", threshold=0.1,
    )
    report.claim(
        "independence-costs-log-k-nats",
        en=f"The NLL gap between the independent and the autoregressive factorisation is {nll_ind - nll_ar:.3f} nats, against log K = {np.log(K):.3f}.",
        zh=f"独立分解与自回归分解的负对数似然之差为 {nll_ind - nll_ar:.3f} nats，理论值 log K = {np.log(K):.3f}。",
        value=abs((nll_ind - nll_ar) - np.log(K)), op="<", threshold=0.3,
    )
    report.progress(0.5, "independence")

    # (2) quadratic attention cost ---------------------------------------------------------------------
    lengths = cfg.pick([256, 512, 1024, 2048], [256, 512, 1024, 2048, 4096])
    d, heads = 64, 1
    trng = cfg.rng(4)
    peaks = [attention_peak_bytes(m, d, heads, trng) for m in lengths]
    secs = [attention_seconds(m, d, heads, trng, 5 if m <= 1024 else 2) for m in lengths]
    mem_slope = float(np.polyfit(np.log(lengths), np.log(peaks), 1)[0])
    time_slope = float(np.polyfit(np.log(lengths), np.log(secs), 1)[0])
    report.table(
        "attention_cost",
        ["n", "score entries (n²)", "peak memory of the call (MiB)", "peak / (4 n² bytes)", "ms per call"],
        [[m, m * m, f"{p / 2**20:.1f}", f"{p / (4 * m * m):.2f}", f"{1e3 * t:.2f}"]
         for m, p, t in zip(lengths, peaks, secs)],
    )
    report.metric("time_slope", time_slope)
    report.metric("memory_slope", mem_slope)
    report.claim(
        "attention-memory-quadratic",
        en=f"The memory one self-attention call allocates (one head, dimension {d}, float32; measured with tracemalloc) grows as n^{mem_slope:.3f} for n from {lengths[0]} to {lengths[-1]}: {peaks[-1] / 2**20:.0f} MiB at n = {lengths[-1]}, about {peaks[-1] / (4 * lengths[-1] ** 2):.1f} n×n float32 matrices (scores and softmax temporaries), per head and per layer.",
        zh=f"一次自注意力调用分配的内存（单头，维度 {d}，float32；用 tracemalloc 测量）在 n 从 {lengths[0]} 到 {lengths[-1]} 时按 n^{mem_slope:.3f} 增长：n = {lengths[-1]} 时为 {peaks[-1] / 2**20:.0f} MiB，约等于 {peaks[-1] / (4 * lengths[-1] ** 2):.1f} 个 n×n 的 float32 矩阵（分数与 softmax 的临时数组），每个头、每一层都要这么多。",
        value=mem_slope, op="between", threshold=[1.9, 2.1],
    )
    report.claim(
        "attention-time-superlinear",
        en=f"Its wall time grows as n^{time_slope:.2f} over the same range ({1e3 * secs[0]:.2f} ms to {1e3 * secs[-1]:.0f} ms): clearly superlinear. The asymptotic exponent is 2 (n² d multiply-adds for QKᵀ and again for the weighted sum of V); on a shared CPU the cache hierarchy and load push the fitted exponent around.",
        zh=f"它的耗时在同一区间按 n^{time_slope:.2f} 增长（从 {1e3 * secs[0]:.2f} ms 到 {1e3 * secs[-1]:.0f} ms）：明显超线性。渐近指数是 2（QKᵀ 要 n² d 次乘加，对 V 加权求和又要 n² d 次）；在共享 CPU 上缓存层次与负载会让拟合的指数上下波动。",
        value=time_slope, op=">", threshold=1.4,
    )
    fig, ax = new_figure(size=(5.0, 3.6))
    ax.loglog(lengths, 1e3 * np.array(secs), "o-", label="time (ms)")
    ax.loglog(lengths, np.array(peaks) / 2**20, "s-", label="peak memory (MiB)")
    ax.loglog(lengths, 1e3 * secs[-1] * (np.array(lengths) / lengths[-1]) ** 2, "k--", lw=1, label="∝ n²")
    ax.set_xlabel("sequence length n")
    ax.legend()
    report.figure("attention-cost", fig, en="Time and peak memory of one scaled-dot-product attention call against the sequence length.",
                  zh="一次缩放点积注意力的耗时与峰值内存随序列长度的变化。")
    report.progress(1.0, "attention")
