"""The `dlproof` command's core commands, through the real entry point."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys

from typer.testing import CliRunner

from dlproof import cli

runner = CliRunner()


def invoke(*args):
    cli._register_extensions()
    return runner.invoke(cli.app, list(args))


def test_list_json_is_the_stable_contract():
    result = invoke("list", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert len(data) == 91
    assert len({d["topic"] for d in data}) == 20
    for d in data:
        assert {"id", "topic", "title_zh", "title_en", "seed_lines", "answered"} <= set(d)
        assert isinstance(d["answered"], bool) and isinstance(d["seed_lines"], list)


def test_list_by_topic_and_unknown_topic():
    data = json.loads(invoke("list", "--topic", "cnn", "--json").output)
    assert data and all(d["topic"] == "cnn" for d in data)
    result = invoke("list", "--topic", "cnns")
    assert result.exit_code == 2
    assert "unknown topic 'cnns'" in result.output and "cnn" in result.output


def test_show_prints_title_and_seed_line_in_english():
    result = invoke("show", "softmax-derivative", "--lang", "en")
    assert result.exit_code == 0, result.output
    assert "Derive the derivative of the softmax function" in result.output
    assert "softmax函数导数的推导" in result.output


def test_show_claims_table_keeps_whole_claim_ids_at_80_columns():
    # A reader copies the id from this table to rerun the claim: it must never be cut to "...".
    result = runner.invoke(cli.app, ["show", "dl-applications-models", "--lang", "en"],
                           env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    first_cells = [line.split("│")[1].strip() for line in result.output.splitlines()
                   if line.startswith("│") and line.count("│") >= 6]
    assert first_cells, result.output
    assert not any("…" in cell for cell in first_cells)
    assert "inductive-bias-match/cnn-beats-mlp-on-images" in "".join(first_cells)


def test_show_unanswered_question_says_so_plainly(tmp_path, monkeypatch):
    """Every question of the bank is answered now, so strip one answer in a copy of the bank."""
    from dlproof.handbook import loader

    src = loader.questions_dir() / "batchnorm.md"
    text = src.read_text(encoding="utf-8")
    front = text[: text.index("\n# zh")] + "\n"  # TOML metadata only: an unanswered question
    (tmp_path / "batchnorm.md").write_text(front, encoding="utf-8")
    monkeypatch.setattr(loader, "questions_dir", lambda: tmp_path)
    assert not loader.load_one("batchnorm").answered
    out = invoke("show", "batchnorm", "--lang", "en").output
    assert "Not answered yet" in out
    assert "这道题还没有解答" in invoke("show", "batchnorm").output


def test_show_unknown_id_suggests_the_closest():
    result = invoke("show", "softmax-derivativ")
    assert result.exit_code == 2
    assert "no question with id 'softmax-derivativ'" in result.output
    assert "softmax-derivative" in result.output


def test_show_by_text_finds_the_question():
    result = invoke("show", "梯度消失", "--lang", "en")
    assert result.exit_code == 0
    assert "vanishing-exploding-gradients" in result.output


def test_search_ranks_vanishing_gradient_questions_first():
    from dlproof.handbook.search import search

    top = [h.question.id for h in search("梯度消失", 2)]
    assert set(top) == {"vanishing-exploding-gradients", "rnn-vanishing-gradient"}
    result = invoke("search", "梯度消失")
    assert result.exit_code == 0
    # the CLI table lists the same two first, before any weaker match
    others = [h.question.id for h in search("梯度消失", 10)][2:]
    assert others, "expected weaker matches below the two vanishing-gradient questions"
    rows = re.findall(r"│\s*([a-z0-9-]+)\s*│", result.output)  # the id column, in table order
    assert set(rows[:2]) == set(top) and rows[2:] == others[: len(rows) - 2]


def test_search_dropout_finds_both_dropout_questions():
    from dlproof.handbook.search import search

    ids = [h.question.id for h in search("dropout", 5)]
    assert {"dropout-ensemble", "dropout-implementation"} <= set(ids[:2])
    assert "dropout-implementation" in invoke("search", "Dropout").output


def test_search_english_words():
    from dlproof.handbook.search import search

    assert search("How does BatchNorm work")[0].question.id == "batchnorm"
    assert search("Gibbs sampling")[0].question.id == "gibbs-sampling"


def test_search_nothing_found_exits_1():
    assert invoke("search", "zzzqqq").exit_code == 1


def test_status_counts_every_question():
    result = invoke("status", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["total"]["questions"] == 91
    assert len(data["topics"]) == 20
    from dlproof.handbook.loader import all_questions

    assert data["total"]["answered"] == sum(q.answered for q in all_questions())
    for row in data["topics"]:
        assert row["claims_verified"] <= row["answered"] <= row["questions"]


def test_help_lists_every_command():
    out = invoke("--help").output
    for command in ("list", "show", "search", "status", "run", "check", "serve", "quiz", "export",
                    "interview", "practice", "grade"):
        assert command in out


def test_show_cold_start_is_fast():
    """`dlproof show` must not import numpy/torch/matplotlib/scipy (cold start < 0.5 s)."""
    probe = (
        "import sys, dlproof.cli as c\n"
        "try:\n    c.main(['show', 'batchnorm', '--lang', 'en'])\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in ('numpy', 'torch', 'matplotlib', 'scipy', 'fastapi') "
        "if m in sys.modules))"
    )
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          env=dict(os.environ), timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().splitlines()[-1] == "[]"
