"""The pool lesson's arrays: the page's controls (:class:`PoolParams`), the arrays they draw or
parse, and everything the lesson shows computed from them by :mod:`bnviz.ops.pool`
(:class:`PoolProblem`, float64; the tie rule is documented there: the first maximum in
row-major order, as PyTorch).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from functools import lru_cache

import numpy as np

from bnviz.data import parse_matrix
from bnviz.i18n import InputError
from bnviz.lessons import windowed as win
from bnviz.numfmt import matrix_text
from bnviz.ops import pool
from bnviz.ops.pool import KINDS, Pooling
from bnviz.ops.windows import checked_array, shape_text

Array = np.ndarray

LIMITS: dict[str, tuple[int, int]] = {"size": (3, 7), "window": (2, 3), "stride": (1, 3), "pad": (0, 1)}
"""The page's sliders: X is size×size, windows window×window, stride S, padding P."""
TYPED_MAX = 9

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
    win.check_cells_first(X=x, dout=dout)
    x = checked_array(x, "X", 4)
    out_max, cache = pool.forward(x, size, stride, "max", pad, ceil_mode, count_include_pad)
    out_avg, cache_avg = pool.forward(x, size, stride, "avg", pad, ceil_mode, count_include_pad)
    layer = pool.pooling(x.shape, size, stride, kind, pad, ceil_mode, count_include_pad)
    dout = pool.check_dout(dout, out_max.shape)
    arg = cache[2]
    rows, cols = pool.argmax_cells(arg, layer)
    cells = layer.windows(layer.canvas(x, -np.inf))
    ties = (cells == out_max[..., None]).sum(axis=-1) > 1
    return PoolProblem(x, dout, layer, out_max, out_avg, arg, rows, cols, ties, layer.divisors(),
                       pool.backward(dout, cache), pool.backward(dout, cache_avg), layer.kinds(), setup,
                       record or {})


def _typed(text: str, what: str) -> Array:
    m = parse_matrix(text, what)
    if max(m.shape) > TYPED_MAX:
        raise InputError("error.conv.typed_size_pool", what=what, shape=shape_text(m.shape), limit=TYPED_MAX)
    return m[None, None]


def _check(p: PoolParams) -> None:
    win.check_params(p, LIMITS)
    if p.kind not in KINDS:
        raise InputError("error.conv.pool_kind", kind=p.kind)


@lru_cache(maxsize=32)
def page_problem(seed: int, p: PoolParams) -> PoolProblem:
    """The problem the page's controls describe (cached; InputError for bad input)."""
    _check(p)
    head = (f"size, stride, pad, ceil_mode, count_include_pad = {p.window}, {p.stride}, {p.pad}, "
            f"{bool(p.ceil_mode)}, {bool(p.count_include_pad)}")
    geometry = {"pad": p.pad, "ceil_mode": p.ceil_mode, "count_include_pad": p.count_include_pad}

    def typed() -> dict[str, Array]:
        x = _typed(p.x_text, "X")
        pool.pooling(x.shape, p.window, p.stride, p.kind, **geometry)
        return {"x": x, "dout": _typed(p.dout_text, "dL/dO")}

    def shapes() -> dict[str, tuple[int, ...]]:
        shape = (1, 1, p.size, p.size)
        return {"x": shape, "dout": (1, 1, *pool.pooling(shape, p.window, p.stride, p.kind, **geometry).out_shape)}

    arrays, setup = win.page_arrays(seed, p, head, typed, shapes)
    return make_problem(arrays["x"], arrays["dout"], p.window, p.stride, p.kind, setup, {"seed": seed, **asdict(p)},
                        **geometry)


def typed_defaults(seed: int, p: PoolParams) -> dict[str, str]:
    """Text for the typed-in boxes: the integers the seed draws (at these settings, or stride 1 if they do not fit)."""
    q = PoolParams(size=p.size, window=p.window, stride=p.stride, pad=p.pad, ceil_mode=p.ceil_mode)
    try:
        pp = page_problem(seed, q)
    except InputError:
        pp = page_problem(seed, PoolParams(size=p.size, window=p.window, stride=1))
    return {"x_text": matrix_text(pp.x[0, 0]), "dout_text": matrix_text(pp.dout[0, 0])}
