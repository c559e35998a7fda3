"""What an exercise is, and the registry the catalog fills.

An exercise asks for one or more functions (``stub`` is the file the user starts from). Its
hidden checks are ``cases(rng)``: calls of those functions on random inputs, edge cases included
(size-1 dimensions, large logits, p = 0). Each case's expected output comes from ``reference``,
dlproof's own implementation (engine, nn, optim, models), or, for a backward, central finite
differences of the reference forward with a random upstream gradient (``fd_vjp``). ``mistakes``
are known-wrong implementations of the classic errors of the question's pitfalls: when the user's
output matches one of them instead of the reference, the grader names it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Case:
    """One hidden call: ``fn(**args)``; ``label`` says what it probes (shown when it fails)."""

    label: str
    fn: str
    args: dict[str, Any]


@dataclass(frozen=True)
class Mistake:
    """A classic wrong implementation of function ``fn`` and the message that names it."""

    id: str
    fn: str
    impl: Callable[..., Any]
    en: str
    zh: str


@dataclass(frozen=True)
class Exercise:
    id: str
    question: str                    # the handbook question whose answer derives it
    title_en: str
    title_zh: str
    stub: str                        # the starting file: signatures, docstrings, NotImplementedError
    reference: dict[str, Callable[..., Any]]
    cases: Callable[[np.random.Generator], list[Case]]
    mistakes: Sequence[Mistake] = ()
    rtol: float = 1e-6
    atol: float = 1e-8
    timeout_s: float = 20.0          # generous: user code may loop in Python
    functions: tuple[str, ...] = field(init=False)

    def __post_init__(self):
        object.__setattr__(self, "functions", tuple(self.reference))
        for m in self.mistakes:
            if m.fn not in self.reference:
                raise ValueError(f"exercise {self.id}: mistake {m.id} names unknown function {m.fn!r}")


REGISTRY: dict[str, Exercise] = {}


def register(ex: Exercise) -> Exercise:
    if ex.id in REGISTRY:
        raise ValueError(f"duplicate exercise id {ex.id!r}")
    REGISTRY[ex.id] = ex
    return ex


def all_exercises() -> dict[str, Exercise]:
    from dlproof.practice import catalog  # noqa: F401  (registers on import)

    return REGISTRY


def get(exercise_id: str) -> Exercise:
    exercises = all_exercises()
    if exercise_id not in exercises:
        import difflib

        close = difflib.get_close_matches(exercise_id, list(exercises), n=3, cutoff=0.5)
        hint = f"; did you mean {', '.join(close)}?" if close else "; `dlproof practice` lists them"
        raise KeyError(f"no exercise with id {exercise_id!r}{hint}")
    return exercises[exercise_id]


def for_question(question_id: str) -> list[Exercise]:
    return [e for e in all_exercises().values() if e.question == question_id]


def fd_vjp(f: Callable[..., np.ndarray], args: dict[str, Any], wrt: Sequence[str], upstream: np.ndarray,
           h: float = 1e-6) -> list[np.ndarray]:
    """Central differences of φ = <upstream, f(**args)> with respect to each array in ``wrt``.

    Returns dφ/d(args[name]) per name, same shapes; O(h²) error, float64. The loop is over input
    coordinates (a few hundred at most in the exercises), the standard gradient check."""
    out = []
    for name in wrt:
        x = np.array(args[name], dtype=np.float64)
        grad = np.zeros_like(x)
        flat, gflat = x.reshape(-1), grad.reshape(-1)
        for i in range(flat.size):
            old = flat[i]
            flat[i] = old + h
            plus = float(np.sum(upstream * f(**{**args, name: x})))
            flat[i] = old - h
            minus = float(np.sum(upstream * f(**{**args, name: x})))
            flat[i] = old
            gflat[i] = (plus - minus) / (2 * h)
        out.append(grad)
    return out
