"""A light static HTML table of a step's values (instead of a canvas data grid in every hidden step)."""

from __future__ import annotations

import html

CSS = """
.bnviz-table table { border-collapse: collapse; width: 100%; font-size: 0.85rem; font-variant-numeric: tabular-nums; }
.bnviz-table th { position: sticky; top: 0; background: #f0f2f6; color: #31333f; text-align: right;
  padding: 0.2rem 0.5rem; border-bottom: 1px solid #ccc; }
.bnviz-table td { text-align: right; padding: 0.15rem 0.5rem; border-bottom: 1px solid #eee; }
.bnviz-table:focus-visible { outline: 2px solid #1f77b4; outline-offset: 2px; }
"""
"""The tables' stylesheet (~0.4 kB, after each table: inline styles on every cell cost ~6 kB a table)."""


def cell(v: object) -> str:
    """A number to 6 significant digits, anything else as text (escaped)."""
    if isinstance(v, bool):
        return html.escape(str(v))
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return f"{v:.6g}"
    return html.escape(str(v))


def _exact(v: object) -> str:
    """A float cell also carries its exact value (``data-v``, the shortest repr) for tests and tools."""
    return f' data-v="{v!r}"' if isinstance(v, float) else ""


def table_html(columns: dict[str, list], caption: str = "") -> str:
    """columns: header → cells (all the same length). One ``<table>`` in a scrolling ``<div>``."""
    heads = "".join(f'<th scope="col">{html.escape(str(h))}</th>' for h in columns)
    rows = zip(*columns.values(), strict=True)
    body = "".join("<tr>" + "".join(f'<td{_exact(v)}>{cell(v)}</td>' for v in row) + "</tr>"
                   for row in rows)
    cap = f"<caption>{html.escape(caption)}</caption>" if caption else ""
    return (f'<div class="bnviz-table" data-testid="bnviz-table" tabindex="0" '
            f'style="max-height:320px;overflow:auto"><table>{cap}<thead><tr>{heads}</tr></thead>'
            f"<tbody>{body}</tbody></table></div><style>{CSS}</style>")
