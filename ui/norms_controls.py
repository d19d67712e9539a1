"""Streamlit helpers of the normalization pages: choice widgets kept in the URL, tables.

Numeric widgets are bound with Streamlit's ``bind="query-params"``. A bound
choice widget would write its translated label into the URL, so choices are
synced by hand with their codes (as ``ui.sidebar`` does): taken from the URL
when the widget (re)appears, written back on every run.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import streamlit as st

from bnviz.i18n import t
from ui import charts

BIND = "query-params"


def _seed(key: str, options: Sequence, default: object) -> None:
    """Before the widget is drawn: take its value from the URL if it has none yet."""
    if key in st.session_state and st.session_state[key] in options:
        return
    raw = st.query_params.get(key)
    st.session_state[key] = next((o for o in options if str(o) == raw), default)


def _write(key: str, value: object, default: object) -> None:
    if value == default:
        st.query_params.pop(key, None)
    elif st.query_params.get(key) != str(value):
        st.query_params[key] = str(value)


def choice(kind: str, label: str, options: Sequence, key: str, default: object,
           format_func: Callable[[object], str], container=st, **kwargs: object) -> object:
    """A ``selectbox``, ``segmented_control``, ``radio`` or ``select_slider`` whose
    value is kept in the URL as its code (``?norm=layer``). Returns the value."""
    _seed(key, options, default)
    value = getattr(container, kind)(label, options, format_func=format_func, key=key, **kwargs)
    if value is None:  # a segmented control can be deselected: keep the default
        value = default
    _write(key, value, default)
    return value


def column_picker(count: int, lang: str, key: str, label_key: str, option_key: str, field: str,
                  container=st) -> int:
    """A selectbox of 1..count (e.g. which sample or set the table shows); 0-based result."""
    if count <= 1:
        return 0
    k = container.selectbox(t(label_key, lang), range(count), key=key,
                            format_func=lambda n: t(option_key, lang, **{field: n + 1}))
    return min(int(k), count - 1)


def table(columns: dict[str, list], container=st) -> None:
    """A light static table (it scrolls past ~9 rows): no data grid to redraw on every rerun."""
    charts.table(columns, container)
