"""Additive attention: NumPy reference, finite differences (random upstream gradient) with a
negative control, the fused score against the same computation from primitives, masks, errors;
and PyTorch parity for what torch has (scaled dot-product attention with bool and causal masks)."""

from __future__ import annotations

import numpy as np
import pytest

import dlproof
from dlproof.engine import Tensor, gradcheck, ops
from dlproof.models.attention import (
    AdditiveAttention,
    AdditiveScore,
    additive_attention,
    additive_scores,
    masked_softmax,
)
from dlproof.nn import functional as F

N, L, S, DQ, DK, DV, A = 2, 3, 4, 5, 3, 2, 6


def inputs(seed=0):
    rng = np.random.default_rng(seed)
    return (rng.standard_normal((N, L, DQ)), rng.standard_normal((N, S, DK)),
            rng.standard_normal((N, S, DV)), rng.standard_normal((A, DQ)) * 0.5,
            rng.standard_normal((A, DK)) * 0.5, rng.standard_normal(A))


def reference(q, k, val, W_q, W_k, v, mask=None):
    """Plain loops over (n, l, s): e = v . tanh(W_q q + W_k k), softmax, weighted sum."""
    e = np.empty((N, L, S))
    for n in range(N):
        for i in range(L):
            for j in range(S):
                e[n, i, j] = v @ np.tanh(W_q @ q[n, i] + W_k @ k[n, j])
    if mask is not None:
        e = np.where(mask, e, -np.inf)
    p = np.exp(e - e.max(-1, keepdims=True))
    p /= p.sum(-1, keepdims=True)
    return p @ val, p


MASK = np.array([[[True, True, False, False]], [[True, True, True, False]]])  # (N, 1, S) padding


def test_matches_numpy_reference_with_and_without_mask():
    x = inputs()
    for mask in (None, MASK):
        c, w = additive_attention(*x, mask=mask)
        c_ref, w_ref = reference(*x, mask=mask)
        assert np.allclose(c.data, c_ref, atol=1e-12) and np.allclose(w.data, w_ref, atol=1e-12)
        assert np.allclose(w.data.sum(-1), 1.0, atol=1e-12)


def test_mask_gives_zero_weight_and_ignores_masked_keys():
    q, k, val, *p = inputs(1)
    c, w = additive_attention(q, k, val, *p, mask=MASK)
    assert np.all(w.data[np.broadcast_to(~MASK, w.shape)] == 0.0)
    k2, val2 = k.copy(), val.copy()
    k2[0, 2:] += 100.0            # change every masked key and value: nothing may move
    val2[0, 2:] -= 50.0
    k2[1, 3:] *= -7.0
    val2[1, 3:] += 9.0
    c2, w2 = additive_attention(q, k2, val2, *p, mask=MASK)
    assert np.array_equal(c.data, c2.data) and np.array_equal(w.data, w2.data)


def loss_fns(mask):
    return lambda q, k, val, W_q, W_k, v: ops.cat(
        [t.reshape(-1) for t in additive_attention(q, k, val, W_q, W_k, v, mask=mask)], 0)


@pytest.mark.parametrize("mask", [None, MASK])
def test_gradcheck_all_inputs(mask):
    rep = gradcheck(loss_fns(mask), list(inputs(2)), seed=3)
    assert rep.ok, str(rep)
    assert rep.max_abs_err < 1e-7


class WrongTanhDerivative(AdditiveScore):
    """Negative control: forgets the tanh' = 1 - T^2 factor in the backward."""

    @staticmethod
    def backward(ctx, g):
        q, k, W_q, W_k, v, T = ctx.saved_tensors
        dU = g[..., None] * v
        da, db = dU.sum(2), dU.sum(1)
        return (da @ W_q, db @ W_k, np.einsum("nla,nld->ad", da, q),
                np.einsum("nsa,nsd->ad", db, k), np.einsum("nls,nlsa->a", g, T))


def test_negative_control_fails_gradcheck():
    q, k, _, W_q, W_k, v = inputs(4)
    good = gradcheck(lambda *a: AdditiveScore.apply(*a), [q, k, W_q, W_k, v], seed=5)
    bad = gradcheck(lambda *a: WrongTanhDerivative.apply(*a), [q, k, W_q, W_k, v], seed=5)
    assert good.ok and not bad.ok


def test_fused_score_matches_composed_primitives():
    q, k, _, W_q, W_k, v = inputs(5)
    rng = np.random.default_rng(6)
    U = rng.standard_normal((N, L, S))

    def composed(q, k, W_q, W_k, v):
        a = ops.unsqueeze(q @ W_q.transpose(0, 1), 2)           # (N, L, 1, A)
        b = ops.unsqueeze(k @ W_k.transpose(0, 1), 1)           # (N, 1, S, A)
        return ops.tanh(a + b) @ v

    grads = []
    for f in (lambda *a: additive_scores(*a), composed):
        ts = [Tensor(x, requires_grad=True) for x in (q, k, W_q, W_k, v)]
        out = f(*ts)
        (out * Tensor(U)).sum().backward()
        grads.append([out.data] + [t.grad for t in ts])
    for x, y in zip(*grads):
        assert np.allclose(x, y, atol=1e-12)


def test_module_shapes_values_default_and_float32():
    m = AdditiveAttention(DQ, DK, A, generator=0)
    assert m.W_q.shape == (A, DQ) and m.W_k.shape == (A, DK) and m.v.shape == (A,)
    assert sum(p.data.size for p in m.parameters()) == A * (DQ + DK + 1)
    q, k = (x.astype(np.float32) for x in inputs()[:2])
    c, w = m(q, k, mask=MASK)
    assert c.shape == (N, L, DK) and w.shape == (N, L, S) and c.data.dtype == np.float32
    (c.sum()).backward()
    assert all(p.grad is not None and np.isfinite(p.grad).all() for p in m.parameters())
    assert "attn_dim=6" in repr(m)


def test_bad_input_errors_name_the_problem():
    q, k, val, W_q, W_k, v = inputs()
    with pytest.raises(ValueError, match="query"):
        additive_attention(q[0], k, val, W_q, W_k, v)
    with pytest.raises(ValueError, match="W_q"):
        additive_attention(q, k, val, W_k, W_k, v)
    with pytest.raises(ValueError, match="values"):
        additive_attention(q, k, val[:, :2], W_q, W_k, v)
    with pytest.raises(ValueError, match="every key masked"):
        additive_attention(q, k, val, W_q, W_k, v, mask=np.zeros((N, 1, S), bool))
    with pytest.raises(ValueError, match="bool"):
        masked_softmax(np.zeros((N, L, S)), np.ones((N, L, S)))
    with pytest.raises(ValueError, match="broadcast"):
        masked_softmax(np.zeros((N, L, S)), np.ones((N, L, 2), bool))
    with pytest.raises(ValueError, match="sizes"):
        AdditiveAttention(0, 3, 4)


def test_scaled_dot_product_parity_with_torch_masks_and_causal(torch):
    rng = np.random.default_rng(7)
    q, k, v = (rng.standard_normal((2, 3, 5, 4)) for _ in range(3))
    G = rng.standard_normal((2, 3, 5, 4))
    bool_mask = rng.random((5, 5)) < 0.7
    bool_mask[:, 0] = True
    for kw in ({}, {"attn_mask": bool_mask}, {"is_causal": True}, {"is_causal": True, "scale": 0.3}):
        ts = [Tensor(x, requires_grad=True) for x in (q, k, v)]
        out = F.scaled_dot_product_attention(*ts, **kw)
        (out * Tensor(G)).sum().backward()
        tt = [torch.tensor(x, requires_grad=True) for x in (q, k, v)]
        tkw = dict(kw)
        if "attn_mask" in tkw:
            tkw["attn_mask"] = torch.tensor(bool_mask)
        tout = torch.nn.functional.scaled_dot_product_attention(*tt, **tkw)
        (tout * torch.tensor(G)).sum().backward()
        assert np.allclose(out.data, tout.detach().numpy(), atol=1e-12)
        for a, b in zip(ts, tt):
            assert np.allclose(a.grad, b.grad.numpy(), atol=1e-12)


def test_causal_output_ignores_future_tokens():
    rng = np.random.default_rng(8)
    q, k, v = (rng.standard_normal((1, 6, 4)) for _ in range(3))
    out = F.scaled_dot_product_attention(dlproof.tensor(q), dlproof.tensor(k), dlproof.tensor(v),
                                         is_causal=True).data
    k2, v2 = k.copy(), v.copy()
    k2[:, 4:] = rng.standard_normal((1, 2, 4))
    v2[:, 4:] = rng.standard_normal((1, 2, 4))
    out2 = F.scaled_dot_product_attention(dlproof.tensor(q), dlproof.tensor(k2), dlproof.tensor(v2),
                                          is_causal=True).data
    assert np.array_equal(out[:, :4], out2[:, :4]) and not np.allclose(out[:, 4:], out2[:, 4:])
