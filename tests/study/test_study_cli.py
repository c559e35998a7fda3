"""``dlproof quiz`` driven through stdin, and the Anki / static-site exports."""

from __future__ import annotations

import json
import re
import sqlite3
import zipfile
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from dlproof.experiments.registry import Figure, Report, RunConfig
from dlproof.handbook.loader import Question, all_questions
from dlproof.study import commands
from dlproof.study.export import ANKI_DECK_IDS, ANKI_MODEL_ID, export_anki, export_html
from dlproof.study.store import StudyStore

ANSWER = {
    "zh": "## 简答\n\n导数是 $p_i(\\delta_{ij} - p_j)$，见 [[claim:fake-exp/err-small]]。\n\n"
          "$$\nJ = \\operatorname{diag}(p) - p p^\\top\n$$\n",
    "en": "## Short answer\n\nThe derivative is $p_i(\\delta_{ij} - p_j)$, see "
          "[[claim:fake-exp/err-small]].\n\n$$\nJ = \\operatorname{diag}(p) - p p^\\top\n$$\n",
}


def make_question(qid: str, answered: bool, experiments=("fake-exp",)) -> Question:
    return Question(id=qid, topic="feedforward-backprop", difficulty=2,
                    title_zh=f"题目 {qid}", title_en=f"Question {qid}", seed_lines=["种子"],
                    related=[], book_section="Goodfellow et al. §6.2", path=Path(f"{qid}.md"),
                    experiments=list(experiments), answer=dict(ANSWER) if answered else {})


@pytest.fixture()
def cli():
    app = typer.Typer()
    commands.register(app)

    @app.command("noop")
    def noop() -> None:  # a second command, so typer keeps sub-command names
        pass

    return app


@pytest.fixture()
def fake_run():
    """A cached run of 'fake-exp' with a PNG+SVG figure in the store's figures dir."""
    from dlproof.experiments import cache
    from dlproof.store import figures_dir

    d = figures_dir() / "fake-exp" / "smoke-seed0"
    d.mkdir(parents=True)
    png = d / "curve.png"
    png.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)
    svg = d / "curve.svg"
    svg.write_text("<svg xmlns='http://www.w3.org/2000/svg' width='10' height='10'/>")
    report = Report("fake-exp", RunConfig())
    report.claim("err-small", en="tiny", zh="很小", value=1e-12, op="<", threshold=1e-8)
    report.figures.append(Figure("curve", "A curve.", "曲线。", None,
                                 {"png": str(png), "svg": str(svg)}))
    cache.save(report, "test-version", 0.1)
    return report


def test_quiz_from_stdin(cli):
    r = CliRunner().invoke(cli, ["quiz", "--lang", "en", "--limit", "5"], input="\n3\n\n1\nq\n")
    assert r.exit_code == 0, r.output
    assert "Reviewed 2 card(s)" in r.output
    with StudyStore() as st:
        logs = st.logs()
    assert [x["rating"] for x in logs] == [3, 1]
    first = logs[0]["card_id"]
    assert first.endswith(":en")
    answered = {q.id for q in all_questions() if q.answered}
    if answered:
        assert first.split(":")[0] in answered  # answered questions come first
    # a second session continues where the first stopped; end of input ends it cleanly
    r = CliRunner().invoke(cli, ["quiz", "--lang", "en"], input="x\n\n4\n")
    assert r.exit_code == 0 and "Reviewed 1 card(s)" in r.output


def test_quiz_bad_options(cli):
    r = CliRunner().invoke(cli, ["quiz", "--topic", "cnnn"])
    assert r.exit_code == 2 and "cnn" in r.output
    assert CliRunner().invoke(cli, ["quiz", "--lang", "fr"]).exit_code == 2
    assert CliRunner().invoke(cli, ["quiz", "--limit", "0"]).exit_code == 2


def _collection(apkg: Path, tmp: Path) -> tuple[sqlite3.Connection, dict]:
    with zipfile.ZipFile(apkg) as z:
        z.extract("collection.anki2", tmp)
        media = json.loads(z.read("media"))
    return sqlite3.connect(tmp / "collection.anki2"), media


def test_export_anki(tmp_path, fake_run):
    qs = [make_question("q-one", True), make_question("q-two", False)]
    out = tmp_path / "deck.apkg"
    s = export_anki(out, qs)
    assert s.notes == 2 and s.media == 1  # one answered question x 2 languages; one figure
    conn, media = _collection(out, tmp_path)
    notes = conn.execute("SELECT guid, flds, tags FROM notes").fetchall()
    assert len(notes) == 2
    flds = [n[1] for n in notes]
    assert all("\\(" in f and "\\[" in f for f in flds)  # Anki's MathJax delimiters
    assert all('<img src="dlproof-fake-exp-curve.png">' in f for f in flds)
    assert any("Question q-one" in f for f in flds) and any("题目 q-one" in f for f in flds)
    assert list(media.values()) == ["dlproof-fake-exp-curve.png"]
    models = json.loads(conn.execute("SELECT models FROM col").fetchone()[0])
    decks = json.loads(conn.execute("SELECT decks FROM col").fetchone()[0])
    assert str(ANKI_MODEL_ID) in models
    assert {str(i) for i in ANKI_DECK_IDS.values()} <= set(decks)
    # stable ids: a second export has the same note GUIDs
    out2 = tmp_path / "again.apkg"
    export_anki(out2, qs)
    (tmp_path / "b").mkdir()
    conn2, _ = _collection(out2, tmp_path / "b")
    assert sorted(n[0] for n in notes) == sorted(r[0] for r in conn2.execute("SELECT guid FROM notes"))


def test_export_anki_cli(cli, tmp_path):
    out = tmp_path / "d.apkg"
    r = CliRunner().invoke(cli, ["export", "anki", str(out)])
    assert r.exit_code == 0, r.output
    assert out.is_file() and "notes" in r.output
    r = CliRunner().invoke(cli, ["export", "anki", str(tmp_path / "d.zip")])
    assert r.exit_code == 2


def test_export_html_site(tmp_path, fake_run):
    qs = [make_question("q-one", True), make_question("q-two", False)]
    qs[0].related = ["q-two"]
    site = tmp_path / "site"
    s = export_html(site, qs)
    assert (site / "index.html").is_file() and (site / "q" / "q-one.html").is_file()
    assert (site / "topics" / "feedforward-backprop.html").is_file()
    assert (site / "mathjax" / "es5" / "tex-svg-full.js").is_file()
    assert (site / "figures" / "fake-exp" / "smoke-seed0" / "curve.svg").is_file()
    files = [p for p in site.rglob("*") if p.is_file()]
    assert s.bytes < 4_000_000 and len(files) < 20  # only the MathJax file it needs
    page = (site / "q" / "q-one.html").read_text("utf-8")
    assert '<script defer id="MathJax-script" src="../mathjax/es5/tex-svg-full.js">' in page
    assert 'href="../static/style.css"' in page and 'href="../q/q-two.html"' in page
    assert 'src="../figures/fake-exp/smoke-seed0/curve.svg"' in page
    assert "claim-badge holds" in page and "run-btn" not in page  # no Run button offline
    for f in site.rglob("*.html"):
        text = f.read_text("utf-8")
        assert not re.search(r'(href|src)="/', text), f  # every link is relative
        assert "http://" not in text and "https://" not in text


def test_export_html_cli(cli, tmp_path):
    r = CliRunner().invoke(cli, ["export", "html", str(tmp_path / "site"), "--lang", "en"])
    assert r.exit_code == 0, r.output
    assert 'data-lang="en"' in (tmp_path / "site" / "index.html").read_text("utf-8")
    assert len(list((tmp_path / "site" / "q").glob("*.html"))) == len(all_questions())


def test_quiz_reads_single_keys_on_a_terminal(tmp_path):
    """On a real TTY the quiz reads one key press at a time (no Enter needed)."""
    import os
    import pty
    import select
    import subprocess
    import sys
    import time

    code = ("import sys, typer\nfrom dlproof.study import commands\napp = typer.Typer()\n"
            "commands.register(app)\napp(sys.argv[1:])\n")
    master, slave = pty.openpty()
    env = {**os.environ, "DLPROOF_HOME": str(tmp_path), "COLUMNS": "100", "TERM": "xterm",
           "NO_COLOR": "1"}
    proc = subprocess.Popen([sys.executable, "-c", code, "quiz", "--lang", "en", "--limit", "5"],
                            stdin=slave, stdout=slave, stderr=slave, env=env, close_fds=True)
    os.close(slave)
    seen = b""

    def read_until(token: bytes, timeout: float = 30.0) -> None:
        nonlocal seen
        end = time.time() + timeout
        while token not in seen:
            assert time.time() < end, seen.decode(errors="replace")[-2000:]
            ready, _, _ = select.select([master], [], [], 0.2)
            if ready:
                try:
                    seen += os.read(master, 65536)
                except OSError:
                    break

    try:
        read_until(b"space/Enter shows the answer")
        os.write(master, b" ")  # a bare key press, no newline
        read_until(b"Easy  q quit")
        os.write(master, b"3")
        read_until(b"next: in")
        read_until(b"space/Enter shows the answer")
        os.write(master, b"q")
        read_until(b"card(s)")
        proc.wait(timeout=30)
    finally:
        proc.kill()
        proc.wait()
        os.close(master)
    assert proc.returncode == 0
    with StudyStore(tmp_path / "dlproof.sqlite3") as st:
        assert [r["rating"] for r in st.logs()] == [3]
