"""The symbolic BN derivation (norms.bn_derivation, bnviz.symbolic).

* Every derived expression, evaluated with ``symbolic.derivation.evaluate`` on random batches, reproduces
  the numeric graph (``bn.bn_run``), and dx_total / dx_closed reproduce PyTorch's dx.
* The derivation is exact: dx_total equals the sum of the three path terms as a SymPy identity.
* The local derivatives equal hand derivations and ``sympy.diff`` of explicit small-m formulas.
"""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp
import torch
import torch.nn.functional as F

from bnviz.ops import bn
from bnviz.ops.bn import GRAD, SYM
from bnviz.symbolic import symbols as S
from bnviz.symbolic.derivation import evaluate, reduce_sums

TOL = 1e-10  # abs and rel: the batches below are O(1)
BATCH_SIZES = (2, 3, 7, 20)
D = 2  # features per batch: every expression is checked on each column
i, j, m = S.i, S.j, S.m
X, XC, XHAT, DOUT = SYM["x"], SYM["xc"], SYM["xhat"], SYM["dout"]
MU, VAR, STD, GAMMA = SYM["mu"], SYM["var"], SYM["std"], SYM["gamma"]


# ------------------------------------------------------------------ helpers --


def batch(mm: int, seed: int):
    rng = np.random.default_rng(1000 + mm + seed)
    x = rng.normal(size=(mm, D)) * rng.uniform(0.5, 3.0, size=D) + rng.normal(size=D)
    gamma, beta = rng.normal(size=D) * 1.5, rng.normal(size=D)
    dout = rng.normal(size=(mm, D))
    eps = float(rng.choice([1e-5, 1e-3, 0.1]))
    return x, gamma, beta, dout, eps


@pytest.fixture(scope="module", params=BATCH_SIZES, ids=[f"m{k}" for k in BATCH_SIZES])
def run(request):
    x, gamma, beta, dout, eps = batch(request.param, 0)
    return bn.bn_run(x, gamma, beta, dout, eps), eps


def value_map(r: bn.BNResult, eps: float, c: int) -> dict[sp.Basic, object]:
    """Symbol -> number (per-feature) or IndexedBase -> column (per-sample) for feature c."""
    v, G = r.values, r.back.grads

    def col(a):
        return np.asarray(a)[:, c]

    def num(a):
        return float(np.asarray(a).reshape(-1)[c])

    return {
        X: col(v["x"]), DOUT: col(v["dout"]), XC: col(v["xc"]), XHAT: col(v["xhat"]), SYM["y"]: col(v["y"]),
        MU: num(v["mu"]), VAR: num(v["var"]), STD: num(v["std"]), GAMMA: num(v["gamma"]),
        SYM["beta"]: num(v["beta"]), S.eps: eps,
        GRAD["x"]: col(G["x"]), GRAD["xc"]: col(G["xc"]), GRAD["xhat"]: col(G["xhat"]),
        GRAD["mu"]: num(G["mu"]), GRAD["var"]: num(G["var"]), GRAD["std"]: num(G["std"]),
        GRAD["gamma"]: num(G["gamma"]), GRAD["beta"]: num(G["beta"]),
    }


def ev(expr: sp.Expr, vals: dict, count: int) -> np.ndarray:
    """symbolic.derivation.evaluate with only the symbols ``expr`` contains (every free one must be known)."""
    expr = sp.sympify(expr)
    subset = {s: val for s, val in vals.items() if expr.has(s)}
    known = {s.label if isinstance(s, sp.IndexedBase) else s for s in subset} | {m, i}
    # free_symbols lists x[j] (Indexed) and its label x (Symbol); the labels are what must be known
    unknown = {s for s in expr.free_symbols if not isinstance(s, sp.Indexed)} - known
    assert not unknown, f"{expr} has symbols without values: {unknown}"
    return evaluate(expr, subset, count)


def check(got, expected, what: str) -> None:
    """got is a scalar (per-feature) or a length-m vector; expected a scalar or a length-m column."""
    expected = np.asarray(expected, dtype=float)
    got = np.asarray(got, dtype=float)
    assert np.all(np.isfinite(got)), f"{what}: {got}"
    if got.ndim == 1 and expected.ndim == 0:
        raise AssertionError(f"{what}: symbolic gives a vector {got}, numeric a scalar {expected}")
    np.testing.assert_allclose(np.broadcast_to(got, expected.shape), expected, rtol=TOL, atol=TOL,
                               err_msg=what)


def numeric_part(arr, c: int, mm: int):
    """Column c of an (m, D) array, or the per-feature value of a (1, D) / (D,) array."""
    arr = np.asarray(arr)
    if arr.ndim == 2 and arr.shape[0] == mm:
        return arr[:, c]
    assert arr.size == D, arr.shape
    return arr.reshape(-1)[c]


# ================================================ evaluation vs. the graph ==


def test_expanded_gradients_match_the_graph(run, derivation):
    r, eps = run
    mm = r.values["x"].shape[0]
    assert set(derivation.expanded) == {"dout", "beta", "gamma", "xhat", "std", "var", "xc", "mu", "x"}
    for c in range(D):
        vals = value_map(r, eps, c)
        for name, expr in derivation.expanded.items():
            ref = r.back.grads["y" if name == "dout" else name]
            check(ev(expr, vals, mm), numeric_part(ref, c, mm), f"expanded[{name}] m={mm} col={c}")


def test_paths_match_the_graph(run, derivation):
    r, eps = run
    mm = r.values["x"].shape[0]
    assert set(derivation.paths) == set(bn.PATHS)
    for c in range(D):
        vals = value_map(r, eps, c)
        total = 0.0
        for lab in bn.PATHS:
            got = ev(derivation.paths[lab], vals, mm)
            check(got, r.path(lab)[:, c], f"paths[{lab}] m={mm} col={c}")
            total = total + got
        check(total, r.dx[:, c], f"sum of paths m={mm} col={c}")


def test_dx_total_and_closed_match_the_graph_and_torch(run, derivation):
    r, eps = run
    mm = r.values["x"].shape[0]
    v = r.values
    tx = torch.tensor(v["x"], requires_grad=True)
    tg, tb = torch.tensor(v["gamma"]), torch.tensor(v["beta"])
    y = F.batch_norm(tx, None, None, tg, tb, training=True, eps=eps)
    (torch.tensor(v["dout"]) * y).sum().backward()
    # dx_total only uses leaves and statistics; dx_closed only x̂, ∂L/∂x̂, σ², ε
    assert not derivation.dx_total.has(XC, XHAT, STD, GRAD["xhat"], GRAD["var"], GRAD["mu"])
    assert not derivation.dx_closed.has(X, XC, DOUT, STD, GAMMA, MU)
    for c in range(D):
        vals = value_map(r, eps, c)
        for name in ("dx_total", "dx_closed"):
            got = ev(getattr(derivation, name), vals, mm)
            assert got.shape == (mm,), name
            check(got, r.dx[:, c], f"{name} vs graph m={mm} col={c}")
            check(got, tx.grad.numpy()[:, c], f"{name} vs torch m={mm} col={c}")


def test_chain_edges_and_path_split_match_the_graph(run, derivation):
    r, eps = run
    mm = r.values["x"].shape[0]
    back = derivation.back
    assert set(back.edges) == {e for e in bn.STRUCTURE.edges if e[1] in GRAD}
    for c in range(D):
        vals = value_map(r, eps, c)
        for name, expr in back.chain.items():
            if name == "L":
                continue
            check(ev(expr, vals, mm), numeric_part(r.back.grads[name], c, mm), f"chain[{name}] m={mm}")
        for edge, expr in back.edges.items():
            check(ev(expr, vals, mm), numeric_part(r.back.edges[edge], c, mm), f"edges[{edge}] m={mm}")
        for name, parts in back.paths.items():
            if name == "L":
                continue
            assert set(parts) == set(r.back.paths[name]), name
            for lab, expr in parts.items():
                check(ev(expr, vals, mm), numeric_part(r.back.paths[name][lab], c, mm),
                      f"paths[{name}][{lab}] m={mm}")


def _op_jacobian_entries(r: bn.BNResult, eps: float, child: str, parent: str, c: int) -> np.ndarray:
    """∂child/∂parent for feature c from the numeric Op's backward with one-hot upstream gradients.

    Vector child and vector parent: the diagonal ∂c_i/∂p_i; otherwise ∂c_i/∂p or ∂c/∂p_i.
    """
    graph = bn.bn_graph(eps)
    node = graph.node(child)
    v = r.values
    ins = [v[p] for p in node.inputs]
    k = node.inputs.index(parent)
    out = v[child]
    mm = v["x"].shape[0]
    child_vec = np.ndim(out) == 2 and out.shape[0] == mm
    parent_vec = np.ndim(v[parent]) == 2 and v[parent].shape[0] == mm
    seeds = []
    if child_vec:
        for row in range(mm):
            e = np.zeros_like(out)
            e[row, c] = 1.0
            seeds.append((row, e))
    else:
        e = np.zeros_like(out)
        e[(0, c) if np.ndim(out) == 2 else ()] = 1.0
        seeds.append((None, e))
    entries = []
    for row, e in seeds:
        g = node.op.backward(e, ins, out)[k]
        if parent_vec:
            entries.append(g[row, c] if child_vec else g[:, c])
        else:
            entries.append(np.asarray(g).reshape(-1)[c])
    return np.concatenate([np.atleast_1d(a) for a in entries])


def test_local_derivatives_match_the_numeric_ops(run, derivation):
    r, eps = run
    mm = r.values["x"].shape[0]
    assert set(derivation.local) == {e for e in bn.STRUCTURE.edges if e[1] in GRAD}
    for c in range(D):
        vals = value_map(r, eps, c)
        for (child, parent), expr in derivation.local.items():
            ref = _op_jacobian_entries(r, eps, child, parent, c)
            ref = ref if ref.size == mm else ref.reshape(())  # std <- var: one entry
            check(ev(expr, vals, mm), ref, f"local[{child},{parent}] m={mm} col={c}")


# ===================================================== symbolic exactness ==


def _in_terms_of_leaves(paths: dict[str, sp.Expr], derivation) -> sp.Expr:
    """Sum the given path terms and replace ∂L/∂μ, ∂L/∂σ², ∂L/∂x̂ by their expanded expressions."""
    expr = sum(paths.values(), sp.S.Zero)
    expr = expr.subs(GRAD["mu"], derivation.expanded["mu"]).subs(GRAD["var"], derivation.expanded["var"])
    dxhat = derivation.expanded["xhat"]  # γ·dout[i]
    assert dxhat == GAMMA * DOUT[i]
    return expr.replace(lambda e: isinstance(e, sp.Indexed) and e.base == GRAD["xhat"],
                        lambda e: dxhat.subs(i, e.indices[0]))


def _reduced_difference(expr: sp.Expr, derivation) -> sp.Expr:
    # Σ x_j = m·μ is the one fact about the statistics the difference needs (Σ (x_j − μ) = 0)
    diff = reduce_sums(expr - derivation.dx_total, {sp.Sum(X[j], (j, 1, m)): m * MU})
    return sp.simplify(diff)


def test_dx_total_equals_the_sum_of_the_three_paths_symbolically(derivation):
    """dx_total − (path_x̂ + path_σ² + path_μ) ≡ 0 after substituting the gradient placeholders.

    SymPy does this in well under a second, so it is checked as an identity (no numeric fallback).
    """
    e = _in_terms_of_leaves(dict(derivation.paths), derivation)
    assert not e.has(GRAD["mu"], GRAD["var"], GRAD["xhat"])
    assert _reduced_difference(e, derivation) == 0


@pytest.mark.parametrize("dropped", bn.PATHS)
def test_dropping_any_path_breaks_the_identity(derivation, dropped):
    """Negative control for the identity above: each path contributes something nonzero."""
    partial = {k: v for k, v in derivation.paths.items() if k != dropped}
    assert _reduced_difference(_in_terms_of_leaves(partial, derivation), derivation) != 0


def test_dx_closed_is_the_cs231n_alt_formula(derivation):
    dxh = GRAD["xhat"]
    alt = (m * dxh[i] - sp.Sum(dxh[j], (j, 1, m)) - XHAT[i] * sp.Sum(dxh[j] * XHAT[j], (j, 1, m))) / (
        m * sp.sqrt(VAR + S.eps))
    assert sp.simplify(derivation.dx_closed - alt) == 0
    assert sp.simplify(derivation.dx_closed - alt.subs(m, m + 1)) != 0  # the check can fail


def test_expanded_var_and_mu_are_seed_001s_formulas(derivation):
    dxh = GRAD["xhat"]
    var_hand = (sp.Sum(dxh[j] * (X[j] - MU), (j, 1, m)) * sp.Rational(-1, 2)
                * (VAR + S.eps) ** sp.Rational(-3, 2))
    mu_hand = (sp.Sum(-dxh[j], (j, 1, m)) / sp.sqrt(VAR + S.eps)
               + GRAD["var"] * sp.Sum(-2 * (X[j] - MU), (j, 1, m)) / m)
    assert sp.simplify(reduce_sums(derivation.expanded["var"] - var_hand)) == 0
    assert sp.simplify(reduce_sums(derivation.expanded["mu"] - mu_hand)) == 0


@pytest.mark.parametrize("name", ["dout", "beta", "gamma", "xhat", "std", "var", "xc", "mu", "x"])
def test_expanded_gradients_have_unlabelled_intermediates_substituted(derivation, name):
    """BNDerivation.expanded is documented as ∂L/∂name "with unlabelled intermediates substituted
    (in terms of ∂L/∂x̂, ∂L/∂σ², x, μ, σ², ε)": no ∂L/∂(x−μ) or ∂L/∂√(σ²+ε)
    placeholder may remain (for "x": the sum of the three paths, not d_mu/m + d_xc[i]).
    """
    expr = derivation.expanded[name]
    left = [str(g) for g in (GRAD["xc"], GRAD["std"]) if expr.has(g)]
    assert not left, (f"bn.bn_derivation: expanded[{name!r}] = {expr} still contains the "
                      f"placeholder(s) {left} of unlabelled intermediates")


# ====================================================== local derivatives ==

HAND_LOCAL = {
    ("mu", "x"): 1 / m,
    ("xc", "x"): sp.Integer(1),
    ("xc", "mu"): sp.Integer(-1),
    ("var", "xc"): 2 * XC[i] / m,
    ("std", "var"): 1 / (2 * sp.sqrt(VAR + S.eps)),
    ("xhat", "xc"): 1 / STD,
    ("xhat", "std"): -XC[i] / STD**2,
    ("y", "xhat"): GAMMA,
    ("y", "gamma"): XHAT[i],
    ("y", "beta"): sp.Integer(1),
    ("L", "y"): DOUT[i],
}


@pytest.mark.parametrize("edge", list(HAND_LOCAL), ids=[f"{c}-{p}" for c, p in HAND_LOCAL])
def test_local_derivative_equals_hand_derivation(derivation, edge):
    got, hand = derivation.local[edge], HAND_LOCAL[edge]
    assert sp.simplify(got - hand) == 0, f"local{edge} = {got}, by hand {hand}"
    # negative control: perturbing the hand result is detected
    assert sp.simplify(got - (hand + 1 / m)) != 0


def test_local_derivatives_cover_every_differentiable_edge(derivation):
    assert set(derivation.local) == set(HAND_LOCAL)


@pytest.mark.parametrize("k", [1, 2, 3])
def test_local_derivatives_against_explicit_m3_formulas(derivation, k):
    """With m = 3 written out element by element, sympy.diff gives ∂c/∂p_k directly; the derived
    general-m expressions, at m = 3 and i = k, must agree (this exercises the Kronecker-delta sums)."""
    xs = sp.symbols("x1:4")
    cs = sp.symbols("c1:4")
    ys = sp.symbols("y1:4")
    ds = sp.symbols("g1:4")
    explicit = {
        ("mu", "x"): (sum(xs) / 3, xs, {}),
        ("var", "xc"): (sum(c**2 for c in cs) / 3, cs, {XC[k]: cs[k - 1]}),
        ("L", "y"): (sum(d * y for d, y in zip(ds, ys, strict=True)), ys, {DOUT[k]: ds[k - 1]}),
    }
    for edge, (child, wrt, rename) in explicit.items():
        expected = sp.diff(child, wrt[k - 1])
        got = derivation.local[edge].subs({m: 3}).subs(i, k).xreplace(rename)
        assert sp.simplify(got - expected) == 0, f"{edge} at k={k}: {got} vs {expected}"
    # element-wise children, explicit at element k: c_k = x_k − μ, x̂_k = c_k/s, y_k = γ·x̂_k + β
    mu_s, s_s, xh = sp.symbols("mu_s s_s xh")
    assert sp.simplify(derivation.local[("xhat", "std")].subs(i, k).xreplace({XC[k]: cs[k - 1], STD: s_s})
                       - sp.diff(cs[k - 1] / s_s, s_s)) == 0
    assert sp.simplify(derivation.local[("xc", "mu")] - sp.diff(xs[k - 1] - mu_s, mu_s)) == 0
    assert sp.simplify(derivation.local[("y", "gamma")].subs(i, k).xreplace({XHAT[k]: xh})
                       - sp.diff(GAMMA * xh + SYM["beta"], GAMMA)) == 0


def test_std_var_local_derivative_is_diff_of_the_definition(derivation):
    """∂√(σ²+ε)/∂σ² from the node's own definition, and from sympy.diff of the formula."""
    assert sp.simplify(derivation.local[("std", "var")] - sp.diff(sp.sqrt(VAR + S.eps), VAR)) == 0
    assert sp.simplify(derivation.definitions["std"] - sp.sqrt(VAR + S.eps)) == 0


# =================================================== the symbolic helpers ==


@pytest.mark.parametrize("mm", [1, 4, 9])
def test_evaluate_uses_zero_based_arrays_and_sums_over_the_batch(mm):
    rng = np.random.default_rng(mm)
    a, b = rng.normal(size=mm), rng.normal(size=mm)
    A, B = sp.IndexedBase("A"), sp.IndexedBase("B")
    t = sp.Symbol("t")
    got = evaluate(A[i] * t + sp.Sum(A[j] * B[j], (j, 1, m)) / m, {A: a, B: b, t: 2.5}, mm)
    np.testing.assert_allclose(got, a * 2.5 + np.dot(a, b) / mm, rtol=1e-13, atol=1e-14)
    scalar = evaluate(sp.Sum(B[j] ** 2, (j, 1, m)), {B: b}, mm)
    assert np.ndim(scalar) == 0
    np.testing.assert_allclose(scalar, np.sum(b**2), rtol=1e-13)


def test_reduce_sums_evaluates_deltas_and_pulls_constants_out():
    A = sp.IndexedBase("A")
    c = sp.Symbol("c")
    # d/dA_i Σ_j c·A_j²  ->  2c·A_i
    assert sp.simplify(reduce_sums(sp.diff(sp.Sum(c * A[j] ** 2, (j, 1, m)), A[i])) - 2 * c * A[i]) == 0
    # Σ_j c = m·c ;  Σ_j c·A_j = c·Σ_j A_j (rewritten to a name on request)
    assert reduce_sums(sp.Sum(c, (j, 1, m))) == m * c
    mean = sp.Symbol("mean")
    out = reduce_sums(sp.Sum(c * A[j] + 1, (j, 1, m)), {sp.Sum(A[j], (j, 1, m)): m * mean})
    assert sp.expand(out - (c * m * mean + m)) == 0
