"""Numeric backward of bnviz: the generic graph (graph.py) and batch norm's backward forms (bnviz.ops.bn).

References are independent of the code under test:

* PyTorch autograd in float64 (``F.batch_norm(training=True)`` and a hand-written torch formula);
* centred finite differences of a loss written here in plain NumPy;
* the textbook formulas for the three chain-rule paths of dx, written out in this file.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from bnviz.graph import (
    Div,
    Dot,
    Graph,
    Mean,
    MeanSquare,
    Node,
    ScaleShift,
    SqrtPlus,
    Sub,
    _unbroadcast,
)
from bnviz.ops import bn
from tests.oracles.finite_diff import central_diff

FD_RTOL = 1e-7  # max |fd - analytic| / max |analytic|, per gradient array
TORCH_TOL = 1e-10  # float64 agreement with autograd (abs and rel) on O(1) data
U = np.finfo(np.float64).eps


# ------------------------------------------------------------------ helpers --


def assert_fd_close(analytic: np.ndarray, fd: np.ndarray, what: str, rtol: float = FD_RTOL) -> None:
    analytic = np.asarray(analytic, dtype=float)
    assert analytic.shape == fd.shape, f"{what}: shape {analytic.shape} != {fd.shape}"
    scale = max(np.abs(analytic).max(), np.abs(fd).max(), 1e-12)
    err = np.abs(analytic - fd).max() / scale
    assert err < rtol, f"{what}: relative error vs finite differences {err:.3e} >= {rtol:.0e}"


def np_bn_loss(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, dout: np.ndarray, eps: float) -> float:
    """L = Σ dout·y for training-mode batch norm, written independently of bnviz."""
    mu = x.sum(axis=0) / x.shape[0]
    var = ((x - mu) ** 2).sum(axis=0) / x.shape[0]
    y = gamma * (x - mu) / np.sqrt(var + eps) + beta
    return float((dout * y).sum())


def torch_bn(x, gamma, beta, dout, eps, manual: bool = False) -> dict[str, np.ndarray]:
    """Forward values and autograd gradients of L = Σ dout·y in float64.

    manual=False uses ``F.batch_norm(training=True)``; manual=True the formula written out in torch.
    """
    tx = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    tg = torch.tensor(gamma, dtype=torch.float64, requires_grad=True)
    tb = torch.tensor(beta, dtype=torch.float64, requires_grad=True)
    td = torch.tensor(dout, dtype=torch.float64)
    mu = tx.mean(dim=0)
    var = tx.var(dim=0, unbiased=False)
    xhat = (tx - mu) / torch.sqrt(var + eps)
    if manual:
        y = tg * xhat + tb
    else:
        y = F.batch_norm(tx, None, None, tg, tb, training=True, eps=eps)
    (td * y).sum().backward()
    return {
        "mu": mu.detach().numpy(), "var": var.detach().numpy(), "xhat": xhat.detach().numpy(),
        "y": y.detach().numpy(), "dx": tx.grad.numpy(), "dgamma": tg.grad.numpy(), "dbeta": tb.grad.numpy(),
    }


def make_batch(m: int, d: int, seed: int, scale: float = 1.0, shift: float = 0.0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(m, d)) * scale + shift
    gamma = rng.normal(size=d) * 1.5
    beta = rng.normal(size=d)
    dout = rng.normal(size=(m, d))
    return x, gamma, beta, dout


# (m, D, eps, seed, scale, shift) -- O(1) outputs, so absolute and relative 1e-10 are both meaningful
CASES = [
    (2, 1, 1e-5, 0, 1.0, 0.0),
    (3, 2, 1e-5, 1, 1.0, 0.0),
    (5, 3, 1e-5, 2, 2.0, 1.0),
    (8, 4, 1e-3, 3, 0.5, -2.0),
    (16, 3, 0.1, 4, 1.0, 0.0),
    (33, 2, 1e-8, 5, 3.0, 0.5),
]
CASE_IDS = [f"m{c[0]}-D{c[1]}-eps{c[2]:g}" for c in CASES]


@pytest.fixture(params=CASES, ids=CASE_IDS)
def case(request):
    m, d, eps, seed, scale, shift = request.param
    x, gamma, beta, dout = make_batch(m, d, seed, scale, shift)
    return x, gamma, beta, dout, eps


# ============================================================ generic graph ==

UNBROADCAST_SHAPES = [
    ((4, 3), (4, 3)),
    ((4, 3), (3,)),
    ((4, 3), (1, 3)),
    ((4, 3), (4, 1)),
    ((4, 3), (1, 1)),
    ((4, 3), (1,)),
    ((4, 3), ()),
    ((2, 4, 3), (4, 1)),
    ((2, 4, 3), (1, 1, 3)),
    ((2, 4, 3), (3,)),
    ((5, 1), (1,)),
]


@pytest.mark.parametrize(("grad_shape", "shape"), UNBROADCAST_SHAPES)
def test_unbroadcast_is_the_adjoint_of_broadcasting(rng, grad_shape, shape):
    """<unbroadcast(g), p> = <g, broadcast(p)> for all p: that is what "sum over broadcast axes" means."""
    g = rng.normal(size=grad_shape)
    out = _unbroadcast(g, shape)
    assert np.shape(out) == shape
    for _ in range(3):
        p = rng.normal(size=shape)
        lhs = float(np.sum(out * p))
        rhs = float(np.sum(g * np.broadcast_to(p, grad_shape)))
        assert abs(lhs - rhs) <= 1e-12 * (1 + abs(rhs))
    # and element by element, against an explicit loop over the broadcast positions
    ref = np.zeros(shape)
    pad = (1,) * (len(grad_shape) - len(shape)) + tuple(shape)
    for idx in np.ndindex(grad_shape):
        tgt = tuple(0 if n == 1 else k for k, n in zip(idx, pad, strict=True))[len(pad) - len(shape):]
        ref[tgt] += g[idx]
    np.testing.assert_allclose(out, ref, rtol=1e-12, atol=1e-12)


def _pos(rng, shape):
    return rng.uniform(0.5, 2.0, size=shape)


# (op, input shapes, positive inputs?)
OP_CASES = [
    (Mean((0,)), [(5, 3)], False),
    (Mean((1,)), [(5, 3)], False),
    (Mean((0, 1)), [(4, 3)], False),
    (MeanSquare((0,)), [(5, 3)], False),
    (MeanSquare((1,)), [(2, 4)], False),
    (Sub(), [(4, 3), (4, 3)], False),
    (Sub(), [(4, 3), (1, 3)], False),
    (Sub(), [(4, 3), (4, 1)], False),
    (Sub(), [(4, 3), (3,)], False),
    (SqrtPlus(0.3), [(2, 3)], True),
    (SqrtPlus(0.0), [(1, 3)], True),
    (Div(), [(4, 3), (1, 3)], True),
    (Div(), [(4, 3), (4, 1)], True),
    (Div(), [(4, 3), ()], True),
    (ScaleShift(), [(4, 3), (3,), (3,)], False),
    (ScaleShift(), [(4, 3), (1, 3), (4, 1)], False),
    (ScaleShift(), [(4, 3), (), (1, 1)], False),
    (Dot(), [(4, 3), (4, 3)], False),
]


@pytest.mark.parametrize(("op", "shapes", "positive"), OP_CASES,
                         ids=[f"{type(c[0]).__name__}-{c[1]}" for c in OP_CASES])
def test_op_backward_matches_finite_differences(rng, op, shapes, positive):
    """Each Op's local backward is the vector-Jacobian product of its forward (incl. broadcasting)."""
    inputs = [_pos(rng, s) if positive else rng.normal(size=s) for s in shapes]
    out = op.forward(*inputs)
    w = rng.normal(size=np.shape(out))
    grads = op.backward(w, inputs, out)
    assert len(grads) == len(inputs)
    fds = central_diff(lambda: float(np.sum(w * op.forward(*inputs))), inputs)
    for k, (g, fd) in enumerate(zip(grads, fds, strict=True)):
        assert np.shape(g) == np.shape(inputs[k])
        assert_fd_close(g, fd, f"{op} input {k}")


def test_tiny_graph_dot_of_scaleshift_matches_finite_differences(rng):
    """L = Σ w·(γ·a + β) with γ (1, 3) and β (4, 1) broadcast against a (4, 3)."""
    graph = Graph((Node("s", ScaleShift(), ("a", "g", "b")), Node("L", Dot(), ("s", "w"))))
    leaves = {"a": rng.normal(size=(4, 3)), "g": rng.normal(size=(1, 3)),
              "b": rng.normal(size=(4, 1)), "w": rng.normal(size=(4, 3))}
    values = graph.forward(leaves)
    np.testing.assert_allclose(values["s"], leaves["g"] * leaves["a"] + leaves["b"], rtol=1e-15)
    np.testing.assert_allclose(values["L"], np.sum(leaves["w"] * values["s"]), rtol=1e-13)
    back = graph.backward(values)
    names = ["a", "g", "b", "w"]
    arrs = [leaves[n] for n in names]
    fds = central_diff(lambda: float(graph.forward(dict(zip(names, arrs, strict=True)))["L"]), arrs)
    for n, fd in zip(names, fds, strict=True):
        assert_fd_close(back.grads[n], fd, f"dL/d{n}")
    # closed forms of this tiny graph
    np.testing.assert_allclose(back.grads["g"], (leaves["w"] * leaves["a"]).sum(axis=0, keepdims=True),
                               rtol=1e-13)
    np.testing.assert_allclose(back.grads["b"], leaves["w"].sum(axis=1, keepdims=True), rtol=1e-13)
    np.testing.assert_allclose(back.grads["s"], leaves["w"], rtol=0)
    assert set(back.edges) == set(graph.edges)


def test_path_labels_split_the_gradient_in_a_centering_graph(rng):
    """L = Σ w·(a − mean₀(a)): the part through "center" is w, the part re-tagged at "mean" is −mean(w)."""
    graph = Graph((
        Node("u", Mean((0,)), ("a",), path="mean"),
        Node("v", Sub(), ("a", "u"), path="center"),
        Node("L", Dot(), ("v", "w")),
    ))
    a, w = rng.normal(size=(6, 2)), rng.normal(size=(6, 2))
    back = graph.backward(graph.forward({"a": a, "w": w}))
    (fd,) = central_diff(lambda: float(graph.forward({"a": a, "w": w})["L"]), [a])
    assert_fd_close(back.grads["a"], fd, "dL/da")
    assert set(back.paths["a"]) == {"center", "mean"}
    np.testing.assert_allclose(back.paths["a"]["center"], w, rtol=1e-15)
    np.testing.assert_allclose(back.paths["a"]["mean"], np.broadcast_to(-w.mean(axis=0), w.shape),
                               rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(back.paths["a"]["center"] + back.paths["a"]["mean"], back.grads["a"],
                               rtol=1e-13, atol=1e-15)
    # gradient reaching u was last tagged at v ("center")
    np.testing.assert_allclose(back.paths["u"]["center"], -w.sum(axis=0, keepdims=True), rtol=1e-13)


def test_unlabelled_gradient_keeps_label_none(rng):
    """Without a label on v, the direct part of da stays under None; the part through u is "mean"."""
    graph = Graph((
        Node("u", Mean((0,)), ("a",), path="mean"),
        Node("v", Sub(), ("a", "u")),
        Node("L", Dot(), ("v", "w")),
    ))
    a, w = rng.normal(size=(5, 3)), rng.normal(size=(5, 3))
    back = graph.backward(graph.forward({"a": a, "w": w}))
    assert set(back.paths["a"]) == {None, "mean"}
    np.testing.assert_allclose(back.paths["a"][None], w, rtol=1e-15)
    np.testing.assert_allclose(back.paths["a"]["mean"], np.broadcast_to(-w.mean(axis=0), w.shape),
                               rtol=1e-13, atol=1e-15)


def test_backward_from_an_intermediate_output(rng):
    """backward(values, output="L1") ignores nodes downstream of / unrelated to L1."""
    graph = Graph((
        Node("s", ScaleShift(), ("a", "g", "b")),
        Node("L1", Dot(), ("a", "w")),
        Node("L2", Dot(), ("s", "w")),
    ))
    leaves = {"a": rng.normal(size=(3, 2)), "g": rng.normal(size=(2,)), "b": rng.normal(size=(2,)),
              "w": rng.normal(size=(3, 2))}
    back = graph.backward(graph.forward(leaves), output="L1")
    np.testing.assert_allclose(back.grads["a"], leaves["w"], rtol=1e-15)
    np.testing.assert_allclose(back.grads["w"], leaves["a"], rtol=1e-15)
    assert "g" not in back.grads and "s" not in back.grads
    # default output is the last node
    back2 = graph.backward(graph.forward(leaves))
    np.testing.assert_allclose(back2.grads["a"], leaves["w"] * leaves["g"], rtol=1e-15)


def test_graph_node_lookup_and_edge_list():
    graph = bn.bn_graph(1e-5)
    assert graph.node("var").path == "var"
    assert graph.node("std").op == SqrtPlus(1e-5)
    with pytest.raises(KeyError):
        graph.node("nope")
    assert graph.edges == [(n.name, p) for n in graph.nodes for p in n.inputs]
    assert ("xc", "mu") in graph.edges and ("mu", "x") in graph.edges


def test_edge_record_when_a_node_reads_the_same_input_twice(rng):
    """L = Σ a·a (Dot with both inputs "a").

    The total gradient 2a is right, but Graph.backward stores edges[("L", "a")] = a: the two
    edges share one key and the second overwrites the first, so the edge contributions no
    longer add up to grads["a"] (Backward's contract). Expected to FAIL until graph.py
    accumulates repeated edges (``rec.edges[key] = rec.edges.get(key, 0) + total[idx]``).
    """
    graph = Graph((Node("L", Dot(), ("a", "a")),))
    a = rng.normal(size=(3, 2))
    back = graph.backward(graph.forward({"a": a}))
    (fd,) = central_diff(lambda: float(graph.forward({"a": a})["L"]), [a])
    assert_fd_close(back.grads["a"], fd, "dL/da")  # total gradient: correct
    edge_sum = sum(v for (c, p), v in back.edges.items() if p == "a")
    np.testing.assert_allclose(
        edge_sum, back.grads["a"], rtol=1e-12,
        err_msg="BUG graph.py Graph.backward: edges[(child, parent)] is overwritten when a node "
                "lists the same parent twice; edge contributions do not sum to grads[parent]",
    )


# ========================================================= BN: forward values ==


def test_forward_values_match_torch(case):
    x, gamma, beta, dout, eps = case
    v = bn.bn_run(x, gamma, beta, dout, eps).values
    ref = torch_bn(x, gamma, beta, dout, eps)
    np.testing.assert_allclose(v["mu"], ref["mu"][None, :], rtol=TORCH_TOL, atol=TORCH_TOL)
    np.testing.assert_allclose(v["var"], ref["var"][None, :], rtol=TORCH_TOL, atol=TORCH_TOL)
    np.testing.assert_allclose(v["xhat"], ref["xhat"], rtol=TORCH_TOL, atol=TORCH_TOL)
    np.testing.assert_allclose(v["y"], ref["y"], rtol=TORCH_TOL, atol=TORCH_TOL)
    np.testing.assert_allclose(v["L"], np.sum(dout * ref["y"]), rtol=TORCH_TOL, atol=TORCH_TOL)
    # the cs231n-style forward agrees too
    y, (xhat, _, inv_std) = bn.batchnorm_forward(x, gamma, beta, eps)
    np.testing.assert_allclose(y, ref["y"], rtol=TORCH_TOL, atol=TORCH_TOL)
    np.testing.assert_allclose(xhat, ref["xhat"], rtol=TORCH_TOL, atol=TORCH_TOL)
    # the cache's 1/√(σ²+ε) may keep the reduced axis ((1, D)) or not ((D,))
    np.testing.assert_allclose(np.reshape(inv_std, -1), 1 / np.sqrt(ref["var"] + eps), rtol=TORCH_TOL)


# ======================================================= BN: backward forms ==


def _bn_run_grads(x, gamma, beta, dout, eps):
    r = bn.bn_run(x, gamma, beta, dout, eps)
    return r.dx, r.back.grads["gamma"], r.back.grads["beta"]


def _all_forms(x, gamma, beta, dout, eps):
    forms = dict(bn.all_backward_forms(x, gamma, beta, dout, eps))
    assert set(forms) == set(bn.BACKWARD_FORMS) == {"staged", "alt", "caffe"}
    forms["bn_run"] = _bn_run_grads(x, gamma, beta, dout, eps)
    return forms


@pytest.mark.parametrize("manual", [False, True], ids=["F.batch_norm", "manual-torch"])
def test_backward_forms_match_torch_autograd(case, manual):
    x, gamma, beta, dout, eps = case
    ref = torch_bn(x, gamma, beta, dout, eps, manual=manual)
    for name, (dx, dgamma, dbeta) in _all_forms(x, gamma, beta, dout, eps).items():
        assert np.shape(dx) == x.shape and np.shape(dgamma) == gamma.shape == np.shape(dbeta), name
        np.testing.assert_allclose(dx, ref["dx"], rtol=TORCH_TOL, atol=TORCH_TOL, err_msg=f"{name} dx")
        np.testing.assert_allclose(dgamma, ref["dgamma"], rtol=TORCH_TOL, atol=TORCH_TOL,
                                   err_msg=f"{name} dgamma")
        np.testing.assert_allclose(dbeta, ref["dbeta"], rtol=TORCH_TOL, atol=TORCH_TOL,
                                   err_msg=f"{name} dbeta")


def test_backward_forms_match_finite_differences(case):
    x, gamma, beta, dout, eps = case
    x, gamma, beta = x.copy(), gamma.copy(), beta.copy()
    fd_x, fd_g, fd_b = central_diff(lambda: np_bn_loss(x, gamma, beta, dout, eps), [x, gamma, beta])
    for name, (dx, dgamma, dbeta) in _all_forms(x, gamma, beta, dout, eps).items():
        assert_fd_close(dx, fd_x, f"{name} dx")
        assert_fd_close(dgamma, fd_g, f"{name} dgamma")
        assert_fd_close(dbeta, fd_b, f"{name} dbeta")


def test_staged_form_does_not_depend_on_beta(case):
    """batchnorm_backward_staged runs the graph with β = 0; dx must not depend on β at all."""
    x, gamma, beta, dout, eps = case
    dx0, dg0, db0 = _bn_run_grads(x, gamma, beta, dout, eps)
    dx1, dg1, db1 = _bn_run_grads(x, gamma, beta + 10.0, dout, eps)
    np.testing.assert_allclose(dx0, dx1, rtol=1e-13, atol=1e-13)
    np.testing.assert_allclose(dg0, dg1, rtol=1e-13, atol=1e-13)


def test_layer_norm_axes_match_torch(rng):
    """bn_run with statistics over axis 1 is layer norm: compare with F.layer_norm's autograd."""
    m, d, eps = 4, 5, 1e-5
    x, gamma, beta, dout = (rng.normal(size=(m, d)), rng.normal(size=d), rng.normal(size=d),
                            rng.normal(size=(m, d)))
    r = bn.bn_run(x, gamma, beta, dout, eps, axes=(1,))
    tx = torch.tensor(x, requires_grad=True)
    tg = torch.tensor(gamma, requires_grad=True)
    tb = torch.tensor(beta, requires_grad=True)
    y = F.layer_norm(tx, (d,), tg, tb, eps)
    (torch.tensor(dout) * y).sum().backward()
    np.testing.assert_allclose(r.values["y"], y.detach().numpy(), rtol=TORCH_TOL, atol=TORCH_TOL)
    np.testing.assert_allclose(r.dx, tx.grad.numpy(), rtol=TORCH_TOL, atol=TORCH_TOL)
    np.testing.assert_allclose(r.back.grads["gamma"], tg.grad.numpy(), rtol=TORCH_TOL, atol=TORCH_TOL)
    np.testing.assert_allclose(r.back.grads["beta"], tb.grad.numpy(), rtol=TORCH_TOL, atol=TORCH_TOL)


# ============================================================ BN: the paths ==


def test_paths_sum_to_dx_and_match_their_formulas(case):
    x, gamma, beta, dout, eps = case
    r = bn.bn_run(x, gamma, beta, dout, eps)
    assert set(r.back.paths["x"]) == set(bn.PATHS) == {"xhat", "var", "mu"}
    p_xhat, p_var, p_mu = r.path("xhat"), r.path("var"), r.path("mu")
    np.testing.assert_allclose(p_xhat + p_var + p_mu, r.dx, rtol=1e-12, atol=1e-12)

    # independent formulas (Ioffe & Szegedy 2015), from x, γ, dout, ε only
    m = x.shape[0]
    mu = x.mean(axis=0)
    var = ((x - mu) ** 2).mean(axis=0)
    dvar = np.sum(gamma * dout * (x - mu) * -0.5 * (var + eps) ** -1.5, axis=0)
    dmu = np.sum(-gamma * dout / np.sqrt(var + eps), axis=0)  # + dvar·Σ(−2(x−μ))/m, which is 0
    np.testing.assert_allclose(p_xhat, gamma * dout / np.sqrt(var + eps), rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(p_var, dvar * 2 * (x - mu) / m, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(p_mu, np.broadcast_to(dmu / m, x.shape), rtol=1e-10, atol=1e-10)
    # and the sum of the three formulas is torch's dx
    ref = torch_bn(x, gamma, beta, dout, eps)
    np.testing.assert_allclose(gamma * dout / np.sqrt(var + eps) + dvar * 2 * (x - mu) / m + dmu / m,
                               ref["dx"], rtol=1e-10, atol=1e-10)


def test_mu_path_is_constant_over_the_batch(case):
    x, gamma, beta, dout, eps = case
    r = bn.bn_run(x, gamma, beta, dout, eps)
    p_mu = r.path("mu")
    np.testing.assert_allclose(p_mu, np.broadcast_to(p_mu[:1], p_mu.shape), rtol=1e-14, atol=0)
    np.testing.assert_allclose(p_mu[0], r.back.grads["mu"].ravel() / x.shape[0], rtol=1e-13, atol=1e-15)


# ==================================================== BN: edge contributions ==


def test_edge_contributions_sum_to_node_gradients(case):
    x, gamma, beta, dout, eps = case
    r = bn.bn_run(x, gamma, beta, dout, eps)
    graph = bn.bn_graph(eps)
    assert set(r.back.edges) == set(graph.edges)
    output = graph.nodes[-1].name
    parents = {p for (_, p) in graph.edges}
    assert parents == set(r.back.grads) - {output}
    for parent in parents:
        total = sum(v for (c, p), v in r.back.edges.items() if p == parent)
        assert np.shape(total) == np.shape(r.back.grads[parent]), parent
        np.testing.assert_allclose(total, r.back.grads[parent], rtol=1e-12, atol=1e-12, err_msg=parent)
    # x has exactly two children (xc, mu); xc has two (xhat, var)
    assert sorted(c for (c, p) in r.back.edges if p == "x") == ["mu", "xc"]
    assert sorted(c for (c, p) in r.back.edges if p == "xc") == ["var", "xhat"]
    # two edges checked against their own formulas
    np.testing.assert_allclose(r.back.edges[("xc", "mu")], -r.back.grads["xc"].sum(axis=0, keepdims=True),
                               rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(r.back.edges[("mu", "x")],
                               np.broadcast_to(r.back.grads["mu"] / x.shape[0], x.shape), rtol=1e-13)


def test_every_nodes_paths_sum_to_its_gradient(case):
    x, gamma, beta, dout, eps = case
    r = bn.bn_run(x, gamma, beta, dout, eps)
    for name, parts in r.back.paths.items():
        total = sum(parts.values())
        np.testing.assert_allclose(total, r.back.grads[name], rtol=1e-12, atol=1e-12, err_msg=name)


# ===================================================== BN: property tests ==


@st.composite
def bn_batches(draw):
    m = draw(st.integers(2, 40))
    d = draw(st.integers(1, 6))
    vals = st.floats(-1e3, 1e3, allow_nan=False, allow_infinity=False)
    x = draw(arrays(np.float64, (m, d), elements=vals, fill=st.nothing()))
    dout = draw(arrays(np.float64, (m, d), elements=vals, fill=st.nothing()))
    gamma = draw(arrays(np.float64, (d,), elements=st.floats(-5, 5), fill=st.nothing()))
    beta = draw(arrays(np.float64, (d,), elements=vals, fill=st.nothing()))
    eps = draw(st.floats(1e-8, 1e-1))
    assume(np.all(x.std(axis=0) > 1e-3))
    return x, gamma, beta, dout, eps


def _dx_scale(x, gamma, dout, eps):
    """Per-feature tolerance for dx in float64.

    dx ~ |γ·dout| / √(σ²+ε). Rounding in x − μ costs u·max|x| absolute, i.e. a relative error
    κ·u with κ = 1 + max|x|/σ, and the batch sums add a factor m. 1e-12 ≈ 5000·u leaves room
    for the constants while staying far below the size of any wrong term (O(1) relative).
    """
    m = x.shape[0]
    sigma = x.std(axis=0)
    kappa = 1.0 + np.abs(x).max(axis=0) / sigma
    size = np.abs(gamma * dout).max(axis=0) / np.sqrt(sigma**2 + eps)
    return size, 1e-12 * m * kappa * size + 1e-300


PROPS = settings(max_examples=50, deadline=None, database=None,
                 suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow])


@PROPS
@given(bn_batches())
def test_property_all_forms_agree(batch):
    x, gamma, beta, dout, eps = batch
    _, tol = _dx_scale(x, gamma, dout, eps)
    forms = _all_forms(x, gamma, beta, dout, eps)
    ref_dx, ref_dg, ref_db = forms["alt"]
    for name, (dx, dg, db) in forms.items():
        err = np.abs(dx - ref_dx).max(axis=0)
        assert np.all(err <= tol), f"{name} dx vs alt: {err} > {tol}"
        np.testing.assert_allclose(dg, ref_dg, rtol=1e-12, atol=1e-9 * np.abs(dout).max(), err_msg=name)
        np.testing.assert_allclose(db, ref_db, rtol=1e-12, atol=1e-12 * np.abs(dout).sum(), err_msg=name)


@PROPS
@given(bn_batches())
def test_property_gradients_agree_with_torch(batch):
    x, gamma, beta, dout, eps = batch
    m = x.shape[0]
    _, tol = _dx_scale(x, gamma, dout, eps)
    ref = torch_bn(x, gamma, beta, dout, eps)
    kappa = 1.0 + np.abs(x).max(axis=0) / x.std(axis=0)
    # dγ = Σ dout·x̂ (|x̂| ≤ √m): error ~ u·κ per x̂, summed over m terms
    tol_g = 1e-12 * m * np.sqrt(m) * kappa * np.abs(dout).max(axis=0) + 1e-300
    tol_b = 1e-12 * m * np.abs(dout).max(axis=0) + 1e-300
    for name, (dx, dg, db) in _all_forms(x, gamma, beta, dout, eps).items():
        assert np.all(np.abs(dx - ref["dx"]) <= tol), f"{name} dx vs torch"
        assert np.all(np.abs(dg - ref["dgamma"]) <= tol_g), f"{name} dgamma vs torch"
        assert np.all(np.abs(db - ref["dbeta"]) <= tol_b), f"{name} dbeta vs torch"


@PROPS
@given(bn_batches())
def test_property_dx_is_orthogonal_to_constants(batch):
    """L is invariant to x → x + c·1 (per feature), so Σ_i dx_i = 0."""
    x, gamma, beta, dout, eps = batch
    size, tol = _dx_scale(x, gamma, dout, eps)
    m = x.shape[0]
    for name, (dx, _, _) in _all_forms(x, gamma, beta, dout, eps).items():
        s = dx.sum(axis=0)
        assert np.all(np.abs(s) <= m * tol), f"{name}: Σ dx = {s} (scale {size})"


@PROPS
@given(bn_batches())
def test_property_dx_against_xhat(batch):
    """Σ_i dx_i·x̂_i = ε·(σ²+ε)^(-3/2)·Σ_i γ·dout_i·x̂_i  (not 0: that needs ε = 0).

    From the closed form dx = (m·dx̂ − Σdx̂ − x̂·Σdx̂x̂)/(m√(σ²+ε)) with Σx̂ = 0 and
    Σx̂² = m·σ²/(σ²+ε). L is scale invariant only when ε = 0; see the ε = 0 test below.
    """
    x, gamma, beta, dout, eps = batch
    size, tol = _dx_scale(x, gamma, dout, eps)
    m = x.shape[0]
    mu = x.mean(axis=0)
    var = ((x - mu) ** 2).mean(axis=0)
    xhat = (x - mu) / np.sqrt(var + eps)
    rhs = eps * (var + eps) ** -1.5 * np.sum(gamma * dout * xhat, axis=0)
    bound = m * np.sqrt(m) * tol + 1e-12 * np.abs(rhs)
    for name, (dx, _, _) in _all_forms(x, gamma, beta, dout, eps).items():
        lhs = np.sum(dx * xhat, axis=0)
        assert np.all(np.abs(lhs - rhs) <= bound), f"{name}: {lhs} vs {rhs} (bound {bound})"


def test_dx_is_orthogonal_to_xhat_when_eps_is_zero(case):
    """With ε = 0, L(a·x) = L(x) for a > 0, so Σ dx·x̂ = 0; with ε > 0 it is not (checked to be nonzero)."""
    x, gamma, beta, dout, _ = case
    for eps, zero in ((0.0, True), (0.05, False)):
        r = bn.bn_run(x, gamma, beta, dout, eps)
        dot = np.sum(r.dx * r.values["xhat"], axis=0)
        size = np.abs(gamma * dout).max(axis=0) / np.sqrt(r.values["var"].ravel() + eps)
        if zero:
            np.testing.assert_allclose(dot, 0.0, atol=1e-12 * x.shape[0] ** 2 * size.max())
        else:
            expected = eps * (r.values["var"].ravel() + eps) ** -1.5 * np.sum(gamma * dout * r.values["xhat"],
                                                                               axis=0)
            np.testing.assert_allclose(dot, expected, rtol=1e-9, atol=1e-13)
