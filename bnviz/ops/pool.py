"""2-D max and average pooling, forward and backward (float64), with PyTorch's shape rules.

x (N, C, H, W) -> out (N, C, H', W'), K×K windows, stride S, padding P, as
torch.nn.functional.max_pool2d / avg_pool2d:

    H' = floor((H + 2P − K + (S − 1 if ceil_mode else 0)) / S) + 1, minus 1 in ceil mode
    if the last window would start at or beyond H + P; P ≤ K / 2 (see :mod:`bnviz.ops.windows`).

- Max pooling pads with −∞ (a padding cell never wins). **Tie rule**: when a window holds
  its maximum more than once, the *first* maximum in row-major order (top row first, left
  to right) is the arg-max and gets the whole gradient; the others get none. This is
  PyTorch's rule (its CPU max_pool2d keeps the running maximum unless a later value is
  strictly greater), checked in the tests. Windows that overlap (S < K) accumulate.
- Average pooling divides each window's sum by its divisor: with ``count_include_pad``
  (PyTorch's default) the window's cells inside the padded input H + 2P (padding zeros
  counted, ceil mode's overhang not), otherwise only its real cells. Each real cell of a
  window gets dL/dO / divisor back.

``forward(x, size, stride, kind, pad, ceil_mode, count_include_pad) -> (out, cache)`` and
``backward(dout, cache) -> dx``. :func:`derivation` is the SymPy definition of both.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import sympy as sp
from numpy.lib.stride_tricks import sliding_window_view

from bnviz.i18n import InputError
from bnviz.ops.windows import (
    DOUT,
    INDEX,
    K_,
    REAL,
    S_,
    Axis,
    axis,
    check_dout,
    check_size,
    checked_array,
    collapse,
    entry_symbol,
    kinds_2d,
)

Array = np.ndarray
KINDS = ("max", "avg")


@dataclass(frozen=True)
class Pooling:
    """A pooling layer's settings and geometry (rows, cols: :class:`bnviz.ops.windows.Axis`)."""

    kind: str
    size: int
    stride: int
    pad: int
    ceil_mode: bool
    count_include_pad: bool
    rows: Axis
    cols: Axis

    @property
    def out_shape(self) -> tuple[int, int]:
        return self.rows.out, self.cols.out

    def kinds(self) -> Array:
        """(rows.length, cols.length): REAL, PAD, DROPPED or OVERHANG for every drawn cell."""
        return kinds_2d(self.rows, self.cols)

    def canvas(self, x: Array, fill: float) -> Array:
        """x (..., H, W) placed in the drawn grid (..., rows.length, cols.length), ``fill`` elsewhere."""
        out = np.full((*x.shape[:-2], self.rows.length, self.cols.length), fill)
        p = self.pad
        out[..., p:p + x.shape[-2], p:p + x.shape[-1]] = x
        return out

    def uncanvas(self, g: Array) -> Array:
        """The real cells of a grid (..., rows.length, cols.length): (..., H, W)."""
        p = self.pad
        return g[..., p:p + self.rows.size, p:p + self.cols.size]

    def windows(self, grid: Array) -> Array:
        """(..., H', W', K·K): each window of a drawn grid, flattened in row-major order."""
        k, s = self.size, self.stride
        win = sliding_window_view(grid, (k, k), axis=(-2, -1))[..., ::s, ::s, :, :]
        win = win[..., :self.rows.out, :self.cols.out, :, :]
        return win.reshape(*win.shape[:-2], k * k)

    def divisors(self) -> Array:
        """(H', W'): what average pooling divides each window's sum by (see the module docstring)."""
        kinds = self.kinds()
        counted = kinds == REAL
        if self.count_include_pad:
            counted = np.zeros_like(counted)
            counted[:self.rows.span, :self.cols.span] = True
        return self.windows(counted.astype(float)).sum(axis=-1)


def pooling(x_shape: tuple[int, ...], size: int, stride: int, kind: str = "max", pad: int = 0,
            ceil_mode: bool = False, count_include_pad: bool = True) -> Pooling:
    """The layer's geometry by PyTorch's rules; InputError for what PyTorch refuses."""
    if kind not in KINDS:
        raise InputError("error.conv.pool_kind", kind=kind)
    _, _, h, w = x_shape
    rows = axis(h, size, stride, pad, "H", "K", ceil_mode=bool(ceil_mode), pool=True)
    cols = axis(w, size, stride, pad, "W", "K", ceil_mode=bool(ceil_mode), pool=True)
    check_size(x_shape[0] * x_shape[1] * rows.out * cols.out * size * size)
    return Pooling(kind, int(size), int(stride), int(pad), bool(ceil_mode), bool(count_include_pad), rows, cols)


def forward(x: Array, size: int = 2, stride: int = 2, kind: str = "max", pad: int = 0, ceil_mode: bool = False,
            count_include_pad: bool = True) -> tuple[Array, tuple]:
    """out (N, C, H', W') of x (N, C, H, W): the max or the average of each K×K window.

    cache = (x, layer, arg) with layer a :class:`Pooling` and arg (N, C, H', W') the flat
    row-major index (0..K²−1) of each window's *first* maximum (max pooling; numpy's argmax).
    """
    x = checked_array(x, "X", 4)
    layer = pooling(x.shape, size, stride, kind, pad, ceil_mode, count_include_pad)
    if kind == "max":
        win = layer.windows(layer.canvas(x, -np.inf))
        arg = win.argmax(axis=-1)
        out = np.take_along_axis(win, arg[..., None], axis=-1)[..., 0]
    else:
        arg = np.zeros((*x.shape[:2], *layer.out_shape), dtype=int)
        out = layer.windows(layer.canvas(x, 0.0)).sum(axis=-1) / layer.divisors()
    return out, (x, layer, arg)


def argmax_cells(arg: Array, layer: Pooling) -> tuple[Array, Array]:
    """(rows, cols) in the drawn grid (padded coordinates) of each window's arg-max; both (N, C, H', W')."""
    ho, wo = arg.shape[2:]
    da, db = np.divmod(arg, layer.size)
    rows = layer.stride * np.arange(ho)[:, None] + da
    cols = layer.stride * np.arange(wo)[None, :] + db
    return rows, cols


def backward(dout: Array, cache: tuple) -> Array:
    """dx (N, C, H, W) of :func:`forward`.

    Max: each dout[n, c, i, j] added to its window's arg-max cell (np.add.at adds every
    overlapping window). Average: dout[n, c, i, j] / divisor added to every cell of the window;
    the padding's share is cropped away.
    """
    x, layer, arg = cache
    dout = check_dout(dout, (*x.shape[:2], *layer.out_shape))
    grid = layer.canvas(np.zeros(x.shape), 0.0)
    if layer.kind == "max":
        rows, cols = argmax_cells(arg, layer)
        n, c = np.meshgrid(np.arange(x.shape[0]), np.arange(x.shape[1]), indexing="ij")
        np.add.at(grid, (n[:, :, None, None], c[:, :, None, None], rows, cols), dout)
    else:
        share = dout / layer.divisors()
        k, s = layer.size, layer.stride
        ho, wo = layer.out_shape
        for a in range(k):
            for b in range(k):
                grid[:, :, a:a + s * (ho - 1) + 1:s, b:b + s * (wo - 1) + 1:s] += share
    return layer.uncanvas(grid)


# --------------------------------------------------------------- symbolic --
#
# The SymPy definitions the pool lesson derives its formulas from. Indices are 1-based;
# x^pad is the input in padded coordinates and D_{i,j} the average's divisor.

XPAD = sp.IndexedBase("x^{pad}")
DIVISOR = sp.IndexedBase("D")


@dataclass(frozen=True)
class PoolDerivation:
    """Average pooling with general indices.

    avg:       O_{i,j} = (1/D_{i,j}) Σ_p Σ_q x^pad_{S(i−1)+p, S(j−1)+q}
    cell:      a cell of window (i, j): x^pad_{S(i−1)+u, S(j−1)+v}, 1 ≤ u, v ≤ K
    avg_local: ∂O_{i,j}/∂cell (derived: 1/D_{i,j})
    avg_term:  dO_{i,j} · ∂O_{i,j}/∂cell, what window (i, j) adds to ∂L/∂cell
    """

    avg: sp.Expr
    cell: sp.Expr
    avg_local: sp.Expr
    avg_term: sp.Expr


@lru_cache(maxsize=1)
def derivation() -> PoolDerivation:
    """sympy.diff of the average with respect to one of its window's cells, deltas summed away."""
    i, j, p, q, u, v = (INDEX[n] for n in "i j p q u v".split())
    div = DIVISOR[i, j]
    total = sp.Sum(XPAD[S_ * (i - 1) + p, S_ * (j - 1) + q], (p, 1, K_), (q, 1, K_))
    cell = XPAD[S_ * (i - 1) + u, S_ * (j - 1) + v]
    local = collapse(sp.diff(total, cell)) / div
    return PoolDerivation(total / div, cell, local, DOUT[i, j] * local)


def first_max_selector(cells: list[sp.Expr]) -> list[sp.Expr]:
    """a_k = Π_{j<k} θ(x_k − x_j, 0) · Π_{j>k} θ(x_k − x_j, 1): 1 exactly for the *first* maximum in
    the given (row-major) order, with SymPy's Heaviside θ(z, H0), θ(0, H0) = H0: an earlier
    equal value beats x_k (θ(0, 0) = 0), a later one does not (θ(0, 1) = 1). The tie rule as math."""
    return [sp.Mul(*[sp.Heaviside(xk - xj, 0) for xj in cells[:n]],
                   *[sp.Heaviside(xk - xj, 1) for xj in cells[n + 1:]]) for n, xk in enumerate(cells)]


@dataclass(frozen=True)
class PoolConcrete:
    """The first window (1, 1) of a K×K pooling, without padding.

    window: the K×K symbols x_{11}…x_{KK}; O_max = Σ_k a_k x_k with a_k the first-maximum selector
    (:func:`first_max_selector`; equal to Max(x) everywhere); dmax = ∂O_max/∂x (sympy.diff; the
    DiracDelta terms, nonzero only at ties, set to 0 as the tie rule asks: the selector decides);
    O_avg = Σ x / K² and davg = ∂O_avg/∂x.
    """

    window: sp.Matrix
    O_max: sp.Expr
    O_avg: sp.Expr
    dmax: sp.Matrix
    davg: sp.Matrix


def _no_delta(expr: sp.Expr) -> sp.Expr:
    return expr.replace(lambda e: isinstance(e, sp.DiracDelta), lambda e: sp.S.Zero)


@lru_cache(maxsize=8)
def concrete(size: int) -> PoolConcrete:
    """O_{11} = the (first) max / the mean of x_{11}…x_{KK}; ∂O_{11}/∂x_{kl} by sympy.diff."""
    win = sp.Matrix(size, size, lambda r, s: entry_symbol("x", r + 1, s + 1))
    cells = list(win)
    o_max = sp.Add(*[a * x for a, x in zip(first_max_selector(cells), cells, strict=True)])
    o_avg = sp.Add(*cells) / size ** 2
    dmax = win.applyfunc(lambda s: _no_delta(sp.diff(o_max, s)))
    davg = win.applyfunc(lambda s: sp.diff(o_avg, s))
    return PoolConcrete(win, o_max, o_avg, dmax, davg)


def max_derivative_at(values: Array) -> sp.Matrix:
    """∂O/∂x_{kl} of one K×K max window evaluated at its numbers (exact rationals): 1 at the
    first maximum in row-major order, 0 elsewhere, ties included (the selector's θ(0, H0))."""
    k = values.shape[0]
    c = concrete(k)
    subs = {c.window[r, s]: sp.Rational(*float(values[r, s]).as_integer_ratio()) for r in range(k) for s in range(k)}
    return c.dmax.applyfunc(lambda e: e.xreplace(subs))
