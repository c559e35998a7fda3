"""``dlproof practice`` and ``dlproof grade`` (registered on the main CLI by ``cli.py``)."""

from __future__ import annotations

from pathlib import Path

import typer

DEFAULT_DIR = Path("dlproof-practice")
HEADER = "# dlproof practice exercise: "


def workspace_file(exercise_id: str, directory: Path) -> Path:
    return directory / f"{exercise_id.replace('-', '_')}.py"


def starting_file(ex) -> str:
    """The file the user starts from: a header naming the exercise, then the exercise's stub."""
    return (f"{HEADER}{ex.id}\n# {ex.title_en}\n# {ex.title_zh}\n"
            f"# The derivation: `dlproof show {ex.question}`. Grade: `dlproof grade {ex.id}`.\n"
            f"\n{ex.stub.lstrip()}")


def exercise_of_file(path: Path) -> str:
    """The exercise id a file belongs to: its header line, else its name."""
    try:
        head = path.read_text(encoding="utf-8").splitlines()[:5]
    except UnicodeDecodeError:
        head = []
    for line in head:
        if line.startswith(HEADER):
            return line[len(HEADER):].strip()
    return path.stem.replace("_", "-")


def register(app: typer.Typer) -> None:
    @app.command("practice")
    def practice(
        exercise_id: str = typer.Argument("", help="the exercise to start; none lists them all"),
        directory: Path = typer.Option(DEFAULT_DIR, "--dir", "-d", help="your practice workspace"),
        force: bool = typer.Option(False, "--force", help="overwrite your existing file (loses your work)"),
        lang: str = typer.Option("en", "--lang", "-l", help="titles in zh or en"),
    ) -> None:
        """List the coding exercises, or write one to your workspace to implement and `dlproof grade`."""
        from rich.console import Console
        from rich.table import Table

        from dlproof.practice import exercise, results

        if not exercise_id:
            last = results.last_attempts()
            table = Table(title="dlproof practice" if lang == "en" else "dlproof 练习")
            for col in ("id", "question", "title" if lang == "en" else "题目", "last grade"):
                table.add_column(col)
            for ex in exercise.all_exercises().values():
                row = last.get(ex.id)
                mark = "" if row is None else ("pass" if row["passed"] else "fail") + \
                    f" {row['checks_passed']}/{row['checks_total']} ({row['at'][:10]})"
                table.add_row(ex.id, ex.question, ex.title_en if lang == "en" else ex.title_zh, mark)
            Console().print(table)
            typer.echo("start one: dlproof practice ID")
            return
        try:
            ex = exercise.get(exercise_id)
        except KeyError as e:
            typer.echo(str(e.args[0]), err=True)
            raise typer.Exit(2) from None
        path = workspace_file(ex.id, directory)
        if path.exists() and not force:
            typer.echo(f"{path} already exists (your work is kept); grade it: dlproof grade {ex.id} "
                       f"--dir {directory}, or start over with --force")
            return
        directory.mkdir(parents=True, exist_ok=True)
        path.write_text(starting_file(ex), encoding="utf-8")
        typer.echo(f"wrote {path}: implement {', '.join(ex.functions)}, then: dlproof grade {ex.id}"
                   + ("" if directory == DEFAULT_DIR else f" --dir {directory}"))

    @app.command("grade")
    def grade_cmd(
        target: str = typer.Argument(..., help="an exercise id (its file in --dir) or a path to a .py file"),
        directory: Path = typer.Option(DEFAULT_DIR, "--dir", "-d", help="your practice workspace"),
        timeout: float = typer.Option(0.0, "--timeout", min=0.0, help="seconds (0: the exercise's limit)"),
        seed: int = typer.Option(-1, "--seed", help="fix the hidden cases (default: new ones each time)"),
        review: bool = typer.Option(False, "--review", help="a pass also counts as a 'good' review of "
                                    "the question's card (dlproof quiz)"),
        lang: str = typer.Option("en", "--lang", "-l", help="messages in zh or en"),
    ) -> None:
        """Grade your code on hidden checks: reference values, finite differences, classic mistakes."""
        from dlproof.practice import exercise, grader, results

        as_path = Path(target)
        if target.endswith(".py") or as_path.is_file():
            path, exercise_id = as_path, exercise_of_file(as_path)
        else:
            exercise_id = target
            path = workspace_file(target, directory)
        try:
            ex = exercise.get(exercise_id)
        except KeyError as e:
            typer.echo(str(e.args[0]), err=True)
            raise typer.Exit(2) from None
        if not path.is_file():
            typer.echo(f"no file {path}: start it with dlproof practice {ex.id}"
                       + ("" if directory == DEFAULT_DIR else f" --dir {directory}"), err=True)
            raise typer.Exit(2)
        g = grader.grade(ex, path, seed=None if seed < 0 else seed, timeout_s=timeout or None)
        for c in g.cases:
            mark = "ok  " if c.passed else "FAIL"
            line = f"{mark} {c.fn}: {c.label}"
            if not c.passed:
                line += f": {c.message}"
                if c.mistake is not None:
                    line += f"\n     -> {c.mistake.en if lang == 'en' else c.mistake.zh}"
            typer.echo(line)
        verdict = "PASS " if g.passed else "FAIL "
        typer.echo(f"{verdict}{g.summary(lang)}  (seed {g.seed}, {g.duration_s:.1f} s)")
        results.record(g, ex.question)
        if g.passed and review:
            from dlproof.study.store import StudyStore, card_id

            with StudyStore() as s:
                s.review(card_id(ex.question, lang), 3)
            typer.echo(f"counted as a 'good' review of {ex.question} ({lang})")
        if not g.passed:
            raise typer.Exit(1)


