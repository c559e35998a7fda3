"""Mastery from the FSRS store: retrievability per card, per topic, and its history over time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from dlproof.handbook.loader import all_questions
from dlproof.study import progress
from dlproof.study.store import StudyStore, card_id

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)


@pytest.fixture(scope="module")
def questions():
    return all_questions()


@pytest.fixture()
def store(tmp_path):
    with StudyStore(tmp_path / "study.sqlite3", fuzz=True) as st:  # fuzz must not change mastery
        yield st


def easy_three_times(st, qid: str, lang: str, start: datetime) -> None:
    t = start
    for _ in range(3):
        card, _ = st.review(card_id(qid, lang), 4, now=t)
        t = min(card.due, t + timedelta(days=3))  # all three before NOW when start <= NOW - 6 d


def test_an_empty_store_knows_nothing(store, questions):
    rows = progress.topic_mastery(store, questions, "zh", NOW)
    assert sum(r.questions for r in rows) == len(questions)
    assert all(r.mastery == 0 and r.mastered == 0 and r.reviewed == 0 for r in rows)
    hist = progress.history(store, questions, "zh", days=5, now=NOW)
    assert [p.mastery for p in hist] == [0.0] * 5 and hist[-1].at == NOW


def test_mastery_is_the_mean_retrievability_with_new_cards_counting_zero(store, questions):
    q = questions[0]
    easy_three_times(store, q.id, "zh", NOW - timedelta(days=50))
    card = store.card(card_id(q.id, "zh"))
    r = store.scheduler.get_card_retrievability(card, NOW)
    # the power forgetting curve by hand: R = (1 + F t / S)^D, F = 0.9^(1/D) - 1
    decay = -store.scheduler.parameters[20]
    factor = 0.9 ** (1 / decay) - 1
    t_days = (NOW - card.last_review).total_seconds() / 86400
    assert r == pytest.approx((1 + factor * t_days / card.stability) ** decay, rel=1e-9)
    assert r >= 0.9
    row = next(x for x in progress.topic_mastery(store, questions, "zh", NOW) if x.topic == q.topic)
    assert row.reviewed == 1 and row.mastered == 1
    assert row.mastery == pytest.approx(r / row.questions)
    # the other language's card is untouched; lang=None takes the better of both
    assert progress.question_retrievability(store, questions, "en", NOW) == {}
    assert progress.question_retrievability(store, questions, None, NOW)[q.id] == (pytest.approx(r), True)


def test_a_card_fades_then_is_no_longer_mastered(store, questions):
    q = questions[1]
    easy_three_times(store, q.id, "en", NOW - timedelta(days=50))
    card = store.card(card_id(q.id, "en"))
    later = NOW + timedelta(days=10 * card.stability)
    assert progress.is_mastered(store.scheduler, card, NOW)
    assert not progress.is_mastered(store.scheduler, card, later)
    assert progress.retrievability(store.scheduler, card, later) < 0.9
    # a card still in its learning steps is not mastered, whatever its R
    st2 = store.review(card_id(questions[2].id, "en"), 1, now=NOW)[0]
    assert not progress.is_mastered(store.scheduler, st2, NOW)


def test_history_replays_the_log_day_by_day(store, questions):
    q = questions[0]
    start = NOW - timedelta(days=9, hours=1)
    easy_three_times(store, q.id, "zh", start)
    hist = progress.history(store, questions, "zh", days=12, now=NOW)
    assert len(hist) == 12 and hist[-1].at == NOW
    assert [p.mastery for p in hist[:2]] == [0.0, 0.0]  # before the first review
    card = store.card(card_id(q.id, "zh"))
    # today's point equals the live card's R (re-played without fuzz: same stability)
    assert hist[-1].mastery * len(questions) == pytest.approx(
        store.scheduler.get_card_retrievability(card, NOW), rel=1e-9)
    assert hist[-1].mastered == 1
    assert all(0 <= p.mastery <= 1 for p in hist)
    with pytest.raises(ValueError, match="days"):
        progress.history(store, questions, "zh", days=0)
    with pytest.raises(ValueError, match="language"):
        progress.history(store, questions, "fr")


def test_sparkline_and_svg():
    assert progress.sparkline([0, 0.5, 1]) == "▁▅█"
    pts = [progress.HistoryPoint(NOW - timedelta(days=2 - i), v, 0) for i, v in enumerate((0, .25, .5))]
    svg = progress.history_svg(pts)
    assert svg.startswith("<svg") and "polyline" in svg and "50%" in svg and "http" not in svg
    assert progress.history_svg([]).endswith("</svg>")


def test_dlproof_status_shows_mastery_per_topic_and_its_history(questions):
    """`dlproof status` reads the same store the quiz and the interview write."""
    import json

    from typer.testing import CliRunner

    from dlproof import cli

    cli._register_extensions()
    q = next(x for x in questions if x.answered)
    with StudyStore(fuzz=False) as st:  # the default store of $DLPROOF_HOME
        easy_three_times(st, q.id, "en", datetime.now(UTC) - timedelta(days=20))
    r = CliRunner().invoke(cli.app, ["status", "--json", "--lang", "en"])
    assert r.exit_code == 0, r.output
    data = json.loads(r.output)
    row = next(t for t in data["topics"] if t["topic"] == q.topic)
    assert row["reviewed"] == 1 and row["mastered"] == 1
    assert row["mastery"] == pytest.approx(
        progress.question_retrievability(StudyStore(fuzz=False), questions, "en")[q.id][0]
        / row["questions"], abs=1e-3)
    assert data["study"]["lang"] == "en" and data["study"]["mastered"] == 1
    hist = data["study"]["history"]
    assert len(hist) == 30 and hist[0]["mastery"] == 0 and hist[-1]["mastery"] > 0
    zh = json.loads(CliRunner().invoke(cli.app, ["status", "--json"]).output)
    assert zh["study"]["reviewed"] == 0  # the zh cards are untouched
    text = CliRunner().invoke(cli.app, ["status", "--lang", "en"]).output
    assert "mastery" in text and "last 30 days" in text and "▁" in text
    assert "no zh card reviewed yet" in CliRunner().invoke(cli.app, ["status"]).output
