"""Live numbers written into SymPy expressions, for the conv and pool lessons: a sum of products
with its values, a matrix of values, an average, an equation chain ``a = b = c``. Everything is a
SymPy expression printed by the project's printer (:func:`bnviz.symbolic.printing.latex`); only the
layout around it (an ``aligned`` block for a sum too long for one line) is written here.

Names such as ``O_{1,1,1}`` or ∂L/∂F_{1,1,1,1} are Symbols (:func:`name`), printed as given; a figure's
caption prints the same expressions as plain text (:func:`caption`, :func:`bnviz.symbolic.printing.text` with
:func:`bnviz.numfmt.fmt` for the numbers), its entries named by :func:`entry` (``O[1,1]`` beside ``O_{1,1,1}``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import sympy as sp
from sympy.printing.precedence import PRECEDENCE

from bnviz.numfmt import fmt, plain
from bnviz.symbolic.printing import latex, partial_name, partial_text, text

Array = np.ndarray

class WindowMax(sp.Function):
    """max(a, b, …) of a window's numbers in the window's order: SymPy's ``Max`` sorts its arguments
    and merges equal ones, which would hide a tie. ``doit()`` is SymPy's ``Max`` of them."""

    def doit(self, **hints: object) -> sp.Expr:
        return sp.Max(*self.args)

    def _latex(self, printer: object) -> str:
        return r"\max\left(" + ", ".join(printer._print(a) for a in self.args) + r"\right)"

    def _text(self, printer: object) -> str:
        return "max(" + ", ".join(printer._print(a) for a in self.args) + ")"


class Entry(sp.Expr):
    """A name printed as written, in LaTeX (``O_{1,1,1}``) and in plain text (``O[1,1]``): notation."""

    is_commutative = True

    def __new__(cls, tex: str, txt: str) -> Entry:
        return super().__new__(cls, sp.Symbol(tex), sp.Symbol(txt))

    def _latex(self, printer: object) -> str:  # noqa: ARG002 (SymPy's printer protocol)
        return self.args[0].name

    def _text(self, printer: object) -> str:  # noqa: ARG002
        return self.args[1].name


def entry(tex: str, txt: str) -> Entry:
    """An entry's name: ``tex`` in LaTeX, ``txt`` in a caption."""
    return Entry(tex, txt)


def d_entry(tex: str, txt: str) -> Entry:
    """The name ∂L/∂(entry) in both printers (:func:`~bnviz.symbolic.printing.partial_name`, ``partial_text``)."""
    return Entry(partial_name(tex), partial_text(Entry(tex, txt)))


class Labelled(sp.Expr):
    """A number with a name under it (the bias b in a sum): an underbrace in LaTeX, ``b v`` in text."""

    is_commutative = True

    def __new__(cls, value: sp.Basic, label: str) -> Labelled:
        return super().__new__(cls, value, sp.Symbol(label))

    def _latex(self, printer: object) -> str:
        value, label = self.args
        return rf"\underbrace{{{printer.parenthesize(value, PRECEDENCE['Mul'], strict=True)}}}_{{{label.name}}}"

    def _text(self, printer: object) -> str:
        value, label = self.args
        return f"{label.name} {printer.factor(value)}"


def caption(expr: sp.Basic) -> str:
    """A figure's caption: ``expr`` as plain text, numbers as :func:`bnviz.numfmt.fmt` writes them, products
    with ×, a negative factor in parentheses: ``O[1,1] = 0.5×(−1) + 2×3 = 5.5``."""
    return text(expr, number=fmt, mul_symbol="×")


def name(tex: str) -> sp.Symbol:
    """A name printed as written (a derivative's ∂L/∂·, an entry O_{1,1,1}): notation, not a formula."""
    return sp.Symbol(tex)


def d(wrt: sp.Basic | str, of: sp.Basic | str = "L") -> sp.Symbol:
    """The name ∂of/∂wrt as a Symbol (:func:`bnviz.symbolic.printing.partial_name`; strings are LaTeX already)."""
    return name(partial_name(wrt, of))


def number(v: float) -> sp.Expr:
    """A live value as a SymPy number, as a learner reads it (:func:`bnviz.numfmt.plain`: 3, −1.5, 0.25)."""
    text = plain(v)
    return sp.Integer(int(text)) if text.lstrip("-").isdigit() else sp.Float(text)


def tex(expr: sp.Basic) -> str:
    """The project's LaTeX (:func:`bnviz.symbolic.printing.latex`) of numbers written out: sums in the order
    written, products of numbers with a ·, matrices as ``array`` (no column limit in amsmath)."""
    return latex(expr, mul_symbol="dot", mat_str="array", mat_delim="[")


def formula(expr: sp.Basic) -> str:
    """The project's LaTeX of a formula SymPy derived (SymPy's own order of terms)."""
    return latex(expr, order=None)


def formula_eq(lhs: sp.Basic, rhs: sp.Basic) -> str:
    """``lhs = rhs`` for a derived ``rhs`` (its terms in SymPy's order)."""
    return formula(sp.Eq(lhs, rhs, evaluate=False))


def matrix(m: Array | sp.Matrix) -> sp.ImmutableMatrix:
    """A NumPy matrix of live values (or a SymPy one) as a SymPy matrix."""
    if isinstance(m, np.ndarray):
        return sp.ImmutableMatrix(m.shape[0], m.shape[1], [number(v) for v in m.ravel()])
    return sp.ImmutableMatrix(m)


def add(terms: Sequence[sp.Basic]) -> sp.Expr:
    """An unevaluated sum in the order given (0 for none)."""
    if not terms:
        return sp.Integer(0)
    return terms[0] if len(terms) == 1 else sp.Add(*terms, evaluate=False)


def product(a: float, b: float) -> sp.Expr:
    """a · b with their numbers, unevaluated (each factor kept whole: (−1) · (−2), never −(−2))."""
    return sp.Mul(sp.UnevaluatedExpr(number(a)), sp.UnevaluatedExpr(number(b)), evaluate=False)


def scaled(a: float, m: Array) -> sp.Expr:
    """a · M, a number times a matrix of numbers, unevaluated."""
    return sp.Mul(sp.UnevaluatedExpr(number(a)), sp.UnevaluatedExpr(matrix(m)), evaluate=False)


def products(pairs: Iterable[tuple[float, float]]) -> list[sp.Expr]:
    return [product(a, b) for a, b in pairs]


def average(values: Iterable[float], divisor: int) -> sp.Expr:
    """(v1 + v2 + …) / divisor, unevaluated (printed as a fraction)."""
    return sp.Mul(add([number(v) for v in values]), sp.Pow(sp.Integer(divisor), -1, evaluate=False), evaluate=False)


def broadcast_sum(parts: Sequence[Array], scalar: float | None = None) -> sp.Expr:
    """M_1 + M_2 + … (+ a scalar added to every entry, as NumPy broadcasts it), unevaluated."""
    terms: list[sp.Basic] = [sp.UnevaluatedExpr(matrix(p)) for p in parts]
    if scalar is not None:
        terms.append(number(scalar))
    return add(terms)


def chain(*parts: sp.Basic) -> sp.Basic:
    """a = b = c … as nested unevaluated equations."""
    out = parts[0]
    for p in parts[1:]:
        out = sp.Eq(out, p, evaluate=False)
    return out


def equals(*parts: sp.Basic) -> str:
    """``a = b = …`` in LaTeX."""
    return tex(chain(*parts))


def aligned(lhs: sp.Basic, *rights: sp.Basic) -> str:
    """lhs = r1 = r2 … with each right side on its own line (an ``aligned`` block)."""
    rows = [f"{tex(lhs)} &= {tex(rights[0])}"] + [f"&= {tex(r)}" for r in rights[1:]]
    return "\\begin{aligned}" + " \\\\ ".join(rows) + "\\end{aligned}"


def sum_caption(lhs: sp.Basic, terms: Sequence[sp.Basic], total: float, per_line: int = 6) -> str:
    """The caption of lhs = t1 + t2 + … = total (:func:`caption`), a line break (<br>) every ``per_line`` terms."""
    if len(terms) <= per_line:
        return caption(chain(lhs, add(terms), number(total)))
    chunks = [caption(add(terms[n:n + per_line])) for n in range(0, len(terms), per_line)]
    return f"{caption(lhs)} = " + "<br>+ ".join(chunks) + f" = {caption(number(total))}"


def sum_equation(lhs: sp.Basic, terms: Sequence[sp.Basic], total: float, per_line: int = 8) -> str:
    """lhs = t1 + t2 + … = total; a sum of more than ``per_line`` terms goes on several lines."""
    if len(terms) <= per_line:
        return equals(lhs, add(terms), number(total))
    chunks = [add(terms[n:n + per_line]) for n in range(0, len(terms), per_line)]
    rows = [f"{tex(lhs)} &= {tex(chunks[0])}"] + [f"&\\quad + {tex(c)}" for c in chunks[1:]]
    rows.append(f"&= {tex(number(total))}")
    return "\\begin{aligned}" + " \\\\ ".join(rows) + "\\end{aligned}"
