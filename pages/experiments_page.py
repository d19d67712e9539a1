"""Page: the reproductions — the BN paper's Figure 1 and cs231n's weight-scale and batch-size sweeps."""

import streamlit as st

from bnviz.i18n import InputError, t
from bnviz.lessons import experiments as E
from ui import nets_controls as nc
from ui import norms_controls, render, sidebar

s = sidebar.current()
lang = s.lang
st.title(t("page.experiments.title", lang))
st.caption(t("page.experiments.intro", lang))
left, right = st.columns(2)
fig1_steps = norms_controls.choice("select_slider", t("page.experiments.fig1_steps", lang), E.FIG1_STEP_CHOICES,
                                   "fig1_steps", E.FIG1_STEPS, str, left)
epochs = norms_controls.choice("select_slider", t("page.experiments.epochs", lang), E.EPOCH_CHOICES, "epochs",
                               E.EPOCHS, str, right)
st.caption(t("page.experiments.seed_note", lang, seed=s.seed))
try:
    E.check(fig1_steps, epochs, s.seed)
except InputError as err:
    render.input_error(err, lang)

setup = {step.key: step for step in E.walkthrough(s, lang, fig1_steps, epochs).steps}
tabs = dict(zip(E.EXPERIMENTS, st.tabs([t(f"page.experiments.tab_{exp}", lang) for exp in E.EXPERIMENTS]),
                strict=True))
found = {}
for exp, tab in tabs.items():
    key = ("experiment", exp, fig1_steps if exp == "fig1" else epochs, s.seed)
    with tab:
        found[exp] = nc.experiment_tab(setup[f"{exp}.setup"], nc.store().get(key),
                                       lambda exp=exp: E.run(exp, fig1_steps, epochs, s.seed), key, f"run_{exp}", lang)

results = {exp: r["result"] for exp, r in found.items() if r}
walk = E.walkthrough(s, lang, fig1_steps, epochs, results)
notes = {step.key: step.note for step in walk.steps}
for exp, res in results.items():
    with tabs[exp]:
        nc.experiment_results(exp, res, E.figure_texts(lang), [notes[k] for k in E.RESULT_STEPS[exp]])
render.downloads(walk, "bnviz-experiments", key="exp_dl")
