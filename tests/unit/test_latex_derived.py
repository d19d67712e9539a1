"""Issue 9 and 12: formulas derived, not typed; one printer order; plain math names.

Each test reads what a learner would read (the lessons' LaTeX lines, or the lesson sources) and can
fail: the source scan is checked against a typed example, the order check against a swapped root.
"""

import re
from pathlib import Path

import pytest
import sympy as sp

from bnviz import course
from bnviz.lessons import graph
from bnviz.ops import bn, renorm, testmode
from bnviz.settings import Settings
from bnviz.symbolic import printing as P
from bnviz.symbolic import symbols as S

LESSONS = Path(__file__).resolve().parents[2] / "bnviz" / "lessons"
RETYPED = re.compile(r"\\frac\{+\\partial\s*L\s*\}+\{+\\partial|\\partial\s*L\s*/\s*\\partial")
"""∂L/∂… typed as LaTeX (plain or as an f-string with doubled braces): ``partial_name`` writes it once."""

def retyped(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if RETYPED.search(line)]


def test_the_scan_finds_a_typed_derivative_name():
    assert retyped('g = sp.Symbol(r"\\frac{\\partial L}{\\partial H_{\\ell}}")')
    assert retyped('tex = rf"\\frac{{\\partial L}}{{\\partial {P.latex(c)}}} = "')
    assert retyped('r"\\frac{\\lVert \\partial L / \\partial W_{\\ell} \\rVert}{1}"')
    assert not retyped('P.partial_name(gamma_c)')


@pytest.mark.parametrize("path", sorted(LESSONS.glob("*.py")), ids=lambda p: p.name)
def test_no_lesson_retypes_a_derivative_name(path):
    assert retyped(path.read_text(encoding="utf-8")) == []


def test_partial_name_is_the_one_spelling():
    x = sp.Symbol("x")
    assert P.partial_name(x) == r"\frac{\partial L}{\partial x}"
    assert P.partial_name("y", "a") == r"\frac{\partial a}{\partial y}"
    w = sp.MatrixSymbol("W", 3, 2)
    assert P.latex(S.grad_matrix(w)) == P.partial_name(w) and S.grad_matrix(w).shape == (3, 2)
    assert P.latex(bn.GRAD["var"]) == P.partial_name(bn.SYM["var"])


# ------------------------------------------------------------- one order --

SWAPPED = re.compile(r"\\varepsilon\s*\+\s*\\sigma")


def _lines(walk) -> list[str]:
    return [line for s in walk.steps for line in (*s.latex, *s.local)]


@pytest.fixture(scope="module")
def every_lesson_line() -> list[str]:
    lines = []
    for les in course.available():
        if les.build:
            lines += _lines(course.build(les, Settings(), "en"))
    lines += _lines(graph.walkthrough(Settings(), "en", norm="layer"))
    return lines


def test_the_order_check_can_fail():
    swapped = P.latex(sp.sqrt(sp.Add(S.eps, bn.SYM["var"], evaluate=False)))
    assert SWAPPED.search(swapped)


def test_sigma_squared_comes_before_epsilon_everywhere(every_lesson_line):
    """√(σ²+ε) never prints as √(ε+σ²): SymPy's canonical order and the definitions agree (ε sorts last)."""
    assert every_lesson_line
    assert [line for line in every_lesson_line if SWAPPED.search(line)] == []
    assert any(r"\sqrt{\sigma^{2} + \varepsilon}" in line for line in every_lesson_line)


def test_derived_sums_keep_the_definitions_order():
    var, var_run = bn.SYM["var"], testmode.TEST_SYM["var_run"]
    for v in (var, var_run, renorm.RN_SYM["var"]):
        assert P.latex(1 / (2 * sp.sqrt(S.eps + v))).index(P.latex(v)) < P.latex(1 / sp.sqrt(S.eps + v)).index(
            r"\varepsilon")


# ----------------------------------------------------------- plain names --

OPERATORS = re.compile(r"[-+/]|\\sqrt|\\frac(?!\{\\partial)")


def test_symbols_whose_names_are_formulas_are_derived_from_their_expression():
    """A symbol table entry printed as a formula ((x − μ), √(σ²+ε)) stands for that expression (``S.NAMED``)
    and its name is SymPy's printing of it: never typed."""
    tables = (bn.SYM, testmode.TEST_SYM, renorm.RN_SYM)
    checked = 0
    for table in tables:
        for sym in table.values():
            label = sym.label if isinstance(sym, sp.IndexedBase) else sym
            tex = P._LATEX_NAMES.get(label, "")
            if not OPERATORS.search(tex.replace(r"\frac{\partial L}{\partial", "")):
                continue
            expr = S.NAMED.get(label)
            assert expr is not None, tex
            plain = expr.replace(lambda e: isinstance(e, sp.Indexed), lambda e: e.base.label)
            assert tex in (P.latex(plain), P.NOTATION["group"].format(P.latex(plain))), tex
            checked += 1
    assert checked >= 5  # xc and std of BN, test mode; xc of Batch Renorm


# ------------------------------------------------------------ issue 12 dy --


@pytest.mark.parametrize("norm", graph.NORMS)
def test_the_start_of_backward_differentiates_the_surrogate(norm):
    lines, local = graph.formulas(norm)["dy"]
    assert local == ()  # no empty "∂L/∂y_i = ∂L/∂y_i" local derivative
    (line,) = lines
    assert r"\frac{\partial}{\partial {y}_{i}} \sum_{j=1}^{" in line  # the surrogate L, differentiated
    lhs, _, rhs = line.split(" = ")
    assert lhs == P.partial(bn.SYM["L"], bn.Y[S.i]) and rhs == P.latex(bn.DOUT[S.i])
    assert ("L", "dout") in graph.active_edges("backward.dy")


def test_the_surrogate_loss_is_said_in_words():
    from bnviz.i18n import t

    for key in ("step.forward.L", "step.ln.L"):
        assert "surrogate" in t(f"{key}.title", "en") and "替代" in t(f"{key}.title", "zh")
        assert "given" in t(f"{key}.note", "en") and "给定" in t(f"{key}.note", "zh")
