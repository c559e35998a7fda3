"""The ``dlproof run`` and ``dlproof check`` commands (registered on the main app by ``cli.py``).

``dlproof run ID [--full] [--seed N] [--out DIR] [--no-cache] [--lang zh|en]``
    runs one experiment with a progress bar, prints its claims (statement, measured value,
    comparison, verdict) and where the figures went; exit code 1 when a claim fails or a
    measurement is NaN/inf, 2 for an unknown id or bad option.

``dlproof check [IDS...] [--topic T] [--full] [--seed N] [--jobs N] [--json] [--no-cache] [--lang zh|en]``
    runs every experiment (or the named ones, plus those of one topic: the experiments its
    questions list and those that name one of its questions), with a progress bar per running
    experiment, prints every claim with its measured value and verdict, and exits 1 when any
    claim fails or any experiment raised (the others still run), 2 for an unknown id or topic.
    ``--jobs N`` (default 1) runs them through the runner and its cache in N worker processes
    (:mod:`dlproof.experiments.workers`); the output is the same as serially.

``dlproof check --seeds 0-9 [IDS...] [--topic T] [--full] [--jobs N] [--json]``
    the seed sweep (:mod:`dlproof.experiments.sweep`): every selected experiment on every seed
    (uncached, figures discarded), in N worker processes (default: the number of cores); a table
    per claim of how many seeds hold, min/median/max of the measured value and the seeds it failed
    on (or JSON), then one line per failing (experiment, claim, seed) with value and threshold.
    Exit 1 when any claim fails on any seed, a run raised or measured NaN/inf; 2 for a bad seed
    list (``--seeds x``) or an unknown id.

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
        experiment_ids: list[str] | None = typer.Argument(
            None, help="only these experiments (with --topic: these and the topic's)",
            show_default=False),
        topic: str | None = typer.Option(None, "--topic", help="only the experiments of a topic"),
        full: bool = typer.Option(False, "--full", help="full mode"),
        seed: int = typer.Option(0, "--seed", help="seed of all randomness"),
        seeds: str | None = typer.Option(None, "--seeds", help="sweep these seeds, e.g. 0-9 or "
                                         "0,3,5: per claim how many hold and the value's spread"),
        jobs: int | None = typer.Option(None, "--jobs", min=1, max=256,
                                        help="worker processes (one BLAS thread each); default: "
                                        "the number of cores with --seeds, else 1"),
        as_json: bool = typer.Option(False, "--json", help="print JSON instead of tables"),
        no_cache: bool = typer.Option(False, "--no-cache", help="rerun even if cached "
                                      "(a sweep never uses the cache)"),
        lang: str = typer.Option("en", "--lang", help=LANG_HELP),
        snapshot: bool = typer.Option(False, "--snapshot", help="rewrite the evidence snapshot "
                                      "shipped with the package (with --full; source checkout)"),
        rerun_all: bool = typer.Option(False, "--all", help="with --snapshot: remeasure every "
                                       "experiment, not only the missing or changed ones"),
        sweep_modes: str = typer.Option("smoke", "--sweep-modes",
                                        help="with --snapshot --seeds: modes to sweep, e.g. "
                                        "smoke,full"),
    ) -> None:
        """Run every experiment (or the selected ones) and report which claims hold; with --seeds,
        over many seeds."""
        from rich.console import Console

        lang = _lang(lang)
        console = Console()
        try:
            ids = _select(topic, experiment_ids)
        except typer.BadParameter:
            raise
        except Exception as exc:  # SweepError: an unknown id
            console.print(f"[red]error:[/red] {exc}")
            raise typer.Exit(2) from None
        if snapshot:
            _write_snapshot(console, full=full, seed=seed, ids=ids, rerun_all=rerun_all,
                            jobs=jobs or 1, seeds=seeds, sweep_modes=sweep_modes)
            return
        if rerun_all or sweep_modes != "smoke":
            console.print("[red]error:[/red] --all and --sweep-modes go with --snapshot "
                          "(a sweep without it runs one mode: smoke, or --full)")
            raise typer.Exit(2)
        if seeds is not None:
            if seed != 0:
                console.print("[red]error:[/red] give either --seed N or --seeds LIST")
                raise typer.Exit(2)
            _check_sweep(console, ids=ids, full=full, seeds=seeds, jobs=jobs, as_json=as_json)
            return
        _check_one_seed(console, ids=ids, full=full, seed=seed, jobs=jobs or 1, as_json=as_json,
                        no_cache=no_cache, lang=lang, topic=topic)


def _select(topic: str | None, ids: list[str] | None) -> list[str] | None:
    """The experiments ``check`` runs: the named ids plus the topic's (None: all of them)."""
    from dlproof.experiments.sweep import check_ids

    if not topic and not ids:
        return None
    chosen = set(check_ids(list(ids or ())))
    if topic:
        chosen |= set(_experiments_of_topic(topic))
    return sorted(chosen)


class _LiveBars:
    """A rich progress display: an overall bar, and one bar per running experiment run (a task
    key ``(experiment_id, seed)``), added when its worker starts it and removed when it ends.
    Transient; on stderr (so ``--json`` output stays clean)."""

    def __init__(self, total: int, label: str):
        from rich.console import Console
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

        self.progress = Progress(
            TextColumn("[bold]{task.description}"), BarColumn(),
            TextColumn("{task.percentage:>3.0f}%"), TimeElapsedColumn(),
            TextColumn("{task.fields[message]}"),
            console=Console(stderr=True), transient=True)
        self.overall = self.progress.add_task(label, total=total, message="")
        self.bars: dict = {}

    def __enter__(self):
        self.progress.__enter__()
        return self

    def __exit__(self, *exc):
        return self.progress.__exit__(*exc)

    @staticmethod
    def _name(key) -> str:
        eid, seed = key
        return f"  {eid} (seed {seed})"

    def update(self, key, fraction: float, message: str) -> None:
        if key not in self.bars:
            self.bars[key] = self.progress.add_task(self._name(key), total=1.0, message="")
        self.progress.update(self.bars[key], completed=fraction, message=message[:40])

    def done(self, key, out=None, error=None) -> None:
        bar = self.bars.pop(key, None)
        if bar is not None:
            self.progress.remove_task(bar)
        self.progress.advance(self.overall)


def _check_one_seed(console, *, ids: list[str] | None, full: bool, seed: int, jobs: int,
                    as_json: bool, no_cache: bool, lang: str, topic: str | None) -> None:
    """``dlproof check [--jobs N]``: every claim of one seed, through the runner and its cache."""
    from dlproof.experiments import runner, workers
    from dlproof.experiments.registry import ExperimentError, RunConfig, load_all

    try:
        config = RunConfig(mode="full" if full else "smoke", seed=seed)
    except ExperimentError as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from None
    ids = ids if ids is not None else sorted(load_all())
    outcomes: dict[str, tuple] = {}  # id -> (report dict or None, error, traceback)
    with _LiveBars(len(ids), f"{len(ids)} experiments ({config.mode}, seed {seed})") as bars:
        if jobs == 1:  # in this process (also sees experiments registered at run time)
            for eid in ids:
                key = (eid, seed)
                bars.update(key, 0.0, "start")
                try:
                    report = runner.run(eid, config, use_cache=not no_cache,
                                        progress=lambda f, m, key=key: bars.update(key, f, m))
                    outcomes[eid] = (report.to_dict(), None, None)
                except Exception as exc:  # one broken experiment must not hide the others
                    outcomes[eid] = (None, f"{type(exc).__name__}: {exc}", traceback.format_exc())
                bars.done(key)
        else:
            def done(key, out, error):
                outcomes[key[0]] = (out["report"] if out else None, error, None)
                bars.done(key)

            tasks = [workers.Task((eid, seed), eid, config.mode, seed, cached=True,
                                  use_cache=not no_cache) for eid in ids]
            workers.run_tasks(tasks, jobs=jobs, on_done=done, on_progress=bars.update)

    from dlproof.experiments.registry import Report

    results = []
    for eid in ids:
        rep_dict, error, tb = outcomes[eid]
        entry: dict = {"experiment_id": eid, "error": error, "claims": [], "nonfinite": []}
        if error is not None:
            if tb:
                entry["traceback"] = tb
            entry["ok"] = False
            results.append(entry)
            if not as_json:
                console.print(f"[red]ERROR[/red] {eid}: {error}")
            continue
        report = Report.from_dict(rep_dict)
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


def _opt(v) -> str:
    return "-" if v is None else _fmt(v)


def _sweep_table(res):
    from rich.table import Table

    t = Table(title=f"{len(res.experiments)} experiments, {res.mode} mode, seeds "
              f"{_seed_list(res.seeds)}", expand=True)
    t.add_column("experiment", style="bold", overflow="fold", ratio=2)
    t.add_column("claim", overflow="fold", ratio=2)
    t.add_column("holds", justify="right", no_wrap=True)
    t.add_column("min", justify="right", no_wrap=True)
    t.add_column("median", justify="right", no_wrap=True)
    t.add_column("max", justify="right", no_wrap=True)
    t.add_column("comparison", overflow="fold", ratio=2)
    t.add_column("failed on seeds", overflow="fold", ratio=1)
    for eid, e in sorted(res.experiments.items()):
        first = True
        for seed, err in sorted(e.errors.items()):
            t.add_row(eid if first else "", "[red]ERROR[/red]", "", "", "", "", err, str(seed))
            first = False
        for cid, st in e.claims.items():
            style = "green" if st["held"] == st["of"] else "red"
            t.add_row(eid if first else "", cid, f"[{style}]{st['held']}/{st['of']}[/{style}]",
                      _opt(st["min"]), _opt(st["median"]), _opt(st["max"]), st["comparison"],
                      _seed_list(st["failed_seeds"]))
            first = False
    return t


def _seed_list(seeds: list[int]) -> str:
    """[0, 1, 2, 5] -> "0-2,5"."""
    parts: list[str] = []
    seeds = sorted(seeds)
    i = 0
    while i < len(seeds):
        j = i
        while j + 1 < len(seeds) and seeds[j + 1] == seeds[j] + 1:
            j += 1
        parts.append(str(seeds[i]) if i == j else f"{seeds[i]}-{seeds[j]}")
        i = j + 1
    return ",".join(parts)


def _check_sweep(console, *, ids: list[str] | None, full: bool, seeds: str, jobs: int | None,
                 as_json: bool) -> None:
    """``dlproof check --seeds 0-9 [--full] [--jobs N]``: see :mod:`dlproof.experiments.sweep`."""
    from dlproof.experiments import sweep, workers
    from dlproof.experiments.registry import load_all

    try:
        seed_list = sweep.parse_seeds(seeds)
    except sweep.SweepError as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from None
    mode = "full" if full else "smoke"
    jobs = jobs or workers.default_jobs()
    n = len(ids if ids is not None else load_all()) * len(seed_list)
    with _LiveBars(n, f"{n} runs ({mode}, seeds {_seed_list(seed_list)}, {jobs} jobs)") as bars:
        res = sweep.run_sweep(ids, mode=mode, seeds=seed_list, jobs=jobs,
                              on_progress=bars.update, on_done=bars.done)
    failures = res.failures()
    if as_json:
        typer.echo(json.dumps(_finite(res.to_dict()), ensure_ascii=False, indent=1,
                              allow_nan=False))
    else:
        console.print(_sweep_table(res))
        for f in failures:
            console.print(f"[red]FAIL[/red] {f}", highlight=False)
        n_claims = sum(len(e.claims) for e in res.experiments.values())
        n_robust = sum(st["held"] == st["of"] for e in res.experiments.values()
                       for st in e.claims.values())
        style = "green" if res.ok else "red"
        console.print(f"[{style}]{len(res.experiments)} experiments x {len(seed_list)} seeds "
                      f"({mode}): {n_robust}/{n_claims} claims hold on every seed, "
                      f"{len(failures)} failure(s); {res.wall_s:.0f} s with {jobs} job(s)"
                      f"[/{style}]")
    if not res.ok:
        raise typer.Exit(1)


def _write_snapshot(console, *, full: bool, seed: int, ids: list[str] | None, rerun_all: bool,
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
