"""Mock interview: one question at a time against the clock, then the answer, the follow-ups one
by one, the pitfalls, and a self-grade 1-4 that goes into the same FSRS card as the quiz.

The pieces shared by the terminal (``dlproof interview``) and the web page (``/interview``):

* :func:`pick` chooses the questions: answered ones only (there must be an answer to reveal),
  filtered by topic and difficulty, either at random (``seed`` makes it repeatable) or the cards
  that are due now (``due=True``, earliest first). Bad input raises :class:`InterviewError`.
* :func:`grade` is a thin wrapper over :meth:`dlproof.study.store.StudyStore.review`, the one write
  of the study store, with the time spent as the review's duration; a grade is committed before
  the next question is shown (the store's kill -9 guarantee applies).
* :func:`summarize` turns the graded questions into the session summary: time per question,
  grades, and the weakest topics (lowest mean grade; with a store, their mastery now).

Which parts are revealed comes from :func:`dlproof.handbook.sections.interview_parts`.

Terminal keys (``stdin`` a TTY, cbreak mode): while the question is shown a timer runs; type an
answer if you like (Backspace edits) or answer aloud, and press Enter to reveal the short answer
(Esc or Ctrl-D quits). Then space/Enter reveals each follow-up's expected answer and moves on,
``s`` skips to the pitfalls, 1-4 grade at any time after the short answer, ``q`` quits. From a pipe
(tests): the first line is the typed answer, then one line per key as in ``dlproof quiz``.
"""

from __future__ import annotations

import random
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime

from dlproof.handbook.loader import LANGS, Question
from dlproof.handbook.topics import TOPICS
from dlproof.study.store import RATING_ZH, RATINGS, StudyError, card_id, due_label

MAX_COUNT = 20
DIFFICULTIES = (1, 2, 3)


class InterviewError(StudyError):
    """Bad interview input: unknown topic, no question matching, invalid grade or count."""


def check_topic(topic: str | None) -> None:
    if topic is not None and topic not in TOPICS:
        import difflib

        close = difflib.get_close_matches(topic, list(TOPICS), n=3, cutoff=0.4)
        hint = f"; did you mean {', '.join(close)}?" if close else f"; one of {', '.join(TOPICS)}"
        raise InterviewError(f"unknown topic {topic!r}{hint}")


def pick(questions: list[Question], lang: str, *, topic: str | None = None,
         difficulty: int | None = None, due: bool = False, count: int = 3,
         seed: int | None = None, store=None, now: datetime | None = None) -> list[Question]:
    """The interview's questions (see the module doc); InterviewError names what was wrong."""
    if lang not in LANGS:
        raise InterviewError(f"unknown language {lang!r}; use one of {LANGS}")
    check_topic(topic)
    if difficulty is not None and difficulty not in DIFFICULTIES:
        raise InterviewError(f"difficulty must be 1, 2 or 3, got {difficulty!r}")
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= MAX_COUNT:
        raise InterviewError(f"count must be 1..{MAX_COUNT}, got {count!r}")
    pool = [q for q in questions if q.answered and (topic is None or q.topic == topic)
            and (difficulty is None or q.difficulty == difficulty)]
    what = ", ".join(x for x in (f"topic {topic}" if topic else "",
                                 f"difficulty {difficulty}" if difficulty else "") if x)
    if due:
        if store is None:
            raise InterviewError("due=True needs the study store")
        ids = {q.id for q in pool}
        chosen = [it.question for it in store.queue(questions, lang, topic=topic, now=now)
                  if not it.is_new and it.question.id in ids][:count]
        if not chosen:
            raise InterviewError("no answered question is due for review"
                                 + (f" ({what})" if what else "")
                                 + "; pick at random instead")
        return chosen
    if not pool:
        raise InterviewError("no answered question matches" + (f" {what}" if what else ""))
    return random.Random(seed).sample(pool, min(count, len(pool)))


@dataclass
class Graded:
    """One graded question of a session."""

    question_id: str
    topic: str
    lang: str
    rating: int
    answer_s: float  # from showing the question to revealing the answer
    total_s: float  # from showing the question to the grade
    followups_seen: int = 0
    next_due: str = ""


def check_rating(rating) -> int:
    if isinstance(rating, str):
        rating = rating.strip()
        rating = int(rating) if rating in ("1", "2", "3", "4") else rating
    if isinstance(rating, bool) or rating not in RATINGS:
        raise InterviewError(f"grade must be 1 (Again), 2 (Hard), 3 (Good) or 4 (Easy), "
                             f"got {rating!r}")
    return int(rating)


def grade(store, q: Question, lang: str, rating, *, answer_s: float, total_s: float,
          followups_seen: int = 0, now: datetime | None = None) -> Graded:
    """Write the grade into the question's FSRS card (committed on return)."""
    rating = check_rating(rating)
    total_s = max(0.0, float(total_s))
    card, _ = store.review(card_id(q.id, lang), rating, now=now,
                           duration_ms=int(round(total_s * 1000)))
    return Graded(q.id, q.topic, lang, rating, max(0.0, float(answer_s)), total_s,
                  followups_seen, due_label(card, now, lang))


@dataclass
class WeakTopic:
    topic: str
    title_zh: str
    title_en: str
    mean_grade: float
    questions: int
    mastery: float | None = None  # mean retrievability of the topic now (with a store)


@dataclass
class Summary:
    graded: list[Graded]
    total_s: float
    mean_grade: float
    weakest: list[WeakTopic] = field(default_factory=list)


def summarize(graded: list[Graded], *, store=None, questions: list[Question] | None = None,
              lang: str = "zh", limit: int = 3) -> Summary:
    """Time per question, grades, and the topics with the lowest mean grade (below Good)."""
    by_topic: dict[str, list[int]] = {}
    for g in graded:
        by_topic.setdefault(g.topic, []).append(g.rating)
    weak = sorted(((sum(r) / len(r), t, len(r)) for t, r in by_topic.items()),
                  key=lambda x: (x[0], -x[2], list(TOPICS).index(x[1]) if x[1] in TOPICS else 99))
    mastery: dict[str, float] = {}
    if store is not None and questions is not None:
        from dlproof.study.progress import topic_mastery

        mastery = {m.topic: m.mastery for m in topic_mastery(store, questions, lang)}
    weakest = [WeakTopic(t, *TOPICS.get(t, (t, t)), mean, n, mastery.get(t))
               for mean, t, n in weak if mean < 3][:limit]
    total = sum(g.total_s for g in graded)
    mean = sum(g.rating for g in graded) / len(graded) if graded else 0.0
    return Summary(list(graded), total, mean, weakest)


def clock_text(seconds: float) -> str:
    s = int(max(0, seconds))
    return f"{s // 60}:{s % 60:02d}"


# ---- the terminal session ----------------------------------------------------------------------

@dataclass
class InterviewResult:
    summary: Summary
    quit: bool


class _Keys:
    """Keys from stdin: single keys on a TTY (cbreak), one line per key from a pipe."""

    def __init__(self, stream):
        import codecs

        self.stream = stream
        self.tty = stream.isatty()
        self.decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")

    def char(self, timeout: float | None) -> str | None:
        """One character from a TTY within ``timeout`` s: "" when none came, None at end."""
        import os
        import select

        fd = self.stream.fileno()
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            ready, _, _ = select.select([fd], [], [], left)
            if not ready:
                return ""
            b = os.read(fd, 1)
            if not b:
                return None
            ch = self.decoder.decode(b)
            if ch:
                return ch

    def key(self) -> str | None:
        """One key: space for Enter/space/an empty line; None at end of input."""
        if self.tty:
            ch = self.char(None)
            if ch in (None, "\x04"):
                return None
            return " " if ch in ("\n", "\r") else ch
        line = self.stream.readline()
        if line == "":
            return None
        line = line.strip()
        return line[:1] if line else " "

    def answer(self, tick) -> tuple[str, bool]:
        """The typed answer until Enter, calling ``tick(typed)`` about every 0.25 s on a TTY
        (the timer); returns (typed text, quit)."""
        if not self.tty:
            line = self.stream.readline()
            return line.rstrip("\r\n"), line == ""
        typed = ""
        tick(typed)
        while True:
            ch = self.char(0.25)
            if ch is None or ch in ("\x04", "\x1b"):
                return typed, True
            if ch in ("\r", "\n"):
                return typed, False
            if ch in ("\x7f", "\b"):
                typed = typed[:-1]
            elif ch and ch.isprintable():
                typed += ch
            tick(typed)


def run_interview(questions: list[Question], lang: str, *, topic: str | None = None,
                  difficulty: int | None = None, due: bool = False, count: int = 3,
                  seed: int | None = None, store=None, console=None, stdin=None,
                  clock=time.monotonic) -> InterviewResult:
    """The terminal mock interview; raises InterviewError for bad options before asking."""
    from rich.console import Console

    from dlproof.study.quiz import _single_keys
    from dlproof.study.store import StudyStore

    console = console or Console()
    stdin = stdin or sys.stdin
    own = store is None
    store = store or StudyStore(client="terminal-interview")
    try:
        chosen = pick(questions, lang, topic=topic, difficulty=difficulty, due=due, count=count,
                      seed=seed, store=store)
        graded: list[Graded] = []
        with _single_keys(stdin):
            quit_ = _session(chosen, lang, store, console, _Keys(stdin), clock, graded)
        summary = summarize(graded, store=store, questions=questions, lang=lang)
        print_summary(summary, lang, console)
        return InterviewResult(summary, quit_)
    finally:
        if own:
            store.close()


def _md(text: str, lang: str, statuses, console) -> None:
    from rich.markdown import Markdown

    from dlproof.handbook.terminal import terminal_markdown

    console.print(Markdown(terminal_markdown(text, lang, statuses), code_theme="ansi_dark"))


def _session(chosen, lang, store, console, keys: _Keys, clock, graded) -> bool:
    """Ask every chosen question; True when the user quit early."""
    from rich.rule import Rule

    from dlproof.handbook.claims import claim_status
    from dlproof.handbook.sections import interview_parts
    from dlproof.handbook.topics import topic_label

    zh = lang == "zh"
    names = RATING_ZH if zh else RATINGS
    grade_hint = "  ".join(f"[bold]{k}[/bold] {v}" for k, v in names.items())
    for i, q in enumerate(chosen):
        parts = interview_parts(q, lang)
        console.print(Rule(("模拟面试 " if zh else "Mock interview ") + f"{i + 1}/{len(chosen)}"))
        console.print(f"[dim]{topic_label(q.topic, lang)} · {'难度' if zh else 'difficulty'} "
                      f"{'★' * q.difficulty}[/dim]")
        console.print(f"[bold]{q.title(lang)}[/bold]")
        console.print("[dim]" + ("口头作答或直接输入答案；回车显示简答，Esc 退出。" if zh else
                      "Answer aloud or type your answer; Enter shows the short answer, Esc quits.")
                      + "[/dim]")
        t0 = clock()
        out = console.file

        def tick(typed: str, out=out, t0=t0) -> None:
            out.write(f"\r\x1b[K⏱ {clock_text(clock() - t0)}  > {typed[-60:]}")
            out.flush()

        typed, quit_ = keys.answer(tick)
        answer_s = clock() - t0
        if keys.tty:
            out.write("\r\x1b[K")
            out.flush()
        if quit_:
            return True
        console.print(("用时 " if zh else "Time to answer ") + clock_text(answer_s))
        if typed.strip():
            console.print(("你的回答：" if zh else "Your answer: ") + typed.strip(), markup=False,
                          highlight=False)
        statuses = claim_status(q)
        console.print(Rule("简答" if zh else "Short answer", align="left"))
        _md(parts.short, lang, statuses, console)
        seen = 0
        rating = None
        stage_hint = ("空格/回车 继续，s 跳到陷阱，1-4 评分，q 退出" if zh else
                      "space/Enter continues, s skips to the pitfalls, 1-4 grade, q quits")
        steps: list[tuple[str, str]] = []
        for k, f in enumerate(parts.followups):
            steps.append(("prompt", k))
            if f.detail:
                steps.append(("detail", k))
        steps.append(("pitfalls", -1))
        n = len(parts.followups)
        j = 0
        while j < len(steps) and rating is None:
            kind, k = steps[j]
            label = {"prompt": ("下一个追问" if zh else "next follow-up question"),
                     "detail": ("参考答案" if zh else "the expected answer"),
                     "pitfalls": ("陷阱" if zh else "the pitfalls")}[kind]
            console.print(f"[dim]{stage_hint if j == 0 else '…'} → {label}[/dim]")
            key = keys.key()
            while key not in (" ", "s", "q", "1", "2", "3", "4", None):
                key = keys.key()
            if key in ("q", None):
                return True
            if key in ("1", "2", "3", "4"):
                rating = int(key)
                break
            if key == "s":
                j = len(steps) - 1
                kind, k = steps[j]
            if kind == "prompt":
                seen += 1
                console.print(Rule(("追问 " if zh else "Follow-up ") + f"{k + 1}/{n}",
                                   align="left"))
                _md(parts.followups[k].prompt, lang, statuses, console)
            elif kind == "detail":
                _md(parts.followups[k].detail, lang, statuses, console)
            else:
                console.print(Rule("陷阱" if zh else "Pitfalls", align="left"))
                _md("\n".join(f"- {p}" for p in parts.pitfalls), lang, statuses, console)
            j += 1
        if rating is None:
            console.print(("自评：" if zh else "Grade yourself: ") + grade_hint
                          + ("  q 退出" if zh else "  q quits"))
            key = keys.key()
            while key not in ("1", "2", "3", "4", "q", None):
                key = keys.key()
            if key in ("q", None):
                return True
            rating = int(key)
        g = grade(store, q, lang, rating, answer_s=answer_s, total_s=clock() - t0,
                  followups_seen=seen)
        graded.append(g)
        console.print(f"[green]✓[/green] {names[rating]} · " + ("下次：" if zh else "next: ")
                      + g.next_due)
    return False


def print_summary(summary: Summary, lang: str, console) -> None:
    from rich.table import Table

    zh = lang == "zh"
    names = RATING_ZH if zh else RATINGS
    if not summary.graded:
        console.print("本次没有评分的题目。" if zh else "No question was graded in this session.")
        return
    table = Table(title="面试小结" if zh else "Interview summary", title_justify="left")
    table.add_column("#", justify="right")
    table.add_column("题目" if zh else "question", style="cyan")
    table.add_column("作答用时" if zh else "to answer", justify="right")
    table.add_column("总用时" if zh else "total", justify="right")
    table.add_column("评分" if zh else "grade")
    table.add_column("下次" if zh else "next due")
    for i, g in enumerate(summary.graded, 1):
        table.add_row(str(i), g.question_id, clock_text(g.answer_s), clock_text(g.total_s),
                      f"{g.rating} {names[g.rating]}", g.next_due)
    console.print(table)
    console.print(("总用时 " if zh else "Total time ") + clock_text(summary.total_s) + " · "
                  + ("平均分 " if zh else "mean grade ") + f"{summary.mean_grade:.1f}")
    if summary.weakest:
        parts = []
        for w in summary.weakest:
            label = w.title_zh if zh else w.title_en
            extra = "" if w.mastery is None else (
                f", {'掌握度' if zh else 'mastery'} {w.mastery * 100:.0f}%")
            parts.append(f"{label} ({'平均' if zh else 'mean'} {w.mean_grade:.1f}{extra})")
        console.print(("最薄弱的主题：" if zh else "Weakest topics: ") + "; ".join(parts))
    else:
        console.print("本次没有薄弱主题（全部 ≥ 良好）。" if zh else
                      "No weak topic this session (every grade Good or better).")
