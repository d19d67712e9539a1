"""Streamlit helpers of the BN-in-practice pages (fold, sync): a step's arrays as tables."""

from __future__ import annotations

import numpy as np
import streamlit as st

from bnviz.steps import Step, Walkthrough
from ui import charts


def _rows(a: np.ndarray) -> np.ndarray:
    """Any array as a 2-D table: scalars 1 × 1, vectors one row, more dimensions (…, last) rows."""
    a = np.asarray(a, dtype=float)
    if a.ndim == 0:
        return a.reshape(1, 1)
    if a.ndim == 1:
        return a.reshape(1, -1)
    return a.reshape(-1, a.shape[-1])


def arrays(step: Step, walk: Walkthrough, columns: int = 3) -> None:
    """Every value of the step as a small table under its display name, ``columns`` per row."""
    items = list(step.values.items())
    for start in range(0, len(items), columns):
        cols = st.columns(columns)
        for col, (key, value) in zip(cols, items[start:start + columns], strict=False):
            table = _rows(value)
            col.markdown(f"**{walk.label(key)}** `{tuple(np.shape(value))}`")
            charts.table({str(j + 1): table[:, j].tolist() for j in range(table.shape[1])}, col)
