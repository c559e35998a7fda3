"""Splitting answers into sections, and follow-ups / pitfalls into items (for the interview)."""

from __future__ import annotations

import pytest

from dlproof.handbook.loader import SECTIONS, all_questions
from dlproof.handbook.sections import KEYS, follow_up, interview_parts, items, split_sections

BODY = """
## Short answer

Short $x$.

## Derivation and mechanism

$$
a = b
$$

## Evidence

E.

## Follow-up questions

- **Why $y$?** Because
  it continues here.

  $$
  y = 1
  $$
- A question without a bold lead?
1. **Numbered:** detail.

## Pitfalls

First paragraph pitfall.

Second one.
"""


def test_split_sections_and_items():
    s = split_sections(BODY, "en")
    assert list(s) == list(KEYS) and s["short"] == "Short $x$."
    fu = [follow_up(i) for i in items(s["followups"])]
    assert fu[0].prompt == "Why $y$?" and fu[0].detail.startswith("Because\nit continues here.")
    assert "$$\ny = 1\n$$" in fu[0].detail
    assert fu[1].prompt == "A question without a bold lead?" and fu[1].detail == ""
    assert (fu[2].prompt, fu[2].detail) == ("Numbered:", "detail.")
    assert items(s["pitfalls"]) == ["First paragraph pitfall.", "Second one."]  # no list
    with pytest.raises(ValueError, match="unknown language"):
        split_sections(BODY, "de")


def test_every_answered_question_has_interview_parts():
    for q in all_questions():
        if not q.answered:
            continue
        for lang in SECTIONS:
            p = interview_parts(q, lang)
            assert p.short and p.followups and p.pitfalls, (q.id, lang)
            assert all(f.prompt for f in p.followups), (q.id, lang)
            assert "## " not in p.short, (q.id, lang)
