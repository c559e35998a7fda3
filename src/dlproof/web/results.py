"""Experiment results for the pages and exports: latest runs, claim statuses, running.

Runs go through :func:`dlproof.experiments.runner.run` (figures saved, report stored in the run
cache) and latest results come from :func:`dlproof.experiments.cache.latest`. Where those modules
are not installed yet, runs fall back to :func:`dlproof.experiments.registry.run_experiment` with the
reports kept in this process only (no figures).

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


def latest(experiment_id: str) -> Report | None:
    try:
        from dlproof.experiments import cache
    except ImportError:
        with _LOCK:
            return _MEMORY.get(experiment_id)
    report = cache.latest(experiment_id)
    if report is None:
        with _LOCK:
            return _MEMORY.get(experiment_id)
    return report


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


def figure_files(report: Report | None, root: Path) -> list[dict]:
    """The report's figures that live inside ``root`` (the store's figures dir), as
    dicts with the paths relative to ``root``; anything outside it is never served."""
    out = []
    if report is None:
        return out
    root = root.resolve()
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
            if rp.is_file() and rp.is_relative_to(root):
                rel[kind] = rp.relative_to(root).as_posix()
                rel[kind + "_abs"] = str(rp)
        if rel:
            out.append({"name": f.name, "caption_en": f.caption_en, "caption_zh": f.caption_zh,
                        **rel})
    return out
