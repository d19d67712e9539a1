"""The symbols the graphs are written in, and the symbols derived from them.

A graph node's ``sym`` is one output element written with these symbols: element nodes use the free index
``i`` (``x[i] - mu``), reductions sum over ``j`` from 1 to ``m`` (``Sum(x[j], (j, 1, m)) / m``).

* ``vector`` (one value per sample i: an ``IndexedBase``) and ``scalar`` (one value for the batch: a
  ``Symbol``), each with its LaTeX and plain-text name (:func:`bnviz.symbolic.printing.set_names`);
* ``named`` / ``named_vector``: a symbol standing for an expression, named by printing that expression;
* ``grad_symbol`` / ``grad_matrix`` / ``grad_element``: the placeholders ∂L/∂node, named by ``partial_name``;
* ``add`` / ``mul`` / ``rename``: unevaluated forms that keep the reading order of a definition.
"""

from __future__ import annotations

from typing import Any

import sympy as sp

from bnviz.symbolic import printing as P

# ---------------------------------------------------------------- symbols --


def vector(name: str, tex: str, text: str | None = None) -> sp.IndexedBase:
    """A per-sample quantity (one value per i), printed as ``tex`` (LaTeX) and ``text`` (plain text)."""
    base = sp.IndexedBase(name)
    P.set_names(base.label, tex, text)
    return base


def scalar(name: str, tex: str, text: str | None = None, **assumptions: Any) -> sp.Symbol:
    """A per-feature quantity (one value for the batch), printed as ``tex`` (LaTeX) and ``text`` (plain text)."""
    sym = sp.Symbol(name, **assumptions)
    P.set_names(sym, tex, text)
    return sym


i, j = sp.symbols("i j", integer=True, positive=True)
m = sp.Symbol("m", integer=True, positive=True)
eps = scalar("varepsilon", r"\varepsilon", "ε", nonnegative=True)
"""ε. Its SymPy name sorts after every variance symbol's (``var``, ``var_run``, ``var_B``...), so SymPy's
canonical order of a derived sum is σ² + ε, the order the definitions are written in: √(σ²+ε) never
turns into √(ε+σ²) within a step (``tests/unit/test_latex_derived.py`` checks every lesson)."""


NAMED: dict[sp.Symbol, sp.Expr] = {}
"""Symbols that stand for an expression (a graph node's value) -> that expression."""


def named(name: str, expr: sp.Expr, **assumptions: Any) -> sp.Symbol:
    """A symbol standing for ``expr``, printed as SymPy prints ``expr``: the name is derived, never typed.

    The graph needs a symbol per node to differentiate by (√(σ² + ε) is the std node); ``NAMED`` keeps
    what it stands for, so a display can write it out.
    """
    sym = scalar(name, P.latex(expr), P.text(expr), **assumptions)
    NAMED[sym] = expr
    return sym


def grad_symbol(name: str, base: sp.Basic) -> sp.Basic:
    """The placeholder for ∂L/∂(node); an IndexedBase if the node is a vector."""
    if isinstance(base, sp.IndexedBase):
        return vector("d_" + name, P.partial_name(base.label), P.partial_text(base.label))
    return scalar("d_" + name, P.partial_name(base), P.partial_text(base))


def grad_matrix(mat: sp.MatrixSymbol) -> sp.MatrixSymbol:
    """∂L/∂M as a matrix of M's shape, named by :func:`partial_name`."""
    return sp.MatrixSymbol(P.partial_name(mat), *mat.shape)


def grad_element(elem: sp.Basic, name: str = "", **assumptions: Any) -> sp.Symbol:
    """∂L/∂e for one element or scalar ``e`` (``A_{ℓ,ij}``) as a symbol named by :func:`partial_name`."""
    return scalar(name or "d_" + P.latex(elem), P.partial_name(elem), P.partial_text(elem), **assumptions)


def element(mat: sp.MatrixSymbol, *idx: sp.Basic, **assumptions: Any) -> sp.Symbol:
    """A scalar symbol standing for element ``mat[idx]`` and printed as SymPy prints that element,
    so the chain rule of an element-wise function can be differentiated by it."""
    elem = mat[idx]
    return scalar(f"{mat.name}[{','.join(map(str, idx))}]", P.latex(elem), **assumptions)


def value_of(base: sp.Basic) -> sp.Basic:
    """The symbol naming a whole value (x, not x_i): a vector's label, a scalar itself."""
    return base.label if isinstance(base, sp.IndexedBase) else base


def plain(expr: sp.Basic) -> sp.Basic:
    """An element expression as an expression of whole values (x_i − μ -> x − μ): what a value's label names."""
    return expr.replace(lambda e: isinstance(e, sp.Indexed), lambda e: e.base.label)


def label(base: sp.Basic) -> str:
    """A value's display name (a graph node's, a table column's): the text of its symbol; a symbol standing
    for a per-sample expression (``named_vector``) is that expression, ``x − μ``."""
    sym = value_of(base)
    if isinstance(base, sp.IndexedBase) and sym in NAMED:
        return P.text(plain(NAMED[sym]))
    return P.text(sym)


def via(grad: sp.Basic, node: sp.Basic) -> sp.Symbol:
    """The part of the gradient ``grad`` that flows through ``node`` (one of the three paths), named
    ``NOTATION["via"]``: ∂L/∂x_i restricted to the path through x̂, σ² or μ."""
    shown = node.label if isinstance(node, sp.IndexedBase) else node
    name = P.NOTATION["via"].format(grad=P.latex(grad), node=P.latex(shown))
    return scalar(f"via_{node}_{grad}", name)


def named_vector(name: str, elem: sp.Expr) -> sp.IndexedBase:
    """A per-sample quantity standing for the element expression ``elem`` (in the index ``i``), printed as
    the parenthesised expression it stands for, ``(x − μ)_i``: the name is derived, never typed."""
    whole = plain(elem)
    base = vector(name, P.NOTATION["group"].format(P.latex(whole)), f"({P.text(whole)})")
    NAMED[base.label] = elem
    return base


def word(name: str) -> sp.IndexedBase:
    """A quantity named by a word, one value per index (``word("share")[k]``: share_k), printed upright
    with ``NOTATION["word"]``."""
    return vector(name, P.NOTATION["word"].format(name), name)


def is_vector(expr: sp.Basic) -> bool:
    """Does an element expression depend on the free element index ``i``?"""
    return i in expr.free_symbols


# ------------------------------------------------------- unevaluated forms --


def add(*terms: sp.Basic) -> sp.Expr:
    """An unevaluated sum: printed in the order written."""
    return sp.Add(*terms, evaluate=False)


def mul(*factors: sp.Basic) -> sp.Expr:
    """An unevaluated product: printed in the order written."""
    return sp.Mul(*factors, evaluate=False)


def rename(expr: sp.Basic, mapping: dict[sp.Basic, sp.Basic]) -> sp.Basic:
    """``expr`` with sub-expressions replaced, keeping the reading order of
    unevaluated sums and products (``subs`` re-sorts them: x_i − μ_B would print as −μ_B + x_i)."""
    if expr in mapping:
        return mapping[expr]
    if not expr.args or isinstance(expr, sp.Indexed) and expr.base not in mapping:
        return expr
    args = [rename(a, mapping) for a in expr.args]
    if isinstance(expr, sp.Add | sp.Mul):
        return expr.func(*args, evaluate=False)
    return expr.func(*args)
