"""The animated-grid canvas the conv and pool figures draw on (plain Plotly dicts).

Every animation is an :class:`Animation`: the figure's traces at frame 0,
and for each frame the new state of the traces that change (a grid filling
up, the outlines of the current windows, the caption with the sum written
out in numbers). ``Animation.figure()`` turns it into a figure dict with
Plotly frames, a play/pause button (``updatemenus``) and a step slider, so
playback runs in the browser with no server round trip;
``Animation.still(k)`` is frame k alone (the page's frame-by-frame mode),
and ``Animation.latex[k]`` the same caption in LaTeX.

All panels of a :class:`Canvas` share one pair of axes: a matrix is a heatmap
whose cell (r, s) is centred at (x0 + s, y0 + r), with the y axis reversed
(row 1 on top) and square cells. Zeros that are not the layer's own numbers
(padding, zeros inserted by the stride, the "full" mode's rings) are light
grey; cells in no window (dropped, PyTorch's floor) carry a ×, cells past the
padding (ceil mode) are dotted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from bnviz.i18n import t

Array = np.ndarray

SCALE = [[0.0, "#2f6db3"], [0.5, "#ffffff"], [1.0, "#d1492e"]]
"""Negative blue, zero white, positive red."""
ZERO_GREY, SLOT_GREY, TEXT_GREY = "#ececec", "#f7f7f7", "#9a9a9a"
WINDOW, CELL, MARK = "#ff9f1c", "#2a9d8f", "#3b0f70"
GAP = 1.6
"""Horizontal space between panels, in cells."""
ROW_GAP = 1.9
"""Vertical space between stacked panels (room for a title), in cells."""
CELL_PX = (34, 62)
"""Smallest and largest cell side in pixels; within it a figure is sized to fill WIDTH."""
WIDTH = 900
"""Width (px) a figure is sized for; side-by-side figures get half (Streamlit scales it down
to the column, keeping the square cells)."""
FRAME_MS = 900
TITLE_PX = 7.5
"""Width of one character of a 13 px panel title, in pixels (a CJK character counts double)."""


def z_list(a: Array | None) -> list | None:
    """A matrix as nested lists with NaN -> None (a gap in the heatmap)."""
    if a is None:
        return None
    return [[None if not np.isfinite(v) else float(v) for v in row] for row in np.asarray(a, dtype=float)]


@dataclass(frozen=True, eq=False)
class Animation:
    """Frames over a fixed set of traces.

    data:     traces at frame 0 (Plotly dicts)
    layout:   layout without sliders/menus
    updates:  per frame, {trace index: new properties}
    latex:    per frame, the caption in LaTeX (the page's frame-by-frame mode)
    labels:   play, pause, slider prefix (in the page's language)
    duration: ms per frame when playing
    """

    data: list[dict]
    layout: dict
    updates: list[dict[int, dict]]
    latex: list[str]
    labels: tuple[str, str, str]
    duration: int = FRAME_MS
    name: str = field(default="")
    slider_x: float = 0.16
    """Where the slider starts (fraction of the width), right of the two buttons."""

    @property
    def count(self) -> int:
        return len(self.updates)

    def _state(self, k: int) -> list[dict]:
        data = [dict(tr) for tr in self.data]
        for idx, props in self.updates[k].items():
            data[idx].update(props)
        return data

    def still(self, k: int) -> dict:
        """Frame k as a static figure dict (no frames, no buttons)."""
        k = max(0, min(self.count - 1, k))
        return {"data": self._state(k), "layout": {**self.layout, "margin": {**self.layout["margin"], "b": 10}}}

    @cached_property
    def _figure(self) -> dict:
        play, pause, prefix = self.labels
        frames = [{"name": str(k), "traces": list(u), "data": [{"type": self.data[i]["type"], **props}
                                                                for i, props in u.items()]}
                  for k, u in enumerate(self.updates)]
        go = {"mode": "immediate", "frame": {"duration": 0, "redraw": True}, "transition": {"duration": 0}}
        slider = {
            "active": 0, "x": self.slider_x, "len": 1 - self.slider_x, "y": 0, "yanchor": "top",
            "pad": {"t": 8, "b": 0},
            "currentvalue": {"prefix": prefix, "font": {"size": 12}}, "font": {"size": 10},
            "steps": [{"label": str(k + 1), "method": "animate", "args": [[str(k)], go]} for k in range(self.count)],
        }
        menu = {
            "type": "buttons", "direction": "left", "showactive": False, "x": 0, "y": 0, "xanchor": "left",
            "yanchor": "top", "pad": {"t": 30, "r": 6}, "font": {"size": 12},
            "buttons": [
                {"label": play, "method": "animate",
                 "args": [None, {"frame": {"duration": self.duration, "redraw": True}, "fromcurrent": True,
                                 "transition": {"duration": 0}, "mode": "immediate"}]},
                {"label": pause, "method": "animate", "args": [[None], go]},
            ],
        }
        return {"data": self.data, "layout": {**self.layout, "sliders": [slider], "updatemenus": [menu]},
                "frames": frames}

    def figure(self) -> dict:
        """The animated figure dict: frames, a play/pause button and a step slider."""
        return self._figure


class Canvas:
    """Collects panels (heatmaps on shared axes), outlines, cell marks and a caption."""

    def __init__(self, width: int = WIDTH) -> None:
        self.width = width
        self.data: list[dict] = []
        self.annotations: list[dict] = []
        self.xs: list[float] = [0.0]
        self.ys: list[float] = [0.0]
        self.text_traces: list[dict] = []
        self.caption_index: int | None = None
        self.caption_y = 0.0

    def _extend(self, x0: float, y0: float, rows: int, cols: int) -> None:
        self.xs += [x0 - 0.5, x0 + cols - 0.5]
        self.ys += [y0 - 0.5, y0 + rows - 0.5]

    def grid(self, z: Array, x0: float, y0: float, zmax: float | None = None, *, text: list | None = None,
             size: int = 12) -> int:
        """A matrix of numbers (NaN cells are left empty) with its top-left cell at (x0, y0)."""
        z = np.asarray(z, dtype=float)
        rows, cols = z.shape
        if zmax is None:
            finite = np.abs(z[np.isfinite(z)])
            zmax = float(finite.max()) if finite.size else 1.0
        zmax = zmax or 1.0
        tr = {"type": "heatmap", "z": z_list(z), "x": [x0 + s for s in range(cols)], "y": [y0 + r for r in range(rows)],
              "zmin": -zmax, "zmax": zmax, "colorscale": SCALE, "showscale": False, "xgap": 2, "ygap": 2,
              "hoverinfo": "skip", "textfont": {"size": size}}
        self.text_traces.append(tr)
        if text is None:
            tr["texttemplate"] = "%{z:.3~f}"
        else:
            tr["text"], tr["texttemplate"] = text, "%{text}"
        self.data.append(tr)
        self._extend(x0, y0, rows, cols)
        return len(self.data) - 1

    def flat(self, mask: Array, x0: float, y0: float, color: str, label: str = "") -> int:
        """Cells where ``mask`` is true in one flat colour (e.g. grey zeros labelled "0")."""
        mask = np.asarray(mask, dtype=bool)
        rows, cols = mask.shape
        tr = {"type": "heatmap", "z": z_list(np.where(mask, 0.0, np.nan)), "x": [x0 + s for s in range(cols)],
              "y": [y0 + r for r in range(rows)], "zmin": 0, "zmax": 1, "colorscale": [[0, color], [1, color]],
              "showscale": False, "xgap": 2, "ygap": 2, "hoverinfo": "skip"}
        if label:
            tr["texttemplate"] = label
            tr["textfont"] = {"size": 11, "color": TEXT_GREY}
            self.text_traces.append(tr)
        self.data.append(tr)
        self._extend(x0, y0, rows, cols)
        return len(self.data) - 1

    def title(self, text: str, x0: float, y0: float, cols: int) -> None:
        """A panel title above it; the axes widen so that a title wider than its panel is never cut."""
        centre = x0 + (cols - 1) / 2
        self.annotations.append({"x": centre, "y": y0 - 0.62, "xref": "x", "yref": "y",
                                 "text": text, "showarrow": False, "font": {"size": 13}, "yanchor": "bottom"})
        half = units(text) * TITLE_PX / CELL_PX[0] / 2
        self.xs += [centre - half, centre + half]
        self.ys.append(y0 - 1.3)

    def marks(self, mask: Array, x0: float, y0: float, symbol: str, color: str = TEXT_GREY) -> int:
        """``symbol`` (e.g. "×") over the cells where ``mask`` is true (a text trace)."""
        rr, cc = np.nonzero(np.asarray(mask, dtype=bool))
        self.data.append({"type": "scatter", "mode": "text", "x": [x0 + float(c) for c in cc],
                          "y": [y0 + float(r) for r in rr], "text": [symbol] * len(rr),
                          "textfont": {"size": 18, "color": color}, "hoverinfo": "skip", "showlegend": False})
        return len(self.data) - 1

    def lines(self, color: str, width: float = 3.5, dash: str = "solid") -> int:
        self.data.append({"type": "scatter", "mode": "lines", "x": [], "y": [], "hoverinfo": "skip",
                          "line": {"color": color, "width": width, "dash": dash}, "showlegend": False,
                          "cliponaxis": False})
        return len(self.data) - 1

    def cell_px(self) -> float:
        """The side of a cell in pixels when the figure is WIDTH wide (within CELL_PX)."""
        span = max(self.xs) - min(self.xs) + 0.2
        return max(CELL_PX[0], min(CELL_PX[1], self.width / span))

    def caption(self, lines: int = 1) -> int:
        """A text trace under the panels (``_finish`` wraps its texts and makes room for them)."""
        x = (min(self.xs) + max(self.xs)) / 2
        y = max(self.ys) + 0.3
        self.caption_y = y
        self.data.append({"type": "scatter", "mode": "text", "x": [x], "y": [y], "text": [""],
                          "textposition": "bottom center", "textfont": {"size": 14, "color": "#222"},
                          "hoverinfo": "skip", "showlegend": False, "cliponaxis": False})
        self.caption_index = len(self.data) - 1
        return self.caption_index

    def layout(self) -> dict:
        x0, x1, y0, y1 = min(self.xs), max(self.xs), min(self.ys), max(self.ys)
        cell = self.cell_px()
        for tr in self.text_traces:
            tr["textfont"] = {**tr.get("textfont", {}), "size": int(min(16, max(11, cell * 0.3)))}
        return {
            "height": int((y1 - y0 + 0.2) * cell + 80), "margin": {"l": 4, "r": 4, "t": 4, "b": 76},
            "xaxis": {"visible": False, "range": [x0 - 0.1, x1 + 0.1], "fixedrange": True},
            "yaxis": {"visible": False, "range": [y1 + 0.1, y0 - 0.1], "fixedrange": True, "scaleanchor": "x",
                      "scaleratio": 1},
            "annotations": self.annotations, "plot_bgcolor": "rgba(0,0,0,0)", "paper_bgcolor": "rgba(0,0,0,0)",
            "showlegend": False,
        }


def rect(x0: float, y0: float, r0: int, c0: int, rows: int, cols: int) -> tuple[list, list]:
    """Outline of cells r0..r0+rows−1, c0..c0+cols−1 of the panel at (x0, y0), then a gap (None)."""
    left, right = x0 + c0 - 0.5, x0 + c0 + cols - 0.5
    top, bottom = y0 + r0 - 0.5, y0 + r0 + rows - 0.5
    return [left, right, right, left, left, None], [top, top, bottom, bottom, top, None]


def rects(items: list[tuple], inset: float = 0.0) -> dict:
    """x/y of several outlines (``rect`` arguments) for one lines trace, shrunk by ``inset`` cells."""
    xs: list = []
    ys: list = []
    for item in items:
        x, y = rect(*item)
        xs += [v if v is None else v + (inset if n in (0, 3, 4) else -inset) for n, v in enumerate(x)]
        ys += [v if v is None else v + (inset if n in (0, 1, 4) else -inset) for n, v in enumerate(y)]
    return {"x": xs, "y": ys}


def labels(lang: str) -> tuple[str, str, str]:
    return t("page.conv.play", lang), t("page.conv.pause", lang), t("page.conv.figure_frame", lang)


def reveal(full: Array, upto: int) -> Array:
    """``full`` with the cells after the first ``upto`` (row-major) blanked (NaN)."""
    out = np.full(full.shape, np.nan)
    out.flat[:upto] = full.flat[:upto]
    return out


def zmax(*arrays: Array) -> float:
    m = max((float(np.max(np.abs(a))) for a in arrays if np.size(a)), default=1.0)
    return m or 1.0


def stack_y(n: int, height: int) -> list[float]:
    return [k * (height + ROW_GAP) for k in range(n)]


def wrap(text: str, width_px: float) -> str:
    """``text`` with <br> breaks so that no line is wider than ``width_px`` (14 px text; a CJK
    character counts double). Breaks at spaces where it can."""
    limit = max(20, int(width_px / 7.6))
    out = []
    for line in text.split("<br>"):
        while units(line) > limit:
            cut, used = 0, 0
            for n, ch in enumerate(line):
                used += 2 if ord(ch) > 0x2E80 else 1
                if used > limit:
                    break
                cut = n + 1
            space = line.rfind(" ", 0, cut)
            at = space if space > cut // 2 else cut
            out.append(line[:at].rstrip())
            line = line[at:].lstrip()
        out.append(line)
    return "<br>".join(out)


def units(line: str) -> int:
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in line)


def finish(cv: Canvas, updates: list[dict[int, dict]], latex: list[str], lang: str, name: str,
            duration: int = FRAME_MS) -> Animation:
    if cv.caption_index is not None:
        cap = cv.caption_index
        for u in updates:
            if cap in u:
                u[cap] = {"text": [wrap(u[cap]["text"][0], cv.width)]}
        lines = max(caption_lines([u[cap]["text"][0] for u in updates if cap in u] or [""]), 1)
        cv.ys.append(cv.caption_y + (19 * lines + 8) / cv.cell_px())
    layout = cv.layout()
    data = [dict(tr) for tr in cv.data]
    for idx, props in updates[0].items():
        data[idx].update(props)
    return Animation(data, layout, updates, latex, labels(lang), duration, name,
                     min(0.45, 165 / cv.width))


def caption_lines(texts: list[str]) -> int:
    return max(text.count("<br>") + 1 for text in texts)


