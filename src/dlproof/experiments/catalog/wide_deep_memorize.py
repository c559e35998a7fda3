# ruff: noqa: E501  (bilingual claim statements are long text)
"""Wide & Deep on generated click data that needs both memorisation and generalisation.

Users u and items i (40 each) and a context c (4 values). The true click logit is
``z = a_u + b_i + g_c + s * <p_u, q_i> / sqrt(k) + e_{u,i}``: main effects, a smooth low-rank
interaction (latent factors of dimension k = 3, the part that generalises to pairs never seen)
and, for 10% of the seen (user, item) pairs, an idiosyncratic effect e = +-3 (the part that must
be memorised). Training clicks are drawn only from 60% of the pairs ("seen"). Models: wide only
(one-hots + the user x item cross), deep only (embeddings + MLP), Wide & Deep (both, one logit,
trained jointly), same optimiser and budget (Adam; Cheng et al. used FTRL + L1 for the wide part
and AdaGrad for the deep part).

Quality is the excess log-loss over the true probabilities, exact per (u, i, c) cell (no test
sampling noise): E[KL(Bern(p_true) || Bern(p_model))], averaged over the cells of the
idiosyncratic seen pairs (memorisation) and of the unseen pairs (generalisation).
"""

from __future__ import annotations

import numpy as np

from dlproof.experiments.registry import Report, RunConfig, experiment

N_USERS, N_ITEMS, N_CTX, RANK = 40, 40, 4, 3


def click_world(rng: np.random.Generator) -> dict:
    """The true logit table z (U, I, C), the seen mask (U, I) and the idiosyncratic mask (U, I)."""
    a, b, g = rng.normal(0, 0.5, N_USERS), rng.normal(0, 0.5, N_ITEMS), rng.normal(0, 0.3, N_CTX)
    P, Q = rng.standard_normal((N_USERS, RANK)), rng.standard_normal((N_ITEMS, RANK))
    smooth = 2.0 * P @ Q.T / np.sqrt(RANK)
    seen = rng.random((N_USERS, N_ITEMS)) < 0.6
    special = seen & (rng.random((N_USERS, N_ITEMS)) < 0.1)
    e = np.where(special, 3.0 * rng.choice([-1.0, 1.0], (N_USERS, N_ITEMS)), 0.0)
    z = a[:, None, None] + b[None, :, None] + g[None, None, :] + (smooth + e)[:, :, None]
    return {"z": z, "seen": seen, "special": special}


def sample_clicks(world: dict, n: int, rng: np.random.Generator):
    """n impressions from the seen pairs (uniform), uniform context: x (n, 3) ids, y (n,) 0/1."""
    pairs = np.argwhere(world["seen"])
    k = rng.integers(0, len(pairs), n)
    c = rng.integers(0, N_CTX, n)
    x = np.c_[pairs[k], c].astype(np.int64)
    p = 1 / (1 + np.exp(-world["z"][x[:, 0], x[:, 1], x[:, 2]]))
    return x, (rng.random(n) < p).astype(np.float32)


def excess_log_loss(z_true: np.ndarray, z_model: np.ndarray) -> np.ndarray:
    """KL(Bern(sigmoid(z_true)) || Bern(sigmoid(z_model))) per cell (the excess expected log-loss)."""
    p = 1 / (1 + np.exp(-z_true))
    log_p, log_1p = -np.logaddexp(0, -z_true), -np.logaddexp(0, z_true)
    log_q, log_1q = -np.logaddexp(0, -z_model), -np.logaddexp(0, z_model)
    return p * (log_p - log_q) + (1 - p) * (log_1p - log_1q)


@experiment(
    "wide-deep-memorize",
    questions=["wide-and-deep"],
    title_en="Wide & Deep: the wide part memorises seen crosses, the deep part generalises to unseen pairs, jointly both",
    title_zh="Wide & Deep：wide 部分记住见过的交叉特征，deep 部分泛化到没见过的组合，联合训练两者兼得",
)
def run(cfg: RunConfig, report: Report) -> None:
    import dlproof.nn as nn
    from dlproof.engine import no_grad
    from dlproof.models.wide_deep import WideAndDeep
    from dlproof.optim import Adam
    from dlproof.training import Trainer

    rng = cfg.rng(0)
    world = click_world(rng)
    x, y = sample_clicks(world, cfg.pick(30_000, 50_000), rng)
    grid = np.stack(np.meshgrid(np.arange(N_USERS), np.arange(N_ITEMS), np.arange(N_CTX), indexing="ij"), -1).reshape(-1, 3)
    splits = {"idiosyncratic seen pairs": world["special"], "ordinary seen pairs": world["seen"] & ~world["special"],
              "unseen pairs": ~world["seen"]}
    results = {}
    for i, mode in enumerate(("wide", "deep", "wide&deep")):
        model = WideAndDeep([N_USERS, N_ITEMS, N_CTX], [(0, 1)], embedding_dim=8, hidden=(32, 16), mode=mode, generator=rng)
        trainer = Trainer(model, Adam(model.parameters(), lr=1e-2), nn.BCEWithLogitsLoss(), epochs=cfg.pick(6, 7),
                          batch_size=256, generator=cfg.rng(1))
        trainer.fit(x, y)
        with no_grad():
            z_model = model(grid).data.reshape(N_USERS, N_ITEMS, N_CTX).astype(np.float64)
        kl = excess_log_loss(world["z"], z_model)
        results[mode] = {name: float(kl[mask].mean()) for name, mask in splits.items()}
        results[mode]["all cells"] = float(kl.mean())
        report.progress(0.3 * (i + 1), mode)
    report.table("excess_log_loss", ["model", *[f"excess log-loss, {s}" for s in splits], "excess log-loss, all cells"],
                 [[m, *[f"{results[m][s]:.4f}" for s in splits], f"{results[m]['all cells']:.4f}"] for m in results])
    for m in results:
        for s in results[m]:
            report.metric(f"{m}:{s}", results[m][s])
    W, D, WD = results["wide"], results["deep"], results["wide&deep"]
    mem, gen = "idiosyncratic seen pairs", "unseen pairs"
    report.claim(
        "wide-memorises",
        en="The wide part memorises: on the idiosyncratic (user, item) pairs seen in training, the wide model's excess log-loss is less than half the deep model's (reported: wide / deep).",
        zh="wide 部分负责记忆：在训练中见过的特殊 (用户, 物品) 组合上，wide 模型的超额对数损失不到 deep 模型的一半（报告 wide / deep）。",
        value=W[mem] / D[mem], op="<", threshold=0.5, expression="excess(wide) / excess(deep), idiosyncratic seen pairs")
    report.claim(
        "deep-generalises",
        en="The deep part generalises: on (user, item) pairs never seen in training, the deep model's excess log-loss is less than 0.75 times the wide model's, whose cross features are all inactive there (reported: deep / wide).",
        zh="deep 部分负责泛化：在训练中从未出现的 (用户, 物品) 组合上，deep 模型的超额对数损失不到 wide 模型的 0.75 倍，因为 wide 模型在这些组合上的交叉特征都不激活（报告 deep / wide）。",
        value=D[gen] / W[gen], op="<", threshold=0.75, expression="excess(deep) / excess(wide), unseen pairs")
    report.claim(
        "joint-memorises",
        en="Trained jointly, Wide & Deep keeps the memorisation: on the idiosyncratic seen pairs its excess log-loss is less than 0.4 times the deep model's (reported: W&D / deep).",
        zh="联合训练的 Wide & Deep 保留了记忆能力：在特殊的已见组合上，它的超额对数损失不到 deep 模型的 0.4 倍（报告 W&D / deep）。",
        value=WD[mem] / D[mem], op="<", threshold=0.4, expression="excess(W&D) / excess(deep), idiosyncratic seen pairs")
    report.claim(
        "joint-generalises",
        en="… and the joint model generalises: on unseen pairs its excess log-loss is less than 0.9 times the wide model's (reported: W&D / wide).",
        zh="……联合模型也能泛化：在未见组合上，它的超额对数损失不到 wide 模型的 0.9 倍（报告 W&D / wide）。",
        value=WD[gen] / W[gen], op="<", threshold=0.9, expression="excess(W&D) / excess(wide), unseen pairs")
    report.claim(
        "joint-beats-wide-overall",
        en="Over all (user, item, context) cells, seen and unseen, the joint model's excess log-loss is less than 0.75 times the wide model's (reported: W&D / wide).",
        zh="在全部 (用户, 物品, 场景) 单元（见过的和没见过的）上，联合模型的超额对数损失不到 wide 模型的 0.75 倍（报告 W&D / wide）。",
        value=WD["all cells"] / W["all cells"], op="<", threshold=0.75, expression="excess(W&D) / excess(wide), all cells")
    # not claims, because they change sign with the seed or the mode (see the answer): the joint model
    # against each part on that part's own strength
    report.metric("joint_vs_wide_idiosyncratic", WD[mem] / W[mem])
    report.metric("joint_vs_deep_unseen", WD[gen] / D[gen])
    report.metric("joint_vs_deep_all_cells", WD["all cells"] / D["all cells"])

    from dlproof.experiments.figures import new_figure
    fig, ax = new_figure(1, 1, size=(6.4, 3.4))
    names = [*splits, "all cells"]
    width = 0.27
    for j, m in enumerate(results):
        ax.bar(np.arange(len(names)) + (j - 1) * width, [results[m][s] for s in names], width, label=m)
    ax.set_xticks(np.arange(len(names)), names, fontsize=8)
    ax.set_ylabel("excess log-loss (KL to the truth)")
    ax.legend(fontsize=8)
    report.figure(
        "wide_deep_excess", fig,
        en="Excess log-loss over the true click probabilities, exact per (user, item, context) cell, for the wide model (one-hots + user x item cross), the deep model (embeddings + MLP) and Wide & Deep trained jointly, on the idiosyncratic seen pairs, the ordinary seen pairs, the pairs never seen in training, and all cells.",
        zh="相对于真实点击概率的超额对数损失（对每个 (用户, 物品, 场景) 单元精确计算）：wide 模型（one-hot + 用户×物品交叉）、deep 模型（embedding + MLP）和联合训练的 Wide & Deep，分别在特殊的已见组合、普通的已见组合、训练中从未出现的组合以及全部单元上的结果。")
    report.progress(1.0, "done")
