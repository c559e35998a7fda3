"""The evidence snapshot shipped with the package, its reader, its writer and ``source_version``.

The first tests check the snapshot in the source tree against the code: every registered
experiment has an entry, its claims all hold, and it was measured with today's code. When one of
them fails after an experiment (or code it uses) changed, regenerate the snapshot with
``dlproof check --full --snapshot --jobs 2`` (incremental: only the changed experiments rerun).
"""

from __future__ import annotations

import importlib
import json
import sys

import pytest

from dlproof.experiments import registry, snapshot, snapshot_build, sources
from dlproof.experiments.cache import source_version

FIX = f"regenerate it with `{snapshot.WRITER_COMMAND} --jobs 2` (only changed experiments rerun)"
MAX_BYTES = 20_000_000


@pytest.fixture(scope="module")
def shipped():
    return snapshot.load()


def test_every_registered_experiment_has_a_snapshot_entry(shipped):
    missing = sorted(set(registry.load_all()) - set(shipped.entries))
    assert not missing, f"no snapshot entry for {missing}: {FIX}"


def test_every_snapshot_entry_is_full_mode_seed_0_and_all_its_claims_hold(shipped):
    bad = {}
    for eid, e in shipped.entries.items():
        assert (e.mode, e.seed, e.report.config.mode, e.report.config.seed) == ("full", 0, "full", 0)
        failing = [c.id for c in e.report.claims if not c.holds] + e.report.nonfinite
        if failing or not e.report.claims:
            bad[eid] = failing or ["no claims"]
    assert not bad, f"snapshot entries whose claims do not all hold: {bad}"


def test_every_snapshot_entry_was_measured_with_the_current_code(shipped):
    stale = sorted(eid for eid, e in shipped.entries.items() if not e.is_current())
    assert not stale, f"the snapshot of {stale} was measured on older code: {FIX}"


def test_snapshot_figures_exist_and_the_package_stays_small(shipped):
    for eid, e in shipped.entries.items():
        for f in e.report.figures:
            assert f.paths.get("svg"), f"{eid}/{f.name}: no SVG in the snapshot"
    extra = [d.name for d in (shipped.directory / "figures").iterdir()
             if d.name not in shipped.entries] if (shipped.directory / "figures").is_dir() else []
    assert not extra, f"figure folders without an entry: {extra}"
    size = snapshot_build.evidence_size(shipped.directory)
    assert size < MAX_BYTES, f"the evidence snapshot is {size / 1e6:.1f} MB"


# ---- source_version ----------------------------------------------------------------------------

def test_source_version_follows_imports_and_ignores_bookkeeping():
    exp = registry.get("softmax-jacobian")
    files = {p.relative_to(sources.package_root()).as_posix()
             for p in sources.dependency_closure(sources.package_root()
                                                 / "experiments/catalog/softmax_jacobian.py")}
    assert "experiments/catalog/softmax_jacobian.py" in files
    assert "nn/functional.py" in files  # imported by the experiment
    assert "engine/ops/__init__.py" in files and "engine/__init__.py" in files
    assert "experiments/registry.py" in files and "experiments/figures.py" in files
    assert not files & sources.BOOKKEEPING
    assert "experiments/catalog/batchnorm_mechanics.py" not in files  # another experiment
    v = source_version(exp)
    assert len(v) == 16 and v == source_version(exp)


# ---- the writer and reader on a scratch evidence directory ------------------------------------

EXP_SRC = '''
from dlproof.experiments.registry import experiment
from dlproof.experiments import figures

VALUE = {value}


def run(cfg, report):
    fig, ax = figures.new_figure(size=(3, 2))
    ax.plot(range(2000), [i % 7 for i in range(2000)])
    report.figure("curve", fig, en="A curve.", zh="曲线。")
    report.metric("seed", cfg.seed)
    report.claim("small", en="Small.", zh="小。", value=VALUE + cfg.seed * 0.01, op="<",
                 threshold=1.0)
'''


@pytest.fixture()
def scratch(tmp_path, monkeypatch):
    """A registry with one experiment defined in a file we can edit, and an empty evidence dir."""
    pkg = tmp_path / "mods"
    pkg.mkdir()
    src = pkg / "snap_test_exp.py"
    src.write_text(EXP_SRC.format(value=0.5), "utf-8")
    monkeypatch.syspath_prepend(str(pkg))
    mod = importlib.import_module("snap_test_exp")
    exp = registry.Experiment("snap-test", ("q",), "t", "t", mod.run, mod.__name__)
    monkeypatch.setattr(registry, "load_all", lambda: {"snap-test": exp})
    monkeypatch.setattr(registry, "get", lambda eid: exp)
    yield {"dir": tmp_path / "evidence", "src": src, "exp": exp}
    sys.modules.pop("snap_test_exp", None)


def _build(scratch, **kw):
    return snapshot_build.build(evidence_dir=scratch["dir"], log=lambda line: None, **kw)


def test_writer_then_reader_round_trip(scratch):
    res = _build(scratch)
    assert res.ok and res.rerun == ["snap-test"]
    data = json.loads((scratch["dir"] / "index.json").read_text("utf-8"))
    assert data["format"] == 1 and data["numpy"] and data["scipy"]
    rec = data["experiments"]["snap-test"]
    assert rec["report"]["figures"][0]["paths"] == {"svg": "figures/snap-test/curve.svg"}
    e = snapshot.load(scratch["dir"]).get("snap-test")
    assert e.measured_at.endswith("Z") and e.source_version == source_version(scratch["exp"])
    assert e.report.claims[0].value == 0.5 and e.report.claims[0].holds
    svg = e.report.figures[0].paths["svg"]
    assert svg.startswith(str(scratch["dir"].resolve())) and svg.endswith("curve.svg")
    assert e.is_current() and e.seeds == {}


def test_writer_is_incremental_and_all_reruns(scratch):
    _build(scratch)
    first = snapshot.parse(scratch["dir"]).get("snap-test").measured_at
    again = _build(scratch)
    assert again.rerun == [] and again.kept == ["snap-test"]
    assert _build(scratch, rerun_all=True).rerun == ["snap-test"]
    # an edit to the experiment's source makes the entry stale, and the writer reruns it
    scratch["src"].write_text(EXP_SRC.format(value=0.25), "utf-8")
    assert not snapshot.parse(scratch["dir"]).get("snap-test").is_current()
    sys.modules.pop("snap_test_exp")
    mod = importlib.import_module("snap_test_exp")
    object.__setattr__(scratch["exp"], "func", mod.run)
    res = _build(scratch)
    assert res.rerun == ["snap-test"]
    e = snapshot.parse(scratch["dir"]).get("snap-test")
    assert e.report.claims[0].value == 0.25 and e.is_current() and e.measured_at >= first


def test_writer_reports_failing_claims_and_keeps_the_old_entry_on_error(scratch):
    _build(scratch)
    scratch["src"].write_text(EXP_SRC.format(value=2.0), "utf-8")  # the claim now fails
    sys.modules.pop("snap_test_exp")
    object.__setattr__(scratch["exp"], "func", importlib.import_module("snap_test_exp").run)
    res = _build(scratch)
    assert not res.ok and res.failing == {"snap-test": ["small"]}
    assert not snapshot.parse(scratch["dir"]).get("snap-test").report.claims[0].holds

    def broken(cfg, report):
        raise RuntimeError("boom")

    object.__setattr__(scratch["exp"], "func", broken)
    res = _build(scratch, rerun_all=True)
    assert "boom" in res.errors["snap-test"]
    assert snapshot.parse(scratch["dir"]).get("snap-test").report.claims[0].value == 2.0


def test_seed_sweep_counts_the_seeds_each_claim_holds_on(scratch):
    res = _build(scratch, seeds=[0, 1, 2], sweep_modes=("smoke",))
    assert res.ok
    e = snapshot.parse(scratch["dir"]).get("snap-test")
    sweep = e.seeds["smoke"]
    assert sweep["seeds"] == [0, 1, 2]
    assert sweep["claims"]["small"]["held"] == 3 and sweep["claims"]["small"]["of"] == 3
    assert sweep["claims"]["small"]["max"] == pytest.approx(0.52)
    assert e.sweep("small") == (3, 3, "smoke")
    ev = snapshot.evidence("snap-test", directory=scratch["dir"])
    assert ev.sweep_text("small", "en") == "holds on 3/3 seeds (smoke)"


def test_unregistered_entries_and_their_figures_are_dropped(scratch, monkeypatch):
    _build(scratch)
    monkeypatch.setattr(registry, "load_all", lambda: {})
    res = _build(scratch)
    assert res.dropped == ["snap-test"]
    assert snapshot.parse(scratch["dir"]).entries == {}
    assert not (scratch["dir"] / "figures" / "snap-test").exists()


def test_dense_svg_figures_are_rasterized_below_the_budget(tmp_path):
    from dlproof.experiments import figures

    fig, ax = figures.new_figure(size=(4, 3))
    n = 20_000
    ax.scatter(range(n), [(i * 7919) % 1000 for i in range(n)], s=2)  # one <use> per point
    plain = tmp_path / "plain.svg"
    fig.savefig(plain, format="svg")
    assert plain.stat().st_size > snapshot_build.SVG_BUDGET
    path = snapshot_build.save_svg(fig, tmp_path, "dense")
    assert path.stat().st_size < snapshot_build.SVG_BUDGET
    assert "<image" in path.read_text("utf-8")


def test_writer_refuses_bad_options(scratch):
    with pytest.raises(snapshot_build.SnapshotError, match="--jobs"):
        _build(scratch, jobs=0)
    with pytest.raises(snapshot_build.SnapshotError, match="not registered"):
        _build(scratch, ids=["nope"])
    with pytest.raises(snapshot_build.SnapshotError, match="seeds"):
        snapshot_build.parse_seeds("a-b")
    assert snapshot_build.parse_seeds("0-2,5") == [0, 1, 2, 5]


# ---- what the views show ------------------------------------------------------------------------

def test_evidence_prefers_the_users_run_and_labels_the_snapshot(scratch):
    from dlproof.experiments import cache, runner

    _build(scratch)
    ev = snapshot.evidence("snap-test", directory=scratch["dir"])
    assert ev.source == "snapshot" and ev.current
    short = ev.source_version[:7]
    assert ev.label("en") == f"measured on {ev.measured_at[:10]}, full mode, seed 0, code {short}"
    assert "代码" in ev.label("zh")
    # the code changes: the same entry now says it is from an older version
    scratch["src"].write_text(EXP_SRC.format(value=0.3), "utf-8")
    ev = snapshot.evidence("snap-test", directory=scratch["dir"])
    assert not ev.current and ev.label("en").startswith("measured on an older version of the code")
    # the user's own run replaces it
    runner.run("snap-test", registry.RunConfig("smoke", 4))
    ev = snapshot.evidence("snap-test", directory=scratch["dir"])
    assert ev.source == "run" and ev.report.config.seed == 4
    assert ev.label("en").startswith("your run, ") and ev.sweep_text("small", "en") == ""
    cache.clear("snap-test")


def test_check_snapshot_command_needs_full_mode_seed_0():
    import typer
    from typer.testing import CliRunner

    from dlproof.experiments.commands import register

    app = typer.Typer()
    register(app)
    r = CliRunner().invoke(app, ["check", "--snapshot"])
    assert r.exit_code == 2 and "full mode with seed 0" in r.output
    r = CliRunner().invoke(app, ["check", "--all"])  # --jobs and --seeds also work without it
    assert r.exit_code == 2 and "--snapshot" in r.output
