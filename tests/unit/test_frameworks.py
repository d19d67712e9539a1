"""Framework conventions (bnviz.ops.frameworks) against PyTorch's BatchNorm1d and the Keras,
cs231n and Caffe rules transcribed independently in tests/oracles/bn_frameworks.py (float64, 1e-12)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest
import torch

from bnviz.i18n import InputError
from bnviz.ops import frameworks as FW

ORACLE = Path(__file__).parents[1] / "oracles" / "bn_frameworks.py"
_spec = importlib.util.spec_from_file_location("bn_frameworks", ORACLE)
oracle = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(oracle)

TOL = 1e-12


def torch_running(batches, momentum):
    bn = torch.nn.BatchNorm1d(batches[0].shape[1], momentum=momentum, dtype=torch.float64)
    bn.train()
    means, variances = [], []
    for b in batches:
        bn(torch.tensor(b))
        means.append(bn.running_mean.numpy().copy())
        variances.append(bn.running_var.numpy().copy())
    return np.array(means), np.array(variances)


def reference(framework, batches, momentum):
    return {"pytorch": torch_running, "keras": oracle.keras, "cs231n": oracle.cs231n,
            "caffe": oracle.caffe}[framework](batches, momentum)


def from_convention(framework, batches, momentum):
    """The running statistics the Convention record describes, simulated from its fields alone."""
    c = FW.CONVENTIONS[framework]
    old = 1 - momentum if c.weights_new else momentum
    d = batches[0].shape[1]
    means, variances = [], []
    if c.scale_factor:
        s, sm, sv = 0.0, np.zeros(d), np.zeros(d)
    else:
        rm, rv = np.full(d, c.initial_mean), np.full(d, c.initial_var)
    for b in batches:
        m = b.shape[0]
        var = b.var(axis=0) * (m / (m - 1) if c.unbiased_var and m > 1 else 1.0)
        if c.scale_factor:
            s, sm, sv = old * s + 1, old * sm + b.mean(axis=0), old * sv + var
            means.append(sm / s)
            variances.append(sv / s)
        else:
            rm, rv = old * rm + (1 - old) * b.mean(axis=0), old * rv + (1 - old) * var
            means.append(rm.copy())
            variances.append(rv.copy())
    return np.array(means), np.array(variances)


def batches(seed=0, k=12, m=5, d=3):
    rng = np.random.default_rng(seed)
    return [2.0 + 1.5 * rng.standard_normal((m, d)) for _ in range(k)]


@pytest.mark.parametrize("framework", FW.FRAMEWORKS)
@pytest.mark.parametrize("momentum", [None, 0.3, 0.75])
def test_each_convention_reproduces_its_framework(framework, momentum):
    momentum = FW.CONVENTIONS[framework].momentum if momentum is None else momentum
    bs = batches(1)
    for ours, ref in zip(from_convention(framework, bs, momentum), reference(framework, bs, momentum), strict=True):
        np.testing.assert_allclose(ours, ref, rtol=0, atol=TOL)


def test_pytorch_defaults_are_torchs():
    bn = torch.nn.BatchNorm1d(3)
    c = FW.CONVENTIONS["pytorch"]
    assert (c.momentum, c.eps) == (bn.momentum, bn.eps)
    assert np.all(bn.running_mean.numpy() == c.initial_mean) and np.all(bn.running_var.numpy() == c.initial_var)


@pytest.mark.parametrize("source", FW.FRAMEWORKS)
def test_converted_settings_give_the_same_running_mean(source):
    """Same weight of the old value: the running means agree (Caffe's once λᴷ is negligible)."""
    bs = batches(2, k=80)
    momentum = {"pytorch": 0.4, "keras": 0.6, "cs231n": 0.6, "caffe": 0.6}[source]
    eq = {e.framework: e for e in FW.convert(source, momentum, 1e-3)}
    assert all(e.eps == 1e-3 for e in eq.values())
    assert eq[source].momentum == pytest.approx(momentum, abs=1e-15) and eq[source].differences == ()
    means = {fw: reference(fw, bs, e.momentum)[0] for fw, e in eq.items()}
    for fw in FW.FRAMEWORKS:
        np.testing.assert_allclose(means[fw][-1], means[source][-1], rtol=0, atol=TOL)


def test_what_cannot_be_made_equal_is_what_differs():
    bs = batches(3, k=10, m=4)
    lam = 0.9
    eq = {e.framework: e for e in FW.convert("keras", lam, 1e-3)}
    var = {fw: reference(fw, bs, e.momentum)[1] for fw, e in eq.items()}
    # keras vs pytorch: only the Bessel factor (both start at 1)
    assert eq["pytorch"].differences == ("practice.diff.bessel",)
    lk = lam ** np.arange(1, 11)[:, None]
    np.testing.assert_allclose(var["pytorch"] - lk, 4 / 3 * (var["keras"] - lk), rtol=0, atol=TOL)
    # keras vs cs231n: only the initial variance (1 vs 0), off by λᴷ
    assert eq["cs231n"].differences == ("practice.diff.initial",)
    np.testing.assert_allclose(var["keras"] - var["cs231n"], np.broadcast_to(lk, var["keras"].shape), rtol=0, atol=TOL)
    # caffe: Bessel and the scale factor
    assert set(eq["caffe"].differences) == {"practice.diff.bessel", "practice.diff.scale_factor"}
    assert np.abs(var["caffe"][-1] - var["keras"][-1]).max() > 1e-3


def test_momentum_direction_flips_for_pytorch():
    eq = {e.framework: e.momentum for e in FW.convert("pytorch", 0.1, 1e-5)}
    assert eq == {"pytorch": 0.1, "keras": 0.9, "cs231n": 0.9, "caffe": 0.9}
    keras = next(e for e in FW.convert("pytorch", 0.1, 1e-5) if e.framework == "keras")
    assert keras.differences == ("practice.diff.bessel", "practice.diff.keras_fused")


@pytest.mark.parametrize(("fw", "momentum", "eps"), [("mxnet", 0.9, 1e-5), ("keras", 1.5, 1e-5),
                                                      ("keras", -0.1, 1e-5), ("caffe", 0.9, -1.0)])
def test_bad_settings_are_input_errors(fw, momentum, eps):
    with pytest.raises(InputError):
        FW.convert(fw, momentum, eps)


@pytest.mark.parametrize("framework", FW.FRAMEWORKS)
def test_running_statistics_follow_each_framework(framework):
    bs = batches(4, k=9, m=6)
    momentum = {"pytorch": 0.2, "keras": 0.8, "cs231n": 0.7, "caffe": 0.95}[framework]
    for ours, ref in zip(FW.running(framework, np.array(bs), momentum), reference(framework, bs, momentum),
                         strict=True):
        np.testing.assert_allclose(ours, ref, rtol=0, atol=TOL)


def test_agreement_of_translated_settings():
    bs = np.array(batches(5, k=200, m=5))
    runs = FW.agreement("pytorch", 0.1, bs)
    for fw in FW.FRAMEWORKS:  # λ = 0.9, λ^200 ≈ 7e-10 · mean: Caffe's normalised average has caught up
        np.testing.assert_allclose(runs[fw][0][-1], runs["pytorch"][0][-1], rtol=0, atol=1e-8)
    np.testing.assert_allclose(runs["keras"][1], runs["cs231n"][1] + 0.9 ** np.arange(1, 201)[:, None], rtol=0,
                               atol=TOL)
    np.testing.assert_allclose(runs["pytorch"][1][-1], 5 / 4 * runs["keras"][1][-1], rtol=0, atol=1e-8)


def test_caffe_with_lambda_one_is_pytorchs_cumulative_average():
    """The scale_factor sentence: Caffe at λ = 1 is PyTorch's momentum=None (after the first batch,
    whose (0, 1) start PyTorch's cumulative average forgets)."""
    bs = batches(6, k=7, m=4)
    bn = torch.nn.BatchNorm1d(3, momentum=None, dtype=torch.float64)
    means, variances = [], []
    for b in bs:
        bn(torch.tensor(b))
        means.append(bn.running_mean.numpy().copy())
        variances.append(bn.running_var.numpy().copy())
    cm, cv = oracle.caffe(bs, 1.0)
    np.testing.assert_allclose(np.array(means), cm, rtol=0, atol=TOL)
    np.testing.assert_allclose(np.array(variances), cv, rtol=0, atol=TOL)
