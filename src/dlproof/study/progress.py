"""What the learner knows: per-question and per-topic mastery from the FSRS store, and its history.

FSRS models memory by a card's stability :math:`S` (days) and the time :math:`t` since its last
review; the probability of recalling it now (the *retrievability*) is the power forgetting curve

.. math::  R(t, S) = \\left(1 + F\\,\\frac{t}{S}\\right)^{D},\\qquad D = -0.5,\\ F = 0.9^{1/D} - 1,

so that :math:`R(S, S) = 0.9` (py-fsrs' ``Scheduler.get_card_retrievability``; FSRS-6 makes the
decay :math:`D` a learned parameter, which the scheduler applies). A card never reviewed has
:math:`R = 0` here: nothing is known about it yet.

* A question is **mastered** when its card is in the *review* state (past the learning steps) and
  :math:`R \\ge 0.9` now: the scheduler still expects the learner to recall it.
* A topic's **mastery** is the mean :math:`R` over the cards of its questions (new cards count 0),
  i.e. the expected fraction of the topic the learner would recall if asked now.
* The **history** re-plays the review log with a scheduler without fuzz (fuzz moves due dates
  only, never stability or difficulty, so the re-played :math:`S` equal the stored ones) and
  evaluates the mean :math:`R` and the number mastered at the end of each past day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from dlproof.handbook.loader import LANGS, Question
from dlproof.handbook.topics import TOPICS

MASTERED_RETRIEVABILITY = 0.9


@dataclass
class TopicMastery:
    topic: str
    title_zh: str
    title_en: str
    questions: int
    reviewed: int  # cards with at least one review
    mastered: int
    mastery: float  # mean retrievability over the topic's cards, new cards counting 0


@dataclass
class HistoryPoint:
    at: datetime
    mastery: float  # mean retrievability over all cards of the language
    mastered: int


def _now(now: datetime | None) -> datetime:
    return (now or datetime.now(UTC)).astimezone(UTC)


def retrievability(scheduler, card, now: datetime) -> float:
    """R of ``card`` at ``now`` (0 for a missing card or one never reviewed)."""
    if card is None or card.last_review is None:
        return 0.0
    return float(scheduler.get_card_retrievability(card, now))


def is_mastered(scheduler, card, now: datetime) -> bool:
    from fsrs import State

    return card is not None and card.state == State.Review and \
        retrievability(scheduler, card, now) >= MASTERED_RETRIEVABILITY


def question_retrievability(store, questions: list[Question], lang: str | None = None,
                            now: datetime | None = None) -> dict[str, tuple[float, bool]]:
    """question id -> (R now, mastered now) of its card in ``lang``; with ``lang=None`` the better
    of its two languages' cards. Questions without a reviewed card are left out."""
    from dlproof.study.store import parse_card_id

    now = _now(now)
    ids = {q.id for q in questions}
    out: dict[str, tuple[float, bool]] = {}
    for cid, card in store.cards(lang).items():
        qid, _ = parse_card_id(cid)
        if qid not in ids:
            continue
        r, m = retrievability(store.scheduler, card, now), is_mastered(store.scheduler, card, now)
        old = out.get(qid, (0.0, False))
        out[qid] = (max(r, old[0]), m or old[1])
    return out


def topic_mastery(store, questions: list[Question], lang: str,
                  now: datetime | None = None) -> list[TopicMastery]:
    """One row per topic that has questions, in the handbook's topic order."""
    per_q = question_retrievability(store, questions, lang, now)
    rows = []
    for key, (zh, en) in TOPICS.items():
        qs = [q for q in questions if q.topic == key]
        if not qs:
            continue
        vals = [per_q.get(q.id, (0.0, False)) for q in qs]
        rows.append(TopicMastery(key, zh, en, len(qs), sum(q.id in per_q for q in qs),
                                 sum(m for _, m in vals), sum(r for r, _ in vals) / len(qs)))
    return rows


def history(store, questions: list[Question], lang: str, days: int = 30,
            now: datetime | None = None) -> list[HistoryPoint]:
    """Mean R and the number mastered over the cards of ``lang`` at ``now`` minus k days,
    k = days-1 .. 0 (oldest first), re-played from the review log."""
    from fsrs import Card, Rating, Scheduler

    from dlproof.study.store import card_id

    if lang not in LANGS:
        raise ValueError(f"unknown language {lang!r}; use one of {LANGS}")
    if not 1 <= days <= 3650:
        raise ValueError(f"days must be in 1..3650, got {days}")
    now = _now(now)
    sched = Scheduler(desired_retention=store.scheduler.desired_retention,
                      parameters=store.scheduler.parameters, enable_fuzzing=False)
    wanted = {card_id(q.id, lang) for q in questions}
    # per card: [(review time, card after that review)], chronological
    states: dict[str, list[tuple[datetime, object]]] = {}
    for row in store.logs():
        cid = row["card_id"]
        if cid not in wanted:
            continue
        at = datetime.fromisoformat(row["review_datetime"]).astimezone(UTC)
        seq = states.setdefault(cid, [])
        card = seq[-1][1] if seq else Card(due=at)
        card, _ = sched.review_card(card, Rating(int(row["rating"])), review_datetime=at)
        seq.append((at, card))
    n = max(len(wanted), 1)
    points = []
    for k in range(days - 1, -1, -1):
        t = now - timedelta(days=k)
        total, mastered = 0.0, 0
        for seq in states.values():
            last = None
            for at, card in seq:
                if at > t:
                    break
                last = card
            if last is not None:
                total += retrievability(sched, last, t)
                mastered += is_mastered(sched, last, t)
        points.append(HistoryPoint(t, total / n, mastered))
    return points


def sparkline(values: list[float], lo: float = 0.0, hi: float = 1.0) -> str:
    """Values in [lo, hi] as a row of block characters, for the terminal."""
    blocks = "▁▂▃▄▅▆▇█"
    span = (hi - lo) or 1.0
    return "".join(blocks[min(len(blocks) - 1, max(0, int((v - lo) / span * len(blocks))))]
                   for v in values)


def history_svg(points: list[HistoryPoint], width: int = 320, height: int = 90) -> str:
    """A small offline SVG line chart of the mean retrievability (0..1) over the points' days,
    to embed inline in HTML (no namespace URL, nothing external); the last point is marked and
    labelled in percent."""
    from html import escape

    pad_l, pad_r, pad_t, pad_b = 30, 40, 8, 18
    w, h = width - pad_l - pad_r, height - pad_t - pad_b
    n = len(points)

    def xy(i: int, v: float) -> tuple[float, float]:
        x = pad_l + (w * i / (n - 1) if n > 1 else w)
        return x, pad_t + h * (1 - min(max(v, 0.0), 1.0))

    parts = [f'<svg class="mastery-plot" viewBox="0 0 {width} {height}" width="{width}" '
             f'height="{height}" role="img" '
             'aria-label="mastery over time">']
    for v in (0.0, 0.5, 1.0):
        _, y = xy(0, v)
        parts.append(f'<line class="grid" x1="{pad_l}" x2="{pad_l + w}" y1="{y:.1f}" y2="{y:.1f}"/>'
                     f'<text class="axis" x="{pad_l - 4}" y="{y + 3:.1f}" text-anchor="end">'
                     f'{int(v * 100)}%</text>')
    if n:
        pts = " ".join(f"{x:.1f},{y:.1f}" for x, y in (xy(i, p.mastery) for i, p in enumerate(points)))
        parts.append(f'<polyline class="line" points="{pts}"/>')
        x, y = xy(n - 1, points[-1].mastery)
        parts.append(f'<circle class="last" cx="{x:.1f}" cy="{y:.1f}" r="3"/>'
                     f'<text class="axis" x="{x + 5:.1f}" y="{y + 3:.1f}">'
                     f'{points[-1].mastery * 100:.0f}%</text>')
        for i, anchor in ((0, "start"), (n - 1, "end")):
            x, _ = xy(i, 0)
            parts.append(f'<text class="axis" x="{x:.1f}" y="{height - 4}" text-anchor="{anchor}">'
                         f'{escape(points[i].at.strftime("%m-%d"))}</text>')
    parts.append("</svg>")
    return "".join(parts)
