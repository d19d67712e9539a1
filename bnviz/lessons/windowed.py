"""What the conv and pool lessons share: the page's value modes and the one seeded draw,
control checks, typed-in matrices, SymPy matrices shown whole or entry by entry, the
Step construction and the cached course builder.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import fields
from functools import lru_cache

import numpy as np
import sympy as sp
from sympy.printing.latex import LatexPrinter

from bnviz.data import parse_matrix
from bnviz.i18n import InputError
from bnviz.limits import MAX_CONV_CELLS, check_cells
from bnviz.numfmt import matrix_latex
from bnviz.ops.windows import shape_text
from bnviz.settings import Settings
from bnviz.steps import Step, Walkthrough

Array = np.ndarray

VALUE_MODES = ("integers", "decimals", "typed")
"""How the arrays are made: small random integers, random one-decimal numbers, typed in."""

DRAWS = {
    "integers": "rng.integers(-2, 3, size={shape}).astype(float)",
    "decimals": "rng.standard_normal({shape}).round(1)",
}
"""NumPy expression of each random draw (``rng`` a seeded Generator); also the notebook's setup code."""


def draw(seed: int, mode: str, shapes: dict[str, tuple[int, ...]]) -> tuple[dict[str, Array], list[str]]:
    """One array per name, drawn from one generator seeded ``seed`` in the dict's order, and the
    NumPy lines that draw the same (``mode`` one of DRAWS)."""
    rng = np.random.default_rng(seed)
    arrays = {name: (rng.integers(-2, 3, size=shape).astype(float) if mode == "integers"
                     else rng.standard_normal(shape).round(1)) for name, shape in shapes.items()}
    lines = [f"rng = np.random.default_rng({seed})"]
    lines += [f"{name} = {DRAWS[mode].format(shape=shape)}" for name, shape in shapes.items()]
    return arrays, lines


def literal(a: Array) -> str:
    """NumPy code that rebuilds ``a``."""
    return f"np.array({np.asarray(a).tolist()!r})"


def setup_code(head: str, arrays: dict[str, Array] | None = None, drawn: list[str] | None = None) -> str:
    """A walkthrough's setup: imports, the layer's settings line ``head``, then the arrays (literals or draws)."""
    lines = ["import numpy as np", "", head]
    lines += drawn or [f"{name} = {literal(a)}" for name, a in (arrays or {}).items()]
    return "\n".join(lines)


def page_arrays(seed: int, p: object, head: str, typed: Callable[[], dict[str, Array]],
                shapes: Callable[[], dict[str, tuple[int, ...]]]) -> tuple[dict[str, Array], str]:
    """The arrays a page's controls ``p`` describe and the setup code that rebuilds them: typed in
    (``typed()``, name -> array, checked there) or drawn from ``seed`` in ``shapes()``'s order."""
    if p.values == "typed":
        arrays = typed()
        return arrays, setup_code(head, arrays)
    arrays, drawn = draw(seed, p.values, shapes())
    return arrays, setup_code(head, drawn=drawn)


def check_cells_first(**arrays: object) -> None:
    """Each array within the conv / pool input limit (``bnviz.limits``), before any work; InputError if not."""
    for name, arr in arrays.items():
        check_cells(name, np.shape(arr), MAX_CONV_CELLS)


def check_params(p: object, limits: dict[str, tuple[int, int]]) -> None:
    """Every limited control within its range and a known value mode, or InputError."""
    for name, (lo, hi) in limits.items():
        v = getattr(p, name)
        if isinstance(v, bool) or not isinstance(v, int) or not lo <= v <= hi:
            raise InputError("error.conv.param", name=name, value=v, lo=lo, hi=hi)
    if p.values not in VALUE_MODES:
        raise InputError("error.conv.values", value=p.values)


def params_from(cls: type, values: dict) -> object:
    """An instance of the params dataclass ``cls`` from a dict of controls (unknown keys ignored)."""
    names = {f.name for f in fields(cls)}
    return cls(**{k: v for k, v in values.items() if k in names})


def blocks(text: str, what: str) -> list[Array]:
    """Matrices separated by empty lines, each parsed by :func:`bnviz.data.parse_matrix`, all one shape."""
    parts = [part for part in re.split(r"\n[ \t]*\n", text.strip()) if part.strip()]
    if not parts:
        raise InputError("error.conv.typed_empty", what=what)
    mats = [parse_matrix(part, f"{what}[{n + 1}]" if len(parts) > 1 else what) for n, part in enumerate(parts)]
    first = mats[0].shape
    for n, m in enumerate(mats[1:], start=2):
        if m.shape != first:
            raise InputError("error.conv.typed_block_shape", what=what, n=n, got=shape_text(m.shape),
                             want=shape_text(first))
    return mats


def entries_latex(entry: Callable[[str], str], m: sp.Matrix) -> str:
    """Every entry of a SymPy matrix on its own line (an aligned block); ``entry(idx)`` is
    the LaTeX name of the entry with 1-based index ``idx`` (e.g. "12")."""
    return _aligned(entry, _cells(m))


def show_matrix(name: str, entry: Callable[[str], str], m: sp.Matrix, small: int = 16) -> str:
    """``name = [matrix]`` for a small matrix with short entries, else every entry on its own line
    (a long one's entries printed once, by one printer: SymPy's printing is the slow part of a new shape)."""
    cells = _cells(m)
    if m.rows * m.cols <= small and max(len(c) for row in cells for c in row) <= 60:
        return f"{name} = {matrix_latex(m)}"  # at most 16 short entries: printing them again is cheap
    return _aligned(entry, cells)


def _cells(m: sp.Matrix) -> list[list[str]]:
    printer = LatexPrinter()  # sp.latex's own printer, made once for all the entries
    return [[printer.doprint(m[r, s]) for s in range(m.cols)] for r in range(m.rows)]


def _aligned(entry: Callable[[str], str], cells: list[list[str]]) -> str:
    rows = [f"{entry(f'{r + 1}{s + 1}')} &= {cell}" for r, row in enumerate(cells) for s, cell in enumerate(row)]
    return "\\begin{aligned}" + " \\\\ ".join(rows) + "\\end{aligned}"


def plural(key: str, n: int) -> str:
    """The catalog key for a count: ``key.one`` when n is 1, else ``key.other``."""
    return f"{key}.{'one' if n == 1 else 'other'}"


def step(page: str, name: str, title: str, lines: tuple[str, ...], local: tuple[str, ...], note: str,
         values: dict[str, Array], code: str) -> Step:
    """One step of a conv / pool walkthrough (its phase: "forward" for the step named forward)."""
    return Step(f"{page}.{name}", "forward" if name == "forward" else "backward", title, tuple(lines),
                tuple(local), note, {k: np.asarray(v) for k, v in values.items()}, name, code)


def course_builder(params_cls: type, page_problem: Callable, lesson: Callable) -> Callable[..., Walkthrough]:
    """The ``walkthrough(settings, lang, **params)`` a lesson registers in ``bnviz.course``,
    cached on (seed, language, params): ``lesson(page_problem(seed, params), lang)``."""

    @lru_cache(maxsize=32)
    def cached(seed: int, lang: str, p: object) -> Walkthrough:
        return lesson(page_problem(seed, p), lang)

    def walkthrough(settings: Settings, lang: str = "en", **params: object) -> Walkthrough:
        """The course builder: the page's controls at ``params`` (defaults when omitted)."""
        return cached(settings.seed, lang, params_from(params_cls, params))

    return walkthrough
