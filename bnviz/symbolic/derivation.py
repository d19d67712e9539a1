"""The symbolic chain rule over a graph, and the general-m reduction of its sums.

From the node expressions written in :mod:`bnviz.symbolic.symbols` this module *derives* every formula a
learner sees:

* ``local_derivative``: ∂child/∂parent for one edge;
* ``symbolic_backward``: ∂L/∂node as a chain-rule sum over the node's children, and the same split by path
  label, exactly like the numeric ``Graph.backward``; ``derive`` / ``Derivation``: all of a graph's formulas;
* ``reduce_sums``: the reduction that turns SymPy's nested sums of Kronecker deltas into closed forms
  (``doit``/``simplify`` fail on them; see TESTING-NOTES.md).

Numbers are recovered from the expressions with :func:`evaluate` (``lambdify`` with 1-based arrays), which is
how the tests check that every derived formula reproduces the NumPy values.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import sympy as sp
from sympy.concrete.delta import deltasummation

from bnviz.symbolic.symbols import i, is_vector, j, m

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
