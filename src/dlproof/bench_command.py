"""``dlproof bench``: run the benchmark suite (dlproof vs PyTorch CPU); source checkout only.

The suite is the top-level ``bench/`` package of the repository, deliberately *not* part of the
installed ``dlproof`` package: it compares against PyTorch, which dlproof uses as a test-time
oracle only (no module under ``src/`` imports torch). So this command is a launcher: it finds a
checkout (``$DLPROOF_BENCH_DIR``, the repository two directories above this file in an editable
install, or the current directory) and runs ``python -m bench`` there in a child process with
the same options. It never imports ``bench/`` into this process; without a checkout it exits with
a message saying what to do.
"""

from __future__ import annotations

import os
from pathlib import Path

import typer


def find_bench_root() -> Path | None:
    """The repository root that holds ``bench/__main__.py``, or None."""
    candidates = []
    if os.environ.get("DLPROOF_BENCH_DIR"):
        candidates.append(Path(os.environ["DLPROOF_BENCH_DIR"]))
    candidates.append(Path(__file__).resolve().parents[2])  # <root>/src/dlproof/bench_command.py
    candidates.append(Path.cwd())
    for root in candidates:
        if (root / "bench" / "__main__.py").is_file() and (root / "bench" / "runner.py").is_file():
            return root
    return None


def register(app: typer.Typer) -> None:
    """Add the ``bench`` command to ``app``."""

    @app.command("bench")
    def bench_command(
        quick: bool = typer.Option(False, "--quick", help="fewer, shorter samples"),
        tiny: bool = typer.Option(False, "--tiny", help="tiny sizes, 1-2 samples (smoke test)"),
        only: list[str] = typer.Option(  # noqa: B008 - typer's idiom
            [], "--only", help="workloads whose name contains NAME (comma-separated, repeatable)"
        ),
        json_path: Path | None = typer.Option(None, "--json", help="write the JSON here"),
        markdown: Path | None = typer.Option(None, "--markdown", help="also write Markdown here"),
        processes: int = typer.Option(1, "--processes", help="repeat the suite in N processes"),
        samples: int | None = typer.Option(None, "--samples", help="interleaved samples per side"),
        threads: int = typer.Option(2, "--threads", help="BLAS and torch threads"),
        no_startup: bool = typer.Option(False, "--no-startup", help="skip start-up timings"),
        no_check_command: bool = typer.Option(
            False, "--no-check-command", help="do not time `dlproof check`"
        ),
        wait_idle: float = typer.Option(
            0.0, "--wait-idle", help="before each workload wait up to SECONDS for idle CPUs"
        ),
        retries: int = typer.Option(
            0, "--retries", help="re-measure a workload disturbed by other processes N times"
        ),
        list_: bool = typer.Option(False, "--list", help="list the workloads and exit"),
    ) -> None:
        """Time the engine against PyTorch CPU (interleaved, 2 threads); needs a source checkout."""
        import importlib.util
        import subprocess
        import sys

        root = find_bench_root()
        if root is None:
            typer.echo(
                "error: `dlproof bench` runs the benchmark suite of a source checkout (the bench/ "
                "folder is not part of the installed package). Run it from a git clone "
                "(pip install -e '.[test]'), or set DLPROOF_BENCH_DIR to the repository root, or "
                "run `python -m bench` there.",
                err=True,
            )
            raise typer.Exit(2)
        if importlib.util.find_spec("torch") is None:
            typer.echo("error: the benchmarks compare against PyTorch: pip install torch==2.13.0",
                       err=True)
            raise typer.Exit(2)
        argv = ["--threads", str(threads), "--processes", str(processes),
                "--wait-idle", str(wait_idle), "--retries", str(retries)]
        argv += ["--quick"] * quick + ["--tiny"] * tiny + ["--list"] * list_
        argv += ["--no-startup"] * no_startup + ["--no-check-command"] * no_check_command
        for name in only:
            argv += ["--only", name]
        if json_path is not None:
            argv += ["--json", str(json_path.resolve())]  # the child runs in the checkout
        if markdown is not None:
            argv += ["--markdown", str(markdown.resolve())]
        if samples is not None:
            argv += ["--samples", str(samples)]
        # the checkout's bench/ and its own src/ (so it times that checkout's engine) come first
        env = dict(os.environ)
        paths = [str(root)] + [str(root / "src")] * (root / "src" / "dlproof").is_dir()
        env["PYTHONPATH"] = os.pathsep.join(paths + [env["PYTHONPATH"]] * bool(env.get("PYTHONPATH")))
        rc = subprocess.call([sys.executable, "-m", "bench", *argv], cwd=root, env=env)
        if rc:
            raise typer.Exit(rc)
