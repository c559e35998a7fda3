"""Seed sweeps and parallel checks: ``dlproof check --seeds ... --jobs N`` and its machinery.

* the seed-list parser, the per-claim statistics and the failure list, on test experiments that
  fail on chosen seeds (run in this process: ``--jobs 1``);
* the parallel worker pool gives the same reports as a serial run (two real catalog experiments:
  a spawned worker imports only the registered catalog) and relays progress;
* the command's table, JSON, exit codes (1 naming the failing seeds, 2 for bad input).
"""

from __future__ import annotations

import json

import pytest
import typer
from typer.testing import CliRunner

from dlproof.experiments import registry, sweep, workers
from dlproof.experiments.registry import Experiment, RunConfig

# Two small catalog experiments whose reports have no wall-clock metric, so a parallel run must
# reproduce them exactly; their values differ between seeds.
SMALL = ["kkt-conditions", "markov-stationary"]


def _flaky(cfg: RunConfig, report) -> None:
    """Fails its second claim on odd seeds."""
    report.metric("seed", cfg.seed)
    report.claim("always", en="Holds.", zh="成立。", value=0.1 * cfg.seed, op="<", threshold=10)
    report.claim("even-seeds", en="Even.", zh="偶数。", value=cfg.seed % 2, op="==", threshold=0)


def _boom_on_two(cfg: RunConfig, report) -> None:
    if cfg.seed == 2:
        raise RuntimeError("boom")
    report.claim("fine", en="Fine.", zh="好。", value=1.0, op=">", threshold=0)


@pytest.fixture()
def fake(monkeypatch):
    for eid, func in (("zz-sweep-flaky", _flaky), ("zz-sweep-boom", _boom_on_two)):
        monkeypatch.setitem(registry._REGISTRY, eid,
                            Experiment(eid, ("softmax-derivative",), eid, eid, func, __name__))
    return ["zz-sweep-flaky", "zz-sweep-boom"]


@pytest.fixture()
def app():
    from dlproof.experiments.commands import register

    a = typer.Typer()
    register(a)
    return a


# ---- parsing and statistics ---------------------------------------------------------------------

def test_parse_seeds():
    assert sweep.parse_seeds("0-9") == list(range(10))
    assert sweep.parse_seeds("3, 0,5-6,5") == [0, 3, 5, 6]
    for bad, what in (("x", "use a list"), ("a-b", "use a list"), ("5-2", "empty"),
                      ("", "between 1"), ("-1", "use a list"), ("0-200", "between 1")):
        with pytest.raises(sweep.SweepError, match=what):
            sweep.parse_seeds(bad)


def test_claim_stats_count_seeds_and_spread(fake):
    res = sweep.run_sweep(["zz-sweep-flaky"], seeds=[0, 1, 2, 3, 4], jobs=1)
    st = res.experiments["zz-sweep-flaky"].claims
    assert st["always"]["held"] == 5 and st["always"]["of"] == 5
    assert st["always"]["min"] == 0.0 and st["always"]["max"] == pytest.approx(0.4)
    assert st["always"]["median"] == pytest.approx(0.2)
    assert st["even-seeds"]["held"] == 3 and st["even-seeds"]["failed_seeds"] == [1, 3]
    assert not res.ok
    fails = res.failures()
    assert [(f.claim_id, f.seed, f.value) for f in fails] == [("even-seeds", 1, 1.0),
                                                              ("even-seeds", 3, 1.0)]
    assert str(fails[0]) == "zz-sweep-flaky/even-seeds seed 1: measured 1.0, needs value == 0"


def test_an_error_on_one_seed_is_reported_and_the_others_still_run(fake):
    res = sweep.run_sweep(["zz-sweep-boom"], seeds=[0, 1, 2], jobs=1)
    e = res.experiments["zz-sweep-boom"]
    assert e.errors == {2: "RuntimeError: boom"} and sorted(e.reports) == [0, 1]
    assert e.claims["fine"]["held"] == 2 and not res.ok
    assert str(res.failures()[0]) == "zz-sweep-boom seed 2: RuntimeError: boom"


def test_bad_sweep_input_is_refused():
    with pytest.raises(sweep.SweepError, match="did you mean kkt-conditions"):
        sweep.run_sweep(["kkt-condition"], seeds=[0])
    with pytest.raises(sweep.SweepError, match="mode"):
        sweep.run_sweep(SMALL, mode="fast", seeds=[0])
    with pytest.raises(sweep.SweepError, match="--jobs"):
        sweep.run_sweep(SMALL, seeds=[0], jobs=0)


# ---- parallel = serial --------------------------------------------------------------------------

def test_jobs_2_gives_the_reports_of_jobs_1():
    serial = sweep.run_sweep(SMALL, seeds=[0, 1], jobs=1)
    seen: dict = {}
    parallel = sweep.run_sweep(SMALL, seeds=[0, 1], jobs=2,
                               on_progress=lambda key, f, m: seen.setdefault(key, []).append(f))
    assert serial.ok and parallel.ok
    for eid in SMALL:
        a, b = serial.experiments[eid], parallel.experiments[eid]
        assert not a.errors and not b.errors
        assert a.reports == b.reports  # metrics, tables, claims: every number identical
        assert a.claims == b.claims
        assert a.claims != {}
    # the seeds really differ, so the comparison is not trivially equal
    st = serial.experiments["markov-stationary"].claims["tv-rate-is-lambda2"]["values"]
    assert st[0] != st[1]
    # every worker task announced its start
    assert sorted(seen) == sorted((eid, s) for eid in SMALL for s in (0, 1))
    assert all(v[0] == 0.0 for v in seen.values())


def test_run_tasks_reports_worker_errors_per_task():
    got: dict = {}
    tasks = [workers.Task("ok", "kkt-conditions", "smoke", 0),
             workers.Task("bad", "no-such-experiment", "smoke", 0)]
    workers.run_tasks(tasks, jobs=2, on_done=lambda key, out, err: got.update({key: (out, err)}))
    assert got["ok"][1] is None and got["ok"][0]["report"]["claims"]
    assert got["bad"][0] is None and "unknown experiment 'no-such-experiment'" in got["bad"][1]


# ---- the command --------------------------------------------------------------------------------

def test_check_seeds_exit_1_names_the_failing_seeds(app, fake):
    wide = {"COLUMNS": "200"}
    res = CliRunner().invoke(app, ["check", "--seeds", "0-3", "--jobs", "1", *fake], env=wide)
    assert res.exit_code == 1, res.output
    assert "zz-sweep-flaky/even-seeds seed 1: measured 1.0, needs value == 0" in res.output
    assert "zz-sweep-flaky/even-seeds seed 3" in res.output
    assert "zz-sweep-boom seed 2: RuntimeError: boom" in res.output
    assert "2/4" in res.output and "1,3" in res.output  # held k/n and the failing seeds
    assert "2/3 claims hold on every seed" in res.output

    res = CliRunner().invoke(app, ["check", "--seeds", "0,2", "--jobs", "1", "--json",
                                   "zz-sweep-flaky"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    assert data["ok"] and data["seeds"] == [0, 2] and data["mode"] == "smoke"
    (exp,) = data["experiments"]
    by_id = {c["id"]: c for c in exp["claims"]}
    assert by_id["even-seeds"]["held"] == 2 and by_id["even-seeds"]["values"] == {"0": 0.0,
                                                                                   "2": 0.0}
    assert by_id["always"]["max"] == pytest.approx(0.2)


def test_check_seeds_json_is_the_same_with_jobs_2(app):
    outs = []
    for jobs in ("1", "2"):
        res = CliRunner().invoke(app, ["check", "--seeds", "0-1", "--jobs", jobs, "--json", *SMALL])
        assert res.exit_code == 0, res.output
        data = json.loads(res.output)
        outs.append([{k: v for k, v in e.items() if k != "duration_s"} for e in data["experiments"]])
    assert outs[0] == outs[1]


def test_check_bad_input_exits_2(app):
    res = CliRunner().invoke(app, ["check", "--seeds", "x", "kkt-conditions"])
    assert res.exit_code == 2 and "--seeds 'x'" in res.output
    res = CliRunner().invoke(app, ["check", "--seeds", "0-1", "kkt-condition"])
    assert res.exit_code == 2 and "unknown experiment 'kkt-condition'" in res.output
    res = CliRunner().invoke(app, ["check", "kkt-condition"])
    assert res.exit_code == 2 and "did you mean kkt-conditions" in res.output
    res = CliRunner().invoke(app, ["check", "--seed", "3", "--seeds", "0-1", "kkt-conditions"])
    assert res.exit_code == 2 and "either --seed N or --seeds" in res.output
    res = CliRunner().invoke(app, ["check", "--all"])
    assert res.exit_code == 2 and "--snapshot" in res.output


def test_check_one_seed_in_parallel_matches_serial(app, tmp_path, monkeypatch):
    monkeypatch.setenv("DLPROOF_HOME", str(tmp_path))
    outs = []
    for jobs in ("1", "2"):
        res = CliRunner().invoke(app, ["check", "--jobs", jobs, "--json", "--no-cache", *SMALL])
        assert res.exit_code == 0, res.output
        outs.append(json.loads(res.output))
    assert outs[0] == outs[1] and [e["experiment_id"] for e in outs[0]["experiments"]] == SMALL
