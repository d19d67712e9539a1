"""Small helpers shared by the line-chart figure builders (plain lists in, plain dicts out)."""

from __future__ import annotations

import numpy as np

Array = np.ndarray

MARGIN = {"l": 50, "r": 20, "t": 40, "b": 40}


def as_list(a) -> list:
    """An array as a list of floats (figure dicts hold no ndarrays)."""
    return np.asarray(a, dtype=float).tolist()


def titled(text: str) -> dict:
    """A figure title of the usual size."""
    return {"text": text, "font": {"size": 14}}


def rounded(a: Array, digits: int = 5) -> list:
    """Fewer digits in the JSON for plotted-only values (not the numbers shown in tables)."""
    return np.round(np.asarray(a, dtype=float), digits).tolist()
