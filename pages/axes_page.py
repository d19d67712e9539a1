"""Page: which axes? Batch, conv-batch, layer, instance and group norm on one (N, C, H, W) tensor."""

import streamlit as st

from bnviz.i18n import InputError, t
from bnviz.lessons import axes as lesson
from ui import axes_controls as ac
from ui import charts, render, sidebar
from ui import norms_controls as nc
from ui.stepper import stepper

s = sidebar.current()
lang = s.lang
st.title(t("page.axes.title", lang))
st.caption(t("page.axes.intro", lang))
params = ac.controls(lang)

try:
    ax = lesson.compute(s, **params)
except InputError as err:
    render.input_error(err, lang)
render.notes(ax.notes, lang)
walk = lesson.build(ax, s, lang, params)
chosen = ac.picture(ax.layout, params["norm"], lang)

table = walk.tables[0]
st.markdown(f"**{table.title}**")
nc.table(table.columns)

st.divider()
st.markdown(f"### {t('page.axes.steps', lang)}")
for step in stepper(walk, lang, "ax_step", html_only=True):
    render.formulas(step, lang)
    charts.table(lesson.table(step, chosen, walk.labels, ax.layout))

render.downloads(walk, "bnviz-axes")
