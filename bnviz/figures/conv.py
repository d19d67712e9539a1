"""Animated Plotly figures (plain dicts) of the conv and pooling lessons.

Every animation is an :class:`Animation`: the figure's traces at frame 0,
and for each frame the new state of the traces that change (a grid filling
up, the outlines of the current windows, the caption with the sum written
out in numbers). ``Animation.figure()`` turns it into a figure dict with
Plotly frames, a play/pause button (``updatemenus``) and a step slider, so
playback runs in the browser with no server round trip;
``Animation.still(k)`` is frame k alone (the page's frame-by-frame mode),
and ``Animation.latex[k]`` the same caption in LaTeX.

All panels share one pair of axes: a matrix is a heatmap whose cell (r, s)
is centred at (x0 + s, y0 + r), with the y axis reversed (row 1 on top) and
square cells. Zeros that are not the layer's own numbers (padding, zeros
inserted by the stride, the "full" mode's rings) are light grey.

Arrays are those of :class:`bnviz.lessons.conv.ConvProblem` and
:class:`bnviz.lessons.pool.PoolProblem`, sample n = 0. Builders are cached
on (problem, channel, language); problems hash by identity.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property, lru_cache

import numpy as np

from bnviz.i18n import t
from bnviz.lessons.conv import equation, factor, fmt, lfactor, lnum, sum_latex, sum_text

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


def _z(a: Array | None) -> list | None:
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


class _Canvas:
    """Collects panels (heatmaps on shared axes), outlines and a caption."""

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
        tr = {"type": "heatmap", "z": _z(z), "x": [x0 + s for s in range(cols)], "y": [y0 + r for r in range(rows)],
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
        tr = {"type": "heatmap", "z": _z(np.where(mask, 0.0, np.nan)), "x": [x0 + s for s in range(cols)],
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
        self.annotations.append({"x": x0 + (cols - 1) / 2, "y": y0 - 0.62, "xref": "x", "yref": "y",
                                 "text": text, "showarrow": False, "font": {"size": 13}, "yanchor": "bottom"})
        self.ys.append(y0 - 1.3)

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


def _labels(lang: str) -> tuple[str, str, str]:
    return t("page.conv.play", lang), t("page.conv.pause", lang), t("page.conv.figure_frame", lang)


def _reveal(full: Array, upto: int) -> Array:
    """``full`` with the cells after the first ``upto`` (row-major) blanked (NaN)."""
    out = np.full(full.shape, np.nan)
    out.flat[:upto] = full.flat[:upto]
    return out


def _zmax(*arrays: Array) -> float:
    m = max((float(np.max(np.abs(a))) for a in arrays if np.size(a)), default=1.0)
    return m or 1.0


def _stack_y(n: int, height: int) -> list[float]:
    return [k * (height + ROW_GAP) for k in range(n)]


def _wrap(text: str, width_px: float) -> str:
    """``text`` with <br> breaks so that no line is wider than ``width_px`` (14 px text; a CJK
    character counts double). Breaks at spaces where it can."""
    limit = max(20, int(width_px / 7.6))
    out = []
    for line in text.split("<br>"):
        while _units(line) > limit:
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


def _units(line: str) -> int:
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in line)


def _finish(cv: _Canvas, updates: list[dict[int, dict]], latex: list[str], lang: str, name: str,
            duration: int = FRAME_MS) -> Animation:
    if cv.caption_index is not None:
        cap = cv.caption_index
        for u in updates:
            if cap in u:
                u[cap] = {"text": [_wrap(u[cap]["text"][0], cv.width)]}
        lines = max(_caption_lines([u[cap]["text"][0] for u in updates if cap in u] or [""]), 1)
        cv.ys.append(cv.caption_y + (19 * lines + 8) / cv.cell_px())
    layout = cv.layout()
    data = [dict(tr) for tr in cv.data]
    for idx, props in updates[0].items():
        data[idx].update(props)
    return Animation(data, layout, updates, latex, _labels(lang), duration, name,
                     min(0.45, 165 / cv.width))


def _caption_lines(texts: list[str]) -> int:
    return max(text.count("<br>") + 1 for text in texts)


# ------------------------------------------------------------------- conv --


def _padded_x(cv: _Canvas, p, c: int, x0: float, y0: float, title: str) -> None:
    """X[c] with its padding ring in grey."""
    pad = p.pad
    h, w = p.x.shape[2:]
    zmax = _zmax(p.x)
    if pad:
        ring = np.ones((h + 2 * pad, w + 2 * pad), dtype=bool)
        ring[pad:pad + h, pad:pad + w] = False
        cv.flat(ring, x0, y0, ZERO_GREY, "0")
    cv.grid(p.x[0, c], x0 + pad, y0 + pad, zmax)
    cv.title(title, x0, y0, w + 2 * pad)


@lru_cache(maxsize=32)
def forward_animation(p, f: int, lang: str) -> Animation:
    """The window sliding over every input channel of X; O[f] filling cell by cell."""
    sh = p.shape
    c_n, hp, wp, hh, ww, s = sh["C"], sh["H"] + 2 * p.pad, sh["W"] + 2 * p.pad, sh["HH"], sh["WW"], p.stride
    ho, wo = sh["Ho"], sh["Wo"]
    cv = _Canvas()
    ys = _stack_y(c_n, max(hp, hh))
    xw = wp + GAP
    xo = xw + ww + GAP
    for c in range(c_n):
        _padded_x(cv, p, c, 0, ys[c], t("page.conv.panel.xpad_c", lang, c=c + 1))
        cv.grid(p.w[f, c], xw, ys[c], _zmax(p.w))
        cv.title(t("page.conv.panel.w", lang, f=f + 1, c=c + 1), xw, ys[c], ww)
    cv.flat(np.ones((ho, wo), dtype=bool), xo, 0, SLOT_GREY)
    g_out = cv.grid(np.full((ho, wo), np.nan), xo, 0, _zmax(p.out[0, f]))
    cv.title(t("page.conv.panel.out", lang, f=f + 1), xo, 0, wo)
    g_win = cv.lines(WINDOW)
    g_cell = cv.lines(CELL)
    texts, latex = [], []
    for k in range(ho * wo):
        i, j = divmod(k, wo)
        pairs = [(p.w[f, c, a, b], p.xp[0, c, s * i + a, s * j + b]) for c in range(c_n) for a in range(hh)
                 for b in range(ww)]
        total = p.out[0, f, i, j]
        texts.append(f"O[{i + 1},{j + 1}] = " + sum_text(pairs, [f"b {factor(p.b[f])}"]) + f" = {fmt(total)}")
        latex.append(equation(f"O_{{{f + 1},{i + 1},{j + 1}}}",
                              sum_latex(pairs, [rf"\underbrace{{{lfactor(p.b[f])}}}_{{b}}"]), total))
    g_cap = cv.caption(_caption_lines(texts))
    updates = []
    for k in range(ho * wo):
        i, j = divmod(k, wo)
        updates.append({
            g_out: {"z": _z(_reveal(p.out[0, f], k + 1))},
            g_win: rects([(0, ys[c], s * i, s * j, hh, ww) for c in range(c_n)]),
            g_cell: rects([(xo, 0, i, j, 1, 1)]),
            g_cap: {"text": [texts[k]]},
        })
    return _finish(cv, updates, latex, lang, "forward")


def _dilated(p, f: int) -> tuple[Array, Array]:
    """dL/dO[f] with zeros inserted (NaN where a zero was inserted) and the mask of those zeros."""
    d = p.dout_dil[0, f].copy()
    mask = np.ones_like(d, dtype=bool)
    mask[::p.stride, ::p.stride] = False
    d[mask] = np.nan
    return d, mask


@lru_cache(maxsize=32)
def dw_animation(p, f: int, c: int, lang: str) -> Animation:
    """dL/dF[f, c] cell by cell: the (dilated) dL/dO sliding over the padded X[c]."""
    sh = p.shape
    wp, hh, ww, s = sh["W"] + 2 * p.pad, sh["HH"], sh["WW"], p.stride
    ho, wo = sh["Ho"], sh["Wo"]
    d, mask = _dilated(p, f)
    hd, wd = d.shape
    cv = _Canvas()
    _padded_x(cv, p, c, 0, 0, t("page.conv.panel.xpad_c", lang, c=c + 1))
    xd = wp + GAP
    if mask.any():
        cv.flat(mask, xd, 0, ZERO_GREY, "0")
    cv.grid(d, xd, 0, _zmax(p.dout))
    cv.title(t("page.conv.panel.dout_dil" if s > 1 else "page.conv.panel.dout", lang, f=f + 1), xd, 0, wd)
    xf = xd + wd + GAP
    cv.flat(np.ones((hh, ww), dtype=bool), xf, 0, SLOT_GREY)
    g_dw = cv.grid(np.full((hh, ww), np.nan), xf, 0, _zmax(p.dw[f, c]))
    cv.title(t("page.conv.panel.dw", lang, f=f + 1, c=c + 1), xf, 0, ww)
    g_win = cv.lines(WINDOW)
    g_cell = cv.lines(CELL)
    g_dots = cv.lines(MARK, 2.5)
    texts, latex = [], []
    for k in range(hh * ww):
        u, v = divmod(k, ww)
        pairs = [(p.xp[0, c, s * i + u, s * j + v], p.dout[0, f, i, j]) for i in range(ho) for j in range(wo)]
        total = p.dw[f, c, u, v]
        texts.append(f"∂L/∂F[{u + 1},{v + 1}] = " + sum_text(pairs) + f" = {fmt(total)}")
        latex.append(equation(rf"\frac{{\partial L}}{{\partial F_{{{f + 1},{c + 1},{u + 1},{v + 1}}}}}",
                              sum_latex(pairs), total))
    g_cap = cv.caption(_caption_lines(texts))
    updates = []
    for k in range(hh * ww):
        u, v = divmod(k, ww)
        dots = [(s * i + u, s * j + v) for i in range(ho) for j in range(wo)]
        updates.append({
            g_dw: {"z": _z(_reveal(p.dw[f, c], k + 1))},
            g_win: rects([(0, 0, u, v, hd, wd)]),
            g_cell: rects([(xf, 0, u, v, 1, 1)]),
            g_dots: rects([(0, 0, a, b, 1, 1) for a, b in dots], 0.14) if s > 1 else {"x": [], "y": []},
            g_cap: {"text": [texts[k]]},
        })
    return _finish(cv, updates, latex, lang, "dw")


def _index_text(m: Array, names: list[list[str]]) -> list[list[str]]:
    return [[f"{fmt(m[r, s])}<br><span style='font-size:9px'>{names[r][s]}</span>" for s in range(m.shape[1])]
            for r in range(m.shape[0])]


@lru_cache(maxsize=32)
def rotate_animation(p, c: int, lang: str) -> Animation:
    """F[f, c] for every f: as used, flipped upside down, then left to right (= turned 180°)."""
    sh = p.shape
    hh, ww = sh["HH"], sh["WW"]
    cv = _Canvas()
    ys = _stack_y(sh["F"], hh)
    names = [[f"F{a + 1}{b + 1}" for b in range(ww)] for a in range(hh)]
    zmax = _zmax(p.w)
    grids = []
    xr = ww + 2 * GAP
    for f in range(sh["F"]):
        cv.grid(p.w[f, c], 0, ys[f], zmax, text=_index_text(p.w[f, c], names))
        cv.title(t("page.conv.panel.w", lang, f=f + 1, c=c + 1), 0, ys[f], ww)
        grids.append(cv.grid(p.w[f, c], xr, ys[f], zmax, text=_index_text(p.w[f, c], names)))
        cv.title(t("page.conv.panel.w_flipped", lang, f=f + 1, c=c + 1), xr, ys[f], ww)
    stages = [(lambda m: m), (lambda m: m[::-1, :]), (lambda m: m[::-1, ::-1])]
    caps = [t("page.conv.cap.flip0", lang), t("page.conv.cap.flip1", lang), t("page.conv.cap.flip2", lang)]
    g_cap = cv.caption(1)
    idx = np.array(names, dtype=object)
    updates, latex = [], []
    for stage, cap, name in zip(stages, caps, ("F", "F^{flip}", "F^{rot}"), strict=True):
        u = {g_cap: {"text": [cap]}}
        for f, g in enumerate(grids):
            m = stage(p.w[f, c])
            u[g] = {"z": _z(m), "text": _index_text(m, stage(idx).tolist())}
        updates.append(u)
        latex.append(f"{name}_{{1,{c + 1}}} = " + _num_matrix(stage(p.w[0, c])))
    return _finish(cv, updates, latex, lang, "rotate", 1500)


def _num_matrix(m: Array) -> str:
    rows = r" \\ ".join(" & ".join(lnum(v) for v in row) for row in m)
    return rf"\left[\begin{{array}}{{{'c' * m.shape[1]}}}{rows}\end{{array}}\right]"


@lru_cache(maxsize=32)
def dilate_animation(p, lang: str) -> Animation:
    """dL/dO[f] for every f: as it arrives, zeros inserted (stride > 1), rings of zeros around."""
    sh = p.shape
    hh, s, ho, wo = sh["HH"], p.stride, sh["Ho"], sh["Wo"]
    hdp, wdp = p.dout_pad.shape[2:]
    hd, wd = p.dout_dil.shape[2:]
    cv = _Canvas()
    ys = _stack_y(sh["F"], hdp)
    xr = wo + 2 * GAP
    zmax = _zmax(p.dout)
    cells, zeros = [], []
    for f in range(sh["F"]):
        cv.grid(p.dout[0, f], 0, ys[f] + (hdp - ho) / 2, zmax)
        cv.title(t("page.conv.panel.dout", lang, f=f + 1), 0, ys[f] + (hdp - ho) / 2, wo)
        cv.flat(np.ones((hdp, wdp), dtype=bool), xr, ys[f], SLOT_GREY)
        zeros.append(cv.flat(np.zeros((hdp, wdp), dtype=bool), xr, ys[f], ZERO_GREY, "0"))
        cells.append(cv.grid(np.full((hdp, wdp), np.nan), xr, ys[f], zmax))
        cv.title(t("page.conv.panel.dout_dil", lang, f=f + 1), xr, ys[f], wdp)
    stages = ["dil0"] + (["dil1"] if s > 1 else []) + ["dil2"]
    names = {"dil0": "dO_{1}", "dil1": "dO^{dil}_{1}", "dil2": "dO^{pad}_{1}"}
    g_cap = cv.caption(1)
    updates, latex = [], []
    for stage in stages:
        u = {g_cap: {"text": [t(f"page.conv.cap.{stage}", lang, s=s, s1=s - 1, h1=hh - 1)]}}
        for f in range(sh["F"]):
            z = np.full((hdp, wdp), np.nan)
            zero = np.zeros((hdp, wdp), dtype=bool)
            if stage == "dil0":
                r0, c0 = (hdp - ho) // 2, (wdp - wo) // 2
                z[r0:r0 + ho, c0:c0 + wo] = p.dout[0, f]
            else:
                r0, c0 = (hdp - hd) // 2, (wdp - wd) // 2
                z[r0:r0 + hd:s, c0:c0 + wd:s] = p.dout[0, f]
                zero[r0:r0 + hd, c0:c0 + wd] = True
                zero[r0:r0 + hd:s, c0:c0 + wd:s] = False
                if stage == "dil2":
                    zero[:, :] = True
                    zero[r0:r0 + hd:s, c0:c0 + wd:s] = False
            u[cells[f]] = {"z": _z(z)}
            if f == 0:
                shown = {"dil0": p.dout, "dil1": p.dout_dil, "dil2": p.dout_pad}[stage][0, 0]
            u[zeros[f]] = {"z": _z(np.where(zero, 0.0, np.nan))}
        updates.append(u)
        latex.append(f"{names[stage]} = " + _num_matrix(shown))
    return _finish(cv, updates, latex, lang, "dilate", 1600)


def _real_cells(p, f: int) -> Array:
    """Mask of dL/dO_pad[f]'s cells that hold a gradient (the rest are inserted or ring zeros)."""
    d = p.dout_pad[0, f]
    hh, ww, s = p.w.shape[2], p.w.shape[3], p.stride
    ho, wo = p.dout.shape[2:]
    real = np.zeros(d.shape, dtype=bool)
    real[hh - 1:hh - 1 + s * (ho - 1) + 1:s, ww - 1:ww - 1 + s * (wo - 1) + 1:s] = True
    return real


def _pad_grid(cv: _Canvas, p, f: int, x0: float, y0: float, zmax: float) -> None:
    """dL/dO_pad[f]: the gradients, and the zeros (inserted and around) in grey."""
    real = _real_cells(p, f)
    cv.flat(~real, x0, y0, ZERO_GREY, "0")
    cv.grid(np.where(real, p.dout_pad[0, f], np.nan), x0, y0, zmax)


@lru_cache(maxsize=32)
def slide_animation(p, c: int, lang: str, width: int = WIDTH) -> Animation:
    """F_rot sliding over every zero-filled dL/dO[f]; dL/dX_pad[c] filling; then the crop."""
    sh = p.shape
    hh, ww, pad = sh["HH"], sh["WW"], p.pad
    hp, wp = sh["H"] + 2 * pad, sh["W"] + 2 * pad
    hdp, wdp = p.dout_pad.shape[2:]
    cv = _Canvas(width)
    ys = _stack_y(sh["F"], hdp)
    xd = ww + GAP
    xo = xd + wdp + GAP
    zd = _zmax(p.dout)
    real = [_real_cells(p, f) for f in range(sh["F"])]
    for f in range(sh["F"]):
        cv.grid(p.w_rot[f, c], 0, ys[f], _zmax(p.w))
        cv.title(t("page.conv.panel.rot", lang, f=f + 1, c=c + 1), 0, ys[f], ww)
        _pad_grid(cv, p, f, xd, ys[f], zd)
        cv.title(t("page.conv.panel.dout_dil", lang, f=f + 1), xd, ys[f], wdp)
    cv.flat(np.ones((hp, wp), dtype=bool), xo, 0, SLOT_GREY)
    g_out = cv.grid(np.full((hp, wp), np.nan), xo, 0, _zmax(p.dxp[0, c]))
    cv.title(t("page.conv.panel.dxpad", lang, c=c + 1), xo, 0, wp)
    g_win = cv.lines(WINDOW)
    g_cell = cv.lines(CELL)
    texts, latex = [], []
    for k in range(hp * wp):
        r, q = divmod(k, wp)
        pairs = [(p.w_rot[f, c, a, b], p.dout_pad[0, f, r + a, q + b]) for f in range(sh["F"]) for a in range(hh)
                 for b in range(ww) if real[f][r + a, q + b]]
        total = p.dxp[0, c, r, q]
        lhs = f"∂L/∂X_pad[{r + 1},{q + 1}] = "
        llhs = rf"\frac{{\partial L}}{{\partial X^{{pad}}_{{{c + 1},{r + 1},{q + 1}}}}}"
        if pairs:
            texts.append(lhs + sum_text(pairs) + f" = {fmt(total)}")
            latex.append(equation(llhs, sum_latex(pairs), total))
        else:
            texts.append(lhs + f"0 ({t('page.conv.cap.only_zeros', lang)})")
            latex.append(f"{llhs} = 0")
    crop = bool(pad)
    if crop:
        texts.append(t("page.conv.cap.crop", lang, p=pad))
        latex.append(rf"\frac{{\partial L}}{{\partial X_{{{c + 1}}}}} = " + _num_matrix(p.dx[0, c]))
    g_cap = cv.caption(_caption_lines(texts))
    updates = []
    for k in range(hp * wp):
        r, q = divmod(k, wp)
        updates.append({
            g_out: {"z": _z(_reveal(p.dxp[0, c], k + 1))},
            g_win: rects([(xd, ys[f], r, q, hh, ww) for f in range(sh["F"])]),
            g_cell: rects([(xo, 0, r, q, 1, 1)]),
            g_cap: {"text": [texts[k]]},
        })
    if crop:
        inner = np.full((hp, wp), np.nan)
        inner[pad:hp - pad, pad:wp - pad] = p.dx[0, c]
        updates.append({g_out: {"z": _z(inner)}, g_win: {"x": [], "y": []},
                        g_cell: rects([(xo, 0, pad, pad, sh["H"], sh["W"])]), g_cap: {"text": [texts[-1]]}})
    return _finish(cv, updates, latex, lang, "slide")


@lru_cache(maxsize=32)
def scatter_animation(p, c: int, lang: str, width: int = WIDTH) -> Animation:
    """Every dL/dO cell spreading dL/dO × F over its input window; dL/dX_pad[c] accumulating."""
    sh = p.shape
    hh, ww, pad, s, ho, wo = sh["HH"], sh["WW"], p.pad, p.stride, sh["Ho"], sh["Wo"]
    hp, wp = sh["H"] + 2 * pad, sh["W"] + 2 * pad
    cv = _Canvas(width)
    ys = _stack_y(sh["F"], max(hh, ho))
    xd = ww + GAP
    xo = xd + wo + GAP
    for f in range(sh["F"]):
        cv.grid(p.w[f, c], 0, ys[f], _zmax(p.w))
        cv.title(t("page.conv.panel.w", lang, f=f + 1, c=c + 1), 0, ys[f], ww)
        cv.grid(p.dout[0, f], xd, ys[f], _zmax(p.dout))
        cv.title(t("page.conv.panel.dout", lang, f=f + 1), xd, ys[f], wo)
    cv.flat(np.ones((hp, wp), dtype=bool), xo, 0, SLOT_GREY)
    g_out = cv.grid(np.zeros((hp, wp)), xo, 0, _zmax(p.dxp_scatter[0, c]))
    cv.title(t("page.conv.panel.dxpad", lang, c=c + 1), xo, 0, wp)
    g_win = cv.lines(WINDOW)
    g_cell = cv.lines(CELL)
    texts, latex, states = [], [], []
    acc = np.zeros((hp, wp))
    for i in range(ho):
        for j in range(wo):
            add = sum(p.dout[0, f, i, j] * p.w[f, c] for f in range(sh["F"]))
            acc = acc.copy()
            acc[s * i:s * i + hh, s * j:s * j + ww] += add
            states.append(acc)
            head = t("page.conv.cap.scatter", lang, i=i + 1, j=j + 1, r0=s * i + 1, r1=s * i + hh, c0=s * j + 1,
                     c1=s * j + ww)
            terms = " + ".join(t("page.conv.cap.scatter_term", lang, d=factor(p.dout[0, f, i, j]), f=f + 1, c=c + 1)
                               for f in range(sh["F"]))
            texts.append(f"{head}<br>{terms}")
            lterms = " + ".join(rf"{lfactor(p.dout[0, f, i, j])} \cdot {_num_matrix(p.w[f, c])}"
                                for f in range(sh["F"]))
            latex.append(rf"\Delta X^{{pad}}_{{{s * i + 1}:{s * i + hh},\,{s * j + 1}:{s * j + ww}}} = {lterms}")
    crop = bool(pad)
    if crop:
        texts.append(t("page.conv.cap.crop", lang, p=pad))
        latex.append(rf"\frac{{\partial L}}{{\partial X_{{{c + 1}}}}} = " + _num_matrix(p.dx_scatter[0, c]))
    g_cap = cv.caption(_caption_lines(texts))
    updates = []
    for k in range(ho * wo):
        i, j = divmod(k, wo)
        updates.append({
            g_out: {"z": _z(states[k])},
            g_win: rects([(xo, 0, s * i, s * j, hh, ww)]),
            g_cell: rects([(xd, ys[f], i, j, 1, 1) for f in range(sh["F"])]),
            g_cap: {"text": [texts[k]]},
        })
    if crop:
        inner = np.full((hp, wp), np.nan)
        inner[pad:hp - pad, pad:wp - pad] = p.dx_scatter[0, c]
        updates.append({g_out: {"z": _z(inner)}, g_win: {"x": [], "y": []},
                        g_cell: rects([(xo, 0, pad, pad, sh["H"], sh["W"])]), g_cap: {"text": [texts[-1]]}})
    return _finish(cv, updates, latex, lang, "scatter")


@lru_cache(maxsize=32)
def channel_sum_animation(p, which: str, index: int, lang: str, width: int = WIDTH // 2) -> Animation:
    """The channel sum added up part by part: ``which`` "out" (O[f] = Σ_c … + b, f = index)
    or "dx" (∂L/∂X[c] = Σ_f …, c = index)."""
    sh = p.shape
    if which == "out":
        parts = [p.out_by_c[0, index, c] for c in range(sh["C"])]
        titles = [t("page.conv.panel.part_out", lang, c=c + 1) for c in range(sh["C"])]
        adds = [t("page.conv.cap.channel_add", lang, c=c + 1) for c in range(sh["C"])]
        total, bias = p.out[0, index], p.b[index]
        head = t("page.conv.panel.sum_out", lang, f=index + 1, b=fmt(bias))
        lhs = f"O_{{{index + 1}}}"
    else:
        parts = [p.dx_by_f[0, f, index] for f in range(sh["F"])]
        titles = [t("page.conv.panel.part_dx", lang, f=f + 1) for f in range(sh["F"])]
        adds = [t("page.conv.cap.output_add", lang, f=f + 1) for f in range(sh["F"])]
        total, bias = p.dx[0, index], None
        head = t("page.conv.panel.sum_dx", lang, c=index + 1)
        lhs = rf"\frac{{\partial L}}{{\partial X_{{{index + 1}}}}}"
    rows, cols = total.shape
    cv = _Canvas(width)
    ys = _stack_y(len(parts), rows)
    zmax = _zmax(total, *parts)
    for k, part in enumerate(parts):
        cv.grid(part, 0, ys[k], zmax)
        cv.title(titles[k], 0, ys[k], cols)
    xo = cols + 2 * GAP
    g_out = cv.grid(np.zeros((rows, cols)), xo, 0, zmax)
    cv.title(head, xo, 0, cols)
    g_win = cv.lines(WINDOW)
    g_cap = cv.caption(1)
    updates, latex = [], []
    acc = np.zeros((rows, cols))
    terms: list[str] = []
    for k, part in enumerate(parts):
        acc = acc + part
        terms.append(_num_matrix(part))
        updates.append({g_out: {"z": _z(acc)}, g_win: rects([(0, ys[k], 0, 0, rows, cols)]),
                        g_cap: {"text": [adds[k]]}})
        latex.append(f"{lhs} = " + " + ".join(terms) + " = " + _num_matrix(acc))
    if bias is not None:
        updates.append({g_out: {"z": _z(total)}, g_win: rects([(xo, 0, 0, 0, rows, cols)]),
                        g_cap: {"text": [t("page.conv.cap.channel_bias", lang, b=fmt(bias))]}})
        latex.append(f"{lhs} = " + " + ".join(terms) + f" + {lfactor(bias)} = " + _num_matrix(total))
    return _finish(cv, updates, latex, lang, f"channels_{which}", 1400)


def conv_step_animations(p, step: str, f: int, c: int, lang: str) -> tuple[Animation, ...]:
    """The animation(s) a conv step shows; ``f``, ``c`` the channels picked on the page."""
    if step == "forward":
        return (forward_animation(p, f, lang),)
    if step == "dw":
        return (dw_animation(p, f, c, lang),)
    if step == "rotate":
        return (rotate_animation(p, c, lang),)
    if step == "dilate":
        return (dilate_animation(p, lang),)
    if step == "slide":
        return (slide_animation(p, c, lang),)
    if step == "scatter":  # the scatter view, and beside it the full convolution: the same numbers
        return scatter_animation(p, c, lang), slide_animation(p, c, lang)
    if step == "channels":
        return channel_sum_animation(p, "out", f, lang), channel_sum_animation(p, "dx", c, lang)
    raise KeyError(step)


# ---------------------------------------------------------------- pooling --


@lru_cache(maxsize=32)
def pool_animation(pp, kind: str, backward: bool, lang: str, width: int = WIDTH) -> Animation:
    """Max or average pooling window by window (sample 1, channel 1).

    Forward: the window on X, O filling, the arg-max outlined in purple (other tied maxima dotted grey).
    Backward: each dL/dO cell sent back, all of it to the arg-max (max) or an
    equal share to every window cell (avg); ∂L/∂X accumulating below X.
    """
    x, k, s = pp.x[0, 0], pp.size, pp.stride
    out, dx = (pp.out_max, pp.dx_max) if kind == "max" else (pp.out_avg, pp.dx_avg)
    out, dx, dout = out[0, 0], dx[0, 0], pp.dout[0, 0]
    h, w = x.shape
    ho, wo = out.shape
    cv = _Canvas(width)
    xo = w + GAP
    yb = h + ROW_GAP
    cv.grid(x, 0, 0, _zmax(x))
    cv.title(t("page.pool.panel.x", lang), 0, 0, w)
    cv.flat(np.ones((ho, wo), dtype=bool), xo, 0, SLOT_GREY)
    g_out = cv.grid(out if backward else np.full(out.shape, np.nan), xo, 0, _zmax(out))
    cv.title(t(f"page.pool.panel.out_{kind}", lang, k=k), xo, 0, wo)
    g_dx = None
    if backward:
        cv.flat(np.ones((h, w), dtype=bool), 0, yb, SLOT_GREY)
        g_dx = cv.grid(np.zeros((h, w)), 0, yb, _zmax(dx))
        cv.title(t("page.pool.panel.dx", lang), 0, yb, w)
        cv.grid(dout, xo, yb, _zmax(dout))
        cv.title(t("page.pool.panel.dout", lang), xo, yb, wo)
    g_win = cv.lines(WINDOW)
    g_cell = cv.lines(CELL)
    g_ties = cv.lines(TEXT_GREY, 2.5, "dot")
    g_argmax = cv.lines(MARK, 3)
    texts, latex, updates = [], [], []
    acc = np.zeros((h, w))
    hits = np.zeros((h, w), dtype=int)
    for n in range(ho * wo):
        i, j = divmod(n, wo)
        win = x[s * i:s * i + k, s * j:s * j + k]
        r, q = int(pp.rows[0, 0, i, j]), int(pp.cols[0, 0, i, j])
        vals = ", ".join(fmt(v) for v in win.ravel())
        lvals = ", ".join(lnum(v) for v in win.ravel())
        tied = [(s * i + int(a), s * j + int(b)) for a, b in np.argwhere(win == win.max())
                if (s * i + a, s * j + b) != (r, q)]
        if kind == "max":
            fwd = f"O[{i + 1},{j + 1}] = max({vals}) = {fmt(out[i, j])}"
            lfwd = rf"O_{{{i + 1}{j + 1}}} = \max({lvals}) = {lnum(out[i, j])}"
            if tied:
                fwd += "<br>" + t("page.pool.cap.tie", lang, r=r + 1, q=q + 1)
        else:
            fwd = f"O[{i + 1},{j + 1}] = ({' + '.join(factor(v) for v in win.ravel())}) / {k * k} = {fmt(out[i, j])}"
            lfwd = (rf"O_{{{i + 1}{j + 1}}} = \frac{{{' + '.join(lfactor(v) for v in win.ravel())}}}{{{k * k}}}"
                    f" = {lnum(out[i, j])}")
        u: dict[int, dict] = {
            g_win: rects([(0, 0, s * i, s * j, k, k)] + ([(0, yb, s * i, s * j, k, k)] if backward else [])),
            g_cell: rects([(xo, 0, i, j, 1, 1)] + ([(xo, yb, i, j, 1, 1)] if backward else [])),
        }
        stars = [(r, q)] if kind == "max" else []
        ties = tied if kind == "max" else []
        u[g_argmax] = rects([(0, 0, a, b, 1, 1) for a, b in stars]
                          + ([(0, yb, a, b, 1, 1) for a, b in stars] if backward else []), 0.14)
        u[g_ties] = rects([(0, 0, a, b, 1, 1) for a, b in ties], 0.14)
        if not backward:
            u[g_out] = {"z": _z(_reveal(out, n + 1))}
            texts.append(fwd)
            latex.append(lfwd)
        else:
            d = dout[i, j]
            before = acc.copy()
            acc = acc.copy()
            if kind == "max":
                acc[r, q] += d
                text = t("page.pool.cap.route", lang, i=i + 1, j=j + 1, d=fmt(d), r=r + 1, q=q + 1)
                if hits[r, q]:
                    text += "<br>" + t("page.pool.cap.accumulate", lang, r=r + 1, q=q + 1,
                                       before=fmt(before[r, q]), after=fmt(acc[r, q]))
                hits[r, q] += 1
                ltext = (rf"\frac{{\partial L}}{{\partial x_{{{r + 1}{q + 1}}}}} = {lnum(before[r, q])} + "
                         rf"{lfactor(d)} = {lnum(acc[r, q])}")
            else:
                share = d / k ** 2
                acc[s * i:s * i + k, s * j:s * j + k] += share
                text = t("page.pool.cap.spread", lang, i=i + 1, j=j + 1, d=fmt(d), k2=k * k, share=fmt(share))
                if np.any(hits[s * i:s * i + k, s * j:s * j + k]):
                    text += "<br>" + t("page.pool.cap.overlap", lang)
                hits[s * i:s * i + k, s * j:s * j + k] += 1
                ltext = (rf"\frac{{\partial L}}{{\partial x_{{{s * i + 1}:{s * i + k},\,{s * j + 1}:{s * j + k}}}}}"
                         rf" \mathrel{{+}}= \frac{{{lnum(d)}}}{{{k * k}}} = {lnum(share)}")
            u[g_dx] = {"z": _z(acc)}
            texts.append(text)
            latex.append(ltext)
        updates.append(u)
    g_cap = cv.caption(_caption_lines(texts))
    for u, text in zip(updates, texts, strict=True):
        u[g_cap] = {"text": [text]}
    return _finish(cv, updates, latex, lang, f"pool_{kind}_{'backward' if backward else 'forward'}")


def pool_step_animations(pp, step: str, lang: str) -> tuple[Animation, ...]:
    """The animation(s) a pool step shows (compare: max and average side by side)."""
    if step == "forward":
        return (pool_animation(pp, pp.kind, False, lang),)
    if step == "backward":
        return (pool_animation(pp, pp.kind, True, lang),)
    if step == "compare":
        return pool_animation(pp, "max", True, lang, WIDTH // 2), pool_animation(pp, "avg", True, lang, WIDTH // 2)
    raise KeyError(step)
