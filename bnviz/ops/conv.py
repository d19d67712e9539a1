"""2-D convolution, forward and backward (cs231n style, float64), with PyTorch's shape rule.

Shapes (every array is float64):

    x     (N, C, H, W)      input
    w     (F, C, HH, WW)    filters: F output channels, C input channels
    b     (F,)              biases
    out   (N, F, H', W')    H' = floor((H + 2P − HH) / S) + 1, W' likewise (as torch.nn.functional.conv2d)
    dout  (N, F, H', W')    upstream gradient dL/dO

When (H + 2P − HH) is not a multiple of S, the last (H + 2P − HH) mod S rows of the
padded input are in no window (dropped): their gradient is zero.

``forward(x, w, b, stride, pad) -> (out, cache)`` and ``backward(dout, cache) -> (dx, dw, db)``
are the layer. The backward pass is built from the two views the conv page animates:

- :func:`dx_full_conv`: dL/dX as the *full* convolution of the 180°-rotated filter with
  dL/dO. With stride S > 1, S − 1 zeros go between neighbouring cells of dL/dO
  (dilation), and as many zero rows (columns) after it as the forward pass dropped;
  the full convolution is a valid sliding of the rotated filter over that, padded with
  HH − 1 (WW − 1) zeros; the gradient of the padding cells is then cropped away.
- :func:`dx_scatter`: each dL/dO cell spreads its gradient, weighted by F, over the input
  window it was computed from (overlaps add up).
- :func:`dw_valid_xcorr`: dL/dF as the *valid* cross-correlation of the padded X with
  the dilated dL/dO.

The SymPy definition (:func:`derivation`) is the forward sum with general indices;
every formula the conv lesson shows is derived from it.

Bad input raises :class:`bnviz.i18n.InputError` with an ``error.conv.*`` key.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import sympy as sp
from numpy.lib.stride_tricks import sliding_window_view
from sympy.concrete.delta import deltasummation

from bnviz.i18n import InputError
from bnviz.ops.windows import (
    C_,
    DOUT,
    F_,
    HH_,
    HO_,
    INDEX,
    P_,
    S_,
    WO_,
    WW_,
    Axis,
    axis,
    check_dout,
    check_size,
    checked_array,
    collapse,
    entry_symbol,
)

Array = np.ndarray


# ----------------------------------------------------------------- checks --


def geometry(x_shape: tuple[int, ...], w_shape: tuple[int, ...], stride: int, pad: int) -> tuple[Axis, Axis]:
    """The (row, column) axes of a convolution; InputError if the shapes do not fit together."""
    _, c, h, wd = x_shape
    f, cw, hh, ww = w_shape
    if c != cw:
        raise InputError("error.conv.channels", cx=c, cw=cw)
    rows = axis(h, hh, stride, pad, "H", "HH")
    cols = axis(wd, ww, stride, pad, "W", "WW")
    check_size(x_shape[0] * c * rows.out * cols.out * hh * ww)
    check_size(x_shape[0] * f * rows.span * cols.span * hh * ww)
    return rows, cols


def output_shape(x_shape: tuple[int, ...], w_shape: tuple[int, ...], stride: int, pad: int) -> tuple[int, int]:
    """(H', W') of a convolution; InputError if the shapes do not fit together."""
    rows, cols = geometry(x_shape, w_shape, stride, pad)
    return rows.out, cols.out


def check(x: object, w: object, b: object, stride: int, pad: int) -> tuple[Array, Array, Array]:
    """x, w, b checked (ranks, channels, finiteness, fit); float64 copies."""
    x = checked_array(x, "X", 4)
    w = checked_array(w, "F", 4)
    b = checked_array(b, "b", 1)
    if b.shape[0] != w.shape[0]:
        raise InputError("error.conv.bias", nb=b.shape[0], nf=w.shape[0])
    geometry(x.shape, w.shape, stride, pad)
    return x, w, b


# ------------------------------------------------------------ the arrays --


def pad_hw(a: Array, ph: int, pw: int | None = None) -> Array:
    """``a`` (..., H, W) with ``ph`` zero rows above and below and ``pw`` zero columns left and right."""
    pw = ph if pw is None else pw
    return np.pad(a, [(0, 0)] * (a.ndim - 2) + [(ph, ph), (pw, pw)])


def dilate(d: Array, stride: int, extra: tuple[int, int] = (0, 0)) -> Array:
    """d (..., H', W') with ``stride - 1`` zeros between neighbours and ``extra`` = (rows, cols) zeros
    after the last ones (the dropped cells): (..., S(H'−1) + 1 + extra[0], S(W'−1) + 1 + extra[1])."""
    *lead, ho, wo = d.shape
    out = np.zeros((*lead, stride * (ho - 1) + 1 + extra[0], stride * (wo - 1) + 1 + extra[1]))
    out[..., :stride * (ho - 1) + 1:stride, :stride * (wo - 1) + 1:stride] = d
    return out


def rot180(w: Array) -> Array:
    """w (..., HH, WW) turned by 180°: a vertical flip (rows reversed) then a horizontal one."""
    return w[..., ::-1, :][..., :, ::-1]


def crop(a: Array, pad: int) -> Array:
    """``a`` (..., H + 2P, W + 2P) without its P-cell border: (..., H, W)."""
    return a[..., pad:a.shape[-2] - pad, pad:a.shape[-1] - pad]


def _windows(x: Array, hh: int, ww: int, stride: int, pad: int) -> Array:
    """(N, C, H', W', HH, WW): every window of the padded x (floor: the dropped cells in none)."""
    return sliding_window_view(pad_hw(x, pad), (hh, ww), axis=(2, 3))[:, :, ::stride, ::stride]


def forward(x: Array, w: Array, b: Array, stride: int = 1, pad: int = 0) -> tuple[Array, tuple]:
    """O[n, f, i, j] = b[f] + Σ_c Σ_a Σ_b' F[f, c, a, b'] · Xpad[n, c, S·i + a, S·j + b'] (0-based).

    x: (N, C, H, W), w: (F, C, HH, WW), b: (F,) -> out: (N, F, H', W');
    cache = (x, w, b, stride, pad).
    """
    x, w, b = check(x, w, b, stride, pad)
    win = _windows(x, *w.shape[2:], stride, pad)
    out = np.einsum("nchwab,fcab->nfhw", win, w, optimize=True) + b[None, :, None, None]
    return out, (x, w, b, stride, pad)


def dropped(x_shape: tuple[int, ...], w_shape: tuple[int, ...], stride: int, pad: int) -> tuple[int, int]:
    """(rows, cols) of the padded input the forward pass dropped (in no window)."""
    rows, cols = geometry(x_shape, w_shape, stride, pad)
    return rows.dropped, cols.dropped


def dw_valid_xcorr(x: Array, dout: Array, stride: int, pad: int, hh: int, ww: int) -> Array:
    """dL/dF: the valid cross-correlation of Xpad with the dilated dL/dO.

    x: (N, C, H, W), dout: (N, F, H', W') -> (F, C, HH, WW);
    dF[f, c, a, b] = Σ_n Σ_i Σ_j dout[n, f, i, j] · Xpad[n, c, S·i + a, S·j + b].
    """
    d = dilate(dout, stride)
    win = sliding_window_view(pad_hw(x, pad), d.shape[2:], axis=(2, 3))[:, :, :hh, :ww]
    return np.einsum("ncabhw,nfhw->fcab", win, d, optimize=True)


def full_input(dout: Array, w: Array, stride: int, padded: tuple[int, int]) -> Array:
    """The array the rotated filter slides over: dL/dO dilated (plus the dropped rows and
    columns as zeros) and padded by HH − 1 (WW − 1) zeros. dout (N, F, H', W'), ``padded`` =
    (H + 2P, W + 2P) -> (N, F, H + 2P + HH − 1, W + 2P + WW − 1)."""
    hh, ww = w.shape[2:]
    ho, wo = dout.shape[2:]
    extra = (padded[0] - stride * (ho - 1) - hh, padded[1] - stride * (wo - 1) - ww)
    return pad_hw(dilate(dout, stride, extra), hh - 1, ww - 1)


def dxpad_full_conv(dout: Array, w: Array, stride: int, padded: tuple[int, int]) -> Array:
    """dL/dXpad as the full convolution of rot180(F) with the dilated dL/dO.

    dout: (N, F, H', W'), w: (F, C, HH, WW) -> (N, C, H + 2P, W + 2P) (``padded``):
    Σ_f Σ_a Σ_b rot180(F)[f, c, a, b] · Dpad[n, f, k + a, l + b], Dpad = :func:`full_input`.
    """
    win = sliding_window_view(full_input(dout, w, stride, padded), w.shape[2:], axis=(2, 3))
    return np.einsum("nfklab,fcab->nckl", win, rot180(w), optimize=True)


def dx_full_conv(dout: Array, w: Array, stride: int, pad: int, size: tuple[int, int]) -> Array:
    """dL/dX (N, C, H, W) (``size`` = (H, W)): :func:`dxpad_full_conv` with the padding cropped."""
    return crop(dxpad_full_conv(dout, w, stride, (size[0] + 2 * pad, size[1] + 2 * pad)), pad)


def dxpad_scatter(dout: Array, w: Array, stride: int, padded: tuple[int, int]) -> Array:
    """dL/dXpad (N, C, H + 2P, W + 2P) by scattering: every dout[n, f, i, j] adds
    dout[n, f, i, j] · F[f, c] to the input window it came from; overlaps add up."""
    n, _, ho, wo = dout.shape
    _, c, hh, ww = w.shape
    dxp = np.zeros((n, c, *padded))
    for i in range(ho):
        for j in range(wo):
            dxp[:, :, i * stride:i * stride + hh, j * stride:j * stride + ww] += np.einsum(
                "nf,fcab->ncab", dout[:, :, i, j], w)
    return dxp


def dx_scatter(dout: Array, w: Array, stride: int, pad: int, size: tuple[int, int]) -> Array:
    """dL/dX (N, C, H, W): :func:`dxpad_scatter` with the padding cropped."""
    return crop(dxpad_scatter(dout, w, stride, (size[0] + 2 * pad, size[1] + 2 * pad)), pad)


def forward_by_channel(x: Array, w: Array, stride: int, pad: int) -> Array:
    """What each input channel adds to each output, bias left out: (N, F, C, H', W').

    Summed over axis 2 and with b added this is :func:`forward`'s out.
    """
    win = _windows(x, *w.shape[2:], stride, pad)
    return np.einsum("nchwab,fcab->nfchw", win, w, optimize=True)


def dx_by_channel(dout: Array, w: Array, stride: int, pad: int, size: tuple[int, int]) -> Array:
    """What each output channel's gradient adds to dL/dX: (N, F, C, H, W); summed over axis 1 it is dx."""
    padded = (size[0] + 2 * pad, size[1] + 2 * pad)
    win = sliding_window_view(full_input(dout, w, stride, padded), w.shape[2:], axis=(2, 3))
    return crop(np.einsum("nfklab,fcab->nfckl", win, rot180(w), optimize=True), pad)


def backward(dout: Array, cache: tuple) -> tuple[Array, Array, Array]:
    """(dx, dw, db) of :func:`forward`.

    dout: (N, F, H', W') -> dx: (N, C, H, W), dw: (F, C, HH, WW), db: (F,).
    dx is the full convolution of the rotated filter (:func:`dx_full_conv`),
    dw the valid cross-correlation (:func:`dw_valid_xcorr`), db = Σ dout.
    """
    x, w, b, stride, pad = cache
    ho, wo = output_shape(x.shape, w.shape, stride, pad)
    dout = check_dout(dout, (x.shape[0], w.shape[0], ho, wo))
    dx = dx_full_conv(dout, w, stride, pad, x.shape[2:])
    dw = dw_valid_xcorr(x, dout, stride, pad, *w.shape[2:])
    db = dout.sum(axis=(0, 2, 3))
    return dx, dw, db


# --------------------------------------------------------------- symbolic --
#
# The layer's SymPy definition, from which every formula the pages show is
# derived: the forward sum O_{f,i,j} with general indices, its derivatives
# (sympy.diff, then the Kronecker deltas summed away), and the concrete
# case of the arrays on screen instantiated from those derived index rules.
# Indices are 1-based here, as in the formulas a learner reads.

XPAD, FW, BIAS = sp.IndexedBase("X^{pad}"), sp.IndexedBase("F"), sp.IndexedBase("b")
FROT, DPAD = sp.IndexedBase("F^{rot}"), sp.IndexedBase("dO^{pad}")
H_ = sp.Symbol("H", integer=True, positive=True)


def _tidy_index(expr: sp.Expr, nice: sp.Expr) -> sp.Expr:
    """``nice`` (a display form, e.g. k − S(i − 1)) if SymPy confirms it equals ``expr``, else ``expr``."""
    return nice if sp.simplify(sp.expand(nice.doit()) - expr) == 0 else expr


@dataclass(frozen=True)
class ConvDerivation:
    """The conv layer's derivation with general indices (see :func:`derivation`).

    forward: O_{f,i,j}; dO_dX: ∂O_{f,i,j}/∂X^pad_{c,k,l}; dO_dF: ∂O_{f,i,j}/∂F_{f,c,u,v};
    dO_db: ∂O_{f,i,j}/∂b_f; dL_dX, dL_dF, dL_db: the chain rule Σ dO · ∂O/∂·, deltas
    summed away; full: the full convolution of F^rot with dO^pad (its definition);
    out_rows: H' = ⌊(H + 2P − HH) / S⌋ + 1 (PyTorch's rule; W' likewise).
    """

    forward: sp.Expr
    dO_dX: sp.Expr
    dO_dF: sp.Expr
    dO_db: sp.Expr
    dL_dX: sp.Expr
    dL_dF: sp.Expr
    dL_db: sp.Expr
    full: sp.Expr
    fwd_index: tuple[sp.Expr, sp.Expr]
    dx_index: tuple[sp.Expr, sp.Expr]
    dw_index: tuple[sp.Expr, sp.Expr]
    out_rows: sp.Expr


@lru_cache(maxsize=1)
def derivation() -> ConvDerivation:
    """Derive the conv layer's local derivatives and gradients with SymPy (cached, ~0.3 s once).

    O_{f,i,j} = b_f + Σ_c Σ_p Σ_q F_{f,c,p,q} X^pad_{c, S(i−1)+p, S(j−1)+q} and
    L = Σ_f Σ_i Σ_j dO_{f,i,j} O_{f,i,j} (dO = ∂L/∂O, given); sympy.diff gives
    Kronecker deltas, :func:`sympy.concrete.delta.deltasummation` sums them away.
    """
    f, c, i, j, k, ell, p, q, u, v, g, e = (INDEX[n] for n in "f c i j k l p q u v g e".split())
    row, col = S_ * (i - 1) + p, S_ * (j - 1) + q
    forward = BIAS[f] + sp.Sum(FW[f, c, p, q] * XPAD[c, row, col], (c, 1, C_), (p, 1, HH_), (q, 1, WW_))
    d_x = collapse(sp.diff(forward, XPAD[e, k, ell])).subs(e, c)       # F[f, c, k − S(i−1), l − S(j−1)]
    d_f = collapse(sp.diff(forward, FW[g, e, u, v]))                  # δ(f, g) X^pad[e, S(i−1)+u, S(j−1)+v]
    d_b = collapse(sp.diff(forward, BIAS[g]))                         # δ(f, g)
    # The chain rule: ∂L/∂θ = Σ_f Σ_i Σ_j dO_{f,i,j} ∂O_{f,i,j}/∂θ; the δ(f, g) sums f away.
    dl_f = deltasummation(DOUT[f, i, j] * d_f, (f, 1, F_), no_piecewise=True).subs({g: f, e: c})
    dl_b = deltasummation(DOUT[f, i, j] * d_b, (f, 1, F_), no_piecewise=True).subs(g, f)
    d_f, d_b = d_f.subs({g: f, e: c}), d_b.subs(g, f)
    # display forms of the derived indices, each checked equal by SymPy
    xi, xj = d_x.indices[2], d_x.indices[3]
    nice_x = (_tidy_index(xi, k - sp.UnevaluatedExpr(S_ * (i - 1))),
              _tidy_index(xj, ell - sp.UnevaluatedExpr(S_ * (j - 1))))
    d_x = FW[f, c, nice_x[0], nice_x[1]]
    dl_x = sp.Sum(DOUT[f, i, j] * d_x, (f, 1, F_), (i, 1, HO_), (j, 1, WO_))
    full = sp.Sum(FROT[f, c, p, q] * DPAD[f, k + p - 1, ell + q - 1], (f, 1, F_), (p, 1, HH_), (q, 1, WW_))
    return ConvDerivation(
        forward=forward, dO_dX=d_x, dO_dF=d_f, dO_db=d_b,
        dL_dX=dl_x, dL_dF=sp.Sum(dl_f, (i, 1, HO_), (j, 1, WO_)), dL_db=sp.Sum(dl_b, (i, 1, HO_), (j, 1, WO_)),
        full=full, fwd_index=(row, col), dx_index=(xi, xj), dw_index=tuple(d_f.indices[1:]),
        out_rows=sp.floor((H_ + 2 * P_ - HH_) / S_) + 1,
    )


def _index_fn(exprs: tuple[sp.Expr, sp.Expr], args: tuple[str, ...]):
    """A fast integer function of a derived index pair (lambdify)."""
    syms = [S_ if a == "S" else INDEX[a] for a in args]
    parts = [sp.Integer(e) if isinstance(e, int) else e for e in exprs]  # derived here, never user text
    fn = sp.lambdify(syms, [e.doit() for e in parts], "math")
    return lambda *vals: tuple(int(round(x)) for x in fn(*vals))


@dataclass(frozen=True)
class ConvConcrete:
    """One input channel, one output channel, these sizes: every entry as a SymPy expression.

    X (H×W), Xp (padded), F (HH×WW), D (H'×W' symbols dO_{ij}), out = O (H'×W', with the bias b_1),
    dO11_dX / dO11_dF: the derived local derivatives of O_{11}, dX (H×W, the derived
    chain rule, i.e. the scatter form), dF (HH×WW), db, F_flip (rows reversed),
    F_rot (then columns reversed), D_dil (zeros inserted, and zero rows / columns where the
    forward pass dropped cells), D_pad (HH−1 / WW−1 rings
    of zeros), dX_full_pad (the full convolution of F_rot with D_pad) and
    agree: SymPy's check that the full convolution, cropped, equals dX entry by entry.
    """

    X: sp.Matrix
    Xp: sp.Matrix
    F: sp.Matrix
    D: sp.Matrix
    out: sp.Matrix
    dO11_dX: sp.Matrix
    dO11_dF: sp.Matrix
    dX: sp.Matrix
    dF: sp.Matrix
    db: sp.Expr
    F_flip: sp.Matrix
    F_rot: sp.Matrix
    D_dil: sp.Matrix
    D_pad: sp.Matrix
    dX_full_pad: sp.Matrix
    agree: bool


@lru_cache(maxsize=64)
def concrete(h: int, w: int, hh: int, ww: int, stride: int, pad: int) -> ConvConcrete:
    """The concrete case, instantiated from :func:`derivation`'s derived index rules (cached)."""
    d = derivation()
    ho, wo = (h + 2 * pad - hh) // stride + 1, (w + 2 * pad - ww) // stride + 1
    X = sp.Matrix(h, w, lambda r, s: entry_symbol("X", r + 1, s + 1))
    F = sp.Matrix(hh, ww, lambda a, b: entry_symbol("F", a + 1, b + 1))
    D = sp.Matrix(ho, wo, lambda i, j: entry_symbol("dO", i + 1, j + 1))
    Xp = sp.zeros(h + 2 * pad, w + 2 * pad)
    Xp[pad:pad + h, pad:pad + w] = X
    fwd = _index_fn(d.fwd_index, ("S", "i", "j", "p", "q"))
    dxi = _index_fn(d.dx_index, ("S", "i", "j", "k", "l"))
    dwi = _index_fn(d.dw_index, ("S", "i", "j", "u", "v"))

    def xp(r: int, s: int) -> sp.Expr:  # 1-based padded coordinates
        return Xp[r - 1, s - 1]

    def fw(a: int, b: int) -> sp.Expr:  # F_{ab}, zero outside the filter
        return F[a - 1, b - 1] if 1 <= a <= hh and 1 <= b <= ww else sp.S.Zero

    bias = BIAS[1]
    out = sp.Matrix(ho, wo, lambda i, j: sp.Add(*[fw(p, q) * xp(*fwd(stride, i + 1, j + 1, p, q))
                                                 for p in range(1, hh + 1) for q in range(1, ww + 1)]) + bias)
    dO11_dX = sp.Matrix(h, w, lambda r, s: fw(*dxi(stride, 1, 1, r + 1 + pad, s + 1 + pad)))
    dO11_dF = sp.Matrix(hh, ww, lambda a, b: xp(*dwi(stride, 1, 1, a + 1, b + 1)))
    dX = sp.Matrix(h, w, lambda r, s: sp.Add(*[D[i, j] * fw(*dxi(stride, i + 1, j + 1, r + 1 + pad, s + 1 + pad))
                                               for i in range(ho) for j in range(wo)]))
    dF = sp.Matrix(hh, ww, lambda a, b: sp.Add(*[D[i, j] * xp(*dwi(stride, i + 1, j + 1, a + 1, b + 1))
                                                 for i in range(ho) for j in range(wo)]))
    F_flip = F[::-1, :]
    F_rot = F_flip[:, ::-1]
    D_dil = sp.zeros(h + 2 * pad - hh + 1, w + 2 * pad - ww + 1)  # the dropped rows / columns stay zero
    for i in range(ho):
        for j in range(wo):
            D_dil[stride * i, stride * j] = D[i, j]
    D_pad = sp.zeros(D_dil.rows + 2 * (hh - 1), D_dil.cols + 2 * (ww - 1))
    D_pad[hh - 1:hh - 1 + D_dil.rows, ww - 1:ww - 1 + D_dil.cols] = D_dil
    full = sp.Matrix(h + 2 * pad, w + 2 * pad, lambda r, s: sp.Add(
        *[F_rot[a, b] * D_pad[r + a, s + b] for a in range(hh) for b in range(ww)]))
    agree = all(sp.expand(full[r + pad, s + pad] - dX[r, s]) == 0 for r in range(h) for s in range(w))
    return ConvConcrete(X, Xp, F, D, out, dO11_dX, dO11_dF, dX, dF, sp.Add(*D), F_flip, F_rot, D_dil, D_pad,
                        full, agree)


