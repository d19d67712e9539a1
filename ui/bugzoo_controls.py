"""The bug zoo's own controls and pictures (the page reads settings → lesson builder → these)."""

from __future__ import annotations

import streamlit as st

from bnviz.figures import bugzoo as fig
from bnviz.i18n import t
from bnviz.lessons import bugzoo as lesson
from bnviz.nets import bugs
from bnviz.steps import Step
from ui import norms_controls as nc
from ui.charts import plot


def controls(lang: str) -> tuple[str, float]:
    """Which bug (``?zoo_bug=``) and, for the dropout bug, its drop probability (``?zoo_p=``)."""
    bug = nc.choice("segmented_control", t("page.bugzoo.bug", lang), lesson.BUGS, "zoo_bug", "eval",
                    lambda k: t(f"page.bugzoo.name.{k}", lang))
    p = bugs.DROPOUT
    if bug == "dropout":
        p = st.slider(t("page.bugzoo.dropout", lang), *bugs.DROPOUT_LIMITS, bugs.DROPOUT, 0.05, key="zoo_p",
                      bind=nc.BIND)
    return bug, p


def part(step: Step, name: str, texts: dict[str, str], lang: str) -> None:
    """One part (symptom, cause, fix) of a bug: its heading, what PyTorch says or the test batches' accuracy
    where the symptom shows, and where on the graph the bug sits (``texts``: ``lesson.figure_texts``)."""
    st.subheader(f"{t(f'page.bugzoo.part.{name}', lang)} · {step.title}")
    if step.key == "batch1.symptom":
        st.markdown(t("page.bugzoo.torch_says", lang))
        st.code(lesson.TORCH_ERROR, language=None)
    if step.key == "test_batch.symptom":
        plot(fig.test_batch_figure(step.values["batches"], step.values["acc_train"], step.values["acc_eval"], texts),
             "zoo_batches")
    if (where := lesson.graph(step)) is not None:
        plot(fig.bug_graph(*where), f"zoo_graph_{name}")
        st.caption(texts[f"graph_{where[0]}"])
