"""The snapshot writer behind ``dlproof check --full --snapshot [--all] [--jobs N] [--seeds 0-9]``.

It (re)measures experiments in full mode with seed 0 and rewrites the package's evidence directory
(:mod:`dlproof.experiments.snapshot` describes the format):

* **Incremental.** Only experiments without an entry, or whose ``source_version`` (the hash of the
  code their numbers depend on, :mod:`dlproof.experiments.sources`) changed, are rerun; ``--all``
  reruns every one. Entries of experiments that are no longer registered are dropped with their
  figures.
* **Parallel.** ``--jobs N`` runs N worker processes (spawned, one BLAS thread each: the runner's
  convention, so numbers do not depend on N; :mod:`dlproof.experiments.workers`, shared with
  ``dlproof check --jobs/--seeds``). ``--jobs 1`` runs in this process.
* **Checkpointed.** ``index.json`` is rewritten atomically after every finished experiment, and an
  experiment's figures are swapped in as one directory rename, so an interrupted writer keeps
  what it finished; rerunning it continues where it stopped.
* **Honest.** An experiment that raises keeps its old entry (which then reads "measured on an
  older version"); a report whose claims do not all hold is written as measured. Both make the
  command exit 1 and are listed.
* **Seed sweep** (``--seeds 0-9``, modes from ``--sweep-modes``, default smoke): per claim how
  many seeds it held on, and the min/median/max value (:func:`dlproof.experiments.sweep.claim_stats`,
  as ``dlproof check --seeds`` reports it); kept until the experiment's code changes.

Figures are saved as SVG only. A figure whose SVG exceeds :data:`SVG_BUDGET` bytes is saved again
with its dense artists (long lines, big collections) rasterized, so the package stays small.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

SVG_BUDGET = 200_000  # bytes per figure before dense artists are rasterized
DENSE_POINTS = 400  # a line or collection with more points than this is "dense"


class SnapshotError(Exception):
    """The snapshot cannot be written here (not a source checkout, not writable, bad option)."""


@dataclass
class BuildResult:
    directory: Path
    rerun: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)  # experiment id -> error message
    failing: dict[str, list[str]] = field(default_factory=dict)  # id -> claims that do not hold
    durations: dict[str, float] = field(default_factory=dict)
    wall_s: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.errors and not self.failing


def parse_seeds(spec: str) -> list[int]:
    """``"0-9"`` -> [0..9]; ``"0,3,5-6"`` -> [0, 3, 5, 6] (:func:`dlproof.experiments.sweep.parse_seeds`)."""
    from dlproof.experiments.sweep import SweepError
    from dlproof.experiments.sweep import parse_seeds as parse

    try:
        return parse(spec)
    except SweepError as exc:
        raise SnapshotError(str(exc)) from None


def check_writable(directory: Path, default: bool) -> None:
    """Refuse unless ``directory`` can be written (and, for the package's own evidence directory,
    unless this is a source checkout: an installed package's data is not ours to rewrite)."""
    from dlproof.experiments.sources import package_root

    if default and not (package_root().parent.parent / "pyproject.toml").is_file():
        raise SnapshotError(
            f"the snapshot is written into the source tree ({directory}), but this dlproof is an "
            "installed package, not a source checkout; run the command from a git checkout "
            "(pip install -e .)")
    probe = directory if directory.exists() else directory.parent
    if not os.access(probe, os.W_OK):
        raise SnapshotError(f"cannot write the snapshot: {probe} is not writable")


# ---- figures (saved in the worker that measured them) ----------------------------------------

def _rasterize_dense(fig) -> int:
    """Mark the dense artists of ``fig`` rasterized; returns how many."""
    from matplotlib.collections import Collection
    from matplotlib.lines import Line2D

    n = 0
    for ax in fig.get_axes():
        for art in ax.get_children():
            dense = (isinstance(art, Line2D) and len(art.get_xdata()) > DENSE_POINTS) or (
                isinstance(art, Collection) and (
                    len(art.get_paths()) > DENSE_POINTS or len(art.get_offsets()) > DENSE_POINTS
                    or sum(len(p.vertices) for p in art.get_paths()) > 10 * DENSE_POINTS))
            if dense:
                art.set_rasterized(True)
                n += 1
    return n


def save_svg(fig, directory: Path, name: str) -> Path:
    """Save ``fig`` as ``directory/name.svg``; over :data:`SVG_BUDGET`, again with dense artists
    rasterized (at 110 dpi) when that makes it smaller. Dense: a line of more than
    :data:`DENSE_POINTS` points, a collection of more paths or offsets than that, or one whose
    paths have more than ten times as many vertices in all (filled contours)."""
    from dlproof.experiments import figures

    figures.setup()
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / f"{name}.svg"
    fig.savefig(target, format="svg", metadata={"Date": None})
    if target.stat().st_size > SVG_BUDGET and _rasterize_dense(fig):
        small = directory / f".{name}.raster.svg"
        fig.savefig(small, format="svg", dpi=110, metadata={"Date": None})
        if small.stat().st_size < target.stat().st_size:
            os.replace(small, target)
        else:
            small.unlink()
    return target


# ---- the build -------------------------------------------------------------------------------

def _sweep_stats(results: dict[int, dict]) -> dict:
    """The snapshot's record of a sweep: the seeds, and per claim held/of/min/median/max."""
    from dlproof.experiments.sweep import claim_stats

    stats = claim_stats({seed: out["report"] for seed, out in results.items()})
    keep = ("held", "of", "min", "max", "median")
    return {"seeds": sorted(results),
            "claims": {cid: {k: st[k] for k in keep} for cid, st in stats.items()}}


def build(ids: list[str] | None = None, *, rerun_all: bool = False, jobs: int = 1,
          seeds: list[int] | None = None, sweep_modes: tuple[str, ...] = ("smoke",),
          evidence_dir: Path | None = None,
          log: Callable[[str], None] = print) -> BuildResult:
    """Bring the snapshot up to date (see the module doc); ``ids`` restricts it to some
    experiments (the others' entries are kept as they are)."""
    from dlproof.experiments import registry, snapshot, workers
    from dlproof.experiments.sources import source_version

    default = evidence_dir is None
    directory = (Path(evidence_dir) if evidence_dir is not None else snapshot.default_dir()).resolve()
    check_writable(directory, default)
    if jobs < 1:
        raise SnapshotError("--jobs must be at least 1")
    for m in sweep_modes:
        if m not in ("smoke", "full"):
            raise SnapshotError(f"sweep mode {m!r}: use smoke or full")
    started = time.perf_counter()
    reg = registry.load_all()
    unknown = sorted(set(ids or ()) - set(reg))
    if unknown:
        raise SnapshotError(f"not registered: {', '.join(unknown)}")
    directory.mkdir(parents=True, exist_ok=True)
    old = snapshot.parse(directory)
    res = BuildResult(directory)
    entries = {eid: e.raw for eid, e in old.entries.items() if eid in reg}
    for eid, rec in entries.items():  # the module lets readers check staleness without imports
        rec["module"] = reg[eid].module
    res.dropped = sorted(set(old.entries) - set(reg))
    versions = {eid: source_version(exp) for eid, exp in reg.items()}
    scope = sorted(ids) if ids else sorted(reg)
    todo = [eid for eid in scope if rerun_all or eid not in entries
            or entries[eid].get("source_version") != versions[eid]]
    res.kept = [eid for eid in scope if eid not in todo]
    sweeps = []  # (eid, mode, seed)
    if seeds:
        for eid in scope:
            for mode in sweep_modes:
                have = (entries.get(eid, {}).get("seeds") or {}).get(mode, {}).get("seeds")
                if eid in todo or have != list(seeds):
                    sweeps.extend((eid, mode, s) for s in seeds)
    log(f"snapshot in {directory}: {len(todo)} to measure, {len(res.kept)} up to date"
        + (f", {len(sweeps)} sweep runs" if sweeps else "") + f", {jobs} job(s)")

    staging = directory / f".staging-{os.getpid()}"
    figures_root = directory / "figures"

    def commit_main(eid: str, out: dict) -> None:
        src = staging / eid
        report = out["report"]
        for f in report["figures"]:
            f["paths"] = {"svg": f"figures/{eid}/{Path(f['paths']['svg']).name}"}
        figures_root.mkdir(parents=True, exist_ok=True)
        dst = figures_root / eid
        trash = staging / f".old-{eid}"
        if dst.exists():
            os.replace(dst, trash)
        if src.exists():
            os.replace(src, dst)
        shutil.rmtree(trash, ignore_errors=True)
        rec = {"module": reg[eid].module, "mode": "full", "seed": 0, "measured_at": snapshot.now_iso(),
               "source_version": versions[eid], "duration_s": round(out["duration_s"], 3),
               "report": report}
        entries[eid] = rec
        snapshot.write(entries, directory)
        res.durations[eid] = out["duration_s"]
        bad = [c["id"] for c in report["claims"] if not registry.Claim.from_dict(c).holds]
        if bad or report.get("nonfinite"):
            res.failing[eid] = bad + [f"nonfinite:{n}" for n in report.get("nonfinite", [])]

    sweep_out: dict[tuple[str, str], dict[int, dict]] = {}
    n_done = 0
    n_main = len(todo)

    def report_line(eid: str, what: str, ok: bool, secs: float | None) -> None:
        nonlocal n_done
        n_done += 1
        t = f" {secs:.1f} s" if secs is not None else ""
        log(f"[{n_done}/{n_main}] {eid}{t} {what if not ok else 'ok'}")

    staging.mkdir(parents=True, exist_ok=True)
    try:
        tasks = [workers.Task((eid, None, None), eid, "full", 0, str(staging / eid))
                 for eid in todo]
        tasks += [workers.Task((eid, mode, s), eid, mode, s) for eid, mode, s in sweeps]

        def done(key, out: dict | None, error: str | None) -> None:
            eid, mode, s = key
            if error is not None:
                name = eid if mode is None else f"{eid} ({mode}, seed {s})"
                res.errors[name] = error
                if mode is None:
                    report_line(eid, "ERROR " + error, False, None)
            elif mode is None:
                commit_main(eid, out)
                report_line(eid, "claims fail: " + ", ".join(res.failing.get(eid, [])),
                            eid not in res.failing, out["duration_s"])
            else:
                sweep_out.setdefault((eid, mode), {})[s] = out

        workers.run_tasks(tasks, jobs=jobs, on_done=done)
        res.rerun = [eid for eid in todo if eid not in res.errors]
        for (eid, mode), results in sorted(sweep_out.items()):
            if eid in entries and entries[eid]["source_version"] == versions[eid] \
                    and len(results) == len(seeds or ()):
                entries[eid].setdefault("seeds", {})[mode] = _sweep_stats(results)
        snapshot.write(entries, directory)
        if figures_root.is_dir():
            for d in figures_root.iterdir():
                if d.is_dir() and d.name not in entries:
                    shutil.rmtree(d)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    res.wall_s = time.perf_counter() - started
    return res


def evidence_size(directory: Path | None = None) -> int:
    """Bytes of the evidence directory (index and figures)."""
    from dlproof.experiments import snapshot

    d = Path(directory) if directory is not None else snapshot.default_dir()
    return sum(p.stat().st_size for p in d.rglob("*") if p.is_file()) if d.is_dir() else 0
