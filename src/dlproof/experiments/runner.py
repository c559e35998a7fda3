"""Run an experiment the way users and the web app do: progress, timing, figures, NaN report, cache.

::

    from dlproof.experiments.runner import run
    report = run("softmax-jacobian", RunConfig(mode="full", seed=0),
                 progress=lambda fraction, message: print(f"{fraction:.0%} {message}"))
    for claim in report.claims:
        print(claim.id, claim.value, claim.comparison, claim.holds)

:func:`run` resolves the id through the registry (an unknown id raises
:class:`~dlproof.experiments.registry.ExperimentError` naming near matches), then

1. with ``use_cache=True`` returns the cached report of the same (id, mode, seed, code version)
   when one exists and all its figure files are still on disk (see :mod:`.cache` for the code
   version; with ``out_dir`` the cached figures are copied there);
2. otherwise runs the experiment, forwarding ``report.progress(...)`` calls to ``progress``
   (the runner adds 0.0 "start" and 1.0 "done"; the experiment's own fractions are scaled into
   [0, 0.9], figure saving takes the rest);
3. saves every figure as PNG and SVG into ``out_dir`` or
   ``store.figures_dir()/<experiment_id>/<mode>-seed<seed>/``, fills ``Figure.paths`` and releases
   the matplotlib figure;
4. lists NaN/inf measurements in ``report.nonfinite`` (metrics and claims; such a report never
   passes, see ``Report.all_hold``);
5. runs the experiment with a single BLAS thread (see :func:`_single_threaded_blas`);
6. stores the report JSON with its wall-clock duration in the cache (``cache.latest_record``
   gives the duration; ``report.metrics`` gets nothing extra).

An exception inside the experiment propagates unchanged (nothing is cached); its figures are
released first.
"""

from __future__ import annotations

import math
import shutil
import time
from collections.abc import Callable
from pathlib import Path

from dlproof import store
from dlproof.experiments import cache
from dlproof.experiments.registry import (
    ExperimentError,
    Report,
    RunConfig,
    get,
)

Progress = Callable[[float, str], None]
EXPERIMENT_SHARE = 0.9  # fraction of the progress bar the experiment itself fills


def _single_threaded_blas():
    """Experiments run with one BLAS thread: their matrices are small, where OpenBLAS threads only
    add overhead (and collapse by 100x when the machine is oversubscribed, e.g. CI running tests
    in parallel); and one thread fixes the summation order, so the same seed gives the same numbers
    on every machine."""
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=1, user_api="blas")


def figure_dir(experiment_id: str, config: RunConfig) -> Path:
    """Where the figures of a run go by default."""
    return store.figures_dir() / experiment_id / f"{config.mode}-seed{config.seed}"


def _figures_present(report: Report) -> bool:
    return all(f.paths and all(Path(p).is_file() for p in f.paths.values())
               for f in report.figures)


def _copy_figures(report: Report, out_dir: Path) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    for f in report.figures:
        new = {}
        for fmt, p in f.paths.items():
            target = out_dir / Path(p).name
            if Path(p).resolve() != target.resolve():
                shutil.copyfile(p, target)
            new[fmt] = str(target)
        f.paths = new


def _mark_nonfinite(report: Report) -> None:
    """Make sure every NaN/inf metric or claim value is listed once in ``report.nonfinite``."""
    seen = set(report.nonfinite)
    for name, v in report.metrics.items():
        if not math.isfinite(v) and name not in seen:
            report.nonfinite.append(name)
            seen.add(name)
    for c in report.claims:
        key = f"claim:{c.id}"
        if not math.isfinite(c.value) and key not in seen:
            report.nonfinite.append(key)
            seen.add(key)


def run(experiment_id: str, config: RunConfig | None = None, *, out_dir: Path | str | None = None,
        progress: Progress | None = None, use_cache: bool = True) -> Report:
    """Run (or fetch from the cache) one experiment; see the module doc for every step."""
    from dlproof.experiments import figures

    config = config or RunConfig()
    if not isinstance(config, RunConfig):
        raise ExperimentError(f"config must be a RunConfig, got {type(config).__name__}")
    exp = get(experiment_id)
    version = cache.code_version(exp)
    notify = progress or (lambda fraction, message: None)
    out = Path(out_dir) if out_dir is not None else None

    if use_cache:
        hit = cache.lookup(exp.id, config.mode, config.seed, version)
        if hit is not None and _figures_present(hit.report):
            if out is not None:
                _copy_figures(hit.report, out)
            notify(1.0, "cached")
            return hit.report

    notify(0.0, "start")
    report = Report(exp.id, config)
    report.on_progress = lambda fraction, message: notify(EXPERIMENT_SHARE * fraction, message)
    started = time.perf_counter()
    try:
        with _single_threaded_blas():
            exp.func(config, report)
        if not report.claims:
            raise ExperimentError(f"experiment {exp.id!r} made no claims")
        target = out if out is not None else figure_dir(exp.id, config)
        for i, fig in enumerate(report.figures):
            notify(EXPERIMENT_SHARE + (1 - EXPERIMENT_SHARE) * i / max(len(report.figures), 1),
                   f"saving figure {fig.name}")
            fig.paths = figures.save(fig.fig, target, fig.name)
    finally:
        for fig in report.figures:
            if fig.fig is not None:
                figures.close(fig.fig)
                fig.fig = None
        report.on_progress = None
    duration = time.perf_counter() - started
    _mark_nonfinite(report)
    cache.save(report, version, duration)
    notify(1.0, "done")
    return report
