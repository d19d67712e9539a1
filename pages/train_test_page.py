"""Page: train vs test — running statistics of cs231n, PyTorch, Keras/TensorFlow and Caffe, and BN in test mode."""

import streamlit as st

from bnviz.i18n import InputError, t
from bnviz.lessons import train_test as lesson
from bnviz.steps import feature_table
from ui import norms_controls as nc
from ui import render, sidebar
from ui import train_test_controls as ui
from ui.charts import table
from ui.stepper import stepper

s = sidebar.current()
lang = s.lang
st.title(t("page.train_test.title", lang))
st.caption(t("page.train_test.intro", lang))
params = ui.controls(lang)

try:
    tt = lesson.compute(s, **params)
except InputError as err:
    render.input_error(err, lang)
render.notes(tt.notes, lang)
walk = lesson.build(tt, s, lang, params)

j = nc.column_picker(tt.x.shape[1], lang, "tt_feature", "page.train_test.feature", "page.graph.feature_option", "j")
ui.estimates(tt, params, j, lang)
ui.frameworks_section(tt, params["k"], j, lang)

st.divider()
st.markdown(f"### {t('page.train_test.steps', lang)}")
for step in stepper(walk, lang, "tt_step", html_only=True):
    ui.test_graph(step, lang)
    render.formulas(step, lang)
    table(feature_table(step, j, walk.labels))

render.downloads(walk, "bnviz-train-test")
