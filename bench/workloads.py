"""The benchmark workloads: the same computation written once, run on dlproof and on PyTorch.

Every workload goes through the *public* API of each library (``nn`` modules, ``nn.functional``,
``optim.SGD``, ``Tensor.backward``); the model-building code is shared by both sides (it receives
the ``nn`` module of one library), so the two sides do the same work by construction. Weights are
created by PyTorch (``torch.manual_seed``) and copied into dlproof, inputs come from one NumPy
generator, and :func:`check` compares the two sides once in float64 before anything is timed.

A workload is a :class:`Workload` (name, dtype, target ratio, what it needs from dlproof) whose
``build(dtype, tiny)`` returns a :class:`Case`: one zero-argument step per library and a function
per library that reads back the numbers to compare (loss/outputs, gradients, updated parameters).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

SEED = 1234


# ------------------------------------------------------------------------------------ plumbing
@dataclass
class Case:
    dl_step: Callable[[], object]
    torch_step: Callable[[], object]
    dl_state: Callable[[], dict]
    torch_state: Callable[[], dict]
    ops_per_call: int | None = None  # graph ops per step, to report µs per op


@dataclass
class Workload:
    name: str
    title: str
    dtype: str  # "float32" | "float64"
    target: float | None  # dlproof/torch ratio to stay at or below
    build: Callable[[str, bool], Case] = field(repr=False)
    needs: tuple[str, ...] = ()  # dotted names under ``dlproof`` this workload needs
    note: str = ""


class Missing(Exception):
    """dlproof does not (yet) provide something this workload needs."""


def missing_features(needs: tuple[str, ...]) -> list[str]:
    """The entries of ``needs`` (``"nn.LSTM"``, ``"nn.functional.lstm"``) dlproof lacks."""
    out = []
    for dotted in needs:
        parts = dotted.split(".")
        obj = None
        # longest importable module prefix, then attributes
        for cut in range(len(parts), -1, -1):
            modname = ".".join(["dlproof", *parts[:cut]])
            try:
                obj = importlib.import_module(modname)
            except ImportError:
                continue
            try:
                for attr in parts[cut:]:
                    obj = getattr(obj, attr)
            except AttributeError:
                obj = None
            break
        if obj is None:
            out.append("dlproof." + dotted)
    return out


def _libs(nn: bool = True):
    """(dlproof, dlproof.nn, dlproof.nn.functional, torch); the nn pair is None if not ``nn``."""
    import torch

    import dlproof

    if not nn:
        return dlproof, None, None, torch
    import dlproof.nn as dnn
    import dlproof.nn.functional as DF

    return dlproof, dnn, DF, torch


def _np(x) -> np.ndarray:
    """A NumPy copy of a torch tensor, a dlproof Tensor, or an array."""
    if x is None:
        return None
    if isinstance(x, np.ndarray):
        return x.copy()
    if type(x).__module__.startswith("torch"):
        return x.detach().cpu().numpy().copy()
    data = getattr(x, "data", x)
    return np.array(data, copy=True)


def _torch_dtype(torch, dtype: str):
    return {"float32": torch.float32, "float64": torch.float64}[dtype]


def _named_params(module) -> list:
    if hasattr(module, "named_parameters"):
        return list(module.named_parameters())
    return [(str(i), p) for i, p in enumerate(module.parameters())]


def copy_weights(torch_module, dl_module, dtype: str) -> list[str]:
    """Copy every parameter of ``torch_module`` into ``dl_module`` (by name, else by order).

    Returns the parameter names (PyTorch's), in dlproof's order.
    """
    tps = _named_params(torch_module)
    dps = _named_params(dl_module)
    if len(tps) != len(dps):
        raise ValueError(
            f"parameter count differs: torch {[n for n, _ in tps]} vs dlproof {[n for n, _ in dps]}"
        )
    tmap = dict(tps)
    by_name = {n for n, _ in dps} == set(tmap)
    names = []
    for i, (dname, dp) in enumerate(dps):
        tname, tp = (dname, tmap[dname]) if by_name else tps[i]
        arr = tp.detach().cpu().numpy().astype(dtype, copy=True)
        if tuple(dp.data.shape) != arr.shape:
            raise ValueError(f"shape of {dname}: dlproof {dp.data.shape} vs torch {arr.shape}")
        dp.data = arr
        names.append(tname)
    return names


def _grads(module, names, prefix="grad.") -> dict:
    return {prefix + n: _np(p.grad) for n, (_, p) in zip(names, _named_params(module))}


def _params(module, names, prefix="param.") -> dict:
    return {prefix + n: _np(p) for n, (_, p) in zip(names, _named_params(module))}


def _torch_names(module) -> list[str]:
    return [n for n, _ in module.named_parameters()]


# --------------------------------------------------------------------------- train-step models
def make_mlp(nn, d_in: int, hidden: int, classes: int):
    return nn.Sequential(nn.Linear(d_in, hidden), nn.ReLU(), nn.Linear(hidden, classes))


def make_lenet8(nn, F, c1: int = 16, c2: int = 32, fc: int = 64, classes: int = 10, hw: int = 8):
    """LeNet-like net for 1x8x8 digits (sklearn's ``load_digits`` size).

    conv3x3(1->c1, pad 1) - ReLU - maxpool2 (8->4) - conv3x3(c1->c2, pad 1) - ReLU - maxpool2
    (4->2) - flatten (c2*2*2) - Linear(fc) - ReLU - Linear(classes). Two 2x2 pools are all an 8x8
    image affords (a third would reach 1x1); padding 1 keeps the 3x3 convs from eating the border.
    """

    class LeNet8(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(1, c1, 3, padding=1)
            self.conv2 = nn.Conv2d(c1, c2, 3, padding=1)
            self.fc1 = nn.Linear(c2 * (hw // 4) ** 2, fc)
            self.fc2 = nn.Linear(fc, classes)

        def forward(self, x):
            x = F.max_pool2d(F.relu(self.conv1(x)), 2)
            x = F.max_pool2d(F.relu(self.conv2(x)), 2)
            x = x.reshape(x.shape[0], -1)
            return self.fc2(F.relu(self.fc1(x)))

    return LeNet8()


def _train_case(dtype: str, make_model, x_shape, classes: int, lr: float = 0.05) -> Case:
    """One SGD train step: ``zero_grad``; ``cross_entropy(model(x), y).backward()``; ``step``."""
    dlproof, dnn, DF, torch = _libs()
    import dlproof.optim as doptim

    rng = np.random.default_rng(SEED)
    x = rng.standard_normal(x_shape).astype(dtype)
    y = rng.integers(0, classes, size=x_shape[0]).astype(np.int64)

    torch.manual_seed(SEED)
    tmodel = make_model(torch.nn, torch.nn.functional).to(_torch_dtype(torch, dtype))
    dmodel = make_model(dnn, DF)
    names = copy_weights(tmodel, dmodel, dtype)

    def step_fn(model, F, opt, X, Y, holder):
        def step():
            opt.zero_grad()
            loss = F.cross_entropy(model(X), Y)
            loss.backward()
            opt.step()
            holder["loss"] = loss

        return step

    dh, th = {}, {}
    dopt = doptim.SGD(dmodel.parameters(), lr=lr)
    topt = torch.optim.SGD(tmodel.parameters(), lr=lr)
    dl_step = step_fn(dmodel, DF, dopt, dlproof.tensor(x), dlproof.tensor(y), dh)
    torch_step = step_fn(tmodel, torch.nn.functional, topt, torch.from_numpy(x.copy()),
                         torch.from_numpy(y.copy()), th)

    def state(model, holder, nms):
        return {"loss": _np(holder["loss"]), **_grads(model, nms), **_params(model, nms)}

    return Case(dl_step, torch_step, lambda: state(dmodel, dh, names),
                lambda: state(tmodel, th, _torch_names(tmodel)))


# -------------------------------------------------------------------------- single-layer cases
def _layer_case(dtype: str, make_layer, x_shape, call, positive_ties: bool = False) -> Case:
    """Forward + backward of one module with a random upstream gradient (never all ones).

    ``call(module, x)`` returns the output tensor. Gradients of the input and of every parameter
    are reset (``grad = None``) before each step so nothing accumulates across calls.
    """
    dlproof, dnn, DF, torch = _libs()
    rng = np.random.default_rng(SEED)
    x = rng.standard_normal(x_shape).astype(dtype)
    if positive_ties:  # ReLU'd input: many tied zeros in pooling windows (first max must win)
        np.maximum(x, 0, out=x)

    torch.manual_seed(SEED)
    tlayer = make_layer(torch.nn)
    tlayer = tlayer.to(_torch_dtype(torch, dtype))
    dlayer = make_layer(dnn)
    names = copy_weights(tlayer, dlayer, dtype)
    tnames = _torch_names(tlayer)

    probe = call(tlayer, torch.from_numpy(x.copy()))
    g = rng.standard_normal(tuple(probe.shape)).astype(dtype)

    tx = torch.from_numpy(x.copy()).requires_grad_(True)
    dx = dlproof.tensor(x.copy(), requires_grad=True)
    tg = torch.from_numpy(g.copy())
    dg = g.copy()
    tparams = list(tlayer.parameters())
    dparams = list(dlayer.parameters())
    th, dh = {}, {}

    def dl_step():
        dx.grad = None
        for p in dparams:
            p.grad = None
        out = call(dlayer, dx)
        out.backward(dg)
        dh["out"] = out

    def torch_step():
        tx.grad = None
        for p in tparams:
            p.grad = None
        out = call(tlayer, tx)
        out.backward(tg)
        th["out"] = out

    def dl_state():
        return {"out": _np(dh["out"]), "grad.input": _np(dx.grad), **_grads(dlayer, names)}

    def torch_state():
        return {"out": _np(th["out"]), "grad.input": _np(tx.grad), **_grads(tlayer, tnames)}

    return Case(dl_step, torch_step, dl_state, torch_state)


def _first(out):
    return out[0] if isinstance(out, tuple | list) else out


# ------------------------------------------------------------------------------------ builders
def build_mlp(d_in: int):
    def build(dtype: str, tiny: bool) -> Case:
        if tiny:
            return _train_case(dtype, lambda nn, F: make_mlp(nn, min(d_in, 16), 8, 4), (8, min(d_in, 16)), 4)
        return _train_case(dtype, lambda nn, F: make_mlp(nn, d_in, 256, 10), (128, d_in), 10)

    return build


def build_lenet8(dtype: str, tiny: bool) -> Case:
    if tiny:
        return _train_case(dtype, lambda nn, F: make_lenet8(nn, F, 2, 3, 4, 3), (4, 1, 8, 8), 3)
    return _train_case(dtype, lambda nn, F: make_lenet8(nn, F), (128, 1, 8, 8), 10)


def build_conv2d(dtype: str, tiny: bool) -> Case:
    n, cin, cout, hw = (2, 2, 3, 6) if tiny else (32, 16, 32, 28)
    return _layer_case(dtype, lambda nn: nn.Conv2d(cin, cout, 3, padding=1), (n, cin, hw, hw),
                       lambda m, x: m(x))


def build_maxpool(dtype: str, tiny: bool) -> Case:
    n, c, hw = (2, 3, 6) if tiny else (32, 32, 28)
    return _layer_case(dtype, lambda nn: nn.MaxPool2d(2), (n, c, hw, hw), lambda m, x: m(x),
                       positive_ties=True)


def build_lstm(dtype: str, tiny: bool) -> Case:
    t, b, i, h = (4, 3, 5, 6) if tiny else (50, 64, 32, 128)
    return _layer_case(dtype, lambda nn: nn.LSTM(i, h), (t, b, i), lambda m, x: _first(m(x)))


def build_gru(dtype: str, tiny: bool) -> Case:
    t, b, i, h = (4, 3, 5, 6) if tiny else (50, 64, 32, 128)
    return _layer_case(dtype, lambda nn: nn.GRU(i, h), (t, b, i), lambda m, x: _first(m(x)))


def build_encoder_layer(dtype: str, tiny: bool) -> Case:
    """One post-norm TransformerEncoderLayer (self-attention + ReLU feed-forward, dropout 0)."""
    b, t, d, heads, ff = (2, 5, 8, 2, 16) if tiny else (32, 64, 128, 4, 512)
    return _layer_case(
        dtype, lambda nn: nn.TransformerEncoderLayer(d, heads, dim_feedforward=ff, dropout=0.0),
        (t, b, d), lambda m, x: m(x),
    )


def build_mha(dtype: str, tiny: bool) -> Case:
    b, t, d, heads = (2, 5, 8, 2) if tiny else (32, 64, 128, 4)
    # (T, B, E) layout, PyTorch's default (batch_first=False); self-attention q = k = v = x
    return _layer_case(dtype, lambda nn: nn.MultiheadAttention(d, heads), (t, b, d),
                       lambda m, x: _first(m(x, x, x, need_weights=False)))


CHAIN_STEPS = 333  # 333 x (mul, add, tanh) + the final sum = 1,000 ops


def build_chain(dtype: str, tiny: bool) -> Case:
    """``y = tanh(y * w + b)`` repeated on 10-element tensors; ``w`` and ``b`` are leaves."""
    dlproof, _, _, torch = _libs(nn=False)
    steps = 5 if tiny else CHAIN_STEPS
    rng = np.random.default_rng(SEED)
    y0 = rng.standard_normal(10).astype(dtype)
    w0 = (0.5 + 0.5 * rng.random(10)).astype(dtype)
    b0 = (0.1 * rng.standard_normal(10)).astype(dtype)

    def make(lib, leaf):
        w, b, y_init = leaf(w0), leaf(b0), lib.tensor(y0.copy())
        holder = {}

        def step():
            w.grad = None
            b.grad = None
            y = y_init
            for _ in range(steps):
                y = (y * w + b).tanh()
            loss = y.sum()
            loss.backward()
            holder["loss"] = loss

        def state():
            return {"loss": _np(holder["loss"]), "grad.w": _np(w.grad), "grad.b": _np(b.grad)}

        return step, state

    dl_step, dl_state = make(dlproof, lambda a: dlproof.tensor(a.copy(), requires_grad=True))
    torch_step, torch_state = make(
        torch, lambda a: torch.from_numpy(a.copy()).requires_grad_(True)
    )
    return Case(dl_step, torch_step, dl_state, torch_state, ops_per_call=3 * steps + 1)


def build_ce(batch: int, classes: int):
    def build(dtype: str, tiny: bool) -> Case:
        dlproof, _, DF, torch = _libs()
        bsz, c = (4, 3) if tiny else (batch, classes)
        rng = np.random.default_rng(SEED)
        z = rng.standard_normal((bsz, c)).astype(dtype)
        y = rng.integers(0, c, size=bsz).astype(np.int64)

        def make(F, leaf, target):
            logits = leaf(z)
            holder = {}

            def step():
                logits.grad = None
                loss = F.cross_entropy(logits, target)
                loss.backward()
                holder["loss"] = loss

            def state():
                return {"loss": _np(holder["loss"]), "grad.logits": _np(logits.grad)}

            return step, state

        dl_step, dl_state = make(
            DF, lambda a: dlproof.tensor(a.copy(), requires_grad=True), dlproof.tensor(y.copy())
        )
        torch_step, torch_state = make(
            torch.nn.functional,
            lambda a: torch.from_numpy(a.copy()).requires_grad_(True),
            torch.from_numpy(y.copy()),
        )
        return Case(dl_step, torch_step, dl_state, torch_state)

    return build


class _ReplayUniforms:
    """Stands in for a ``numpy.random.Generator`` whose ``random(shape)`` calls return pre-drawn
    uniforms, in a fixed cycle: both libraries then threshold the *same* numbers, so even the
    Bernoulli samples of a Gibbs step compare exactly in the parity check."""

    def __init__(self, arrays):
        self.arrays, self.i = list(arrays), 0

    def random(self, shape):
        u = self.arrays[self.i % len(self.arrays)]
        self.i += 1
        if tuple(u.shape) != tuple(shape):
            raise ValueError(f"replayed uniforms have shape {u.shape}, the caller asked {shape}")
        return u


def build_rbm(dtype: str, tiny: bool, dl_uniform_seed: int | None = None) -> Case:
    """One CD-1 step of a Bernoulli RBM (``dlproof.models.rbm.RBM.cd_gradient`` with k = 1, then
    ``apply_gradient``), against the same step in plain torch ops.

    h ~ p(h|v) by ``u1 < sigmoid(v W^T + c)``, v' ~ p(v|h) by ``u2 < sigmoid(h W + b)`` with
    shared pre-drawn uniforms u1 (N, H), u2 (N, V); dW = (p(h|v)^T v - p(h|v')^T v') / N,
    db = mean(v - v'), dc = mean(p(h|v) - p(h|v')); W += lr dW, b += lr db, c += lr dc.
    ``dl_uniform_seed`` (a negative control for the tests) gives dlproof other uniforms.
    """
    import torch

    from dlproof.models.rbm import RBM

    n, nv, nh = (4, 6, 5) if tiny else (64, 784, 256)
    lr = 0.05
    rng = np.random.default_rng(SEED)
    v = (rng.random((n, nv)) < 0.3).astype(dtype)        # binary data, ~30% ones (like MNIST)
    W0 = (0.1 * rng.standard_normal((nh, nv))).astype(dtype)
    b0 = (0.1 * rng.standard_normal(nv)).astype(dtype)
    c0 = (0.1 * rng.standard_normal(nh)).astype(dtype)
    u_h, u_v = rng.random((n, nh)).astype(dtype), rng.random((n, nv)).astype(dtype)

    rbm = RBM(nv, nh, W=W0.copy(), b=b0.copy(), c=c0.copy(), dtype=np.dtype(dtype).type)
    if dl_uniform_seed is None:
        replay = _ReplayUniforms([u_h, u_v])
    else:
        other = np.random.default_rng(dl_uniform_seed)
        replay = _ReplayUniforms([other.random(u.shape).astype(dtype) for u in (u_h, u_v)])
    dh: dict = {}

    def dl_step():
        grads, _ = rbm.cd_gradient(v, 1, replay)
        rbm.apply_gradient(grads, lr)
        dh["grads"] = grads

    tv, tW, tb, tc = (torch.from_numpy(a.copy()) for a in (v, W0, b0, c0))
    tuh, tuv = torch.from_numpy(u_h.copy()), torch.from_numpy(u_v.copy())
    th: dict = {}

    def torch_step():
        with torch.no_grad():
            ph = torch.sigmoid(torch.addmm(tc, tv, tW.t()))        # p(h | v)       (N, H)
            h = (tuh < ph).to(tv.dtype)
            pv = torch.sigmoid(torch.addmm(tb, h, tW))              # p(v | h)       (N, V)
            vn = (tuv < pv).to(tv.dtype)
            phn = torch.sigmoid(torch.addmm(tc, vn, tW.t()))        # p(h | v')      (N, H)
            dW = (ph.t() @ tv - phn.t() @ vn) / n
            db = (tv - vn).mean(0)
            dc = (ph - phn).mean(0)
            tW.add_(dW, alpha=lr)
            tb.add_(db, alpha=lr)
            tc.add_(dc, alpha=lr)
            th["grads"] = (dW, db, dc)

    def dl_state():
        dW, db, dc = dh["grads"]
        return {"grad.W": _np(dW), "grad.b": _np(db), "grad.c": _np(dc), "param.W": _np(rbm.W),
                "param.b": _np(rbm.b), "param.c": _np(rbm.c)}

    def torch_state():
        dW, db, dc = th["grads"]
        return {"grad.W": _np(dW), "grad.b": _np(db), "grad.c": _np(dc), "param.W": _np(tW),
                "param.b": _np(tb), "param.c": _np(tc)}

    return Case(dl_step, torch_step, dl_state, torch_state)


# ------------------------------------------------------------------------------------ registry
_TRAIN = ("nn.Module", "nn.Linear", "nn.ReLU", "nn.Sequential", "nn.functional.cross_entropy",
          "optim.SGD")
_LENET = ("nn.Module", "nn.Linear", "nn.Conv2d", "nn.functional.relu", "nn.functional.max_pool2d",
          "nn.functional.cross_entropy", "optim.SGD")


def all_workloads() -> list[Workload]:
    W = Workload
    return [
        W("mlp784_step_f32", "MLP train step 784-256-10, B128, SGD", "float32", 0.5,
          build_mlp(784), _TRAIN),
        W("mlp64_step_f32", "MLP train step 64-256-10, B128, SGD", "float32", 0.5,
          build_mlp(64), _TRAIN),
        W("lenet8_step_f32", "LeNet-like train step, 1x8x8, B128, SGD", "float32", 0.5,
          build_lenet8, _LENET),
        W("lenet8_step_f64", "LeNet-like train step, 1x8x8, B128, SGD", "float64", 0.5,
          build_lenet8, _LENET),
        W("conv2d_f32", "Conv2d fwd+bwd N32 16->32 28x28 k3 p1", "float32", 1.0,
          build_conv2d, ("nn.Conv2d",)),
        W("conv2d_f64", "Conv2d fwd+bwd N32 16->32 28x28 k3 p1", "float64", 1.0,
          build_conv2d, ("nn.Conv2d",)),
        W("maxpool_f32", "MaxPool2d 2x2 fwd+bwd N32 C32 28x28", "float32", 0.8,
          build_maxpool, ("nn.MaxPool2d",)),
        W("lstm_f32", "LSTM fwd+BPTT T50 B64 in32 h128", "float32", 1.0,
          build_lstm, ("nn.LSTM",)),
        W("lstm_f64", "LSTM fwd+BPTT T50 B64 in32 h128", "float64", 1.0,
          build_lstm, ("nn.LSTM",)),
        W("gru_f32", "GRU fwd+BPTT T50 B64 in32 h128", "float32", 1.0,
          build_gru, ("nn.GRU",)),
        W("mha_f32", "MultiheadAttention fwd+bwd B32 T64 d128 h4", "float32", 1.0,
          build_mha, ("nn.MultiheadAttention",)),
        W("encoder_layer_f32", "TransformerEncoderLayer fwd+bwd B32 T64 d128 h4 ff512",
          "float32", 1.0, build_encoder_layer, ("nn.TransformerEncoderLayer",)),
        W("chain_f32", "autograd chain 1,000 tiny ops fwd+bwd", "float32", 0.5,
          build_chain, ("tensor",)),
        W("ce128x10_f32", "softmax cross-entropy fwd+bwd 128x10", "float32", 0.8,
          build_ce(128, 10), ("nn.functional.cross_entropy",)),
        W("ce1024x100_f32", "softmax cross-entropy fwd+bwd 1024x100", "float32", 1.0,
          build_ce(1024, 100), ("nn.functional.cross_entropy",)),
        W("rbm_cd1_f32", "Bernoulli RBM CD-1 step 784x256, B64 (models.rbm)", "float32", 1.0,
          build_rbm, ("models.rbm.RBM",)),
    ]


# ---------------------------------------------------------------------------------- the check
def check(workload: Workload, tiny: bool = False, rtol: float = 1e-7) -> dict:
    """Run one step of each side in float64 from the same weights and compare everything.

    Each compared quantity passes when ``max|dl - torch| <= rtol * max(1, max|torch|)``.
    """
    case = workload.build("float64", tiny)
    case.dl_step()
    case.torch_step()
    dl, tr = case.dl_state(), case.torch_state()
    errors = {}
    problems = []
    for key, ref in tr.items():
        got = dl.get(key)
        if ref is None and got is None:
            continue
        if got is None or ref is None:
            problems.append(f"{key}: dlproof {'None' if got is None else 'set'}, "
                            f"torch {'None' if ref is None else 'set'}")
            continue
        got, ref = np.asarray(got, np.float64), np.asarray(ref, np.float64)
        if got.shape != ref.shape:
            problems.append(f"{key}: shape dlproof {got.shape} vs torch {ref.shape}")
            continue
        err = float(np.max(np.abs(got - ref))) if ref.size else 0.0
        scale = max(1.0, float(np.max(np.abs(ref))) if ref.size else 1.0)
        errors[key] = err / scale
        if not np.isfinite(err) or err > rtol * scale:
            problems.append(f"{key}: max abs error {err:.3g} (scale {scale:.3g})")
    return {
        "ok": not problems,
        "max_rel_error": max(errors.values()) if errors else 0.0,
        "compared": sorted(errors),
        "problems": problems,
    }
