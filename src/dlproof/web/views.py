"""What the pages show, computed once for the web app and the static-site export alike.

A question's badges: *answered* (both languages written), *experiment* (at least one of its
experiments is registered), *verified* (every experiment it lists has a latest run whose claims all
hold; the definition of :func:`dlproof.handbook.claims.verified`).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import Path

from dlproof.handbook import html as mdhtml
from dlproof.handbook.loader import LANGS, Question
from dlproof.handbook.topics import TOPICS
from dlproof.web import results


@dataclass
class QuestionStatus:
    answered: bool
    has_experiment: bool
    verified: bool
    claims_total: int = 0
    claims_holding: int = 0
    claims_measured: int = 0  # claims with a value in the latest runs


@dataclass
class Coverage:
    total: int
    answered: int
    with_experiment: int
    verified: int

    def pct(self, n: int) -> int:
        return round(100 * n / self.total) if self.total else 0


@dataclass
class ExperimentView:
    id: str
    registered: bool
    title_en: str = ""
    title_zh: str = ""
    report: object = None
    figures: list = field(default_factory=list)
    claims: list = field(default_factory=list)  # ClaimStatus-like dicts
    source: str = ""  # "run" (the user's own), "snapshot" (shipped with dlproof) or "" (none)
    current: bool = True  # False: a snapshot measured on an older version of the code
    label_zh: str = ""
    label_en: str = ""


def _claims_module():
    from dlproof.handbook import claims

    return claims


def question_status(q: Question, registered: dict, reports: dict) -> QuestionStatus:
    claims = _claims_module()
    statuses = claims.claim_status(q, reports) if q.experiments else []
    return QuestionStatus(
        answered=q.answered,
        has_experiment=any(e in registered for e in q.experiments),
        verified=bool(q.experiments) and claims.verified(q, reports),
        claims_total=len(statuses),
        claims_holding=sum(1 for s in statuses if s.holds),
        claims_measured=sum(1 for s in statuses if s.holds is not None),
    )


def index_data(questions: list[Question]) -> tuple[list[dict], Coverage, dict]:
    """Topics in reading order with their questions and statuses, plus overall coverage."""
    registered = results.registered()
    exp_ids = {e for q in questions for e in q.experiments}
    reports = results.latest_reports(sorted(exp_ids))
    statuses = {q.id: question_status(q, registered, {e: reports[e] for e in q.experiments})
                for q in questions}
    topics = []
    for key, (zh, en) in TOPICS.items():
        qs = [q for q in questions if q.topic == key]
        if qs:
            topics.append({"key": key, "zh": zh, "en": en, "questions": qs,
                           "answered": sum(statuses[q.id].answered for q in qs)})
    cov = Coverage(
        total=len(questions),
        answered=sum(s.answered for s in statuses.values()),
        with_experiment=sum(s.has_experiment for s in statuses.values()),
        verified=sum(s.verified for s in statuses.values()),
    )
    return topics, cov, statuses


def experiment_views(q: Question, figures_root: Path) -> list[ExperimentView]:
    registered = results.registered()
    out = []
    claims = _claims_module()
    for eid in q.experiments:
        exp = registered.get(eid)
        ev = results.evidence(eid)
        report = ev.report if ev is not None else results.latest(eid)
        view = ExperimentView(eid, exp is not None, getattr(exp, "title_en", ""),
                              getattr(exp, "title_zh", ""), report)
        if ev is not None:
            view.source, view.current = ev.source, ev.current
            view.label_zh, view.label_en = ev.label("zh"), ev.label("en")
        view.figures = results.figure_files(report, figures_root)
        if report is not None:
            cited = {c for e, c in q.cited_claims() if e == eid}
            for s in claims.claim_status(q, {eid: report}):
                view.claims.append({
                    "id": s.claim_id, "en": s.en, "zh": s.zh, "value": s.value,
                    "value_text": mdhtml.format_value(s.value), "comparison": s.comparison,
                    "holds": s.holds, "cited": s.claim_id in cited,
                    "sweep_zh": ev.sweep_text(s.claim_id, "zh") if ev else "",
                    "sweep_en": ev.sweep_text(s.claim_id, "en") if ev else "",
                })
        out.append(view)
    return out


def rendered_answer(q: Question) -> dict[str, str]:
    """lang -> HTML of the answer, with claim badges from the latest runs."""
    if not q.answered:
        return {}
    claims = _claims_module()
    reports = results.latest_reports(q.experiments)
    statuses = {(s.experiment_id, s.claim_id): s for s in claims.claim_status(q, reports)}
    lookup = lambda e, c: statuses.get((e, c))
    return {lang: mdhtml.render_markdown(q.answer[lang], lang, lookup) for lang in LANGS
            if lang in q.answer}


def suggestions(word: str, questions: list[Question], n: int = 5) -> list[Question]:
    """Questions whose id or title is close to ``word`` (for 404 pages)."""
    word = (word or "")[:200].lower()
    by_key: dict[str, Question] = {}
    for q in questions:
        for key in (q.id, q.title_en.lower(), q.title_zh):
            by_key.setdefault(key, q)
    close = difflib.get_close_matches(word, list(by_key), n=n * 2, cutoff=0.4)
    seen: dict[str, Question] = {}
    for k in close:
        seen.setdefault(by_key[k].id, by_key[k])
    if len(seen) < n and word:
        # fall back to substring matches on the id words
        for q in questions:
            if any(part and part in q.id for part in word.replace("_", "-").split("-")
                   if len(part) > 3):
                seen.setdefault(q.id, q)
    return list(seen.values())[:n]


def mastery_data(questions: list[Question], study_path: Path | None, days: int = 30) -> dict | None:
    """Per language: what the learner knows now, from the FSRS store (:mod:`dlproof.study.progress`):
    ``{lang: {"topics": {topic: TopicMastery}, "mastery": mean R over all cards, "mastered",
    "reviewed", "svg": the last ``days`` days as an inline SVG}}``; None when the store cannot
    be read (the page then leaves the block out)."""
    import sqlite3

    from dlproof.study import progress
    from dlproof.study.store import StudyStore

    try:
        with StudyStore(study_path, fuzz=False) as st:
            out = {}
            for lang in LANGS:
                rows = progress.topic_mastery(st, questions, lang)
                hist = progress.history(st, questions, lang, days=days)
                n = sum(r.questions for r in rows) or 1
                out[lang] = {
                    "topics": {r.topic: r for r in rows},
                    "mastery": sum(r.mastery * r.questions for r in rows) / n,
                    "mastered": sum(r.mastered for r in rows),
                    "reviewed": sum(r.reviewed for r in rows),
                    "total": sum(r.questions for r in rows),
                    "svg": progress.history_svg(hist),
                }
            return out
    except (sqlite3.Error, OSError):
        return None
