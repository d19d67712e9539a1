"""The batch on screen: drawn from a distribution or typed in, and checked.

Every check raises :class:`bnviz.i18n.InputError` with a catalog key, so the
page shows a sentence and the CLI prints one line and exits with status 2.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import numpy as np

from bnviz.i18n import InputError
from bnviz.limits import MAX_ABS, MAX_COLS, MAX_FILE_BYTES, MAX_ROWS, MAX_TEXT_CHARS, MAX_TOKEN_CHARS, check_cells
from bnviz.settings import Settings
from bnviz.softmax_chain import softmax_dout, softmax_dout_code

Array = np.ndarray

BOM = "\ufeff"
"""A byte-order mark some editors put at the start of a UTF-8 CSV file: dropped before parsing."""


@dataclass(frozen=True)
class Problem:
    """One BN layer's inputs, all float64.

    x, dout:     (m, D) input batch and upstream gradient ∂L/∂y
    gamma, beta: (D,)
    eps:         ε
    notes:       catalog keys (with fields) of things worth telling the learner
    """

    x: Array
    dout: Array
    gamma: Array
    beta: Array
    eps: float
    notes: tuple[tuple[str, dict], ...] = field(default=())

    @property
    def m(self) -> int:
        return self.x.shape[0]

    @property
    def d(self) -> int:
        return self.x.shape[1]


def parse_matrix(text: str, what: str) -> Array:
    """Numbers typed by a learner: one row per line, separated by commas or spaces.

    Returns (rows, cols) float64. Raises InputError for empty, non-numeric,
    ragged, non-finite or oversized input. Only ``float()`` touches the text.
    """
    if len(text) > MAX_TEXT_CHARS:  # before splitting anything: the work below is bounded by this
        raise InputError("error.limits.text", what=what, chars=len(text), limit=MAX_TEXT_CHARS)
    text = text.removeprefix(BOM)
    rows = [line for line in text.replace(";", "\n").splitlines() if line.strip()]
    if not rows:
        raise InputError("error.empty", what=what)
    if len(rows) > MAX_ROWS:
        raise InputError("error.too_big", what=what, rows=len(rows), cols=len(rows[0].replace(",", " ").split()),
                         max_rows=MAX_ROWS, max_cols=MAX_COLS)
    out: list[list[float]] = []
    for r, line in enumerate(rows, start=1):
        tokens = line.replace(",", " ").split()
        if not tokens:
            raise InputError("error.row_empty", what=what, row=r)
        if len(tokens) > MAX_COLS:
            raise InputError("error.too_big", what=what, rows=len(rows), cols=len(tokens),
                             max_rows=MAX_ROWS, max_cols=MAX_COLS)
        row = []
        for tok in tokens:
            if len(tok) > MAX_TOKEN_CHARS:
                raise InputError("error.not_number", what=what, token=tok[:20] + "…", row=r)
            try:
                v = float(tok)
            except ValueError:
                raise InputError("error.not_number", what=what, token=tok[:20], row=r) from None
            if not math.isfinite(v):
                raise InputError("error.not_finite", what=what, token=tok[:20], row=r)
            row.append(v)
        out.append(row)
    widths = {len(r) for r in out}
    if len(widths) > 1:
        raise InputError("error.ragged", what=what, first=len(out[0]),
                         row=next(i for i, r in enumerate(out, 1) if len(r) != len(out[0])),
                         other=next(len(r) for r in out if len(r) != len(out[0])))
    return checked_matrix(np.array(out, dtype=float), what)


def checked_matrix(arr: Array, what: str) -> Array:
    """A real (rows, cols) float64 matrix within the size limits, or InputError."""
    if arr.dtype == bool or not (np.issubdtype(arr.dtype, np.integer) or np.issubdtype(arr.dtype, np.floating)):
        raise InputError("error.dtype", what=what, dtype=str(arr.dtype))
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim != 2:
        raise InputError("error.rank", what=what, shape=str(arr.shape))
    if arr.size == 0:
        raise InputError("error.empty", what=what)
    if arr.shape[0] > MAX_ROWS or arr.shape[1] > MAX_COLS:
        raise InputError("error.too_big", what=what, rows=arr.shape[0], cols=arr.shape[1],
                         max_rows=MAX_ROWS, max_cols=MAX_COLS)
    arr = arr.astype(float)
    if not np.all(np.isfinite(arr)):
        raise InputError("error.not_finite_file", what=what)
    if np.max(np.abs(arr)) > MAX_ABS:
        raise InputError("error.too_large", what=what, limit=f"{MAX_ABS:.0e}")
    return arr


def checked_file(path: str, what: str) -> Path:
    """``path`` as an existing regular file no larger than :data:`MAX_FILE_BYTES` (stat only, nothing read)."""
    p = Path(path)
    if not p.is_file():
        raise InputError("error.no_file", what=what, path=path)
    size = p.stat().st_size
    if size > MAX_FILE_BYTES:
        raise InputError("error.limits.file", what=what, path=path, size=size, limit=MAX_FILE_BYTES)
    return p


def read_text_file(path: str, what: str) -> str:
    """The UTF-8 text of a checked file, a leading byte-order mark dropped."""
    p = checked_file(path, what)
    try:
        return p.read_bytes().decode("utf-8").removeprefix(BOM)
    except (UnicodeDecodeError, OSError):
        raise InputError("error.bad_npy", what=what, path=path) from None


def _npy_header(fh: BinaryIO, what: str, path: str) -> tuple[int, ...]:
    """The shape in the .npy header at ``fh`` (positioned at the start); the data is not read."""
    try:
        version = np.lib.format.read_magic(fh)
        if version == (1, 0):
            shape, _, dtype = np.lib.format.read_array_header_1_0(fh)
        else:
            shape, _, dtype = np.lib.format.read_array_header_2_0(fh)
    except (ValueError, OSError, EOFError):
        raise InputError("error.bad_npy", what=what, path=path) from None
    if dtype.hasobject:
        raise InputError("error.dtype", what=what, dtype=str(dtype))
    return tuple(int(n) for n in shape)


def npy_shape(path: str, what: str) -> tuple[int, ...]:
    """The shape a .npy file's header declares, read without loading the data (pickled object arrays,
    truncated or empty files are refused as InputError)."""
    p = checked_file(path, what)
    with p.open("rb") as fh:
        return _npy_header(fh, what, path)


def matrix_from_bytes(name: str, raw: bytes, what: str, limit: int = MAX_FILE_BYTES) -> Array:
    """A (rows, cols) matrix from an uploaded file's bytes, checked like the CLI's files: size first, a
    .npy header's shape before its data (never unpickled), a CSV's byte-order mark dropped."""
    if len(raw) > limit:
        raise InputError("error.limits.file", what=what, path=name, size=len(raw), limit=limit)
    if name.lower().endswith(".npy"):
        check_cells(what, _npy_header(io.BytesIO(raw), what, name), MAX_ROWS * MAX_COLS)
        try:
            arr = np.load(io.BytesIO(raw), allow_pickle=False)
        except (ValueError, OSError, EOFError):
            raise InputError("error.bad_npy", what=what, path=name) from None
        return checked_matrix(arr, what)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError("error.bad_npy", what=what, path=name) from None
    return parse_matrix(text, what)


def matrix_text(arr: Array) -> str:
    """A matrix as the text the batch parser reads back exactly (one row a line, shortest round-trip reprs)."""
    return "\n".join(", ".join(repr(float(v)) for v in row) for row in np.asarray(arr, dtype=float))


def load_npy(path: str, what: str, max_cells: int) -> Array:
    """A .npy array whose header shape has at most ``max_cells`` cells (checked before loading; never
    unpickled)."""
    shape = npy_shape(path, what)
    check_cells(what, shape, max_cells)
    try:
        return np.load(Path(path), allow_pickle=False)
    except (ValueError, OSError, EOFError):
        raise InputError("error.bad_npy", what=what, path=path) from None


def load_matrix(path: str, what: str) -> Array:
    """A (rows, cols) array from a CSV file (one sample a row) or a .npy file, bounded before it is read."""
    if Path(path).suffix.lower() == ".npy":
        return checked_matrix(load_npy(path, what, MAX_ROWS * MAX_COLS), what)
    return parse_matrix(read_text_file(path, what), what)


DRAWS = {
    "normal": (lambda rng, m, d: rng.standard_normal((m, d)), "rng.standard_normal((m, d))"),
    "shifted": (lambda rng, m, d: 5.0 + 3.0 * rng.standard_normal((m, d)), "5.0 + 3.0 * rng.standard_normal((m, d))"),
    "uniform": (lambda rng, m, d: rng.uniform(-2.0, 2.0, (m, d)), "rng.uniform(-2.0, 2.0, (m, d))"),
    "skewed": (lambda rng, m, d: rng.lognormal(0.0, 1.0, (m, d)), "rng.lognormal(0.0, 1.0, (m, d))"),
}
"""Each distribution's draw, as a function and as the same NumPy code (for notebooks)."""


def draw_x(dist: str, m: int, d: int, rng: np.random.Generator) -> Array:
    """A random (m, d) batch from one of the named distributions."""
    if dist not in DRAWS:
        raise InputError("error.unknown_dist", dist=dist)
    return DRAWS[dist][0](rng, m, d)


def _literal(a: Array) -> str:
    return f"np.array({np.asarray(a).tolist()!r})"


def setup_code(p: Problem, s: Settings | None) -> str:
    """NumPy statements that rebuild ``p``: seeded draws where the settings
    say so, literal arrays for typed-in or file input."""
    lines = ["import numpy as np", "", f"m, d, eps = {p.m}, {p.d}, {p.eps!r}"]
    drawn = s is not None and s.dist in DRAWS and (s.m, s.d) == (p.m, p.d)
    if drawn:
        lines += [f"seed = {s.seed}", f"x = {DRAWS[s.dist][1].replace('rng', 'np.random.default_rng(seed)')}"]
    else:
        lines.append(f"x = {_literal(p.x)}")
    if s is not None and s.upstream == "random" and (drawn or s.dist == "custom"):
        if not drawn:
            lines.append(f"seed = {s.seed}")
        lines.append("dout = np.random.default_rng(seed + 1).standard_normal((m, d))")
    elif s is not None and s.upstream == "ones":
        lines.append("dout = np.ones((m, d))")
    elif s is not None and s.upstream == "softmax":
        pass  # needs gamma and beta: written below
    else:
        lines.append(f"dout = {_literal(p.dout)}")
    lines += [f"gamma = {_literal(p.gamma)}", f"beta = {_literal(p.beta)}"]
    if s is not None and s.upstream == "softmax":
        if "seed = " not in "\n".join(lines):
            lines.append(f"seed = {s.seed}")
        lines.append(softmax_dout_code())
    return "\n".join(lines)


def check_problem(x: Array, dout: Array, gamma: Array, beta: Array, eps: float) -> Problem:
    """Shapes and values checked; notes for m = 1 and constant columns."""
    x, dout = checked_matrix(np.asarray(x), "x"), checked_matrix(np.asarray(dout), "dout")
    if dout.shape != x.shape:
        raise InputError("error.dout_shape", x=str(x.shape), dout=str(dout.shape))
    d = x.shape[1]
    for name, v in (("gamma", gamma), ("beta", beta)):
        if v.shape != (d,):
            raise InputError("error.param_len", name=name, n=v.size, d=d)
        if not np.all(np.isfinite(v)):
            raise InputError("error.not_finite_file", what=name)
    if not math.isfinite(eps) or eps < 0:
        raise InputError("error.eps", eps=eps)
    notes: list[tuple[str, dict]] = []
    const = [int(c) + 1 for c in np.flatnonzero(np.ptp(x, axis=0) == 0)]
    if x.shape[0] == 1:
        if eps == 0:
            raise InputError("error.m1_eps0")
        notes.append(("note.m1", {}))
    elif const:
        cols = ", ".join(map(str, const))
        if eps == 0:
            raise InputError("error.const_eps0", cols=cols)
        notes.append(("note.const", {"cols": cols}))
    return Problem(x, dout, gamma, beta, float(eps), tuple(notes))


def make_problem(s: Settings) -> Problem:
    """The batch the sidebar describes. Raises InputError on bad custom input."""
    rng = np.random.default_rng(s.seed)
    if s.dist == "custom":
        x = parse_matrix(s.x_text, "x")
    else:
        x = draw_x(s.dist, s.m, s.d, rng)
    d = x.shape[1]
    gamma, beta = np.full(d, float(s.gamma)), np.full(d, float(s.beta))
    if s.upstream == "custom":
        dout = parse_matrix(s.dout_text, "dout")
    else:
        dout = upstream_dout(s.upstream, x, gamma, beta, s.eps, s.seed)
    return check_problem(x, dout, gamma, beta, s.eps)


def upstream_dout(kind: str, x: Array, gamma: Array, beta: Array, eps: float, seed: int) -> Array:
    """∂L/∂y (m, D) of a named kind: "random" N(0, 1) from ``seed + 1``, "ones", or
    "softmax": from a softmax loss above the layer (``bnviz.softmax_chain``)."""
    if kind == "ones":
        return np.ones_like(x)
    if kind == "softmax":
        check_problem(x, np.zeros_like(x), gamma, beta, eps)  # the BN under the loss must be defined
        return softmax_dout(x, gamma, beta, eps, seed)
    return np.random.default_rng(seed + 1).standard_normal(x.shape)
