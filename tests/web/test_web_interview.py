"""The mock interview pages through starlette's TestClient: the flow, the grades in the store,
and bad input (unknown topic, nothing matching, malformed session, invalid grade)."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlparse

import pytest
from fastapi.testclient import TestClient
from weblib import ANSWERED, UNANSWERED

from dlproof.study.store import StudyStore
from dlproof.web.app import create_app


@pytest.fixture()
def study(tmp_path):
    return tmp_path / "study.sqlite3"


@pytest.fixture()
def client(bank, test_experiment, study):
    app = create_app(bank, study_path=study, fuzz=False)
    with TestClient(app, base_url="http://127.0.0.1", raise_server_exceptions=False) as c:
        yield c


def form_of(html: str) -> dict[str, str]:
    return {k: v for k, v in re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', html)}


def test_setup_start_question_grade_summary(client, study):
    r = client.get("/interview", params={"lang": "en"})
    assert r.status_code == 200 and 'id="interview-setup"' in r.text
    assert 'href="/interview"' in r.text  # in the navigation
    r = client.get("/interview/start", params={"lang": "en", "n": 3}, follow_redirects=False)
    assert r.status_code == 303
    loc = r.headers["location"]
    assert parse_qs(urlparse(loc).query)["ids"] == [ANSWERED]  # answered questions only
    r = client.get(loc)
    assert r.status_code == 200
    html = r.text
    # the question, a timer, the parts (hidden until revealed), math for MathJax
    assert 'id="timer"' in html and 'id="typed"' in html and "/static/interview.js" in html
    assert re.search(r'id="iv-short"[^>]*hidden', html)
    assert re.search(r'id="fu-1"[^>]*hidden', html) and re.search(r'id="iv-pitfalls"[^>]*hidden', html)
    assert "Why is the estimate of" in html and "misses the off-diagonal terms" in html
    assert html.count('class="math inline"') == 3  # short, follow-up, pitfall
    form = form_of(html)
    assert form["ids"] == ANSWERED and form["i"] == "0" and form["lang"] == "en"
    import time

    form.update(rating="2", answer_ms="4000", started=str(time.time() * 1000 - 9000),
                followups_seen="1")
    r = client.post("/interview/grade", data=form, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/interview/summary?")
    with StudyStore(study) as st:
        logs = st.logs()
    assert [(x["card_id"], x["rating"], x["client"]) for x in logs] == [
        (f"{ANSWERED}:en", 2, "web-interview")]
    assert 9000 <= logs[0]["review_duration"] < 20000
    # the same card as the quiz: the quiz now counts it as learned
    assert client.get("/api/quiz", params={"lang": "en"}).json()["learned"] == 1
    r = client.get(r.headers["location"])
    assert r.status_code == 200
    assert f'data-qid="{ANSWERED}" data-grade="2"' in r.text
    assert '<li data-topic="feedforward-backprop">' in r.text and "0:04" in r.text
    # posting the same form again is refused (a reload never grades twice silently)
    r = client.post("/interview/grade", data=form, follow_redirects=False)
    assert r.status_code == 422 and "already graded" in r.text
    with StudyStore(study) as st:
        assert len(st.logs()) == 1


def test_a_question_may_not_repeat_in_one_session(client):
    r = client.get("/interview/q", params={"ids": f"{ANSWERED},{ANSWERED}", "lang": "zh"})
    assert r.status_code == 422 and "at most" in r.text  # no repeats


@pytest.mark.parametrize("params, status, text", [
    ({"topic": "nope"}, 404, "No topic is called"),
    ({"topic": "optimization"}, 404, "no answered question matches topic optimization"),
    ({"difficulty": 3}, 404, "no answered question matches difficulty 3"),
    ({"mode": "due"}, 404, "no answered question is due"),
    ({"mode": "sometimes"}, 422, "mode must be random or due"),
    ({"lang": "fr"}, 422, "unknown language"),
    ({"n": 0}, 422, "Invalid parameter"),
    ({"n": 21}, 422, "Invalid parameter"),
    ({"difficulty": "hard"}, 422, "Invalid parameter"),
])
def test_start_bad_input(client, params, status, text):
    r = client.get("/interview/start", params=params, follow_redirects=False)
    assert r.status_code == status and text in r.text, r.text[:2000]
    assert "Traceback" not in r.text


@pytest.mark.parametrize("params, text", [
    ({"ids": UNANSWERED}, "no answered question has the id"),
    ({"ids": "../etc"}, "ids must be question ids"),
    ({"ids": ANSWERED, "i": 1}, "question 1 of an interview of 1"),
    ({"ids": ANSWERED, "lang": "de"}, "unknown language"),
    ({"ids": ANSWERED, "done": "x:9:1:1"}, "malformed graded entry"),
])
def test_question_page_bad_input(client, params, text):
    r = client.get("/interview/q", params=params)
    assert r.status_code == 422 and text in r.text


@pytest.mark.parametrize("change, text", [
    ({"rating": "5"}, "grade must be 1"),
    ({"rating": ""}, "grade must be 1"),
    ({"rating": "x"}, "grade must be 1"),
    ({"ids": "nope"}, "no answered question"),
    ({"i": "3"}, "i must be the index"),
    ({"lang": "fr"}, "unknown language"),
    ({"started": "soon"}, "must be numbers"),
    ({"done": f"{ANSWERED}:3:1.0:2.0"}, "already graded"),
])
def test_invalid_grade(client, study, change, text):
    form = {"ids": ANSWERED, "i": "0", "lang": "en", "done": "", "started": "0",
            "answer_ms": "0", "rating": "3", **change}
    r = client.post("/interview/grade", data=form, follow_redirects=False)
    assert r.status_code == 422 and "Invalid grade" in r.text and text in r.text
    with StudyStore(study) as st:
        assert st.logs() == []


def test_summary_bad_and_empty(client):
    assert client.get("/interview/summary", params={"done": "zz"}).status_code == 422
    r = client.get("/interview/summary", params={"lang": "en"})
    assert r.status_code == 200 and 'id="iv-empty"' in r.text
