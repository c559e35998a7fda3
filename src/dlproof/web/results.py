"""Experiment results for the pages and exports: latest runs, claim statuses, running.

Runs go through :func:`dlproof.experiments.runner.run` (figures saved, report stored in the run
cache). What a page shows for an experiment is :func:`evidence`: the user's latest cached run, else
the evidence snapshot shipped with the package (:func:`dlproof.experiments.snapshot.evidence`),
with a label saying which. Where the runner is not installed, runs fall back to
:func:`dlproof.experiments.registry.run_experiment` with the reports kept in this process only.

Only ids in the registry are ever run; nothing is imported by a name taken from a request.
"""

from __future__ import annotations

import threading
from pathlib import Path

from dlproof.experiments.registry import Report, RunConfig

_MEMORY: dict[str, Report] = {}  # fallback store while the run cache module is missing
_LOCK = threading.Lock()


def registered() -> dict:
    """id -> Experiment of every registered experiment (imports the catalog once)."""
    from dlproof.experiments import registry

    try:
        return registry.load_all()
    except Exception:  # a broken catalog module must not take the pages down
        return dict(registry._REGISTRY)


def evidence(experiment_id: str):
    """The :class:`~dlproof.experiments.snapshot.Evidence` a page shows (your run, else the
    snapshot), or None when there is neither."""
    from dlproof.experiments import snapshot

    try:
        return snapshot.evidence(experiment_id)
    except (OSError, ValueError, KeyError):  # an unreadable snapshot must not take pages down
        import logging

        logging.getLogger("dlproof.web").exception("cannot read the evidence snapshot")
        from dlproof.experiments import cache

        rec = cache.latest_record(experiment_id)
        return None if rec is None else snapshot.Evidence(rec.report, "run", "", True)


def latest(experiment_id: str) -> Report | None:
    """The report of :func:`evidence` (or one run in this process without the runner)."""
    ev = evidence(experiment_id)
    if ev is None:
        with _LOCK:
            return _MEMORY.get(experiment_id)
    return ev.report


def latest_reports(experiment_ids) -> dict[str, Report | None]:
    return {e: latest(e) for e in experiment_ids}


def run(experiment_id: str, config: RunConfig, progress=None) -> Report:
    """Run a registered experiment now (blocking) and return its report."""
    if experiment_id not in registered():
        raise KeyError(experiment_id)
    try:
        from dlproof.experiments import runner
    except ImportError:
        runner = None
    if runner is not None:
        return runner.run(experiment_id, config, progress=progress, use_cache=False)
    from dlproof.experiments import registry

    exp = registry.get(experiment_id)
    report = Report(exp.id, config, on_progress=progress)
    exp.func(config, report)
    if not report.claims:
        raise registry.ExperimentError(f"experiment {exp.id!r} made no claims")
    report.on_progress = None
    for f in report.figures:
        f.fig = None
    with _LOCK:
        _MEMORY[experiment_id] = report
    return report


def evidence_root() -> Path:
    """Where the snapshot's figures live (served under ``/evidence/``)."""
    from dlproof.experiments import snapshot

    return snapshot.default_dir().resolve()


def figure_files(report: Report | None, root: Path, evidence: Path | None = None) -> list[dict]:
    """The report's figures that live inside ``root`` (the store's figures dir) or inside
    ``evidence`` (the snapshot's dir, default :func:`evidence_root`), as dicts with the paths
    relative to that root and ``where`` = "figures" or "evidence"; anything outside both is never
    served."""
    out = []
    if report is None:
        return out
    roots = (("figures", root.resolve()), ("evidence", (evidence or evidence_root()).resolve()))
    for f in report.figures:
        rel = {}
        for kind in ("svg", "png"):
            p = f.paths.get(kind)
            if not p:
                continue
            try:
                rp = Path(p).resolve()
            except OSError:
                continue
            for where, base in roots:
                if rp.is_file() and rp.is_relative_to(base):
                    rel[kind] = rp.relative_to(base).as_posix()
                    rel[kind + "_abs"] = str(rp)
                    rel["where"] = where
                    break
        if rel:
            out.append({"name": f.name, "caption_en": f.caption_en, "caption_zh": f.caption_zh,
                        **rel})
    return out
