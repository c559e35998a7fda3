# ruff: noqa: E501  (bilingual claim statements are long text)
"""Why BERT corrupts its 15% selected positions as 80% [MASK] / 10% random / 10% unchanged.

A tiny Transformer-encoder masked LM (one post-norm layer, d = 32) is trained on a generated
Markov-chain language, whose exact posterior of a token given its neighbours is known, under
four corruption mixes: MASK-only (100/0/0), BERT (80/10/10), no-random (80/0/20) and
no-unchanged (80/20/0). Each is then probed with inputs it will meet at fine-tune time:

1. masked-token accuracy against the Bayes optimum (every mix learns the MLM task);
2. clean input (no [MASK]): does the model's output at a position report the token it sees?
   The MASK-only model was never trained on a visible token and does worse when shown the answer
   than when the position is masked: the pretrain/fine-tune mismatch;
3. "surprising" observed tokens (those the context does not predict): kept with 10% unchanged,
   discarded without it;
4. a corrupted token: corrected from context with 10% random, copied without it.

For the mixes with visible selected tokens, the Bayes-optimal output of the training objective is
computed exactly: at a visible position the observed token o is the original with probability
q = p_unchanged / (p_unchanged + p_random), else uniform, so
P(x | o, context) proportional to P(x | context) (q [o = x] + (1 - q) / V).
"""

from __future__ import annotations

import numpy as np

from dlproof.experiments.figures import new_figure
from dlproof.experiments.registry import Report, RunConfig, experiment
from dlproof.models.masked_lm import ChainLanguage, TinyMLM, predict_proba, train_mlm

V, L, P_FOLLOW = 16, 8, 0.8
MIXES = {                       # name: (p_mask, p_random, p_unchanged), exact so that q below is too
    "MASK-only 100/0/0": (1.0, 0.0, 0.0),
    "BERT 80/10/10": (0.8, 0.1, 0.1),
    "no-random 80/0/20": (0.8, 0.0, 0.2),
    "no-unchanged 80/20/0": (0.8, 0.2, 0.0),
}


def context_posteriors(lang: ChainLanguage, x: np.ndarray) -> np.ndarray:
    """P(x_t = v | the other tokens) for every position: (n, L, V)."""
    return np.stack([lang.posterior(x, t) for t in range(x.shape[1])], axis=1)


def probe(model: TinyMLM, lang: ChainLanguage, x: np.ndarray, rng: np.random.Generator) -> dict:
    """The four accuracies of the module docstring on evaluation sequences x (n, L)."""
    n, Lx = x.shape
    masked = np.empty((n, Lx), bool)
    for t in range(Lx):                                   # mask one position at a time
        xm = x.copy()
        xm[:, t] = lang.mask_id
        masked[:, t] = predict_proba(model, xm)[:, t].argmax(-1) == x[:, t]
    clean_pred = predict_proba(model, x).argmax(-1)
    ctx = context_posteriors(lang, x)
    surprising = ctx.argmax(-1) != x                       # the context alone would get them wrong
    bad = (x + rng.integers(1, lang.vocab, size=x.shape)) % lang.vocab   # a different token everywhere
    t = rng.integers(Lx, size=n)                           # one corrupted position per sequence
    xc = x.copy()
    xc[np.arange(n), t] = bad[np.arange(n), t]
    fix_pred = predict_proba(model, xc)[np.arange(n), t].argmax(-1)
    return dict(masked=float(masked.mean()), clean=float((clean_pred == x).mean()),
                surprising=float((clean_pred == x)[surprising].mean()),
                corrected=float((fix_pred == x[np.arange(n), t]).mean()),
                copied=float((fix_pred == xc[np.arange(n), t]).mean()))


def bayes_probe(lang: ChainLanguage, x: np.ndarray, q: float, rng: np.random.Generator) -> dict:
    """The same probes for the exact optimum of a mix whose visible selected tokens are the
    original with probability q (else uniform): scores proportional to P(x | ctx) (q [o = x] + (1 - q) / V)."""
    n, Lx = x.shape
    ctx = context_posteriors(lang, x)
    onehot = np.eye(lang.vocab)[x]
    clean_pred = (ctx * (q * onehot + (1 - q) / lang.vocab)).argmax(-1)
    surprising = ctx.argmax(-1) != x
    bad = (x + rng.integers(1, lang.vocab, size=x.shape)) % lang.vocab
    t = rng.integers(Lx, size=n)
    xc = x.copy()
    xc[np.arange(n), t] = bad[np.arange(n), t]
    # the neighbours of the corrupted position are intact, so ctx at t is unchanged
    ctx_t = ctx[np.arange(n), t]
    score = ctx_t * (q * np.eye(lang.vocab)[xc[np.arange(n), t]] + (1 - q) / lang.vocab)
    fix_pred = score.argmax(-1)
    return dict(masked=float((ctx.argmax(-1) == x).mean()), clean=float((clean_pred == x).mean()),
                surprising=float((clean_pred == x)[surprising].mean()),
                corrected=float((fix_pred == x[np.arange(n), t]).mean()),
                copied=float((fix_pred == xc[np.arange(n), t]).mean()))


@experiment(
    "bert-masking",
    questions=["bert-mlm-masking"],
    title_en="BERT's 80/10/10 masking: a tiny masked LM under four corruption mixes, probed on fine-tune-time inputs",
    title_zh="BERT 的 80/10/10 掩码：四种替换比例下的小型掩码语言模型，在微调时的输入上检验",
)
def run(cfg: RunConfig, report: Report) -> None:
    rng = cfg.rng(0)
    lang = ChainLanguage.make(V, P_FOLLOW, rng)
    steps, batch = cfg.pick(200, 400), 64
    x_eval = lang.sample(cfg.pick(1000, 2000), L, cfg.rng(1))
    res, opt = {}, {}
    for k, (name, (pm, pr, pu)) in enumerate(MIXES.items()):
        model = TinyMLM(V, L, rng=cfg.rng(10 + k))
        hist = train_mlm(model, lang, steps=steps, batch=batch, length=L, rng=cfg.rng(20 + k), lr=1e-2,
                         p_mask=pm, p_random=pr)
        res[name] = probe(model, lang, x_eval, cfg.rng(30))
        res[name]["loss"] = float(np.mean(hist[-20:]))
        opt[name] = bayes_probe(lang, x_eval, pu / (pu + pr), cfg.rng(30)) if pu + pr > 0 else None
        report.progress((k + 1) / len(MIXES), name)
    bayes_masked = float((context_posteriors(lang, x_eval).argmax(-1) == x_eval).mean())

    def fmt(v):
        return "—" if v is None else f"{v:.3f}"

    keys = ["masked", "clean", "surprising", "corrected", "copied"]
    report.table(
        "probes",
        ["mix", "final MLM loss", "masked acc", "clean-input acc", "acc on surprising visible tokens",
         "corrupted token corrected", "corrupted token copied"],
        [[name, f"{r['loss']:.3f}"] + [fmt(r[k]) for k in keys] for name, r in res.items()],
    )
    report.table(
        "objective_optimum",
        ["mix", "masked acc", "clean-input acc", "acc on surprising visible tokens", "corrupted token corrected",
         "corrupted token copied"],
        [[name] + ([fmt(o[k]) for k in keys] if o else ["—"] * 5) for name, o in opt.items()],
    )
    mo, bt, nr, nu = (res[n] for n in MIXES)
    report.metric("bayes_masked_accuracy", bayes_masked)

    gap = max(bayes_masked - r["masked"] for r in res.values())
    report.claim(
        "every-mix-learns-the-mlm-task",
        en=f"All four mixes learn the masked-token task: the exact Bayes accuracy of a masked token given its neighbours is {bayes_masked:.3f}, and the worst of the four trained models falls {gap:.3f} short of it (after {steps} steps of batch {batch}). The mix barely matters for the pretraining task itself.",
        zh=f"四种比例都学会了掩码预测：给定邻居时被掩词的精确贝叶斯准确率为 {bayes_masked:.3f}，四个模型（{steps} 步，批大小 {batch}）中最差的只比它低 {gap:.3f}。对预训练任务本身，比例几乎没有影响。",
        value=gap, op="<", threshold=0.1,
    )
    d_mo = mo["clean"] - mo["masked"]
    report.claim(
        "mask-only-worse-when-shown-the-token",
        en=f"The pretrain/fine-tune mismatch: the MASK-only model never saw a real token at a predicted position, and on clean input (as at fine-tune time) its per-position accuracy is {mo['clean']:.3f}, lower than the {mo['masked']:.3f} it reaches when that position is masked ({d_mo:+.3f}). Showing it the answer makes it worse.",
        zh=f"预训练/微调不一致：只用 [MASK] 的模型在被预测位置上从没见过真实词；在没有 [MASK] 的干净输入上（即微调时的输入），它逐位置的准确率为 {mo['clean']:.3f}，反而低于把该位置遮住时的 {mo['masked']:.3f}（差 {d_mo:+.3f}）：把答案给它看反而更差。",
        value=d_mo, op="<", threshold=-0.02,
    )
    d_bt = bt["clean"] - mo["clean"]
    report.claim(
        "bert-mix-reports-visible-tokens",
        en=f"With 80/10/10 the clean-input accuracy is {bt['clean']:.3f} (above its masked accuracy {bt['masked']:.3f}), {d_bt:.3f} higher than the MASK-only model's: the visible token is used.",
        zh=f"80/10/10 时干净输入上的准确率为 {bt['clean']:.3f}（高于其掩码准确率 {bt['masked']:.3f}），比只用 [MASK] 的模型高 {d_bt:.3f}：看得见的词被用上了。",
        value=d_bt, op=">", threshold=0.07,
    )
    d_u = bt["surprising"] - nu["surprising"]
    report.claim(
        "unchanged-keeps-the-observed-token",
        en=f"The 10% unchanged ties the output to the observed word: on visible tokens that the context would not predict, the 80/10/10 model reports the observed token {bt['surprising']:.3f} of the time, the 80/20/0 model (no unchanged) only {nu['surprising']:.3f} (difference {d_u:.3f}); its objective says an observed selected token is always random, so it predicts from context.",
        zh=f"10% 保持不变让输出依附于观察到的词：在上下文预测不到的可见词上，80/10/10 模型有 {bt['surprising']:.3f} 的比例输出观察到的词，而没有“不变”部分的 80/20/0 模型只有 {nu['surprising']:.3f}（差 {d_u:.3f}）；它的训练目标告诉它被选中的可见词总是随机的，所以它只按上下文预测。",
        value=d_u, op=">", threshold=0.08,
    )
    d_r = bt["corrected"] - nr["corrected"]
    report.claim(
        "random-teaches-distrust",
        en=f"The 10% random keeps a contextual prediction at every position: given one corrupted token, the 80/10/10 model restores the original {bt['corrected']:.3f} of the time, the 80/0/20 model (no random) only {nr['corrected']:.3f} (difference {d_r:.3f}); it copies the corrupted token {nr['copied']:.3f} of the time, because in its training every visible token was correct.",
        zh=f"10% 随机替换让每个位置都保留基于上下文的预测：输入中有一个被替换的词时，80/10/10 模型有 {bt['corrected']:.3f} 的比例恢复原词，没有随机替换的 80/0/20 模型只有 {nr['corrected']:.3f}（差 {d_r:.3f}）；它有 {nr['copied']:.3f} 的比例照抄被替换的词，因为训练时它见到的可见词全是对的。",
        value=d_r, op=">", threshold=0.15,
    )
    ob, on = opt["BERT 80/10/10"], opt["no-random 80/0/20"]
    report.claim(
        "objective-optimum-agrees",
        en=f"The trade-off is in the objectives, not the training: their exact Bayes-optimal predictors correct a corrupted token {ob['corrected']:.3f} (80/10/10) against {on['corrected']:.3f} (80/0/20), and keep surprising visible tokens {ob['surprising']:.3f} (80/10/10) against {opt['no-unchanged 80/20/0']['surprising']:.3f} (80/20/0).",
        zh=f"这种取舍来自训练目标而不是训练过程：各目标的精确贝叶斯最优预测器纠正被替换词的比例为 {ob['corrected']:.3f}（80/10/10）对 {on['corrected']:.3f}（80/0/20），保留上下文意外的可见词的比例为 {ob['surprising']:.3f}（80/10/10）对 {opt['no-unchanged 80/20/0']['surprising']:.3f}（80/20/0）。",
        value=min(ob["corrected"] - on["corrected"], ob["surprising"] - opt["no-unchanged 80/20/0"]["surprising"]),
        op=">", threshold=0.3, expression="min(corrected gap, surprising-token gap) of the exact optima",
    )

    fig, ax = new_figure(size=(6.4, 3.6))
    labels = ["masked", "clean input", "surprising\nvisible token", "corrupted\ntoken fixed"]
    width = 0.2
    for k, (name, r) in enumerate(res.items()):
        vals = [r["masked"], r["clean"], r["surprising"], r["corrected"]]
        ax.bar(np.arange(4) + (k - 1.5) * width, vals, width, label=name)
    ax.axhline(bayes_masked, color="k", ls="--", lw=1)
    ax.set_xticks(np.arange(4))
    ax.set_xticklabels(labels)
    ax.set_ylabel("accuracy")
    ax.set_ylim(0, 1.05)
    ax.legend(fontsize=7, loc="lower left")
    report.figure("probes", fig, en="Accuracy of the four masked LMs on the four probes; dashed: Bayes accuracy of a masked token.",
                  zh="四个掩码语言模型在四种检验上的准确率；虚线为被掩词的贝叶斯准确率。")
