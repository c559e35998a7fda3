"""Background experiment runs for the web app, one job per experiment at a time.

``JobManager.start(id, config)`` starts a daemon thread that runs the experiment and records its
progress; a second request for the same experiment while one is running gets the *same* job back
(requests coalesce; the running job's config wins). Status is polled as plain dicts, so page
requests never wait on a run. Failures are kept as a one-line message for the page, and the
traceback goes to the server log only.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from dlproof.experiments.registry import RunConfig

log = logging.getLogger("dlproof.web")


@dataclass
class Job:
    experiment_id: str
    config: RunConfig
    state: str = "running"  # running | done | error
    fraction: float = 0.0
    message: str = "starting"
    error: str = ""
    started: float = field(default_factory=time.time)
    finished: float | None = None
    all_hold: bool | None = None
    number: int = 0

    def to_dict(self) -> dict:
        return {
            "experiment_id": self.experiment_id, "mode": self.config.mode,
            "seed": self.config.seed, "state": self.state, "fraction": round(self.fraction, 4),
            "message": self.message, "error": self.error, "job": self.number,
            "elapsed_s": round((self.finished or time.time()) - self.started, 3),
            "all_hold": self.all_hold,
        }


class JobManager:
    def __init__(self, runner: Callable, max_parallel: int = 2):
        """``runner(experiment_id, config, progress) -> Report`` does the actual work; at most
        ``max_parallel`` experiments compute at once (the others wait, shown as "queued")."""
        self._runner = runner
        self._slots = threading.BoundedSemaphore(max_parallel)
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()
        self._count = 0

    def start(self, experiment_id: str, config: RunConfig) -> tuple[Job, bool]:
        """The job running this experiment (started now if none is); and whether it is new."""
        with self._lock:
            job = self._jobs.get(experiment_id)
            if job is not None and job.state == "running":
                return job, False
            self._count += 1
            job = Job(experiment_id, config, number=self._count)
            self._jobs[experiment_id] = job
        thread = threading.Thread(target=self._work, args=(job,), daemon=True,
                                  name=f"dlproof-run-{experiment_id}")
        thread.start()
        return job, True

    def get(self, experiment_id: str) -> Job | None:
        with self._lock:
            return self._jobs.get(experiment_id)

    def _work(self, job: Job) -> None:
        def progress(fraction: float, message: str = "") -> None:
            job.fraction = max(job.fraction, min(max(float(fraction), 0.0), 1.0))
            if message:
                job.message = str(message)[:200]

        try:
            job.message = "queued"
            with self._slots:
                job.message = "starting"
                report = self._runner(job.experiment_id, job.config, progress)
            job.all_hold = bool(report.all_hold)
            job.fraction, job.message = 1.0, "done"
            job.state = "done"
        except Exception as exc:  # reported on the page; traceback only in the log
            log.exception("experiment %s failed", job.experiment_id)
            job.error = f"{type(exc).__name__}: {exc}"[:500]
            job.message = "failed"
            job.state = "error"
        finally:
            job.finished = time.time()

    def wait(self, experiment_id: str, timeout: float = 30.0) -> Job | None:
        """Block until the experiment's job is no longer running (tests, CLI)."""
        end = time.time() + timeout
        while time.time() < end:
            job = self.get(experiment_id)
            if job is None or job.state != "running":
                return job
            time.sleep(0.02)
        return self.get(experiment_id)
