"""The SVG primitives the figure drawer (:mod:`bnviz.figures.svg`) is built of: text, colours, one x/y axis pair.

* ``text``: a label (``<br>`` in it becomes a line break, everything else escaped by ``esc``);
* ``group``: a trace's ``<g>`` carrying the numbers it draws (``data-x``/``-y``/``-z``);
* ``scale_color``: a colour of a Plotly colour scale (``SCALES``) at t ∈ [0, 1];
* ``Axes``: data → pixel over the plot area; ``axes_svg``: its tick labels, grid and titles; ``legend_svg``.

Every drawer returns SVG as ``str`` (one element) or ``list[str]`` (several, in paint order).
"""

from __future__ import annotations

import html
import json
import math
from collections.abc import Sequence

from bnviz.figures.palette import SERIES

WIDTH = 700
FONT = "sans-serif"
TEXT = "#262730"
SCALES: dict[str, list[tuple[float, tuple[int, int, int]]]] = {
    "RdBu": [(0, (5, 10, 172)), (0.35, (106, 137, 247)), (0.5, (190, 190, 190)), (0.6, (220, 170, 132)),
             (0.7, (230, 145, 90)), (1, (178, 10, 28))],
    "Blues": [(0, (5, 10, 172)), (0.35, (40, 60, 190)), (0.5, (70, 100, 245)), (0.6, (90, 120, 245)),
              (0.7, (106, 137, 247)), (1, (220, 220, 220))],
    "Greys": [(0, (0, 0, 0)), (1, (255, 255, 255))],
    "gray": [(0, (0, 0, 0)), (1, (255, 255, 255))],
    "Viridis": [(0, (68, 1, 84)), (0.25, (59, 82, 139)), (0.5, (33, 145, 140)), (0.75, (94, 201, 98)),
                (1, (253, 231, 37))],
}
PALETTE = SERIES
"""A trace without its own colour takes the next Okabe–Ito colour (as in ``bnviz.figures.training``)."""
DASH = {"dash": "6,4", "dot": "2,3", "dashdot": "6,3,2,3"}


def esc(text: object) -> str:
    """``text`` escaped for SVG text and attribute values."""
    return html.escape(str(text), quote=True)


def svg_open(width: int, height: int, aria: str) -> str:
    """The root ``<svg>`` tag of a width × height figure, with the text defaults every label relies on and
    ``aria`` (escaped already) as its accessible name."""
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="100%" '
            f'style="max-width:{width}px;height:auto;display:block" font-family="{FONT}" font-size="12" '
            f'fill="{TEXT}" text-anchor="middle" dominant-baseline="middle" role="img" aria-label="{aria}">')


def _lines(text: object) -> list[str]:
    return [html.escape(part) for part in str(text).replace("<br>", "\n").replace("<br />", "\n").split("\n")]


def each(value, i: int, default=None):
    """A per-point property: the i-th of a list, or the one value for all."""
    if isinstance(value, (list, tuple)):
        return value[i] if i < len(value) else default
    return default if value is None else value


def group(tr: dict, kind: str) -> str:
    """A trace's ``<g>``, carrying the numbers it draws (``data-x``/``-y``/``-z``, JSON) for tests and tools."""
    attrs = [f'data-trace="{kind}"']
    if tr.get("name"):
        attrs.append(f'data-name="{esc(tr["name"])}"')
    if tr.get("panel_axis"):  # a trace of a side-by-side figure's right panel (its y axis: "y2")
        attrs.append(f'data-yaxis="{esc(tr["panel_axis"])}"')
    for axis in ("x", "y", "z"):
        if tr.get(axis) is not None:
            attrs.append(f'data-{axis}="{esc(json.dumps(tr[axis], separators=(",", ":")))}"')
    return f"<g {' '.join(attrs)}>"


def _nice(lo: float, hi: float, count: int = 5) -> list[float]:
    if not (math.isfinite(lo) and math.isfinite(hi)) or hi <= lo:
        return [lo]
    raw = (hi - lo) / count
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    start = math.ceil(lo / step - 1e-9) * step
    return [start + k * step for k in range(int((hi - start) / step + 1e-9) + 1)]


def fmt(v: float) -> str:
    """A tick or value label: four significant digits, 0 for |v| < 1e-12."""
    return f"{v:.4g}" if abs(v) >= 1e-12 else "0"


def text(x: float, y: float, text: object, size: float = 12, color: str = TEXT, anchor: str = "middle",
          extra: str = "") -> str:
    """A label; the root ``<svg>`` sets the defaults (12 px, TEXT colour, centred), so only differences are written."""
    rows = _lines(text)
    attrs = f'x="{x:.0f}" y="{y:.0f}"'
    if size != 12:
        attrs += f' font-size="{size:g}"'
    if color != TEXT:
        attrs += f' fill="{esc(color)}"'
    if anchor != "middle":
        attrs += f' text-anchor="{anchor}"'
    if len(rows) == 1:
        return f"<text {attrs}{extra}>{rows[0]}</text>"
    dy0 = -(len(rows) - 1) * size * 0.6
    spans = "".join(f'<tspan x="{x:.0f}" dy="{(dy0 if k == 0 else size * 1.2):.0f}">{r}</tspan>'
                    for k, r in enumerate(rows))
    return f"<text {attrs}{extra}>{spans}</text>"


def title_text(obj: object) -> str:
    """A Plotly title (a string or ``{"text": ...}``) as its text."""
    if isinstance(obj, dict):
        return str(obj.get("text") or "")
    return str(obj or "")


def scale_color(name: object, t: float, reverse: bool) -> str:
    """The colour at ``t`` ∈ [0, 1] of the scale ``name`` (RdBu for an unknown one), as ``rgb(r,g,b)``."""
    stops = SCALES.get(name if isinstance(name, str) else "", SCALES["RdBu"])
    t = min(1.0, max(0.0, 1.0 - t if reverse else t))
    for (t0, c0), (t1, c1) in zip(stops, stops[1:], strict=False):
        if t <= t1:
            f = 0.0 if t1 == t0 else (t - t0) / (t1 - t0)
            r, g, b = (round(a + (b_ - a) * f) for a, b_ in zip(c0, c1, strict=True))
            return f"rgb({r},{g},{b})"
    return "rgb({},{},{})".format(*stops[-1][1])


class Axes:
    """Data → pixel for one x/y pair over the plot area."""

    def __init__(self, x0: float, x1: float, y0: float, y1: float, xr: Sequence[float], yr: Sequence[float],
                 y_reversed: bool) -> None:
        self.px0, self.px1, self.py0, self.py1 = x0, x1, y0, y1
        self.xr, self.yr, self.rev = xr, yr, y_reversed

    def x(self, v: float) -> float:
        lo, hi = self.xr
        return self.px0 + (v - lo) / ((hi - lo) or 1) * (self.px1 - self.px0)

    def y(self, v: float) -> float:
        lo, hi = self.yr
        f = (v - lo) / ((hi - lo) or 1)
        return self.py0 + f * (self.py1 - self.py0) if self.rev else self.py1 - f * (self.py1 - self.py0)


def num(v: object) -> float | None:
    """``v`` as a finite float, or None (a gap)."""
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


def _dticks(r: Sequence[float], dtick) -> list[float]:
    lo, hi = min(r), max(r)
    if dtick and (hi - lo) / float(dtick) <= 60:
        start = math.ceil(lo / dtick) * dtick
        return [start + k * dtick for k in range(int((hi - start) / dtick) + 1)]
    return _nice(lo, hi)


def axes_svg(ax: Axes, xa: dict, ya: dict, cats: list | None, bottom: float) -> list[str]:
    """Tick labels, y grid lines, the axis titles and the y = 0 line of ``ax`` (``xa``/``ya``: Plotly axes;
    ``cats``: category labels of x; ``bottom``: the lowest y for the x title)."""
    out: list[str] = []
    grid = "#e6e6e6"
    if xa.get("visible", True):
        ticks = ([float(i) for i in range(len(cats))] if cats else
                 [float(v) for v in xa["tickvals"]] if xa.get("tickvals") else _dticks(ax.xr, xa.get("dtick")))
        for v in ticks:
            x = ax.x(v)
            if ax.px0 - 0.5 <= x <= ax.px1 + 0.5:
                label = cats[int(v)] if cats else fmt(v)
                out.append(text(x, ax.py1 + 10, label, 10, "#555"))
        if title_text(xa.get("title")):
            out.append(text((ax.px0 + ax.px1) / 2, min(ax.py1 + 26, bottom - 6), title_text(xa["title"]), 11))
    if ya.get("visible", True):
        for v in _dticks(sorted(ax.yr), ya.get("dtick")):
            y = ax.y(v)
            if min(ax.py0, ax.py1) - 0.5 <= y <= max(ax.py0, ax.py1) + 0.5:
                out.append(f'<line x1="{ax.px0}" x2="{ax.px1}" y1="{y:.0f}" y2="{y:.0f}" stroke="{grid}"/>')
                out.append(text(ax.px0 - 4, y, fmt(v), 10, "#555", "end"))
        if title_text(ya.get("title")):
            cy = (ax.py0 + ax.py1) / 2
            out.append(text(12, cy, title_text(ya["title"]), 11, extra=f' transform="rotate(-90 12 {cy:.0f})"'))
        if ax.yr[0] < 0 < ax.yr[1]:
            y = ax.y(0.0)
            out.append(f'<line x1="{ax.px0}" x2="{ax.px1}" y1="{y:.0f}" y2="{y:.0f}" stroke="#999"/>')
    return out


def legend_svg(items: list[tuple[str, dict]], x: float, y: float, width: int) -> list[str]:
    """One row of (name, trace) swatches from (x, y), cut off at ``width``."""
    out: list[str] = []
    for name, tr in items:
        color = ((tr.get("line") or {}).get("color") if "lines" in tr.get("mode", "") else None) \
            or (tr.get("marker") or {}).get("color") or PALETTE[0]
        color = color if isinstance(color, str) else PALETTE[0]
        out.append(f'<rect x="{x:.0f}" y="{y - 5:.0f}" width="14" height="10" fill="{esc(color)}"/>')
        out.append(text(x + 18, y, name, 11, anchor="start"))
        x += 30 + 7 * len(str(name))
        if x > width - 40:
            break
    return out
