"""The Step model: one list of steps feeds the page, the CLI and every export.

A :class:`Walkthrough` is what a page teaches for the current settings: an
ordered tuple of :class:`Step` (title, derived LaTeX, live values) plus the
settings that produced it, and lesson :class:`Table` s. Pages render it, ``bnviz.export`` writes it out,
``bnviz.cli`` prints it: none of them computes anything of its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from bnviz.ops import bn

Array = np.ndarray

LABELS: dict[str, str] = bn.LABELS
"""Display names of value ids (mathematical notation, the same in every language), printed from the BN graph's
symbols and definitions by :func:`bnviz.symbolic.printing.text` (:data:`bnviz.ops.bn.LABEL_DEFINITIONS`)."""


@dataclass(frozen=True)
class Step:
    """One step of a derivation.

    key:    stable id, e.g. "forward.mu" (also the catalog key of its title)
    phase:  "forward" or "backward"
    title:  the step's title in the chosen language
    latex:  formulas (LaTeX, derived by SymPy), shown one per line
    local:  local derivatives of this step's edges (LaTeX), may be empty
    note:   one or two sentences explaining the step
    values: value id -> array; per-sample arrays are (m, D), per-feature (D,),
            scalars ()
    focus:  the graph node this step is about
    code:   NumPy statements that recompute ``values`` (each value id as a
            variable of that name) from the walkthrough's ``setup`` and the
            earlier steps' code; the notebook export runs them in order
    """

    key: str
    phase: str
    title: str
    latex: tuple[str, ...]
    local: tuple[str, ...] = ()
    note: str = ""
    values: dict[str, Array] = field(default_factory=dict)
    focus: str = ""
    code: str = ""


@dataclass(frozen=True)
class Table:
    """Lesson data beside the steps (e.g. the three backward forms compared, the gradient check).

    key:     stable id, e.g. "forms"
    title:   the table's title in the chosen language
    intro:   a sentence saying what it shows
    columns: header -> cells, every column the same length (numbers already formatted as text)
    note:    an optional sentence below it
    """

    key: str
    title: str
    intro: str
    columns: dict[str, list[str]]
    note: str = ""

    @property
    def rows(self) -> list[list[str]]:
        return [list(r) for r in zip(*self.columns.values(), strict=True)]


@dataclass(frozen=True)
class Walkthrough:
    """A page's derivation for one set of settings.

    page:     page id ("graph", ...)
    title:    the page title in the chosen language
    lang:     "en" or "zh"
    settings: the settings that produced it (JSON-ready)
    steps:    the ordered steps
    setup:    NumPy statements defining the inputs from ``settings`` (seeded
              draws or literal arrays), run before the steps' ``code``
    labels:   display names of this walkthrough's own value ids (on top of
              ``LABELS``)
    tables:   lesson data shown after the steps (pages, CLI and every export)
    """

    page: str
    title: str
    lang: str
    settings: dict
    steps: tuple[Step, ...]
    setup: str = ""
    labels: dict[str, str] = field(default_factory=dict)
    tables: tuple[Table, ...] = ()

    def index(self, key: str) -> int:
        return next(n for n, s in enumerate(self.steps) if s.key == key)

    def label(self, key: str) -> str:
        """The display name of a value id."""
        return self.labels.get(key) or LABELS.get(key, key)


def feature_table(step: Step, feature: int, labels: dict[str, str] | None = None) -> dict[str, list[float]]:
    """The step's values for one feature, as table columns.

    The first column "i" numbers the samples from 1. Per-sample values give a
    column of m numbers; per-feature values are repeated down the column so
    every row reads as one sample.
    """
    rows = max((v.shape[0] for v in step.values.values() if v.ndim == 2), default=1)
    table: dict[str, list[float]] = {"i": list(range(1, rows + 1))}
    for key, v in step.values.items():
        if v.ndim == 2:
            col = v[:, feature]
        elif v.ndim == 1:
            col = np.full(rows, v[feature])
        else:
            col = np.full(rows, float(v))
        table[(labels or {}).get(key) or LABELS.get(key, key)] = col.tolist()
    return table
