"""Progress the learner can see: per-topic mastery and its 30-day plot on the index page."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from weblib import ANSWERED

from dlproof.study.store import StudyStore
from dlproof.web.app import create_app


def test_index_shows_mastery_per_topic_and_a_plot(bank, test_experiment, tmp_path):
    study = tmp_path / "study.sqlite3"
    app = create_app(bank, study_path=study, fuzz=False)
    with TestClient(app, base_url="http://127.0.0.1") as c:
        html = c.get("/").text
        assert 'id="mastery"' in html and html.count("mastery-empty") == 2  # both languages
        assert "topic-mastery" not in html
        with StudyStore(study, fuzz=False) as st:
            t = datetime.now(UTC) - timedelta(days=40)
            for _ in range(3):
                card, _ = st.review(f"{ANSWERED}:en", 4, now=t)
                t = min(card.due, datetime.now(UTC))
        html = c.get("/?lang=en").text
    en = html[html.index('data-cards="en"'):]
    assert '<svg class="mastery-plot"' in en and "http" not in en[:en.index("</svg>")]  # offline
    assert re.search(r'class="mastered-count">1</span>/2 mastered', en)
    m = re.search(r'class="topic-mastery l-en" data-topic="feedforward-backprop" '
                  r'data-mastery="([0-9.]+)"', html)
    assert m and float(m.group(1)) >= 0.9
    assert 'data-topic="optimization" data-mastery' not in html  # nothing reviewed there
    assert html.count("mastery-empty") == 1  # the zh cards are still unreviewed


def test_index_without_a_readable_store_leaves_mastery_out(bank, test_experiment, tmp_path):
    bad = tmp_path / "not-a-db.sqlite3"
    bad.write_bytes(b"this is not sqlite" * 100)
    app = create_app(bank, study_path=bad, fuzz=False)
    with TestClient(app, base_url="http://127.0.0.1") as c:
        r = c.get("/")
    assert r.status_code == 200 and 'id="mastery"' not in r.text and 'id="coverage"' in r.text


def test_static_export_index_has_no_mastery(bank, tmp_path):
    from dlproof.study.export import export_html

    export_html(tmp_path / "site", bank)
    assert 'id="mastery"' not in (tmp_path / "site" / "index.html").read_text("utf-8")
