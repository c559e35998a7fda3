"""Helpers for PyTorch parity tests of layers: copy weights, run both, compare everything."""

from __future__ import annotations

import numpy as np

from dlproof.engine import Tensor

TOL = 1e-10


def copy_weights(ours, ref) -> None:
    """Load the torch module's state_dict into ours (same names, same layouts)."""
    ours.double()
    ours.load_state_dict({k: v.detach().cpu().numpy() for k, v in ref.state_dict().items()})


def _flat(out):
    if isinstance(out, (tuple, list)):
        res = []
        for o in out:
            res.extend(_flat(o))
        return res
    return [] if out is None else [out]


def compare(torch, ours, ref, inputs, call_ours=None, call_ref=None, seed=0, tol=TOL, grad_inputs=True):
    """Run ``ours`` and ``ref`` on the same float64 inputs, backpropagate the same random
    upstream gradients through every output, and return the max abs differences of outputs,
    input gradients and parameter gradients (asserting each is below ``tol``)."""
    rng = np.random.default_rng(seed)
    call_ours = call_ours or (lambda m, *xs: m(*xs))
    call_ref = call_ref or (lambda m, *xs: m(*xs))
    float_in = [np.issubdtype(np.asarray(x).dtype, np.floating) and grad_inputs for x in inputs]
    ours_in = [Tensor(np.array(x), requires_grad=f) if f else x for x, f in zip(inputs, float_in)]
    ref_in = [
        torch.tensor(np.array(x), requires_grad=f) if f else torch.as_tensor(np.asarray(x))
        for x, f in zip(inputs, float_in)
    ]
    out_o, out_r = _flat(call_ours(ours, *ours_in)), _flat(call_ref(ref, *ref_in))
    assert len(out_o) == len(out_r)
    diffs = {"output": 0.0, "input_grad": 0.0, "param_grad": 0.0}
    loss_o, loss_r = 0.0, 0.0
    for o, r in zip(out_o, out_r):
        assert tuple(o.shape) == tuple(r.shape), (o.shape, r.shape)
        diffs["output"] = max(
            diffs["output"], float(np.max(np.abs(o.data - r.detach().numpy()), initial=0.0))
        )
        if r.requires_grad:
            g = rng.normal(size=r.shape)
            loss_o = loss_o + (o * g).sum()
            loss_r = loss_r + (r * torch.tensor(g)).sum()
    if isinstance(loss_r, float):
        return diffs
    loss_r.backward()
    loss_o.backward()
    for a, b, f in zip(ours_in, ref_in, float_in):
        if f:
            diffs["input_grad"] = max(diffs["input_grad"], float(np.max(np.abs(a.grad - b.grad.numpy()))))
    ref_params = dict(ref.named_parameters())
    for name, p in ours.named_parameters():
        rp = ref_params[name]
        if rp.grad is None:
            assert p.grad is None or not np.any(p.grad), name
            continue
        assert p.grad is not None, f"{name} got no gradient"
        diffs["param_grad"] = max(diffs["param_grad"], float(np.max(np.abs(p.grad - rp.grad.numpy()))))
    for k, v in diffs.items():
        assert v < tol, f"{k} differs by {v:.3e}"
    return diffs
