"""``/static``, ``/mathjax``, ``/figures``, ``/evidence`` files and ``/healthz``. Every path is
resolved and must stay inside its root (:func:`dlproof.web.deps.safe_path`); figures and
evidence serve images only."""

from __future__ import annotations

import mimetypes
import time
from pathlib import Path

from fastapi import APIRouter, Depends
from fastapi.responses import FileResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from dlproof.web import results
from dlproof.web.deps import STATIC, Deps, get_deps, mathjax_root, safe_path

mimetypes.add_type("image/svg+xml", ".svg")
mimetypes.add_type("text/javascript", ".js")

router = APIRouter()


def send(path: Path | None, cache: str) -> Response:
    if path is None:
        raise StarletteHTTPException(404, "No such file.")
    media = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return FileResponse(path, media_type=media, headers={"Cache-Control": cache,
                                                         "X-Content-Type-Options": "nosniff"})


def _image(path: Path | None) -> Path | None:
    return path if path is not None and path.suffix.lower() in (".png", ".svg") else None


@router.get("/static/{sub:path}")
def static_file(sub: str):
    return send(safe_path(STATIC, sub), "no-cache")


@router.get("/mathjax/{sub:path}")
def mathjax_file(sub: str):
    return send(safe_path(mathjax_root(), sub), "public, max-age=86400")


@router.get("/figures/{sub:path}")
def figure_file(sub: str, deps: Deps = Depends(get_deps)):
    return send(_image(safe_path(deps.fig_root(), sub)), "no-cache")


@router.get("/evidence/{sub:path}")
def evidence_file(sub: str):
    return send(_image(safe_path(results.evidence_root(), sub)), "public, max-age=3600")


@router.get("/healthz")
def healthz():
    return {"ok": True, "time": time.time()}
