"""Per-layer histograms over training, animated in the browser (Plotly frames, a slider and a play button)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from bnviz.figures.basics import Array, rounded, titled
from bnviz.figures.graph_diagram import DARK
from bnviz.figures.palette import RUN_COLORS


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
                    "title": titled(title), "showlegend": False, "bargap": 0.02, "annotations": []}
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
                frame_counts.append(rounded(c / max(1, v.size), 4))
            counts.append(frame_counts)
            traces.append({"type": "bar", "x": rounded(centres, 6), "y": frame_counts[-1] if frame_counts else [],
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
