"""Batch normalisation: one graph, its three backward forms, its derivation.

The graph (one definition of each step, numeric and symbolic side by side)::

    x (m, D) → μ → x−μ → σ² → √(σ²+ε) → x̂ → y = γx̂ + β → L = Σ dout·y

Statistics are taken over ``axes`` (``(0,)`` for batch norm on (m, D)).
The nodes x̂, σ² and μ carry path labels, so ``Graph.backward`` splits dx
into the three terms of the chain rule (Ioffe & Szegedy 2015)::

    dx = ∂L/∂x̂·∂x̂/∂x  +  ∂L/∂σ²·∂σ²/∂x  +  ∂L/∂μ·∂μ/∂x
          (path "xhat")    (path "var")      (path "mu")

Beside it: cs231n's closed form (``batchnorm_backward_alt``) and Caffe's
(``batchnorm_backward_caffe``), and the SymPy derivation of every formula
(``bn_derivation``). The family (:mod:`bnviz.ops.family`), test mode
(:mod:`bnviz.ops.testmode`), LayerNorm (:mod:`bnviz.ops.layernorm`) and Batch
Renorm (:mod:`bnviz.ops.renorm`) reuse this graph and its symbols.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import sympy as sp

from bnviz.graph import (
    Backward,
    Div,
    Dot,
    Graph,
    Mean,
    MeanSquare,
    Node,
    ScaleShift,
    SqrtPlus,
    Sub,
)
from bnviz.symbolic import printing as P
from bnviz.symbolic import symbols as S
from bnviz.symbolic.derivation import SymbolicBackward, local_derivative, reduce_sums, symbolic_backward

Array = np.ndarray

PATHS = ("xhat", "var", "mu")
"""Path labels, in the order of the chain rule's three terms (Ioffe & Szegedy 2015)."""

# Symbols of every node and leaf (element i of a vector, or a per-feature scalar)
_VAR = S.scalar("var", r"\sigma^{2}", "σ²", nonnegative=True)
_X, _MU, _Y = S.vector("x", "x", "x"), S.scalar("mu", r"\mu", "μ"), S.vector("y", "y", "y")
SYM = {
    "x": _X,
    "mu": _MU,
    "xc": S.named_vector("xc", S.add(_X[S.i], -_MU)),
    "var": _VAR,
    "std": S.named("std", sp.sqrt(S.add(_VAR, S.eps)), positive=True),
    "xhat": S.vector("xhat", r"\hat{x}", "x̂"),
    "y": _Y,
    "L": S.scalar("L", "L", "L"),
    "gamma": S.scalar("gamma", r"\gamma", "γ"),
    "beta": S.scalar("beta", r"\beta", "β"),
    "dout": S.vector("dout", P.partial_name(_Y.label), P.partial_text(_Y.label)),
}
GRAD = {name: S.grad_symbol(name, base) for name, base in SYM.items() if name not in ("L", "dout")}
GRAD["y"] = SYM["dout"]  # the upstream gradient is given

i, j, m = S.i, S.j, S.m
X, XC, XHAT, Y, DOUT = SYM["x"], SYM["xc"], SYM["xhat"], SYM["y"], SYM["dout"]


def bn_graph(eps: float, axes: tuple[int, ...] = (0,)) -> Graph:
    """The batch-norm graph with statistics over ``axes`` of x."""
    return Graph(
        (
            Node("mu", Mean(axes), ("x",), sp.Sum(X[j], (j, 1, m)) / m, path="mu"),
            Node("xc", Sub(), ("x", "mu"), sp.Add(X[i], -SYM["mu"], evaluate=False)),
            Node("var", MeanSquare(axes), ("xc",), sp.Sum(XC[j] ** 2, (j, 1, m)) / m, path="var"),
            Node("std", SqrtPlus(eps), ("var",), sp.sqrt(sp.Add(SYM["var"], S.eps, evaluate=False))),
            Node("xhat", Div(), ("xc", "std"), XC[i] / SYM["std"], path="xhat"),
            Node("y", ScaleShift(), ("xhat", "gamma", "beta"),
                 sp.Add(SYM["gamma"] * XHAT[i], SYM["beta"], evaluate=False)),
            Node("L", Dot(), ("y", "dout"), sp.Sum(DOUT[j] * Y[j], (j, 1, m))),
        )
    )


STRUCTURE = bn_graph(0.0)
"""The graph's shape (names, edges, symbols); ε only matters numerically."""


CLOSED = sp.Function("f")
"""Notation: the closed form ∂L/∂x as a function f(x̂, ∂L/∂x̂) of x̂ and ∂L/∂x̂ alone."""

LABEL_DEFINITIONS: dict[str, sp.Basic] = {
    "x": S.value_of(X), "mu": SYM["mu"], "xc": S.plain(S.NAMED[XC.label]), "var": SYM["var"], "std": SYM["std"],
    "xhat": S.value_of(XHAT), "y": S.value_of(Y), "L": SYM["L"], "gamma": SYM["gamma"], "beta": SYM["beta"],
    "dout": S.value_of(DOUT),
    **{f"d{name}": S.value_of(GRAD[name]) for name in ("gamma", "beta", "xhat", "std", "var", "xc", "mu", "x")},
    **{f"dx_{lab}": S.mul(S.value_of(GRAD[lab]), sp.Derivative(S.value_of(SYM[lab]), S.value_of(X), evaluate=False))
       for lab in PATHS},
    "dx_closed": sp.Eq(S.value_of(GRAD["x"]), CLOSED(S.value_of(XHAT), S.value_of(GRAD["xhat"])), evaluate=False),
}
"""Value id -> what its label names, in SymPy: a node's symbol, its definition (x − μ), a gradient, a path term
∂L/∂x̂ · ∂x̂/∂x."""

LABELS: dict[str, str] = {name: P.text(expr) for name, expr in LABEL_DEFINITIONS.items()}
"""Display names of the graph's value ids (plain text printed by :func:`bnviz.symbolic.printing.text`)."""


# ------------------------------------------------------------ numeric API --


@dataclass(frozen=True)
class BNResult:
    """Forward values and backward record of one batch.

    values: x, gamma, beta, dout and every node (mu, xc, var, std, xhat, y, L);
            per-feature statistics keep their reduced axes (shape (1, D)).
    back:   the graph's backward record (grads, edges, paths).
    eps:    the ε used
    """

    values: dict[str, Array]
    back: Backward
    eps: float

    @property
    def dx(self) -> Array:
        return self.back.grads["x"]

    def path(self, label: str) -> Array:
        """The part of dx that came through path ``label`` ("xhat", "var", "mu")."""
        return self.back.paths["x"][label]


def bn_run(x: Array, gamma: Array, beta: Array, dout: Array, eps: float,
           axes: tuple[int, ...] = (0,)) -> BNResult:
    """Forward and staged backward through the graph.

    x, dout: (m, D); gamma, beta: anything that broadcasts against x, e.g.
    (D,). Statistics over ``axes`` (``(0,)``: batch norm).
    """
    g = bn_graph(eps, axes)
    leaves = {
        "x": np.asarray(x, dtype=float),
        "gamma": np.asarray(gamma, dtype=float),
        "beta": np.asarray(beta, dtype=float),
        "dout": np.asarray(dout, dtype=float),
    }
    values = g.forward(leaves)
    return BNResult(values, g.backward(values), float(eps))


def batchnorm_forward(x: Array, gamma: Array, beta: Array, eps: float, axis: int = 0) -> tuple[Array, tuple]:
    """Training-mode batch norm, statistics over ``axis``. Returns (out, cache).

    x: (m, D) (or a stack (K, m, D) with axis=1); gamma, beta: (D,) or
    broadcasting against x. The cache keeps the reduced axis: inv_std (1, D).
    """
    mu = x.mean(axis=axis, keepdims=True)
    var = x.var(axis=axis, keepdims=True)
    inv_std = 1.0 / np.sqrt(var + eps)
    xhat = (x - mu) * inv_std
    return gamma * xhat + beta, (xhat, gamma, inv_std)


def batchnorm_backward_alt(dout: Array, cache: tuple) -> tuple[Array, Array, Array]:
    """cs231n's simplified form: dx = (1/m)(1/√(σ²+ε))(m·dx̂ − Σdx̂ − x̂·Σ(dx̂·x̂)).

    dout: (m, D). Returns dx (m, D), dgamma (D,), dbeta (D,).
    """
    xhat, gamma, inv_std = cache
    n = dout.shape[0]
    dxhat = dout * gamma
    dx = inv_std / n * (n * dxhat - dxhat.sum(axis=0) - xhat * (dxhat * xhat).sum(axis=0))
    return dx, (dout * xhat).sum(axis=0), dout.sum(axis=0)


def batchnorm_backward_caffe(dout: Array, cache: tuple) -> tuple[Array, Array, Array]:
    """Caffe's form with Y = x̂ (batch_norm_layer.cpp): dE/dX = (dE/dY − mean(dE/dY) − mean(dE/dY·Y)·Y)/√(var+ε).

    Caffe's BatchNorm layer has no γ, β (a Scale layer follows), so its
    dE/dY is our dx̂ = γ·dout. dout: (m, D). Returns dx, dgamma, dbeta.
    """
    xhat, gamma, inv_std = cache
    dEdY = dout * gamma
    dx = (dEdY - dEdY.mean(axis=0) - (dEdY * xhat).mean(axis=0) * xhat) * inv_std
    return dx, (dout * xhat).sum(axis=0), dout.sum(axis=0)


def batchnorm_backward_staged(dout: Array, x: Array, gamma: Array, eps: float) -> tuple[Array, Array, Array]:
    """The graph's staged backward, in the same (dx, dgamma, dbeta) shape."""
    r = bn_run(x, gamma, np.zeros_like(np.asarray(gamma, dtype=float)), dout, eps)
    return r.dx, r.back.grads["gamma"].ravel(), r.back.grads["beta"].ravel()


BACKWARD_FORMS = ("staged", "alt", "caffe")


def all_backward_forms(x: Array, gamma: Array, beta: Array, dout: Array,
                       eps: float) -> dict[str, tuple[Array, Array, Array]]:
    """dx, dgamma, dbeta from each of the three forms. x, dout: (m, D)."""
    _, cache = batchnorm_forward(x, gamma, beta, eps)
    return {
        "staged": batchnorm_backward_staged(dout, x, gamma, eps),
        "alt": batchnorm_backward_alt(dout, cache),
        "caffe": batchnorm_backward_caffe(dout, cache),
    }


# ----------------------------------------------------------- symbolic API --


@dataclass(frozen=True)
class BNDerivation:
    """Every BN formula, derived once by SymPy (general batch size m).

    definitions[name]:  the node's defining expression (element i)
    local[(c, p)]:      local derivative ∂c/∂p of each edge
    back:               chain-rule gradients, edge terms and path split
    paths:              ∂L/∂x_i split by path, in terms of ∂L/∂x̂, ∂L/∂σ², ∂L/∂μ
    expanded[name]:     ∂L/∂name with unlabelled intermediates substituted
                        (in terms of ∂L/∂x̂, ∂L/∂σ², x, μ, σ², ε), as in Ioffe & Szegedy (2015)
    dx_total:           d L / d x_i differentiated directly from L(x),
                        reduced; equal to the closed form
    dx_closed:          the same in terms of x̂ and ∂L/∂x̂ (cs231n's "alt")
    """

    definitions: dict[str, sp.Expr]
    local: dict[tuple[str, str], sp.Expr]
    back: SymbolicBackward
    paths: dict[str, sp.Expr]
    expanded: dict[str, sp.Expr]
    dx_total: sp.Expr
    dx_closed: sp.Expr


def display_form(expr: sp.Expr) -> sp.Expr:
    """Write the intermediates x−μ and √(σ²+ε) out, as the papers do.

    The sums are left unevaluated so they print in reading order
    (``x_i - μ``) with ``symbolic.printing.latex``.
    """
    expr = expr.replace(
        lambda e: isinstance(e, sp.Indexed) and e.base == XC,
        lambda e: sp.Add(X[e.indices[0]], -SYM["mu"], evaluate=False),
    )
    return expr.subs(SYM["std"], sp.sqrt(SYM["var"] + S.eps))


@lru_cache(maxsize=1)
def bn_derivation() -> BNDerivation:
    """Derive the BN forward and backward symbolically (~0.5 s, cached)."""
    return derive_bn(STRUCTURE.nodes, SYM, GRAD, per_element=False)


def derive_bn(nodes: tuple[Node, ...], sym: dict[str, sp.Basic], grad: dict[str, sp.Basic],
                per_element: bool) -> BNDerivation:
    """The BN derivation over ``nodes``; γ and β are per-element vectors
    (γ_i, β_i: LayerNorm's per-feature parameters) when ``per_element``."""
    back = symbolic_backward(nodes, sym, grad, "L", sp.Integer(1))
    local = {(n.name, p): local_derivative(n.sym, sym[p]) for n in nodes for p in n.inputs
             if p in grad}
    definitions = {n.name: n.sym for n in nodes}

    # the chain rule with unlabelled nodes (std, xc) substituted away
    g = {k: (v[i] if isinstance(v, sp.IndexedBase) else v) for k, v in grad.items()}
    expanded = {
        "dout": g["y"],
        "beta": back.chain["beta"],
        "gamma": back.chain["gamma"],
        "xhat": back.chain["xhat"],
        "std": display_form(back.chain["std"]),
        "var": display_form(back.chain["var"].subs(g["std"], back.chain["std"])),
        "xc": back.chain["xc"],
        "mu": display_form(sum(back.paths["mu"].values(), sp.S.Zero)),
    }
    paths = {lab: display_form(back.paths["x"][lab]) for lab in PATHS}
    expanded["x"] = sp.Add(*(paths[lab] for lab in PATHS), evaluate=False)

    def gam(k: sp.Basic) -> sp.Basic:
        return sym["gamma"][k] if per_element else sym["gamma"]

    def bet(k: sp.Basic) -> sp.Basic:
        return sym["beta"][k] if per_element else sym["beta"]

    # d L / d x_k straight from L(x): the TESTING-NOTES recipe
    mu_s, var_s = SYM["mu"], SYM["var"]
    mu_e = sp.Sum(X[j], (j, 1, m)) / m
    var_e = sp.Sum((X[j] - mu_e) ** 2, (j, 1, m)) / m
    xhat_e = (X[j] - mu_e) / sp.sqrt(var_e + S.eps)
    loss = sp.Sum(DOUT[j] * (gam(j) * xhat_e + bet(j)), (j, 1, m))
    d = sp.diff(loss, X[i])
    d = d.xreplace({sp.Sum(X[j], (j, 1, m)): m * mu_s})
    d = d.xreplace({sp.Sum((X[j] - mu_s) ** 2, (j, 1, m)): m * var_s})
    dx_total = sp.together(reduce_sums(d, {sp.Sum(X[j], (j, 1, m)): m * mu_s}))

    # the same in x̂ and ∂L/∂x̂: substitute x = μ + s·x̂, dout = ∂L/∂x̂ / γ
    s = sp.Symbol("s", positive=True)
    r = dx_total.subs(var_s, s**2 - S.eps)
    r = r.replace(lambda e: isinstance(e, sp.Indexed) and e.base == X,
                  lambda e: mu_s + s * XHAT[e.indices[0]])
    r = r.replace(lambda e: isinstance(e, sp.Indexed) and e.base == DOUT,
                  lambda e: GRAD["xhat"][e.indices[0]] / gam(e.indices[0]))
    inner = sp.expand(reduce_sums(r) * m * s)

    def reading_order(term: sp.Expr) -> int:  # cs231n's order: m·∂L/∂x̂_i − Σ∂L/∂x̂_j − x̂_i·Σ∂L/∂x̂_j·x̂_j
        return 0 if not term.has(sp.Sum) else 2 if term.has(XHAT) else 1

    inner = S.add(*sorted(sp.Add.make_args(inner), key=reading_order))
    dx_closed = S.mul(1 / S.mul(m, sp.sqrt(S.add(var_s, S.eps))), inner)
    return BNDerivation(definitions, local, back, paths, expanded, dx_total, dx_closed)
