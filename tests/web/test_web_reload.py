"""Content reload: ``dlproof serve`` picks up edited, new and invalid question files without a restart."""

from __future__ import annotations

import os

import pytest
from fastapi.testclient import TestClient
from weblib import ANSWERED, UNANSWERED, write_bank

from dlproof.web.app import create_app


def _touch_later(path):
    """Make sure the new mtime differs even on coarse-grained file systems."""
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 2_000_000_000))


@pytest.fixture()
def live(tmp_path, test_experiment):
    directory = write_bank(tmp_path / "questions")
    app = create_app(questions_dir=directory, study_path=tmp_path / "study.sqlite3", fuzz=False)
    return TestClient(app, base_url="http://127.0.0.1"), directory


def test_an_edited_question_file_changes_the_page(live):
    client, directory = live
    assert "Derive the derivative of softmax (test)" in client.get(f"/q/{ANSWERED}").text
    path = directory / f"{ANSWERED}.md"
    path.write_text(path.read_text("utf-8").replace("softmax (test)", "softmax (edited)"), "utf-8")
    _touch_later(path)
    page = client.get(f"/q/{ANSWERED}").text
    assert "Derive the derivative of softmax (edited)" in page
    assert 'id="content-error"' not in page


def test_a_new_question_file_appears_and_a_removed_one_goes(live):
    client, directory = live
    src = (directory / f"{UNANSWERED}.md").read_text("utf-8")
    new = src.replace(UNANSWERED, "web-test-new").replace("什么是学习率（测试）", "新题（测试）")
    new = new.replace('related = ["web-test-answered"]', "related = []")
    (directory / "web-test-new.md").write_text(new, "utf-8")
    assert client.get("/q/web-test-new").status_code == 200
    assert "web-test-new" in client.get("/").text
    (directory / "web-test-new.md").unlink()
    assert client.get("/q/web-test-new").status_code == 404


def test_an_invalid_file_shows_its_file_and_line_and_the_server_keeps_serving(live):
    client, directory = live
    path = directory / f"{ANSWERED}.md"
    good = path.read_text("utf-8")
    lines = good.splitlines()
    lineno = next(i for i, line in enumerate(lines, 1) if line.startswith("difficulty"))
    lines[lineno - 1] = "difficulty = 7"
    path.write_text("\n".join(lines) + "\n", "utf-8")
    _touch_later(path)
    r = client.get(f"/q/{ANSWERED}")
    assert r.status_code == 200  # the last valid version, with the error on top
    assert 'id="content-error"' in r.text
    assert f"{path}:{lineno}: difficulty must be 1, 2 or 3" in r.text
    assert 'id="content-error"' in client.get("/").text
    assert client.get("/search?q=softmax").status_code == 200
    path.write_text(good, "utf-8")
    _touch_later(path)
    _touch_later(path)
    assert 'id="content-error"' not in client.get(f"/q/{ANSWERED}").text


def test_an_invalid_bank_at_start_is_reported_not_raised(tmp_path, test_experiment):
    directory = write_bank(tmp_path / "questions")
    (directory / "broken.md").write_text("no front matter\n", "utf-8")
    client = TestClient(create_app(questions_dir=directory, study_path=tmp_path / "s.sqlite3"),
                        base_url="http://127.0.0.1")
    r = client.get("/")
    assert r.status_code == 200 and "broken.md:1:" in r.text
