"""An answer's five sections, and the follow-up questions and pitfalls as separate items.

Every answered question has, per language, the sections of :data:`dlproof.handbook.loader.SECTIONS`
(简答 / 推导与机制 / 证据 / 追问 / 陷阱; Short answer / Derivation and mechanism / Evidence /
Follow-up questions / Pitfalls), each a ``## heading`` (the loader checks it). This module is the
one place that splits them, for the mock interview (``dlproof interview``, ``/interview``), which
reveals the short answer, then the follow-ups one by one, then the pitfalls.

Items of a section are its top-level Markdown list items (``-``, ``*``, ``+`` or ``1.``), each with
its continuation lines; a section without a list gives one item per paragraph. A follow-up item
that starts with a bold phrase, ``- **Why X?** Because ...``, is split into its *prompt* (the bold
phrase: what the interviewer asks) and its *detail* (the rest: the expected answer); one without a
bold lead is all prompt.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from dlproof.handbook.loader import LANGS, SECTIONS, Question

# canonical keys, in the order of SECTIONS
KEYS = ("short", "mechanism", "evidence", "followups", "pitfalls")

_HEADING_RE = re.compile(r"^## (.+?)\s*$")
_ITEM_RE = re.compile(r"^(?:[-*+]|\d{1,3}[.)])\s+(.*)$")
_BOLD_LEAD_RE = re.compile(r"^\*\*(.+?)\*\*[:：]?\s*(.*)$", re.S)


@dataclass(frozen=True)
class FollowUp:
    prompt: str  # Markdown: the question the interviewer asks next
    detail: str  # Markdown: the expected answer ("" when the item is only a question)


@dataclass(frozen=True)
class InterviewParts:
    """What a mock interview reveals of one question in one language (Markdown)."""

    short: str
    followups: list[FollowUp]
    pitfalls: list[str]


def split_sections(body: str, lang: str) -> dict[str, str]:
    """The answer body of ``lang`` -> {key of :data:`KEYS`: Markdown of that section}."""
    if lang not in LANGS:
        raise ValueError(f"unknown language {lang!r}; use one of {LANGS}")
    names = {name: key for name, key in zip(SECTIONS[lang], KEYS)}
    out: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in body.splitlines():
        m = _HEADING_RE.match(line)
        if m and m.group(1) in names:
            current = out.setdefault(names[m.group(1)], [])
            continue
        if current is not None:
            current.append(line)
    return {k: "\n".join(v).strip() for k, v in out.items()}


def items(markdown: str) -> list[str]:
    """Top-level list items of a section (continuation lines joined, markers removed); the
    paragraphs when the section has no list."""
    found: list[list[str]] = []
    in_list = False
    for line in markdown.splitlines():
        m = _ITEM_RE.match(line)
        if m:
            found.append([m.group(1)])
            in_list = True
        elif in_list and (line.startswith((" ", "\t")) or not line.strip()) and found:
            found[-1].append(line.strip())
        elif in_list and line.strip():
            in_list = False  # text after the list: its own paragraph
            found.append([line.strip()])
        elif found and line.strip() and not in_list:
            found[-1].append(line.strip())
    if found:
        return [_join(lines) for lines in found if _join(lines)]
    return [p.strip() for p in re.split(r"\n\s*\n", markdown) if p.strip()]


def _join(lines: list[str]) -> str:
    """Item lines back to Markdown: a blank line keeps a paragraph break (display math needs
    its own lines)."""
    text = "\n".join(lines).strip()
    return re.sub(r"\n{3,}", "\n\n", text)


def follow_up(item: str) -> FollowUp:
    m = _BOLD_LEAD_RE.match(item)
    if m and m.group(2).strip():
        return FollowUp(m.group(1).strip(), m.group(2).strip())
    return FollowUp(item.strip(), "")


def interview_parts(q: Question, lang: str) -> InterviewParts:
    """The short answer, follow-ups and pitfalls of ``q`` in ``lang``; ValueError when the
    question has no answer in that language."""
    if lang not in q.answer:
        raise ValueError(f"question {q.id!r} has no {lang} answer")
    secs = split_sections(q.answer[lang], lang)
    return InterviewParts(
        short=secs.get("short", ""),
        followups=[follow_up(i) for i in items(secs.get("followups", ""))],
        pitfalls=items(secs.get("pitfalls", "")),
    )
