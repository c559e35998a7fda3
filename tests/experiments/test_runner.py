"""The runner, its cache and the ``run``/``check`` commands, on small test experiments.

Test experiments are registered for one test only (``monkeypatch`` on the registry dict), so the
generic suite in ``test_all_experiments.py`` never sees them.
"""

from __future__ import annotations

import importlib
import json
import math
import sys
import textwrap
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from dlproof.experiments import cache, registry, runner
from dlproof.experiments.registry import Experiment, ExperimentError, RunConfig

CALLS: list[str] = []


def _demo(cfg: RunConfig, report) -> None:
    """A tiny experiment: one figure, two claims, progress messages."""
    from dlproof.experiments.figures import new_figure

    CALLS.append(cfg.mode)
    report.progress(0.5, "half way")
    fig, ax = new_figure()
    ax.plot([0, 1], [0, 1])
    ax.set_title("中文 and $x^2$")
    report.figure("line", fig, en="A line.", zh="一条直线。")
    report.metric("slope", 1.0)
    report.claim("slope-is-one", en="The slope is 1.", zh="斜率为 1。", value=1.0, op="between",
                 threshold=(0.99, 1.01))
    report.claim("size-positive", en="n > 0", zh="n > 0", value=cfg.pick(3, 30), op=">",
                 threshold=0)


def _nan(cfg: RunConfig, report) -> None:
    report.metric("loss", float("nan"))
    report.claim("loss-small", en="loss < 1", zh="损失 < 1", value=float("inf"), op="<",
                 threshold=1.0)


def _failing(cfg: RunConfig, report) -> None:
    report.claim("wrong", en="1 > 2", zh="1 > 2", value=1.0, op=">", threshold=2.0)


def _boom(cfg: RunConfig, report) -> None:
    raise RuntimeError("boom")


def _register(monkeypatch, eid: str, func, module: str = __name__) -> None:
    monkeypatch.setitem(registry._REGISTRY, eid,
                        Experiment(eid, ("softmax-derivative",), eid, eid, func, module))


@pytest.fixture()
def demo(monkeypatch):
    CALLS.clear()
    _register(monkeypatch, "zz-test-demo", _demo)
    return "zz-test-demo"


def test_run_writes_png_and_svg_and_reports_progress(demo):
    seen: list[tuple[float, str]] = []
    report = runner.run(demo, RunConfig(seed=3), progress=lambda f, m: seen.append((f, m)))
    assert report.all_hold
    (fig,) = report.figures
    assert set(fig.paths) == {"png", "svg"}
    assert Path(fig.paths["png"]).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "<svg" in Path(fig.paths["svg"]).read_text()
    assert Path(fig.paths["png"]).parent == runner.figure_dir(demo, RunConfig(seed=3))
    assert fig.fig is None  # released after saving
    fractions = [f for f, _ in seen]
    assert fractions[0] == 0.0 and fractions[-1] == 1.0
    assert fractions == sorted(fractions)
    assert ("half way" in [m for _, m in seen])
    assert report.metrics == {"slope": 1.0}  # the runner adds nothing to the metrics


def test_cache_hit_returns_stored_report_without_rerunning(demo):
    first = runner.run(demo)
    second = runner.run(demo)
    assert CALLS == ["smoke"]
    assert second.to_dict() == first.to_dict()
    rec = cache.latest_record(demo)
    assert rec.duration_s >= 0 and rec.all_hold
    runner.run(demo, use_cache=False)
    assert CALLS == ["smoke", "smoke"]
    runner.run(demo, RunConfig(seed=1))  # another seed is another key
    assert CALLS == ["smoke", "smoke", "smoke"]


def test_cache_reruns_when_figures_are_gone(demo):
    report = runner.run(demo)
    Path(report.figures[0].paths["png"]).unlink()
    runner.run(demo)
    assert CALLS == ["smoke", "smoke"]


def test_out_dir_receives_figures_also_on_cache_hit(demo, tmp_path):
    runner.run(demo)
    report = runner.run(demo, out_dir=tmp_path / "figs")
    assert CALLS == ["smoke"]
    assert Path(report.figures[0].paths["svg"]).parent == tmp_path / "figs"
    assert (tmp_path / "figs" / "line.png").is_file()


def test_latest_by_mode(demo):
    assert cache.latest(demo) is None
    runner.run(demo, RunConfig(mode="full"))
    runner.run(demo, RunConfig(mode="smoke"))
    assert cache.latest(demo).config.mode == "smoke"
    assert cache.latest(demo, mode="full").config.mode == "full"
    assert cache.latest(demo).claims[1].value == 3


def test_code_version_change_invalidates_cache(monkeypatch, tmp_path):
    src = textwrap.dedent('''
        from dlproof.experiments.registry import experiment
        CALLS = []
        @experiment("zz-test-versioned", questions=["softmax-derivative"], title_en="t", title_zh="t")
        def run(cfg, report):
            CALLS.append(1)
            report.claim("c", en="c", zh="c", value=VALUE, op="==", threshold=VALUE)
        ''')
    path = tmp_path / "zz_versioned_exp.py"
    path.write_text(src.replace("VALUE", "1.0"))
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "zz_versioned_exp", raising=False)
    try:
        mod = importlib.import_module("zz_versioned_exp")
        exp = registry._REGISTRY["zz-test-versioned"]
        v1 = cache.code_version(exp)
        runner.run("zz-test-versioned")
        runner.run("zz-test-versioned")
        assert len(mod.CALLS) == 1
        path.write_text(src.replace("VALUE", "2.0"))
        v2 = cache.code_version(exp)
        assert v2 != v1
        runner.run("zz-test-versioned")
        assert len(mod.CALLS) == 2
    finally:
        registry._REGISTRY.pop("zz-test-versioned", None)
        sys.modules.pop("zz_versioned_exp", None)


def test_code_version_covers_engine_but_not_other_experiments():
    files = {p.as_posix() for p in cache.dependency_files()}
    assert any(f.endswith("experiments/registry.py") for f in files)
    assert any("/engine/" in f for f in files)
    assert not any("/catalog/" in f and not Path(f).name.startswith("_") for f in files)


def test_nan_is_reported_and_never_passes(monkeypatch):
    _register(monkeypatch, "zz-test-nan", _nan)
    report = runner.run("zz-test-nan")
    assert "loss" in report.nonfinite and "claim:loss-small" in report.nonfinite
    assert not report.all_hold and not report.claims[0].holds
    stored = cache.latest("zz-test-nan")
    assert math.isnan(stored.metrics["loss"]) and "loss" in stored.nonfinite


def test_exception_propagates_and_caches_nothing(monkeypatch):
    _register(monkeypatch, "zz-test-boom", _boom)
    with pytest.raises(RuntimeError, match="boom"):
        runner.run("zz-test-boom")
    assert cache.latest("zz-test-boom") is None


def test_unknown_id_suggests_near_matches(demo):
    with pytest.raises(ExperimentError, match="did you mean zz-test-demo"):
        runner.run("zz-test-dmo")


# --- CLI --------------------------------------------------------------------------------------

@pytest.fixture()
def app():
    from dlproof.experiments.commands import register

    a = typer.Typer()
    register(a)
    return a


def test_cli_run_prints_claims_and_figures(app, demo, tmp_path):
    wide = {"COLUMNS": "200"}
    res = CliRunner().invoke(app, ["run", demo, "--seed", "2", "--out", str(tmp_path)], env=wide)
    assert res.exit_code == 0, res.output
    assert "slope-is-one" in res.output and "PASS" in res.output
    assert "line.png" in res.output and (tmp_path / "line.svg").is_file()
    res = CliRunner().invoke(app, ["run", demo, "--lang", "zh", "--full"], env=wide)
    assert res.exit_code == 0 and "斜率为" in res.output


def test_cli_run_exit_codes(app, monkeypatch):
    _register(monkeypatch, "zz-test-failing", _failing)
    res = CliRunner().invoke(app, ["run", "zz-test-failing"])
    assert res.exit_code == 1 and "FAIL" in res.output
    res = CliRunner().invoke(app, ["run", "zz-test-failin"])
    assert res.exit_code == 2 and "did you mean zz-test-failing" in res.output


def test_cli_check_reports_errors_and_continues(app, demo, monkeypatch):
    _register(monkeypatch, "zz-test-boom", _boom)
    monkeypatch.setattr(registry, "load_all",
                        lambda: {k: registry._REGISTRY[k] for k in (demo, "zz-test-boom")})
    res = CliRunner().invoke(app, ["check", "--json"])
    assert res.exit_code == 1
    data = json.loads(res.output)
    by_id = {e["experiment_id"]: e for e in data["experiments"]}
    assert by_id["zz-test-boom"]["error"] == "RuntimeError: boom"
    assert by_id[demo]["ok"] and len(by_id[demo]["claims"]) == 2
    monkeypatch.setattr(registry, "load_all", lambda: {demo: registry._REGISTRY[demo]})
    res = CliRunner().invoke(app, ["check"])
    assert res.exit_code == 0, res.output
    assert "1 experiments, 2 claims, 0 failed, 0 errors" in res.output


def test_cli_check_json_is_strict_with_nan(app, monkeypatch):
    _register(monkeypatch, "zz-test-nan", _nan)
    monkeypatch.setattr(registry, "load_all", lambda: {"zz-test-nan": registry._REGISTRY["zz-test-nan"]})
    res = CliRunner().invoke(app, ["check", "--json"])
    assert res.exit_code == 1
    data = json.loads(res.output, parse_constant=lambda c: pytest.fail(f"non-JSON constant {c}"))
    (entry,) = data["experiments"]
    assert entry["claims"][0]["value"] is None and "claim:loss-small" in entry["nonfinite"]


def test_cli_check_unknown_topic(app):
    res = CliRunner().invoke(app, ["check", "--topic", "activation"])
    assert res.exit_code == 2
    assert "activations" in res.output


def test_figures_render_chinese_and_fallback_glyphs_without_warnings(tmp_path):
    import warnings

    from dlproof.experiments import figures

    fig, ax = figures.new_figure()
    ax.set_title("中文标题 W\u1d40 x\u00b2")  # CJK glyphs and a glyph only DejaVu has
    if not figures.CJK_FONT_PATH.exists():
        pytest.skip("WenQuanYi Micro Hei is not installed (apt-get install fonts-wqy-microhei)")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        paths = figures.save(fig, tmp_path, "cjk")
    assert figures.cjk_available
    assert Path(paths["png"]).stat().st_size > 0 and Path(paths["svg"]).stat().st_size > 0
    assert not list(tmp_path.glob(".cjk.*"))  # no temporary files left behind
