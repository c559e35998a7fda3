"""Durability of the study store: kill -9 mid-review loses nothing completed; two processes can
review at the same time without errors or lost logs."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time

import pytest

WORKER = textwrap.dedent("""
    import sys
    from dlproof.study.store import StudyStore
    path, client, count, cards = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    with StudyStore(path, fuzz=False, client=client) as st:
        for i in range(count):
            cid = f"card-{i % cards}:zh"
            st.review(cid, 1 + i % 4, duration_ms=i)   # the duration marks which review this is
            print(f"done {i} {cid}", flush=True)        # printed only after the commit
""")


def worker(path, client: str, count: int, cards: int) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", WORKER, str(path), client, str(count),
                             str(cards)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)


def check_consistent(path) -> sqlite3.Connection:
    conn = sqlite3.connect(path)
    conn.row_factory = sqlite3.Row
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
    # every card's review counter equals the number of its logs: card and log commit together
    rows = conn.execute(
        "SELECT c.card_id, c.reps, COUNT(l.id) AS n FROM study_cards c "
        "LEFT JOIN study_review_logs l ON l.card_id = c.card_id GROUP BY c.card_id").fetchall()
    assert all(r["reps"] == r["n"] for r in rows), [dict(r) for r in rows if r["reps"] != r["n"]]
    orphans = conn.execute("SELECT COUNT(*) FROM study_review_logs WHERE card_id NOT IN "
                           "(SELECT card_id FROM study_cards)").fetchone()[0]
    assert orphans == 0
    return conn


@pytest.mark.parametrize("kill_after", [1, 7, 25])
def test_sigkill_loses_no_completed_review(tmp_path, kill_after):
    db = tmp_path / "study.sqlite3"
    proc = worker(db, "killed", 100_000, 9)
    reported = []
    try:
        while len(reported) < kill_after:
            line = proc.stdout.readline()
            assert line, proc.stderr.read()
            reported.append(int(line.split()[1]))
        os.kill(proc.pid, signal.SIGKILL)  # at an arbitrary point, likely mid-transaction
    finally:
        proc.kill()
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    conn = check_consistent(db)
    stored = [r[0] for r in conn.execute(
        "SELECT review_duration FROM study_review_logs WHERE client='killed' ORDER BY id")]
    assert stored[: len(reported)] == reported  # every reported review is there, in order
    assert stored == list(range(len(stored)))  # and nothing half-written after it
    conn.close()
    # the store is still usable afterwards
    from dlproof.study.store import StudyStore

    with StudyStore(db, fuzz=False) as st:
        st.review("card-0:zh", 3)


def test_two_processes_reviewing_at_once(tmp_path):
    db = tmp_path / "study.sqlite3"
    from dlproof.study.store import StudyStore

    StudyStore(db).close()  # schema first, so both workers start on the same footing
    n = 60
    procs = [worker(db, name, n, 5) for name in ("alpha", "beta")]  # the same 5 cards
    t0 = time.time()
    outs = [p.communicate(timeout=120) for p in procs]
    for p, (out, err) in zip(procs, outs):
        assert p.returncode == 0, err
        assert len(out.splitlines()) == n
    conn = check_consistent(db)
    for name in ("alpha", "beta"):
        marks = [r[0] for r in conn.execute(
            "SELECT review_duration FROM study_review_logs WHERE client=? ORDER BY id", (name,))]
        assert marks == list(range(n))
    assert conn.execute("SELECT SUM(reps) FROM study_cards").fetchone()[0] == 2 * n
    assert time.time() - t0 < 120
