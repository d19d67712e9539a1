"""Plotly figure dicts of the BN-in-practice lessons (folding, several devices).

* ``fold_scatter``: every output of BN(layer(x)) against the folded layer's (on the diagonal);
* ``device_means``: one feature's per-device means beside the whole batch's;
* ``spread_figure``: how far per-device statistics stray, by number of devices;
* ``dx_compare``: one feature's ∂L/∂x under per-device BN, SyncBN and GroupNorm.

Plain dicts and lists (validated in tests/unit/test_sync.py and test_fold.py).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

Array = np.ndarray
COLORS = {"local": "#ff7f0e", "sync": "#1f77b4", "gn": "#2ca02c", "line": "#7f7f7f"}


def _layout(title: str, xlab: str, ylab: str, **extra: object) -> dict:
    return {"title": {"text": title}, "xaxis": {"title": {"text": xlab}}, "yaxis": {"title": {"text": ylab}},
            "height": 340, "margin": {"l": 50, "r": 20, "t": 50, "b": 50}, **extra}


def fold_scatter(y: Array, y_fold: Array, title: str, xlab: str, ylab: str) -> dict:
    """All outputs (any shape) of the unfolded vs the folded layer, with the line y′ = y."""
    a, b = np.ravel(y).astype(float), np.ravel(y_fold).astype(float)
    lo, hi = float(min(a.min(), b.min())), float(max(a.max(), b.max()))
    return {"data": [
        {"type": "scatter", "mode": "lines", "x": [lo, hi], "y": [lo, hi], "line": {"color": COLORS["line"],
                                                                                      "dash": "dot"},
         "showlegend": False, "hoverinfo": "skip"},
        {"type": "scatter", "mode": "markers", "x": a.tolist(), "y": b.tolist(), "showlegend": False,
         "marker": {"color": COLORS["sync"], "size": 7}},
    ], "layout": _layout(title, xlab, ylab)}


def device_means(mu_dev: Array, mu: float, title: str, xlab: str, names: Sequence[str]) -> dict:
    """Per-device means (k,) as bars, the whole batch's as a line; names: (per-device, whole)."""
    k = len(mu_dev)
    devices = list(range(1, k + 1))
    return {"data": [
        {"type": "bar", "x": devices, "y": np.asarray(mu_dev, dtype=float).tolist(), "name": names[0],
         "marker": {"color": COLORS["local"]}},
        {"type": "scatter", "mode": "lines", "x": [0.5, k + 0.5], "y": [float(mu), float(mu)], "name": names[1],
         "line": {"color": COLORS["sync"], "width": 3}},
    ], "layout": _layout(title, xlab, "μ", xaxis={"title": {"text": xlab}, "tickvals": devices})}


def spread_figure(devices: Array, mean_dev: Array, var_ratio: Array, title: str, xlab: str,
                  names: Sequence[str]) -> dict:
    """mean |μ_device − μ| and mean σ²_device/σ² by device count; names: (mean_dev, var_ratio)."""
    ks = np.asarray(devices, dtype=float).tolist()
    return {"data": [
        {"type": "scatter", "mode": "lines+markers", "x": ks, "y": np.asarray(mean_dev, float).tolist(),
         "name": names[0], "line": {"color": COLORS["local"]}},
        {"type": "scatter", "mode": "lines+markers", "x": ks, "y": np.asarray(var_ratio, float).tolist(),
         "name": names[1], "line": {"color": COLORS["sync"]}},
    ], "layout": _layout(title, xlab, "", xaxis={"title": {"text": xlab}, "tickvals": ks})}


def dx_compare(local: Array, sync: Array, gn: Array, title: str, xlab: str, names: Sequence[str]) -> dict:
    """One feature's ∂L/∂x (m,) under per-device BN, SyncBN and GroupNorm, as grouped bars."""
    i = list(range(1, len(sync) + 1))
    return {"data": [
        {"type": "bar", "x": i, "y": np.asarray(v, float).tolist(), "name": name, "marker": {"color": COLORS[c]}}
        for v, name, c in zip((local, sync, gn), names, ("local", "sync", "gn"), strict=True)
    ], "layout": _layout(title, xlab, "∂L/∂x", barmode="group")}
