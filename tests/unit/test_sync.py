"""Several devices: per-device BN, simulated SyncBN and GroupNorm against PyTorch (float64, autograd).

SyncBN must equal torch's training-mode BN on the concatenated batch, forward and backward,
to 1e-10; per-device BN equals torch BN on each slice; GroupNorm equals F.group_norm.
"""

from __future__ import annotations

import re

import numpy as np
import plotly.graph_objs as go
import pytest
import torch
import torch.nn.functional as tF

from bnviz.figures import practice as fig
from bnviz.i18n import InputError
from bnviz.lessons import sync as lesson
from bnviz.ops import sync as Y
from bnviz.settings import Settings

TOL = 1e-10


def torch_bn(x, dout, gamma, beta, eps):
    """Training-mode BN on x (M, D) with autograd: (mean, biased var, y, dx, dgamma, dbeta)."""
    xt = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    g = torch.tensor(gamma, dtype=torch.float64, requires_grad=True)
    b = torch.tensor(beta, dtype=torch.float64, requires_grad=True)
    y = tF.batch_norm(xt, None, None, g, b, training=True, eps=eps)
    y.backward(torch.tensor(dout, dtype=torch.float64))
    var = xt.detach().var(dim=0, unbiased=False)
    return (xt.detach().mean(dim=0).numpy(), var.numpy(), y.detach().numpy(), xt.grad.numpy(), g.grad.numpy(),
            b.grad.numpy())


def _batch(seed, m=12, d=3, shift=0.0):
    rng = np.random.default_rng(seed)
    return (shift + rng.standard_normal((m, d)), rng.standard_normal((m, d)), 1 + 0.3 * rng.standard_normal(d),
            rng.standard_normal(d))


@pytest.mark.parametrize("k", [1, 2, 3, 4, 6])
@pytest.mark.parametrize("seed", range(3))
def test_sync_bn_equals_torch_bn_on_the_whole_batch(k, seed):
    x, dout, g, b = _batch(seed, shift=3.0 * seed)
    s = Y.sync_bn(x, g, b, dout, 1e-5, k)
    mean, var, y, dx, dg, db = torch_bn(x, dout, g, b, 1e-5)
    for ours, ref in ((s.mean, mean), (s.var, var), (s.y, y), (s.dx, dx), (s.dgamma, dg), (s.dbeta, db)):
        np.testing.assert_allclose(ours, ref, rtol=0, atol=TOL)
    np.testing.assert_allclose(s.paths["xhat"] + s.paths["var"] + s.paths["mu"], dx, rtol=0, atol=TOL)
    # what each device sent: its own slice's sums
    for n, part in enumerate(np.split(x, k)):
        np.testing.assert_allclose(s.sums["x"][n], part.sum(axis=0), rtol=0, atol=TOL)


@pytest.mark.parametrize("k", [2, 4])
def test_per_device_bn_is_torch_bn_on_each_slice_and_differs_from_sync(k):
    x, dout, g, b = _batch(7, m=8)
    per = Y.per_device(x, g, b, dout, 1e-5, k)
    for dev, xs, ds in zip(per, np.split(x, k), np.split(dout, k), strict=True):
        mean, var, _y, dx, _dg, _db = torch_bn(xs, ds, g, b, 1e-5)
        np.testing.assert_allclose(dev.mean, mean, rtol=0, atol=TOL)
        np.testing.assert_allclose(dev.var, var, rtol=0, atol=TOL)
        np.testing.assert_allclose(dev.dx, dx, rtol=0, atol=TOL)
    whole_dx = torch_bn(x, dout, g, b, 1e-5)[3]
    assert np.abs(np.concatenate([d.dx for d in per]) - whole_dx).max() > 1e-3


def test_group_norm_matches_torch_and_ignores_the_split():
    x, dout, g, b = _batch(3, m=8, d=4)
    run = Y.group_norm(x, g, b, dout, 1e-5, 2, 4)
    xt = torch.tensor(x, requires_grad=True)
    y = tF.group_norm(xt, 2, torch.tensor(g), torch.tensor(b), eps=1e-5)
    y.backward(torch.tensor(dout))
    np.testing.assert_allclose(run.y, y.detach().numpy(), rtol=0, atol=TOL)
    np.testing.assert_allclose(run.dx, xt.grad.numpy(), rtol=0, atol=TOL)
    np.testing.assert_allclose(np.concatenate(run.device_dx), run.dx, rtol=0, atol=TOL)


def test_device_counts_that_do_not_split_the_batch_are_input_errors():
    x, dout, g, b = _batch(0, m=6)
    for k in (0, 4, 9):
        with pytest.raises(InputError):
            Y.sync_bn(x, g, b, dout, 1e-5, k)
    assert Y.divisors(12) == (1, 2, 3, 4, 6)


def test_small_slices_scatter_the_estimates():
    x = np.random.default_rng(5).standard_normal((8, 2))
    sp_ = Y.estimate_spread(x, (1, 2, 4, 8))
    assert sp_["mean_dev"][0] == 0 and sp_["var_ratio"][0] == pytest.approx(1.0) and sp_["var_ratio"][-1] == 0
    # recomputed independently for k = 2
    halves = x[:4], x[4:]
    dev = np.mean([np.abs(h.mean(axis=0) - x.mean(axis=0)) for h in halves])
    assert sp_["mean_dev"][1] == pytest.approx(dev, abs=1e-14)


@pytest.mark.parametrize("settings", [Settings(), Settings(m=6, d=4, dist="shifted", seed=2), Settings(m=3, d=1)])
def test_lesson_steps(settings):
    w = lesson.walkthrough(settings, "zh")
    assert [s.key for s in w.steps] == list(lesson.STEPS)
    v = {k: val for s in w.steps for k, val in s.values.items()}
    assert float(v["max_diff"]) < 1e-12 and float(v["gn_diff"]) < 1e-12
    x, dout = v["x"], v["dout"]
    ref = torch_bn(x, dout, np.full(x.shape[1], settings.gamma), np.full(x.shape[1], settings.beta), settings.eps)
    np.testing.assert_allclose(v["dx"], ref[3], rtol=0, atol=TOL)
    np.testing.assert_allclose(v["mu"], ref[0], rtol=0, atol=TOL)


def test_lesson_with_one_sample_has_zero_gradient():
    """torch refuses m = 1 in training; BN's ∂L/∂x is then 0 (x̂ = 0 whatever x is)."""
    w = lesson.walkthrough(Settings(m=1, d=2), "en")
    v = {k: val for s in w.steps for k, val in s.values.items()}
    assert np.all(v["dx"] == 0) and v["devices"].tolist() == [1.0]


def test_lesson_refuses_bad_controls():
    with pytest.raises(InputError):
        lesson.walkthrough(Settings(m=8), "en", devices=3)
    with pytest.raises(InputError):
        lesson.walkthrough(Settings(d=3), "en", groups=2)


def test_sync_figures_are_valid_plotly():
    go.Figure(fig.device_means(np.arange(3.0), 1.0, "t", "d", ("a", "b")))
    go.Figure(fig.spread_figure(np.array([1.0, 2.0]), np.array([0.0, 0.1]), np.array([1.0, 0.5]), "t", "k", ("a", "b")))
    go.Figure(fig.dx_compare(np.arange(4.0), np.arange(4.0), np.arange(4.0), "t", "i", ("a", "b", "c")))


def test_the_value_names_carry_no_english_words_in_chinese():
    """The sync tables' headers in zh: formulas and the methods' proper names only (they were English words)."""
    names = {"GroupNorm", "SyncBN", "max"}  # proper names and the operator
    for key, label in lesson.labels("zh").items():
        words = set(re.findall(r"[A-Za-z]{3,}", label))
        assert words <= names, (key, label)
    assert lesson.labels("en")["dx_whole"] == "∂L/∂x (one device, whole batch)"
