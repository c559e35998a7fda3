"""The question map: every question as a leaf of its topic, drawn as one offline SVG (no CDN, no JS
library), for the web app's ``/map`` page and the static export's ``map.html``.

Layout (radial, computed here, deterministic): the topics sit on an inner circle, each owning an
angular sector proportional to its number of questions; a topic's questions sit on an outer circle
inside its sector, in the bank's order, with their titles written radially outwards (flipped on
the left half so they never read upside down). Each question is a link to its page and carries
its full title as an SVG ``<title>`` (the browser's tooltip).

Colour = the question's state: *not answered yet*, *answered*, or *mastered*: the user's FSRS card
of the question (in the page's language, or either language in the static export) is in the
review state and its current retrievability is at least 0.9, i.e. the scheduler expects the user
to still recall it now (:mod:`dlproof.study.progress`). A mastered question counts as mastered
even when the handbook has no answer for it yet: the learner knows it.

Interaction (``static/map.js``): clicking or pressing Enter on a topic focuses its branch (the
others fade); zoom buttons enlarge the drawing inside its scroll box.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from html import escape
from pathlib import Path

from dlproof.handbook.loader import Question
from dlproof.handbook.topics import TOPICS

R_TOPIC = 150.0  # radius of the topic ring
R_QUESTION = 300.0  # radius of the question ring
LABEL_GAP = 10.0
HALF = 560.0  # half the viewBox side
STATES = ("unanswered", "answered", "mastered")


@dataclass
class MapCounts:
    """How many questions are drawn in each state (they add up to ``total``)."""

    total: int = 0
    unanswered: int = 0
    answered: int = 0  # answered, not mastered
    mastered: int = 0


def mastered_ids(questions: list[Question], study_path: Path | None = None,
                 lang: str | None = None, now: datetime | None = None) -> set[str]:
    """Ids of the questions whose FSRS card (of ``lang``; any language when None) is mastered
    now (:func:`dlproof.study.progress.is_mastered`). An unreadable store gives none."""
    try:
        from dlproof.study.progress import question_retrievability
        from dlproof.study.store import StudyStore
    except ImportError:  # fsrs missing: no study data, the map still renders
        return set()
    try:
        with StudyStore(study_path, client="map") as st:
            per_q = question_retrievability(st, questions, lang, now)
    except Exception:  # the map must render even when the study store cannot be opened
        import logging

        logging.getLogger("dlproof.web").exception("question map: cannot read the study store")
        return set()
    return {qid for qid, (_, mastered) in per_q.items() if mastered}


def _short(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1].rstrip() + "…"


def _pt(r: float, a: float) -> tuple[float, float]:
    return r * math.cos(a), r * math.sin(a)


def state_of(q: Question, mastered: set[str]) -> str:
    if q.id in mastered:
        return "mastered"
    return "answered" if q.answered else "unanswered"


def render_svg(questions: list[Question], mastered: set[str], question_url) -> tuple[str, MapCounts]:
    """The map as SVG markup (safe to embed in HTML) and its counts; ``question_url(id)`` gives
    each question's link."""
    groups = [(key, [q for q in questions if q.topic == key]) for key in TOPICS]
    groups = [(k, qs) for k, qs in groups if qs]
    n = sum(len(qs) for _, qs in groups)
    counts = MapCounts(total=n)
    parts = [f'<svg class="qmap" id="qmap" viewBox="{-HALF:g} {-HALF:g} {2 * HALF:g} {2 * HALF:g}" '
             'role="img" aria-label="question map">',
             '<circle class="hub" r="34"/>',
             '<text class="hub-label" text-anchor="middle" dy="5">dlproof</text>']
    if n == 0:
        parts.append("</svg>")
        return "".join(parts), counts
    step = 2 * math.pi / n
    slot = -math.pi / 2  # start at the top, go clockwise
    for key, qs in groups:
        zh, en = TOPICS[key]
        mid = slot + step * (len(qs) - 1) / 2
        tx, ty = _pt(R_TOPIC, mid)
        parts.append(f'<g class="branch" data-topic="{escape(key)}">')
        parts.append(f'<path class="edge topic-edge" d="M0,0 L{tx:.1f},{ty:.1f}"/>')
        leaves = []
        for i, q in enumerate(qs):
            a = slot + i * step
            qx, qy = _pt(R_QUESTION, a)
            c1x, c1y = _pt((R_TOPIC + R_QUESTION) / 2, mid)
            c2x, c2y = _pt((R_TOPIC + R_QUESTION) / 2, a)
            parts.append(f'<path class="edge" d="M{tx:.1f},{ty:.1f} C{c1x:.1f},{c1y:.1f} '
                         f'{c2x:.1f},{c2y:.1f} {qx:.1f},{qy:.1f}"/>')
            state = state_of(q, mastered)
            setattr(counts, state, getattr(counts, state) + 1)
            deg = math.degrees(a)
            left = math.cos(a) < 0
            lx, ly = _pt(R_QUESTION + LABEL_GAP, a)
            rot = deg + 180 if left else deg
            anchor = "end" if left else "start"
            label = (f'<text class="qlabel" x="{lx:.1f}" y="{ly:.1f}" dy="3.5" '
                     f'text-anchor="{anchor}" transform="rotate({rot:.2f} {lx:.1f} {ly:.1f})">'
                     f'<tspan class="l-zh">{escape(_short(q.title_zh, 18))}</tspan>'
                     f'<tspan class="l-en">{escape(_short(q.title_en, 34))}</tspan></text>')
            leaves.append(
                f'<a class="q q-{state}" href="{escape(question_url(q.id))}" data-qid="{escape(q.id)}">'
                f'<title>{escape(q.title_zh)} / {escape(q.title_en)}</title>'
                f'<circle cx="{qx:.1f}" cy="{qy:.1f}" r="7"/>{label}</a>')
        parts.extend(leaves)
        parts.append(
            f'<g class="topic" tabindex="0" role="button" data-topic="{escape(key)}">'
            f'<title>{escape(zh)} / {escape(en)}: {len(qs)}</title>'
            f'<circle cx="{tx:.1f}" cy="{ty:.1f}" r="13"/>'
            f'<text class="tlabel" x="{tx:.1f}" y="{ty + 4:.1f}" text-anchor="middle">{len(qs)}</text>'
            f'<text class="tname" x="{tx:.1f}" y="{ty - 18:.1f}" text-anchor="middle">'
            f'<tspan class="l-zh">{escape(zh)}</tspan><tspan class="l-en">{escape(_short(en, 24))}'
            '</tspan></text></g>')
        parts.append("</g>")
        slot += step * len(qs)
    parts.append("</svg>")
    return "".join(parts), counts
