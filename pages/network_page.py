"""Page: a real network trained live on digits, without and with BN, side by side."""

from dataclasses import replace

import streamlit as st

from bnviz.figures import nets as figs
from bnviz.i18n import InputError, t
from bnviz.lessons import network
from ui import ablation as ablation_ui
from ui import nets_controls as nc
from ui import norms_controls, render, sidebar
from ui.charts import picture
from ui.stepper import stepper

s = sidebar.current()
lang = s.lang
st.title(t("page.network.title", lang))
st.caption(t("page.network.intro", lang))
params = nc.network_controls(lang)
try:
    cfg = network.config(**params, seed=s.seed)
except InputError as err:
    render.input_error(err, lang)
nc.network_training(cfg, lang, ablation_ui.picker(lang, "net_ablate", "learn.ablation.net_label"))

st.divider()
st.subheader(t("page.network.step_header", lang))
names = nc.run_names(lang)
which = norms_controls.choice("segmented_control", t("page.network.step_net", lang), nc.RUNS, "net_walk", "bn",
                              lambda k: names[k])
walk = network.network_walkthrough(replace(cfg, bn=which == "bn"), lang)
for step in stepper(walk, lang, "net_step"):
    if step.key == "data":
        images, labels = network.first_batch(cfg)
        picture(figs.digit_images(images[:16], labels[:16], t("page.network.digits", lang)), "net_digits")
    render.formulas(step, lang)
    nc.value_tables(step, walk)
render.downloads(walk, "bnviz-network", key="net_dl")
