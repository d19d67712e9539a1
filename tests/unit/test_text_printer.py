"""symbolic.printing.text, the plain-text (Unicode) printer, and the value labels printed with it.

Oracles are hand-written strings: what a learner reads today (the labels were a typed table before).
"""

from __future__ import annotations

import pytest
import sympy as sp

from bnviz import numfmt
from bnviz.figures import norms as nf
from bnviz.lessons import fold as fold_lesson
from bnviz.lessons import renorm as renorm_lesson
from bnviz.ops import bn
from bnviz.steps import LABELS, Walkthrough
from bnviz.symbolic import printing as P
from bnviz.symbolic import symbols as S

a, b, c = sp.symbols("a b c")
SIGMA2 = S.scalar("t_sigma2", r"\sigma^{2}", "σ²")
XHAT = S.vector("t_xhat", r"\hat{x}", "x̂")


@pytest.mark.parametrize(("expr", "expected"), [
    (a, "a"),
    (S.eps, "ε"),
    (SIGMA2, "σ²"),
    (XHAT, "x̂"),
    (XHAT[S.i], "x̂_i"),
    (sp.Symbol("no_text_name"), "no_text_name"),
])
def test_symbols_print_their_text_names(expr: sp.Basic, expected: str) -> None:
    assert P.text(expr) == expected


@pytest.mark.parametrize(("expr", "expected"), [
    (S.add(a, b), "a + b"),
    (S.add(a, -b), "a − b"),
    (S.add(-a, b), "−a + b"),
    (S.add(a, -2 * b, c), "a − 2 · b + c"),
    (S.add(b, a), "b + a"),  # the order written, not SymPy's
    (S.mul(a, S.add(b, c)), "a · (b + c)"),
    (-a, "−a"),
])
def test_sums_keep_their_order_with_a_real_minus(expr: sp.Basic, expected: str) -> None:
    assert P.text(expr) == expected


@pytest.mark.parametrize(("expr", "expected"), [
    (sp.sqrt(a), "√a"),
    (sp.sqrt(S.add(SIGMA2, S.eps)), "√(σ²+ε)"),
    (sp.sqrt(S.add(a, -b)), "√(a−b)"),
    (a / sp.sqrt(S.add(SIGMA2, S.eps)), "a/√(σ²+ε)"),
    (S.add(a, sp.sqrt(S.add(b, c))), "a + √(b+c)"),  # compact under the root only
])
def test_square_roots(expr: sp.Basic, expected: str) -> None:
    assert P.text(expr) == expected


@pytest.mark.parametrize(("expr", "expected"), [
    (a**2, "a²"),
    (a**3, "a³"),
    (a**12, "a¹²"),
    (S.add(a, b) ** 2, "(a + b)²"),
    (SIGMA2**2, "(σ²)²"),
    (1 / a, "1/a"),
    (S.mul(S.add(a, -b), 1 / c), "(a − b)/c"),
    (a**b, "a^b"),
])
def test_powers_and_quotients(expr: sp.Basic, expected: str) -> None:
    assert P.text(expr) == expected


def test_derivative_names() -> None:
    assert P.partial_text(SIGMA2) == "∂L/∂σ²"
    assert P.partial_text(XHAT.label) == "∂L/∂x̂"
    assert P.partial_text(S.add(a, -b)) == "∂L/∂(a − b)"
    assert P.partial_text(S.mul(a, b)) == "∂L/∂(a · b)"
    assert P.partial_text(sp.sqrt(S.add(SIGMA2, S.eps))) == "∂L/∂√(σ²+ε)"
    assert P.partial_text(a, of=XHAT.label) == "∂x̂/∂a"
    assert P.text(sp.Derivative(XHAT.label, a, evaluate=False)) == "∂x̂/∂a"
    assert P.text(S.mul(sp.Symbol("g"), sp.Derivative(XHAT.label, a, evaluate=False))) == "g · ∂x̂/∂a"


def test_gradient_placeholders_are_named_in_both_printers() -> None:
    g = S.grad_symbol("t_g", SIGMA2)
    assert (P.text(g), P.latex(g)) == ("∂L/∂σ²", r"\frac{\partial L}{\partial \sigma^{2}}")
    v = S.grad_symbol("t_gv", XHAT)
    assert P.text(v.label) == "∂L/∂x̂"


def test_equations_functions_and_absolute_values() -> None:
    f = sp.Function("f")
    assert P.text(sp.Eq(a, f(b, c), evaluate=False)) == "a = f(b, c)"
    assert P.text(sp.Abs(S.add(a, -b))) == "|a − b|"


def test_numbers_and_the_number_hook() -> None:
    def two(v: float) -> sp.Expr:
        return sp.UnevaluatedExpr(sp.Float(v) if v != int(v) else sp.Integer(int(v)))
    product = sp.Mul(two(2), two(-1.5), evaluate=False)
    assert P.text(product, number=numfmt.fmt, mul_symbol="×") == "2×(−1.5)"
    assert P.text(S.add(two(0.25), two(-3)), number=numfmt.fmt) == "0.25 + (−3)"
    assert P.text(sp.Integer(-4)) == "−4"
    assert P.text(sp.Rational(1, 3) * a) == "a/3"
    assert P.text(sp.Rational(-2, 3) * a) == "−(2 · a)/3"


def test_named_symbols_print_what_they_stand_for() -> None:
    xc = S.named_vector("t_xc", S.add(XHAT[S.i], -SIGMA2))
    assert P.text(xc.label) == "(x̂ − σ²)"
    assert P.partial_text(xc.label) == "∂L/∂(x̂ − σ²)"  # the group's parentheses, not doubled
    std = S.named("t_std", sp.sqrt(S.add(SIGMA2, S.eps)))
    assert P.text(std) == "√(σ²+ε)"


BN_LABELS = {
    "x": "x", "mu": "μ", "xc": "x − μ", "var": "σ²", "std": "√(σ²+ε)", "xhat": "x̂", "y": "y", "L": "L",
    "gamma": "γ", "beta": "β", "dout": "∂L/∂y", "dgamma": "∂L/∂γ", "dbeta": "∂L/∂β", "dxhat": "∂L/∂x̂",
    "dstd": "∂L/∂√(σ²+ε)", "dvar": "∂L/∂σ²", "dxc": "∂L/∂(x − μ)", "dmu": "∂L/∂μ", "dx": "∂L/∂x",
    "dx_xhat": "∂L/∂x̂ · ∂x̂/∂x", "dx_var": "∂L/∂σ² · ∂σ²/∂x", "dx_mu": "∂L/∂μ · ∂μ/∂x",
    "dx_closed": "∂L/∂x = f(x̂, ∂L/∂x̂)",
}


def test_bn_labels_are_the_text_of_their_definitions() -> None:
    assert LABELS == BN_LABELS
    assert list(LABELS) == list(BN_LABELS)  # the order tables and the CLI list them in
    assert P.text(bn.LABEL_DEFINITIONS["std"]) == BN_LABELS["std"]
    # the label is the node's definition: x − μ is the xc node's own expression, indices dropped
    assert bn.LABEL_DEFINITIONS["xc"] == S.plain(next(n.sym for n in bn.STRUCTURE.nodes if n.name == "xc"))


def test_walkthrough_label_api() -> None:
    walk = Walkthrough("p", "t", "en", {}, (), labels={"own": "o"})
    assert (walk.label("own"), walk.label("dxc"), walk.label("unknown")) == ("o", "∂L/∂(x − μ)", "unknown")


@pytest.mark.parametrize("layer", ["affine", "conv"])
def test_fold_labels(layer: str) -> None:
    assert fold_lesson.labels(layer) == {
        "w": "W", "b": "b", "z": "z = L(x) + b", "running_mean": "μ_run", "running_var": "σ²_run",
        "y": "y = BN(z)", "scale": "γ/√(σ²_run+ε)", "w_fold": "W'", "b_fold": "b'", "y_fold": "y' = L'(x) + b'",
        "max_diff": "max |y − y'|",
    }


def test_renorm_labels() -> None:
    assert renorm_lesson.LABELS == {
        "mu": "μ_B", "var": "σ²_B", "std": "σ_B", "xn": "x̃ = (x − μ_B)/σ_B", "r_raw": "σ_B/σ", "r": "r",
        "d_raw": "(μ_B − μ)/σ", "d": "d", "mu_mov": "μ", "sigma_mov": "σ", "dxn": "∂L/∂x̃", "dstd": "∂L/∂σ_B",
        "dvar": "∂L/∂σ²_B", "dmu": "∂L/∂μ_B", "dx_xhat": "∂L/∂x̂ · ∂x̂/∂x", "dx_std": "∂L/∂σ_B · ∂σ_B/∂x",
        "dx_mu": "∂L/∂μ_B · ∂μ_B/∂x",
    }


def test_diagram_node_labels() -> None:
    assert nf.TEST_LABELS == {"x": "x", "mu_run": "μ_run", "xc": "x − μ_run", "var_run": "σ²_run",
                              "std": "√(σ²_run+ε)", "xhat": "x̂", "y": "y", "L": "L", "gamma": "γ", "beta": "β",
                              "dout": "∂L/∂y"}
    assert nf.RENORM_LABELS == {"x": "x", "mu": "μ_B", "xc": "x − μ_B", "var": "σ²_B", "std": "σ_B", "xn": "x̃",
                                "r": "r", "d": "d", "xhat": "x̂", "y": "y", "L": "L", "gamma": "γ", "beta": "β",
                                "dout": "∂L/∂y"}
