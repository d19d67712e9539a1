"""The plain-text (Unicode) printer: SymPy expressions as a learner reads them outside LaTeX (a value's
label, a figure's caption). :func:`bnviz.symbolic.printing.text` uses it with the project's symbol names.
"""

from __future__ import annotations

import sympy as sp
from sympy.printing.precedence import PRECEDENCE
from sympy.printing.str import StrPrinter

_SUPERSCRIPTS = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")
MINUS = "−"
"""The minus sign of plain text (U+2212), as in ``x − μ``."""


class TextPrinter(StrPrinter):
    """Plain text (Unicode) beside :mod:`bnviz.symbolic`'s LaTeX printer: the symbols' text names (setting
    ``symbol_names``), "−" for minus,
    "√(…)" for a square root, superscript integer powers (σ²), "∂L/∂…" for derivatives, " · " for products,
    "a = b" for equations, "|a|" for absolute values.

    Sums print in the order built and spaced (``x − μ``), except under a root: ``√(σ²+ε)``, as compact as the
    graph's node labels. Objects may print themselves with a ``_text(printer)`` method. Settings:
    ``mul_symbol`` (" · "), ``number`` (a function float -> text for every number, e.g. ``bnviz.numfmt.fmt``;
    a negative one is then wrapped in parentheses as a factor or a term after the first).
    """

    printmethod = "_text"
    _default_settings = {**StrPrinter._default_settings, "symbol_names": {}, "order": "none", "mul_symbol": " · ",
                         "number": None, "compact": False}

    def _print_Symbol(self, expr: sp.Symbol) -> str:
        return self._settings["symbol_names"].get(expr, expr.name)

    def _print_IndexedBase(self, expr: sp.IndexedBase) -> str:
        return self._print(expr.label)

    def _print_Indexed(self, expr: sp.Indexed) -> str:
        return f"{self._print(expr.base)}_{','.join(self._print(k) for k in expr.indices)}"

    def _number(self, expr: sp.Number) -> str | None:
        fmt = self._settings["number"]
        return None if fmt is None else fmt(float(expr)).replace("-", MINUS)

    def _print_Integer(self, expr: sp.Integer) -> str:
        return self._number(expr) or str(expr.p).replace("-", MINUS)

    def _print_Float(self, expr: sp.Float) -> str:
        return self._number(expr) or super()._print_Float(expr).replace("-", MINUS)

    def _print_Rational(self, expr: sp.Rational) -> str:
        return self._number(expr) or f"{self._print(sp.Integer(expr.p))}/{expr.q}"

    def _print_Zero(self, expr: sp.Integer) -> str:  # StrPrinter's own would skip the number hook
        return self._print_Integer(expr)

    def _negative(self, term: sp.Basic) -> sp.Basic | None:
        """``−term`` if ``term`` is written with a leading minus (−μ, −2·x), else None."""
        if isinstance(term, sp.UnevaluatedExpr):
            return None
        if term.is_Number and term.is_negative and self._settings["number"] is None:
            return -term
        if term.is_Mul and term.args[0].is_Number and term.args[0].is_negative:
            rest = term.args[1:] if term.args[0] == -1 else (-term.args[0], *term.args[1:])
            return rest[0] if len(rest) == 1 else sp.Mul(*rest, evaluate=False)
        return None

    def _print_Add(self, expr: sp.Add, order: str | None = None) -> str:
        terms = list(expr.args) if self._settings["order"] == "none" else self._as_ordered_terms(expr, order=order)
        plus, minus = ("+", MINUS) if self._settings["compact"] else (" + ", f" {MINUS} ")
        out = ""
        for n, term in enumerate(terms):
            neg = self._negative(term)
            shown = self._term(neg if neg is not None else term, first=n == 0 and neg is None)
            if n == 0:
                out = (MINUS if neg is not None else "") + shown
            else:
                out += (minus if neg is not None else plus) + shown
        return out

    def _term(self, term: sp.Basic, first: bool) -> str:
        s = self.parenthesize(term, PRECEDENCE["Add"], strict=True)
        if not first and s.startswith(MINUS):
            return f"({s})"
        return s

    def _print_Mul(self, expr: sp.Mul) -> str:
        args = list(expr.args)
        if self._settings["order"] != "none":
            args = list(expr.as_ordered_factors())
        sign = ""
        if args and args[0] == -1 and len(args) > 1 and not isinstance(args[0], sp.UnevaluatedExpr):
            sign, args = MINUS, args[1:]
        num, den = [], []
        for a in args:
            if a.is_Pow and a.exp.is_Rational and a.exp.is_negative and not isinstance(a, sp.UnevaluatedExpr):
                den.append(a.base if a.exp == -1 else sp.Pow(a.base, -a.exp, evaluate=False))
            elif a.is_Rational and not a.is_Integer and self._settings["number"] is None:
                if abs(a.p) != 1:
                    num.append(sp.Integer(abs(a.p)))
                sign = MINUS if (a.p < 0) != (sign == MINUS) else ""
                den.append(sp.Integer(a.q))
            else:
                num.append(a)
        top = self._settings["mul_symbol"].join(self.factor(a) for a in num) if num else "1"
        if not den:
            return sign + top
        bottom = self._settings["mul_symbol"].join(self.factor(a) for a in den)
        if len(num) > 1:
            top = f"({top})"
        return f"{sign}{top}/({bottom})" if len(den) > 1 else f"{sign}{top}/{bottom}"

    def factor(self, a: sp.Basic) -> str:
        """``a`` as a factor of a product: in parentheses if it is a sum or starts with a minus."""
        s = self.parenthesize(a, PRECEDENCE["Mul"], strict=False)
        return f"({s})" if s.startswith(MINUS) else s

    def _print_Pow(self, expr: sp.Pow, rational: bool = False) -> str:  # noqa: ARG002 (StrPrinter's signature)
        base, exp = expr.args
        if exp == sp.S.Half:
            return self.root(base)
        if exp.is_Rational and exp.is_negative:
            return self._print(sp.Mul(sp.Integer(1), sp.Pow(base, exp, evaluate=False), evaluate=False))
        shown = self.parenthesize(base, PRECEDENCE["Pow"], strict=False)
        if shown and shown[-1] in "⁰¹²³⁴⁵⁶⁷⁸⁹":
            shown = f"({shown})"  # (σ²)³, not σ²³
        if exp.is_Integer:
            return shown + str(exp).translate(_SUPERSCRIPTS)
        return f"{shown}^{self.parenthesize(exp, PRECEDENCE['Pow'], strict=False)}"

    def root(self, inner: sp.Basic) -> str:
        """√x for an atom, else √(…) with the inside compact (σ²+ε)."""
        if inner.is_Atom:
            return "√" + self._print(inner)
        compact = TextPrinter({**self._settings, "compact": True})
        return f"√({compact._print(inner)})"

    def partial(self, of: sp.Basic | str, wrt: sp.Basic) -> str:
        """∂of/∂wrt, a compound ``wrt`` (a sum, a product) in parentheses."""
        top = of if isinstance(of, str) else self._print(of)
        bottom = self._print(wrt)
        if isinstance(wrt, sp.Add | sp.Mul):
            bottom = f"({bottom})"
        return f"∂{top}/∂{bottom}"

    def _print_Derivative(self, expr: sp.Derivative) -> str:
        (wrt, count), = expr.variable_count
        return self.partial(expr.expr, wrt if count == 1 else wrt**count)

    def _print_Relational(self, expr: sp.Basic) -> str:
        op = {"==": "=", "!=": "≠", "<=": "≤", ">=": "≥"}.get(expr.rel_op, expr.rel_op)
        return f"{self._print(expr.lhs)} {op} {self._print(expr.rhs)}"

    def _print_Abs(self, expr: sp.Abs) -> str:
        return f"|{self._print(expr.args[0])}|"

    def _print_UnevaluatedExpr(self, expr: sp.UnevaluatedExpr) -> str:
        return self._print(expr.args[0])
