"""Streamlit helpers of the BN-in-practice pages (fold, sync): a step's arrays as tables."""

from __future__ import annotations

from html import escape

import numpy as np

from bnviz.steps import Step, Walkthrough
from ui import charts
from ui.charts import shown_table_html

GRID = "display:grid;grid-template-columns:repeat(auto-fill,minmax(15rem,1fr));gap:0.75rem 1rem"
"""As many columns as fit (three on a laptop, one on a phone)."""


def _rows(a: np.ndarray) -> np.ndarray:
    """Any array as a 2-D table: scalars 1 × 1, vectors one row, more dimensions (…, last) rows."""
    a = np.asarray(a, dtype=float)
    if a.ndim == 0:
        return a.reshape(1, 1)
    if a.ndim == 1:
        return a.reshape(1, -1)
    return a.reshape(-1, a.shape[-1])


def array_html(name: str, value: np.ndarray) -> str:
    """One array under its display name and shape: ``<div class="bnviz-array" data-name=…>`` with its table."""
    table = _rows(value)
    label = escape(name)
    return (f'<div class="bnviz-array" data-name="{label}"><p style="margin:0 0 0.25rem"><strong>{label}</strong> '
            f'<code>{escape(str(tuple(np.shape(value))))}</code></p>'
            f'{shown_table_html({str(j + 1): table[:, j].tolist() for j in range(table.shape[1])})}</div>')


def arrays(step: Step, walk: Walkthrough) -> None:
    """Every value of the step as a small table under its display name, in a grid: one static HTML element
    (inside a stepper it is part of the step's HTML, hidden with the step)."""
    cells = "".join(array_html(walk.label(key), value) for key, value in step.values.items())
    charts.html(f'<div class="bnviz-arrays" style="{GRID}">{cells}</div>')
