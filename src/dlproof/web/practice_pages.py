"""The practice pages: ``/practice`` (every exercise and its last grade) and ``/practice/{id}``
(the starting file, the commands, the last grade), plus the box a question page shows.

Grading is done by ``dlproof grade`` in the user's terminal: user code never runs in the server.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from dlproof.web.deps import Deps, get_deps

router = APIRouter()


def _exercise_views(study_path: Path | None) -> dict[str, dict]:
    from dlproof.practice import commands, exercise, results

    last = results.last_attempts(path=study_path)
    out = {}
    for ex in exercise.all_exercises().values():
        row = last.get(ex.id)
        out[ex.id] = {
            "ex": ex,
            "start": f"dlproof practice {ex.id}",
            "grade": f"dlproof grade {ex.id}",
            "file": str(commands.workspace_file(ex.id, commands.DEFAULT_DIR)),
            "starting_file": commands.starting_file(ex),
            "last": None if row is None else {
                "passed": bool(row["passed"]), "checks": f"{row['checks_passed']}/{row['checks_total']}",
                "at": row["at"][:16].replace("T", " "), "summary": row["summary"],
                "attempts": row["attempts"], "passes": row["passes"] or 0},
        }
    return out


def practice_for(qid: str, study_path: Path | None) -> list[dict]:
    """The exercises of question ``qid`` (for the question page's template)."""
    return [v for v in _exercise_views(study_path).values() if v["ex"].question == qid]


@router.get("/practice", response_class=HTMLResponse)
def practice_index(request: Request, deps: Deps = Depends(get_deps)):
    return deps.page(request, "practice.html",
                     exercises=list(_exercise_views(deps.study_path).values()))


@router.get("/practice/{exercise_id}", response_class=HTMLResponse)
def practice_page(request: Request, exercise_id: str, deps: Deps = Depends(get_deps)):
    views = _exercise_views(deps.study_path)
    if exercise_id not in views:
        return deps.error_page(request, 404, "Unknown exercise / 没有这个练习",
                               f"No exercise has the id “{exercise_id[:100]}”.")
    v = views[exercise_id]
    q = deps.bank.state().by_id.get(v["ex"].question)
    return deps.page(request, "exercise.html", e=v, q=q)
