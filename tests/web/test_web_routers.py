"""The routes by area as APIRouters over injected state: two apps in one process share nothing."""

from __future__ import annotations

from fastapi.testclient import TestClient
from weblib import ANSWERED

from dlproof.web.app import create_app


def test_each_area_is_a_router_and_every_route_is_mounted(bank, test_experiment, tmp_path):
    from dlproof.web import interview, practice_pages
    from dlproof.web.routes import files, pages, quiz, runs

    app = create_app(bank, study_path=tmp_path / "s.sqlite3")
    client = TestClient(app, base_url="http://127.0.0.1")
    for router, must in ((pages.router, "/q/{qid}"), (quiz.router, "/quiz/review"),
                         (runs.router, "/api/run/{exp_id}"), (files.router, "/static/{sub:path}"),
                         (interview.router, "/interview/grade"),
                         (practice_pages.router, "/practice/{exercise_id}")):
        assert must in {r.path for r in router.routes}
    for path in ("/", f"/q/{ANSWERED}", "/quiz", "/interview", "/practice", "/healthz",
                 "/static/style.css"):
        assert client.get(path).status_code == 200, path  # every area is mounted
    assert client.get("/api/run/no-such-exp").status_code == 404


def test_two_apps_keep_their_own_bank_store_and_jobs(bank, test_experiment, tmp_path):
    a = create_app(bank, study_path=tmp_path / "a.sqlite3", fuzz=False)
    b = create_app(bank[:1], study_path=tmp_path / "b.sqlite3", fuzz=False)
    assert a.state.jobs is not b.state.jobs and a.state.deps.bank is not b.state.deps.bank
    with TestClient(a, base_url="http://127.0.0.1") as ca, \
            TestClient(b, base_url="http://127.0.0.1") as cb:
        r = ca.post("/quiz/review", data={"card_id": f"{ANSWERED}:en", "rating": "3"},
                    follow_redirects=False)
        assert r.status_code == 303
        assert ca.get("/api/quiz", params={"lang": "en"}).json()["learned"] == 1
        assert cb.get("/api/quiz", params={"lang": "en"}).json()["learned"] == 0
        assert cb.get("/api/quiz", params={"lang": "en"}).json()["total"] == 1
