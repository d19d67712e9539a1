"""Page: the bug zoo — BN's common mistakes on the digits network: symptom, cause on the graph, fix."""

import streamlit as st

from bnviz.i18n import InputError, t
from bnviz.lessons import bugzoo as lesson
from ui import bugzoo_controls as ui
from ui import nets_controls, render, sidebar

s = sidebar.current()
lang = s.lang
st.title(t("page.bugzoo.title", lang))
bug, p = ui.controls(lang)

try:
    with st.spinner():
        walk = lesson.walkthrough(s, lang, dropout=p)
except InputError as err:
    render.input_error(err, lang)
st.caption(lesson.intro(walk))

texts = lesson.figure_texts(lang)
for part in lesson.PARTS:
    step = walk.steps[walk.index(f"{bug}.{part}")]
    ui.part(step, part, texts, lang)
    render.formulas(step, lang)
    nets_controls.value_tables(step, walk)

render.downloads(walk, "bnviz-bugzoo", key="zoo_dl")
