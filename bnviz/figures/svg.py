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

from bnviz.figures.svg_primitives import (
    PALETTE,
    SCALES,
    WIDTH,
    Axes,
    axes_svg,
    each,
    esc,
    group,
    legend_svg,
    num,
    svg_open,
    text,
    title_text,
)
from bnviz.figures.svg_traces import annotation_text, arrow, bar_stack, heatmap_svg, scatter_svg
from bnviz.i18n import t

_TYPES = {"scatter", "bar", "heatmap"}


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


def _categories(fig: dict) -> list | None:
    """Category labels when any trace's x values are strings (e.g. bar names)."""
    cats: list = []
    for tr in fig["data"]:
        for v in tr.get("x") or []:
            if isinstance(v, str) and v not in cats:
                cats.append(v)
    return cats or None


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
    title = title_text(layout.get("title"))
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
        return [cats.index(v) if cats and isinstance(v, str) else num(v) for v in xs]

    barmode = layout.get("barmode", "group")
    bars = bar_stack(traces, barmode, xs_of)
    # ranges
    xs_all: list[float] = []
    ys_all: list[float] = []
    for tr in traces:
        if tr.get("type") == "scatter":
            xs_all += [v for v in xs_of(tr) if v is not None]
            ys_all += [v for v in map(num, tr.get("y") or []) if v is not None]
        elif tr.get("type") == "heatmap":
            z = tr.get("z") or [[]]
            hx = [v for v in xs_of({"x": tr.get("x"), "y": z[0]}) if v is not None]
            hy = [num(v) for v in (tr.get("y") or range(len(z)))]
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
    ax = Axes(px0, px1, py0, py1, xr, yr, ya.get("autorange") == "reversed")
    out: list[str] = []
    aria = esc(title or _alt_text(layout, traces, lang))
    out.append(svg_open(width, height, aria))
    if title:
        out.append(text(px0, margin["t"] / 2 if margin["t"] >= 20 else 12, title,
                         (layout.get("title") or {}).get("font", {}).get("size", 14)
                         if isinstance(layout.get("title"), dict) else 14, anchor="start"))
    out += axes_svg(ax, xa, ya, cats, height - legend_h)
    for tr in traces:
        if tr.get("type") == "heatmap":
            out += heatmap_svg(tr, ax, xs_of, px1)
    for tr, bs in bars:
        color = (tr.get("marker") or {}).get("color") or PALETTE[traces.index(tr) % len(PALETTE)]
        out.append(group(tr, "bar"))
        for cx, w, b0, b1 in bs:
            x0, x1 = ax.x(cx - w / 2), ax.x(cx + w / 2)
            y0, y1 = sorted((ax.y(b0), ax.y(b1)))
            fill = each(color, bs.index((cx, w, b0, b1)), PALETTE[0])
            out.append(f'<rect x="{x0:.0f}" y="{y0:.0f}" width="{max(x1 - x0, 0.5):.1f}" '
                       f'height="{max(y1 - y0, 0.5):.1f}" fill="{esc(fill)}"/>')
        out.append("</g>")
    for ann in layout.get("annotations", []):
        if ann.get("showarrow") and ann.get("axref") == "x":
            out.append(arrow(ann, ax))
    for k, tr in enumerate(traces):
        if tr.get("type", "scatter") == "scatter":
            out += scatter_svg(tr, ax, xs_of, PALETTE[k % len(PALETTE)])
    for ann in layout.get("annotations", []):
        if ann.get("text"):
            out.append(annotation_text(ann, ax, width, height))
    if show_legend:
        out += legend_svg(legend_items, px0, height - legend_h / 2 - 4, width)
    out.append("</svg>")
    return "".join(out)


def _side_by_side(fig: dict, panels: list[dict], width: int, lang: str) -> str:
    """Two panels (``_panels``) in one ``<svg>``: the title above, each panel in its share of the width, one
    legend below for both."""
    layout = fig.get("layout", {})
    traces = [tr for tr in fig.get("data", []) if tr.get("visible", True) is True]
    height = int(layout.get("height") or 360)
    title = title_text(layout.get("title"))
    top = int(layout.get("margin", {}).get("t", 30)) if title else 4
    items = [(tr.get("name"), tr) for tr in traces if tr.get("name") and tr.get("showlegend", True)]
    items = [it for k, it in enumerate(items) if it[0] not in [n for n, _ in items[:k]]]
    legend_h = 22 if layout.get("showlegend", len(items) > 1) and items else 0
    inner_h = height - top - legend_h
    aria = esc(title or _alt_text(layout, traces, lang))
    out = [svg_open(width, height, aria)]
    if title:
        size = (layout.get("title") or {}).get("font", {}).get("size", 14) if isinstance(layout.get("title"), dict) \
            else 14
        out.append(text(int(layout.get("margin", {}).get("l", 50)), top / 2, title, size, anchor="start"))
    for panel in panels:
        d0, d1 = panel["layout"].pop("meta")["domain"]
        w = max(int(width * (float(d1) - float(d0))), 1)
        panel["layout"]["height"] = inner_h
        inner = to_svg(panel, w, lang) or ""
        body = inner[inner.index(">") + 1:inner.rindex("</svg>")]
        out.append(f'<g data-panel="{w}" transform="translate({width * float(d0):.0f},{top})">{body}</g>')
    if legend_h:
        out += legend_svg(items, int(layout.get("margin", {}).get("l", 50)), height - legend_h / 2 - 4, width)
    out.append("</svg>")
    return "".join(out)
