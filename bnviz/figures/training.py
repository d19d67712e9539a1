"""Training figures of the network lessons and the reproductions: curves, percentiles, per-layer panels.

Every builder returns a plain dict (lists, no ndarrays) that ``plotly.graph_objs.Figure``
accepts; text comes in as arguments (the pages take it from the catalog). Colours:
``bnviz.figures.palette`` (Okabe–Ito) -- the baseline vermillion, BN blue -- never
Plotly's defaults: a series without a colour takes the next one of ``palette.SERIES``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from bnviz.figures.basics import MARGIN, Array, as_list, rounded, titled
from bnviz.figures.graph_diagram import DARK
from bnviz.figures.palette import LAYER_COLORS, RUN_COLORS, SERIES


def curves(series: Sequence[dict], title: str, x_title: str, y_title: str, log_x: bool = False,
           log_y: bool = False, y_range: Sequence[float] | None = None, height: int = 320,
           percent: bool = False) -> dict:
    """Line chart. series: dicts with "x", "y", "name" and optional "color", "dash", "group"."""
    data = []
    for k, s in enumerate(series):
        y = np.asarray(s["y"], dtype=float)
        data.append({
            "type": "scatter", "mode": s.get("mode", "lines"), "name": s["name"], "x": as_list(s["x"]),
            "y": [None if not np.isfinite(v) else float(v) for v in y],
            "line": {"color": s.get("color") or SERIES[k % len(SERIES)], "dash": s.get("dash", "solid"), "width": 2},
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
        "height": height, "margin": MARGIN, "title": titled(title),
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
            data.append({"type": "scatter", "mode": "lines", "x": as_list(h["steps"]),
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
        x = as_list(steps[run])
        fill = color.replace("#", "")
        rgba = f"rgba({int(fill[0:2], 16)}, {int(fill[2:4], 16)}, {int(fill[4:6], 16)}, 0.18)"
        data.append({"type": "scatter", "mode": "lines", "x": x, "y": rounded(p[:, 0]), "line": {"color": color,
                     "width": 1}, "name": f"{names[run]} · {pct_names[0]}", "legendgroup": run, "showlegend": False})
        data.append({"type": "scatter", "mode": "lines", "x": x, "y": rounded(p[:, 2]), "fill": "tonexty",
                     "fillcolor": rgba, "line": {"color": color, "width": 1},
                     "name": f"{names[run]} · {pct_names[0]}–{pct_names[2]}", "legendgroup": run})
        data.append({"type": "scatter", "mode": "lines", "x": x, "y": rounded(p[:, 1]),
                     "line": {"color": color, "width": 3}, "name": f"{names[run]} · {pct_names[1]}",
                     "legendgroup": run})
    return {"data": data, "layout": {"height": height, "margin": MARGIN, "title": titled(title),
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
    data, layout = [], {"height": height, "margin": MARGIN, "title": titled(title),
                        "legend": {"orientation": "h", "y": -0.25}, "annotations": []}
    finite = [v[np.isfinite(v) & (v > 0)] if log_y else v[np.isfinite(v)]
              for v in (np.asarray(values[r], dtype=float) for r in runs)]
    finite = np.concatenate([f.ravel() for f in finite]) if finite else np.array([])
    for c, run in enumerate(runs):
        v = np.asarray(values[run], dtype=float)
        ax = "" if c == 0 else str(c + 1)
        for layer in range(v.shape[1]):
            data.append({"type": "scatter", "mode": "lines", "x": as_list(steps[run]),
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
