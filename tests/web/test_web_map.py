"""The question map: its SVG (every question a link, coloured by state, offline), the /map route
and the static export's map.html."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from weblib import ANSWERED, UNANSWERED

from dlproof.handbook.loader import all_questions
from dlproof.study.store import StudyStore, card_id
from dlproof.web import qmap
from dlproof.web.app import create_app


def master(study, qid: str, lang: str) -> None:
    with StudyStore(study, fuzz=False) as st:
        t = datetime.now(UTC) - timedelta(days=9)
        for _ in range(3):
            card, _ = st.review(card_id(qid, lang), 4, now=t)
            t = min(card.due, t + timedelta(days=3))


def test_svg_of_the_real_bank_links_every_question_once_and_is_offline():
    qs = all_questions()
    svg, counts = qmap.render_svg(qs, set(), lambda i: f"/q/{i}")
    assert re.findall(r'data-qid="([^"]+)"', svg) == [q.id for q in sorted(
        qs, key=lambda q: list(qmap.TOPICS).index(q.topic))]
    assert counts.total == len(qs) == counts.unanswered + counts.answered
    assert counts.answered == sum(q.answered for q in qs) and counts.mastered == 0
    assert svg.count('class="q q-answered"') == counts.answered
    # offline: nothing is loaded from anywhere (inline SVG in HTML needs no namespace URL)
    assert "http" not in svg
    assert "<script" not in svg
    assert qmap.render_svg(qs, set(), lambda i: f"/q/{i}")[0] == svg  # deterministic
    # every point lies inside the viewBox (labels included, up to their length)
    for x, y in re.findall(r'<circle cx="(-?[\d.]+)" cy="(-?[\d.]+)"', svg):
        assert abs(float(x)) < qmap.HALF and abs(float(y)) < qmap.HALF


def test_mastered_and_escaping(bank):
    svg, counts = qmap.render_svg(bank, {UNANSWERED}, lambda i: f"/q/{i}?a=1&b=<2>")
    assert f'class="q q-mastered" href="/q/{UNANSWERED}?a=1&amp;b=&lt;2&gt;"' in svg
    assert (counts.unanswered, counts.answered, counts.mastered) == (0, 1, 1)
    assert qmap.render_svg([], set(), str)[1].total == 0


def test_map_route_colours_from_the_store_per_language(bank, test_experiment, tmp_path):
    study = tmp_path / "study.sqlite3"
    app = create_app(bank, study_path=study, fuzz=False)
    with TestClient(app, base_url="http://127.0.0.1") as c:
        r = c.get("/map")
        assert r.status_code == 200 and 'id="qmap"' in r.text and "/static/map.js" in r.text
        assert f'class="q q-answered" href="/q/{ANSWERED}"' in r.text
        assert 'href="/map"' in c.get("/").text  # in the navigation
        master(study, ANSWERED, "en")
        assert f'class="q q-mastered" href="/q/{ANSWERED}"' in c.get("/map?lang=en").text
        assert f'class="q q-answered" href="/q/{ANSWERED}"' in c.get("/map?lang=zh").text
        assert c.get("/map?lang=fr").status_code == 422


def test_map_survives_an_unreadable_store(bank, tmp_path):
    bad = tmp_path / "study.sqlite3"
    bad.write_bytes(b"this is not a database" * 100)
    assert qmap.mastered_ids(bank, bad, "zh") == set()


def test_static_export_has_the_map_with_relative_links(bank, tmp_path):
    from dlproof.study.export import export_html

    site = tmp_path / "site"
    export_html(site, bank)
    html = (site / "map.html").read_text("utf-8")
    assert f'href="q/{ANSWERED}.html"' in html and 'src="static/map.js"' in html
    assert (site / "static" / "map.js").is_file()
    assert 'href="../map.html"' in (site / "q" / f"{ANSWERED}.html").read_text("utf-8")
