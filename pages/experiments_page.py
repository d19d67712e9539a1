"""Page: the reproductions — the BN paper's Figure 1 and cs231n's weight-scale and batch-size sweeps."""

import streamlit as st

from bnviz.i18n import InputError, t
from bnviz.lessons import experiments as E
from ui import experiments_controls as ui
from ui import render, sidebar

s = sidebar.current()
lang = s.lang
st.title(t("page.experiments.title", lang))
st.caption(t("page.experiments.intro", lang))
fig1_steps, epochs = ui.controls(s.seed, lang)

try:
    E.check(fig1_steps, epochs, s.seed)
except InputError as err:
    render.input_error(err, lang)

tabs, results = ui.run_tabs(E.walkthrough(s, lang, fig1_steps, epochs), fig1_steps, epochs, s.seed, lang)
walk = E.walkthrough(s, lang, fig1_steps, epochs, results)
ui.results(walk, tabs, results, lang)

render.downloads(walk, "bnviz-experiments", key="exp_dl")
