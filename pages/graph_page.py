"""Page: the BN computation graph, stepped forward then backward; LayerNorm through the same graph."""

import streamlit as st

from bnviz import ablation, data
from bnviz.figures.graph_diagram import graph_figure
from bnviz.figures.values import heatmap, paths_stack
from bnviz.i18n import InputError, t
from bnviz.lessons.graph import NORMS, active_edges, bn_walkthrough, ln_problem
from bnviz.ops import bn
from ui import ablation as ablation_ui
from ui import norms_controls, render, sidebar
from ui.charts import picture
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
removed = None if layer else ablation_ui.picker(lang)  # switch a path off (batch norm's graph)

try:
    problem = ln_problem(s) if layer else data.make_problem(s)
except InputError as err:
    render.input_error(err, lang)
render.notes(problem.notes, lang)
walk = bn_walkthrough(problem, s, lang, norm, ablate=removed)
if layer:  # one column per sample: the table shows one sample's D features
    feature = norms_controls.column_picker(problem.m, lang, "sample", "page.graph.norm.sample",
                                           "page.graph.norm.sample_option", "n")
    chart_title = t("page.graph.norm.ln_paths_chart", lang, n=feature + 1)
    rows_title = t("page.graph.norm.ln_feature", lang)
else:
    feature = render.feature_picker(problem.d, lang)
    chart_title = t("page.graph.paths_chart", lang, j=feature + 1)
    rows_title = t("page.graph.sample", lang)

for step in stepper(walk, lang, "step", html_only=True):
    backward = step.phase == "backward"
    picture(graph_figure(bn.STRUCTURE, step.focus, active_edges(step.key), backward), f"diagram-{step.key}",
            caption=t("page.graph.diagram_paths" if backward else "page.graph.diagram", lang))
    render.formulas(step, lang)

    parts = []  # the live values: one light element (paths chart, then the table beside the heatmap)
    if step.key == "backward.dx":
        paths = {p: step.values[f"dx_{p}"][:, feature] for p in bn.PATHS}
        names = {p: t(f"page.graph.path_{p}", lang) for p in bn.PATHS}
        parts.append(paths_stack(paths, step.values["dx"][:, feature], names, t("page.graph.path_total", lang),
                                 chart_title, rows_title, y_title=t("sees.axis.paths_y", lang)))
    main = next((k for k in reversed(step.values) if step.values[k].ndim == 2), None)
    heat = None
    if main is not None and (problem.m if layer else problem.d) > 1:
        if layer:
            heat = heatmap(step.values[main], t("page.graph.norm.ln_heatmap", lang, name=walk.label(main)),
                           t("page.graph.norm.ln_sample_axis", lang), rows_title)
        else:
            heat = heatmap(step.values[main], t("page.graph.heatmap", lang, name=walk.label(main)),
                           t("page.graph.feature_axis", lang), rows_title)
    render.values_block(t("page.graph.values", lang), step, feature, walk.labels, parts, heat)

if removed is not None:
    ablation_ui.show(ablation.ablate(problem, removed), lang, feature, rows_title)
render.tables(walk)

render.downloads(walk, "bnviz-graph")
