"""2-D convolution and pooling, forward and backward (cs231n style, float64).

Shapes (every array is float64):

    x     (N, C, H, W)      input
    w     (F, C, HH, WW)    filters: F output channels, C input channels
    b     (F,)              biases
    out   (N, F, H', W')    H' = (H + 2P - HH) / S + 1, W' likewise
    dout  (N, F, H', W')    upstream gradient dL/dO

``conv_forward(x, w, b, stride, pad) -> (out, cache)`` and
``conv_backward(dout, cache) -> (dx, dw, db)`` are the layer. The backward
pass is built from the two views the conv page animates, each also a
function of its own:

- :func:`dx_full_conv`: dL/dX as the *full* convolution of the 180°-rotated
  filter with dL/dO. With stride S > 1, S - 1 zeros are first inserted
  between neighbouring cells of dL/dO (dilation); the full convolution is a
  valid sliding of the rotated filter over dL/dO padded with HH - 1 (WW - 1)
  zeros; the gradient of the padding cells is then cropped away.
- :func:`dx_scatter`: each dL/dO cell spreads its gradient, weighted by F,
  over the input window it was computed from (overlaps add up).
- :func:`dw_valid_xcorr`: dL/dF as the *valid* cross-correlation of the
  padded X with the (dilated) dL/dO.

Several channels: O[f] sums over every input channel c, so dL/dX[c] sums
over every output channel f; dL/dF[f, c] needs no sum over channels.

Pooling (no padding), x (N, C, H, W) -> out (N, C, H', W') with
H' = (H - K) / S + 1:

- :func:`maxpool_forward` / :func:`maxpool_backward`. **Tie rule**: when a
  window holds its maximum more than once, the *first* maximum in row-major
  order (top row first, left to right) is the arg-max and gets the whole
  gradient; the others get none. This is PyTorch's rule (its CPU
  max_pool2d keeps the running maximum unless a later value is strictly
  greater), checked in the tests. With stride < K windows overlap and a cell
  that is the arg-max of several windows accumulates all their gradients.
- :func:`avgpool_forward` / :func:`avgpool_backward`: each cell of a window
  gets dL/dO / K² (overlaps add up as well).

Bad input raises :class:`bnviz.i18n.InputError` with an ``error.conv.*``
catalog key: wrong rank, mismatched channels, a filter larger than the
padded input, a stride or padding that does not fit, NaN or infinity,
a wrong dL/dO shape, arrays too large.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import sympy as sp
from numpy.lib.stride_tricks import sliding_window_view
from sympy.concrete.delta import deltasummation

from bnviz.i18n import InputError

Array = np.ndarray

MAX_ELEMENTS = 5_000_000
"""Largest intermediate (N·C·H'·W'·HH·WW windows) the layer builds; beyond it: InputError."""

MAX_ABS = 1e100
"""Largest |value| accepted (products and sums stay finite in float64)."""


# ----------------------------------------------------------------- checks --


def checked_array(a: object, what: str, ndim: int) -> Array:
    """``a`` as a finite float64 array of rank ``ndim``, or InputError."""
    arr = np.asarray(a)
    if arr.dtype == bool or not (np.issubdtype(arr.dtype, np.integer) or np.issubdtype(arr.dtype, np.floating)):
        raise InputError("error.conv.dtype", what=what, dtype=str(arr.dtype))
    if arr.ndim != ndim:
        raise InputError("error.conv.rank", what=what, ndim=ndim, shape=_shape(arr.shape))
    if arr.size == 0:
        raise InputError("error.conv.empty", what=what, shape=_shape(arr.shape))
    arr = arr.astype(np.float64)
    if not np.all(np.isfinite(arr)):
        raise InputError("error.conv.not_finite", what=what)
    if np.max(np.abs(arr)) > MAX_ABS:
        raise InputError("error.conv.too_large", what=what, limit=f"{MAX_ABS:.0e}")
    return arr


def _shape(shape: tuple[int, ...]) -> str:
    return " × ".join(map(str, shape)) if shape else "()"


def _check_int(value: object, what: str, lo: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < lo:
        raise InputError("error.conv.bad_int", what=what, value=value, lo=lo)
    return int(value)


def _fit(size: int, pad: int, k: int, stride: int, dim: str, kdim: str, pool: bool = False) -> int:
    """Output length along one axis; InputError if the window does not fit or does not land evenly.

    ``pool``: a pooling window (no padding), worded without P.
    """
    span = size + 2 * pad
    prefix = "error.conv.pool_" if pool else "error.conv."
    if k > span:
        raise InputError("error.conv.pool_too_big" if pool else "error.conv.filter_too_big", dim=dim, kdim=kdim,
                         size=size, pad=pad, k=k, span=span)
    if (span - k) % stride:
        lower = [s for s in range(1, stride) if (span - k) % s == 0]
        raise InputError(prefix + "stride_fit", dim=dim, kdim=kdim, size=size, pad=pad, k=k, stride=stride,
                         value=f"{(span - k) / stride:g}", ok=", ".join(map(str, lower)) or "1")
    return (span - k) // stride + 1


def conv_shapes(x_shape: tuple[int, ...], w_shape: tuple[int, ...], stride: int, pad: int) -> tuple[int, int]:
    """(H', W') of a convolution; InputError if the shapes do not fit together."""
    stride = _check_int(stride, "S", 1)
    pad = _check_int(pad, "P", 0)
    _, c, h, wd = x_shape
    f, cw, hh, ww = w_shape
    if c != cw:
        raise InputError("error.conv.channels", cx=c, cw=cw)
    ho = _fit(h, pad, hh, stride, "H", "HH")
    wo = _fit(wd, pad, ww, stride, "W", "WW")
    if x_shape[0] * c * ho * wo * hh * ww > MAX_ELEMENTS or x_shape[0] * f * (h + 2 * pad) * (wd + 2 * pad) * hh * ww \
            > MAX_ELEMENTS:
        raise InputError("error.conv.too_big", limit=f"{MAX_ELEMENTS:,}")
    return ho, wo


def check_conv(x: object, w: object, b: object, stride: int, pad: int) -> tuple[Array, Array, Array]:
    """x, w, b checked (ranks, channels, finiteness, fit); float64 copies."""
    x = checked_array(x, "X", 4)
    w = checked_array(w, "F", 4)
    b = checked_array(b, "b", 1)
    if b.shape[0] != w.shape[0]:
        raise InputError("error.conv.bias", nb=b.shape[0], nf=w.shape[0])
    conv_shapes(x.shape, w.shape, stride, pad)
    return x, w, b


def check_dout(dout: object, shape: tuple[int, ...]) -> Array:
    """dL/dO checked against the output shape ``shape``."""
    d = checked_array(dout, "dL/dO", len(shape))
    if d.shape != tuple(shape):
        raise InputError("error.conv.dout_shape", got=_shape(d.shape), want=_shape(tuple(shape)))
    return d


# ------------------------------------------------------------ convolution --


def pad_hw(a: Array, ph: int, pw: int | None = None) -> Array:
    """``a`` (..., H, W) with ``ph`` zero rows above and below and ``pw`` zero columns left and right."""
    pw = ph if pw is None else pw
    return np.pad(a, [(0, 0)] * (a.ndim - 2) + [(ph, ph), (pw, pw)])


def dilate(d: Array, stride: int) -> Array:
    """d (..., H', W') with ``stride - 1`` zeros between neighbours: (..., S(H'-1)+1, S(W'-1)+1)."""
    *lead, ho, wo = d.shape
    out = np.zeros((*lead, stride * (ho - 1) + 1, stride * (wo - 1) + 1))
    out[..., ::stride, ::stride] = d
    return out


def rot180(w: Array) -> Array:
    """w (..., HH, WW) turned by 180°: a vertical flip (rows reversed) then a horizontal one."""
    return w[..., ::-1, :][..., :, ::-1]


def conv_forward(x: Array, w: Array, b: Array, stride: int = 1, pad: int = 0) -> tuple[Array, tuple]:
    """O[n, f, i, j] = b[f] + Σ_c Σ_a Σ_b' F[f, c, a, b'] · Xpad[n, c, S·i + a, S·j + b'] (0-based).

    x: (N, C, H, W), w: (F, C, HH, WW), b: (F,) -> out: (N, F, H', W');
    cache = (x, w, b, stride, pad).
    """
    x, w, b = check_conv(x, w, b, stride, pad)
    hh, ww = w.shape[2:]
    win = sliding_window_view(pad_hw(x, pad), (hh, ww), axis=(2, 3))[:, :, ::stride, ::stride]
    out = np.einsum("nchwab,fcab->nfhw", win, w, optimize=True) + b[None, :, None, None]
    return out, (x, w, b, stride, pad)


def dw_valid_xcorr(x: Array, dout: Array, stride: int, pad: int, hh: int, ww: int) -> Array:
    """dL/dF: the valid cross-correlation of Xpad with the dilated dL/dO.

    x: (N, C, H, W), dout: (N, F, H', W') -> (F, C, HH, WW);
    dF[f, c, a, b] = Σ_n Σ_i Σ_j dout[n, f, i, j] · Xpad[n, c, S·i + a, S·j + b].
    """
    d = dilate(dout, stride)
    win = sliding_window_view(pad_hw(x, pad), d.shape[2:], axis=(2, 3))[:, :, :hh, :ww]
    return np.einsum("ncabhw,nfhw->fcab", win, d, optimize=True)


def dxpad_full_conv(dout: Array, w: Array, stride: int) -> Array:
    """dL/dXpad as the full convolution of rot180(F) with the dilated dL/dO.

    dout: (N, F, H', W'), w: (F, C, HH, WW) -> (N, C, H + 2P, W + 2P):
    Σ_f Σ_a Σ_b rot180(F)[f, c, a, b] · Dpad[n, f, k + a, l + b], where Dpad
    is dL/dO dilated by the stride and padded by HH - 1 (WW - 1) zeros.
    """
    hh, ww = w.shape[2:]
    dpad = pad_hw(dilate(dout, stride), hh - 1, ww - 1)
    win = sliding_window_view(dpad, (hh, ww), axis=(2, 3))
    return np.einsum("nfklab,fcab->nckl", win, rot180(w), optimize=True)


def dx_full_conv(dout: Array, w: Array, stride: int, pad: int) -> Array:
    """dL/dX (N, C, H, W): :func:`dxpad_full_conv` with the P-cell border (the padding) cropped."""
    return crop(dxpad_full_conv(dout, w, stride), pad)


def dxpad_scatter(dout: Array, w: Array, stride: int) -> Array:
    """dL/dXpad (N, C, H + 2P, W + 2P) by scattering: every dout[n, f, i, j] adds
    dout[n, f, i, j] · F[f, c] to the input window it came from; overlaps add up."""
    n, _, ho, wo = dout.shape
    _, c, hh, ww = w.shape
    dxp = np.zeros((n, c, stride * (ho - 1) + hh, stride * (wo - 1) + ww))
    for i in range(ho):
        for j in range(wo):
            dxp[:, :, i * stride:i * stride + hh, j * stride:j * stride + ww] += np.einsum(
                "nf,fcab->ncab", dout[:, :, i, j], w)
    return dxp


def crop(a: Array, pad: int) -> Array:
    """``a`` (..., H + 2P, W + 2P) without its P-cell border: (..., H, W)."""
    return a[..., pad:a.shape[-2] - pad, pad:a.shape[-1] - pad]


def dx_scatter(dout: Array, w: Array, stride: int, pad: int) -> Array:
    """dL/dX (N, C, H, W): :func:`dxpad_scatter` with the padding cropped."""
    return crop(dxpad_scatter(dout, w, stride), pad)


def forward_by_channel(x: Array, w: Array, stride: int, pad: int) -> Array:
    """What each input channel adds to each output, bias left out: (N, F, C, H', W').

    Summed over axis 2 and with b added this is ``conv_forward``'s out.
    """
    hh, ww = w.shape[2:]
    win = sliding_window_view(pad_hw(x, pad), (hh, ww), axis=(2, 3))[:, :, ::stride, ::stride]
    return np.einsum("nchwab,fcab->nfchw", win, w, optimize=True)


def dx_by_channel(dout: Array, w: Array, stride: int, pad: int) -> Array:
    """What each output channel's gradient adds to dL/dX: (N, F, C, H, W); summed over axis 1 it is dx."""
    hh, ww = w.shape[2:]
    dpad = pad_hw(dilate(dout, stride), hh - 1, ww - 1)
    win = sliding_window_view(dpad, (hh, ww), axis=(2, 3))
    return crop(np.einsum("nfklab,fcab->nfckl", win, rot180(w), optimize=True), pad)


def conv_backward(dout: Array, cache: tuple) -> tuple[Array, Array, Array]:
    """(dx, dw, db) of :func:`conv_forward`.

    dout: (N, F, H', W') -> dx: (N, C, H, W), dw: (F, C, HH, WW), db: (F,).
    dx is the full convolution of the rotated filter (:func:`dx_full_conv`),
    dw the valid cross-correlation (:func:`dw_valid_xcorr`), db = Σ dout.
    """
    x, w, b, stride, pad = cache
    ho, wo = conv_shapes(x.shape, w.shape, stride, pad)
    dout = check_dout(dout, (x.shape[0], w.shape[0], ho, wo))
    dx = dx_full_conv(dout, w, stride, pad)
    dw = dw_valid_xcorr(x, dout, stride, pad, *w.shape[2:])
    db = dout.sum(axis=(0, 2, 3))
    return dx, dw, db


# ---------------------------------------------------------------- pooling --


def pool_shape(x_shape: tuple[int, ...], size: int, stride: int) -> tuple[int, int]:
    """(H', W') of a K×K pooling with stride S; InputError if it does not fit."""
    size = _check_int(size, "K", 1)
    stride = _check_int(stride, "S", 1)
    _, _, h, wd = x_shape
    ho = _fit(h, 0, size, stride, "H", "K", pool=True)
    wo = _fit(wd, 0, size, stride, "W", "K", pool=True)
    if x_shape[0] * x_shape[1] * ho * wo * size * size > MAX_ELEMENTS:
        raise InputError("error.conv.too_big", limit=f"{MAX_ELEMENTS:,}")
    return ho, wo


def _windows(x: Array, size: int, stride: int) -> Array:
    """(N, C, H', W', K·K): each pooling window flattened in row-major order."""
    win = sliding_window_view(x, (size, size), axis=(2, 3))[:, :, ::stride, ::stride]
    return win.reshape(*win.shape[:4], size * size)


def maxpool_forward(x: Array, size: int = 2, stride: int = 2) -> tuple[Array, tuple]:
    """out[n, c, i, j] = max of the K×K window at (S·i, S·j).

    x: (N, C, H, W) -> out: (N, C, H', W'); cache = (x shape, arg, size, stride)
    with arg (N, C, H', W') the flat row-major index (0..K²-1) of each
    window's *first* maximum (numpy's argmax; the tie rule, as PyTorch).
    """
    x = checked_array(x, "X", 4)
    pool_shape(x.shape, size, stride)
    win = _windows(x, size, stride)
    arg = win.argmax(axis=-1)
    out = np.take_along_axis(win, arg[..., None], axis=-1)[..., 0]
    return out, (x.shape, arg, size, stride)


def argmax_cells(arg: Array, size: int, stride: int) -> tuple[Array, Array]:
    """(rows, cols) in x of each window's arg-max; both (N, C, H', W')."""
    ho, wo = arg.shape[2:]
    da, db = np.divmod(arg, size)
    rows = stride * np.arange(ho)[:, None] + da
    cols = stride * np.arange(wo)[None, :] + db
    return rows, cols


def maxpool_backward(dout: Array, cache: tuple) -> Array:
    """dx (N, C, H, W): each dout[n, c, i, j] added to its window's arg-max cell, zero elsewhere.

    Overlapping windows (stride < K) accumulate: np.add.at adds every one.
    """
    shape, arg, size, stride = cache
    dout = check_dout(dout, arg.shape)
    rows, cols = argmax_cells(arg, size, stride)
    n, c = np.meshgrid(np.arange(shape[0]), np.arange(shape[1]), indexing="ij")
    dx = np.zeros(shape)
    np.add.at(dx, (n[:, :, None, None], c[:, :, None, None], rows, cols), dout)
    return dx


def avgpool_forward(x: Array, size: int = 2, stride: int = 2) -> tuple[Array, tuple]:
    """out[n, c, i, j] = mean of the K×K window at (S·i, S·j). x: (N, C, H, W) -> (N, C, H', W')."""
    x = checked_array(x, "X", 4)
    ho, wo = pool_shape(x.shape, size, stride)
    out = _windows(x, size, stride).mean(axis=-1)
    return out, (x.shape, (ho, wo), size, stride)


def avgpool_backward(dout: Array, cache: tuple) -> Array:
    """dx (N, C, H, W): each dout[n, c, i, j] / K² added to every cell of its window."""
    shape, (ho, wo), size, stride = cache
    dout = check_dout(dout, (*shape[:2], ho, wo))
    dx = np.zeros(shape)
    share = dout / size ** 2
    for a in range(size):
        for b in range(size):
            dx[:, :, a:a + stride * (ho - 1) + 1:stride, b:b + stride * (wo - 1) + 1:stride] += share
    return dx


def pool_forward(x: Array, size: int, stride: int, kind: str) -> tuple[Array, tuple]:
    """Max or average pooling by name ("max" or "avg")."""
    if kind == "max":
        return maxpool_forward(x, size, stride)
    if kind == "avg":
        return avgpool_forward(x, size, stride)
    raise InputError("error.conv.pool_kind", kind=kind)


def pool_backward(dout: Array, cache: tuple, kind: str) -> Array:
    """The backward of :func:`pool_forward` of the same ``kind``."""
    return maxpool_backward(dout, cache) if kind == "max" else avgpool_backward(dout, cache)


# --------------------------------------------------------------- symbolic --
#
# The layer's SymPy definition, from which every formula the pages show is
# derived: the forward sum O_{f,i,j} with general indices, its derivatives
# (sympy.diff, then the Kronecker deltas summed away), and the concrete
# case of the arrays on screen instantiated from those derived index rules.
# Indices are 1-based here, as in the formulas a learner reads.

_I = {name: sp.Symbol(name, integer=True, positive=True) for name in "f c i j k l p q u v g e".split()}
S_, P_, HH_, WW_, C_, F_, HO_, WO_, K_ = (sp.Symbol(n, integer=True, positive=True)
                                          for n in ("S", "P", "HH", "WW", "C", "F", "H'", "W'", "K"))
XPAD, FW, BIAS, DOUT = sp.IndexedBase("X^{pad}"), sp.IndexedBase("F"), sp.IndexedBase("b"), sp.IndexedBase("dO")
FROT, DPAD, XS = sp.IndexedBase("F^{rot}"), sp.IndexedBase("dO^{pad}"), sp.IndexedBase("x")


def _collapse(expr: sp.Expr) -> sp.Expr:
    """Sum away the Kronecker deltas of a derivative: Sum(δ…·g, limits) -> g at the deltas' solution."""
    if not isinstance(expr, sp.Sum):
        return expr
    body = expr.function
    for var, lo, hi in reversed(expr.limits):
        body = deltasummation(body, (var, lo, hi), no_piecewise=True)
    return body


def _tidy_index(expr: sp.Expr, nice: sp.Expr) -> sp.Expr:
    """``nice`` (a display form, e.g. k − S(i − 1)) if SymPy confirms it equals ``expr``, else ``expr``."""
    return nice if sp.simplify(sp.expand(nice.doit()) - expr) == 0 else expr


@dataclass(frozen=True)
class ConvDerivation:
    """The conv layer's derivation with general indices (see :func:`conv_derivation`).

    forward: O_{f,i,j}; dO_dX: ∂O_{f,i,j}/∂X^pad_{c,k,l}; dO_dF: ∂O_{f,i,j}/∂F_{f,c,u,v};
    dO_db: ∂O_{f,i,j}/∂b_f; dL_dX, dL_dF, dL_db: the chain rule Σ dO · ∂O/∂·, deltas
    summed away; full: the full convolution of F^rot with dO^pad (its definition).
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


@lru_cache(maxsize=1)
def conv_derivation() -> ConvDerivation:
    """Derive the conv layer's local derivatives and gradients with SymPy (cached, ~0.3 s once).

    O_{f,i,j} = b_f + Σ_c Σ_p Σ_q F_{f,c,p,q} X^pad_{c, S(i−1)+p, S(j−1)+q} and
    L = Σ_f Σ_i Σ_j dO_{f,i,j} O_{f,i,j} (dO = ∂L/∂O, given); sympy.diff gives
    Kronecker deltas, :func:`sympy.concrete.delta.deltasummation` sums them away.
    """
    f, c, i, j, k, ell, p, q, u, v, g, e = (_I[n] for n in "f c i j k l p q u v g e".split())
    row, col = S_ * (i - 1) + p, S_ * (j - 1) + q
    forward = BIAS[f] + sp.Sum(FW[f, c, p, q] * XPAD[c, row, col], (c, 1, C_), (p, 1, HH_), (q, 1, WW_))
    d_x = _collapse(sp.diff(forward, XPAD[e, k, ell])).subs(e, c)       # F[f, c, k − S(i−1), l − S(j−1)]
    d_f = _collapse(sp.diff(forward, FW[g, e, u, v]))                  # δ(f, g) X^pad[e, S(i−1)+u, S(j−1)+v]
    d_b = _collapse(sp.diff(forward, BIAS[g]))                         # δ(f, g)
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
    )


def _sym(name: str, *idx: int) -> sp.Symbol:
    """X_{12} for one-digit indices, X_{10,2} otherwise (1-based)."""
    sep = "," if any(n > 9 for n in idx) else ""
    return sp.Symbol(f"{name}_{{{sep.join(map(str, idx))}}}")


def _index_fn(exprs: tuple[sp.Expr, sp.Expr], args: tuple[str, ...]):
    """A fast integer function of a derived index pair (lambdify)."""
    syms = [S_ if a == "S" else _I[a] for a in args]
    parts = [sp.Integer(e) if isinstance(e, int) else e for e in exprs]  # derived here, never user text
    fn = sp.lambdify(syms, [e.doit() for e in parts], "math")
    return lambda *vals: tuple(int(round(x)) for x in fn(*vals))


@dataclass(frozen=True)
class ConvConcrete:
    """One input channel, one output channel, these sizes: every entry as a SymPy expression.

    X (H×W), Xp (padded), F (HH×WW), D (H'×W' symbols dO_{ij}), out = O (H'×W', bias left out),
    dO11_dX / dO11_dF: the derived local derivatives of O_{11}, dX (H×W, the derived
    chain rule, i.e. the scatter form), dF (HH×WW), db, F_flip (rows reversed),
    F_rot (then columns reversed), D_dil (zeros inserted), D_pad (HH−1 / WW−1 rings
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
def conv_concrete(h: int, w: int, hh: int, ww: int, stride: int, pad: int) -> ConvConcrete:
    """The concrete case, instantiated from :func:`conv_derivation`'s derived index rules (cached)."""
    d = conv_derivation()
    ho, wo = (h + 2 * pad - hh) // stride + 1, (w + 2 * pad - ww) // stride + 1
    X = sp.Matrix(h, w, lambda r, s: _sym("X", r + 1, s + 1))
    F = sp.Matrix(hh, ww, lambda a, b: _sym("F", a + 1, b + 1))
    D = sp.Matrix(ho, wo, lambda i, j: _sym("dO", i + 1, j + 1))
    Xp = sp.zeros(h + 2 * pad, w + 2 * pad)
    Xp[pad:pad + h, pad:pad + w] = X
    fwd = _index_fn(d.fwd_index, ("S", "i", "j", "p", "q"))
    dxi = _index_fn(d.dx_index, ("S", "i", "j", "k", "l"))
    dwi = _index_fn(d.dw_index, ("S", "i", "j", "u", "v"))

    def xp(r: int, s: int) -> sp.Expr:  # 1-based padded coordinates
        return Xp[r - 1, s - 1]

    def fw(a: int, b: int) -> sp.Expr:  # F_{ab}, zero outside the filter
        return F[a - 1, b - 1] if 1 <= a <= hh and 1 <= b <= ww else sp.S.Zero

    out = sp.Matrix(ho, wo, lambda i, j: sp.Add(*[fw(p, q) * xp(*fwd(stride, i + 1, j + 1, p, q))
                                                 for p in range(1, hh + 1) for q in range(1, ww + 1)]))
    dO11_dX = sp.Matrix(h, w, lambda r, s: fw(*dxi(stride, 1, 1, r + 1 + pad, s + 1 + pad)))
    dO11_dF = sp.Matrix(hh, ww, lambda a, b: xp(*dwi(stride, 1, 1, a + 1, b + 1)))
    dX = sp.Matrix(h, w, lambda r, s: sp.Add(*[D[i, j] * fw(*dxi(stride, i + 1, j + 1, r + 1 + pad, s + 1 + pad))
                                               for i in range(ho) for j in range(wo)]))
    dF = sp.Matrix(hh, ww, lambda a, b: sp.Add(*[D[i, j] * xp(*dwi(stride, i + 1, j + 1, a + 1, b + 1))
                                                 for i in range(ho) for j in range(wo)]))
    F_flip = F[::-1, :]
    F_rot = F_flip[:, ::-1]
    D_dil = sp.zeros(stride * (ho - 1) + 1, stride * (wo - 1) + 1)
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


@dataclass(frozen=True)
class PoolDerivation:
    """Average pooling with general indices.

    avg:       O_{i,j} = (1/K²) Σ_p Σ_q x_{S(i−1)+p, S(j−1)+q}
    cell:      a cell of window (i, j): x_{S(i−1)+u, S(j−1)+v}, 1 ≤ u, v ≤ K
    avg_local: ∂O_{i,j}/∂cell (derived: 1/K²)
    avg_term:  dO_{i,j} · ∂O_{i,j}/∂cell, what window (i, j) adds to ∂L/∂cell
    """

    avg: sp.Expr
    cell: sp.Expr
    avg_local: sp.Expr
    avg_term: sp.Expr


@lru_cache(maxsize=1)
def pool_derivation() -> PoolDerivation:
    """sympy.diff of the mean with respect to one of its window's cells, deltas summed away."""
    i, j, p, q, u, v = (_I[n] for n in "i j p q u v".split())
    avg = sp.Sum(XS[S_ * (i - 1) + p, S_ * (j - 1) + q], (p, 1, K_), (q, 1, K_)) / K_ ** 2
    cell = XS[S_ * (i - 1) + u, S_ * (j - 1) + v]
    local = _collapse(sp.diff(avg, cell) * K_ ** 2) / K_ ** 2
    return PoolDerivation(avg, cell, local, DOUT[i, j] * local)


@dataclass(frozen=True)
class PoolConcrete:
    """The first window (1, 1) of a K×K pooling: its symbols, max and mean, and their derived derivatives."""

    window: sp.Matrix
    O_max: sp.Expr
    O_avg: sp.Expr
    dmax: sp.Matrix
    davg: sp.Matrix


@lru_cache(maxsize=8)
def pool_concrete(size: int) -> PoolConcrete:
    """O_{11} = max / mean of x_{11}…x_{KK}; ∂O_{11}/∂x_{kl} by sympy.diff (Heaviside θ for the max)."""
    win = sp.Matrix(size, size, lambda r, s: _sym("x", r + 1, s + 1))
    o_max = sp.Max(*win)
    o_avg = sp.Add(*win) / size ** 2
    dmax = win.applyfunc(lambda s: sp.diff(o_max, s))
    davg = win.applyfunc(lambda s: sp.diff(o_avg, s))
    return PoolConcrete(win, o_max, o_avg, dmax, davg)


def max_derivative_at(values: Array) -> sp.Matrix:
    """∂max/∂x_{kl} of one K×K window evaluated at its numbers (exact rationals).

    SymPy's derivative of Max is a Heaviside step θ(x_kl − max of the others);
    at a tie the argument is 0 and SymPy's θ(0) = 1/2: calculus does not say
    which tied cell gets the gradient (frameworks pick one, see the tie rule).
    """
    k = values.shape[0]
    c = pool_concrete(k)
    subs = {c.window[r, s]: sp.Rational(*float(values[r, s]).as_integer_ratio()) for r in range(k) for s in range(k)}
    return c.dmax.applyfunc(lambda e: e.xreplace(subs))
