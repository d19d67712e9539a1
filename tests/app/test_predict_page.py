"""Predict mode on the graph page (AppTest), both languages: the step hidden until answered,
a wrong answer gets a hint built from the step, a right one reveals it and counts in the score."""

from __future__ import annotations

import html

import pytest
from app_helpers import assert_ok, new_app, open_app, open_page, run_graph, shown
from light_html import every_html, formulas

from bnviz import predict
from bnviz.i18n import t
from bnviz.lessons.graph import walkthrough
from bnviz.settings import Settings


def _open(lang: str, **query: str):
    return open_app(lang, {"predict": "1", "step": "2", **query})


def _latex(at) -> set[str]:
    """The formulas on the page, as LaTeX."""
    return set(formulas(at))


def _texts(at) -> str:
    parts = [e.value for kind in ("markdown", "caption", "success", "info", "warning", "error")
             for e in getattr(at, kind)]
    return html.unescape("\n".join([*(str(p) for p in parts), *every_html(at)]))  # static HTML is escaped


def _seen(at) -> str:
    """The texts a learner sees: outside the steps, and in the stepper's current step (the others are hidden),
    its static HTML included."""
    kinds = ("markdown", "html", "caption", "success", "info", "warning", "error")
    return "\n".join(html.unescape(str(e.value)) for e in shown(at, kinds))


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_answer_hidden_until_answered(lang):
    at = _open(lang)
    walk = walkthrough(Settings(lang=lang), lang)
    q = predict.questions(walk)["forward.mu"][0]
    mu_lines = set(walk.steps[walk.index("forward.mu")].latex)
    shown = _latex(at)
    assert q.prompt in _texts(at)
    assert not mu_lines & shown  # the step's formulas are hidden
    assert t("learn.ui.hidden", lang) in _texts(at)
    assert t("learn.ui.score", lang, right=0, total=len(predict.all_questions(walk)), answered=0) in _texts(at)

    # a wrong answer: a hint line from the step's own numbers, still hidden
    at.text_input(key=f"predict-in-{q.key}").input(repr(float(q.answer) + 3 * q.tol))
    at.button(key=f"predict-check-{q.key}").click().run()
    assert_ok(at)
    text = _texts(at)
    assert t("learn.ui.wrong", lang, n=1) in text and q.hint[0] in text
    assert not mu_lines & _latex(at)
    # an expression is a sentence, not a wrong try
    at.text_input(key=f"predict-in-{q.key}").input("1+1")
    at.button(key=f"predict-check-{q.key}").click().run()
    assert t("error.learn.number", lang, text="1+1") in _texts(at)
    # right: revealed, scored
    at.text_input(key=f"predict-in-{q.key}").input(repr(float(q.answer)))
    at.button(key=f"predict-check-{q.key}").click().run()
    assert_ok(at)
    text = _texts(at)
    assert t("learn.ui.right", lang, answer=q.answer_text) in text
    assert mu_lines <= _latex(at)
    assert t("learn.ui.score", lang, right=1, total=len(predict.all_questions(walk)), answered=1) in text


def test_show_me_and_off_by_default():
    at = run_graph(new_app({"step": "2"}))
    walk = walkthrough(Settings(), "en")
    mu_lines = set(walk.steps[walk.index("forward.mu")].latex)
    assert mu_lines <= _latex(at)  # no predict mode: shown as usual
    at = _open("en")
    q = predict.questions(walk)["forward.mu"][0]
    at.button(key=f"predict-show-{q.key}").click().run()
    assert_ok(at)
    assert t("learn.ui.shown", "en", answer=q.answer_text) in _texts(at)
    assert mu_lines <= _latex(at)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_switch_a_path_off(lang):
    from bnviz import ablation
    from bnviz.data import make_problem

    at = open_app(lang, {"step": "16", "ablate": "mu"})
    ab = ablation.ablate(make_problem(Settings(lang=lang)), "mu")
    assert ablation.verdict(ab, lang) in [e.value for e in at.error]
    at.selectbox(key="ablate").set_value("mu_via_var").run()
    assert_ok(at)
    harmless = ablation.ablate(make_problem(Settings(lang=lang)), "mu_via_var")
    assert ablation.verdict(harmless, lang) in [e.value for e in at.success]
    assert t("learn.ablation.sum_note", lang) in _texts(at)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_pool_predict_mode(lang):
    from bnviz import course

    at = open_page("pages/pool_page.py", lang, {"predict": "1", "pool_step": "2"})
    walk = course.build(course.lesson("pool"), Settings(lang=lang), lang)
    q = predict.questions(walk)["pool.backward"][0]
    assert q.prompt in _seen(at) and t("learn.ui.hidden", lang) in _seen(at)
    assert t("trail.answers", lang, question=t("trail.sparse", lang)) in _seen(at)  # the step names its question
    at.text_input(key=f"predict-in-{q.key}").input(str(int(q.answer)))
    at.button(key=f"predict-check-{q.key}").click().run()
    assert_ok(at)
    assert t("learn.ui.right", lang, answer=q.answer_text) in _seen(at)
    assert t("learn.ui.hidden", lang) not in _seen(at)


def test_train_test_predict_mode_choice():
    from bnviz import course

    at = open_page("pages/train_test_page.py", lang=None, query={"predict": "1", "tt_step": "6"})
    walk = course.build(course.lesson("train_test"), Settings(), "en")
    q = predict.questions(walk)["forward.test"][0]
    assert q.kind == "choice" and q.prompt in _texts(at)
    at.radio(key=f"predict-in-{q.key}").set_value("yes")
    at.button(key=f"predict-check-{q.key}").click().run()
    assert_ok(at)
    assert q.hint[0] in _texts(at)  # wrong: the hint
    at.radio(key=f"predict-in-{q.key}").set_value("no")
    at.button(key=f"predict-check-{q.key}").click().run()
    assert t("learn.ui.right", "en", answer=q.answer_text) in _texts(at)
    assert t("trail.answers", "en", question=t("trail.test_time", "en")) in _texts(at)
