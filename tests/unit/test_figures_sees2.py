"""What a learner sees in the figures (issue 12): the network, experiments and bug-zoo charts in the Okabe–Ito palette,
a wordless SVG figure named in the page's language.

The allowed colours are Okabe & Ito's eight (typed here from their paper, not taken from
``bnviz.figures.palette``), translucent versions of them, and the diagrams' neutral greys.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import numpy as np
import plotly.graph_objs as go
import pytest

from bnviz.figures import bugzoo, chain, histograms, saturation, training
from bnviz.figures.svg import to_svg
from bnviz.i18n import LANGS, t

OKABE_ITO = {(0, 0, 0), (230, 159, 0), (86, 180, 233), (0, 158, 115), (240, 228, 66), (0, 114, 178), (213, 94, 0),
             (204, 121, 167)}
"""Okabe & Ito (2008), Color Universal Design: black, orange, sky blue, bluish green, yellow, blue, vermillion,
reddish purple (RGB)."""

NEUTRAL = {(0x40, 0x40, 0x40), (0xb0, 0xb0, 0xb0), (0xf2, 0xf2, 0xf2)}
"""The diagrams' dark text and lines, the "before" bars, an unlit node."""


def rgb(color: str) -> tuple[int, int, int]:
    color = color.strip().lower()
    if color == "black":
        return (0, 0, 0)
    if m := re.fullmatch(r"#([0-9a-f]{6})", color):
        h = m.group(1)
        return (int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16))
    if m := re.fullmatch(r"rgba?\((\d+),\s*(\d+),\s*(\d+)(?:,\s*[\d.]+)?\)", color):
        return tuple(int(g) for g in m.groups()[:3])  # type: ignore[return-value]
    raise AssertionError(f"not a colour this test reads: {color!r}")


def colours(obj: object, where: str = "") -> list[tuple[str, str]]:
    """Every (path, colour string) under a figure dict's colour keys."""
    out: list[tuple[str, str]] = []
    if isinstance(obj, dict):
        for k, v in obj.items():
            if k in ("color", "fillcolor", "arrowcolor", "bgcolor") and v is not None:
                out += [(f"{where}.{k}", c) for c in (v if isinstance(v, list) else [v]) if isinstance(c, str)]
            elif k not in ("colorscale",):
                out += colours(v, f"{where}.{k}")
    elif isinstance(obj, list):
        for n, v in enumerate(obj):
            out += colours(v, f"{where}[{n}]")
    return out


def figures() -> dict[str, dict]:
    rng = np.random.default_rng(3)
    steps = np.arange(0, 50, 10)
    runs = {k: {"steps": steps, "train_loss": rng.uniform(0.1, 2, 5), "val_loss": rng.uniform(0.1, 2, 5),
                "train_acc": rng.uniform(0, 1, 5), "val_acc": rng.uniform(0, 1, 5)} for k in ("baseline", "bn")}
    names = {"baseline": "no BN", "bn": "BN"}
    texts = {k: k for k in ("loss", "accuracy", "steps", "train", "val")}
    pct = {k: np.sort(rng.standard_normal((5, 3)), axis=1) for k in names}
    per_layer = {k: rng.uniform(0.01, 1, (5, 4)) for k in names}
    samples = {k: [rng.standard_normal((3, 40)) for _ in steps] for k in names}
    batches = rng.standard_normal((200, 6)) * 3
    return {
        "saturation": saturation.saturation_figure(batches, [f"b{k}" for k in range(6)], 4.6, "t", "x", "y",
                                                   {k: k for k in ("normal", "sigmoid", "dsigmoid", "saturated")}),
        "share_bars": saturation.share_bars(["a", "b"], np.array([0.5, 0.2]), np.array([0.0, 0.1]), ("b", "a"),
                                            "t", "y"),
        "curves": training.curves([{"x": steps, "y": rng.uniform(0, 1, 5), "name": f"s{k}"} for k in range(3)],
                                  "t", "x", "y"),
        "training_curves": training.training_curves(runs, names, texts),
        "percentiles": training.percentile_figure({k: steps for k in names}, pct, names, "t", "x", "y",
                                                  ["15", "50", "85"]),
        "layer_panels": training.layer_panels({k: steps for k in names}, per_layer, names, ["1", "2", "3", "4"],
                                              "t", "x", "y"),
        "histograms": histograms.histogram_frames(samples, list(steps), names, ["1", "2", "3"], "t", "step", "play"),
        "chain": chain.chain_figure(["x", "BN", "ReLU", "L"], ["BN"], True),
        "bugzoo_batches": bugzoo.test_batch_figure(np.array([1.0, 4.0, 16.0]), np.array([0.2, 0.6, 0.9]), 0.95,
                                                   {k: k for k in ("batch_title", "batch_axis", "acc_axis",
                                                                   "train_mode", "test_mode")}),
    }


@pytest.mark.parametrize("name", sorted(figures()))
def test_network_and_experiment_charts_use_only_the_colour_blind_safe_palette(name: str) -> None:
    fig = figures()[name]
    go.Figure(fig)
    found = colours(fig)
    assert found, f"{name}: no colour set at all (Plotly's defaults would be used)"
    bad = [(where, c) for where, c in found if rgb(c) not in OKABE_ITO | NEUTRAL]
    assert not bad, f"{name}: colours outside Okabe–Ito: {bad[:5]}"
    for n, tr in enumerate(fig["data"]):
        if tr.get("type") in ("scatter", "bar"):
            own = (tr.get("line") or {}).get("color") or (tr.get("marker") or {}).get("color")
            assert own, f"{name}: trace {n} ({tr.get('name')}) has no colour of its own (a Plotly default)"


def test_the_runs_and_the_batches_are_told_apart_by_colour() -> None:
    figs = figures()
    run_colours = {tr["line"]["color"] for tr in figs["training_curves"]["data"]}
    assert len(run_colours) == 2
    batch_colours = [tr["line"]["color"] for tr in figs["saturation"]["data"][:6]]
    assert len(set(batch_colours)) == 6
    series = [tr["line"]["color"] for tr in figs["curves"]["data"]]
    assert len(set(series)) == 3


@pytest.mark.parametrize("lang", LANGS)
def test_a_figure_without_words_is_named_in_the_page_language(lang: str) -> None:
    fig = {"data": [{"type": "scatter", "x": [1, 2], "y": [3, 4], "mode": "lines"}], "layout": {}}
    root = ET.fromstring(to_svg(fig, lang=lang))
    name = t("sees2.figure.name", lang)
    assert root.get("aria-label") == name
    assert name != t("sees2.figure.name", "zh" if lang == "en" else "en")
