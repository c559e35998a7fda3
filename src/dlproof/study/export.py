"""Exports: an Anki deck (``.apkg``) and a static offline HTML site.

Anki
    One note per *answered* question and language (an Anki card needs an answer to show; the
    unanswered questions stay in ``dlproof quiz`` and the web quiz, labelled as such). Two decks,
    ``dlproof::中文`` and ``dlproof::English``, and one note model, all with fixed ids, and a note
    GUID derived from ``(question id, lang)``: re-importing a newer export updates the notes in
    place and keeps the review history. Math stays TeX inside ``\\(...\\)`` / ``\\[...\\]``, which
    Anki's own MathJax renders. Figures of the latest runs are embedded as PNG media.

Static site
    ``index.html``, ``map.html`` (the question map), ``q/ID.html`` per question,
    ``topics/TOPIC.html`` per topic, our CSS/JS, the
    figures of the latest runs (the user's, else the evidence snapshot's, under ``evidence/``)
    and just one MathJax file (``es5/tex-svg-full.js``: TeX input with all extensions, SVG output,
    no fonts to load) copied from the installed ``mathjax`` package. All links are relative, so
    it opens from ``file://`` with no network.
"""

from __future__ import annotations

import html as _html
import shutil
from dataclasses import dataclass
from pathlib import Path

from dlproof.handbook.loader import LANGS, Question

ANKI_MODEL_ID = 1607392319  # fixed forever: changing it would duplicate every note in Anki
ANKI_DECK_IDS = {"zh": 2059400110, "en": 2059400111}
ANKI_DECK_NAMES = {"zh": "dlproof::中文", "en": "dlproof::English"}

ANKI_CSS = """
.card { font-family: -apple-system, "Segoe UI", Roboto, "PingFang SC", "Noto Sans CJK SC",
  "Microsoft YaHei", "WenQuanYi Micro Hei", sans-serif; font-size: 17px; line-height: 1.7;
  text-align: left; color: #1d2330; background: #fff; max-width: 820px; margin: 0 auto; }
.topic { color: #5f6b7a; font-size: 0.85em; }
h2 { font-size: 1.15em; border-left: 4px solid #2456a6; padding-left: 8px; }
table { border-collapse: collapse; } td, th { border-bottom: 1px solid #ddd; padding: 4px 8px; }
.claim-badge { font-size: 0.8em; border: 1px solid #ccc; border-radius: 5px; padding: 0 5px; }
.claim-badge.holds { color: #1f7a45; } .claim-badge.fails { color: #b42318; }
img { max-width: 100%; }
"""


@dataclass
class ExportSummary:
    path: Path
    notes: int = 0
    media: int = 0
    pages: int = 0
    bytes: int = 0


def _figures_for(q: Question) -> list[tuple[str, dict]]:
    """(experiment id, figure dict with absolute paths) for the latest run of each experiment."""
    from dlproof.store import figures_dir
    from dlproof.web import results

    out = []
    root = figures_dir()
    for eid in q.experiments:
        for f in results.figure_files(results.latest(eid), root):
            out.append((eid, f))
    return out


def export_anki(out: Path, questions: list[Question], langs=LANGS) -> ExportSummary:
    import genanki

    from dlproof.web import views

    model = genanki.Model(
        ANKI_MODEL_ID, "dlproof question",
        fields=[{"name": "Question"}, {"name": "Answer"}, {"name": "Topic"}, {"name": "Id"}],
        templates=[{
            "name": "Recall",
            "qfmt": '<div class="topic">{{Topic}}</div><h1>{{Question}}</h1>',
            "afmt": '{{FrontSide}}<hr id="answer">{{Answer}}<p class="topic">{{Id}}</p>',
        }],
        css=ANKI_CSS,
    )
    from dlproof.handbook.topics import topic_label

    decks = {lang: genanki.Deck(ANKI_DECK_IDS[lang], ANKI_DECK_NAMES[lang]) for lang in langs}
    media: dict[str, str] = {}
    notes = 0
    for q in questions:
        if not q.answered:
            continue
        answer = views.rendered_answer(q)
        figs = []
        for eid, f in _figures_for(q):
            png = f.get("png_abs") or f.get("svg_abs")  # the snapshot ships SVG only
            if not png:
                continue
            name = f"dlproof-{eid}-{Path(png).name}"
            media[name] = png
            figs.append((name, f))
        for lang in langs:
            fig_html = "".join(
                f'<figure><img src="{name}"><figcaption>'
                f'{_html.escape(f["caption_zh"] if lang == "zh" else f["caption_en"])}</figcaption></figure>'
                for name, f in figs)
            note = genanki.Note(
                model=model,
                fields=[_html.escape(q.title(lang)), answer[lang] + fig_html,
                        _html.escape(topic_label(q.topic, lang)), q.id],
                tags=["dlproof", q.topic, f"difficulty{q.difficulty}"],
                guid=genanki.guid_for("dlproof", q.id, lang),
            )
            decks[lang].add_note(note)
            notes += 1
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    package = genanki.Package(list(decks.values()))
    # genanki stores media under their base name; copy to uniquely named files first
    tmp = out.parent / f".{out.name}.media"
    tmp.mkdir(exist_ok=True)
    try:
        files = []
        for name, src in media.items():
            dst = tmp / name
            shutil.copyfile(src, dst)
            files.append(str(dst))
        package.media_files = files
        package.write_to_file(str(out))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return ExportSummary(out, notes=notes, media=len(media), bytes=out.stat().st_size)


class StaticUrls:
    """Relative links for a page ``depth`` folders below the site root."""

    static_site = True

    def __init__(self, depth: int):
        self.up = "../" * depth

    def index(self) -> str:
        return self.up + "index.html"

    def question(self, qid: str) -> str:
        return f"{self.up}q/{qid}.html"

    def topic(self, key: str) -> str:
        return f"{self.up}topics/{key}.html"

    def static(self, name: str) -> str:
        return f"{self.up}static/{name}"

    def mathjax(self) -> str:
        from dlproof.web.deps import MATHJAX_SCRIPT

        return f"{self.up}mathjax/{MATHJAX_SCRIPT}"

    def figure(self, rel: str) -> str:
        return f"{self.up}figures/{rel}"

    def evidence(self, rel: str) -> str:
        return f"{self.up}evidence/{rel}"

    def map(self) -> str:
        return self.up + "map.html"

    def search(self) -> str:  # not in the static site
        return self.index()

    def quiz(self) -> str:
        return self.index()


def export_html(out_dir: Path, questions: list[Question], lang: str = "zh") -> ExportSummary:
    from dlproof.store import figures_dir
    from dlproof.web import results, views
    from dlproof.web.deps import MATHJAX_SCRIPT, STATIC, make_env, mathjax_root

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    env = make_env()
    pages = 0

    def write(rel: str, template: str, depth: int, **ctx) -> None:
        nonlocal pages
        path = out / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(env.get_template(template).render(lang=lang, urls=StaticUrls(depth), **ctx),
                        "utf-8")
        pages += 1

    topics, cov, statuses = views.index_data(questions)
    write("index.html", "index.html", 0, topics=topics, coverage=cov, statuses=statuses)
    for t in topics:
        write(f"topics/{t['key']}.html", "topic.html", 1, topic=t, statuses=statuses)
    by_id = {q.id: q for q in questions}
    fig_root = figures_dir().resolve()
    registered = results.registered()
    for q in questions:
        exps = views.experiment_views(q, fig_root)
        for e in exps:
            for f in e.figures:
                for kind in ("svg", "png"):
                    if f.get(kind):
                        dst = out / f.get("where", "figures") / f[kind]
                        dst.parent.mkdir(parents=True, exist_ok=True)
                        shutil.copyfile(f[kind + "_abs"], dst)
        status = views.question_status(q, registered, {e.id: e.report for e in exps})
        write(f"q/{q.id}.html", "question.html", 1, q=q, answer=views.rendered_answer(q),
              experiments=exps, status=status, related=[by_id[r] for r in q.related if r in by_id],
              live=False)
    from dlproof.web import qmap

    mastered = qmap.mastered_ids(questions)  # either language's card, at export time
    svg, counts = qmap.render_svg(questions, mastered, StaticUrls(0).question)
    write("map.html", "map.html", 0, svg=svg, counts=counts, topics=topics)
    for name in ("style.css", "app.js", "mathjax-config.js", "map.js"):
        (out / "static").mkdir(exist_ok=True)
        shutil.copyfile(STATIC / name, out / "static" / name)
    mj = out / "mathjax" / MATHJAX_SCRIPT
    mj.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(mathjax_root() / MATHJAX_SCRIPT, mj)
    for lic in ("LICENSE",):
        if (mathjax_root() / lic).is_file():
            shutil.copyfile(mathjax_root() / lic, out / "mathjax" / lic)
    size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    return ExportSummary(out, pages=pages, bytes=size)
