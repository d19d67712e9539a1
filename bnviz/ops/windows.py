"""What convolution and pooling share: input checks, PyTorch's output-length rule, the
layout of one padded axis (real, padding, dropped and overhanging cells) and the index
symbols of their SymPy definitions.

PyTorch's rule for one axis of length H, window K, stride S, padding P (``ceil_mode``
only for pooling):

    H' = floor((H + 2P − K + (S − 1 if ceil_mode else 0)) / S) + 1,
    and in ceil mode H' − 1 more if the last window would start at or beyond H + P
    (the last window must start inside the input or its left padding).

Without ceil mode, when (H + 2P − K) is not a multiple of S the last
(H + 2P − K) mod S rows (columns) of the padded input are in no window: they are
*dropped* and get no gradient. In ceil mode the last window may *overhang* the right
padding; those cells do not exist (a max ignores them, an average does not count them).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import sympy as sp
from sympy.concrete.delta import deltasummation

from bnviz.i18n import InputError

Array = np.ndarray

MAX_ELEMENTS = 5_000_000
"""Largest intermediate (windows × window cells) a layer builds; beyond it: InputError."""

MAX_ABS = 1e100
"""Largest |value| accepted (products and sums stay finite in float64)."""

REAL, PAD, DROPPED, OVERHANG = 0, 1, 2, 3
"""Kinds of cell along a padded axis (see :meth:`Axis.kinds`)."""


def shape_text(shape: tuple[int, ...]) -> str:
    """A shape as a learner reads it: "2 × 3" ("()" for a scalar)."""
    return " × ".join(map(str, shape)) if shape else "()"


def checked_array(a: object, what: str, ndim: int) -> Array:
    """``a`` as a finite float64 array of rank ``ndim``, or InputError."""
    arr = np.asarray(a)
    if arr.dtype == bool or not (np.issubdtype(arr.dtype, np.integer) or np.issubdtype(arr.dtype, np.floating)):
        raise InputError("error.conv.dtype", what=what, dtype=str(arr.dtype))
    if arr.ndim != ndim:
        raise InputError("error.conv.rank", what=what, ndim=ndim, shape=shape_text(arr.shape))
    if arr.size == 0:
        raise InputError("error.conv.empty", what=what, shape=shape_text(arr.shape))
    arr = arr.astype(np.float64)
    if not np.all(np.isfinite(arr)):
        raise InputError("error.conv.not_finite", what=what)
    if np.max(np.abs(arr)) > MAX_ABS:
        raise InputError("error.conv.too_large", what=what, limit=f"{MAX_ABS:.0e}")
    return arr


def check_int(value: object, what: str, lo: int) -> int:
    """``value`` as an int ≥ ``lo`` (bools refused), or InputError."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < lo:
        raise InputError("error.conv.bad_int", what=what, value=value, lo=lo)
    return int(value)


def check_dout(dout: object, shape: tuple[int, ...]) -> Array:
    """dL/dO checked against the output shape ``shape``."""
    d = checked_array(dout, "dL/dO", len(shape))
    if d.shape != tuple(shape):
        raise InputError("error.conv.dout_shape", got=shape_text(d.shape), want=shape_text(tuple(shape)))
    return d


def check_size(elements: int) -> None:
    """InputError if a layer would build more than MAX_ELEMENTS intermediate values."""
    if elements > MAX_ELEMENTS:
        raise InputError("error.conv.too_big", limit=f"{MAX_ELEMENTS:,}")


@dataclass(frozen=True)
class Axis:
    """One spatial axis of a sliding window, by PyTorch's rule (see the module docstring).

    size: H; k: the window K (HH for a filter); stride: S; pad: P; out: H'.
    Padded coordinates run from 0 (the first padding cell) to size + 2·pad − 1.
    """

    size: int
    k: int
    stride: int
    pad: int
    out: int

    @property
    def span(self) -> int:
        """H + 2P: the padded length."""
        return self.size + 2 * self.pad

    @property
    def reach(self) -> int:
        """(H' − 1)·S + K: padded cells from 0 that some window covers (may exceed ``span`` in ceil mode)."""
        return (self.out - 1) * self.stride + self.k

    @property
    def dropped(self) -> int:
        """Cells at the end of the padded axis no window reaches (floor mode, H + 2P − K not a multiple of S)."""
        return max(0, self.span - self.reach)

    @property
    def overhang(self) -> int:
        """Cells past the right padding the last window covers (ceil mode)."""
        return max(0, self.reach - self.span)

    @property
    def length(self) -> int:
        """Cells drawn along this axis: the padded input and any overhang."""
        return max(self.span, self.reach)

    def kinds(self) -> Array:
        """(length,) kind of each drawn cell: REAL, PAD, DROPPED (real or padding, in no window) or OVERHANG."""
        kinds = np.full(self.length, PAD)
        kinds[self.pad:self.pad + self.size] = REAL
        kinds[self.reach:self.span] = DROPPED
        kinds[self.span:] = OVERHANG
        return kinds


def axis(size: int, k: int, stride: int, pad: int, dim: str, kdim: str, *, ceil_mode: bool = False,
         pool: bool = False) -> Axis:
    """The axis by PyTorch's rule, or InputError for a geometry PyTorch refuses.

    Convolution (``pool`` False): the window must fit in the padded input. Pooling: P ≤ K / 2
    (PyTorch: "pad should be at most half of effective kernel size") and H' ≥ 1.
    """
    size, k = check_int(size, dim, 1), check_int(k, kdim, 1)
    stride, pad = check_int(stride, "S", 1), check_int(pad, "P", 0)
    span = size + 2 * pad
    if pool and 2 * pad > k:
        raise InputError("error.conv.pool_pad_half", kdim=kdim, k=k, pad=pad)
    num = span - k + (stride - 1 if ceil_mode else 0)
    out = num // stride + 1
    if ceil_mode and (out - 1) * stride >= size + pad:
        out -= 1
    if out < 1 or (not pool and k > span):
        key = "error.conv.pool_too_big" if pool else "error.conv.filter_too_big"
        raise InputError(key, dim=dim, kdim=kdim, size=size, pad=pad, k=k, span=span)
    return Axis(size, k, stride, pad, out)


def kinds_2d(rows: Axis, cols: Axis) -> Array:
    """(rows.length, cols.length) cell kinds: the larger of the two axes' kinds (DROPPED beats PAD beats REAL)."""
    return np.maximum(rows.kinds()[:, None], cols.kinds()[None, :])


# --------------------------------------------------------------- symbolic --
# Index symbols of the SymPy definitions (1-based, as in the formulas a learner reads).

INDEX = {name: sp.Symbol(name, integer=True, positive=True) for name in "f c i j k l p q u v g e".split()}
S_, P_, HH_, WW_, C_, F_, HO_, WO_, K_ = (sp.Symbol(n, integer=True, positive=True)
                                          for n in ("S", "P", "HH", "WW", "C", "F", "H'", "W'", "K"))
DOUT = sp.IndexedBase("dO")


def collapse(expr: sp.Expr) -> sp.Expr:
    """Sum away the Kronecker deltas of a derivative: Sum(δ…·g, limits) -> g at the deltas' solution."""
    if not isinstance(expr, sp.Sum):
        return expr
    body = expr.function
    for var, lo, hi in reversed(expr.limits):
        body = deltasummation(body, (var, lo, hi), no_piecewise=True)
    return body


def entry_symbol(name: str, *idx: int) -> sp.Symbol:
    """X_{12} for one-digit indices, X_{10,2} otherwise (1-based)."""
    sep = "," if any(n > 9 for n in idx) else ""
    return sp.Symbol(f"{name}_{{{sep.join(map(str, idx))}}}")
