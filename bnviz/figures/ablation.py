"""Plotly figure dicts for "switch a path off": ∂L/∂x for one feature, true beside ablated."""

from __future__ import annotations

import numpy as np

from bnviz.figures.graph_diagram import DARK, PATH_COLORS

Array = np.ndarray


def dx_compare(true: Array, ablated: Array, removed: str, names: dict[str, str], title: str, x_title: str,
               height: int = 300) -> dict:
    """Grouped bars per sample: the true ∂L/∂x and the one with ``removed`` switched off.

    true, ablated: (m,) for one feature; names: {"true": ..., "ablated": ...} legend entries.
    """
    m = np.asarray(true).shape[0]
    samples = list(range(1, m + 1))
    color = PATH_COLORS.get(removed, PATH_COLORS.get("mu", "#888888"))
    return {
        "data": [
            {"type": "bar", "name": names["true"], "x": samples, "y": np.asarray(true).tolist(),
             "marker": {"color": DARK}},
            {"type": "bar", "name": names["ablated"], "x": samples, "y": np.asarray(ablated).tolist(),
             "marker": {"color": color}},
        ],
        "layout": {
            "barmode": "group", "height": height, "margin": {"l": 40, "r": 10, "t": 30, "b": 35},
            "title": {"text": title, "font": {"size": 13}},
            "xaxis": {"title": {"text": x_title}, "dtick": 1 if m <= 30 else None},
            "legend": {"orientation": "h", "y": -0.25},
        },
    }
