"""Markdown -> HTML: math left as escaped TeX for MathJax, claim badges, no raw HTML."""

from __future__ import annotations

from dataclasses import dataclass

from dlproof.handbook.html import claim_badge, format_value, render_markdown


@dataclass
class Status:
    value: float
    holds: bool | None
    comparison: str = "err < 1e-08"


def test_inline_and_display_math_are_wrapped_and_escaped():
    out = render_markdown("a $x<y$ b\n\n$$\n\\sum_i a_i > 0\n$$\n")
    assert '<span class="math inline">\\(x&lt;y\\)</span>' in out
    assert '<div class="math block">\\[\\sum_i a_i &gt; 0\\]</div>' in out


def test_double_dollar_inside_a_paragraph_stays_valid_html():
    out = render_markdown("see $$a+b$$ here")
    assert out.startswith("<p>") and '<span class="math display">\\[a+b\\]</span>' in out
    assert "<div" not in out


def test_markdown_inside_math_is_not_interpreted():
    out = render_markdown("$a_1 * b_2 * c_3$ and $x_{i}^{*}$")
    assert "<em>" not in out and "a_1 * b_2 * c_3" in out


def test_raw_html_is_escaped():
    out = render_markdown("<script>alert(1)</script> <img src=x onerror=alert(1)>")
    assert "<script>" not in out and "<img" not in out and "&lt;script&gt;" in out


def test_escaped_dollar_and_tables():
    out = render_markdown("costs \\$5\n\n| a | b |\n|---|---|\n| $x$ | 2 |\n")
    assert "costs $5" in out and "<table>" in out and '<span class="math inline">\\(x\\)' in out


def test_claim_badges():
    lookup = {("e", "good"): Status(1e-12, True), ("e", "bad"): Status(0.5, False)}.get
    out = render_markdown("[[claim:e/good]] [[claim:e/bad]] [[claim:e/never]]", "en",
                          lambda e, c: lookup((e, c)))
    assert 'class="claim-badge holds"' in out and "1e-12" in out and "holds" in out
    assert 'class="claim-badge fails"' in out and "fails" in out
    assert 'class="claim-badge notrun"' in out and "not run yet" in out
    zh = render_markdown("[[claim:e/good]] [[claim:e/never]]", "zh", lambda e, c: lookup((e, c)))
    assert "成立" in zh and "未运行" in zh


def test_badge_escapes_ids():
    assert "<b>" not in claim_badge("<b>", "<b>", None, "en")


def test_format_value():
    assert format_value(None) == "—"
    assert format_value(0) == "0"
    assert format_value(1.23456) == "1.235"
    assert format_value(1e-9) == "1e-09"
    assert format_value(float("nan")) == "nan"
