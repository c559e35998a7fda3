"""The ``dlproof`` command.

Core commands (list, show, search, status) live here. Commands of other layers are added by
their own ``register(app)`` functions (experiments: run/check; web: serve; study: quiz/export;
bench). Heavy modules (numpy, matplotlib, fastapi) are imported inside command bodies only, so
``dlproof --help`` and ``dlproof show`` start fast.
"""

from __future__ import annotations

import difflib
import importlib
import json
import re
import sys
from enum import Enum

import typer

app = typer.Typer(
    name="dlproof",
    help="An executable deep-learning interview handbook: 91 questions, answered in Chinese and "
    "English, every claim proven by running code.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    # Plain click help: the rich formatter imports rich.markdown, markdown_it and pygments
    # (~100 ms), which would put `dlproof --help` over its 200 ms start-up budget.
    rich_markup_mode=None,
)


class Lang(str, Enum):
    zh = "zh"
    en = "en"


def _console():
    from rich.console import Console

    return Console()


def _fail(message: str, code: int = 2) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def _questions():
    from dlproof.handbook.loader import ContentError, all_questions

    try:
        return all_questions()
    except ContentError as exc:
        _fail(f"the question bank is invalid: {exc}")


def _check_topic(topic: str | None) -> None:
    from dlproof.handbook.topics import TOPICS

    if topic is not None and topic not in TOPICS:
        close = difflib.get_close_matches(topic, list(TOPICS), n=3, cutoff=0.3)
        hint = f" Did you mean: {', '.join(close)}?" if close else ""
        _fail(f"unknown topic {topic!r}.{hint} Topics: {', '.join(TOPICS)}")


@app.command("list")
def list_questions(
    topic: str = typer.Option(None, "--topic", "-t", help="Only this topic (e.g. cnn)."),
    lang: Lang = typer.Option(Lang.zh, "--lang", "-l", help="Title language."),
    as_json: bool = typer.Option(False, "--json", help="Machine-readable list (stable fields)."),
):
    """List the questions, grouped by topic."""
    _check_topic(topic)
    questions = [q for q in _questions() if topic is None or q.topic == topic]
    if as_json:
        typer.echo(json.dumps([q.to_json() for q in questions], ensure_ascii=False, indent=1))
        return
    from rich.table import Table

    from dlproof.handbook.topics import topic_label

    table = Table(show_lines=False)
    table.add_column("topic" if lang is Lang.en else "主题", style="magenta", no_wrap=True)
    table.add_column("id", style="cyan", no_wrap=True)
    table.add_column("title" if lang is Lang.en else "题目")
    table.add_column("", no_wrap=True)
    last = None
    for q in questions:
        label = topic_label(q.topic, lang.value) if q.topic != last else ""
        last = q.topic
        mark = "[green]✓[/green]" if q.answered else "[dim]·[/dim]"
        table.add_row(label, q.id, q.title(lang.value), mark)
    console = _console()
    console.print(table)
    answered = sum(q.answered for q in questions)
    console.print(f"{len(questions)} questions, {answered} answered (✓)")


def _looks_like_id(text: str) -> bool:
    return re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", text) is not None


@app.command()
def show(
    query: str = typer.Argument(..., help="A question id, or text to search for."),
    lang: Lang = typer.Option(Lang.zh, "--lang", "-l", help="Answer language."),
):
    """Show a question with its answer and the latest measured claims."""
    from dlproof.handbook.loader import ContentError, load_one

    try:
        question = load_one(query.strip())  # an exact id needs only its own file: fast
    except ContentError as exc:
        _fail(f"the question file is invalid: {exc}")
    if question is None:
        from dlproof.handbook.search import search

        ids = [q.id for q in _questions()]
        if _looks_like_id(query.strip()) and "-" in query:
            close = difflib.get_close_matches(query.strip(), ids, n=5, cutoff=0.5)
            close += [h.question.id for h in search(query.replace("-", " "), 5)
                      if h.question.id not in close]
            hint = f" Closest: {', '.join(close[:5])}" if close else ""
            _fail(f"no question with id {query!r}.{hint}")
        hits = search(query, 5)
        if not hits:
            close = difflib.get_close_matches(query.strip(), ids, n=5, cutoff=0.4)
            hint = f" Closest ids: {', '.join(close)}" if close else ""
            _fail(f"no question matches {query!r}.{hint} Try `dlproof list`.")
        question = hits[0].question
        others = [h.question.id for h in hits[1:]]
        if others:
            typer.echo(("其他匹配: " if lang is Lang.zh else "Other matches: ") + ", ".join(others))
    from dlproof.handbook.claims import claim_status, evidence
    from dlproof.handbook.terminal import render

    if not question.answered:
        render(question, lang.value, [], _console())
        return
    ev = evidence(question)
    statuses = claim_status(question, {e: (v.report if v else None) for e, v in ev.items()})
    render(question, lang.value, statuses, _console(), evidence=ev)
    _show_exercises(question.id, lang)


def _show_exercises(question_id: str, lang: Lang) -> None:
    from dlproof.practice.index import for_question  # reads sources: no NumPy import

    for ex in for_question(question_id):
        title = ex.title_zh if lang is Lang.zh else ex.title_en
        label = "练习" if lang is Lang.zh else "Practice"
        typer.echo(f"{label}: {title}: dlproof practice {ex.id}")


@app.command("search")
def search_command(
    text: str = typer.Argument(..., help="Words or Chinese text, e.g. 梯度消失 or dropout."),
    lang: Lang = typer.Option(Lang.zh, "--lang", "-l"),
    limit: int = typer.Option(10, "--limit", "-n", min=1, max=91),
):
    """Search questions and answers (Chinese by character n-grams, English by words)."""
    from dlproof.handbook.search import search

    _questions()
    if len(text) > 200:
        _fail("search text is longer than 200 characters")
    hits = search(text, limit)
    if not hits:
        typer.echo("没有匹配的题目。" if lang is Lang.zh else "No question matches.")
        raise typer.Exit(1)
    from rich.table import Table

    table = Table()
    table.add_column("score", justify="right")
    table.add_column("id", style="cyan")
    table.add_column("题目" if lang is Lang.zh else "title")
    for h in hits:
        table.add_row(f"{h.score:.1f}", h.question.id, h.question.title(lang.value))
    _console().print(table)


def _mastery(questions, lang: str, days: int = 30) -> dict:
    """What the learner knows, from the FSRS store (:mod:`dlproof.study.progress`); a store
    that does not exist yet is not created."""
    from dlproof.store import DB_NAME, data_dir

    empty = {"lang": lang, "topics": {}, "mastery": 0.0, "mastered": 0, "reviewed": 0,
             "history": []}
    path = data_dir() / DB_NAME
    if not path.exists():
        return empty
    from dlproof.study import progress
    from dlproof.study.store import StudyStore

    with StudyStore(path, fuzz=False) as st:
        rows = progress.topic_mastery(st, questions, lang)
        hist = progress.history(st, questions, lang, days=days)
    n = sum(r.questions for r in rows) or 1
    return {"lang": lang, "topics": {r.topic: r for r in rows},
            "mastery": sum(r.mastery * r.questions for r in rows) / n,
            "mastered": sum(r.mastered for r in rows), "reviewed": sum(r.reviewed for r in rows),
            "history": [{"date": p.at.date().isoformat(), "mastery": round(p.mastery, 4),
                         "mastered": p.mastered} for p in hist]}


@app.command()
def status(as_json: bool = typer.Option(False, "--json", help="Machine-readable coverage."),
           lang: Lang = typer.Option(Lang.zh, "--lang", "-l", help="Whose cards' mastery.")):
    """Coverage per topic (answered / with experiment / claims verified) and your mastery per
    topic from the spaced-repetition store, with its last 30 days."""
    from dlproof.handbook.claims import verified
    from dlproof.handbook.topics import TOPICS

    questions = _questions()
    mastery = _mastery(questions, lang.value)
    rows = []
    for topic, (zh, en) in TOPICS.items():
        qs = [q for q in questions if q.topic == topic]
        tm = mastery["topics"].get(topic)
        rows.append({
            "topic": topic, "title_zh": zh, "title_en": en, "questions": len(qs),
            "answered": sum(q.answered for q in qs),
            "with_experiment": sum(bool(q.experiments) for q in qs),
            "claims_verified": sum(q.answered and verified(q) for q in qs),
            "mastery": round(tm.mastery, 4) if tm else 0.0,
            "mastered": tm.mastered if tm else 0, "reviewed": tm.reviewed if tm else 0,
        })
    total = {k: sum(r[k] for r in rows)
             for k in ("questions", "answered", "with_experiment", "claims_verified")}
    if as_json:
        study = {k: (round(v, 4) if isinstance(v, float) else v) for k, v in mastery.items()
                 if k != "topics"}
        typer.echo(json.dumps({"topics": rows, "total": total, "study": study},
                              ensure_ascii=False, indent=1))
        return
    from rich.table import Table

    from dlproof.study.progress import sparkline

    table = Table(title="dlproof coverage")
    for col in ("topic", "questions", "answered", "with experiment", "claims verified",
                "mastery"):
        table.add_column(col, justify="left" if col == "topic" else "right")
    for r in rows:
        known = (f"{r['mastery'] * 100:.0f}% ({r['mastered']}/{r['questions']})"
                 if r["reviewed"] else "[dim]—[/dim]")
        table.add_row(f"{r['title_en']} ({r['topic']})", str(r["questions"]), str(r["answered"]),
                      str(r["with_experiment"]), str(r["claims_verified"]), known)
    table.add_row("[bold]total[/bold]", *(f"[bold]{total[k]}[/bold]" for k in total),
                  f"[bold]{mastery['mastery'] * 100:.0f}% ({mastery['mastered']}/"
                  f"{total['questions']})[/bold]")
    console = _console()
    console.print(table)
    if mastery["reviewed"]:
        hist = [p["mastery"] for p in mastery["history"]]
        console.print(f"mastery, last {len(hist)} days: {sparkline(hist)} "
                      f"{hist[-1] * 100:.0f}% (mean recall probability of your {lang.value} cards; "
                      "mastered = in review with recall probability >= 90%)")
    else:
        console.print(f"mastery: no {lang.value} card reviewed yet; `dlproof quiz` or "
                      "`dlproof interview` starts it.")
    console.print("claims verified = answered, and the latest result of every experiment it lists "
                  "(your cached run, else the snapshot shipped with dlproof) has all claims "
                  "holding (`dlproof check` measures them).")


# Commands contributed by other layers: module path -> its register(app) function.
EXTENSIONS = (
    "dlproof.experiments.commands",
    "dlproof.web.commands",
    "dlproof.study.commands",
    "dlproof.practice.commands",
    "dlproof.bench_command",
)


def _register_extensions() -> None:
    for name in EXTENSIONS:
        importlib.import_module(name).register(app)


def main(argv: list[str] | None = None) -> None:
    _register_extensions()
    app(args=argv if argv is not None else sys.argv[1:], prog_name="dlproof")


if __name__ == "__main__":
    main()
