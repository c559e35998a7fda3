"""What every area of the web app shares, built once by :func:`dlproof.web.app.create_app` and
injected into the routers (``deps: Deps = Depends(get_deps)``): the question bank, the study store,
the job queue of experiment runs, the templates and the page/error renderers.

Also the helpers the static export reuses: :func:`make_env`, :func:`mathjax_root`, :data:`STATIC`,
:data:`MATHJAX_SCRIPT`, and :func:`safe_path` (every file route's guard).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from urllib.parse import parse_qs, quote

from fastapi import Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.exceptions import HTTPException as StarletteHTTPException

from dlproof.handbook.loader import LANGS, Question
from dlproof.handbook.topics import TOPICS

HERE = Path(__file__).resolve().parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"
MATHJAX_SCRIPT = "es5/tex-svg-full.js"  # one self-contained file: no fonts, no extension loads
LANG_COOKIE = "dlproof_lang"
MAX_QUERY = 200
MAX_FORM_BYTES = 4096
SEED_MAX = 2**31 - 1


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


def pick_lang(request: Request, override: str | None = None) -> str:
    """The page language: ``override`` (the query), else the cookie, else zh."""
    for cand in (override, request.cookies.get(LANG_COOKIE)):
        if cand in LANGS:
            return cand
    return "zh"


async def read_form(request: Request) -> dict[str, str]:
    """A small urlencoded form body as {name: first value} (bounded in size)."""
    body = await request.body()
    if len(body) > MAX_FORM_BYTES:
        raise StarletteHTTPException(413, "Request body too large.")
    try:
        parsed = parse_qs(body.decode("utf-8"), keep_blank_values=True, max_num_fields=20)
    except (UnicodeDecodeError, ValueError):
        return {}
    return {k: v[0][:300] for k, v in parsed.items()}


@dataclass
class Deps:
    """The shared state of one app (see the module doc)."""

    bank: object  # dlproof.web.bank.Bank
    jobs: object  # dlproof.web.jobs.JobManager
    study_path: Path | None = None
    fuzz: bool = True
    figures_root: Path | None = None
    env: Environment = field(default_factory=make_env)
    urls: Urls = field(default_factory=Urls)

    def fig_root(self) -> Path:
        from dlproof.store import figures_dir

        return (self.figures_root or figures_dir()).resolve()

    def study(self, client: str = "web"):
        """A study store connection for one request (use it in a ``with`` block)."""
        from dlproof.study.store import StudyStore

        return StudyStore(self.study_path, fuzz=self.fuzz, client=client)

    def page(self, request: Request, template: str, http_status: int = 200,
             lang: str | None = None, **ctx) -> HTMLResponse:
        lang = pick_lang(request, lang)
        html = self.env.get_template(template).render(
            lang=lang, urls=self.urls, request_path=request.url.path,
            content_error=self.bank.state().error, **ctx)
        return HTMLResponse(html, status_code=http_status)

    def error_page(self, request: Request, status: int, title: str, detail: str = "",
                   suggest: list[Question] | None = None) -> Response:
        """A short HTML page, or JSON under ``/api/``; never a traceback."""
        if request.url.path.startswith("/api/"):
            body = {"error": title, "detail": detail}
            if suggest is not None:
                body["suggestions"] = [q.id for q in suggest]
            return JSONResponse(body, status_code=status)
        return self.page(request, "error.html", http_status=status, status_code=status,
                         title=title, detail=detail, suggestions=suggest or [])


def get_deps(request: Request) -> Deps:
    """The FastAPI dependency: the app's :class:`Deps`."""
    return request.app.state.deps
