"""JobManager: requests for a running experiment coalesce; at most N experiments compute at once."""

from __future__ import annotations

import threading
import time

from dlproof.experiments.registry import RunConfig
from dlproof.web.jobs import JobManager


class FakeReport:
    all_hold = True


def test_coalesce_and_parallel_limit():
    release = threading.Event()
    started: list[str] = []

    def runner(eid, cfg, progress):
        started.append(eid)
        progress(0.5, "half")
        release.wait(10)
        return FakeReport()

    jobs = JobManager(runner, max_parallel=2)
    a, new_a = jobs.start("a", RunConfig())
    a2, new_a2 = jobs.start("a", RunConfig("full", 5))
    assert new_a and not new_a2 and a2 is a and a.config == RunConfig()
    jobs.start("b", RunConfig())
    c, _ = jobs.start("c", RunConfig())
    deadline = time.time() + 5
    while len(started) < 2 and time.time() < deadline:
        time.sleep(0.01)
    time.sleep(0.1)
    assert sorted(started) == ["a", "b"] and c.message == "queued" and c.state == "running"
    assert a.to_dict()["fraction"] == 0.5 and a.to_dict()["message"] == "half"
    release.set()
    for eid in "abc":
        assert jobs.wait(eid, 10).state == "done"
    assert sorted(started) == ["a", "b", "c"]
    # a finished experiment can be started again, as a new job
    again, new = jobs.start("a", RunConfig())
    assert new and again.number > a.number
    jobs.wait("a", 10)


def test_failure_message_is_short_and_kept():
    def runner(eid, cfg, progress):
        raise ValueError("x" * 2000)

    jobs = JobManager(runner)
    jobs.start("a", RunConfig())
    job = jobs.wait("a", 10)
    assert job.state == "error" and job.error.startswith("ValueError: x") and len(job.error) <= 500
