"""SymPy side of the graph: symbols, symbolic chain rule, general-m reduction.

A graph node's ``sym`` is one output element written with the symbols below:
element nodes use the free index ``i`` (``x[i] - mu``), reductions sum over
``j`` from 1 to ``m`` (``Sum(x[j], (j, 1, m)) / m``). From those expressions
this module *derives* every formula a learner sees:

* ``local_derivative``: ∂child/∂parent for one edge;
* ``symbolic_backward``: ∂L/∂node as a chain-rule sum over the node's
  children, and the same split by path label, exactly like the numeric
  ``Graph.backward``;
* ``reduce_sums``: the reduction that turns SymPy's nested sums of
  Kronecker deltas into closed forms (``doit``/``simplify`` fail on them; see
  TESTING-NOTES.md).

Numbers are recovered from the expressions with :func:`evaluate` (``lambdify``
with 1-based arrays), which is how the tests check that every derived formula
reproduces the NumPy values.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import sympy as sp
from sympy.concrete.delta import deltasummation
from sympy.matrices.expressions.sets import MatrixSet
from sympy.printing.latex import LatexPrinter

from bnviz.textprint import TextPrinter

# ---------------------------------------------------------------- symbols --

i, j = sp.symbols("i j", integer=True, positive=True)
m = sp.Symbol("m", integer=True, positive=True)
eps = sp.Symbol("varepsilon", nonnegative=True)
"""ε. Its SymPy name sorts after every variance symbol's (``var``, ``var_run``, ``var_B``...), so SymPy's
canonical order of a derived sum is σ² + ε, the order the definitions are written in: √(σ²+ε) never
turns into √(ε+σ²) within a step (``tests/unit/test_latex_derived.py`` checks every lesson)."""

_LATEX_NAMES: dict[sp.Symbol, str] = {eps: r"\varepsilon"}
_TEXT_NAMES: dict[sp.Symbol, str] = {eps: "ε"}
"""The symbols' names in LaTeX and in plain text (Unicode: a value's label, a caption), side by side.
A symbol with no text name prints as its SymPy name."""


_NAMES_LOCK = threading.Lock()
"""Lessons may name new symbols while another thread prints (each session's run, the warm-up thread):
names are added and copied for a print under this lock."""


def _name(sym: sp.Symbol, tex: str, text: str | None) -> None:
    with _NAMES_LOCK:
        _LATEX_NAMES[sym] = tex
        if text is not None:
            _TEXT_NAMES[sym] = text


def _names(table: dict[sp.Symbol, str], extra: Mapping[sp.Basic, str] | None) -> dict:
    with _NAMES_LOCK:
        return {**table, **(extra or {})}


def vector(name: str, tex: str, text: str | None = None) -> sp.IndexedBase:
    """A per-sample quantity (one value per i), printed as ``tex`` (LaTeX) and ``text`` (plain text)."""
    base = sp.IndexedBase(name)
    _name(base.label, tex, text)
    return base


def scalar(name: str, tex: str, text: str | None = None, **assumptions: Any) -> sp.Symbol:
    """A per-feature quantity (one value for the batch), printed as ``tex`` (LaTeX) and ``text`` (plain text)."""
    sym = sp.Symbol(name, **assumptions)
    _name(sym, tex, text)
    return sym


NAMED: dict[sp.Symbol, sp.Expr] = {}
"""Symbols that stand for an expression (a graph node's value) -> that expression."""


def named(name: str, expr: sp.Expr, **assumptions: Any) -> sp.Symbol:
    """A symbol standing for ``expr``, printed as SymPy prints ``expr``: the name is derived, never typed.

    The graph needs a symbol per node to differentiate by (√(σ² + ε) is the std node); ``NAMED`` keeps
    what it stands for, so a display can write it out.
    """
    sym = scalar(name, latex(expr), text(expr), **assumptions)
    NAMED[sym] = expr
    return sym


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


def grad_symbol(name: str, base: sp.Basic) -> sp.Basic:
    """The placeholder for ∂L/∂(node); an IndexedBase if the node is a vector."""
    if isinstance(base, sp.IndexedBase):
        return vector("d_" + name, partial_name(base.label), partial_text(base.label))
    return scalar("d_" + name, partial_name(base), partial_text(base))


def grad_matrix(mat: sp.MatrixSymbol) -> sp.MatrixSymbol:
    """∂L/∂M as a matrix of M's shape, named by :func:`partial_name`."""
    return sp.MatrixSymbol(partial_name(mat), *mat.shape)


def grad_element(elem: sp.Basic, name: str = "", **assumptions: Any) -> sp.Symbol:
    """∂L/∂e for one element or scalar ``e`` (``A_{ℓ,ij}``) as a symbol named by :func:`partial_name`."""
    return scalar(name or "d_" + latex(elem), partial_name(elem), partial_text(elem), **assumptions)


def element(mat: sp.MatrixSymbol, *idx: sp.Basic, **assumptions: Any) -> sp.Symbol:
    """A scalar symbol standing for element ``mat[idx]`` and printed as SymPy prints that element,
    so the chain rule of an element-wise function can be differentiated by it."""
    elem = mat[idx]
    return scalar(f"{mat.name}[{','.join(map(str, idx))}]", latex(elem), **assumptions)


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
        return text(plain(NAMED[sym]))
    return text(sym)


def via(grad: sp.Basic, node: sp.Basic) -> sp.Symbol:
    """The part of the gradient ``grad`` that flows through ``node`` (one of the three paths), named
    ``NOTATION["via"]``: ∂L/∂x_i restricted to the path through x̂, σ² or μ."""
    shown = node.label if isinstance(node, sp.IndexedBase) else node
    name = NOTATION["via"].format(grad=latex(grad), node=latex(shown))
    return scalar(f"via_{node}_{grad}", name)


def named_vector(name: str, elem: sp.Expr) -> sp.IndexedBase:
    """A per-sample quantity standing for the element expression ``elem`` (in the index ``i``), printed as
    the parenthesised expression it stands for, ``(x − μ)_i``: the name is derived, never typed."""
    whole = plain(elem)
    base = vector(name, NOTATION["group"].format(latex(whole)), f"({text(whole)})")
    NAMED[base.label] = elem
    return base


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


def word(name: str) -> sp.IndexedBase:
    """A quantity named by a word, one value per index (``word("share")[k]``: share_k), printed upright
    with ``NOTATION["word"]``."""
    return vector(name, NOTATION["word"].format(name), name)


def partial(child: sp.Basic, parent: sp.Basic) -> str:
    """∂child/∂parent as LaTeX (notation: the derived value goes on the right of an equals sign)."""
    return NOTATION["partial"].format(child=latex(child), parent=latex(parent))


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


def is_vector(expr: sp.Basic) -> bool:
    """Does an element expression depend on the free element index ``i``?"""
    return i in expr.free_symbols


# -------------------------------------------------------------- reduction --


def reduce_sums(expr: sp.Basic, rewrites: Mapping[sp.Basic, sp.Basic] | None = None) -> sp.Expr:
    """Evaluate sums of Kronecker deltas and pull constants out of sums.

    Works bottom-up: inside every ``Sum`` the summand is expanded into terms;
    a term with a ``KroneckerDelta`` in the summation index is summed with
    ``deltasummation``; a term free of the index is multiplied by the number
    of terms; factors free of the index move outside. ``rewrites`` maps a
    reduced ``Sum`` to a name (``Sum(x[j]) -> m*mu``).
    """
    rewrites = rewrites or {}
    if not isinstance(expr, sp.Basic) or not expr.args:
        return expr
    if isinstance(expr, sp.Sum):
        body = reduce_sums(expr.function, rewrites)
        (v, lo, hi), = expr.limits
        out = sp.S.Zero
        for term in sp.Add.make_args(sp.expand(body)):
            const, dep = term.as_independent(v, as_Add=False)
            if dep == 1:
                out += const * (hi - lo + 1)
            elif dep.has(sp.KroneckerDelta):
                out += const * deltasummation(dep, (v, lo, hi), no_piecewise=True)
            else:
                s = sp.Sum(dep, (v, lo, hi))
                out += const * rewrites.get(s, s)
        return out
    return expr.func(*(reduce_sums(a, rewrites) for a in expr.args))


def to_index(expr: sp.Basic, old: sp.Symbol, new: sp.Symbol) -> sp.Basic:
    """Rename a free element index (``i`` -> ``j``) without touching dummies."""
    return expr.subs(old, new)


def local_derivative(child_sym: sp.Expr, parent: sp.Basic) -> sp.Expr:
    """∂child/∂parent, element-wise: ∂c_i/∂p_i, ∂c_i/∂p, ∂c/∂p_i or ∂c/∂p."""
    wrt = parent[i] if isinstance(parent, sp.IndexedBase) else parent
    if is_vector(child_sym) and isinstance(parent, sp.IndexedBase):
        return sp.diff(child_sym, wrt)  # element-wise: off-diagonal terms vanish
    return reduce_sums(sp.diff(child_sym, wrt))


def contribution(child_sym: sp.Expr, parent: sp.Basic, upstream: sp.Expr) -> sp.Expr:
    """The part of ∂L/∂parent (element i) that flows through one edge.

    ``upstream`` is ∂L/∂child (element i if the child is a vector).
    """
    wrt = parent[i] if isinstance(parent, sp.IndexedBase) else parent
    if is_vector(child_sym):
        term = to_index(upstream, i, j) * sp.diff(to_index(child_sym, i, j), wrt)
        return reduce_sums(sp.Sum(term, (j, 1, m)))
    return reduce_sums(upstream * sp.diff(child_sym, wrt))


@dataclass(frozen=True)
class SymbolicBackward:
    """Symbolic counterpart of :class:`bnviz.graph.Backward`.

    chain[name]:      ∂L/∂name written with its children's gradient symbols
    edges[(c, p)]:    the term of chain[p] that comes through edge c -> p
    paths[name][lab]: ∂L/∂name split by path label, in terms of the labelled
                      nodes' gradient symbols
    """

    chain: dict[str, sp.Expr]
    edges: dict[tuple[str, str], sp.Expr]
    paths: dict[str, dict[str | None, sp.Expr]]


def symbolic_backward(
    nodes: tuple[Any, ...],
    symbols: Mapping[str, sp.Basic],
    grads: Mapping[str, sp.Basic],
    output: str,
    seed: sp.Expr,
) -> SymbolicBackward:
    """Walk ``nodes`` (objects with ``name``, ``inputs``, ``sym``, ``path``) in
    reverse and derive every gradient, as ``Graph.backward`` does numerically.

    symbols: node/leaf name -> its symbol (IndexedBase for vectors)
    grads:   node/leaf name -> its gradient placeholder (``grad_symbol``)
    seed:    ∂L/∂output
    """

    def elem(name: str) -> sp.Basic:
        if name == output:
            return seed
        g = grads[name]
        return g[i] if isinstance(g, sp.IndexedBase) else g

    chain: dict[str, sp.Expr] = {output: seed}
    edges: dict[tuple[str, str], sp.Expr] = {}
    paths: dict[str, dict[str | None, sp.Expr]] = {output: {None: seed}}
    for n in reversed(nodes):
        if n.name not in chain:
            continue
        parts = {n.path: elem(n.name)} if n.path else paths[n.name]
        for p in n.inputs:
            if p not in grads:
                continue  # a constant leaf (eps, dout)
            term = contribution(n.sym, symbols[p], elem(n.name))
            edges[(n.name, p)] = edges.get((n.name, p), sp.S.Zero) + term
            chain[p] = chain.get(p, sp.S.Zero) + term
            dest = paths.setdefault(p, {})
            for lab, up in parts.items():
                dest[lab] = dest.get(lab, sp.S.Zero) + contribution(n.sym, symbols[p], up)
    return SymbolicBackward(chain, edges, paths)


# ------------------------------------------------ derivations of a graph --


def add(*terms: sp.Basic) -> sp.Expr:
    """An unevaluated sum: printed in the order written."""
    return sp.Add(*terms, evaluate=False)


def mul(*factors: sp.Basic) -> sp.Expr:
    """An unevaluated product: printed in the order written."""
    return sp.Mul(*factors, evaluate=False)


@dataclass(frozen=True)
class Derivation:
    """A graph's formulas, derived once: definitions, local derivatives, the chain rule.

    expanded[name]: ∂L/∂name with every gradient symbol of ``unchain`` substituted
    by its own chain-rule expression, i.e. in terms of the given ∂L/∂y and values.
    """

    definitions: dict[str, sp.Expr]
    local: dict[tuple[str, str], sp.Expr]
    back: SymbolicBackward
    expanded: dict[str, sp.Expr]


def derive(nodes: tuple[Any, ...], sym: dict[str, sp.Basic], grad: dict[str, sp.Basic],
           unchain: tuple[str, ...] = ()) -> Derivation:
    """Symbolic chain rule over ``nodes`` (objects with ``name``, ``inputs``, ``sym``, ``path``: graph Nodes)."""
    back = symbolic_backward(nodes, sym, grad, nodes[-1].name, sp.Integer(1))
    local = {(n.name, p): local_derivative(n.sym, sym[p]) for n in nodes for p in n.inputs if p in grad}
    expanded = {name: unchained(expr, back.chain, grad, unchain, skip=name) for name, expr in back.chain.items()}
    return Derivation({n.name: n.sym for n in nodes}, local, back, expanded)


def unchained(expr: sp.Expr, chain: dict[str, sp.Expr], grad: dict[str, sp.Basic], names: tuple[str, ...],
              skip: str = "") -> sp.Expr:
    """``expr`` with the gradient symbols of ``names`` replaced by their chain-rule
    expressions (at whatever index they appear: ∂L/∂x̃_j = r·∂L/∂x̂_j), repeatedly."""
    for _ in range(len(names) + 1):
        for u in names:
            if u == skip or u not in chain:
                continue
            g, rhs = grad[u], chain[u]
            if isinstance(g, sp.IndexedBase):
                if rhs.has(sp.Sum):  # a sum over j inside: only element i is safe to replace
                    expr = expr.subs(g[i], rhs)
                else:
                    expr = expr.replace(lambda e, g=g: isinstance(e, sp.Indexed) and e.base == g,
                                        lambda e, rhs=rhs: rhs.subs(i, e.indices[0]))
            else:
                expr = expr.subs(g, rhs)
    return expr


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


# ------------------------------------------------------------- evaluation --


def evaluate(expr: sp.Expr, values: Mapping[sp.Basic, Any], count: int) -> np.ndarray:
    """Evaluate an element expression numerically.

    values: symbol -> number, or IndexedBase -> 1-D array of length ``count``
    (0-based; shifted here to SymPy's 1-based indices). Returns an array of
    length ``count`` if the expression depends on ``i``, else a scalar.
    """
    args = list(values)
    nums = [
        np.concatenate([[np.nan], np.asarray(v, dtype=float)])
        if isinstance(s, sp.IndexedBase)
        else v
        for s, v in values.items()
    ]
    fn = sp.lambdify([*args, m, i], expr, modules="numpy")
    idx = np.arange(1, count + 1)
    if is_vector(expr):
        return np.asarray([fn(*nums, count, k) for k in idx], dtype=float)
    return np.asarray(fn(*nums, count, 1), dtype=float)
