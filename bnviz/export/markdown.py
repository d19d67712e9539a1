"""The Markdown export: ``$$`` math and value tables; its step text and lesson tables are also the
notebook's markdown cells."""

from __future__ import annotations

from bnviz import __version__
from bnviz.export.common import Walks, new_values, own_step, setting_rows, value_tables, walks_of
from bnviz.i18n import escape_markdown, t
from bnviz.steps import Step, Table, Walkthrough


def step_text(s: Step, lang: str, heading: str) -> list[str]:
    """A step's heading, $$ formulas, local derivatives and note as Markdown lines
    (shared by the Markdown export and the notebook's markdown cells)."""
    out = [heading, ""]
    for line in s.latex:
        out += ["$$", line, "$$", ""]
    if s.local:
        out += [f"**{t('export.local', lang)}**", ""]
        for line in s.local:
            out += ["$$", line, "$$", ""]
    if s.note:
        out += [s.note, ""]
    return out


def _md_walk(walk: Walkthrough, level: int) -> list[str]:
    h = "#" * level
    lang = walk.lang
    out = [f"{h} {walk.title}", "", f"{h}# {t('export.settings', lang)}", ""]
    out += [f"- {escape_markdown(k)}: {escape_markdown(v)}" for k, v in setting_rows(walk)] + [""]
    for n, (s, own) in enumerate(zip(walk.steps, new_values(walk), strict=True), start=1):
        out += step_text(s, lang, f"{h}# {n}. {s.title}")
        if own:
            out += [f"**{t('export.values', lang)}**", ""]
            for caption, heads, rows in value_tables(own_step(s, own), walk):
                if caption:
                    out += [f"*{caption}*", ""]
                out += ["| " + " | ".join(heads) + " |", "|---" * len(heads) + "|"]
                out += ["| " + " | ".join(r) + " |" for r in rows] + [""]
    for tb in walk.tables:
        out += table_lines(tb, f"{h}#")
    return out


def table_lines(tb: Table, heading: str) -> list[str]:
    """A lesson table as Markdown: heading, intro, the table, its note."""
    def cell(c: object) -> str:
        return str(c).replace("|", "\\|")

    heads = [cell(h) for h in tb.columns]
    out = [f"{heading} {tb.title}", "", *([tb.intro, ""] if tb.intro else [])]
    out += ["| " + " | ".join(heads) + " |", "|---" * len(heads) + "|"]
    out += ["| " + " | ".join(map(cell, r)) + " |" for r in tb.rows] + [""]
    return out + ([tb.note, ""] if tb.note else [])


def to_markdown(walks: Walks) -> str:
    """The steps as Markdown with $$ math and value tables."""
    items = walks_of(walks)
    lang = items[0].lang
    if isinstance(walks, Walkthrough):
        head = [t("export.generated", lang, version=__version__), ""]
        body = _md_walk(walks, 1)
        return "\n".join([*body[:2], *head, *body[2:]])
    out = [f"# {t('export.course_title', lang)}", "", t("export.generated", lang, version=__version__), ""]
    for w in items:
        out += _md_walk(w, 2)
    return "\n".join(out)
