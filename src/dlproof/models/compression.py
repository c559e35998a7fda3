"""Ways to make a trained network smaller: low-rank factorisation, magnitude pruning, quantisation,
weight sharing by k-means, knowledge distillation, and the closed-form parameter counts of the
architectural alternatives (grouped, depthwise-separable, bottleneck convolutions).

Weights are plain NumPy arrays of shape (out, in) (the ``nn.Linear`` / :mod:`dlproof.models.mlp`
layout) unless stated otherwise; the functions return new arrays and never modify their inputs.

* Low rank (Eckart-Young): with the SVD ``W = U diag(s) V^T`` (m, n), the best rank-r
  approximation in Frobenius and spectral norm is ``W_r = U_r diag(s_r) V_r^T``, with errors
  ``||W - W_r||_F = sqrt(sum_{i>r} s_i^2)`` and ``||W - W_r||_2 = s_{r+1}``. Stored as two layers
  ``A = U_r diag(sqrt(s_r))`` (m, r) and ``B = diag(sqrt(s_r)) V_r^T`` (r, n) (balanced, so that
  fine-tuning both by SGD is well scaled): ``r (m + n)`` weights instead of ``m n``, a saving
  only when ``r < m n / (m + n)``.
* Magnitude pruning (Han et al. 2015): zero the ``round(sparsity * n)`` weights of smallest
  ``|w|``, either within each layer or over all layers at once (global); the masks (True = kept)
  are kept fixed during fine-tuning (:func:`finetune`), so pruned weights stay exactly 0.
* Uniform k-bit quantisation, symmetric per tensor: ``scale = max|W| / (2^(k-1) - 1)``,
  ``q = round(W / scale)`` in ``[-(2^(k-1) - 1), 2^(k-1) - 1]``, ``W_hat = q scale``; the error
  per weight is at most ``scale / 2``. The number of parameters is unchanged; the bits per
  parameter drop from 32 to k.
* Weight sharing (Han et al. 2016, Deep Compression): 1-D k-means (Lloyd) on the weights of a
  layer, initialised linearly between min and max; every weight is replaced by its centroid, so
  the layer stores ``log2(k)`` bits per weight plus a codebook of k floats.
* Knowledge distillation (Hinton et al. 2015): with softened distributions
  ``p_T(z) = softmax(z / T)``, the loss on student logits s, teacher logits t and labels y is

      L = alpha T^2 KL(p_T(t) || p_T(s)) + (1 - alpha) CE(softmax(s), y),

  averaged over the batch. Its gradient per example is
  ``dL/ds = alpha T (p_T(s) - p_T(t)) + (1 - alpha) (softmax(s) - onehot(y))``: the soft term's
  gradient carries a factor 1/T, so without the ``T^2`` the soft targets' weight would shrink as
  ``1/T^2`` when T grows.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "low_rank_factors",
    "low_rank_params",
    "magnitude_masks",
    "random_masks",
    "apply_masks",
    "compressed_forward",
    "finetune",
    "quantize_uniform",
    "kmeans_share",
    "distillation_loss",
    "conv_params",
    "separable_conv_params",
    "bottleneck_params",
]


def _matrix(W, who: str) -> np.ndarray:
    W = np.asarray(W)
    if W.ndim != 2 or min(W.shape) == 0:
        raise ValueError(f"{who}: the weight must be a non-empty 2-D array (out, in), got shape {W.shape}")
    if not np.all(np.isfinite(W)):
        raise ValueError(f"{who}: the weight contains NaN or inf")
    return W


# ---------------------------------------------------------------------------------- low rank
def low_rank_factors(W, rank: int) -> tuple[np.ndarray, np.ndarray]:
    """Truncated SVD of W (m, n): ``A = U_r diag(sqrt(s_r))`` (m, r) and ``B = diag(sqrt(s_r)) V_r^T``
    (r, n), so that ``A @ B`` is the best rank-r approximation of W (Eckart-Young) and both factors
    have the same singular values. As layers: ``x -> A (B x)``."""
    W = _matrix(W, "low_rank_factors")
    if not isinstance(rank, (int, np.integer)) or not 1 <= rank <= min(W.shape):
        raise ValueError(f"low_rank_factors: rank must be an int in [1, {min(W.shape)}], got {rank!r}")
    U, s, Vt = np.linalg.svd(W, full_matrices=False)
    root = np.sqrt(s[:rank])
    return U[:, :rank] * root, root[:, None] * Vt[:rank]


def low_rank_params(m: int, n: int, rank: int) -> int:
    """Weights of the two factors of a rank-r (m, n) matrix: ``r (m + n)`` (against ``m n``)."""
    if min(m, n, rank) < 1:
        raise ValueError(f"low_rank_params: m, n, rank must be >= 1, got {(m, n, rank)}")
    return rank * (m + n)


# ---------------------------------------------------------------------------------- pruning
def _check_sparsity(sparsity, who):
    if not 0.0 <= float(sparsity) <= 1.0:
        raise ValueError(f"{who}: sparsity must be in [0, 1], got {sparsity!r}")


def magnitude_masks(weights, sparsity: float, scope: str = "global") -> list[np.ndarray]:
    """Boolean keep-masks that remove the ``round(sparsity * n)`` smallest-magnitude weights.

    ``scope="layer"``: n counts each layer's weights and every layer loses the same fraction
    (``torch.nn.utils.prune.l1_unstructured``); ``scope="global"``: n counts all weights and the
    smallest ones are removed wherever they are (``prune.global_unstructured`` with L1 importance),
    so layers with small weights lose more.
    """
    _check_sparsity(sparsity, "magnitude_masks")
    weights = [_matrix(W, "magnitude_masks") if np.ndim(W) == 2 else np.asarray(W) for W in weights]
    if not weights:
        raise ValueError("magnitude_masks: no weights given")
    if scope == "layer":
        return [magnitude_masks([W], sparsity, "global")[0] for W in weights]
    if scope != "global":
        raise ValueError(f"magnitude_masks: scope must be 'global' or 'layer', got {scope!r}")
    flat = np.concatenate([np.abs(W).ravel() for W in weights])
    k = int(round(float(sparsity) * flat.size))
    keep = np.ones(flat.size, bool)
    keep[np.argsort(flat, kind="stable")[:k]] = False  # the k smallest |w| go
    out, start = [], 0
    for W in weights:
        out.append(keep[start:start + W.size].reshape(W.shape))
        start += W.size
    return out


def random_masks(weights, sparsity: float, rng: np.random.Generator) -> list[np.ndarray]:
    """Per-layer masks that remove ``round(sparsity * n)`` weights chosen uniformly at random
    (the control for magnitude pruning)."""
    _check_sparsity(sparsity, "random_masks")
    out = []
    for W in weights:
        W = np.asarray(W)
        keep = np.ones(W.size, bool)
        keep[rng.permutation(W.size)[:int(round(float(sparsity) * W.size))]] = False
        out.append(keep.reshape(W.shape))
    return out


def apply_masks(weights, masks) -> list[np.ndarray]:
    """``W * mask`` for every layer (new arrays)."""
    if len(weights) != len(masks):
        raise ValueError(f"apply_masks: {len(weights)} weights but {len(masks)} masks")
    out = []
    for W, M in zip(weights, masks):
        if np.shape(W) != np.shape(M):
            raise ValueError(f"apply_masks: weight shape {np.shape(W)} != mask shape {np.shape(M)}")
        out.append(np.where(M, W, 0).astype(np.asarray(W).dtype))
    return out


def compressed_forward(layers, x, act):
    """Logits of an MLP whose layers are ``(W, b)`` (dense, ``z = W h + b``) or ``(A, B, b)`` (a
    low-rank factorised layer, ``z = A (B h) + b``: two linear maps, no nonlinearity between);
    ``act`` after every layer but the last. Engine tensors; x (N, in) -> (N, out)."""
    import dlproof
    import dlproof.nn.functional as F

    h = x if isinstance(x, dlproof.Tensor) else dlproof.tensor(x)
    for i, layer in enumerate(layers):
        if len(layer) == 2:
            z = F.linear(h, layer[0], layer[1])
        elif len(layer) == 3:
            z = F.linear(F.linear(h, layer[1]), layer[0], layer[2])
        else:
            raise ValueError(f"compressed_forward: layer {i} must be (W, b) or (A, B, b), "
                             f"got {len(layer)} tensors")
        h = z if i == len(layers) - 1 else act(z)
    return h


def finetune(layers, X, y, act, *, lr: float, epochs: int, batch: int, rng: np.random.Generator,
             momentum: float = 0.0, masks=None) -> list[float]:
    """Mini-batch SGD on the mean cross-entropy of :func:`compressed_forward` (every tensor of
    ``layers`` that requires grad is trained). ``masks``: one entry per layer, None or a keep-mask
    of that layer's W (dense layers only); the weight is masked once and every step masks its
    gradient, ``W <- W - lr (g * mask)``, so a pruned weight stays exactly 0, also with momentum
    (the velocity of a pruned weight never leaves 0). Biases are not pruned. Returns the
    full-data loss after each epoch (index 0 = before)."""
    import dlproof
    import dlproof.nn.functional as F
    from dlproof.optim import SGD

    masks = [None] * len(layers) if masks is None else list(masks)
    if len(masks) != len(layers):
        raise ValueError(f"finetune: {len(layers)} layers but {len(masks)} masks")
    for i, (layer, M) in enumerate(zip(layers, masks)):
        if M is None:
            continue
        if len(layer) != 2 or layer[0].data.shape != np.shape(M):
            raise ValueError(f"finetune: mask {i} of shape {np.shape(M)} does not fit layer {i} "
                             f"(a dense weight of shape {layer[0].data.shape if len(layer) == 2 else '-'})")
        layer[0].data[...] = layer[0].data * M

    def full():
        with dlproof.no_grad():
            return float(F.cross_entropy(compressed_forward(layers, X, act), y).item())

    opt = SGD([t for layer in layers for t in layer if t.requires_grad], lr=lr, momentum=momentum)
    losses = [full()]
    for _ in range(epochs):
        order = rng.permutation(len(X))
        for start in range(0, len(X), batch):  # loop over minibatches
            idx = order[start:start + batch]
            opt.zero_grad()
            F.cross_entropy(compressed_forward(layers, X[idx], act), y[idx]).backward()
            for layer, M in zip(layers, masks):
                if M is not None:
                    layer[0].grad = layer[0].grad * M  # g <- g * mask: no update reaches a pruned weight
            opt.step()
        losses.append(full())
    return losses


# ---------------------------------------------------------------------------------- quantisation
def quantize_uniform(W, bits: int) -> tuple[np.ndarray, np.ndarray, float]:
    """Symmetric per-tensor uniform quantisation to ``bits`` bits (2..16).

    Returns ``(W_hat, q, scale)``: integer codes ``q = round(W / scale)`` (round half to even) in
    ``[-(2^(bits-1) - 1), 2^(bits-1) - 1]`` with ``scale = max|W| / (2^(bits-1) - 1)``, and the
    dequantised weights ``W_hat = q * scale`` (W's dtype); ``|W - W_hat| <= scale / 2``.
    """
    W = np.asarray(W)
    if W.size == 0 or not np.all(np.isfinite(W)):
        raise ValueError("quantize_uniform: the weight must be non-empty and finite")
    if not isinstance(bits, (int, np.integer)) or not 2 <= bits <= 16:
        raise ValueError(f"quantize_uniform: bits must be an int in [2, 16], got {bits!r}")
    qmax = 2 ** (bits - 1) - 1
    peak = float(np.abs(W).max())
    scale = peak / qmax if peak > 0 else 1.0
    q = np.clip(np.rint(W / scale), -qmax, qmax).astype(np.int32)
    return (q * scale).astype(W.dtype), q, scale


def kmeans_share(W, k: int, iters: int = 300, init=None) -> tuple[np.ndarray, np.ndarray]:
    """Weight sharing by 1-D k-means (Lloyd's algorithm) on the entries of W (any shape).

    ``init`` (k,) are the starting centroids (default: linear, ``linspace(min W, max W, k)``, the
    initialisation Han et al. found best). Each iteration assigns every weight to its nearest
    centroid and moves each centroid to the mean of its weights (an empty cluster keeps its
    centroid); it stops when no assignment changes. Returns ``(centroids (k,), labels W.shape)``;
    the shared weights are ``centroids[labels]``.
    """
    W = np.asarray(W, dtype=np.float64)
    if W.size == 0 or not np.all(np.isfinite(W)):
        raise ValueError("kmeans_share: the weight must be non-empty and finite")
    if not isinstance(k, (int, np.integer)) or not 1 <= k <= W.size:
        raise ValueError(f"kmeans_share: k must be an int in [1, {W.size}], got {k!r}")
    w = W.ravel()
    c = np.linspace(w.min(), w.max(), k) if init is None else np.array(init, np.float64).ravel()
    if c.shape != (k,):
        raise ValueError(f"kmeans_share: init must have k = {k} centroids, got shape {np.shape(init)}")
    # In 1-D the nearest-centroid cells are intervals between the midpoints of the sorted
    # centroids, so on the sorted weights every cluster is a contiguous run: one binary search per
    # midpoint gives the runs, and prefix sums give the cluster sums (no (n, k) distance matrix).
    # Sorted centroids stay sorted (each mean lies in its own interval), so sorting once suffices.
    order = np.argsort(c, kind="stable")
    c = c[order]
    ws = np.sort(w)
    prefix = np.r_[0.0, np.cumsum(ws)]
    cuts = None
    for _ in range(iters):
        # E-step: cluster j gets mid_{j-1} < w <= mid_j (a weight on a midpoint goes to the lower
        # centroid, as argmin's first index does)
        new = np.r_[0, np.searchsorted(ws, (c[1:] + c[:-1]) / 2, side="right"), ws.size]
        if cuts is not None and np.array_equal(new, cuts):
            break
        cuts = new
        counts = np.diff(cuts)
        sums = prefix[cuts[1:]] - prefix[cuts[:-1]]
        c = np.where(counts > 0, sums / np.maximum(counts, 1), c)  # M-step: c_j = mean of cluster j
    labels = np.searchsorted((c[1:] + c[:-1]) / 2, w, side="left")  # the final assignment
    c_out = np.empty_like(c)
    c_out[order] = c  # back to the caller's centroid order
    labels = order[labels]
    return c_out, labels.reshape(W.shape)


# ---------------------------------------------------------------------------------- distillation
def _softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def distillation_loss(student_logits, teacher_logits, target, T: float = 4.0, alpha: float = 0.9,
                      reduction: str = "mean"):
    """Hinton et al.'s distillation loss (module docstring) on student logits (N, C) (an engine
    Tensor; the gradient flows into it), teacher logits (N, C) (constants: array or Tensor, no
    gradient) and integer labels (N,). ``reduction="none"`` returns the (N,) per-example losses.

    The KL term is computed as ``CE(p_T(t), s / T) - H(p_T(t))`` (cross-entropy with soft
    targets minus the teacher's entropy, a constant), so it is 0 when the student's softened
    distribution equals the teacher's.
    """
    import dlproof.nn.functional as F
    from dlproof.engine.tensor import as_tensor

    s = as_tensor(student_logits)
    t = teacher_logits.numpy() if hasattr(teacher_logits, "numpy") else np.asarray(teacher_logits)
    y = np.asarray(target)
    if s.ndim != 2 or t.shape != tuple(s.shape):
        raise ValueError(f"distillation_loss: student and teacher logits must both be (N, C); got "
                         f"{tuple(s.shape)} and {t.shape}")
    if (y.shape != (s.shape[0],) or not np.issubdtype(y.dtype, np.integer) or y.min() < 0
            or y.max() >= s.shape[1]):
        raise ValueError(f"distillation_loss: target must be (N,) = ({s.shape[0]},) class indices in "
                         f"[0, {s.shape[1]}), got shape {y.shape} dtype {y.dtype}")
    if not T > 0:
        raise ValueError(f"distillation_loss: temperature T must be > 0, got {T!r}")
    if not 0.0 <= alpha <= 1.0:
        raise ValueError(f"distillation_loss: alpha must be in [0, 1], got {alpha!r}")
    if reduction not in ("mean", "none"):
        raise ValueError(f"distillation_loss: reduction must be 'mean' or 'none', got {reduction!r}")
    p_t = _softmax(t.astype(np.float64) / T).astype(t.dtype if t.dtype.kind == "f" else np.float64)
    entropy = -(p_t * np.log(np.clip(p_t, 1e-300, None))).sum(1)  # H(p_T(t)), a constant per example
    kl = F.cross_entropy(s / T, p_t, reduction="none") - as_tensor(entropy.astype(p_t.dtype))
    hard = F.cross_entropy(s, y, reduction="none")
    # dL/ds = alpha T (p_T(s) - p_T(t)) + (1 - alpha)(softmax(s) - onehot(y)), from autograd
    per = kl * (alpha * T * T) + hard * (1.0 - alpha)
    return per.mean() if reduction == "mean" else per


# ---------------------------------------------------------------------------------- counts
def conv_params(c_in: int, c_out: int, k: int, groups: int = 1, bias: bool = True) -> int:
    """Parameters of a k x k conv: ``k^2 (c_in / groups) c_out`` weights (+ c_out biases)."""
    if min(c_in, c_out, k, groups) < 1 or c_in % groups or c_out % groups:
        raise ValueError(f"conv_params: need positive sizes with groups dividing c_in and c_out, got "
                         f"c_in={c_in}, c_out={c_out}, k={k}, groups={groups}")
    return k * k * (c_in // groups) * c_out + (c_out if bias else 0)


def separable_conv_params(c_in: int, c_out: int, k: int, bias: bool = True) -> int:
    """Depthwise k x k (``k^2 c_in``) plus pointwise 1x1 (``c_in c_out``) weights (+ c_in + c_out
    biases). Weight ratio to a standard conv: ``1/c_out + 1/k^2``."""
    return conv_params(c_in, c_in, k, c_in, bias) + conv_params(c_in, c_out, 1, 1, bias)


def bottleneck_params(c: int, r: int, k: int, bias: bool = True) -> int:
    """1x1 reduction c -> r, k x k conv r -> r, 1x1 expansion r -> c (the ResNet bottleneck):
    ``c r + k^2 r^2 + r c`` weights (+ biases), against ``k^2 c^2`` for one k x k conv c -> c."""
    return conv_params(c, r, 1, 1, bias) + conv_params(r, r, k, 1, bias) + conv_params(r, c, 1, 1, bias)
