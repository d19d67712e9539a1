"""Plotly figure dicts of the bug zoo: the test-batch curve and the BN graph with the bug's place marked.

Plain dicts and lists (validated in tests/unit/test_bugzoo.py).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from bnviz.figures import norms as nf
from bnviz.figures.graph_diagram import graph_figure
from bnviz.figures.palette import OKABE_ITO
from bnviz.ops.bn import STRUCTURE
from bnviz.ops.testmode import TEST_STRUCTURE

Array = np.ndarray
COLORS = {"train": OKABE_ITO["vermillion"], "test": OKABE_ITO["blue"]}


def test_batch_figure(batches: Array, acc_train: Array, acc_eval: float, texts: Mapping[str, str]) -> dict:
    """Accuracy (training mode) against the test batch size, log axis, with test mode's flat line.

    batches, acc_train: (n,); texts: batch_title, batch_axis, acc_axis, train_mode, test_mode.
    """
    xs = [float(b) for b in np.asarray(batches)]
    return {"data": [
        {"type": "scatter", "mode": "lines+markers", "name": texts["train_mode"], "x": xs,
         "y": [float(a) for a in np.asarray(acc_train)], "line": {"color": COLORS["train"]}},
        {"type": "scatter", "mode": "lines", "name": texts["test_mode"], "x": [xs[0], xs[-1]],
         "y": [float(acc_eval)] * 2, "line": {"color": COLORS["test"], "dash": "dash"}},
    ], "layout": {
        "title": {"text": texts["batch_title"], "font": {"size": 13}}, "height": 320,
        "margin": {"l": 55, "r": 20, "t": 45, "b": 45},
        "xaxis": {"title": {"text": texts["batch_axis"]}, "type": "log", "tickvals": xs,
                  "ticktext": [f"{b:g}" for b in xs]},
        "yaxis": {"title": {"text": texts["acc_axis"]}, "range": [0, 1.02], "tickformat": ".0%"},
        "legend": {"orientation": "h", "y": -0.3},
    }}


def bug_graph(mode: str, focus: str, active: frozenset | set) -> dict:
    """The training-mode ("train") or test-mode ("test") BN graph, ``focus`` highlighted, ``active`` edges thick."""
    if mode == "train":
        return graph_figure(STRUCTURE, focus, set(active), False, height=240)
    return nf.diagram(TEST_STRUCTURE.edges, nf.TEST_POSITIONS, nf.TEST_LABELS, focus, set(active), False,
                      nf.TEST_PATHS, nf.TEST_CONSTANTS, height=240)
