"""The ``dlproof run`` and ``dlproof check`` commands (registered on the main app by ``cli.py``).

``dlproof run ID [--full] [--seed N] [--out DIR] [--no-cache] [--lang zh|en]``
    runs one experiment with a progress bar, prints its claims (statement, measured value,
    comparison, verdict) and where the figures went; exit code 1 when a claim fails or a
    measurement is NaN/inf, 2 for an unknown id or bad option.

``dlproof check [--topic T] [--full] [--seed N] [--json] [--no-cache] [--lang zh|en]``
    runs every experiment (or those of one topic: the experiments its questions list, plus those
    that name one of its questions), prints every claim with its measured value and verdict, and
    exits 1 when any claim fails or any experiment raised (the others still run).

``dlproof check --full --snapshot [--all] [--jobs N] [--seeds 0-9] [--sweep-modes smoke,full]``
    (re)writes the evidence snapshot shipped with the package (only from a source checkout):
    the experiments without an entry or whose code changed, in full mode with seed 0, N worker
    processes; see :mod:`dlproof.experiments.snapshot_build`. Exit 1 when an experiment raised or
    a claim does not hold.

NumPy, matplotlib and the experiments are imported inside the command bodies, so that
``dlproof --help`` stays fast.
"""

from __future__ import annotations

import json
import traceback
from pathlib import Path

import typer

LANG_HELP = "language of the claim statements: zh or en"


def _lang(lang: str) -> str:
    if lang not in ("zh", "en"):
        raise typer.BadParameter("use zh or en", param_hint="--lang")
    return lang


def _fmt(v: float) -> str:
    if v != v or v in (float("inf"), float("-inf")):
        return str(v)
    if v == int(v) and abs(v) < 1e12:  # counts and exact zeros print as integers
        return str(int(v))
    return f"{v:.4g}"


def _finite(obj):
    """JSON has no NaN/inf: such measurements become null (each experiment's ``nonfinite`` list
    says which ones they were)."""
    if isinstance(obj, float):
        return obj if obj == obj and obj not in (float("inf"), float("-inf")) else None
    if isinstance(obj, dict):
        return {k: _finite(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_finite(v) for v in obj]
    return obj


def _claims_table(report, lang: str, title: str):
    from rich.table import Table

    t = Table(title=title, show_lines=False, expand=True)
    t.add_column("claim", style="bold", overflow="fold", ratio=2)
    t.add_column("statement" if lang == "en" else "陈述", ratio=5)
    t.add_column("measured", justify="right", no_wrap=True)
    t.add_column("comparison", overflow="fold", ratio=2)
    t.add_column("verdict", no_wrap=True)
    for c in report.claims:
        verdict = "[green]PASS[/green]" if c.holds else "[red]FAIL[/red]"
        t.add_row(c.id, c.en if lang == "en" else c.zh, _fmt(c.value), c.comparison, verdict)
    return t


def _experiments_of_topic(topic: str) -> list[str]:
    from dlproof.experiments.registry import load_all
    from dlproof.handbook.loader import all_questions
    from dlproof.handbook.topics import TOPICS

    if topic not in TOPICS:
        import difflib

        close = difflib.get_close_matches(topic, list(TOPICS), n=3, cutoff=0.4)
        hint = f"; did you mean {', '.join(close)}?" if close else f"; topics: {', '.join(TOPICS)}"
        raise typer.BadParameter(f"unknown topic {topic!r}{hint}", param_hint="--topic")
    qids = {q.id for q in all_questions() if q.topic == topic}
    ids = {e for q in all_questions() if q.topic == topic for e in q.experiments}
    ids |= {e.id for e in load_all().values() if qids & set(e.questions)}
    return sorted(ids)


def register(app: typer.Typer) -> None:
    """Add the ``run`` and ``check`` commands to ``app``."""

    @app.command("run")
    def run_command(
        experiment_id: str = typer.Argument(..., help="experiment id, e.g. softmax-jacobian"),
        full: bool = typer.Option(False, "--full", help="full mode (handbook figures, ~30 s)"),
        seed: int = typer.Option(0, "--seed", help="seed of all randomness"),
        out: Path | None = typer.Option(None, "--out", help="directory for the figures"),
        no_cache: bool = typer.Option(False, "--no-cache", help="rerun even if cached"),
        lang: str = typer.Option("en", "--lang", help=LANG_HELP),
    ) -> None:
        """Run one experiment: progress bar, claims table, figures."""
        from rich.console import Console
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

        from dlproof.experiments import runner
        from dlproof.experiments.registry import ExperimentError, RunConfig

        lang = _lang(lang)
        console = Console()
        try:
            config = RunConfig(mode="full" if full else "smoke", seed=seed)
        except ExperimentError as exc:
            console.print(f"[red]error:[/red] {exc}")
            raise typer.Exit(2) from None
        columns = (TextColumn("[bold]{task.description}"), BarColumn(),
                   TextColumn("{task.percentage:>3.0f}%"), TimeElapsedColumn(),
                   TextColumn("{task.fields[message]}"))
        try:
            with Progress(*columns, console=console, transient=True) as bar:
                task = bar.add_task(experiment_id, total=1.0, message="")
                report = runner.run(
                    experiment_id, config, out_dir=out, use_cache=not no_cache,
                    progress=lambda f, m: bar.update(task, completed=f, message=m))
        except ExperimentError as exc:
            console.print(f"[red]error:[/red] {exc}")
            raise typer.Exit(2) from None
        console.print(_claims_table(report, lang, f"{experiment_id} ({config.mode}, seed {seed})"))
        if report.nonfinite:
            console.print(f"[red]NaN/inf measured in:[/red] {', '.join(report.nonfinite)}")
        for f in report.figures:
            caption = f.caption_en if lang == "en" else f.caption_zh
            console.print(f"figure [bold]{f.name}[/bold]: {', '.join(f.paths.values())}")
            console.print(f"  {caption}", style="dim")
        failed = [c.id for c in report.claims if not c.holds]
        if failed or report.nonfinite:
            console.print(f"[red]{len(failed)} claim(s) failed[/red]")
            raise typer.Exit(1)
        console.print(f"[green]all {len(report.claims)} claims hold[/green]")

    @app.command("check")
    def check_command(
        topic: str | None = typer.Option(None, "--topic", help="only the experiments of a topic"),
        full: bool = typer.Option(False, "--full", help="full mode"),
        seed: int = typer.Option(0, "--seed", help="seed of all randomness"),
        as_json: bool = typer.Option(False, "--json", help="print JSON instead of tables"),
        no_cache: bool = typer.Option(False, "--no-cache", help="rerun even if cached"),
        lang: str = typer.Option("en", "--lang", help=LANG_HELP),
        snapshot: bool = typer.Option(False, "--snapshot", help="rewrite the evidence snapshot "
                                      "shipped with the package (with --full; source checkout)"),
        rerun_all: bool = typer.Option(False, "--all", help="with --snapshot: remeasure every "
                                       "experiment, not only the missing or changed ones"),
        jobs: int = typer.Option(1, "--jobs", min=1, max=64,
                                 help="with --snapshot: worker processes"),
        seeds: str | None = typer.Option(None, "--seeds", help="with --snapshot: also sweep "
                                         "these seeds, e.g. 0-9"),
        sweep_modes: str = typer.Option("smoke", "--sweep-modes",
                                        help="with --seeds: modes to sweep, e.g. smoke,full"),
    ) -> None:
        """Run every experiment and report which claims hold."""
        from rich.console import Console

        lang = _lang(lang)
        console = Console()
        if snapshot:
            _write_snapshot(console, full=full, seed=seed, topic=topic, rerun_all=rerun_all,
                            jobs=jobs, seeds=seeds, sweep_modes=sweep_modes)
            return
        if rerun_all or seeds is not None or jobs != 1:
            console.print("[red]error:[/red] --all, --jobs and --seeds go with --snapshot")
            raise typer.Exit(2)

        from dlproof.experiments import runner
        from dlproof.experiments.registry import ExperimentError, RunConfig, load_all

        try:
            config = RunConfig(mode="full" if full else "smoke", seed=seed)
        except ExperimentError as exc:
            console.print(f"[red]error:[/red] {exc}")
            raise typer.Exit(2) from None
        ids = _experiments_of_topic(topic) if topic else sorted(load_all())
        results = []
        for eid in ids:
            entry: dict = {"experiment_id": eid, "error": None, "claims": [], "nonfinite": []}
            try:
                report = runner.run(eid, config, use_cache=not no_cache)
            except Exception as exc:  # one broken experiment must not hide the others
                entry["error"] = f"{type(exc).__name__}: {exc}"
                entry["traceback"] = traceback.format_exc()
                entry["ok"] = False
                results.append(entry)
                if not as_json:
                    console.print(f"[red]ERROR[/red] {eid}: {entry['error']}")
                continue
            entry["claims"] = [c.to_dict() for c in report.claims]
            entry["nonfinite"] = list(report.nonfinite)
            entry["ok"] = report.all_hold
            results.append(entry)
            if not as_json:
                console.print(_claims_table(report, lang, eid))
                if report.nonfinite:
                    console.print(f"[red]NaN/inf measured in:[/red] {', '.join(report.nonfinite)}")
        n_claims = sum(len(r["claims"]) for r in results)
        n_failed = sum(1 for r in results for c in r["claims"] if not c["holds"])
        n_errors = sum(1 for r in results if r["error"])
        ok = all(r["ok"] for r in results)
        if as_json:
            payload = {"mode": config.mode, "seed": seed, "topic": topic, "ok": ok,
                       "experiments": results}
            typer.echo(json.dumps(_finite(payload), ensure_ascii=False, indent=1, allow_nan=False))
        else:
            style = "green" if ok else "red"
            console.print(f"[{style}]{len(results)} experiments, {n_claims} claims, "
                          f"{n_failed} failed, {n_errors} errors[/{style}]")
        if not ok:
            raise typer.Exit(1)


def _write_snapshot(console, *, full: bool, seed: int, topic: str | None, rerun_all: bool,
                    jobs: int, seeds: str | None, sweep_modes: str) -> None:
    """``dlproof check --full --snapshot``: see :mod:`dlproof.experiments.snapshot_build`."""
    from dlproof.experiments import snapshot_build as sb

    if not full or seed != 0:
        console.print("[red]error:[/red] the snapshot is measured in full mode with seed 0: "
                      "use `dlproof check --full --snapshot` (--seeds adds a sweep)")
        raise typer.Exit(2)
    try:
        seed_list = sb.parse_seeds(seeds) if seeds is not None else None
        modes = tuple(m.strip() for m in sweep_modes.split(",") if m.strip())
        ids = _experiments_of_topic(topic) if topic else None
        res = sb.build(ids, rerun_all=rerun_all, jobs=jobs, seeds=seed_list, sweep_modes=modes,
                       log=lambda line: console.print(line, highlight=False))
    except sb.SnapshotError as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from None
    size = sb.evidence_size(res.directory)
    console.print(f"snapshot: {len(res.rerun)} measured, {len(res.kept)} kept, "
                  f"{len(res.dropped)} dropped; {size / 1e6:.1f} MB in {res.directory}; "
                  f"{res.wall_s:.0f} s")
    for eid, err in res.errors.items():
        console.print(f"[red]ERROR[/red] {eid}: {err} (its old entry, if any, is kept)")
    for eid, bad in res.failing.items():
        console.print(f"[red]FAIL[/red] {eid}: {', '.join(bad)}")
    if not res.ok:
        raise typer.Exit(1)
