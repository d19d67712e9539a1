"""Folding test-mode BN into the preceding affine / conv layer, against PyTorch in float64.

Oracle: torch's F.linear / F.conv2d followed by F.batch_norm(training=False), and the
same torch layer with the folded weights; outputs equal to 1e-12.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objs as go
import pytest
import sympy as sp
import torch
import torch.nn.functional as tF
from hypothesis import given, settings
from hypothesis import strategies as st

from bnviz import course
from bnviz.figures import practice as fig
from bnviz.i18n import InputError
from bnviz.lessons import fold as lesson
from bnviz.ops import fold as F
from bnviz.settings import Settings
from bnviz.symbolic import symbols as S

torch.set_default_dtype(torch.float64)


def _params(rng, n):
    return (rng.standard_normal(n), 1 + 0.5 * rng.standard_normal(n), rng.standard_normal(n),
            rng.standard_normal(n), rng.uniform(0.1, 3.0, n))


def _torch_bn(z, g, be, rm, rv, eps):
    return tF.batch_norm(z, torch.tensor(rm), torch.tensor(rv), torch.tensor(g), torch.tensor(be), training=False,
                         eps=eps)


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("eps", [1e-5, 1e-3, 0.0])
def test_affine_fold_matches_torch(seed, eps):
    rng = np.random.default_rng(seed)
    d_in, d_out, m = 4, 3, 7
    x, w = rng.standard_normal((m, d_in)), rng.standard_normal((d_in, d_out))
    b, g, be, rm, rv = _params(rng, d_out)
    f = F.fold(w, b, g, be, rm, rv, eps)
    xt = torch.tensor(x)
    unfolded = _torch_bn(tF.linear(xt, torch.tensor(w.T), torch.tensor(b)), g, be, rm, rv, eps).numpy()
    folded = tF.linear(xt, torch.tensor(f.w_fold.T), torch.tensor(f.b_fold)).numpy()
    np.testing.assert_allclose(folded, unfolded, rtol=0, atol=1e-12)
    assert f.layer == "affine" and f.w_fold.shape == w.shape and f.b_fold.shape == (d_out,)


@pytest.mark.parametrize("seed", range(5))
def test_conv_fold_matches_torch(seed):
    rng = np.random.default_rng(100 + seed)
    x, w = rng.standard_normal((2, 3, 6, 5)), rng.standard_normal((4, 3, 3, 2))
    b, g, be, rm, rv = _params(rng, 4)
    eps = 1e-5
    f = F.fold(w, b, g, be, rm, rv, eps)
    xt = torch.tensor(x)
    unfolded = _torch_bn(tF.conv2d(xt, torch.tensor(w), torch.tensor(b)), g, be, rm, rv, eps).numpy()
    folded = tF.conv2d(xt, torch.tensor(f.w_fold), torch.tensor(f.b_fold)).numpy()
    np.testing.assert_allclose(folded, unfolded, rtol=0, atol=1e-12)
    # and the library's own forward agrees with torch's
    np.testing.assert_allclose(F.bn_test_forward(F.layer_forward(x, w, b), f), unfolded, rtol=0, atol=1e-12)
    np.testing.assert_allclose(F.layer_forward(x, f.w_fold, f.b_fold), folded, rtol=0, atol=1e-12)


def test_the_rule_is_derived_and_reads_as_the_textbook_one():
    g = F.SYM
    for layer in F.LAYERS:
        d = F.derivation(layer)
        assert d.check == 0
        assert sp.simplify(d.scale - g["gamma"] / sp.sqrt(g["var"] + S.eps)) == 0
        assert sp.simplify(d.bias - ((g["b"] - g["mu"]) * d.scale + g["beta"])) == 0
        assert d.composed.has(F.SYM["W"]) and d.folded_lin.has(F.SYM["Wf"])


def test_scalar_parameters_broadcast_and_bad_input_is_an_input_error():
    w = np.ones((2, 3))
    f = F.fold(w, 0.0, 2.0, 1.0, 0.0, 3.0, 1.0)
    np.testing.assert_allclose(f.w_fold, np.ones((2, 3)))
    np.testing.assert_allclose(f.b_fold, np.ones(3))
    bad = [
        dict(w=np.ones(3)), dict(w=np.ones((1, 2, 3))), dict(b=np.ones(2)), dict(running_var=-np.ones(3)),
        dict(running_var=np.zeros(3), eps=0.0), dict(gamma=np.array([1.0, np.nan, 1.0])), dict(eps=-1.0),
    ]
    base = dict(w=w, b=0.0, gamma=1.0, beta=0.0, running_mean=0.0, running_var=1.0, eps=1e-5)
    for change in bad:
        with pytest.raises(InputError):
            F.fold(**{**base, **change})


@pytest.mark.parametrize("layer", F.LAYERS)
def test_lesson_steps_and_values(layer):
    s = Settings(seed=4, gamma=1.5, beta=-0.5)
    w = lesson.walkthrough(s, "en", layer=layer, d_out=2)
    assert [st.key for st in w.steps] == [f"forward.{n}" for n in lesson.STEPS]
    assert float(w.steps[-1].values["max_diff"]) < 1e-12
    # the shown folded weights are W·γ/√(σ²_run + ε), recomputed here
    v = {k: val for st in w.steps for k, val in st.values.items()}
    scale = 1.5 / np.sqrt(v["running_var"] + s.eps)
    shaped = scale[None, :] if layer == "affine" else scale[:, None, None, None]
    np.testing.assert_allclose(v["w_fold"], v["w"] * shaped, rtol=0, atol=1e-12)
    np.testing.assert_allclose(v["b_fold"], (v["b"] - v["running_mean"]) * scale - 0.5, rtol=0, atol=1e-12)
    assert all(st.latex for st in w.steps)
    assert course.lesson("fold") in course.available()


def test_lesson_refuses_bad_controls():
    for kw in (dict(layer="dense"), dict(d_out=0), dict(d_out=99)):
        with pytest.raises(InputError):
            lesson.walkthrough(Settings(), "en", **kw)


def test_fold_figure_is_valid_plotly():
    go.Figure(fig.fold_scatter(np.arange(6.0).reshape(2, 3), np.arange(6.0).reshape(2, 3), "t", "x", "y"))


@settings(max_examples=40, deadline=None)
@given(d_in=st.integers(1, 5), d_out=st.integers(1, 5), m=st.integers(1, 6), seed=st.integers(0, 2**31 - 1),
       eps=st.sampled_from([0.0, 1e-5, 1e-2, 1.0]))
def test_fold_property_any_affine_shape(d_in, d_out, m, seed, eps):
    rng = np.random.default_rng(seed)
    x, w = rng.standard_normal((m, d_in)), rng.standard_normal((d_in, d_out))
    b, g, be, rm, rv = _params(rng, d_out)
    f = F.fold(w, b, g, be, rm, rv, eps)
    ref = _torch_bn(tF.linear(torch.tensor(x), torch.tensor(w.T), torch.tensor(b)), g, be, rm, rv, eps).numpy()
    np.testing.assert_allclose(x @ f.w_fold + f.b_fold, ref, rtol=0, atol=1e-12)
