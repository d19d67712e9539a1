"""Predict mode for any stepped lesson: ask, then reveal (the questions are :mod:`bnviz.predict`'s).

``?predict=1`` (or the toggle :func:`mode` draws) opens a lesson in predict
mode. Inside the stepper's loop, :func:`gate` draws the step's questions and
says whether the step's content may be drawn: only once every question of
the step has been answered right or "shown". Checking an answer is a rerun
(a form submit); stepping stays in the browser, since every step's
question and content are drawn into that step's own container.

State: ``st.session_state["predict"][page][question id]`` = {"outcome":
"right" | "shown" | "wrong", "wrong": number of wrong tries}. The question
id includes its answer, so a new batch asks afresh.
"""

from __future__ import annotations

import streamlit as st

from bnviz import predict
from bnviz.i18n import InputError, t
from bnviz.steps import Step, Walkthrough

PARAM = "predict"
"""The URL parameter: ``predict=1`` opens a lesson in predict mode."""


def _on() -> bool:
    return str(st.query_params.get(PARAM, "")).lower() in ("1", "true", "yes", "on")


def active() -> bool:
    """Whether the current page is in predict mode (the URL says ``predict=1``)."""
    return _on()


def _toggled(key: str) -> None:
    if st.session_state.get(key):
        st.query_params[PARAM] = "1"
    else:
        st.query_params.pop(PARAM, None)


def mode(lang: str, key: str = "predict_mode") -> bool:
    """The predict-mode toggle (kept in the URL as ``predict=1``); returns whether it is on."""
    if key not in st.session_state:
        st.session_state[key] = _on()
    elif st.session_state[key] != _on():  # the URL was edited, or another page changed it
        st.session_state[key] = _on()
    return bool(st.toggle(t("learn.ui.toggle", lang), key=key, help=t("learn.ui.toggle_help", lang),
                          on_change=_toggled, args=(key,)))


def _store(page: str) -> dict[str, dict]:
    return st.session_state.setdefault("predict", {}).setdefault(page, {})


def qid(q: predict.Question) -> str:
    """The state key of a question: its id and its answer (a new batch is a new question)."""
    return f"{q.key}={q.answer!r}"


def _widget_key(q: predict.Question) -> str:
    return f"predict-in-{q.key}"


def _check(page: str, q: predict.Question) -> None:
    rec = _store(page).setdefault(qid(q), {"outcome": None, "wrong": 0, "error": None})
    given = st.session_state.get(_widget_key(q))
    rec["error"] = None
    if given is None or (isinstance(given, str) and not given.strip()):
        return
    try:
        right = q.grade(given)
    except InputError as err:
        rec["error"] = (err.key, err.fields)
        return
    if right:
        rec["outcome"] = "right"
    elif rec["outcome"] != "shown":
        rec["wrong"] += 1
        rec["outcome"] = "wrong"


def _show(page: str, q: predict.Question) -> None:
    rec = _store(page).setdefault(qid(q), {"outcome": None, "wrong": 0, "error": None})
    if rec["outcome"] != "right":
        rec["outcome"] = "shown"


def _done(page: str, q: predict.Question) -> bool:
    return _store(page).get(qid(q), {}).get("outcome") in ("right", "shown")


def ask(page: str, q: predict.Question, lang: str) -> bool:
    """One question: the form, then the verdict and the hint so far; True once answered or shown."""
    rec = _store(page).get(qid(q), {"outcome": None, "wrong": 0, "error": None})
    with st.container(border=True, key=f"predict-{q.key}"):
        st.markdown(f"**{t('learn.ui.question', lang)}.** {q.prompt}")
        if rec["outcome"] in ("right", "shown"):
            if rec["outcome"] == "right":
                st.success(t("learn.ui.right", lang, answer=q.answer_text))
            else:
                st.info(t("learn.ui.shown", lang, answer=q.answer_text))
            st.caption(q.solution)
            return True
        with st.form(key=f"predict-form-{q.key}", border=False):
            if q.kind == "choice":
                labels = dict(q.choices)
                st.radio(t("learn.ui.your_answer", lang), [c for c, _ in q.choices], index=None,
                         format_func=labels.get, key=_widget_key(q))
            else:
                st.text_input(t("learn.ui.your_answer", lang), key=_widget_key(q), max_chars=predict.MAX_CHARS)
            left, right = st.columns(2)
            left.form_submit_button(t("learn.ui.check", lang), on_click=_check, args=(page, q), type="primary",
                                  key=f"predict-check-{q.key}")
            right.form_submit_button(t("learn.ui.show_me", lang), on_click=_show, args=(page, q),
                                   key=f"predict-show-{q.key}")
        if rec.get("error"):
            key, fields = rec["error"]
            st.error(t(key, lang, **fields))
        if rec["wrong"]:
            st.warning(t("learn.ui.wrong", lang, n=rec["wrong"]))
            for line in q.hint_lines(rec["wrong"]):
                st.markdown(f"- {line}")
    return False


def gate(walk: Walkthrough, step: Step, lang: str, on: bool,
         asked: dict[str, tuple[predict.Question, ...]] | None = None) -> bool:
    """Draw ``step``'s questions in predict mode; True when its content may be drawn.

    ``asked``: :func:`bnviz.predict.questions` of ``walk`` (computed if not given; pass it once per page).
    """
    if not on:
        return True
    qs = (asked if asked is not None else predict.questions(walk)).get(step.key, ())
    done = [ask(walk.page, q, lang) for q in qs]
    if all(done):
        return True
    st.caption(t("learn.ui.hidden", lang))
    return False


def score(walk: Walkthrough, lang: str, on: bool,
          asked: dict[str, tuple[predict.Question, ...]] | None = None) -> predict.Score | None:
    """The lesson's score line in predict mode (a note when the lesson has no questions yet)."""
    if not on:
        return None
    qs = [q for group in (asked if asked is not None else predict.questions(walk)).values() for q in group]
    if not qs:
        st.caption(t("learn.ui.none", lang))
        return None
    store = _store(walk.page)
    outcomes = {qid(q): store.get(qid(q), {}).get("outcome") or "" for q in qs}
    s = predict.score(outcomes, [qid(q) for q in qs])
    st.markdown(t("learn.ui.score", lang, right=s.right, total=s.total, answered=s.answered))
    return s
