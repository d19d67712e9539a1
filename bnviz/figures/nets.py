"""Pictures of the network lesson: the digits it learns and small matrices (weights, gradients) as heatmaps.

The network's training charts are in ``bnviz.figures.training`` and ``bnviz.figures.histograms``,
the saturation lesson's in ``bnviz.figures.saturation``, the upstream chain in ``bnviz.figures.chain``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from bnviz.figures.basics import Array, titled


def matrix_heatmap(values: Array, title: str, x_title: str, y_title: str, height: int = 240) -> dict:
    """A small heatmap of a matrix (rows from 1, top to bottom), diverging around 0."""
    v = np.asarray(values, dtype=float)
    if v.ndim == 1:
        v = v[None, :]
    return {"data": [{"type": "heatmap", "z": v.tolist(), "x": list(range(1, v.shape[1] + 1)),
                      "y": list(range(1, v.shape[0] + 1)), "colorscale": "RdBu", "reversescale": True,
                      "zmid": 0.0, "colorbar": {"thickness": 10},
                      "hovertemplate": "%{y}, %{x}: %{z:.6g}<extra></extra>"}],
            "layout": {"height": height, "margin": {"l": 40, "r": 10, "t": 30, "b": 35}, "title": titled(title),
                       "xaxis": {"title": {"text": x_title}, "dtick": 1 if v.shape[1] <= 16 else None},
                       "yaxis": {"title": {"text": y_title}, "autorange": "reversed"}}}


def digit_images(images: Array, labels: Sequence[int], title: str, side: int = 8, per_row: int = 6,
                 height: int | None = None) -> dict:
    """Images (k, side²) as one grey heatmap, ``per_row`` to a row, each with its label above.

    height: None sizes the chart to the rows (about 20 px per pixel, legible at a phone's width too).
    """
    imgs = np.asarray(images, dtype=float)
    k = len(imgs)
    cols, rows = min(k, per_row), -(-k // per_row)
    grid = np.full((rows * (side + 2) - 2, cols * (side + 1) - 1), np.nan)
    for n, img in enumerate(imgs):
        r, c = divmod(n, per_row)
        grid[r * (side + 2):r * (side + 2) + side, c * (side + 1):c * (side + 1) + side] = img.reshape(side, side)
    z = [[None if not np.isfinite(v) else round(float(v), 3) for v in row] for row in grid]
    notes = [{"text": str(int(lab)), "x": (n % per_row) * (side + 1) + (side - 1) / 2,
              "y": (n // per_row) * (side + 2) - 1.2, "xref": "x", "yref": "y", "showarrow": False,
              "font": {"size": 12}} for n, lab in enumerate(labels)]
    return {"data": [{"type": "heatmap", "z": z, "colorscale": "Greys", "showscale": False, "hoverinfo": "skip"}],
            "layout": {"height": height or 60 + 170 * rows, "margin": {"l": 5, "r": 5, "t": 45, "b": 5},
                       "title": titled(title), "xaxis": {"visible": False, "constrain": "domain"},
                       "yaxis": {"visible": False, "autorange": "reversed", "scaleanchor": "x"},
                       "annotations": notes, "plot_bgcolor": "rgba(0,0,0,0)"}}
