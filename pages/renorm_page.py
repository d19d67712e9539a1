"""Page: Batch Renormalization — r and d, the moving statistics, the backward pass, and BN's train/test gap."""

import streamlit as st

from bnviz.figures import norms as nf
from bnviz.figures.values import paths_stack
from bnviz.i18n import InputError, t
from bnviz.lessons import renorm as lesson
from bnviz.ops import renorm
from bnviz.steps import feature_table
from ui import norms_controls as nc
from ui import render, sidebar
from ui.charts import picture, plot, table
from ui.stepper import stepper

s = sidebar.current()
lang = s.lang
st.title(t("page.renorm.title", lang))
st.caption(t("page.renorm.intro", lang))

D, LIM = lesson.DEFAULTS, lesson.LIMITS
a, b, c = st.columns(3)
rmax = a.slider(t("page.renorm.rmax", lang), *LIM["rmax"], D["rmax"], 0.1, key="rn_rmax", bind=nc.BIND)
dmax = b.slider(t("page.renorm.dmax", lang), *LIM["dmax"], D["dmax"], 0.1, key="rn_dmax", bind=nc.BIND)
alpha = c.slider(t("page.renorm.alpha", lang), *LIM["alpha"], D["alpha"], 0.001, format="%.3f", key="rn_alpha",
                 bind=nc.BIND)
a, b = st.columns(2)
mu = a.slider(t("page.renorm.mu", lang), *LIM["mu"], D["mu"], 0.1, key="rn_mu", bind=nc.BIND)
sigma = b.slider(t("page.renorm.sigma", lang), *LIM["sigma"], D["sigma"], 0.1, key="rn_sigma", bind=nc.BIND)
params = {"rmax": float(rmax), "dmax": float(dmax), "alpha": float(alpha), "mu": float(mu), "sigma": float(sigma)}

try:
    rn = lesson.compute(s, **params)
except InputError as err:
    render.input_error(err, lang)
render.notes(rn.problem.notes, lang)
walk = lesson.build(rn, s, lang, params)

st.markdown(f"### {t('page.renorm.steps', lang)}")
j = nc.column_picker(rn.problem.d, lang, "rn_feature", "page.graph.feature", "page.graph.feature_option", "j")
for step in stepper(walk, lang, "rn_step", html_only=True):
    backward = step.phase == "backward"
    name = step.key.split(".")[1]
    picture(nf.diagram(renorm.RENORM_STRUCTURE.edges, nf.RENORM_POSITIONS, nf.RENORM_LABELS, step.focus,
                    lesson.active_edges(step), backward,
                    nf.RENORM_PATHS, {"dout"}, stopped={"r", "d"}), f"renorm_graph-{step.key}",
            caption=t("page.renorm.diagram_paths" if backward else "page.renorm.diagram", lang))
    render.formulas(step, lang)
    if step.key == "backward.dx":
        paths = {"xhat": step.values["dx_xhat"][:, j], "var": step.values["dx_std"][:, j],
                 "mu": step.values["dx_mu"][:, j]}
        path_names = {"xhat": t("page.graph.path_xhat", lang), "var": t("page.renorm.path_std", lang),
                      "mu": t("page.renorm.path_mu", lang)}
        picture(paths_stack(paths, step.values["dx"][:, j], path_names, t("page.graph.path_total", lang),
                         t("page.graph.paths_chart", lang, j=j + 1), t("page.graph.sample", lang),
                         y_title=t("sees.axis.paths_y", lang)), "paths")
    if name == "bn_limit":
        render.note(lesson.limit_check(step, lang), "success")
    table(feature_table(step, j, walk.labels))

st.divider()
st.markdown(f"### {t('page.renorm.experiment', lang)}")
exp, table = lesson.experiment(params, s.seed), walk.tables[0]
st.write(table.intro)
plot(nf.experiment_figure(exp.sizes, exp.gaps, lesson.experiment_names(exp, lang),
                          t("page.renorm.experiment_chart", lang), t("page.renorm.batch_size", lang),
                          t("page.renorm.gap_axis", lang)), "experiment")
st.caption(table.note)

render.downloads(walk, "bnviz-renorm")
