"""`dlproof practice` and `dlproof grade` through the real entry point, in a scratch workspace."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

SOLUTIONS = Path(__file__).parent / "solutions"


def dlproof(*args, cwd: Path, home: Path):
    env = {**os.environ, "DLPROOF_HOME": str(home)}
    return subprocess.run([sys.executable, "-m", "dlproof.cli", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)


def test_practice_writes_the_stub_keeps_work_and_grade_records_attempts(tmp_path):
    home = tmp_path / "home"
    r = dlproof("practice", cwd=tmp_path, home=home)
    assert r.returncode == 0 and "softmax-jacobian" in r.stdout
    r = dlproof("practice", "softmax-jacobian", cwd=tmp_path, home=home)
    assert r.returncode == 0, r.stderr
    path = tmp_path / "dlproof-practice" / "softmax_jacobian.py"
    assert "raise NotImplementedError" in path.read_text()

    r = dlproof("grade", "softmax-jacobian", cwd=tmp_path, home=home)
    assert r.returncode == 1 and "not implemented yet" in r.stdout

    # a diagonal-only Jacobian: the grader names the mistake
    path.write_text("import numpy as np\n\ndef softmax_jacobian(s):\n    return np.diag(s * (1 - s))\n")
    r = dlproof("grade", "softmax-jacobian", cwd=tmp_path, home=home)
    assert r.returncode == 1 and "off-diagonal terms -s_i s_j are missing" in r.stdout

    # starting again does not overwrite the user's file
    mine = path.read_text()
    r = dlproof("practice", "softmax-jacobian", cwd=tmp_path, home=home)
    assert "already exists" in r.stdout and path.read_text() == mine

    path.write_text((SOLUTIONS / "softmax_jacobian.py").read_text())
    r = dlproof("grade", str(path), "--review", "--lang", "en", cwd=tmp_path, home=home)
    assert r.returncode == 0 and "PASS all" in r.stdout and "counted as a 'good' review" in r.stdout

    with sqlite3.connect(home / "dlproof.sqlite3") as conn:
        rows = conn.execute("SELECT passed, mistakes FROM practice_attempts ORDER BY id").fetchall()
        assert [p for p, _ in rows] == [0, 0, 1] and rows[1][1] == "diagonal-only"
        reviews = conn.execute("SELECT COUNT(*) FROM study_review_logs").fetchone()[0]
        assert reviews == 1
    r = dlproof("practice", cwd=tmp_path, home=home)
    assert "pass 5/5" in r.stdout


def test_unknown_exercise_and_missing_file_are_clear_errors(tmp_path):
    home = tmp_path / "home"
    r = dlproof("practice", "softmax-jacobain", cwd=tmp_path, home=home)
    assert r.returncode == 2 and "did you mean softmax-jacobian" in r.stderr
    r = dlproof("grade", "logsumexp", cwd=tmp_path, home=home)
    assert r.returncode == 2 and "dlproof practice logsumexp" in r.stderr
