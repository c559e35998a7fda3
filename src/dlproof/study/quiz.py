"""The terminal quiz: show a question, reveal the answer on a key, grade it 1-4 (FSRS).

Keys come from ``stdin``: on a terminal one key press at a time (space or Enter reveals, 1-4
grade, q quits); from a pipe one line per key (an empty line reveals), so a test can drive it with
``input="\\n3\\n\\n1\\n"``. Every grade is committed before the next card is shown.
"""

from __future__ import annotations

import sys
from contextlib import contextmanager
from dataclasses import dataclass

from dlproof.handbook.loader import Question
from dlproof.study.store import RATING_ZH, RATINGS, StudyStore, due_label


@dataclass
class QuizResult:
    reviewed: int
    ratings: list[tuple[str, int]]
    quit: bool


def _read_key(stream) -> str | None:
    """One key: a byte on a TTY (already in cbreak mode), a line otherwise; None at end of input."""
    if stream.isatty():
        import os

        ch = os.read(stream.fileno(), 1).decode("latin-1")
        if ch in ("", "\x04"):  # end of input, Ctrl-D
            return None
        return " " if ch in ("\n", "\r") else ch
    line = stream.readline()
    if line == "":
        return None
    key = line.strip()
    return key[:1] if key else " "


@contextmanager
def _single_keys(stream):
    """Put a terminal in cbreak mode for the whole session (keys arrive without Enter, even
    when typed before the prompt), and restore it however the quiz ends."""
    if not stream.isatty():
        yield
        return
    import termios
    import tty

    fd = stream.fileno()
    old = termios.tcgetattr(fd)
    try:
        tty.setcbreak(fd)
        yield
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, old)


def run_quiz(questions: list[Question], lang: str, *, topic: str | None = None, limit: int = 20,
             store: StudyStore | None = None, console=None, stdin=None) -> QuizResult:
    from rich.console import Console

    console = console or Console()
    stdin = stdin or sys.stdin
    own = store is None
    store = store or StudyStore(client="terminal")
    result = QuizResult(0, [], False)
    try:
        with _single_keys(stdin):
            _session(questions, lang, topic, limit, store, console, stdin, result)
    finally:
        if own:
            store.close()
    return result


def _session(questions, lang, topic, limit, store, console, stdin, result: QuizResult) -> None:
    from rich.rule import Rule

    from dlproof.handbook.claims import claim_status
    from dlproof.handbook.terminal import render

    zh = lang == "zh"
    counts = store.counts(questions, lang, topic=topic)
    console.print(
        f"[bold]{counts.due}[/bold] {'张到期' if zh else 'due'} · [bold]{counts.new}[/bold] "
        f"{'张新卡' if zh else 'new'} · {counts.learned}/{counts.total} "
        f"{'张已学' if zh else 'learned'}")
    while result.reviewed < limit:
        queue = store.queue(questions, lang, topic=topic, limit=1)
        if not queue:
            console.print("[green]" + ("没有到期的卡片了。" if zh else "Nothing is due.")
                          + "[/green]")
            break
        item = queue[0]
        q = item.question
        console.print(Rule(f"{result.reviewed + 1}/{limit}"))
        label = ("新卡" if zh else "new") if item.is_new else ("复习" if zh else "review")
        console.print(f"[dim]{q.id} · {label}[/dim]")
        console.print(f"[bold]{q.title(lang)}[/bold]")
        if not q.answered:
            console.print("[yellow]" + ("手册尚未作答：回想你自己的答案并自评。" if zh else
                          "No handbook answer yet: recall your own and grade yourself.")
                          + "[/yellow]")
        console.print("[dim]" + ("空格/回车 显示答案，q 退出" if zh else
                      "space/Enter shows the answer, q quits") + "[/dim]")
        key = _read_key(stdin)
        while key not in (" ", "q", None):
            key = _read_key(stdin)
        if key in ("q", None):
            result.quit = True
            break
        render(q, lang, claim_status(q) if q.answered else [], console)
        names = RATING_ZH if zh else RATINGS
        console.print("  ".join(f"[bold]{k}[/bold] {v}" for k, v in names.items())
                      + ("  q 退出" if zh else "  q quit"))
        key = _read_key(stdin)
        while key not in ("1", "2", "3", "4", "q", None):
            key = _read_key(stdin)
        if key in ("q", None):
            result.quit = True
            break
        card, _ = store.review(item.card_id, int(key))
        result.reviewed += 1
        result.ratings.append((item.card_id, int(key)))
        console.print(f"[green]✓[/green] {names[int(key)]} · "
                      + ("下次：" if zh else "next: ") + due_label(card, lang=lang))
    console.print(("本次复习 " if zh else "Reviewed ") + str(result.reviewed)
                  + (" 张" if zh else " card(s)"))
