"""Figures for experiments: matplotlib (Agg, no display), created without pyplot and saved atomically.

Experiments build figures with :func:`new_figure` (a ``matplotlib.figure.Figure`` with its own Agg
canvas: no pyplot global state, so concurrent runs in a web server's threads cannot mix figures)
and hand them to ``report.figure(name, fig, en=..., zh=...)``; the runner saves each one as PNG
and SVG with :func:`save` and then drops it.

Text inside a figure should be language-neutral (math, symbols, short English axis labels): the
bilingual explanation is the figure's caption. Chinese glyphs still render when the system has
WenQuanYi Micro Hei (Debian ``fonts-wqy-microhei``, registered from
:data:`CJK_FONT_PATH`); without it matplotlib uses DejaVu Sans, with no font warnings.

matplotlib is imported lazily (importing this module is free).
"""

from __future__ import annotations

import os
import tempfile
import threading
import warnings
from pathlib import Path

CJK_FONT_PATH = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")
CJK_FONT_NAME = "WenQuanYi Micro Hei"
FORMATS = ("png", "svg")
PNG_DPI = 110

_setup_lock = threading.Lock()
_setup_done = False
cjk_available = False


def setup() -> None:
    """Configure matplotlib once per process: Agg, fonts (CJK if installed), quiet glyph warnings."""
    global _setup_done, cjk_available
    with _setup_lock:
        if _setup_done:
            return
        import matplotlib

        matplotlib.use("Agg", force=False)  # a no-op if pyplot already chose a backend
        from matplotlib import font_manager, rcParams

        families = ["DejaVu Sans"]
        if CJK_FONT_PATH.exists():
            try:
                font_manager.fontManager.addfont(str(CJK_FONT_PATH))
                families.insert(0, CJK_FONT_NAME)
                cjk_available = True
            except (OSError, RuntimeError, ValueError):
                cjk_available = False
        # A list of concrete families (not the generic "sans-serif") enables matplotlib's per-glyph
        # fallback: CJK from WenQuanYi, everything it lacks (e.g. U+1D40 superscript T) from DejaVu.
        rcParams["font.family"] = families
        rcParams["font.sans-serif"] = families + [
            f for f in rcParams["font.sans-serif"] if f not in families]
        rcParams["axes.unicode_minus"] = False  # the CJK font has no U+2212
        rcParams["svg.hashsalt"] = "dlproof"  # reproducible SVG ids
        if not cjk_available:
            # Without a CJK font, a stray Chinese label must not spam one warning per glyph.
            warnings.filterwarnings("ignore", message=r"Glyph \d+ .*missing from", category=UserWarning)
        _setup_done = True


def new_figure(nrows: int = 1, ncols: int = 1, *, size: tuple[float, float] = (6.0, 4.0), **kw):
    """A fresh ``(figure, axes)`` pair, as ``pyplot.subplots`` but without pyplot's global state."""
    setup()
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=size, layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(nrows, ncols, squeeze=True, **kw)
    return fig, axes


def save(fig, directory: Path | str, name: str) -> dict[str, str]:
    """Write ``fig`` as ``directory/name.png`` and ``.svg`` (atomically); returns {format: path}."""
    setup()
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    paths: dict[str, str] = {}
    for fmt in FORMATS:
        target = directory / f"{name}.{fmt}"
        fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=f".{fmt}", dir=directory)
        try:
            with os.fdopen(fd, "wb") as fh:
                kw = {"dpi": PNG_DPI} if fmt == "png" else {"metadata": {"Date": None}}
                fig.savefig(fh, format=fmt, **kw)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        paths[fmt] = str(target)
    return paths


def close(fig) -> None:
    """Release a figure (closes it in pyplot too if an experiment made it there)."""
    import sys

    plt = sys.modules.get("matplotlib.pyplot")
    if plt is not None:
        plt.close(fig)
    fig.clear()
