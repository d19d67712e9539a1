"""Plotly figure dicts for live values: a heatmap and the stacked path chart."""

from __future__ import annotations

import numpy as np

from bnviz.figures.graph_diagram import DARK
from bnviz.figures.palette import PATH_COLORS, PATH_MARKS, PATH_PATTERNS

Array = np.ndarray


def heatmap(values: Array, title: str, x_title: str, y_title: str, height: int = 260) -> dict:
    """values: (m, D) shown with samples as rows (sample 1 on top)."""
    m, d = values.shape
    return {
        "data": [{
            "type": "heatmap", "z": values.tolist(), "x": list(range(1, d + 1)),
            "y": list(range(1, m + 1)), "colorscale": "RdBu", "reversescale": True,
            "zmid": 0.0, "colorbar": {"thickness": 12},
            "hovertemplate": "i=%{y}, j=%{x}: %{z:.6g}<extra></extra>",
        }],
        "layout": {
            "height": height, "margin": {"l": 40, "r": 10, "t": 30, "b": 35},
            "title": {"text": title, "font": {"size": 13}},
            "xaxis": {"title": {"text": x_title}, "dtick": 1},
            "yaxis": {"title": {"text": y_title}, "autorange": "reversed"},
        },
    }


def paths_stack(paths: dict[str, Array], total: Array, names: dict[str, str],
                total_name: str, title: str, x_title: str, height: int = 300, y_title: str = "") -> dict:
    """The three path contributions per sample, stacked, with their sum as dots.

    paths: label ("xhat", "var", "mu") -> (m,) contributions; total: (m,).
    Each path has its Okabe–Ito colour, a bar pattern and its number (①②③) in its name.
    """
    m = total.shape[0]
    samples = list(range(1, m + 1))
    data = [
        {"type": "bar", "name": f"{PATH_MARKS[label]} {names[label]}", "x": samples, "y": np.asarray(v).tolist(),
         "marker": {"color": PATH_COLORS[label],
                    "pattern": {"shape": PATH_PATTERNS[label], "fgcolor": "white", "solidity": 0.3}}}
        for label, v in paths.items()
    ]
    data.append({"type": "scatter", "mode": "markers", "name": total_name, "x": samples,
                 "y": np.asarray(total).tolist(), "marker": {"color": DARK, "size": 9, "symbol": "circle"}})
    return {
        "data": data,
        "layout": {
            "barmode": "relative", "height": height, "margin": {"l": 40, "r": 10, "t": 30, "b": 35},
            "title": {"text": title, "font": {"size": 13}},
            "xaxis": {"title": {"text": x_title}, "dtick": 1 if m <= 30 else None},
            "yaxis": {"title": {"text": y_title}, "zeroline": True},
            "legend": {"orientation": "h", "y": -0.25},
        },
    }
