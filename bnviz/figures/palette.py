"""Colours shared by the figures: the Okabe–Ito palette, safe for colour-blind learners (the one place for them).

Okabe & Ito (2008), "Color Universal Design": eight colours that stay apart under
protanopia, deuteranopia and tritanopia. The three backward paths of BN's graph
use blue, vermillion and bluish green, and each path is also told apart without
colour: a bar pattern (``PATH_PATTERNS``) in the stacked chart, a numbered label
(``PATH_MARKS``) on the graph's edges.
"""

from __future__ import annotations

OKABE_ITO = {
    "black": "#000000", "orange": "#E69F00", "sky_blue": "#56B4E9", "bluish_green": "#009E73",
    "yellow": "#F0E442", "blue": "#0072B2", "vermillion": "#D55E00", "reddish_purple": "#CC79A7",
}

PATH_COLORS = {"xhat": OKABE_ITO["blue"], "var": OKABE_ITO["vermillion"], "mu": OKABE_ITO["bluish_green"]}
"""Path label -> colour (the three ways x influences x̂)."""

PATH_PATTERNS = {"xhat": "", "var": "/", "mu": "x"}
"""Path label -> Plotly bar pattern shape (``marker.pattern.shape``)."""

PATH_MARKS = {"xhat": "①", "var": "②", "mu": "③"}
"""Path label -> the mark printed beside the path's edges and in its legend name."""

PATH_DASHES = {"xhat": "solid", "var": "dash", "mu": "dot"}
"""Path label -> line dash, for line charts of the paths."""

HIGHLIGHT = OKABE_ITO["reddish_purple"]
"""The focused node (text on it is black: contrast 6.8:1)."""

SERIES = tuple(OKABE_ITO[k] for k in ("blue", "vermillion", "bluish_green", "reddish_purple", "orange", "sky_blue",
                                      "black", "yellow"))
"""Colours for series in order, instead of Plotly's defaults (strongest contrast first)."""

RUN_COLORS = {"baseline": OKABE_ITO["vermillion"], "bn": OKABE_ITO["blue"]}
"""The network runs: without BN vermillion, with BN blue (the BN paper's orange and blue, told apart by every
kind of colour vision; the charts also tell them apart by legend name and, in the batch sweep, by dash)."""

BATCH_COLORS = tuple(OKABE_ITO[k] for k in ("blue", "vermillion", "bluish_green", "reddish_purple", "sky_blue",
                                            "black"))
"""The saturation lesson's batches (at most 6)."""

NORMAL_COLOR = OKABE_ITO["orange"]
"""The standard normal in the saturation lesson (drawn thicker than the batches)."""

SHADE = "rgba(213, 94, 0, 0.12)"
SHADE_LEGEND = "rgba(213, 94, 0, 0.35)"
"""The saturated region |x| > z_τ (vermillion, translucent) and its legend marker."""

LAYER_COLORS = SERIES
"""Hidden layers in the per-layer panels, in order."""
