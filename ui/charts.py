"""Showing bnviz's Plotly figure dicts without re-validating them on every rerun.

``st.plotly_chart`` passes a dict through ``plotly.graph_objs.Figure`` to
validate it, which costs 10-30 ms per figure and rerun. bnviz's figure
builders are validated once, in the unit tests (``tests/unit/test_figures.py``),
so here a dict is wrapped as an already-validated figure: Streamlit then only
serializes it.

A figure whose ``layout.meta.min_width`` is set (diagrams whose labels would
overlap when squeezed, e.g. on a 390 px phone) is drawn at least that wide,
inside a box that scrolls sideways (styled and made keyboard-focusable by
``ui.style``) rather than being cut or squeezed.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from html import escape

import numpy as np
import streamlit as st
from plotly.basedatatypes import BaseFigure

from bnviz.figures.svg import to_svg
from bnviz.figures.table import table_html
from bnviz.i18n import t

Array = np.ndarray

CONFIG = {"displayModeBar": False}


class _Checked(BaseFigure):
    """A figure dict that plotly treats as validated (``to_dict`` returns it)."""

    def __init__(self, spec: dict) -> None:  # no BaseFigure.__init__: that validates
        self._spec = spec

    def to_dict(self) -> dict:
        return self._spec


def plot(fig: dict, key: str, container=st) -> None:
    """Draw a figure dict from ``bnviz.figures`` in ``container``."""
    if _strict.get() and container is st:
        raise RuntimeError(f"the Plotly figure {key!r} is drawn in a step with no container of its own: "
                           "draw it as SVG, or leave html_only off for this stepper")
    min_width = (fig.get("layout", {}).get("meta") or {}).get("min_width")
    if not min_width:
        container.plotly_chart(_Checked(fig), config=CONFIG, key=key)
        return
    width = int(min_width)
    box = container.container(key=f"scroll{width}_{key}")  # CSS class st-key-scroll<width>_<key>
    box.html(f'<style>[class*="st-key-scroll{width}_"] > div {{ min-width: {width}px; }}</style>')
    box.plotly_chart(_Checked(fig), config=CONFIG, key=key)


class _Html(str):
    """Our own generated HTML for ``st.html``: ``_repr_html_`` makes Streamlit take it as it is (no file-path
    lookup on the filesystem, no dedent), which matters for ~50 of them per rerun."""

    def _repr_html_(self) -> str:
        return str(self)


def figure_html(fig: dict, width: int = 700, memo: str = "") -> str | None:
    """A figure as the static ``<div data-testid="bnviz-figure"><svg>…`` (None: Plotly must draw it);
    ``width``: its drawing width in px (text keeps its size when the figure is shown that wide).
    ``memo``: a name that alone determines the figure (e.g. a step's diagram): the drawing is memoised
    on it instead of on the figure's JSON, which then need not be written on every rerun."""
    svg = _cached_svg(fig, width, memo)
    return None if svg is None else f'<div class="bnviz-figure" data-testid="bnviz-figure">{svg}</div>'


def picture(fig: dict, key: str, container=st, caption: str = "", memo: str = "") -> None:
    """A figure inside a step: a light static SVG (``bnviz.figures.svg``), else Plotly when it cannot be drawn.
    ``caption`` (plain text, escaped) goes under it in the same element; ``memo`` as in :func:`figure_html`."""
    div = figure_html(fig, memo=memo)
    if div is None:
        plot(fig, key, container)
        if caption:
            container.caption(caption)
    else:
        html(div + caption_html(caption), container)


def caption_html(text: str) -> str:
    """Plain text styled like ``st.caption`` (escaped)."""
    if not text:
        return ""
    return f'<p class="bnviz-caption" style="font-size:0.875rem;color:#5c5b5a;margin:0.25rem 0 0">{escape(text)}</p>'


_collected: ContextVar[list[str] | None] = ContextVar("bnviz_collected_html", default=None)
_strict: ContextVar[bool] = ContextVar("bnviz_collected_strict", default=False)


@contextmanager
def collecting(strict: bool = False) -> Iterator[list[str]]:
    """While active (in this thread), :func:`html` into the page appends to the yielded list instead of drawing
    an element: ``ui.stepper`` gathers each step's static HTML so that all steps are ONE element.

    ``strict``: there is no container to draw into (``stepper(..., html_only=True)``), so a Plotly figure
    (:func:`plot`) raises instead of landing outside the step."""
    parts: list[str] = []
    token, strict_token = _collected.set(parts), _strict.set(strict)
    try:
        yield parts
    finally:
        _collected.reset(token)
        _strict.reset(strict_token)


def html(body: str, container=st) -> None:
    """One element of HTML that bnviz generated (never learner text unescaped). ``st.html`` sanitizes SVG and
    MathML away, so markup with a figure or a formula goes through ``st.markdown(unsafe_allow_html=True)``
    (one line: no Markdown inside). Inside :func:`collecting`, HTML for the page goes to the collection."""
    parts = _collected.get()
    if parts is not None and container is st:
        parts.append(body)
        return
    if "<svg" in body or "<math" in body:
        container.markdown(body.replace("\n", " "), unsafe_allow_html=True)
    else:
        container.html(_Html(body))


SHOWN_ROWS = 32
"""A table or heatmap on screen shows at most this many rows (samples): a page at m = 512, D = 16 sent 15 MB
and took a second of the server's time per change. The downloads hold every number."""


def shown_table_html(columns: dict[str, list], caption: str = "") -> str:
    """``table_html`` of the first :data:`SHOWN_ROWS` rows, with a sentence under it when rows were left out."""
    total = len(next(iter(columns.values()), []))
    if total <= SHOWN_ROWS:
        return table_html(columns, caption)
    lang = getattr(st.session_state.get("_settings"), "lang", "en")
    cut = {name: cells[:SHOWN_ROWS] for name, cells in columns.items()}
    return table_html(cut, caption) + caption_html(t("table.rows_shown", lang, shown=SHOWN_ROWS, total=total))


def shown_block(values: Array) -> Array:
    """The part of a matrix a heatmap on screen shows: its first :data:`SHOWN_ROWS` rows and columns."""
    return values[:SHOWN_ROWS, :SHOWN_ROWS]


def table(columns: dict[str, list], container=st, caption: str = "") -> None:
    """A light static table (one ``st.html``): ``columns`` name → cells (numbers shown to 6 significant digits),
    the first :data:`SHOWN_ROWS` rows of it."""
    html(shown_table_html(columns, caption), container)


_SVGS: dict[str, str | None] = {}
_SVGS_MAX = 512
_SVGS_LOCK = threading.Lock()
"""Sessions run in their own threads: the memo is read and trimmed under this lock (a trim while another
thread iterated it raised "dictionary changed size during iteration" under the load test)."""


def _cached_svg(fig: dict, width: int = 700, memo: str = "") -> str | None:
    """``to_svg`` memoised on the figure's JSON (a step diagram is the same on every rerun), or on ``memo``
    when given, in the page's language (the accessible name of a figure without words)."""
    lang = getattr(st.session_state.get("_settings"), "lang", "en")
    try:
        key = f"{width}:{lang}:" + (f"memo:{memo}" if memo else json.dumps(fig, separators=(",", ":")))
    except TypeError:  # not plain JSON (e.g. NumPy values): draw it every time
        return to_svg(fig, width, lang)
    with _SVGS_LOCK:
        if key in _SVGS:
            return _SVGS[key]
    svg = to_svg(fig, width, lang)  # outside the lock: another session may draw the same figure meanwhile
    with _SVGS_LOCK:
        while len(_SVGS) >= _SVGS_MAX:
            _SVGS.pop(next(iter(_SVGS)))  # the oldest
        _SVGS[key] = svg
    return svg
