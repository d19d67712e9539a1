"""Every figure dict bnviz builds is valid Plotly (the app skips re-validation)."""

import numpy as np
import plotly.graph_objs as go
import pytest

from bnviz import data
from bnviz.figures.graph_diagram import PATH_COLORS, graph_figure
from bnviz.figures.values import heatmap, paths_stack
from bnviz.lessons.graph import active_edges, bn_walkthrough
from bnviz.ops import bn
from bnviz.settings import Settings

WALK = bn_walkthrough(data.make_problem(Settings(m=5, d=2)), Settings(m=5, d=2))


@pytest.mark.parametrize("step", WALK.steps, ids=lambda s: s.key)
def test_diagram_is_valid_plotly_for_every_step(step):
    backward = step.phase == "backward"
    fig = graph_figure(bn.STRUCTURE, step.focus, active_edges(step.key), backward)
    go.Figure(fig)  # raises on any invalid property
    colors = {a["arrowcolor"] for a in fig["layout"]["annotations"]}
    if backward:
        assert set(PATH_COLORS.values()) <= colors
    else:
        assert not colors & set(PATH_COLORS.values())
    widths = [a["arrowwidth"] for a in fig["layout"]["annotations"]]
    assert max(widths) > min(widths) or not active_edges(step.key)


def test_backward_diagram_sends_no_gradient_into_the_constant_upstream_gradient():
    from bnviz.figures.graph_diagram import POSITIONS

    def touching(fig, node):
        px, py = POSITIONS[node]
        return [a for a in fig["layout"]["annotations"]
                if min(np.hypot(a["x"] - px, a["y"] - py), np.hypot(a["ax"] - px, a["ay"] - py)) < 0.5]

    assert len(touching(graph_figure(bn.STRUCTURE, "L", set(), False), "dout")) == 1
    assert touching(graph_figure(bn.STRUCTURE, "L", set(), True), "dout") == []


def test_heatmap_and_paths_chart_are_valid_and_carry_the_numbers():
    rng = np.random.default_rng(3)
    v = rng.standard_normal((6, 3))
    fig = heatmap(v, "t", "feature", "sample")
    go.Figure(fig)
    assert np.allclose(np.array(fig["data"][0]["z"]), v)
    paths = {p: rng.standard_normal(6) for p in bn.PATHS}
    total = sum(paths.values())
    fig = paths_stack(paths, total, {p: p for p in paths}, "total", "t", "sample")
    go.Figure(fig)
    bars = [tr for tr in fig["data"] if tr["type"] == "bar"]
    assert len(bars) == 3 and fig["layout"]["barmode"] == "relative"
    assert np.allclose(sum(np.array(b["y"]) for b in bars), fig["data"][-1]["y"])
