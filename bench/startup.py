"""Start-up and whole-command wall times, measured as fresh subprocesses.

Each command runs ``warmup`` times untimed (to fill the OS page cache), then ``runs`` times timed
(wall clock around ``subprocess.run``); the median is reported. ``python -c pass`` is timed the
same way as the interpreter's own floor. A command that does not exist yet (non-zero exit on the
first try, e.g. ``No such command 'show'``) is reported as skipped with its error message instead
of failing the run. Every command gets a fresh temporary ``DLPROOF_HOME``, so no run reads a cache
left by an earlier one and the user's data directory is never touched.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass


@dataclass
class Command:
    name: str
    argv: list[str]
    target_s: float | None
    runs: int
    note: str = ""
    ok_codes: tuple[int, ...] = (0,)  # exit codes that still mean "it ran"


def dlproof_argv() -> list[str]:
    """The installed ``dlproof`` console script, else ``python -m dlproof.cli``."""
    exe = shutil.which("dlproof")
    if exe:
        return [exe]
    return [sys.executable, "-c", "import sys; from dlproof.cli import main; sys.exit(main())"]


def commands(mode: str, only_check: bool = True) -> list[Command]:
    tiny = mode == "tiny"
    quick = mode == "quick"
    runs = 1 if tiny else (5 if quick else 15)
    dl = dlproof_argv()
    cmds = [
        Command("python_pass", [sys.executable, "-c", "pass"], None, runs,
                "bare interpreter, for reference"),
        Command("import_dlproof", [sys.executable, "-c", "import dlproof"], 0.150, runs),
        Command("import_dlproof_nn", [sys.executable, "-c", "import dlproof.nn"], None, runs,
                "for reference: the engine and nn layers (NumPy included)"),
        Command("import_numpy", [sys.executable, "-c", "import numpy"], None, runs,
                "for reference: the floor of any NumPy engine"),
        Command("cli_help", [*dl, "--help"], 0.200, runs),
        Command("cli_show", [*dl, "show", "softmax-derivative"], 0.5, runs),
    ]
    if tiny:  # the smoke test: only the commands with a target
        cmds = [c for c in cmds if c.target_s is not None]
    if only_check:
        cmds.append(Command("cli_check", [*dl, "check"], None, 1 if (tiny or quick) else 3,
                            "all experiments, smoke mode (the command's default), no cache",
                            ok_codes=(0, 1)))  # 1 = some claim failed: it still ran them all
    return cmds


def _run_once(argv: list[str], timeout: float) -> tuple[float, subprocess.CompletedProcess]:
    with tempfile.TemporaryDirectory(prefix="dlproof-bench-home-") as home:
        env = dict(os.environ, DLPROOF_HOME=home, COLUMNS="100", NO_COLOR="1")
        t0 = time.perf_counter()
        proc = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=timeout,
                              stdin=subprocess.DEVNULL)
        return time.perf_counter() - t0, proc


def time_command(cmd: Command, warmup: int = 2, timeout: float = 900.0) -> dict:
    """Median wall time of ``cmd`` over ``cmd.runs`` fresh processes (after ``warmup`` runs)."""
    res: dict = {"name": cmd.name, "argv": cmd.argv, "target_s": cmd.target_s, "note": cmd.note}
    try:
        first_t, proc = _run_once(cmd.argv, timeout)
    except subprocess.TimeoutExpired:
        return {**res, "status": "error", "message": f"timed out after {timeout:.0f} s"}
    except OSError as exc:
        return {**res, "status": "skipped", "message": f"cannot run: {exc}"}
    res["returncode"] = proc.returncode
    if proc.returncode not in cmd.ok_codes:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
        return {**res, "status": "skipped", "returncode": proc.returncode,
                "message": "command failed (not available yet?): " + " | ".join(tail)}
    times = []
    slow = first_t > 10.0  # long commands (dlproof check): no extra warm-up runs
    for _ in range(0 if slow else max(0, warmup - 1)):
        _run_once(cmd.argv, timeout)
    if slow:
        times.append(first_t)
    for _ in range(cmd.runs - len(times)):
        t, proc = _run_once(cmd.argv, timeout)
        if proc.returncode not in cmd.ok_codes:
            tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
            return {**res, "status": "error", "message": "failed on a later run: " + " | ".join(tail)}
        times.append(t)
    med = statistics.median(times)
    res.update(status="ok", median_s=med, min_s=min(times), max_s=max(times), runs=len(times))
    if cmd.target_s is not None:
        res["met"] = med <= cmd.target_s
    return res


def run_all(mode: str, include_check: bool = True, log=print) -> list[dict]:
    out = []
    for cmd in commands(mode, include_check):
        r = time_command(cmd, warmup=0 if mode == "tiny" else 2)
        if r["status"] == "ok":
            log(f"  {cmd.name:<16} {r['median_s'] * 1e3:9.1f} ms  (median of {r['runs']})")
        else:
            log(f"  {cmd.name:<16} {r['status']}: {r['message']}")
        out.append(r)
    return out
