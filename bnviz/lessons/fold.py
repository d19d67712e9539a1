"""Folding test-mode BN into the layer before it, for inference.

The layer is affine (the sidebar's batch x (m, D) times W (D, D_out)) or a
small conv (x (2, 2, 4, 4) from the seed, W (D_out, 2, 3, 3), stride 1, no
padding). W, b and the running statistics are drawn from the sidebar's seed;
γ, β are the sidebar's (one value for every channel). Formulas from
:func:`bnviz.ops.fold.derivation` (SymPy), numbers from :func:`bnviz.ops.fold.fold`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from functools import lru_cache

import numpy as np
import sympy as sp

from bnviz import data
from bnviz.i18n import InputError, t
from bnviz.ops import fold as F
from bnviz.settings import Settings
from bnviz.steps import Step, Walkthrough
from bnviz.symbolic import printing as P
from bnviz.symbolic import symbols as S

Array = np.ndarray

LIMITS = {"d_out": (1, 6)}
DEFAULTS = {"layer": "affine", "d_out": 3}
CONV_X = (2, 2, 4, 4)
"""The conv lesson's input (N, C, H, W); filters are (D_out, C, 3, 3)."""
STEPS = ("layer", "bn", "compose", "weights", "bias", "check")


class Largest(sp.Function):
    """max over every entry of an array (notation: the check's number), printed ``max |y − y'|``."""

    def _text(self, printer: object) -> str:
        return f"max {printer._print(self.args[0])}"

    def _latex(self, printer: object) -> str:
        return rf"\max {printer._print(self.args[0])}"


LINEAR, FOLDED, BN = sp.Function("L"), sp.Function("L'"), sp.Function("BN")
"""Notation: the layer's linear part L(x), the folded layer's L'(x), test-mode BN as a function BN(z)."""


@lru_cache(maxsize=len(F.LAYERS))
def labels(layer: str = DEFAULTS["layer"]) -> dict[str, str]:
    """Display names of this lesson's value ids, printed (:func:`bnviz.symbolic.printing.text`) from the fold rule's
    symbols and derivation (:func:`bnviz.ops.fold.derivation`; L(x) names the layer's linear part)."""
    d, g = F.derivation(layer), F.SYM
    x = S.value_of(g["x"])
    defs = {
        "w": S.value_of(g["W"]), "b": g["b"],
        "z": sp.Eq(g["z"], S.rename(d.layer, {d.lin: LINEAR(x)}), evaluate=False),
        "running_mean": g["mu"], "running_var": g["var"],
        "y": sp.Eq(g["y"], BN(g["z"]), evaluate=False),
        "scale": d.scale, "w_fold": S.value_of(g["Wf"]), "b_fold": g["bf"],
        "y_fold": sp.Eq(g["yf"], S.add(FOLDED(x), g["bf"]), evaluate=False),
        "max_diff": Largest(sp.Abs(S.add(g["y"], -g["yf"]))),
    }
    return {name: P.text(expr) for name, expr in defs.items()}


@dataclass(frozen=True)
class FoldLesson:
    """x: the layer's input; z, y: layer output and BN(z); y_fold: the folded layer's output."""

    layer: str
    x: Array
    fold: F.Fold
    z: Array
    y: Array
    y_fold: Array
    setup: str
    notes: tuple = ()


def _literal(a: Array) -> str:
    return f"np.array({np.asarray(a).tolist()!r})"


def compute(settings: Settings, layer: str = DEFAULTS["layer"], d_out: int = DEFAULTS["d_out"]) -> FoldLesson:
    """The lesson's numbers. Raises InputError for an unknown layer, D_out out of range, bad sidebar input."""
    if layer not in F.LAYERS:
        raise InputError("error.fold.layer", layer=layer)
    lo, hi = LIMITS["d_out"]
    if not lo <= int(d_out) <= hi:
        raise InputError("error.fold.d_out", n=d_out, lo=lo, hi=hi)
    d_out = int(d_out)
    rng = np.random.default_rng(settings.seed + 11)
    notes: tuple = ()
    if layer == "affine":
        p = data.make_problem(settings)
        x, notes = p.x, p.notes
        w = np.round(rng.standard_normal((x.shape[1], d_out)), 2)
    else:
        x = np.round(rng.standard_normal(CONV_X), 1)
        w = np.round(rng.standard_normal((d_out, CONV_X[1], 3, 3)) / 3, 2)
    b = np.round(0.5 * rng.standard_normal(d_out), 2)
    running_mean = np.round(rng.standard_normal(d_out), 2)
    running_var = np.round(rng.uniform(0.25, 4.0, d_out), 2)
    gamma, beta = np.full(d_out, float(settings.gamma)), np.full(d_out, float(settings.beta))
    f = F.fold(w, b, gamma, beta, running_mean, running_var, settings.eps)
    z = F.layer_forward(x, w, b)
    y = F.bn_test_forward(z, f)
    y_fold = F.layer_forward(x, f.w_fold, f.b_fold)
    setup = "\n".join([
        "import numpy as np", "", f"eps = {float(settings.eps)!r}", f"x = {_literal(x)}", f"w = {_literal(w)}",
        f"b = {_literal(b)}", f"gamma = {_literal(gamma)}", f"beta = {_literal(beta)}",
        f"running_mean = {_literal(running_mean)}", f"running_var = {_literal(running_var)}",
        LAYER_CODE[layer],
    ])
    return FoldLesson(layer, x, f, z, y, y_fold, setup, notes)


LAYER_CODE = {
    "affine": "def layer(x, w, b):\n    return x @ w + b",
    "conv": ("def layer(x, w, b):\n"
             "    f, c, hh, ww = w.shape\n"
             "    ho, wo = x.shape[2] - hh + 1, x.shape[3] - ww + 1\n"
             "    out = np.empty((x.shape[0], f, ho, wo))\n"
             "    for p in range(ho):\n"
             "        for q in range(wo):\n"
             "            out[:, :, p, q] = np.tensordot(x[:, :, p:p + hh, q:q + ww], w, axes=([1, 2, 3], [1, 2, 3]))\n"
             "    return out + b[None, :, None, None]"),
}
"""The layer alone, in plain NumPy (the notebook's helper)."""

SHAPE = {"affine": "[None, :]", "conv": "[:, None, None, None]"}
CH = {"affine": "[None, :]", "conv": "[None, :, None, None]"}


def code(layer: str) -> dict[str, str]:
    ch = CH[layer]
    return {
        "layer": "z = layer(x, w, b)",
        "bn": f"y = gamma{ch} * (z - running_mean{ch}) / np.sqrt(running_var{ch} + eps) + beta{ch}",
        "compose": "",
        "weights": f"scale = gamma / np.sqrt(running_var + eps)\nw_fold = w * scale{SHAPE[layer]}",
        "bias": "b_fold = (b - running_mean) * scale + beta",
        "check": "y_fold = layer(x, w_fold, b_fold)\nmax_diff = np.array(np.abs(y - y_fold).max())",
    }


def values(le: FoldLesson) -> dict[str, dict[str, Array]]:
    f = le.fold
    return {
        "layer": {"x": le.x, "w": f.w, "b": f.b, "z": le.z},
        "bn": {"gamma": f.gamma, "beta": f.beta, "running_mean": f.running_mean, "running_var": f.running_var,
               "y": le.y},
        "compose": {},
        "weights": {"scale": f.scale, "w_fold": f.w_fold},
        "bias": {"b_fold": f.b_fold},
        "check": {"y_fold": le.y_fold, "max_diff": np.array(np.abs(le.y - le.y_fold).max())},
    }


def _eq(lhs: sp.Basic, rhs: sp.Basic) -> str:
    return f"{P.latex(lhs)} = {P.latex(rhs)}"


@lru_cache(maxsize=len(F.LAYERS))
def formulas(layer: str) -> dict[str, tuple[str, ...]]:
    """step -> formula lines, printed from the SymPy derivation (cached)."""
    d, g = F.derivation(layer), F.SYM
    W, Wf = g["W"], g["Wf"]
    idx = (F.k, F.j) if layer == "affine" else (F.j, F.c, F.r, F.s)
    return {
        "layer": (_eq(g["z"], d.layer),),
        "bn": (_eq(g["y"], F.bn_test(g["z"])),),
        "compose": (_eq(g["y"], d.composed), _eq(g["y"], sp.Add(sp.Mul(d.scale, d.lin, evaluate=False), d.bias,
                                                                  evaluate=False))),
        "weights": (_eq(Wf[idx], sp.Mul(W[idx], d.scale, evaluate=False)),),
        "bias": (_eq(g["bf"], d.bias),),
        "check": (_eq(g["y"], sp.Add(d.folded_lin, g["bf"], evaluate=False)),),
    }


def walkthrough(settings: Settings, lang: str, layer: str = DEFAULTS["layer"],
                d_out: int = DEFAULTS["d_out"]) -> Walkthrough:
    """The fold lesson as steps (course entry point)."""
    return build(compute(settings, layer, d_out), settings, lang, {"layer": layer, "d_out": int(d_out)})


def build(le: FoldLesson, settings: Settings | None, lang: str, params: dict) -> Walkthrough:
    lines, vals, codes = formulas(le.layer), values(le), code(le.layer)
    steps = tuple(
        Step(f"forward.{n}", "forward", t(f"step.fold.{n}.title", lang), lines[n], (),
             t(f"step.fold.{n}.note", lang) if n != "check" else t(
                 "step.fold.check.note", lang, diff=f"{float(vals['check']['max_diff']):.1e}"),
             vals[n], "", codes[n])
        for n in STEPS)
    record = {**(asdict(settings) if settings is not None else {}), **params}
    return Walkthrough("fold", t("page.fold.title", lang), lang, record, steps, le.setup, dict(labels(le.layer)))
