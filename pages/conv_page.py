"""Page: the conv layer's backward pass, animated (bnviz.lessons.conv, bnviz.figures.conv)."""

from dataclasses import asdict

import streamlit as st

from bnviz.figures.conv import conv_step_animations
from bnviz.i18n import InputError, t
from bnviz.lessons import conv as lesson
from bnviz.numfmt import fmt
from ui import conv_controls as ui
from ui import render, sidebar

s = sidebar.current()
lang = s.lang
st.title(t("page.conv.title", lang))
st.caption(t("page.conv.intro", lang))

with st.container(border=True):
    params = ui.conv_params(lang, s.seed)
try:
    problem = lesson.page_problem(s.seed, params)
    walk = lesson.walkthrough(s, lang, **asdict(params))
except InputError as err:
    render.input_error(err, lang, "page.conv.fix_input")
sh = problem.shape
st.caption(t("page.conv.shapes", lang, c=sh["C"], h=sh["H"], w=sh["W"], hp=sh["H"] + 2 * sh["P"],
             wp=sh["W"] + 2 * sh["P"], f=sh["F"], hh=sh["HH"], ww=sh["WW"], ho=sh["Ho"], wo=sh["Wo"]))

step = ui.step_nav(walk, lang, "conv")  # the one step navigation call (the client-side stepper replaces it)
f, c = ui.channel_pickers(sh["C"], sh["F"], lang)
render.formulas(step, lang, fold=ui.LONG, fold_label=t("page.conv.long_formula", lang))
titles = {"channels": [t("page.conv.channels_forward", lang), t("page.conv.channels_backward", lang)],
          "scatter": [t("page.conv.scatter_title", lang), t("page.conv.full_title", lang)]}.get(step.focus)
ui.animations(conv_step_animations(problem, step.focus, f, c, lang), lang, "conv", titles,
              side_by_side=step.focus != "scatter")  # the scatter step's two are wide
if step.focus == "scatter":
    st.success(t("page.conv.agree", lang, diff=fmt(problem.views_gap)))
ui.values(step, walk, lang)
render.downloads(walk, "bnviz-conv", key="conv_dl")
