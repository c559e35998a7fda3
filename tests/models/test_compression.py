"""models.compression: Eckart-Young for the truncated SVD (against numpy/scipy), pruning masks
against torch.nn.utils.prune, 8-bit quantisation against torch.quantize_per_tensor, k-means
weight sharing against sklearn's KMeans from the same init, the distillation loss (closed-form
gradient, finite differences with a random upstream gradient and a negative control, torch
parity), masked fine-tuning keeping pruned weights at 0, closed-form counts against modules, and
input errors."""

import numpy as np
import pytest

import dlproof
from dlproof.models import compression as C
from dlproof.models.diagnostics import gradient_check


def _rng(seed=0):
    return np.random.default_rng(seed)


# ---------------------------------------------------------------------------------- low rank
@pytest.mark.parametrize("shape,rank", [((40, 25), 1), ((40, 25), 7), ((25, 40), 24), ((30, 30), 30)])
def test_truncation_error_is_the_tail_singular_values(shape, rank):
    import scipy.linalg

    W = _rng(1).standard_normal(shape)
    A, B = C.low_rank_factors(W, rank)
    assert A.shape == (shape[0], rank) and B.shape == (rank, shape[1])
    s = scipy.linalg.svdvals(W)
    E = W - A @ B
    assert np.linalg.matrix_rank(A @ B) == rank
    assert np.isclose(np.linalg.norm(E), np.sqrt((s[rank:] ** 2).sum()), atol=1e-10)
    assert np.isclose(np.linalg.norm(E, 2), s[rank] if rank < len(s) else 0.0, atol=1e-10)
    # no other rank-r matrix does better: a random one and a perturbed optimum
    P = _rng(2).standard_normal((shape[0], rank)) @ _rng(3).standard_normal((rank, shape[1]))
    assert np.linalg.norm(W - P) >= np.linalg.norm(E)
    assert np.linalg.norm(W - (A + 1e-3 * _rng(4).standard_normal(A.shape)) @ B) > np.linalg.norm(E)
    assert C.low_rank_params(*shape, rank) == A.size + B.size == rank * (shape[0] + shape[1])


def test_low_rank_errors():
    with pytest.raises(ValueError, match="rank must be an int in"):
        C.low_rank_factors(np.ones((3, 4)), 4)
    with pytest.raises(ValueError, match="2-D"):
        C.low_rank_factors(np.ones(4), 1)
    with pytest.raises(ValueError, match="NaN or inf"):
        C.low_rank_factors(np.array([[1.0, np.nan]]), 1)
    with pytest.raises(ValueError, match=">= 1"):
        C.low_rank_params(3, 0, 1)


# ---------------------------------------------------------------------------------- pruning
@pytest.mark.parametrize("amount", [0.0, 0.3, 0.75, 0.9, 1.0])
def test_layer_masks_match_torch_l1_unstructured(torch, amount):
    import torch.nn.utils.prune as prune

    Ws = [_rng(5).standard_normal((7, 9)), _rng(6).standard_normal((3, 7)) * 0.1]
    masks = C.magnitude_masks(Ws, amount, scope="layer")
    for W, M in zip(Ws, masks):
        lin = torch.nn.Linear(W.shape[1], W.shape[0])
        with torch.no_grad():
            lin.weight.copy_(torch.tensor(W))
        prune.l1_unstructured(lin, "weight", amount)
        assert np.array_equal(M, lin.weight_mask.numpy().astype(bool))


@pytest.mark.parametrize("amount", [0.2, 0.6, 0.95])
def test_global_masks_match_torch_global_unstructured(torch, amount):
    import torch.nn.utils.prune as prune

    Ws = [_rng(7).standard_normal((8, 6)), _rng(8).standard_normal((5, 8)) * 0.3,
          _rng(9).standard_normal((2, 5))]
    masks = C.magnitude_masks(Ws, amount, scope="global")
    lins = []
    for W in Ws:
        lin = torch.nn.Linear(W.shape[1], W.shape[0])
        with torch.no_grad():
            lin.weight.copy_(torch.tensor(W))
        lins.append(lin)
    prune.global_unstructured([(lin, "weight") for lin in lins], pruning_method=prune.L1Unstructured,
                              amount=amount)
    for M, lin in zip(masks, lins):
        assert np.array_equal(M, lin.weight_mask.numpy().astype(bool))
    # global pruning hits the small-weight layer harder than per-layer pruning does
    assert masks[1].mean() < C.magnitude_masks(Ws, amount, scope="layer")[1].mean() or amount > 0.9


def test_random_masks_and_apply():
    Ws = [np.ones((10, 10)), np.ones((4, 5))]
    masks = C.random_masks(Ws, 0.3, _rng(0))
    assert [int((~m).sum()) for m in masks] == [30, 6]
    out = C.apply_masks(Ws, masks)
    assert all(np.array_equal(o != 0, m) for o, m in zip(out, masks))
    with pytest.raises(ValueError, match="mask shape"):
        C.apply_masks([np.ones((2, 2))], [np.ones((2, 3), bool)])
    with pytest.raises(ValueError, match="2 weights but 1 masks"):
        C.apply_masks(Ws, masks[:1])
    with pytest.raises(ValueError, match="sparsity must be in"):
        C.magnitude_masks(Ws, 1.5)
    with pytest.raises(ValueError, match="scope"):
        C.magnitude_masks(Ws, 0.5, scope="row")


def test_finetune_keeps_pruned_weights_zero():
    from dlproof.models.mlp import activation, init_mlp

    rng = _rng(0)
    X, y = rng.standard_normal((40, 6)), rng.integers(0, 3, 40)
    params = init_mlp([6, 8, 3], rng, gain2=2.0)
    masks = C.magnitude_masks([W.data for W, _ in params], 0.7)
    losses = C.finetune(params, X, y, activation("relu"), lr=0.1, epochs=5, batch=8, rng=rng,
                        momentum=0.9, masks=masks)
    assert losses[-1] < losses[0]
    for (W, _), M in zip(params, masks):
        assert np.all(W.data[~M] == 0) and np.all(W.data[M] != 0)
    with pytest.raises(ValueError, match="2 layers but 1 masks"):
        C.finetune(params, X, y, activation("relu"), lr=0.1, epochs=1, batch=8, rng=rng, masks=masks[:1])
    with pytest.raises(ValueError, match="does not fit layer 0"):
        C.finetune(params, X, y, activation("relu"), lr=0.1, epochs=1, batch=8, rng=rng,
                   masks=[np.ones((2, 2), bool), None])


def test_factored_forward_equals_dense_and_trains():
    from dlproof.models.mlp import activation, init_mlp, mlp_forward

    rng = _rng(1)
    X, y = rng.standard_normal((30, 6)), rng.integers(0, 3, 30)
    params = init_mlp([6, 8, 3], rng, gain2=2.0)
    act = activation("relu")
    W = params[0][0].data
    A, B = C.low_rank_factors(W, 6)  # full rank: the factorised net is the same function
    layers = [(dlproof.tensor(A, requires_grad=True), dlproof.tensor(B, requires_grad=True), params[0][1]),
              params[1]]
    assert np.allclose(C.compressed_forward(layers, X, act).numpy(), mlp_forward(params, X, act).numpy())
    losses = C.finetune(layers, X, y, act, lr=0.1, epochs=5, batch=10, rng=rng)
    assert losses[-1] < losses[0]
    with pytest.raises(ValueError, match=r"\(W, b\) or \(A, B, b\)"):
        C.compressed_forward([(params[0][0],)], X, act)


# ---------------------------------------------------------------------------------- quantisation
def test_8bit_matches_torch_quantize_per_tensor(torch):
    W = _rng(10).standard_normal((16, 12)).astype(np.float32)  # torch quantises float32 only
    W_hat, q, scale = C.quantize_uniform(W, 8)
    ref = torch.quantize_per_tensor(torch.tensor(W), scale, 0, torch.qint8)
    assert np.array_equal(q, ref.int_repr().numpy().astype(np.int32))
    assert np.allclose(W_hat, ref.dequantize().numpy(), atol=1e-6)


@pytest.mark.parametrize("bits", [2, 4, 8])
def test_quantisation_error_bound_and_levels(bits):
    W = _rng(11).standard_normal((50, 40))
    W_hat, q, scale = C.quantize_uniform(W, bits)
    assert np.abs(W - W_hat).max() <= scale / 2 + 1e-12
    assert len(np.unique(q)) <= 2 ** bits - 1 and np.abs(q).max() == 2 ** (bits - 1) - 1
    assert W_hat.shape == W.shape and W_hat.dtype == W.dtype
    with pytest.raises(ValueError, match="bits must be an int in"):
        C.quantize_uniform(W, 1)
    with pytest.raises(ValueError, match="non-empty and finite"):
        C.quantize_uniform(np.array([np.inf]), 8)


@pytest.mark.parametrize("k", [2, 5, 16])
def test_kmeans_matches_sklearn_from_the_same_init(k):
    from sklearn.cluster import KMeans

    r = _rng(12)
    W = np.r_[r.uniform(-1, 1, 300), r.standard_normal(200) * 0.3].reshape(25, 20)
    c, labels = C.kmeans_share(W, k)
    # sklearn moves an empty cluster's centroid elsewhere, this module keeps it: compare where none is
    assert np.bincount(labels.ravel(), minlength=k).min() > 0
    init = np.linspace(W.min(), W.max(), k)
    km = KMeans(n_clusters=k, init=init[:, None], n_init=1, max_iter=300, tol=0.0,
                algorithm="lloyd").fit(W.reshape(-1, 1))
    assert np.allclose(c, km.cluster_centers_.ravel(), atol=1e-10)
    assert np.array_equal(labels.ravel(), km.labels_)
    # each weight sits at its nearest centroid, and the centroids are the cluster means
    assert np.array_equal(labels, np.abs(W[..., None] - c).argmin(-1))
    for j in range(k):
        assert np.isclose(c[j], W[labels == j].mean())


def test_kmeans_unsorted_init_keeps_the_callers_order():
    from sklearn.cluster import KMeans

    W = _rng(16).standard_normal(400)
    init = np.array([1.0, -1.0, 0.0, 2.0])
    c, labels = C.kmeans_share(W, 4, init=init)
    km = KMeans(n_clusters=4, init=init[:, None], n_init=1, max_iter=300, tol=0.0,
                algorithm="lloyd").fit(W[:, None])
    assert np.allclose(c, km.cluster_centers_.ravel(), atol=1e-10)
    assert np.array_equal(labels, km.labels_)


def test_kmeans_errors():
    with pytest.raises(ValueError, match="k must be an int in"):
        C.kmeans_share(np.ones(3), 4)
    with pytest.raises(ValueError, match="init must have k = 2"):
        C.kmeans_share(np.arange(5.0), 2, init=[0.0, 1.0, 2.0])
    with pytest.raises(ValueError, match="non-empty and finite"):
        C.kmeans_share(np.array([1.0, np.nan]), 1)


# ---------------------------------------------------------------------------------- distillation
def _logits(seed=14, n=6, c=5):
    r = _rng(seed)
    return r.standard_normal((n, c)) * 2, r.standard_normal((n, c)) * 3, r.integers(0, c, n)


@pytest.mark.parametrize("T,alpha", [(1.0, 0.5), (4.0, 0.9), (10.0, 1.0), (2.0, 0.0)])
def test_distillation_matches_torch(torch, T, alpha):
    s, t, y = _logits()
    st = dlproof.tensor(s, requires_grad=True)
    loss = C.distillation_loss(st, t, y, T=T, alpha=alpha)
    loss.backward()
    ts = torch.tensor(s, requires_grad=True)
    F = torch.nn.functional
    kl = F.kl_div(F.log_softmax(ts / T, 1), F.softmax(torch.tensor(t) / T, 1), reduction="batchmean")
    ref = alpha * T * T * kl + (1 - alpha) * F.cross_entropy(ts, torch.tensor(y))
    ref.backward()
    assert np.isclose(loss.item(), ref.item(), atol=1e-12)
    assert np.allclose(st.grad, ts.grad.numpy(), atol=1e-12)


def test_distillation_closed_form_gradient_and_negative_control():
    s, t, y = _logits()
    T, alpha, N = 4.0, 0.8, len(y)
    st = dlproof.tensor(s.copy(), requires_grad=True)
    u = _rng(15).uniform(0.5, 1.5, N)  # random upstream gradient on the per-example losses
    u_t = dlproof.tensor(u)

    def loss():
        return (C.distillation_loss(st, t, y, T=T, alpha=alpha, reduction="none") * u_t).sum()

    def sm(z):
        e = np.exp(z - z.max(1, keepdims=True))
        return e / e.sum(1, keepdims=True)

    onehot = np.eye(s.shape[1])[y]
    closed = u[:, None] * (alpha * T * (sm(s / T) - sm(t / T)) + (1 - alpha) * (sm(s) - onehot))
    assert gradient_check(loss, [st], grads=[closed]) < 1e-7
    assert gradient_check(loss, [st]) < 1e-7  # autograd
    # negative control: without the T^2 factor the soft term's gradient is T^2 too small
    wrong = u[:, None] * (alpha / T * (sm(s / T) - sm(t / T)) + (1 - alpha) * (sm(s) - onehot))
    assert gradient_check(loss, [st], grads=[wrong]) > 1e-2


def test_distillation_is_zero_kl_at_the_teacher():
    s, t, y = _logits()
    only_soft = C.distillation_loss(dlproof.tensor(t), t, y, T=3.0, alpha=1.0, reduction="none")
    assert np.allclose(only_soft.numpy(), 0.0, atol=1e-12)


def test_distillation_errors():
    s, t, y = _logits()
    st = dlproof.tensor(s)
    with pytest.raises(ValueError, match="both be"):
        C.distillation_loss(st, t[:, :3], y)
    with pytest.raises(ValueError, match="class indices"):
        C.distillation_loss(st, t, y + 10)
    with pytest.raises(ValueError, match="T must be > 0"):
        C.distillation_loss(st, t, y, T=0.0)
    with pytest.raises(ValueError, match="alpha must be in"):
        C.distillation_loss(st, t, y, alpha=1.2)
    with pytest.raises(ValueError, match="reduction"):
        C.distillation_loss(st, t, y, reduction="sum")


# ---------------------------------------------------------------------------------- counts
@pytest.mark.parametrize("c_in,c_out,k", [(16, 32, 3), (64, 64, 3), (8, 24, 5)])
def test_counts_match_modules(c_in, c_out, k):
    import dlproof.nn as nn
    from dlproof.models.cnn import DepthwiseSeparableConv, count_params

    g = _rng(0)
    assert count_params(nn.Conv2d(c_in, c_out, k, generator=g)) == C.conv_params(c_in, c_out, k)
    assert count_params(nn.Conv2d(c_in, c_out, k, groups=4, generator=g)) == C.conv_params(c_in, c_out, k, 4)
    separable = DepthwiseSeparableConv(c_in, c_out, k, generator=g)
    assert count_params(separable) == C.separable_conv_params(c_in, c_out, k)
    weights = C.separable_conv_params(c_in, c_out, k, bias=False) / C.conv_params(c_in, c_out, k, bias=False)
    assert np.isclose(weights, 1 / c_out + 1 / k ** 2)
    assert C.bottleneck_params(c_in, 4, k, bias=False) == 2 * 4 * c_in + k * k * 16
    with pytest.raises(ValueError, match="groups dividing"):
        C.conv_params(6, 8, 3, groups=4)
