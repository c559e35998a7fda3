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

Safety: every file route resolves the path and checks that it stays inside its root (``..``,
encoded or not, absolute paths, NULs and backslashes are refused with 404); only registered
experiment ids can be run; parameters are validated with bounds; errors render a short HTML page
(JSON under ``/api/``), never a traceback.
"""

from __future__ import annotations

import logging
import mimetypes
import time
from importlib import resources
from pathlib import Path
from typing import Literal
from urllib.parse import parse_qs, quote

from fastapi import FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.exceptions import HTTPException as StarletteHTTPException

from dlproof.handbook.loader import LANGS, Question
from dlproof.handbook.topics import TOPICS
from dlproof.web import results, views
from dlproof.web.jobs import JobManager

log = logging.getLogger("dlproof.web")

HERE = Path(__file__).resolve().parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"
MATHJAX_SCRIPT = "es5/tex-svg-full.js"  # one self-contained file: no fonts, no extension loads
LANG_COOKIE = "dlproof_lang"
MAX_QUERY = 200
MAX_FORM_BYTES = 4096
SEED_MAX = 2**31 - 1

mimetypes.add_type("image/svg+xml", ".svg")
mimetypes.add_type("text/javascript", ".js")


def mathjax_root() -> Path:
    return Path(str(resources.files("mathjax") / "static" / "mathjax")).resolve()


def safe_path(root: Path, sub: str) -> Path | None:
    """``root/sub`` if it is an existing file inside ``root``; None for anything else."""
    if not sub or len(sub) > 512 or "\x00" in sub or "\\" in sub or sub.startswith("/"):
        return None
    parts = sub.split("/")
    if any(p in ("", ".", "..") or ":" in p for p in parts):
        return None
    root = root.resolve()
    try:
        path = (root / sub).resolve()
    except (OSError, RuntimeError):
        return None
    if not path.is_relative_to(root) or not path.is_file():
        return None
    return path


class Urls:
    """Links for the live server (the static export has its own with relative paths)."""

    static_site = False

    def index(self) -> str:
        return "/"

    def question(self, qid: str) -> str:
        return "/q/" + quote(qid)

    def topic(self, key: str) -> str:
        return "/#" + quote(key)

    def static(self, name: str) -> str:
        return "/static/" + name

    def mathjax(self) -> str:
        return "/mathjax/" + MATHJAX_SCRIPT

    def figure(self, rel: str) -> str:
        return "/figures/" + quote(rel)

    def evidence(self, rel: str) -> str:
        return "/evidence/" + quote(rel)

    def search(self) -> str:
        return "/search"

    def map(self) -> str:
        return "/map"

    def quiz(self) -> str:
        return "/quiz"

    def interview(self) -> str:
        return "/interview"


def make_env() -> Environment:
    env = Environment(loader=FileSystemLoader(str(TEMPLATES)),
                      autoescape=select_autoescape(["html"]), trim_blocks=True, lstrip_blocks=True)
    env.globals["TOPICS"] = TOPICS
    env.globals["LANGS"] = LANGS
    return env


def _lang(request: Request, override: str | None = None) -> str:
    for cand in (override, request.cookies.get(LANG_COOKIE)):
        if cand in LANGS:
            return cand
    return "zh"


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
    from dlproof.store import figures_dir
    from dlproof.web.bank import Bank

    bank = Bank(questions, directory=questions_dir, check_seed=questions_dir is None)
    env = make_env()
    urls = Urls()
    jobs = JobManager(runner or results.run)

    def fig_root() -> Path:
        return (figures_root or figures_dir()).resolve()

    app = FastAPI(title="dlproof", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.jobs = jobs
    app.state.bank = bank

    def page(request: Request, template: str, http_status: int = 200, lang: str | None = None,
             **ctx) -> HTMLResponse:
        lang = _lang(request, lang)
        html = env.get_template(template).render(lang=lang, urls=urls, request_path=request.url.path,
                                                 content_error=bank.state().error, **ctx)
        return HTMLResponse(html, status_code=http_status)

    def error_page(request: Request, status: int, title: str, detail: str = "",
                   suggest: list[Question] | None = None) -> Response:
        if request.url.path.startswith("/api/"):
            body = {"error": title, "detail": detail}
            if suggest is not None:
                body["suggestions"] = [q.id for q in suggest]
            return JSONResponse(body, status_code=status)
        return page(request, "error.html", http_status=status, status_code=status, title=title,
                    detail=detail, suggestions=suggest or [])

    from dlproof.web import practice_pages

    practice_pages.register(app, env, page, error_page, study_path)

    def study(client: str = "web"):
        from dlproof.study.store import StudyStore

        return StudyStore(study_path, fuzz=fuzz, client=client)

    from dlproof.web import interview

    interview.register(app, page, error_page, _lang, lambda: study("web-interview"))

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

    # ---- pages ------------------------------------------------------------------------------
    @app.get("/", response_class=HTMLResponse)
    def index_page(request: Request, lang: Literal["zh", "en"] | None = None):
        qs = bank.state().questions
        topics, cov, statuses = views.index_data(qs)
        return page(request, "index.html", lang=lang, topics=topics, coverage=cov,
                    statuses=statuses, mastery=views.mastery_data(qs, study_path))

    @app.get("/q/{qid}", response_class=HTMLResponse)
    def question_page(request: Request, qid: str, lang: Literal["zh", "en"] | None = None):
        b = bank.state()
        qs, by_id = b.questions, b.by_id
        q = by_id.get(qid)
        if q is None:
            return error_page(request, 404, "Unknown question / 没有这道题",
                              f"No question has the id “{qid[:100]}”.",
                              views.suggestions(qid, qs))
        exps = views.experiment_views(q, fig_root())
        registered = results.registered()
        status = views.question_status(q, registered, {e.id: e.report for e in exps})
        related = [by_id[r] for r in q.related if r in by_id]
        return page(request, "question.html", lang=lang, q=q, answer=views.rendered_answer(q),
                    experiments=exps, status=status, related=related, live=True)

    @app.get("/search", response_class=HTMLResponse)
    def search_page(request: Request, q: str = Query("", max_length=MAX_QUERY),
                    limit: int = Query(20, ge=1, le=100)):
        hits = bank.state().index.search(q, limit) if q.strip() else []
        return page(request, "search.html", query=q, hits=hits)

    @app.get("/map", response_class=HTMLResponse)
    def map_page(request: Request, lang: Literal["zh", "en"] | None = None):
        from dlproof.web import qmap

        qs = bank.state().questions
        mastered = qmap.mastered_ids(qs, study_path, _lang(request, lang))
        svg, counts = qmap.render_svg(qs, mastered, urls.question)
        topics, _, _ = views.index_data(qs)
        return page(request, "map.html", lang=lang, svg=svg, counts=counts, topics=topics)

    @app.get("/quiz", response_class=HTMLResponse)
    def quiz_page(request: Request, lang: Literal["zh", "en"] | None = None,
                  topic: str = Query("", max_length=64)):
        if topic and topic not in TOPICS:
            return error_page(request, 404, "Unknown topic / 没有这个主题", topic[:64])
        qlang = _lang(request, lang)
        qs = bank.state().questions
        with study() as st:
            queue = st.queue(qs, qlang, topic=topic or None, limit=1)
            counts = st.counts(qs, qlang, topic=topic or None)
        item = queue[0] if queue else None
        answer = views.rendered_answer(item.question) if item else {}
        return page(request, "quiz.html", lang=lang, item=item, counts=counts, topic=topic,
                    quiz_lang=qlang, answer=answer)

    @app.post("/quiz/review")
    async def quiz_review(request: Request):
        form = await _form(request)
        cid, rating = form.get("card_id", ""), form.get("rating", "")
        qlang, topic = form.get("lang", ""), form.get("topic", "")
        from dlproof.study.store import StudyError, parse_card_id

        try:
            qid, card_lang = parse_card_id(cid)
            if qid not in bank.state().by_id:
                raise StudyError(f"unknown question {qid!r}")
            if topic and topic not in TOPICS:
                raise StudyError(f"unknown topic {topic!r}")
            if rating not in ("1", "2", "3", "4"):
                raise StudyError("rating must be 1, 2, 3 or 4")
            with study() as st:
                st.review(cid, int(rating))
        except StudyError as exc:
            return error_page(request, 422, "Invalid review / 无效的评分", str(exc)[:300])
        target = "/quiz?lang=" + (qlang if qlang in LANGS else card_lang)
        if topic:
            target += "&topic=" + quote(topic)
        return RedirectResponse(target, status_code=303)

    # ---- JSON -------------------------------------------------------------------------------
    @app.get("/api/quiz")
    def quiz_api(request: Request, lang: Literal["zh", "en"] = "zh",
                 topic: str = Query("", max_length=64)):
        if topic and topic not in TOPICS:
            return error_page(request, 404, "unknown topic", topic[:64])
        qs = bank.state().questions
        with study() as st:
            queue = st.queue(qs, lang, topic=topic or None, limit=1)
            c = st.counts(qs, lang, topic=topic or None)
        nxt = queue[0] if queue else None
        return {"due": c.due, "new": c.new, "learned": c.learned, "total": c.total,
                "next": None if nxt is None else {"card_id": nxt.card_id,
                                                   "question_id": nxt.question.id,
                                                   "is_new": nxt.is_new}}

    def _experiment_or_404(request: Request, exp_id: str):
        registered = results.registered()
        if len(exp_id) > 100 or exp_id not in registered:
            import difflib

            close = difflib.get_close_matches(exp_id[:100], list(registered), n=3, cutoff=0.4)
            return None, JSONResponse({"error": "unknown experiment",
                                       "detail": f"no registered experiment {exp_id[:100]!r}",
                                       "suggestions": close}, status_code=404)
        return registered[exp_id], None

    @app.post("/api/run/{exp_id}")
    def run_start(request: Request, exp_id: str,
                  mode: Literal["smoke", "full"] = "smoke",
                  seed: int = Query(0, ge=0, le=SEED_MAX)):
        from dlproof.experiments.registry import RunConfig

        _, err = _experiment_or_404(request, exp_id)
        if err is not None:
            return err
        job, new = jobs.start(exp_id, RunConfig(mode=mode, seed=seed))
        return JSONResponse({**job.to_dict(), "coalesced": not new}, status_code=202)

    @app.get("/api/run/{exp_id}")
    def run_status(request: Request, exp_id: str):
        _, err = _experiment_or_404(request, exp_id)
        if err is not None:
            return err
        job = jobs.get(exp_id)
        if job is None:
            report = results.latest(exp_id)
            return {"experiment_id": exp_id, "state": "idle",
                    "has_result": report is not None,
                    "all_hold": None if report is None else report.all_hold}
        return job.to_dict()

    # ---- files ------------------------------------------------------------------------------
    def send(path: Path | None, cache: str) -> Response:
        if path is None:
            raise StarletteHTTPException(404, "No such file.")
        media = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return FileResponse(path, media_type=media, headers={"Cache-Control": cache,
                                                             "X-Content-Type-Options": "nosniff"})

    @app.get("/static/{sub:path}")
    def static_file(sub: str):
        return send(safe_path(STATIC, sub), "no-cache")

    @app.get("/mathjax/{sub:path}")
    def mathjax_file(sub: str):
        return send(safe_path(mathjax_root(), sub), "public, max-age=86400")

    @app.get("/figures/{sub:path}")
    def figure_file(sub: str):
        path = safe_path(fig_root(), sub)
        if path is not None and path.suffix.lower() not in (".png", ".svg"):
            path = None
        return send(path, "no-cache")

    @app.get("/evidence/{sub:path}")
    def evidence_file(sub: str):
        path = safe_path(results.evidence_root(), sub)
        if path is not None and path.suffix.lower() not in (".png", ".svg"):
            path = None
        return send(path, "public, max-age=3600")

    @app.get("/healthz")
    def healthz():
        return {"ok": True, "time": time.time()}

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


async def _form(request: Request) -> dict[str, str]:
    """A small urlencoded form body as {name: first value} (bounded in size)."""
    body = await request.body()
    if len(body) > MAX_FORM_BYTES:
        raise StarletteHTTPException(413, "Request body too large.")
    try:
        parsed = parse_qs(body.decode("utf-8"), keep_blank_values=True, max_num_fields=20)
    except (UnicodeDecodeError, ValueError):
        return {}
    return {k: v[0][:300] for k, v in parsed.items()}
