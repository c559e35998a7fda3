"""``GET /``, ``GET /q/{id}``, ``GET /search``, ``GET /map``."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse

from dlproof.web import results, views
from dlproof.web.deps import MAX_QUERY, Deps, get_deps, pick_lang

router = APIRouter()


@router.get("/", response_class=HTMLResponse)
def index_page(request: Request, lang: Literal["zh", "en"] | None = None,
               deps: Deps = Depends(get_deps)):
    qs = deps.bank.state().questions
    topics, cov, statuses = views.index_data(qs)
    return deps.page(request, "index.html", lang=lang, topics=topics, coverage=cov,
                     statuses=statuses, mastery=views.mastery_data(qs, deps.study_path))


@router.get("/q/{qid}", response_class=HTMLResponse)
def question_page(request: Request, qid: str, lang: Literal["zh", "en"] | None = None,
                  deps: Deps = Depends(get_deps)):
    b = deps.bank.state()
    qs, by_id = b.questions, b.by_id
    q = by_id.get(qid)
    if q is None:
        return deps.error_page(request, 404, "Unknown question / 没有这道题",
                               f"No question has the id “{qid[:100]}”.",
                               views.suggestions(qid, qs))
    exps = views.experiment_views(q, deps.fig_root())
    registered = results.registered()
    status = views.question_status(q, registered, {e.id: e.report for e in exps})
    related = [by_id[r] for r in q.related if r in by_id]
    return deps.page(request, "question.html", lang=lang, q=q, answer=views.rendered_answer(q),
                     experiments=exps, status=status, related=related, live=True)


@router.get("/search", response_class=HTMLResponse)
def search_page(request: Request, q: str = Query("", max_length=MAX_QUERY),
                limit: int = Query(20, ge=1, le=100), deps: Deps = Depends(get_deps)):
    hits = deps.bank.state().index.search(q, limit) if q.strip() else []
    return deps.page(request, "search.html", query=q, hits=hits)


@router.get("/map", response_class=HTMLResponse)
def map_page(request: Request, lang: Literal["zh", "en"] | None = None,
             deps: Deps = Depends(get_deps)):
    from dlproof.web import qmap

    qs = deps.bank.state().questions
    mastered = qmap.mastered_ids(qs, deps.study_path, pick_lang(request, lang))
    svg, counts = qmap.render_svg(qs, mastered, deps.urls.question)
    topics, _, _ = views.index_data(qs)
    return deps.page(request, "map.html", lang=lang, svg=svg, counts=counts, topics=topics)
