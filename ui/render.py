"""Streamlit renderers shared by pages: steps, errors, notes, downloads."""

from __future__ import annotations

from functools import partial

import streamlit as st

from bnviz import export
from bnviz.i18n import InputError, t
from bnviz.steps import LABELS, Step, Walkthrough, feature_table


def input_error(err: InputError, lang: str) -> None:
    """Explain bad input and stop the page (the sidebar keeps working)."""
    st.error(err.message(lang))
    st.info(t("page.graph.fix_input", lang))
    st.stop()


def notes(items: tuple[tuple[str, dict], ...], lang: str) -> None:
    for key, fields in items:
        st.warning(t(key, lang, **fields))


def formulas(step: Step, lang: str) -> None:
    left, right = st.columns([3, 2])
    with left:
        st.markdown(f"**{t('page.graph.formula', lang)}**")
        for line in step.latex:
            st.latex(line)
    with right:
        if step.local:
            st.markdown(f"**{t('page.graph.local', lang)}**")
            for line in step.local:
                st.latex(line)
    st.info(step.note)


def feature_picker(d: int, lang: str) -> int:
    """A selectbox of features 1..d; returns the 0-based index."""
    if d == 1:
        return 0
    j = st.selectbox(t("page.graph.feature", lang), range(d), key="feature",
                     format_func=lambda k: t("page.graph.feature_option", lang, j=k + 1))
    return min(int(j), d - 1)


def value_table(step: Step, feature: int) -> None:
    table = feature_table(step, feature)
    st.dataframe(table, hide_index=True, width="stretch", height=min(38 + 35 * len(next(iter(table.values()))), 320))


def downloads(walk: Walkthrough, stem: str) -> None:
    """Download buttons; the files are written only when a button is clicked."""
    lang = walk.lang
    a, b = st.columns(2)
    a.download_button(t("page.graph.download_md", lang), partial(export.to_markdown, walk),
                      file_name=f"{stem}.md", mime="text/markdown", on_click="ignore", key="dl_md")
    b.download_button(t("page.graph.download_json", lang), partial(export.to_json, walk),
                      file_name=f"{stem}.json", mime="application/json", on_click="ignore", key="dl_json")


def label(key: str) -> str:
    return LABELS.get(key, key)
