"""Page: why BN — batches drifting into the sigmoid's flat tails, before and after normalization."""

import streamlit as st

from bnviz.i18n import InputError, t
from bnviz.lessons import saturation
from ui import render, sidebar
from ui import saturation_controls as sc
from ui.stepper import stepper

s = sidebar.current()
lang = s.lang
st.title(t("page.saturation.title", lang))
st.caption(t("page.saturation.intro", lang))
means, scales, tau, samples = sc.controls(lang)

try:
    walk = saturation.walkthrough(s, lang, means, scales, tau, samples)
except InputError as err:
    render.input_error(err, lang)
sc.pictures(walk, s, tau, lang)

st.subheader(t("page.saturation.derivation", lang))
for step in stepper(walk, lang, "sat_step", phases=False, html_only=True):
    render.formulas(step, lang)
render.downloads(walk, "bnviz-saturation", key="sat_dl")
