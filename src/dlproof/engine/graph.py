"""Computation graphs: inspection, Graphviz export, and TensorFlow-1.x-style static graphs.

Dynamic graphs (define-by-run, PyTorch): every op records a node while it runs; the graph of a
result is whatever ran. :func:`topological_order` lists its nodes (inputs first) and
:func:`to_dot` draws it. Inspect before ``backward()`` (which frees the graph unless
``retain_graph=True``).

Static graphs (define-then-run, TensorFlow 1.x): :func:`trace` runs a Python function once on
placeholder tensors while recording *every* op (also ops on constants) into a
:class:`StaticGraph`: placeholders in, outputs out. ``graph.run(*arrays)`` executes the recorded
ops again on new inputs (pure NumPy, no Python control flow of the original function: a branch
taken during tracing is baked in, exactly as in TF 1.x). Because the whole program is known
before it runs, it can be optimised:

* :meth:`StaticGraph.fold_constants` evaluates once every node whose inputs are all constants;
* :meth:`StaticGraph.eliminate_common_subexpressions` merges nodes computing the same op on the
  same inputs with the same arguments.

Both return a new graph with identical outputs and fewer nodes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dlproof.engine.core import Tensor
from dlproof.engine.function import Context
from dlproof.engine.grad_mode import _Mode

__all__ = ["topological_order", "to_dot", "trace", "StaticGraph", "GraphNode"]


def _nodes_from(outputs):
    """All recorded nodes reachable from ``outputs`` (iterative DFS), unordered."""
    seen = {}
    stack = [t._node for t in outputs if isinstance(t, Tensor) and t._node is not None]
    while stack:
        n = stack.pop()
        if id(n) in seen:
            continue
        seen[id(n)] = n
        srcs = n.args if getattr(n, "args", None) is not None and _has(n, "args") else n.parents
        if srcs is None:
            raise RuntimeError(
                f"graph: the graph below {n.fn.__name__} was freed by backward(); inspect it "
                "before calling backward or use backward(retain_graph=True)"
            )
        for p in srcs:
            if isinstance(p, Tensor) and p._node is not None:
                stack.append(p._node)
    return list(seen.values())


def _has(node, slot):
    try:
        getattr(node, slot)
        return True
    except AttributeError:
        return False


def topological_order(*outputs) -> list:
    """The nodes (Contexts) that produced ``outputs``, inputs first.

    Creation order is a topological order, so this is a sort by the creation sequence number.
    """
    nodes = _nodes_from(outputs)
    nodes.sort(key=lambda n: -n.seq)  # seq counts down: older (earlier) nodes have larger seq
    return nodes


def _label_shape(t):
    return "x".join(str(s) for s in t.shape) or "scalar"


def to_dot(*outputs, name: str = "G") -> str:
    """Graphviz DOT text of the dynamic graph behind ``outputs``: ops as boxes, leaves as
    ellipses (labelled with their shapes), edges in data-flow direction."""
    nodes = topological_order(*outputs)
    ids = {id(n): f"op{i}" for i, n in enumerate(nodes)}
    lines = [f"digraph {name} {{", "  rankdir=LR;", "  node [fontname=Helvetica];"]
    leaves = {}
    for n in nodes:
        lines.append(f'  {ids[id(n)]} [shape=box, label="{n.fn.__name__}"];')
    for n in nodes:
        srcs = n.args if _has(n, "args") else n.parents
        for p in srcs:
            if not isinstance(p, Tensor):
                continue
            if p._node is not None and id(p._node) in ids:
                src = ids[id(p._node)]
            else:
                if id(p) not in leaves:
                    leaves[id(p)] = f"leaf{len(leaves)}"
                    kind = "param" if p.requires_grad else "const"
                    nm = f"{p.name}\\n" if p.name else ""
                    lines.append(
                        f'  {leaves[id(p)]} [shape=ellipse, label="{nm}{kind} '
                        f'{_label_shape(p)}"];'
                    )
                src = leaves[id(p)]
            lines.append(f"  {src} -> {ids[id(n)]};")
    for k, t in enumerate(outputs):
        if isinstance(t, Tensor) and t._node is not None:
            lines.append(f'  out{k} [shape=doublecircle, label="out{k}"];')
            lines.append(f"  {ids[id(t._node)]} -> out{k};")
    lines.append("}")
    return "\n".join(lines)


# ---- static graphs ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Ref:
    """An argument of a static node: kind 'input' (placeholder index), 'node' (node index and
    output index), 'const' (a NumPy array) or 'lit' (any other Python value)."""

    kind: str
    index: int = 0
    out: int = 0
    value: object = None


@dataclass
class GraphNode:
    op: type  # the Function class
    args: tuple  # of Ref
    kwargs: dict
    n_out: int = 1

    def __repr__(self):
        return f"GraphNode({self.op.__name__}, {len(self.args)} args)"


class StaticGraph:
    """A recorded program: ``nodes`` in execution order, ``outputs`` as Refs, ``n_inputs``
    placeholders. ``run(*arrays)`` returns one array or a tuple of arrays."""

    def __init__(self, nodes, outputs, n_inputs, multi_output):
        self.nodes = list(nodes)
        self.outputs = list(outputs)
        self.n_inputs = n_inputs
        self.multi_output = multi_output

    def __len__(self):
        return len(self.nodes)

    def __repr__(self):
        return f"StaticGraph({self.n_inputs} inputs, {len(self.nodes)} nodes, " \
               f"{len(self.outputs)} outputs)"

    @staticmethod
    def _resolve(ref, inputs, values):
        if ref.kind == "input":
            return inputs[ref.index]
        if ref.kind == "node":
            v = values[ref.index]
            return v[ref.out] if isinstance(v, tuple) else v
        return ref.value

    def run(self, *inputs):
        """Execute the graph on new NumPy inputs (one per placeholder)."""
        if len(inputs) != self.n_inputs:
            raise ValueError(f"run: graph has {self.n_inputs} placeholders, got {len(inputs)}")
        inputs = [x.data if isinstance(x, Tensor) else np.asarray(x) for x in inputs]
        values = []
        for node in self.nodes:
            args = [self._resolve(r, inputs, values) for r in node.args]
            ctx = Context()
            ctx.needs_input_grad = [False] * len(args)
            values.append(node.op.forward(ctx, *args, **node.kwargs))
        outs = tuple(self._resolve(r, inputs, values) for r in self.outputs)
        return outs if self.multi_output else outs[0]

    # -- passes -----------------------------------------------------------------------------

    def fold_constants(self) -> StaticGraph:
        """Evaluate every node whose arguments are all constants/literals once; its consumers
        then see a constant. Returns a new graph."""
        new_nodes, remap = [], {}
        const_vals = {}
        for i, node in enumerate(self.nodes):
            args = tuple(self._rewrite(r, remap, const_vals) for r in node.args)
            if all(a.kind in ("const", "lit") for a in args) and node.op.__name__ != "Dropout":
                ctx = Context()
                ctx.needs_input_grad = [False] * len(args)
                const_vals[i] = node.op.forward(ctx, *[a.value for a in args], **node.kwargs)
            else:
                remap[i] = len(new_nodes)
                new_nodes.append(GraphNode(node.op, args, node.kwargs, node.n_out))
        outs = [self._rewrite(r, remap, const_vals) for r in self.outputs]
        return StaticGraph(new_nodes, outs, self.n_inputs, self.multi_output)

    @staticmethod
    def _rewrite(ref, remap, const_vals):
        if ref.kind != "node":
            return ref
        if ref.index in const_vals:
            v = const_vals[ref.index]
            return Ref("const", value=v[ref.out] if isinstance(v, tuple) else v)
        return Ref("node", remap[ref.index], ref.out)

    def eliminate_common_subexpressions(self) -> StaticGraph:
        """Merge nodes with the same op, kwargs and arguments (constants compared by value).
        Returns a new graph."""
        new_nodes, remap, seen = [], {}, {}
        for i, node in enumerate(self.nodes):
            args = tuple(
                Ref("node", remap[r.index], r.out) if r.kind == "node" else r for r in node.args
            )
            key = (node.op, tuple(_ref_key(a) for a in args), _value_key(node.kwargs))
            if key in seen and node.op.__name__ != "Dropout":
                remap[i] = seen[key]
                continue
            remap[i] = len(new_nodes)
            seen[key] = remap[i]
            new_nodes.append(GraphNode(node.op, args, node.kwargs, node.n_out))
        outs = [Ref("node", remap[r.index], r.out) if r.kind == "node" else r
                for r in self.outputs]
        return StaticGraph(new_nodes, outs, self.n_inputs, self.multi_output)

    def optimize(self) -> StaticGraph:
        """Constant folding followed by common-subexpression elimination."""
        return self.fold_constants().eliminate_common_subexpressions()

    def to_dot(self, name: str = "G") -> str:
        """Graphviz DOT text of the static graph."""
        lines = [f"digraph {name} {{", "  rankdir=LR;"]
        for i in range(self.n_inputs):
            lines.append(f'  in{i} [shape=ellipse, label="placeholder {i}"];')
        nconst = 0
        for j, node in enumerate(self.nodes):
            lines.append(f'  n{j} [shape=box, label="{node.op.__name__}"];')
            for r in node.args:
                if r.kind == "input":
                    lines.append(f"  in{r.index} -> n{j};")
                elif r.kind == "node":
                    lines.append(f"  n{r.index} -> n{j};")
                elif r.kind == "const":
                    shape = "x".join(map(str, np.shape(r.value))) or "scalar"
                    lines.append(f'  c{nconst} [shape=plaintext, label="const {shape}"];')
                    lines.append(f"  c{nconst} -> n{j};")
                    nconst += 1
        for k, r in enumerate(self.outputs):
            lines.append(f'  out{k} [shape=doublecircle, label="out{k}"];')
            if r.kind == "node":
                lines.append(f"  n{r.index} -> out{k};")
            elif r.kind == "input":
                lines.append(f"  in{r.index} -> out{k};")
        lines.append("}")
        return "\n".join(lines)


def _value_key(v):
    if isinstance(v, np.ndarray):
        if v.size <= 4096:
            return ("arr", v.dtype.str, v.shape, v.tobytes())
        return ("arr-id", id(v))
    if isinstance(v, dict):
        return tuple(sorted((k, _value_key(x)) for k, x in v.items()))
    if isinstance(v, (tuple, list)):
        return (type(v).__name__,) + tuple(_value_key(x) for x in v)
    try:
        hash(v)
        return ("v", type(v).__name__, v)
    except TypeError:
        return ("id", id(v))


def _ref_key(r):
    if r.kind in ("const", "lit"):
        return (r.kind, _value_key(r.value))
    return (r.kind, r.index, r.out)


def trace(fn, *example_inputs) -> StaticGraph:
    """Run ``fn`` once on placeholders shaped like ``example_inputs`` and record a StaticGraph.

    example_inputs: arrays or Tensors (their values are used for the tracing run only).
    Every Tensor op inside ``fn`` is recorded, including ops on constants; Tensors that were not
    produced inside ``fn`` (weights, constants) are captured as constants.
    """
    placeholders = [
        Tensor(x.data if isinstance(x, Tensor) else np.asarray(x)) for x in example_inputs
    ]
    ph_index = {id(p): i for i, p in enumerate(placeholders)}
    prev = _Mode.tracing
    _Mode.set(tracing=True)
    try:
        out = fn(*placeholders)
    finally:
        _Mode.set(tracing=prev)
    multi = isinstance(out, (tuple, list))
    outs = list(out) if multi else [out]

    order = topological_order(*outs)
    index = {id(n): i for i, n in enumerate(order)}

    def ref_of(a):
        if isinstance(a, Tensor):
            if id(a) in ph_index:
                return Ref("input", ph_index[id(a)])
            if a._node is not None and id(a._node) in index:
                return Ref("node", index[id(a._node)], getattr(a, "_idx", 0))
            return Ref("const", value=a.data)
        if isinstance(a, np.ndarray):
            return Ref("const", value=a)
        return Ref("lit", value=a)

    nodes = [GraphNode(n.fn, tuple(ref_of(a) for a in n.args), dict(n.kwargs), n.n_out)
             for n in order]
    return StaticGraph(nodes, [ref_of(t) for t in outs], len(placeholders), multi)
