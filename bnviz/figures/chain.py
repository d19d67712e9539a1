"""A left-to-right chain of layers (x → BN → ReLU → … → L), the upstream lesson's diagram."""

from __future__ import annotations

from collections.abc import Sequence

from bnviz.figures.graph_diagram import DARK, HIGHLIGHT


def chain_figure(nodes: Sequence[str], focus: Sequence[str], backward: bool, labels: dict[str, str] | None = None,
                 height: int = 150) -> dict:
    """A left-to-right chain of labelled boxes (x → BN → ReLU → affine → softmax → L).

    focus: the nodes the current step is about (highlighted); backward:
    arrows point right to left, the way the gradient flows; labels: node -> text (default the id).
    """
    xs = list(range(len(nodes)))
    annotations = []
    for n in range(len(nodes) - 1):
        a, b = (n + 1, n) if backward else (n, n + 1)
        active = nodes[a] in focus or nodes[b] in focus
        annotations.append({"x": b + (0.28 if b < a else -0.28), "y": 0, "ax": a + (-0.28 if b < a else 0.28),
                            "ay": 0, "xref": "x", "yref": "y", "axref": "x", "ayref": "y", "showarrow": True,
                            "arrowhead": 2, "arrowwidth": 4 if active else 2,
                            "arrowcolor": HIGHLIGHT if active and backward else DARK, "text": ""})
    return {
        "data": [{"type": "scatter", "mode": "markers+text", "x": xs, "y": [0] * len(xs),
                  "text": [(labels or {}).get(n, n) for n in nodes],
                  "textposition": "middle center", "hoverinfo": "text",
                  "textfont": {"size": 13, "color": "black"},
                  "marker": {"symbol": "square", "size": 62,
                             "color": [HIGHLIGHT if n in focus else "#f2f2f2" for n in nodes],
                             "line": {"width": 2, "color": [HIGHLIGHT if n in focus else DARK for n in nodes]}},
                  "showlegend": False}],
        "layout": {"height": height, "margin": {"l": 5, "r": 5, "t": 5, "b": 5},
                   "meta": {"min_width": 80 * len(nodes)},  # 62 px nodes never overlap (ui.charts scrolls)
                   "xaxis": {"visible": False, "range": [-0.6, len(nodes) - 0.4], "fixedrange": True},
                   "yaxis": {"visible": False, "range": [-1, 1], "fixedrange": True},
                   "annotations": annotations, "plot_bgcolor": "rgba(0,0,0,0)", "paper_bgcolor": "rgba(0,0,0,0)"},
    }
