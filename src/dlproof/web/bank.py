"""The question bank as the web app sees it: reloaded when a question file changes on disk.

``dlproof serve`` keeps running while someone edits ``handbook/questions/*.md``: every request asks
:meth:`Bank.state` for the current questions, which compares the (name, mtime, size) of every
``*.md`` file in the directory with the last load (a few hundred ``stat`` calls, well under a
millisecond) and reloads and revalidates the whole bank when anything changed, was added or was
removed. A file that does not validate never takes the server down: the pages keep showing the last
valid bank, with the loader's ``file:line: message`` in a banner on every page until it is fixed
(before any valid load, the bank is empty and the banner says why).

A bank built from a fixed list of questions (tests) never reloads.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from pathlib import Path

from dlproof.handbook.loader import ContentError, Question

log = logging.getLogger("dlproof.web")


@dataclass
class BankState:
    """One consistent view of the bank: questions, lookups, search index, and the load error."""

    questions: list[Question]
    by_id: dict[str, Question] = field(default_factory=dict)
    index: object = None  # handbook.search.SearchIndex
    error: str = ""  # "file:line: message" of the last failed reload, "" when the files are valid

    @classmethod
    def of(cls, questions: list[Question], error: str = "") -> BankState:
        from dlproof.handbook.search import SearchIndex

        return cls(list(questions), {q.id: q for q in questions}, SearchIndex(questions), error)


class Bank:
    """Questions for the pages: fixed (``questions``) or watched in ``directory``."""

    def __init__(self, questions: list[Question] | None = None, *, directory: Path | None = None,
                 check_seed: bool = True):
        from dlproof.handbook.loader import questions_dir

        self._lock = threading.Lock()
        self.watching = questions is None
        self.directory = Path(directory) if directory is not None else questions_dir()
        self.check_seed = check_seed
        self._stamp: tuple | None = None
        self._good: list[Question] = list(questions) if questions is not None else []
        self._state = BankState.of(self._good)
        if self.watching:
            self.state()

    def _fingerprint(self) -> tuple:
        out = []
        for p in sorted(self.directory.glob("*.md")):
            try:
                st = p.stat()
            except OSError:  # removed between glob and stat: the next request sees it gone
                continue
            out.append((p.name, st.st_mtime_ns, st.st_size))
        return tuple(out)

    def state(self) -> BankState:
        """The current bank, reloaded first if a file changed since the last call."""
        if not self.watching:
            return self._state
        stamp = self._fingerprint()
        with self._lock:
            if stamp == self._stamp:
                return self._state
            from dlproof.handbook.loader import load_questions

            try:
                qs = load_questions(self.directory, check_seed=self.check_seed)
            except (ContentError, OSError, UnicodeDecodeError) as exc:
                log.warning("question bank not reloaded: %s", exc)
                self._state = BankState.of(self._good, str(exc) or type(exc).__name__)
            else:
                if self._stamp is not None:
                    log.info("question bank reloaded (%d questions)", len(qs))
                self._good = qs
                self._state = BankState.of(qs)
            self._stamp = stamp
            return self._state
