"""The FSRS study store: queue order, counts, reviews, bad input."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from dlproof.handbook.loader import all_questions
from dlproof.study.store import StudyError, StudyStore, card_id, due_label, parse_card_id

NOW = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


@pytest.fixture()
def store(tmp_path):
    with StudyStore(tmp_path / "s.sqlite3", fuzz=False) as st:
        yield st


@pytest.fixture(scope="module")
def questions():
    return all_questions()


def test_card_ids():
    assert card_id("softmax-derivative", "zh") == "softmax-derivative:zh"
    assert parse_card_id("softmax-derivative:en") == ("softmax-derivative", "en")
    for bad in ("softmax", "x:fr", ":en", ""):
        with pytest.raises(StudyError):
            parse_card_id(bad)


def test_new_cards_answered_first_then_due_cards_first(store, questions):
    queue = store.queue(questions, "zh", now=NOW)
    assert len(queue) == len(questions) and all(it.is_new for it in queue)
    answered = [it.question.answered for it in queue]
    assert answered == sorted(answered, reverse=True)  # all answered ones before the rest
    first = queue[0].card_id
    card, log = store.review(first, 3, now=NOW)
    assert card.due > NOW and log.rating == 3
    assert store.queue(questions, "zh", now=NOW)[0].card_id != first  # not due yet
    later = card.due + timedelta(seconds=1)
    q2 = store.queue(questions, "zh", now=later)
    assert q2[0].card_id == first and not q2[0].is_new  # due reviews come before new cards
    c = store.counts(questions, "zh", now=later)
    assert (c.due, c.learned, c.new, c.total) == (1, 1, len(questions) - 1, len(questions))
    assert store.counts(questions, "en", now=later).learned == 0  # languages are separate decks


def test_review_updates_card_and_logs(store):
    cid = "softmax-derivative:en"
    c1, _ = store.review(cid, 3, now=NOW)
    c2, _ = store.review(cid, 3, now=c1.due)
    assert c2.due - c1.due > timedelta(hours=12)  # Good twice: learning -> review, days later
    logs = store.logs(cid)
    assert [r["rating"] for r in logs] == [3, 3]
    row = store.conn.execute("SELECT reps, state FROM study_cards WHERE card_id=?", (cid,)).fetchone()
    assert row["reps"] == 2
    again, _ = store.review(cid, 1, now=c2.due)
    assert again.due - c2.due <= timedelta(minutes=10)  # Again: relearn soon


def test_deterministic_without_fuzz(tmp_path):
    dues = []
    for name in ("a", "b"):
        with StudyStore(tmp_path / f"{name}.sqlite3", fuzz=False) as st:
            t = NOW
            for r in (3, 3, 4):
                card, _ = st.review("norms:zh", r, now=t)
                t = card.due
            dues.append(card.due)
    assert dues[0] == dues[1]


@pytest.mark.parametrize("rating", [0, 5, -1, 2.5, True, "3"])
def test_bad_rating_is_refused_and_nothing_written(store, rating):
    with pytest.raises(StudyError):
        store.review("norms:zh", rating, now=NOW)
    assert store.logs() == [] and store.card("norms:zh") is None


def test_naive_time_and_bad_lang_refused(store, questions):
    with pytest.raises(StudyError):
        store.review("norms:zh", 3, now=datetime(2026, 1, 1))
    with pytest.raises(StudyError):
        store.queue(questions, "fr")


def test_topic_filter_and_limit(store, questions):
    q = store.queue(questions, "en", topic="cnn", now=NOW, limit=3)
    assert len(q) == 3 and all(it.question.topic == "cnn" for it in q)


def test_due_label():
    assert due_label(None) == "new"
    assert due_label(None, lang="zh") == "新卡"

    class C:
        due = NOW + timedelta(days=2)

    assert due_label(C(), now=NOW) == "in 2 d"
    assert due_label(C(), now=NOW, lang="zh") == "2 天后"
    assert due_label(C(), now=NOW + timedelta(days=3)) == "due now"
