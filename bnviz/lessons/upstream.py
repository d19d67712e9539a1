"""Where ∂L/∂y comes from: softmax loss → affine → ReLU → BN, forward then backward.

The sidebar's batch x (m, D) goes through BN (γ, β, ε from the sidebar), a
ReLU and an affine layer to C class scores; a softmax cross-entropy loss
with seeded labels closes the chain. Going backward, every intermediate
gradient is shown, until ∂L/∂y — the BN layer's upstream gradient, the
"given" ``dout`` of the graph page — and on to ∂L/∂x.

Numbers come from :mod:`bnviz.ops.layers` and :mod:`bnviz.ops.bn` (the one
implementation of each layer); formulas from their SymPy derivations
(:func:`bnviz.ops.layers.derivations`, :func:`bnviz.ops.bn.bn_derivation`).
:func:`softmax_dout` is the graph page's "from a softmax loss" upstream choice.
"""

from __future__ import annotations

from dataclasses import asdict
from functools import lru_cache

import numpy as np
import sympy as sp

from bnviz.data import Problem, make_problem, setup_code
from bnviz.i18n import InputError, t
from bnviz.ops import bn as bn_ops
from bnviz.ops import layers
from bnviz.settings import Settings
from bnviz.softmax_chain import (  # noqa: F401 - the lesson's numbers, kept importable from here
    CLASSES,
    WEIGHT_SCALE,
    Chain,
    affine_inputs,
    run_chain,
    softmax_dout,
    softmax_dout_code,
)
from bnviz.steps import Step, Walkthrough
from bnviz.symbolic import printing as P
from bnviz.symbolic import symbols as S

Array = np.ndarray

CLASS_RANGE = (2, 10)
WEIGHT_SCALES = (0.1, 0.3, 1.0, 3.0, 10.0)

FORWARD = ("bn", "relu", "affine", "softmax", "loss")
BACKWARD = ("dscores", "dparams", "da", "relu", "bn")
NODES = ("x", "BN", "ReLU", "affine", "softmax", "L")
"""The chain's nodes: notation, the same in every language, except "affine" (``page.upstream.node_affine``)."""
FOCUS = {
    "forward.bn": ("x", "BN"), "forward.relu": ("ReLU",), "forward.affine": ("affine",),
    "forward.softmax": ("softmax",), "forward.loss": ("L",),
    "backward.dscores": ("L", "softmax"), "backward.dparams": ("affine",), "backward.da": ("affine", "ReLU"),
    "backward.relu": ("ReLU", "BN"), "backward.bn": ("BN", "x"),
}
"""Chain nodes each step is about (for the diagram)."""

LABELS = {
    "a": "a",
    "s": "s",
    "p": "p",
    "onehot": "onehot(t)",
    "W": "W",
    "b": "b",
    "dscores": "∂L/∂s",
    "dW": "∂L/∂W",
    "db": "∂L/∂b",
    "da": "∂L/∂a",
}
"""Display names of this lesson's value ids (on top of bnviz.steps.LABELS): names, not formulas (the step's
formula box shows the derived definition)."""


# ------------------------------------------------------------- numbers --


# ------------------------------------------------------------- formulas --

_i, _j = S.i, S.j


def _eq(lhs: sp.Basic | str, rhs: sp.Basic) -> str:
    left = lhs if isinstance(lhs, str) else P.latex(lhs)
    return f"{left} = {P.latex(rhs)}"


def _el(name: str, tex: str) -> sp.Basic:
    """An element symbol (two indices) printed as ``tex``_{ij}."""
    return S.vector(f"up_{name}", tex)[_i, _j]


@lru_cache(maxsize=1)
def formulas() -> dict[str, tuple[tuple[str, ...], tuple[str, ...]]]:
    """step key -> (formula lines, local-derivative lines), derived by SymPy. Cached."""
    d = layers.derivations()
    bn = bn_ops.bn_derivation()
    sym = d.symbols
    y_ij, a_ij = _el("y", "y"), _el("a", "a")
    da_ij, dy_ij = _el("da", P.partial_name("a")), _el("dy", P.partial_name("y"))
    relu = d.relu.subs(layers.Z, y_ij)
    drelu = d.drelu.subs(layers.Z, y_ij)
    xhat = bn_ops.display_form(bn.definitions["xhat"])
    grad = {k: g for k, (_, g) in d.affine_grads.items()}
    mat = {k: S.grad_matrix(sp.MatrixSymbol(k, 1, 1)) for k in ("A", "W", "b")}
    dscore = S.vector("up_ds", P.partial_name("s"))[_i, _j]
    local_relu = f"{P.partial(a_ij, y_ij)} = {P.latex(drelu)}"
    a_mat = sp.MatrixSymbol("A", S.m, sp.Symbol("D", integer=True, positive=True))
    return {
        "forward.bn": ((_eq(bn_ops.SYM["xhat"][_i], xhat), _eq(bn_ops.SYM["y"][_i], bn.definitions["y"])), ()),
        "forward.relu": ((_eq(a_ij, relu),
                          P.relations(P.eq(a_mat[_i, _j], a_ij), P.element_of(a_mat, P.real_matrices(*a_mat.shape)))),
                         (local_relu,)),
        "forward.affine": ((_eq(sym["S"], d.affine),), ()),
        "forward.softmax": ((_eq(layers.PROBS[_i, _j], d.softmax),), ()),
        "forward.loss": ((_eq(layers.LOSS, d.loss.subs(layers.N, S.m)),), ()),
        "backward.dscores": ((_eq(dscore, d.dscores.subs(layers.N, S.m)),), ()),
        "backward.dparams": ((_eq(mat["W"], grad["W"]), _eq(mat["b"], grad["b"])), ()),
        "backward.da": ((_eq(mat["A"], grad["A"]),), ()),
        "backward.relu": ((_eq(dy_ij, sp.Mul(da_ij, drelu, evaluate=False)),), (local_relu,)),
        "backward.bn": ((_eq(bn_ops.GRAD["x"][_i], bn.dx_closed),), ()),
    }


CODE = {
    "forward.bn": ("mu = x.mean(axis=0)\nvar = x.var(axis=0)\nxhat = (x - mu) / np.sqrt(var + eps)\n"
                   "y = gamma * xhat + beta"),
    "forward.relu": "a = np.maximum(y, 0)",
    "forward.affine": "s = a @ W + b",
    "forward.softmax": "p = np.exp(s - s.max(axis=1, keepdims=True))\np /= p.sum(axis=1, keepdims=True)",
    "forward.loss": ("onehot = np.eye(C)[labels]\n"
                     "L = -np.log(p[np.arange(m), labels]).mean()"),
    "backward.dscores": "dscores = (p - onehot) / m",
    "backward.dparams": "dW = a.T @ dscores\ndb = dscores.sum(axis=0)",
    "backward.da": "da = dscores @ W.T",
    "backward.relu": "dout = da * (y > 0)",
    "backward.bn": ("dxhat = dout * gamma\n"
                    "dx = (m * dxhat - dxhat.sum(axis=0) - xhat * (dxhat * xhat).sum(axis=0)) "
                    "/ (m * np.sqrt(var + eps))\n"
                    "dgamma = (dout * xhat).sum(axis=0)\ndbeta = dout.sum(axis=0)"),
}
"""Each step again in plain NumPy (the notebook export runs them; the tests compare)."""

SHOWN = {
    "forward.bn": ("x", "y", "gamma", "beta"),
    "forward.relu": ("y", "a"),
    "forward.affine": ("s", "b"),
    "forward.softmax": ("s", "p"),
    "forward.loss": ("p", "onehot", "L"),
    "backward.dscores": ("p", "onehot", "dscores"),
    "backward.dparams": ("dW",),
    "backward.da": ("da",),
    "backward.relu": ("y", "da", "dout"),
    "backward.bn": ("dout", "dx", "dgamma", "dbeta"),
}
"""The values each step shows. Within a step every 2-D value has the same shape (the exports'
tables need that), so W, dW and db get steps of their own or stay in the setup."""


def check_params(classes: int, weight_scale: float) -> None:
    lo, hi = CLASS_RANGE
    if not (isinstance(classes, (int, np.integer)) and lo <= classes <= hi):
        raise InputError("error.nets.classes", value=classes, lo=lo, hi=hi)
    if not (np.isfinite(weight_scale) and 0 < weight_scale <= 100):
        raise InputError("error.nets.weight_scale", value=weight_scale)


def blocked_caption(step: Step, lang: str) -> str:
    """The ReLU step's count of blocked units (y ≤ 0: no gradient passes), as a sentence."""
    y = step.values["y"]
    return t("page.upstream.blocked", lang, n=int((y <= 0).sum()), total=y.size)


def upstream_walkthrough(problem: Problem, settings: Settings, lang: str = "en", classes: int = CLASSES,
                         weight_scale: float = WEIGHT_SCALE) -> Walkthrough:
    """The chain's steps for one batch (the sidebar's x, γ, β, ε; W and labels from the seed)."""
    check_params(classes, weight_scale)
    w, b, labels = affine_inputs(problem.d, settings.seed, classes, weight_scale, problem.m)
    chain = run_chain(problem.x, problem.gamma, problem.beta, problem.eps, w, b, labels)
    forms = formulas()
    steps = []
    for phase, names in (("forward", FORWARD), ("backward", BACKWARD)):
        for name in names:
            key = f"{phase}.{name}"
            lines, local = forms[key]
            steps.append(Step(key, phase, t(f"step.upstream.{key}.title", lang), lines, local,
                              t(f"step.upstream.{key}.note", lang, C=classes),
                              {v: np.asarray(chain.values[v]) for v in SHOWN[key]}, FOCUS[key][-1], CODE[key]))
    record = asdict(settings)
    record.update(m=problem.m, d=problem.d, eps=problem.eps, classes=classes, weight_scale=weight_scale,
                  labels=labels.tolist())
    setup = "\n".join([
        setup_code(problem, settings),
        f"C, seed_w = {classes}, {settings.seed}",
        f"W = {weight_scale!r} * np.random.default_rng(seed_w + 2).standard_normal((d, C))",
        "b = np.zeros(C)",
        "labels = np.random.default_rng(seed_w + 3).integers(0, C, m)",
    ])
    return Walkthrough("upstream", t("page.upstream.title", lang), lang, record, tuple(steps), setup, dict(LABELS))


@lru_cache(maxsize=8)
def walkthrough(settings: Settings, lang: str = "en", classes: int = CLASSES,
                weight_scale: float = WEIGHT_SCALE) -> Walkthrough:
    """The course builder: the sidebar's batch through the chain (raises InputError on bad input).
    Cached: a page rerun with the same settings reuses it (treat it as read-only)."""
    return upstream_walkthrough(make_problem(settings), settings, lang, classes, weight_scale)
