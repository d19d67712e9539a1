"""The bug zoo: every number recomputed in PyTorch (tests/oracles/torch_bugzoo.py), the formulas, the
steps' code, the figures and the catalog."""

from __future__ import annotations

import re

import numpy as np
import plotly.graph_objs as go
import pytest

from bnviz.figures import bugzoo as zfig
from bnviz.figures.palette import HIGHLIGHT
from bnviz.i18n import InputError, catalog
from bnviz.lessons import bugzoo as lesson
from bnviz.nets import batch_indices, bugs, digits
from bnviz.settings import Settings
from tests.oracles import torch_bugzoo as T

TOL = 1e-10


@pytest.fixture(scope="module")
def net():
    return bugs.base(0)


@pytest.fixture(scope="module")
def oracle(net):
    return T.Net(dict(net.params), dict(net.running), net.cfg.eps)


@pytest.fixture(scope="module")
def data():
    return digits()


def shuffled_order(n: int, seed: int) -> np.ndarray:
    """The documented validation order: ``default_rng(seed + 3).permutation(n)``."""
    return np.random.default_rng(seed + 3).permutation(n)


def rms_gap(means, mu_run) -> np.ndarray:
    return np.array([np.sqrt(np.mean((m - mu_run) ** 2)) for m in means])


def test_the_patient_is_a_trained_network(net, oracle, data):
    assert T.accuracy(oracle, data.x_val, data.y_val, 360) > 0.9


def test_forgotten_eval_against_torch(net, oracle, data):
    res = bugs.forgotten_eval(net, data)
    x, y = data.x_val, data.y_val
    mix, srt = shuffled_order(len(y), 0), np.argsort(y, kind="stable")
    assert res["acc_eval"] == T.accuracy(oracle, x, y, 360)
    assert res["acc_shuffled"] == T.accuracy(oracle, x[mix], y[mix], bugs.EVAL_BATCH, None)
    assert res["acc_sorted"] == T.accuracy(oracle, x[srt], y[srt], bugs.EVAL_BATCH, None)
    mu_run = net.running["mean1"]
    np.testing.assert_allclose(res["gap_sorted"], rms_gap(T.batch_means(oracle, x[srt], 40), mu_run), atol=TOL)
    np.testing.assert_allclose(res["gap_shuffled"], rms_gap(T.batch_means(oracle, x[mix], 40), mu_run), atol=TOL)
    # the symptom: sorted batches in training mode lose much accuracy
    assert res["acc_sorted"] < res["acc_eval"] - 0.3


def test_batch_one_against_torch(net, oracle, data):
    res = bugs.batch_one(net, data)
    a = 0
    b = int(np.flatnonzero(data.y_val != data.y_val[0])[0])
    sa, xhat_a, norms = T.one_sample(oracle, data.x_val[a], data.y_val[a])
    sb, _, _ = T.one_sample(oracle, data.x_val[b], data.y_val[b])
    np.testing.assert_allclose(res["scores_a"], sa, atol=TOL)
    np.testing.assert_allclose(res["scores_b"], sb, atol=TOL)
    np.testing.assert_allclose(res["xhat1"], xhat_a, atol=TOL)
    np.testing.assert_allclose(res["grad_norms"], norms, atol=TOL)
    np.testing.assert_allclose(res["z1"], data.x_val[a] @ net.params["W1"], atol=TOL)
    assert np.all(res["var1"] == 0) and np.all(res["xhat1"] == 0) and np.abs(xhat_a).max() < 1e-12
    np.testing.assert_allclose(sa, sb, atol=TOL)  # every input, the same scores
    assert norms[0] < 1e-10 and norms[1] < 1e-10 and norms[2] > 0.1
    assert res["grad_norms"][0] == 0 and res["grad_norms"][1] == 0
    assert res["acc_batch1"] == T.accuracy(oracle, data.x_val, data.y_val, 1, None)


def test_the_quoted_message_is_pytorchs():
    assert T.torch_refusal(1, 100) == lesson.TORCH_ERROR
    for lang in ("en", "zh"):
        walk = lesson.walkthrough(Settings(), lang)
        assert f"“{lesson.TORCH_ERROR}”" in walk.steps[walk.index("batch1.symptom")].note


def test_test_batch_sizes_against_torch(net, oracle, data):
    res = bugs.test_batch_sizes(net, data)
    mix = shuffled_order(360, 0)
    x, y = data.x_val[mix], data.y_val[mix]
    assert res["acc_eval"] == T.accuracy(oracle, x, y, 360)
    for n, b in enumerate(bugs.TEST_BATCHES):
        assert 360 % b == 0
        assert res["acc_train"][n] == T.accuracy(oracle, x, y, b, None), b
        gaps = rms_gap(T.batch_means(oracle, x, b), net.running["mean1"])
        assert abs(res["spread"][n] - np.sqrt(np.mean(gaps ** 2))) < TOL
    assert res["acc_train"][0] < 0.2 < 0.9 < res["acc_train"][-1]
    assert np.all(np.diff(res["spread"]) < 0)  # the mean's noise falls with the batch size


def test_fine_tune_against_torch(net, oracle, data):
    res = bugs.fine_tune(net, data)
    a, c = bugs.SHIFT
    xt, xv = a * data.x_train + c, a * data.x_val + c
    order = batch_indices(len(data.y_train), bugs.FT_BATCH, bugs.FT_STEPS, 4)
    assert res["acc_before"] == T.accuracy(oracle, xv, data.y_val, 360)
    for n, mode in enumerate(bugs.FT_MODES):
        fit, test, running = T.fine_tune(oracle, xt, data.y_train, order, bugs.FT_LR, mode, net.cfg.momentum,
                                         xv, data.y_val)
        assert abs(res["acc_fit"][n] - fit) < TOL, mode
        assert res["acc_test"][n] == test, mode
        if mode == "updating":
            mu_new = (xt @ net.params["W1"]).mean(axis=0)
            assert abs(res["gap_after"] - np.sqrt(np.mean((mu_new - running["mean1"].numpy()) ** 2))) < TOL
    # the mismatch fits the training batches and fails the test; both consistent ways do not
    frozen, updating, mismatch = res["acc_test"]
    assert res["acc_fit"][2] > 0.9 and mismatch < 0.7 < frozen and mismatch < updating


@pytest.mark.parametrize("p", [0.5, 0.8])
def test_dropout_shift_against_torch(net, oracle, data, p):
    res = bugs.dropout_shift(net, p, data)
    order = batch_indices(len(data.y_train), 50, bugs.DROPOUT_STEPS, 5)
    masks = np.random.default_rng(5).random((bugs.DROPOUT_STEPS, 50, 100)) >= p  # the documented draw
    q = 1 - p
    with_drop = T.dropout_running(oracle, data.x_train, order, masks, q, net.cfg.momentum)
    without = T.dropout_running(oracle, data.x_train, order, None, q, net.cfg.momentum)
    var_test = T.test_variance(oracle, data.x_val)
    np.testing.assert_allclose(res["var_run"], with_drop["var2"].numpy(), rtol=TOL, atol=TOL)
    np.testing.assert_allclose(res["var_test"], var_test, rtol=TOL, atol=TOL)
    assert abs(res["ratio"] - np.mean(with_drop["var2"].numpy() / var_test)) < TOL
    for name, running in (("base", "trained"), ("dropout", with_drop), ("fixed", without)):
        r = oracle.running if running == "trained" else running
        assert res[f"acc_{name}"] == T.accuracy(oracle, data.x_val, data.y_val, 360, r), name
        assert abs(res[f"loss_{name}"] - T.loss(oracle, data.x_val, data.y_val, r)) < TOL, name
    # the variance shift: σ²_run is larger than the test variance, roughly by Var(h̃)/Var(h)
    assert res["ratio"] > 1.2 and res["xhat_var"] < 0.85
    assert res["loss_dropout"] > res["loss_fixed"]


@pytest.mark.parametrize("p", [0.0, 0.95, float("nan"), "0.5"])
def test_dropout_rate_out_of_range_is_an_input_error(p):
    with pytest.raises(InputError) as err:
        lesson.walkthrough(Settings(), "en", dropout=p)
    assert err.value.key == "error.nets.range"


def test_formulas_are_derived():
    f = lesson.formulas()
    assert set(f) == {f"{b}.{p}" for b in lesson.BUGS for p in lesson.PARTS}
    assert r"\sigma^{2} = 0" in f["batch1.cause"]
    assert r"{\hat{x}}_{1} = 0" in f["batch1.cause"]
    assert r"{y}_{1} = \beta" in f["batch1.cause"]
    assert f["batch1.cause"][-1].endswith("= 0")  # ∂y₁/∂x₁ = 0
    assert r"\frac{\sigma^{2}}{m}" in f["test_batch.cause"][0]
    assert r"\frac{\mathrm{E}[h^{2}]}{q}" in f["dropout.cause"][0]
    assert r"\mu_{\mathrm{run}}" in f["eval.fix"][0] and r"\mu_{\mathrm{run}}" not in f["eval.cause"][1]


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_walkthrough_code_recomputes_the_values(lang):
    walk = lesson.walkthrough(Settings(), lang)
    assert [s.key for s in walk.steps] == [f"{b}.{p}" for b in lesson.BUGS for p in lesson.PARTS]
    env: dict = {}
    exec(walk.setup, env)  # noqa: S102 - the lesson's own generated code
    for step in walk.steps:
        exec(step.code, env)  # noqa: S102
        for vid, v in step.values.items():
            np.testing.assert_allclose(np.asarray(env[vid], dtype=float), v, atol=TOL, err_msg=f"{step.key}:{vid}")
            assert walk.label(vid) != vid
        assert step.note and step.title and "{" not in step.note


def test_notes_quote_the_numbers():
    walk = lesson.walkthrough(Settings(), "en")
    note = walk.steps[walk.index("eval.symptom")].note
    res = bugs.forgotten_eval(bugs.base(0))
    assert f"{float(res['acc_sorted']):.1%}" in note
    assert lesson.TORCH_ERROR in walk.steps[walk.index("batch1.symptom")].note


def test_catalog_keys_have_both_languages_and_the_same_fields():
    keys = [k for k in catalog() if k.startswith(("page.bugzoo", "step.bugzoo"))]
    assert len(keys) > 40
    for k in keys:
        fields = [set(re.findall(r"\{(\w+)\}", catalog()[k][lang])) for lang in ("en", "zh")]
        assert fields[0] == fields[1], k


def test_figures_are_valid_plotly():
    res = bugs.test_batch_sizes(bugs.base(0))
    fig = zfig.test_batch_figure(res["batches"], res["acc_train"], float(res["acc_eval"]), lesson.figure_texts("zh"))
    go.Figure(fig)
    assert fig["data"][0]["y"] == res["acc_train"].tolist()
    for where in lesson.GRAPH.values():
        drawn = zfig.bug_graph(*where)
        go.Figure(drawn)
        nodes = drawn["data"][-1]
        assert nodes["marker"]["color"][nodes["text"].index({"mu": "μ", "var": "σ²", "mu_run": "μ_run",
                                                               "var_run": "σ²_run"}[where[1]])] == HIGHLIGHT
