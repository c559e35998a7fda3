"""Render a question and its answer in the terminal with rich.

Math stays TeX (terminals cannot typeset it): inline ``$...$`` becomes an inline code span and
``$$...$$`` a code block, so Markdown never mangles ``_`` or ``*`` inside formulas. Claim citations
become a compact badge with the latest measured value and verdict.
"""

from __future__ import annotations

import re

from dlproof.handbook.claims import ClaimStatus
from dlproof.handbook.loader import CLAIM_REF_RE, Question
from dlproof.handbook.topics import topic_label

_DISPLAY_RE = re.compile(r"\$\$(.+?)\$\$", re.S)
_INLINE_RE = re.compile(r"(?<![\\$])\$([^$\n]+?)\$")


def _code_span(tex: str) -> str:
    ticks = "``" if "`" in tex else "`"
    return f"{ticks}{tex}{ticks}"


def format_value(value: float) -> str:
    if value == 0:
        return "0"
    if abs(value) >= 1e4 or abs(value) < 1e-3:
        return f"{value:.3g}"
    return f"{value:.4g}"


def badge(status: ClaimStatus | None, lang: str) -> str:
    if status is None or status.holds is None:
        return "〔未运行 not run〕" if lang == "zh" else "〔not run yet〕"
    mark = "✓" if status.holds else "✗"
    return f"〔{status.claim_id}: {format_value(status.value)} {mark}〕"


def answer_markdown(question: Question, lang: str, statuses: list[ClaimStatus]) -> str:
    """The answer body prepared for rich's Markdown renderer."""
    return terminal_markdown(question.answer[lang], lang, statuses)


def terminal_markdown(body: str, lang: str, statuses: list[ClaimStatus]) -> str:
    """Any part of an answer (Markdown) prepared for rich: claim badges, math as code."""
    by_ref = {(s.experiment_id, s.claim_id): s for s in statuses}
    body = CLAIM_REF_RE.sub(lambda m: badge(by_ref.get((m.group(1), m.group(2))), lang), body)
    body = _DISPLAY_RE.sub(lambda m: "\n```latex\n" + m.group(1).strip() + "\n```\n", body)
    return _INLINE_RE.sub(lambda m: _code_span(m.group(1)), body)


def render(question: Question, lang: str, statuses: list[ClaimStatus], console,
           evidence: dict | None = None) -> None:
    """Print the question, its answer and the claims table. ``evidence`` (experiment id ->
    :class:`~dlproof.experiments.snapshot.Evidence`) adds where each result comes from (your run
    or the shipped snapshot, and the code it was measured with), seed sweeps and figure files."""
    from rich.markdown import Markdown
    from rich.panel import Panel
    from rich.table import Table

    zh = lang == "zh"
    meta = Table.grid(padding=(0, 2))
    meta.add_column(style="bold cyan", no_wrap=True)
    meta.add_column()
    meta.add_row("id", question.id)
    meta.add_row("主题" if zh else "topic", topic_label(question.topic, lang))
    meta.add_row("难度" if zh else "difficulty", "★" * question.difficulty)
    if question.book_section:
        meta.add_row("教材" if zh else "book", question.book_section)
    for i, line in enumerate(question.seed_lines):
        meta.add_row(("原题" if zh else "seed line") if i == 0 else "", line)
    if question.related:
        meta.add_row("相关" if zh else "related", ", ".join(question.related))
    if question.experiments:
        meta.add_row("实验" if zh else "experiments", ", ".join(question.experiments))
    console.print(Panel(meta, title=f"[bold]{question.title(lang)}[/bold]", title_align="left"))
    if not question.answered:
        console.print(
            "[yellow]这道题还没有解答。[/yellow] 它已收录在题库中，解答与实验将在后续加入。"
            if zh else
            "[yellow]Not answered yet.[/yellow] The question is in the bank; its answer and "
            "experiment have not been written."
        )
        return
    console.print(Markdown(answer_markdown(question, lang, statuses), code_theme="ansi_dark"))
    if statuses:
        # overflow="fold": in a narrow terminal long claim ids and formulas break across
        # lines instead of being cut to "…" (the reader needs the whole id to run it).
        table = Table(title="实测结论" if zh else "Measured claims", title_justify="left")
        table.add_column("claim", style="cyan", overflow="fold")
        table.add_column("陈述" if zh else "statement", overflow="fold")
        table.add_column("实测值" if zh else "measured", justify="right", overflow="fold")
        table.add_column("判据" if zh else "criterion", overflow="fold")
        table.add_column("结果" if zh else "verdict", overflow="fold")
        for s in statuses:
            if s.holds is None:
                table.add_row(f"{s.experiment_id}/{s.claim_id}", "", "—", "",
                              "未运行" if zh else "not run")
                continue
            verdict = "[green]成立[/green]" if zh else "[green]holds[/green]"
            if not s.holds:
                verdict = "[red]不成立[/red]" if zh else "[red]FAILS[/red]"
            ev = (evidence or {}).get(s.experiment_id)
            sweep = ev.sweep_text(s.claim_id, lang) if ev is not None else ""
            if sweep:
                verdict += f"\n[dim]{sweep}[/dim]"
            table.add_row(f"{s.experiment_id}/{s.claim_id}", s.zh if zh else s.en,
                          format_value(s.value), s.comparison, verdict)
        console.print(table)
        for eid, ev in (evidence or {}).items():
            if ev is None:
                continue
            style = "dim" if ev.current else "yellow"
            console.print(f"[bold]{eid}[/bold]: [{style}]{ev.label(lang)}[/{style}]",
                          highlight=False)
            for f in ev.report.figures:
                path = f.paths.get("svg") or f.paths.get("png")
                if path:
                    console.print(f"  {'图' if zh else 'figure'} {f.name}: {path}", style="dim",
                                  highlight=False)
        if any(s.holds is None for s in statuses):
            hint = "运行 `dlproof run %s` 来测量。" if zh else "Run `dlproof run %s` to measure."
            console.print(hint % " / ".join(question.experiments))
