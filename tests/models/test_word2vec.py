"""word2vec / GloVe: finite-difference gradients with negative controls, GloVe's optimum against
the SVD of the double-centred log co-occurrence, the SGNS per-cell optimum (shifted PMI), and
gensim's Word2Vec on the same generated corpus as an outside reference for quality."""

from __future__ import annotations

import numpy as np
import pytest

from dlproof.models.word2vec import (
    GloVe,
    Word2Vec,
    analogy_accuracy,
    cbow_examples,
    cbow_loss_and_grads,
    cooccurrence,
    glove_loss_and_grads,
    glove_weight,
    make_attribute_corpus,
    noise_distribution,
    sample_negatives,
    scatter_rows,
    sgns_loss_and_grads,
    sgns_sgd_step,
    shifted_pmi,
    similarity_spearman,
    skipgram_pairs,
    softmax_sgd_step,
    softmax_skipgram_loss_and_grads,
)


def fd_grad(f, arr, eps=1e-6):
    """Central differences of the scalar f() with respect to every entry of arr (in place)."""
    g = np.zeros_like(arr)
    it = np.nditer(arr, flags=["multi_index"])
    for _ in it:                                       # a test loop over a few dozen entries
        i = it.multi_index
        old = arr[i]
        arr[i] = old + eps
        fp = f()
        arr[i] = old - eps
        fm = f()
        arr[i] = old
        g[i] = (fp - fm) / (2 * eps)
    return g


def rel_err(a, b):
    return np.abs(a - b).max() / max(np.abs(b).max(), 1e-12)


def setup(rng, V=7, d=3, B=9, K=4):
    W_in, W_out = rng.normal(0, 0.7, (V, d)), rng.normal(0, 0.7, (V, d))
    c = rng.integers(V, size=B)
    c[:3] = 2                                          # repeated centres: gradients must accumulate
    o = rng.integers(V, size=B)
    neg = rng.integers(V, size=(B, K))
    return W_in, W_out, c, o, neg


def test_scatter_rows_is_add_at():
    rng = np.random.default_rng(0)
    idx = rng.integers(6, size=(20, 3))
    rows = rng.normal(size=(20, 3, 4))
    ref = np.zeros((6, 4))
    np.add.at(ref, idx.ravel(), rows.reshape(-1, 4))
    assert np.allclose(scatter_rows(idx, rows, 6), ref, atol=1e-14)


def test_sgns_gradient_matches_finite_differences_and_a_wrong_one_fails():
    rng = np.random.default_rng(1)
    W_in, W_out, c, o, neg = setup(rng)
    _, gi, go = sgns_loss_and_grads(W_in, W_out, c, o, neg)
    f = lambda: sgns_loss_and_grads(W_in, W_out, c, o, neg)[0]  # noqa: E731
    fi, fo = fd_grad(f, W_in), fd_grad(f, W_out)
    assert rel_err(gi, fi) < 1e-7 and rel_err(go, fo) < 1e-7
    # negative control: overwrite instead of accumulate the repeated centres' rows
    v = W_in[c]
    wrong = gi.copy()
    s_pos = np.einsum("bd,bd->b", W_out[o], v)
    s_neg = np.einsum("bkd,bd->bk", W_out[neg], v)
    dv = ((1 / (1 + np.exp(-s_pos)) - 1)[:, None] * W_out[o]
          + np.einsum("bk,bkd->bd", 1 / (1 + np.exp(-s_neg)), W_out[neg])) / len(c)
    wrong[c] = dv
    assert rel_err(wrong, fi) > 1e-2
    # negative control 2: the sign of the negative term flipped (sigma(-s) instead of sigma(s))
    W2 = W_out.copy()
    neg_part = np.einsum("bk,bkd->bd", 1 / (1 + np.exp(-s_neg)), W_out[neg]) / len(c)
    flipped = gi - 2 * scatter_rows(c, neg_part, 7)
    assert rel_err(flipped, fi) > 1e-2 and np.array_equal(W2, W_out)


def test_sparse_sgd_step_equals_the_dense_gradient_step():
    rng = np.random.default_rng(11)
    W_in, W_out, c, o, neg = setup(rng)
    loss, gi, go = sgns_loss_and_grads(W_in, W_out, c, o, neg)
    A, B = W_in.copy(), W_out.copy()
    assert abs(sgns_sgd_step(A, B, c, o, neg, lr=0.1) - loss) < 1e-12
    assert np.allclose(A, W_in - 0.1 * len(c) * gi, atol=1e-13)
    assert np.allclose(B, W_out - 0.1 * len(c) * go, atol=1e-13)
    # the full-softmax step moves every output row (dense), by the same summed-loss rule
    loss, gi, go = softmax_skipgram_loss_and_grads(W_in, W_out, c, o)
    A, B = W_in.copy(), W_out.copy()
    assert abs(softmax_sgd_step(A, B, c, o, lr=0.1) - loss) < 1e-12
    assert np.allclose(A, W_in - 0.1 * len(c) * gi, atol=1e-13)
    assert np.allclose(B, W_out - 0.1 * len(c) * go, atol=1e-13)
    assert np.all(np.abs(B - W_out).sum(1) > 0)


def test_cbow_gradient_matches_finite_differences_and_a_wrong_one_fails():
    rng = np.random.default_rng(2)
    W_in, W_out, _, _, neg = setup(rng)
    sent = rng.integers(7, size=(3, 5))
    centers, ctx, mask = cbow_examples(sent, 2)
    neg = rng.integers(7, size=(len(centers), 3))
    assert mask[0].sum() == 2 and mask[2].sum() == 4    # sentence edges have fewer context words
    _, gi, go = cbow_loss_and_grads(W_in, W_out, ctx, mask, centers, neg)
    f = lambda: cbow_loss_and_grads(W_in, W_out, ctx, mask, centers, neg)[0]  # noqa: E731
    fi, fo = fd_grad(f, W_in), fd_grad(f, W_out)
    assert rel_err(gi, fi) < 1e-7 and rel_err(go, fo) < 1e-7
    # negative control: every context word gets the whole dh (the 1/n of the mean forgotten)
    n = np.maximum(mask.sum(1, keepdims=True), 1)
    h = np.einsum("bc,bcd->bd", mask, W_in[ctx]) / n
    sig = lambda x: 1 / (1 + np.exp(-x))  # noqa: E731
    s_pos, s_neg = np.einsum("bd,bd->b", W_out[centers], h), np.einsum("bkd,bd->bk", W_out[neg], h)
    dh = ((sig(s_pos) - 1)[:, None] * W_out[centers]
          + np.einsum("bk,bkd->bd", sig(s_neg), W_out[neg])) / len(centers)
    assert rel_err(scatter_rows(ctx, (mask / n)[:, :, None] * dh[:, None, :], 7), fi) < 1e-7
    assert rel_err(scatter_rows(ctx, mask[:, :, None] * dh[:, None, :], 7), fi) > 1e-2


def test_softmax_skipgram_gradient_matches_finite_differences_and_a_wrong_one_fails():
    rng = np.random.default_rng(3)
    W_in, W_out, c, o, _ = setup(rng)
    loss, gi, go = softmax_skipgram_loss_and_grads(W_in, W_out, c, o)
    f = lambda: softmax_skipgram_loss_and_grads(W_in, W_out, c, o)[0]  # noqa: E731
    fi, fo = fd_grad(f, W_in), fd_grad(f, W_out)
    assert rel_err(gi, fi) < 1e-7 and rel_err(go, fo) < 1e-7
    z = W_in[c] @ W_out.T
    ref = np.mean(np.log(np.exp(z).sum(1)) - z[np.arange(len(c)), o])
    assert abs(loss - ref) < 1e-12
    # negative control: forgetting the "- onehot" term leaves only the partition-function gradient
    p = np.exp(z - z.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    assert rel_err(p.T @ W_in[c] / len(c), fo) > 1e-2


def test_glove_gradient_matches_finite_differences_and_a_wrong_one_fails():
    rng = np.random.default_rng(4)
    V, d = 6, 3
    X = rng.poisson(3.0, (V, V)).astype(float)
    X[0, 1] = 0.0                                      # a zero cell must drop out
    W, Wt = rng.normal(0, 0.5, (V, d)), rng.normal(0, 0.5, (V, d))
    b, bt = rng.normal(0, 0.5, V), rng.normal(0, 0.5, V)
    loss, gW, gWt, gb, gbt = glove_loss_and_grads(W, Wt, b, bt, X, x_max=5.0)
    f = lambda: glove_loss_and_grads(W, Wt, b, bt, X, x_max=5.0)[0]  # noqa: E731
    for g, a in ((gW, W), (gWt, Wt), (gb, b), (gbt, bt)):
        assert rel_err(g, fd_grad(f, a)) < 1e-7
    # negative control: the weight f(X) left out of the gradient
    e = W @ Wt.T + b[:, None] + bt[None, :] - np.log(np.where(X > 0, X, 1))
    wrong = 2 * ((X > 0) * e) @ Wt
    assert rel_err(wrong, fd_grad(f, W)) > 1e-2
    # f(x) = min(1, (x/x_max)^0.75), f(0) = 0
    assert glove_weight(np.array([0.0, 1.0, 5.0, 50.0]), 5.0).tolist() == [0.0, (1 / 5) ** 0.75, 1.0, 1.0]


def test_glove_optimum_is_the_svd_of_the_double_centred_log_counts():
    """With f = 1 on a dense X, min J over (W, Wt, b, bt) = rank-d approximation of L = log X up to
    additive row/column terms: the optimum of J is the tail sum of squared singular values of
    C L C (C = I - 11^T/V), and C W Wt^T C is the truncated SVD of C L C (Eckart-Young)."""
    optimize = pytest.importorskip("scipy.optimize")
    rng = np.random.default_rng(5)
    V, d = 12, 3
    X = np.exp(rng.normal(0, 1, (V, 5)) @ rng.normal(0, 1, (5, V)) * 0.5 + 2.0)
    X = np.round(X) + 1.0                              # dense positive "counts"
    sizes = [V * d, V * d, V, V]

    def unpack(theta):
        parts = np.split(theta, np.cumsum(sizes)[:-1])
        return parts[0].reshape(V, d), parts[1].reshape(V, d), parts[2], parts[3]

    def fun(theta):
        loss, *g = glove_loss_and_grads(*unpack(theta), X, x_max=1e-9)  # x_max tiny: f = 1
        return loss, np.concatenate([a.ravel() for a in g])

    res = optimize.minimize(fun, rng.normal(0, 0.3, sum(sizes)), jac=True, method="L-BFGS-B",
                            options=dict(maxiter=20000, gtol=1e-11, ftol=1e-15))
    W, Wt, _, _ = unpack(res.x)
    C = np.eye(V) - 1.0 / V
    U, s, Vt = np.linalg.svd(C @ np.log(X) @ C)
    assert abs(res.fun - np.sum(s[d:] ** 2)) < 1e-6 * np.sum(s ** 2)
    T = (U[:, :d] * s[:d]) @ Vt[:d]
    assert np.abs(C @ W @ Wt.T @ C - T).max() < 1e-4 * np.abs(T).max()
    # and rank d - 1 would be strictly worse: the optimum really uses d dimensions
    assert np.sum(s[d - 1:] ** 2) > 1.01 * res.fun


def test_shifted_pmi_is_the_per_cell_optimum_of_the_expected_sgns_objective():
    rng = np.random.default_rng(6)
    corpus = make_attribute_corpus(200, rng)
    c, o = skipgram_pairs(corpus.sentences, 2)
    noise = noise_distribution(corpus.counts())
    k = 5
    M, C = shifted_pmi(c, o, noise, k, corpus.vocab_size)
    nw = C.sum(1)
    # expected objective of one cell: #(w,c) log s(x) + k #(w) P_n(c) log s(-x), maximised on a grid
    w, cc = np.nonzero(C)
    xs = np.linspace(-12, 8, 20001)
    obj = (C[w, cc][:, None] * -np.logaddexp(0, -xs)[None, :]
           + (k * nw[w] * noise[cc])[:, None] * -np.logaddexp(0, xs)[None, :])
    assert np.abs(xs[obj.argmax(1)] - M[w, cc]).max() < 2e-3
    assert np.all(np.isneginf(M[C == 0]))


def test_corpus_ground_truth_is_right():
    rng = np.random.default_rng(7)
    corpus = make_attribute_corpus(50, rng, n_a=4, n_b=3)
    A, B = corpus.entities.shape
    ideal = np.zeros((corpus.vocab_size, A + B))        # an entity = one-hot(a) ++ one-hot(b)
    a, b = np.divmod(np.arange(A * B), B)
    ideal[corpus.entities.ravel(), a] = 1.0
    ideal[corpus.entities.ravel(), A + b] = 1.0
    quads = corpus.analogies()
    assert len(quads) == A * (A - 1) * B * (B - 1)
    assert analogy_accuracy(ideal, quads, corpus.entities.ravel()) == 1.0
    shuffled = ideal[rng.permutation(corpus.vocab_size)]
    assert analogy_accuracy(shuffled, quads, corpus.entities.ravel()) < 0.5
    i, j, shared = corpus.shared_attributes()
    assert set(shared.tolist()) == {0, 1}               # two distinct entities share at most one
    assert similarity_spearman(ideal, i, j, shared) > 0.999
    X = cooccurrence(corpus.sentences, corpus.vocab_size, 2, harmonic=False)
    assert np.array_equal(X, X.T) and X.sum() == len(skipgram_pairs(corpus.sentences, 2)[0])


def test_negative_sampling_follows_the_noise_distribution():
    rng = np.random.default_rng(8)
    noise = noise_distribution(np.array([1, 10, 100, 1000]))
    draws = sample_negatives(noise, (200000,), rng)
    assert np.abs(np.bincount(draws, minlength=4) / 200000 - noise).max() < 5e-3
    counts = np.array([1, 10, 100, 1000])
    assert np.allclose(noise, counts ** 0.75 / np.sum(counts ** 0.75))


def test_bad_inputs_are_named():
    rng = np.random.default_rng(9)
    W_in, W_out, c, o, neg = setup(rng)
    with pytest.raises(ValueError, match="negatives"):
        sgns_loss_and_grads(W_in, W_out, c, o, neg[:, 0])
    with pytest.raises(ValueError, match="X"):
        glove_loss_and_grads(W_in, W_out, W_in[:, 0], W_out[:, 0], np.ones((3, 3)))
    with pytest.raises(ValueError, match="arch"):
        Word2Vec(5, 2, arch="glove", rng=rng)
    with pytest.raises(ValueError, match="odd length"):
        make_attribute_corpus(10, rng, length=6)


def _quality(vectors, corpus):
    i, j, t = corpus.shared_attributes()
    return (analogy_accuracy(vectors, corpus.analogies(), corpus.entities.ravel()),
            similarity_spearman(vectors, i, j, t))


def test_sgns_cbow_glove_match_gensim_word2vec_on_the_same_corpus(oracle):
    """gensim's skip-gram and CBOW (same window, dimension, K, epochs; no subsampling) on the same
    sentences: our SGNS and GloVe come within 0.1 of gensim skip-gram's analogy accuracy and
    similarity correlation, our CBOW within 0.1 of gensim CBOW's."""
    models = oracle("gensim.models")
    rng = np.random.default_rng(10)
    corpus = make_attribute_corpus(3000, rng)
    sents = [[corpus.vocab[w] for w in row] for row in corpus.sentences]
    ref = {}
    for sg in (1, 0):
        g = models.Word2Vec(sents, vector_size=16, window=2, min_count=1, sg=sg, negative=5, sample=0,
                            workers=1, seed=1, epochs=5)
        ref[sg] = _quality(np.stack([g.wv[w] for w in corpus.vocab]), corpus)
    assert ref[1][0] > 0.9 and ref[1][1] > 0.75, ref
    X = cooccurrence(corpus.sentences, corpus.vocab_size, 2)
    V, S = corpus.vocab_size, corpus.sentences
    ours = {
        "sgns": (Word2Vec(V, 16, rng=rng).fit(S, rng=rng).vectors, 1),
        "cbow": (Word2Vec(V, 16, arch="cbow", rng=rng).fit(S, rng=rng).vectors, 0),
        "glove": (GloVe(corpus.vocab_size, 16, rng=rng).fit(X, steps=400).vectors, 1),
    }
    for name, (vec, sg) in ours.items():
        a, s = _quality(vec, corpus)
        assert a >= ref[sg][0] - 0.1 and s >= ref[sg][1] - 0.1, (name, a, s, ref[sg])
