"""The conv lesson's arrays: the page's controls (:class:`ConvParams`), the arrays they draw or
parse, and everything the lesson shows computed from them by :mod:`bnviz.ops.conv`
(:class:`ConvProblem`, float64, N, C, H, W conventions).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from functools import lru_cache

import numpy as np

from bnviz.data import parse_matrix
from bnviz.i18n import InputError
from bnviz.lessons import windowed as win
from bnviz.numfmt import matrix_text, plain
from bnviz.ops import conv
from bnviz.ops.windows import Axis, shape_text

Array = np.ndarray

LIMITS: dict[str, tuple[int, int]] = {
    "size": (3, 7), "filt": (2, 3), "stride": (1, 2), "pad": (0, 1), "cin": (1, 3), "cout": (1, 3),
}
"""The page's sliders: X is size×size, F is filt×filt, channels in and out."""

TYPED_MAX = {"size": 9, "filt": 5, "channels": 3}
"""Largest typed-in X side, filter side and channel count (what the figures can show)."""


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
    win.check_cells_first(X=x, F=w, dout=dout)
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
    xs = win.blocks(p.x_text, "X")
    ds = win.blocks(p.dout_text, "dL/dO")
    ws = win.blocks(p.w_text, "F")
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
    win.check_params(p, LIMITS)

    def typed() -> dict[str, Array]:
        x, w, b, dout = parse_typed(p, p.stride, p.pad)
        conv.check(x, w, b, p.stride, p.pad)
        return {"x": x, "w": w, "b": b, "dout": dout}

    arrays, setup = win.page_arrays(seed, p, f"stride, pad = {p.stride}, {p.pad}", typed, lambda: shapes(p))
    x, w, b, dout = (arrays[k] for k in ("x", "w", "b", "dout"))
    return make_problem(x, w, b, dout, p.stride, p.pad, setup, {"seed": seed, **asdict(p)})


def typed_defaults(seed: int, p: ConvParams) -> dict[str, str]:
    """Text for the typed-in boxes: the integer arrays the seed draws at these settings."""
    q = ConvParams(size=p.size, filt=p.filt, stride=p.stride, pad=p.pad, cin=p.cin, cout=p.cout)
    a, _ = win.draw(seed, "integers", shapes(q))

    def text(m: np.ndarray) -> str:
        return "\n\n".join(matrix_text(block) for block in m)

    return {"x_text": text(a["x"][0]), "w_text": text(a["w"].reshape(-1, *a["w"].shape[2:])),
            "b_text": ", ".join(plain(v) for v in a["b"]), "dout_text": text(a["dout"][0])}
