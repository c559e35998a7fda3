# ruff: noqa: E501  (bilingual mistake messages are long text)
"""Viterbi decoding, one CD-1 step of an RBM, the skip-gram negative-sampling loss and gradient,
stable binary cross-entropy from logits, the L1 proximal step (soft thresholding)."""

from __future__ import annotations

import numpy as np

from dlproof.models.crf import LinearChainCRF
from dlproof.models.rbm import RBM
from dlproof.nn import functional as F
from dlproof.practice.catalog._engine import t, value
from dlproof.practice.exercise import Case, Exercise, Mistake, fd_vjp, register

# ---- Viterbi ------------------------------------------------------------------------------------


def _ref_viterbi(log_start, log_trans, log_emit):
    """An HMM's Viterbi path is the linear-chain CRF's decode with start = log π, transitions =
    log A and emissions = log p(x_t | state), end scores 0."""
    K = len(log_start)
    crf = LinearChainCRF(K, start=log_start, end=np.zeros(K), trans=log_trans)
    return crf.decode(log_emit[None])[0]


def _viterbi_greedy(log_start, log_trans, log_emit):
    path = [int(np.argmax(log_start + log_emit[0]))]
    for e in log_emit[1:]:
        path.append(int(np.argmax(log_trans[path[-1]] + e)))
    return np.array(path)


def _viterbi_no_transitions(log_start, log_trans, log_emit):
    return np.argmax(log_emit + np.r_[[log_start], np.zeros((len(log_emit) - 1, len(log_start)))], axis=1)


def _log_dirichlet(rng, shape):
    p = rng.dirichlet(np.ones(shape[-1]) * 0.7, size=shape[:-1])
    return np.log(p)


def _viterbi_cases(rng):
    out = []
    for T, K in ((6, 3), (1, 4), (12, 2), (9, 5)):
        out.append(Case(f"T={T}, K={K}", "viterbi",
                        {"log_start": _log_dirichlet(rng, (K,)), "log_trans": _log_dirichlet(rng, (K, K)),
                         "log_emit": _log_dirichlet(rng, (T, K))}))
    # a sticky chain where the locally best state is globally wrong
    lt = np.log(np.array([[0.98, 0.02], [0.02, 0.98]]))
    le = np.log(np.array([[0.9, 0.1], [0.4, 0.6], [0.4, 0.6], [0.9, 0.1]]))
    out.append(Case("sticky transitions: the locally best state is globally wrong", "viterbi",
                    {"log_start": np.log(np.array([0.5, 0.5])), "log_trans": lt, "log_emit": le}))
    return out


register(Exercise(
    id="viterbi",
    question="crf-vs-hmm",
    title_en="Viterbi decoding in log space",
    title_zh="对数空间中的 Viterbi 解码",
    stub='''
import numpy as np


def viterbi(log_start, log_trans, log_emit):
    """The most probable state path of an HMM.

    log_start (K,) = log p(y_1), log_trans (K, K) with [i, j] = log p(y_t = j | y_{t-1} = i),
    log_emit (T, K) = log p(x_t | y_t = k) of the observed sequence. Returns the path (T,) of ints.
    Work in log space (sums, not products). Hint: delta_t(j) = max_i [delta_{t-1}(i) + log A_ij] + log B_t(j),
    keep the argmax, then backtrack.
    """
    raise NotImplementedError
''',
    reference={"viterbi": _ref_viterbi},
    cases=_viterbi_cases,
    mistakes=[
        Mistake("greedy", "viterbi", _viterbi_greedy,
                en="you chose each state greedily from the previous choice: Viterbi keeps the best score for EVERY state at each step and backtracks at the end",
                zh="你根据上一步的选择贪心地选了每个状态：Viterbi 在每一步为每个状态都保留最佳分数，最后再回溯"),
        Mistake("ignores-transitions", "viterbi", _viterbi_no_transitions,
                en="the transition scores log A are ignored: the path must maximise start + transitions + emissions jointly",
                zh="忽略了转移分数 log A：路径要联合最大化起始 + 转移 + 发射分数"),
    ],
))

# ---- RBM CD-1 -----------------------------------------------------------------------------------


def _ref_cd1(v0, W, b, c, u_h, u_v):
    """CD-1 gradient estimate (ascent direction on the log-likelihood), with the sampling noise given:
    h0 = [u_h < p(h|v0)], v1 = [u_v < p(v|h0)], negative statistics from p(h|v1)."""
    rbm = RBM(v0.shape[1], W.shape[0], W=W, b=b, c=c)
    ph0 = rbm.p_h_given_v(v0)
    h0 = (u_h < ph0).astype(float)
    v1 = (u_v < rbm.p_v_given_h(h0)).astype(float)
    ph1 = rbm.p_h_given_v(v1)
    n = len(v0)
    return (ph0.T @ v0 - ph1.T @ v1) / n, (v0 - v1).mean(0), (ph0 - ph1).mean(0)


def _cd1_flipped(**a):
    dW, db, dc = _ref_cd1(**a)
    return -dW, -db, -dc


def _cd1_sampled_positive(v0, W, b, c, u_h, u_v):
    rbm = RBM(v0.shape[1], W.shape[0], W=W, b=b, c=c)
    ph0 = rbm.p_h_given_v(v0)
    h0 = (u_h < ph0).astype(float)
    v1 = (u_v < rbm.p_v_given_h(h0)).astype(float)
    ph1 = rbm.p_h_given_v(v1)
    return (h0.T @ v0 - ph1.T @ v1) / len(v0), (v0 - v1).mean(0), (h0 - ph1).mean(0)


def _cd1_cases(rng):
    out = []
    for n, nv, nh in ((5, 6, 3), (1, 2, 1), (8, 4, 5)):
        out.append(Case(f"N={n}, {nv} visible, {nh} hidden", "cd1",
                        {"v0": (rng.random((n, nv)) < 0.5).astype(float), "W": rng.normal(0, 1, (nh, nv)),
                         "b": rng.normal(0, 0.5, nv), "c": rng.normal(0, 0.5, nh),
                         "u_h": rng.random((n, nh)), "u_v": rng.random((n, nv))}))
    return out


register(Exercise(
    id="rbm-cd1",
    question="rbm",
    title_en="One contrastive-divergence (CD-1) gradient of a binary RBM",
    title_zh="二值 RBM 的一步对比散度（CD-1）梯度",
    stub='''
import numpy as np


def cd1(v0, W, b, c, u_h, u_v):
    """The CD-1 estimate of d log p(v) / d(W, b, c), averaged over the batch (ASCENT direction).

    v0 (N, V) binary data, W (H, V), visible bias b (V,), hidden bias c (H,);
    p(h_j = 1 | v) = sigmoid(c_j + W_j . v),  p(v_i = 1 | h) = sigmoid(b_i + h . W_:i).
    The sampling noise is given so the result is deterministic: h0 = (u_h < p(h | v0)),
    v1 = (u_v < p(v | h0)); use the PROBABILITIES p(h | v0) and p(h | v1) in the statistics.
    Returns (dW (H, V), db (V,), dc (H,)) = positive phase minus negative phase.
    """
    raise NotImplementedError
''',
    reference={"cd1": _ref_cd1},
    cases=_cd1_cases,
    mistakes=[
        Mistake("sign-flipped", "cd1", _cd1_flipped,
                en="the sign is flipped: the log-likelihood gradient is data (positive) statistics MINUS model (negative) statistics",
                zh="符号反了：对数似然梯度是数据（正相）统计量减去模型（负相）统计量"),
        Mistake("sampled-positive-phase", "cd1", _cd1_sampled_positive,
                en="the positive phase uses the sampled h0; use p(h | v0), which has the same expectation and less variance (and is what this exercise asks for)",
                zh="正相用了采样得到的 h0；应用 p(h | v0)，期望相同而方差更小（也是本题的要求）"),
    ],
))

# ---- skip-gram negative sampling ----------------------------------------------------------------


def _sgns_loss_engine(v, u_pos, u_neg):
    """mean_n [ -log σ(u_pos·v) - sum_k log σ(-u_neg_k·v) ] = mean softplus(-s_pos) + sum softplus(s_neg)."""
    vt = t(v)
    s_pos = (t(u_pos) * vt).sum(-1)
    s_neg = (t(u_neg) * vt.unsqueeze(1)).sum(-1)
    return value(F.softplus(-s_pos).mean() + F.softplus(s_neg).sum(-1).mean())


def _ref_sgns(v, u_pos, u_neg):
    loss = float(_sgns_loss_engine(v, u_pos, u_neg))
    grads = fd_vjp(lambda **a: np.array(_sgns_loss_engine(**a)), {"v": v, "u_pos": u_pos, "u_neg": u_neg},
                   ["v", "u_pos", "u_neg"], np.array(1.0))
    return (loss, *grads)


def _sgns_wrong_sign(v, u_pos, u_neg):
    """σ(+u_neg·v) in the negative term: pushes negatives TOWARD the centre word."""
    s_pos, s_neg = (u_pos * v).sum(-1), np.einsum("nkd,nd->nk", u_neg, v)
    n = len(v)
    loss = float(np.mean(np.logaddexp(0, -s_pos)) + np.mean(np.logaddexp(0, -s_neg).sum(-1)))
    gp = -(1 - 1 / (1 + np.exp(-s_pos))) / n                    # d/ds_pos
    gn = -(1 - 1 / (1 + np.exp(-s_neg))) / n                    # d/ds_neg of softplus(-s)
    return loss, gp[:, None] * u_pos + np.einsum("nk,nkd->nd", gn, u_neg), gp[:, None] * v, gn[..., None] * v[:, None]


def _sgns_cases(rng):
    out = []
    for n, k, d in ((3, 2, 4), (1, 1, 2), (4, 5, 3)):
        out.append(Case(f"N={n}, K={k} negatives, d={d}", "sgns",
                        {"v": rng.normal(0, 0.8, (n, d)), "u_pos": rng.normal(0, 0.8, (n, d)),
                         "u_neg": rng.normal(0, 0.8, (n, k, d))}))
    return out


register(Exercise(
    id="sgns-loss",
    question="word2vec-vs-glove",
    title_en="Skip-gram negative-sampling loss and its gradients",
    title_zh="Skip-gram 负采样损失及其梯度",
    stub='''
import numpy as np


def sgns(v, u_pos, u_neg):
    """L = mean_n [ -log sigmoid(u_pos[n] . v[n]) - sum_k log sigmoid(-u_neg[n, k] . v[n]) ].

    v (N, d) centre-word vectors, u_pos (N, d) context (output) vectors of the true context word,
    u_neg (N, K, d) output vectors of K sampled negatives.
    Returns (L, dL/dv (N, d), dL/du_pos (N, d), dL/du_neg (N, K, d)).
    Hint: d/ds [-log sigmoid(s)] = sigmoid(s) - 1; -log sigmoid(s) = log(1 + exp(-s)), computed stably.
    """
    raise NotImplementedError
''',
    reference={"sgns": _ref_sgns},
    cases=_sgns_cases,
    rtol=1e-5, atol=1e-7,
    mistakes=[
        Mistake("negative-sign", "sgns", _sgns_wrong_sign,
                en="the negatives need σ(−u_neg·v): the loss must push sampled words AWAY from the centre word",
                zh="负样本项应是 σ(−u_neg·v)：损失要把采样到的词从中心词推开"),
    ],
))

# ---- stable BCE from logits -------------------------------------------------------------------


def _ref_bce(logits, targets):
    return float(value(F.binary_cross_entropy_with_logits(t(logits), t(targets))))


def _bce_naive(logits, targets):
    p = 1 / (1 + np.exp(-logits))
    return float(np.mean(-(targets * np.log(p) + (1 - targets) * np.log(1 - p))))


def _bce_cases(rng):
    out = []
    for n in (1, 5, 20):
        out.append(Case(f"{n} logits", "bce_with_logits",
                        {"logits": rng.normal(0, 3, n), "targets": (rng.random(n) < 0.5).astype(float)}))
    out.append(Case("logits of ±50 (σ rounds to exactly 0 or 1)", "bce_with_logits",
                    {"logits": np.array([50.0, -50.0, 40.0, -45.0]), "targets": np.array([0.0, 1.0, 1.0, 0.0])}))
    out.append(Case("soft targets in (0, 1)", "bce_with_logits",
                    {"logits": rng.normal(0, 2, 6), "targets": rng.random(6)}))
    return out


register(Exercise(
    id="bce-with-logits",
    question="ce-vs-mse-output",
    title_en="Binary cross-entropy from logits, stable for any logit",
    title_zh="由 logit 计算的二元交叉熵，对任何 logit 都稳定",
    stub='''
import numpy as np


def bce_with_logits(logits, targets):
    """mean_n [ -y log sigmoid(z) - (1 - y) log(1 - sigmoid(z)) ] for logits z (N,), targets y (N,) in [0, 1].

    Finite and exact for z = ±50. Hint: it equals max(z, 0) - z y + log(1 + exp(-|z|)).
    """
    raise NotImplementedError
''',
    reference={"bce_with_logits": _ref_bce},
    cases=_bce_cases,
    mistakes=[
        Mistake("log-of-sigmoid", "bce_with_logits", _bce_naive,
                en="log(σ(z)) and log(1 − σ(z)) hit log 0 when σ rounds to 0 or 1: use max(z, 0) − z y + log(1 + e^{−|z|})",
                zh="σ 舍入为 0 或 1 时 log(σ(z)) 和 log(1 − σ(z)) 变成 log 0：用 max(z, 0) − z y + log(1 + e^{−|z|})"),
    ],
))

# ---- L1 proximal step ---------------------------------------------------------------------------


def _ref_prox_l1(w, grad, lr, lam):
    """argmin_u ||u - (w - lr grad)||²/2 + lr lam ||u||_1: soft thresholding of the gradient step."""
    z = w - lr * grad
    return np.sign(z) * np.maximum(np.abs(z) - lr * lam, 0.0)


def _prox_cases(rng):
    out = []
    for d, lam in ((6, 0.5), (1, 0.1), (10, 2.0), (4, 0.0)):
        out.append(Case(f"d={d}, lambda={lam}" + (" (no penalty: plain gradient step)" if lam == 0 else ""), "prox_l1_step",
                        {"w": rng.normal(0, 1, d), "grad": rng.normal(0, 1, d), "lr": 0.3, "lam": lam}))
    return out


register(Exercise(
    id="l1-proximal-step",
    question="l1-l2-map-priors",
    title_en="A proximal gradient step for L1: soft thresholding",
    title_zh="L1 的近端梯度步：软阈值",
    stub='''
import numpy as np


def prox_l1_step(w, grad, lr, lam):
    """One proximal-gradient (ISTA) step for f(w) + lam ||w||_1 with step size lr:
    argmin_u 1/2 ||u - (w - lr grad)||^2 + lr lam ||u||_1.  Returns u (same shape as w).

    Hint: it separates per coordinate; small coordinates become EXACTLY zero.
    """
    raise NotImplementedError
''',
    reference={"prox_l1_step": _ref_prox_l1},
    cases=_prox_cases,
    mistakes=[
        Mistake("subgradient-step", "prox_l1_step", lambda w, grad, lr, lam: w - lr * (grad + lam * np.sign(w)),
                en="a subgradient step w − lr(∇f + λ sign(w)) oscillates around 0 and never lands on exact zeros; the proximal step soft-thresholds",
                zh="次梯度步 w − lr(∇f + λ sign(w)) 会在 0 附近振荡，永远得不到精确的 0；近端步做的是软阈值"),
        Mistake("threshold-without-lr", "prox_l1_step",
                lambda w, grad, lr, lam: np.sign(w - lr * grad) * np.maximum(np.abs(w - lr * grad) - lam, 0.0),
                en="the threshold is lr·λ, not λ: the penalty is scaled by the step size",
                zh="阈值是 lr·λ，不是 λ：惩罚要乘步长"),
    ],
))
