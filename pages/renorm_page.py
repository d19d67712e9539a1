"""Page: Batch Renormalization — r and d, the moving statistics, the backward pass, and BN's train/test gap."""

import streamlit as st

from bnviz.i18n import InputError, t
from bnviz.lessons import renorm as lesson
from bnviz.steps import feature_table
from ui import norms_controls as nc
from ui import render, sidebar
from ui import renorm_controls as ui
from ui.charts import table
from ui.stepper import stepper

s = sidebar.current()
lang = s.lang
st.title(t("page.renorm.title", lang))
st.caption(t("page.renorm.intro", lang))
params = ui.controls(lang)

try:
    rn = lesson.compute(s, **params)
except InputError as err:
    render.input_error(err, lang)
render.notes(rn.problem.notes, lang)
walk = lesson.build(rn, s, lang, params)

st.markdown(f"### {t('page.renorm.steps', lang)}")
j = nc.column_picker(rn.problem.d, lang, "rn_feature", "page.graph.feature", "page.graph.feature_option", "j")
for step in stepper(walk, lang, "rn_step", html_only=True):
    ui.graph(step, lang)
    render.formulas(step, lang)
    ui.step_extras(step, j, lang)
    table(feature_table(step, j, walk.labels))

st.divider()
ui.experiment(params, walk, s.seed, lang)

render.downloads(walk, "bnviz-renorm")
