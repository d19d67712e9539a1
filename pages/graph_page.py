"""Page: the BN computation graph, stepped forward then backward."""

import streamlit as st

from bnviz import data, gradcheck, norms
from bnviz.figures.graph_diagram import graph_figure
from bnviz.figures.values import heatmap, paths_stack
from bnviz.i18n import InputError, t
from bnviz.lessons.graph import active_edges, bn_walkthrough
from bnviz.steps import LABELS
from ui import render, sidebar
from ui.charts import plot

s = sidebar.current()
lang = s.lang
st.title(t("page.graph.title", lang))
st.caption(t("page.graph.intro", lang))

try:
    problem = data.make_problem(s)
except InputError as err:
    render.input_error(err, lang)
render.notes(problem.notes, lang)
walk = bn_walkthrough(problem, s, lang)
total = len(walk.steps)


def _move(delta: int) -> None:
    st.session_state["step"] = max(1, min(total, st.session_state.get("step", 1) + delta))


prev_col, slider_col, next_col = st.columns([1, 6, 1], vertical_alignment="bottom")
prev_col.button(t("page.graph.prev", lang), on_click=_move, args=(-1,), key="prev", width="stretch")
next_col.button(t("page.graph.next", lang), on_click=_move, args=(1,), key="next", width="stretch")
n = slider_col.slider(t("page.graph.step", lang), 1, total, key="step", bind="query-params")
step = walk.steps[n - 1]
backward = step.phase == "backward"
st.subheader(f"{t(f'page.graph.{step.phase}', lang)} · {step.title}")
st.progress(n / total, text=t("page.graph.step_of", lang, n=n, total=total))

plot(graph_figure(norms.STRUCTURE, step.focus, active_edges(step.key), backward), "diagram")
st.caption(t("page.graph.diagram_paths" if backward else "page.graph.diagram", lang))
render.formulas(step, lang)

st.markdown(f"**{t('page.graph.values', lang)}**")
feature = render.feature_picker(problem.d, lang)
if step.key == "backward.dx":
    paths = {p: step.values[f"dx_{p}"][:, feature] for p in norms.PATHS}
    names = {p: t(f"page.graph.path_{p}", lang) for p in norms.PATHS}
    plot(paths_stack(paths, step.values["dx"][:, feature], names, t("page.graph.path_total", lang),
                     t("page.graph.paths_chart", lang, j=feature + 1), t("page.graph.sample", lang)), "paths")
table_col, map_col = st.columns([3, 2])
with table_col:
    render.value_table(step, feature)
main = next((k for k in reversed(step.values) if step.values[k].ndim == 2), None)
if main is not None and problem.d > 1:
    plot(heatmap(step.values[main], t("page.graph.heatmap", lang, name=LABELS[main]),
                 t("page.graph.feature_axis", lang), t("page.graph.sample", lang)), "heatmap", map_col)

forms = norms.all_backward_forms(problem.x, problem.gamma, problem.beta, problem.dout, problem.eps)
with st.expander(t("page.graph.forms_title", lang)):
    st.write(t("page.graph.forms_intro", lang))
    diffs = gradcheck.form_differences(forms)
    st.dataframe({
        t("page.graph.form_pair", lang): [f"{t(f'page.graph.form_{a}', lang)} − {t(f'page.graph.form_{b}', lang)}"
                                          for a, b in diffs],
        t("page.graph.max_diff", lang): [f"{v:.3e}" for v in diffs.values()],
    }, hide_index=True)

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
