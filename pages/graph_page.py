"""Page: the BN computation graph, stepped forward then backward; LayerNorm through the same graph."""

import streamlit as st

from bnviz import ablation, data
from bnviz.i18n import InputError, t
from bnviz.lessons.graph import bn_walkthrough, ln_problem
from ui import ablation as ablation_ui
from ui import graph_controls as ui
from ui import render, sidebar
from ui.stepper import stepper

s = sidebar.current()
lang = s.lang
st.title(t("page.graph.title", lang))
st.caption(t("page.graph.intro", lang))
norm, removed = ui.controls(lang)
layer = norm == "layer"

try:
    problem = ln_problem(s) if layer else data.make_problem(s)
except InputError as err:
    render.input_error(err, lang)
render.notes(problem.notes, lang)
walk = bn_walkthrough(problem, s, lang, norm, ablate=removed)
view = ui.view(problem.m, problem.d, layer, lang)

for step in stepper(walk, lang, "step", html_only=True):
    ui.diagram(step, lang)
    render.formulas(step, lang)
    ui.values(step, walk, view, lang)

if removed is not None:
    ablation_ui.show(ablation.ablate(problem, removed), lang, view.feature, view.rows_title)
render.tables(walk)

render.downloads(walk, "bnviz-graph")
