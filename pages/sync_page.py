"""Page: BN on several simulated devices — per-device BN, SyncBN, GroupNorm (bnviz.lessons.sync)."""

import streamlit as st

from bnviz.i18n import InputError, t
from bnviz.lessons import sync as lesson
from ui import norms_controls as nc
from ui import practice_controls as pc
from ui import render, sidebar
from ui import sync_controls as ui
from ui.stepper import stepper

s = sidebar.current()
lang = s.lang
st.title(t("page.sync.title", lang))
st.caption(t("page.sync.intro", lang))
devices, groups = ui.controls(s, lang)

try:
    le = lesson.compute(s, devices, groups)
except InputError as err:
    render.input_error(err, lang)
render.notes(le.problem.notes, lang)
walk = lesson.build(le, s, lang)

st.markdown(f"### {t('page.sync.steps', lang)}")
j = nc.column_picker(le.problem.d, lang, "sync_feature", "page.graph.feature", "page.graph.feature_option", "j")
for step in stepper(walk, lang, "sync_step", html_only=True):
    render.formulas(step, lang)
    ui.picture_of(step, walk, le, j, lang)
    pc.arrays(step, walk)
render.downloads(walk, "bnviz-sync", key="sync_dl")
