"""The question bank: coverage of the user's seed list, metadata, and the validator's errors."""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path

import pytest

from dlproof.handbook import loader
from dlproof.handbook.loader import ContentError, all_questions, load_questions, parse_question
from dlproof.handbook.seed import parse_question_lines, seed_question_lines, seed_text
from dlproof.handbook.topics import TOPICS

SHARED_SEED = Path(__file__).resolve().parents[2].parent / "shared" / "seed"


def test_seed_list_has_113_question_lines_with_one_repeat():
    lines = seed_question_lines()
    assert len(lines) == 113
    repeats = {line: n for line, n in Counter(lines).items() if n > 1}
    assert repeats == {"深度模型参数调整的一般方法论？": 2}
    numbered = [line for line in lines if line.split(".", 1)[0].isdigit()]
    assert len(numbered) == 61
    assert numbered[0].startswith("1.") and numbered[-1].startswith("61.")


def test_packaged_seed_is_the_users_file_byte_for_byte():
    if not SHARED_SEED.is_dir():
        pytest.skip("the shared/ seed folder is not beside this checkout")
    (original,) = list(SHARED_SEED.glob("*.txt"))
    assert original.read_text("utf-8") == seed_text()


def test_every_seed_line_maps_to_exactly_one_question():
    questions = all_questions()
    covered = Counter(line for q in questions for line in q.seed_lines)
    assert covered == Counter(seed_question_lines())
    owners = {}
    for q in questions:
        for line in set(q.seed_lines):
            assert line not in owners, f"{line!r} is in {owners.get(line)} and {q.id}"
            owners[line] = q.id
    assert sum(covered.values()) == 113


def test_91_questions_in_the_20_topics_with_complete_metadata():
    questions = all_questions()
    assert len(questions) == 91
    assert {q.topic for q in questions} == set(TOPICS) and len(TOPICS) == 20
    ids = [q.id for q in questions]
    assert len(set(ids)) == 91
    for q in questions:
        assert q.title_zh and q.title_en and q.seed_lines
        assert all(r in ids for r in q.related)
        assert q.book_section == "" or q.book_section.startswith("Goodfellow et al. ")
        assert "p." not in q.book_section  # section numbers, not pages


def test_book_section_of_known_questions():
    by_id = {q.id: q for q in all_questions()}
    assert by_id["softmax-derivative"].book_section == "Goodfellow et al. §6.2.2.3"
    assert by_id["batchnorm"].book_section == "Goodfellow et al. §8.7.1"
    assert by_id["gibbs-sampling"].book_section == "Goodfellow et al. §17.4"


@pytest.fixture()
def bank_copy(tmp_path):
    """A temporary copy of the packaged question bank and seed list."""
    src = loader.questions_dir()
    dst = tmp_path / "questions"
    shutil.copytree(src, dst)
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "seed.txt").write_text(seed_text(), "utf-8")
    return dst


def test_copy_of_bank_loads(bank_copy):
    assert len(load_questions(bank_copy)) == 91


def test_dropping_a_seed_line_from_a_question_file_fails_coverage(bank_copy):
    path = bank_copy / "dropout-implementation.md"
    text = path.read_text("utf-8")
    line = "dropout方法在预测过程中需要如何处理？"
    assert f'"{line}"' in text
    path.write_text(text.replace(f', "{line}"', ""), "utf-8")
    with pytest.raises(ContentError, match="map to no question"):
        load_questions(bank_copy)


def test_dropping_one_copy_of_the_repeated_line_fails_coverage(bank_copy):
    path = bank_copy / "hyperparameter-tuning.md"
    text = path.read_text("utf-8")
    line = '"深度模型参数调整的一般方法论？", '
    path.write_text(text.replace(line, "", 1), "utf-8")
    with pytest.raises(ContentError, match="occurs 2 time"):
        load_questions(bank_copy)


def test_a_line_claimed_by_two_questions_fails(bank_copy):
    path = bank_copy / "batchnorm.md"
    text = path.read_text("utf-8")
    path.write_text(text.replace('seed_lines = ["', 'seed_lines = ["什么是RNN", "'), "utf-8")
    with pytest.raises(ContentError, match="covered 2 time"):
        load_questions(bank_copy)


def test_seed_parser_keeps_numbered_lines_verbatim():
    text = "---\ntitle: x\n---\nfirst?\n\n<!--more-->\n---\n1.second\n\n此处问题很多编者本人...\n2.third\n"
    assert parse_question_lines(text) == ["first?", "1.second", "2.third"]


HEADER = """+++
id = "q"
topic = "cnn"
difficulty = 1
title_zh = "题"
title_en = "Q"
seed_lines = ["x"]
related = []
book_section = ""
experiments = ["exp-a"]
+++
"""

ZH = """# zh

## 简答
短答 $a_i$。

## 推导与机制
$$
y = \\sum_i w_i x_i
$$

## 证据
见 [[claim:exp-a/holds]]。

## 追问
追问。

## 陷阱
陷阱。
"""

EN = """# en

## Short answer
Short $a_i$.

## Derivation and mechanism
$$
y = \\sum_i w_i x_i
$$

## Evidence
See [[claim:exp-a/holds]].

## Follow-up questions
More.

## Pitfalls
Traps.
"""


def parse(text: str, name: str = "q.md"):
    return parse_question(Path(name), text)


def test_a_complete_answer_parses():
    q = parse(HEADER + "\n" + ZH + "\n" + EN)
    assert q.answered
    assert q.cited_claims() == [("exp-a", "holds")]
    assert "Short answer" in q.answer["en"]


def test_unanswered_question_has_no_answer():
    q = parse(HEADER)
    assert not q.answered and q.answer == {}


@pytest.mark.parametrize(
    "text, line, message",
    [
        (HEADER.replace('topic = "cnn"', 'topic = "cnns"'), 3, "unknown topic 'cnns'"),
        (HEADER.replace("difficulty = 1", "difficulty = 7"), 4, "difficulty must be"),
        (HEADER.replace('title_en = "Q"', 'title_en = "Q'), 6, "invalid TOML"),
        (HEADER.replace('id = "q"', 'id = "other"'), 2, "must equal the file name"),
        (HEADER.replace('book_section = ""\n', ""), 1, "lacks the key 'book_section'"),
        (HEADER.replace("+++\n", "+++\ncolour = 1\n", 1), 2, "unknown metadata key"),
        (HEADER + "\n" + ZH, 13, "missing '# en'"),
        (HEADER + "\n" + ZH + "\n" + EN.replace("## Pitfalls", "## Traps"), 48, "sections"),
        (HEADER + "\n" + ZH.replace("短答 $a_i$。", "短答 $a_i。") + "\n" + EN, 16, "not closed"),
        (HEADER + "\n" + ZH.replace("$$\ny", "$$\n\\begin{foo} y") + "\n" + EN, 20,
         "unknown LaTeX environment 'foo'"),
        (HEADER + "\n" + ZH + "\n" + EN.replace("w_i x_i", "w_j x_j"), 38,
         "same display formulas"),
        (HEADER + "\n" + ZH.replace("exp-a/holds", "exp-b/holds") + "\n" + EN, 24,
         "not in this question's experiments"),
        (HEADER + "\n" + ZH.replace("追问。", "") + "\n" + EN, 26, "section '追问' is empty"),
    ],
)
def test_validator_names_file_and_line(text, line, message):
    with pytest.raises(ContentError, match=message) as err:
        parse(text)
    assert err.value.path == "q.md"
    assert err.value.line == line, str(err.value)
    assert str(err.value).startswith(f"q.md:{line}: ")


def test_duplicate_ids_and_missing_related_are_rejected(tmp_path):
    a = parse(HEADER)
    b = parse(HEADER.replace("related = []", 'related = ["nope"]'))
    with pytest.raises(ContentError, match="duplicate id"):
        loader.validate([a, a])
    with pytest.raises(ContentError, match="related id 'nope' does not exist"):
        loader.validate([b])


def test_answered_questions_have_same_display_formulas_in_both_languages():
    for q in all_questions():
        if q.answered:
            assert Counter(loader.display_formulas(q.answer["zh"])) == Counter(
                loader.display_formulas(q.answer["en"])), q.id
