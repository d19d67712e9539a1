"""Conv and pooling layers (bnviz.ops.conv, bnviz.ops.pool), their lessons and their animations.

The oracle is PyTorch in float64 (torch.nn.functional conv2d, max_pool2d,
avg_pool2d and autograd), independent of bnviz; finite differences check the
gradients without any framework. Tolerance: 1e-10 (the float64 agreement the
architecture asks for). Shapes: every geometry PyTorch accepts bnviz accepts
and matches; every geometry PyTorch refuses bnviz refuses with a sentence.
"""

from __future__ import annotations

import itertools
import json

import numpy as np
import plotly.graph_objs as go
import pytest
import sympy as sp
import torch
import torch.nn.functional as tF
from hypothesis import given, settings
from hypothesis import strategies as st

from bnviz import course
from bnviz.figures import conv as figs
from bnviz.figures import pool as pool_figs
from bnviz.i18n import InputError, catalog, t
from bnviz.lessons import conv as conv_lesson
from bnviz.lessons import pool as pool_lesson
from bnviz.lessons import pool_problem
from bnviz.lessons.windowed import params_from
from bnviz.numfmt import lnum
from bnviz.ops import conv, pool
from bnviz.ops.windows import K_
from bnviz.settings import Settings

TOL = 1e-10


def torch_conv(x, w, b, dout, stride, pad):
    """(out, dx, dw, db) from PyTorch autograd of sum(dout * conv2d(x, w, b))."""
    tx, tw, tb = (torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in (x, w, b))
    out = tF.conv2d(tx, tw, tb, stride=stride, padding=pad)
    (out * torch.tensor(dout)).sum().backward()
    return out.detach().numpy(), tx.grad.numpy(), tw.grad.numpy(), tb.grad.numpy()


def torch_pool(x, dout, size, stride, kind, pad=0, ceil_mode=False, count_include_pad=True):
    """(out, dx) of max_pool2d / avg_pool2d and autograd."""
    tx = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    if kind == "max":
        out = tF.max_pool2d(tx, size, stride, pad, ceil_mode=ceil_mode)
    else:
        out = tF.avg_pool2d(tx, size, stride, pad, ceil_mode=ceil_mode, count_include_pad=count_include_pad)
    (out * torch.tensor(dout)).sum().backward()
    return out.detach().numpy(), tx.grad.numpy()


def torch_pool_shape(shape, size, stride, kind, pad=0, ceil_mode=False, count_include_pad=True):
    """PyTorch's output shape, or None where PyTorch refuses the geometry."""
    x = torch.zeros(shape, dtype=torch.float64)
    try:
        if kind == "max":
            return tuple(tF.max_pool2d(x, size, stride, pad, ceil_mode=ceil_mode).shape)
        return tuple(tF.avg_pool2d(x, size, stride, pad, ceil_mode=ceil_mode,
                                   count_include_pad=count_include_pad).shape)
    except RuntimeError:
        return None


def torch_conv_shape(x_shape, w_shape, stride, pad):
    """PyTorch's conv2d output shape, or None where PyTorch refuses it."""
    try:
        return tuple(tF.conv2d(torch.zeros(x_shape, dtype=torch.float64), torch.zeros(w_shape, dtype=torch.float64),
                               stride=stride, padding=pad).shape)
    except RuntimeError:
        return None


CONV_CASES = [  # N, C, F, H, W, HH, WW, S, P
    (1, 1, 1, 3, 3, 2, 2, 1, 0), (1, 1, 1, 4, 4, 2, 2, 2, 0), (2, 3, 2, 5, 5, 3, 3, 2, 1), (1, 2, 3, 7, 7, 3, 3, 1, 1),
    (3, 1, 2, 6, 5, 2, 3, 2, 1), (2, 3, 3, 7, 7, 3, 3, 2, 0), (1, 1, 1, 4, 4, 3, 3, 1, 1), (2, 2, 2, 8, 6, 4, 2, 2, 0),
    (1, 3, 1, 5, 7, 1, 1, 2, 0), (1, 1, 2, 3, 3, 3, 3, 1, 0),
]


def arrays(case, rng):
    n, c, f, h, w, hh, ww, s, p = case
    ho, wo = (h + 2 * p - hh) // s + 1, (w + 2 * p - ww) // s + 1
    return (rng.standard_normal((n, c, h, w)), rng.standard_normal((f, c, hh, ww)), rng.standard_normal(f),
            rng.standard_normal((n, f, ho, wo)), s, p)


# ------------------------------------------------------------ conv vs torch --


@pytest.mark.parametrize("case", CONV_CASES, ids=lambda c: "N{}C{}F{}_{}x{}_k{}x{}_s{}p{}".format(*c))
def test_conv_forward_and_backward_match_torch(case, rng):
    x, w, b, dout, s, p = arrays(case, rng)
    out, cache = conv.forward(x, w, b, s, p)
    dx, dw, db = conv.backward(dout, cache)
    t_out, t_dx, t_dw, t_db = torch_conv(x, w, b, dout, s, p)
    for mine, ref in ((out, t_out), (dx, t_dx), (dw, t_dw), (db, t_db)):
        assert mine.shape == ref.shape and mine.dtype == np.float64
        assert np.max(np.abs(mine - ref)) < TOL


@pytest.mark.parametrize("case", CONV_CASES, ids=lambda c: "N{}C{}F{}_{}x{}_k{}x{}_s{}p{}".format(*c))
def test_full_convolution_and_scatter_views_agree_with_torch(case, rng):
    x, w, b, dout, s, p = arrays(case, rng)
    t_dx = torch_conv(x, w, b, dout, s, p)[1]
    full = conv.dx_full_conv(dout, w, s, p, x.shape[2:])
    scatter = conv.dx_scatter(dout, w, s, p, x.shape[2:])
    assert np.max(np.abs(full - t_dx)) < TOL
    assert np.max(np.abs(scatter - t_dx)) < TOL
    assert np.max(np.abs(full - scatter)) < TOL
    assert np.max(np.abs(conv.dx_by_channel(dout, w, s, p, x.shape[2:]).sum(axis=1) - t_dx)) < TOL
    assert np.max(np.abs(conv.forward_by_channel(x, w, s, p).sum(axis=2) + b[None, :, None, None]
                         - torch_conv(x, w, b, dout, s, p)[0])) < TOL


def test_full_convolution_is_the_rotated_filter_over_the_dilated_padded_gradient(rng):
    """Written out with explicit loops, independently of bnviz's einsum."""
    x, w, b, dout, s, p = arrays((1, 2, 2, 5, 5, 3, 3, 2, 1), rng)
    hh, ww = w.shape[2:]
    ho, wo = dout.shape[2:]
    dil = np.zeros((1, 2, s * (ho - 1) + 1, s * (wo - 1) + 1))
    dil[:, :, ::s, ::s] = dout
    dpad = np.pad(dil, ((0, 0), (0, 0), (hh - 1, hh - 1), (ww - 1, ww - 1)))
    rot = w[:, :, ::-1, ::-1]
    full = np.zeros((1, 2, 7, 7))
    for c, k, q in itertools.product(range(2), range(7), range(7)):
        full[0, c, k, q] = sum((rot[f, c] * dpad[0, f, k:k + hh, q:q + ww]).sum() for f in range(2))
    assert np.max(np.abs(conv.dxpad_full_conv(dout, w, s, (7, 7)) - full)) < TOL
    assert np.max(np.abs(full[:, :, p:-p, p:-p] - torch_conv(x, w, b, dout, s, p)[1])) < TOL
    assert np.array_equal(conv.rot180(w), np.rot90(w, 2, axes=(2, 3)))


def test_dw_is_the_valid_cross_correlation_of_x_with_the_gradient(rng):
    x, w, b, dout, s, p = arrays((2, 2, 3, 6, 6, 2, 2, 2, 1), rng)
    got = conv.dw_valid_xcorr(x, dout, s, p, 2, 2)
    assert np.max(np.abs(got - torch_conv(x, w, b, dout, s, p)[2])) < TOL


def test_conv_gradients_match_finite_differences(rng):
    x, w, b, dout, s, p = arrays((1, 2, 2, 4, 4, 3, 3, 1, 1), rng)
    _, cache = conv.forward(x, w, b, s, p)
    dx, dw, db = conv.backward(dout, cache)
    h = 1e-6

    def loss(x_, w_, b_):
        return float(np.sum(conv.forward(x_, w_, b_, s, p)[0] * dout))

    for arr, grad, pos in ((x, dx, 0), (w, dw, 1), (b, db, 2)):
        num = np.zeros_like(arr)
        for idx in np.ndindex(arr.shape):
            args = [x.copy(), w.copy(), b.copy()]
            args[pos][idx] += h
            up = loss(*args)
            args[pos][idx] -= 2 * h
            num[idx] = (up - loss(*args)) / (2 * h)
        assert np.max(np.abs(num - grad)) < 1e-7


@settings(max_examples=60, deadline=None)
@given(n=st.integers(1, 2), c=st.integers(1, 3), f=st.integers(1, 3), h=st.integers(1, 8), w=st.integers(1, 8),
       hh=st.integers(1, 4), ww=st.integers(1, 4), s=st.integers(1, 3), p=st.integers(0, 2),
       seed=st.integers(0, 2**16))
def test_any_fitting_shape_matches_torch_and_both_views_agree(n, c, f, h, w, hh, ww, s, p, seed):
    rng = np.random.default_rng(seed)
    x, wt, b = rng.standard_normal((n, c, h, w)), rng.standard_normal((f, c, hh, ww)), rng.standard_normal(f)
    if torch_conv_shape(x.shape, wt.shape, s, p) is None:
        with pytest.raises(InputError) as err:
            conv.forward(x, wt, b, s, p)
        assert err.value.key == "error.conv.filter_too_big"
        return
    out, cache = conv.forward(x, wt, b, s, p)
    dout = rng.standard_normal(out.shape)
    dx, dw, db = conv.backward(dout, cache)
    t_out, t_dx, t_dw, t_db = torch_conv(x, wt, b, dout, s, p)
    assert np.max(np.abs(out - t_out)) < TOL and np.max(np.abs(dx - t_dx)) < TOL
    assert np.max(np.abs(dw - t_dw)) < TOL and np.max(np.abs(db - t_db)) < TOL
    assert np.max(np.abs(conv.dx_scatter(dout, wt, s, p, x.shape[2:]) - dx)) < TOL


# ---------------------------------------------------------- pooling vs torch --

POOL_CASES = [(2, 2), (2, 1), (3, 1), (3, 2), (3, 3), (1, 1), (4, 2)]


@pytest.mark.parametrize("kind", ["max", "avg"])
@pytest.mark.parametrize("size,stride", POOL_CASES)
@pytest.mark.parametrize("values", ["normal", "ties"])
def test_pooling_matches_torch_including_ties_and_overlaps(kind, size, stride, values, rng):
    h = size + 2 * stride + (0 if stride else 0)
    shape = (2, 3, h, h + stride)
    x = rng.standard_normal(shape) if values == "normal" else rng.integers(-1, 2, shape).astype(float)
    out, cache = pool.forward(x, size, stride, kind)
    dout = rng.standard_normal(out.shape)
    dx = pool.backward(dout, cache)
    t_out, t_dx = torch_pool(x, dout, size, stride, kind)
    assert np.max(np.abs(out - t_out)) < TOL
    assert np.max(np.abs(dx - t_dx)) < TOL


def test_the_tie_rule_is_the_first_maximum_in_row_major_order_like_torch():
    x = np.array([[[[1.0, 3.0, 3.0], [3.0, 2.0, 3.0], [0.0, 3.0, 1.0]]]])
    out, cache = pool.forward(x, 2, 1, "max")
    # every window ties; the first maximum in row-major order wins: flat index in its window
    assert cache[2][0, 0].tolist() == [[1, 0], [0, 1]]
    dx = pool.backward(np.ones_like(out), cache)
    t_dx = torch_pool(x, np.ones_like(out), 2, 1, "max")[1]
    assert np.array_equal(dx, t_dx)
    assert dx[0, 0].tolist() == [[0, 2, 0], [1, 0, 1], [0, 0, 0]]  # overlaps accumulate: (0,1) won twice
    flat = np.zeros((1, 1, 2, 2))
    _, c2 = pool.forward(flat, 2, 2, "max")
    assert pool.backward(np.full((1, 1, 1, 1), 5.0), c2)[0, 0].tolist() == [[5, 0], [0, 0]]


def test_pool_gradients_match_finite_differences(rng):
    x = rng.standard_normal((1, 2, 5, 5))
    for kind, size, stride, pad, ceil in (("max", 3, 1, 0, False), ("avg", 3, 1, 1, False), ("max", 3, 2, 1, True),
                                          ("avg", 2, 2, 1, True), ("avg", 2, 3, 0, False)):
        out, cache = pool.forward(x, size, stride, kind, pad, ceil)
        dout = rng.standard_normal(out.shape)
        dx = pool.backward(dout, cache)
        h = 1e-7
        num = np.zeros_like(x)
        for idx in np.ndindex(x.shape):
            up, down = x.copy(), x.copy()
            up[idx] += h
            down[idx] -= h
            num[idx] = (np.sum(pool.forward(up, size, stride, kind, pad, ceil)[0] * dout)
                        - np.sum(pool.forward(down, size, stride, kind, pad, ceil)[0] * dout)) / (2 * h)
        assert np.max(np.abs(num - dx)) < 1e-6, kind


@settings(max_examples=80, deadline=None)
@given(h=st.integers(1, 9), w=st.integers(1, 9), k=st.integers(1, 4), s=st.integers(1, 4), p=st.integers(0, 2),
       ceil=st.booleans(), include=st.booleans(), kind=st.sampled_from(["max", "avg"]), ties=st.booleans(),
       seed=st.integers(0, 2**16))
def test_any_pooling_torch_accepts_matches_torch(h, w, k, s, p, ceil, include, kind, ties, seed):
    rng = np.random.default_rng(seed)
    x = rng.integers(-1, 2, (1, 2, h, w)).astype(float) if ties else rng.standard_normal((1, 2, h, w))
    if torch_pool_shape(x.shape, k, s, kind, p, ceil, include) is None:
        with pytest.raises(InputError) as err:
            pool.forward(x, k, s, kind, p, ceil, include)
        assert err.value.key in ("error.conv.pool_too_big", "error.conv.pool_pad_half")
        return
    out, cache = pool.forward(x, k, s, kind, p, ceil, include)
    dout = rng.standard_normal(out.shape)
    t_out, t_dx = torch_pool(x, dout, k, s, kind, p, ceil, include)
    assert out.shape == t_out.shape
    assert np.max(np.abs(out - t_out)) < TOL
    assert np.max(np.abs(pool.backward(dout, cache) - t_dx)) < TOL


GRID = list(itertools.product(range(1, 8), range(1, 5), range(1, 4), range(0, 3)))
"""H, K, S, P: every combination (non-divisible shapes included), W = H + 1."""


@pytest.mark.parametrize("ceil", [False, True], ids=["floor", "ceil"])
@pytest.mark.parametrize("kind,include", [("max", True), ("avg", True), ("avg", False)])
def test_pooling_over_a_grid_of_shapes_matches_torch_or_is_refused_like_torch(kind, include, ceil, rng):
    accepted = refused = 0
    for h, k, s, p in GRID:
        shape = (2, 2, h, h + 1)
        want = torch_pool_shape(shape, k, s, kind, p, ceil, include)
        if want is None:
            with pytest.raises(InputError):
                pool.forward(np.zeros(shape), k, s, kind, p, ceil, include)
            refused += 1
            continue
        x = rng.integers(-1, 2, shape).astype(float)  # many ties
        out, cache = pool.forward(x, k, s, kind, p, ceil, include)
        dout = rng.standard_normal(out.shape)
        t_out, t_dx = torch_pool(x, dout, k, s, kind, p, ceil, include)
        assert out.shape == want
        assert np.max(np.abs(out - t_out)) < TOL, (h, k, s, p)
        assert np.max(np.abs(pool.backward(dout, cache) - t_dx)) < TOL, (h, k, s, p)
        accepted += 1
    assert accepted > 100 and refused > 10


def test_conv_over_a_grid_of_shapes_matches_torch_or_is_refused_like_torch(rng):
    accepted = dropped = 0
    for h, k, s, p in GRID:
        x, w, b = rng.standard_normal((2, 2, h, h + 1)), rng.standard_normal((3, 2, k, k)), rng.standard_normal(3)
        if torch_conv_shape(x.shape, w.shape, s, p) is None:
            with pytest.raises(InputError):
                conv.forward(x, w, b, s, p)
            continue
        out, cache = conv.forward(x, w, b, s, p)
        dout = rng.standard_normal(out.shape)
        got = conv.backward(dout, cache)
        want = torch_conv(x, w, b, dout, s, p)
        assert out.shape == want[0].shape
        for mine, ref in zip((out, *got), want, strict=True):
            assert np.max(np.abs(mine - ref)) < TOL, (h, k, s, p)
        assert np.max(np.abs(conv.dx_scatter(dout, w, s, p, x.shape[2:]) - want[1])) < TOL
        accepted += 1
        dropped += (h + 2 * p - k) % s != 0
    assert accepted > 100 and dropped > 30


def test_the_resnet_stem_pool():
    """112×112, 3×3 max pooling, stride 2, padding 1 -> 56×56 (ResNet's stem)."""
    x = np.random.default_rng(0).standard_normal((1, 1, 112, 112))
    out, cache = pool.forward(x, 3, 2, "max", 1)
    dout = np.ones(out.shape)
    t_out, t_dx = torch_pool(x, dout, 3, 2, "max", 1)
    assert out.shape == (1, 1, 56, 56)
    assert np.max(np.abs(out - t_out)) < TOL and np.max(np.abs(pool.backward(dout, cache) - t_dx)) < TOL


def test_dropped_and_overhanging_cells():
    # floor: (5 − 2) / 2 is not whole: the last row and column are in no window and get no gradient
    x = np.arange(25.0).reshape(1, 1, 5, 5)
    out, cache = pool.forward(x, 2, 2, "avg")
    assert out.shape == (1, 1, 2, 2)
    layer = cache[1]
    assert (layer.rows.dropped, layer.cols.dropped) == (1, 1)
    assert np.all(pool.backward(np.ones(out.shape), cache)[0, 0, 4, :] == 0)
    # ceil mode: a third window starting at 4 hangs past the input; its divisor counts only what exists
    out, cache = pool.forward(x, 2, 2, "avg", 0, True)
    assert out.shape == (1, 1, 3, 3) and cache[1].rows.overhang == 1
    assert out[0, 0, 2, 2] == x[0, 0, 4, 4] and cache[1].divisors()[2, 2] == 1
    # conv: the dropped row's gradient is zero, and dL/dO's dilation carries the dropped row as zeros
    w = np.ones((1, 1, 3, 3))
    out, cache = conv.forward(np.ones((1, 1, 4, 4)), w, np.zeros(1), 2, 0)
    dx = conv.backward(np.ones(out.shape), cache)[0]
    assert out.shape == (1, 1, 1, 1) and np.all(dx[0, 0, 3, :] == 0) and np.all(dx[0, 0, :3, :3] == 1)
    assert conv.full_input(np.ones(out.shape), w, 2, (4, 4)).shape == (1, 1, 6, 6)


# --------------------------------------------------------------- bad input --

BAD = {
    "error.conv.rank": lambda: conv.forward(np.ones((3, 3)), np.ones((1, 1, 2, 2)), np.zeros(1)),
    "error.conv.channels": lambda: conv.forward(np.ones((1, 2, 4, 4)), np.ones((1, 3, 2, 2)), np.zeros(1)),
    "error.conv.filter_too_big": lambda: conv.forward(np.ones((1, 1, 2, 2)), np.ones((1, 1, 3, 3)), np.zeros(1)),
    "error.conv.pool_pad_half": lambda: pool.forward(np.ones((1, 1, 4, 4)), 2, 2, "max", 2),
    "error.conv.pool_too_big": lambda: pool.forward(np.ones((1, 1, 2, 2)), 4, 1, "max"),
    "error.conv.not_finite": lambda: conv.forward(np.full((1, 1, 3, 3), np.nan), np.ones((1, 1, 2, 2)),
                                                       np.zeros(1)),
    "error.conv.bias": lambda: conv.forward(np.ones((1, 1, 3, 3)), np.ones((2, 1, 2, 2)), np.zeros(3)),
    "error.conv.bad_int": lambda: conv.forward(np.ones((1, 1, 3, 3)), np.ones((1, 1, 2, 2)), np.zeros(1), 0),
    "error.conv.dtype": lambda: conv.forward(np.array([[[["a"]]]]), np.ones((1, 1, 1, 1)), np.zeros(1)),
    "error.conv.empty": lambda: conv.forward(np.ones((1, 1, 0, 3)), np.ones((1, 1, 1, 1)), np.zeros(1)),
    "error.conv.too_large": lambda: conv.forward(np.full((1, 1, 2, 2), 1e200), np.ones((1, 1, 1, 1)),
                                                      np.zeros(1)),
    "error.conv.dout_shape": lambda: conv.backward(
        np.ones((1, 1, 2, 2)), conv.forward(np.ones((1, 1, 4, 4)), np.ones((1, 1, 2, 2)), np.zeros(1))[1]),
    "error.conv.pool_kind": lambda: pool.forward(np.ones((1, 1, 4, 4)), 2, 2, "min"),
    "error.conv.too_big": lambda: conv.forward(np.ones((1, 1, 400, 400)), np.ones((1, 1, 9, 9)), np.zeros(1)),
}


@pytest.mark.parametrize("key", BAD)
def test_bad_input_raises_a_catalog_sentence_in_both_languages(key):
    with pytest.raises(InputError) as err:
        BAD[key]()
    assert err.value.key == key
    assert err.value.message("en") != err.value.message("zh")
    assert "{" not in err.value.message("zh")


def test_a_stride_that_does_not_divide_is_floored_like_torch():
    out, _ = conv.forward(np.ones((1, 1, 4, 4)), np.ones((1, 1, 3, 3)), np.zeros(1), 2, 0)
    assert out.shape == (1, 1, 1, 1)
    with pytest.raises(InputError) as err:
        conv.forward(np.ones((1, 1, 2, 2)), np.ones((1, 1, 3, 3)), np.zeros(1), 1, 0)
    assert "2 + 2·0 = 2" in err.value.message("en")


# ----------------------------------------------------------------- SymPy --


@pytest.mark.parametrize("size,filt,stride,pad", list(itertools.product(range(3, 8), (2, 3), (1, 2), (0, 1))))
def test_sympy_full_convolution_equals_the_derived_chain_rule_for_every_page_size(size, filt, stride, pad):
    cc = conv.concrete(size, size, filt, filt, stride, pad)
    assert cc.agree
    assert cc.dX_full_pad.shape == (size + 2 * pad, size + 2 * pad)


def test_sympy_expressions_evaluate_to_the_numpy_numbers():
    p = conv_lesson.page_problem(3, conv_lesson.ConvParams(size=5, filt=3, stride=2, pad=1, values="decimals"))
    cc = conv.concrete(5, 5, 3, 3, 2, 1)
    subs = {cc.X[r, s]: p.x[0, 0, r, s] for r in range(5) for s in range(5)}
    subs |= {cc.F[a, b]: p.w[0, 0, a, b] for a in range(3) for b in range(3)}
    subs |= {cc.D[i, j]: p.dout[0, 0, i, j] for i in range(3) for j in range(3)}

    def num(m):
        return np.array(m.xreplace(subs).evalf(), dtype=float)

    assert np.max(np.abs(num(cc.out.subs(conv.BIAS[1], p.b[0])) - p.out[0, 0])) < TOL  # the bias included
    assert np.max(np.abs(num(cc.dX) - p.dx[0, 0])) < TOL
    assert np.max(np.abs(num(cc.dF) - p.dw[0, 0])) < TOL
    assert np.max(np.abs(num(cc.D_pad) - p.dout_pad[0, 0])) < TOL
    assert np.max(np.abs(num(cc.F_rot) - p.w_rot[0, 0])) < TOL


def test_sympy_derives_the_local_derivatives():
    d = conv.derivation()
    assert sp.latex(d.dO_dX) == r"{F}_{f,c,k - S \left(i - 1\right),l - S \left(j - 1\right)}"
    assert d.dO_db == 1
    assert isinstance(d.dL_dF, sp.Sum) and isinstance(d.dL_dX, sp.Sum)
    i, j = sp.Symbol("i", integer=True, positive=True), sp.Symbol("j", integer=True, positive=True)
    assert pool.derivation().avg_local == 1 / pool.DIVISOR[i, j]
    assert K_ not in pool.derivation().avg_local.free_symbols
    cc = pool.concrete(2)
    assert cc.davg == sp.Matrix(2, 2, [sp.Rational(1, 4)] * 4)
    # the tie rule in the math: the first maximum in row-major order gets all of the derivative
    assert pool.max_derivative_at(np.array([[3.0, 3.0], [1.0, 2.0]])) == sp.Matrix([[1, 0], [0, 0]])
    assert pool.max_derivative_at(np.array([[1.0, 2.0], [2.0, 2.0]])) == sp.Matrix([[0, 1], [0, 0]])
    assert pool.max_derivative_at(np.array([[0.1, 0.3], [0.2, -1.0]])) == sp.Matrix([[0, 1], [0, 0]])


def test_the_first_maximum_selector_is_the_max_and_agrees_with_torch_at_ties(rng):
    cc = pool.concrete(3)
    for _ in range(20):
        vals = rng.integers(-1, 2, (3, 3)).astype(float)  # ties in most windows
        subs = {cc.window[r, s]: int(vals[r, s]) for r in range(3) for s in range(3)}
        assert float(cc.O_max.xreplace(subs)) == vals.max()
        got = np.array(pool.max_derivative_at(vals), dtype=float)
        want = torch_pool(vals[None, None], np.ones((1, 1, 1, 1)), 3, 3, "max")[1][0, 0]
        assert np.array_equal(got, want)


# ------------------------------------------------------------ walkthroughs --

CONV_PARAMS = [
    {}, {"size": 5, "filt": 3, "stride": 2, "pad": 1, "cin": 2, "cout": 3}, {"size": 7, "filt": 3, "pad": 1, "cin": 3,
                                                                             "cout": 3},
    {"values": "decimals", "size": 3, "filt": 3}, {"size": 6, "filt": 2, "stride": 2, "cout": 2},
    {"size": 4, "filt": 3, "stride": 2}, {"size": 6, "filt": 3, "stride": 2, "pad": 1, "cin": 2},
    {"values": "typed", "stride": 2, "pad": 1, "x_text": "1 2 0\n0 1 3\n2 2 1\n\n0 1 1\n1 0 0\n2 1 0",
     "w_text": "1 0 1\n0 -1 0\n1 0 0\n\n2 1 0\n0 1 0\n0 0 1", "b_text": "0.5", "dout_text": "1 -1\n2 0.5"},
]
POOL_PARAMS = [{}, {"stride": 1}, {"kind": "avg", "stride": 1, "window": 3, "size": 7}, {"values": "decimals"},
               {"size": 5, "window": 2, "stride": 2},
               {"size": 5, "window": 3, "stride": 2, "pad": 1, "ceil_mode": True},
               {"kind": "avg", "size": 5, "window": 2, "stride": 2, "pad": 1, "ceil_mode": True},
               {"kind": "avg", "size": 4, "window": 3, "stride": 1, "pad": 1, "count_include_pad": False},
               {"kind": "avg", "values": "typed", "window": 2, "stride": 2,
                "x_text": "1 2 3 4\n4 4 1 0\n1 1 2 2\n0 2 2 1", "dout_text": "1 2\n-1 0.5"}]


def _run_code(walk):
    ns: dict = {}
    exec(walk.setup, ns)  # our own generated code, never user input
    for step in walk.steps:
        exec(step.code, ns)
        for key, value in step.values.items():
            assert key in ns, (step.key, key)
            assert np.asarray(ns[key]).shape == np.asarray(value).shape, (step.key, key)
            assert np.max(np.abs(np.asarray(ns[key], dtype=float) - value), initial=0.0) < 1e-12, (step.key, key)


@pytest.mark.parametrize("params", CONV_PARAMS)
def test_each_conv_step_code_recomputes_its_values(params):
    walk = conv_lesson.walkthrough(Settings(seed=4), "en", **params)
    assert [s.key for s in walk.steps] == [f"conv.{n}" for n in conv_lesson.STEPS]
    _run_code(walk)


@pytest.mark.parametrize("params", POOL_PARAMS)
def test_each_pool_step_code_recomputes_its_values(params):
    walk = pool_lesson.walkthrough(Settings(seed=2), "zh", **params)
    assert [s.key for s in walk.steps] == [f"pool.{n}" for n in pool_lesson.STEPS]
    _run_code(walk)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_walkthroughs_are_in_the_language_and_json_ready(lang):
    for walk in (conv_lesson.walkthrough(Settings(), lang), pool_lesson.walkthrough(Settings(), lang)):
        assert walk.title == t(f"page.{walk.page}.title", lang)
        assert all(step.title and step.note and step.latex and step.code for step in walk.steps)
        json.dumps(walk.settings)
        assert all("\n" not in line or line.startswith("\\begin") for s in walk.steps for line in s.latex)


def test_written_out_sums_carry_the_numbers():
    walk = conv_lesson.walkthrough(Settings(), "en")
    p = conv_lesson.page_problem(0, conv_lesson.ConvParams())
    forward = walk.steps[0].latex[-1]
    assert forward.startswith("O_{1,1,1} = ") and forward.endswith(f"= {lnum(p.out[0, 0, 0, 0])}")
    assert "{b}_{1}" in walk.steps[0].latex[3]  # the written-out O lines include the bias
    assert forward.count(r"\cdot") == 4  # the 2×2 window
    zero = next(s for s in walk.steps if s.key == "conv.scatter").latex[-1]
    assert zero.count("0") >= 16 and not any(ch in zero for ch in "123456789")  # full − scatter = the zero matrix


@pytest.mark.parametrize("key", ["error.conv.typed_filters", "error.conv.typed_block_shape", "error.conv.bias",
                                 "error.not_number", "error.conv.filter_too_big"])
def test_typed_and_sized_input_errors_on_the_page(key):
    bad = {
        "error.conv.typed_filters": {"x_text": "1 2\n3 4", "w_text": "1\n\n2", "dout_text": "1 2\n3 4"},
        "error.conv.typed_block_shape": {"x_text": "1 2\n3 4\n\n1 2 3\n4 5 6", "w_text": "1", "dout_text": "1"},
        "error.conv.bias": {"x_text": "1 2\n3 4", "w_text": "1", "dout_text": "1 2\n3 4", "b_text": "1, 2"},
        "error.not_number": {"x_text": "1 x\n3 4", "w_text": "1", "dout_text": "1 2\n3 4"},
    }
    if key in bad:
        params = conv_lesson.ConvParams(values="typed", **bad[key])
    else:
        params = conv_lesson.ConvParams(values="typed", x_text="1", w_text="1 1\n1 1", dout_text="1")
    with pytest.raises(InputError) as err:
        conv_lesson.page_problem(0, params)
    assert err.value.key == key


def test_random_arrays_follow_the_seed_and_the_setup_code():
    a = conv_lesson.page_problem(11, conv_lesson.ConvParams(cin=2, cout=2))
    b = conv_lesson.page_problem(11, conv_lesson.ConvParams(cin=2, cout=2, values="decimals"))
    ns: dict = {}
    exec(a.setup, ns)
    assert np.array_equal(ns["x"], a.x) and np.array_equal(ns["dout"], a.dout)
    assert set(np.unique(a.x)) <= {-2.0, -1.0, 0.0, 1.0, 2.0}
    assert np.array_equal(b.x, np.round(b.x, 1)) and not np.array_equal(a.x, b.x)


def test_pool_problem_reports_ties_and_the_tie_rule():
    pp = pool_problem.make_problem(np.array([[[[2.0, 2.0], [1.0, 2.0]]]]), np.array([[[[3.0]]]]), 2, 2, "max")
    assert pp.ties.tolist() == [[[[True]]]]
    assert pp.dx.tolist() == [[[[3.0, 0.0], [0.0, 0.0]]]]
    walk = pool_lesson.pool_walkthrough(pp, "en")
    assert t("step.pool.ties_note.one", "en", ties=1, windows=1) in walk.steps[0].note
    assert "1 of the 1 windows has a tied maximum" in walk.steps[0].note  # grammar: one window has
    assert r"= \left[\begin{array}{cc}1 & 0\\0 & 0\end{array}\right]" in walk.steps[1].latex[1]  # the first wins
    two = pool_problem.make_problem(np.array([[[[2.0, 2.0, 1.0, 1.0], [1.0, 2.0, 1.0, 0.0]]]]), np.ones((1, 1, 1, 2)),
                                   2, 2, "max")
    assert "2 of the 2 windows have a tied maximum" in pool_lesson.pool_walkthrough(two, "en").steps[0].note


# ----------------------------------------------------------------- figures --


def _check(anim, frames: int | None = None):
    fig = anim.figure()
    go.Figure(fig)  # raises on any invalid property
    assert len(fig["frames"]) == anim.count == len(anim.latex)
    if frames is not None:
        assert anim.count == frames
    menu = fig["layout"]["updatemenus"][0]
    assert menu["type"] == "buttons" and menu["buttons"][0]["args"][0] is None  # play from the current frame
    assert len(fig["layout"]["sliders"][0]["steps"]) == anim.count
    size = len(json.dumps(fig))
    assert size < 400_000, size
    for k in {0, anim.count // 2, anim.count - 1}:
        go.Figure(anim.still(k))
    if anim.count > 1:
        assert fig["frames"][0]["data"] != fig["frames"][-1]["data"]
    return fig


@pytest.mark.parametrize("params", CONV_PARAMS)
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_conv_animation_is_valid_plotly_and_small(params, lang):
    p = conv_lesson.page_problem(4, conv_lesson.ConvParams(**params))
    sh = p.shape
    for step in conv_lesson.STEPS:
        for f, c in {(0, 0), (sh["F"] - 1, sh["C"] - 1)}:
            anims = figs.conv_step_animations(p, step, f, c, lang)
            for anim in anims:
                _check(anim)
    assert figs.forward_animation(p, 0, lang).count == sh["Ho"] * sh["Wo"]
    assert figs.dw_animation(p, 0, 0, lang).count == sh["HH"] * sh["WW"]
    assert figs.rotate_animation(p, 0, lang).count == 3
    assert figs.dilate_animation(p, lang).count == (3 if p.stride > 1 else 2)
    hp, wp = sh["H"] + 2 * p.pad, sh["W"] + 2 * p.pad
    assert figs.slide_animation(p, 0, lang).count == hp * wp + (1 if p.pad else 0)
    assert figs.scatter_animation(p, 0, lang).count == sh["Ho"] * sh["Wo"] + (1 if p.pad else 0)


def test_the_last_frames_show_the_layer_numbers():
    p = conv_lesson.page_problem(4, conv_lesson.ConvParams(size=5, filt=3, pad=1, cout=2, cin=2))
    slide = figs.slide_animation(p, 1, "en").still(10**6)
    scatter = figs.scatter_animation(p, 1, "en").still(10**6)

    def inner(fig):
        z = [np.array(tr["z"], dtype=float) for tr in fig["data"] if tr["type"] == "heatmap" and tr.get("texttemplate")
             == "%{z:.3~f}"][-1]
        return z[1:-1, 1:-1]

    assert np.max(np.abs(inner(slide) - p.dx[0, 1])) < TOL
    assert np.max(np.abs(inner(scatter) - p.dx[0, 1])) < TOL
    fwd = figs.forward_animation(p, 1, "en").still(10**6)
    z = [np.array(tr["z"], dtype=float) for tr in fwd["data"] if tr["type"] == "heatmap"][-1]
    assert np.max(np.abs(z - p.out[0, 1])) < TOL


@pytest.mark.parametrize("params", POOL_PARAMS)
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_pool_animation_is_valid_plotly_and_small(params, lang):
    pp = pool_lesson.page_problem(2, params_from(pool_lesson.PoolParams, params))
    ho, wo = pp.out.shape[2:]
    for step in pool_lesson.STEPS:
        for anim in pool_figs.pool_step_animations(pp, step, lang):
            _check(anim, ho * wo)
    for kind, dx in (("max", pp.dx_max), ("avg", pp.dx_avg)):
        last = pool_figs.pool_animation(pp, kind, True, lang).still(10**6)
        z = [np.array(tr["z"], dtype=float) for tr in last["data"] if tr["type"] == "heatmap"
             and tr.get("texttemplate") == "%{z:.3~f}"]
        grids = [pp.layer.uncanvas(m) for m in z if m.shape == pp.kinds.shape]
        assert any(np.max(np.abs(m - dx[0, 0])) < TOL for m in grids)


def test_tied_windows_are_captioned_with_the_rule():
    pp = pool_problem.make_problem(np.array([[[[2.0, 2.0], [1.0, 2.0]]]]), np.array([[[[3.0]]]]), 2, 2, "max")
    anim = pool_figs.pool_animation(pp, "max", False, "en")
    assert t("page.pool.cap.tie", "en", r=1, q=1) in anim.data[-1]["text"][0]


# ----------------------------------------------------------------- course --


def test_conv_and_pool_lessons_are_registered_with_existing_page_files():
    for key in ("conv", "pool"):
        les = course.lesson(key)
        assert les in course.available(), f"{les.page} does not exist: course.py must point at pages/{key}_page.py"
        assert les.page == f"pages/{key}_page.py"


def test_every_catalog_key_of_these_pages_has_both_languages():
    mine = [k for k in catalog() if k.split(".")[0] in ("page", "step", "error", "cli")
            and k.split(".")[1] in ("conv", "pool")]
    assert len(mine) > 100
    for k in mine:
        assert catalog()[k]["en"] and catalog()[k]["zh"]


# ------------------------------------------------------- numbers written in SymPy --


def test_numbers_are_written_as_sympy_expressions_that_evaluate_to_the_layer_output():
    from bnviz import written

    assert written.tex(written.product(-1, -2)) == r"\left(-1\right) \cdot \left(-2\right)"
    assert written.tex(written.average([1, 3, -2], 4)) == r"\frac{1 + 3 - 2}{4}"
    assert [written.tex(written.number(v)) for v in (3.0, -1.5, 0.25)] == ["3", "-1.5", "0.25"]
    # the forward sum of the conv page, built from the arrays as the page draws them, is PyTorch's O[1, 1, 1]
    p = conv_lesson.page_problem(0, conv_lesson.ConvParams(size=5, filt=3, pad=1, cin=2))
    out = torch_conv(p.x, p.w, p.b, p.dout, 1, 1)[0]
    xp = np.pad(p.x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    pairs = [(p.w[0, c, a, b], xp[0, c, a, b]) for c in range(2) for a in range(3) for b in range(3)]
    expr = written.add([*written.products(pairs), written.number(p.b[0])])
    assert abs(float(expr.doit()) - out[0, 0, 0, 0]) < TOL
    line = walk_line(conv_lesson.walkthrough(Settings(), "en", size=5, filt=3, pad=1, cin=2), "conv.forward", -1)
    assert line.removesuffix(r"\end{aligned}").endswith(f"= {lnum(out[0, 0, 0, 0])}")  # 18 terms: on 3 lines


def walk_line(walk, key: str, n: int) -> str:
    return next(s for s in walk.steps if s.key == key).latex[n]


def test_the_max_line_keeps_the_window_order_and_its_ties():
    from bnviz import written

    pp = pool_problem.make_problem(np.array([[[[2.0, 2.0], [1.0, 2.0]]]]), np.array([[[[3.0]]]]), 2, 2, "max")
    line = pool_lesson.pool_walkthrough(pp, "en").steps[0].latex[-1]
    assert line == r"O_{11} = \max\left(2, 2, 1, 2\right) = 2"  # SymPy's Max would print max(1, 2)
    assert written.WindowMax(*[written.number(v) for v in (2, 2, 1, 2)]).doit() == 2
    avg = pool_problem.make_problem(np.array([[[[1.0, 3.0], [-2.0, 0.5]]]]), np.ones((1, 1, 1, 1)), 2, 2, "avg")
    assert pool_lesson.pool_walkthrough(avg, "en").steps[0].latex[-1] == r"O_{11} = \frac{1 + 3 - 2 + 0.5}{4} = 0.625"


def test_the_conv_sizes_and_channel_sums_are_sympy_printed_with_the_bias():
    walk = conv_lesson.walkthrough(Settings(), "en", cin=2, cout=2)
    sizes = walk_line(walk, "conv.forward", 1)
    assert r"H \times W = 4 \times 4" in sizes and r"HH \times WW = 2 \times 2" in sizes and "N = 1" in sizes
    p = conv_lesson.page_problem(0, conv_lesson.ConvParams(cin=2, cout=2))
    o1 = next(line for line in next(s for s in walk.steps if s.key == "conv.channels").latex
              if line.startswith(r"\begin{aligned}O_{1} &="))
    bias = lnum(p.b[0])
    assert (f"+ {bias} \\\\" if p.b[0] >= 0 else f"- {bias[1:]} \\\\") in o1  # O_1 = Σ_c (…) + b_1
