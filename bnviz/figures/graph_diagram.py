"""The BN computation graph drawn as a Plotly figure (a plain dict).

Forward steps draw arrows from inputs to outputs; backward steps reverse
them (gradient flows from the loss to x) and colour the three paths
(Okabe–Ito, ``bnviz.figures.palette``): ① blue via x̂, ② vermillion via σ²,
③ bluish green via μ; the numbers are printed on the paths too, so colour
is never the only cue.
"""

from __future__ import annotations

import math

from bnviz.figures.palette import HIGHLIGHT, PATH_COLORS, PATH_MARKS
from bnviz.graph import Graph
from bnviz.steps import LABELS

GREY, DARK = "#b0b0b0", "#404040"
__all__ = ["DARK", "GREY", "HIGHLIGHT", "PATH_COLORS", "graph_figure"]

POSITIONS = {
    "x": (0.0, 0.0), "mu": (1.0, 1.0), "xc": (2.0, 0.0), "var": (3.0, 1.0),
    "std": (4.0, 1.0), "xhat": (5.0, 0.0), "y": (6.0, 0.0), "L": (7.2, 0.0),
    "gamma": (5.5, -1.0), "beta": (6.3, -1.0), "dout": (7.0, -1.0),
}

CONSTANTS = {"dout"}
"""Leaves that receive no gradient (the given upstream gradient): going backward their edge keeps its
forward arrow, in grey (∂L/∂y feeds the surrogate loss L; no gradient flows back into it)."""

PATH_EDGES = {
    "xhat": {("xhat", "xc"), ("xc", "x")},
    "var": {("xhat", "std"), ("std", "var"), ("var", "xc"), ("xc", "x")},
    "mu": {("xc", "mu"), ("mu", "x")},
}
"""(child, parent) edges of each path from x̂'s gradient back to x."""

MIN_WIDTH = 600
"""px: narrower, the 52 px node markers overlap (``ui.charts.plot`` scrolls it instead)."""

MARK_EDGES = {"xhat": ("xhat", "xc"), "var": ("std", "var"), "mu": ("mu", "x")}
"""The edge of each path that carries its number (an edge no other path uses)."""


def _edge_colors(child: str, parent: str, backward: bool) -> list[str]:
    if not backward:
        return [DARK]
    if parent in CONSTANTS:
        return [GREY]
    colors = [PATH_COLORS[p] for p, edges in PATH_EDGES.items() if (child, parent) in edges]
    return colors or [DARK]


def graph_figure(structure: Graph, focus: str, active: set[tuple[str, str]],
                 backward: bool, height: int = 270) -> dict:
    """A Plotly figure dict of the graph.

    focus:    node drawn highlighted
    active:   (child, parent) edges drawn thick (the current step's edges)
    backward: reverse the arrows and colour the three paths
    """
    traces: list[dict] = []
    annotations: list[dict] = []
    for child, parent in structure.edges:
        (x0, y0), (x1, y1) = POSITIONS[parent], POSITIONS[child]
        length = math.hypot(x1 - x0, y1 - y0)
        nx, ny = -(y1 - y0) / length, (x1 - x0) / length
        colors = _edge_colors(child, parent, backward)
        width = 5 if (child, parent) in active else 2
        for n, color in enumerate(colors):
            off = (n - (len(colors) - 1) / 2) * 0.11
            ax, ay, bx, by = x0 + nx * off, y0 + ny * off, x1 + nx * off, y1 + ny * off
            reverse = backward and parent not in CONSTANTS  # no gradient flows into a constant
            tail, head = ((bx, by), (ax, ay)) if reverse else ((ax, ay), (bx, by))
            # start and stop the arrow at the node markers' rims
            f = 0.3 / length
            hx, hy = head[0] + (tail[0] - head[0]) * f, head[1] + (tail[1] - head[1]) * f
            tx, ty = tail[0] + (head[0] - tail[0]) * f, tail[1] + (head[1] - tail[1]) * f
            annotations.append({
                "x": hx, "y": hy, "ax": tx, "ay": ty, "xref": "x", "yref": "y",
                "axref": "x", "ayref": "y", "showarrow": True, "arrowhead": 2, "arrowsize": 1,
                "arrowwidth": width, "arrowcolor": color, "text": "",
            })
    names = list(POSITIONS)
    traces.append({
        "type": "scatter", "mode": "markers+text", "hoverinfo": "text",
        "x": [POSITIONS[n][0] for n in names], "y": [POSITIONS[n][1] for n in names],
        "text": [LABELS[n] for n in names], "textposition": "middle center",
        "textfont": {"size": 15, "color": "black"},
        "marker": {
            "size": [60 if n == focus else 52 for n in names],
            "color": [HIGHLIGHT if n == focus else "#f2f2f2" for n in names],
            "line": {"width": 2, "color": [HIGHLIGHT if n == focus else DARK for n in names]},
        },
        "showlegend": False,
    })
    if backward:
        traces.append(_path_marks())
    return {
        "data": traces,
        "layout": {
            "height": height, "margin": {"l": 5, "r": 5, "t": 5, "b": 5},
            "meta": {"min_width": MIN_WIDTH},
            "xaxis": {"visible": False, "range": [-0.5, 7.7], "fixedrange": True},
            "yaxis": {"visible": False, "range": [-1.5, 1.5], "fixedrange": True},
            "annotations": annotations, "plot_bgcolor": "rgba(0,0,0,0)",
            "paper_bgcolor": "rgba(0,0,0,0)",
        },
    }


def _path_marks() -> dict:
    """A text trace: each path's number, in its colour, beside the middle of its own edge."""
    xs, ys = [], []
    for child, parent in MARK_EDGES.values():
        (x0, y0), (x1, y1) = POSITIONS[parent], POSITIONS[child]
        xs.append((x0 + x1) / 2)
        ys.append((y0 + y1) / 2 + 0.28)
    return {"type": "scatter", "mode": "text", "x": xs, "y": ys, "hoverinfo": "skip", "showlegend": False,
            "text": [PATH_MARKS[p] for p in MARK_EDGES],
            "textfont": {"size": 17, "color": [PATH_COLORS[p] for p in MARK_EDGES]}}
