"""The user's original question list, shipped as package data, and its question lines.

The file (``data/seed.txt``) is kept byte for byte as the user gave it. Its question lines are the
non-empty lines after the YAML front matter, except the ``<!--more-->`` and ``---`` separators and
the editor's closing remark. Numbered lines (``12.正则化中...``) are kept verbatim, number included.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

# The one non-question line among the body lines: the list editor's apology.
_EDITOR_REMARK_PREFIX = "此处问题很多编者本人"
_SEPARATORS = {"---", "<!--more-->"}


def seed_text() -> str:
    return resources.files("dlproof.handbook").joinpath("data/seed.txt").read_text("utf-8")


def parse_question_lines(text: str) -> list[str]:
    """Every question line of a seed list, in order, repeats kept (a repeated line counts twice)."""
    lines = text.split("\n")
    body_start = 0
    if lines and lines[0].strip() == "---":
        try:
            body_start = next(i for i in range(1, len(lines)) if lines[i].strip() == "---") + 1
        except StopIteration as exc:
            raise ValueError("seed list: front matter opened with '---' is never closed") from exc
    out = []
    for line in lines[body_start:]:
        s = line.strip()
        if not s or s in _SEPARATORS or s.startswith(_EDITOR_REMARK_PREFIX):
            continue
        out.append(s)
    return out


@lru_cache(maxsize=1)
def seed_question_lines() -> tuple[str, ...]:
    return tuple(parse_question_lines(seed_text()))
