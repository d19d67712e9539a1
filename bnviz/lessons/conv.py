"""The conv lesson: the forward pass, dL/dF, and dL/dX as a full convolution and as a scatter.

Numbers come from :mod:`bnviz.conv` (NumPy, float64); formulas from its
SymPy derivation (:func:`bnviz.conv.conv_derivation`, general indices) and
the concrete case instantiated from it (:func:`bnviz.conv.conv_concrete`).
This module draws or parses the arrays, pairs values with formulas into
:class:`bnviz.steps.Step` objects and writes every sum out with its numbers
(:func:`sum_text`, :func:`sum_latex`, shared with the pool lesson and the
figures).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields
from functools import lru_cache

import numpy as np
import sympy as sp

from bnviz import conv
from bnviz.data import parse_matrix
from bnviz.i18n import InputError, t
from bnviz.settings import Settings
from bnviz.steps import Step, Walkthrough

Array = np.ndarray

VALUE_MODES = ("integers", "decimals", "typed")
"""How the arrays are made: small random integers, random one-decimal numbers, typed in."""

LIMITS: dict[str, tuple[int, int]] = {
    "size": (3, 7), "filt": (2, 3), "stride": (1, 2), "pad": (0, 1), "cin": (1, 3), "cout": (1, 3),
}
"""The page's sliders: X is size×size, F is filt×filt, channels in and out."""

TYPED_MAX = {"size": 9, "filt": 5, "channels": 3}
"""Largest typed-in X side, filter side and channel count (what the figures can show)."""

CONCRETE_MAX = 9
"""The concrete SymPy case is written out up to this padded input side (beyond: general formulas only)."""

DRAWS = {
    "integers": "rng.integers(-2, 3, size={shape}).astype(float)",
    "decimals": "rng.standard_normal({shape}).round(1)",
}
"""NumPy expression of each random draw (``rng`` a seeded Generator); also the notebook's setup code."""

LABELS = {
    "x": "X", "xp": "X_pad", "w": "F", "b": "b", "out": "O", "dout": "∂L/∂O", "dw": "∂L/∂F", "db": "∂L/∂b",
    "w_flip": "F_flip", "w_rot": "F_rot", "dout_dil": "∂L/∂O_dil", "dout_pad": "∂L/∂O_pad",
    "dxp": "∂L/∂X_pad", "dx": "∂L/∂X", "dxp_scatter": "∂L/∂X_pad (Σ dO·F)", "dx_scatter": "∂L/∂X (Σ dO·F)",
    "out_by_c": "O[f, c]", "dx_by_f": "∂L/∂X[f, c]",
}
"""Display names of this lesson's value ids (the same in both languages)."""

STEPS = ("forward", "dw", "rotate", "dilate", "slide", "scatter", "channels")
"""The walkthrough's steps; catalog keys step.conv.<name>.title / .note."""


@dataclass(frozen=True)
class ConvParams:
    """The conv page's own controls (see LIMITS, VALUE_MODES).

    size, filt: X is size×size and F filt×filt (random modes only; typed arrays bring their shapes)
    stride, pad: S and P; cin, cout: input and output channels (random modes)
    values: one of VALUE_MODES; x_text, w_text, b_text, dout_text: the typed arrays,
    one matrix per channel, channels separated by an empty line (F: F·C matrices, f-major)
    """

    size: int = 4
    filt: int = 2
    stride: int = 1
    pad: int = 0
    cin: int = 1
    cout: int = 1
    values: str = "integers"
    x_text: str = ""
    w_text: str = ""
    b_text: str = "0"
    dout_text: str = ""


# ------------------------------------------------------------ number text --


def fmt(v: float) -> str:
    """A number as a learner reads it: 3, −1.5, 0.25 (at most 3 decimals, Unicode minus)."""
    v = float(v)
    if abs(v) < 5e-13:
        return "0"
    r = round(v)
    if abs(v - r) < 1e-9 and abs(r) < 1e9:
        s = str(int(r))
    elif abs(v) < 0.01:
        s = f"{v:.2e}"
    else:
        s = f"{v:.3f}".rstrip("0").rstrip(".")
    return s.replace("-", "−")


def factor(v: float) -> str:
    """fmt(v), in parentheses when negative (a factor in a product)."""
    s = fmt(v)
    return f"({s})" if s.startswith("−") else s


def lnum(v: float) -> str:
    """A number in LaTeX (ASCII minus)."""
    return fmt(v).replace("−", "-")


def lfactor(v: float) -> str:
    s = lnum(v)
    return f"({s})" if s.startswith("-") else s


def sum_text(pairs: list[tuple[float, float]], extra: list[str] | None = None, per_line: int = 6) -> str:
    """"a×b + c×d + …" with a line break (<br>) every ``per_line`` terms; "0" for no terms."""
    terms = [f"{factor(a)}×{factor(b)}" for a, b in pairs] + (extra or [])
    if not terms:
        return "0"
    lines = [" + ".join(terms[n:n + per_line]) for n in range(0, len(terms), per_line)]
    return "<br>+ ".join(lines)


def sum_latex(pairs: list[tuple[float, float]], extra: list[str] | None = None, per_line: int = 8) -> list[str]:
    """The same sum in LaTeX, as lines of at most ``per_line`` terms (for an aligned block)."""
    terms = [rf"{lfactor(a)} \cdot {lfactor(b)}" for a, b in pairs] + (extra or [])
    if not terms:
        return ["0"]
    return [" + ".join(terms[n:n + per_line]) for n in range(0, len(terms), per_line)]


def equation(lhs: str, lines: list[str], total: float) -> str:
    """``lhs = line1 + line2 … = total`` as one LaTeX string (aligned when it needs several lines)."""
    if len(lines) == 1:
        return f"{lhs} = {lines[0]} = {lnum(total)}"
    body = [f"{lhs} &= {lines[0]}"] + [f"&\\quad + {line}" for line in lines[1:]] + [f"&= {lnum(total)}"]
    return "\\begin{aligned}" + " \\\\ ".join(body) + "\\end{aligned}"


def matrix_latex(m: sp.Matrix | Array) -> str:
    """A SymPy or NumPy matrix in LaTeX (an ``array``: no column limit in amsmath)."""
    if isinstance(m, np.ndarray):
        rows = " \\\\ ".join(" & ".join(lnum(v) for v in row) for row in m)
        return f"\\left[\\begin{{array}}{{{'c' * m.shape[1]}}}{rows}\\end{{array}}\\right]"
    return sp.latex(m, mat_str="array", mat_delim="[")


def entries_latex(entry: Callable[[str], str], m: sp.Matrix) -> str:
    """Every entry of a SymPy matrix on its own line (an aligned block); ``entry(idx)`` is
    the LaTeX name of the entry with 1-based index ``idx`` (e.g. "12")."""
    rows = [f"{entry(f'{r + 1}{s + 1}')} &= {sp.latex(m[r, s])}"
            for r in range(m.rows) for s in range(m.cols)]
    return "\\begin{aligned}" + " \\\\ ".join(rows) + "\\end{aligned}"


def show_matrix(name: str, entry: Callable[[str], str], m: sp.Matrix, small: int = 16) -> str:
    """``name = [matrix]`` for a small matrix with short entries, else every entry on its own line."""
    if m.rows * m.cols <= small and max(len(sp.latex(e)) for e in m) <= 60:
        return f"{name} = {matrix_latex(m)}"
    return entries_latex(entry, m)


# -------------------------------------------------------------- the arrays --


@dataclass(frozen=True, eq=False)
class ConvProblem:
    """One conv layer's arrays (N, C, H, W conventions of :mod:`bnviz.conv`), all computed.

    x, w, b, dout: the inputs; stride, pad: S and P; setup: NumPy code that rebuilds them.
    out, xp (X padded), dw, db; w_flip (rows reversed), w_rot (180°); dout_dil (zeros
    inserted), dout_pad (HH−1 / WW−1 zero rings); dxp (full convolution, H+2P × W+2P),
    dx (cropped); dxp_scatter, dx_scatter (the scatter view); out_by_c (N, F, C, H', W')
    and dx_by_f (N, F, C, H, W): each channel's share of the channel sums.
    Hashes by identity (problems come from a cache), so figure caches can key on it.
    """

    x: Array
    w: Array
    b: Array
    dout: Array
    stride: int
    pad: int
    setup: str = ""
    record: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        x, w, b, s, p = self.x, self.w, self.b, self.stride, self.pad
        out, _ = conv.conv_forward(x, w, b, s, p)
        dout = conv.check_dout(self.dout, out.shape)
        hh, ww = w.shape[2:]
        derived = {
            "dout": dout, "out": out, "xp": conv.pad_hw(x, p), "dw": conv.dw_valid_xcorr(x, dout, s, p, hh, ww),
            "db": dout.sum(axis=(0, 2, 3)), "w_flip": w[:, :, ::-1, :], "w_rot": conv.rot180(w),
            "dout_dil": conv.dilate(dout, s), "dxp": conv.dxpad_full_conv(dout, w, s),
            "dxp_scatter": conv.dxpad_scatter(dout, w, s), "out_by_c": conv.forward_by_channel(x, w, s, p),
            "dx_by_f": conv.dx_by_channel(dout, w, s, p),
        }
        derived["dout_pad"] = conv.pad_hw(derived["dout_dil"], hh - 1, ww - 1)
        derived["dx"] = conv.crop(derived["dxp"], p)
        derived["dx_scatter"] = conv.crop(derived["dxp_scatter"], p)
        for k, v in derived.items():
            object.__setattr__(self, k, v)

    @property
    def views_gap(self) -> float:
        """Largest |difference| between dL/dX from the full convolution and from the scatter view."""
        return float(np.max(np.abs(self.dx - self.dx_scatter)))

    @property
    def shape(self) -> dict[str, int]:
        n, c, h, w = self.x.shape
        f, _, hh, ww = self.w.shape
        return {"N": n, "C": c, "H": h, "W": w, "F": f, "HH": hh, "WW": ww,
                "Ho": self.out.shape[2], "Wo": self.out.shape[3], "S": self.stride, "P": self.pad}


def make_problem(x: object, w: object, b: object, dout: object, stride: int, pad: int,
                 setup: str = "", record: dict | None = None) -> ConvProblem:
    """Check the arrays (InputError with an error.conv.* key) and compute everything."""
    xa, wa, ba = conv.check_conv(x, w, b, stride, pad)
    return ConvProblem(xa, wa, ba, np.asarray(dout), int(stride), int(pad), setup, record or {})


def _literal(a: Array) -> str:
    return f"np.array({np.asarray(a).tolist()!r})"


def _check_params(p: ConvParams) -> None:
    for name, (lo, hi) in LIMITS.items():
        v = getattr(p, name)
        if isinstance(v, bool) or not isinstance(v, int) or not lo <= v <= hi:
            raise InputError("error.conv.param", name=name, value=v, lo=lo, hi=hi)
    if p.values not in VALUE_MODES:
        raise InputError("error.conv.values", value=p.values)


def draw(seed: int, p: ConvParams) -> tuple[Array, Array, Array, Array, str]:
    """x, w, b, dout drawn from one seeded generator, in that order, and the same as NumPy code."""
    ho = (p.size + 2 * p.pad - p.filt) / p.stride + 1
    shapes = {"x": (1, p.cin, p.size, p.size), "w": (p.cout, p.cin, p.filt, p.filt), "b": (p.cout,),
              "dout": (1, p.cout, max(int(ho), 1), max(int(ho), 1))}
    expr = DRAWS[p.values]
    rng = np.random.default_rng(seed)
    arrays = {}
    for name, shape in shapes.items():
        arrays[name] = (rng.integers(-2, 3, size=shape).astype(float) if p.values == "integers"
                        else rng.standard_normal(shape).round(1))
    lines = ["import numpy as np", "", f"stride, pad = {p.stride}, {p.pad}", f"rng = np.random.default_rng({seed})"]
    lines += [f"{name} = {expr.format(shape=shape)}" for name, shape in shapes.items()]
    return arrays["x"], arrays["w"], arrays["b"], arrays["dout"], "\n".join(lines)


def _blocks(text: str, what: str) -> list[Array]:
    """Matrices separated by empty lines, each parsed by :func:`bnviz.data.parse_matrix`."""
    parts = [part for part in re.split(r"\n[ \t]*\n", text.strip()) if part.strip()]
    if not parts:
        raise InputError("error.conv.typed_empty", what=what)
    mats = [parse_matrix(part, f"{what}[{n + 1}]" if len(parts) > 1 else what) for n, part in enumerate(parts)]
    first = mats[0].shape
    for n, m in enumerate(mats[1:], start=2):
        if m.shape != first:
            raise InputError("error.conv.typed_block_shape", what=what, n=n, got=conv._shape(m.shape),
                             want=conv._shape(first))
    return mats


def parse_typed(p: ConvParams, stride: int, pad: int) -> tuple[Array, Array, Array, Array]:
    """The typed arrays: X's blocks are its channels, dL/dO's its output channels, F's the
    F·C filters (f-major), b one number per output channel (or one for all)."""
    xs = _blocks(p.x_text, "X")
    ds = _blocks(p.dout_text, "dL/dO")
    ws = _blocks(p.w_text, "F")
    c, f = len(xs), len(ds)
    if c > TYPED_MAX["channels"] or f > TYPED_MAX["channels"]:
        raise InputError("error.conv.typed_channels_max", c=c, f=f, limit=TYPED_MAX["channels"])
    h, w = xs[0].shape
    hh, ww = ws[0].shape
    if max(h, w) > TYPED_MAX["size"] or max(hh, ww) > TYPED_MAX["filt"]:
        raise InputError("error.conv.typed_size", x=conv._shape((h, w)), w=conv._shape((hh, ww)),
                         xmax=TYPED_MAX["size"], fmax=TYPED_MAX["filt"])
    if len(ws) != f * c:
        raise InputError("error.conv.typed_filters", n=len(ws), f=f, c=c, need=f * c)
    bias = parse_matrix(p.b_text or "0", "b").reshape(-1)
    if bias.size == 1:
        bias = np.full(f, bias[0])
    if bias.size != f:
        raise InputError("error.conv.bias", nb=bias.size, nf=f)
    x = np.stack(xs)[None]
    wt = np.stack(ws).reshape(f, c, hh, ww)
    dout = np.stack(ds)[None]
    return x, wt, bias, dout


@lru_cache(maxsize=32)
def page_problem(seed: int, p: ConvParams) -> ConvProblem:
    """The problem the page's controls describe (cached; InputError for bad input)."""
    _check_params(p)
    record = {"seed": seed, **asdict(p)}
    if p.values == "typed":
        x, w, b, dout = parse_typed(p, p.stride, p.pad)
        conv.check_conv(x, w, b, p.stride, p.pad)
        setup = "\n".join(["import numpy as np", "", f"stride, pad = {p.stride}, {p.pad}", f"x = {_literal(x)}",
                           f"w = {_literal(w)}", f"b = {_literal(b)}", f"dout = {_literal(dout)}"])
    else:
        x, w, b, dout, setup = draw(seed, p)
        conv.check_conv(x, w, b, p.stride, p.pad)  # a stride that does not fit is reported before dout
    return make_problem(x, w, b, dout, p.stride, p.pad, setup, record)


def typed_defaults(seed: int, p: ConvParams) -> dict[str, str]:
    """Text for the typed-in boxes: the integer arrays the seed draws (shapes that fit)."""
    q = ConvParams(size=p.size, filt=p.filt, stride=1, pad=p.pad, cin=p.cin, cout=p.cout)
    x, w, b, dout, _ = draw(seed, q)

    def text(blocks: Array) -> str:
        return "\n\n".join("\n".join(", ".join(fmt(v).replace("−", "-") for v in row) for row in m)
                           for m in blocks)

    return {"x_text": text(x[0]), "w_text": text(w.reshape(-1, *w.shape[2:])), "b_text": ", ".join(
        fmt(v).replace("−", "-") for v in b), "dout_text": text(dout[0])}


def params_from(values: dict) -> ConvParams:
    """ConvParams from a dict of the page's controls (unknown keys ignored)."""
    names = {f.name for f in fields(ConvParams)}
    return ConvParams(**{k: v for k, v in values.items() if k in names})


# -------------------------------------------------------------- the steps --

CODE = {
    "forward": """N, C, H, W = x.shape
F, _, HH, WW = w.shape
Ho, Wo = (H + 2 * pad - HH) // stride + 1, (W + 2 * pad - WW) // stride + 1
xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
out = np.zeros((N, F, Ho, Wo))
for i in range(Ho):
    for j in range(Wo):
        window = xp[:, :, i * stride:i * stride + HH, j * stride:j * stride + WW]
        out[:, :, i, j] = np.einsum("ncab,fcab->nf", window, w) + b""",
    "dw": """dw = np.zeros_like(w)
for u in range(HH):
    for v in range(WW):
        cells = xp[:, :, u:u + stride * (Ho - 1) + 1:stride, v:v + stride * (Wo - 1) + 1:stride]
        dw[:, :, u, v] = np.einsum("nfij,ncij->fc", dout, cells)
db = dout.sum(axis=(0, 2, 3))""",
    "rotate": """w_flip = w[:, :, ::-1, :]
w_rot = w_flip[:, :, :, ::-1]""",
    "dilate": """dout_dil = np.zeros((N, F, stride * (Ho - 1) + 1, stride * (Wo - 1) + 1))
dout_dil[:, :, ::stride, ::stride] = dout
dout_pad = np.pad(dout_dil, ((0, 0), (0, 0), (HH - 1, HH - 1), (WW - 1, WW - 1)))""",
    "slide": """dxp = np.zeros((N, C, H + 2 * pad, W + 2 * pad))
for k in range(H + 2 * pad):
    for l in range(W + 2 * pad):
        window = dout_pad[:, :, k:k + HH, l:l + WW]
        dxp[:, :, k, l] = np.einsum("nfab,fcab->nc", window, w_rot)
dx = dxp[:, :, pad:pad + H, pad:pad + W]""",
    "scatter": """dxp_scatter = np.zeros((N, C, H + 2 * pad, W + 2 * pad))
for i in range(Ho):
    for j in range(Wo):
        rows, cols = slice(i * stride, i * stride + HH), slice(j * stride, j * stride + WW)
        dxp_scatter[:, :, rows, cols] += np.einsum("nf,fcab->ncab", dout[:, :, i, j], w)
dx_scatter = dxp_scatter[:, :, pad:pad + H, pad:pad + W]""",
    "channels": """out_by_c = np.zeros((N, F, C, Ho, Wo))
dx_by_f = np.zeros((N, F, C, H, W))
for f in range(F):
    for c in range(C):
        xp_c = np.pad(x[:, c:c + 1], ((0, 0), (0, 0), (pad, pad), (pad, pad)))
        for i in range(Ho):
            for j in range(Wo):
                window = xp_c[:, 0, i * stride:i * stride + HH, j * stride:j * stride + WW]
                out_by_c[:, f, c, i, j] = (window * w[f, c]).sum(axis=(1, 2))
        for k in range(H + 2 * pad):
            for l in range(W + 2 * pad):
                if pad <= k < H + pad and pad <= l < W + pad:
                    window = dout_pad[:, f, k:k + HH, l:l + WW]
                    dx_by_f[:, f, c, k - pad, l - pad] = (window * w_rot[f, c]).sum(axis=(1, 2))""",
}
"""Each step in plain NumPy: run after ``Walkthrough.setup`` and the earlier steps, it
recomputes that step's values as variables named by their value ids."""

VALUES = {
    "forward": ("x", "xp", "w", "b", "out"),
    "dw": ("xp", "dout", "dw", "db"),
    "rotate": ("w", "w_flip", "w_rot"),
    "dilate": ("dout", "dout_dil", "dout_pad"),
    "slide": ("dout_pad", "w_rot", "dxp", "dx"),
    "scatter": ("dout", "w", "dxp_scatter", "dx_scatter", "dx"),
    "channels": ("out_by_c", "dx_by_f", "out", "dx"),
}
"""The value ids each step shows."""


def _grad(indexed: sp.Expr) -> str:
    return rf"\frac{{\partial L}}{{\partial {sp.latex(indexed)}}}"


def _eq(lhs: str, rhs: sp.Expr | str) -> str:
    return f"{lhs} = {rhs if isinstance(rhs, str) else sp.latex(rhs)}"


def _sizes_line(sh: dict[str, int]) -> str:
    """The concrete sizes on two lines (numbers, not a formula)."""
    return (rf"\begin{{gathered}}N = {sh['N']},\ C = {sh['C']},\ F = {sh['F']},\ S = {sh['S']},\ P = {sh['P']} \\ "
            rf"H \times W = {sh['H']} \times {sh['W']},\ HH \times WW = {sh['HH']} \times {sh['WW']},\ "
            rf"H' \times W' = {sh['Ho']} \times {sh['Wo']}\end{{gathered}}")


@lru_cache(maxsize=1)
def general() -> dict[str, str]:
    """The derived general formulas in LaTeX (cached)."""
    d = conv.conv_derivation()
    f, c, i, j, k, ell, u, v = (conv._I[n] for n in "f c i j k l u v".split())
    out = sp.IndexedBase("O")
    return {
        "forward": _eq(sp.latex(out[f, i, j]), d.forward),
        "dO_dX": _eq(rf"\frac{{\partial O_{{f,i,j}}}}{{\partial {sp.latex(conv.XPAD[c, k, ell])}}}", d.dO_dX),
        "dO_dF": _eq(rf"\frac{{\partial O_{{f,i,j}}}}{{\partial {sp.latex(conv.FW[f, c, u, v])}}}", d.dO_dF),
        "dO_db": _eq(rf"\frac{{\partial O_{{f,i,j}}}}{{\partial {sp.latex(conv.BIAS[f])}}}", d.dO_db),
        "dL_dX": _eq(_grad(conv.XPAD[c, k, ell]), d.dL_dX),
        "dL_dF": _eq(_grad(conv.FW[f, c, u, v]), d.dL_dF),
        "dL_db": _eq(_grad(conv.BIAS[f]), d.dL_db),
        "full": _eq(_grad(conv.XPAD[c, k, ell]), d.full),
        "crop": _eq(_grad(sp.IndexedBase("X")[c, k, ell]), _grad(conv.XPAD[c, k + conv.P_, ell + conv.P_])),
    }


def small(p: ConvProblem) -> bool:
    """Small enough to write out entry by entry (the page's sizes; larger arrays come from the CLI)."""
    sh = p.shape
    return (max(sh["H"], sh["W"]) + 2 * sh["P"] <= CONCRETE_MAX and max(sh["HH"], sh["WW"]) <= 5
            and max(sh["C"], sh["F"]) <= TYPED_MAX["channels"])


def formulas(p: ConvProblem) -> dict[str, tuple[tuple[str, ...], tuple[str, ...]]]:
    """step -> (formula lines, local-derivative lines) for this problem's sizes."""
    sh = p.shape
    forms = dict(shape_formulas(sh["H"], sh["W"], sh["HH"], sh["WW"], sh["S"], sh["P"], small(p)))
    lines, local = forms["channels"]
    if small(p):
        forms["channels"] = ((*lines, *channel_sums(p)), local)
    sizes = _sizes_line(sh)
    forms["forward"] = ((forms["forward"][0][0], sizes, *forms["forward"][0][1:]), forms["forward"][1])
    return forms


@lru_cache(maxsize=64)
def shape_formulas(h: int, w: int, hh: int, ww: int, stride: int, pad: int,
                   written_out: bool) -> dict[str, tuple[tuple[str, ...], tuple[str, ...]]]:
    """The formulas of one set of sizes (no numbers): general lines, and when ``written_out``
    the concrete case entry by entry. Cached: SymPy's printing is the slow part."""
    g = general()
    if not written_out:
        return {name: ((g[key],), ()) for name, key in (
            ("forward", "forward"), ("dw", "dL_dF"), ("rotate", "full"), ("dilate", "full"), ("slide", "full"),
            ("scatter", "dL_dX"), ("channels", "dL_dX"))}
    cc = conv.conv_concrete(h, w, hh, ww, stride, pad)

    def grad(of: str, wrt: str, m: sp.Matrix) -> str:
        """∂of/∂wrt as a matrix, or entry by entry (``of`` is L or O_{11})."""
        return show_matrix(rf"\frac{{\partial {of}}}{{\partial {wrt}}}",
                           lambda idx: rf"\frac{{\partial {of}}}{{\partial {wrt}_{{{idx}}}}}", m)

    diff = sp.Matrix(h, w, lambda r, s: sp.expand(cc.dX_full_pad[r + pad, s + pad] - cc.dX[r, s]))
    check = _eq(r"\frac{\partial L}{\partial X}\Big|_{full} - \frac{\partial L}{\partial X}\Big|_{scatter}",
                matrix_latex(diff))
    return {
        "forward": ((g["forward"], show_matrix("O", lambda idx: f"O_{{{idx}}}", cc.out)),
                    (grad("O_{11}", "X", cc.dO11_dX), grad("O_{11}", "F", cc.dO11_dF), g["dO_dX"], g["dO_dF"],
                     g["dO_db"])),
        "dw": ((g["dL_dF"], g["dL_db"], grad("L", "F", cc.dF), _eq(r"\frac{\partial L}{\partial b}", cc.db)),
               (g["dO_dF"], g["dO_db"])),
        "rotate": ((_eq("F", matrix_latex(cc.F)), _eq(r"F^{flip}", matrix_latex(cc.F_flip)),
                    _eq(r"F^{rot}", matrix_latex(cc.F_rot))), ()),
        "dilate": ((_eq("dO", matrix_latex(cc.D)), _eq(r"dO^{dil}", matrix_latex(cc.D_dil)),
                    _eq(r"dO^{pad}", matrix_latex(cc.D_pad))), ()),
        "slide": ((g["full"], g["crop"], grad("L", "X^{pad}", cc.dX_full_pad)), ()),
        "scatter": ((g["dL_dX"], grad("L", "X", cc.dX), check), (g["dO_dX"], grad("O_{11}", "X", cc.dO11_dX))),
        "channels": ((g["forward"], g["dL_dX"]), ()),
    }


def channel_sums(p: ConvProblem) -> list[str]:
    """The channel sums with numbers, sample 1: O_f = Σ_c (…) + b_f and ∂L/∂X_c = Σ_f (…),
    each as two lines (the parts, then the total)."""
    n, sh = 0, p.shape
    lines = []
    for f in range(sh["F"]):
        parts = " + ".join(matrix_latex(p.out_by_c[n, f, c]) for c in range(sh["C"]))
        lines.append(rf"\begin{{aligned}}O_{{{f + 1}}} &= {parts} + {lfactor(p.b[f])} \\ "
                     rf"&= {matrix_latex(p.out[n, f])}\end{{aligned}}")
    for c in range(sh["C"]):
        parts = " + ".join(matrix_latex(p.dx_by_f[n, f, c]) for f in range(sh["F"]))
        lines.append(rf"\begin{{aligned}}\frac{{\partial L}}{{\partial X_{{{c + 1}}}}} &= {parts} \\ "
                     rf"&= {matrix_latex(p.dx[n, c])}\end{{aligned}}")
    return lines


def first_sums(p: ConvProblem) -> dict[str, str]:
    """Each step's first sum written out with the numbers (sample 1, channel pair 1, 1)."""
    n, f, c = 0, 0, 0
    hh, ww, s = p.shape["HH"], p.shape["WW"], p.stride
    fwd = [(p.w[f, cc, a, bb], p.xp[n, cc, a, bb]) for cc in range(p.shape["C"]) for a in range(hh)
           for bb in range(ww)]
    dw = [(p.xp[n, c, s * i, s * j], p.dout[n, f, i, j]) for i in range(p.shape["Ho"]) for j in range(p.shape["Wo"])]
    slide = [(p.w_rot[ff, c, a, bb], p.dout_pad[n, ff, a, bb]) for ff in range(p.shape["F"]) for a in range(hh)
             for bb in range(ww) if p.dout_pad[n, ff, a, bb] != 0]
    return {
        "forward": equation("O_{1,1,1}", sum_latex(fwd, [rf"\underbrace{{{lfactor(p.b[f])}}}_{{b_1}}"]),
                            p.out[n, f, 0, 0]),
        "dw": equation(r"\frac{\partial L}{\partial F_{1,1,1,1}}", sum_latex(dw), p.dw[f, c, 0, 0]),
        "slide": equation(r"\frac{\partial L}{\partial X^{pad}_{1,1,1}}", sum_latex(slide), p.dxp[n, c, 0, 0]),
    }


def conv_walkthrough(p: ConvProblem, lang: str = "en", record: dict | None = None) -> Walkthrough:
    """The conv page's steps for one problem, in ``lang``."""
    forms = formulas(p)
    sums = first_sums(p)
    sh = p.shape
    several = sh["C"] > 1 or sh["F"] > 1
    note_fields = {**sh, "S1": sh["S"] - 1, "HH1": sh["HH"] - 1, "Hd": p.dout_pad.shape[2], "Wd": p.dout_pad.shape[3],
                   "Hp": sh["H"] + 2 * sh["P"], "Wp": sh["W"] + 2 * sh["P"]}
    steps = []
    for name in STEPS:
        lines, local = forms[name]
        if name in sums:
            lines = (*lines, sums[name])
        note = t(f"step.conv.{name}.note", lang, **note_fields)
        if several and name not in ("channels",):
            note += " " + t("step.conv.one_pair_note", lang)
        steps.append(Step(f"conv.{name}", "forward" if name == "forward" else "backward",
                          t(f"step.conv.{name}.title", lang), tuple(lines), tuple(local), note,
                          {k: np.asarray(getattr(p, k)) for k in VALUES[name]}, name, CODE[name]))
    settings = {**(record or {}), **p.record, "shape": p.shape}
    return Walkthrough("conv", t("page.conv.title", lang), lang, settings, tuple(steps), p.setup, dict(LABELS))


@lru_cache(maxsize=32)
def _cached(seed: int, lang: str, p: ConvParams) -> Walkthrough:
    return conv_walkthrough(page_problem(seed, p), lang)


def walkthrough(settings: Settings, lang: str = "en", **params: object) -> Walkthrough:
    """The course builder (``bnviz.course``): the page's controls at ``params`` (defaults when omitted)."""
    return _cached(settings.seed, lang, params_from(params))
