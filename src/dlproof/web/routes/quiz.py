"""``GET /quiz``, ``POST /quiz/review``, ``GET /api/quiz``: the FSRS quiz."""

from __future__ import annotations

from typing import Literal
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from dlproof.handbook.loader import LANGS
from dlproof.handbook.topics import TOPICS
from dlproof.web import views
from dlproof.web.deps import Deps, get_deps, pick_lang, read_form

router = APIRouter()


@router.get("/quiz", response_class=HTMLResponse)
def quiz_page(request: Request, lang: Literal["zh", "en"] | None = None,
              topic: str = Query("", max_length=64), deps: Deps = Depends(get_deps)):
    if topic and topic not in TOPICS:
        return deps.error_page(request, 404, "Unknown topic / 没有这个主题", topic[:64])
    qlang = pick_lang(request, lang)
    qs = deps.bank.state().questions
    with deps.study() as st:
        queue = st.queue(qs, qlang, topic=topic or None, limit=1)
        counts = st.counts(qs, qlang, topic=topic or None)
    item = queue[0] if queue else None
    answer = views.rendered_answer(item.question) if item else {}
    return deps.page(request, "quiz.html", lang=lang, item=item, counts=counts, topic=topic,
                     quiz_lang=qlang, answer=answer)


@router.post("/quiz/review")
async def quiz_review(request: Request, deps: Deps = Depends(get_deps)):
    from dlproof.study.store import StudyError, parse_card_id

    form = await read_form(request)
    cid, rating = form.get("card_id", ""), form.get("rating", "")
    qlang, topic = form.get("lang", ""), form.get("topic", "")
    try:
        qid, card_lang = parse_card_id(cid)
        if qid not in deps.bank.state().by_id:
            raise StudyError(f"unknown question {qid!r}")
        if topic and topic not in TOPICS:
            raise StudyError(f"unknown topic {topic!r}")
        if rating not in ("1", "2", "3", "4"):
            raise StudyError("rating must be 1, 2, 3 or 4")
        with deps.study() as st:
            st.review(cid, int(rating))
    except StudyError as exc:
        return deps.error_page(request, 422, "Invalid review / 无效的评分", str(exc)[:300])
    target = "/quiz?lang=" + (qlang if qlang in LANGS else card_lang)
    if topic:
        target += "&topic=" + quote(topic)
    return RedirectResponse(target, status_code=303)


@router.get("/api/quiz")
def quiz_api(request: Request, lang: Literal["zh", "en"] = "zh",
             topic: str = Query("", max_length=64), deps: Deps = Depends(get_deps)):
    if topic and topic not in TOPICS:
        return deps.error_page(request, 404, "unknown topic", topic[:64])
    qs = deps.bank.state().questions
    with deps.study() as st:
        queue = st.queue(qs, lang, topic=topic or None, limit=1)
        c = st.counts(qs, lang, topic=topic or None)
    nxt = queue[0] if queue else None
    return {"due": c.due, "new": c.new, "learned": c.learned, "total": c.total,
            "next": None if nxt is None else {"card_id": nxt.card_id,
                                               "question_id": nxt.question.id,
                                               "is_new": nxt.is_new}}
