"""Smoke test of the benchmark runner (bench/, run from the source checkout).

Runs ``python -m bench --tiny`` in-process: tiny sizes, 1-2 samples, so it proves the machinery
(the float64 parity check of every workload, interleaved timing, start-up timing, JSON output)
without measuring anything. No timing assertions: times only have to be finite and positive.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture()
def bench_runner(torch):
    if str(REPO_ROOT) not in sys.path:
        sys.path.insert(0, str(REPO_ROOT))
    from bench import runner

    return runner


def _positive(x) -> bool:
    return isinstance(x, int | float) and math.isfinite(x) and x > 0


@pytest.mark.torch
def test_tiny_run_writes_json_with_every_workload(bench_runner, tmp_path, capsys):
    from bench.workloads import all_workloads

    out = tmp_path / "bench.json"
    bench_runner.main(["--tiny", "--threads", "1", "--no-check-command", "--json", str(out)])
    result = json.loads(out.read_text(encoding="utf-8"))

    names = [w.name for w in all_workloads()]
    assert [w["name"] for w in result["workloads"]] == names
    for w in result["workloads"]:
        assert w["status"] == "ok", f"{w['name']}: {w['status']}: {w.get('message')}"
        assert w["check"]["ok"], w["check"]["problems"]
        t = w["timing"]
        for key in ("dlproof_s", "torch_s", "ratio", "ratio_min", "ratio_max"):
            assert _positive(t[key]), (w["name"], key, t[key])
    for key in ("machine", "versions", "env"):
        assert result["environment"][key]
    assert result["threads"]["torch"] >= 1
    assert any(p.get("user_api") == "blas" for p in result["threads"]["blas_pools"])

    startup = {c["name"]: c for c in result["startup"]}
    assert {"import_dlproof", "cli_help", "cli_show"} <= set(startup)
    assert "cli_check" not in startup
    for c in startup.values():
        if c["status"] == "ok":
            assert _positive(c["median_s"]), c
        else:  # a command that does not exist yet is skipped with a message, not a crash
            assert c["status"] == "skipped" and c["message"], c
    assert startup["import_dlproof"]["status"] == "ok"
    assert "ratio" in capsys.readouterr().out


@pytest.mark.torch
def test_only_selects_and_unknown_name_is_an_error(bench_runner, tmp_path):
    out = tmp_path / "one.json"
    bench_runner.main(
        ["--tiny", "--threads", "1", "--no-startup", "--only", "chain", "--json", str(out)]
    )
    result = json.loads(out.read_text(encoding="utf-8"))
    assert [w["name"] for w in result["workloads"]] == ["chain_f32"]
    assert "startup" not in result
    with pytest.raises(SystemExit):
        bench_runner.main(["--tiny", "--only", "no-such-workload"])


def test_dlproof_bench_command_finds_the_source_checkout():
    from dlproof.bench_command import find_bench_root

    assert find_bench_root() == REPO_ROOT


def test_dlproof_bench_without_a_checkout_says_so(monkeypatch):
    """An installed package has no bench/: the command must say what to do, not crash."""
    from typer.testing import CliRunner

    from dlproof import bench_command, cli

    monkeypatch.setattr(bench_command, "find_bench_root", lambda: None)
    cli._register_extensions()
    result = CliRunner().invoke(cli.app, ["bench", "--list"])
    assert result.exit_code == 2
    assert "source checkout" in result.output


@pytest.mark.torch
def test_dlproof_bench_runs_the_checkout_suite_in_a_child_process(torch, monkeypatch):
    """`dlproof bench --list` lists the workloads without importing bench/ into the CLI process."""
    from typer.testing import CliRunner

    from dlproof import cli

    def bench_modules():
        return [m for m in sys.modules if m == "bench" or m.startswith("bench.")]

    for name in bench_modules():  # restored after the test
        monkeypatch.delitem(sys.modules, name)
    cli._register_extensions()
    result = CliRunner().invoke(cli.app, ["bench", "--list"])
    assert result.exit_code == 0, result.output
    assert bench_modules() == []


@pytest.mark.torch
def test_a_wrong_computation_is_reported_as_mismatch_and_not_timed(bench_runner):
    """Negative control: the parity check must catch a dlproof result that differs from torch."""
    from bench.harness import TimingConfig
    from bench.workloads import Case, Workload, build_ce

    def build_wrong(dtype, tiny):
        case = build_ce(4, 3)(dtype, tiny)

        def wrong_state(state=case.dl_state):
            out = state()
            out["grad.logits"] = out["grad.logits"] * (1 + 1e-4)  # a 0.01% error in a gradient
            return out

        return Case(case.dl_step, case.torch_step, wrong_state, case.torch_state)

    w = Workload("wrong_ce", "deliberately wrong", "float32", 1.0, build_wrong,
                 ("nn.functional.cross_entropy",))
    res = bench_runner.run_workload(w, TimingConfig.named("tiny"), tiny=True)
    assert res["status"] == "mismatch"
    assert "grad.logits" in res["message"]
    assert "timing" not in res


@pytest.mark.torch
def test_rbm_cd1_workload_agrees_exactly_and_depends_on_the_shared_uniforms(bench_runner):
    """The RBM CD-1 step compares gradients and updated parameters in float64 (full size); the
    Bernoulli samples come from thresholding the same pre-drawn uniforms on both sides, so
    replaying different uniforms on one side must break the agreement (negative control)."""
    from bench.workloads import all_workloads, build_rbm, check

    w = next(w for w in all_workloads() if w.name == "rbm_cd1_f32")
    res = check(w, tiny=False)
    assert res["ok"], res["problems"]
    assert {"grad.W", "grad.b", "grad.c", "param.W", "param.b", "param.c"} <= set(res["compared"])
    assert res["max_rel_error"] < 1e-12

    def build_other_uniforms(dtype, tiny):
        return build_rbm(dtype, tiny, dl_uniform_seed=7)

    bad = type(w)("rbm_other_uniforms", "negative control", "float32", 1.0, build_other_uniforms,
                  w.needs)
    assert not check(bad, tiny=True)["ok"]
