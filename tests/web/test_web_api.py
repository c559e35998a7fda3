"""Every route of the web app through starlette's TestClient, good input and bad."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from weblib import ANSWERED, EXP_ID, UNANSWERED

from dlproof.web import views
from dlproof.web.app import create_app


@pytest.fixture()
def app(bank, test_experiment, tmp_path):
    return create_app(bank, study_path=tmp_path / "study.sqlite3", fuzz=False)


@pytest.fixture()
def client(app):
    with TestClient(app, base_url="http://127.0.0.1", raise_server_exceptions=False) as c:
        yield c


def no_trace(r) -> None:
    assert "Traceback" not in r.text and 'File "' not in r.text


def test_index_lists_topics_badges_and_coverage(client):
    r = client.get("/")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert "softmax 函数导数的推导（测试）" in r.text and "What is a learning rate? (test)" in r.text
    assert 'data-qid="web-test-unanswered"' in r.text
    assert "not answered yet" in r.text and "answered" in r.text
    assert 'id="coverage"' in r.text
    assert "1<small>/2</small>" in r.text  # one of two answered
    assert 'href="/q/web-test-answered"' in r.text
    assert r.headers["x-frame-options"] == "DENY"


def test_language_from_cookie_and_query(client):
    assert 'data-lang="zh"' in client.get("/").text
    client.cookies.set("dlproof_lang", "en")
    assert 'data-lang="en"' in client.get("/").text
    assert 'data-lang="zh"' in client.get("/?lang=zh").text
    client.cookies.set("dlproof_lang", "<script>")
    assert 'data-lang="zh"' in client.get("/").text
    assert client.get("/?lang=fr").status_code == 422


def test_question_page_has_math_claims_seed_book_related_and_run(client):
    r = client.get(f"/q/{ANSWERED}")
    assert r.status_code == 200
    t = r.text
    assert '<span class="math inline">\\(' in t and '<div class="math block">\\[' in t
    assert "\\begin{cases}" in t
    assert "&lt; 10^{-8}" in t  # TeX escaped
    assert "/mathjax/es5/tex-svg-full.js" in t
    assert 'id="answer-zh"' in t and 'id="answer-en"' in t
    assert "softmax函数导数的推导" in t  # seed line
    assert "Goodfellow et al. §6.2.2.3" in t
    assert f'href="/q/{UNANSWERED}"' in t
    assert f'class="run-btn" data-exp="{EXP_ID}"' in t
    assert "claim-badge notrun" in t and "Not run yet" in t


def test_unanswered_question_is_labelled(client):
    r = client.get(f"/q/{UNANSWERED}")
    assert r.status_code == 200
    assert 'id="unanswered"' in r.text and "not answered yet" in r.text
    assert "No experiment is attached" in r.text


@pytest.mark.parametrize("bad", ["web-test-answerd", "softmax", "WEB-TEST-ANSWERED"])
def test_unknown_question_404_with_suggestions(client, bad):
    r = client.get(f"/q/{bad}")
    assert r.status_code == 404
    assert "Unknown question" in r.text
    assert f'href="/q/{ANSWERED}"' in r.text  # a near match is offered
    no_trace(r)


def test_unknown_route_and_method(client):
    r = client.get("/nope/nothing")
    assert r.status_code == 404 and "Not found" in r.text
    r = client.get("/quiz/review")
    assert r.status_code == 405 and "<html" in r.text
    no_trace(r)


def test_search(client):
    r = client.get("/search", params={"q": "softmax"})
    assert r.status_code == 200 and f'href="/q/{ANSWERED}"' in r.text
    r = client.get("/search", params={"q": "学习率"})
    assert f'href="/q/{UNANSWERED}"' in r.text
    assert client.get("/search").status_code == 200
    r = client.get("/search", params={"q": "x" * 201})
    assert r.status_code == 422 and "200" in r.text
    no_trace(r)
    assert client.get("/search", params={"q": "a", "limit": 0}).status_code == 422
    assert client.get("/search", params={"q": "a", "limit": "many"}).status_code == 422


def test_quiz_page_review_and_counts(client, app):
    r = client.get("/quiz", params={"lang": "en"})
    assert r.status_code == 200
    assert 'id="quiz-card"' in r.text and f'data-card="{ANSWERED}:en"' in r.text  # answered first
    assert client.get("/api/quiz", params={"lang": "en"}).json()["new"] == 2
    r = client.post("/quiz/review", data={"card_id": f"{ANSWERED}:en", "rating": "3",
                                          "lang": "en", "topic": ""}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/quiz?lang=en"
    j = client.get("/api/quiz", params={"lang": "en"}).json()
    assert j["new"] == 1 and j["learned"] == 1 and j["next"]["question_id"] == UNANSWERED
    # the unanswered card is labelled as such
    r = client.get("/quiz", params={"lang": "en"})
    assert "no handbook answer yet" in r.text
    # topic filter
    r = client.get("/quiz", params={"lang": "en", "topic": "optimization"})
    assert f'data-card="{UNANSWERED}:en"' in r.text
    from dlproof.study.store import StudyStore

    with StudyStore() as st:  # the app was given its own DB: the default store is untouched
        assert st.logs() == []


def test_quiz_review_is_stored(client, tmp_path):
    client.post("/quiz/review", data={"card_id": f"{ANSWERED}:zh", "rating": "4", "lang": "zh"},
                follow_redirects=False)
    from dlproof.study.store import StudyStore

    with StudyStore(tmp_path / "study.sqlite3") as st:
        logs = st.logs()
        assert [(x["card_id"], x["rating"], x["client"]) for x in logs] == [
            (f"{ANSWERED}:zh", 4, "web")]


@pytest.mark.parametrize("form", [
    {"card_id": f"{ANSWERED}:en", "rating": "5"},
    {"card_id": f"{ANSWERED}:en", "rating": "0"},
    {"card_id": f"{ANSWERED}:en", "rating": ""},
    {"card_id": f"{ANSWERED}:fr", "rating": "3"},
    {"card_id": "no-such-question:en", "rating": "3"},
    {"card_id": "../../etc/passwd", "rating": "3"},
    {"card_id": f"{ANSWERED}:en", "rating": "3", "topic": "no-topic"},
    {},
])
def test_quiz_review_bad_input(client, form):
    r = client.post("/quiz/review", data=form, follow_redirects=False)
    assert r.status_code == 422 and "Invalid review" in r.text
    no_trace(r)


def test_quiz_bad_params(client):
    assert client.get("/quiz", params={"lang": "de"}).status_code == 422
    assert client.get("/quiz", params={"topic": "nope"}).status_code == 404
    assert client.get("/quiz", params={"topic": "x" * 100}).status_code == 422
    assert client.get("/api/quiz", params={"topic": "nope"}).status_code == 404
    r = client.post("/quiz/review", content=b"card_id=" + b"a" * 10000,
                    headers={"content-type": "application/x-www-form-urlencoded"})
    assert r.status_code == 413


def test_run_experiment_in_background_then_page_shows_claims(client, app):
    r = client.get(f"/api/run/{EXP_ID}")
    assert r.json()["state"] == "idle" and r.json()["has_result"] is False
    r = client.post(f"/api/run/{EXP_ID}", params={"mode": "smoke", "seed": 3})
    assert r.status_code == 202, r.text
    first = r.json()
    assert first["state"] == "running" and first["coalesced"] is False
    # a second request while it runs joins the same job
    r2 = client.post(f"/api/run/{EXP_ID}", params={"mode": "full", "seed": 9})
    assert r2.json()["job"] == first["job"] and r2.json()["coalesced"] is True
    # pages stay responsive while it runs
    assert client.get("/").status_code == 200
    job = app.state.jobs.wait(EXP_ID, timeout=60)
    assert job.state == "done", job.error
    s = client.get(f"/api/run/{EXP_ID}").json()
    assert s["state"] == "done" and s["fraction"] == 1.0 and s["all_hold"] is True
    assert s["seed"] == 3 and s["mode"] == "smoke"
    page = client.get(f"/q/{ANSWERED}").text
    assert 'data-claim="error-small"' in page and "✓" in page
    assert "claim-badge holds" in page  # the citation badge now shows the value
    assert 'class="badge verified"' in page
    # the figure is served from the store's figures dir
    import re

    src = re.search(r'<img src="(/figures/[^"]+)"', page).group(1)
    f = client.get(src)
    assert f.status_code == 200 and f.headers["content-type"].startswith("image/svg+xml")
    assert "verified ✓" in client.get("/").text


@pytest.mark.parametrize("params", [
    {"mode": "fast"}, {"mode": ""}, {"seed": -1}, {"seed": 2**31}, {"seed": "abc"},
    {"seed": 10**40},
])
def test_run_bad_parameters(client, params):
    r = client.post(f"/api/run/{EXP_ID}", params=params)
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("application/json")
    assert client.get(f"/api/run/{EXP_ID}").json()["state"] == "idle"  # nothing started


@pytest.mark.parametrize("bad", ["web-test-ex", "os", "dlproof.cli", "x" * 300, "..%2F..%2Fetc"])
def test_run_unknown_experiment_404(client, bad):
    r = client.post(f"/api/run/{bad}")
    assert r.status_code == 404
    body = r.json()  # JSON under /api/, whether the route or the id is unknown
    assert body["error"] in ("unknown experiment", "Not found / 页面不存在")
    if bad == "web-test-ex":
        assert body["suggestions"][0] == EXP_ID  # the closest first; others may follow
    assert client.get(f"/api/run/{bad}").status_code == 404


def test_run_failure_is_reported_not_raised(bank, test_experiment, tmp_path):
    def boom(eid, cfg, progress):
        progress(0.5, "half")
        raise RuntimeError("exploded on purpose")

    app = create_app(bank, runner=boom, study_path=tmp_path / "s.sqlite3")
    with TestClient(app, base_url="http://localhost", raise_server_exceptions=False) as c:
        assert c.post(f"/api/run/{EXP_ID}").status_code == 202
        job = app.state.jobs.wait(EXP_ID)
        s = c.get(f"/api/run/{EXP_ID}").json()
    assert job.state == "error" and s["state"] == "error"
    assert "exploded on purpose" in s["error"] and "Traceback" not in s["error"]


def test_static_and_mathjax_files(client):
    r = client.get("/static/style.css")
    assert r.status_code == 200 and "WenQuanYi Micro Hei" in r.text
    assert client.get("/static/app.js").headers["content-type"].startswith("text/javascript")
    r = client.get("/mathjax/es5/tex-svg-full.js")
    assert r.status_code == 200 and len(r.content) > 100_000
    assert client.get("/mathjax/es5/input/tex/extensions/cancel.js").status_code == 200
    assert client.get("/healthz").json()["ok"] is True


TRAVERSALS = [
    "../../etc/passwd", "..%2F..%2Fetc%2Fpasswd", "%2e%2e/%2e%2e/etc/passwd",
    "%2e%2e%2f%2e%2e%2fetc%2fpasswd", "..%252F..%252Fetc%252Fpasswd", "/etc/passwd",
    "%2Fetc%2Fpasswd", "es5/../../../../../../etc/passwd", "es5/..%2F..%2F..%2F..%2Fetc%2Fpasswd",
    "..\\..\\etc\\passwd", "..%5C..%5Cetc%5Cpasswd", "es5%00.js",
    "es5//tex-svg-full.js", "", "es5", "C:/Windows/win.ini",
]


@pytest.mark.parametrize("prefix", ["/mathjax/", "/static/", "/figures/"])
@pytest.mark.parametrize("path", TRAVERSALS)
def test_no_path_traversal(client, prefix, path):
    r = client.get(prefix + path)
    assert r.status_code == 404, (prefix + path, r.status_code)
    assert "root:" not in r.text and "[fonts]" not in r.text
    no_trace(r)


def test_raw_traversal_over_a_socket_level_path(app):
    """Send the dot segments verbatim (clients normally collapse them before sending)."""
    import asyncio

    async def call(path: str) -> int:
        status = {}

        async def receive():
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message):
            if message["type"] == "http.response.start":
                status["code"] = message["status"]

        scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
                 "method": "GET", "scheme": "http", "path": path, "raw_path": path.encode(),
                 "root_path": "", "query_string": b"", "headers": [], "client": ("127.0.0.1", 1),
                 "server": ("127.0.0.1", 80)}
        await app(scope, receive, send)
        return status["code"]

    for p in ("/mathjax/../../etc/passwd", "/static/../app.py", "/figures/../dlproof.sqlite3",
              "/mathjax/es5/../../../../../../../../etc/passwd"):
        assert asyncio.run(call(p)) == 404, p


def test_figures_only_images_inside_the_figures_dir(client, tmp_path):
    from dlproof.store import data_dir, figures_dir

    (figures_dir() / "ok.svg").write_text("<svg xmlns='http://www.w3.org/2000/svg'/>")
    (figures_dir() / "notes.txt").write_text("secret")
    (data_dir() / "outside.svg").write_text("<svg/>")
    assert client.get("/figures/ok.svg").status_code == 200
    assert client.get("/figures/notes.txt").status_code == 404
    assert client.get("/figures/../outside.svg").status_code == 404
    link = figures_dir() / "link.svg"
    link.symlink_to(data_dir() / "outside.svg")
    assert client.get("/figures/link.svg").status_code == 404  # resolves outside: refused


def test_server_error_page_has_no_traceback(client, monkeypatch):
    def broken(*a, **k):
        raise RuntimeError("secret internal detail")

    monkeypatch.setattr(views, "index_data", broken)
    r = client.get("/")
    assert r.status_code == 500 and "Internal error" in r.text
    assert "secret internal detail" not in r.text
    no_trace(r)


def test_foreign_host_header_refused(client, bank, tmp_path):
    """DNS rebinding: a page on evil.example resolving to 127.0.0.1 must get nothing."""
    r = client.get("/", headers={"host": "evil.example"})
    assert r.status_code == 400 and "Unknown host" in r.text
    assert client.get("/", headers={"host": "localhost:8000"}).status_code == 200
    assert client.get("/", headers={"host": "[::1]:8000"}).status_code == 200
    open_app = create_app(bank, study_path=tmp_path / "o.sqlite3", allowed_hosts=None)
    with TestClient(open_app, base_url="http://192.168.1.5:8000") as c:
        assert c.get("/").status_code == 200


def test_cross_site_posts_refused(client):
    r = client.post(f"/api/run/{EXP_ID}", headers={"origin": "https://evil.example"})
    assert r.status_code == 403
    r = client.post("/quiz/review", data={"card_id": f"{ANSWERED}:en", "rating": "3"},
                    headers={"sec-fetch-site": "cross-site"})
    assert r.status_code == 403 and "Cross-site" in r.text
    assert client.get(f"/api/run/{EXP_ID}").json()["state"] == "idle"
    r = client.post("/quiz/review", data={"card_id": f"{ANSWERED}:en", "rating": "3"},
                    headers={"origin": "http://127.0.0.1", "sec-fetch-site": "same-origin"},
                    follow_redirects=False)
    assert r.status_code == 303
