"""Every registered experiment, generically: it runs in smoke mode and proves what it claims.

* each experiment runs in smoke mode through the runner (figures written as PNG + SVG, with both
  captions), within a loose time budget, and all its claims hold, with no NaN/inf;
* every claim's verdict is *computed*: re-deciding it on a value just across its threshold flips
  the verdict (a claim that would pass for any value proves nothing);
* questions and experiments point at each other consistently, and every ``[[claim:...]]`` cited
  by an answer exists in that experiment's smoke report;
* every answered question of the first 20-question batch has at least one experiment.
"""

from __future__ import annotations

import math
import time
from pathlib import Path

import pytest

from dlproof.experiments import runner
from dlproof.experiments.registry import Claim, RunConfig, load_all
from dlproof.handbook.loader import all_questions

EXPERIMENTS = sorted(load_all())
SMOKE_BUDGET_S = 10.0  # the design's "a few seconds"; asserted with 2x slack for slow machines
BATCH_1 = (
    # activations, softmax and backprop (experiments/catalog: softmax_*, backprop, graph, act_*)
    "softmax-derivative", "backprop-derivation", "computation-graph", "softmax-overflow-underflow",
    "relu-derivative-at-zero", "why-nonlinearity", "activation-catalog",
    "activation-drawbacks-alternatives", "relu-pros-cons", "saturation-smoothness",
    # networks, initialisation and normalisation
    "nonconvexity-hidden-layers", "universal-approximation", "depth-vs-width", "ce-vs-mse-output",
    "condition-number", "weight-symmetry", "weight-initialization", "batchnorm",
    "vanishing-exploding-gradients", "exploding-gradients",
)

_smoke_reports: dict[str, object] = {}
_smoke_times: dict[str, float] = {}


def smoke_report(eid: str, tmp_dir: Path):
    """Run an experiment once per session in smoke mode (seed 0), uncached, figures to tmp_dir."""
    if eid not in _smoke_reports:
        t0 = time.perf_counter()
        _smoke_reports[eid] = runner.run(eid, RunConfig("smoke", 0), out_dir=tmp_dir / eid,
                                         use_cache=False)
        _smoke_times[eid] = time.perf_counter() - t0
    return _smoke_reports[eid]


@pytest.fixture(scope="session")
def fig_root(tmp_path_factory):
    return tmp_path_factory.mktemp("smoke_figures")


def across(claim: Claim) -> list[float]:
    """Values just on the wrong side of a claim's threshold (each must make it fail)."""
    def step(t: float) -> float:
        return max(abs(t) * 1e-3, 1e-12)

    t = claim.threshold
    if claim.op in ("<", "<="):
        return [t + step(t), t + 10 * step(t)]
    if claim.op in (">", ">="):
        return [t - step(t), t - 10 * step(t)]
    if claim.op == "between":
        lo, hi = t
        return [lo - step(lo), hi + step(hi)]
    if claim.op == "==":
        return [t + step(t), t - step(t)]
    raise AssertionError(f"unknown op {claim.op}")


@pytest.mark.parametrize("eid", EXPERIMENTS)
def test_smoke_run_all_claims_hold(eid, fig_root):
    report = smoke_report(eid, fig_root)
    failed = [f"{c.id}: {c.value!r} vs {c.comparison}" for c in report.claims if not c.holds]
    assert not failed, f"{eid}: claims fail: {failed}"
    assert not report.nonfinite, f"{eid}: NaN/inf in {report.nonfinite}"
    assert report.claims, f"{eid} makes no claims"
    for c in report.claims:
        assert c.en.strip() and c.zh.strip(), f"{eid}/{c.id}: statement missing in a language"
        assert math.isfinite(c.value)
    for f in report.figures:
        assert f.caption_en.strip() and f.caption_zh.strip(), f"{eid}/{f.name}: caption missing"
        assert set(f.paths) == {"png", "svg"}
        assert all(Path(p).stat().st_size > 0 for p in f.paths.values())
    assert _smoke_times[eid] <= 2 * SMOKE_BUDGET_S, (
        f"{eid} took {_smoke_times[eid]:.1f} s in smoke mode (budget {SMOKE_BUDGET_S} s)")


@pytest.mark.parametrize("eid", EXPERIMENTS)
def test_claim_verdicts_are_computed(eid, fig_root):
    report = smoke_report(eid, fig_root)
    for c in report.claims:
        assert c.holds == c.decide(c.value)
        for v in across(c):
            assert not c.decide(v), (
                f"{eid}/{c.id}: {c.comparison} still holds for {v!r}; the threshold decides nothing")
        # the stored form re-decides from the measurement, too
        assert Claim.from_dict(c.to_dict()).holds == c.holds


def test_questions_and_experiments_point_at_each_other():
    experiments = load_all()
    questions = {q.id: q for q in all_questions()}
    for q in questions.values():
        for eid in q.experiments:
            # A question may also cite an experiment built for another question (its evidence
            # is shared); an experiment's ``questions`` are the ones it was built for.
            assert eid in experiments, f"question {q.id} lists unregistered experiment {eid!r}"
    for exp in experiments.values():
        for qid in exp.questions:
            assert qid in questions, f"experiment {exp.id} names unknown question {qid!r}"
        assert exp.title_en.strip() and exp.title_zh.strip(), f"{exp.id}: title missing"


def test_experiments_do_not_use_torch():
    """PyTorch is a test-time oracle only: no experiment module may import it."""
    import importlib
    import re

    for exp in load_all().values():
        source = Path(importlib.import_module(exp.module).__file__).read_text("utf-8")
        assert not re.search(r"^\s*(import|from)\s+torch\b", source, flags=re.M), (
            f"{exp.id} ({exp.module}) imports torch")


def test_cited_claims_exist_in_smoke_reports(fig_root):
    missing = []
    for q in all_questions():
        for eid, cid in q.cited_claims():
            report = smoke_report(eid, fig_root)
            if cid not in {c.id for c in report.claims}:
                missing.append(f"{q.id}: [[claim:{eid}/{cid}]]")
    assert not missing, f"cited claims that no report makes: {missing}"


def test_first_batch_is_answered():
    questions = {q.id: q for q in all_questions()}
    for qid in BATCH_1:
        assert qid in questions, f"batch question {qid} missing from the question bank"
        assert questions[qid].answered, f"{qid} (first batch) is not answered"


def test_every_answer_is_proven_by_an_experiment():
    for q in all_questions():
        if q.answered:
            assert q.experiments, f"{q.id} is answered but lists no experiment"
            assert q.cited_claims(), f"{q.id} is answered but cites no measured claim"
