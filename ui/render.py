"""Streamlit renderers shared by pages: steps, errors, notes, downloads."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from html import escape

import streamlit as st

from bnviz import export
from bnviz.figures import mathml
from bnviz.figures.table import table_html
from bnviz.i18n import InputError, escape_markdown, t
from bnviz.steps import LABELS, Step, Table, Walkthrough, feature_table
from ui import charts
from ui import predict as predict_ui


def input_error(err: InputError, lang: str, hint: str = "page.graph.fix_input") -> None:
    """Explain bad input and stop the page (the sidebar keeps working); ``hint``: the catalog key of what to do.
    Learner text quoted in the sentence is escaped, so it shows as text, never as Markdown."""
    st.error(err.message(lang, escape=escape_markdown))
    st.info(t(hint, lang))
    st.stop()


def notes(items: tuple[tuple[str, dict], ...], lang: str) -> None:
    for key, fields in items:
        st.warning(t(key, lang, **fields))


def formulas(step: Step, lang: str, fold: int = 0, fold_label: str = "") -> None:
    """The step's formulas and local derivatives as ONE light element (MathML, laid out by the browser), then
    its note; with ``fold`` > 0, lines longer than ``fold`` characters go into a fold titled ``fold_label``."""
    charts.html(formulas_html(step, lang, fold, fold_label) + note_html(step.note))


NOTE_STYLE = {
    "info": "background:rgba(28,131,225,0.1);color:#0b3a66",
    "success": "background:rgba(33,195,84,0.1);color:#0e4d20",
    "warning": "background:rgba(255,189,69,0.2);color:#5c3c00",
}
"""A note's colours, like ``st.info`` / ``st.success`` / ``st.warning`` (text contrast ≥ 7:1 on the tint)."""


def note_html(text: str, kind: str = "info") -> str:
    """A boxed note (plain text, escaped), as ``st.info`` draws one; '' for no text."""
    if not text:
        return ""
    return (f'<div class="bnviz-note" data-kind="{kind}" role="note" style="{NOTE_STYLE[kind]};'
            f'border-radius:0.5rem;padding:0.75rem 1rem;margin:0.25rem 0 0.75rem">{escape(text)}</div>')


def note(text: str, kind: str = "info") -> None:
    """A note in a step (one with the step's other static HTML) or on the page."""
    charts.html(note_html(text, kind))


def caption(text: str) -> None:
    """Small grey text (plain, escaped), like ``st.caption``."""
    charts.html(charts.caption_html(text))


def heading(text: str) -> None:
    """A bold line (plain, escaped) above what follows, like ``st.markdown("**…**")``."""
    charts.html(f'<p style="font-weight:600;margin:0.5rem 0 0.25rem">{escape(text)}</p>')


def formulas_html(step: Step, lang: str, fold: int = 0, fold_label: str = "") -> str:
    """Two columns (3/5 and 2/5, stacked on a narrow screen): "Formula" and "Local derivative"."""
    def column(title_key: str, lines: tuple[str, ...], grow: int) -> str:
        long = [line for line in lines if fold and len(line) > fold]
        body = "".join(_math(line, label) for line in lines if line not in long)
        if long:
            body += (f'<details class="bnviz-fold"><summary>{escape(fold_label)}</summary>'
                     + "".join(_math(line, label) for line in long) + "</details>")
        return (f'<div style="flex:{grow} 1 16rem;min-width:0"><p style="font-weight:600;margin:0 0 0.25rem">'
                f'{escape(t(title_key, lang))}</p>{body}</div>')

    label = t("sees.a11y.formula", lang)
    cols = column("page.graph.formula", step.latex, 3)
    if step.local:
        cols += column("page.graph.local", step.local, 2)
    return f'<div class="bnviz-formulas" data-testid="bnviz-formulas">{cols}</div>'


def _math(latex: str, label: str) -> str:
    """One display formula in a box that scrolls sideways when wider than its column.

    The box is always a labelled region the keyboard can reach (axe-core's ``scrollable-region-focusable``):
    whether it scrolls depends on the column's width and on when the math font loads, which a script that
    marks only the scrolling ones raced against.
    """
    return (f'<div class="bnviz-math" tabindex="0" role="region" aria-label="{escape(label)}">'
            f'{mathml.block(latex)}</div>')


def feature_picker(d: int, lang: str) -> int:
    """A selectbox of features 1..d; returns the 0-based index."""
    if d == 1:
        return 0
    j = st.selectbox(t("page.graph.feature", lang), range(d), key="feature",
                     format_func=lambda k: t("page.graph.feature_option", lang, j=k + 1))
    return min(int(j), d - 1)


def value_table(step: Step, feature: int, labels: dict[str, str] | None = None) -> None:
    """The step's values for one feature as a table (``labels``: the walkthrough's own names)."""
    charts.table(feature_table(step, feature, labels))


def values_block(title: str, step: Step, feature: int, labels: dict[str, str] | None, above: list[dict],
                 beside: dict | None) -> None:
    """A step's live values as ONE light element: ``title``, the figures ``above``, then the value table
    (3/5 of the width) beside the figure ``beside`` (2/5). A figure the SVG builder cannot draw falls back
    to Plotly below."""
    figs = [(fig, charts.figure_html(fig)) for fig in above]
    figs += [(beside, charts.figure_html(beside, width=420))] if beside else []
    drawn = {id(fig): div for fig, div in figs if div is not None}
    top = "".join(drawn.get(id(fig), "") for fig in above)
    table = charts.shown_table_html(feature_table(step, feature, labels))
    side = drawn.get(id(beside), "") if beside else ""
    row = (f'<div style="display:flex;gap:1rem;flex-wrap:wrap"><div style="flex:3 1 18rem;min-width:0">{table}</div>'
           f'<div style="flex:2 1 14rem;min-width:0">{side}</div></div>') if side else table
    charts.html(f'<p style="font-weight:600;margin:0.5rem 0 0.25rem">{escape(title)}</p>{top}{row}')
    for n, (fig, div) in enumerate(figs):
        if div is None:
            charts.plot(fig, f"values-{step.key}-{n}")


def tables(walk: Walkthrough) -> None:
    """The walkthrough's lesson tables, each folded away under its title (intro, table, note)."""
    for table in walk.tables:
        lesson_table(table)


def lesson_table(table: Table) -> None:
    """One lesson table as ONE light element: a native ``<details>`` styled like an expander (``ui.style``),
    instead of an expander's block and its three elements."""
    intro = f"<p>{escape(table.intro)}</p>" if table.intro else ""
    note = charts.caption_html(table.note)
    charts.html(f'<details class="bnviz-details" data-key="{escape(table.key)}"><summary>{escape(table.title)}'
                f"</summary><div>{intro}{table_html(table.columns)}{note}</div></details>")


def downloads(walk: Walkthrough | list[Walkthrough] | Callable[[], object], stem: str, lang: str | None = None,
              key: str = "dl", intro: str = "export.downloads", exercises: bool | None = None) -> None:
    """One download button per export format; a file is written only when its
    button is clicked. ``walk`` may be a callable returning the walkthrough(s)
    (e.g. the whole course), so nothing is built until then. ``exercises``: the
    Markdown and notebook carry the lesson's predict-mode questions (``bnviz.exercises``);
    None: when the page is in predict mode."""
    lang = lang or walk.lang
    if exercises is None:
        exercises = predict_ui.active()
    st.caption(t(intro, lang))
    row = st.container(horizontal=True)  # one block, not a block per column
    for fmt in export.FORMATS:
        row.download_button(t(f"export.download_{fmt}", lang), partial(_export, walk, fmt, exercises),
                            file_name=f"{stem}.{fmt}", mime=export.MIME[fmt], on_click="ignore",
                            key=f"{key}_{fmt}")


def _export(walk, fmt: str, exercises: bool = False) -> str:
    walk = walk() if callable(walk) else walk
    if exercises and isinstance(walk, Walkthrough):
        from bnviz import exercises as ex

        return ex.render(walk, fmt)
    return export.render(walk, fmt)


def label(key: str) -> str:
    return LABELS.get(key, key)
