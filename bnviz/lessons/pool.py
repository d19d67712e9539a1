"""The pooling lesson: max pooling routes each gradient to its window's arg-max, average
pooling spreads it over the window; overlapping windows accumulate; PyTorch's shape rules
(floor or ceil_mode, padding: −∞ for max, ``count_include_pad`` for the average's divisor).

Numbers come from :mod:`bnviz.ops.pool` (the tie rule is documented there: the first
maximum in row-major order, as PyTorch); formulas from its SymPy definitions: the
average's derivative (:func:`bnviz.ops.pool.derivation`) and the max's
(:func:`bnviz.ops.pool.concrete`: the first-maximum selector, a product of Heaviside
steps θ(z, H0) whose values at 0 encode the tie rule, evaluated on the live numbers by
:func:`bnviz.ops.pool.max_derivative_at`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from functools import lru_cache

import numpy as np
import sympy as sp

from bnviz.data import parse_matrix
from bnviz.i18n import InputError, t
from bnviz.lessons.windowed import (
    check_params,
    course_builder,
    draw,
    plural,
    setup_code,
    show_matrix,
    step,
)
from bnviz.limits import MAX_CONV_CELLS, check_cells
from bnviz.numfmt import equation, fmt, lfactor, lnum, matrix_latex, matrix_text
from bnviz.ops import pool
from bnviz.ops.pool import KINDS, Pooling
from bnviz.ops.windows import INDEX, OVERHANG, REAL, S_, checked_array, entry_symbol, shape_text
from bnviz.steps import Walkthrough

Array = np.ndarray

LIMITS: dict[str, tuple[int, int]] = {"size": (3, 7), "window": (2, 3), "stride": (1, 3), "pad": (0, 1)}
"""The page's sliders: X is size×size, windows window×window, stride S, padding P."""
TYPED_MAX = 9

LABELS = {"x": "X", "out": "O", "dout": "∂L/∂O", "dx": "∂L/∂X", "dx_max": "∂L/∂X (max)", "dx_avg": "∂L/∂X (avg)"}
STEPS = ("forward", "backward", "compare")


@dataclass(frozen=True)
class PoolParams:
    """The pool page's own controls: X size×size (random modes), K×K windows, stride S, padding P,
    ceil_mode, count_include_pad (average), kind "max" or "avg", values (see
    bnviz.lessons.windowed.VALUE_MODES) and typed X, dL/dO."""

    size: int = 4
    window: int = 2
    stride: int = 2
    pad: int = 0
    ceil_mode: bool = False
    count_include_pad: bool = True
    kind: str = "max"
    values: str = "integers"
    x_text: str = ""
    dout_text: str = ""


@dataclass(frozen=True, eq=False)
class PoolProblem:
    """x (N, C, H, W), dout (N, C, H', W'), the layer (:class:`bnviz.ops.pool.Pooling`, of ``kind``),
    everything computed by :func:`make_problem`.

    out_max, out_avg (N, C, H', W'); arg: each window's arg-max (flat row-major index, the first
    maximum); rows, cols: its cell in the drawn grid (padded coordinates); ties: windows holding
    their maximum more than once; divisors (H', W'): the average's; dx_max, dx_avg (N, C, H, W);
    out, dx: those of ``kind``; kinds: REAL / PAD / DROPPED / OVERHANG of every drawn cell.
    """

    x: Array
    dout: Array
    layer: Pooling
    out_max: Array
    out_avg: Array
    arg: Array
    rows: Array
    cols: Array
    ties: Array
    divisors: Array
    dx_max: Array
    dx_avg: Array
    kinds: Array
    setup: str = ""
    record: dict = field(default_factory=dict)

    @property
    def kind(self) -> str:
        return self.layer.kind

    @property
    def size(self) -> int:
        return self.layer.size

    @property
    def stride(self) -> int:
        return self.layer.stride

    @property
    def pad(self) -> int:
        return self.layer.pad

    @property
    def out(self) -> Array:
        return self.out_max if self.kind == "max" else self.out_avg

    @property
    def dx(self) -> Array:
        return self.dx_max if self.kind == "max" else self.dx_avg

    @property
    def grid(self) -> Array:
        """x[0, 0] in the drawn grid (padded coordinates), NaN outside the input."""
        return self.layer.canvas(self.x[0, 0], np.nan)

    @property
    def sums(self) -> dict[str, float]:
        """Σ ∂L/∂X of max and of average pooling, and Σ ∂L/∂O (equal for max; for the average
        only without padding counted in the divisor)."""
        return {"max": float(self.dx_max.sum()), "avg": float(self.dx_avg.sum()), "total": float(self.dout.sum())}

    def window(self, n: int, c: int, i: int, j: int) -> Array:
        """Window (i, j) of sample n, channel c in the drawn grid (NaN outside the input)."""
        s, k = self.stride, self.size
        return self.layer.canvas(self.x[n, c], np.nan)[s * i:s * i + k, s * j:s * j + k]


def make_problem(x: object, dout: object, size: int, stride: int, kind: str, setup: str = "",
                 record: dict | None = None, pad: int = 0, ceil_mode: bool = False,
                 count_include_pad: bool = True) -> PoolProblem:
    """Check the arrays (InputError with an error.conv.* key) and compute everything."""
    for name, arr in (("X", x), ("dout", dout)):
        check_cells(name, np.shape(arr), MAX_CONV_CELLS)  # bnviz.limits: before any work
    x = checked_array(x, "X", 4)
    out_max, cache = pool.forward(x, size, stride, "max", pad, ceil_mode, count_include_pad)
    out_avg, cache_avg = pool.forward(x, size, stride, "avg", pad, ceil_mode, count_include_pad)
    layer = pool.pooling(x.shape, size, stride, kind, pad, ceil_mode, count_include_pad)
    dout = pool.check_dout(dout, out_max.shape)
    arg = cache[2]
    rows, cols = pool.argmax_cells(arg, layer)
    win = layer.windows(layer.canvas(x, -np.inf))
    ties = (win == out_max[..., None]).sum(axis=-1) > 1
    return PoolProblem(x, dout, layer, out_max, out_avg, arg, rows, cols, ties, layer.divisors(),
                       pool.backward(dout, cache), pool.backward(dout, cache_avg), layer.kinds(), setup,
                       record or {})


def _typed(text: str, what: str) -> Array:
    m = parse_matrix(text, what)
    if max(m.shape) > TYPED_MAX:
        raise InputError("error.conv.typed_size_pool", what=what, shape=shape_text(m.shape), limit=TYPED_MAX)
    return m[None, None]


def _check(p: PoolParams) -> None:
    check_params(p, LIMITS)
    if p.kind not in KINDS:
        raise InputError("error.conv.pool_kind", kind=p.kind)


@lru_cache(maxsize=32)
def page_problem(seed: int, p: PoolParams) -> PoolProblem:
    """The problem the page's controls describe (cached; InputError for bad input)."""
    _check(p)
    record = {"seed": seed, **asdict(p)}
    head = (f"size, stride, pad, ceil_mode, count_include_pad = {p.window}, {p.stride}, {p.pad}, "
            f"{bool(p.ceil_mode)}, {bool(p.count_include_pad)}")
    geometry = {"pad": p.pad, "ceil_mode": p.ceil_mode, "count_include_pad": p.count_include_pad}
    if p.values == "typed":
        x = _typed(p.x_text, "X")
        pool.pooling(x.shape, p.window, p.stride, p.kind, **geometry)
        dout = _typed(p.dout_text, "dL/dO")
        setup = setup_code(head, {"x": x, "dout": dout})
    else:
        shape = (1, 1, p.size, p.size)
        layer = pool.pooling(shape, p.window, p.stride, p.kind, **geometry)
        arrays, drawn = draw(seed, p.values, {"x": shape, "dout": (1, 1, *layer.out_shape)})
        x, dout = arrays["x"], arrays["dout"]
        setup = setup_code(head, drawn=drawn)
    return make_problem(x, dout, p.window, p.stride, p.kind, setup, record, **geometry)


def typed_defaults(seed: int, p: PoolParams) -> dict[str, str]:
    """Text for the typed-in boxes: the integers the seed draws (at these settings, or stride 1 if they do not fit)."""
    q = PoolParams(size=p.size, window=p.window, stride=p.stride, pad=p.pad, ceil_mode=p.ceil_mode)
    try:
        pp = page_problem(seed, q)
    except InputError:
        pp = page_problem(seed, PoolParams(size=p.size, window=p.window, stride=1))
    return {"x_text": matrix_text(pp.x[0, 0]), "dout_text": matrix_text(pp.dout[0, 0])}


# -------------------------------------------------------------- the steps --

FORWARD_CODE = """N, C, H, W = x.shape


def out_len(n):  # PyTorch's rule: floor, or ceil_mode with the last window starting inside
    o = (n + 2 * pad - size + (stride - 1 if ceil_mode else 0)) // stride + 1
    return o - 1 if ceil_mode and (o - 1) * stride >= n + pad else o


Ho, Wo = out_len(H), out_len(W)
rows, cols = max((Ho - 1) * stride + size, H + 2 * pad), max((Wo - 1) * stride + size, W + 2 * pad)
grid = np.full((N, C, rows, cols), -np.inf)  # max pooling pads with -inf
grid[:, :, pad:pad + H, pad:pad + W] = x
counted = np.zeros((rows, cols))  # the cells an average divides by
if count_include_pad:
    counted[:H + 2 * pad, :W + 2 * pad] = 1
else:
    counted[pad:pad + H, pad:pad + W] = 1
out_max, out_avg = np.zeros((N, C, Ho, Wo)), np.zeros((N, C, Ho, Wo))
arg, divisor = np.zeros((N, C, Ho, Wo), dtype=int), np.zeros((Ho, Wo))
for i in range(Ho):
    for j in range(Wo):
        r, q = slice(i * stride, i * stride + size), slice(j * stride, j * stride + size)
        window = grid[:, :, r, q].reshape(N, C, -1)
        arg[:, :, i, j] = window.argmax(axis=2)  # the first maximum in row-major order
        out_max[:, :, i, j] = window.max(axis=2)
        divisor[i, j] = counted[r, q].sum()
        out_avg[:, :, i, j] = np.where(np.isinf(window), 0, window).sum(axis=2) / divisor[i, j]
out = out_{kind}"""

MAX_BACK = """g = np.zeros((N, C, rows, cols))
for i in range(Ho):
    for j in range(Wo):
        a, b = np.divmod(arg[:, :, i, j], size)
        for n in range(N):
            for c in range(C):
                g[n, c, i * stride + a[n, c], j * stride + b[n, c]] += dout[n, c, i, j]
{name} = g[:, :, pad:pad + H, pad:pad + W]"""

AVG_BACK = """g = np.zeros((N, C, rows, cols))
for i in range(Ho):
    for j in range(Wo):
        r, q = slice(i * stride, i * stride + size), slice(j * stride, j * stride + size)
        g[:, :, r, q] += dout[:, :, i, j, None, None] / divisor[i, j]
{name} = g[:, :, pad:pad + H, pad:pad + W]  # the padding's share is dropped"""


def code(kind: str) -> dict[str, str]:
    """Each step in plain NumPy (run after the walkthrough's setup and the earlier steps)."""
    back = MAX_BACK if kind == "max" else AVG_BACK
    return {
        "forward": FORWARD_CODE.format(kind=kind),
        "backward": back.format(name="dx"),
        "compare": MAX_BACK.format(name="dx_max") + "\n" + AVG_BACK.format(name="dx_avg"),
    }


VALUES = {"forward": ("x", "out"), "backward": ("dout", "dx"), "compare": ("dout", "dx_max", "dx_avg")}


@lru_cache(maxsize=1)
def general() -> dict[str, str]:
    """The general formulas in LaTeX: the max (notation: the window's largest cell) and the derived average."""
    d = pool.derivation()
    i, j, p, q = (INDEX[n] for n in "i j p q".split())
    window_cell = sp.latex(pool.XPAD[S_ * (i - 1) + p, S_ * (j - 1) + q])
    cell = sp.latex(d.cell)
    return {
        "max": rf"O_{{i,j}} = \max_{{1 \leq p, q \leq K}} {window_cell}",  # notation: max over the window
        "avg": f"O_{{i,j}} = {sp.latex(d.avg)}",
        "avg_local": rf"\frac{{\partial O_{{i,j}}}}{{\partial {cell}}} = {sp.latex(d.avg_local)}",
        "avg_term": rf"\frac{{\partial L}}{{\partial {cell}}} \mathrel{{+}}= "
                    rf"\frac{{\partial L}}{{\partial O_{{i,j}}}} \frac{{\partial O_{{i,j}}}}{{\partial {cell}}} = "
                    f"{sp.latex(d.avg_term.subs({pool.DOUT[i, j]: sp.Symbol('dO_{i,j}')}))}",
    }


@lru_cache(maxsize=64)
def shape_formulas(layer: Pooling, kind: str) -> tuple[str, tuple[str, ...]]:
    """(O written out window by window, the local derivatives of a K×K window) for one geometry;
    cached, since SymPy's printing is the slow part. Padding and overhang cells are in no entry
    (−∞ never wins a max; an average divides by D_{i,j})."""
    h, w = layer.rows.size, layer.cols.size
    k, s, p = layer.size, layer.stride, layer.pad
    xs = sp.Matrix(h, w, lambda r, q: entry_symbol("x", r + 1, q + 1))
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
    local = show_matrix(r"\frac{\partial O_{11}}{\partial x}",
                        lambda idx: rf"\frac{{\partial O_{{11}}}}{{\partial x_{{{idx}}}}}",
                        pc.dmax if kind == "max" else pc.davg)
    return out, ((local,) if kind == "max" else (general()["avg_local"], local))


@lru_cache(maxsize=256)
def _max_derivative(values: tuple[tuple[float, ...], ...]) -> str:
    """LaTeX of ∂O/∂x of one K×K max window at these numbers (SymPy, cached by the numbers)."""
    m = np.array(values)
    return r"\Big|_{x = " + matrix_latex(m) + "} = " + matrix_latex(pool.max_derivative_at(m))


def _at(w: Array) -> str:
    return _max_derivative(tuple(map(tuple, w.tolist())))


def small(pp: PoolProblem) -> bool:
    """Small enough to write out window by window (the page's sizes; larger arrays come from the CLI)."""
    return max(pp.x.shape[2:]) <= TYPED_MAX and pp.size <= 4 and pp.x.shape[0] * pp.x.shape[1] == 1


def _full_windows(pp: PoolProblem) -> list[tuple[int, int]]:
    """Windows (i, j) of sample 1 made of input cells only (no padding, no overhang)."""
    ho, wo = pp.layer.out_shape
    return [(i, j) for i in range(ho) for j in range(wo) if np.all(np.isfinite(pp.window(0, 0, i, j)))]


def formulas(pp: PoolProblem) -> dict[str, tuple[tuple[str, ...], tuple[str, ...]]]:
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
    nums = [lnum(v) for v in real]
    full = _full_windows(pp)
    if kind == "max":
        fwd_nums = rf"O_{{11}} = \max({', '.join(nums)}) = {lnum(pp.out[0, 0, 0, 0])}"
        if full:
            i, j = full[0]
            local = (*local, rf"\frac{{\partial O_{{{i + 1}{j + 1}}}}}{{\partial x}}" + _at(pp.window(0, 0, i, j)))
    else:
        fwd_nums = (rf"O_{{11}} = \frac{{{' + '.join(lfactor(v) for v in real)}}}{{{int(pp.divisors[0, 0])}}}"
                    f" = {lnum(pp.out[0, 0, 0, 0])}")
    back = []
    if kind == "max":
        tied = [(i, j) for i, j in full if pp.ties[0, 0, i, j]]
        if tied:
            i, j = tied[0]
            back.append(rf"\frac{{\partial O_{{{i + 1}{j + 1}}}}}{{\partial x}}" + _at(pp.window(0, 0, i, j)))
    else:
        back.append(g["avg_term"])
        back.append(f"D = {matrix_latex(pp.divisors)}")
    route = (rf"\frac{{\partial L}}{{\partial x}} = {matrix_latex(pp.dx[0, 0])}",)
    forward_lines = (g[kind], *((f"D = {matrix_latex(pp.divisors)}",) if kind == "avg" else ()), shown_out, fwd_nums)
    return {
        "forward": (forward_lines, local),
        "backward": ((rf"\frac{{\partial L}}{{\partial O}} = {matrix_latex(pp.dout[0, 0])}", *back, *route), local),
        "compare": ((rf"\frac{{\partial L}}{{\partial x}}\Big|_{{max}} = {matrix_latex(pp.dx_max[0, 0])}",
                     rf"\frac{{\partial L}}{{\partial x}}\Big|_{{avg}} = {matrix_latex(pp.dx_avg[0, 0])}",
                     equation(r"\sum \frac{\partial L}{\partial O}",
                              [" + ".join(lfactor(v) for v in pp.dout[0, 0].ravel())], float(pp.dout.sum()))), ()),
    }


def _notes(pp: PoolProblem, name: str, lang: str, fields_: dict) -> str:
    """The step's note and the sentences its settings call for (ties, overlap, padding, dropped, overhang)."""
    kind = pp.kind
    key = f"step.pool.{name}.note_{kind}" if name != "compare" else "step.pool.compare.note"
    parts = [t(key, lang, **fields_)]
    if kind == "max" and name != "compare" and fields_["ties"]:
        parts.append(t(plural("step.pool.ties_note", fields_["ties"]), lang, **fields_))
    if name != "forward" and pp.stride < pp.size:
        parts.append(t("step.pool.overlap_note", lang, **fields_))
    if name == "forward":
        if pp.pad:
            rule = "max" if kind == "max" else ("avg_include" if pp.layer.count_include_pad else "avg_exclude")
            parts.append(t(f"step.pool.pad_note_{rule}", lang, **fields_))
        if fields_["n"]:
            parts.append(t(plural("step.pool.dropped_note", max(fields_["dr"], fields_["dc"])), lang, **fields_))
        if fields_["over"]:
            parts.append(t("step.pool.ceil_note", lang, **fields_))
    if name == "compare" and abs(pp.sums["avg"] - pp.sums["total"]) > 1e-9:
        parts.append(t("step.pool.compare_pad_note", lang, avg=fmt(pp.sums["avg"])))
    return " ".join(parts)


def pool_walkthrough(pp: PoolProblem, lang: str = "en", record: dict | None = None) -> Walkthrough:
    """The pool page's steps for one problem, in ``lang``."""
    forms = formulas(pp)
    codes = code(pp.kind)
    rows, cols = pp.layer.rows, pp.layer.cols
    fields_ = {"K": pp.size, "S": pp.stride, "P": pp.pad, "K2": pp.size ** 2, "ties": int(pp.ties.sum()),
               "windows": int(pp.ties.size), "total": fmt(pp.dout.sum()), "dr": rows.dropped, "dc": cols.dropped,
               "n": rows.dropped + cols.dropped, "over": int((pp.kinds == OVERHANG).any())}
    steps = []
    for name in STEPS:
        lines, local = forms[name]
        title = t(f"step.pool.{name}.title_{pp.kind}" if name != "compare" else "step.pool.compare.title", lang)
        steps.append(step("pool", name, title, lines, local, _notes(pp, name, lang, fields_),
                          {k: getattr(pp, k) for k in VALUES[name]}, codes[name]))
    settings = {**(record or {}), **pp.record, "K": pp.size, "S": pp.stride, "P": pp.pad,
                "ceil_mode": pp.layer.ceil_mode, "count_include_pad": pp.layer.count_include_pad, "kind": pp.kind}
    return Walkthrough("pool", t("page.pool.title", lang), lang, settings, tuple(steps), pp.setup, dict(LABELS))


walkthrough = course_builder(PoolParams, page_problem, pool_walkthrough)
"""The course builder (``bnviz.course``): the page's controls at ``params`` (defaults when omitted)."""
