"""Every input limit, defined once: the app's widgets, the parsers and the CLI all read them from here.

Each limit is checked *before* the work it bounds (the text length before
parsing, the file size before reading, a .npy header's shape before loading,
the training work before training), and refused with a sentence naming it.
The README's "Limits" table lists them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from bnviz.i18n import InputError

LIMITS: dict[str, tuple[float, float]] = {
    "m": (1, 512),
    "d": (1, 16),
    "gamma": (-5.0, 5.0),
    "beta": (-5.0, 5.0),
    "eps": (0.0, 1.0),
    "seed": (0, 2**31 - 1),
}
"""Inclusive ranges of the sidebar's numeric settings (its slider bounds; the CLI's --m, --d, --seed)."""

MAX_ROWS, MAX_COLS = 512, 16
"""Largest typed or loaded batch (rows = samples, cols = features)."""

MAX_ABS = 1e100
"""Largest |value| accepted: beyond it σ² and the gradients overflow float64."""

MAX_TEXT_CHARS = 200_000
"""Longest text a learner may type or load as a matrix (512 × 16 numbers of 20 characters fit in 170 000);
also each text area's ``max_chars``."""

MAX_TOKEN_CHARS = 40
"""Longest number token: a longer one is refused without calling float() on it."""

MAX_FILE_BYTES = 4 * 2**20
"""Largest input file (CSV or .npy), checked with stat() before anything is read."""

MAX_TENSOR_CELLS = 65_536
"""Largest 4-D input (N·C·H·W) of ``derive`` (every cell appears in the output)."""

MAX_CONV_CELLS = 16_384
"""Largest conv/pool input or filter bank (N·C·H·W, F·C·HH·WW) read from a file: every cell and every
window appears in the output, so 600 × 600 would mean 1 GB and 160 MB of JSON."""

MAX_TRAIN_WORK = 2_000_000_000
"""Largest training run, steps × (sum of hidden widths) × batch: the network page's largest choice
(5000 steps, 8 layers of 200, batch 200) is 1.6e9."""

PROGRESS_WORK = 100_000_000
"""A CLI training run at least this large reports its progress on stderr."""

MAX_UPLOAD_BYTES = 1 * 2**20
"""Largest batch file the app's uploader accepts."""


def train_work(steps: int, hidden: Sequence[int], batch: int) -> int:
    """The work measure that :data:`MAX_TRAIN_WORK` bounds: steps × Σ widths × batch."""
    return int(steps) * int(sum(hidden)) * int(batch)


def check_train_work(steps: int, hidden: Sequence[int], batch: int) -> None:
    """InputError ``error.limits.train_work`` if the run is larger than :data:`MAX_TRAIN_WORK`."""
    work = train_work(steps, hidden, batch)
    if work > MAX_TRAIN_WORK:
        raise InputError("error.limits.train_work", steps=steps, width=int(sum(hidden)), batch=batch,
                         work=f"{work:.2e}", limit=f"{MAX_TRAIN_WORK:.1e}")


def check_cells(what: str, shape: Sequence[int], limit: int) -> None:
    """InputError ``error.limits.cells`` if an array of ``shape`` has more than ``limit`` cells."""
    cells = math.prod(int(n) for n in shape)
    if cells > limit:
        raise InputError("error.limits.cells", what=what, shape=" × ".join(map(str, shape)), cells=cells,
                         limit=limit)

URL_MAX_CHARS = 100_000
"""Longest URL-encoded batch texts (the typed x and ∂L/∂y together) kept in the page's address; a longer
text is left out of it (``ui.sidebar.url_texts``) and offered as a file. Measured: the server (Streamlit 1.67 on
uvicorn) answers a GET whose query is up to ~127 800 characters and refuses longer ones; the margin leaves
room for the other settings and the rest of the request."""
