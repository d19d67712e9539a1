"""The BN computation-graph walkthrough: forward node by node, then backward.

Formulas come from :func:`bnviz.norms.bn_derivation` (SymPy, cached);
values from :func:`bnviz.norms.bn_run` (the NumPy graph). This module only
pairs them up into :class:`bnviz.steps.Step` objects.
"""

from __future__ import annotations

from dataclasses import asdict
from functools import lru_cache

import numpy as np
import sympy as sp

from bnviz import norms
from bnviz import symbolic as S
from bnviz.data import Problem, make_problem, setup_code
from bnviz.i18n import t
from bnviz.norms import GRAD, SYM, BNResult
from bnviz.settings import Settings
from bnviz.steps import Step, Walkthrough

Array = np.ndarray

FORWARD = ("x", "mu", "xc", "var", "std", "xhat", "y", "L")
BACKWARD = ("dy", "dparams", "dxhat", "dstd", "dvar", "dxc", "dmu", "dx", "closed")


def _eq(lhs: sp.Basic, rhs: sp.Basic) -> str:
    """``lhs = rhs`` in LaTeX; just ``rhs`` when the two print alike."""
    left, right = S.latex(lhs), S.latex(rhs)
    return right if left == right else f"{left} = {right}"


def _el(base: sp.Basic) -> sp.Basic:
    return base[S.i] if isinstance(base, sp.IndexedBase) else base


def _partial(child: str, parent: str) -> str:
    """LaTeX ∂child/∂parent with the derived local derivative."""
    c, p = S.latex(_el(SYM[child])), S.latex(_el(SYM[parent]))
    local = norms.display_form(norms.bn_derivation().local[(child, parent)])
    return rf"\frac{{\partial {c}}}{{\partial {p}}} = {S.latex(local)}"


@lru_cache(maxsize=1)
def formulas() -> dict[str, tuple[tuple[str, ...], tuple[str, ...]]]:
    """step name -> (formula lines, local-derivative lines), all derived. Cached."""
    d = norms.bn_derivation()
    disp = norms.display_form
    g = {k: _el(v) for k, v in GRAD.items()}
    out: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
        "x": ((r"x = \left(x_{ij}\right)_{i = 1, \dots, m;\ j = 1, \dots, D}",), ()),
    }
    locals_of = {
        "mu": (("mu", "x"),),
        "xc": (("xc", "x"), ("xc", "mu")),
        "var": (("var", "xc"),),
        "std": (("std", "var"),),
        "xhat": (("xhat", "xc"), ("xhat", "std")),
        "y": (("y", "xhat"), ("y", "gamma"), ("y", "beta")),
        "L": (("L", "y"),),
    }
    for name in FORWARD[1:]:
        lines = [_eq(_el(SYM[name]), d.definitions[name])]
        shown = disp(d.definitions[name])
        if shown != d.definitions[name]:
            lines.append(_eq(_el(SYM[name]), shown))
        out[name] = (tuple(lines), tuple(_partial(c, p) for c, p in locals_of[name]))

    def chain(name: str) -> list[str]:
        """The chain rule in node symbols, then written out if that differs."""
        lines = [_eq(g[name], d.back.chain[name])]
        if d.expanded[name] != d.back.chain[name]:
            lines.append(_eq(g[name], d.expanded[name]))
        return lines

    out["dy"] = ((_eq(g["y"], d.back.chain["y"]),), (_partial("L", "y"),))
    out["dparams"] = ((*chain("gamma"), *chain("beta")), (_partial("y", "gamma"), _partial("y", "beta")))
    out["dxhat"] = (tuple(chain("xhat")), (_partial("y", "xhat"),))
    out["dstd"] = (tuple(chain("std")), (_partial("xhat", "std"),))
    out["dvar"] = (tuple(chain("var")), (_partial("std", "var"),))
    out["dxc"] = (tuple(chain("xc")), (_partial("xhat", "xc"), _partial("var", "xc")))
    out["dmu"] = (tuple(chain("mu")), (_partial("xc", "mu"),))
    out["dx"] = (tuple(chain("x")), (_partial("xc", "x"), _partial("mu", "x")))
    out["closed"] = ((_eq(g["x"], d.dx_total), _eq(g["x"], d.dx_closed)), ())
    return out


def _per_feature(a: Array) -> Array:
    return np.asarray(a).reshape(-1)


def step_values(r: BNResult) -> dict[str, dict[str, Array]]:
    """step name -> the live values it shows (value ids as in steps.LABELS)."""
    v, gr = r.values, r.back.grads
    f = _per_feature
    paths = {f"dx_{p}": r.path(p) for p in norms.PATHS}
    _, cache = norms.batchnorm_forward(v["x"], f(v["gamma"]), f(v["beta"]), r.eps)
    closed, _, _ = norms.batchnorm_backward_alt(v["dout"], cache)
    return {
        "x": {"x": v["x"]},
        "mu": {"x": v["x"], "mu": f(v["mu"])},
        "xc": {"x": v["x"], "mu": f(v["mu"]), "xc": v["xc"]},
        "var": {"xc": v["xc"], "var": f(v["var"])},
        "std": {"var": f(v["var"]), "std": f(v["std"])},
        "xhat": {"xc": v["xc"], "std": f(v["std"]), "xhat": v["xhat"]},
        "y": {"xhat": v["xhat"], "gamma": f(v["gamma"]), "beta": f(v["beta"]), "y": v["y"]},
        "L": {"dout": v["dout"], "y": v["y"], "L": np.asarray(v["L"])},
        "dy": {"dout": gr["y"]},
        "dparams": {"dout": gr["y"], "xhat": v["xhat"], "dgamma": f(gr["gamma"]), "dbeta": f(gr["beta"])},
        "dxhat": {"dout": gr["y"], "gamma": f(v["gamma"]), "dxhat": gr["xhat"]},
        "dstd": {"dxhat": gr["xhat"], "xc": v["xc"], "dstd": f(gr["std"])},
        "dvar": {"dstd": f(gr["std"]), "std": f(v["std"]), "dvar": f(gr["var"])},
        "dxc": {"dxhat": gr["xhat"], "dvar": f(gr["var"]), "xc": v["xc"], "dxc": gr["xc"]},
        "dmu": {"dxc": gr["xc"], "dmu": f(gr["mu"])},
        "dx": {"dxc": gr["xc"], "dmu": f(gr["mu"]), **paths, "dx": gr["x"]},
        "closed": {"dx": gr["x"], "dx_closed": closed},
    }


CODE = {
    "x": "",
    "mu": "mu = x.mean(axis=0)",
    "xc": "xc = x - mu",
    "var": "var = (xc ** 2).mean(axis=0)",
    "std": "std = np.sqrt(var + eps)",
    "xhat": "xhat = xc / std",
    "y": "y = gamma * xhat + beta",
    "L": "L = np.sum(dout * y)",
    "dy": "",
    "dparams": "dgamma = (dout * xhat).sum(axis=0)\ndbeta = dout.sum(axis=0)",
    "dxhat": "dxhat = gamma * dout",
    "dstd": "dstd = -(dxhat * xc).sum(axis=0) / std ** 2",
    "dvar": "dvar = dstd / (2 * std)",
    "dxc": "dxc = dxhat / std + dvar * 2 * xc / m",
    "dmu": "dmu = -dxc.sum(axis=0)",
    "dx": ("dx_xhat = dxhat / std\ndx_var = dvar * 2 * xc / m\n"
           "dx_mu = np.broadcast_to(dmu / m, x.shape)\ndx = dxc + dmu / m"),
    "closed": "dx_closed = (m * dxhat - dxhat.sum(axis=0) - xhat * (dxhat * xhat).sum(axis=0)) / (m * std)",
}
"""Each step again in plain NumPy, for the notebook export (which checks the two agree)."""

TARGETS = {
    "dy": ("y",), "dparams": ("gamma", "beta"), "dxhat": ("xhat",), "dstd": ("std",),
    "dvar": ("var",), "dxc": ("xc",), "dmu": ("mu",), "dx": ("x",), "closed": ("x",),
}
"""Backward step -> the nodes whose gradient it computes."""


def active_edges(step_key: str) -> set[tuple[str, str]]:
    """(child, parent) edges a step is about: a node's inputs going forward,
    the edges its gradient arrives through going backward."""
    phase, name = step_key.split(".")
    edges = norms.STRUCTURE.edges
    if phase == "forward":
        return {(c, p) for c, p in edges if c == name}
    return {(c, p) for c, p in edges if p in TARGETS[name]}


def bn_walkthrough(problem: Problem, settings: Settings | None = None, lang: str = "en") -> Walkthrough:
    """The graph page's steps for one batch, in ``lang``."""
    r = norms.bn_run(problem.x, problem.gamma, problem.beta, problem.dout, problem.eps)
    vals = step_values(r)
    forms = formulas()
    steps = []
    for name in FORWARD:
        lines, local = forms[name]
        steps.append(Step(f"forward.{name}", "forward", t(f"step.forward.{name}.title", lang),
                          lines, local, t(f"step.forward.{name}.note", lang), vals[name], name, CODE[name]))
    for name in BACKWARD:
        lines, local = forms[name]
        steps.append(Step(f"backward.{name}", "backward", t(f"step.backward.{name}.title", lang),
                          lines, local, t(f"step.backward.{name}.note", lang), vals[name], TARGETS[name][0],
                          CODE[name]))
    record = asdict(settings) if settings else {}
    record.update(m=problem.m, d=problem.d, eps=problem.eps,
                  gamma=problem.gamma.tolist(), beta=problem.beta.tolist())
    return Walkthrough("graph", t("page.graph.title", lang), lang, record, tuple(steps),
                       setup_code(problem, settings))


def walkthrough(settings: Settings, lang: str = "en") -> Walkthrough:
    """The course builder (``bnviz.course``): the sidebar's batch, walked through."""
    return bn_walkthrough(make_problem(settings), settings, lang)
