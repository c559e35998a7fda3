"""Which source files an experiment's numbers depend on, and a hash of them (``source_version``).

The evidence snapshot (:mod:`dlproof.experiments.snapshot`) stores, per experiment, the
``source_version`` it was measured at; an entry is current exactly while that hash is unchanged.
The hash covers

* the experiment's own module,
* every dlproof module it imports, transitively: the ``import``/``from ... import`` statements of
  each module are read with :mod:`ast` (imports inside functions count too, so lazy imports are
  covered), a ``from package import name`` also pulls in ``package/name.py`` when that is a
  submodule, and importing ``a.b.c`` pulls in the ``__init__.py`` of ``a`` and ``a.b``;
* the run machinery every experiment goes through: ``experiments/registry.py`` (claims and their
  verdicts), ``experiments/runner.py`` (single-threaded BLAS, NaN bookkeeping) and
  ``experiments/figures.py`` (how figures are drawn and saved);

but not the bookkeeping modules (:data:`BOOKKEEPING`: the store, the run cache, this module, the
snapshot and the commands), which decide where results go and never what they are.

Library versions (NumPy, SciPy) are *not* part of it: the snapshot records them once, so a user on
another NumPy sees the values labelled with the NumPy they were measured with.

Unlike the run cache's ``code_version`` (which hashes every shared package), editing
``models/rnn.py`` leaves the softmax experiment's ``source_version`` alone, so regenerating the
snapshot after a change reruns only the experiments that can be affected. A dependency reached only
through ``importlib.import_module("dlproof." + name)`` with a computed name would be missed; no
experiment does that.
"""

from __future__ import annotations

import ast
import hashlib
from pathlib import Path

# Every experiment runs through these, whatever it imports.
RUN_MACHINERY = ("experiments/registry.py", "experiments/runner.py", "experiments/figures.py")
# Bookkeeping the runner imports that cannot change a number or a figure: where runs are stored,
# this hash itself, the snapshot and the commands. Left out (with what only they import).
BOOKKEEPING = frozenset({"store.py", "experiments/cache.py", "experiments/sources.py",
                         "experiments/snapshot.py", "experiments/snapshot_build.py",
                         "experiments/commands.py"})

_imports_memo: dict[tuple[str, int, int], tuple[str, ...]] = {}


def package_root() -> Path:
    """The directory of the ``dlproof`` package (``.../dlproof``)."""
    import dlproof

    return Path(dlproof.__file__).resolve().parent


def module_path(name: str, root: Path | None = None) -> Path | None:
    """The source file of dotted module ``name`` (``dlproof.x.y``) inside ``root``, or None."""
    root = root or package_root()
    parts = name.split(".")
    if not parts or parts[0] != "dlproof":
        return None
    base = root.joinpath(*parts[1:]) if len(parts) > 1 else root
    if (base / "__init__.py").is_file():
        return base / "__init__.py"
    py = base.with_suffix(".py") if len(parts) > 1 else None
    if py is not None and py.is_file():
        return py
    return None


def _module_name(path: Path, root: Path) -> str:
    """``root/a/b.py`` -> ``dlproof.a.b``; a file outside the package -> ``""``."""
    if not path.is_relative_to(root):
        return ""
    rel = path.relative_to(root).with_suffix("").parts
    if rel and rel[-1] == "__init__":
        rel = rel[:-1]
    return ".".join(("dlproof", *rel))


def imported_modules(path: Path, root: Path | None = None) -> tuple[str, ...]:
    """Dotted names of the dlproof modules ``path`` imports anywhere in its body (memoised on
    path, mtime and size). ``from a import b`` yields ``a`` and, if it exists, ``a.b``."""
    root = root or package_root()
    st = path.stat()
    key = (str(path), st.st_mtime_ns, st.st_size)
    if key in _imports_memo:
        return _imports_memo[key]
    tree = ast.parse(path.read_bytes(), filename=str(path))
    here = _module_name(path, root)
    package = here if path.name == "__init__.py" else here.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolve against this module's package
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            found.add(mod)
            found.update(f"{mod}.{a.name}" for a in node.names if a.name != "*")
    out = tuple(sorted(m for m in found if m.split(".")[0] == "dlproof"
                       and module_path(m, root) is not None))
    _imports_memo[key] = out
    return out


def dependency_closure(path: Path, root: Path | None = None) -> list[Path]:
    """``path`` and every dlproof source file it reaches through imports (see the module doc),
    plus the run machinery; sorted, each once."""
    root = root or package_root()
    seen: set[Path] = set()
    todo = [path.resolve()] + [root / p for p in RUN_MACHINERY]
    while todo:
        p = todo.pop()
        if p in seen or not p.is_file():
            continue
        if p.is_relative_to(root) and p.relative_to(root).as_posix() in BOOKKEEPING:
            continue
        seen.add(p)
        name = _module_name(p, root)
        parts = name.split(".") if name else []
        for i in range(1, len(parts)):  # importing a.b.c runs a/__init__ and a/b/__init__
            init = module_path(".".join(parts[:i]), root)
            if init is not None:
                todo.append(init.resolve())
        for mod in imported_modules(p, root):
            target = module_path(mod, root)
            if target is not None:
                todo.append(target.resolve())
    return sorted(seen)


def source_version(exp) -> str:
    """A 16-hex-digit SHA-256 of the experiment's id and the sources its numbers depend on
    (:func:`dependency_closure` of its module), without library versions."""
    from dlproof.experiments.cache import module_file

    return version_of(exp.id, module_file(exp.module))


def version_of(experiment_id: str, own: Path) -> str:
    """:func:`source_version` from the experiment's id and module file, without importing the
    module (so ``dlproof show`` can tell a stale snapshot entry without loading NumPy)."""
    from dlproof.experiments.cache import _digest

    root = package_root()
    own = Path(own).resolve()
    h = hashlib.sha256()
    h.update(f"experiment:{experiment_id}\n".encode())
    for p in dependency_closure(own, root):
        try:
            rel = p.relative_to(root).as_posix()
        except ValueError:  # a module outside the package (tests register such experiments)
            rel = p.name
        h.update(f"{rel}:{_digest(p)}\n".encode())
    return h.hexdigest()[:16]
