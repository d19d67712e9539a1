"""The trail of questions in the app: the home page's list, and the sentence on each step that answers one."""

from __future__ import annotations

from html import escape

import streamlit as st

from bnviz import course, trail
from bnviz.i18n import t
from bnviz.steps import Step
from ui import charts


def names(lesson: str, step: Step, lang: str) -> None:
    """"This step answers: …" on a step of the trail (nothing on the others)."""
    sentence = trail.question_of(lesson, step.key, lang)
    if sentence:
        charts.html(f'<p class="bnviz-trail" style="font-weight:600;margin:0.25rem 0">{escape(sentence)}</p>')


def home(lang: str) -> None:
    """The home page's list: each question linked to the step that answers it (``trail.link``'s address;
    a page link, so the session and its settings stay)."""
    pages = {les.key: les.page for les in course.available()}
    st.subheader(t("trail.title", lang))
    st.caption(t("trail.intro", lang))
    for stop in trail.TRAIL:
        if stop.lesson not in pages:
            continue
        with st.container(key=f"trail-{stop.key}"):
            st.markdown(f"**{t(f'trail.{stop.key}', lang)}**")
            st.page_link(pages[stop.lesson], query_params={trail.STEP_PARAMS[stop.lesson]: str(stop.n)},
                         label=t("trail.open", lang, lesson=t(f"page.{stop.lesson}.title", lang), n=stop.n))
