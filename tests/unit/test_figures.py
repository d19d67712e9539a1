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
    """Issue 12: the ∂L/∂y node keeps its edge going backward, as a grey arrow into L (it feeds the
    surrogate loss), never an arrow head at ∂L/∂y (no gradient flows into a given constant)."""
    from bnviz.figures.graph_diagram import GREY, POSITIONS

    def near(x, y, node):
        return np.hypot(x - POSITIONS[node][0], y - POSITIONS[node][1]) < 0.5

    def touching(fig, node):
        return [a for a in fig["layout"]["annotations"] if near(a["x"], a["y"], node) or near(a["ax"], a["ay"], node)]

    assert len(touching(graph_figure(bn.STRUCTURE, "L", set(), False), "dout")) == 1
    back = touching(graph_figure(bn.STRUCTURE, "y", active_edges("backward.dy"), True), "dout")
    assert len(back) == 1
    (arrow,) = back
    assert near(arrow["ax"], arrow["ay"], "dout") and near(arrow["x"], arrow["y"], "L")  # tail at ∂L/∂y, head at L
    assert arrow["arrowcolor"] == GREY and arrow["arrowwidth"] == 5  # the dy step is about this edge


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
