# ruff: noqa: E501  (bilingual claim statements are long text)
"""What convolution is: the same 2-D operation computed three ways and checked against SciPy.

1. direct (a loop over the K x K kernel offsets, each a whole-image slice: no loop over pixels),
   im2col + one matrix product, and FFT (the convolution theorem, zero-padded to the full size);
2. ``dlproof.nn.functional.conv2d`` is cross-correlation (no flip): it equals
   ``scipy.signal.correlate2d`` and equals ``convolve2d`` only with the kernel flipped;
3. true convolution commutes, cross-correlation does not;
4. convolution is a linear map: its explicit (doubly block-Toeplitz) matrix for a 6x6 input, built
   by convolving the 36 basis images in one batch, is sparse with only K^2 distinct values;
5. backprop through a correlation layer is a convolution: dL/dx = full convolution of the upstream
   gradient with the kernel, dL/dK = valid correlation of the input with the upstream gradient.
"""

from __future__ import annotations

import time

import numpy as np
from scipy import signal

from dlproof.data import digits
from dlproof.engine import tensor
from dlproof.experiments.figures import new_figure
from dlproof.experiments.registry import Report, RunConfig, experiment


def corr_direct(x: np.ndarray, k: np.ndarray) -> np.ndarray:
    """Valid cross-correlation S[i, j] = sum_{m, n} x[i + m, j + n] k[m, n] (loop over the kernel only)."""
    H, W = x.shape
    kh, kw = k.shape
    out = np.zeros((H - kh + 1, W - kw + 1))
    for m in range(kh):
        for n in range(kw):
            out += k[m, n] * x[m:m + H - kh + 1, n:n + W - kw + 1]
    return out


def corr_im2col(x: np.ndarray, k: np.ndarray) -> np.ndarray:
    """Valid cross-correlation as one matrix product: patches (out_pixels, K*K) @ vec(k)."""
    cols = np.lib.stride_tricks.sliding_window_view(x, k.shape)  # (Ho, Wo, kh, kw), a view
    Ho, Wo = cols.shape[:2]
    return (cols.reshape(Ho * Wo, -1) @ k.ravel()).reshape(Ho, Wo)


def conv_full_fft(x: np.ndarray, k: np.ndarray) -> np.ndarray:
    """Full (true, flipped) convolution by the convolution theorem, zero-padded to H+K-1."""
    shape = (x.shape[0] + k.shape[0] - 1, x.shape[1] + k.shape[1] - 1)
    return np.fft.irfft2(np.fft.rfft2(x, shape) * np.fft.rfft2(k, shape), shape)


def corr_fft(x: np.ndarray, k: np.ndarray) -> np.ndarray:
    """Valid cross-correlation = valid part of the convolution with the flipped kernel."""
    kh, kw = k.shape
    full = conv_full_fft(x, k[::-1, ::-1])
    return full[kh - 1:x.shape[0], kw - 1:x.shape[1]]


def conv_full_direct(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Full true convolution (a * b)[i, j] = sum a[m, n] b[i - m, j - n], loop over b's entries."""
    out = np.zeros((a.shape[0] + b.shape[0] - 1, a.shape[1] + b.shape[1] - 1))
    for m in range(b.shape[0]):
        for n in range(b.shape[1]):
            out[m:m + a.shape[0], n:n + a.shape[1]] += b[m, n] * a
    return out


def ours(x: np.ndarray, k: np.ndarray) -> np.ndarray:
    import dlproof.nn.functional as F

    return F.conv2d(tensor(x[None, None]), tensor(k[None, None])).data[0, 0]


@experiment(
    "convolution-three-ways",
    questions=["convolution-operation"],
    title_en="Convolution: direct, im2col and FFT; cross-correlation vs convolution; the Toeplitz matrix",
    title_zh="卷积：直接计算、im2col 与 FFT；互相关与卷积；Toeplitz 矩阵",
)
def run(cfg: RunConfig, report: Report) -> None:
    import dlproof.nn.functional as F

    rng = cfg.rng(0)
    n_trials = cfg.pick(10, 40)

    # (1) three implementations against scipy, (2) flip relation --------------------------------
    err_impl, err_ours, err_flip, rel_noflip, comm_conv, comm_corr = [], [], [], [], [], []
    for _ in range(n_trials):
        H = int(rng.integers(8, 33))
        K = int(rng.choice([3, 5, 7]))
        x = rng.standard_normal((H, H))
        k = rng.standard_normal((K, K))
        ref = signal.correlate2d(x, k, mode="valid")
        err_impl.append(max(np.abs(f(x, k) - ref).max() for f in (corr_direct, corr_im2col, corr_fft)))
        o = ours(x, k)
        err_ours.append(np.abs(o - ref).max())
        err_flip.append(np.abs(ours(x, k[::-1, ::-1]) - signal.convolve2d(x, k, mode="valid")).max())
        conv_ref = signal.convolve2d(x, k, mode="valid")
        rel_noflip.append(np.linalg.norm(o - conv_ref) / np.linalg.norm(conv_ref))
        comm_conv.append(np.abs(conv_full_direct(x, k) - conv_full_direct(k, x)).max())
        a, b = signal.correlate2d(x, k, mode="full"), signal.correlate2d(k, x, mode="full")
        comm_corr.append(np.linalg.norm(a - b) / np.linalg.norm(a))
    report.claim(
        "three-implementations-agree",
        en=f"Direct (loop over kernel offsets), im2col + matmul and FFT (convolution theorem, zero-padded) "
           f"cross-correlation agree with scipy.signal.correlate2d on {n_trials} random images (8–32 px) and "
           "kernels (3, 5, 7): largest absolute difference, float64.",
        zh=f"直接法（对卷积核偏移循环）、im2col + 矩阵乘法、FFT（卷积定理，补零）三种互相关实现，在 {n_trials} 个随机图像（8–32 像素）"
           "和卷积核（3、5、7）上与 scipy.signal.correlate2d 一致：最大绝对差，float64。",
        value=float(max(err_impl)), op="<", threshold=1e-10, expression="max |impl − correlate2d|")
    report.claim(
        "library-conv-is-cross-correlation",
        en="Our F.conv2d (like PyTorch's) computes cross-correlation: it equals correlate2d (no kernel flip).",
        zh="我们的 F.conv2d（与 PyTorch 一样）计算的是互相关：与 correlate2d 相同（不翻转卷积核）。",
        value=float(max(err_ours)), op="<", threshold=1e-10, expression="max |conv2d(x, k) − correlate2d(x, k)|")
    report.claim(
        "flipped-kernel-gives-convolution",
        en="With the kernel flipped in both axes, F.conv2d equals the true convolution scipy.signal.convolve2d.",
        zh="把卷积核在两个方向上翻转后，F.conv2d 等于真正的卷积 scipy.signal.convolve2d。",
        value=float(max(err_flip)), op="<", threshold=1e-10, expression="max |conv2d(x, flip k) − convolve2d(x, k)|")
    report.claim(
        "correlation-differs-from-convolution",
        en="For a random (asymmetric) kernel, cross-correlation and convolution give different maps: the "
           "smallest relative difference ||corr − conv|| / ||conv|| over the trials is large.",
        zh="对随机（非对称）卷积核，互相关与卷积的结果不同：各次试验中相对差 ||corr − conv|| / ||conv|| 的最小值很大。",
        value=float(min(rel_noflip)), op=">", threshold=0.3, expression="min ||corr − conv|| / ||conv||")
    report.claim(
        "convolution-commutes",
        en="True (flipped) convolution is commutative, x ∗ k = k ∗ x (full mode, largest absolute difference).",
        zh="真正的（翻转的）卷积满足交换律 x ∗ k = k ∗ x（full 模式，最大绝对差）。",
        value=float(max(comm_conv)), op="<", threshold=1e-10, expression="max |x ∗ k − k ∗ x|")
    report.claim(
        "correlation-does-not-commute",
        en="Cross-correlation is not commutative: corr(x, k) and corr(k, x) are each other's 180° rotations, "
           "so they differ (smallest relative difference over the trials).",
        zh="互相关不满足交换律：corr(x, k) 与 corr(k, x) 互为 180° 旋转，因而不同（各次试验中的最小相对差）。",
        value=float(min(comm_corr)), op=">", threshold=0.3, expression="min ||corr(x,k) − corr(k,x)|| / ||corr(x,k)||")
    report.progress(0.3, "implementations")

    # (3) the explicit matrix of a 3x3 convolution on a 6x6 input ---------------------------------
    k3 = rng.standard_normal((3, 3))
    basis = np.eye(36).reshape(36, 1, 6, 6)
    cols = F.conv2d(tensor(basis), tensor(k3[None, None])).data.reshape(36, 16)  # column j = conv(e_j)
    M = cols.T  # (16 outputs, 36 inputs)
    x6 = rng.standard_normal((6, 6))
    mat_err = float(np.abs(M @ x6.ravel() - ours(x6, k3).ravel()).max())
    nnz_row = np.count_nonzero(M, axis=1)
    frac = np.count_nonzero(M) / M.size
    distinct = len(np.unique(M[M != 0]))
    report.metric("toeplitz_nonzero_fraction", frac)
    report.metric("toeplitz_distinct_values", distinct)
    report.claim(
        "conv-is-a-matrix",
        en="A 3×3 convolution on a 6×6 input is multiplication by a 16×36 matrix (built by convolving the 36 "
           "basis images): M·vec(x) equals conv2d(x) (largest absolute difference).",
        zh="6×6 输入上的 3×3 卷积就是乘以一个 16×36 的矩阵（对 36 个基图像做卷积得到）：M·vec(x) 等于 conv2d(x)（最大绝对差）。",
        value=mat_err, op="<", threshold=1e-12, expression="max |M vec(x) − conv2d(x)|")
    report.claim(
        "toeplitz-sparse",
        en="The matrix is sparse: every row has exactly K² = 9 nonzeros out of 36, a nonzero fraction of 9/36 = 0.25.",
        zh="这个矩阵是稀疏的：每行 36 个元素中恰好有 K² = 9 个非零，非零比例为 9/36 = 0.25。",
        value=float(frac) if np.all(nnz_row == 9) else 1.0, op="==", threshold=0.25, expression="nonzero fraction (all rows 9 nonzeros)")
    report.claim(
        "toeplitz-weight-sharing",
        en="Parameter sharing: its 144 nonzero entries take only K² = 9 distinct values (the kernel), "
           "against 16·36 = 576 free weights in a dense layer.",
        zh="参数共享：144 个非零元素只有 K² = 9 个不同的值（就是卷积核），而全连接层有 16·36 = 576 个自由权重。",
        value=float(distinct), op="==", threshold=9.0, expression="distinct nonzero values")

    # (4) backprop of a correlation layer is a convolution -----------------------------------------
    x = rng.standard_normal((12, 12))
    k = rng.standard_normal((3, 3))
    g = rng.standard_normal((10, 10))  # random upstream gradient
    xt = tensor(x[None, None], requires_grad=True)
    kt = tensor(k[None, None], requires_grad=True)
    (F.conv2d(xt, kt) * tensor(g[None, None])).sum().backward()
    gx_err = float(np.abs(xt.grad[0, 0] - signal.convolve2d(g, k, mode="full")).max())
    gk_err = float(np.abs(kt.grad[0, 0] - signal.correlate2d(x, g, mode="valid")).max())
    report.claim(
        "backward-is-full-convolution",
        en="Backprop through y = corr(x, k): ∂L/∂x is the full convolution of the upstream gradient with k "
           "(flipped kernel), and ∂L/∂k is the valid correlation of x with the upstream gradient (largest "
           "difference of either from the engine's gradients).",
        zh="对 y = corr(x, k) 反向传播：∂L/∂x 是上游梯度与 k 的 full 卷积（翻转卷积核），∂L/∂k 是 x 与上游梯度的 valid 互相关"
           "（两者与引擎梯度的最大差）。",
        value=max(gx_err, gk_err), op="<", threshold=1e-10, expression="max(|∂x − conv_full(g, k)|, |∂k − corr(x, g)|)")
    report.progress(0.5, "matrix and backward")

    # figures: Toeplitz pattern, Sobel edges, timing against kernel size -------------------------
    X, y = digits(standardize=False)
    img = np.kron(X[0].reshape(8, 8), np.ones((4, 4)))  # a 32x32 digit
    sobel_x = np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], float)
    gx = ours(img, sobel_x)
    gy = ours(img, sobel_x.T)
    fig, ax = new_figure(1, 4, size=(12, 3))
    ax[0].imshow(M != 0, cmap="Greys", interpolation="nearest")
    ax[0].set_title("3×3 conv on 6×6: 16×36 matrix")
    ax[1].imshow(img, cmap="gray")
    ax[1].set_title(f"digit {y[0]}")
    ax[2].imshow(gx, cmap="RdBu")
    ax[2].set_title("Sobel x (vertical edges)")
    ax[3].imshow(gy, cmap="RdBu")
    ax[3].set_title("Sobel y (horizontal edges)")
    for a in ax:
        a.set_xticks([])
        a.set_yticks([])
    report.figure(
        "toeplitz-sobel", fig,
        en="Left: nonzero pattern of the matrix of a 3×3 convolution on a 6×6 input (16 outputs × 36 inputs): "
           "banded, 9 nonzeros per row, the same 9 values in every row. Right: a digit and its Sobel "
           "edge maps computed with F.conv2d.",
        zh="左：6×6 输入上 3×3 卷积对应矩阵的非零模式（16 个输出 × 36 个输入）：带状，每行 9 个非零，每行都是同样的 9 个值。"
           "右：一个数字及用 F.conv2d 计算的 Sobel 边缘图。")

    if cfg.full:
        H = 128
        xb = rng.standard_normal((H, H))
        ks = [3, 5, 9, 15, 21, 31]
        times = {"direct": [], "im2col": [], "FFT": []}
        for K in ks:
            kk = rng.standard_normal((K, K))
            for name, f in (("direct", corr_direct), ("im2col", corr_im2col), ("FFT", corr_fft)):
                t0 = time.perf_counter()
                for _ in range(3):
                    f(xb, kk)
                times[name].append((time.perf_counter() - t0) / 3)
        fig, ax = new_figure(1, 1, size=(4.6, 3.4))
        for name, ts in times.items():
            ax.loglog(ks, ts, "o-", label=name)
        ax.set_xlabel("kernel size K")
        ax.set_ylabel("seconds per 128×128 correlation")
        ax.legend()
        report.table("timing", ["K"] + list(times), [[K] + [f"{times[n][i]:.2e}" for n in times] for i, K in enumerate(ks)])
        report.figure(
            "timing", fig,
            en="Time of one 128×128 valid cross-correlation against kernel size (NumPy, this machine): direct "
               "and im2col grow roughly like K², FFT much more slowly (its cost is set by the padded image size), so FFT wins for large kernels.",
            zh="一次 128×128 valid 互相关的耗时随卷积核大小的变化（NumPy，本机）：直接法与 im2col 大致按 K² 增长，"
               "FFT 增长慢得多（代价主要由补零后的图像大小决定），所以大卷积核时 FFT 更快。")
    report.progress(1.0, "done")
