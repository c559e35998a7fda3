"""Grade a user's file: run it in a subprocess on hidden cases and compare with the reference.

The user's file is copied into a fresh temporary directory and run there (``child.py``) with a
time limit, so user code never runs in the grading process (nor in the web server), and whatever
it writes next to itself lands in the throw-away copy. The expected outputs are computed here,
before the child starts, and never read back from the child's directory.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from dlproof.practice import codec
from dlproof.practice.exercise import Case, Exercise, Mistake


@dataclass
class CaseResult:
    label: str
    fn: str
    passed: bool
    message: str = ""
    mistake: Mistake | None = None


@dataclass
class Grade:
    exercise: str
    passed: bool
    cases: list[CaseResult] = field(default_factory=list)
    error: str = ""                  # the file did not load, crashed the process, or timed out
    timed_out: bool = False
    seed: int = 0
    duration_s: float = 0.0

    @property
    def mistakes(self) -> list[Mistake]:
        seen: dict[str, Mistake] = {}
        for c in self.cases:
            if c.mistake is not None:
                seen.setdefault(c.mistake.id, c.mistake)
        return list(seen.values())

    @property
    def n_passed(self) -> int:
        return sum(c.passed for c in self.cases)

    def summary(self, lang: str = "en") -> str:
        if self.timed_out or self.error:
            return self.error
        if self.passed:
            return (f"all {len(self.cases)} hidden checks pass" if lang == "en"
                    else f"全部 {len(self.cases)} 项隐藏检查通过")
        names = "; ".join(m.en if lang == "en" else m.zh for m in self.mistakes)
        head = (f"{self.n_passed}/{len(self.cases)} hidden checks pass" if lang == "en"
                else f"{self.n_passed}/{len(self.cases)} 项隐藏检查通过")
        return f"{head}; {names}" if names else head


def _describe(v: Any) -> str:
    if isinstance(v, np.ndarray):
        return f"array of shape {v.shape}"
    if isinstance(v, (tuple, list)):
        return f"{type(v).__name__} of {len(v)}"
    return type(v).__name__


def compare(got: Any, want: Any, rtol: float, atol: float) -> str:
    """'' when ``got`` matches ``want`` (same structure, allclose), else what differs."""
    if isinstance(want, (tuple, list)):
        if not isinstance(got, (tuple, list)) or len(got) != len(want):
            return f"expected a {type(want).__name__} of {len(want)} values, got {_describe(got)}"
        for i, (g, w) in enumerate(zip(got, want)):
            why = compare(g, w, rtol, atol)
            if why:
                return f"item {i}: {why}"
        return ""
    if isinstance(want, dict):
        if not isinstance(got, dict) or set(got) != set(want):
            return f"expected a dict with keys {sorted(want)}, got {_describe(got)}"
        for k in want:
            why = compare(got[k], want[k], rtol, atol)
            if why:
                return f"[{k!r}]: {why}"
        return ""
    w = np.asarray(want)
    try:
        g = np.asarray(got, dtype=np.float64) if w.dtype.kind in "fc" else np.asarray(got)
    except (TypeError, ValueError):
        return f"expected {_describe(want)}, got {_describe(got)}"
    if g.shape != w.shape:
        return f"expected shape {w.shape}, got {g.shape}"
    if w.dtype.kind in "biu" and g.dtype.kind not in "biuf":
        return f"expected integers, got {g.dtype}"
    if w.dtype.kind == "f" and not np.all(np.isfinite(g[np.isfinite(w)])):
        return "the output contains nan or inf where the expected values are finite"
    if np.allclose(g, w, rtol=rtol, atol=atol, equal_nan=True):
        return ""
    err = np.abs(g.astype(np.float64) - w.astype(np.float64))
    if not np.isfinite(err).any():
        return "the output is nan or inf where numbers are expected"
    return f"max abs error {float(np.nanmax(err)):.3g} (tolerance {atol:g} + {rtol:g}·|expected|)"


def _mistake_for(case: Case, got: Any, ex: Exercise) -> Mistake | None:
    for m in ex.mistakes:
        if m.fn != case.fn:
            continue
        with np.errstate(all="ignore"):
            try:
                wrong = m.impl(**case.args)
            except Exception:
                continue
        if not compare(got, wrong, ex.rtol, ex.atol):
            return m
    return None


def grade(ex: Exercise, solution: Path, *, seed: int | None = None, timeout_s: float | None = None) -> Grade:
    """Run ``solution`` (a .py file) on ``ex``'s hidden cases; never raises for bad user code."""
    solution = Path(solution)
    if not solution.is_file():
        raise FileNotFoundError(f"no solution file at {solution}")
    seed = int(np.random.SeedSequence().entropy % 2**31) if seed is None else int(seed)
    cases = ex.cases(np.random.default_rng(seed))
    with np.errstate(all="ignore"):
        expected = [ex.reference[c.fn](**c.args) for c in cases]
    limit = ex.timeout_s if timeout_s is None else timeout_s
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="dlproof-grade-") as tmp:
        work = Path(tmp)
        shutil.copyfile(solution, work / "solution.py")
        codec.write(work / "calls", [[c.fn, c.args] for c in cases])
        try:
            proc = subprocess.run([sys.executable, "-m", "dlproof.practice.child", str(work)], cwd=work,
                                  capture_output=True, text=True, timeout=limit)
        except subprocess.TimeoutExpired:
            return Grade(ex.id, False, error=f"timed out after {limit:g} s: does the code loop forever?",
                         timed_out=True, seed=seed, duration_s=time.perf_counter() - start)
        duration = time.perf_counter() - start
        if proc.returncode != 0 or not (work / "outputs.json").exists():
            tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
            return Grade(ex.id, False, error="the solution's process died: " + " | ".join(tail),
                         seed=seed, duration_s=duration)
        out = codec.read(work / "outputs")
    if "load_error" in out:
        return Grade(ex.id, False, error=f"{solution.name} did not load: {out['load_error']}",
                     seed=seed, duration_s=duration)
    results = []
    for case, want, res in zip(cases, expected, out["results"]):
        if "error" in res:
            results.append(CaseResult(case.label, case.fn, False, res["error"]))
            continue
        why = compare(res["ok"], want, ex.rtol, ex.atol)
        mistake = _mistake_for(case, res["ok"], ex) if why else None
        results.append(CaseResult(case.label, case.fn, not why, why, mistake))
    return Grade(ex.id, all(r.passed for r in results), results, seed=seed, duration_s=duration)
