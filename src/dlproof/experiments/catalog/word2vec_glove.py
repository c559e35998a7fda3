# ruff: noqa: E501  (bilingual claim statements are long text)
"""word2vec (local window prediction) against GloVe (global count factorisation), on a generated
corpus whose words have known attributes, so analogies and similarities have a ground truth.

1. Quality: skip-gram with negative sampling (SGNS), CBOW, full-softmax skip-gram and GloVe all
   solve the attribute analogies e(a1,b1) - e(a1,b2) + e(a2,b2) = e(a2,b1) on the full corpus.
2. Levy & Goldberg (2014): SGNS with K negatives and enough dimensions learns u_c . v_w close to
   PMI_n(w, c) - log K cell by cell; raising K from 1 to 5 lowers every dot product by about log 5.
3. Corpus size: both methods need data; the analogy accuracy rises with the number of sentences.
   The number of nonzero co-occurrence cells (GloVe's cost per epoch) saturates while the number of
   training pairs (SGNS's cost per epoch) grows linearly with the corpus.
4. Cost per update: one SGD step of the full softmax costs O(B V d), negative sampling O(B (K+1) d):
   measured wall time per step against the vocabulary size V.
"""

from __future__ import annotations

import time

import numpy as np
from scipy.stats import spearmanr

from dlproof.experiments.figures import new_figure
from dlproof.experiments.registry import Report, RunConfig, experiment
from dlproof.models.word2vec import (
    GloVe,
    Word2Vec,
    analogy_accuracy,
    cooccurrence,
    make_attribute_corpus,
    noise_distribution,
    sample_negatives,
    sgns_sgd_step,
    shifted_pmi,
    similarity_spearman,
    skipgram_pairs,
    softmax_sgd_step,
)

DIM = 16
WINDOW = 2


def quality(vectors, corpus):
    i, j, t = corpus.shared_attributes()
    return (analogy_accuracy(vectors, corpus.analogies(), corpus.entities.ravel()),
            similarity_spearman(vectors, i, j, t))


def step_time(fn, repeats):
    """Shortest wall time of fn() over ``repeats`` calls (after one warm-up): the least disturbed
    by other processes on a shared machine."""
    fn()
    ts = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t0)
    return float(np.min(ts))


@experiment(
    "word2vec-glove",
    questions=["word2vec-vs-glove"],
    title_en="word2vec vs GloVe on a corpus with known structure: quality, the shifted-PMI view, data and cost",
    title_zh="已知结构语料上的 word2vec 与 GloVe：质量、移位 PMI 视角、数据量与计算代价",
)
def run(cfg: RunConfig, report: Report) -> None:
    rng = cfg.rng(0)
    N = cfg.pick(2000, 4000)
    fast = dict(batch_size=512, lr=0.05)            # fewer, larger Adam steps than the defaults
    corpus = make_attribute_corpus(N, rng)
    V = corpus.vocab_size
    S = corpus.sentences
    X = cooccurrence(S, V, WINDOW)

    # (1) quality of the four models on the full corpus ----------------------------------------------
    models = {
        "skip-gram + NS (K=5)": Word2Vec(V, DIM, rng=cfg.rng(1)).fit(S, rng=cfg.rng(2), **fast).vectors,
        "CBOW + NS (K=5)": Word2Vec(V, DIM, arch="cbow", rng=cfg.rng(3)).fit(S, rng=cfg.rng(4)).vectors,
        "skip-gram, full softmax": Word2Vec(V, DIM, negatives=0, rng=cfg.rng(5)).fit(S, rng=cfg.rng(6), **fast).vectors,
        "GloVe": GloVe(V, DIM, rng=cfg.rng(7)).fit(X, steps=400).vectors,
    }
    rows, accs, sps = [], [], []
    for name, vec in models.items():
        a, s = quality(vec, corpus)
        accs.append(a)
        sps.append(s)
        rows.append([name, f"{a:.3f}", f"{s:.3f}"])
    _, _, tt = corpus.shared_attributes()
    ceiling = float(spearmanr(tt + np.linspace(0, 0.5, len(tt)), tt).statistic)   # perfectly separated, ties broken
    n_quads = len(corpus.analogies())
    report.table("quality", ["model", f"analogy accuracy ({n_quads} analogies)", "Spearman(cos, shared attributes)"], rows)
    report.progress(0.35, "quality")
    report.claim(
        "all-models-solve-analogies",
        en=f"On {N} generated sentences ({V} words), skip-gram and CBOW with negative sampling, full-softmax skip-gram and GloVe (d = {DIM}) all solve the attribute analogies: the worst of the four analogy accuracies (3CosAdd over the entity words) is {min(accs):.3f}.",
        zh=f"在 {N} 句生成语料（{V} 个词）上，负采样 skip-gram、CBOW、全 softmax skip-gram 与 GloVe（d = {DIM}）都能解出属性类比：四者中最差的类比准确率（3CosAdd，候选为实体词）为 {min(accs):.3f}。",
        value=min(accs), op=">=", threshold=0.9,
    )
    report.claim(
        "all-models-rank-similarity",
        en=f"Cosine similarity orders entity pairs by the number of attributes they share: the worst Spearman correlation of the four models is {min(sps):.3f} (two distinct entities share 0 or 1 attribute, so a perfect ordering scores {ceiling:.3f}, not 1).",
        zh=f"余弦相似度按共享属性数给实体对排序：四个模型中最差的 Spearman 相关为 {min(sps):.3f}（两个不同实体共享 0 或 1 个属性，真值只有两档，完美排序的得分是 {ceiling:.3f} 而不是 1）。",
        value=min(sps), op=">=", threshold=0.7,
    )

    # (2) SGNS = implicit shifted-PMI factorisation (Levy & Goldberg 2014) ----------------------------
    c, o = skipgram_pairs(S, WINDOW)
    noise = noise_distribution(corpus.counts())
    dots, targets = {}, {}
    min_count = 10
    d_pmi = cfg.pick(32, 48)
    for k in (1, 5):
        m = Word2Vec(V, d_pmi, negatives=k, rng=cfg.rng(10 + k)).fit(
            S, epochs=cfg.pick(5, 6), batch_size=cfg.pick(1024, 256), lr=cfg.pick(0.05, 0.03), rng=cfg.rng(20 + k))
        M, C = shifted_pmi(c, o, noise, k, V)
        sel = C >= min_count
        dots[k] = (m.W_in @ m.W_out.T)[sel]
        targets[k] = M[sel]
    r5 = float(np.corrcoef(dots[5], targets[5])[0, 1])
    shift = float(np.mean(dots[1] - dots[5]))
    report.metric("pmi_cells", int(sel.sum()))
    report.metric("mean_abs_dev_k5", float(np.mean(np.abs(dots[5] - targets[5]))))
    report.claim(
        "sgns-fits-shifted-pmi",
        en=f"SGNS (K = 5, d = {d_pmi}) learns the shifted PMI cell by cell: over the {int(sel.sum())} word-context cells seen at least {min_count} times, the correlation of u_c·v_w with PMI_n(w,c) − log 5 is {r5:.3f} (mean absolute deviation {np.mean(np.abs(dots[5] - targets[5])):.2f}).",
        zh=f"SGNS（K = 5，d = {d_pmi}）逐格学到移位 PMI：在出现至少 {min_count} 次的 {int(sel.sum())} 个词-上下文格上，u_c·v_w 与 PMI_n(w,c) − log 5 的相关系数为 {r5:.3f}（平均绝对偏差 {np.mean(np.abs(dots[5] - targets[5])):.2f}）。",
        value=r5, op=">=", threshold=0.9,
    )
    report.claim(
        "shift-is-log-k",
        en=f"The shift is log K: going from K = 1 to K = 5 negatives lowers the learned dot products on those cells by {shift:.3f} on average, against log 5 = {np.log(5):.3f}.",
        zh=f"平移量就是 log K：负样本数从 K = 1 增加到 K = 5，这些格上学到的内积平均下降 {shift:.3f}，理论值 log 5 = {np.log(5):.3f}。",
        value=abs(shift - np.log(5)), op="<", threshold=0.3,
    )
    fig, ax = new_figure(size=(5.0, 4.0))
    ax.scatter(targets[5], dots[5], s=6, alpha=0.5, label="K = 5")
    ax.scatter(targets[1], dots[1], s=6, alpha=0.5, label="K = 1")
    lim = [min(targets[5].min(), targets[1].min()), max(targets[5].max(), targets[1].max())]
    ax.plot(lim, lim, "k--", lw=1)
    ax.set_xlabel("PMI_n(w, c) − log K")
    ax.set_ylabel("u_c · v_w (trained SGNS)")
    ax.legend()
    report.figure("sgns-vs-shifted-pmi", fig, en="Trained SGNS dot products against the shifted PMI of each frequent cell; the dashed line is equality.",
                  zh="训练后的 SGNS 内积与各高频格的移位 PMI；虚线为相等。")
    report.progress(0.6, "shifted PMI")

    # (3) quality and cost against corpus size ---------------------------------------------------------
    sizes = cfg.pick([125, 500, 2000], [125, 250, 500, 1000, 2000, 4000])
    big = make_attribute_corpus(max(sizes), cfg.rng(30))
    rows, acc_sg, acc_gl, nnz, npairs = [], [], [], [], []
    for n in sizes:
        Sn = big.sentences[:n]
        a_sg, _ = quality(Word2Vec(V, DIM, rng=cfg.rng(31)).fit(Sn, rng=cfg.rng(32), **fast).vectors, big)
        Xn = cooccurrence(Sn, V, WINDOW)
        a_gl, _ = quality(GloVe(V, DIM, rng=cfg.rng(33)).fit(Xn, steps=400).vectors, big)
        acc_sg.append(a_sg)
        acc_gl.append(a_gl)
        nnz.append(int((Xn > 0).sum()))
        npairs.append(len(skipgram_pairs(Sn, WINDOW)[0]))
        rows.append([n, npairs[-1], nnz[-1], f"{a_sg:.3f}", f"{a_gl:.3f}"])
    report.table("corpus_size", ["sentences", "SGNS pairs per epoch", "nonzero X_ij", "SGNS analogy acc", "GloVe analogy acc"], rows)
    gain = min(acc_sg[-1] - acc_sg[0], acc_gl[-1] - acc_gl[0])
    report.claim(
        "quality-grows-with-data",
        en=f"Both need data: from {sizes[0]} to {sizes[-1]} sentences the analogy accuracy rises from {acc_sg[0]:.2f} to {acc_sg[-1]:.2f} (SGNS) and from {acc_gl[0]:.2f} to {acc_gl[-1]:.2f} (GloVe); the smaller of the two gains is {gain:.2f}.",
        zh=f"两者都需要数据：语料从 {sizes[0]} 句增加到 {sizes[-1]} 句，类比准确率 SGNS 从 {acc_sg[0]:.2f} 升到 {acc_sg[-1]:.2f}，GloVe 从 {acc_gl[0]:.2f} 升到 {acc_gl[-1]:.2f}；两者中较小的提升为 {gain:.2f}。",
        value=gain, op=">=", threshold=0.4,
    )
    growth_pairs, growth_nnz = npairs[-1] / npairs[0], nnz[-1] / nnz[0]
    report.claim(
        "glove-cost-saturates",
        en=f"Per epoch, SGNS visits every (centre, context) pair, which grows {growth_pairs:.0f}× over the corpus sizes; GloVe visits the nonzero cells of X, which grow only {growth_nnz:.2f}× (bounded by V² = {V * V}).",
        zh=f"每个 epoch，SGNS 要遍历所有（中心词, 上下文）对，随语料增长 {growth_pairs:.0f} 倍；GloVe 只遍历 X 的非零格，只增长 {growth_nnz:.2f} 倍（上界 V² = {V * V}）。",
        value=growth_nnz / growth_pairs, op="<", threshold=0.25,
    )
    fig, ax = new_figure(size=(5.0, 3.6))
    ax.semilogx(sizes, acc_sg, "o-", label="skip-gram + NS")
    ax.semilogx(sizes, acc_gl, "s-", label="GloVe")
    ax.set_xlabel("sentences")
    ax.set_ylabel("analogy accuracy")
    ax.legend()
    report.figure("quality-vs-corpus-size", fig, en="Analogy accuracy against corpus size.", zh="类比准确率与语料规模。")
    report.progress(0.85, "corpus size")

    # (4) cost per SGD update: full softmax O(B V d) against negative sampling O(B (K+1) d) ------------
    vocab_sizes = cfg.pick([1000, 16000], [1000, 4000, 16000])
    d, B, K = 64, 256, 5
    trng = cfg.rng(40)
    t_full, t_ns = [], []
    for Vb in vocab_sizes:
        Wi, Wo = trng.normal(0, 0.1, (Vb, d)), trng.normal(0, 0.1, (Vb, d))
        cb, ob = trng.integers(Vb, size=B), trng.integers(Vb, size=B)
        nb = sample_negatives(np.full(Vb, 1.0 / Vb), (B, K), trng)
        t_full.append(step_time(lambda Wi=Wi, Wo=Wo, cb=cb, ob=ob: softmax_sgd_step(Wi, Wo, cb, ob, 1e-3), cfg.pick(3, 5)))
        t_ns.append(step_time(lambda Wi=Wi, Wo=Wo, cb=cb, ob=ob, nb=nb: sgns_sgd_step(Wi, Wo, cb, ob, nb, 1e-3), cfg.pick(10, 20)))
    report.table("cost_per_update", ["V", "full softmax (ms/step)", "negative sampling K=5 (ms/step)", "ratio"],
                 [[Vb, f"{1e3 * a:.2f}", f"{1e3 * b:.3f}", f"{a / b:.0f}"] for Vb, a, b in zip(vocab_sizes, t_full, t_ns)])
    ratio = t_full[-1] / t_ns[-1]
    report.claim(
        "softmax-cost-dwarfs-ns",
        en=f"At V = {vocab_sizes[-1]} (d = {d}, batch {B}) one full-softmax SGD step takes {1e3 * t_full[-1]:.1f} ms, {ratio:.0f}× a negative-sampling step with K = 5 ({1e3 * t_ns[-1]:.2f} ms).",
        zh=f"V = {vocab_sizes[-1]}（d = {d}，批大小 {B}）时，全 softmax 的一步 SGD 用时 {1e3 * t_full[-1]:.1f} ms，是 K = 5 负采样一步（{1e3 * t_ns[-1]:.2f} ms）的 {ratio:.0f} 倍。",
        value=ratio, op=">", threshold=20,
    )
    scale_full = t_full[-1] / t_full[0]
    scale_ns = t_ns[-1] / t_ns[0]
    vr = vocab_sizes[-1] / vocab_sizes[0]
    report.claim(
        "softmax-cost-grows-with-v",
        en=f"Growing V {vr:.0f}× makes the full-softmax step {scale_full:.1f}× slower and the negative-sampling step {scale_ns:.2f}× (the ratio of the two growth factors is {scale_full / scale_ns:.1f}).",
        zh=f"V 增大 {vr:.0f} 倍，全 softmax 一步慢了 {scale_full:.1f} 倍，负采样一步只变为 {scale_ns:.2f} 倍（两者增长倍数之比 {scale_full / scale_ns:.1f}）。",
        value=scale_full / scale_ns, op=">", threshold=3,
    )
    fig, ax = new_figure(size=(5.0, 3.6))
    ax.loglog(vocab_sizes, 1e3 * np.array(t_full), "o-", label="full softmax")
    ax.loglog(vocab_sizes, 1e3 * np.array(t_ns), "s-", label="negative sampling, K = 5")
    ax.set_xlabel("vocabulary size V")
    ax.set_ylabel("ms per SGD step (batch 256, d = 64)")
    ax.legend()
    report.figure("cost-per-update", fig, en="Wall time of one SGD step against the vocabulary size.", zh="一步 SGD 的耗时与词表大小。")
    report.progress(1.0, "done")
