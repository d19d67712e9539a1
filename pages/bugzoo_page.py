"""Page: the bug zoo — BN's common mistakes on the digits network: symptom, cause on the graph, fix."""

import streamlit as st

from bnviz.figures import bugzoo as fig
from bnviz.i18n import InputError, t
from bnviz.lessons import bugzoo as lesson
from bnviz.nets import bugs
from ui import nets_controls, render, sidebar
from ui import norms_controls as nc
from ui.charts import plot

s = sidebar.current()
lang = s.lang
st.title(t("page.bugzoo.title", lang))
bug = nc.choice("segmented_control", t("page.bugzoo.bug", lang), lesson.BUGS, "zoo_bug", "eval",
                lambda k: t(f"page.bugzoo.name.{k}", lang))
p = bugs.DROPOUT
if bug == "dropout":
    p = st.slider(t("page.bugzoo.dropout", lang), *bugs.DROPOUT_LIMITS, bugs.DROPOUT, 0.05, key="zoo_p", bind=nc.BIND)
try:
    with st.spinner():
        walk = lesson.walkthrough(s, lang, dropout=p)
except InputError as err:
    render.input_error(err, lang)
st.caption(lesson.intro(walk))

texts = lesson.figure_texts(lang)
for part in lesson.PARTS:
    step = walk.steps[walk.index(f"{bug}.{part}")]
    st.subheader(f"{t(f'page.bugzoo.part.{part}', lang)} · {step.title}")
    if step.key == "batch1.symptom":
        st.markdown(t("page.bugzoo.torch_says", lang))
        st.code(lesson.TORCH_ERROR, language=None)
    if step.key == "test_batch.symptom":
        plot(fig.test_batch_figure(step.values["batches"], step.values["acc_train"], step.values["acc_eval"], texts),
             "zoo_batches")
    if (where := lesson.graph(step)) is not None:
        plot(fig.bug_graph(*where), f"zoo_graph_{part}")
        st.caption(texts[f"graph_{where[0]}"])
    render.formulas(step, lang)
    nets_controls.value_tables(step, walk)
render.downloads(walk, "bnviz-bugzoo", key="zoo_dl")
