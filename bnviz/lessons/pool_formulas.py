"""The pool lesson's formulas, SymPy expressions printed by the project's printer: the average's
derivative derived from its definition (:func:`bnviz.ops.pool.derivation`), the max's from the
first-maximum selector (:func:`bnviz.ops.pool.concrete`: Heaviside steps θ(z, H0) whose values at
0 encode the tie rule, evaluated on the live numbers by :func:`bnviz.ops.pool.max_derivative_at`),
and each window written out with its numbers (:mod:`bnviz.lessons.written`).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import sympy as sp

from bnviz import written as w
from bnviz.lessons.pool_problem import TYPED_MAX, PoolProblem
from bnviz.lessons.windowed import show_matrix
from bnviz.ops import pool
from bnviz.ops.pool import Pooling
from bnviz.ops.windows import INDEX, REAL, S_, entry_symbol
from bnviz.symbolic.printing import partial_name

Array = np.ndarray
Forms = dict[str, tuple[tuple[str, ...], tuple[str, ...]]]
"""step -> (formula lines, local-derivative lines)."""

NOTATION = {
    "max": r"O_{{i,j}} = \max_{{1 \leq p, q \leq K}} {cell}",
    "accumulate": r"{grad} \mathrel{{+}}= {chain}",
}
"""Notation only (``str.format`` fields in braces): the max over a window (SymPy has no max over an
index range) and "adds to" (each window adds its share to a cell's gradient)."""


@lru_cache(maxsize=1)
def general() -> dict[str, str]:
    """The general formulas in LaTeX: the max (notation: the window's largest cell) and the derived average."""
    d = pool.derivation()
    i, j, p, q = (INDEX[n] for n in "i j p q".split())
    o_ij = w.name("O_{i,j}")
    cell = w.formula(d.cell)
    dO = w.d(cell, "O_{i,j}")
    chain = sp.Mul(w.d("O_{i,j}"), dO, evaluate=False)
    term = w.formula(d.avg_term.subs({pool.DOUT[i, j]: sp.Symbol("dO_{i,j}")}))
    return {
        "max": NOTATION["max"].format(cell=w.formula(pool.XPAD[S_ * (i - 1) + p, S_ * (j - 1) + q])),
        "avg": w.formula_eq(o_ij, d.avg),
        "avg_local": w.formula_eq(dO, d.avg_local),
        "avg_term": NOTATION["accumulate"].format(grad=partial_name(cell),
                                                  chain=f"{w.tex(chain)} = {term}"),
    }


@lru_cache(maxsize=64)
def shape_formulas(layer: Pooling, kind: str) -> tuple[str, tuple[str, ...]]:
    """(O written out window by window, the local derivatives of a K×K window) for one geometry;
    cached, since SymPy's printing is the slow part. Padding and overhang cells are in no entry
    (−∞ never wins a max; an average divides by D_{i,j})."""
    h, wd = layer.rows.size, layer.cols.size
    k, s, p = layer.size, layer.stride, layer.pad
    xs = sp.Matrix(h, wd, lambda r, q: entry_symbol("x", r + 1, q + 1))
    kinds = layer.kinds()
    div = layer.divisors()

    def entry(i: int, j: int) -> sp.Expr:
        cells = [xs[r - p, q - p] for r in range(s * i, s * i + k) for q in range(s * j, s * j + k)
                 if kinds[r, q] == REAL]
        if kind == "max":
            return sp.Max(*cells, evaluate=False) if len(cells) > 1 else cells[0]
        return sp.Add(*cells) / int(div[i, j])

    out = show_matrix("O", lambda idx: f"O_{{{idx}}}", sp.Matrix(*layer.out_shape, entry))
    pc = pool.concrete(k)
    local = show_matrix(partial_name("x", "O_{11}"), lambda idx: partial_name(f"x_{{{idx}}}", "O_{11}"),
                        pc.dmax if kind == "max" else pc.davg)
    return out, ((local,) if kind == "max" else (general()["avg_local"], local))


@lru_cache(maxsize=256)
def _max_derivative(i: int, j: int, values: tuple[tuple[float, ...], ...]) -> str:
    """∂O_{ij}/∂x of one K×K max window at these numbers (SymPy, cached by the numbers)."""
    m = np.array(values)
    at = w.name(partial_name("x", f"O_{{{i + 1}{j + 1}}}") + rf"\Big|_{{x = {w.tex(w.matrix(m))}}}")
    return w.equals(at, w.matrix(pool.max_derivative_at(m)))


def _at(pp: PoolProblem, i: int, j: int) -> str:
    return _max_derivative(i, j, tuple(map(tuple, pp.window(0, 0, i, j).tolist())))


def small(pp: PoolProblem) -> bool:
    """Small enough to write out window by window (the page's sizes; larger arrays come from the CLI)."""
    return max(pp.x.shape[2:]) <= TYPED_MAX and pp.size <= 4 and pp.x.shape[0] * pp.x.shape[1] == 1


def _full_windows(pp: PoolProblem) -> list[tuple[int, int]]:
    """Windows (i, j) of sample 1 made of input cells only (no padding, no overhang)."""
    ho, wo = pp.layer.out_shape
    return [(i, j) for i in range(ho) for j in range(wo) if np.all(np.isfinite(pp.window(0, 0, i, j)))]


def formulas(pp: PoolProblem) -> Forms:
    """step -> (formula lines, local-derivative lines)."""
    g = general()
    kind = pp.kind
    if not small(pp):
        main = g[kind]
        back = g["avg_term"] if kind == "avg" else main
        return {"forward": ((main,), ()), "backward": ((back,), ()), "compare": ((g["max"], g["avg"]), ())}
    shown_out, local = shape_formulas(pp.layer, kind)
    first = pp.window(0, 0, 0, 0)
    real = first[np.isfinite(first)]
    full = _full_windows(pp)
    o11, out11 = w.name("O_{11}"), w.number(pp.out[0, 0, 0, 0])
    divisors = w.equals(w.name("D"), w.matrix(pp.divisors))
    back = []
    if kind == "max":
        fwd_nums = w.equals(o11, w.WindowMax(*[w.number(v) for v in real]), out11)
        if full:
            local = (*local, _at(pp, *full[0]))
        tied = [(i, j) for i, j in full if pp.ties[0, 0, i, j]]
        if tied:
            back.append(_at(pp, *tied[0]))
    else:
        fwd_nums = w.equals(o11, w.average(real, int(pp.divisors[0, 0])), out11)
        back += [g["avg_term"], divisors]
    dx = w.d("x")
    route = (w.equals(dx, w.matrix(pp.dx[0, 0])),)
    forward_lines = (g[kind], *((divisors,) if kind == "avg" else ()), shown_out, fwd_nums)
    dout = pp.dout[0, 0]
    return {
        "forward": (forward_lines, local),
        "backward": ((w.equals(w.d("O"), w.matrix(dout)), *back, *route), local),
        "compare": ((w.equals(w.name(partial_name("x") + r"\Big|_{max}"), w.matrix(pp.dx_max[0, 0])),
                     w.equals(w.name(partial_name("x") + r"\Big|_{avg}"), w.matrix(pp.dx_avg[0, 0])),
                     w.sum_equation(w.name(r"\sum " + partial_name("O")), [w.number(v) for v in dout.ravel()],
                                    float(pp.dout.sum()), per_line=16)), ()),
    }
