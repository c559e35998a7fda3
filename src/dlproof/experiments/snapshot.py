"""The evidence snapshot: every experiment measured once (full mode, seed 0), shipped as package data.

A new user sees measured values and figures on the first visit, before running anything. The
snapshot lives in ``dlproof/experiments/evidence/``:

* ``index.json`` (format 1): ``written_at``, ``dlproof_version``, ``numpy``, ``scipy`` and per
  experiment ``module`` (its dotted module name), ``mode``, ``seed``, ``measured_at``,
  ``source_version`` (see
  :mod:`dlproof.experiments.sources`), ``duration_s``, ``report`` (:meth:`Report.to_dict`, figure
  paths relative to ``evidence/``) and optionally ``seeds`` (a sweep: per mode the seeds and per
  claim ``held``, ``of``, ``min``, ``max``, ``median``);
* ``figures/<experiment_id>/<figure_name>.svg``.

Reading::

    from dlproof.experiments import snapshot
    entry = snapshot.load().get("softmax-jacobian")   # Entry | None
    entry.report            # Report, figure paths absolute
    entry.is_current()      # measured with today's code?

:func:`evidence` is what the views use: the user's own latest cached run when there is one, else
the snapshot entry, with the label to show. :func:`write` is the writer's last step (the command is
``dlproof check --full --snapshot``, see :mod:`dlproof.experiments.snapshot_build`).
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from dlproof.experiments.registry import Report

FORMAT = 1
WRITER_COMMAND = "dlproof check --full --snapshot"
_lock = threading.Lock()
_loaded: dict[str, tuple[tuple[int, int], Snapshot]] = {}


def default_dir() -> Path:
    """The package's evidence directory (it may not exist in a build without a snapshot)."""
    return Path(__file__).resolve().parent / "evidence"


@dataclass
class Entry:
    """One experiment's snapshot record."""

    experiment_id: str
    mode: str
    seed: int
    measured_at: str  # ISO 8601 UTC
    source_version: str
    duration_s: float
    report: Report  # figure paths absolute
    seeds: dict = field(default_factory=dict)  # mode -> {"seeds": [...], "claims": {...}}
    raw: dict = field(default_factory=dict, repr=False)  # the JSON record, paths relative

    def is_current(self) -> bool:
        """True when the experiment's code is unchanged since the snapshot measured it. Uses the
        module recorded in the entry (no import, so no NumPy), else the registry."""
        from dlproof.experiments import sources

        module = self.raw.get("module")
        path = sources.module_path(module) if module else None
        if path is None:
            from dlproof.experiments import registry

            exp = registry.load_all().get(self.experiment_id)
            return exp is not None and sources.source_version(exp) == self.source_version
        return sources.version_of(self.experiment_id, path) == self.source_version

    def sweep(self, claim_id: str) -> tuple[int, int, str] | None:
        """(held, of, mode) of the widest seed sweep of a claim (full mode preferred), or None."""
        for mode in ("full", "smoke"):
            c = self.seeds.get(mode, {}).get("claims", {}).get(claim_id)
            if c:
                return int(c["held"]), int(c["of"]), mode
        return None


@dataclass
class Snapshot:
    """The whole index; empty when the package ships none."""

    directory: Path
    written_at: str = ""
    dlproof_version: str = ""
    numpy: str = ""
    scipy: str = ""
    entries: dict[str, Entry] = field(default_factory=dict)

    def get(self, experiment_id: str) -> Entry | None:
        return self.entries.get(experiment_id)

    def __len__(self) -> int:
        return len(self.entries)


def _entry(eid: str, d: dict, directory: Path) -> Entry:
    report = Report.from_dict(d["report"])
    for f in report.figures:  # relative to evidence/ in the file, absolute in memory
        f.paths = {k: str((directory / v).resolve()) for k, v in f.paths.items()
                   if (directory / v).is_file()}
    return Entry(eid, d["mode"], int(d["seed"]), d["measured_at"], d["source_version"],
                 float(d.get("duration_s", 0.0)), report, dict(d.get("seeds") or {}), d)


def parse(directory: Path) -> Snapshot:
    """Read ``directory/index.json`` (no caching); a missing file gives an empty Snapshot."""
    index = directory / "index.json"
    if not index.is_file():
        return Snapshot(directory)
    data = json.loads(index.read_text("utf-8"))
    if data.get("format") != FORMAT:
        raise ValueError(f"{index}: unknown snapshot format {data.get('format')!r} "
                         f"(this dlproof reads format {FORMAT})")
    snap = Snapshot(directory, data.get("written_at", ""), data.get("dlproof_version", ""),
                    data.get("numpy", ""), data.get("scipy", ""))
    for eid, d in (data.get("experiments") or {}).items():
        snap.entries[eid] = _entry(eid, d, directory)
    return snap


def load(directory: Path | None = None) -> Snapshot:
    """The snapshot, cached per process and re-read when ``index.json`` changes on disk."""
    directory = Path(directory) if directory is not None else default_dir()
    index = directory / "index.json"
    try:
        st = index.stat()
        stamp = (st.st_mtime_ns, st.st_size)
    except OSError:
        stamp = (0, 0)
    key = str(directory)
    with _lock:
        hit = _loaded.get(key)
        if hit is not None and hit[0] == stamp:
            return hit[1]
    snap = parse(directory)
    with _lock:
        _loaded[key] = (stamp, snap)
    return snap


def now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _atomic_write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.chmod(tmp, 0o644)  # package data: readable by everyone (mkstemp makes it 0600)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write(entries: dict[str, dict], evidence_dir: Path | None = None) -> Path:
    """Write ``index.json`` atomically from ``entries`` (experiment id -> the JSON record of one
    entry, figure paths relative to the evidence dir, as :mod:`.snapshot_build` makes them).
    The figure files must already be in place. Returns the index path."""
    import numpy
    import scipy

    import dlproof

    directory = Path(evidence_dir) if evidence_dir is not None else default_dir()
    payload = {
        "format": FORMAT,
        "written_at": now_iso(),
        "dlproof_version": dlproof.__version__,
        "numpy": numpy.__version__,
        "scipy": scipy.__version__,
        "experiments": {eid: entries[eid] for eid in sorted(entries)},
    }
    index = directory / "index.json"
    _atomic_write(index, json.dumps(payload, ensure_ascii=False, indent=1, sort_keys=False) + "\n")
    return index


# ---- what the views show --------------------------------------------------------------------

@dataclass
class Evidence:
    """The result a view shows for one experiment, and where it came from."""

    report: Report
    source: str  # "run" (the user's own cached run) or "snapshot"
    measured_at: str  # ISO 8601 UTC
    current: bool  # measured with today's code (always True for a cache hit of this code)
    source_version: str = ""
    entry: Entry | None = None

    def label(self, lang: str) -> str:
        """"your run, <date>" / "measured on <date>, full mode, seed 0, code <short>" /
        "measured on an older version of the code"."""
        date = self.measured_at[:10]
        cfg = self.report.config
        if self.source == "run":
            return (f"你的运行，{date}，{cfg.mode} 模式，seed {cfg.seed}" if lang == "zh"
                    else f"your run, {date}, {cfg.mode} mode, seed {cfg.seed}")
        if not self.current:
            return (f"在较旧版本的代码上测得（{date}），重新运行以更新" if lang == "zh"
                    else f"measured on an older version of the code ({date}); rerun to update")
        short = self.source_version[:7]
        return (f"测于 {date}，{cfg.mode} 模式，seed {cfg.seed}，代码 {short}" if lang == "zh"
                else f"measured on {date}, {cfg.mode} mode, seed {cfg.seed}, code {short}")

    def sweep_text(self, claim_id: str, lang: str) -> str:
        """"holds on k/n seeds" when the snapshot has a seed sweep of the claim, else ""."""
        if self.entry is None or self.source != "snapshot":
            return ""
        sw = self.entry.sweep(claim_id)
        if sw is None:
            return ""
        held, of, mode = sw
        return (f"{of} 个 seed 中 {held} 个成立（{mode}）" if lang == "zh"
                else f"holds on {held}/{of} seeds ({mode})")


def evidence(experiment_id: str, *, use_cache: bool = True,
             directory: Path | None = None) -> Evidence | None:
    """The user's latest cached run of the experiment if any, else its snapshot entry, else None."""
    if use_cache:
        from dlproof.experiments import cache

        rec = cache.latest_record(experiment_id)
        if rec is not None:
            when = datetime.fromtimestamp(rec.created_at, UTC)
            return Evidence(rec.report, "run", when.strftime("%Y-%m-%dT%H:%M:%SZ"), True)
    entry = load(directory).get(experiment_id)
    if entry is None:
        return None
    return Evidence(entry.report, "snapshot", entry.measured_at, entry.is_current(),
                    entry.source_version, entry)
