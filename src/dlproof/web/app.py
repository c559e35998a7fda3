"""The local web app: FastAPI + Jinja2, server-rendered pages, no network needed.

Routes
------
=========================================  =====================================================
``GET /``                                  index by topic: status badges per question, coverage
``GET /q/{id}``                            question page: answer (zh/en), math, claims, figures,
                                           related questions, Run button
``GET /search?q=``                         full-text search (zh and en), ``q`` at most 200 chars
``GET /map``                               the question map: topics -> questions, coloured by state
``GET /quiz?lang=&topic=``                 FSRS quiz: space reveals, keys 1-4 grade
``POST /quiz/review``                      grade a card (form: card_id, rating, lang, topic)
``/interview...``                          mock interview (:mod:`dlproof.web.interview`)
``POST /api/run/{exp}?mode=&seed=``        start (or join) a background run -> job JSON
``GET /api/run/{exp}``                     job status JSON (progress, state, error)
``GET /api/quiz?lang=&topic=``             due/new counts and the next card, JSON
``GET /static/{file}``                     our CSS/JS
``GET /mathjax/{path}``                    MathJax 3 from the installed ``mathjax`` package
``GET /figures/{path}``                    figures of runs, only from the store's figures dir
``GET /evidence/{path}``                   figures of the evidence snapshot shipped with dlproof
``GET /healthz``                           "ok"
=========================================  =====================================================

The routes live in routers by area (:mod:`dlproof.web.routes`: pages, quiz, runs, files; plus
:mod:`dlproof.web.interview` and :mod:`dlproof.web.practice_pages`), which get the shared state
(question bank, study store, job queue, templates: :class:`dlproof.web.deps.Deps`) injected with
``Depends(get_deps)``. This module builds that state, includes the routers, and adds the error
handlers and the host/cross-site guard.

Safety: every file route resolves the path and checks that it stays inside its root (``..``,
encoded or not, absolute paths, NULs and backslashes are refused with 404); only registered
experiment ids can be run; parameters are validated with bounds; errors render a short HTML page
(JSON under ``/api/``), never a traceback.
"""

from __future__ import annotations

import logging
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from dlproof.handbook.loader import Question
from dlproof.web import results
from dlproof.web.deps import (  # noqa: F401  (re-exported: the static export and tests use them)
    LANG_COOKIE,
    MATHJAX_SCRIPT,
    MAX_FORM_BYTES,
    MAX_QUERY,
    SEED_MAX,
    STATIC,
    TEMPLATES,
    Deps,
    Urls,
    make_env,
    mathjax_root,
    pick_lang,
    read_form,
    safe_path,
)
from dlproof.web.jobs import JobManager

log = logging.getLogger("dlproof.web")

_lang = pick_lang  # older names, kept for callers outside this package
_form = read_form

LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


def _hostname(netloc: str) -> str:
    """'127.0.0.1:8000' -> '127.0.0.1'; '[::1]:80' -> '::1'."""
    netloc = netloc.strip().lower()
    if netloc.startswith("["):
        return netloc[1:].split("]", 1)[0]
    return netloc.rsplit(":", 1)[0] if netloc.count(":") == 1 else netloc


def create_app(questions: list[Question] | None = None, *, figures_root: Path | None = None,
               runner=None, study_path: Path | None = None, fuzz: bool = True,
               allowed_hosts: frozenset[str] | set[str] | None = LOCAL_HOSTS,
               questions_dir: Path | None = None) -> FastAPI:
    """Build the app. Tests inject ``questions`` (a fixed list; default: the packaged bank,
    or the files of ``questions_dir``, reloaded when they change: :mod:`dlproof.web.bank`), a
    ``runner`` (default: :func:`dlproof.web.results.run`) and a study DB path (default: the store's).

    ``allowed_hosts``: the Host header names accepted (DNS-rebinding guard); None accepts any,
    which ``dlproof serve --host`` uses when bound to a non-local interface. POSTs (runs,
    reviews) are refused when the browser says they come from another site.
    """
    from dlproof.web import interview, practice_pages
    from dlproof.web.bank import Bank
    from dlproof.web.routes import files, pages, quiz, runs

    deps = Deps(bank=Bank(questions, directory=questions_dir, check_seed=questions_dir is None),
                jobs=JobManager(runner or results.run), study_path=study_path, fuzz=fuzz,
                figures_root=figures_root)
    deps.env.globals["practice_for"] = lambda qid: practice_pages.practice_for(qid, study_path)

    app = FastAPI(title="dlproof", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.deps = deps
    app.state.jobs = deps.jobs
    app.state.bank = deps.bank
    for router in (pages.router, quiz.router, interview.router, practice_pages.router,
                   runs.router, files.router):
        app.include_router(router)
    error_page = deps.error_page

    # ---- errors ---------------------------------------------------------------------------
    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):
        if exc.status_code == 404:
            return error_page(request, 404, "Not found / 页面不存在",
                              exc.detail if isinstance(exc.detail, str) and exc.detail != "Not Found"
                              else f"Nothing lives at {request.url.path[:200]}.")
        if exc.status_code == 405:
            return error_page(request, 405, "Method not allowed / 不支持的请求方法")
        return error_page(request, exc.status_code, str(exc.detail)[:200])

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError):
        problems = []
        for e in exc.errors()[:5]:
            where = ".".join(str(x) for x in e.get("loc", ()) if x not in ("query", "path", "body"))
            problems.append(f"{where}: {e.get('msg', 'invalid')}")
        return error_page(request, 422, "Invalid parameter / 参数无效", "; ".join(problems))

    @app.exception_handler(Exception)
    async def server_error(request: Request, exc: Exception):
        log.exception("unhandled error on %s", request.url.path)
        return error_page(request, 500, "Internal error / 内部错误",
                          "The server hit an error; details are in its log.")

    @app.middleware("http")
    async def headers(request: Request, call_next):
        host = request.headers.get("host")
        if allowed_hosts is not None and host and _hostname(host) not in allowed_hosts:
            return error_page(request, 400, "Unknown host / 主机名无效",
                              "This server answers only to its local address, e.g. 127.0.0.1.")
        if request.method not in ("GET", "HEAD", "OPTIONS"):
            origin = request.headers.get("origin")
            site = request.headers.get("sec-fetch-site", "")
            cross = site == "cross-site" or (
                origin not in (None, "null") and host is not None
                and origin.split("://", 1)[-1].lower() != host.lower())
            if cross:
                return error_page(request, 403, "Cross-site request refused / 拒绝跨站请求",
                                  "Runs and reviews can only be started from dlproof's own pages.")
        response = await call_next(request)
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        return response

    return app
