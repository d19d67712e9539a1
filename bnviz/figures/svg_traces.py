"""The trace kinds the figure drawer (:mod:`bnviz.figures.svg`) draws on one :class:`Axes`: bars (relative, group,
overlay), heatmaps (with a colour bar), scatter (lines, markers, text), and annotations (arrows, text).

``xs_of(trace)`` maps a trace's x values to data coordinates (category index for string x, None for a gap);
each drawer returns its SVG elements as ``list[str]`` (``arrow``/``annotation_text``: one ``str``).
"""

from __future__ import annotations

import math
from collections.abc import Callable

from bnviz.figures.svg_primitives import DASH, TEXT, Axes, each, esc, fmt, group, num, scale_color, text

XsOf = Callable[[dict], list[float | None]]

def bar_stack(traces: list[dict], mode: str, xs_of: XsOf) -> list[tuple[dict, list[tuple[float, float, float, float]]]]:
    """Each bar trace with its bars as (x centre, width, y from, y to)."""
    groups = [tr for tr in traces if tr.get("type") == "bar"]
    out = []
    pos: dict[float, float] = {}
    neg: dict[float, float] = {}
    for k, tr in enumerate(groups):
        bars = []
        for x, y in zip(xs_of(tr), tr.get("y") or [], strict=False):
            yv = num(y)
            if x is None or yv is None:
                continue
            w = 0.8
            cx = x
            if mode == "group" and len(groups) > 1:
                w = 0.8 / len(groups)
                cx = x - 0.4 + w * (k + 0.5)
            if mode in ("relative", "stack"):
                base = pos if yv >= 0 else neg
                b0 = base.get(x, 0.0)
                base[x] = b0 + yv
                bars.append((cx, w, b0, b0 + yv))
            else:
                bars.append((cx, w, 0.0, yv))
        out.append((tr, bars))
    return out


MIN_TIP_PX = 4
"""Heatmap cells smaller than this (px) carry no tooltip: at m = 256 a 270 px tall map has 1 px rows, and
the tooltips were a third of every step's HTML."""


def heatmap_svg(tr: dict, ax: Axes, xs_of: XsOf, px1: float) -> list[str]:
    """A heatmap trace as cells (z rows × columns), and its colour bar right of ``px1``."""
    z = tr.get("z") or [[]]
    xs = xs_of({"x": tr.get("x"), "y": z[0]})
    ys = [num(v) for v in (tr.get("y") or range(len(z)))]
    vals = [v for row in z for v in map(num, row) if v is not None]
    if not vals:
        return []
    lo = tr.get("zmin", min(vals))
    hi = tr.get("zmax", max(vals))
    if "zmid" in tr:
        half = max(abs(hi - tr["zmid"]), abs(lo - tr["zmid"])) or 1.0
        lo, hi = tr["zmid"] - half, tr["zmid"] + half
    scale, rev = tr.get("colorscale", "RdBu"), bool(tr.get("reversescale"))
    out: list[str] = [group(tr, "heatmap")]
    for r, row in enumerate(z):
        for c, v in enumerate(row):
            v = num(v)
            if v is None or c >= len(xs) or r >= len(ys) or xs[c] is None or ys[r] is None:
                continue
            x0, x1 = ax.x(xs[c] - 0.5), ax.x(xs[c] + 0.5)
            y0, y1 = sorted((ax.y(ys[r] - 0.5), ax.y(ys[r] + 0.5)))
            color = scale_color(scale, (v - lo) / ((hi - lo) or 1), rev)
            width, height = round(x1) - round(x0) + 0.5, round(y1) - round(y0) + 0.5
            # a cell big enough to point at names its value (the group's data-z holds them all)
            tip = f"<title>{fmt(v)}</title>" if min(width, height) >= MIN_TIP_PX else ""
            out.append(f'<rect x="{x0:.0f}" y="{y0:.0f}" width="{width:g}" height="{height:g}" '
                       f'fill="{color}">{tip}</rect>')
    if tr.get("showscale", True):
        bx, top, bot = px1 + 8, ax.py0, ax.py1
        n = 12
        for k in range(n):
            t0 = 1 - k / n
            y = top + (bot - top) * k / n
            out.append(f'<rect x="{bx}" y="{y:.0f}" width="12" height="{(bot - top) / n + 0.5:.0f}" '
                       f'fill="{scale_color(scale, t0, rev)}"/>')
        out.append(text(bx + 14, top + 4, fmt(hi), 9, "#555", "start"))
        out.append(text(bx + 14, bot - 4, fmt(lo), 9, "#555", "start"))
    out.append("</g>")
    return out


def scatter_svg(tr: dict, ax: Axes, xs_of: XsOf, default_color: str) -> list[str]:
    """A scatter trace: its lines (broken at gaps), markers and texts, as ``mode`` says."""
    mode = tr.get("mode", "lines+markers")
    xs = xs_of(tr)
    ys = [num(v) for v in tr.get("y") or []]
    pts = [(ax.x(x), ax.y(y)) if x is not None and y is not None else None for x, y in zip(xs, ys, strict=False)]
    out: list[str] = [group(tr, "scatter")]
    if "lines" in mode:
        line = tr.get("line") or {}
        color, w = line.get("color", default_color), line.get("width", 2)
        dash = DASH.get(line.get("dash", "solid"), "")
        run: list[str] = []
        for p in [*pts, None]:
            if p is None:
                if len(run) > 1:
                    out.append(f'<polyline points="{" ".join(run)}" fill="none" stroke="{esc(color)}" '
                               f'stroke-width="{w}"'
                               + (f' stroke-dasharray="{dash}"' if dash else "") + "/>")
                run = []
            else:
                run.append(f"{p[0]:.0f},{p[1]:.0f}")
    if "markers" in mode:
        mk = tr.get("marker") or {}
        mline = mk.get("line") or {}
        for i, p in enumerate(pts):
            if p is None:
                continue
            r = float(each(mk.get("size"), i, 6)) / 2
            fill = each(mk.get("color"), i, default_color)
            stroke = each(mline.get("color"), i, "none")
            sw = each(mline.get("width"), i, 0)
            label = each(tr.get("text"), i, "")
            tip = f"<title>{esc(label)}</title>" if label and "text" not in mode else ""
            out.append(f'<circle cx="{p[0]:.0f}" cy="{p[1]:.0f}" r="{r:g}" fill="{esc(fill)}" '
                       f'stroke="{esc(stroke)}" stroke-width="{sw}">{tip}</circle>')
    if "text" in mode:
        font = tr.get("textfont") or {}
        where = str(tr.get("textposition", "middle center"))
        for i, p in enumerate(pts):
            label = each(tr.get("text"), i, "")
            if p is None or label in (None, ""):
                continue
            size = float(each(font.get("size"), i, 12))
            dy = -size if where.startswith("top") else (size if where.startswith("bottom") else 0)
            out.append(text(p[0], p[1] + dy, label, size, each(font.get("color"), i, TEXT)))
    out.append("</g>")
    return out


def arrow(ann: dict, ax: Axes) -> str:
    """An annotation's arrow from (ax, ay) to (x, y), in data coordinates."""
    x0, y0 = ax.x(float(ann["ax"])), ax.y(float(ann["ay"]))
    x1, y1 = ax.x(float(ann["x"])), ax.y(float(ann["y"]))
    color, w = ann.get("arrowcolor", "#444"), float(ann.get("arrowwidth", 1.5))
    length = math.hypot(x1 - x0, y1 - y0) or 1.0
    ux, uy = (x1 - x0) / length, (y1 - y0) / length
    head = 3.2 * w + 4
    bx, by = x1 - ux * head, y1 - uy * head
    nx, ny = -uy * head * 0.55, ux * head * 0.55
    return (f'<line x1="{x0:.0f}" y1="{y0:.0f}" x2="{bx:.0f}" y2="{by:.0f}" stroke="{esc(color)}" '
            f'stroke-width="{w}"/><polygon points="{x1:.0f},{y1:.0f} {bx + nx:.0f},{by + ny:.0f} '
            f'{bx - nx:.0f},{by - ny:.0f}" fill="{esc(color)}"/>')


def annotation_text(ann: dict, ax: Axes, width: int, height: int) -> str:
    """An annotation's text at (x, y) (data or paper coordinates), kept inside width × height."""
    if ann.get("xref") == "paper":
        x = ax.px0 + float(ann["x"]) * (ax.px1 - ax.px0)
    else:
        x = ax.x(float(ann["x"]))
    if ann.get("yref") == "paper":
        y = ax.py1 - float(ann["y"]) * (ax.py1 - ax.py0)
    else:
        y = ax.y(float(ann["y"]))
    anchor = {"left": "start", "right": "end"}.get(ann.get("xanchor", "center"), "middle")
    font = ann.get("font") or {}
    return text(min(max(x, 0), width), min(max(y, 8), height - 4), ann["text"], font.get("size", 12),
                 font.get("color", TEXT), anchor)
