"""Frameworks side by side in the train-vs-test lesson: Keras/TensorFlow beside cs231n, PyTorch and Caffe,
the differences table, the "translate my settings" box and ``stats --convention``.

Oracles: the rules transcribed from Keras's, cs231n's and Caffe's source in tests/oracles/bn_frameworks.py
(Keras 3 ``BatchNormalization``: moving = moving·momentum + batch·(1 − momentum), the biased variance of
``ops.moments``, initial (0, 1)), and torch.nn.BatchNorm1d's own buffers for PyTorch; 1e-12.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from bnviz import cli
from bnviz.i18n import t
from bnviz.lessons import frameworks_table as F
from bnviz.lessons import train_test as L
from bnviz.settings import Settings
from tests.oracles import bn_frameworks as O

TOL = 1e-12


def torch_running(batches: np.ndarray, momentum: float) -> tuple[np.ndarray, np.ndarray]:
    """torch.nn.BatchNorm1d's running_mean / running_var after each batch (K, D) (training mode)."""
    layer = torch.nn.BatchNorm1d(batches.shape[2], momentum=momentum, dtype=torch.float64)
    means, variances = [], []
    for b in batches:
        layer(torch.tensor(b))
        means.append(layer.running_mean.detach().numpy().copy())
        variances.append(layer.running_var.detach().numpy().copy())
    return np.array(means), np.array(variances)


@pytest.mark.parametrize("momentum", [0.99, 0.9, 0.5, 0.0, 1.0])
@pytest.mark.parametrize("m", [2, 8])
def test_keras_trace_is_kerass_rule(momentum: float, m: int):
    tt = L.compute(Settings(m=m, d=3, seed=4), k=40, momentum_keras=momentum)
    want_mean, want_var = O.keras(list(tt.batches), momentum)
    np.testing.assert_allclose(tt.traces["keras"].mean, want_mean, rtol=0, atol=TOL)
    np.testing.assert_allclose(tt.traces["keras"].var, want_var, rtol=0, atol=TOL)


def test_the_four_frameworks_side_by_side_against_their_own_rules():
    tt = L.compute(Settings(m=6, d=2, seed=1), k=25)
    assert list(tt.traces) == ["cs231n", "pytorch", "keras", "caffe"]
    b = list(tt.batches)
    pairs = {"cs231n": O.cs231n(b, 0.9), "keras": O.keras(b, 0.99), "caffe": O.caffe(b, 0.999),
             "pytorch": torch_running(tt.batches, 0.1)}
    for fw, (mean, var) in pairs.items():
        np.testing.assert_allclose(tt.traces[fw].mean, mean, rtol=0, atol=TOL, err_msg=fw)
        np.testing.assert_allclose(tt.traces[fw].var, var, rtol=0, atol=TOL, err_msg=fw)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_keras_step_code_recomputes_its_values(lang: str):
    walk = L.walkthrough(Settings(seed=2), lang, momentum_keras=0.95)
    env: dict = {}
    exec(walk.setup, env)  # noqa: S102 - the lesson's own generated code
    for step in walk.steps:
        exec(step.code, env)  # noqa: S102
        for vid, v in step.values.items():
            np.testing.assert_allclose(np.asarray(env[vid], dtype=float), v, atol=1e-10, err_msg=f"{step.key}:{vid}")
    keras = walk.steps[walk.index("forward.keras")]
    assert keras.title == t("step.train_test.keras.title", lang)
    assert r"\mathrm{momentum}" in keras.latex[0]
    assert "gap_keras" in walk.steps[walk.index("forward.gap")].values
    assert walk.label("gap_keras") == t("step.train_test.label.gap_keras", lang)


def test_framework_table_states_each_frameworks_bookkeeping():
    cols = F.framework_table("en")
    fw = cols[t("page.train_test.fw.col_framework", "en")]
    row = {name: {k: v[n] for k, v in cols.items()} for n, name in enumerate(fw)}
    keras, torch_row = row["Keras/TensorFlow"], row["PyTorch"]
    assert keras[t("page.train_test.fw.col_default", "en")] == "0.99"
    assert keras[t("page.train_test.fw.col_eps", "en")] == "0.001"
    assert keras[t("page.train_test.fw.col_variance", "en")] == t("page.train_test.fw.biased", "en")
    assert keras[t("page.train_test.fw.col_weights", "en")] == t("page.train_test.fw.old", "en")
    assert torch_row[t("page.train_test.fw.col_weights", "en")] == t("page.train_test.fw.new", "en")
    assert torch_row[t("page.train_test.fw.col_variance", "en")] == t("page.train_test.fw.unbiased", "en")
    assert row["Caffe"][t("page.train_test.fw.col_parameter", "en")] == "moving_average_fraction"
    assert len(F.framework_table("zh")) == len(cols)


@pytest.mark.parametrize(("source", "momentum", "old"), [("pytorch", 0.1, 0.9), ("keras", 0.99, 0.99),
                                                          ("cs231n", 0.7, 0.7), ("caffe", 0.95, 0.95)])
def test_translate_gives_each_framework_the_same_old_weight(source: str, momentum: float, old: float):
    tt = L.compute(Settings(m=8, d=2, seed=3), k=30)
    cols = F.translate(tt, source, momentum, 1e-3, 1, "en")
    col = {k: cols[t(f"page.train_test.fw.{k}", "en")] for k in ("col_framework", "col_momentum", "col_mean",
                                                                 "col_var", "col_differs", "col_eps_equal")}
    rates = dict(zip(col["col_framework"], col["col_momentum"], strict=True))
    assert float(rates["PyTorch"]) == pytest.approx(1 - old, abs=1e-15)
    for name in ("Keras/TensorFlow", "cs231n", "Caffe"):
        assert float(rates[name]) == pytest.approx(old, abs=1e-15)
    assert set(col["col_eps_equal"]) == {"0.001"}
    # the transcribed rules at those rates give the numbers shown
    b = list(tt.batches)
    want = {"Keras/TensorFlow": O.keras(b, old), "cs231n": O.cs231n(b, old), "Caffe": O.caffe(b, old),
            "PyTorch": torch_running(tt.batches, 1 - old)}
    for n, name in enumerate(col["col_framework"]):
        assert float(col["col_mean"][n]) == pytest.approx(want[name][0][-1, 1], rel=1e-5)
        assert float(col["col_var"][n]) == pytest.approx(want[name][1][-1, 1], rel=1e-5)
    # PyTorch and Keras start from the same (0, 1): translated, their means agree exactly
    np.testing.assert_allclose(want["PyTorch"][0], want["Keras/TensorFlow"][0], atol=TOL)
    me = col["col_framework"].index(L.NAMES[source] if source != "keras" else "Keras/TensorFlow")
    assert col["col_differs"][me] == t("page.train_test.fw.same", "en")


def test_translate_refuses_a_bad_momentum():
    tt = L.compute(Settings(), k=5)
    with pytest.raises(Exception) as err:
        F.translate(tt, "keras", 1.5, 1e-3, 0, "en")
    assert getattr(err.value, "key", "") == "error.practice.momentum"


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = cli.main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.mark.parametrize("fw", ["pytorch", "keras", "cs231n", "caffe"])
def test_stats_convention_prints_one_framework(capsys, fw: str):
    code, out, err = run(capsys, "stats", "--k", "12", "--m", "4", "--d", "2", "--seed", "5", "--convention", fw,
                         "--momentum-keras", "0.9", "--format", "json")
    assert code == 0 and err == ""
    conv = json.loads(out)["conventions"]
    assert list(conv) == [fw]
    batches = 2.0 + 1.5 * np.random.default_rng(5).standard_normal((12, 4, 2))  # the documented draw
    b = list(batches)
    want = {"keras": O.keras(b, 0.9), "cs231n": O.cs231n(b, 0.9), "caffe": O.caffe(b, 0.999),
            "pytorch": torch_running(batches, 0.1)}[fw]
    np.testing.assert_allclose(conv[fw]["mean"], want[0], rtol=0, atol=TOL)
    np.testing.assert_allclose(conv[fw]["var"], want[1], rtol=0, atol=TOL)


def test_stats_convention_text_and_a_bad_name(capsys):
    code, out, _ = run(capsys, "stats", "--k", "3", "--d", "1", "--convention", "keras")
    assert code == 0
    rows = [ln.split() for ln in out.splitlines()[3:]]
    assert [r[0] for r in rows] == ["Keras/TensorFlow"] and rows[0][1] == "0.99"
    code, out, err = run(capsys, "stats", "--convention", "tensorflow")
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and "tensorflow" in err
