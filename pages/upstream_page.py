"""Page: where ∂L/∂y comes from — softmax loss → affine → ReLU → BN, stepped forward then backward."""

import streamlit as st

from bnviz import data
from bnviz.figures.chain import chain_figure
from bnviz.i18n import InputError, t
from bnviz.lessons import upstream
from ui import norms_controls, render, sidebar
from ui.charts import picture
from ui.nets_controls import value_tables
from ui.stepper import stepper

s = sidebar.current()
lang = s.lang
st.title(t("page.upstream.title", lang))
st.caption(t("page.upstream.intro", lang))

left, right = st.columns(2)
lo, hi = upstream.CLASS_RANGE
classes = left.slider(t("page.upstream.classes", lang), lo, hi, upstream.CLASSES, key="classes", bind="query-params")
scale = norms_controls.choice("select_slider", t("page.upstream.weight_scale", lang), upstream.WEIGHT_SCALES,
                              "wscale", upstream.WEIGHT_SCALE, lambda v: f"{v:g}", right)

try:
    problem = data.make_problem(s)
    walk = upstream.walkthrough(s, lang, classes, scale)
except InputError as err:
    render.input_error(err, lang)
render.notes(problem.notes, lang)

for step in stepper(walk, lang, "up_step", html_only=True):
    backward = step.phase == "backward"
    picture(chain_figure(upstream.NODES, upstream.FOCUS[step.key], backward,
                      {"affine": t("page.upstream.node_affine", lang)}), f"chain-{step.key}")
    render.formulas(step, lang)

    render.heading(t("page.graph.values", lang))
    if step.key in ("forward.loss", "backward.dscores"):
        render.caption(t("page.upstream.labels", lang, labels=", ".join(str(v) for v in walk.settings["labels"])))
    if step.key == "backward.relu":
        render.caption(upstream.blocked_caption(step, lang))
    value_tables(step, walk)
    if step.key in ("backward.relu", "backward.bn"):
        render.note(t("page.upstream.same_as_graph", lang), "success")

render.downloads(walk, "bnviz-upstream", key="up_dl")
