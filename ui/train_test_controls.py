"""Streamlit pieces of the train-vs-test page: the lesson's own controls, the running estimates
(chart, final values, gaps), the frameworks section and the test-mode graph of a step.

Numbers, tables and figures come from ``bnviz`` (``bnviz.lessons.train_test``,
``bnviz.lessons.frameworks_table``, ``bnviz.figures.norms``); this module only lays them out.
Widget keys start with "tt_"; the numeric widgets are bound to the URL (``?tt_k=12``), the
choice widgets kept there as codes (``ui.norms_controls.choice``).
"""

from __future__ import annotations

import streamlit as st

from bnviz.figures import norms as nf
from bnviz.i18n import InputError, t
from bnviz.lessons import frameworks_table as fw_table
from bnviz.lessons import train_test as lesson
from bnviz.ops import frameworks, testmode
from bnviz.steps import Step
from ui import norms_controls as nc
from ui.charts import picture

BIND = nc.BIND


def _rate(container, name: str, label_key: str, step: float, lang: str, **kwargs: object) -> float:
    return container.slider(t(label_key, lang), 0.0, 1.0, lesson.DEFAULTS[name], step, key=f"tt_{name}",
                            bind=BIND, **kwargs)


def controls(lang: str) -> dict:
    """K, the population, the four rates, where test mode takes its statistics from and, for
    "custom", the typed running mean and variance -> the params of ``lesson.compute``."""
    D = lesson.DEFAULTS
    a, b, c = st.columns(3)
    k = a.slider(t("page.train_test.k", lang), *lesson.LIMITS["k"], D["k"], key="tt_k", bind=BIND)
    pop_mean = b.slider(t("page.train_test.pop_mean", lang), *lesson.LIMITS["pop_mean"], D["pop_mean"], 0.1,
                        key="tt_pop_mean", bind=BIND)
    pop_std = c.slider(t("page.train_test.pop_std", lang), *lesson.LIMITS["pop_std"], D["pop_std"], 0.1,
                       key="tt_pop_std", bind=BIND)
    st.markdown(f"**{t('page.train_test.rates', lang)}**")
    a, b, c, e = st.columns(4)
    rates = {
        "momentum_cs231n": _rate(a, "momentum_cs231n", "page.train_test.momentum_cs231n", 0.01, lang),
        "momentum_pytorch": _rate(b, "momentum_pytorch", "page.train_test.momentum_pytorch", 0.01, lang),
        "lam_caffe": _rate(c, "lam_caffe", "page.train_test.lam_caffe", 0.001, lang, format="%.3f"),
        "momentum_keras": _rate(e, "momentum_keras", "page.train_test.fw.momentum_keras", 0.01, lang),
    }
    source = nc.choice("segmented_control", t("page.train_test.source", lang), lesson.SOURCES, "tt_source",
                       D["source"], lambda v: lesson.NAMES.get(v) or t("page.train_test.source_custom", lang))
    typed = {"running_mean": D["running_mean"], "running_var": D["running_var"]}
    if source == "custom":
        a, b = st.columns(2)
        typed = {
            "running_mean": a.text_input(t("page.train_test.running_mean", lang), D["running_mean"],
                                         key="tt_running_mean", bind=BIND),
            "running_var": b.text_input(t("page.train_test.running_var", lang), D["running_var"],
                                        key="tt_running_var", bind=BIND),
        }
    return {"k": int(k), "pop_mean": float(pop_mean), "pop_std": float(pop_std), **rates, "source": source, **typed}


def estimates(tt: lesson.TrainTest, params: dict, j: int, lang: str) -> None:
    """Feature j's running estimates after each batch beside the batch statistics and the population,
    the conventions whose lines coincide, the final values and the train/test gap per batch
    (the numbers: ``lesson.feature_estimates``)."""
    names, est = lesson.NAMES, lesson.feature_estimates(tt, params, j)
    labels = {"population": t("page.train_test.population", lang), "batch": t("page.train_test.batch_stat", lang),
              "step": t("page.train_test.step_axis", lang), "mean": t("page.train_test.mean_axis", lang),
              "var": t("page.train_test.var_axis", lang)}
    picture(nf.estimates_figure(est.mean, est.var, names, est.mu_b, est.var_b, est.pop_mean, est.pop_var, labels,
                                t("page.train_test.estimates_chart", lang, j=est.number)), "estimates")
    for a, b in est.coinciding:
        st.caption(t("sees.train_test.coincide", lang, a=names[a], b=names[b]))
    mean, var = est.pop_text
    st.caption(t("page.train_test.final", lang, k=params["k"], j=est.number, mean=mean, var=var))
    nc.table({
        t("page.train_test.col_convention", lang): [names[c] for c in est.final],
        t("page.train_test.col_mean", lang): [row[0] for row in est.final.values()],
        t("page.train_test.col_var", lang): [row[1] for row in est.final.values()],
        t("page.train_test.col_gap", lang): [row[2] for row in est.final.values()],
    })
    picture(nf.gap_figure(tt.gaps, names, t("page.train_test.gap_chart", lang), labels["step"],
                          t("page.train_test.gap_axis", lang)), "gaps")
    st.info(t("page.train_test.use_global_stats", lang))


def frameworks_section(tt: lesson.TrainTest, k: int, j: int, lang: str) -> None:
    """The frameworks' differences table and the "translate my settings" box (feature j)."""
    st.markdown(f"### {t('page.train_test.fw.heading', lang)}")
    nc.table(fw_table.framework_table(lang))
    with st.container(border=True):
        st.markdown(f"**{t('page.train_test.fw.translate', lang)}**")
        st.caption(t("page.train_test.fw.translate_intro", lang, k=k, j=j + 1))
        a, b, c = st.columns(3)
        from_ = nc.choice("selectbox", t("page.train_test.fw.from", lang), frameworks.FRAMEWORKS, "tt_from",
                          "pytorch", lambda v: frameworks.NAMES[v], a)
        mom = b.number_input(t("page.train_test.fw.momentum", lang), 0.0, 1.0, 0.1, 0.01, format="%.4f",
                             key="tt_from_momentum", bind=BIND)
        eps_in = c.number_input(t("page.train_test.fw.eps", lang), 0.0, 1.0, 1e-5, format="%.1e",
                                key="tt_from_eps", bind=BIND)
        try:
            nc.table(fw_table.translate(tt, from_, float(mom), float(eps_in), j, lang))
        except InputError as err:
            st.error(err.message(lang))


def test_graph(step: Step, lang: str) -> None:
    """On the two test-mode steps: the test-mode graph, the step's node in focus (its backward edges lit)."""
    if step.key not in ("forward.test", "backward.test"):
        return
    picture(nf.diagram(testmode.TEST_STRUCTURE.edges, nf.TEST_POSITIONS, nf.TEST_LABELS, step.focus,
                       lesson.test_active_edges(step.key), step.phase == "backward", nf.TEST_PATHS,
                       nf.TEST_CONSTANTS), f"test_graph-{step.key}", caption=t("page.train_test.test_graph", lang))
