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

import streamlit as st
from plotly.basedatatypes import BaseFigure

CONFIG = {"displayModeBar": False}


class _Checked(BaseFigure):
    """A figure dict that plotly treats as validated (``to_dict`` returns it)."""

    def __init__(self, spec: dict) -> None:  # no BaseFigure.__init__: that validates
        self._spec = spec

    def to_dict(self) -> dict:
        return self._spec


def plot(fig: dict, key: str, container=st) -> None:
    """Draw a figure dict from ``bnviz.figures`` in ``container``."""
    min_width = (fig.get("layout", {}).get("meta") or {}).get("min_width")
    if not min_width:
        container.plotly_chart(_Checked(fig), config=CONFIG, key=key)
        return
    width = int(min_width)
    box = container.container(key=f"scroll{width}_{key}")  # CSS class st-key-scroll<width>_<key>
    box.html(f'<style>[class*="st-key-scroll{width}_"] > div {{ min-width: {width}px; }}</style>')
    box.plotly_chart(_Checked(fig), config=CONFIG, key=key)
