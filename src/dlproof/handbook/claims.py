"""Look up the latest measured claims for questions: the user's own run, else the shipped snapshot.

Kept apart from the renderers so the terminal, the web page and the status report agree on what
"verified" means: a question's claims are verified when every experiment it lists has a result
(the user's latest cached run in any mode, else the evidence snapshot shipped with the package,
see :func:`dlproof.experiments.snapshot.evidence`) in which every claim holds and no measurement
was NaN/inf.
"""

from __future__ import annotations

from dataclasses import dataclass

from dlproof.handbook.loader import Question


@dataclass
class ClaimStatus:
    experiment_id: str
    claim_id: str
    value: float | None  # None: never run, or the claim does not exist in the latest run
    comparison: str
    holds: bool | None
    en: str = ""
    zh: str = ""


def evidence(question: Question) -> dict:
    """experiment id -> :class:`~dlproof.experiments.snapshot.Evidence` (or None) for each
    experiment of the question: the user's latest run, else the snapshot entry."""
    if not question.experiments:
        return {}
    from dlproof.experiments import snapshot

    return {e: snapshot.evidence(e) for e in question.experiments}


def latest_reports(question: Question) -> dict:
    """experiment id -> the Report of :func:`evidence` (or None) for each experiment."""
    return {e: (ev.report if ev else None) for e, ev in evidence(question).items()}


def claim_status(question: Question, reports: dict | None = None) -> list[ClaimStatus]:
    """Every claim of the question's experiments (cited first, in citation order)."""
    reports = latest_reports(question) if reports is None else reports
    out: list[ClaimStatus] = []
    seen = set()
    for exp_id, claim_id in question.cited_claims():
        report = reports.get(exp_id)
        claim = next((c for c in report.claims if c.id == claim_id), None) if report else None
        out.append(_status(exp_id, claim_id, claim))
        seen.add((exp_id, claim_id))
    for exp_id, report in reports.items():
        for c in report.claims if report else []:
            if (exp_id, c.id) not in seen:
                out.append(_status(exp_id, c.id, c))
    return out


def _status(exp_id, claim_id, claim) -> ClaimStatus:
    if claim is None:
        return ClaimStatus(exp_id, claim_id, None, "", None)
    return ClaimStatus(exp_id, claim_id, claim.value, claim.comparison, claim.holds,
                       claim.en, claim.zh)


def verified(question: Question, reports: dict | None = None) -> bool:
    """True when every listed experiment has a result (run or snapshot) whose claims all hold."""
    reports = latest_reports(question) if reports is None else reports
    return bool(reports) and all(r is not None and r.all_hold for r in reports.values())
