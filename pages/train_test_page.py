"""Page: train vs test — running statistics of cs231n, PyTorch, Keras/TensorFlow and Caffe, and BN in test mode."""

import streamlit as st

from bnviz.figures import norms as nf
from bnviz.i18n import InputError, t
from bnviz.lessons import train_test as lesson
from bnviz.ops import frameworks, testmode
from bnviz.steps import feature_table
from ui import norms_controls as nc
from ui import render, sidebar
from ui.charts import picture, table
from ui.stepper import stepper

s = sidebar.current()
lang = s.lang
st.title(t("page.train_test.title", lang))
st.caption(t("page.train_test.intro", lang))

D = lesson.DEFAULTS
a, b, c = st.columns(3)
k = a.slider(t("page.train_test.k", lang), *lesson.LIMITS["k"], D["k"], key="tt_k", bind=nc.BIND)
pop_mean = b.slider(t("page.train_test.pop_mean", lang), *lesson.LIMITS["pop_mean"], D["pop_mean"], 0.1,
                    key="tt_pop_mean", bind=nc.BIND)
pop_std = c.slider(t("page.train_test.pop_std", lang), *lesson.LIMITS["pop_std"], D["pop_std"], 0.1,
                   key="tt_pop_std", bind=nc.BIND)
st.markdown(f"**{t('page.train_test.rates', lang)}**")
a, b, c, e = st.columns(4)
rates = {
    "momentum_cs231n": a.slider(t("page.train_test.momentum_cs231n", lang), 0.0, 1.0, D["momentum_cs231n"], 0.01,
                                key="tt_momentum_cs231n", bind=nc.BIND),
    "momentum_pytorch": b.slider(t("page.train_test.momentum_pytorch", lang), 0.0, 1.0, D["momentum_pytorch"], 0.01,
                                 key="tt_momentum_pytorch", bind=nc.BIND),
    "lam_caffe": c.slider(t("page.train_test.lam_caffe", lang), 0.0, 1.0, D["lam_caffe"], 0.001, format="%.3f",
                          key="tt_lam_caffe", bind=nc.BIND),
    "momentum_keras": e.slider(t("page.train_test.fw.momentum_keras", lang), 0.0, 1.0, D["momentum_keras"], 0.01,
                               key="tt_momentum_keras", bind=nc.BIND),
}
names = lesson.NAMES
source = nc.choice("segmented_control", t("page.train_test.source", lang), lesson.SOURCES, "tt_source", D["source"],
                   lambda v: names.get(v) or t("page.train_test.source_custom", lang))
typed = {"running_mean": D["running_mean"], "running_var": D["running_var"]}
if source == "custom":
    a, b = st.columns(2)
    typed = {
        "running_mean": a.text_input(t("page.train_test.running_mean", lang), D["running_mean"],
                                     key="tt_running_mean", bind=nc.BIND),
        "running_var": b.text_input(t("page.train_test.running_var", lang), D["running_var"],
                                    key="tt_running_var", bind=nc.BIND),
    }
params = {"k": int(k), "pop_mean": float(pop_mean), "pop_std": float(pop_std), **rates, "source": source, **typed}

try:
    tt = lesson.compute(s, **params)
except InputError as err:
    render.input_error(err, lang)
render.notes(tt.notes, lang)
walk = lesson.build(tt, s, lang, params)

j = nc.column_picker(tt.x.shape[1], lang, "tt_feature", "page.train_test.feature", "page.graph.feature_option", "j")
labels = {"population": t("page.train_test.population", lang), "batch": t("page.train_test.batch_stat", lang),
          "step": t("page.train_test.step_axis", lang), "mean": t("page.train_test.mean_axis", lang),
          "var": t("page.train_test.var_axis", lang)}
picture(nf.estimates_figure({c_: tr.mean[:, j] for c_, tr in tt.traces.items()},
                            {c_: tr.var[:, j] for c_, tr in tt.traces.items()}, names, tt.mu_b[:, j], tt.var_b[:, j],
                            pop_mean, pop_std ** 2, labels, t("page.train_test.estimates_chart", lang, j=j + 1)),
        "estimates")
for a, b in lesson.coinciding(tt.traces, j):
    st.caption(t("sees.train_test.coincide", lang, a=names[a], b=names[b]))
st.caption(t("page.train_test.final", lang, k=k, j=j + 1, mean=f"{pop_mean:g}", var=f"{pop_std ** 2:.4g}"))
nc.table({
    t("page.train_test.col_convention", lang): [names[c_] for c_ in tt.traces],
    t("page.train_test.col_mean", lang): [f"{tr.mean[-1, j]:.6g}" for tr in tt.traces.values()],
    t("page.train_test.col_var", lang): [f"{tr.var[-1, j]:.6g}" for tr in tt.traces.values()],
    t("page.train_test.col_gap", lang): [f"{tt.gaps[c_][-1]:.4g}" for c_ in tt.traces],
})
picture(nf.gap_figure(tt.gaps, names, t("page.train_test.gap_chart", lang), labels["step"],
                      t("page.train_test.gap_axis", lang)), "gaps")
st.info(t("page.train_test.use_global_stats", lang))

st.markdown(f"### {t('page.train_test.fw.heading', lang)}")
nc.table(lesson.framework_table(lang))
with st.container(border=True):
    st.markdown(f"**{t('page.train_test.fw.translate', lang)}**")
    st.caption(t("page.train_test.fw.translate_intro", lang, k=k, j=j + 1))
    a, b, c = st.columns(3)
    from_ = nc.choice("selectbox", t("page.train_test.fw.from", lang), frameworks.FRAMEWORKS, "tt_from", "pytorch",
                      lambda v: frameworks.NAMES[v], a)
    mom = b.number_input(t("page.train_test.fw.momentum", lang), 0.0, 1.0, 0.1, 0.01, format="%.4f",
                         key="tt_from_momentum", bind=nc.BIND)
    eps_in = c.number_input(t("page.train_test.fw.eps", lang), 0.0, 1.0, 1e-5, format="%.1e", key="tt_from_eps",
                            bind=nc.BIND)
    try:
        nc.table(lesson.translate(tt, from_, float(mom), float(eps_in), j, lang))
    except InputError as err:
        st.error(err.message(lang))

st.divider()
st.markdown(f"### {t('page.train_test.steps', lang)}")
for step in stepper(walk, lang, "tt_step", html_only=True):
    if step.key in ("forward.test", "backward.test"):
        backward = step.phase == "backward"
        picture(nf.diagram(testmode.TEST_STRUCTURE.edges, nf.TEST_POSITIONS, nf.TEST_LABELS, step.focus,
                        lesson.test_active_edges(step.key), backward, nf.TEST_PATHS,
                        nf.TEST_CONSTANTS), f"test_graph-{step.key}", caption=t("page.train_test.test_graph", lang))
    render.formulas(step, lang)
    table(feature_table(step, j, walk.labels))

render.downloads(walk, "bnviz-train-test")
