"""Page: pooling's backward pass, animated (bnviz.lessons.pool, bnviz.figures.pool), on the one stepper."""

import streamlit as st

from bnviz.figures.pool import pool_step_animations
from bnviz.i18n import t
from bnviz.lessons import pool as lesson
from bnviz.numfmt import fmt
from ui import conv_controls as ui
from ui import render
from ui.stepper import stepper

lang, problem, walk = ui.open_lesson("pool", lesson, ui.pool_params)
(h, w), (ho, wo) = problem.x.shape[2:], problem.out.shape[2:]
st.caption(t("page.pool.shapes", lang, h=h, w=w, k=problem.size, s=problem.stride, p=problem.pad, ho=ho, wo=wo))
how = ui.mode(lang, "pool")

for step in stepper(walk, lang, "pool_step"):
    render.formulas(step, lang, fold=ui.LONG, fold_label=t("page.conv.long_formula", lang))
    compare = step.focus == "compare"
    titles = [t("page.pool.compare_max", lang), t("page.pool.compare_avg", lang)] if compare else None
    ui.animations(pool_step_animations(problem, step.focus, lang), lang, f"pool_{step.focus}", how, titles)
    if compare:
        st.success(t("page.pool.sums", lang, **{k: fmt(v) for k, v in problem.sums.items()}))
    ui.values(step, walk, lang)
render.downloads(walk, "bnviz-pool", key="pool_dl")
