"""What bnviz's static HTML puts on the page, read back from an AppTest run: formulas (as LaTeX) and notes."""

from __future__ import annotations

import html
import re

_ALT = re.compile(r'<math alttext="([^"]*)"')
_METRIC = re.compile(r'<div class="bnviz-metric"><div class="label"[^>]*>([^<]*)</div>'
                     r'<div class="value"[^>]*>([^<]*)</div>')
_CAPTION = re.compile(r'<p class="bnviz-caption"[^>]*>([^<]*)</p>')
_NOTE = re.compile(r'<div class="bnviz-note" data-kind="([a-z]+)"[^>]*>([^<]*)</div>')


def every_html(at) -> list[str]:
    """The HTML of every st.markdown / st.html element and of every step (shown or not)."""
    from app_helpers import step_htmls

    return [str(e.value) for e in [*at.markdown, *at.get("html")]] + [
        b for bodies in step_htmls(at).values() for b in bodies]


def formulas(at) -> list[str]:
    """Every formula on the page: ``st.latex`` bodies (without ``$$``) and MathML blocks (their ``alttext``),
    every step's included (shown or not)."""
    tex = [e.value.strip().removeprefix("$$").removesuffix("$$").strip() for e in at.latex]
    for body in every_html(at):
        tex += [html.unescape(m) for m in _ALT.findall(body)]
    return tex


def shown_formulas(at) -> list[str]:
    """The formulas a learner sees: outside every step, and in each stepper's current step."""
    from app_helpers import shown

    tex = [e.value.strip().removeprefix("$$").removesuffix("$$").strip() for e in shown(at, "latex")]
    for e in shown(at, ("markdown", "html")):
        tex += [html.unescape(m) for m in _ALT.findall(str(e.value))]
    return tex


def notes(at, kind: str = "info") -> list[str]:
    """The notes of ``kind`` ("info", "success", "warning") a learner sees: ``st.info`` (…) elements and bnviz's
    note boxes (``ui.render.note_html``), outside the steps and in each stepper's current step."""
    from app_helpers import shown

    out = [str(e.value) for e in shown(at, kind)]
    for e in shown(at, ("markdown", "html")):
        out += [html.unescape(text) for k, text in _NOTE.findall(str(e.value)) if k == kind]
    return out


def metrics(at) -> dict[str, str]:
    """name → shown value of every metric on the page: ``st.metric`` and bnviz's metric blocks
    (``ui.nets_controls.value_tables``), every step's included."""
    out = {m.label: m.value for m in at.metric}
    for body in every_html(at):
        out.update({html.unescape(k): html.unescape(v) for k, v in _METRIC.findall(body)})
    return out


def captions(at) -> list[str]:
    """The captions a learner sees: ``st.caption`` elements and bnviz's caption lines (``ui.charts.caption_html``),
    outside the steps and in each stepper's current step."""
    from app_helpers import shown

    out = [str(e.value) for e in shown(at, "caption")]
    for e in shown(at, ("markdown", "html")):
        out += [html.unescape(text) for text in _CAPTION.findall(str(e.value))]
    return out
