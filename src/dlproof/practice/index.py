"""Which exercises a question has, without importing the catalog (and so NumPy): read from the
catalog's source. ``dlproof show`` uses this to stay fast; a test checks it equals the registry."""

from __future__ import annotations

import ast
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

CATALOG = Path(__file__).parent / "catalog"


@dataclass(frozen=True)
class ExerciseInfo:
    id: str
    question: str
    title_en: str
    title_zh: str


@lru_cache(maxsize=1)
def exercise_index() -> tuple[ExerciseInfo, ...]:
    found = []
    for path in sorted(CATALOG.glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "Exercise":
                wanted = ("id", "question", "title_en", "title_zh")
                kw = {k.arg: k.value.value for k in node.keywords
                      if k.arg in wanted and isinstance(k.value, ast.Constant)}
                if len(kw) == 4:
                    found.append(ExerciseInfo(**kw))
    return tuple(found)


def for_question(question_id: str) -> list[ExerciseInfo]:
    return [e for e in exercise_index() if e.question == question_id]
