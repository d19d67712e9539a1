"""bnviz's Plotly figure dicts drawn as one light, static SVG string (no Plotly in the browser).

A hidden step of a walkthrough must not carry a live Plotly chart (each costs the
browser tens of milliseconds on every rerun). ``to_svg`` draws the same figure
dict the Plotly path would show: scatter (lines, markers, text), bar (relative,
group, overlay), heatmap (RdBu, Blues, Greys, Viridis), annotations (text,
arrows), one title, one x/y axis pair, a legend. A figure it cannot draw
(animation frames, menus, shapes, second axes, log axes, other trace types)
gives ``None``: the caller falls back to Plotly.

All text is escaped (``html.escape``); only ``<br>`` in a label becomes a line break.
"""

from __future__ import annotations

import html
import json
import math
from collections.abc import Sequence

from bnviz.figures.palette import SERIES
from bnviz.i18n import t

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
_TYPES = {"scatter", "bar", "heatmap"}


def _esc(text: object) -> str:
    return html.escape(str(text), quote=True)


def _lines(text: object) -> list[str]:
    return [html.escape(part) for part in str(text).replace("<br>", "\n").replace("<br />", "\n").split("\n")]


def _each(value, i: int, default=None):
    """A per-point property: the i-th of a list, or the one value for all."""
    if isinstance(value, (list, tuple)):
        return value[i] if i < len(value) else default
    return default if value is None else value


def _group(tr: dict, kind: str) -> str:
    """A trace's ``<g>``, carrying the numbers it draws (``data-x``/``-y``/``-z``, JSON) for tests and tools."""
    attrs = [f'data-trace="{kind}"']
    if tr.get("name"):
        attrs.append(f'data-name="{_esc(tr["name"])}"')
    if tr.get("panel_axis"):  # a trace of a side-by-side figure's right panel (its y axis: "y2")
        attrs.append(f'data-yaxis="{_esc(tr["panel_axis"])}"')
    for axis in ("x", "y", "z"):
        if tr.get(axis) is not None:
            attrs.append(f'data-{axis}="{_esc(json.dumps(tr[axis], separators=(",", ":")))}"')
    return f"<g {' '.join(attrs)}>"


def _nice(lo: float, hi: float, count: int = 5) -> list[float]:
    if not (math.isfinite(lo) and math.isfinite(hi)) or hi <= lo:
        return [lo]
    raw = (hi - lo) / count
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    start = math.ceil(lo / step - 1e-9) * step
    return [start + k * step for k in range(int((hi - start) / step + 1e-9) + 1)]


def _fmt(v: float) -> str:
    return f"{v:.4g}" if abs(v) >= 1e-12 else "0"


def _text(x: float, y: float, text: object, size: float = 12, color: str = TEXT, anchor: str = "middle",
          extra: str = "") -> str:
    """A label; the root ``<svg>`` sets the defaults (12 px, TEXT colour, centred), so only differences are written."""
    rows = _lines(text)
    attrs = f'x="{x:.0f}" y="{y:.0f}"'
    if size != 12:
        attrs += f' font-size="{size:g}"'
    if color != TEXT:
        attrs += f' fill="{_esc(color)}"'
    if anchor != "middle":
        attrs += f' text-anchor="{anchor}"'
    if len(rows) == 1:
        return f"<text {attrs}{extra}>{rows[0]}</text>"
    dy0 = -(len(rows) - 1) * size * 0.6
    spans = "".join(f'<tspan x="{x:.0f}" dy="{(dy0 if k == 0 else size * 1.2):.0f}">{r}</tspan>'
                    for k, r in enumerate(rows))
    return f"<text {attrs}{extra}>{spans}</text>"


def _title_text(obj) -> str:
    if isinstance(obj, dict):
        return str(obj.get("text") or "")
    return str(obj or "")


def _scale_color(name, t: float, reverse: bool) -> str:
    stops = SCALES.get(name if isinstance(name, str) else "", SCALES["RdBu"])
    t = min(1.0, max(0.0, 1.0 - t if reverse else t))
    for (t0, c0), (t1, c1) in zip(stops, stops[1:], strict=False):
        if t <= t1:
            f = 0.0 if t1 == t0 else (t - t0) / (t1 - t0)
            r, g, b = (round(a + (b_ - a) * f) for a, b_ in zip(c0, c1, strict=True))
            return f"rgb({r},{g},{b})"
    return "rgb({},{},{})".format(*stops[-1][1])


def _panels(fig: dict) -> list[dict] | None:
    """Two panels side by side (``xaxis``/``yaxis`` and ``xaxis2``/``yaxis2`` with x domains, traces on
    ``x2``/``y2`` for the right one) as two one-panel figures, each with its share of the width in
    ``layout.meta.domain``; None for any other layout."""
    layout = fig.get("layout", {})
    axes = {k for k in layout if k.startswith(("xaxis", "yaxis"))}
    if axes != {"xaxis", "yaxis", "xaxis2", "yaxis2"} or not all(
            layout[a].get("domain") for a in ("xaxis", "xaxis2")):
        return None
    panels = []
    for suffix, ref in (("", ("x", "y")), ("2", ("x2", "y2"))):
        keep = ("domain", "anchor")
        data = [{k: v for k, v in tr.items() if k not in ("xaxis", "yaxis")} | {"showlegend": False}
                | ({"panel_axis": ref[1]} if suffix else {})
                for tr in fig.get("data", []) if (tr.get("xaxis", "x"), tr.get("yaxis", "y")) == ref]
        panels.append({"data": data, "layout": {
            "height": layout.get("height"), "showlegend": False,
            "margin": {k: v for k, v in layout.get("margin", {}).items() if k in ("l", "r", "b")} | {"t": 6},
            "xaxis": {k: v for k, v in layout[f"xaxis{suffix}"].items() if k not in keep},
            "yaxis": {k: v for k, v in layout[f"yaxis{suffix}"].items() if k not in keep},
            "meta": {"domain": layout[f"xaxis{suffix}"]["domain"]}}})
    return panels


def drawable(fig: dict) -> bool:
    """Whether ``to_svg`` draws this figure (else show it with Plotly)."""
    panels = _panels(fig)
    if panels is not None:
        return not fig.get("frames") and all(drawable(p) for p in panels)
    layout = fig.get("layout", {})
    if fig.get("frames") or layout.get("updatemenus") or layout.get("sliders") or layout.get("shapes"):
        return False
    if any(k.startswith(("xaxis", "yaxis")) and k not in ("xaxis", "yaxis") for k in layout):
        return False
    if any(layout.get(a, {}).get("type") in ("log", "date") for a in ("xaxis", "yaxis")):
        return False
    for tr in fig.get("data", []):
        if tr.get("type", "scatter") not in _TYPES or tr.get("xaxis", "x") != "x" or tr.get("yaxis", "y") != "y":
            return False
        if tr.get("fill") or tr.get("type") == "heatmap" and tr.get("colorscale", "RdBu") not in SCALES:
            return False
        if tr.get("type") == "bar" and tr.get("orientation") == "h":
            return False
    return True


class _Axes:
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


def _num(v) -> float | None:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


def _categories(fig: dict) -> list | None:
    """Category labels when any trace's x values are strings (e.g. bar names)."""
    cats: list = []
    for tr in fig["data"]:
        for v in tr.get("x") or []:
            if isinstance(v, str) and v not in cats:
                cats.append(v)
    return cats or None


def _bar_stack(traces: list[dict], mode: str, xs_of) -> list[tuple[dict, list[tuple[float, float, float, float]]]]:
    """Each bar trace with its bars as (x centre, width, y from, y to)."""
    groups = [tr for tr in traces if tr.get("type") == "bar"]
    out = []
    pos: dict[float, float] = {}
    neg: dict[float, float] = {}
    for k, tr in enumerate(groups):
        bars = []
        for x, y in zip(xs_of(tr), tr.get("y") or [], strict=False):
            yv = _num(y)
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


def _alt_text(layout: dict, traces: list[dict], lang: str = "en") -> str:
    """An accessible name for a figure without a title: ``layout.meta.alt`` if given, else the words it shows
    (node labels, trace names), so a screen reader says what the picture is about (axe rule svg-img-alt);
    with no words at all, the catalog's word for a figure in ``lang``."""
    meta = layout.get("meta")
    if isinstance(meta, dict) and meta.get("alt"):
        return str(meta["alt"])
    words: list[str] = []
    for tr in traces:
        texts = tr.get("text")
        for item in (texts if isinstance(texts, list) else [texts, tr.get("name")]):
            if isinstance(item, str) and item and item not in words:
                words.append(item)
    return ", ".join(words[:16]) or t("sees2.figure.name", lang)


def to_svg(fig: dict, width: int = WIDTH, lang: str = "en") -> str | None:
    """The figure as one ``<svg>`` string, or None when ``drawable(fig)`` is False.
    ``lang``: the page language (the accessible name of a figure that shows no words)."""
    if not drawable(fig):
        return None
    if (panels := _panels(fig)) is not None:
        return _side_by_side(fig, panels, width, lang)
    layout = fig.get("layout", {})
    traces = [tr for tr in fig.get("data", []) if tr.get("visible", True) is True]
    height = int(layout.get("height") or 360)
    title = _title_text(layout.get("title"))
    margin = {"l": 50, "r": 10, "t": 30 if title else 10, "b": 40, **layout.get("margin", {})}
    xa, ya = layout.get("xaxis", {}), layout.get("yaxis", {})
    legend_items = [(tr.get("name"), tr) for tr in traces
                    if tr.get("name") and tr.get("showlegend", True) and tr.get("type") != "heatmap"]
    legend_items = [it for k, it in enumerate(legend_items) if it[0] not in [n for n, _ in legend_items[:k]]]
    show_legend = layout.get("showlegend", len(legend_items) > 1) and bool(legend_items)
    legend_h = 22 if show_legend else 0
    heat = next((tr for tr in traces if tr.get("type") == "heatmap"), None)
    bar_w = 40 if heat is not None and heat.get("showscale", True) else 0
    px0, px1 = margin["l"], width - margin["r"] - bar_w
    py0, py1 = margin["t"], height - margin["b"] - legend_h
    cats = _categories(fig)

    def xs_of(tr: dict) -> list[float | None]:
        xs = tr.get("x")
        if xs is None:
            n = len(tr.get("y") or tr.get("z", [[]])[0] or [])
            return [float(i) for i in range(n)]
        return [cats.index(v) if cats and isinstance(v, str) else _num(v) for v in xs]

    barmode = layout.get("barmode", "group")
    bars = _bar_stack(traces, barmode, xs_of)
    # ranges
    xs_all: list[float] = []
    ys_all: list[float] = []
    for tr in traces:
        if tr.get("type") == "scatter":
            xs_all += [v for v in xs_of(tr) if v is not None]
            ys_all += [v for v in map(_num, tr.get("y") or []) if v is not None]
        elif tr.get("type") == "heatmap":
            z = tr.get("z") or [[]]
            hx = [v for v in xs_of({"x": tr.get("x"), "y": z[0]}) if v is not None]
            hy = [_num(v) for v in (tr.get("y") or range(len(z)))]
            xs_all += [min(hx) - 0.5, max(hx) + 0.5] if hx else []
            ys_all += [min(hy) - 0.5, max(hy) + 0.5] if hy else []
    for _tr, bs in bars:
        for cx, w, b0, b1 in bs:
            xs_all += [cx - w / 2 - 0.1, cx + w / 2 + 0.1]
            ys_all += [b0, b1, 0.0]
    for ann in layout.get("annotations", []):
        if ann.get("xref", "x") == "x" and ann.get("yref", "y") == "y":
            xs_all.append(float(ann["x"]))
            ys_all.append(float(ann["y"]))

    def rng(axis: dict, vals: list[float], pad: bool) -> list[float]:
        if axis.get("range"):
            return [float(v) for v in axis["range"]]
        if not vals:
            return [0.0, 1.0]
        lo, hi = min(vals), max(vals)
        if hi == lo:
            lo, hi = lo - 1, hi + 1
        p = (hi - lo) * 0.05 if pad else 0.0
        return [lo - p, hi + p]

    heat_only = heat is not None and len(traces) == 1
    xr, yr = rng(xa, xs_all, not heat_only), rng(ya, ys_all, not heat_only)
    if ya.get("scaleanchor") == "x":  # square data units (e.g. images): shrink the plot area, centred
        unit = min((px1 - px0) / ((xr[1] - xr[0]) or 1), (py1 - py0) / ((yr[1] - yr[0]) or 1))
        cx, cy = (px0 + px1) / 2, (py0 + py1) / 2
        half_w, half_h = unit * (xr[1] - xr[0]) / 2, unit * (yr[1] - yr[0]) / 2
        px0, px1, py0, py1 = cx - half_w, cx + half_w, cy - half_h, cy + half_h
    ax = _Axes(px0, px1, py0, py1, xr, yr, ya.get("autorange") == "reversed")
    out: list[str] = []
    aria = _esc(title or _alt_text(layout, traces, lang))
    out.append(f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="100%" '
               f'style="max-width:{width}px;height:auto;display:block" font-family="{FONT}" font-size="12" '
               f'fill="{TEXT}" text-anchor="middle" dominant-baseline="middle" role="img"'
               + f' aria-label="{aria}">')
    if title:
        out.append(_text(px0, margin["t"] / 2 if margin["t"] >= 20 else 12, title,
                         (layout.get("title") or {}).get("font", {}).get("size", 14)
                         if isinstance(layout.get("title"), dict) else 14, anchor="start"))
    out += _axes_svg(ax, xa, ya, cats, height - legend_h)
    for tr in traces:
        if tr.get("type") == "heatmap":
            out += _heatmap_svg(tr, ax, xs_of, px1)
    for tr, bs in bars:
        color = (tr.get("marker") or {}).get("color") or PALETTE[traces.index(tr) % len(PALETTE)]
        out.append(_group(tr, "bar"))
        for cx, w, b0, b1 in bs:
            x0, x1 = ax.x(cx - w / 2), ax.x(cx + w / 2)
            y0, y1 = sorted((ax.y(b0), ax.y(b1)))
            fill = _each(color, bs.index((cx, w, b0, b1)), PALETTE[0])
            out.append(f'<rect x="{x0:.0f}" y="{y0:.0f}" width="{max(x1 - x0, 0.5):.1f}" '
                       f'height="{max(y1 - y0, 0.5):.1f}" fill="{_esc(fill)}"/>')
        out.append("</g>")
    for ann in layout.get("annotations", []):
        if ann.get("showarrow") and ann.get("axref") == "x":
            out.append(_arrow(ann, ax))
    for k, tr in enumerate(traces):
        if tr.get("type", "scatter") == "scatter":
            out += _scatter_svg(tr, ax, xs_of, PALETTE[k % len(PALETTE)])
    for ann in layout.get("annotations", []):
        if ann.get("text"):
            out.append(_annotation_text(ann, ax, width, height))
    if show_legend:
        out += _legend_svg(legend_items, px0, height - legend_h / 2 - 4, width)
    out.append("</svg>")
    return "".join(out)


def _side_by_side(fig: dict, panels: list[dict], width: int, lang: str) -> str:
    """Two panels (``_panels``) in one ``<svg>``: the title above, each panel in its share of the width, one
    legend below for both."""
    layout = fig.get("layout", {})
    traces = [tr for tr in fig.get("data", []) if tr.get("visible", True) is True]
    height = int(layout.get("height") or 360)
    title = _title_text(layout.get("title"))
    top = int(layout.get("margin", {}).get("t", 30)) if title else 4
    items = [(tr.get("name"), tr) for tr in traces if tr.get("name") and tr.get("showlegend", True)]
    items = [it for k, it in enumerate(items) if it[0] not in [n for n, _ in items[:k]]]
    legend_h = 22 if layout.get("showlegend", len(items) > 1) and items else 0
    inner_h = height - top - legend_h
    aria = _esc(title or _alt_text(layout, traces, lang))
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="100%" '
           f'style="max-width:{width}px;height:auto;display:block" font-family="{FONT}" font-size="12" '
           f'fill="{TEXT}" text-anchor="middle" dominant-baseline="middle" role="img" aria-label="{aria}">']
    if title:
        size = (layout.get("title") or {}).get("font", {}).get("size", 14) if isinstance(layout.get("title"), dict) \
            else 14
        out.append(_text(int(layout.get("margin", {}).get("l", 50)), top / 2, title, size, anchor="start"))
    for panel in panels:
        d0, d1 = panel["layout"].pop("meta")["domain"]
        w = max(int(width * (float(d1) - float(d0))), 1)
        panel["layout"]["height"] = inner_h
        inner = to_svg(panel, w, lang) or ""
        body = inner[inner.index(">") + 1:inner.rindex("</svg>")]
        out.append(f'<g data-panel="{w}" transform="translate({width * float(d0):.0f},{top})">{body}</g>')
    if legend_h:
        out += _legend_svg(items, int(layout.get("margin", {}).get("l", 50)), height - legend_h / 2 - 4, width)
    out.append("</svg>")
    return "".join(out)


def _axes_svg(ax: _Axes, xa: dict, ya: dict, cats: list | None, bottom: float) -> list[str]:
    out: list[str] = []
    grid = "#e6e6e6"
    if xa.get("visible", True):
        ticks = ([float(i) for i in range(len(cats))] if cats else
                 [float(v) for v in xa["tickvals"]] if xa.get("tickvals") else _dticks(ax.xr, xa.get("dtick")))
        for v in ticks:
            x = ax.x(v)
            if ax.px0 - 0.5 <= x <= ax.px1 + 0.5:
                label = cats[int(v)] if cats else _fmt(v)
                out.append(_text(x, ax.py1 + 10, label, 10, "#555"))
        if _title_text(xa.get("title")):
            out.append(_text((ax.px0 + ax.px1) / 2, min(ax.py1 + 26, bottom - 6), _title_text(xa["title"]), 11))
    if ya.get("visible", True):
        for v in _dticks(sorted(ax.yr), ya.get("dtick")):
            y = ax.y(v)
            if min(ax.py0, ax.py1) - 0.5 <= y <= max(ax.py0, ax.py1) + 0.5:
                out.append(f'<line x1="{ax.px0}" x2="{ax.px1}" y1="{y:.0f}" y2="{y:.0f}" stroke="{grid}"/>')
                out.append(_text(ax.px0 - 4, y, _fmt(v), 10, "#555", "end"))
        if _title_text(ya.get("title")):
            cy = (ax.py0 + ax.py1) / 2
            out.append(_text(12, cy, _title_text(ya["title"]), 11, extra=f' transform="rotate(-90 12 {cy:.0f})"'))
        if ax.yr[0] < 0 < ax.yr[1]:
            y = ax.y(0.0)
            out.append(f'<line x1="{ax.px0}" x2="{ax.px1}" y1="{y:.0f}" y2="{y:.0f}" stroke="#999"/>')
    return out


def _dticks(r: Sequence[float], dtick) -> list[float]:
    lo, hi = min(r), max(r)
    if dtick and (hi - lo) / float(dtick) <= 60:
        start = math.ceil(lo / dtick) * dtick
        return [start + k * dtick for k in range(int((hi - start) / dtick) + 1)]
    return _nice(lo, hi)


def _heatmap_svg(tr: dict, ax: _Axes, xs_of, px1: float) -> list[str]:
    z = tr.get("z") or [[]]
    xs = xs_of({"x": tr.get("x"), "y": z[0]})
    ys = [_num(v) for v in (tr.get("y") or range(len(z)))]
    vals = [v for row in z for v in map(_num, row) if v is not None]
    if not vals:
        return []
    lo = tr.get("zmin", min(vals))
    hi = tr.get("zmax", max(vals))
    if "zmid" in tr:
        half = max(abs(hi - tr["zmid"]), abs(lo - tr["zmid"])) or 1.0
        lo, hi = tr["zmid"] - half, tr["zmid"] + half
    scale, rev = tr.get("colorscale", "RdBu"), bool(tr.get("reversescale"))
    out: list[str] = [_group(tr, "heatmap")]
    for r, row in enumerate(z):
        for c, v in enumerate(row):
            v = _num(v)
            if v is None or c >= len(xs) or r >= len(ys) or xs[c] is None or ys[r] is None:
                continue
            x0, x1 = ax.x(xs[c] - 0.5), ax.x(xs[c] + 0.5)
            y0, y1 = sorted((ax.y(ys[r] - 0.5), ax.y(ys[r] + 0.5)))
            color = _scale_color(scale, (v - lo) / ((hi - lo) or 1), rev)
            out.append(f'<rect x="{x0:.0f}" y="{y0:.0f}" width="{round(x1) - round(x0) + 0.5:g}" '
                       f'height="{round(y1) - round(y0) + 0.5:g}" '
                       f'fill="{color}"><title>{_fmt(v)}</title></rect>')
    if tr.get("showscale", True):
        bx, top, bot = px1 + 8, ax.py0, ax.py1
        n = 12
        for k in range(n):
            t0 = 1 - k / n
            y = top + (bot - top) * k / n
            out.append(f'<rect x="{bx}" y="{y:.0f}" width="12" height="{(bot - top) / n + 0.5:.0f}" '
                       f'fill="{_scale_color(scale, t0, rev)}"/>')
        out.append(_text(bx + 14, top + 4, _fmt(hi), 9, "#555", "start"))
        out.append(_text(bx + 14, bot - 4, _fmt(lo), 9, "#555", "start"))
    out.append("</g>")
    return out


def _scatter_svg(tr: dict, ax: _Axes, xs_of, default_color: str) -> list[str]:
    mode = tr.get("mode", "lines+markers")
    xs = xs_of(tr)
    ys = [_num(v) for v in tr.get("y") or []]
    pts = [(ax.x(x), ax.y(y)) if x is not None and y is not None else None for x, y in zip(xs, ys, strict=False)]
    out: list[str] = [_group(tr, "scatter")]
    if "lines" in mode:
        line = tr.get("line") or {}
        color, w = line.get("color", default_color), line.get("width", 2)
        dash = DASH.get(line.get("dash", "solid"), "")
        run: list[str] = []
        for p in [*pts, None]:
            if p is None:
                if len(run) > 1:
                    out.append(f'<polyline points="{" ".join(run)}" fill="none" stroke="{_esc(color)}" '
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
            r = float(_each(mk.get("size"), i, 6)) / 2
            fill = _each(mk.get("color"), i, default_color)
            stroke = _each(mline.get("color"), i, "none")
            sw = _each(mline.get("width"), i, 0)
            label = _each(tr.get("text"), i, "")
            tip = f"<title>{_esc(label)}</title>" if label and "text" not in mode else ""
            out.append(f'<circle cx="{p[0]:.0f}" cy="{p[1]:.0f}" r="{r:g}" fill="{_esc(fill)}" '
                       f'stroke="{_esc(stroke)}" stroke-width="{sw}">{tip}</circle>')
    if "text" in mode:
        font = tr.get("textfont") or {}
        where = str(tr.get("textposition", "middle center"))
        for i, p in enumerate(pts):
            label = _each(tr.get("text"), i, "")
            if p is None or label in (None, ""):
                continue
            size = float(_each(font.get("size"), i, 12))
            dy = -size if where.startswith("top") else (size if where.startswith("bottom") else 0)
            out.append(_text(p[0], p[1] + dy, label, size, _each(font.get("color"), i, TEXT)))
    out.append("</g>")
    return out


def _arrow(ann: dict, ax: _Axes) -> str:
    x0, y0 = ax.x(float(ann["ax"])), ax.y(float(ann["ay"]))
    x1, y1 = ax.x(float(ann["x"])), ax.y(float(ann["y"]))
    color, w = ann.get("arrowcolor", "#444"), float(ann.get("arrowwidth", 1.5))
    length = math.hypot(x1 - x0, y1 - y0) or 1.0
    ux, uy = (x1 - x0) / length, (y1 - y0) / length
    head = 3.2 * w + 4
    bx, by = x1 - ux * head, y1 - uy * head
    nx, ny = -uy * head * 0.55, ux * head * 0.55
    return (f'<line x1="{x0:.0f}" y1="{y0:.0f}" x2="{bx:.0f}" y2="{by:.0f}" stroke="{_esc(color)}" '
            f'stroke-width="{w}"/><polygon points="{x1:.0f},{y1:.0f} {bx + nx:.0f},{by + ny:.0f} '
            f'{bx - nx:.0f},{by - ny:.0f}" fill="{_esc(color)}"/>')


def _annotation_text(ann: dict, ax: _Axes, width: int, height: int) -> str:
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
    return _text(min(max(x, 0), width), min(max(y, 8), height - 4), ann["text"], font.get("size", 12),
                 font.get("color", TEXT), anchor)


def _legend_svg(items: list[tuple[str, dict]], x: float, y: float, width: int) -> list[str]:
    out: list[str] = []
    for name, tr in items:
        color = ((tr.get("line") or {}).get("color") if "lines" in tr.get("mode", "") else None) \
            or (tr.get("marker") or {}).get("color") or PALETTE[0]
        color = color if isinstance(color, str) else PALETTE[0]
        out.append(f'<rect x="{x:.0f}" y="{y - 5:.0f}" width="14" height="10" fill="{_esc(color)}"/>')
        out.append(_text(x + 18, y, name, 11, anchor="start"))
        x += 30 + 7 * len(str(name))
        if x > width - 40:
            break
    return out
