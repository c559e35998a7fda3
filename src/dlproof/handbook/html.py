"""Markdown answers -> HTML, for the web app and the static/Anki exports.

markdown-it-py (CommonMark + tables) with the ``dollarmath`` plugin. Math is left as TeX for
MathJax 3 in the browser, wrapped in the delimiters MathJax (and Anki) recognise::

    $a^2$      ->  <span class="math inline">\\(a^2\\)</span>
    $$a^2$$    ->  <div class="math block">\\[a^2\\]</div>

The TeX is HTML-escaped (``<`` inside a formula can never open a tag). Pages configure MathJax to
typeset only elements of class ``math``, so a stray ``\\(`` in prose is never touched.

Claim citations ``[[claim:EXPERIMENT_ID/CLAIM_ID]]`` become a badge with the latest measured value
and its verdict, or "not run yet", looked up through ``claim_lookup(experiment_id, claim_id)``,
which returns a :class:`dlproof.handbook.claims.ClaimStatus`-like object (``value``, ``holds``,
``comparison``) or ``None``. Raw HTML in the Markdown is escaped, never passed through.
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from dlproof.handbook.loader import CLAIM_REF_RE

ClaimLookup = Callable[[str, str], Any]

# Plain letters only: markdown-it keeps them verbatim (NUL bytes would become U+FFFD).
_PLACEHOLDER = "DLPROOFCLAIMREF{}Z"


def _inline(self, tokens, idx, options, env) -> str:
    return f'<span class="math inline">\\({html.escape(tokens[idx].content.strip())}\\)</span>'


def _display_inline(self, tokens, idx, options, env) -> str:
    # $$...$$ inside a paragraph: display style, but a span so the paragraph stays valid HTML.
    tex = html.escape(tokens[idx].content.strip())
    return f'<span class="math display">\\[{tex}\\]</span>'


def _block(self, tokens, idx, options, env) -> str:
    return f'<div class="math block">\\[{html.escape(tokens[idx].content.strip())}\\]</div>\n'


@lru_cache(maxsize=1)
def _markdown():
    from markdown_it import MarkdownIt
    from mdit_py_plugins.dollarmath import dollarmath_plugin

    md = MarkdownIt("commonmark", {"html": False, "typographer": False}).enable("table")
    md.use(dollarmath_plugin, allow_labels=False, allow_space=True, allow_digits=True,
           double_inline=True)
    md.add_render_rule("math_inline", _inline)
    md.add_render_rule("math_inline_double", _display_inline)
    md.add_render_rule("math_block", _block)
    return md


def format_value(value: float | None) -> str:
    if value is None:
        return "—"
    if not math.isfinite(value):
        return str(value)
    if value == 0:
        return "0"
    if abs(value) >= 1e4 or abs(value) < 1e-3:
        return f"{value:.3g}"
    return f"{value:.4g}"


def claim_badge(experiment_id: str, claim_id: str, status: Any, lang: str) -> str:
    """One claim citation as an inline HTML badge."""
    ref = html.escape(f"{experiment_id}/{claim_id}")
    if status is None or getattr(status, "holds", None) is None:
        label = "未运行" if lang == "zh" else "not run yet"
        return (f'<span class="claim-badge notrun" title="{ref}">'
                f'<span class="claim-id">{html.escape(claim_id)}</span> {label}</span>')
    holds = bool(status.holds)
    verdict = ("成立" if holds else "不成立") if lang == "zh" else ("holds" if holds else "fails")
    mark = "✓" if holds else "✗"
    cls = "holds" if holds else "fails"
    comparison = html.escape(getattr(status, "comparison", "") or "")
    return (f'<span class="claim-badge {cls}" title="{ref}: {comparison}">'
            f'<span class="claim-id">{html.escape(claim_id)}</span> '
            f'<span class="claim-value">{html.escape(format_value(status.value))}</span> '
            f'{mark} {verdict}</span>')


def render_markdown(text: str, lang: str = "en", claim_lookup: ClaimLookup | None = None) -> str:
    """Render one answer body to HTML (math left as escaped TeX, claims as badges)."""
    refs: list[tuple[str, str]] = []

    def stash(m) -> str:
        refs.append((m.group(1), m.group(2)))
        return _PLACEHOLDER.format(len(refs) - 1)

    # Claim refs are swapped for placeholders first so Markdown cannot mangle them.
    source = CLAIM_REF_RE.sub(stash, text)
    out = _markdown().render(source)
    for i, (exp_id, claim_id) in enumerate(refs):
        status = claim_lookup(exp_id, claim_id) if claim_lookup else None
        out = out.replace(_PLACEHOLDER.format(i), claim_badge(exp_id, claim_id, status, lang))
    return out

