"""Batch normalisation and its family: one graph, many views.

The graph (one definition of each step, numeric and symbolic side by side)::

    x (m, D) → μ → x−μ → σ² → √(σ²+ε) → x̂ → y = γx̂ + β → L = Σ dout·y

Statistics are taken over ``axes`` (``(0,)`` for batch norm on (m, D)).
The nodes x̂, σ² and μ carry path labels, so ``Graph.backward`` splits dx
into the three terms of the chain rule (seed 001, eq. 10)::

    dx = ∂L/∂x̂·∂x̂/∂x  +  ∂L/∂σ²·∂σ²/∂x  +  ∂L/∂μ·∂μ/∂x
          (path "xhat")    (path "var")      (path "mu")

The rest of the module reuses that graph and its symbolic machinery:

* the family (``norm_run``, ``Layout``): BN per feature, conv BN per channel
  over N·H·W, LayerNorm, InstanceNorm, GroupNorm. Each puts the cells of one
  normalisation set into a column of an (m, S) matrix and runs the BN graph
  on it, so every formula is BN's with m counting the cells of a set;
  LayerNorm's derivation (γ_i, β_i per feature) is ``ln_derivation``;
* test mode (``bn_test_run``, ``test_derivation``): the short graph where the
  running statistics are constants, ∂L/∂x = γ·∂L/∂y/√(σ²_run + ε);
* running statistics (``update_rules``, ``running_stats``): cs231n, PyTorch
  and Caffe, written once as SymPy rules that are printed and evaluated;
* Batch Renormalization (``renorm_graph``, ``renorm_run``,
  ``renorm_derivation``, ``renorm_rules``): r and d as stop-gradient leaves,
  the moving updates, inference, and the train/test-gap experiment.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import lru_cache

import numpy as np
import sympy as sp

from bnviz import symbolic as S
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
from bnviz.i18n import InputError

Array = np.ndarray

PATHS = ("xhat", "var", "mu")
"""Path labels, in the order of seed 001's eq. (10)."""

# Symbols of every node and leaf (element i of a vector, or a per-feature scalar)
SYM = {
    "x": S.vector("x", "x"),
    "mu": S.scalar("mu", r"\mu"),
    "xc": S.vector("xc", r"(x - \mu)"),
    "var": S.scalar("var", r"\sigma^{2}", nonnegative=True),
    "std": S.scalar("std", r"\sqrt{\sigma^{2} + \varepsilon}", positive=True),
    "xhat": S.vector("xhat", r"\hat{x}"),
    "y": S.vector("y", "y"),
    "L": S.scalar("L", "L"),
    "gamma": S.scalar("gamma", r"\gamma"),
    "beta": S.scalar("beta", r"\beta"),
    "dout": S.vector("dout", r"\frac{\partial L}{\partial y}"),
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
    """Caffe's form with Y = x̂ (seed 004): dE/dX = (dE/dY − mean(dE/dY) − mean(dE/dY·Y)·Y)/√(var+ε).

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
                        (in terms of ∂L/∂x̂, ∂L/∂σ², x, μ, σ², ε), as in seed 001
    dx_total:           d L / d x_i differentiated directly from L(x),
                        reduced; equal to the closed form
    dx_closed:          the same in terms of x̂ and ∂L/∂x̂ (cs231n's "alt")
    """

    definitions: dict[str, sp.Expr]
    local: dict[tuple[str, str], sp.Expr]
    back: S.SymbolicBackward
    paths: dict[str, sp.Expr]
    expanded: dict[str, sp.Expr]
    dx_total: sp.Expr
    dx_closed: sp.Expr


def display_form(expr: sp.Expr) -> sp.Expr:
    """Write the intermediates x−μ and √(σ²+ε) out, as the seeds do.

    The sums are left unevaluated so they print in reading order
    (``x_i - μ``) with ``symbolic.latex``.
    """
    expr = expr.replace(
        lambda e: isinstance(e, sp.Indexed) and e.base == XC,
        lambda e: sp.Add(X[e.indices[0]], -SYM["mu"], evaluate=False),
    )
    return expr.subs(SYM["std"], sp.sqrt(SYM["var"] + S.eps))


@lru_cache(maxsize=1)
def bn_derivation() -> BNDerivation:
    """Derive the BN forward and backward symbolically (~0.5 s, cached)."""
    return _derivation(STRUCTURE.nodes, SYM, GRAD, per_element=False)


def _derivation(nodes: tuple[Node, ...], sym: dict[str, sp.Basic], grad: dict[str, sp.Basic],
                per_element: bool) -> BNDerivation:
    """The BN derivation over ``nodes``; γ and β are per-element vectors
    (γ_i, β_i: LayerNorm's per-feature parameters) when ``per_element``."""
    back = S.symbolic_backward(nodes, sym, grad, "L", sp.Integer(1))
    local = {(n.name, p): S.local_derivative(n.sym, sym[p]) for n in nodes for p in n.inputs
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
    dx_total = sp.together(S.reduce_sums(d, {sp.Sum(X[j], (j, 1, m)): m * mu_s}))

    # the same in x̂ and ∂L/∂x̂: substitute x = μ + s·x̂, dout = ∂L/∂x̂ / γ
    s = sp.Symbol("s", positive=True)
    r = dx_total.subs(var_s, s**2 - S.eps)
    r = r.replace(lambda e: isinstance(e, sp.Indexed) and e.base == X,
                  lambda e: mu_s + s * XHAT[e.indices[0]])
    r = r.replace(lambda e: isinstance(e, sp.Indexed) and e.base == DOUT,
                  lambda e: GRAD["xhat"][e.indices[0]] / gam(e.indices[0]))
    inner = sp.expand(S.reduce_sums(r) * m * s)
    dx_closed = sp.Mul(1 / (m * sp.sqrt(var_s + S.eps)), inner, evaluate=False)
    return BNDerivation(definitions, local, back, paths, expanded, dx_total, dx_closed)


# ===================================================== the normalization family
#
# Every member is batch norm on a rearranged matrix: the tensor's cells are
# grouped into normalisation *sets* (a feature over the batch, a channel over
# N·H·W, a sample, a (sample, channel), a (sample, group)); arranged as the
# columns of an (m, S) matrix they are normalised by the very same graph
# (``bn_graph``, statistics over axis 0), so the formulas are BN's with m
# counting the cells of one set.

KINDS = ("feature", "batch", "layer", "instance", "group")
"""Which cells are averaged together, for x of shape (N, C) or (N, C, H, W):

feature:  BN of fully connected layers: every (c, h, w) over the batch N
batch:    per channel c over everything else (N, or N·H·W): BatchNorm1d/2d
layer:    per sample n over (C, H, W)
instance: per (n, c) over (H, W); needs a 4-D tensor
group:    per (n, group of C/G channels) over (C/G, H, W)
"""

RANKS = (2, 4)
"""Tensor ranks accepted: (N, C) and (N, C, H, W)."""


def reduce_axes(kind: str, ndim: int) -> tuple[int, ...]:
    """The axes of an ``ndim``-D tensor that ``kind`` averages over (not "group")."""
    return {
        "feature": (0,),
        "batch": (0, *range(2, ndim)),
        "layer": tuple(range(1, ndim)),
        "instance": tuple(range(2, ndim)),
    }[kind]


@dataclass(frozen=True)
class Layout:
    """How a tensor's normalisation sets map onto the columns of BN's (m, S) matrix.

    shape:  the tensor's shape, (N, C) or (N, C, H, W); channels on axis 1
    kind:   one of KINDS; groups: G for "group" (1 otherwise)
    work:   the tensor reshaped so the sets are whole axes ((N, G, C/G, H, W) for group)
    reduce: axes of ``work`` averaged over; the others index the sets
    """

    shape: tuple[int, ...]
    kind: str
    groups: int
    work: tuple[int, ...]
    reduce: tuple[int, ...]

    @property
    def keep(self) -> tuple[int, ...]:
        return tuple(a for a in range(len(self.work)) if a not in self.reduce)

    @property
    def perm(self) -> tuple[int, ...]:
        return self.reduce + self.keep

    @property
    def m(self) -> int:
        """Cells per set: the m of the formulas."""
        return int(np.prod([self.work[a] for a in self.reduce], dtype=int))

    @property
    def sets(self) -> int:
        """Number of sets S (columns of the matrix)."""
        return int(np.prod([self.work[a] for a in self.keep], dtype=int))

    @property
    def channels(self) -> int:
        return self.shape[1]

    def to_sets(self, a: Array) -> Array:
        """x-shaped array -> (m, S): column s holds the m cells of set s."""
        return np.asarray(a).reshape(self.work).transpose(self.perm).reshape(self.m, self.sets)

    def from_sets(self, a: Array) -> Array:
        """(m, S) -> x-shaped array (the inverse of ``to_sets``)."""
        shaped = np.asarray(a).reshape([self.work[k] for k in self.perm])
        return shaped.transpose(np.argsort(self.perm)).reshape(self.shape)

    def per_channel(self, v: Array) -> Array:
        """A (C,) vector broadcast to x's shape (one value per channel)."""
        v = np.asarray(v, dtype=float)
        return np.broadcast_to(v.reshape((1, -1) + (1,) * (len(self.shape) - 2)), self.shape)

    def channel_sum(self, a: Array) -> Array:
        """x-shaped array summed over every axis but the channel axis -> (C,)."""
        return np.asarray(a).sum(axis=tuple(k for k in range(len(self.shape)) if k != 1))

    def set_index(self) -> Array:
        """An int array of x's shape: the set (column) each cell belongs to."""
        return self.from_sets(np.broadcast_to(np.arange(self.sets), (self.m, self.sets)))


def layout(shape: tuple[int, ...], kind: str, groups: int = 1) -> Layout:
    """The Layout of ``kind`` on a tensor of ``shape``. Raises InputError for a
    rank other than 2 or 4, instance norm on a 2-D tensor, or groups that do
    not divide C."""
    shape = tuple(int(n) for n in shape)
    if len(shape) not in RANKS:
        raise InputError("error.norms.rank", shape=str(shape))
    if kind not in KINDS:
        raise InputError("error.norms.kind", kind=kind)
    if kind == "instance" and len(shape) < 3:
        raise InputError("error.norms.instance_rank", shape=str(shape))
    if kind == "group":
        c = shape[1]
        if groups < 1 or groups > c or c % groups:
            raise InputError("error.norms.groups", groups=groups, c=c)
        work = (shape[0], groups, c // groups, *shape[2:])
        return Layout(shape, kind, groups, work, tuple(range(2, len(work))))
    return Layout(shape, kind, 1, shape, reduce_axes(kind, len(shape)))


@dataclass(frozen=True)
class NormRun:
    """A family member run through the BN graph on its (m, S) matrix.

    layout: how x's cells map to sets; bn: the graph's values and backward on
    the (m, S) matrix (γ and β enter as full (m, S) arrays, one value per cell).
    """

    layout: Layout
    bn: BNResult

    def full(self, name: str, grad: bool = False) -> Array:
        """A per-cell node (x, xc, xhat, y, dout) or its gradient, in x's shape."""
        a = self.bn.back.grads[name] if grad else self.bn.values[name]
        return self.layout.from_sets(np.broadcast_to(a, (self.layout.m, self.layout.sets)))

    def stat(self, name: str, grad: bool = False) -> Array:
        """A per-set statistic (mu, var, std) or its gradient: (S,)."""
        a = self.bn.back.grads[name] if grad else self.bn.values[name]
        return np.asarray(a).reshape(-1)

    @property
    def y(self) -> Array:
        return self.full("y")

    @property
    def dx(self) -> Array:
        return self.full("x", grad=True)

    @property
    def dgamma(self) -> Array:
        """(C,): γ is one value per channel, shared by every cell of that channel."""
        return self.layout.channel_sum(self.full("gamma", grad=True))

    @property
    def dbeta(self) -> Array:
        return self.layout.channel_sum(self.full("beta", grad=True))

    def path(self, label: str) -> Array:
        """The part of dx through ``label`` ("xhat", "var", "mu"), in x's shape."""
        return self.layout.from_sets(self.bn.path(label))


def check_params(gamma: Array, beta: Array, c: int) -> tuple[Array, Array]:
    """γ and β as (C,) float arrays (a scalar is used for every channel)."""
    out = []
    for name, v in (("gamma", gamma), ("beta", beta)):
        v = np.asarray(v, dtype=float).reshape(-1)
        if v.size == 1:
            v = np.full(c, float(v[0]))
        if v.shape != (c,):
            raise InputError("error.param_len", name=name, n=v.size, d=c)
        out.append(v)
    return out[0], out[1]


def norm_run(x: Array, gamma: Array, beta: Array, dout: Array, eps: float, kind: str = "batch",
             groups: int = 1) -> NormRun:
    """Forward and staged backward of a family member.

    x, dout: (N, C) or (N, C, H, W); gamma, beta: (C,) (one per channel or
    feature) or scalars. kind: one of KINDS.
    """
    x = np.asarray(x, dtype=float)
    lay = layout(x.shape, kind, groups)
    g, b = check_params(gamma, beta, lay.channels)
    to = lay.to_sets
    run = bn_run(to(x), to(lay.per_channel(g)), to(lay.per_channel(b)), to(dout), eps)
    return NormRun(lay, run)


# ------------------------------------------------------------- test mode --
#
# At test time BN normalises with stored statistics, which are constants:
# the graph loses μ and σ² as nodes, so no gradient flows through them and
# ∂L/∂x = γ·∂L/∂y / √(σ²_run + ε).

TEST_SYM = {
    **SYM,
    "mu_run": S.scalar("mu_run", r"\mu_{\mathrm{run}}"),
    "var_run": S.scalar("var_run", r"\sigma^{2}_{\mathrm{run}}", nonnegative=True),
    "xc": S.vector("xc_run", r"(x - \mu_\mathrm{run})"),
    "std": S.scalar("std_run", r"\sqrt{\sigma^{2}_{\mathrm{run}} + \varepsilon}", positive=True),
}
TEST_GRAD = {name: S.grad_symbol(f"{name}_test", TEST_SYM[name]) for name in ("x", "xc", "xhat", "gamma", "beta")}
TEST_GRAD["y"] = SYM["dout"]


def test_graph(eps: float) -> Graph:
    """Test-mode BN: x → x − μ_run → x̂ = (x − μ_run)/√(σ²_run + ε) → y → L."""
    t = TEST_SYM
    return Graph((
        Node("xc", Sub(), ("x", "mu_run"), sp.Add(X[i], -t["mu_run"], evaluate=False)),
        Node("std", SqrtPlus(eps), ("var_run",), sp.sqrt(sp.Add(t["var_run"], S.eps, evaluate=False))),
        Node("xhat", Div(), ("xc", "std"), t["xc"][i] / t["std"]),
        Node("y", ScaleShift(), ("xhat", "gamma", "beta"),
             sp.Add(SYM["gamma"] * XHAT[i], SYM["beta"], evaluate=False)),
        Node("L", Dot(), ("y", "dout"), sp.Sum(DOUT[j] * Y[j], (j, 1, m))),
    ))


TEST_STRUCTURE = test_graph(0.0)


def check_running(mean: Array, var: Array, c: int) -> tuple[Array, Array]:
    """Running statistics as (C,) arrays; a negative or non-finite variance is an InputError."""
    mean, var = (np.asarray(v, dtype=float).reshape(-1) for v in (mean, var))
    mean, var = (np.full(c, v[0]) if v.size == 1 else v for v in (mean, var))
    for name, v in (("running_mean", mean), ("running_var", var)):
        if v.shape != (c,):
            raise InputError("error.param_len", name=name, n=v.size, d=c)
        if not np.all(np.isfinite(v)):
            raise InputError("error.not_finite_file", what=name)
    if np.any(var < 0):
        raise InputError("error.norms.negative_var", value=f"{float(var.min()):g}")
    return mean, var


def bn_test_run(x: Array, gamma: Array, beta: Array, dout: Array, eps: float, running_mean: Array,
                running_var: Array) -> NormRun:
    """Test-mode batch norm (per channel, like BatchNorm1d/2d in eval mode).

    x, dout: (N, C) or (N, C, H, W); gamma, beta, running_mean, running_var: (C,) or scalars.
    """
    x = np.asarray(x, dtype=float)
    lay = layout(x.shape, "batch")
    g, b = check_params(gamma, beta, lay.channels)
    mean, var = check_running(running_mean, running_var, lay.channels)
    if eps == 0 and np.any(var == 0):
        raise InputError("error.norms.zero_var_eps0")
    to = lay.to_sets
    graph = test_graph(eps)
    leaves = {"x": to(x), "gamma": to(lay.per_channel(g)), "beta": to(lay.per_channel(b)),
              "dout": to(dout), "mu_run": mean[None, :], "var_run": var[None, :]}
    values = graph.forward(leaves)
    return NormRun(lay, BNResult(values, graph.backward(values), float(eps)))


# ----------------------------------------------------- derivations, cached --


@dataclass(frozen=True)
class Derivation:
    """A graph's formulas, derived once: definitions, local derivatives, the chain rule.

    expanded[name]: ∂L/∂name with every gradient symbol of ``unchain`` substituted
    by its own chain-rule expression, i.e. in terms of the given ∂L/∂y and values.
    """

    definitions: dict[str, sp.Expr]
    local: dict[tuple[str, str], sp.Expr]
    back: S.SymbolicBackward
    expanded: dict[str, sp.Expr]


def _elem(base: sp.Basic) -> sp.Basic:
    return base[i] if isinstance(base, sp.IndexedBase) else base


def derive(nodes: tuple[Node, ...], sym: dict[str, sp.Basic], grad: dict[str, sp.Basic],
           unchain: tuple[str, ...] = ()) -> Derivation:
    """Symbolic chain rule over ``nodes`` (see ``symbolic.symbolic_backward``)."""
    back = S.symbolic_backward(nodes, sym, grad, nodes[-1].name, sp.Integer(1))
    local = {(n.name, p): S.local_derivative(n.sym, sym[p]) for n in nodes for p in n.inputs if p in grad}
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


@lru_cache(maxsize=1)
def test_derivation() -> Derivation:
    """Test-mode BN's backward: ∂L/∂x = γ·∂L/∂y/√(σ²_run + ε), derived."""
    d = derive(TEST_STRUCTURE.nodes, TEST_SYM, TEST_GRAD, unchain=("xhat", "xc"))
    std = TEST_SYM["std"]
    shown = sp.sqrt(sp.Add(TEST_SYM["var_run"], S.eps, evaluate=False))
    expanded = {k: v.subs(std, shown) for k, v in d.expanded.items()}
    return replace(d, expanded=expanded)


# ------------------------------------------------------------- LayerNorm --
#
# LayerNorm on (N, D) normalises each sample over its D features: BN on xᵀ.
# γ_i and β_i belong to feature i, so inside one sample they are per-element.

LN_SYM = {**SYM, "gamma": S.vector("gamma_v", r"\gamma"), "beta": S.vector("beta_v", r"\beta")}
LN_GRAD = {**GRAD, "gamma": S.grad_symbol("gamma_v", LN_SYM["gamma"]),
           "beta": S.grad_symbol("beta_v", LN_SYM["beta"])}

LN_STRUCTURE = Graph(tuple(
    replace(n, sym=sp.Add(LN_SYM["gamma"][i] * XHAT[i], LN_SYM["beta"][i], evaluate=False)) if n.name == "y" else n
    for n in STRUCTURE.nodes
))


@lru_cache(maxsize=1)
def ln_derivation() -> BNDerivation:
    """LayerNorm's derivation for one sample (count m; rename it D to display), cached."""
    return _derivation(LN_STRUCTURE.nodes, LN_SYM, LN_GRAD, per_element=True)


def layernorm_forward(x: Array, gamma: Array, beta: Array, eps: float) -> tuple[Array, tuple]:
    """cs231n's layernorm_forward: x (N, D), gamma and beta (D,). Returns (out, cache)."""
    out, cache = batchnorm_forward(x.T, np.asarray(gamma)[:, None], np.asarray(beta)[:, None], eps)
    return out.T, cache


def layernorm_backward(dout: Array, cache: tuple) -> tuple[Array, Array, Array]:
    """cs231n's layernorm_backward: BN's closed form on the transpose. Returns dx (N, D), dgamma, dbeta (D,)."""
    xhat_t, gamma_col, _ = cache
    dx_t, _, _ = batchnorm_backward_alt(dout.T, cache)
    return dx_t.T, (dout * xhat_t.T).sum(axis=0), dout.sum(axis=0)


# ------------------------------------------------------ running statistics --
#
# Three conventions for the statistics used at test time, each written once
# as SymPy update rules: the page prints them, the numbers come from them.

CONVENTIONS = ("cs231n", "pytorch", "caffe")
CONVENTION_NAMES = {"cs231n": "cs231n", "pytorch": "PyTorch", "caffe": "Caffe"}
"""How each convention is written (proper names, the same in every language)."""
DEFAULT_RATE = {"cs231n": 0.9, "pytorch": 0.1, "caffe": 0.999}
"""Each framework's default: cs231n's momentum, PyTorch's momentum, Caffe's moving_average_fraction."""

RUN_SYM = {
    "mu_b": S.scalar("mu_B", r"\mu_{B}"),
    "var_b": S.scalar("var_B", r"\sigma^{2}_{B}", nonnegative=True),
    "mean": TEST_SYM["mu_run"],
    "var": TEST_SYM["var_run"],
    "momentum": S.scalar("momentum", r"\mathrm{momentum}"),
    "lam": S.scalar("lambda_caffe", r"\lambda"),
    "s": S.scalar("s_caffe", "s"),
    "sum_mean": S.scalar("sum_mu_caffe", r"S_{\mu}"),
    "sum_var": S.scalar("sum_var_caffe", r"S_{\sigma^{2}}"),
    "bessel": S.scalar("bessel", r"\frac{m}{m - 1}", positive=True),
}


def _add(*terms: sp.Basic) -> sp.Expr:
    return sp.Add(*terms, evaluate=False)


def _mul(*factors: sp.Basic) -> sp.Expr:
    return sp.Mul(*factors, evaluate=False)


@lru_cache(maxsize=1)
def update_rules() -> dict[str, dict[str, sp.Expr]]:
    """convention -> {state: its new value}; "mean" and "var" are the estimates used at test time.

    cs231n:  running = momentum·running + (1 − momentum)·batch, biased σ²_B
    pytorch: running = (1 − momentum)·running + momentum·batch, unbiased σ²_B·m/(m−1)
    caffe:   s ← λs + 1, S_μ ← λS_μ + μ_B, S_σ² ← λS_σ² + m/(m−1)·σ²_B; estimates S/s
    """
    r = RUN_SYM
    mom, lam = r["momentum"], r["lam"]
    bessel = _mul(m, 1 / _add(m, -1))
    return {
        "cs231n": {
            "mean": _add(_mul(mom, r["mean"]), _mul(_add(1, -mom), r["mu_b"])),
            "var": _add(_mul(mom, r["var"]), _mul(_add(1, -mom), r["var_b"])),
        },
        "pytorch": {
            "mean": _add(_mul(_add(1, -mom), r["mean"]), _mul(mom, r["mu_b"])),
            "var": _add(_mul(_add(1, -mom), r["var"]), _mul(mom, bessel, r["var_b"])),
        },
        "caffe": {
            "s": _add(_mul(lam, r["s"]), 1),
            "sum_mean": _add(_mul(lam, r["sum_mean"]), r["mu_b"]),
            "sum_var": _add(_mul(lam, r["sum_var"]), _mul(bessel, r["var_b"])),
            "mean": r["sum_mean"] / r["s"],
            "var": r["sum_var"] / r["s"],
        },
    }


STATE = {"cs231n": ("mean", "var"), "pytorch": ("mean", "var"), "caffe": ("s", "sum_mean", "sum_var")}
"""The state each convention stores between batches."""
INITIAL = {"cs231n": {"mean": 0.0, "var": 0.0}, "pytorch": {"mean": 0.0, "var": 1.0},
           "caffe": {"s": 0.0, "sum_mean": 0.0, "sum_var": 0.0}}
"""Initial state: cs231n's zeros, PyTorch's (0, 1), Caffe's zero blobs."""
RATE_SYMBOL = {"cs231n": "momentum", "pytorch": "momentum", "caffe": "lam"}


def bessel(m_count: int) -> float:
    """The variance correction m/(m − 1); 1 for m = 1, as Caffe's code does
    (``bias_correction_factor = m > 1 ? m/(m-1) : 1``; PyTorch refuses m = 1 in training)."""
    return m_count / (m_count - 1) if m_count > 1 else 1.0


@lru_cache(maxsize=len(CONVENTIONS))
def _update_function(convention: str):
    """The rules of ``convention`` as one NumPy function (state..., μ_B, σ²_B, rate, m/(m−1)) -> new state."""
    r = RUN_SYM
    bessel_expr = _mul(m, 1 / _add(m, -1))
    rules = [update_rules()[convention][k].xreplace({bessel_expr: r["bessel"]}) for k in STATE[convention]]
    args = [r[k] for k in STATE[convention]] + [r["mu_b"], r["var_b"], r[RATE_SYMBOL[convention]], r["bessel"]]
    return sp.lambdify(args, rules, modules="numpy")


@dataclass(frozen=True)
class RunningTrace:
    """Running estimates after each of K batches: mean and var are (K, S); state holds
    each stored quantity after each batch ((K, S)); the test-time estimates are mean, var."""

    convention: str
    rate: float
    mean: Array
    var: Array
    state: dict[str, Array]


def caffe_scale(s: Array) -> Array:
    """Caffe's scale factor 1/s, with 0 when s = 0 (no batch seen yet)."""
    s = np.asarray(s, dtype=float)
    return np.divide(1.0, s, out=np.zeros_like(s), where=s != 0)


def running_stats(convention: str, batch_means: Array, batch_vars: Array, m_count: int,
                  rate: float | None = None) -> RunningTrace:
    """Apply ``convention``'s update after each batch.

    batch_means, batch_vars: (K, S) batch mean and *biased* batch variance of
    each set; m_count: cells per set (m = N, or N·H·W). rate: momentum or λ
    (the framework's default when None). For m = 1 the factor m/(m−1) is
    taken as 1, as Caffe does (PyTorch refuses such a batch in training).
    """
    if convention not in CONVENTIONS:
        raise InputError("error.norms.convention", convention=convention)
    rate = DEFAULT_RATE[convention] if rate is None else float(rate)
    if not 0.0 <= rate <= 1.0:
        raise InputError("error.norms.rate", rate=rate)
    means, vars_ = np.asarray(batch_means, dtype=float), np.asarray(batch_vars, dtype=float)
    update = _update_function(convention)
    state = [np.full(means.shape[1:], INITIAL[convention][k]) for k in STATE[convention]]
    trace: dict[str, list[Array]] = {k: [] for k in STATE[convention]}
    for mu_b, var_b in zip(means, vars_, strict=True):
        state = [np.asarray(v, dtype=float) for v in update(*state, mu_b, var_b, rate, bessel(m_count))]
        for k, v in zip(STATE[convention], state, strict=True):
            trace[k].append(np.broadcast_to(v, means.shape[1:]).copy())
    st = {k: np.array(v).reshape(means.shape) for k, v in trace.items()}
    if convention == "caffe":
        scale = caffe_scale(st["s"])
        return RunningTrace(convention, rate, st["sum_mean"] * scale, st["sum_var"] * scale, st)
    return RunningTrace(convention, rate, st["mean"], st["var"], st)


def batch_statistics(batches: Array, kind: str = "batch") -> tuple[Array, Array, int]:
    """Per-set mean and biased variance of each of K batches.

    batches: (K, N, C) or (K, N, C, H, W). Returns means (K, S), vars (K, S), m.
    """
    lay = layout(batches.shape[1:], kind)
    sets = np.stack([lay.to_sets(b) for b in batches])
    return sets.mean(axis=1), sets.var(axis=1), lay.m


# ----------------------------------------------------- Batch Renormalization --
#
# Ioffe (2017): with moving μ, σ, a batch is normalised as
#   x̂ = r·(x − μ_B)/σ_B + d,  r = clip(σ_B/σ, 1/r_max, r_max),  d = clip((μ_B − μ)/σ, −d_max, d_max)
# r and d are computed from the batch but treated as constants by the backward
# pass (stop-gradient). In the graph they are leaves, which is exactly that.


class Clip(sp.Function):
    """clip(x, lo, hi) = min(max(x, lo), hi), printed as clip_[lo, hi](x)."""

    nargs = 3

    def _latex(self, printer, exp=None):  # noqa: ARG002 (SymPy's printer protocol)
        x, lo, hi = (printer._print(a) for a in self.args)
        return rf"\operatorname{{clip}}_{{\left[{lo},\, {hi}\right]}}\left({x}\right)"

    def numeric(self) -> sp.Expr:
        x, lo, hi = self.args
        return sp.Min(sp.Max(x, lo), hi)


class StopGradient(sp.Function):
    """sg(x): the value of x, with no gradient flowing back through it."""

    nargs = 1

    def _latex(self, printer, exp=None):  # noqa: ARG002
        return rf"\operatorname{{sg}}\left({printer._print(self.args[0])}\right)"


RN_SYM = {
    "x": X,
    "mu": S.scalar("mu_Bn", r"\mu_{B}"),
    "xc": S.vector("xc_B", r"(x - \mu_B)"),
    "var": S.scalar("var_Bn", r"\sigma^{2}_{B}", nonnegative=True),
    "std": S.scalar("sigma_Bn", r"\sigma_{B}", positive=True),
    "xn": S.vector("xn", r"\tilde{x}"),
    "r": S.scalar("r", "r", positive=True),
    "d": S.scalar("d", "d"),
    "xhat": XHAT,
    "y": Y,
    "L": SYM["L"],
    "gamma": SYM["gamma"],
    "beta": SYM["beta"],
    "dout": DOUT,
    "mu_mov": S.scalar("mu_mov", r"\mu"),
    "sigma_mov": S.scalar("sigma_mov", r"\sigma", positive=True),
    "rmax": S.scalar("r_max", r"r_{\max}", positive=True),
    "dmax": S.scalar("d_max", r"d_{\max}", nonnegative=True),
    "alpha": S.scalar("alpha", r"\alpha", positive=True),
}
RN_GRAD = {name: S.grad_symbol(f"{name}_rn", RN_SYM[name])
           for name in ("x", "mu", "xc", "var", "std", "xn", "xhat", "gamma", "beta")}
RN_GRAD["y"] = DOUT
RN_PATHS = ("xhat", "std", "mu")
"""Path labels of dx in Batch Renorm (seed 001's eq. 10.44): via x̂, via σ_B, via μ_B."""


def renorm_graph(eps: float) -> Graph:
    """x → μ_B → x − μ_B → σ²_B → σ_B → x̃ = (x − μ_B)/σ_B → x̂ = r·x̃ + d → y → L.

    r and d are leaves (stop-gradient); per-set statistics over axis 0.
    """
    s = RN_SYM
    return Graph((
        Node("mu", Mean((0,)), ("x",), sp.Sum(X[j], (j, 1, m)) / m, path="mu"),
        Node("xc", Sub(), ("x", "mu"), sp.Add(X[i], -s["mu"], evaluate=False)),
        Node("var", MeanSquare((0,)), ("xc",), sp.Sum(s["xc"][j] ** 2, (j, 1, m)) / m),
        Node("std", SqrtPlus(eps), ("var",), sp.sqrt(sp.Add(s["var"], S.eps, evaluate=False)), path="std"),
        Node("xn", Div(), ("xc", "std"), s["xc"][i] / s["std"]),
        Node("xhat", ScaleShift(), ("xn", "r", "d"), sp.Add(s["r"] * s["xn"][i], s["d"], evaluate=False),
             path="xhat"),
        Node("y", ScaleShift(), ("xhat", "gamma", "beta"),
             sp.Add(SYM["gamma"] * XHAT[i], SYM["beta"], evaluate=False)),
        Node("L", Dot(), ("y", "dout"), sp.Sum(DOUT[j] * Y[j], (j, 1, m))),
    ))


RENORM_STRUCTURE = renorm_graph(0.0)


@lru_cache(maxsize=1)
def renorm_rules() -> dict[str, sp.Expr]:
    """r, d (displayed with clip and sg), the moving updates and inference, as SymPy."""
    s = RN_SYM
    return {
        "r": StopGradient(Clip(s["std"] / s["sigma_mov"], 1 / s["rmax"], s["rmax"])),
        "d": StopGradient(Clip((s["mu"] - s["mu_mov"]) / s["sigma_mov"], -s["dmax"], s["dmax"])),
        "mu_mov": _add(s["mu_mov"], _mul(s["alpha"], _add(s["mu"], -s["mu_mov"]))),
        "sigma_mov": _add(s["sigma_mov"], _mul(s["alpha"], _add(s["std"], -s["sigma_mov"]))),
        "y_test": _add(_mul(SYM["gamma"], _add(X[i], -s["mu_mov"]) / s["sigma_mov"]), SYM["beta"]),
    }


def _numeric(expr: sp.Expr) -> sp.Expr:
    return expr.replace(lambda e: isinstance(e, StopGradient), lambda e: e.args[0]).replace(
        lambda e: isinstance(e, Clip), lambda e: e.numeric())


@lru_cache(maxsize=1)
def _renorm_functions():
    """r, d and the moving updates as NumPy functions of (μ_B, σ_B, μ, σ, r_max, d_max, α)."""
    s = RN_SYM
    args = [s["mu"], s["std"], s["mu_mov"], s["sigma_mov"], s["rmax"], s["dmax"], s["alpha"]]
    rules = renorm_rules()
    return {k: sp.lambdify(args, _numeric(rules[k]), modules="numpy") for k in ("r", "d", "mu_mov", "sigma_mov")}


def check_renorm(rmax: float, dmax: float, alpha: float, mu_mov: Array, sigma_mov: Array,
                 s: int) -> tuple[Array, Array]:
    """Validate BRN's settings; returns μ and σ as (S,) arrays."""
    if not np.isfinite(rmax) or rmax < 1:
        raise InputError("error.norms.rmax", rmax=f"{rmax:g}")
    if not np.isfinite(dmax) or dmax < 0:
        raise InputError("error.norms.dmax", dmax=f"{dmax:g}")
    if not np.isfinite(alpha) or not 0 <= alpha <= 1:
        raise InputError("error.norms.alpha", alpha=f"{alpha:g}")
    mu_mov, sigma_mov = (np.asarray(v, dtype=float).reshape(-1) for v in (mu_mov, sigma_mov))
    mu_mov, sigma_mov = (np.full(s, v[0]) if v.size == 1 else v for v in (mu_mov, sigma_mov))
    for name, v in (("mu", mu_mov), ("sigma", sigma_mov)):
        if v.shape != (s,):
            raise InputError("error.param_len", name=name, n=v.size, d=s)
        if not np.all(np.isfinite(v)):
            raise InputError("error.not_finite_file", what=name)
    if np.any(sigma_mov <= 0):
        raise InputError("error.norms.sigma", value=f"{float(sigma_mov.min()):g}")
    return mu_mov, sigma_mov


@dataclass(frozen=True)
class RenormResult:
    """One Batch Renorm step on an (m, S) matrix.

    values, back: the graph's values and backward (r, d are leaves, shape (1, S))
    r, d: (S,); mu_new, sigma_new: the moving statistics after this batch (S,)
    """

    values: dict[str, Array]
    back: Backward
    eps: float
    r: Array
    d: Array
    mu_new: Array
    sigma_new: Array

    @property
    def dx(self) -> Array:
        return self.back.grads["x"]

    def path(self, label: str) -> Array:
        return self.back.paths["x"][label]


def renorm_run(x: Array, gamma: Array, beta: Array, dout: Array, eps: float, mu_mov: Array,
               sigma_mov: Array, rmax: float, dmax: float, alpha: float = 0.01,
               r: Array | None = None, d: Array | None = None) -> RenormResult:
    """Batch Renorm in training mode on x (m, S) (sets in columns).

    gamma, beta: broadcasting against x, e.g. (S,); mu_mov, sigma_mov: the
    moving statistics before this batch, (S,) or scalars. r and d are
    computed from the batch (or given, to hold them constant).
    """
    x = np.asarray(x, dtype=float)
    mu_mov, sigma_mov = check_renorm(rmax, dmax, alpha, mu_mov, sigma_mov, x.shape[1])
    mu_b = x.mean(axis=0)
    sigma_b = np.sqrt(x.var(axis=0) + eps)
    fn = _renorm_functions()
    args = (mu_b, sigma_b, mu_mov, sigma_mov, rmax, dmax, alpha)
    r = np.broadcast_to(fn["r"](*args) if r is None else r, mu_b.shape).astype(float)
    d = np.broadcast_to(fn["d"](*args) if d is None else d, mu_b.shape).astype(float)
    g = renorm_graph(eps)
    leaves = {"x": x, "gamma": np.asarray(gamma, dtype=float), "beta": np.asarray(beta, dtype=float),
              "dout": np.asarray(dout, dtype=float), "r": r[None, :], "d": d[None, :]}
    values = g.forward(leaves)
    mu_new = np.broadcast_to(fn["mu_mov"](*args), mu_b.shape).astype(float)
    sigma_new = np.broadcast_to(fn["sigma_mov"](*args), mu_b.shape).astype(float)
    return RenormResult(values, g.backward(values), float(eps), r, d, mu_new, sigma_new)


def renorm_inference(x: Array, gamma: Array, beta: Array, mu_mov: Array, sigma_mov: Array) -> Array:
    """BRN at test time: y = γ(x − μ)/σ + β with the moving statistics."""
    return gamma * (x - mu_mov) / sigma_mov + beta


@lru_cache(maxsize=1)
def renorm_derivation() -> Derivation:
    """BRN's backward, derived: ∂L/∂σ_B, ∂L/∂μ_B and the three paths of ∂L/∂x (seed 001)."""
    d = derive(RENORM_STRUCTURE.nodes, RN_SYM, RN_GRAD, unchain=("xn", "y"))
    s = RN_SYM
    std_expr = sp.sqrt(s["var"] + S.eps)

    def shown(e: sp.Expr) -> sp.Expr:
        """Constants out of sums, σ_B for √(σ²_B + ε), x − μ_B written out."""
        return S.reduce_sums(e).subs(std_expr, s["std"]).replace(
            lambda a: isinstance(a, sp.Indexed) and a.base == s["xc"],
            lambda a: sp.Add(X[a.indices[0]], -s["mu"], evaluate=False))

    expanded = {k: shown(v) for k, v in d.expanded.items()}
    # ∂L/∂σ²_B in terms of ∂L/∂σ_B, and μ_B's gradient with σ_B's written out
    expanded["var"] = shown(d.back.chain["var"])
    expanded["mu"] = shown(unchained(d.back.chain["mu"], d.back.chain, RN_GRAD, ("xc", "xn", "y")))
    paths = {lab: shown(unchained(d.back.paths["x"][lab], d.back.chain, RN_GRAD, ("xn", "y")))
             for lab in RN_PATHS}
    expanded["x"] = sp.Add(*(paths[lab] for lab in RN_PATHS), evaluate=False)
    return replace(d, expanded=expanded)


def layernorm_backward_forms(x: Array, gamma: Array, beta: Array, dout: Array,
                             eps: float) -> dict[str, tuple[Array, Array, Array]]:
    """The three backward forms of BN applied to xᵀ (LayerNorm), γ and β per row.

    x, dout: (N, D); gamma, beta: (D,). Returns dx (N, D), dgamma, dbeta (D,) per form.
    """
    forms = all_backward_forms(x.T, np.asarray(gamma)[:, None], np.asarray(beta)[:, None], dout.T, eps)
    xhat = layernorm_forward(x, gamma, beta, eps)[1][0].T
    dgamma, dbeta = (dout * xhat).sum(axis=0), dout.sum(axis=0)
    return {k: (dx.T, dgamma, dbeta) for k, (dx, _, _) in forms.items()}


# ------------------------------------------------ BRN vs BN: the train/test gap --

EXPERIMENT_SIZES = tuple(range(2, 9))
"""Batch sizes of the experiment (small batches are where BN's statistics are noisy)."""
CLASS_MEANS = (-1.5, -0.5, 0.5, 1.5)
CLASS_STD = 0.5
"""The experiment's population: four equally likely classes N(c, 0.5²); mean 0, variance 1.5."""


@dataclass(frozen=True)
class GapExperiment:
    """Mean |x̂_train − x̂_test| over the last half of the steps, per batch size.

    sizes: the batch sizes m; gaps[(method, batches)]: (len(sizes),) for
    method "bn" or "brn" and batches "iid" (each sample of a random class) or
    "noniid" (all samples of a batch from one class). clipped[(batches)]:
    the fraction of BRN's r and d values that hit a clip bound.
    """

    sizes: tuple[int, ...]
    gaps: dict[tuple[str, str], Array]
    clipped: dict[str, Array]
    steps: int


@lru_cache(maxsize=32)
def gap_experiment(rmax: float, dmax: float, alpha: float, seed: int = 0, steps: int = 400,
                   features: int = 4, eps: float = 1e-5) -> GapExperiment:
    """Stream ``steps`` batches through BN and BRN (one shared moving μ, σ each,
    updated with rate α from μ = 0, σ = 1) and measure how far the training-mode
    output of each batch is from the inference output (moving statistics) for
    the same batch. BRN's r, d come from ``renorm_rules`` (clip); unclipped,
    its two outputs are equal. Cached (the figure reruns for free)."""
    check_renorm(rmax, dmax, alpha, 0.0, 1.0, 1)
    rng = np.random.default_rng(seed)
    sizes = EXPERIMENT_SIZES
    n = max(sizes)
    means = np.asarray(CLASS_MEANS)
    iid = means[rng.integers(0, len(means), (steps, n, features))]
    noniid = np.broadcast_to(means[rng.integers(0, len(means), (steps, 1, 1))], (steps, n, features))
    x = np.stack([iid, noniid], axis=1) + CLASS_STD * rng.standard_normal((steps, 2, n, features))
    counts = np.asarray(sizes, dtype=float)[None, :, None]
    mask = (np.arange(n)[None, None, :, None] < np.asarray(sizes)[None, :, None, None])  # (1, S, n, 1)
    fn = _renorm_functions()
    state = {meth: (np.zeros((2, len(sizes), features)), np.ones((2, len(sizes), features)))
             for meth in ("bn", "brn")}
    total = {meth: np.zeros((2, len(sizes))) for meth in state}
    clip_count = np.zeros((2, len(sizes)))
    start = steps // 2
    for t in range(steps):
        xt = x[t]  # (2, n, F)
        cs, cs2 = np.cumsum(xt, axis=1), np.cumsum(xt * xt, axis=1)
        idx = np.asarray(sizes) - 1
        mu_b = cs[:, idx] / counts  # (2, S, F)
        var_b = np.maximum(cs2[:, idx] / counts - mu_b ** 2, 0.0)
        sigma_b = np.sqrt(var_b + eps)
        xs = xt[:, None, :, :]  # (2, 1, n, F)
        train_bn = (xs - mu_b[:, :, None]) / sigma_b[:, :, None]
        for meth, (mu, sigma) in state.items():
            test = (xs - mu[:, :, None]) / sigma[:, :, None]
            if meth == "brn":
                args = (mu_b, sigma_b, mu, sigma, rmax, dmax, alpha)
                r, d = fn["r"](*args), fn["d"](*args)
                train = r[:, :, None] * train_bn + d[:, :, None]
                if t >= start:
                    raw_r, raw_d = sigma_b / sigma, (mu_b - mu) / sigma
                    hit = (r != raw_r) | (d != raw_d)
                    clip_count += hit.mean(axis=-1)
            else:
                train = train_bn
            if t >= start:
                total[meth] += (np.abs(train - test) * mask).sum(axis=(2, 3)) / (counts[:, :, 0] * features)
            args = (mu_b, sigma_b, mu, sigma, rmax, dmax, alpha)
            state[meth] = (fn["mu_mov"](*args), fn["sigma_mov"](*args))
    runs = steps - start
    gaps = {(meth, kind): total[meth][k] / runs for meth in total for k, kind in enumerate(("iid", "noniid"))}
    clipped = {kind: clip_count[k] / runs for k, kind in enumerate(("iid", "noniid"))}
    return GapExperiment(sizes, gaps, clipped, steps)
