"""Page: pooling's backward pass, animated (bnviz.lessons.pool, bnviz.figures.pool)."""

from dataclasses import asdict

import streamlit as st

from bnviz.figures.pool import pool_step_animations
from bnviz.i18n import InputError, t
from bnviz.lessons import pool as lesson
from bnviz.numfmt import fmt
from ui import conv_controls as ui
from ui import render, sidebar

s = sidebar.current()
lang = s.lang
st.title(t("page.pool.title", lang))
st.caption(t("page.pool.intro", lang))

with st.container(border=True):
    params = ui.pool_params(lang, s.seed)
try:
    problem = lesson.page_problem(s.seed, params)
    walk = lesson.walkthrough(s, lang, **asdict(params))
except InputError as err:
    render.input_error(err, lang, "page.conv.fix_input")
(h, w), (ho, wo) = problem.x.shape[2:], problem.out.shape[2:]
st.caption(t("page.pool.shapes", lang, h=h, w=w, k=problem.size, s=problem.stride, p=problem.pad, ho=ho, wo=wo))

step = ui.step_nav(walk, lang, "pool")  # the one step navigation call (the client-side stepper replaces it)
render.formulas(step, lang, fold=ui.LONG, fold_label=t("page.conv.long_formula", lang))
compare = step.focus == "compare"
titles = [t("page.pool.compare_max", lang), t("page.pool.compare_avg", lang)] if compare else None
ui.animations(pool_step_animations(problem, step.focus, lang), lang, "pool", titles)
if compare:
    st.success(t("page.pool.sums", lang, **{k: fmt(v) for k, v in problem.sums.items()}))
ui.values(step, walk, lang)
render.downloads(walk, "bnviz-pool", key="pool_dl")
