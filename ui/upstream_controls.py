"""The upstream lesson's own controls and pictures (the page reads settings → lesson builder → these)."""

from __future__ import annotations

import streamlit as st

from bnviz.figures.chain import chain_figure
from bnviz.i18n import t
from bnviz.lessons import upstream
from bnviz.steps import Step, Walkthrough
from ui import norms_controls, render
from ui.charts import picture
from ui.nets_controls import value_tables


def controls(lang: str) -> tuple[int, float]:
    """The number of classes and the weight scale, side by side, bound to the URL (``?classes=``, ``?wscale=``)."""
    left, right = st.columns(2)
    lo, hi = upstream.CLASS_RANGE
    classes = left.slider(t("page.upstream.classes", lang), lo, hi, upstream.CLASSES, key="classes",
                          bind="query-params")
    scale = norms_controls.choice("select_slider", t("page.upstream.weight_scale", lang), upstream.WEIGHT_SCALES,
                                  "wscale", upstream.WEIGHT_SCALE, lambda v: f"{v:g}", right)
    return classes, scale


def chain(step: Step, lang: str) -> None:
    """The loss → affine → ReLU → BN chain with the step's node in focus (its backward edges lit going back)."""
    picture(chain_figure(upstream.NODES, upstream.FOCUS[step.key], step.phase == "backward",
                         {"affine": t("page.upstream.node_affine", lang)}), f"chain-{step.key}")


def values(step: Step, walk: Walkthrough, lang: str) -> None:
    """The step's values: the labels beside the loss, the blocked units at the ReLU, and the note that the
    gradient reaching BN is the one the graph page starts from."""
    render.heading(t("page.graph.values", lang))
    if step.key in ("forward.loss", "backward.dscores"):
        render.caption(t("page.upstream.labels", lang, labels=", ".join(str(v) for v in walk.settings["labels"])))
    if step.key == "backward.relu":
        render.caption(upstream.blocked_caption(step, lang))
    value_tables(step, walk)
    if step.key in ("backward.relu", "backward.bn"):
        render.note(t("page.upstream.same_as_graph", lang), "success")
