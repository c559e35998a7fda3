"""Every exercise: its hand-written solution passes, each named mistake fails *with its name*, a
hanging solution times out, and the engine's reverse mode agrees with the grader's finite
differences."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from dlproof.practice import grader
from dlproof.practice.exercise import all_exercises

SOLUTIONS = Path(__file__).parent / "solutions"
EXERCISES = all_exercises()


def solution_source(ex_id: str) -> str:
    path = SOLUTIONS / f"{ex_id.replace('-', '_')}.py"
    assert path.is_file(), f"exercise {ex_id} has no hand-written solution at {path}"
    return path.read_text(encoding="utf-8")


def write(tmp_path: Path, name: str, source: str) -> Path:
    p = tmp_path / name
    p.write_text(source, encoding="utf-8")
    return p


def test_enough_exercises_and_every_one_has_a_solution_and_a_mistake():
    from dlproof.handbook.loader import all_questions

    ids = {q.id for q in all_questions()}
    assert len(EXERCISES) >= 25
    for ex in EXERCISES.values():
        assert ex.question in ids, f"{ex.id} points at {ex.question!r}, not a question of the handbook"
        solution_source(ex.id)
        assert ex.mistakes, f"{ex.id} names no classic mistake"
        assert "NotImplementedError" in ex.stub
        for fn in ex.functions:
            assert f"def {fn}(" in ex.stub, f"{ex.id}: the stub lacks {fn}"


@pytest.mark.parametrize("ex_id", sorted(EXERCISES))
@pytest.mark.parametrize("seed", [0, 1])
def test_hand_written_solution_passes(ex_id, seed, tmp_path):
    g = grader.grade(EXERCISES[ex_id], write(tmp_path, "sol.py", solution_source(ex_id)), seed=seed)
    assert g.passed, [(c.fn, c.label, c.message) for c in g.cases if not c.passed] or g.error


@pytest.mark.parametrize("ex_id,mistake_id",
                         [(e.id, m.id) for e in EXERCISES.values() for m in e.mistakes])
def test_each_classic_mistake_fails_with_its_name(ex_id, mistake_id, tmp_path):
    ex = EXERCISES[ex_id]
    m = next(m for m in ex.mistakes if m.id == mistake_id)
    source = solution_source(ex_id) + (
        "\n\nfrom dlproof.practice.exercise import get as _get\n"
        f"{m.fn} = next(m for m in _get({ex_id!r}).mistakes if m.id == {mistake_id!r}).impl\n")
    g = grader.grade(ex, write(tmp_path, "wrong.py", source), seed=3)
    assert not g.passed
    assert mistake_id in [x.id for x in g.mistakes], [(c.label, c.message) for c in g.cases if not c.passed]


def test_stub_as_written_fails_with_not_implemented(tmp_path):
    ex = EXERCISES["softmax-stable"]
    g = grader.grade(ex, write(tmp_path, "stub.py", ex.stub), seed=0)
    assert not g.passed and all("not implemented yet" in c.message for c in g.cases)


@pytest.mark.parametrize("ex_id", sorted(EXERCISES))
def test_a_hanging_solution_times_out_cleanly(ex_id, tmp_path):
    ex = EXERCISES[ex_id]
    source = "".join(f"def {fn}(**kwargs):\n    while True:\n        pass\n\n\n" for fn in ex.functions)
    g = grader.grade(ex, write(tmp_path, "hang.py", source), seed=0, timeout_s=0.5)
    assert g.timed_out and not g.passed and "timed out after 0.5 s" in g.error


def test_syntax_error_and_missing_function_are_named(tmp_path):
    ex = EXERCISES["softmax-stable"]
    g = grader.grade(ex, write(tmp_path, "bad.py", "def softmax(z)\n    return z\n"), seed=0)
    assert not g.passed and "did not load" in g.error and "SyntaxError" in g.error
    g = grader.grade(ex, write(tmp_path, "other.py", "def soft_max(z):\n    return z\n"), seed=0)
    assert all("no function named 'softmax'" in c.message for c in g.cases)


def test_wrong_shape_is_reported(tmp_path):
    ex = EXERCISES["logsumexp"]
    source = ("import numpy as np\n\ndef logsumexp(z):\n    m = z.max(-1, keepdims=True)\n"
              "    return m + np.log(np.exp(z - m).sum(-1, keepdims=True))\n")
    g = grader.grade(ex, write(tmp_path, "keep.py", source), seed=0)
    assert not g.passed and any("expected shape" in c.message for c in g.cases)


def test_user_code_writes_only_into_the_temporary_copy(tmp_path):
    """A solution that overwrites its own file and the grader's call file changes neither the
    user's original nor the verdict (the expected values live in the grading process)."""
    ex = EXERCISES["softmax-stable"]
    source = solution_source("softmax-stable") + (
        "\nfrom pathlib import Path as _P\n"
        "_P(__file__).write_text('garbage')\n"
        "for _f in ('calls.json', 'calls.npz'):\n"
        "    _P(_f).write_text('garbage')\n")
    path = write(tmp_path, "sneaky.py", source)
    g = grader.grade(ex, path, seed=0)
    assert g.passed
    assert path.read_text(encoding="utf-8") == source
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sneaky.py"]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_finite_difference_references_agree_with_the_engine(seed):
    from dlproof.nn import functional as F
    from dlproof.practice.catalog._engine import vjp
    from dlproof.practice.catalog.softmax_losses import _ref_ce_grad, _ref_softmax_backward

    rng = np.random.default_rng(seed)
    z, g = rng.normal(0, 2, (3, 5)), rng.normal(0, 1, (3, 5))
    (exact,) = vjp(lambda z: F.softmax(z, dim=-1), {"z": z}, ["z"], g)
    np.testing.assert_allclose(_ref_softmax_backward(z, g), exact, rtol=1e-7, atol=1e-9)
    targets = rng.integers(0, 5, 3)
    (exact,) = vjp(lambda logits: F.cross_entropy(logits, targets), {"logits": z}, ["logits"], np.array(1.0))
    np.testing.assert_allclose(_ref_ce_grad(z, targets), exact, rtol=1e-7, atol=1e-9)


def test_the_source_index_used_by_show_equals_the_registry():
    from dlproof.practice.index import exercise_index

    assert {(e.id, e.question, e.title_en, e.title_zh) for e in exercise_index()} == {
        (e.id, e.question, e.title_en, e.title_zh) for e in EXERCISES.values()}
