"""The normalization family (bnviz.ops.family, testmode, running, renorm, layernorm; their lessons).

References are independent of the code under test:

* PyTorch in float64: BatchNorm1d/2d in train and eval mode (running statistics
  included), F.layer_norm, F.group_norm, F.instance_norm, and Batch Renorm written
  out in torch with ``.detach()`` for r and d; forward and every gradient to 1e-10;
* Caffe's BatchNorm update rules transcribed here from its C++ (blobs, axpby,
  the m/(m−1) bias correction, the scale factor) and cs231n's from its Python;
* centred finite differences of Batch Renorm's loss with r and d held constant.
"""

from __future__ import annotations

import functools

import numpy as np
import plotly.graph_objs as go
import pytest
import sympy as sp
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from bnviz.figures import norms as nf
from bnviz.i18n import InputError, catalog
from bnviz.lessons import axes, renorm, train_test
from bnviz.lessons import graph as graph_lesson
from bnviz.ops import bn, family, layernorm, running, testmode
from bnviz.ops import renorm as rn_ops
from bnviz.settings import Settings
from bnviz.symbolic import printing as P
from bnviz.symbolic import symbols as S
from bnviz.symbolic.derivation import evaluate
from tests.oracles.finite_diff import central_diff

TOL = 1e-10
FD_H = 1e-5

SETTINGS = [
    Settings(),
    Settings(m=5, d=2, gamma=1.5, beta=-0.5, dist="skewed", seed=3),
    Settings(m=1, d=1, upstream="ones"),
    Settings(dist="custom", x_text="1, 2\n1, 3\n1, 4", upstream="custom", dout_text="1, 0\n0, 1\n-1, 1", eps=1e-3),
    Settings(m=16, d=4, dist="shifted", seed=11, eps=0.1, gamma=-0.7, beta=2.0),
]


# ------------------------------------------------------------------ helpers --


def t64(a, grad: bool = False) -> torch.Tensor:
    return torch.tensor(np.asarray(a, dtype=float), dtype=torch.float64, requires_grad=grad)


def close(got, expected, what: str = "", tol: float = TOL) -> None:
    got, expected = np.asarray(got, dtype=float), np.asarray(expected, dtype=float)
    assert got.shape == expected.shape, f"{what}: shape {got.shape} != {expected.shape}"
    np.testing.assert_allclose(got, expected, rtol=tol, atol=tol, err_msg=what)


def torch_reference(fn, x, gamma, beta, dout) -> dict[str, np.ndarray]:
    """y = fn(x, γ, β) and the autograd gradients of L = Σ dout·y."""
    tx, tg, tb = t64(x, True), t64(gamma, True), t64(beta, True)
    y = fn(tx, tg, tb)
    (t64(dout) * y).sum().backward()
    return {"y": y.detach().numpy(), "dx": tx.grad.numpy(), "dgamma": tg.grad.numpy(), "dbeta": tb.grad.numpy()}


def problem(shape, seed, scale=1.0, shift=0.0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=shape) * scale + shift
    c = shape[1]
    return x, rng.normal(size=c) * 1.5, rng.normal(size=c), rng.normal(size=shape)


def check_run(run: family.NormRun, ref: dict, what: str) -> None:
    close(run.y, ref["y"], f"{what}: y")
    close(run.dx, ref["dx"], f"{what}: dx")
    close(run.dgamma, ref["dgamma"], f"{what}: dgamma")
    close(run.dbeta, ref["dbeta"], f"{what}: dbeta")
    close(sum(run.path(p) for p in bn.PATHS), run.dx, f"{what}: paths add up")


SHAPES_2D = [(2, 1), (5, 3), (16, 4), (33, 2)]
SHAPES_4D = [(2, 3, 2, 2), (1, 4, 3, 3), (4, 2, 1, 5), (3, 6, 2, 3)]
EPS = [1e-5, 1e-3, 0.1]


# ======================================================== training mode vs PyTorch


@pytest.mark.parametrize("shape", SHAPES_2D + SHAPES_4D, ids=str)
@pytest.mark.parametrize("eps", EPS)
def test_batch_norm_train_matches_torch_batchnorm_1d_2d(shape, eps):
    """kind "batch": per feature (2-D) or per channel over N·H·W (4-D), as BatchNorm1d/2d."""
    x, gamma, beta, dout = problem(shape, len(shape) + int(1 / eps), scale=2.0, shift=1.0)
    if shape[0] * int(np.prod(shape[2:])) < 2:
        pytest.fail("a test case needs at least two values per channel")
    ref = torch_reference(lambda a, g, b: F.batch_norm(a, None, None, g, b, training=True, eps=eps),
                          x, gamma, beta, dout)
    run = family.norm_run(x, gamma, beta, dout, eps, "batch")
    check_run(run, ref, f"batch {shape}")
    mod = torch.nn.BatchNorm1d(shape[1], eps=eps, dtype=torch.float64) if len(shape) == 2 else \
        torch.nn.BatchNorm2d(shape[1], eps=eps, dtype=torch.float64)
    with torch.no_grad():
        mod.weight.copy_(t64(gamma))
        mod.bias.copy_(t64(beta))
        close(run.y, mod.train()(t64(x)).numpy(), "module forward")


@pytest.mark.parametrize("shape", SHAPES_4D, ids=str)
def test_fully_connected_bn_of_a_tensor_is_batchnorm1d_of_its_flattened_features(shape):
    x, gamma, beta, dout = problem(shape, 7)
    n, c = shape[0], shape[1]
    if n < 2:
        x, dout = np.concatenate([x, x[::-1] * 0.5 + 1]), np.concatenate([dout, dout])
        n = 2
    spatial = int(np.prod(shape[2:]))
    g_flat, b_flat = np.repeat(gamma, spatial), np.repeat(beta, spatial)
    ref = torch_reference(lambda a, g, b: F.batch_norm(a.reshape(n, -1), None, None, g, b, training=True,
                                                       eps=1e-5).reshape(a.shape),
                          x, g_flat, b_flat, dout)
    run = family.norm_run(x, gamma, beta, dout, 1e-5, "feature")
    close(run.y, ref["y"], "y")
    close(run.dx, ref["dx"], "dx")
    close(run.dgamma, ref["dgamma"].reshape(c, spatial).sum(axis=1), "dgamma per channel")
    close(run.dbeta, ref["dbeta"].reshape(c, spatial).sum(axis=1), "dbeta per channel")


@pytest.mark.parametrize("shape", SHAPES_2D[1:] + SHAPES_4D, ids=str)
@pytest.mark.parametrize("eps", EPS)
def test_layer_norm_matches_torch(shape, eps):
    """2-D: F.layer_norm over the features with γ, β per feature; 4-D: per sample over (C, H, W)
    with γ, β per channel, which is F.group_norm with one group."""
    x, gamma, beta, dout = problem(shape, 3, scale=1.5)
    if len(shape) == 2:
        fn = lambda a, g, b: F.layer_norm(a, (shape[1],), g, b, eps=eps)  # noqa: E731
    else:
        fn = lambda a, g, b: F.group_norm(a, 1, g, b, eps=eps)  # noqa: E731
    check_run(family.norm_run(x, gamma, beta, dout, eps, "layer"), torch_reference(fn, x, gamma, beta, dout),
              f"layer {shape}")


@pytest.mark.parametrize("shape", SHAPES_4D, ids=str)
def test_layer_norm_4d_equals_f_layer_norm_with_elementwise_affine_from_channels(shape):
    x, gamma, beta, dout = problem(shape, 5)
    spatial = shape[2:]
    g_full = np.broadcast_to(gamma[:, None, None], (shape[1], *spatial))
    b_full = np.broadcast_to(beta[:, None, None], (shape[1], *spatial))
    ref = torch_reference(lambda a, g, b: F.layer_norm(a, tuple(shape[1:]), g, b, eps=1e-5), x, g_full, b_full, dout)
    run = family.norm_run(x, gamma, beta, dout, 1e-5, "layer")
    close(run.y, ref["y"], "y")
    close(run.dx, ref["dx"], "dx")
    close(run.dgamma, ref["dgamma"].sum(axis=(1, 2)), "dgamma")


@pytest.mark.parametrize("shape,groups", [((2, 4, 2, 2), 2), ((3, 6, 2, 3), 3), ((3, 6, 2, 3), 6), ((2, 4, 3, 3), 1),
                                          ((4, 8, 1, 2), 4), ((5, 6), 2), ((5, 6), 3)], ids=str)
@pytest.mark.parametrize("eps", EPS)
def test_group_norm_matches_torch(shape, groups, eps):
    x, gamma, beta, dout = problem(shape, groups, scale=0.7, shift=-1.0)
    ref = torch_reference(lambda a, g, b: F.group_norm(a, groups, g, b, eps=eps), x, gamma, beta, dout)
    check_run(family.norm_run(x, gamma, beta, dout, eps, "group", groups), ref, f"group {shape}/{groups}")


@pytest.mark.parametrize("shape", [s for s in SHAPES_4D if np.prod(s[2:]) > 1], ids=str)
@pytest.mark.parametrize("eps", EPS)
def test_instance_norm_matches_torch(shape, eps):
    x, gamma, beta, dout = problem(shape, 9, scale=3.0)
    ref = torch_reference(lambda a, g, b: F.instance_norm(a, weight=g, bias=b, eps=eps), x, gamma, beta, dout)
    check_run(family.norm_run(x, gamma, beta, dout, eps, "instance"), ref, f"instance {shape}")


def test_group_norm_with_one_group_is_layer_norm_and_with_c_groups_instance_norm():
    x, gamma, beta, dout = problem((3, 4, 2, 2), 1)
    one = family.norm_run(x, gamma, beta, dout, 1e-5, "group", 1)
    every = family.norm_run(x, gamma, beta, dout, 1e-5, "group", 4)
    close(one.dx, family.norm_run(x, gamma, beta, dout, 1e-5, "layer").dx)
    close(every.dx, family.norm_run(x, gamma, beta, dout, 1e-5, "instance").dx)


# ============================================================ test mode vs PyTorch


@pytest.mark.parametrize("shape", [(6, 3), (2, 1), (2, 3, 2, 2), (1, 4, 3, 1)], ids=str)
@pytest.mark.parametrize("eps", [1e-5, 0.1])
def test_test_mode_matches_torch_eval(shape, eps):
    """F.batch_norm(training=False) and BatchNorm1d/2d in eval(): forward, dx = γ·dout/√(σ²_run+ε), dγ, dβ."""
    x, gamma, beta, dout = problem(shape, 4)
    rng = np.random.default_rng(5)
    mean, var = rng.normal(size=shape[1]), rng.uniform(0.1, 3.0, size=shape[1])
    ref = torch_reference(lambda a, g, b: F.batch_norm(a, t64(mean), t64(var), g, b, training=False, eps=eps),
                          x, gamma, beta, dout)
    run = testmode.bn_test_run(x, gamma, beta, dout, eps, mean, var)
    close(run.y, ref["y"], "y")
    dx = run.layout.from_sets(run.bn.back.grads["x"])
    close(dx, ref["dx"], "dx")
    close(dx, gamma.reshape((1, -1) + (1,) * (len(shape) - 2)) * dout
          / np.sqrt(var.reshape((1, -1) + (1,) * (len(shape) - 2)) + eps), "closed form")
    lay = run.layout
    close(lay.channel_sum(lay.from_sets(run.bn.back.grads["gamma"])), ref["dgamma"], "dgamma")
    close(lay.channel_sum(lay.from_sets(run.bn.back.grads["beta"])), ref["dbeta"], "dbeta")
    mod = (torch.nn.BatchNorm1d if len(shape) == 2 else torch.nn.BatchNorm2d)(shape[1], eps=eps, dtype=torch.float64)
    with torch.no_grad():
        mod.weight.copy_(t64(gamma))
        mod.bias.copy_(t64(beta))
        mod.running_mean.copy_(t64(mean))
        mod.running_var.copy_(t64(var))
        close(run.y, mod.eval()(t64(x)).numpy(), "module in eval mode")


def test_test_mode_symbolic_dx_is_the_numbers():
    d = testmode.test_derivation()
    x, gamma, beta, dout = problem((7, 2), 8)
    mean, var = np.array([0.3, -1.0]), np.array([0.5, 2.0])
    run = testmode.bn_test_run(x, gamma, beta, dout, 1e-3, mean, var)
    sym = testmode.TEST_SYM
    for c in range(2):
        got = evaluate(d.expanded["x"], {sym["dout"]: dout[:, c], sym["gamma"]: gamma[c], sym["var_run"]: var[c],
                                           S.eps: 1e-3}, 7)
        close(got, run.bn.back.grads["x"][:, c], "dx derived")
    assert sym["mu_run"] not in d.expanded["x"].free_symbols  # the mean drops out of the gradient


# ====================================================== running statistics


def batches(k, n, c, seed, spatial=()):
    rng = np.random.default_rng(seed)
    return rng.normal(1.5, 2.0, size=(k, n, c, *spatial))


@pytest.mark.parametrize("momentum", [0.1, 0.5, 0.01, 1.0])
@pytest.mark.parametrize("spatial", [(), (2, 3)], ids=["1d", "2d"])
def test_pytorch_running_statistics_after_k_steps(momentum, spatial):
    bs = batches(12, 5, 3, 1, spatial)
    mod = (torch.nn.BatchNorm1d if not spatial else torch.nn.BatchNorm2d)(3, momentum=momentum, dtype=torch.float64)
    mod.train()
    for b in bs:
        mod(t64(b))
    means, variances, m = family.batch_statistics(bs)
    assert m == 5 * int(np.prod(spatial, dtype=int))
    trace = running.running_stats("pytorch", means, variances, m, momentum)
    close(trace.mean[-1], mod.running_mean.numpy(), "running mean")
    close(trace.var[-1], mod.running_var.numpy(), "running var (unbiased)")


def caffe_transcription(bs: np.ndarray, fraction: float) -> tuple[np.ndarray, np.ndarray]:
    """Caffe's BatchNormLayer::Forward_cpu in training, then its use_global_stats branch, transcribed.

    blobs_[0] (Σμ), blobs_[1] (Σσ²), blobs_[2] (s) start at 0; per batch:
    blobs_[2] = blobs_[2] * maf + 1; axpby(1, mean, maf, blobs_[0]);
    axpby(bias_correction_factor, variance, maf, blobs_[1]) with factor m/(m-1) if m > 1 else 1.
    Test: scale_factor = blobs_[2] == 0 ? 0 : 1 / blobs_[2]; mean = scale_factor * blobs_[0].
    """
    c = bs.shape[2]
    blob0, blob1, blob2 = np.zeros(c), np.zeros(c), 0.0
    for b in bs:
        num, chans = b.shape[0], b.shape[1]
        spatial_dim = b.size // (num * chans)
        flat = b.reshape(num, chans, spatial_dim)
        mean = flat.sum(axis=(0, 2)) / (num * spatial_dim)
        variance = ((flat - mean[None, :, None]) ** 2).sum(axis=(0, 2)) / (num * spatial_dim)
        blob2 = blob2 * fraction + 1
        blob0 = 1.0 * mean + fraction * blob0
        m = b.size // chans
        factor = m / (m - 1) if m > 1 else 1
        blob1 = factor * variance + fraction * blob1
    scale_factor = 0 if blob2 == 0 else 1 / blob2
    return scale_factor * blob0, scale_factor * blob1


@pytest.mark.parametrize("fraction", [0.999, 0.9, 0.5, 0.0])
@pytest.mark.parametrize("spatial", [(), (3, 2)], ids=["2d", "4d"])
@pytest.mark.parametrize("k", [1, 7])
def test_caffe_convention_against_a_transcription_of_its_update_rules(fraction, spatial, k):
    bs = batches(k, 4, 3, 2, spatial)
    means, variances, m = family.batch_statistics(bs)
    trace = running.running_stats("caffe", means, variances, m, fraction)
    mean, var = caffe_transcription(bs, fraction)
    close(trace.mean[-1], mean, "Caffe mean")
    close(trace.var[-1], var, "Caffe var")
    assert trace.state["s"][-1, 0] == pytest.approx(sum(fraction ** n for n in range(k)), rel=1e-14)


def test_caffe_with_a_batch_of_one_uses_factor_one_and_a_fresh_layer_reads_zero():
    bs = batches(3, 1, 2, 4)
    means, variances, m = family.batch_statistics(bs)
    trace = running.running_stats("caffe", means, variances, m, 0.9)
    close(trace.mean[-1], caffe_transcription(bs, 0.9)[0])
    assert np.all(trace.var == 0)  # one value per channel: σ²_B = 0 and the factor is 1
    assert np.all(running.caffe_scale(np.zeros(3)) == 0)


@pytest.mark.parametrize("momentum", [0.9, 0.0, 0.5])
def test_cs231n_convention_against_its_batchnorm_forward(momentum):
    bs = batches(9, 6, 4, 3)
    running_mean, running_var = np.zeros(4), np.zeros(4)  # bn_param.get('running_mean', np.zeros(D))
    for x in bs:
        sample_mean, sample_var = np.mean(x, axis=0), np.var(x, axis=0)
        running_mean = momentum * running_mean + (1 - momentum) * sample_mean
        running_var = momentum * running_var + (1 - momentum) * sample_var
    means, variances, m = family.batch_statistics(bs)
    trace = running.running_stats("cs231n", means, variances, m, momentum)
    close(trace.mean[-1], running_mean)
    close(trace.var[-1], running_var)


def test_cs231n_and_pytorch_means_agree_when_their_momenta_are_complementary():
    bs = batches(10, 5, 2, 6)
    means, variances, m = family.batch_statistics(bs)
    a = running.running_stats("cs231n", means, variances, m, 0.8)
    b = running.running_stats("pytorch", means, variances, m, 0.2)
    close(a.mean, b.mean)
    assert not np.allclose(a.var, b.var)  # init 0 vs 1, biased vs unbiased


def test_update_rules_are_sympy_and_print():
    rules = running.update_rules()
    assert set(rules) == set(running.CONVENTIONS)
    for conv, r in rules.items():
        for expr in r.values():
            assert isinstance(expr, sp.Basic)
            assert P.latex(expr)
        assert set(running.STATE[conv]) <= set(r)


def test_running_stats_reject_bad_input():
    means = np.zeros((2, 3))
    with pytest.raises(InputError) as err:
        running.running_stats("tensorflow", means, means, 4)
    assert err.value.key == "error.norms.convention"
    with pytest.raises(InputError) as err:
        running.running_stats("pytorch", means, means, 4, 1.5)
    assert err.value.key == "error.norms.rate"


# ========================================================== Batch Renorm


def brn_torch(x, gamma, beta, dout, eps, mu, sigma, rmax, dmax):
    """Batch Renorm in torch, r and d detached (stop-gradient), autograd for the gradients."""
    tx, tg, tb = t64(x, True), t64(gamma, True), t64(beta, True)
    mu_b = tx.mean(dim=0)
    sigma_b = torch.sqrt(tx.var(dim=0, unbiased=False) + eps)
    r = (sigma_b / t64(sigma)).clamp(1 / rmax, rmax).detach()
    d = ((mu_b - t64(mu)) / t64(sigma)).clamp(-dmax, dmax).detach()
    y = tg * ((tx - mu_b) / sigma_b * r + d) + tb
    (t64(dout) * y).sum().backward()
    return {"y": y.detach().numpy(), "dx": tx.grad.numpy(), "dgamma": tg.grad.numpy(), "dbeta": tb.grad.numpy(),
            "r": r.numpy(), "d": d.numpy()}


@pytest.mark.parametrize("rmax,dmax,mu,sigma", [(3.0, 5.0, 0.0, 1.0), (1.5, 0.5, 1.0, 2.0), (1.0, 0.0, 0.3, 0.7),
                                                (5.0, 5.0, -2.0, 0.2), (1.2, 3.0, 0.5, 1.0)])
@pytest.mark.parametrize("m", [2, 5, 13])
def test_renorm_matches_torch_with_detached_r_and_d(rmax, dmax, mu, sigma, m):
    x, gamma, beta, dout = problem((m, 3), m, scale=1.7, shift=0.4)
    ref = brn_torch(x, gamma, beta, dout, 1e-3, np.full(3, mu), np.full(3, sigma), rmax, dmax)
    run = rn_ops.renorm_run(x, gamma, beta, dout, 1e-3, mu, sigma, rmax, dmax, 0.05)
    close(run.r, ref["r"], "r")
    close(run.d, ref["d"], "d")
    close(run.values["y"], ref["y"], "y")
    close(run.dx, ref["dx"], "dx")
    close(run.back.grads["gamma"], ref["dgamma"], "dgamma")
    close(run.back.grads["beta"], ref["dbeta"], "dbeta")
    close(sum(run.path(p) for p in rn_ops.RN_PATHS), run.dx, "three paths add up")


def test_renorm_against_finite_differences_with_r_and_d_held_constant():
    x, gamma, beta, dout = problem((6, 2), 21)
    r, d = np.array([1.3, 0.7]), np.array([-0.4, 0.9])

    def loss(xv, g, b):
        mu_b = xv.mean(axis=0)
        sigma_b = np.sqrt(((xv - mu_b) ** 2).mean(axis=0) + 1e-3)
        return float((dout * (g * (r * (xv - mu_b) / sigma_b + d) + b)).sum())

    run = rn_ops.renorm_run(x, gamma, beta, dout, 1e-3, 0.0, 1.0, 3.0, 5.0, r=r, d=d)
    for name, arr, grad in (("x", x, run.dx), ("gamma", gamma, run.back.grads["gamma"]),
                            ("beta", beta, run.back.grads["beta"])):
        (fd,) = central_diff(lambda: loss(x, gamma, beta), [arr], FD_H)
        err = np.abs(fd - grad).max() / max(np.abs(grad).max(), 1e-12)
        assert err < 1e-7, f"d{name}: relative error {err:.2e} against finite differences"


@pytest.mark.parametrize("seed", range(4))
def test_renorm_with_r_1_d_0_is_batch_norm_exactly(seed):
    x, gamma, beta, dout = problem((7, 3), seed)
    plain = bn.bn_run(x, gamma, beta, dout, 1e-5)
    rn = rn_ops.renorm_run(x, gamma, beta, dout, 1e-5, 0.0, 1.0, 3.0, 5.0, r=1.0, d=0.0)
    np.testing.assert_array_equal(rn.values["xhat"], plain.values["xhat"])
    close(rn.dx, plain.dx, "dx", 1e-13)
    close(rn.back.grads["gamma"], plain.back.grads["gamma"].ravel(), "dgamma", 1e-13)
    # and when r_max = 1, d_max = 0 the clips force exactly that
    forced = rn_ops.renorm_run(x, gamma, beta, dout, 1e-5, 2.0, 5.0, 1.0, 0.0)
    assert np.all(forced.r == 1) and np.all(forced.d == 0)


def test_renorm_unclipped_training_output_is_the_inference_output():
    x, gamma, beta, dout = problem((8, 2), 3)
    mu, sigma = np.array([0.1, -0.2]), np.array([1.1, 0.9])
    run = rn_ops.renorm_run(x, gamma, beta, dout, 1e-5, mu, sigma, 10.0, 10.0)
    close(run.values["y"], rn_ops.renorm_inference(x, gamma, beta, mu, sigma), "train = inference", 1e-12)


def test_renorm_moving_updates():
    x, gamma, beta, dout = problem((8, 2), 3)
    run = rn_ops.renorm_run(x, gamma, beta, dout, 1e-5, 0.5, 2.0, 3.0, 5.0, alpha=0.1)
    close(run.mu_new, 0.5 + 0.1 * (x.mean(axis=0) - 0.5))
    close(run.sigma_new, 2.0 + 0.1 * (np.sqrt(x.var(axis=0) + 1e-5) - 2.0))


def test_renorm_derivation_reproduces_the_graph():
    """∂L/∂σ_B, ∂L/∂μ_B and the three path terms (Ioffe 2017), evaluated."""
    d = rn_ops.renorm_derivation()
    s, g = rn_ops.RN_SYM, rn_ops.RN_GRAD
    x, gamma, beta, dout = problem((9, 2), 30)
    run = rn_ops.renorm_run(x, gamma, beta, dout, 1e-3, 0.2, 1.3, 1.2, 0.3)
    v, gr = run.values, run.back.grads
    for c in range(2):
        vals = {s["x"]: x[:, c], s["dout"]: dout[:, c], s["gamma"]: gamma[c], s["r"]: run.r[c],
                s["mu"]: v["mu"][0, c], s["std"]: v["std"][0, c], s["var"]: v["var"][0, c], S.eps: 1e-3,
                g["xhat"]: gr["xhat"][:, c], g["std"]: gr["std"][0, c], g["var"]: gr["var"][0, c],
                g["mu"]: gr["mu"][0, c]}

        def ev(expr, vals=vals):
            used = {k: val for k, val in vals.items() if expr.has(k)}
            return evaluate(expr, used, 9)

        close(ev(d.expanded["std"]), gr["std"][0, c], "dstd")
        close(ev(d.expanded["mu"]), gr["mu"][0, c], "dmu")
        close(ev(d.expanded["x"]), gr["x"][:, c], "dx as three paths")
        for term, label in zip(d.expanded["x"].args, rn_ops.RN_PATHS, strict=True):
            close(np.broadcast_to(ev(term), (9,)), run.path(label)[:, c], f"path {label}")
    assert s["d"] not in d.expanded["x"].free_symbols  # d passes no gradient


@pytest.mark.parametrize("kwargs,key", [
    ({"rmax": 0.5}, "error.norms.rmax"), ({"rmax": float("nan")}, "error.norms.rmax"),
    ({"dmax": -0.1}, "error.norms.dmax"), ({"alpha": 1.5}, "error.norms.alpha"),
    ({"sigma_mov": 0.0}, "error.norms.sigma"), ({"sigma_mov": [1.0, -1.0]}, "error.norms.sigma"),
    ({"mu_mov": [1.0, 2.0, 3.0]}, "error.param_len"),
])
def test_renorm_rejects_bad_settings(kwargs, key):
    x, gamma, beta, dout = problem((4, 2), 0)
    args = {"mu_mov": 0.0, "sigma_mov": 1.0, "rmax": 3.0, "dmax": 5.0, "alpha": 0.01, **kwargs}
    with pytest.raises(InputError) as err:
        rn_ops.renorm_run(x, gamma, beta, dout, 1e-5, **args)
    assert err.value.key == key


def test_gap_experiment_brn_closes_the_gap_and_is_bn_without_room():
    e = rn_ops.gap_experiment(3.0, 5.0, 0.01, steps=120)
    for batches_ in ("iid", "noniid"):
        assert np.all(e.gaps[("brn", batches_)] < 0.2 * e.gaps[("bn", batches_)])
        assert np.all(np.diff(e.gaps[("bn", batches_)]) < 0)  # BN's gap shrinks as m grows
    assert np.all(e.gaps[("bn", "noniid")] > e.gaps[("bn", "iid")])
    same = rn_ops.gap_experiment(1.0, 0.0, 0.01, steps=120)
    for batches_ in ("iid", "noniid"):
        close(same.gaps[("brn", batches_)], same.gaps[("bn", batches_)])
        assert np.all(same.clipped[batches_] > 0.99)
    with pytest.raises(InputError):
        rn_ops.gap_experiment(0.9, 0.0, 0.01)


# ====================================================== layouts and errors


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(family.KINDS), st.integers(1, 4), st.sampled_from([1, 2, 3, 4, 6]), st.integers(1, 3),
       st.integers(1, 3), st.integers(1, 6), st.booleans())
def test_layout_round_trip_and_set_sizes(kind, n, c, h, w, groups, four_d):
    shape = (n, c, h, w) if four_d else (n, c)
    if kind == "instance" and not four_d:
        with pytest.raises(InputError):
            family.layout(shape, kind)
        return
    if kind == "group" and (groups > c or c % groups):
        with pytest.raises(InputError) as err:
            family.layout(shape, kind, groups)
        assert err.value.key == "error.norms.groups"
        return
    lay = family.layout(shape, kind, groups)
    a = np.arange(np.prod(shape), dtype=float).reshape(shape)
    np.testing.assert_array_equal(lay.from_sets(lay.to_sets(a)), a)
    assert lay.m * lay.sets == a.size
    idx = lay.set_index()
    assert np.all(np.bincount(idx.ravel(), minlength=lay.sets) == lay.m)
    expected_m = {"feature": n, "batch": n * (h * w if four_d else 1), "layer": a.size // n,
                  "instance": h * w, "group": a.size // (n * groups)}[kind]
    assert lay.m == expected_m


@pytest.mark.parametrize("shape", [(3,), (2, 3, 4), (1, 2, 3, 4, 5)], ids=str)
def test_wrong_rank_is_an_input_error(shape):
    with pytest.raises(InputError) as err:
        family.norm_run(np.ones(shape), 1.0, 0.0, np.ones(shape), 1e-5, "batch")
    assert err.value.key == "error.norms.rank"


def test_negative_running_variance_and_zero_with_eps_0_are_input_errors():
    x = np.ones((3, 2))
    with pytest.raises(InputError) as err:
        testmode.bn_test_run(x, 1.0, 0.0, x, 1e-5, 0.0, [1.0, -0.5])
    assert err.value.key == "error.norms.negative_var" and "-0.5" in err.value.message("en")
    with pytest.raises(InputError) as err:
        testmode.bn_test_run(x, 1.0, 0.0, x, 0.0, 0.0, 0.0)
    assert err.value.key == "error.norms.zero_var_eps0"


def test_every_error_key_has_a_sentence_in_both_languages():
    keys = [k for k in catalog() if k.startswith("error.norms.")]
    assert {"error.norms.rank", "error.norms.groups", "error.norms.negative_var", "error.norms.rmax"} <= set(keys)
    for k in keys:
        assert catalog()[k]["en"] and catalog()[k]["zh"]


# ====================================================== the LayerNorm graph


@pytest.mark.parametrize("s", SETTINGS[:2] + SETTINGS[4:], ids=lambda s: f"m{s.m}d{s.d}")
def test_ln_walkthrough_values_match_torch_layer_norm(s):
    w = graph_lesson.walkthrough(s, "en", norm="layer")
    p = graph_lesson.ln_problem(s)
    ref = torch_reference(lambda a, g, b: F.layer_norm(a, (p.d,), g, b, eps=p.eps), p.x, p.gamma, p.beta, p.dout)
    vals = {k: v for step in w.steps for k, v in step.values.items()}
    close(vals["y"].T, ref["y"], "y (shown on xᵀ)")
    close(vals["dx"].T, ref["dx"], "dx")
    close(vals["dx_closed"].T, ref["dx"], "closed form")
    close(vals["dgamma"][:, 0], ref["dgamma"], "dgamma per feature")
    close(vals["dbeta"][:, 0], ref["dbeta"], "dbeta per feature")
    close(sum(vals[f"dx_{p_}"] for p_ in bn.PATHS), vals["dx"], "paths")


def test_ln_formulas_are_bn_formulas_with_m_renamed_d():
    bn, ln = graph_lesson.formulas("batch"), graph_lesson.formulas("layer")
    for name in ("mu", "var", "xc", "std", "xhat", "dstd", "dvar", "dxc", "dmu", "dx"):
        for a, b in zip(bn[name][0], ln[name][0], strict=True):
            assert b == a.replace("{m}", "{D}").replace("^{m}", "^{D}"), name
    assert r"\sum_{j=1}^{D}" in ln["mu"][0][0] and r"{\gamma}_{i}" in ln["y"][0][0]
    assert r"\sum_{n=1}^{m}" in ln["dparams"][0][0]  # γ_i is shared by the m samples


def test_ln_derivation_closed_form_evaluates_to_torch():
    d = layernorm.ln_derivation()
    x, gamma, beta, dout = problem((4, 5), 12)
    ref = torch_reference(lambda a, g, b: F.layer_norm(a, (5,), g, b, eps=1e-5), x, gamma, beta, dout)
    sym = layernorm.LN_SYM
    for n in range(4):
        row = x[n]
        vals = {sym["x"]: row, sym["dout"]: dout[n], sym["gamma"]: gamma, sym["mu"]: row.mean(),
                sym["var"]: row.var(), S.eps: 1e-5}
        close(evaluate(d.dx_total, vals, 5), ref["dx"][n], f"sample {n}")


def test_ln_problem_checks_samples_not_features():
    s = Settings(dist="custom", x_text="1, 2\n1, 5", eps=0.0)  # a constant column is fine for LayerNorm
    p = graph_lesson.ln_problem(s)
    assert p.notes == ()
    with pytest.raises(InputError) as err:
        graph_lesson.ln_problem(Settings(dist="custom", x_text="1, 2\n3, 3\n4, 4", eps=0.0))
    assert err.value.key == "error.norms.ln_const_eps0" and "2, 3" in err.value.message("en")
    assert graph_lesson.ln_problem(Settings(d=1)).notes[0][0] == "step.ln.const_note"


# ====================================================== walkthroughs: code recomputes values

BUILDERS = {
    "graph-layer": lambda s, lang: graph_lesson.walkthrough(s, lang, norm="layer"),
    "train_test": train_test.walkthrough,
    "train_test-caffe-k3": lambda s, lang: train_test.walkthrough(s, lang, source="caffe", k=3),
    "train_test-custom": lambda s, lang: train_test.walkthrough(s, lang, source="custom", running_mean="1",
                                                                running_var="0.5"),
    "renorm": renorm.walkthrough,
    "renorm-clipped": lambda s, lang: renorm.walkthrough(s, lang, rmax=1.1, dmax=0.2, mu=1.0, sigma=3.0),
    **{f"axes-{k}": functools.partial(axes.walkthrough, norm=k, groups=2) for k in axes.KINDS},
}


@pytest.mark.parametrize("name", BUILDERS)
@pytest.mark.parametrize("s", SETTINGS, ids=lambda s: f"m{s.m}d{s.d}{s.dist}")
def test_every_steps_code_recomputes_its_values(name, s):
    w = BUILDERS[name](s, "en")
    ns: dict = {}
    exec(w.setup, ns)  # noqa: S102 - the walkthrough's own NumPy code, as the notebook runs it
    for step in w.steps:
        exec(step.code, ns)  # noqa: S102
        for key, value in step.values.items():
            assert key in ns, f"{step.key}: its code does not define {key}"
            got = np.asarray(ns[key], dtype=float)
            assert got.shape == value.shape, f"{step.key}: {key} has shape {got.shape}, the step shows {value.shape}"
            np.testing.assert_allclose(got, value, rtol=0, atol=1e-12, err_msg=f"{step.key}: {key}")


@pytest.mark.parametrize("name", BUILDERS)
def test_walkthroughs_in_both_languages_differ_only_in_words(name):
    en, zh = BUILDERS[name](SETTINGS[0], "en"), BUILDERS[name](SETTINGS[0], "zh")
    assert [s.key for s in en.steps] == [s.key for s in zh.steps]
    for a, b in zip(en.steps, zh.steps, strict=True):
        assert a.latex == b.latex and a.title != b.title and a.note != b.note
        assert all(np.array_equal(a.values[k], b.values[k]) for k in a.values)


def test_test_mode_walkthrough_code_recomputes_its_values():
    for shape in ((5, 3), (2, 3, 2, 2)):
        x, gamma, beta, dout = problem(shape, 1)
        w = train_test.test_walkthrough(x, dout, gamma, beta, 1e-5, 0.2, [1.0, 2.0, 3.0], None, "en")
        ns: dict = {}
        exec(w.setup, ns)  # noqa: S102
        for step in w.steps:
            exec(step.code, ns)  # noqa: S102
            for key, value in step.values.items():
                np.testing.assert_allclose(ns[key], value, rtol=0, atol=1e-12, err_msg=key)


def test_train_test_values_are_the_conventions():
    tt = train_test.compute(SETTINGS[0], k=5)
    close(tt.traces["pytorch"].mean, running.running_stats("pytorch", tt.mu_b, tt.var_b, 8).mean)
    close(tt.train.y, torch_reference(lambda a, g, b: F.batch_norm(a, None, None, g, b, training=True, eps=1e-5),
                                      tt.x, tt.gamma, tt.beta, tt.dout)["y"])
    assert tt.gaps["cs231n"][0] > tt.gaps["caffe"][0]  # cs231n starts from 0: its first estimates are far off


def test_axes_caffe_gemv_mean_is_the_channel_mean():
    w = axes.walkthrough(Settings(seed=4), "en", n=3, c=2, h=2, w=4)
    step = next(s for s in w.steps if s.key == "forward.caffe")
    mu = next(s for s in w.steps if s.key == "forward.mu").values["mu"]
    close(step.values["mu_caffe"], mu)
    assert step.values["num_by_chans"].shape == (3, 2)


@pytest.mark.parametrize("kwargs,key", [
    ({"norm": "group", "groups": 3, "c": 4}, "error.norms.groups"),
    ({"n": 0}, "error.norms.size"), ({"c": 9}, "error.norms.size"),
])
def test_axes_lesson_errors(kwargs, key):
    with pytest.raises(InputError) as err:
        axes.walkthrough(Settings(), "en", **kwargs)
    assert err.value.key == key


def test_train_test_and_renorm_errors():
    with pytest.raises(InputError) as err:
        train_test.walkthrough(Settings(), "en", source="custom", running_var="1, -2, 3")
    assert err.value.key == "error.norms.negative_var"
    with pytest.raises(InputError) as err:
        train_test.walkthrough(Settings(), "en", source="custom", running_mean="1, 2")
    assert err.value.key == "error.param_len"
    with pytest.raises(InputError) as err:
        renorm.walkthrough(Settings(), "en", rmax=0.9)
    assert err.value.key == "error.norms.rmax"


# ====================================================== figures


def test_figures_are_valid_plotly_and_carry_the_numbers():
    tt = train_test.compute(SETTINGS[0], k=6)
    names = train_test.NAMES
    labels = {"population": "p", "batch": "b", "step": "k", "mean": "m", "var": "v"}
    fig = nf.estimates_figure({c: tr.mean[:, 0] for c, tr in tt.traces.items()},
                              {c: tr.var[:, 0] for c, tr in tt.traces.items()}, names, tt.mu_b[:, 0], tt.var_b[:, 0],
                              2.0, 2.25, labels, "t")
    go.Figure(fig)
    lines = {tr["name"]: tr for tr in fig["data"] if "lines" in tr["mode"] and tr.get("yaxis") is None}
    close(lines["PyTorch"]["y"], tt.traces["pytorch"].mean[:, 0])
    close(lines["Keras/TensorFlow"]["y"], tt.traces["keras"].mean[:, 0])
    go.Figure(nf.gap_figure(tt.gaps, names, "t", "k", "gap"))
    e = rn_ops.gap_experiment(3.0, 5.0, 0.01, steps=60)
    fig = nf.experiment_figure(e.sizes, e.gaps, {k: "-".join(k) for k in e.gaps}, "t", "m", "gap")
    go.Figure(fig)
    assert [tr["x"] for tr in fig["data"]][0] == list(rn_ops.EXPERIMENT_SIZES)


@pytest.mark.parametrize("kind", family.KINDS)
@pytest.mark.parametrize("shape", [(2, 4, 3, 3), (3, 2, 1, 1), (2, 6)], ids=str)
def test_axes_picture_is_valid_and_colours_each_set(kind, shape):
    if kind == "instance" and len(shape) == 2:
        return
    lay = family.layout(shape, kind, 2)
    fig = nf.axes_figure(lay.set_index(), 1, "t", "n", "c")
    go.Figure(fig)
    top = np.array([[np.nan if v is None else v for v in row] for row in fig["data"][1]["z"]])
    assert np.nansum(top) == lay.m  # exactly the highlighted set's cells are drawn on top


@pytest.mark.parametrize("backward", [False, True])
def test_small_graph_diagrams_are_valid(backward):
    for structure, pos, labels, paths, constants, stopped in (
            (testmode.TEST_STRUCTURE, nf.TEST_POSITIONS, nf.TEST_LABELS, nf.TEST_PATHS, nf.TEST_CONSTANTS, set()),
            (rn_ops.RENORM_STRUCTURE, nf.RENORM_POSITIONS, nf.RENORM_LABELS, nf.RENORM_PATHS, {"dout"}, {"r", "d"})):
        fig = nf.diagram(structure.edges, pos, labels, "x", set(), backward, paths, constants, stopped=stopped)
        go.Figure(fig)
        assert set(pos) >= {n for e in structure.edges for n in e}
        heads = [(a["x"], a["y"]) for a in fig["layout"]["annotations"]]
        for leaf in (constants | stopped) - {"dout"} if backward else set():
            px, py = pos[leaf]
            assert all(np.hypot(hx - px, hy - py) > 0.2 for hx, hy in heads), f"gradient drawn into {leaf}"


@pytest.mark.parametrize("kind", family.KINDS)
def test_axes_table_names_the_cells_of_the_set(kind):
    ax = axes.compute(Settings(seed=2), norm=kind, groups=2, n=2, c=4, h=2, w=3)
    w = axes.build(ax, Settings(seed=2), "en", {"norm": kind})
    for column in (0, ax.layout.sets - 1):
        rows = axes.table(w.steps[0], column, w.labels, ax.layout)
        cells = [ax.tensor[n - 1, c - 1, h - 1, w_ - 1]
                 for n, c, h, w_ in zip(rows["n"], rows["c"], rows["h"], rows["w"], strict=True)]
        np.testing.assert_array_equal(rows["x"], cells)
        assert len(set(zip(rows["n"], rows["c"], rows["h"], rows["w"], strict=True))) == ax.layout.m
