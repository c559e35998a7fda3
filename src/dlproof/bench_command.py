"""``dlproof bench``: run the benchmark suite (dlproof vs PyTorch CPU) from a source checkout.

The suite lives in the top-level ``bench/`` package of the repository, *not* in the installed
``dlproof`` package (it needs PyTorch, a test-time oracle only). This command therefore works from
a source checkout (``pip install -e .``): it finds ``bench/`` next to ``src/`` (two directories
above this file), or in the directory named by ``$DLPROOF_BENCH_DIR`` (the repository root), and
runs ``bench.runner.main`` with the same options as ``python -m bench``. Heavy imports (torch,
numpy) happen only inside the command body.
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
        import sys

        root = find_bench_root()
        if root is None:
            typer.echo(
                "error: `dlproof bench` needs a source checkout of dlproof (the bench/ package is "
                "not installed). Run it from a git clone (pip install -e '.[test]'), or set "
                "DLPROOF_BENCH_DIR to the repository root, or run `python -m bench` there.",
                err=True,
            )
            raise typer.Exit(2)
        try:
            import torch  # noqa: F401
        except ImportError:
            typer.echo("error: the benchmarks compare against PyTorch: pip install torch==2.13.0",
                       err=True)
            raise typer.Exit(2) from None
        if str(root) not in sys.path:
            sys.path.insert(0, str(root))
        from bench.runner import main as bench_main

        argv = ["--threads", str(threads), "--processes", str(processes),
                "--wait-idle", str(wait_idle), "--retries", str(retries)]
        argv += ["--quick"] * quick + ["--tiny"] * tiny + ["--list"] * list_
        argv += ["--no-startup"] * no_startup + ["--no-check-command"] * no_check_command
        for name in only:
            argv += ["--only", name]
        if json_path is not None:
            argv += ["--json", str(json_path)]
        if markdown is not None:
            argv += ["--markdown", str(markdown)]
        if samples is not None:
            argv += ["--samples", str(samples)]
        bench_main(argv)
