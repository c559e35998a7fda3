"""The engine's module layout: public import paths that must keep working, and imports that point
one way (the Tensor core never imports an op; ops never import the binding or the facade)."""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np

ENGINE = Path(__file__).resolve().parents[2] / "src" / "dlproof" / "engine"


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{a.name}" for a in node.names)
        elif isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
    return names


def test_public_import_paths_still_work():
    import dlproof
    import dlproof.engine as engine
    from dlproof.engine.function import Context, Function, apply1, apply2
    from dlproof.engine.tensor import Context as C2
    from dlproof.engine.tensor import Function as F2
    from dlproof.engine.tensor import Tensor, ValuesIndices, no_grad, run_backward, tensor, unbroadcast

    assert dlproof.Tensor is engine.Tensor is Tensor
    assert dlproof.tensor is engine.tensor is tensor  # the function shadows the submodule
    assert (C2, F2) == (Context, Function) and callable(apply1) and callable(apply2)
    x = tensor([1.0, 2.0], requires_grad=True)
    with no_grad():
        assert not (x * 2).requires_grad
    y = (x * x).sum()
    run_backward([(y, np.ones((), np.float32))])
    np.testing.assert_allclose(x.grad, [2.0, 4.0])
    assert isinstance(x.max(dim=0), ValuesIndices)
    assert unbroadcast(np.ones((3, 2)), (2,)).tolist() == [3.0, 3.0]


def test_imports_point_one_way():
    low = ["grad_mode.py", "backward.py", "core.py", "function.py", "factories.py"]
    for name in low:
        bad = {m for m in _imports(ENGINE / name)
               if m.startswith(("dlproof.engine.ops", "dlproof.engine.fused", "dlproof.engine.binding",
                                "dlproof.engine.tensor"))}
        assert not bad, f"engine/{name} imports {bad}"
    for path in [*sorted((ENGINE / "ops").glob("*.py")), *sorted((ENGINE / "fused").glob("*.py"))]:
        bad = {m for m in _imports(path)
               if m.startswith(("dlproof.engine.binding", "dlproof.engine.tensor"))}
        assert not bad, f"{path.relative_to(ENGINE)} imports {bad}"


def test_operators_are_bound_to_the_core_class():
    from dlproof.engine import binding
    from dlproof.engine.core import Tensor

    for name in ("__add__", "__rmatmul__", "__getitem__", "sum", "reshape", "exp", "tanh", "T"):
        assert name in vars(Tensor), name
    assert vars(Tensor)["sum"] is vars(binding.TensorMethods)["sum"]
