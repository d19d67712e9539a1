"""The conv lesson: the forward pass, dL/dF, and dL/dX as a full convolution and as a scatter.

Numbers come from :mod:`bnviz.ops.conv` (NumPy, float64); formulas from its
SymPy derivation (:func:`bnviz.ops.conv.derivation`, general indices) and
the concrete case instantiated from it (:func:`bnviz.ops.conv.concrete`).
This module draws or parses the arrays, pairs values with formulas into
:class:`bnviz.steps.Step` objects and writes every sum out with its numbers
(:func:`sum_text`, :func:`sum_latex`, shared with the pool lesson and the
figures).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from functools import lru_cache

import numpy as np
import sympy as sp

from bnviz.data import parse_matrix
from bnviz.i18n import InputError, t
from bnviz.lessons.windowed import (
    blocks,
    check_params,
    course_builder,
    draw,
    plural,
    setup_code,
    show_matrix,
    step,
)
from bnviz.limits import MAX_CONV_CELLS, check_cells
from bnviz.numfmt import equation, lfactor, matrix_latex, matrix_text, plain, sum_latex
from bnviz.ops import conv
from bnviz.ops.windows import INDEX, P_, Axis, shape_text
from bnviz.steps import Walkthrough

Array = np.ndarray

LIMITS: dict[str, tuple[int, int]] = {
    "size": (3, 7), "filt": (2, 3), "stride": (1, 2), "pad": (0, 1), "cin": (1, 3), "cout": (1, 3),
}
"""The page's sliders: X is size×size, F is filt×filt, channels in and out."""

TYPED_MAX = {"size": 9, "filt": 5, "channels": 3}
"""Largest typed-in X side, filter side and channel count (what the figures can show)."""

CONCRETE_MAX = 9
"""The concrete SymPy case is written out up to this padded input side (beyond: general formulas only)."""

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


# -------------------------------------------------------------- the arrays --


@dataclass(frozen=True, eq=False)
class ConvProblem:
    """One conv layer's arrays (N, C, H, W conventions of :mod:`bnviz.ops.conv`), all computed
    by :func:`make_problem`.

    x, w, b, dout: the inputs; stride, pad: S and P; setup: NumPy code that rebuilds them;
    out, xp (X padded), dw, db; w_flip (rows reversed), w_rot (180°); dout_dil (zeros
    inserted, and where the forward pass dropped rows / columns), dout_pad (HH−1 / WW−1 zero
    rings); dxp (full convolution, H+2P × W+2P), dx (cropped); dxp_scatter, dx_scatter (the
    scatter view); out_by_c (N, F, C, H', W') and dx_by_f (N, F, C, H, W): each channel's share
    of the channel sums; rows, cols: the two axes (dropped cells: ``rows.dropped``).
    Hashes by identity (problems come from a cache), so figure caches can key on it.
    """

    x: np.ndarray
    w: np.ndarray
    b: np.ndarray
    dout: np.ndarray
    stride: int
    pad: int
    out: np.ndarray
    xp: np.ndarray
    dw: np.ndarray
    db: np.ndarray
    w_flip: np.ndarray
    w_rot: np.ndarray
    dout_dil: np.ndarray
    dout_pad: np.ndarray
    dxp: np.ndarray
    dx: np.ndarray
    dxp_scatter: np.ndarray
    dx_scatter: np.ndarray
    out_by_c: np.ndarray
    dx_by_f: np.ndarray
    rows: Axis
    cols: Axis
    setup: str = ""
    record: dict = field(default_factory=dict)

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
    for name, arr in (("X", x), ("F", w), ("dout", dout)):
        check_cells(name, np.shape(arr), MAX_CONV_CELLS)  # bnviz.limits: before any work
    x, w, b = conv.check(x, w, b, stride, pad)
    s, p = int(stride), int(pad)
    rows, cols = conv.geometry(x.shape, w.shape, s, p)
    out, _ = conv.forward(x, w, b, s, p)
    dout = conv.check_dout(dout, out.shape)
    hh, ww = w.shape[2:]
    padded = (rows.span, cols.span)
    dout_pad = conv.full_input(dout, w, s, padded)
    dxp = conv.dxpad_full_conv(dout, w, s, padded)
    dxp_scatter = conv.dxpad_scatter(dout, w, s, padded)
    return ConvProblem(
        x=x, w=w, b=b, dout=dout, stride=s, pad=p, out=out, xp=conv.pad_hw(x, p),
        dw=conv.dw_valid_xcorr(x, dout, s, p, hh, ww), db=dout.sum(axis=(0, 2, 3)), w_flip=w[:, :, ::-1, :],
        w_rot=conv.rot180(w), dout_dil=conv.dilate(dout, s, (rows.dropped, cols.dropped)), dout_pad=dout_pad,
        dxp=dxp, dx=conv.crop(dxp, p), dxp_scatter=dxp_scatter, dx_scatter=conv.crop(dxp_scatter, p),
        out_by_c=conv.forward_by_channel(x, w, s, p), dx_by_f=conv.dx_by_channel(dout, w, s, p, x.shape[2:]),
        rows=rows, cols=cols, setup=setup, record=record or {})


def shapes(p: ConvParams) -> dict[str, tuple[int, ...]]:
    """The arrays' shapes the random modes draw (InputError if the sizes do not fit)."""
    ho, wo = conv.output_shape((1, p.cin, p.size, p.size), (p.cout, p.cin, p.filt, p.filt), p.stride, p.pad)
    return {"x": (1, p.cin, p.size, p.size), "w": (p.cout, p.cin, p.filt, p.filt), "b": (p.cout,),
            "dout": (1, p.cout, ho, wo)}


def parse_typed(p: ConvParams, stride: int, pad: int) -> tuple[Array, Array, Array, Array]:
    """The typed arrays: X's blocks are its channels, dL/dO's its output channels, F's the
    F·C filters (f-major), b one number per output channel (or one for all)."""
    xs = blocks(p.x_text, "X")
    ds = blocks(p.dout_text, "dL/dO")
    ws = blocks(p.w_text, "F")
    c, f = len(xs), len(ds)
    if c > TYPED_MAX["channels"] or f > TYPED_MAX["channels"]:
        raise InputError("error.conv.typed_channels_max", c=c, f=f, limit=TYPED_MAX["channels"])
    h, w = xs[0].shape
    hh, ww = ws[0].shape
    if max(h, w) > TYPED_MAX["size"] or max(hh, ww) > TYPED_MAX["filt"]:
        raise InputError("error.conv.typed_size", x=shape_text((h, w)), w=shape_text((hh, ww)),
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
    check_params(p, LIMITS)
    record = {"seed": seed, **asdict(p)}
    head = f"stride, pad = {p.stride}, {p.pad}"
    if p.values == "typed":
        x, w, b, dout = parse_typed(p, p.stride, p.pad)
        conv.check(x, w, b, p.stride, p.pad)
        setup = setup_code(head, {"x": x, "w": w, "b": b, "dout": dout})
    else:
        arrays, drawn = draw(seed, p.values, shapes(p))
        x, w, b, dout = (arrays[k] for k in ("x", "w", "b", "dout"))
        setup = setup_code(head, drawn=drawn)
    return make_problem(x, w, b, dout, p.stride, p.pad, setup, record)


def typed_defaults(seed: int, p: ConvParams) -> dict[str, str]:
    """Text for the typed-in boxes: the integer arrays the seed draws at these settings."""
    q = ConvParams(size=p.size, filt=p.filt, stride=p.stride, pad=p.pad, cin=p.cin, cout=p.cout)
    a, _ = draw(seed, "integers", shapes(q))

    def text(m: np.ndarray) -> str:
        return "\n\n".join(matrix_text(block) for block in m)

    return {"x_text": text(a["x"][0]), "w_text": text(a["w"].reshape(-1, *a["w"].shape[2:])),
            "b_text": ", ".join(plain(v) for v in a["b"]), "dout_text": text(a["dout"][0])}


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
    "dilate": """# zeros between the cells, and zero rows / columns where the forward pass dropped cells
dout_dil = np.zeros((N, F, H + 2 * pad - HH + 1, W + 2 * pad - WW + 1))
dout_dil[:, :, :stride * (Ho - 1) + 1:stride, :stride * (Wo - 1) + 1:stride] = dout
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
    d = conv.derivation()
    f, c, i, j, k, ell, u, v = (INDEX[n] for n in "f c i j k l u v".split())
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
        "size": _eq("H'", d.out_rows),
        "crop": _eq(_grad(sp.IndexedBase("X")[c, k, ell]), _grad(conv.XPAD[c, k + P_, ell + P_])),
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
    forms["forward"] = ((forms["forward"][0][0], sizes, general()["size"], *forms["forward"][0][1:]),
                        forms["forward"][1])
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
    cc = conv.concrete(h, w, hh, ww, stride, pad)

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
                   "Hp": sh["H"] + 2 * sh["P"], "Wp": sh["W"] + 2 * sh["P"], "dr": p.rows.dropped,
                   "dc": p.cols.dropped, "n": p.rows.dropped + p.cols.dropped}
    dropped = max(p.rows.dropped, p.cols.dropped)
    steps = []
    for name in STEPS:
        lines, local = forms[name]
        if name in sums:
            lines = (*lines, sums[name])
        note = t(f"step.conv.{name}.note", lang, **note_fields)
        if several and name not in ("channels",):
            note += " " + t("step.conv.one_pair_note", lang)
        if dropped and name in ("forward", "dilate", "slide"):
            note += " " + t(plural("step.conv.dropped_note", dropped), lang, **note_fields)
        steps.append(step("conv", name, t(f"step.conv.{name}.title", lang), lines, local, note,
                          {k: getattr(p, k) for k in VALUES[name]}, CODE[name]))
    settings = {**(record or {}), **p.record, "shape": p.shape}
    return Walkthrough("conv", t("page.conv.title", lang), lang, settings, tuple(steps), p.setup, dict(LABELS))


walkthrough = course_builder(ConvParams, page_problem, conv_walkthrough)
"""The course builder (``bnviz.course``): the page's controls at ``params`` (defaults when omitted)."""
