"""``POST /api/run/{exp}`` (start or join a background run) and ``GET /api/run/{exp}`` (its
status). Only registered experiment ids run; the job queue is the app's (``deps.jobs``)."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse

from dlproof.web import results
from dlproof.web.deps import SEED_MAX, Deps, get_deps

router = APIRouter()


def _experiment_or_404(exp_id: str):
    registered = results.registered()
    if len(exp_id) > 100 or exp_id not in registered:
        import difflib

        close = difflib.get_close_matches(exp_id[:100], list(registered), n=3, cutoff=0.4)
        return None, JSONResponse({"error": "unknown experiment",
                                   "detail": f"no registered experiment {exp_id[:100]!r}",
                                   "suggestions": close}, status_code=404)
    return registered[exp_id], None


@router.post("/api/run/{exp_id}")
def run_start(request: Request, exp_id: str, mode: Literal["smoke", "full"] = "smoke",
              seed: int = Query(0, ge=0, le=SEED_MAX), deps: Deps = Depends(get_deps)):
    from dlproof.experiments.registry import RunConfig

    _, err = _experiment_or_404(exp_id)
    if err is not None:
        return err
    job, new = deps.jobs.start(exp_id, RunConfig(mode=mode, seed=seed))
    return JSONResponse({**job.to_dict(), "coalesced": not new}, status_code=202)


@router.get("/api/run/{exp_id}")
def run_status(request: Request, exp_id: str, deps: Deps = Depends(get_deps)):
    _, err = _experiment_or_404(exp_id)
    if err is not None:
        return err
    job = deps.jobs.get(exp_id)
    if job is None:
        report = results.latest(exp_id)
        return {"experiment_id": exp_id, "state": "idle", "has_result": report is not None,
                "all_hold": None if report is None else report.all_hold}
    return job.to_dict()
