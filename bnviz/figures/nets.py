"""Plotly figure dicts of the why-BN lessons: saturation, training curves, per-layer statistics, chains.

Every builder returns a plain dict (lists, no ndarrays) that
``plotly.graph_objs.Figure`` accepts; text comes in as arguments (the pages
take it from the catalog). Colours: the baseline orange, BN blue, as in the
BN paper's plots.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from bnviz.figures.graph_diagram import DARK, GREY, HIGHLIGHT

Array = np.ndarray

RUN_COLORS = {"baseline": "#ff7f0e", "bn": "#1f77b4"}
BATCH_COLORS = ("#2ca02c", "#1f77b4", "#d62728", "#9467bd", "#8c564b", "#e377c2")
NORMAL_COLOR = "#e6b800"
"""The standard normal, yellow as in seed 004's picture."""
LAYER_COLORS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f")
SHADE = "rgba(214, 39, 40, 0.12)"
MARGIN = {"l": 50, "r": 20, "t": 40, "b": 40}


def _list(a) -> list:
    return np.asarray(a, dtype=float).tolist()


def _title(text: str) -> dict:
    return {"text": text, "font": {"size": 14}}


def _round(a: Array, digits: int = 5) -> list:
    """Fewer digits in the JSON for plotted-only values (not the numbers shown in tables)."""
    return np.round(np.asarray(a, dtype=float), digits).tolist()


# -------------------------------------------------------------- saturation --


def density(x: Array, lo: float, hi: float, bins: int = 60) -> tuple[list, list]:
    """Histogram density of x on [lo, hi] (bin centres, density)."""
    counts, edges = np.histogram(np.clip(x, lo, hi), bins=bins, range=(lo, hi), density=True)
    return _round((edges[:-1] + edges[1:]) / 2), _round(counts)


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
    data.append({"type": "scatter", "mode": "lines", "x": _round(grid),
                 "y": _round(np.exp(-grid**2 / 2) / np.sqrt(2 * np.pi)), "name": curve_names["normal"],
                 "line": {"color": NORMAL_COLOR, "width": 3}})
    data.append({"type": "scatter", "mode": "lines", "x": _round(grid), "y": _round(sig), "yaxis": "y2",
                 "name": curve_names["sigmoid"], "line": {"color": DARK, "width": 1.5, "dash": "dot"}})
    data.append({"type": "scatter", "mode": "lines", "x": _round(grid), "y": _round(sig * (1 - sig)),
                 "yaxis": "y2", "name": curve_names["dsigmoid"], "line": {"color": DARK, "width": 2}})
    # a legend entry for the shading
    data.append({"type": "scatter", "mode": "markers", "x": [None], "y": [None], "name": curve_names["saturated"],
                 "marker": {"symbol": "square", "size": 12, "color": SHADE.replace("0.12", "0.35")}})
    shapes = [{"type": "rect", "xref": "x", "yref": "paper", "x0": x0, "x1": x1, "y0": 0, "y1": 1,
               "fillcolor": SHADE, "line": {"width": 0}, "layer": "below"}
              for x0, x1 in ((-extent, -z_tau), (z_tau, extent))]
    return {
        "data": data,
        "layout": {
            "height": height, "margin": {**MARGIN, "r": 55}, "title": _title(title),
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
    data = [{"type": "bar", "name": label, "x": list(names), "y": _list(v), "marker": {"color": color},
             "text": [f"{100 * float(s):.1f}%" for s in v], "textposition": "outside"}
            for label, v, color in ((labels[0], before, GREY), (labels[1], after, RUN_COLORS["bn"]))]
    return {"data": data, "layout": {"height": height, "margin": MARGIN, "title": _title(title), "barmode": "group",
                                     "yaxis": {"title": {"text": y_title}, "range": [0, 1.12], "tickformat": ".0%"},
                                     "legend": {"orientation": "h", "y": -0.2}}}


# ----------------------------------------------------------------- curves --


def curves(series: Sequence[dict], title: str, x_title: str, y_title: str, log_x: bool = False,
           log_y: bool = False, y_range: Sequence[float] | None = None, height: int = 320,
           percent: bool = False) -> dict:
    """Line chart. series: dicts with "x", "y", "name" and optional "color", "dash", "group"."""
    data = []
    for s in series:
        y = np.asarray(s["y"], dtype=float)
        data.append({
            "type": "scatter", "mode": s.get("mode", "lines"), "name": s["name"], "x": _list(s["x"]),
            "y": [None if not np.isfinite(v) else float(v) for v in y],
            "line": {"color": s.get("color"), "dash": s.get("dash", "solid"), "width": 2},
            "legendgroup": s.get("group", s["name"]),
        })
    yaxis: dict = {"title": {"text": y_title}}
    if log_y:
        yaxis.update(type="log", exponentformat="power")
    if y_range is not None:
        yaxis["range"] = list(y_range)
    if percent:
        yaxis["tickformat"] = ".0%"
    return {"data": data, "layout": {
        "height": height, "margin": MARGIN, "title": _title(title),
        "xaxis": {"title": {"text": x_title}, **({"type": "log", "exponentformat": "power"} if log_x else {})},
        "yaxis": yaxis, "legend": {"orientation": "h", "y": -0.25}, "hovermode": "x unified",
    }}


def training_curves(runs: dict[str, dict], names: dict[str, str], titles: dict[str, str], height: int = 330) -> dict:
    """Loss (left) and accuracy (right) over steps for each run, side by side.

    runs: name -> {"steps", "train_loss", "val_loss", "train_acc", "val_acc"} (lists)
    names: run name -> legend label; titles: "loss", "accuracy", "steps", "train", "val" texts
    """
    data = []
    for run, h in runs.items():
        color = RUN_COLORS.get(run, DARK)
        for key, axis, dash, part in (("train_loss", 1, "dot", "train"), ("val_loss", 1, "solid", "val"),
                                      ("train_acc", 2, "dot", "train"), ("val_acc", 2, "solid", "val")):
            y = np.asarray(h[key], dtype=float)
            data.append({"type": "scatter", "mode": "lines", "x": _list(h["steps"]),
                         "y": [None if not np.isfinite(v) else float(v) for v in y],
                         "name": f"{names[run]} · {titles[part]}", "legendgroup": run,
                         "showlegend": axis == 1, "line": {"color": color, "dash": dash, "width": 2},
                         "xaxis": "x" if axis == 1 else "x2", "yaxis": "y" if axis == 1 else "y2"})
    return {"data": data, "layout": {
        "height": height, "margin": {**MARGIN, "t": 50},
        "xaxis": {"domain": [0, 0.46], "title": {"text": titles["steps"]}},
        "xaxis2": {"domain": [0.54, 1], "title": {"text": titles["steps"]}, "anchor": "y2"},
        "yaxis": {"title": {"text": titles["loss"]}, "type": "log", "dtick": 1},
        "yaxis2": {"title": {"text": titles["accuracy"]}, "anchor": "x2", "range": [0, 1.02], "tickformat": ".0%"},
        "legend": {"orientation": "h", "y": -0.25},
        "annotations": [
            {"text": titles["loss"], "x": 0.23, "y": 1.04, "xref": "paper", "yref": "paper", "showarrow": False,
             "yanchor": "bottom", "font": {"size": 14}},
            {"text": titles["accuracy"], "x": 0.77, "y": 1.04, "xref": "paper", "yref": "paper", "showarrow": False,
             "yanchor": "bottom", "font": {"size": 14}},
        ],
    }}


def percentile_figure(steps: dict[str, Array], pct: dict[str, Array], names: dict[str, str], title: str,
                      x_title: str, y_title: str, pct_names: Sequence[str], height: int = 340) -> dict:
    """The 15th/50th/85th percentiles over training per run: the median as a line, 15..85 as a band.

    steps[run]: (R,), pct[run]: (R, 3)
    """
    data = []
    for run, p in pct.items():
        p = np.asarray(p, dtype=float)
        color = RUN_COLORS.get(run, DARK)
        x = _list(steps[run])
        fill = color.replace("#", "")
        rgba = f"rgba({int(fill[0:2], 16)}, {int(fill[2:4], 16)}, {int(fill[4:6], 16)}, 0.18)"
        data.append({"type": "scatter", "mode": "lines", "x": x, "y": _round(p[:, 0]), "line": {"color": color,
                     "width": 1}, "name": f"{names[run]} · {pct_names[0]}", "legendgroup": run, "showlegend": False})
        data.append({"type": "scatter", "mode": "lines", "x": x, "y": _round(p[:, 2]), "fill": "tonexty",
                     "fillcolor": rgba, "line": {"color": color, "width": 1},
                     "name": f"{names[run]} · {pct_names[0]}–{pct_names[2]}", "legendgroup": run})
        data.append({"type": "scatter", "mode": "lines", "x": x, "y": _round(p[:, 1]),
                     "line": {"color": color, "width": 3}, "name": f"{names[run]} · {pct_names[1]}",
                     "legendgroup": run})
    return {"data": data, "layout": {"height": height, "margin": MARGIN, "title": _title(title),
                                     "xaxis": {"title": {"text": x_title}}, "yaxis": {"title": {"text": y_title}},
                                     "legend": {"orientation": "h", "y": -0.25}}}


def layer_panels(steps: dict[str, Array], values: dict[str, Array], run_names: dict[str, str],
                 layer_names: Sequence[str], title: str, x_title: str, y_title: str, log_y: bool = False,
                 percent: bool = False, height: int = 320) -> dict:
    """One panel per run (side by side), a line per layer. values[run]: (R, layers)."""
    runs = list(values)
    n = len(runs)
    gap = 0.08
    width = (1 - gap * (n - 1)) / n
    data, layout = [], {"height": height, "margin": MARGIN, "title": _title(title),
                        "legend": {"orientation": "h", "y": -0.25}, "annotations": []}
    finite = [v[np.isfinite(v) & (v > 0)] if log_y else v[np.isfinite(v)]
              for v in (np.asarray(values[r], dtype=float) for r in runs)]
    finite = np.concatenate([f.ravel() for f in finite]) if finite else np.array([])
    for c, run in enumerate(runs):
        v = np.asarray(values[run], dtype=float)
        ax = "" if c == 0 else str(c + 1)
        for layer in range(v.shape[1]):
            data.append({"type": "scatter", "mode": "lines", "x": _list(steps[run]),
                         "y": [None if not np.isfinite(a) or (log_y and a <= 0) else float(a) for a in v[:, layer]],
                         "name": layer_names[layer], "legendgroup": layer_names[layer], "showlegend": c == 0,
                         "line": {"color": LAYER_COLORS[layer % len(LAYER_COLORS)], "width": 2},
                         "xaxis": f"x{ax}", "yaxis": f"y{ax}"})
        x0 = c * (width + gap)
        layout[f"xaxis{ax}"] = {"domain": [x0, x0 + width], "title": {"text": x_title}, "anchor": f"y{ax}"}
        yaxis: dict = {"anchor": f"x{ax}", "title": {"text": y_title if c == 0 else ""}}
        if log_y:
            yaxis.update(type="log", dtick=1, exponentformat="power")
            if finite.size:
                yaxis["range"] = [float(np.log10(finite.min())) - 0.2, float(np.log10(finite.max())) + 0.2]
        elif percent:
            yaxis.update(range=[0, 1.02], tickformat=".0%")
        if c:
            yaxis["matches"] = "y"
        layout[f"yaxis{ax}"] = yaxis
        layout["annotations"].append({"text": run_names[run], "x": x0 + width / 2, "y": 1.0, "xref": "paper",
                                      "yref": "paper", "showarrow": False, "yanchor": "bottom",
                                      "font": {"size": 13, "color": RUN_COLORS.get(run, DARK)}})
    return {"data": data, "layout": layout}


# -------------------------------------------------------------- histograms --


def _bins(values: list[Array], bins: int) -> Array:
    """Shared edges for one panel over all frames: the 0.5th..99.5th percentile range."""
    allv = np.concatenate([np.asarray(v, dtype=float).ravel() for v in values])
    allv = allv[np.isfinite(allv)]
    if allv.size == 0:
        return np.linspace(-1, 1, bins + 1)
    lo, hi = np.percentile(allv, [0.5, 99.5])
    if hi <= lo:
        lo, hi = lo - 1e-12 - abs(lo) * 1e-3, hi + 1e-12 + abs(hi) * 1e-3
    return np.linspace(lo, hi, bins + 1)


def histogram_frames(samples: dict[str, list[Array]], steps: Sequence[int], run_names: dict[str, str],
                     layer_names: Sequence[str], title: str, frame_label: str, play: str,
                     bins: int = 30, height: int | None = None) -> dict:
    """Per-layer histograms over training: a grid (runs × layers) animated by a slider and a play button.

    samples[run]: per record, (layers, S) values. Each panel keeps one x-range (the 0.5..99.5th
    percentiles over all of its frames), so the drift is visible; panels have their own ranges.
    Playback runs in the browser (Plotly frames), without the server.
    """
    runs = list(samples)
    n_layers = len(layer_names)
    n_frames = min(len(steps), *(len(samples[r]) for r in runs)) if runs else 0
    gap_x, gap_y = 0.025, 0.16
    w = (1 - gap_x * (n_layers - 1)) / n_layers
    h = (1 - gap_y * (len(runs) - 1)) / max(1, len(runs))
    layout: dict = {"height": height or 170 + 190 * len(runs), "margin": {"l": 70, "r": 10, "t": 50, "b": 40},
                    "title": _title(title), "showlegend": False, "bargap": 0.02, "annotations": []}
    traces, counts = [], []
    for r, run in enumerate(runs):
        for layer in range(n_layers):
            idx = r * n_layers + layer + 1
            ax = "" if idx == 1 else str(idx)
            per_frame = [np.asarray(samples[run][f][layer], dtype=float) for f in range(n_frames)]
            edges = _bins(per_frame, bins)
            centres = (edges[:-1] + edges[1:]) / 2
            frame_counts = []
            for v in per_frame:
                c, _ = np.histogram(np.clip(v, edges[0], edges[-1]), bins=edges)
                frame_counts.append(_round(c / max(1, v.size), 4))
            counts.append(frame_counts)
            traces.append({"type": "bar", "x": _round(centres, 6), "y": frame_counts[-1] if frame_counts else [],
                           "marker": {"color": RUN_COLORS.get(run, DARK)}, "xaxis": f"x{ax}", "yaxis": f"y{ax}",
                           "hovertemplate": "%{x:.3g}: %{y:.1%}<extra></extra>"})
            x0 = layer * (w + gap_x)
            y1 = 1 - r * (h + gap_y)
            layout[f"xaxis{ax}"] = {"domain": [x0, x0 + w], "anchor": f"y{ax}", "tickfont": {"size": 9},
                                    "nticks": 4, "exponentformat": "e",
                                    "range": [float(edges[0]), float(edges[-1])]}
            layout[f"yaxis{ax}"] = {"domain": [y1 - h, y1], "anchor": f"x{ax}", "showticklabels": layer == 0,
                                    "tickformat": ".0%", "tickfont": {"size": 9}}
            if r == 0:
                layout["annotations"].append({"text": layer_names[layer], "x": x0 + w / 2, "y": 1.0,
                                              "xref": "paper", "yref": "paper", "showarrow": False,
                                              "yanchor": "bottom", "font": {"size": 12}})
        layout["annotations"].append({"text": f"<b>{run_names[run]}</b>", "x": -0.045, "y": 1 - r * (h + gap_y) - h / 2,
                                      "xref": "paper", "yref": "paper", "showarrow": False, "textangle": -90,
                                      "font": {"size": 12, "color": RUN_COLORS.get(run, DARK)}})
    # the y-ranges: the largest bar of each panel over all frames
    for t, frame_counts in enumerate(counts):
        top = max((max(c) for c in frame_counts if c), default=1.0)
        ax = "" if t == 0 else str(t + 1)
        layout[f"yaxis{ax}"]["range"] = [0, float(top) * 1.08 or 1.0]
    frames = [{"name": str(steps[f]), "data": [{"type": "bar", "y": counts[t][f]} for t in range(len(traces))],
               "traces": list(range(len(traces)))} for f in range(n_frames)]
    if n_frames:
        label_every = max(1, n_frames // 10)
        layout["sliders"] = [{
            "active": n_frames - 1, "pad": {"t": 30}, "currentvalue": {"prefix": f"{frame_label}: "},
            "steps": [{"label": str(steps[f]) if f % label_every == 0 or f == n_frames - 1 else "",
                       "method": "animate",
                       "args": [[str(steps[f])], {"mode": "immediate", "frame": {"duration": 0, "redraw": False},
                                                  "transition": {"duration": 0}}]} for f in range(n_frames)],
        }]
        layout["updatemenus"] = [{
            "type": "buttons", "showactive": False, "x": 0, "y": -0.02, "xanchor": "right", "yanchor": "top",
            "pad": {"t": 30, "r": 10},
            "buttons": [{"label": play, "method": "animate",
                         "args": [None, {"frame": {"duration": 120, "redraw": False}, "fromcurrent": False,
                                         "transition": {"duration": 0}, "mode": "immediate"}]}],
        }]
    return {"data": traces, "layout": layout, "frames": frames}


# ------------------------------------------------------------------ chains --


def chain_figure(nodes: Sequence[str], focus: Sequence[str], backward: bool, labels: dict[str, str] | None = None,
                 height: int = 150) -> dict:
    """A left-to-right chain of labelled boxes (x → BN → ReLU → affine → softmax → L).

    focus: the nodes the current step is about (highlighted); backward:
    arrows point right to left, the way the gradient flows; labels: node -> text (default the id).
    """
    xs = list(range(len(nodes)))
    annotations = []
    for n in range(len(nodes) - 1):
        a, b = (n + 1, n) if backward else (n, n + 1)
        active = nodes[a] in focus or nodes[b] in focus
        annotations.append({"x": b + (0.28 if b < a else -0.28), "y": 0, "ax": a + (-0.28 if b < a else 0.28),
                            "ay": 0, "xref": "x", "yref": "y", "axref": "x", "ayref": "y", "showarrow": True,
                            "arrowhead": 2, "arrowwidth": 4 if active else 2,
                            "arrowcolor": HIGHLIGHT if active and backward else DARK, "text": ""})
    return {
        "data": [{"type": "scatter", "mode": "markers+text", "x": xs, "y": [0] * len(xs),
                  "text": [(labels or {}).get(n, n) for n in nodes],
                  "textposition": "middle center", "hoverinfo": "text",
                  "textfont": {"size": 13, "color": "black"},
                  "marker": {"symbol": "square", "size": 62,
                             "color": [HIGHLIGHT if n in focus else "#f2f2f2" for n in nodes],
                             "line": {"width": 2, "color": [HIGHLIGHT if n in focus else DARK for n in nodes]}},
                  "showlegend": False}],
        "layout": {"height": height, "margin": {"l": 5, "r": 5, "t": 5, "b": 5},
                   "meta": {"min_width": 80 * len(nodes)},  # 62 px nodes never overlap (ui.charts scrolls)
                   "xaxis": {"visible": False, "range": [-0.6, len(nodes) - 0.4], "fixedrange": True},
                   "yaxis": {"visible": False, "range": [-1, 1], "fixedrange": True},
                   "annotations": annotations, "plot_bgcolor": "rgba(0,0,0,0)", "paper_bgcolor": "rgba(0,0,0,0)"},
    }


def matrix_heatmap(values: Array, title: str, x_title: str, y_title: str, height: int = 240) -> dict:
    """A small heatmap of a matrix (rows from 1, top to bottom), diverging around 0."""
    v = np.asarray(values, dtype=float)
    if v.ndim == 1:
        v = v[None, :]
    return {"data": [{"type": "heatmap", "z": v.tolist(), "x": list(range(1, v.shape[1] + 1)),
                      "y": list(range(1, v.shape[0] + 1)), "colorscale": "RdBu", "reversescale": True,
                      "zmid": 0.0, "colorbar": {"thickness": 10},
                      "hovertemplate": "%{y}, %{x}: %{z:.6g}<extra></extra>"}],
            "layout": {"height": height, "margin": {"l": 40, "r": 10, "t": 30, "b": 35}, "title": _title(title),
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
                       "title": _title(title), "xaxis": {"visible": False, "constrain": "domain"},
                       "yaxis": {"visible": False, "autorange": "reversed", "scaleanchor": "x"},
                       "annotations": notes, "plot_bgcolor": "rgba(0,0,0,0)"}}


# ------------------------------------------------------------ experiments --

BATCH_DASH = {"5": "dot", "10": "dash", "50": "solid"}
"""How the batch-size runs are told apart (besides their colour)."""


def experiment_figures(experiment: str, res: dict, texts: dict[str, str]) -> list[tuple[str, dict]]:
    """(chart key, figure) of a reproduction's result (``bnviz.nets`` fig1 / weight_scale_sweep /
    batch_size_sweep), in the page's order, two side by side. texts: titles, axes and run names
    (``bnviz.lessons.experiments.figure_texts``)."""
    runs = ("baseline", "bn")
    if experiment == "fig1":
        acc = curves([{"x": res[k]["steps"], "y": res[k]["val_acc"], "name": texts[k], "color": RUN_COLORS[k]}
                      for k in runs], texts["acc_title"], texts["steps_axis"], "", y_range=(0, 1.02), percent=True)
        pct = percentile_figure({k: res[k]["steps"] for k in runs}, {k: res[k]["unit_pct"] for k in runs},
                                {k: texts[k] for k in runs}, texts["pct_title"], texts["steps_axis"],
                                texts["pct_axis"], [texts[f"p{q}"] for q in (15, 50, 85)])
        return [("fig1_acc", acc), ("fig1_pct", pct)]
    if experiment == "weights":
        return [(f"weights_{part}", curves(
            [{"x": res["scales"], "y": res[k][part], "name": texts[k], "mode": "lines+markers",
              "color": RUN_COLORS[k]} for k in runs],
            texts[title], texts["scale_axis"], "", log_x=True, y_range=(0, 1.02), percent=True))
            for part, title in (("train_acc", "weights_train_title"), ("val_acc", "weights_val_title"))]
    out = []
    for part, title in (("train_acc", "batch_train_title"), ("val_acc", "batch_val_title")):
        series = [{"x": r["epochs"], "y": r[part], "color": RUN_COLORS[name.split(":")[0]],
                   "dash": BATCH_DASH.get(name.split(":")[1], "solid"), "name": texts[f"run:{name}"]}
                  for name, r in res["runs"].items()]
        out.append((f"batch_{part}", curves(series, texts[title], texts["epoch_axis"], "", y_range=(0, 1.02),
                                            percent=True)))
    return out
