"""Streamlit pieces of the computation-graph page: which norm and which path switched off, which
feature (or, for LayerNorm, which sample) the values show, and a step's graph and live values.

Numbers and figures come from ``bnviz`` (``bnviz.lessons.graph``, ``bnviz.figures``); this module
only lays them out.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import streamlit as st

from bnviz.figures.graph_diagram import graph_figure
from bnviz.figures.values import heatmap, paths_stack
from bnviz.i18n import t
from bnviz.lessons.graph import NORMS, active_edges
from bnviz.ops import bn
from bnviz.steps import Step, Walkthrough
from ui import ablation as ablation_ui
from ui import norms_controls, render
from ui.charts import SHOWN_ROWS, picture, shown_block


@dataclass(frozen=True)
class View:
    """What the values show: column ``feature`` (a feature of BN; a sample of LayerNorm, whose
    tables have one column per sample) of ``columns`` columns, with its chart and row titles."""

    layer: bool
    feature: int
    columns: int
    chart_title: str
    rows_title: str


def controls(lang: str) -> tuple[str, str | None]:
    """The norm (kept in the URL as ?norm=) and, for batch norm, the path switched off -> (norm, removed)."""
    norm = norms_controls.choice("segmented_control", t("page.graph.norm.label", lang), NORMS, "norm", "batch",
                                 lambda k: t(f"page.graph.norm.{k}", lang))
    layer = norm == "layer"
    if layer:
        st.info(t("page.graph.norm.ln_intro", lang))
    removed = None if layer else ablation_ui.picker(lang)  # switch a path off (batch norm's graph)
    return norm, removed


def view(m: int, d: int, layer: bool, lang: str) -> View:
    """The feature picker (the sample picker for LayerNorm) of an m × D batch -> the View."""
    if layer:  # one column per sample: the table shows one sample's D features
        n = norms_controls.column_picker(m, lang, "sample", "page.graph.norm.sample",
                                         "page.graph.norm.sample_option", "n")
        return View(True, n, m, t("page.graph.norm.ln_paths_chart", lang, n=n + 1),
                    t("page.graph.norm.ln_feature", lang))
    j = render.feature_picker(d, lang)
    return View(False, j, d, t("page.graph.paths_chart", lang, j=j + 1), t("page.graph.sample", lang))


def diagram(step: Step, lang: str) -> None:
    """The BN graph, the step's node in focus (going backward: the edges the gradient flows through)."""
    backward = step.phase == "backward"
    memo = f"graph-diagram:{step.key}:{step.focus}:{backward}"  # all the figure depends on
    picture(_diagram(step.key, step.focus, backward), f"diagram-{step.key}", memo=memo,
            caption=t("page.graph.diagram_paths" if backward else "page.graph.diagram", lang))


@lru_cache(maxsize=64)
def _diagram(key: str, focus: str, backward: bool) -> dict:
    """The step's graph figure (the same on every rerun; callers must not change it)."""
    return graph_figure(bn.STRUCTURE, focus, active_edges(key), backward)


def values(step: Step, walk: Walkthrough, v: View, lang: str) -> None:
    """The step's live values as one light element: on backward.dx the paths chart, then the table
    beside a heatmap of the step's last matrix (when there is more than one column)."""
    parts = []
    if step.key == "backward.dx":
        paths = {p: step.values[f"dx_{p}"][:SHOWN_ROWS, v.feature] for p in bn.PATHS}  # the table's rows
        names = {p: t(f"page.graph.path_{p}", lang) for p in bn.PATHS}
        parts.append(paths_stack(paths, step.values["dx"][:SHOWN_ROWS, v.feature], names,
                                 t("page.graph.path_total", lang),
                                 v.chart_title, v.rows_title, y_title=t("sees.axis.paths_y", lang)))
    main = next((k for k in reversed(step.values) if step.values[k].ndim == 2), None)
    heat = None
    if main is not None and v.columns > 1:
        if v.layer:
            heat = heatmap(shown_block(step.values[main]), t("page.graph.norm.ln_heatmap", lang, name=walk.label(main)),
                           t("page.graph.norm.ln_sample_axis", lang), v.rows_title)
        else:
            heat = heatmap(shown_block(step.values[main]), t("page.graph.heatmap", lang, name=walk.label(main)),
                           t("page.graph.feature_axis", lang), v.rows_title)
    render.values_block(t("page.graph.values", lang), step, v.feature, walk.labels, parts, heat)
