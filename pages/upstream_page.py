"""Page: where ∂L/∂y comes from — softmax loss → affine → ReLU → BN, stepped forward then backward."""

import streamlit as st

from bnviz import data
from bnviz.i18n import InputError, t
from bnviz.lessons import upstream
from ui import render, sidebar
from ui import upstream_controls as ui
from ui.stepper import stepper

s = sidebar.current()
lang = s.lang
st.title(t("page.upstream.title", lang))
st.caption(t("page.upstream.intro", lang))
classes, scale = ui.controls(lang)

try:
    problem = data.make_problem(s)
    walk = upstream.walkthrough(s, lang, classes, scale)
except InputError as err:
    render.input_error(err, lang)
render.notes(problem.notes, lang)

for step in stepper(walk, lang, "up_step", html_only=True):
    ui.chain(step, lang)
    render.formulas(step, lang)
    ui.values(step, walk, lang)

render.downloads(walk, "bnviz-upstream", key="up_dl")
