"""Predict, then reveal: parsing, grading with its stated tolerance, hints built from the step's values."""

from __future__ import annotations

import numpy as np
import pytest

from bnviz import predict
from bnviz.i18n import InputError
from bnviz.lessons.graph import walkthrough
from bnviz.numfmt import factor, fmt
from bnviz.settings import Settings


@pytest.fixture(scope="module", params=["en", "zh"])
def walk(request):
    return walkthrough(Settings(seed=3, m=5, d=2, lang=request.param), request.param)


def _q(walk, key, n=0):
    return predict.questions(walk)[key][n]


def _values(walk, key):
    return walk.steps[walk.index(key)].values


@pytest.mark.parametrize("text,value", [("1.5", 1.5), (" -0.25 ", -0.25), ("−2", -2.0), ("3e-2", 0.03),
                                        (".5", 0.5), ("+7.", 7.0), ("1 000", 1000.0)])
def test_parse_numbers(text, value):
    assert predict.parse_number(text) == value


@pytest.mark.parametrize("text", ["", "1+1", "2*3", "nan", "inf", "1e999", "__import__('os')", "0x10", "1,5",
                                  "sqrt(2)", "1e", "--1", "x" * 50])
def test_parse_refuses_anything_else(text):
    with pytest.raises(InputError) as err:
        predict.parse_number(text)
    assert err.value.key == "error.learn.number"


def test_every_number_is_the_numpy_value(walk):
    v = {k: _values(walk, f"forward.{k}")[k] for k in ("mu", "var", "std", "xhat", "y")}
    x = _values(walk, "forward.x")["x"]
    assert _q(walk, "forward.mu").answer == pytest.approx(x[:, 0].mean(), abs=1e-12)
    assert _q(walk, "forward.var").answer == pytest.approx(x[:, 0].var(), abs=1e-12)
    assert _q(walk, "forward.std").answer == v["std"][0]
    assert _q(walk, "forward.xhat").answer == v["xhat"][0, 0]
    dx = _values(walk, "backward.dx")["dx"]
    assert _q(walk, "backward.closed").answer == pytest.approx(0.0, abs=1e-12)
    assert _q(walk, "backward.closed").answer == dx[:, 0].sum()
    assert _q(walk, "backward.dmu").answer == _values(walk, "backward.dmu")["dmu"][0]


def test_grading_and_tolerance(walk):
    q = _q(walk, "backward.dmu")
    value, tol = float(q.answer), q.tol
    assert tol == max(predict.ABS_TOL, predict.REL_TOL * abs(value))
    assert fmt(tol) in q.prompt  # the tolerance is stated
    assert q.grade(str(value)) and q.grade(f"{value + 0.9 * tol!r}") and q.grade(f"{value - 0.9 * tol!r}")
    assert not q.grade(f"{value + 1.1 * tol!r}") and not q.grade(f"{value - 1.1 * tol!r}")
    assert q.grade(fmt(value))  # the number as shown on screen, with its Unicode minus
    with pytest.raises(InputError):
        q.grade("2/3")
    closed = _q(walk, "backward.closed")
    assert closed.tol == predict.ABS_TOL and closed.grade("0") and not closed.grade("0.02")


def test_choices(walk):
    q = _q(walk, "backward.dmu", 1)
    assert q.kind == "choice" and q.answer == "var"
    assert q.grade("var") and not q.grade("xhat") and not q.grade("none")
    with pytest.raises(InputError):
        q.grade("eval('1')")
    dx = _q(walk, "backward.dx")
    v = _values(walk, "backward.dx")
    i = min(3, v["dx"].shape[0]) - 1
    sizes = {p: abs(v[f"dx_{p}"][i, 0]) for p in ("xhat", "var", "mu")}
    assert dx.answer == max(sizes, key=sizes.get)  # against the step's own path terms
    assert dx.answer_text == dict(dx.choices)[dx.answer]


def test_hints_come_from_the_steps_values(walk):
    x = _values(walk, "forward.mu")["x"][:, 0]
    mu = _q(walk, "forward.mu")
    assert " + ".join(factor(a) for a in x) in mu.hint[1]
    assert fmt(x.sum()) in mu.hint[2]
    assert fmt(mu.answer) not in mu.hint[1:]  # the hint never states the answer
    v = {**_values(walk, "forward.std"), **_values(walk, "backward.dxc")}
    dxc = _q(walk, "backward.dxc")
    m = v["xc"].shape[0]
    t1, t2 = v["dxhat"][0, 0] / v["std"][0], v["dvar"][0] * 2 * v["xc"][0, 0] / m
    assert np.isclose(t1 + t2, dxc.answer, atol=1e-12)
    assert fmt(t1) in dxc.hint[1] and fmt(t2) in dxc.hint[2]
    dmu = _values(walk, "backward.dmu")
    assert " + ".join(factor(a) for a in dmu["dxc"][:, 0]) in _q(walk, "backward.dmu").hint[1]
    # one more line per wrong answer, never more than the hint has
    assert mu.hint_lines(0) == () and mu.hint_lines(1) == mu.hint[:1]
    assert mu.hint_lines(99) == mu.hint


def test_every_prompt_and_hint_is_in_the_language(walk):
    for q in predict.all_questions(walk):
        assert q.prompt and q.hint and q.solution
        if walk.lang == "zh":
            assert any("\u4e00" <= c <= "\u9fff" for c in q.prompt + q.hint[0])


def test_no_questions_for_layernorm_and_the_score():
    ln = walkthrough(Settings(), "en", norm="layer")
    assert predict.questions(ln) == {}
    s = predict.score({"a": "right", "b": "shown", "c": "wrong"}, ["a", "b", "c", "d"])
    assert (s.right, s.answered, s.total) == (1, 2, 4)


@pytest.mark.parametrize("lesson", ["train_test", "renorm", "pool"])
def test_other_lessons_questions(lesson):
    from bnviz import course

    walk = course.build(course.lesson(lesson), Settings(), "en")
    qs = predict.all_questions(walk)
    assert len(qs) >= 2
    ns = {}
    exec(walk.setup, ns)  # noqa: S102 - the lesson's own generated code, to check the questions' answers
    for step in walk.steps:
        exec(step.code, ns)  # noqa: S102
        for q in predict.questions(walk).get(step.key, ()):
            got = eval(q.check, ns)  # noqa: S307 - the question's own NumPy expression
            if q.kind == "number":
                assert float(got) == pytest.approx(float(q.answer), abs=1e-12)
                assert q.grade(repr(float(q.answer)))
            else:
                assert got == q.answer and q.grade(q.answer)
    v = {k: val for s in walk.steps for k, val in s.values.items()}
    if lesson == "train_test":
        p = walk.settings["momentum_cs231n"]
        assert qs[0].answer == pytest.approx((1 - p) * v["mu_b"][0, 0], abs=1e-12)
        m, p = walk.settings["m"], walk.settings["momentum_pytorch"]
        assert qs[1].answer == pytest.approx((1 - p) + p * v["var_b"][0, 0] * m / (m - 1), abs=1e-12)
    if lesson == "pool":
        assert qs[0].tol == 0 and qs[0].answer == np.count_nonzero(v["dx"])


def test_graph_checks_are_the_notebook_values():
    walk = walkthrough(Settings(seed=7), "en")
    ns = {}
    exec(walk.setup, ns)  # noqa: S102
    for step in walk.steps:
        exec(step.code, ns)  # noqa: S102
        for q in predict.questions(walk).get(step.key, ()):
            got = eval(q.check, ns)  # noqa: S307
            assert (float(got) == pytest.approx(float(q.answer), abs=1e-12)) if q.kind == "number" \
                else got == q.answer
