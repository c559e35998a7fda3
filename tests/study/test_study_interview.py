"""The mock interview: picking questions, grading into the FSRS store, the summary, and
``dlproof interview`` driven through a real pseudo-terminal."""

from __future__ import annotations

import io
import os
from datetime import UTC, datetime, timedelta

import pytest
from ptydrive import Terminal

from dlproof.handbook.loader import all_questions
from dlproof.study import interview
from dlproof.study.interview import InterviewError
from dlproof.study.store import StudyStore, card_id

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)


@pytest.fixture(scope="module")
def questions():
    return all_questions()


@pytest.fixture()
def store(tmp_path):
    with StudyStore(tmp_path / "study.sqlite3", fuzz=False, client="test") as st:
        yield st


def test_pick_filters_and_is_repeatable(questions):
    answered = [q for q in questions if q.answered]
    a = interview.pick(questions, "en", count=5, seed=7)
    assert a == interview.pick(questions, "en", count=5, seed=7)
    assert len(a) == 5 and len({q.id for q in a}) == 5 and all(q.answered for q in a)
    topic = answered[0].topic
    picked = interview.pick(questions, "zh", topic=topic, count=20, seed=0)
    assert {q.id for q in picked} == {q.id for q in answered if q.topic == topic}
    d = answered[0].difficulty
    assert all(q.difficulty == d for q in interview.pick(questions, "en", difficulty=d, count=20))


@pytest.mark.parametrize("kwargs, message", [
    ({"topic": "normalisation"}, "unknown topic 'normalisation'; did you mean normalization"),
    ({"difficulty": 5}, "difficulty must be 1, 2 or 3"),
    ({"count": 0}, "count must be 1..20"),
    ({"count": 21}, "count must be 1..20"),
])
def test_pick_bad_input(questions, kwargs, message):
    with pytest.raises(InterviewError, match=message.replace("(", r"\(")):
        interview.pick(questions, "en", **kwargs)


def test_no_question_matching_and_nothing_due(questions, store):
    unanswered = [q for q in questions if not q.answered]
    with pytest.raises(InterviewError, match="no answered question matches"):
        interview.pick(unanswered, "en")
    with pytest.raises(InterviewError, match="no answered question is due"):
        interview.pick(questions, "en", due=True, store=store, now=NOW)
    with pytest.raises(InterviewError, match="unknown language"):
        interview.pick(questions, "fr")


def test_due_mode_picks_due_cards_earliest_first(questions, store):
    a, b, c = [q for q in questions if q.answered][:3]
    store.review(card_id(b.id, "en"), 1, now=NOW - timedelta(days=3))
    store.review(card_id(a.id, "en"), 1, now=NOW - timedelta(days=2))
    store.review(card_id(c.id, "zh"), 1, now=NOW - timedelta(days=2))  # other language
    assert [q.id for q in interview.pick(questions, "en", due=True, store=store, now=NOW)] == \
        [b.id, a.id]


def test_grade_goes_into_the_same_card_as_the_quiz(questions, store):
    q = next(q for q in questions if q.answered)
    store.review(card_id(q.id, "en"), 3, now=NOW - timedelta(days=1))  # a quiz review
    g = interview.grade(store, q, "en", "2", answer_s=12.5, total_s=40.2, now=NOW)
    assert (g.rating, g.question_id, g.answer_s, g.total_s) == (2, q.id, 12.5, 40.2)
    logs = store.logs(card_id(q.id, "en"))
    assert [(x["rating"], x["review_duration"]) for x in logs] == [(3, None), (2, 40200)]
    for bad in (0, 5, "5", "x", "", None, True, 2.5):
        with pytest.raises(InterviewError, match="grade must be 1"):
            interview.grade(store, q, "en", bad, answer_s=1, total_s=1)
    assert len(store.logs()) == 2  # nothing written by the bad grades


def test_summary_names_the_weakest_topics(questions, store):
    by_topic = {}
    for q in questions:
        if q.answered:
            by_topic.setdefault(q.topic, q)
    t1, t2, t3 = list(by_topic.values())[:3]
    graded = [interview.grade(store, t1, "en", 1, answer_s=5, total_s=10, now=NOW),
              interview.grade(store, t2, "en", 2, answer_s=6, total_s=20, now=NOW),
              interview.grade(store, t3, "en", 4, answer_s=7, total_s=30, now=NOW)]
    s = interview.summarize(graded, store=store, questions=questions, lang="en")
    assert s.total_s == 60 and s.mean_grade == pytest.approx(7 / 3)
    assert [w.topic for w in s.weakest] == [t1.topic, t2.topic]  # Easy is not weak
    assert all(w.mastery is not None and 0 <= w.mastery <= 1 for w in s.weakest)
    out = io.StringIO()
    from rich.console import Console

    interview.print_summary(s, "en", Console(file=out, width=120))
    text = out.getvalue()
    assert "Interview summary" in text and "Weakest topics:" in text and "1:00" in text


def test_interview_from_a_pipe(questions, store):
    """Without a terminal: first line the typed answer, then one line per key."""
    from rich.console import Console

    q = next(q for q in questions if q.answered)
    out = io.StringIO()
    ticks = iter(range(0, 1000, 7))
    res = interview.run_interview(
        questions, "zh", topic=q.topic, count=1, seed=0, store=store,
        console=Console(file=out, width=100), stdin=io.StringIO("我的回答\n\ns\n4\n"),
        clock=lambda: float(next(ticks)))
    text = out.getvalue()
    assert "你的回答：我的回答" in text and "简答" in text and "追问 1/" in text and "陷阱" in text
    assert "面试小结" in text
    assert not res.quit and [g.rating for g in res.summary.graded] == [4]
    assert [x["rating"] for x in store.logs()] == [4]
    # end of input mid-question quits without a grade
    res = interview.run_interview(questions, "zh", count=1, seed=0, store=store,
                                  console=Console(file=io.StringIO()), stdin=io.StringIO(""))
    assert res.quit and res.summary.graded == [] and len(store.logs()) == 1


def _answered_topic(questions) -> str:
    return next(q.topic for q in questions if q.answered)


def test_interview_in_a_real_terminal(questions):
    """Typed answer with a running timer, Enter reveals, space shows the follow-ups one by one,
    s skips to the pitfalls, 4 grades; the grade is in the store afterwards."""
    topic = _answered_topic(questions)
    term = Terminal(["interview", "--lang", "en", "--topic", topic, "-n", "1", "--seed", "0"],
                    {"DLPROOF_HOME": os.environ["DLPROOF_HOME"]})
    try:
        term.expect("Enter shows the short answer")
        term.expect(r"⏱ 0:01", timeout=10)  # the timer runs while the question is shown
        term.send("a gradientx")
        term.send("\x7f")  # Backspace edits the typed answer
        term.send("s\r")
        term.expect("Time to answer 0:0[1-9]")
        term.expect("Your answer: a gradients")
        term.expect("Short answer")
        term.expect("next follow-up question")
        term.send(" ")
        term.expect(r"Follow-up 1/\d+")
        term.send("s")
        term.expect("Pitfalls")
        term.expect("Grade yourself")
        term.send("4")
        term.expect("Easy · next:")
        term.expect("Interview summary")
        term.expect("No weak topic this session")
        assert term.wait() == 0, term.text[-2000:]
    finally:
        term.close()
    with StudyStore() as st:
        logs = st.logs()
    assert [(x["rating"], x["client"]) for x in logs] == [(4, "terminal-interview")]
    assert logs[0]["card_id"].endswith(":en") and logs[0]["review_duration"] >= 1000


def test_interview_bad_options_in_a_real_terminal(questions):
    env = {"DLPROOF_HOME": os.environ["DLPROOF_HOME"]}
    term = Terminal(["interview", "--topic", "normalisation"], env)
    try:
        term.expect("unknown topic 'normalisation'; did you mean normalization")
        assert term.wait() == 2
    finally:
        term.close()
    term = Terminal(["interview", "--topic", _answered_topic(questions), "--due"], env)
    try:
        term.expect("error: no answered question is due")
        assert term.wait() == 1
    finally:
        term.close()
    term = Terminal(["interview", "--difficulty", "7"], env)
    try:
        term.expect("difficulty")
        assert term.wait() == 2
    finally:
        term.close()
