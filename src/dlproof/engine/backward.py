"""The backward walk: reverse-mode accumulation from one or more roots through the recorded nodes.

Creation order is a topological order (a node is always created after its inputs; sequence numbers
count *down*, so a newer node has a smaller number). :func:`run_backward` therefore needs no
topological sort: it always processes the newest node a gradient has reached (a min-heap keyed by
sequence number; in a chain the next node is handed over directly without touching the heap) and
registers a parent the first time a gradient reaches it. Only ancestors of the roots are visited,
each exactly once, iteratively (a 10,000-op chain works). Per op this costs a few microseconds
forward+backward on 10-element arrays (BENCHMARKS.md, workload ``chain_f32``).

Gradients of intermediate nodes live on the node (``node.grad``) only while the walk needs them
and are dropped right after the node's backward ran. Broadcasting is undone generically: when a
Function's backward returns a gradient whose shape differs from its input's, it is summed over
the broadcast axes (:func:`unbroadcast`; only then, no cost otherwise).

This module works on any object with ``data``/``grad``/``_node``/``_idx`` (the Tensor core) and
imports nothing from the rest of the engine.
"""

from __future__ import annotations

import heapq
import weakref

import numpy as np

__all__ = ["run_backward", "unbroadcast"]


def unbroadcast(grad: np.ndarray, shape: tuple) -> np.ndarray:
    """Undo NumPy broadcasting: sum ``grad`` over the axes that broadcasting added or stretched.

    If y = broadcast(x) then dL/dx = sum of dL/dy over every copy of x: leading extra axes are
    summed away and axes where x had size 1 are summed with keepdims.
    """
    nd = grad.ndim - len(shape)
    if nd > 0:
        grad = grad.sum(axis=tuple(range(nd)))
    axes = tuple(i for i, s in enumerate(shape) if s == 1 and grad.shape[i] != 1)
    if axes:
        grad = grad.sum(axis=axes, keepdims=True)
    if grad.shape != shape:
        raise RuntimeError(f"unbroadcast: gradient of shape {grad.shape} cannot reduce to {shape}")
    return grad


def _freed_error(node):
    return RuntimeError(
        f"backward: trying to backward through {node.fn.__name__} a second time, but its saved "
        "arrays were freed after the first backward; call backward(retain_graph=True) the first "
        "time if you need to backward twice"
    )


def run_backward(roots, retain_graph: bool = False) -> None:
    """Reverse-mode sweep from ``roots`` = [(tensor, upstream grad array), ...].

    Nodes are processed in decreasing creation order (a valid reverse topological order) using a
    heap that only ever holds nodes a gradient has reached. ``nxt`` short-cuts the heap for the
    common chain case (the newest node reached in this step runs next if nothing newer waits).
    """
    heap = []
    push = heapq.heappush
    pop = heapq.heappop
    pushpop = heapq.heappushpop
    ndarray = np.ndarray
    retain_data = _RETAIN_DATA
    unbroadcast_ = unbroadcast
    for t, g in roots:
        _send(t, g, heap, push)
    nxt = None
    while True:
        if nxt is not None:
            node = pushpop(heap, (nxt.seq, nxt))[1] if heap and heap[0][0] < nxt.seq else nxt
            nxt = None
        elif heap:
            node = pop(heap)[1]
        else:
            break
        parents = node.parents
        if parents is None:
            raise _freed_error(node)
        g = node.grad
        node.grad = None
        if retain_data:  # the plain dict under the WeakKeyDictionary: a cheap emptiness test
            _retain(node, g)
        if node.n_out == 1:
            grads = node.fn.backward(node, g)
        else:
            g = [
                np.zeros(s, d) if gi is None else gi
                for gi, (s, d) in zip(g, node.out_meta)
            ]
            grads = node.fn.backward(node, *g)
        if type(grads) is not tuple:
            grads = (grads,)
        if not retain_graph:
            node.parents = None
            node.saved_tensors = None
        for p, gi in zip(parents, grads):
            if p is None or gi is None:
                continue
            data = p.data
            if gi.shape != data.shape:
                gi = unbroadcast_(np.asarray(gi), data.shape)
            pn = p._node
            if pn is None:  # leaf: accumulate into .grad (an owned copy, so += is safe)
                pg = p.grad
                if pg is None:
                    p.grad = np.array(gi, dtype=data.dtype)
                elif type(pg) is ndarray and pg.shape == data.shape:
                    pg += gi
                else:
                    p.grad = pg + gi
            elif pn.n_out == 1:
                if pn.grad is None:
                    pn.grad = gi
                    if nxt is None:
                        nxt = pn
                    elif pn.seq < nxt.seq:
                        push(heap, (nxt.seq, nxt))
                        nxt = pn
                    else:
                        push(heap, (pn.seq, pn))
                else:
                    pn.grad = pn.grad + gi
            else:
                if pn.grad is None and nxt is not None:  # keep the heap invariant simple
                    push(heap, (nxt.seq, nxt))
                    nxt = None
                _send_multi(pn, p._idx, gi, heap, push)


_RETAIN = weakref.WeakKeyDictionary()  # node -> tensors that asked for retain_grad()
_RETAIN_DATA = _RETAIN.data


def _retain(node, g):
    for t in _RETAIN.get(node, ()):
        gi = g if node.n_out == 1 else g[getattr(t, "_idx", 0)]
        if gi is None:
            continue
        t.grad = np.array(gi, dtype=t.data.dtype) if t.grad is None else t.grad + gi


def _send(t, g, heap, push):
    pn = t._node
    if pn is None:
        if t.grad is None:
            t.grad = np.array(g, dtype=t.data.dtype, copy=True)
        else:
            t.grad = t.grad + g
    elif pn.n_out == 1:
        if pn.grad is None:
            pn.grad = g
            push(heap, (pn.seq, pn))
        else:
            pn.grad = pn.grad + g
    else:
        _send_multi(pn, t._idx, g, heap, push)


def _send_multi(pn, idx, gi, heap, push):
    if pn.grad is None:
        pn.grad = [None] * pn.n_out
        push(heap, (pn.seq, pn))
    cur = pn.grad[idx]
    pn.grad[idx] = gi if cur is None else cur + gi

