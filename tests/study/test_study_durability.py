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


@pytest.mark.parametrize("kill_when", ["after-confirmation", "right-after-the-key"])
def test_interview_grades_survive_sigkill(tmp_path, kill_when):
    """`dlproof interview` in a real terminal, killed with SIGKILL during the third question:
    every grade it confirmed on screen is in the store, and nothing is half-written."""
    from ptydrive import Terminal

    home = tmp_path / "home"
    home.mkdir()
    term = Terminal(["interview", "--lang", "en", "-n", "3", "--seed", "4"],
                    {"DLPROOF_HOME": str(home)})
    confirmed = []
    try:
        for k, rating in enumerate((2, 4)):
            term.expect(rf"Mock interview {k + 1}/3")
            term.expect("Enter shows the short answer")
            term.send("\r")
            term.expect("Short answer")
            term.send(str(rating))  # grading at once, without the follow-ups
            term.expect(r"(Hard|Easy) · next:")  # printed after the commit
            confirmed.append(rating)
        term.expect("Mock interview 3/3")
        term.send("\r")
        term.expect("Short answer")
        term.send("1")
        if kill_when == "after-confirmation":
            term.expect(r"Again · next:")
            confirmed.append(1)
        os.kill(term.proc.pid, signal.SIGKILL)  # right after the key: likely mid-transaction
        term.proc.wait(timeout=30)
    finally:
        term.close()
    assert term.proc.returncode == -signal.SIGKILL
    conn = check_consistent(home / "dlproof.sqlite3")
    stored = [r["rating"] for r in conn.execute(
        "SELECT rating FROM study_review_logs WHERE client='terminal-interview' ORDER BY id")]
    assert stored[: len(confirmed)] == confirmed
    assert stored in ([2, 4], [2, 4, 1])  # the last grade whole or not at all
    assert len({r[0] for r in conn.execute("SELECT card_id FROM study_review_logs")}) == len(stored)
    conn.close()
    from dlproof.study.store import StudyStore

    with StudyStore(home / "dlproof.sqlite3", fuzz=False) as st:  # still usable
        st.review(st.logs()[0]["card_id"], 3)


def test_web_interview_grade_survives_sigkill_of_the_server(tmp_path):
    """`dlproof serve` killed with SIGKILL right after answering a grade's POST: the grade is in
    the store (the 303 is sent only after the commit)."""
    import re
    import urllib.parse
    import urllib.request

    from ptydrive import SRC

    from dlproof.handbook.loader import all_questions

    home = tmp_path / "home"
    home.mkdir()
    env = {**os.environ, "DLPROOF_HOME": str(home), "PYTHONPATH": SRC}
    proc = subprocess.Popen([sys.executable, "-m", "dlproof.cli", "serve", "--port", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        line = proc.stdout.readline()
        m = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
        assert m, line + proc.stderr.read()
        base = f"http://127.0.0.1:{m.group(1)}"
        qid = next(q.id for q in all_questions() if q.answered)

        class NoRedirect(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, *a, **k):
                return None

        opener = urllib.request.build_opener(NoRedirect)
        marks = []
        for k, rating in enumerate((3, 1)):
            form = {"ids": qid, "i": "0", "lang": "en" if k == 0 else "zh", "done": "",
                    "started": str(time.time() * 1000 - 5000), "answer_ms": "2000",
                    "rating": str(rating)}
            req = urllib.request.Request(base + "/interview/grade",
                                         data=urllib.parse.urlencode(form).encode())
            try:
                opener.open(req, timeout=30)
                raise AssertionError("expected a 303")
            except urllib.error.HTTPError as exc:
                assert exc.code == 303, exc.read()[:500]
            marks.append(rating)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        proc.kill()
        proc.wait(timeout=30)
        proc.stdout.close()
        proc.stderr.close()
    conn = check_consistent(home / "dlproof.sqlite3")
    rows = conn.execute("SELECT card_id, rating, client FROM study_review_logs ORDER BY id")
    assert [tuple(r) for r in rows] == [(f"{qid}:en", 3, "web-interview"),
                                        (f"{qid}:zh", 1, "web-interview")]
    conn.close()
