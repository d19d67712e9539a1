"""The pooling lesson: max pooling routes each gradient to its window's arg-max, average
pooling spreads it evenly; overlapping windows accumulate.

Numbers come from :mod:`bnviz.conv` (``maxpool_*``, ``avgpool_*``; the tie rule is
documented there: the first maximum in row-major order, as PyTorch); formulas from
SymPy: the mean's derivative (:func:`bnviz.conv.pool_derivation`) and the max's
(:func:`bnviz.conv.pool_concrete`, a Heaviside step, evaluated on the live numbers
by :func:`bnviz.conv.max_derivative_at`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from functools import lru_cache

import numpy as np
import sympy as sp

from bnviz import conv
from bnviz.data import parse_matrix
from bnviz.i18n import InputError, t
from bnviz.lessons.conv import DRAWS, VALUE_MODES, equation, fmt, lfactor, lnum, matrix_latex, show_matrix
from bnviz.settings import Settings
from bnviz.steps import Step, Walkthrough

Array = np.ndarray

KINDS = ("max", "avg")
LIMITS: dict[str, tuple[int, int]] = {"size": (3, 7), "window": (2, 3), "stride": (1, 3)}
"""The page's sliders: X is size×size, windows window×window, stride S."""
TYPED_MAX = 9

LABELS = {"x": "X", "out": "O", "dout": "∂L/∂O", "dx": "∂L/∂X", "dx_max": "∂L/∂X (max)", "dx_avg": "∂L/∂X (avg)"}
STEPS = ("forward", "backward", "compare")


@dataclass(frozen=True)
class PoolParams:
    """The pool page's own controls: X size×size (random modes), K×K windows, stride S,
    kind "max" or "avg", values (see bnviz.lessons.conv.VALUE_MODES) and typed X, dL/dO."""

    size: int = 4
    window: int = 2
    stride: int = 2
    kind: str = "max"
    values: str = "integers"
    x_text: str = ""
    dout_text: str = ""


@dataclass(frozen=True, eq=False)
class PoolProblem:
    """x (N, C, H, W), dout (N, C, H', W'), K = size, S = stride, kind; everything computed.

    out_max, out_avg (N, C, H', W'); arg: each window's arg-max (flat row-major index,
    the first maximum); rows, cols: its cell in x; ties: windows holding their maximum
    more than once; dx_max, dx_avg (N, C, H, W); out, dx: those of ``kind``.
    """

    x: Array
    dout: Array
    size: int
    stride: int
    kind: str
    setup: str = ""
    record: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        out_max, cache = conv.maxpool_forward(self.x, self.size, self.stride)
        out_avg, cache_avg = conv.avgpool_forward(self.x, self.size, self.stride)
        dout = conv.check_dout(self.dout, out_max.shape)
        arg = cache[1]
        rows, cols = conv.argmax_cells(arg, self.size, self.stride)
        win = conv._windows(self.x, self.size, self.stride)
        ties = (win == out_max[..., None]).sum(axis=-1) > 1
        derived = {"dout": dout, "out_max": out_max, "out_avg": out_avg, "arg": arg, "rows": rows, "cols": cols,
                   "ties": ties, "dx_max": conv.maxpool_backward(dout, cache),
                   "dx_avg": conv.avgpool_backward(dout, cache_avg)}
        derived["out"] = derived[f"out_{self.kind}"]
        derived["dx"] = derived[f"dx_{self.kind}"]
        for k, v in derived.items():
            object.__setattr__(self, k, v)

    @property
    def sums(self) -> dict[str, float]:
        """Σ ∂L/∂X of max and of average pooling, and Σ ∂L/∂O: all equal (the gradient is passed on whole)."""
        return {"max": float(self.dx_max.sum()), "avg": float(self.dx_avg.sum()), "total": float(self.dout.sum())}

    def window(self, n: int, c: int, i: int, j: int) -> Array:
        s, k = self.stride, self.size
        return self.x[n, c, s * i:s * i + k, s * j:s * j + k]


def make_problem(x: object, dout: object, size: int, stride: int, kind: str, setup: str = "",
                 record: dict | None = None) -> PoolProblem:
    """Check the arrays (InputError with an error.conv.* key) and compute everything."""
    if kind not in KINDS:
        raise InputError("error.conv.pool_kind", kind=kind)
    xa = conv.checked_array(x, "X", 4)
    conv.pool_shape(xa.shape, size, stride)
    return PoolProblem(xa, np.asarray(dout), int(size), int(stride), kind, setup, record or {})


def _check_params(p: PoolParams) -> None:
    for name, (lo, hi) in LIMITS.items():
        v = getattr(p, name)
        if isinstance(v, bool) or not isinstance(v, int) or not lo <= v <= hi:
            raise InputError("error.conv.param", name=name, value=v, lo=lo, hi=hi)
    if p.values not in VALUE_MODES:
        raise InputError("error.conv.values", value=p.values)
    if p.kind not in KINDS:
        raise InputError("error.conv.pool_kind", kind=p.kind)


def _typed(text: str, what: str) -> Array:
    m = parse_matrix(text, what)
    if max(m.shape) > TYPED_MAX:
        raise InputError("error.conv.typed_size_pool", what=what, shape=conv._shape(m.shape), limit=TYPED_MAX)
    return m[None, None]


@lru_cache(maxsize=32)
def page_problem(seed: int, p: PoolParams) -> PoolProblem:
    """The problem the page's controls describe (cached; InputError for bad input)."""
    _check_params(p)
    record = {"seed": seed, **asdict(p)}
    head = ["import numpy as np", "", f"size, stride = {p.window}, {p.stride}"]
    if p.values == "typed":
        x = _typed(p.x_text, "X")
        ho, wo = conv.pool_shape(x.shape, p.window, p.stride)
        dout = _typed(p.dout_text, "dL/dO")
        setup = "\n".join([*head, f"x = np.array({x.tolist()!r})", f"dout = np.array({dout.tolist()!r})"])
    else:
        shape = (1, 1, p.size, p.size)
        ho, wo = conv.pool_shape(shape, p.window, p.stride)
        rng = np.random.default_rng(seed)
        draw = ((lambda sh: rng.integers(-2, 3, size=sh).astype(float)) if p.values == "integers"
                else (lambda sh: rng.standard_normal(sh).round(1)))
        x = draw(shape)
        dout = draw((1, 1, ho, wo))
        expr = DRAWS[p.values]
        setup = "\n".join([*head, f"rng = np.random.default_rng({seed})", f"x = {expr.format(shape=shape)}",
                           f"dout = {expr.format(shape=(1, 1, ho, wo))}"])
    return make_problem(x, dout, p.window, p.stride, p.kind, setup, record)


def typed_defaults(seed: int, p: PoolParams) -> dict[str, str]:
    """Text for the typed-in boxes: the integers the seed draws (shapes that fit)."""
    stride = p.stride if (p.size - p.window) % p.stride == 0 else 1
    q = page_problem(seed, PoolParams(size=p.size, window=p.window, stride=stride))

    def text(m: Array) -> str:
        return "\n".join(", ".join(fmt(v).replace("−", "-") for v in row) for row in m)

    return {"x_text": text(q.x[0, 0]), "dout_text": text(q.dout[0, 0])}


def params_from(values: dict) -> PoolParams:
    names = {f.name for f in fields(PoolParams)}
    return PoolParams(**{k: v for k, v in values.items() if k in names})


# -------------------------------------------------------------- the steps --

FORWARD_CODE = """N, C, H, W = x.shape
Ho, Wo = (H - size) // stride + 1, (W - size) // stride + 1
out = np.zeros((N, C, Ho, Wo))
arg = np.zeros((N, C, Ho, Wo), dtype=int)
for i in range(Ho):
    for j in range(Wo):
        window = x[:, :, i * stride:i * stride + size, j * stride:j * stride + size].reshape(N, C, -1)
        arg[:, :, i, j] = window.argmax(axis=2)  # the first maximum in row-major order
        out[:, :, i, j] = window.{reduce}(axis=2)"""

MAX_BACK = """{name} = np.zeros_like(x)
for i in range(Ho):
    for j in range(Wo):
        r, q = np.divmod(arg[:, :, i, j], size)
        for n in range(N):
            for c in range(C):
                {name}[n, c, i * stride + r[n, c], j * stride + q[n, c]] += dout[n, c, i, j]"""

AVG_BACK = """{name} = np.zeros_like(x)
for i in range(Ho):
    for j in range(Wo):
        rows, cols = slice(i * stride, i * stride + size), slice(j * stride, j * stride + size)
        {name}[:, :, rows, cols] += dout[:, :, i, j, None, None] / size ** 2"""


def code(kind: str) -> dict[str, str]:
    """Each step in plain NumPy (run after the walkthrough's setup and the earlier steps)."""
    back = MAX_BACK if kind == "max" else AVG_BACK
    return {
        "forward": FORWARD_CODE.format(reduce="max" if kind == "max" else "mean"),
        "backward": back.format(name="dx"),
        "compare": MAX_BACK.format(name="dx_max") + "\n" + AVG_BACK.format(name="dx_avg"),
    }


VALUES = {"forward": ("x", "out"), "backward": ("dout", "dx"), "compare": ("dout", "dx_max", "dx_avg")}


def _max_general() -> str:
    i, j, p, q = (conv._I[n] for n in "i j p q".split())
    cell = conv.XS[conv.S_ * (i - 1) + p, conv.S_ * (j - 1) + q]
    return rf"O_{{i,j}} = \max_{{1 \leq p, q \leq K}} {sp.latex(cell)}"


@lru_cache(maxsize=1)
def general() -> dict[str, str]:
    d = conv.pool_derivation()
    i, j = conv._I["i"], conv._I["j"]
    cell = sp.latex(d.cell)
    return {
        "max": _max_general(),
        "avg": f"O_{{i,j}} = {sp.latex(d.avg)}",
        "avg_local": rf"\frac{{\partial O_{{i,j}}}}{{\partial {cell}}} = {sp.latex(d.avg_local)}",
        "avg_term": rf"\frac{{\partial L}}{{\partial {cell}}} \mathrel{{+}}= "
                    rf"\frac{{\partial L}}{{\partial O_{{i,j}}}} \frac{{\partial O_{{i,j}}}}{{\partial {cell}}} = "
                    f"{sp.latex(d.avg_term.subs({conv.DOUT[i, j]: sp.Symbol('dO_{i,j}')}))}",
    }


@lru_cache(maxsize=64)
def shape_formulas(h: int, w: int, k: int, s: int, kind: str) -> tuple[str, tuple[str, ...]]:
    """(O written out window by window, the local derivatives of O_11) for one set of sizes; cached,
    since SymPy's printing is the slow part."""
    xs = sp.Matrix(h, w, lambda r, q: conv._sym("x", r + 1, q + 1))
    ho, wo = (h - k) // s + 1, (w - k) // s + 1

    def entry(i: int, j: int) -> sp.Expr:
        cells = list(xs[s * i:s * i + k, s * j:s * j + k])
        return sp.Max(*cells, evaluate=False) if kind == "max" else sp.Add(*cells) / k ** 2

    out = show_matrix("O", lambda idx: f"O_{{{idx}}}", sp.Matrix(ho, wo, entry))
    pc = conv.pool_concrete(k)
    local = show_matrix(r"\frac{\partial O_{11}}{\partial x}",
                        lambda idx: rf"\frac{{\partial O_{{11}}}}{{\partial x_{{{idx}}}}}",
                        pc.dmax if kind == "max" else pc.davg)
    return out, ((local,) if kind == "max" else (general()["avg_local"], local))


@lru_cache(maxsize=256)
def _max_derivative(values: tuple[tuple[float, ...], ...]) -> str:
    """LaTeX of ∂max/∂x of one window at these numbers (SymPy, cached by the numbers)."""
    m = np.array(values)
    return (r"\Big|_{x = " + matrix_latex(m) + "} = " + matrix_latex(conv.max_derivative_at(m)))


def _at(w: Array) -> str:
    return _max_derivative(tuple(map(tuple, w.tolist())))


def small(pp: PoolProblem) -> bool:
    """Small enough to write out window by window (the page's sizes; larger arrays come from the CLI)."""
    return max(pp.x.shape[2:]) <= TYPED_MAX and pp.size <= 4 and pp.x.shape[0] * pp.x.shape[1] == 1


def formulas(pp: PoolProblem) -> dict[str, tuple[tuple[str, ...], tuple[str, ...]]]:
    """step -> (formula lines, local-derivative lines)."""
    g = general()
    kind, k = pp.kind, pp.size
    if not small(pp):
        main = g[kind]
        back = g["avg_term"] if kind == "avg" else main
        return {"forward": ((main,), ()), "backward": ((back,), ()), "compare": ((g["max"], g["avg"]), ())}
    h, w = pp.x.shape[2:]
    shown_out, local = shape_formulas(h, w, k, pp.stride, kind)
    first = pp.window(0, 0, 0, 0)
    nums = [lnum(v) for v in first.ravel()]
    if kind == "max":
        fwd_nums = rf"O_{{11}} = \max({', '.join(nums)}) = {lnum(pp.out[0, 0, 0, 0])}"
        local = (*local, r"\frac{\partial O_{11}}{\partial x}" + _at(first))
    else:
        fwd_nums = rf"O_{{11}} = \frac{{{' + '.join(nums)}}}{{{k * k}}} = {lnum(pp.out[0, 0, 0, 0])}"
    back = []
    if kind == "max":
        ties = np.argwhere(pp.ties[0, 0])
        if ties.size:
            i, j = ties[0]
            back.append(rf"\frac{{\partial O_{{{i + 1}{j + 1}}}}}{{\partial x}}" + _at(pp.window(0, 0, i, j)))
        route = (rf"\frac{{\partial L}}{{\partial x}} = {matrix_latex(pp.dx_max[0, 0])}",)
    else:
        back.append(g["avg_term"])
        route = (rf"\frac{{\partial L}}{{\partial x}} = {matrix_latex(pp.dx_avg[0, 0])}",)
    return {
        "forward": ((g[kind], shown_out, fwd_nums), local),
        "backward": ((rf"\frac{{\partial L}}{{\partial O}} = {matrix_latex(pp.dout[0, 0])}", *back, *route), local),
        "compare": ((rf"\frac{{\partial L}}{{\partial x}}\Big|_{{max}} = {matrix_latex(pp.dx_max[0, 0])}",
                     rf"\frac{{\partial L}}{{\partial x}}\Big|_{{avg}} = {matrix_latex(pp.dx_avg[0, 0])}",
                     equation(r"\sum \frac{\partial L}{\partial O}", [" + ".join(lfactor(v) for v in
                                                                      pp.dout[0, 0].ravel())],
                              float(pp.dout.sum()))), ()),
    }


def pool_walkthrough(pp: PoolProblem, lang: str = "en", record: dict | None = None) -> Walkthrough:
    """The pool page's steps for one problem, in ``lang``."""
    forms = formulas(pp)
    codes = code(pp.kind)
    n_ties, n_win = int(pp.ties.sum()), int(pp.ties.size)
    fields_ = {"K": pp.size, "S": pp.stride, "K2": pp.size ** 2, "ties": n_ties, "windows": n_win,
               "total": fmt(pp.dout.sum())}
    steps = []
    for name in STEPS:
        lines, local = forms[name]
        key = f"step.pool.{name}.note_{pp.kind}" if name != "compare" else "step.pool.compare.note"
        note = t(key, lang, **fields_)
        if pp.kind == "max" and name != "compare" and n_ties:
            note += " " + t("step.pool.ties_note", lang, **fields_)
        if name != "forward" and pp.stride < pp.size:
            note += " " + t("step.pool.overlap_note", lang, **fields_)
        steps.append(Step(f"pool.{name}", "forward" if name == "forward" else "backward",
                          t(f"step.pool.{name}.title_{pp.kind}" if name != "compare" else "step.pool.compare.title",
                            lang), tuple(lines), tuple(local), note,
                          {k: np.asarray(getattr(pp, k)) for k in VALUES[name]}, name, codes[name]))
    settings = {**(record or {}), **pp.record, "K": pp.size, "S": pp.stride, "kind": pp.kind}
    return Walkthrough("pool", t("page.pool.title", lang), lang, settings, tuple(steps), pp.setup, dict(LABELS))


@lru_cache(maxsize=32)
def _cached(seed: int, lang: str, p: PoolParams) -> Walkthrough:
    return pool_walkthrough(page_problem(seed, p), lang)


def walkthrough(settings: Settings, lang: str = "en", **params: object) -> Walkthrough:
    """The course builder (``bnviz.course``): the page's controls at ``params`` (defaults when omitted)."""
    return _cached(settings.seed, lang, params_from(params))
