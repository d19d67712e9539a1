"""The conv lesson's formulas, all SymPy expressions printed by the project's printer: the general
ones derived from the layer's one definition (:func:`bnviz.ops.conv.derivation`), the concrete
case entry by entry (:func:`bnviz.ops.conv.concrete`, up to CONCRETE_MAX), and the sums of the
arrays on screen written out with their numbers (:mod:`bnviz.lessons.written`).
"""

from __future__ import annotations

from functools import lru_cache

import sympy as sp

from bnviz import written as w
from bnviz.lessons.conv_problem import TYPED_MAX, ConvProblem
from bnviz.lessons.windowed import show_matrix
from bnviz.ops import conv
from bnviz.ops.windows import C_, F_, HH_, HO_, INDEX, P_, S_, WO_, WW_
from bnviz.symbolic.printing import partial_name

CONCRETE_MAX = 9
"""The concrete SymPy case is written out up to this padded input side (beyond: general formulas only)."""

N_, W_ = sp.symbols("N W", integer=True, positive=True)
Forms = dict[str, tuple[tuple[str, ...], tuple[str, ...]]]
"""step -> (formula lines, local-derivative lines)."""


def _grad(indexed: sp.Basic) -> sp.Symbol:
    """The name ∂L/∂<indexed> (notation)."""
    return w.d(w.tex(indexed))


def _dO(indexed: sp.Basic) -> sp.Symbol:
    """The name ∂O_{f,i,j}/∂<indexed> (notation)."""
    return w.d(w.tex(indexed), "O_{f,i,j}")


def sizes_line(sh: dict[str, int]) -> str:
    """The concrete sizes on two lines: N = 1, C = 1, … and H × W = 4 × 4, …"""
    def times(a: sp.Basic, b: sp.Basic) -> sp.Expr:
        return sp.Mul(a, b, evaluate=False)

    first = [sp.Eq(s, sh[k], evaluate=False) for s, k in ((N_, "N"), (C_, "C"), (F_, "F"), (S_, "S"), (P_, "P"))]
    second = [sp.Eq(times(a, b), times(sp.Integer(sh[ka]), sp.Integer(sh[kb])), evaluate=False)
              for a, b, ka, kb in ((conv.H_, W_, "H", "W"), (HH_, WW_, "HH", "WW"), (HO_, WO_, "Ho", "Wo"))]
    rows = [r",\ ".join(sp.latex(e, mul_symbol="times") for e in line) for line in (first, second)]
    return rf"\begin{{gathered}}{rows[0]} \\ {rows[1]}\end{{gathered}}"


@lru_cache(maxsize=1)
def general() -> dict[str, str]:
    """The derived general formulas in LaTeX (cached)."""
    d = conv.derivation()
    f, c, i, j, k, ell, u, v = (INDEX[n] for n in "f c i j k l u v".split())
    return {
        "forward": w.formula_eq(sp.IndexedBase("O")[f, i, j], d.forward),
        "dO_dX": w.formula_eq(_dO(conv.XPAD[c, k, ell]), d.dO_dX),
        "dO_dF": w.formula_eq(_dO(conv.FW[f, c, u, v]), d.dO_dF),
        "dO_db": w.formula_eq(_dO(conv.BIAS[f]), d.dO_db),
        "dL_dX": w.formula_eq(_grad(conv.XPAD[c, k, ell]), d.dL_dX),
        "dL_dF": w.formula_eq(_grad(conv.FW[f, c, u, v]), d.dL_dF),
        "dL_db": w.formula_eq(_grad(conv.BIAS[f]), d.dL_db),
        "full": w.formula_eq(_grad(conv.XPAD[c, k, ell]), d.full),
        "size": w.formula_eq(HO_, d.out_rows),
        "crop": w.formula_eq(_grad(sp.IndexedBase("X")[c, k, ell]), _grad(conv.XPAD[c, k + P_, ell + P_])),
    }


def small(p: ConvProblem) -> bool:
    """Small enough to write out entry by entry (the page's sizes; larger arrays come from the CLI)."""
    sh = p.shape
    return (max(sh["H"], sh["W"]) + 2 * sh["P"] <= CONCRETE_MAX and max(sh["HH"], sh["WW"]) <= 5
            and max(sh["C"], sh["F"]) <= TYPED_MAX["channels"])


def formulas(p: ConvProblem) -> Forms:
    """step -> (formula lines, local-derivative lines) for this problem's sizes and numbers."""
    sh = p.shape
    forms = dict(shape_formulas(sh["H"], sh["W"], sh["HH"], sh["WW"], sh["S"], sh["P"], small(p)))
    lines, local = forms["channels"]
    if small(p):
        forms["channels"] = ((*lines, *channel_sums(p)), local)
    lines, local = forms["forward"]
    forms["forward"] = ((lines[0], sizes_line(sh), general()["size"], *lines[1:]), local)
    for name, line in first_sums(p).items():
        lines, local = forms[name]
        forms[name] = ((*lines, line), local)
    return forms


@lru_cache(maxsize=64)
def shape_formulas(h: int, w_: int, hh: int, ww: int, stride: int, pad: int, written_out: bool) -> Forms:
    """The formulas of one set of sizes (no numbers): general lines, and when ``written_out``
    the concrete case entry by entry. Cached: SymPy's printing is the slow part."""
    g = general()
    if not written_out:
        return {name: ((g[key],), ()) for name, key in (
            ("forward", "forward"), ("dw", "dL_dF"), ("rotate", "full"), ("dilate", "full"), ("slide", "full"),
            ("scatter", "dL_dX"), ("channels", "dL_dX"))}
    cc = conv.concrete(h, w_, hh, ww, stride, pad)

    def grad(of: str, wrt: str, m: sp.Matrix) -> str:
        """∂of/∂wrt as a matrix, or entry by entry (``of`` is L or O_{11})."""
        return show_matrix(partial_name(wrt, of), lambda idx: partial_name(f"{wrt}_{{{idx}}}", of), m)

    diff = sp.Matrix(h, w_, lambda r, s: sp.expand(cc.dX_full_pad[r + pad, s + pad] - cc.dX[r, s]))
    views = sp.Add(w.name(partial_name("X") + r"\Big|_{full}"), -w.name(partial_name("X") + r"\Big|_{scatter}"),
                   evaluate=False)
    check = w.equals(views, w.matrix(diff))
    return {
        "forward": ((g["forward"], show_matrix("O", lambda idx: f"O_{{{idx}}}", cc.out)),
                    (grad("O_{11}", "X", cc.dO11_dX), grad("O_{11}", "F", cc.dO11_dF), g["dO_dX"], g["dO_dF"],
                     g["dO_db"])),
        "dw": ((g["dL_dF"], g["dL_db"], grad("L", "F", cc.dF), w.equals(_grad(w.name("b")), cc.db)),
               (g["dO_dF"], g["dO_db"])),
        "rotate": ((w.equals(w.name("F"), w.matrix(cc.F)), w.equals(w.name("F^{flip}"), w.matrix(cc.F_flip)),
                    w.equals(w.name("F^{rot}"), w.matrix(cc.F_rot))), ()),
        "dilate": ((w.equals(w.name("dO"), w.matrix(cc.D)), w.equals(w.name("dO^{dil}"), w.matrix(cc.D_dil)),
                    w.equals(w.name("dO^{pad}"), w.matrix(cc.D_pad))), ()),
        "slide": ((g["full"], g["crop"], grad("L", "X^{pad}", cc.dX_full_pad)), ()),
        "scatter": ((g["dL_dX"], grad("L", "X", cc.dX), check), (g["dO_dX"], grad("O_{11}", "X", cc.dO11_dX))),
        "channels": ((g["forward"], g["dL_dX"]), ()),
    }


def channel_sums(p: ConvProblem) -> list[str]:
    """The channel sums with numbers, sample 1: O_f = Σ_c (…) + b_f and ∂L/∂X_c = Σ_f (…),
    each the parts, then the total."""
    n, sh = 0, p.shape
    lines = [w.aligned(w.name(f"O_{{{f + 1}}}"), w.broadcast_sum(list(p.out_by_c[n, f]), p.b[f]), w.matrix(p.out[n, f]))
             for f in range(sh["F"])]
    lines += [w.aligned(_grad(w.name(f"X_{{{c + 1}}}")), w.broadcast_sum(list(p.dx_by_f[n, :, c])),
                        w.matrix(p.dx[n, c])) for c in range(sh["C"])]
    return lines


def first_sums(p: ConvProblem) -> dict[str, str]:
    """Each step's first sum written out with the numbers (sample 1, channel pair 1, 1); the
    forward one ends with the bias b_1."""
    n, f, c = 0, 0, 0
    hh, ww, s = p.shape["HH"], p.shape["WW"], p.stride
    fwd = w.products((p.w[f, cc, a, bb], p.xp[n, cc, a, bb]) for cc in range(p.shape["C"]) for a in range(hh)
                     for bb in range(ww))
    dw = w.products((p.xp[n, c, s * i, s * j], p.dout[n, f, i, j]) for i in range(p.shape["Ho"])
                    for j in range(p.shape["Wo"]))
    slide = w.products((p.w_rot[ff, c, a, bb], p.dout_pad[n, ff, a, bb]) for ff in range(p.shape["F"])
                       for a in range(hh) for bb in range(ww) if p.dout_pad[n, ff, a, bb] != 0)
    return {
        "forward": w.sum_equation(w.name("O_{1,1,1}"), [*fwd, w.number(p.b[f])], p.out[n, f, 0, 0]),
        "dw": w.sum_equation(w.d("F_{1,1,1,1}"), dw, p.dw[f, c, 0, 0]),
        "slide": w.sum_equation(w.d("X^{pad}_{1,1,1}"), slide, p.dxp[n, c, 0, 0]),
    }
