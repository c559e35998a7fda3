"""Full-text search over the question bank, for Chinese and English alike.

Text is cut into terms: runs of CJK characters become overlapping character bigrams (and the single
character when a run has only one), Latin words become lower-case words. Ranking is BM25 over three
fields with weights: titles and seed lines (the user's own wording) count more than answer text.
Each title or seed line that contains the whole query verbatim multiplies the score (up to four
such lines), so a question the user's list asks in exactly these words, and asks repeatedly, wins.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass

from dlproof.handbook.loader import Question, all_questions

_CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_TOKEN_RE = re.compile(rf"[{_CJK}]+|[a-z0-9]+(?:[-'][a-z0-9]+)*")
# English function words carry no signal for ranking.
_STOP = frozenset("a an the of and or in on for to is are be why how what does do with by as "
                  "it its at from that this which when".split())
FIELD_WEIGHTS = {"title": 3.0, "seed": 3.0, "answer": 1.0}
K1, B = 1.2, 0.75


def terms(text: str) -> list[str]:
    """Index terms of ``text``: CJK character bigrams and lower-case Latin words."""
    out: list[str] = []
    for tok in _TOKEN_RE.findall(text.lower()):
        if re.match(rf"[{_CJK}]", tok):
            if len(tok) == 1:
                out.append(tok)
            else:
                out.extend(tok[i : i + 2] for i in range(len(tok) - 1))
        elif tok not in _STOP:
            out.append(tok[:-1] if len(tok) > 4 and tok.endswith("s") else tok)  # crude plural
    return out


@dataclass
class Hit:
    question: Question
    score: float


class SearchIndex:
    def __init__(self, questions: list[Question]):
        self.questions = questions
        self.fields: list[dict[str, Counter]] = []
        self.lengths: dict[str, list[int]] = {f: [] for f in FIELD_WEIGHTS}
        df: Counter = Counter()
        for q in questions:
            fields = {
                "title": Counter(terms(q.title_zh + " " + q.title_en + " " + q.id.replace("-", " "))),
                "seed": Counter(terms(" ".join(q.seed_lines))),
                "answer": Counter(terms(" ".join(q.answer.values()))),
            }
            self.fields.append(fields)
            for f, c in fields.items():
                self.lengths[f].append(sum(c.values()))
            df.update(set().union(*(set(c) for c in fields.values())))
        n = len(questions)
        self.idf = {t: math.log(1 + (n - d + 0.5) / (d + 0.5)) for t, d in df.items()}
        self.avg = {f: (sum(v) / len(v) if v and sum(v) else 1.0) for f, v in self.lengths.items()}

    def search(self, query: str, limit: int = 10) -> list[Hit]:
        q_terms = terms(query)
        if not q_terms:
            return []
        needle = query.strip().lower()
        hits = []
        for i, q in enumerate(self.questions):
            score = 0.0
            for f, weight in FIELD_WEIGHTS.items():
                counts, length = self.fields[i][f], self.lengths[f][i]
                for t in q_terms:
                    tf = counts.get(t, 0)
                    if tf:
                        norm = tf * (K1 + 1) / (tf + K1 * (1 - B + B * length / self.avg[f]))
                        score += weight * self.idf[t] * norm
            if score <= 0:
                continue
            # Each title or seed line that contains the whole query verbatim is the user asking
            # exactly this; several such lines (a question asked repeatedly) rank higher.
            literal = sum(needle in s.lower() for s in (q.title_zh, q.title_en, *q.seed_lines))
            score *= 1 + 0.5 * min(literal, 4)
            hits.append(Hit(q, score))
        hits.sort(key=lambda h: (-h.score, h.question.id))
        return hits[:limit]


_INDEX: SearchIndex | None = None


def search(query: str, limit: int = 10) -> list[Hit]:
    """Search the packaged question bank."""
    global _INDEX
    if _INDEX is None:
        _INDEX = SearchIndex(all_questions())
    return _INDEX.search(query, limit)
