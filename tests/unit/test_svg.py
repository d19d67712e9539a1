"""The static SVG figures and HTML tables shown inside steps (bnviz/figures/svg.py, table.py)."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import numpy as np
import pytest

from bnviz.figures import practice
from bnviz.figures.chain import chain_figure
from bnviz.figures.graph_diagram import graph_figure
from bnviz.figures.nets import digit_images
from bnviz.figures.svg import drawable, to_svg
from bnviz.figures.table import table_html
from bnviz.figures.values import heatmap, paths_stack
from bnviz.lessons.graph import active_edges
from bnviz.ops import bn

NS = "{http://www.w3.org/2000/svg}"


def parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg)  # well-formed XML, or this raises
    assert root.tag == f"{NS}svg"
    return root


def groups(root: ET.Element, kind: str) -> list[ET.Element]:
    return [g for g in root.iter(f"{NS}g") if g.get("data-trace") == kind]


def step_figures() -> list[dict]:
    rng = np.random.default_rng(0)
    paths = {k: rng.standard_normal(5) for k in ("xhat", "var", "mu")}
    return [
        graph_figure(bn.STRUCTURE, "mu", active_edges("forward.mu"), False),
        graph_figure(bn.STRUCTURE, "x", active_edges("backward.dx"), True),
        heatmap(rng.standard_normal((5, 3)), "t", "j", "i"),
        paths_stack(paths, sum(paths.values()), {"xhat": "a", "var": "b", "mu": "c"}, "total", "T", "i"),
        chain_figure(["x", "BN", "ReLU", "L"], ["BN"], True),
        digit_images(rng.uniform(0, 1, (4, 64)), [1, 2, 3, 4], "digits"),
        practice.fold_scatter(rng.standard_normal(6), rng.standard_normal(6), "fold", "a", "b"),
    ]


@pytest.mark.parametrize("n", range(7))
def test_every_step_figure_is_drawn_as_well_formed_svg(n):
    fig = step_figures()[n]
    assert drawable(fig)
    root = parse(to_svg(fig))
    assert root.get("role") == "img" and root.get("aria-label", "").strip()  # axe-core's svg-img-alt rule


def test_a_diagram_without_a_title_is_named_by_the_words_it_shows():
    root = parse(to_svg(graph_figure(bn.STRUCTURE, "mu", active_edges("forward.mu"), False)))
    assert "μ" in root.get("aria-label")


def test_bars_carry_the_numbers_they_draw_and_stack_relative():
    y = {"xhat": [1.0, -2.0], "var": [0.5, 0.25], "mu": [-0.125, 3.0]}
    fig = paths_stack({k: np.array(v) for k, v in y.items()}, np.array([1.375, 1.25]),
                      {"xhat": "a", "var": "b", "mu": "c"}, "total", "T", "i")
    root = parse(to_svg(fig))
    bars = groups(root, "bar")
    assert [json.loads(g.get("data-y")) for g in bars] == list(y.values())
    assert [g.get("data-name")[-1] for g in bars] == ["a", "b", "c"]  # the names (the builder may number them)
    # sample 1: +1 and +0.5 stack upwards from 0, -0.125 goes below: three rects, no overlap in pixels
    first = [next(iter(g.iter(f"{NS}rect"))) for g in bars]
    tops = sorted((float(r.get("y")), float(r.get("y")) + float(r.get("height"))) for r in first)
    for (_a0, a1), (b0, _b1) in zip(tops, tops[1:], strict=False):
        assert a1 <= b0 + 0.2


def test_heatmap_colours_follow_the_reversed_rdbu_scale_around_zero():
    z = np.array([[-2.0, 0.0, 2.0]])
    root = parse(to_svg(heatmap(z, "t", "j", "i")))
    (g,) = groups(root, "heatmap")
    assert json.loads(g.get("data-z")) == z.tolist()
    cells = [r for r in g.iter(f"{NS}rect") if r.find(f"{NS}title") is not None]
    # Plotly's RdBu runs blue (5,10,172) → grey (190,190,190) → red (178,10,28); reversed: the largest value blue
    assert [c.get("fill") for c in cells] == ["rgb(178,10,28)", "rgb(190,190,190)", "rgb(5,10,172)"]


def test_heatmap_cells_too_small_to_point_at_carry_no_tooltip_but_the_data_keeps_every_value():
    rng = np.random.default_rng(3)
    for rows, tips in ((8, True), (256, False)):  # 8 rows: ~30 px cells; 256 rows: ~1 px
        z = rng.standard_normal((rows, 3))
        (g,) = groups(parse(to_svg(heatmap(z, "t", "j", "i"))), "heatmap")
        titles = [r.find(f"{NS}title") for r in g.iter(f"{NS}rect")]
        cell_titles = [x.text for x in titles if x is not None]
        assert len(cell_titles) == (rows * 3 if tips else 0), rows
        np.testing.assert_array_equal(np.array(json.loads(g.get("data-z"))), z)


def test_text_is_escaped():
    fig = heatmap(np.ones((2, 2)), '<script>alert("x")</script> & co', "j", "i")
    svg = to_svg(fig)
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    parse(svg)


@pytest.mark.parametrize("extra", [{"frames": [{"data": []}]}, {"layout": {"shapes": [{"type": "rect"}]}},
                                   {"layout": {"xaxis": {"type": "log"}}}, {"layout": {"xaxis2": {}}},
                                   {"data": [{"type": "surface", "z": [[1]]}]}])
def test_what_it_cannot_draw_falls_back_to_plotly(extra):
    fig = {"data": extra.get("data", [{"type": "scatter", "x": [1, 2], "y": [3, 4]}]),
           "layout": extra.get("layout", {}), **({"frames": extra["frames"]} if "frames" in extra else {})}
    assert not drawable(fig) and to_svg(fig) is None


def test_table_shows_six_digits_and_keeps_the_exact_value():
    v = 1 / 3
    root = ET.fromstring(f'<r>{table_html({"i": [1, 2], "x<b>": [v, -2.5e-9]})}</r>')  # the table, its <style>
    heads = [th.text for th in root.iter("th")]
    assert heads == ["i", "x<b>"]  # escaped in the HTML, read back as the text
    cells = [[td for td in tr.iter("td")] for tr in root.iter("tr")][1:]
    assert [c[0].text for c in cells] == ["1", "2"]
    assert [c[1].text for c in cells] == ["0.333333", "-2.5e-09"]
    assert [float(c[1].get("data-v")) for c in cells] == [v, -2.5e-9]  # round-trips exactly


def test_two_panels_side_by_side_are_drawn_in_their_shares_of_the_width():
    """Train vs test's running estimates: mean (left, x domain 0–0.46) and variance (right, 0.54–1), one legend."""
    left = {"type": "scatter", "mode": "lines", "name": "left line", "x": [1, 2, 3], "y": [0.0, 1.0, 2.0]}
    right = {"type": "scatter", "mode": "lines", "name": "right line", "x": [10, 20, 30], "y": [50.0, 60.0, 90.0],
             "xaxis": "x2", "yaxis": "y2"}
    fig = {"data": [left, right], "layout": {
        "height": 300, "title": {"text": "Two panels"}, "margin": {"l": 50, "r": 10, "t": 40, "b": 40},
        "xaxis": {"domain": [0.0, 0.46]}, "yaxis": {"title": {"text": "mean"}},
        "xaxis2": {"domain": [0.54, 1.0], "anchor": "y2"}, "yaxis2": {"title": {"text": "var"}, "anchor": "x2"}}}
    assert drawable(fig)
    root = parse(to_svg(fig, 700))
    panels = [e for e in root if e.get("data-panel")]
    assert [(p.get("transform").split("(")[1].split(",")[0], int(p.get("data-panel"))) for p in panels] \
        == [("0", 322), ("378", 322)]  # at 700·domain, 700·(domain width) wide
    assert [g.get("data-yaxis") for g in root.iter(f"{NS}g") if g.get("data-trace")] == [None, "y2"]
    # each panel draws its own trace: the right one's ticks reach 90, the left one's stay at or below 3
    ticks = [[float(t.text) for t in p.iter(f"{NS}text") if t.text and t.text.replace(".", "").isdigit()]
             for p in panels]
    assert max(ticks[0]) <= 3 and min(ticks[1]) >= 10 and max(ticks[1]) >= 90
    words = [t.text for t in root.iter(f"{NS}text")]
    assert "Two panels" in words and words.count("left line") == 1 and words.count("right line") == 1
    assert "mean" in words and "var" in words


def test_a_second_axis_that_is_not_a_side_by_side_panel_falls_back_to_plotly():
    fig = {"data": [{"type": "scatter", "x": [1], "y": [1], "yaxis": "y2"}],
           "layout": {"yaxis2": {"overlaying": "y", "side": "right"}}}
    assert not drawable(fig) and to_svg(fig) is None
