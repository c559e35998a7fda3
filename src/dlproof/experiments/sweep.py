"""Seed sweeps: is every claim robust to the seed, and how much does its value move?

Behind ``dlproof check --seeds 0-9 [--full] [--jobs N] [--json] [--topic T] [IDS...]``
(:mod:`dlproof.experiments.commands`) and the CI test ``tests/experiments/test_sweep_seeds.py``::

    from dlproof.experiments.sweep import run_sweep
    res = run_sweep(["softmax-jacobian", "saturation"], mode="smoke", seeds=[0, 1, 2], jobs=2)
    for f in res.failures():
        print(f.experiment_id, f.claim_id, f.seed, f.value, f.comparison)
    res.to_dict()  # what --json prints

Every (experiment, seed) pair is one task for :func:`dlproof.experiments.workers.run_tasks`:
measured without the run cache, figures discarded (a sweep needs the numbers only), in ``jobs``
spawned worker processes with one BLAS thread each, so the numbers are those of a serial run
(``jobs=1`` runs in this process). Experiments whose snapshot entry took longest are started first,
which shortens the wall time of a parallel sweep.

Per claim, :func:`claim_stats` gives how many seeds it held on (its verdict recomputed from each
measured value), the seeds it failed on, and the spread of the value (min/median/max over the
finite measurements; each seed's value in ``values``). A sweep is ``ok`` when every claim held on
every seed, no experiment raised and nothing was NaN/inf. The snapshot writer
(:mod:`dlproof.experiments.snapshot_build`) records the same statistics in the evidence snapshot.
"""

from __future__ import annotations

import math
import statistics
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field

MAX_SEEDS = 100


class SweepError(ValueError):
    """Bad sweep input: a malformed seed list, an unknown experiment id, a bad mode or job count."""


def parse_seeds(spec: str) -> list[int]:
    """``"0-9"`` -> [0..9]; ``"0,3,5-6"`` -> [0, 3, 5, 6]; sorted, duplicates dropped."""
    out: list[int] = []
    try:
        for part in str(spec).split(","):
            part = part.strip()
            if "-" in part:
                a, b = part.split("-", 1)
                lo, hi = int(a), int(b)
                if hi < lo:
                    raise SweepError(f"--seeds {spec!r}: the range {part} is empty (write low-high)")
                out.extend(range(lo, hi + 1))
            elif part:
                out.append(int(part))
    except ValueError as exc:
        if isinstance(exc, SweepError):
            raise
        raise SweepError(f"--seeds {spec!r}: use a list such as 0-9 or 0,2,5") from None
    if not out or min(out) < 0 or len(set(out)) > MAX_SEEDS:
        raise SweepError(f"--seeds {spec!r}: between 1 and {MAX_SEEDS} seeds, none negative")
    if max(out) >= 2**32:
        raise SweepError(f"--seeds {spec!r}: seeds must be below 2**32")
    return sorted(set(out))


def _finite(v) -> bool:
    return isinstance(v, (int, float)) and math.isfinite(v)


def claim_stats(reports: dict[int, dict]) -> dict[str, dict]:
    """Per claim id, over ``{seed: Report.to_dict()}``: ``held``/``of`` (seeds), ``failed_seeds``,
    ``min``/``median``/``max`` of the finite values (None when there are none), ``values``
    (seed -> value), and the claim's ``comparison``/``op``/``threshold`` (from the first seed)."""
    from dlproof.experiments.registry import Claim

    out: dict[str, dict] = {}
    for seed in sorted(reports):
        for d in reports[seed]["claims"]:
            c = Claim.from_dict(d)
            st = out.setdefault(c.id, {"held": 0, "of": 0, "failed_seeds": [], "values": {},
                                       "comparison": c.comparison, "op": c.op,
                                       "threshold": d["threshold"]})
            st["of"] += 1
            if c.holds:
                st["held"] += 1
            else:
                st["failed_seeds"].append(seed)
            st["values"][seed] = c.value
    for st in out.values():
        finite = [v for v in st["values"].values() if _finite(v)]
        st["min"] = min(finite) if finite else None
        st["max"] = max(finite) if finite else None
        st["median"] = statistics.median(finite) if finite else None
    return out


@dataclass(frozen=True)
class Failure:
    """One claim that did not hold on one seed (``claim_id`` None: the run itself failed)."""

    experiment_id: str
    claim_id: str | None
    seed: int
    value: float | None
    comparison: str
    error: str | None = None

    def __str__(self) -> str:
        if self.claim_id is None:
            return f"{self.experiment_id} seed {self.seed}: {self.error}"
        return (f"{self.experiment_id}/{self.claim_id} seed {self.seed}: measured {self.value!r}, "
                f"needs {self.comparison}")


@dataclass
class ExperimentSweep:
    """What the seeds of one experiment gave."""

    experiment_id: str
    reports: dict[int, dict] = field(default_factory=dict)  # seed -> Report.to_dict()
    errors: dict[int, str] = field(default_factory=dict)  # seed -> "Type: message"
    durations: dict[int, float] = field(default_factory=dict)  # seed -> seconds

    @property
    def claims(self) -> dict[str, dict]:
        return claim_stats(self.reports)

    @property
    def nonfinite(self) -> dict[int, list[str]]:
        return {s: list(r["nonfinite"]) for s, r in sorted(self.reports.items()) if r["nonfinite"]}

    @property
    def ok(self) -> bool:
        return (not self.errors and not self.nonfinite and bool(self.reports)
                and all(st["held"] == st["of"] for st in self.claims.values()))


@dataclass
class SweepResult:
    mode: str
    seeds: list[int]
    jobs: int
    experiments: dict[str, ExperimentSweep]
    wall_s: float = 0.0

    @property
    def ok(self) -> bool:
        return all(e.ok for e in self.experiments.values())

    def failures(self) -> list[Failure]:
        """Every (experiment, claim, seed) that failed, and every run that raised or gave NaN/inf."""
        out: list[Failure] = []
        for eid, e in sorted(self.experiments.items()):
            for seed, err in sorted(e.errors.items()):
                out.append(Failure(eid, None, seed, None, "", err))
            for seed, names in e.nonfinite.items():
                out.append(Failure(eid, None, seed, None, "", f"NaN/inf in {', '.join(names)}"))
            for cid, st in e.claims.items():
                for seed in st["failed_seeds"]:
                    out.append(Failure(eid, cid, seed, st["values"][seed], st["comparison"]))
        return out

    def to_dict(self) -> dict:
        """The JSON form (``dlproof check --seeds ... --json``); NaN/inf values become None."""
        exps = []
        for eid, e in sorted(self.experiments.items()):
            claims = []
            for cid, st in e.claims.items():
                claims.append({
                    "id": cid, "comparison": st["comparison"], "op": st["op"],
                    "threshold": st["threshold"], "held": st["held"], "of": st["of"],
                    "failed_seeds": st["failed_seeds"], "min": st["min"],
                    "median": st["median"], "max": st["max"],
                    "values": {str(s): (v if _finite(v) else None)
                               for s, v in st["values"].items()}})
            exps.append({"experiment_id": eid, "ok": e.ok, "claims": claims,
                         "errors": {str(s): m for s, m in sorted(e.errors.items())},
                         "nonfinite": {str(s): n for s, n in e.nonfinite.items()},
                         "duration_s": {str(s): round(d, 3) for s, d in sorted(e.durations.items())}})
        return {"mode": self.mode, "seeds": list(self.seeds), "jobs": self.jobs, "ok": self.ok,
                "wall_s": round(self.wall_s, 3), "failures": [str(f) for f in self.failures()],
                "experiments": exps}


def _longest_first(ids: list[str]) -> list[str]:
    """``ids`` ordered by the duration of their snapshot entry, longest first (unknown last)."""
    try:
        from dlproof.experiments import snapshot

        entries = snapshot.parse(snapshot.default_dir()).entries
        dur = {eid: float(entries[eid].duration_s) for eid in ids if eid in entries}
    except Exception:  # no snapshot (an installed package without one): keep the given order
        return list(ids)
    return sorted(ids, key=lambda eid: (-dur.get(eid, 0.0), eid))


def check_ids(ids: list[str]) -> list[str]:
    """``ids`` if every one is registered, else :class:`SweepError` naming the unknown ones."""
    from dlproof.experiments.registry import load_all

    reg = load_all()
    unknown = [eid for eid in ids if eid not in reg]
    if unknown:
        import difflib

        hints = []
        for eid in unknown:
            close = difflib.get_close_matches(eid, list(reg), n=3, cutoff=0.4)
            hints.append(f"{eid!r}" + (f" (did you mean {', '.join(close)}?)" if close else ""))
        raise SweepError(f"unknown experiment {', '.join(hints)}; `dlproof list` shows the ids")
    return list(ids)


def run_sweep(ids: list[str] | None, *, mode: str = "smoke", seeds: list[int], jobs: int = 1,
              on_progress: Callable[[Hashable, float, str], None] | None = None,
              on_done: Callable[[Hashable, dict | None, str | None], None] | None = None
              ) -> SweepResult:
    """Run every experiment of ``ids`` (None: all registered) on every seed; see the module doc.
    Task keys passed to ``on_progress``/``on_done`` are ``(experiment_id, seed)``."""
    from dlproof.experiments import workers
    from dlproof.experiments.registry import MODES, load_all

    if mode not in MODES:
        raise SweepError(f"mode {mode!r}: use one of {', '.join(MODES)}")
    if not seeds:
        raise SweepError("no seeds to sweep")
    if not isinstance(jobs, int) or jobs < 1:
        raise SweepError(f"--jobs {jobs!r}: use a positive number of worker processes")
    ids = sorted(check_ids(list(ids))) if ids is not None else sorted(load_all())
    seeds = sorted(set(seeds))
    result = SweepResult(mode, seeds, jobs, {eid: ExperimentSweep(eid) for eid in ids})
    tasks = [workers.Task((eid, s), eid, mode, s) for eid in _longest_first(ids) for s in seeds]

    def done(key, out: dict | None, error: str | None) -> None:
        eid, seed = key
        e = result.experiments[eid]
        if error is not None:
            e.errors[seed] = error
        else:
            e.reports[seed] = out["report"]
            e.durations[seed] = out["duration_s"]
        if on_done is not None:
            on_done(key, out, error)

    started = time.perf_counter()
    workers.run_tasks(tasks, jobs=jobs, on_done=done, on_progress=on_progress)
    result.wall_s = time.perf_counter() - started
    return result
