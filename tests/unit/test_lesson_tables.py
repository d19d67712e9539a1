"""Lesson tables (bnviz.steps.Table): built by the lessons, carried by every export; the graph edges the
lessons read off their graphs; the one test-mode BN against PyTorch."""

from __future__ import annotations

import json

import nbformat
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from bnviz import export
from bnviz.i18n import t
from bnviz.lessons import axes, graph, renorm, train_test, upstream
from bnviz.ops import layers, testmode
from bnviz.ops import renorm as rn_ops
from bnviz.settings import Settings


@pytest.fixture(scope="module")
def graph_walk():
    return graph.walkthrough(Settings(m=5, d=3), "en")


def test_graph_lesson_carries_the_forms_table_and_the_gradient_check(graph_walk):
    keys = [tb.key for tb in graph_walk.tables]
    assert keys == ["forms", "gradcheck"]
    forms, check = graph_walk.tables
    diffs = [float(v) for v in next(c for h, c in forms.columns.items() if "difference" in h)]
    assert len(diffs) == 3 and max(diffs) < 1e-12, diffs  # staged, cs231n and Caffe agree to rounding
    rel = [float(v) for v in check.columns["relative error"]]
    assert len(rel) == 9 and max(rel) < 1e-8, rel  # 3 forms × (dx, dγ, dβ), cs231n's threshold


def test_layer_norm_has_the_forms_table_only():
    w = graph.walkthrough(Settings(m=4, d=3), "en", norm="layer")
    assert [tb.key for tb in w.tables] == ["forms"]


@pytest.mark.parametrize("fmt", export.FORMATS)
def test_every_export_shows_every_lesson_table(graph_walk, fmt):
    text = export.render(graph_walk, fmt)
    if fmt == "json":
        doc = json.loads(text)
        assert [tb["key"] for tb in doc["tables"]] == ["forms", "gradcheck"]
        assert doc["tables"][1]["columns"] == graph_walk.tables[1].columns
        return
    if fmt == "ipynb":
        text = "\n".join(c.source for c in nbformat.reads(text, as_version=4).cells if c.cell_type == "markdown")
    for tb in graph_walk.tables:
        shown = export.tex_text(tb.title) if fmt == "tex" else tb.title
        assert shown in text, (fmt, tb.title)
        for cell in tb.columns[next(iter(tb.columns))]:
            assert (export.tex_text(cell) if fmt == "tex" else cell) in text, (fmt, cell)


def test_markdown_table_escapes_pipes_in_headers(graph_walk):
    md = export.to_markdown(graph_walk)
    header = next(line for line in md.splitlines() if line.startswith("| pair"))
    assert header.count(" | ") == 1, header  # "max |difference|" must not add columns


def test_renorm_lesson_carries_the_gap_experiment():
    w = renorm.walkthrough(Settings(), "en")
    (tb,) = w.tables
    exp = rn_ops.gap_experiment(renorm.DEFAULTS["rmax"], renorm.DEFAULTS["dmax"], renorm.DEFAULTS["alpha"],
                                Settings().seed)
    assert tb.key == "experiment"
    assert tb.columns["batch size m"] == [str(n) for n in exp.sizes]
    assert len(tb.columns) == 1 + len(exp.gaps)
    for (meth, kind), gap in exp.gaps.items():
        col = tb.columns[renorm.experiment_names(exp, "en")[(meth, kind)]]
        np.testing.assert_allclose([float(v) for v in col], gap, rtol=1e-3)  # 4 significant digits shown


def test_gap_experiment_bn_series_is_plain_batch_norm_against_the_moving_statistics():
    """An independent recomputation of one BN series: x̂ with the batch's statistics (torch) vs the moving ones."""
    steps, alpha, eps = 40, 0.1, 1e-5
    exp = rn_ops.gap_experiment(3.0, 5.0, alpha, seed=7, steps=steps)
    rng = np.random.default_rng(7)
    n, feats, means = max(rn_ops.EXPERIMENT_SIZES), 4, np.asarray(rn_ops.CLASS_MEANS)
    iid = means[rng.integers(0, len(means), (steps, n, feats))]
    rng.integers(0, len(means), (steps, 1, 1))
    noise = rng.standard_normal((steps, 2, n, feats))
    x = iid + rn_ops.CLASS_STD * noise[:, 0]
    size = 3
    mu, sigma, total = np.zeros(feats), np.ones(feats), 0.0
    for t_ in range(steps):
        b = torch.tensor(x[t_, :size], dtype=torch.float64)
        train = F.batch_norm(b, None, None, training=True, eps=eps).numpy()
        mu_b, sigma_b = b.mean(0).numpy(), np.sqrt(b.var(0, unbiased=False).numpy() + eps)
        if t_ >= steps // 2:
            total += np.abs(train - (x[t_, :size] - mu) / sigma).mean()
        mu, sigma = mu + alpha * (mu_b - mu), sigma + alpha * (sigma_b - sigma)
    np.testing.assert_allclose(exp.gaps[("bn", "iid")][rn_ops.EXPERIMENT_SIZES.index(size)],
                               total / (steps - steps // 2), rtol=1e-10)


def test_axes_lesson_carries_the_layout_comparison():
    w = axes.walkthrough(Settings(), "en", n=2, c=4, h=2, w=3)
    (tb,) = w.tables
    assert tb.key == "compare"
    ms = dict(zip(tb.columns["normalization"], tb.columns["m (cells per set)"], strict=True))
    kind = {k: t(f"page.axes.kind.{k}", "en") for k in ("feature", "batch", "layer", "instance")}
    assert len(ms) == 5
    assert [ms[kind[k]] for k in kind] == ["2", "12", "24", "6"]  # N, N·H·W, C·H·W, H·W on (2, 4, 2, 3)


def test_test_mode_backward_edges_are_read_off_the_graph():
    assert train_test.test_active_edges("backward.test") == {("xc", "x"), ("xhat", "xc"), ("y", "xhat")}
    assert train_test.test_active_edges("forward.test") == set()


@pytest.mark.parametrize("seed", range(3))
def test_the_one_test_mode_bn_matches_torch_eval_mode(seed):
    rng = np.random.default_rng(seed)
    x, gamma, beta = rng.normal(size=(6, 3)), rng.normal(size=3), rng.normal(size=3)
    mean, var = rng.normal(size=3), rng.uniform(0.1, 2, size=3)
    ref = F.batch_norm(*(torch.tensor(a, dtype=torch.float64) for a in (x, mean, var)),
                       weight=torch.tensor(gamma), bias=torch.tensor(beta), training=False, eps=1e-3).numpy()
    np.testing.assert_allclose(layers.batchnorm_test(x, gamma, beta, mean, var, 1e-3), ref, rtol=1e-10, atol=1e-12)
    run = testmode.bn_test_run(x, gamma, beta, np.ones_like(x), 1e-3, mean, var)
    np.testing.assert_array_equal(run.y, layers.batchnorm_test(x, gamma, beta, mean, var, 1e-3))


def test_page_sentences_come_from_the_lessons():
    w = renorm.walkthrough(Settings(), "en")
    step = w.steps[w.index("backward.bn_limit")]
    diff = float(np.max(np.abs(step.values["dx_r1"] - step.values["dx_bn"])))
    assert diff < 1e-12  # BRN with r = 1, d = 0 is BN
    assert renorm.limit_check(step, "en") == t("page.renorm.limit_check", "en", diff=f"{diff:.2e}")
    u = upstream.walkthrough(Settings(), "en")
    relu = u.steps[u.index("backward.relu")]
    y = relu.values["y"]
    assert upstream.blocked_caption(relu, "zh") == t("page.upstream.blocked", "zh", n=int(np.sum(y <= 0)),
                                                     total=y.size)
