"""Plotly figure dicts of the normalization family.

* ``estimates_figure``: running mean and variance after each batch, per convention,
  approaching the population values;
* ``gap_figure``: the train/test gap per batch, per convention;
* ``diagram``: a small computation graph (test-mode BN, Batch Renorm), in the
  style of ``graph_diagram.graph_figure``;
* ``axes_figure``: an (N, C, H, W) tensor drawn as N × C small grids, each cell
  coloured by the normalisation set it belongs to, one set highlighted;
* ``experiment_figure``: BN vs BRN train/test gap by batch size.

Plain dicts and lists (the app shows them without re-validation; the unit
tests validate every builder with ``plotly.graph_objs.Figure``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np

from bnviz.figures.graph_diagram import DARK, GREY, HIGHLIGHT, PATH_COLORS
from bnviz.ops.renorm import RN_SYM
from bnviz.ops.testmode import TEST_SYM
from bnviz.symbolic import symbols as S

Array = np.ndarray

CONVENTION_COLORS = {"cs231n": "#CC79A7", "pytorch": "#D55E00", "keras": "#009E73", "caffe": "#0072B2"}
CONVENTION_STYLE = {"cs231n": ("dash", "circle-open", 9), "pytorch": ("solid", "x-thin", 7),
                    "keras": ("dashdot", "diamond-open", 8), "caffe": ("dot", "square", 5)}
"""convention -> (dash, marker symbol, marker size): lines that coincide (cs231n and PyTorch from the same
start) stay apart by dash and marker, not only by colour (Okabe–Ito)."""
METHOD_STYLE = {("bn", "iid"): ("#ff7f0e", "solid"), ("brn", "iid"): ("#1f77b4", "solid"),
                ("bn", "noniid"): ("#ff7f0e", "dash"), ("brn", "noniid"): ("#1f77b4", "dash")}
SET_PALETTE = ("#a6cee3", "#b2df8a", "#fdbf6f", "#cab2d6", "#ffff99", "#8dd3c7", "#bebada", "#d9d9d9",
               "#80b1d3", "#ccebc5", "#e5d8bd", "#b3de69")
"""Pale colours for the sets; the highlighted set is drawn strong on top."""


def _lines(x: Sequence, y: Array, name: str, color: str, dash: str = "solid", axis: str = "",
           showlegend: bool = True, width: float = 2.0) -> dict:
    trace = {"type": "scatter", "mode": "lines", "name": name, "x": list(x), "y": np.asarray(y, dtype=float).tolist(),
             "line": {"color": color, "dash": dash, "width": width}, "legendgroup": name, "showlegend": showlegend}
    if axis:
        trace.update(xaxis=f"x{axis}", yaxis=f"y{axis}")
    return trace


def estimates_figure(means: Mapping[str, Array], variances: Mapping[str, Array], names: Mapping[str, str],
                     batch_mean: Array, batch_var: Array, pop_mean: float, pop_var: float, labels: Mapping[str, str],
                     title: str, height: int = 360) -> dict:
    """Two panels: running mean (left) and running variance (right) after each batch k = 1..K.

    means, variances: convention -> (K,); batch_mean, batch_var: (K,) this batch's
    statistics (grey dots); labels: "population", "batch", "step", "mean", "var".
    """
    k = len(batch_mean)
    steps = list(range(1, k + 1))
    data: list[dict] = []
    for axis, ests, batch, pop in (("", means, batch_mean, pop_mean), ("2", variances, batch_var, pop_var)):
        first = axis == ""
        data.append({"type": "scatter", "mode": "markers", "name": labels["batch"], "x": steps,
                     "y": np.asarray(batch, dtype=float).tolist(), "marker": {"color": GREY, "size": 5},
                     "legendgroup": "batch", "showlegend": first, **({"xaxis": "x2", "yaxis": "y2"} if axis else {})})
        for conv, values in ests.items():
            dash, symbol, size = CONVENTION_STYLE.get(conv, ("solid", "circle", 6))
            trace = _lines(steps, values, names[conv], CONVENTION_COLORS[conv], dash, axis, first)
            trace["mode"] = "lines+markers"
            trace["marker"] = {"symbol": symbol, "size": size, "color": CONVENTION_COLORS[conv],
                               "line": {"width": 1.5, "color": CONVENTION_COLORS[conv]}}
            data.append(trace)
        data.append(_lines([1, max(k, 2)], [pop, pop], labels["population"], DARK, "dot", axis, first, 1.5))
    return {
        "data": data,
        "layout": {
            "height": height, "margin": {"l": 50, "r": 10, "t": 40, "b": 40},
            "title": {"text": title, "font": {"size": 13}},
            "xaxis": {"domain": [0.0, 0.46], "title": {"text": labels["step"]}},
            "yaxis": {"title": {"text": labels["mean"]}},
            "xaxis2": {"domain": [0.54, 1.0], "title": {"text": labels["step"]}, "anchor": "y2"},
            "yaxis2": {"title": {"text": labels["var"]}, "anchor": "x2"},
            "legend": {"orientation": "h", "y": -0.22},
        },
    }


def gap_figure(gaps: Mapping[str, Array], names: Mapping[str, str], title: str, x_title: str, y_title: str,
               height: int = 300) -> dict:
    """convention -> (K,) mean |y_train − y_test| for batch k; one line each."""
    data = [_lines(list(range(1, len(v) + 1)), v, names[c], CONVENTION_COLORS[c]) for c, v in gaps.items()]
    return {
        "data": data,
        "layout": {
            "height": height, "margin": {"l": 50, "r": 10, "t": 40, "b": 40},
            "title": {"text": title, "font": {"size": 13}},
            "xaxis": {"title": {"text": x_title}}, "yaxis": {"title": {"text": y_title}, "rangemode": "tozero"},
            "legend": {"orientation": "h", "y": -0.25},
        },
    }


def diagram(edges: Sequence[tuple[str, str]], positions: Mapping[str, tuple[float, float]],
            labels: Mapping[str, str], focus: str, active: set[tuple[str, str]], backward: bool,
            path_edges: Mapping[str, set[tuple[str, str]]], constants: set[str], height: int = 260,
            stopped: set[str] = frozenset()) -> dict:
    """A computation graph drawn like ``graph_diagram.graph_figure``.

    edges: (child, parent) pairs; backward reverses the arrows, colours each
    path of ``path_edges`` (label -> edges; labels "xhat", "var", "mu" take the
    BN graph's colours) and sends nothing into ``constants`` or ``stopped``
    (stop-gradient leaves, drawn with a dashed rim).
    """
    colors = dict(PATH_COLORS)
    annotations: list[dict] = []
    for child, parent in edges:
        if backward and (parent in constants or parent in stopped):
            continue
        (x0, y0), (x1, y1) = positions[parent], positions[child]
        length = math.hypot(x1 - x0, y1 - y0)
        nx, ny = -(y1 - y0) / length, (x1 - x0) / length
        cols = [colors[p] for p, es in path_edges.items() if (child, parent) in es] if backward else []
        cols = cols or [DARK]
        width = 5 if (child, parent) in active else 2
        for n, color in enumerate(cols):
            off = (n - (len(cols) - 1) / 2) * 0.11
            ax, ay, bx, by = x0 + nx * off, y0 + ny * off, x1 + nx * off, y1 + ny * off
            tail, head = ((bx, by), (ax, ay)) if backward else ((ax, ay), (bx, by))
            f = 0.3 / length
            hx, hy = head[0] + (tail[0] - head[0]) * f, head[1] + (tail[1] - head[1]) * f
            tx, ty = tail[0] + (head[0] - tail[0]) * f, tail[1] + (head[1] - tail[1]) * f
            annotations.append({"x": hx, "y": hy, "ax": tx, "ay": ty, "xref": "x", "yref": "y", "axref": "x",
                                "ayref": "y", "showarrow": True, "arrowhead": 2, "arrowsize": 1,
                                "arrowwidth": width, "arrowcolor": color, "text": ""})
    names = list(positions)
    xs = [p[0] for p in positions.values()]
    return {
        "data": [{
            "type": "scatter", "mode": "markers+text", "hoverinfo": "text",
            "x": xs, "y": [positions[n][1] for n in names], "text": [labels[n] for n in names],
            "textposition": "middle center",
            "textfont": {"size": [14 if len(labels[n]) <= 5 else 12 for n in names],
                         "color": "black"},
            "marker": {
                "size": [60 if n == focus else 52 for n in names],
                "color": [HIGHLIGHT if n == focus else ("#ffffff" if n in stopped else "#f2f2f2") for n in names],
                "line": {"width": 2, "color": [HIGHLIGHT if n == focus else (GREY if n in stopped else DARK)
                                               for n in names]},
            },
            "showlegend": False,
        }],
        "layout": {
            "height": height, "margin": {"l": 5, "r": 5, "t": 5, "b": 5},
            "meta": {"min_width": int(80 * (max(xs) - min(xs) + 1))},  # 52 px nodes never overlap (ui.charts)
            "xaxis": {"visible": False, "range": [min(xs) - 0.5, max(xs) + 0.5], "fixedrange": True},
            "yaxis": {"visible": False, "range": [-1.5, 1.5], "fixedrange": True},
            "annotations": annotations, "plot_bgcolor": "rgba(0,0,0,0)", "paper_bgcolor": "rgba(0,0,0,0)",
        },
    }


def axes_figure(set_index: Array, highlight: int, title: str, sample_title: str, channel_title: str,
                hover: str = "n=%{customdata[0]}, c=%{customdata[1]}, h=%{customdata[2]}, w=%{customdata[3]}: "
                             "set %{customdata[4]}", height: int | None = None) -> dict:
    """set_index: (N, C, H, W) ints (the set of every cell), or (N, C) for a 2-D tensor.

    Drawn as a grid of N rows × C columns of H × W blocks with a blank line
    between blocks; pale colours by set, the ``highlight`` set in red.
    """
    idx = np.asarray(set_index)
    if idx.ndim == 2:
        idx = idx[:, :, None, None]
    n, c, h, w = idx.shape
    rows, cols = n * (h + 1) - 1, c * (w + 1) - 1
    base = np.full((rows, cols), np.nan)
    top = np.full((rows, cols), np.nan)
    custom = np.zeros((rows, cols, 5), dtype=int)
    for a in range(n):
        for b in range(c):
            r0, c0 = a * (h + 1), b * (w + 1)
            block = idx[a, b]
            base[r0:r0 + h, c0:c0 + w] = block % len(SET_PALETTE) + 0.5
            top[r0:r0 + h, c0:c0 + w] = np.where(block == highlight, 1.0, np.nan)
            for i in range(h):
                for j in range(w):
                    custom[r0 + i, c0 + j] = (a + 1, b + 1, i + 1, j + 1, block[i, j] + 1)
    k = len(SET_PALETTE)
    scale = [[(p + e) / k, SET_PALETTE[p]] for p in range(k) for e in (0, 1)]  # band p holds z in [p, p + 1]

    def clean(a: Array) -> list:
        return [[None if np.isnan(v) else float(v) for v in row] for row in a]

    cd = custom.tolist()
    data = [
        {"type": "heatmap", "z": clean(base), "zmin": 0, "zmax": k, "colorscale": scale, "showscale": False,
         "xgap": 1, "ygap": 1, "customdata": cd, "hovertemplate": hover + "<extra></extra>", "hoverongaps": False},
        {"type": "heatmap", "z": clean(top), "zmin": 0, "zmax": 1, "showscale": False, "xgap": 1, "ygap": 1,
         "colorscale": [[0.0, HIGHLIGHT], [1.0, HIGHLIGHT]], "customdata": cd,
         "hovertemplate": hover + "<extra></extra>", "hoverongaps": False},
    ]
    x_ticks = [b * (w + 1) + (w - 1) / 2 for b in range(c)]
    y_ticks = [a * (h + 1) + (h - 1) / 2 for a in range(n)]
    cell = 22 if max(rows, cols) <= 20 else 14
    return {
        "data": data,
        "layout": {
            "height": height or min(520, 90 + cell * rows), "margin": {"l": 60, "r": 10, "t": 40, "b": 50},
            "title": {"text": title, "font": {"size": 13}},
            "xaxis": {"tickvals": x_ticks, "ticktext": [str(b + 1) for b in range(c)], "showgrid": False,
                      "zeroline": False, "title": {"text": channel_title}, "side": "bottom",
                      "range": [-0.5, cols - 0.5], "fixedrange": True},
            "yaxis": {"tickvals": y_ticks, "ticktext": [str(a + 1) for a in range(n)], "showgrid": False,
                      "zeroline": False, "title": {"text": sample_title}, "autorange": "reversed",
                      "scaleanchor": "x", "fixedrange": True},
            "plot_bgcolor": "rgba(0,0,0,0)", "paper_bgcolor": "rgba(0,0,0,0)",
        },
    }


def experiment_figure(sizes: Sequence[int], gaps: Mapping[tuple[str, str], Array], names: Mapping[tuple[str, str], str],
                      title: str, x_title: str, y_title: str, height: int = 340) -> dict:
    """BN vs BRN train/test gap by batch size; (method, batches) -> (len(sizes),)."""
    data = []
    for key, values in gaps.items():
        color, dash = METHOD_STYLE[key]
        trace = _lines(list(sizes), values, names[key], color, dash)
        trace["mode"] = "lines+markers"
        data.append(trace)
    return {
        "data": data,
        "layout": {
            "height": height, "margin": {"l": 50, "r": 10, "t": 40, "b": 40},
            "title": {"text": title, "font": {"size": 13}},
            "xaxis": {"title": {"text": x_title}, "dtick": 1},
            "yaxis": {"title": {"text": y_title}, "rangemode": "tozero"},
            "legend": {"orientation": "h", "y": -0.25},
        },
    }


# ---------------------------------------------------------- the two small graphs --

TEST_POSITIONS = {
    "x": (0.0, 0.0), "mu_run": (1.0, 1.0), "xc": (2.0, 0.0), "var_run": (2.4, 1.1), "std": (3.6, 1.0),
    "xhat": (4.6, 0.0), "y": (5.8, 0.0), "L": (7.0, 0.0), "gamma": (5.2, -1.0), "beta": (6.0, -1.0),
    "dout": (6.8, -1.0),
}
TEST_LABELS = {name: S.label(TEST_SYM[name]) for name in TEST_POSITIONS}
"""Node labels: the text of each node's symbol (:func:`bnviz.symbolic.symbols.label`)."""
TEST_PATHS = {"xhat": {("y", "xhat"), ("xhat", "xc"), ("xc", "x")}}
TEST_CONSTANTS = {"dout", "mu_run", "var_run", "std"}
"""No gradient flows into these: the given ∂L/∂y and the stored statistics (√(σ²_run + ε) included)."""

RENORM_POSITIONS = {
    "x": (0.0, 0.0), "mu": (1.0, 1.0), "xc": (2.0, 0.0), "var": (3.0, 1.0), "std": (4.0, 1.0),
    "xn": (5.0, 0.0), "r": (5.4, 1.1), "d": (6.4, 1.1), "xhat": (6.2, 0.0), "y": (7.3, 0.0), "L": (8.5, 0.0),
    "gamma": (6.8, -1.0), "beta": (7.6, -1.0), "dout": (8.4, -1.0),
}
RENORM_LABELS = {name: S.label(RN_SYM[name]) for name in RENORM_POSITIONS}
RENORM_PATHS = {
    "xhat": {("xhat", "xn"), ("xn", "xc"), ("xc", "x")},
    "var": {("xhat", "xn"), ("xn", "std"), ("std", "var"), ("var", "xc"), ("xc", "x")},
    "mu": {("xc", "mu"), ("mu", "x")},
}
"""Renorm's paths via x̂, via σ_B (drawn in the σ² colour) and via μ_B."""
