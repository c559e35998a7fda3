"""``dlproof quiz``, ``dlproof interview`` and ``dlproof export`` (registered on the main CLI by ``cli.py``).

fsrs, genanki and the renderers are imported inside the commands, so ``dlproof --help`` stays fast.
"""

from __future__ import annotations

from pathlib import Path

import typer


def _check_lang(lang: str) -> str:
    if lang not in ("zh", "en"):
        raise typer.BadParameter("use zh or en", param_hint="--lang")
    return lang


def register(app: typer.Typer) -> None:
    @app.command("quiz")
    def quiz(
        lang: str = typer.Option("zh", "--lang", "-l", help="card language: zh or en"),
        topic: str = typer.Option("", "--topic", "-t", help="only this topic (see `dlproof list`)"),
        limit: int = typer.Option(20, "--limit", "-n", min=1, max=1000, help="cards this session"),
    ) -> None:
        """Spaced-repetition review (FSRS) in the terminal: space reveals, 1-4 grade, q quits."""
        import difflib

        from dlproof.handbook.loader import all_questions
        from dlproof.handbook.topics import TOPICS
        from dlproof.study.quiz import run_quiz

        _check_lang(lang)
        if topic and topic not in TOPICS:
            close = difflib.get_close_matches(topic, list(TOPICS), n=3, cutoff=0.4)
            hint = f"; did you mean {', '.join(close)}?" if close else f"; one of {', '.join(TOPICS)}"
            raise typer.BadParameter(f"unknown topic {topic!r}{hint}", param_hint="--topic")
        run_quiz(all_questions(), lang, topic=topic or None, limit=limit)

    @app.command("interview")
    def interview(
        lang: str = typer.Option("zh", "--lang", "-l", help="interview language: zh or en"),
        topic: str = typer.Option("", "--topic", "-t", help="only this topic (see `dlproof list`)"),
        difficulty: int = typer.Option(0, "--difficulty", "-d", min=0, max=3,
                                       help="only this difficulty, 1-3 (0: any)"),
        due: bool = typer.Option(False, "--due", help="the cards due for review, not at random"),
        count: int = typer.Option(3, "--count", "-n", min=1, max=20, help="questions to ask"),
        seed: int = typer.Option(None, "--seed", help="repeatable random pick"),
    ) -> None:
        """Mock interview: a timed question, then the short answer, the follow-ups one by one,
        the pitfalls; grade yourself 1-4 (the same FSRS card as `dlproof quiz`)."""
        from dlproof.handbook.loader import all_questions
        from dlproof.study.interview import InterviewError, check_topic, run_interview

        _check_lang(lang)
        try:
            check_topic(topic or None)
        except InterviewError as exc:
            raise typer.BadParameter(str(exc), param_hint="--topic") from None
        try:
            run_interview(all_questions(), lang, topic=topic or None,
                          difficulty=difficulty or None, due=due, count=count, seed=seed)
        except InterviewError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(1) from None

    export_app = typer.Typer(help="Export the handbook: an Anki deck or a static offline site.",
                             no_args_is_help=True)

    @export_app.command("anki")
    def export_anki_cmd(
        out: Path = typer.Argument(..., help="the .apkg file to write"),
        lang: str = typer.Option("both", "--lang", "-l", help="zh, en or both"),
    ) -> None:
        """An Anki deck (.apkg) of the answered questions; math renders in Anki."""
        from dlproof.handbook.loader import LANGS, all_questions
        from dlproof.study.export import export_anki

        if lang != "both":
            _check_lang(lang)
        if out.suffix != ".apkg":
            raise typer.BadParameter("the file name must end in .apkg", param_hint="OUT")
        s = export_anki(out, all_questions(), LANGS if lang == "both" else (lang,))
        typer.echo(f"wrote {s.path}: {s.notes} notes, {s.media} figures, {s.bytes / 1e3:.0f} kB")
        if s.notes == 0:
            typer.echo("no question is answered yet, so the deck has no notes.")

    @export_app.command("html")
    def export_html_cmd(
        out: Path = typer.Argument(..., help="the folder to write the site into"),
        lang: str = typer.Option("zh", "--lang", "-l", help="initial language: zh or en"),
    ) -> None:
        """A static site (index, one page per question, topic lists) that opens from file://."""
        from dlproof.handbook.loader import all_questions
        from dlproof.study.export import export_html

        _check_lang(lang)
        if out.exists() and not out.is_dir():
            raise typer.BadParameter(f"{out} exists and is not a folder", param_hint="OUT")
        s = export_html(out, all_questions(), lang)
        typer.echo(f"wrote {s.pages} pages to {s.path} ({s.bytes / 1e6:.1f} MB); "
                   f"open {s.path / 'index.html'}")

    app.add_typer(export_app, name="export")
