"""The web app in real headless Chromium against a real uvicorn server on 127.0.0.1.

Screenshots (desktop 1280 px and phone 375 px) go to ``test-artifacts/screenshots/``; page load
timings to ``test-artifacts/web-timings.json``.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from pathlib import Path

import pytest
from weblib import ANSWERED, EXP_ID, UNANSWERED

pytestmark = pytest.mark.browser

ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
SHOTS = ARTIFACTS / "screenshots"
PHONE = {"width": 375, "height": 812}
DESKTOP = {"width": 1280, "height": 900}
TIMINGS: dict[str, float] = {}


@pytest.fixture(scope="module")
def server(bank, test_experiment, tmp_path_factory):
    import uvicorn

    from dlproof.web.app import create_app

    study = tmp_path_factory.mktemp("web_study") / "study.sqlite3"
    app = create_app(bank, study_path=study, fuzz=False)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    srv = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    thread = threading.Thread(target=srv.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.time() + 20
    while not srv.started:
        assert time.time() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    yield {"url": f"http://127.0.0.1:{port}", "app": app, "study": study}
    srv.should_exit = True
    thread.join(timeout=10)
    sock.close()


@pytest.fixture(scope="module")
def chromium_browser(chromium_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium_path, headless=True, args=ARGS)
        yield b
        b.close()
    SHOTS.mkdir(parents=True, exist_ok=True)
    if TIMINGS:
        (ARTIFACTS / "web-timings.json").write_text(json.dumps(TIMINGS, indent=2))


@pytest.fixture()
def page_factory(chromium_browser):
    contexts = []

    def make(viewport=DESKTOP):
        ctx = chromium_browser.new_context(viewport=viewport, device_scale_factor=1)
        contexts.append(ctx)
        page = ctx.new_page()
        page.problems = []  # console errors, page errors and failed requests
        page.on("console", lambda m: m.type == "error" and page.problems.append(m.text))
        page.on("pageerror", lambda e: page.problems.append(str(e)))
        page.on("requestfailed", lambda r: page.problems.append(f"failed {r.url}"))
        page.on("response", lambda r: r.status >= 400 and page.problems.append(f"{r.status} {r.url}"))
        return page

    yield make
    for ctx in contexts:
        ctx.close()


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.evaluate("window.scrollTo(0, 0)")  # the sticky header belongs at the top
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def wait_math(page, timeout=30_000, everything=True) -> None:
    """Wait for MathJax: the language on screen, and (``everything``) the hidden one too."""
    page.wait_for_selector("html[data-math=done]", state="attached", timeout=timeout)
    if everything:
        page.wait_for_selector("html[data-math-all=done]", state="attached", timeout=timeout)


def assert_math_rendered(page, at_least: int) -> None:
    n = page.locator("mjx-container").count()
    assert n >= at_least, f"only {n} formulas rendered"
    errors = page.locator("mjx-merror, [data-mml-node=merror], [data-mjx-error]").count()
    assert errors == 0, f"{errors} MathJax errors"


def no_horizontal_scroll(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"] + 1, f"page is {width}px wide"


def test_index_desktop_and_phone(server, page_factory):
    for name, vp in (("desktop", DESKTOP), ("phone", PHONE)):
        page = page_factory(vp)
        t0 = time.perf_counter()
        page.goto(server["url"] + "/", wait_until="load")
        TIMINGS[f"index_load_s_{name}"] = round(time.perf_counter() - t0, 3)
        assert page.locator("#coverage").is_visible()
        assert page.locator(f"li[data-qid={UNANSWERED}] .badge.none").first.is_visible()
        assert page.locator(f"li[data-qid={ANSWERED}] .badge.ok").first.is_visible()
        no_horizontal_scroll(page)
        shot(page, f"index-{name}")
        assert page.problems == []


def test_question_page_renders_math(server, page_factory):
    for name, vp in (("desktop", DESKTOP), ("phone", PHONE)):
        page = page_factory(vp)
        t0 = time.perf_counter()
        page.goto(f"{server['url']}/q/{ANSWERED}", wait_until="load")
        t_load = time.perf_counter() - t0
        wait_math(page, everything=False)
        TIMINGS[f"question_load_s_{name}"] = round(t_load, 3)
        TIMINGS[f"question_math_on_screen_s_{name}"] = round(time.perf_counter() - t0, 3)
        wait_math(page)
        TIMINGS[f"question_math_both_languages_s_{name}"] = round(time.perf_counter() - t0, 3)
        # both languages are typeset: 4 inline + 2 display + 1 table + 1 follow-up + 1 pitfall each
        assert_math_rendered(page, at_least=14)
        assert page.locator("#answer-zh mjx-container").first.is_visible()
        assert page.locator("#answer-en").is_hidden()
        no_horizontal_scroll(page)
        shot(page, f"question-{name}")
        assert page.problems == []


def test_language_toggle_persists_across_reload(server, page_factory):
    page = page_factory()
    page.goto(f"{server['url']}/q/{ANSWERED}")
    wait_math(page)
    assert page.locator("#answer-zh").is_visible() and page.locator("#answer-en").is_hidden()
    page.click("button[data-set-lang=en]")
    assert page.locator("#answer-en").is_visible() and page.locator("#answer-zh").is_hidden()
    assert page.locator("#answer-en mjx-container").first.is_visible()
    page.reload()
    wait_math(page)
    assert page.evaluate("document.documentElement.dataset.lang") == "en"
    assert page.locator("#answer-en").is_visible() and page.locator("#answer-zh").is_hidden()
    assert page.locator("button[data-set-lang=en]").get_attribute("aria-pressed") == "true"
    # the index remembers it too, rendered by the server from the cookie
    page.goto(server["url"] + "/")
    assert page.locator("h1 .l-en").is_visible() and page.locator("h1 .l-zh").is_hidden()
    shot(page, "index-desktop-en")
    page.click("button[data-set-lang=zh]")
    page.reload()
    assert page.locator("h1 .l-zh").is_visible()


def test_run_button_shows_progress_then_claims(server, page_factory):
    page = page_factory()
    page.goto(f"{server['url']}/q/{ANSWERED}")
    wait_math(page)
    assert page.locator(f"#exp-{EXP_ID} .not-run").is_visible()
    page.click(f"button.run-btn[data-exp={EXP_ID}]")
    page.wait_for_selector(f"#status-{EXP_ID}:not([hidden])", timeout=5_000)
    # other requests are answered while the experiment runs in the background
    t0 = time.perf_counter()
    other = page.context.new_page()
    other.goto(server["url"] + "/")
    assert time.perf_counter() - t0 < 5
    other.close()
    page.wait_for_selector("tr[data-claim=error-small]", timeout=60_000)
    wait_math(page)
    assert page.locator("tr[data-claim=error-small] .verdict").inner_text().startswith("✓")
    assert page.locator("tr[data-claim=ratio-near-one]").is_visible()
    assert page.locator("#answer-zh .claim-badge.holds").count() == 2
    assert page.locator(f"#exp-{EXP_ID} figure img").evaluate("img => img.naturalWidth") > 0
    assert_math_rendered(page, at_least=14)
    shot(page, "question-after-run-desktop")
    page.set_viewport_size(PHONE)
    no_horizontal_scroll(page)
    shot(page, "question-after-run-phone")
    assert page.problems == []


def test_quiz_with_keyboard(server, page_factory):
    page = page_factory(PHONE)
    page.goto(server["url"] + "/quiz?lang=en")
    card = page.locator("#quiz-card")
    assert card.get_attribute("data-card") == f"{ANSWERED}:en"
    assert page.locator("#card-answer").is_hidden()
    learned_before = int(page.locator(".count.learned").inner_text())
    shot(page, "quiz-phone-question")
    page.keyboard.press("Space")
    assert page.locator("#card-answer").is_visible()
    wait_math(page)
    assert_math_rendered(page, at_least=5)
    shot(page, "quiz-phone-revealed")
    with page.expect_navigation():
        page.keyboard.press("3")
    assert int(page.locator(".count.learned").inner_text()) == learned_before + 1
    assert page.locator("#quiz-card").get_attribute("data-card") == f"{UNANSWERED}:en"
    assert page.locator("text=no handbook answer yet").first.is_visible()
    from dlproof.study.store import StudyStore

    with StudyStore(server["study"]) as st:
        assert [(r["card_id"], r["rating"]) for r in st.logs()][-1] == (f"{ANSWERED}:en", 3)
    no_horizontal_scroll(page)
    assert page.problems == []


def test_error_page_in_browser(server, page_factory):
    page = page_factory(PHONE)
    resp = page.goto(f"{server['url']}/q/softmax-derivativ")
    assert resp.status == 404
    assert page.locator(".error-code").inner_text() == "404"
    shot(page, "error-404-phone")


def test_static_export_opens_from_file_url(bank, page_factory, tmp_path):
    from dlproof.study.export import export_html

    site = tmp_path / "site"
    export_html(site, bank)
    page = page_factory()
    page.goto((site / "q" / f"{ANSWERED}.html").as_uri())
    wait_math(page)
    assert_math_rendered(page, at_least=14)
    page.click("button[data-set-lang=en]")
    page.goto((site / "index.html").as_uri())
    assert page.evaluate("document.documentElement.dataset.lang") == "en"  # localStorage
    page.click(f"li[data-qid={UNANSWERED}] a")
    assert page.locator("#unanswered").is_visible()
    shot(page, "static-export-desktop")
    assert page.problems == []


def test_every_answered_question_of_the_bank_typesets_without_errors(page_factory, tmp_path):
    """MathJax must parse every formula of the real handbook (from the static export)."""
    from dlproof.handbook.loader import all_questions
    from dlproof.study.export import export_html

    questions = all_questions()
    answered = [q for q in questions if q.answered]
    if not answered:
        pytest.skip("no question of the bank is answered yet")
    site = tmp_path / "site"
    export_html(site, questions)
    page = page_factory(PHONE)
    bad, wide = {}, {}
    for q in answered:
        page.goto((site / "q" / f"{q.id}.html").as_uri())
        wait_math(page)
        n_err = page.locator("mjx-merror, [data-mml-node=merror], [data-mjx-error]").count()
        n_tex = page.locator(".math").count()
        n_ok = page.locator(".math mjx-container").count()
        if n_err or n_ok != n_tex:
            bad[q.id] = (n_err, n_ok, n_tex)
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > PHONE["width"] + 1:
            wide[q.id] = width
    assert bad == {}, f"formulas that MathJax could not typeset (errors, typeset, total): {bad}"
    assert wide == {}, f"pages wider than a 375 px phone: {wide}"
    assert page.problems == []


def test_search_from_the_box(server, page_factory):
    page = page_factory(PHONE)
    page.goto(server["url"] + "/search")
    page.fill("input[name=q]", "softmax 导数")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.locator(f"ol.hits a[href='/q/{ANSWERED}']").is_visible()
    no_horizontal_scroll(page)
    shot(page, "search-phone")
    assert page.problems == []


# ---- the evidence snapshot: measured values and figures on the first visit ----------------------

EVIDENCE_QID = "softmax-derivative"
REAL_STUDY: dict[str, Path] = {}  # server url -> its study database


@pytest.fixture(scope="module")
def real_server(tmp_path_factory):
    """The real question bank, served over a fresh, empty store (nothing run yet)."""
    import uvicorn

    from dlproof.web.app import create_app

    study = tmp_path_factory.mktemp("web_real_study") / "study.sqlite3"
    app = create_app(study_path=study, fuzz=False)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    srv = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    thread = threading.Thread(target=srv.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.time() + 20
    while not srv.started:
        assert time.time() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    REAL_STUDY[url] = study
    yield url
    srv.should_exit = True
    thread.join(timeout=10)
    sock.close()


def assert_evidence_shown(page, expected_claims: int, expected_figures: int) -> None:
    """Every claim row has a measured value and a verdict; every figure loaded; no "not run"."""
    rows = page.locator("#experiments tr.claim")
    assert rows.count() == expected_claims > 0
    for i in range(rows.count()):
        row = rows.nth(i)
        assert row.locator("td.num").inner_text().strip() not in ("", "—")
        assert "✓" in row.locator("td.verdict").inner_text(), row.inner_text()
    assert page.locator("#experiments .not-run").count() == 0
    labels = page.locator("#experiments .evidence-label.snapshot")
    assert labels.count() >= 1 and "measured on" in labels.first.inner_text()
    imgs = page.locator("#experiments figure.fig img")
    assert imgs.count() == expected_figures > 0
    for i in range(imgs.count()):
        imgs.nth(i).scroll_into_view_if_needed()
        page.wait_for_function("img => img.complete && img.naturalWidth > 0",
                               arg=imgs.nth(i).element_handle(), timeout=10_000)


def _expected_evidence():
    from dlproof.experiments import snapshot
    from dlproof.handbook.loader import load_one

    q = load_one(EVIDENCE_QID)
    entries = [snapshot.load().get(e) for e in q.experiments]
    assert all(entries), "the question's experiments have no snapshot entry"
    return (sum(len(e.report.claims) for e in entries),
            sum(len(e.report.figures) for e in entries))


def test_question_page_shows_snapshot_evidence_without_running(real_server, page_factory):
    n_claims, n_figs = _expected_evidence()
    page = page_factory()
    page.goto(f"{real_server}/q/{EVIDENCE_QID}?lang=en")
    wait_math(page)
    assert_evidence_shown(page, n_claims, n_figs)
    shot(page, "evidence-question-desktop")
    phone = page_factory(PHONE)
    phone.goto(f"{real_server}/q/{EVIDENCE_QID}?lang=zh")
    assert "测于" in phone.locator("#experiments .evidence-label").first.inner_text()
    no_horizontal_scroll(phone)
    assert page.problems == [] and phone.problems == []


def test_static_export_shows_snapshot_evidence_over_file_url(page_factory, tmp_path):
    from dlproof.handbook.loader import all_questions
    from dlproof.study.export import export_html

    n_claims, n_figs = _expected_evidence()
    site = tmp_path / "site"
    export_html(site, all_questions(), lang="en")
    page = page_factory()
    page.goto((site / "q" / f"{EVIDENCE_QID}.html").as_uri())
    wait_math(page)
    assert_evidence_shown(page, n_claims, n_figs)
    assert page.problems == []


def test_editing_a_question_file_while_serving_changes_the_page_on_reload(test_experiment,
                                                                        page_factory, tmp_path):
    import os

    import uvicorn
    from weblib import write_bank

    from dlproof.web.app import create_app

    directory = write_bank(tmp_path / "questions")
    app = create_app(questions_dir=directory, study_path=tmp_path / "study.sqlite3", fuzz=False)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    srv = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    thread = threading.Thread(target=srv.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        while not srv.started:
            time.sleep(0.02)
        page = page_factory(PHONE)
        page.goto(f"http://127.0.0.1:{sock.getsockname()[1]}/q/{ANSWERED}?lang=en")
        assert "(test)" in page.locator("h1").inner_text()
        path = directory / f"{ANSWERED}.md"
        path.write_text(path.read_text("utf-8").replace("softmax (test)", "softmax (edited live)"),
                        "utf-8")
        st = path.stat()
        os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 2_000_000_000))
        page.reload()
        assert "(edited live)" in page.locator("h1").inner_text()
        path.write_text(path.read_text("utf-8").replace("difficulty = 2", "difficulty = 9"), "utf-8")
        page.reload()
        assert page.locator("#content-error").is_visible()
        assert f"{path}:" in page.locator("#content-error pre").inner_text()
        no_horizontal_scroll(page)
        shot(page, "content-error-phone")
    finally:
        srv.should_exit = True
        thread.join(timeout=10)
        sock.close()


def test_practice_pages_in_the_browser(real_server, page_factory):
    """The question page links its exercise; the exercise page shows the starting file and fits a
    phone (the code scrolls inside its box)."""
    page = page_factory()
    page.goto(f"{real_server}/q/softmax-derivative?lang=en")
    link = page.locator("#practice a[href='/practice/softmax-jacobian']")
    assert link.count() == 1
    link.click()
    page.wait_for_selector("#starting-file")
    assert "def softmax_jacobian" in page.locator("#starting-file").inner_text()
    assert "Not graded yet." in page.locator("#last-grade").text_content()
    shot(page, "practice-exercise-desktop")
    phone = page_factory(PHONE)
    for path in ("/practice", "/practice/rnn-bptt"):
        phone.goto(f"{real_server}{path}?lang=zh")
        no_horizontal_scroll(phone)
    shot(phone, "practice-exercise-phone")
    assert page.problems == [] and phone.problems == []


# ---- the question map -----------------------------------------------------------------------------

def _check_map(page, n_questions: int) -> None:
    assert page.locator("#qmap a.q").count() == n_questions
    assert page.locator("#qmap .topic").count() >= 1
    box = page.locator("#qmap").bounding_box()
    assert box["width"] > 300 and box["height"] > 300  # drawn, not collapsed
    topic = page.locator("#qmap .topic").first
    topic.click()
    key = topic.get_attribute("data-topic")
    assert page.locator("#qmap").get_attribute("data-focus") == key
    assert page.locator(f"#qmap .branch.on[data-topic='{key}']").count() == 1
    assert page.locator("#qmap .branch:not(.on)").first.evaluate(
        "g => getComputedStyle(g).opacity") == "0.18"
    page.click("[data-zoom=in]")
    assert page.locator("#qmap").bounding_box()["width"] > box["width"] * 1.4
    page.click("[data-zoom=reset]")
    no_horizontal_scroll(page)


def test_question_map_live_colours_mastery_from_the_study_store(real_server, page_factory):
    from datetime import UTC, datetime, timedelta

    from dlproof.handbook.loader import all_questions
    from dlproof.study.store import StudyStore, card_id

    qs = all_questions()
    answered = [q for q in qs if q.answered]
    page = page_factory(PHONE)
    page.goto(f"{real_server}/map?lang=zh")
    _check_map(page, len(qs))
    assert page.locator("#qmap a.q-answered").count() == len(answered)
    assert page.locator("#qmap a.q-unanswered").count() == len(qs) - len(answered)
    assert page.locator("#qmap a.q-mastered").count() == 0
    assert page.locator("#qmap .l-zh").first.is_visible()
    assert not page.locator("#qmap .l-en").first.is_visible()
    shot(page, "map-phone-zh")
    # a card reviewed "Easy" three times, weeks apart, is in review with a high retrievability
    target = answered[0]
    study = REAL_STUDY[real_server]
    with StudyStore(study, fuzz=False) as st:
        t = datetime.now(UTC) - timedelta(days=60)
        for _ in range(3):
            card, _ = st.review(card_id(target.id, "zh"), 4, now=t)
            t = card.due if card.due < datetime.now(UTC) else datetime.now(UTC)
    page.goto(f"{real_server}/map?lang=zh")
    assert page.locator(f"#qmap a.q-mastered[data-qid='{target.id}']").count() == 1
    page.click("button[data-set-lang=en]")
    assert page.locator("#qmap .l-en").first.is_visible()
    page.locator(f"#qmap a[data-qid='{target.id}']").click()
    page.wait_for_url(f"**/q/{target.id}")
    assert page.problems == []


def test_question_map_in_the_static_export(bank, page_factory, tmp_path):
    from dlproof.study.export import export_html

    site = tmp_path / "site"
    export_html(site, bank)
    page = page_factory(PHONE)
    page.goto((site / "map.html").as_uri())
    _check_map(page, len(bank))
    page.locator(f"#qmap a[data-qid='{ANSWERED}']").click()
    page.wait_for_url(f"**/q/{ANSWERED}.html")
    assert page.problems == []


def test_question_map_of_the_real_bank_on_a_desktop(real_server, page_factory):
    page = page_factory(DESKTOP)
    page.goto(f"{real_server}/map?lang=en")
    page.locator("#qmap .topic[data-topic=optimization]").press("Enter")  # keyboard focus works
    assert page.locator("#qmap").get_attribute("data-focus") == "optimization"
    assert page.locator("button.topic-focus[data-topic=optimization]").get_attribute(
        "aria-pressed") == "true"
    no_horizontal_scroll(page)
    shot(page, "map-desktop-en")
    page.click("button.topic-focus[data-topic=optimization]")  # the same topic again: all back
    assert page.locator("#qmap").get_attribute("data-focus") is None
    assert page.problems == []


# ---- the mock interview ---------------------------------------------------------------------------

def test_mock_interview_with_keyboard(server, page_factory):
    """Start from the form, the timer runs, type an answer, Esc leaves the box, space reveals the
    short answer, then the follow-up, then the pitfalls; 2 grades into the FSRS store and the
    summary shows the time, the grade and the weakest topic."""
    page = page_factory(PHONE)
    page.goto(server["url"] + "/interview?lang=en")
    no_horizontal_scroll(page)
    shot(page, "interview-setup-phone")
    with page.expect_navigation():
        page.click("#start-interview")
    assert page.locator("#interview").get_attribute("data-card") == f"{ANSWERED}:en"
    wait_math(page)
    assert page.locator("#iv-short").is_hidden() and page.locator("#fu-1").is_hidden()
    page.wait_for_function("document.getElementById('timer').textContent !== '0:00'",
                           timeout=5_000)  # a running timer
    page.click("#typed")
    page.keyboard.type("p minus p p transpose 1")  # digits in the box are text, not grades
    page.keyboard.press("Escape")
    page.keyboard.press("Space")
    assert page.locator("#iv-short").is_visible() and page.locator("#answered-in").is_visible()
    assert page.locator("#iv-short mjx-container").count() >= 1
    assert page.locator("#fu-1").is_hidden() and page.locator("#iv-pitfalls").is_hidden()
    page.keyboard.press("Space")
    assert page.locator("#fu-1").is_visible() and page.locator("#fu-1 mjx-container").count() >= 1
    assert page.locator("#iv-pitfalls").is_hidden()
    page.keyboard.press("Space")
    assert page.locator("#iv-pitfalls").is_visible()
    assert_math_rendered(page, at_least=3)
    no_horizontal_scroll(page)
    shot(page, "interview-revealed-phone")
    with page.expect_navigation():
        page.keyboard.press("2")
    assert page.locator(f"#iv-summary tr[data-qid={ANSWERED}][data-grade='2']").is_visible()
    assert page.locator("#iv-weakest li[data-topic=feedforward-backprop]").is_visible()
    no_horizontal_scroll(page)
    shot(page, "interview-summary-phone")
    from dlproof.study.store import StudyStore

    with StudyStore(server["study"]) as st:
        last = st.logs()[-1]
    assert (last["card_id"], last["rating"], last["client"]) == (f"{ANSWERED}:en", 2,
                                                                 "web-interview")
    assert last["review_duration"] >= 1000
    page.click("button[data-set-lang=zh]")  # the page chrome follows the language toggle
    assert page.locator("h1 .l-zh").is_visible() and page.locator("h1 .l-en").is_hidden()
    assert page.problems == []


def test_mock_interview_in_chinese_fits_a_phone_and_skips_to_pitfalls(server, page_factory):
    page = page_factory(PHONE)
    page.goto(server["url"] + "/interview/start?lang=zh&n=1")
    wait_math(page)
    assert "softmax" in page.locator("#iv-question").inner_text()
    page.keyboard.press("Enter")
    assert page.locator("#iv-short .answer").get_attribute("lang") == "zh"
    page.keyboard.press("s")
    assert page.locator("#iv-pitfalls").is_visible() and page.locator("#fu-1").is_hidden()
    assert page.locator("#iv-pitfalls").inner_text().count("非对角") == 1
    assert_math_rendered(page, at_least=3)
    no_horizontal_scroll(page)
    page.set_viewport_size(DESKTOP)
    shot(page, "interview-zh-desktop")
    # a bad grade request from the page's form is a clear error, not a traceback
    resp = page.goto(server["url"] + "/interview/start?lang=zh&topic=nope")
    assert resp.status == 404 and "nope" in page.locator("main").inner_text()


def test_index_shows_mastery_after_the_interview(server, page_factory):
    """After the interviews above graded cards, the index shows the mastery plot and the topic's
    mastery, fits a phone, and follows the language toggle."""
    page = page_factory(PHONE)
    page.goto(server["url"] + "/?lang=en")
    block = page.locator("#mastery [data-cards=en]")
    assert block.is_visible() and page.locator("#mastery [data-cards=zh]").is_hidden()
    assert block.locator("svg.mastery-plot polyline").is_visible()
    assert block.locator("svg.mastery-plot").bounding_box()["width"] <= PHONE["width"]
    assert page.locator(".topic-mastery.l-en[data-topic=feedforward-backprop]").is_visible()
    no_horizontal_scroll(page)
    shot(page, "index-mastery-phone")
    page.click("button[data-set-lang=zh]")
    assert page.locator("#mastery [data-cards=zh]").is_visible() and block.is_hidden()
    no_horizontal_scroll(page)
    assert page.problems == []
