"""Page: the BN computation graph, stepped forward then backward; LayerNorm through the same graph."""

import streamlit as st

from bnviz import data, gradcheck, norms
from bnviz.figures.graph_diagram import graph_figure
from bnviz.figures.values import heatmap, paths_stack
from bnviz.i18n import InputError, t
from bnviz.lessons.graph import NORMS, active_edges, bn_walkthrough, ln_problem
from bnviz.steps import LABELS
from ui import norms_controls, render, sidebar
from ui.charts import plot
from ui.stepper import stepper

s = sidebar.current()
lang = s.lang
st.title(t("page.graph.title", lang))
st.caption(t("page.graph.intro", lang))
norm = norms_controls.choice("segmented_control", t("page.graph.norm.label", lang), NORMS, "norm", "batch",
                             lambda k: t(f"page.graph.norm.{k}", lang))
layer = norm == "layer"
if layer:
    st.info(t("page.graph.norm.ln_intro", lang))

try:
    problem = ln_problem(s) if layer else data.make_problem(s)
except InputError as err:
    render.input_error(err, lang)
render.notes(problem.notes, lang)
walk = bn_walkthrough(problem, s, lang, norm)
if layer:  # one column per sample: the table shows one sample's D features
    feature = norms_controls.column_picker(problem.m, lang, "sample", "page.graph.norm.sample",
                                           "page.graph.norm.sample_option", "n")
    chart_title = t("page.graph.norm.ln_paths_chart", lang, n=feature + 1)
    rows_title = t("page.graph.norm.ln_feature", lang)
else:
    feature = render.feature_picker(problem.d, lang)
    chart_title = t("page.graph.paths_chart", lang, j=feature + 1)
    rows_title = t("page.graph.sample", lang)

for step in stepper(walk, lang, "step"):
    backward = step.phase == "backward"
    plot(graph_figure(norms.STRUCTURE, step.focus, active_edges(step.key), backward), f"diagram-{step.key}")
    st.caption(t("page.graph.diagram_paths" if backward else "page.graph.diagram", lang))
    render.formulas(step, lang)

    st.markdown(f"**{t('page.graph.values', lang)}**")
    if step.key == "backward.dx":
        paths = {p: step.values[f"dx_{p}"][:, feature] for p in norms.PATHS}
        names = {p: t(f"page.graph.path_{p}", lang) for p in norms.PATHS}
        plot(paths_stack(paths, step.values["dx"][:, feature], names, t("page.graph.path_total", lang),
                         chart_title, rows_title), "paths")
    table_col, map_col = st.columns([3, 2])
    with table_col:
        render.value_table(step, feature, walk.labels)
    main = next((k for k in reversed(step.values) if step.values[k].ndim == 2), None)
    if main is not None and (problem.m if layer else problem.d) > 1:
        if layer:
            plot(heatmap(step.values[main], t("page.graph.norm.ln_heatmap", lang, name=walk.label(main)),
                         t("page.graph.norm.ln_sample_axis", lang), rows_title), f"heatmap-{step.key}", map_col)
        else:
            plot(heatmap(step.values[main], t("page.graph.heatmap", lang, name=walk.label(main)),
                         t("page.graph.feature_axis", lang), rows_title), f"heatmap-{step.key}", map_col)

if layer:
    forms = norms.layernorm_backward_forms(problem.x, problem.gamma, problem.beta, problem.dout, problem.eps)
else:
    forms = norms.all_backward_forms(problem.x, problem.gamma, problem.beta, problem.dout, problem.eps)
with st.expander(t("page.graph.forms_title", lang)):
    st.write(t("page.graph.norm.ln_forms_intro" if layer else "page.graph.forms_intro", lang))
    diffs = gradcheck.form_differences(forms)
    st.dataframe({
        t("page.graph.form_pair", lang): [f"{t(f'page.graph.form_{a}', lang)} − {t(f'page.graph.form_{b}', lang)}"
                                          for a, b in diffs],
        t("page.graph.max_diff", lang): [f"{v:.3e}" for v in diffs.values()],
    }, hide_index=True)

if not layer:  # the finite-difference check is written for BN's per-column parameters
    with st.expander(t("page.graph.gradcheck_title", lang)):
        check = gradcheck.check_bn(problem, forms)
        st.write(t("page.graph.gradcheck_intro", lang, h=gradcheck.H, checked=check.checked, total=check.total))
        st.dataframe({
            t("page.graph.quantity", lang): [LABELS[q] for q, *_ in check.rows],
            t("page.graph.form", lang): [t(f"page.graph.form_{f}", lang) for _, f, *_ in check.rows],
            t("page.graph.rel_error", lang): [f"{e:.2e}" for _, _, e, _ in check.rows],
            t("page.graph.abs_error", lang): [f"{a:.2e}" for *_, a in check.rows],
            t("page.graph.verdict", lang): [t("page.graph.pass" if check.passed(e) else "page.graph.fail", lang)
                                            for _, _, e, _ in check.rows],
        }, hide_index=True)
        if not all(check.passed(e) for _, _, e, _ in check.rows):
            st.caption(t("page.graph.gradcheck_tiny", lang))


render.downloads(walk, "bnviz-graph")
