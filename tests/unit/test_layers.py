"""bnviz.ops.layers: each layer against PyTorch (float64) and finite differences; the SymPy
derivations against the NumPy numbers."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from bnviz.ops import bn, layers
from tests.oracles.finite_diff import central_diff

TOL = {"rtol": 1e-10, "atol": 1e-12}


def t64(a: np.ndarray) -> torch.Tensor:
    return torch.tensor(a, dtype=torch.float64, requires_grad=True)


# ------------------------------------------------------------------ affine --


def test_affine_matches_torch(rng):
    x, w, b = rng.standard_normal((6, 4)), rng.standard_normal((4, 3)), rng.standard_normal(3)
    dout = rng.standard_normal((6, 3))
    out, cache = layers.affine_forward(x, w, b)
    dx, dw, db = layers.affine_backward(dout, cache)
    tx, tw, tb = t64(x), t64(w), t64(b)
    (tx @ tw + tb).backward(torch.tensor(dout))
    np.testing.assert_allclose(out, (x @ w + b), **TOL)
    for ours, theirs in ((dx, tx), (dw, tw), (db, tb)):
        np.testing.assert_allclose(ours, theirs.grad.numpy(), **TOL)


def test_affine_without_bias(rng):
    x, w = rng.standard_normal((5, 3)), rng.standard_normal((3, 2))
    out, cache = layers.affine_forward(x, w, None)
    np.testing.assert_allclose(out, x @ w, **TOL)
    dx, dw, db = layers.affine_backward(np.ones((5, 2)), cache, bias=False)
    assert db is None and dx.shape == x.shape and dw.shape == w.shape


def test_affine_backward_is_the_finite_difference(rng):
    x, w, b = rng.standard_normal((4, 3)), rng.standard_normal((3, 2)), rng.standard_normal(2)
    dout = rng.standard_normal((4, 2))

    def loss():
        return float((layers.affine_forward(x, w, b)[0] * dout).sum())

    dx, dw, db = layers.affine_backward(dout, layers.affine_forward(x, w, b)[1])
    for ours, arr in ((dx, x), (dw, w), (db, b)):
        np.testing.assert_allclose(ours, central_diff(loss, [arr])[0], rtol=1e-7, atol=1e-9)


# ------------------------------------------------------------- activations --


def test_relu_matches_torch_and_blocks_the_gradient_where_x_is_not_positive(rng):
    x = rng.standard_normal((7, 5))
    x[0, 0] = 0.0  # the kink: gradient 0, as in cs231n and torch
    dout = rng.standard_normal(x.shape)
    out, cache = layers.relu_forward(x)
    dx = layers.relu_backward(dout, cache)
    tx = t64(x)
    torch.relu(tx).backward(torch.tensor(dout))
    np.testing.assert_allclose(out, np.maximum(x, 0), **TOL)
    np.testing.assert_allclose(dx, tx.grad.numpy(), **TOL)
    assert dx[0, 0] == 0.0 and np.all(dx[x < 0] == 0)


def test_sigmoid_matches_torch(rng):
    x = 4 * rng.standard_normal((6, 4))
    dout = rng.standard_normal(x.shape)
    out, cache = layers.sigmoid_forward(x)
    dx = layers.sigmoid_backward(dout, cache)
    tx = t64(x)
    torch.sigmoid(tx).backward(torch.tensor(dout))
    np.testing.assert_allclose(out, torch.sigmoid(tx).detach().numpy(), rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(dx, tx.grad.numpy(), rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(layers.sigmoid_grad(x), out * (1 - out), **TOL)


@settings(max_examples=50, deadline=None)
@given(arrays(np.float64, st.integers(1, 20), elements=st.floats(-1e308, 1e308)))
def test_sigmoid_never_overflows_and_stays_in_0_1(x):
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        s = layers.sigmoid(x)
        g = layers.sigmoid_grad(x)
    assert np.all((s >= 0) & (s <= 1)) and np.all((g >= 0) & (g <= 0.25))


@pytest.mark.parametrize("name", ["relu", "sigmoid"])
def test_activation_registry_entries_are_that_activation(name, rng):
    """Each registered (forward, backward) pair computes torch's activation of that name and its gradient."""
    assert set(layers.ACTIVATIONS) == {"relu", "sigmoid"}
    forward, backward = layers.ACTIVATIONS[name]
    x = 3 * rng.standard_normal((5, 4))
    dout = rng.standard_normal(x.shape)
    out, cache = forward(x)
    tx = t64(x)
    ref = {"relu": torch.relu, "sigmoid": torch.sigmoid}[name](tx)
    ref.backward(torch.tensor(dout))
    np.testing.assert_allclose(out, ref.detach().numpy(), rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(backward(dout, cache), tx.grad.numpy(), rtol=1e-10, atol=1e-14)


# ------------------------------------------------------------ softmax loss --


def test_softmax_loss_matches_torch_cross_entropy(rng):
    x = 3 * rng.standard_normal((9, 5))
    y = rng.integers(0, 5, 9)
    loss, dx = layers.softmax_loss(x, y)
    tx = t64(x)
    tl = F.cross_entropy(tx, torch.tensor(y))
    tl.backward()
    assert abs(loss - float(tl.detach())) < 1e-12
    np.testing.assert_allclose(dx, tx.grad.numpy(), **TOL)
    np.testing.assert_allclose(dx, (layers.softmax(x) - layers.onehot(y, 5)) / 9, **TOL)


def test_softmax_loss_is_stable_for_huge_scores():
    x = np.array([[1e300, -1e300, 0.0], [5e3, 5e3, 5e3]])
    loss, dx = layers.softmax_loss(x, np.array([0, 2]))
    assert np.isfinite(loss) and np.all(np.isfinite(dx))
    assert abs(loss - np.log(3) / 2) < 1e-12


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 8), st.integers(2, 6), st.integers(0, 2**32 - 1))
def test_softmax_gradient_rows_sum_to_zero(n, c, seed):
    r = np.random.default_rng(seed)
    x = 10 * r.standard_normal((n, c))
    _, dx = layers.softmax_loss(x, r.integers(0, c, n))
    np.testing.assert_allclose(dx.sum(axis=1), 0.0, atol=1e-15)


def test_softmax_loss_backward_is_the_finite_difference(rng):
    x = rng.standard_normal((5, 4))
    y = rng.integers(0, 4, 5)
    _, dx = layers.softmax_loss(x, y)
    np.testing.assert_allclose(dx, central_diff(lambda: layers.softmax_loss(x, y)[0], [x])[0], rtol=1e-7, atol=1e-10)


# -------------------------------------------------------------- batch norm --


def test_batchnorm_layer_matches_torch_and_finite_differences(rng):
    """layers re-exports the one BN (no wrapper); checked against torch and finite differences."""
    assert layers.batchnorm_forward is bn.batchnorm_forward
    assert layers.batchnorm_backward is bn.batchnorm_backward_alt
    x, gamma, beta = rng.standard_normal((8, 3)), rng.uniform(0.5, 2, 3), rng.standard_normal(3)
    dout = rng.standard_normal((8, 3))
    out, cache = layers.batchnorm_forward(x, gamma, beta, 1e-5)
    dx, dgamma, dbeta = layers.batchnorm_backward(dout, cache)
    tx, tg, tb = t64(x), t64(gamma), t64(beta)
    ref = F.batch_norm(tx, None, None, tg, tb, training=True, eps=1e-5)
    ref.backward(torch.tensor(dout))
    np.testing.assert_allclose(out, ref.detach().numpy(), **TOL)
    for ours, theirs in ((dx, tx), (dgamma, tg), (dbeta, tb)):
        np.testing.assert_allclose(ours, theirs.grad.numpy(), **TOL)

    def loss() -> float:
        return float((layers.batchnorm_forward(x, gamma, beta, 1e-5)[0] * dout).sum())

    for ours, arr in ((dx, x), (dgamma, gamma), (dbeta, beta)):
        np.testing.assert_allclose(ours, central_diff(loss, [arr])[0], rtol=1e-6, atol=1e-8)


def test_batchnorm_test_mode_uses_the_given_statistics(rng):
    x = rng.standard_normal((4, 2))
    mean, var = np.array([1.0, -1.0]), np.array([4.0, 0.25])
    out = layers.batchnorm_test(x, np.array([2.0, 1.0]), np.array([0.5, 0.0]), mean, var, 0.0)
    np.testing.assert_allclose(out, np.array([2.0, 1.0]) * (x - mean) / np.sqrt(var) + [0.5, 0.0], **TOL)


# ------------------------------------------------------------------ SymPy --


@pytest.fixture(scope="module")
def forms() -> layers.LayerDerivation:
    return layers.derivations()


def test_derived_softmax_gradient_reproduces_the_numbers(forms, rng):
    n, c = 5, 4
    x = rng.standard_normal((n, c))
    y = rng.integers(0, c, n)
    _, dx = layers.softmax_loss(x, y)
    p = layers.softmax(x)
    expr = forms.dscores  # SymPy's class index runs 1..C
    for i in range(n):
        for j in range(c):
            val = expr.subs({layers.N: n, layers.PROBS[layers.i, layers.j]: p[i, j],
                             layers.TARGETS[layers.i]: int(y[i]) + 1, layers.j: j + 1}).doit()
            assert abs(float(val) - dx[i, j]) < 1e-14
    # and the definition of p it is written in
    assert sp.simplify(forms.softmax.subs(sp.Sum(sp.exp(layers.SCORES[layers.i, layers.k]),
                                                 (layers.k, 1, layers.C)), 1)
                       - sp.exp(layers.SCORES[layers.i, layers.j])) == 0


def test_derived_affine_gradients_reproduce_the_numbers(forms, rng):
    x, w, b = rng.standard_normal((6, 4)), rng.standard_normal((4, 3)), rng.standard_normal(3)
    dout = rng.standard_normal((6, 3))
    dx, dw, db = layers.affine_backward(dout, layers.affine_forward(x, w, b)[1])
    sym = forms.symbols
    values = {sym["A"]: sp.Matrix(x), sym["W"]: sp.Matrix(w), sym["b"]: sp.Matrix(b[None, :]),
              sym["G"]: sp.Matrix(dout), sym["ones"]: sp.ones(6, 1)}
    shapes = {"A": x.shape, "W": w.shape, "b": (1, 3)}
    for name, ours in (("A", dx), ("W", dw), ("b", db[None, :])):
        expr = forms.affine_grads[name][1].subs(values).doit()
        got = np.array(sp.Matrix(expr), dtype=float).reshape(shapes[name])
        np.testing.assert_allclose(got, ours, **TOL)


def test_derived_activation_derivatives(forms, rng):
    z = layers.Z
    for v in rng.standard_normal(8) * 5:
        s = 1 / (1 + np.exp(-v))
        assert abs(float(forms.dsigmoid_raw.subs(z, v)) - s * (1 - s)) < 1e-14
        assert abs(float(forms.dsigmoid.subs(layers.SIG, s)) - s * (1 - s)) < 1e-14
        assert float(forms.drelu.subs(z, v)) == (1.0 if v > 0 else 0.0)
    assert forms.dsigmoid_max == sp.Rational(1, 4)


@pytest.mark.parametrize("tau", [1e-3, 0.01, 0.1, 0.2, 0.249])
def test_saturation_threshold_is_where_the_derivative_equals_tau(tau):
    z = layers.saturation_threshold(tau)
    assert z > 0
    assert abs(float(layers.sigmoid_grad(np.array(z))) - tau) < 1e-12
    inside = np.linspace(-z, z, 101)[1:-1]
    assert np.all(layers.sigmoid_grad(inside) > tau)
    assert np.all(layers.sigmoid_grad(np.array([-z - 1e-3, z + 1e-3])) < tau)
