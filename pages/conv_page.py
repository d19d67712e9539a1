"""Page: the conv layer's backward pass, animated (bnviz.lessons.conv, bnviz.figures.conv), on the one stepper."""

import streamlit as st

from bnviz.figures.conv import conv_step_animations
from bnviz.i18n import t
from bnviz.lessons import conv as lesson
from bnviz.numfmt import fmt
from ui import conv_controls as ui
from ui import render
from ui.stepper import stepper

lang, problem, walk = ui.open_lesson("conv", lesson, ui.conv_params)
sh = problem.shape
st.caption(t("page.conv.shapes", lang, c=sh["C"], h=sh["H"], w=sh["W"], hp=sh["H"] + 2 * sh["P"],
             wp=sh["W"] + 2 * sh["P"], f=sh["F"], hh=sh["HH"], ww=sh["WW"], ho=sh["Ho"], wo=sh["Wo"]))
f, c = ui.channel_pickers(sh["C"], sh["F"], lang)
how = ui.mode(lang, "conv")
TITLES = {"channels": ("page.conv.channels_forward", "page.conv.channels_backward"),
          "scatter": ("page.conv.scatter_title", "page.conv.full_title")}

for step in stepper(walk, lang, "conv_step"):
    render.formulas(step, lang, fold=ui.LONG, fold_label=t("page.conv.long_formula", lang))
    titles = [t(k, lang) for k in TITLES.get(step.focus, ())]
    ui.animations(conv_step_animations(problem, step.focus, f, c, lang), lang, f"conv_{step.focus}", how, titles,
                  side_by_side=step.focus != "scatter")  # the scatter step's two are wide
    if step.focus == "scatter":
        st.success(t("page.conv.agree", lang, diff=fmt(problem.views_gap)))
    ui.values(step, walk, lang)
render.downloads(walk, "bnviz-conv", key="conv_dl")
