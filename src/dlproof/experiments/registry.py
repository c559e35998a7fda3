"""Experiments, reports and claims: the contract between an answer and the code that proves it.

An experiment is a function registered under a stable id::

    @experiment("softmax-jacobian", questions=["softmax-derivative"],
                title_en="...", title_zh="...")
    def run(cfg: RunConfig, report: Report) -> None:
        ...
        report.metric("max_abs_err", err)
        report.claim("jacobian-matches-fd", en="...", zh="...",
                     value=err, op="<", threshold=1e-8)

It receives a :class:`RunConfig` (``mode`` is ``"smoke"`` in the test suite, seconds; ``"full"``
for the handbook's numbers and figures, at most ~30 s on 2 cores) and fills a :class:`Report`.

A :class:`Claim` stores the *measured* value and the comparison that decides it; its verdict is
always recomputed from the measurement (``Claim.holds``), never stored as a literal. Answers cite
claims as ``[[claim:EXPERIMENT_ID/CLAIM_ID]]``.

Experiment modules live in :mod:`dlproof.experiments.catalog`, one module per experiment, and are
imported on demand by :func:`load_all`.
"""

from __future__ import annotations

import importlib
import math
import pkgutil
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

ID_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
MODES = ("smoke", "full")

# Comparison operators a claim may use. "between" takes threshold=(lo, hi), inclusive.
_OPS: dict[str, Callable[[float, Any], bool]] = {
    "<": lambda v, t: v < t,
    "<=": lambda v, t: v <= t,
    ">": lambda v, t: v > t,
    ">=": lambda v, t: v >= t,
    "between": lambda v, t: t[0] <= v <= t[1],
    "==": lambda v, t: v == t,
}


class ExperimentError(Exception):
    """A bad experiment definition, an unknown id, or a bad run configuration."""


@dataclass(frozen=True)
class RunConfig:
    """How to run an experiment: ``mode`` ("smoke" or "full") and the ``seed`` of all randomness."""

    mode: str = "smoke"
    seed: int = 0

    def __post_init__(self):
        if self.mode not in MODES:
            raise ExperimentError(f"mode must be one of {MODES}, got {self.mode!r}")
        if not isinstance(self.seed, int) or not 0 <= self.seed < 2**32:
            raise ExperimentError(f"seed must be an integer in [0, 2**32), got {self.seed!r}")

    @property
    def full(self) -> bool:
        return self.mode == "full"

    def pick(self, smoke, full):
        """``smoke`` in smoke mode, ``full`` in full mode (sizes, epochs, repeats)."""
        return full if self.full else smoke

    def rng(self, stream: int = 0):
        """A fresh ``numpy.random.Generator`` for this seed; ``stream`` separates independent uses."""
        import numpy as np

        return np.random.default_rng([self.seed, stream])


def decide(value: float, op: str, threshold: Any) -> bool:
    """The verdict of ``value OP threshold``. A NaN or infinite measurement never holds."""
    if op not in _OPS:
        raise ExperimentError(f"unknown claim operator {op!r}; use one of {sorted(_OPS)}")
    if value is None or isinstance(value, bool):
        raise ExperimentError(f"claim value must be a number, got {value!r}")
    v = float(value)
    if not math.isfinite(v):
        return False
    return bool(_OPS[op](v, threshold))


@dataclass
class Claim:
    """A checkable statement and the measurement that decides it.

    ``value`` is what was measured (a float; for a difference such as ``acc_lstm - acc_rnn`` the
    difference itself, with ``expression`` saying how it was formed). ``holds`` is computed.
    """

    id: str
    en: str
    zh: str
    value: float
    op: str
    threshold: Any
    expression: str = ""

    def __post_init__(self):
        if not ID_RE.match(self.id):
            raise ExperimentError(f"claim id {self.id!r} must be lower-case words joined by '-'")
        if self.op == "between":
            lo, hi = self.threshold
            if lo > hi:
                raise ExperimentError(f"claim {self.id}: between-threshold ({lo}, {hi}) is empty")
        decide(self.value, self.op, self.threshold)  # validates op and value type
        self.value = float(self.value)

    @property
    def holds(self) -> bool:
        return decide(self.value, self.op, self.threshold)

    def decide(self, value: float) -> bool:
        """The verdict this claim would give for another measured ``value``."""
        return decide(value, self.op, self.threshold)

    @property
    def comparison(self) -> str:
        lhs = self.expression or "value"
        if self.op == "between":
            return f"{self.threshold[0]:g} <= {lhs} <= {self.threshold[1]:g}"
        return f"{lhs} {self.op} {self.threshold:g}"

    def to_dict(self) -> dict:
        return {
            "id": self.id,
            "en": self.en,
            "zh": self.zh,
            "value": self.value,
            "op": self.op,
            "threshold": list(self.threshold) if self.op == "between" else self.threshold,
            "expression": self.expression,
            "comparison": self.comparison,
            "holds": self.holds,
        }

    @classmethod
    def from_dict(cls, d: dict) -> Claim:
        threshold = tuple(d["threshold"]) if d["op"] == "between" else d["threshold"]
        return cls(d["id"], d["en"], d["zh"], d["value"], d["op"], threshold, d.get("expression", ""))


@dataclass
class Figure:
    """A figure produced by a run: a matplotlib Figure until saved, then file paths."""

    name: str
    caption_en: str
    caption_zh: str
    fig: Any = None  # matplotlib.figure.Figure while the run is in memory
    paths: dict[str, str] = field(default_factory=dict)  # {"png": ..., "svg": ...} once saved


@dataclass
class Report:
    """Everything an experiment run produced: metrics, tables, figures and claims."""

    experiment_id: str
    config: RunConfig
    metrics: dict[str, float] = field(default_factory=dict)
    tables: dict[str, dict] = field(default_factory=dict)
    figures: list[Figure] = field(default_factory=list)
    claims: list[Claim] = field(default_factory=list)
    nonfinite: list[str] = field(default_factory=list)  # names of metrics that were NaN/inf
    # Set by the runner: called as on_progress(fraction in [0, 1], message).
    on_progress: Callable[[float, str], None] | None = field(default=None, repr=False)

    def progress(self, fraction: float, message: str = "") -> None:
        """Tell whoever runs the experiment how far it is (no-op when nobody listens)."""
        if self.on_progress is not None:
            self.on_progress(min(max(float(fraction), 0.0), 1.0), message)

    def metric(self, name: str, value: float) -> float:
        v = float(value)
        if not math.isfinite(v):
            self.nonfinite.append(name)
        self.metrics[name] = v
        return v

    def table(self, name: str, columns: list[str], rows: list[list]) -> None:
        for row in rows:
            if len(row) != len(columns):
                raise ExperimentError(
                    f"table {name!r}: row {row!r} has {len(row)} cells, expected {len(columns)}"
                )
        self.tables[name] = {"columns": list(columns), "rows": [list(r) for r in rows]}

    def figure(self, name: str, fig, *, en: str, zh: str) -> None:
        if any(f.name == name for f in self.figures):
            raise ExperimentError(f"figure {name!r} added twice")
        self.figures.append(Figure(name, en, zh, fig))

    def claim(self, id: str, *, en: str, zh: str, value: float, op: str, threshold,
              expression: str = "") -> Claim:
        if any(c.id == id for c in self.claims):
            raise ExperimentError(f"claim {id!r} added twice in {self.experiment_id}")
        c = Claim(id, en, zh, value, op, threshold, expression)
        self.claims.append(c)
        if not math.isfinite(c.value):
            self.nonfinite.append(f"claim:{id}")
        return c

    @property
    def all_hold(self) -> bool:
        return bool(self.claims) and all(c.holds for c in self.claims) and not self.nonfinite

    def to_dict(self) -> dict:
        return {
            "experiment_id": self.experiment_id,
            "config": {"mode": self.config.mode, "seed": self.config.seed},
            "metrics": self.metrics,
            "tables": self.tables,
            "figures": [
                {"name": f.name, "caption_en": f.caption_en, "caption_zh": f.caption_zh,
                 "paths": f.paths}
                for f in self.figures
            ],
            "claims": [c.to_dict() for c in self.claims],
            "nonfinite": self.nonfinite,
        }

    @classmethod
    def from_dict(cls, d: dict) -> Report:
        r = cls(d["experiment_id"], RunConfig(**d["config"]))
        r.metrics = dict(d["metrics"])
        r.tables = dict(d["tables"])
        r.figures = [Figure(f["name"], f["caption_en"], f["caption_zh"], None, dict(f["paths"]))
                     for f in d["figures"]]
        r.claims = [Claim.from_dict(c) for c in d["claims"]]
        r.nonfinite = list(d.get("nonfinite", []))
        return r


@dataclass(frozen=True)
class Experiment:
    id: str
    questions: tuple[str, ...]
    title_en: str
    title_zh: str
    func: Callable[[RunConfig, Report], None]
    module: str


_REGISTRY: dict[str, Experiment] = {}


def experiment(id: str, *, questions: list[str], title_en: str, title_zh: str):
    """Register ``func(cfg, report)`` as the experiment ``id`` answering ``questions``."""
    if not ID_RE.match(id):
        raise ExperimentError(f"experiment id {id!r} must be lower-case words joined by '-'")
    if not questions:
        raise ExperimentError(f"experiment {id!r} must name the questions it answers")

    def register(func):
        if id in _REGISTRY and _REGISTRY[id].module != func.__module__:
            raise ExperimentError(
                f"experiment id {id!r} registered twice ({_REGISTRY[id].module}, {func.__module__})"
            )
        _REGISTRY[id] = Experiment(id, tuple(questions), title_en, title_zh, func, func.__module__)
        return func

    return register


def load_all() -> dict[str, Experiment]:
    """Import every module of :mod:`dlproof.experiments.catalog` and return the registry."""
    from dlproof.experiments import catalog

    for info in pkgutil.iter_modules(catalog.__path__):
        if not info.name.startswith("_"):
            importlib.import_module(f"{catalog.__name__}.{info.name}")
    return dict(_REGISTRY)


def get(experiment_id: str) -> Experiment:
    experiments = load_all()
    if experiment_id not in experiments:
        import difflib

        close = difflib.get_close_matches(experiment_id, list(experiments), n=3, cutoff=0.4)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise ExperimentError(f"unknown experiment {experiment_id!r}{hint}")
    return experiments[experiment_id]


def run_experiment(experiment_id: str, config: RunConfig | None = None) -> Report:
    """Run one experiment in this process and return its Report (figures not yet saved)."""
    exp = get(experiment_id)
    config = config or RunConfig()
    report = Report(exp.id, config)
    exp.func(config, report)
    if not report.claims:
        raise ExperimentError(f"experiment {exp.id!r} made no claims")
    return report
