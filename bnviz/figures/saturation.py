"""Figures of the why-BN lesson: batches drifting into the sigmoid's flat tails, before and after BN.

Colours: ``bnviz.figures.palette`` (Okabe–Ito, safe for colour-blind learners).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from bnviz.figures.basics import MARGIN, Array, as_list, rounded, titled
from bnviz.figures.graph_diagram import DARK, GREY
from bnviz.figures.palette import BATCH_COLORS, NORMAL_COLOR, RUN_COLORS, SHADE, SHADE_LEGEND


def density(x: Array, lo: float, hi: float, bins: int = 60) -> tuple[list, list]:
    """Histogram density of x on [lo, hi] (bin centres, density)."""
    counts, edges = np.histogram(np.clip(x, lo, hi), bins=bins, range=(lo, hi), density=True)
    return rounded((edges[:-1] + edges[1:]) / 2), rounded(counts)


def saturation_figure(batches: Array, names: Sequence[str], z_tau: float, title: str, x_title: str,
                      y_title: str, curve_names: dict[str, str], extent: float = 12.0, height: int = 380) -> dict:
    """Batches (columns of ``batches``: (n, K)) as densities against the standard normal,
    with σ(x) and σ'(x) on a right-hand axis and |x| > z_tau shaded.

    curve_names: labels of "normal", "sigmoid", "dsigmoid", "saturated".
    """
    grid = np.linspace(-extent, extent, 241)
    sig = 0.5 * (1 + np.tanh(grid / 2))
    data: list[dict] = []
    for k in range(batches.shape[1]):
        cx, cy = density(batches[:, k], -extent, extent)
        data.append({"type": "scatter", "mode": "lines", "x": cx, "y": cy, "name": names[k],
                     "line": {"shape": "hvh", "color": BATCH_COLORS[k % len(BATCH_COLORS)], "width": 2}})
    data.append({"type": "scatter", "mode": "lines", "x": rounded(grid),
                 "y": rounded(np.exp(-grid**2 / 2) / np.sqrt(2 * np.pi)), "name": curve_names["normal"],
                 "line": {"color": NORMAL_COLOR, "width": 3}})
    data.append({"type": "scatter", "mode": "lines", "x": rounded(grid), "y": rounded(sig), "yaxis": "y2",
                 "name": curve_names["sigmoid"], "line": {"color": DARK, "width": 1.5, "dash": "dot"}})
    data.append({"type": "scatter", "mode": "lines", "x": rounded(grid), "y": rounded(sig * (1 - sig)),
                 "yaxis": "y2", "name": curve_names["dsigmoid"], "line": {"color": DARK, "width": 2}})
    # a legend entry for the shading
    data.append({"type": "scatter", "mode": "markers", "x": [None], "y": [None], "name": curve_names["saturated"],
                 "marker": {"symbol": "square", "size": 12, "color": SHADE_LEGEND}})
    shapes = [{"type": "rect", "xref": "x", "yref": "paper", "x0": x0, "x1": x1, "y0": 0, "y1": 1,
               "fillcolor": SHADE, "line": {"width": 0}, "layer": "below"}
              for x0, x1 in ((-extent, -z_tau), (z_tau, extent))]
    return {
        "data": data,
        "layout": {
            "height": height, "margin": {**MARGIN, "r": 55}, "title": titled(title),
            "xaxis": {"title": {"text": x_title}, "range": [-extent, extent], "zeroline": False},
            "yaxis": {"title": {"text": y_title}, "rangemode": "tozero"},
            # its own ticks: never synced with the density axis (which gave σ ticks above 1)
            "yaxis2": {"overlaying": "y", "side": "right", "range": [0, 1.05], "showgrid": False,
                       "tickmode": "array", "tickvals": [0, 0.25, 0.5, 0.75, 1], "ticktext": ["0", "0.25", "0.5",
                                                                                            "0.75", "1"],
                       "title": {"text": "σ, σ'"}},
            "shapes": shapes, "legend": {"orientation": "h", "y": -0.22}, "hovermode": "x",
        },
    }


def share_bars(names: Sequence[str], before: Array, after: Array, labels: tuple[str, str], title: str,
               y_title: str, height: int = 300) -> dict:
    """Saturated share per batch before and after BN, as grouped bars (0..1)."""
    data = [{"type": "bar", "name": label, "x": list(names), "y": as_list(v), "marker": {"color": color},
             "text": [f"{100 * float(s):.1f}%" for s in v], "textposition": "outside"}
            for label, v, color in ((labels[0], before, GREY), (labels[1], after, RUN_COLORS["bn"]))]
    return {"data": data, "layout": {"height": height, "margin": MARGIN, "title": titled(title), "barmode": "group",
                                     "yaxis": {"title": {"text": y_title}, "range": [0, 1.12], "tickformat": ".0%"},
                                     "legend": {"orientation": "h", "y": -0.2}}}
