"""Spaced-repetition cards and review logs (FSRS) in the dlproof SQLite store.

One card per (question, language): ``card_id = "QUESTION_ID:LANG"``. Every question gets cards,
answered or not: the quiz reveals the handbook's answer when there is one and otherwise says
plainly that the handbook has no answer yet, so the learner grades their own recall (new answered
cards are offered before new unanswered ones).

A card has no row until its first review (it is *new*). Each review is one ``BEGIN IMMEDIATE``
transaction that writes the updated card and appends its log row together, so a ``kill -9`` at
any moment either keeps the whole review or none of it, and concurrent reviewers (the web app and a
terminal quiz, say) serialise on SQLite's write lock (waiting up to the busy timeout) instead of
corrupting anything. Times are stored as ISO-8601 UTC strings, which sort chronologically.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from dlproof.handbook.loader import LANGS, Question
from dlproof.store import connect, ensure_schema

SCHEMA = """
CREATE TABLE IF NOT EXISTS study_cards (
    card_id     TEXT PRIMARY KEY,           -- "question-id:lang"
    question_id TEXT NOT NULL,
    lang        TEXT NOT NULL,
    card_json   TEXT NOT NULL,              -- fsrs.Card.to_json()
    due         TEXT NOT NULL,              -- ISO-8601 UTC, copied from the card for queries
    state       INTEGER NOT NULL,
    reps        INTEGER NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS study_cards_due ON study_cards (lang, due);
CREATE TABLE IF NOT EXISTS study_review_logs (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    card_id         TEXT NOT NULL REFERENCES study_cards (card_id),
    rating          INTEGER NOT NULL CHECK (rating BETWEEN 1 AND 4),
    review_datetime TEXT NOT NULL,
    review_duration INTEGER,
    log_json        TEXT NOT NULL,          -- fsrs.ReviewLog.to_json()
    client          TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS study_review_logs_card ON study_review_logs (card_id);
"""

RATINGS = {1: "Again", 2: "Hard", 3: "Good", 4: "Easy"}
RATING_ZH = {1: "重来", 2: "困难", 3: "良好", 4: "简单"}


class StudyError(ValueError):
    """Bad input to the study store: an unknown card, language or rating."""


def card_id(question_id: str, lang: str) -> str:
    return f"{question_id}:{lang}"


def parse_card_id(cid: str) -> tuple[str, str]:
    qid, sep, lang = str(cid).rpartition(":")
    if not sep or lang not in LANGS or not qid:
        raise StudyError(f"malformed card id {cid!r}; expected QUESTION_ID:LANG with LANG in {LANGS}")
    return qid, lang


def _utc(now: datetime | None) -> datetime:
    if now is None:
        return datetime.now(UTC)
    if now.tzinfo is None:
        raise StudyError("review times must be timezone-aware (UTC)")
    return now.astimezone(UTC)


@dataclass
class QueueItem:
    question: Question
    lang: str
    card: Any  # fsrs.Card, or None for a new card

    @property
    def card_id(self) -> str:
        return card_id(self.question.id, self.lang)

    @property
    def is_new(self) -> bool:
        return self.card is None


@dataclass
class Counts:
    due: int  # reviewed before and due now
    new: int  # never reviewed
    learned: int  # reviewed at least once
    total: int


class StudyStore:
    """Cards and logs; open one per thread/process (SQLite connections are not shared)."""

    def __init__(self, path: Path | None = None, *, fuzz: bool = True, desired_retention: float = 0.9,
                 client: str = ""):
        from fsrs import Scheduler

        self.conn = connect(path)
        self.conn.isolation_level = None  # we issue BEGIN IMMEDIATE / COMMIT ourselves
        ensure_schema_autocommit(self.conn)
        self.scheduler = Scheduler(desired_retention=desired_retention, enable_fuzzing=fuzz)
        self.client = client

    def close(self) -> None:
        self.conn.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # ---- reads -----------------------------------------------------------------------------
    def card(self, cid: str):
        from fsrs import Card

        row = self.conn.execute("SELECT card_json FROM study_cards WHERE card_id = ?",
                                (cid,)).fetchone()
        return Card.from_json(row[0]) if row else None

    def cards(self, lang: str | None = None) -> dict[str, Any]:
        from fsrs import Card

        sql, args = "SELECT card_id, card_json FROM study_cards", ()
        if lang is not None:
            sql, args = sql + " WHERE lang = ?", (lang,)
        return {r[0]: Card.from_json(r[1]) for r in self.conn.execute(sql, args)}

    def logs(self, cid: str | None = None) -> list[sqlite3.Row]:
        sql, args = "SELECT * FROM study_review_logs", ()
        if cid is not None:
            sql, args = sql + " WHERE card_id = ?", (cid,)
        return self.conn.execute(sql + " ORDER BY id", args).fetchall()

    def queue(self, questions: list[Question], lang: str, *, topic: str | None = None,
              now: datetime | None = None, limit: int | None = None) -> list[QueueItem]:
        """Cards to study now: due cards (earliest first), then new ones (answered first)."""
        if lang not in LANGS:
            raise StudyError(f"unknown language {lang!r}; use one of {LANGS}")
        now = _utc(now)
        qs = [q for q in questions if topic is None or q.topic == topic]
        known = self.cards(lang)
        due, new = [], []
        for q in qs:
            c = known.get(card_id(q.id, lang))
            if c is None:
                new.append(QueueItem(q, lang, None))
            elif c.due <= now:
                due.append(QueueItem(q, lang, c))
        due.sort(key=lambda it: it.card.due)
        new.sort(key=lambda it: not it.question.answered)  # stable: keeps the topic order
        items = due + new
        return items if limit is None else items[:limit]

    def counts(self, questions: list[Question], lang: str, *, topic: str | None = None,
               now: datetime | None = None) -> Counts:
        now = _utc(now)
        qs = [q for q in questions if topic is None or q.topic == topic]
        known = self.cards(lang)
        learned = [known[card_id(q.id, lang)] for q in qs if card_id(q.id, lang) in known]
        return Counts(due=sum(c.due <= now for c in learned), new=len(qs) - len(learned),
                      learned=len(learned), total=len(qs))

    # ---- the one write -----------------------------------------------------------------------
    def review(self, cid: str, rating: int, *, now: datetime | None = None,
               duration_ms: int | None = None):
        """Grade a card (1 Again, 2 Hard, 3 Good, 4 Easy); returns (card, log), committed."""
        from fsrs import Card, Rating

        qid, lang = parse_card_id(cid)
        if isinstance(rating, bool) or int(rating) != rating or rating not in RATINGS:
            raise StudyError(f"rating must be 1 (Again), 2 (Hard), 3 (Good) or 4 (Easy), "
                             f"got {rating!r}")
        now = _utc(now)
        conn = self.conn
        conn.execute("BEGIN IMMEDIATE")  # take the write lock before reading the card
        try:
            row = conn.execute("SELECT card_json FROM study_cards WHERE card_id = ?",
                               (cid,)).fetchone()
            card = Card.from_json(row[0]) if row else Card(due=now)
            card, log = self.scheduler.review_card(card, Rating(int(rating)), review_datetime=now,
                                                   review_duration=duration_ms)
            stamp = now.isoformat()
            conn.execute(
                "INSERT INTO study_cards (card_id, question_id, lang, card_json, due, state, reps,"
                " updated_at) VALUES (?, ?, ?, ?, ?, ?, 1, ?)"
                " ON CONFLICT (card_id) DO UPDATE SET card_json = excluded.card_json,"
                " due = excluded.due, state = excluded.state, reps = study_cards.reps + 1,"
                " updated_at = excluded.updated_at",
                (cid, qid, lang, card.to_json(), card.due.astimezone(UTC).isoformat(),
                 int(card.state), stamp))
            conn.execute(
                "INSERT INTO study_review_logs (card_id, rating, review_datetime, review_duration,"
                " log_json, client) VALUES (?, ?, ?, ?, ?, ?)",
                (cid, int(rating), stamp, duration_ms, log.to_json(), self.client))
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        return card, log


def ensure_schema_autocommit(conn: sqlite3.Connection) -> None:
    """Create the tables (idempotent) on a connection in autocommit mode."""
    if conn.isolation_level is None:
        conn.executescript(SCHEMA)
    else:
        ensure_schema(conn, SCHEMA)


def due_label(card, now: datetime | None = None, lang: str = "en") -> str:
    """'in 10 min' / '2 天后' style text for when a card is next due."""
    if card is None:
        return "新卡" if lang == "zh" else "new"
    secs = (card.due - _utc(now)).total_seconds()
    if secs <= 0:
        return "已到期" if lang == "zh" else "due now"
    for size, en, zh in ((86400, "d", "天"), (3600, "h", "小时"), (60, "min", "分钟")):
        if secs >= size:
            n = round(secs / size)
            return f"{n} {zh}后" if lang == "zh" else f"in {n} {en}"
    return "1 分钟内" if lang == "zh" else "in <1 min"
