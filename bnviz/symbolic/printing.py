"""How the project's symbols print: their names, the notation around derived formulas, the printers.

* ``set_names``: a symbol's LaTeX and plain-text names (``bnviz.symbolic.symbols`` makes the symbols);
* ``latex`` / ``text``: SymPy's LaTeX printer and its plain-text twin (:class:`bnviz.textprint.TextPrinter`)
  with those names; ``eq``, ``iff``, ``relations`` put printed sides on one line;
* ``NOTATION``: the notation-only LaTeX (the ∂/∂ frame, ←, ∼, E[·], max, ⟺, upright words), and the
  display-only SymPy forms printed with it (``Update``, ``AddTo``, ``Distributed``, ``Expected``, ``Maximum``,
  ``Norm``, ``NORMAL``): never evaluated, only printed;
* ``partial_name`` / ``partial_text``: the one spelling of a derivative's name ∂L/∂….

Shapes: every function takes SymPy expressions (scalars, ``Indexed`` elements, matrix symbols) and returns a
``str``; nothing here evaluates or simplifies.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

import sympy as sp
from sympy.matrices.expressions.sets import MatrixSet
from sympy.printing.latex import LatexPrinter

from bnviz.textprint import TextPrinter

# ------------------------------------------------------------------ names --

_LATEX_NAMES: dict[sp.Symbol, str] = {}
_TEXT_NAMES: dict[sp.Symbol, str] = {}
"""The symbols' names in LaTeX and in plain text (Unicode: a value's label, a caption), side by side.
A symbol with no text name prints as its SymPy name."""


_NAMES_LOCK = threading.Lock()
"""Lessons may name new symbols while another thread prints (each session's run, the warm-up thread):
names are added and copied for a print under this lock."""


def set_names(sym: sp.Symbol, tex: str, text: str | None) -> None:
    """Print ``sym`` as ``tex`` in LaTeX and as ``text`` in plain text (``None``: its SymPy name)."""
    with _NAMES_LOCK:
        _LATEX_NAMES[sym] = tex
        if text is not None:
            _TEXT_NAMES[sym] = text


def _names(table: dict[sp.Symbol, str], extra: Mapping[sp.Basic, str] | None) -> dict:
    with _NAMES_LOCK:
        return {**table, **(extra or {})}


# Notation only: lines that name inputs or write the ∂/∂ frame, not formulas SymPy could derive.
NOTATION = {
    "batch": r"x = \left(x_{ij}\right)_{i = 1, \dots, m;\ j = 1, \dots, D}",
    "sample": r"x_{i} = x_{n i}, \quad i = 1, \dots, D",
    "partial": r"\frac{{\partial {child}}}{{\partial {parent}}}",
    "leftarrow": r"{new} \leftarrow {rule}",
    "add_to": r"{total} \mathrel{{+}}= {part}",
    "at": r"\Big|_{{{}}}",
    "and_small": r",\ ",
    "group": r"\left({}\right)",
    "and": r", \quad ",
    "via": r"\left.{grad}\right|_{{{node}}}",
    "sim": r"{x} \sim {dist}",
    "normal": r"\mathcal{N}",
    "expect": r"\mathrm{{E}}\left[{}\right]",
    "norm": r"\left\lVert {} \right\rVert",
    "max": r"\max_{{{var}}} {expr}",
    "iff": r"{left} \;\Longleftrightarrow\; {right}",
    "word": r"\mathrm{{{}}}",
}
"""Format strings (``str.format`` fields in braces) of the notation the lessons write around derived formulas."""


def partial_name(wrt: sp.Basic | str, of: sp.Basic | str = "L") -> str:
    """The name ∂of/∂wrt as LaTeX (∂L/∂wrt by default): the one place a derivative's name is written.

    ``wrt`` and ``of`` are printed by :func:`latex` (a string is taken as LaTeX already).
    """
    def tex(e: sp.Basic | str) -> str:
        return e if isinstance(e, str) else latex(e)
    return NOTATION["partial"].format(child=tex(of), parent=tex(wrt))


def partial_text(wrt: sp.Basic, of: sp.Basic | str = "L") -> str:
    """The name ∂of/∂wrt as plain text, ``∂L/∂σ²``; a compound ``wrt`` in parentheses: ``∂L/∂(x − μ)``.

    ``wrt`` and ``of`` are printed by :func:`text` (a string ``of`` is taken as printed already)."""
    return TextPrinter({"symbol_names": _names(_TEXT_NAMES, None)}).partial(of, wrt)


def partial(child: sp.Basic, parent: sp.Basic) -> str:
    """∂child/∂parent as LaTeX (notation: the derived value goes on the right of an equals sign)."""
    return NOTATION["partial"].format(child=latex(child), parent=latex(parent))


# ------------------------------------------------------ display-only forms --


class Update(sp.Basic):
    """An update rule ``new ← rule`` (Adam's moments, running averages), printed with ``NOTATION["leftarrow"]``."""

    def __new__(cls, new: sp.Basic, rule: sp.Basic) -> Update:
        return super().__new__(cls, sp.sympify(new, strict=True), sp.sympify(rule, strict=True))

    def _latex(self, printer: Any) -> str:
        return NOTATION["leftarrow"].format(new=printer._print(self.args[0]), rule=printer._print(self.args[1]))


class AddTo(sp.Basic):
    """``total += part`` (a share added to what a cell holds), printed with ``NOTATION["add_to"]``."""

    def __new__(cls, total: sp.Basic, part: sp.Basic) -> AddTo:
        return super().__new__(cls, sp.sympify(total, strict=True), sp.sympify(part, strict=True))

    def _latex(self, printer: Any) -> str:
        return NOTATION["add_to"].format(total=printer._print(self.args[0]), part=printer._print(self.args[1]))

    def _text(self, printer: Any) -> str:
        return f"{printer._print(self.args[0])} += {printer._print(self.args[1])}"


class Distributed(sp.Basic):
    """``x ∼ dist`` (initial weights drawn from a distribution), printed with ``NOTATION["sim"]``."""

    def __new__(cls, x: sp.Basic, dist: sp.Basic) -> Distributed:
        return super().__new__(cls, x, dist)

    def _latex(self, printer: Any) -> str:
        return NOTATION["sim"].format(x=printer._print(self.args[0]), dist=printer._print(self.args[1]))


class Expected(sp.Function):
    """The expected value E[x] of a random quantity (never evaluated), printed with ``NOTATION["expect"]``."""

    def _latex(self, printer: Any, exp: str | None = None) -> str:
        tex = NOTATION["expect"].format(printer._print(self.args[0]))
        return tex if exp is None else f"{tex}^{{{exp}}}"


class Maximum(sp.Basic):
    """``max_var expr`` (the largest value of ``expr`` over ``var``; never evaluated), printed with
    ``NOTATION["max"]``."""

    def __new__(cls, expr: sp.Basic, var: sp.Symbol) -> Maximum:
        return super().__new__(cls, sp.sympify(expr, strict=True), sp.sympify(var, strict=True))

    def _latex(self, printer: Any) -> str:
        return NOTATION["max"].format(expr=printer._print(self.args[0]), var=printer._print(self.args[1]))


class Norm(sp.Function):
    """The norm ‖A‖ of a matrix (a name for the network lesson's statistic; never evaluated): a scalar,
    printed with ``NOTATION["norm"]``."""

    is_commutative = True
    is_real = True

    def _latex(self, printer: Any, exp: str | None = None) -> str:
        tex = NOTATION["norm"].format(printer._print(self.args[0]))
        return tex if exp is None else f"{tex}^{{{exp}}}"


# --------------------------------------------------------------- printers --


class _Printer(LatexPrinter):
    """SymPy's LaTeX printer with the project's symbol names; a real matrix space prints as 𝐑^{n×k}."""

    def _print_MatrixSet(self, s: Any) -> str:
        rows, cols, _ = s.args
        return r"\mathbf{R}^{" + self._print(rows) + r" \times " + self._print(cols) + "}"


def text(expr: sp.Basic | str, names: Mapping[sp.Basic, str] | None = None, **settings: Any) -> str:
    """Plain text (Unicode) with the project's symbol names: ``x − μ``, ``√(σ²+ε)``, ``∂L/∂x̂ · ∂x̂/∂x``.

    The plain-text twin of :func:`latex` (a value's label, a figure's caption); ``names`` for this print,
    ``settings`` further printer settings (``mul_symbol``, ``number``: see :class:`bnviz.textprint.TextPrinter`).
    A string is taken as printed already.
    """
    if isinstance(expr, str):
        return expr
    return TextPrinter({"symbol_names": _names(_TEXT_NAMES, names), **settings}).doprint(expr)


NORMAL = sp.Function(NOTATION["normal"])
"""The normal distribution 𝒩(mean, variance), a name for :class:`Distributed`."""


def latex(expr: sp.Basic, names: Mapping[sp.Basic, str] | None = None, **settings: Any) -> str:
    """LaTeX with the project's symbol names (``\\varepsilon``, ``\\hat{x}``...), plus ``names`` for this print.

    Sums print in the order they were built (``order="none"``), so
    unevaluated display forms such as ``x_i - μ`` keep their reading order.
    ``settings``: further printer settings (e.g. ``mul_symbol="dot"`` for products of numbers; ``order=None``
    for SymPy's own order, for expressions SymPy built rather than display forms written in order).
    """
    return _Printer({"symbol_names": _names(_LATEX_NAMES, names), "order": "none", **settings}).doprint(expr)


def eq(*sides: sp.Basic) -> str:
    """``a = b = …`` with each side printed by :func:`latex`."""
    return " = ".join(latex(s) for s in sides)


def iff(left: tuple[sp.Basic, ...], right: tuple[sp.Basic, ...]) -> str:
    """``a = b ⟺ c = d = …``: two chains of equal sides (each printed by :func:`eq`) that are equivalent."""
    return NOTATION["iff"].format(left=eq(*left), right=eq(*right))


def relations(*exprs: sp.Basic | str) -> str:
    """Several relations on one line (``A_ℓ = BN(Z_ℓ), ℓ ∈ {1, …, L}``); a string is taken as printed already."""
    return NOTATION["and"].join(e if isinstance(e, str) else latex(e) for e in exprs)


def element_of(x: sp.Basic, space: sp.Set) -> sp.Basic:
    """x ∈ space, unevaluated (SymPy's ``Contains``)."""
    return sp.Contains(x, space, evaluate=False)


def real_matrices(rows: sp.Basic, cols: sp.Basic) -> sp.Set:
    """𝐑^{rows×cols}."""
    return MatrixSet(rows, cols, sp.Reals)
