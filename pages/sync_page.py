"""Page: BN on several simulated devices — per-device BN, SyncBN, GroupNorm (bnviz.lessons.sync)."""

import streamlit as st

from bnviz.figures import practice as fig
from bnviz.i18n import InputError, t
from bnviz.lessons import sync as lesson
from bnviz.ops.sync import divisors
from ui import norms_controls as nc
from ui import practice_controls as pc
from ui import render, sidebar
from ui.charts import picture
from ui.stepper import stepper

s = sidebar.current()
lang = s.lang
st.title(t("page.sync.title", lang))
st.caption(t("page.sync.intro", lang))

a, b = st.columns(2)
devices = nc.choice("segmented_control", t("page.sync.devices", lang), divisors(s.m), "sync_devices",
                    lesson.default_devices(s.m), str, container=a)
groups = nc.choice("selectbox", t("page.sync.groups", lang), divisors(s.d, s.d), "sync_groups", 1, str, container=b)
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
    name = step.key.split(".")[1]
    if name in ("local", "allreduce", "normalize"):
        picture(fig.device_means(walk.steps[walk.index("forward.local")].values["mu_dev"][:, j], le.sync.mean[j],
                              t("page.sync.chart_means", lang, j=j + 1), t("page.sync.device", lang),
                              (t("page.sync.per_device", lang), t("page.sync.whole", lang))), f"sync_means-{step.key}")
    elif name == "small":
        sp_ = le.spread
        picture(fig.spread_figure(sp_["devices"], sp_["mean_dev"], sp_["var_ratio"], t("page.sync.chart_spread", lang),
                               t("page.sync.axis_devices", lang),
                               (t("page.sync.mean_dev", lang), t("page.sync.var_ratio", lang))),
             f"sync_spread-{step.key}")
    elif step.phase == "backward":
        values = {k: v for st_ in walk.steps for k, v in st_.values.items()}
        picture(fig.dx_compare(values["dx_local"][:, j], values["dx"][:, j], values["gn_dx"][:, j],
                            t("page.sync.chart_dx", lang, j=j + 1), t("page.sync.sample", lang),
                            (t("page.sync.per_device", lang), t("page.sync.whole", lang),
                             t("page.sync.groupnorm", lang))), f"sync_dx-{step.key}")
    pc.arrays(step, walk)
render.downloads(walk, "bnviz-sync", key="sync_dl")
