"""The mock interview in the browser: ``/interview`` (choose), one page per question, a summary.

Routes
------
=========================================  =====================================================
``GET /interview``                         the form: language, topic, difficulty, random or due,
                                           how many questions
``GET /interview/start?...``               picks the questions -> 303 to the first one
``GET /interview/q?ids=&i=&lang=&done=``   question ``i`` of ``ids``: a running timer, a box to
                                           type in; keys reveal the short answer, the follow-ups
                                           one by one, the pitfalls; 1-4 grade
``POST /interview/grade``                  writes the grade into the FSRS card -> 303 to the next
                                           question or the summary
``GET /interview/summary?lang=&done=``     time per question, grades, weakest topics
=========================================  =====================================================

The session lives in the URL (``ids``: the picked questions; ``done``: what was graded so far as
``id:grade:answer_s:total_s`` entries), so a reload or the back button never loses or repeats a
grade silently, and the grades themselves are in the study store the moment they are posted.
Picking, grading and the summary are :mod:`dlproof.study.interview`'s; the parts revealed come
from :func:`dlproof.handbook.sections.interview_parts`.
"""

from __future__ import annotations

import re
import time
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from dlproof.handbook.loader import LANGS
from dlproof.handbook.topics import TOPICS
from dlproof.web.deps import Deps, get_deps, pick_lang, read_form

_ID = r"[a-z0-9]+(?:-[a-z0-9]+)*"
_IDS_RE = re.compile(rf"^{_ID}(?:,{_ID})*$")
_DONE_RE = re.compile(rf"^({_ID}):([1-4]):(\d{{1,5}}(?:\.\d)?):(\d{{1,5}}(?:\.\d)?)$")
MAX_SECONDS = 6 * 3600

router = APIRouter()


class BadSession(ValueError):
    """A malformed interview URL or form."""


def parse_ids(ids: str, by_id: dict) -> list:
    from dlproof.study.interview import MAX_COUNT

    if not _IDS_RE.match(ids or ""):
        raise BadSession("ids must be question ids separated by commas")
    out = ids.split(",")
    if len(out) > MAX_COUNT or len(set(out)) != len(out):
        raise BadSession(f"at most {MAX_COUNT} different questions")
    for qid in out:
        q = by_id.get(qid)
        if q is None or not q.answered:
            raise BadSession(f"no answered question has the id {qid[:100]!r}")
    return [by_id[q] for q in out]


def parse_done(done: str, by_id: dict, lang: str) -> list:
    """The graded entries of the URL back as :class:`dlproof.study.interview.Graded`."""
    from dlproof.study.interview import Graded

    out = []
    for entry in filter(None, (done or "").split(",")):
        m = _DONE_RE.match(entry)
        if m is None or m.group(1) not in by_id:
            raise BadSession(f"malformed graded entry {entry[:100]!r}")
        q = by_id[m.group(1)]
        out.append(Graded(q.id, q.topic, lang, int(m.group(2)), float(m.group(3)),
                          float(m.group(4))))
    return out


def done_entry(g) -> str:
    return f"{g.question_id}:{g.rating}:{g.answer_s:.1f}:{g.total_s:.1f}"


def _not_graded_since(store, qid: str, lang: str, started_ms: float) -> None:
    """Refuse a second grade from the same page view (a re-posted form): the card already has a
    review from this interview client since the page was shown."""
    from datetime import UTC, datetime

    from dlproof.study.store import card_id

    since = datetime.fromtimestamp(max(0.0, started_ms) / 1000, UTC)
    for row in store.logs(card_id(qid, lang)):
        if row["client"] == store.client and datetime.fromisoformat(row["review_datetime"]) >= since:
            raise BadSession("this question was already graded from this page; "
                             "go on from the latest page")


CLIENT = "web-interview"  # the study store's client name for these grades


def _bad(deps: Deps, request: Request, exc: Exception):
    return deps.error_page(request, 422, "Invalid interview / 无效的面试参数", str(exc)[:300])


@router.get("/interview", response_class=HTMLResponse)
def interview_setup(request: Request, lang: str | None = Query(None, max_length=8),
                    deps: Deps = Depends(get_deps)):
    if lang is not None and lang not in LANGS:
        return _bad(deps, request, ValueError(f"unknown language {lang[:8]!r}; use zh or en"))
    qs = deps.bank.state().questions
    counts = {k: sum(q.answered and q.topic == k for q in qs) for k in TOPICS}
    return deps.page(request, "interview_setup.html", lang=lang, iv_lang=pick_lang(request, lang),
                     topic_counts=counts, answered=sum(q.answered for q in qs))


@router.get("/interview/start")
def interview_start(request: Request, lang: str = Query("zh", max_length=8),
                    topic: str = Query("", max_length=64),
                    difficulty: int = Query(0, ge=0, le=3),
                    mode: str = Query("random", max_length=16),
                    n: int = Query(3, ge=1, le=20),
                    seed: int | None = Query(None, ge=0, le=2**31 - 1),
                    deps: Deps = Depends(get_deps)):
    from dlproof.study.interview import InterviewError, pick

    if topic and topic not in TOPICS:
        return deps.error_page(request, 404, "Unknown topic / 没有这个主题",
                               f"No topic is called {topic[:64]!r}.")
    if mode not in ("random", "due"):
        return _bad(deps, request, ValueError("mode must be random or due"))
    try:
        with deps.study(CLIENT) as st:
            chosen = pick(deps.bank.state().questions, lang, topic=topic or None,
                          difficulty=difficulty or None, due=mode == "due", count=n,
                          seed=seed, store=st)
    except InterviewError as exc:
        if str(exc).startswith(("unknown language", "count")):
            return _bad(deps, request, exc)
        return deps.error_page(request, 404, "No question to ask / 没有可问的题目", str(exc)[:300])
    target = "/interview/q?" + urlencode({"ids": ",".join(q.id for q in chosen), "i": 0,
                                          "lang": lang})
    return RedirectResponse(target, status_code=303)


@router.get("/interview/q", response_class=HTMLResponse)
def interview_question(request: Request, ids: str = Query(..., max_length=2000),
                       i: int = Query(0, ge=0, le=100), lang: str = Query("zh", max_length=8),
                       done: str = Query("", max_length=4000), deps: Deps = Depends(get_deps)):
    from dlproof.handbook import html as mdhtml
    from dlproof.handbook.claims import claim_status
    from dlproof.handbook.sections import interview_parts
    from dlproof.web import results

    b = deps.bank.state()
    try:
        if lang not in LANGS:
            raise BadSession(f"unknown language {lang[:8]!r}; use zh or en")
        chosen = parse_ids(ids, b.by_id)
        graded = parse_done(done, b.by_id, lang)
        if i >= len(chosen):
            raise BadSession(f"question {i} of an interview of {len(chosen)}")
    except BadSession as exc:
        return _bad(deps, request, exc)
    q = chosen[i]
    parts = interview_parts(q, lang)
    reports = results.latest_reports(q.experiments)
    statuses = {(s.experiment_id, s.claim_id): s for s in claim_status(q, reports)}

    def md(text: str) -> str:
        return mdhtml.render_markdown(text, lang, lambda e, c: statuses.get((e, c)))

    return deps.page(request, "interview.html", q=q, iv_lang=lang, index=i, total=len(chosen),
                     ids=ids, done=done, graded=graded, short=md(parts.short),
                     followups=[{"prompt": md(f.prompt), "detail": md(f.detail) if f.detail else ""}
                                for f in parts.followups],
                     pitfalls=md("\n".join(f"- {p}" for p in parts.pitfalls)),
                     started_ms=int(time.time() * 1000))


@router.post("/interview/grade")
async def interview_grade(request: Request, deps: Deps = Depends(get_deps)):
    from dlproof.study.interview import InterviewError, grade

    form = await read_form(request)
    b = deps.bank.state()
    try:
        lang = form.get("lang", "")
        if lang not in LANGS:
            raise BadSession(f"unknown language {lang[:8]!r}; use zh or en")
        chosen = parse_ids(form.get("ids", ""), b.by_id)
        done = form.get("done", "")
        graded = parse_done(done, b.by_id, lang)
        i = form.get("i", "")
        if not i.isdigit() or int(i) >= len(chosen):
            raise BadSession("i must be the index of a question of the interview")
        i = int(i)
        if len(graded) != i or any(g.question_id != q.id for g, q in zip(graded, chosen)):
            raise BadSession("this question was already graded (or the form is stale); "
                             "go on from the latest page")
        now_ms = time.time() * 1000
        try:
            started = float(form.get("started", ""))
            answer_ms = float(form.get("answer_ms", "") or 0)
        except ValueError:
            raise BadSession("started and answer_ms must be numbers") from None
        total_s = min(max(0.0, (now_ms - started) / 1000), MAX_SECONDS)
        answer_s = min(max(0.0, answer_ms / 1000), total_s)
        seen = form.get("followups_seen", "0")
        seen = int(seen) if seen.isdigit() and len(seen) < 4 else 0
        with deps.study(CLIENT) as st:
            _not_graded_since(st, chosen[i].id, lang, started)
            g = grade(st, chosen[i], lang, form.get("rating", ""), answer_s=answer_s,
                      total_s=total_s, followups_seen=seen)
    except (BadSession, InterviewError) as exc:
        return deps.error_page(request, 422, "Invalid grade / 无效的评分", str(exc)[:300])
    done = ",".join(filter(None, (done, done_entry(g))))
    if i + 1 < len(chosen):
        target = "/interview/q?" + urlencode({"ids": form["ids"], "i": i + 1, "lang": lang,
                                              "done": done})
    else:
        target = "/interview/summary?" + urlencode({"lang": lang, "done": done})
    return RedirectResponse(target, status_code=303)


@router.get("/interview/summary", response_class=HTMLResponse)
def interview_summary(request: Request, lang: str = Query("zh", max_length=8),
                      done: str = Query("", max_length=4000), deps: Deps = Depends(get_deps)):
    from dlproof.study.interview import summarize

    b = deps.bank.state()
    try:
        if lang not in LANGS:
            raise BadSession(f"unknown language {lang[:8]!r}; use zh or en")
        graded = parse_done(done, b.by_id, lang)
    except BadSession as exc:
        return _bad(deps, request, exc)
    with deps.study(CLIENT) as st:
        summary = summarize(graded, store=st, questions=b.questions, lang=lang)
    return deps.page(request, "interview_summary.html", summary=summary, by_id=b.by_id,
                     iv_lang=lang)
