"""Worker processes for running many experiments at once: one task, one report dict.

Used by ``dlproof check --jobs N`` / ``--seeds`` (:mod:`dlproof.experiments.sweep`) and by the
snapshot writer (:mod:`dlproof.experiments.snapshot_build`)::

    from dlproof.experiments.workers import Task, run_tasks
    tasks = [Task(("softmax-jacobian", s), "softmax-jacobian", "smoke", s) for s in range(3)]
    run_tasks(tasks, jobs=2, on_done=lambda key, out, err: print(key, err or out["duration_s"]),
              on_progress=lambda key, fraction, message: None)

* A :class:`Task` names an experiment, a mode and a seed, plus what to do with its figures:
  ``figure_dir`` saves them there as SVG (the snapshot's format), ``cached`` runs it through
  :func:`dlproof.experiments.runner.run` instead (the run cache, PNG + SVG figures in the data
  directory), and neither just measures (figures discarded: a seed sweep needs only the numbers).
* ``jobs=1`` runs the tasks in this process, in order. ``jobs>1`` runs them in that many
  *spawned* worker processes, each with one BLAS thread (the environment variables of
  :data:`BLAS_ENV`, set before NumPy is imported, plus the runner's ``threadpool_limits``), so a
  report does not depend on ``jobs``: the same seed gives the same numbers serially and in
  parallel. A spawned worker imports the registered catalog afresh, so only experiments of
  :mod:`dlproof.experiments.catalog` can run there (not ones registered at run time in tests).
* ``on_done(key, out, error)`` is called in the calling process as each task finishes (in
  completion order): ``out`` is ``{"report": Report.to_dict(), "duration_s": float}``, ``error``
  the exception's ``"Type: message"`` (then ``out`` is None). One failing task never stops the
  others. ``on_progress(key, fraction, message)`` relays the experiment's ``report.progress``
  calls (from a worker through a queue, at most every 0.1 s per task), starting with
  ``(key, 0.0, "start")`` when a worker picks the task up; none comes after the task's
  ``on_done``.
"""

from __future__ import annotations

import os
import queue as queue_mod
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from pathlib import Path

BLAS_ENV = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
PROGRESS_EVERY_S = 0.1  # a worker sends a task's progress at most this often (and at 0 and 1)

Progress = Callable[[Hashable, float, str], None]
Done = Callable[[Hashable, "dict | None", "str | None"], None]


@dataclass(frozen=True)
class Task:
    """One experiment run. ``key`` identifies it in the callbacks (any picklable hashable)."""

    key: Hashable
    experiment_id: str
    mode: str
    seed: int
    figure_dir: str | None = None  # save the figures there as SVG (snapshot format)
    cached: bool = False  # run through the runner: run cache, PNG + SVG figures
    use_cache: bool = True  # with cached=True: may a cached report be returned


def default_jobs() -> int:
    """The number of cores this process may use."""
    try:
        return max(len(os.sched_getaffinity(0)), 1)
    except AttributeError:  # not on Linux
        return max(os.cpu_count() or 1, 1)


def measure(experiment_id: str, mode: str, seed: int, figure_dir: str | None = None,
            progress: Callable[[float, str], None] | None = None) -> dict:
    """Run one experiment as the runner does (one BLAS thread, NaN bookkeeping), without the
    cache; with ``figure_dir``, save its figures there as SVG (see
    :func:`dlproof.experiments.snapshot_build.save_svg`), otherwise discard them. Returns the
    report dict and the duration."""
    from dlproof.experiments import figures, registry, runner

    exp = registry.get(experiment_id)
    config = registry.RunConfig(mode=mode, seed=seed)
    report = registry.Report(exp.id, config)
    report.on_progress = progress
    started = time.perf_counter()
    try:
        with runner._single_threaded_blas():
            exp.func(config, report)
        if not report.claims:
            raise registry.ExperimentError(f"experiment {exp.id!r} made no claims")
        if figure_dir is not None:
            from dlproof.experiments.snapshot_build import save_svg

            for fig in report.figures:
                path = save_svg(fig.fig, Path(figure_dir), fig.name)
                fig.paths = {"svg": str(path)}
    finally:
        report.on_progress = None
        for fig in report.figures:
            if fig.fig is not None:
                figures.close(fig.fig)
                fig.fig = None
    runner._mark_nonfinite(report)
    return {"report": report.to_dict(), "duration_s": time.perf_counter() - started}


def run_one(task: Task, progress: Callable[[float, str], None] | None = None) -> dict:
    """Run ``task`` in this process (what a worker does with it)."""
    if task.cached:
        from dlproof.experiments import registry, runner

        started = time.perf_counter()
        report = runner.run(task.experiment_id, registry.RunConfig(task.mode, task.seed),
                            use_cache=task.use_cache, progress=progress)
        return {"report": report.to_dict(), "duration_s": time.perf_counter() - started}
    return measure(task.experiment_id, task.mode, task.seed, task.figure_dir, progress)


# ---- inside a worker process ------------------------------------------------------------------

_progress_queue = None


def _worker_init(progress_queue=None) -> None:
    global _progress_queue
    for name in BLAS_ENV:
        os.environ[name] = "1"
    _progress_queue = progress_queue


def _worker_run(task: Task) -> dict:
    q = _progress_queue
    if q is None:
        return run_one(task)
    last = [0.0]

    def send(fraction: float, message: str) -> None:
        now = time.monotonic()
        if fraction >= 1.0 or now - last[0] >= PROGRESS_EVERY_S:
            last[0] = now
            q.put((task.key, fraction, message))

    q.put((task.key, 0.0, "start"))
    return run_one(task, send)


# ---- in the calling process -------------------------------------------------------------------

def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


def run_tasks(tasks: list[Task], *, jobs: int = 1, on_done: Done,
              on_progress: Progress | None = None) -> None:
    """Run every task (see the module doc); returns when all have finished."""
    if jobs < 1:
        raise ValueError(f"jobs must be at least 1, got {jobs}")
    if jobs == 1 or len(tasks) <= 1:
        for task in tasks:
            def relay(fraction: float, message: str, key=task.key) -> None:
                if on_progress is not None:
                    on_progress(key, fraction, message)

            relay(0.0, "start")
            try:
                out = run_one(task, relay)
            except Exception as exc:  # one broken experiment must not stop the others
                on_done(task.key, None, _describe(exc))
            else:
                on_done(task.key, out, None)
        return

    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
    from multiprocessing import get_context

    ctx = get_context("spawn")
    progress_queue = ctx.Queue() if on_progress is not None else None
    saved = {k: os.environ.get(k) for k in BLAS_ENV}
    for name in BLAS_ENV:  # inherited by the spawned workers before they import NumPy
        os.environ[name] = "1"
    try:
        pool = ProcessPoolExecutor(max_workers=min(jobs, len(tasks)), mp_context=ctx,
                                   initializer=_worker_init, initargs=(progress_queue,))
        futures = {pool.submit(_worker_run, task): task for task in tasks}
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v

    finished: set = set()

    def drain() -> None:
        if progress_queue is None:
            return
        while True:
            try:
                key, fraction, message = progress_queue.get_nowait()
            except (queue_mod.Empty, OSError, ValueError):
                return
            if key not in finished:  # a late message may arrive after the task's result
                on_progress(key, fraction, message)

    with pool:
        pending = set(futures)
        try:
            while pending:
                done, pending = wait(pending, timeout=PROGRESS_EVERY_S,
                                     return_when=FIRST_COMPLETED)
                drain()
                for fut in done:
                    task = futures[fut]
                    finished.add(task.key)
                    try:
                        out = fut.result()
                    except Exception as exc:
                        on_done(task.key, None, _describe(exc))
                    else:
                        on_done(task.key, out, None)
        except BaseException:  # Ctrl-C: do not start the queued tasks
            for fut in pending:
                fut.cancel()
            raise
    if progress_queue is not None:
        progress_queue.close()
