"""Question files: format, loading and validation.

One Markdown file per question in ``handbook/questions/ID.md``::

    +++
    id = "softmax-derivative"            # = the file name
    topic = "feedforward-backprop"       # one of topics.TOPICS
    difficulty = 2                       # 1 (basic) .. 3 (advanced)
    title_zh = "..."
    title_en = "..."
    seed_lines = ["softmax函数导数的推导"]  # verbatim lines of the user's seed list
    related = ["softmax-overflow-underflow"]
    book_section = "Goodfellow et al. §6.2.2.3"   # "" where the book has none
    experiments = ["softmax-jacobian"]   # ids of registered experiments
    +++

    # zh

    ## 简答
    ...
    # en

    ## Short answer
    ...

A question without the ``# zh`` / ``# en`` parts is *unanswered*, and is shown and counted as such.
An answered question has both languages, each with the five sections of :data:`SECTIONS` in order.
Math is ``$...$`` inline and ``$$...$$`` display; both languages must carry the same display
formulas. Answers cite measured claims as ``[[claim:EXPERIMENT_ID/CLAIM_ID]]``.

Every problem is reported as a :class:`ContentError` that names the file and line.
"""

from __future__ import annotations

import re
import tomllib
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path

from dlproof.handbook.topics import TOPICS

LANGS = ("zh", "en")
SECTIONS: dict[str, tuple[str, ...]] = {
    "zh": ("简答", "推导与机制", "证据", "追问", "陷阱"),
    "en": ("Short answer", "Derivation and mechanism", "Evidence", "Follow-up questions",
           "Pitfalls"),
}
FIELDS = {
    "id": str, "topic": str, "difficulty": int, "title_zh": str, "title_en": str,
    "seed_lines": list, "related": list, "book_section": str, "experiments": list,
}
ID_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
CLAIM_REF_RE = re.compile(r"\[\[claim:([^\]/]*)/([^\]]*)\]\]")
# LaTeX environments the renderers (MathJax in the browser, plain TeX in the terminal) handle.
KNOWN_ENVIRONMENTS = frozenset({
    "aligned", "align", "align*", "cases", "matrix", "pmatrix", "bmatrix", "vmatrix", "Bmatrix",
    "array", "split", "gathered", "equation", "equation*", "smallmatrix",
})
_ENV_RE = re.compile(r"\\(begin|end)\{([^}]*)\}")
_MATH_TOKEN_RE = re.compile(r"\\[^\n]|\$\$|\$|\n")


class ContentError(ValueError):
    """A malformed question file; the message starts with ``path:line:``."""

    def __init__(self, path: Path | str, line: int, message: str):
        self.path, self.line = str(path), line
        super().__init__(f"{path}:{line}: {message}")


@dataclass
class Question:
    id: str
    topic: str
    difficulty: int
    title_zh: str
    title_en: str
    seed_lines: list[str]
    related: list[str]
    book_section: str
    experiments: list[str]
    path: Path
    answer: dict[str, str] = field(default_factory=dict)  # lang -> markdown body (no "# lang")
    answer_line: dict[str, int] = field(default_factory=dict)  # lang -> first line in the file

    @property
    def answered(self) -> bool:
        return bool(self.answer)

    def title(self, lang: str) -> str:
        return self.title_zh if lang == "zh" else self.title_en

    def cited_claims(self) -> list[tuple[str, str]]:
        """(experiment_id, claim_id) pairs cited anywhere in the answer, in order, no repeats."""
        seen: dict[tuple[str, str], None] = {}
        for lang in LANGS:
            for m in CLAIM_REF_RE.finditer(self.answer.get(lang, "")):
                seen[(m.group(1), m.group(2))] = None
        return list(seen)

    def to_json(self) -> dict:
        return {
            "id": self.id, "topic": self.topic, "difficulty": self.difficulty,
            "title_zh": self.title_zh, "title_en": self.title_en,
            "seed_lines": list(self.seed_lines), "related": list(self.related),
            "book_section": self.book_section, "experiments": list(self.experiments),
            "answered": self.answered,
        }


def questions_dir() -> Path:
    return Path(str(resources.files("dlproof.handbook").joinpath("questions")))


def _parse_front_matter(path: Path, text: str) -> tuple[dict, int]:
    """Return (metadata, index of the first body line)."""
    lines = text.split("\n")
    if not lines or lines[0].strip() != "+++":
        raise ContentError(path, 1, "file must start with a '+++' line opening the TOML metadata")
    try:
        end = next(i for i in range(1, len(lines)) if lines[i].strip() == "+++")
    except StopIteration:
        raise ContentError(path, 1, "metadata opened with '+++' is never closed") from None
    toml_text = "\n".join(lines[1:end])
    try:
        meta = tomllib.loads(toml_text)
    except tomllib.TOMLDecodeError as exc:
        m = re.search(r"line (\d+)", str(exc))
        line = int(m.group(1)) + 1 if m else 2
        raise ContentError(path, line, f"invalid TOML metadata: {exc}") from None
    return meta, end + 1


def _key_line(text: str, key: str) -> int:
    for i, line in enumerate(text.split("\n"), 1):
        if re.match(rf"\s*{re.escape(key)}\s*=", line):
            return i
    return 1


def _check_math(path: Path, body: str, first_line: int) -> None:
    """Balanced $ / $$ delimiters and known, matched \\begin/\\end environments."""
    lineno = first_line
    open_at: tuple[str, int] | None = None  # delimiter and line where it opened
    in_code = False
    # Only these tokens matter: an escaped character (\\$ is never a delimiter), $$, $, a
    # newline (inline math may not span lines; a ``` line toggles a code block, which holds no math).
    for m in _MATH_TOKEN_RE.finditer(body):
        tok = m.group()
        if tok == "\n":
            lineno += 1
            if open_at and open_at[0] == "$":
                raise ContentError(path, open_at[1], "inline math '$' is not closed on its line")
            if body.startswith("```", m.end()):
                in_code = not in_code
            continue
        if in_code or tok[0] == "\\":
            continue
        if open_at is None:
            open_at = (tok, lineno)
        elif open_at[0] == tok:
            open_at = None
        else:
            raise ContentError(path, lineno, f"'{tok}' closes math opened with "
                               f"'{open_at[0]}' on line {open_at[1]}")
    if open_at:
        raise ContentError(path, open_at[1], f"math opened with '{open_at[0]}' is never closed")
    stack: list[tuple[str, int]] = []
    for lineno, line in enumerate(body.split("\n"), first_line):
        for kind, env in _ENV_RE.findall(line):
            if env not in KNOWN_ENVIRONMENTS:
                raise ContentError(path, lineno, f"unknown LaTeX environment {env!r}; "
                                   f"known: {', '.join(sorted(KNOWN_ENVIRONMENTS))}")
            if kind == "begin":
                stack.append((env, lineno))
            elif not stack or stack[-1][0] != env:
                raise ContentError(path, lineno, f"\\end{{{env}}} without matching \\begin")
            else:
                stack.pop()
    if stack:
        raise ContentError(path, stack[-1][1], f"\\begin{{{stack[-1][0]}}} is never ended")


def display_formulas(body: str) -> list[str]:
    """The ``$$...$$`` formulas of an answer, whitespace-normalised, in order."""
    return [" ".join(m.split()) for m in re.findall(r"\$\$(.+?)\$\$", body, flags=re.S)]


def _parse_body(path: Path, lines: list[str], start: int) -> tuple[dict, dict]:
    """Split the body into languages; check the section headings."""
    answer: dict[str, str] = {}
    first: dict[str, int] = {}
    current: str | None = None
    chunks: dict[str, list[str]] = {}
    for idx in range(start, len(lines)):
        line = lines[idx]
        m = re.match(r"^# (\S+)\s*$", line)
        if m:
            lang = m.group(1)
            if lang not in LANGS:
                raise ContentError(path, idx + 1, f"unknown language part '# {lang}'; use # zh, # en")
            if lang in chunks:
                raise ContentError(path, idx + 1, f"language part '# {lang}' appears twice")
            current = lang
            chunks[lang] = []
            first[lang] = idx + 2
            continue
        if current is None:
            if line.strip():
                raise ContentError(path, idx + 1, "text before the '# zh' part")
            continue
        chunks[current].append(line)
    if not chunks:
        return {}, {}
    if list(chunks) != list(LANGS):
        missing = [lang for lang in LANGS if lang not in chunks]
        where = min(first.values()) - 1  # the first language heading
        if missing:
            raise ContentError(path, where, f"an answered question needs both languages; "
                               f"missing '# {missing[0]}'")
        raise ContentError(path, where, "language parts must come in the order # zh, # en")
    for lang, body_lines in chunks.items():
        body = "\n".join(body_lines).rstrip("\n")  # leading lines kept: line numbers stay true
        headings = [(i, m.group(1).strip()) for i, l in enumerate(body_lines)
                    if (m := re.match(r"^## (.+)$", l))]
        names = [h for _, h in headings]
        if names != list(SECTIONS[lang]):
            wrong = next((i for (i, h), want in zip(headings, SECTIONS[lang]) if h != want),
                         headings[-1][0] if headings else -1)
            raise ContentError(path, first[lang] + max(wrong, 0),
                               f"the {lang} answer must have exactly the sections "
                               f"{' / '.join(SECTIONS[lang])} in that order; found {names}")
        for k, (i, name) in enumerate(headings):
            end = headings[k + 1][0] if k + 1 < len(headings) else len(body_lines)
            if not "".join(body_lines[i + 1 : end]).strip():
                raise ContentError(path, first[lang] + i, f"section '{name}' is empty")
        answer[lang] = body
    return answer, first


def parse_question(path: Path, text: str | None = None) -> Question:
    """Parse and validate one question file on its own (cross-file checks: :func:`validate`)."""
    path = Path(path)
    if text is None:
        text = path.read_text("utf-8")
    meta, body_start = _parse_front_matter(path, text)
    for key, typ in FIELDS.items():
        if key not in meta:
            raise ContentError(path, 1, f"metadata lacks the key {key!r}")
        if not isinstance(meta[key], typ) or isinstance(meta[key], bool):
            raise ContentError(path, _key_line(text, key),
                               f"{key!r} must be {typ.__name__}, got {type(meta[key]).__name__}")
    for key in meta:
        if key not in FIELDS:
            raise ContentError(path, _key_line(text, key), f"unknown metadata key {key!r}")
    qid = meta["id"]
    if not ID_RE.match(qid):
        raise ContentError(path, _key_line(text, "id"), f"id {qid!r} must be lower-case words joined by '-'")
    if path.suffix == ".md" and path.stem != qid:
        raise ContentError(path, _key_line(text, "id"), f"id {qid!r} must equal the file name {path.stem!r}")
    if meta["topic"] not in TOPICS:
        raise ContentError(path, _key_line(text, "topic"),
                           f"unknown topic {meta['topic']!r}; choose one of {', '.join(TOPICS)}")
    if not 1 <= meta["difficulty"] <= 3:
        raise ContentError(path, _key_line(text, "difficulty"), "difficulty must be 1, 2 or 3")
    for key in ("title_zh", "title_en"):
        if not meta[key].strip():
            raise ContentError(path, _key_line(text, key), f"{key} is empty")
    for key in ("seed_lines", "related", "experiments"):
        if not all(isinstance(v, str) and v.strip() for v in meta[key]):
            raise ContentError(path, _key_line(text, key), f"{key} must be a list of non-empty strings")
    if not meta["seed_lines"]:
        raise ContentError(path, _key_line(text, "seed_lines"), "seed_lines is empty: every "
                           "question answers at least one line of the user's list")
    lines = text.split("\n")
    answer, first = _parse_body(path, lines, body_start)
    for lang, body in answer.items():
        _check_math(path, body, first[lang])
        for m in CLAIM_REF_RE.finditer(body):
            line = first[lang] + body[: m.start()].count("\n")
            if m.group(1) not in meta["experiments"]:
                raise ContentError(path, line, f"cites a claim of experiment {m.group(1)!r}, "
                                   f"which is not in this question's experiments {meta['experiments']}")
            if not ID_RE.match(m.group(2)):
                raise ContentError(path, line, f"malformed claim id {m.group(2)!r}")
    if answer:
        zh, en = display_formulas(answer["zh"]), display_formulas(answer["en"])
        if Counter(zh) != Counter(en):
            only_zh = sorted((Counter(zh) - Counter(en)).elements())
            only_en = sorted((Counter(en) - Counter(zh)).elements())
            line = first["en"]
            for m in re.finditer(r"\$\$(.+?)\$\$", answer["en"], flags=re.S):
                if " ".join(m.group(1).split()) in only_en:
                    line += answer["en"][: m.start()].count("\n")
                    break
            raise ContentError(path, line, "zh and en answers must carry the same display "
                               f"formulas; only in zh: {only_zh[:3]}; only in en: {only_en[:3]}")
    return Question(path=path, answer=answer, answer_line=first, **meta)


def validate(questions: list[Question], seed_lines: list[str] | tuple[str, ...] | None = None) -> None:
    """Cross-file checks: unique ids, existing related ids, and the seed-line mapping.

    With ``seed_lines`` (the seed list's question lines), every seed line must be covered exactly
    as many times as it occurs in the list, and no question may cite a line that is not in it.
    """
    by_id: dict[str, Question] = {}
    for q in questions:
        if q.id in by_id:
            raise ContentError(q.path, 1, f"duplicate id {q.id!r} (also in {by_id[q.id].path})")
        by_id[q.id] = q
    for q in questions:
        for r in q.related:
            if r == q.id:
                raise ContentError(q.path, 1, f"question {q.id!r} lists itself as related")
            if r not in by_id:
                raise ContentError(q.path, 1, f"related id {r!r} does not exist")
    if seed_lines is not None:
        wanted = Counter(seed_lines)
        covered = Counter(line for q in questions for line in q.seed_lines)
        owner = {line: q for q in questions for line in q.seed_lines}
        for line, count in covered.items():
            if line not in wanted:
                raise ContentError(owner[line].path, 1, f"seed line {line!r} is not in the seed list")
            if count != wanted[line]:
                raise ContentError(owner[line].path, 1, f"seed line {line!r} occurs {wanted[line]} "
                                   f"time(s) in the seed list but is covered {count} time(s)")
        missing = [line for line in wanted if line not in covered]
        if missing:
            raise ContentError("seed.txt", 1, f"{len(missing)} seed line(s) map to no question, "
                               f"e.g. {missing[0]!r}")


def load_questions(directory: Path | None = None, *, check_seed: bool = True) -> list[Question]:
    """Load and validate every question file, ordered by topic then file order of the topic."""
    from dlproof.handbook.seed import parse_question_lines, seed_question_lines

    directory = Path(directory) if directory is not None else questions_dir()
    paths = sorted(directory.glob("*.md"))
    questions = [parse_question(p) for p in paths]
    seed = None
    if check_seed:
        seed_file = directory.parent / "data" / "seed.txt"
        seed = (parse_question_lines(seed_file.read_text("utf-8")) if seed_file.exists()
                and directory != questions_dir() else seed_question_lines())
    validate(questions, seed)
    order = {t: i for i, t in enumerate(TOPICS)}
    questions.sort(key=lambda q: (order[q.topic], q.difficulty, q.id))
    return questions


@lru_cache(maxsize=1)
def _cached() -> tuple[Question, ...]:
    return tuple(load_questions())


def all_questions() -> list[Question]:
    """The packaged question bank (validated once per process)."""
    return list(_cached())


def get_question(qid: str) -> Question | None:
    return next((q for q in _cached() if q.id == qid), None)


def load_one(qid: str) -> Question | None:
    """Parse just one packaged question file (fast path for ``dlproof show ID``).

    Cross-file checks are skipped; the test suite and :func:`all_questions` run them.
    """
    if not ID_RE.match(qid):
        return None
    path = questions_dir() / f"{qid}.md"
    return parse_question(path) if path.is_file() else None
