"""The experiment run cache: one SQLite row per (experiment id, mode, seed, code version).

A cached run is valid exactly as long as the code that produced it is unchanged. The *code
version* of an experiment (:func:`code_version`) is a SHA-256 over

* the source of the experiment's own module (``dlproof/experiments/catalog/<name>.py``), and
* the sources of every module of the dlproof packages an experiment can depend on:
  ``engine``, ``nn``, ``optim``, ``models``, ``stats``, ``data`` and ``experiments`` itself
  (registry, runner, figures, cache and the shared ``catalog/_*.py`` helpers), plus
  ``dlproof/__init__.py``. The *other* experiment modules of the catalog are left out, so editing
  one experiment never invalidates the others.

This over-approximates the true dependencies (an edit to ``models/rnn.py`` invalidates the softmax
experiment too) but never under-approximates them, and it needs no import tracing. NumPy/SciPy
versions are part of the key as well, since they can change numbers.

Schema (``experiment_runs``): the report JSON (:meth:`Report.to_dict`), whether every claim held,
the run's wall-clock duration in seconds and its creation time. Storing a run for a key that
already exists replaces the old row (the newest run of a key wins). Reads and writes go through
:func:`dlproof.store.connect` (WAL, ``synchronous=FULL``), so several processes may share it.
"""

from __future__ import annotations

import hashlib
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from dlproof import store
from dlproof.experiments.registry import Experiment, Report
from dlproof.experiments.sources import source_version  # noqa: F401  (re-exported: the snapshot's key)

DDL = """
CREATE TABLE IF NOT EXISTS experiment_runs (
    id            INTEGER PRIMARY KEY,
    experiment_id TEXT    NOT NULL,
    mode          TEXT    NOT NULL,
    seed          INTEGER NOT NULL,
    code_version  TEXT    NOT NULL,
    created_at    REAL    NOT NULL,   -- Unix time the run finished
    duration_s    REAL    NOT NULL,   -- wall-clock seconds of the run (figures included)
    all_hold      INTEGER NOT NULL,   -- 1 when every claim held and nothing was NaN/inf
    report_json   TEXT    NOT NULL,   -- Report.to_dict()
    UNIQUE (experiment_id, mode, seed, code_version)
);
CREATE INDEX IF NOT EXISTS experiment_runs_by_time ON experiment_runs (experiment_id, created_at);
"""

# The dlproof packages whose sources enter every experiment's code version.
DEPENDENCY_PACKAGES = ("engine", "nn", "optim", "models", "stats", "data", "experiments")

_file_digests: dict[tuple[str, int, int], str] = {}


@dataclass
class RunRecord:
    """One cached run: the report plus what the runner measured about it."""

    report: Report
    code_version: str
    duration_s: float
    created_at: float
    all_hold: bool


def _digest(path: Path) -> str:
    """SHA-256 of one file, memoised on (path, mtime, size) so repeated lookups are cheap."""
    st = path.stat()
    key = (str(path), st.st_mtime_ns, st.st_size)
    if key not in _file_digests:
        _file_digests[key] = hashlib.sha256(path.read_bytes()).hexdigest()
    return _file_digests[key]


def _package_root() -> Path:
    import dlproof

    return Path(dlproof.__file__).resolve().parent


def dependency_files() -> list[Path]:
    """The shared sources every experiment's code version covers (sorted, catalog excluded)."""
    root = _package_root()
    files = [root / "__init__.py"]
    for pkg in DEPENDENCY_PACKAGES:
        base = root / pkg
        if not base.is_dir():
            continue
        for path in sorted(base.rglob("*.py")):
            rel = path.relative_to(base).parts
            if pkg == "experiments" and rel[0] == "catalog" and not path.name.startswith("_"):
                continue  # other experiments' modules: not a dependency
            files.append(path)
    return files


def module_file(module: str) -> Path:
    """The source file of an experiment's module (imported already by the registry)."""
    mod = sys.modules.get(module)
    if mod is None:
        import importlib

        mod = importlib.import_module(module)
    path = getattr(mod, "__file__", None)
    if not path:
        raise FileNotFoundError(f"module {module!r} has no source file")
    return Path(path).resolve()


def code_version(exp: Experiment) -> str:
    """A short hash identifying the code an experiment's results depend on (see module doc)."""
    import numpy
    import scipy

    h = hashlib.sha256()
    h.update(f"numpy={numpy.__version__};scipy={scipy.__version__}\n".encode())
    own = module_file(exp.module)
    h.update(f"experiment:{exp.id}:{_digest(own)}\n".encode())
    root = _package_root()
    for path in dependency_files():
        if path.resolve() == own:
            continue
        try:
            rel = path.relative_to(root)
        except ValueError:
            rel = path
        h.update(f"{rel.as_posix()}:{_digest(path)}\n".encode())
    return h.hexdigest()[:16]


def _connect():
    conn = store.connect()
    store.ensure_schema(conn, DDL)
    return conn


def _record(row) -> RunRecord:
    return RunRecord(
        report=Report.from_dict(json.loads(row["report_json"])),
        code_version=row["code_version"],
        duration_s=row["duration_s"],
        created_at=row["created_at"],
        all_hold=bool(row["all_hold"]),
    )


def save(report: Report, code_version: str, duration_s: float) -> None:
    """Store a finished run (replacing an older run of the same key)."""
    payload = json.dumps(report.to_dict(), ensure_ascii=False)
    conn = _connect()
    try:
        with conn:
            conn.execute(
                "INSERT OR REPLACE INTO experiment_runs (experiment_id, mode, seed, code_version,"
                " created_at, duration_s, all_hold, report_json) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (report.experiment_id, report.config.mode, report.config.seed, code_version,
                 time.time(), float(duration_s), int(report.all_hold), payload),
            )
    finally:
        conn.close()


def lookup(experiment_id: str, mode: str, seed: int, code_version: str) -> RunRecord | None:
    """The cached run of exactly this key, or None."""
    conn = _connect()
    try:
        row = conn.execute(
            "SELECT * FROM experiment_runs WHERE experiment_id = ? AND mode = ? AND seed = ?"
            " AND code_version = ?", (experiment_id, mode, seed, code_version)).fetchone()
    finally:
        conn.close()
    return _record(row) if row else None


def latest_record(experiment_id: str, mode: str | None = None) -> RunRecord | None:
    """The newest run of an experiment (any seed and code version; only ``mode`` if given)."""
    sql = "SELECT * FROM experiment_runs WHERE experiment_id = ?"
    args: list = [experiment_id]
    if mode is not None:
        sql += " AND mode = ?"
        args.append(mode)
    sql += " ORDER BY created_at DESC, id DESC LIMIT 1"
    conn = _connect()
    try:
        row = conn.execute(sql, args).fetchone()
    finally:
        conn.close()
    return _record(row) if row else None


def latest(experiment_id: str, mode: str | None = None) -> Report | None:
    """The report of the newest run of an experiment (see :func:`latest_record`), or None."""
    rec = latest_record(experiment_id, mode)
    return rec.report if rec else None


def clear(experiment_id: str | None = None) -> int:
    """Forget cached runs (of one experiment, or all); returns how many rows went."""
    conn = _connect()
    try:
        with conn:
            if experiment_id is None:
                cur = conn.execute("DELETE FROM experiment_runs")
            else:
                cur = conn.execute("DELETE FROM experiment_runs WHERE experiment_id = ?",
                                   (experiment_id,))
        return cur.rowcount
    finally:
        conn.close()
