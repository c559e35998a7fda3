"""Practice attempts in the user's store (the same SQLite file as the study cards)."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from dlproof import store
from dlproof.practice.grader import Grade

DDL = """
CREATE TABLE IF NOT EXISTS practice_attempts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    exercise TEXT NOT NULL,
    question TEXT NOT NULL,
    at TEXT NOT NULL,
    passed INTEGER NOT NULL,
    checks_passed INTEGER NOT NULL,
    checks_total INTEGER NOT NULL,
    mistakes TEXT NOT NULL,
    summary TEXT NOT NULL,
    seed INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS practice_attempts_exercise ON practice_attempts (exercise, at);
"""


def _connect(path: Path | None) -> sqlite3.Connection:
    conn = store.connect(path)
    store.ensure_schema(conn, DDL)
    return conn


def record(grade: Grade, question: str, *, path: Path | None = None, now: datetime | None = None) -> None:
    at = (now or datetime.now(UTC)).isoformat(timespec="seconds")
    conn = _connect(path)
    try:
        with conn:
            conn.execute(
                "INSERT INTO practice_attempts (exercise, question, at, passed, checks_passed, checks_total,"
                " mistakes, summary, seed) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (grade.exercise, question, at, int(grade.passed), grade.n_passed, len(grade.cases),
                 ",".join(m.id for m in grade.mistakes), grade.summary("en"), grade.seed))
    finally:
        conn.close()


def last_attempts(*, path: Path | None = None) -> dict[str, sqlite3.Row]:
    """The latest attempt per exercise id, plus ``attempts`` and ``passes`` counts."""
    conn = _connect(path)
    try:
        rows = conn.execute(
            "SELECT a.*, c.attempts, c.passes FROM practice_attempts a JOIN ("
            " SELECT exercise, MAX(id) AS last, COUNT(*) AS attempts, SUM(passed) AS passes"
            " FROM practice_attempts GROUP BY exercise) c ON a.id = c.last").fetchall()
    finally:
        conn.close()
    return {r["exercise"]: r for r in rows}
