"""Test-mode batch norm: the short graph where the running statistics are constants.

At test time BN normalises with stored statistics: the graph loses μ and σ²
as nodes, so no gradient flows through them and ∂L/∂x = γ·∂L/∂y/√(σ²_run + ε).
This is the one test-mode BN: the network (``batchnorm_test``), the lessons and
the CLI all run this graph.
"""

from __future__ import annotations

from dataclasses import replace
from functools import lru_cache

import numpy as np
import sympy as sp

from bnviz.graph import Div, Dot, Graph, Node, ScaleShift, SqrtPlus, Sub
from bnviz.i18n import InputError
from bnviz.ops.bn import DOUT, SYM, XHAT, BNResult, X, Y, i, j, m
from bnviz.ops.family import NormRun, check_params, layout
from bnviz.symbolic import symbols as S
from bnviz.symbolic.derivation import Derivation, derive

Array = np.ndarray

_VAR_RUN = S.scalar("var_run", r"\sigma^{2}_{\mathrm{run}}", "σ²_run", nonnegative=True)
_MU_RUN = S.scalar("mu_run", r"\mu_{\mathrm{run}}", "μ_run")
TEST_SYM = {
    **SYM,
    "mu_run": _MU_RUN,
    "var_run": _VAR_RUN,
    "xc": S.named_vector("xc_run", S.add(X[i], -_MU_RUN)),
    "std": S.named("std_run", sp.sqrt(S.add(_VAR_RUN, S.eps)), positive=True),
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



def batchnorm_test(x: Array, gamma: Array, beta: Array, mean: Array, var: Array, eps: float) -> Array:
    """Test-mode BN forward (the graph above) on x (N, D); gamma, beta, mean, var: (D,).

    Returns y (N, D) = γ(x − μ_run)/√(σ²_run + ε) + β.
    """
    x = np.asarray(x, dtype=float)
    leaves = {"x": x, "gamma": np.asarray(gamma, dtype=float), "beta": np.asarray(beta, dtype=float),
              "dout": np.zeros_like(x), "mu_run": np.asarray(mean, dtype=float)[None, :],
              "var_run": np.asarray(var, dtype=float)[None, :]}
    return test_graph(eps).forward(leaves)["y"]


@lru_cache(maxsize=1)
def test_derivation() -> Derivation:
    """Test-mode BN's backward: ∂L/∂x = γ·∂L/∂y/√(σ²_run + ε), derived."""
    d = derive(TEST_STRUCTURE.nodes, TEST_SYM, TEST_GRAD, unchain=("xhat", "xc"))
    std = TEST_SYM["std"]
    shown = sp.sqrt(sp.Add(TEST_SYM["var_run"], S.eps, evaluate=False))
    expanded = {k: v.subs(std, shown) for k, v in d.expanded.items()}
    return replace(d, expanded=expanded)
