"""The normalization pages under Streamlit's AppTest: train vs test, Batch Renorm, which axes, and the
graph page's norm selector. Every control is moved, both languages are opened, bad input shows the
catalog sentence and no exception.

Expected numbers come from PyTorch (BatchNorm1d's running statistics, F.batch_norm in eval mode,
F.layer_norm, F.group_norm, Batch Renorm written out in torch) on arrays drawn here the way the pages
say they draw them; every sentence is read from the text catalog.
"""

from __future__ import annotations

import light_html
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from app_helpers import (
    assert_ok,
    batch,
    decode,
    go_to_number,
    heading,
    move,
    open_page,
    plotly_specs,
    rerun_clean,
    shown,
    step_number,
    stepper_data,
    tables,
    upstream,
    values_table,
)
from light_html import shown_formulas
from streamlit.testing.v1 import AppTest

from bnviz.i18n import t
from bnviz.lessons import axes as axes_lesson
from bnviz.lessons import renorm as renorm_lesson
from bnviz.lessons import train_test as tt_lesson
from bnviz.ops import family

TRAIN_TEST, RENORM, AXES, GRAPH = ("pages/train_test_page.py", "pages/renorm_page.py", "pages/axes_page.py",
                                   "pages/graph_page.py")
LANGS = ("en", "zh")


# --------------------------------------------------------------------------- helpers


def specs(at: AppTest) -> list[dict]:
    return plotly_specs(at)


def table_with(at: AppTest, column: str):
    """The dataframe that has a column named ``column``."""
    found = [d for d in tables(at) if column in d.columns]
    assert found, f"no table with column {column!r}: {[list(d.columns) for d in tables(at)]}"
    return found[-1]


def step_is(at: AppTest, key: str, page_steps: tuple[str, ...]) -> None:
    assert step_number(at) == page_steps.index(key) + 1


def go(at: AppTest, slider_key: str, steps: tuple[str, ...], key: str) -> AppTest:
    return go_to_number(at, steps.index(key) + 1, slider_key)


def shows_error(at: AppTest, message: str, lang: str) -> None:
    assert_ok(at)
    assert [e.value for e in at.error] == [message]
    assert t("page.graph.fix_input", lang) in [i.value for i in shown(at, "info")]


def torch_bn_running(batches: np.ndarray, momentum: float) -> list[np.ndarray]:
    mod = torch.nn.BatchNorm1d(batches.shape[2], momentum=momentum, dtype=torch.float64).train()
    out = []
    for b in batches:
        mod(torch.tensor(b))
        out.append(mod.running_mean.numpy().copy())
    return out


def population(k=30, m=8, d=3, mean=2.0, std=1.5, seed=0) -> np.ndarray:
    """The train/test page's batches: N(mean, std²) from the sidebar's seed."""
    return mean + std * np.random.default_rng(seed).standard_normal((k, m, d))


def line(spec: dict, name: str, axis: str | None = None) -> np.ndarray:
    return decode(next(tr["y"] for tr in spec["data"] if tr.get("name") == name and tr.get("yaxis") == axis))


# =========================================================================== train vs test


@pytest.mark.parametrize("lang", LANGS)
def test_train_test_opens_with_charts_and_steps(lang):
    at = open_page(TRAIN_TEST, lang)
    assert at.title[0].value == t("page.train_test.title", lang)
    assert not at.error
    est, gaps = specs(at)[:2]
    assert est["title"] == t("page.train_test.estimates_chart", lang, j=1)  # a static SVG figure
    expected = torch_bn_running(population(), 0.1)
    np.testing.assert_allclose(line(est, "PyTorch"), [e[0] for e in expected], rtol=1e-10)
    assert len(decode(gaps["data"][0]["y"])) == 30
    assert t("step.train_test.batches.title", lang) in heading(at)
    assert len(shown_formulas(at)) >= 2


def test_train_test_every_control():
    at = open_page(TRAIN_TEST)
    rerun_clean(at.slider(key="tt_k").set_value(12))
    rerun_clean(at.slider(key="tt_pop_mean").set_value(-1.0))
    rerun_clean(at.slider(key="tt_pop_std").set_value(0.5))
    rerun_clean(at.slider(key="tt_momentum_pytorch").set_value(0.3))
    bs = population(k=12, mean=-1.0, std=0.5)
    est = specs(at)[0]
    np.testing.assert_allclose(line(est, "PyTorch"), [e[0] for e in torch_bn_running(bs, 0.3)], rtol=1e-10)
    rerun_clean(at.slider(key="tt_momentum_cs231n").set_value(0.5))
    cs, mean = [], 0.0
    for b in bs:
        mean = 0.5 * mean + 0.5 * b[:, 0].mean()
        cs.append(mean)
    np.testing.assert_allclose(line(specs(at)[0], "cs231n"), cs, rtol=1e-10)
    rerun_clean(at.slider(key="tt_lam_caffe").set_value(0.5))
    final = table_with(at, t("page.train_test.col_convention", "en"))
    assert list(final[t("page.train_test.col_convention", "en")]) == ["cs231n", "PyTorch", "Keras/TensorFlow", "Caffe"]
    rerun_clean(at.selectbox(key="tt_feature").set_value(2))
    np.testing.assert_allclose(line(specs(at)[0], "PyTorch"), [e[2] for e in torch_bn_running(bs, 0.3)], rtol=1e-10)
    # the steps: buttons and slider
    move(at, 1, "tt_step")
    assert step_number(at, "tt_step") == 2
    move(at, -1, "tt_step")
    assert step_number(at, "tt_step") == 1
    go_to_number(at, len(tt_lesson.STEPS), "tt_step")
    assert t("step.train_test.test_backward.title", "en") in heading(at)
    assert len(specs(at)) == 3  # estimates, gaps and the short test-mode graph


def test_train_test_test_mode_matches_torch_eval_for_each_source():
    at = open_page(TRAIN_TEST)
    go(at, "tt_step", tt_lesson.STEPS, "backward.test")
    bs = population()
    x = bs[-1]
    dout = upstream(x)
    mod = torch.nn.BatchNorm1d(3, momentum=0.1, dtype=torch.float64).train()
    for b in bs:
        mod(torch.tensor(b))
    tx = torch.tensor(x, requires_grad=True)
    y = mod.eval()(tx)
    (torch.tensor(dout) * y).sum().backward()
    table = table_with(at, tt_lesson.labels("en")["dx_test"])
    np.testing.assert_allclose(table[tt_lesson.labels("en")["dx_test"]], tx.grad.numpy()[:, 0], rtol=1e-12)
    for source in ("cs231n", "caffe", "pytorch"):
        rerun_clean(at.segmented_control(key="tt_source").set_value(source))
    rerun_clean(at.segmented_control(key="tt_source").set_value("custom"))
    rerun_clean(at.text_input(key="tt_running_mean").set_value("0.5, 1, 1.5"))
    rerun_clean(at.text_input(key="tt_running_var").set_value("4"))
    table = table_with(at, tt_lesson.labels("en")["dx_test"])
    np.testing.assert_allclose(table[tt_lesson.labels("en")["dx_test"]], dout[:, 0] / np.sqrt(4 + 1e-5), rtol=1e-12)
    assert at.query_params["tt_source"] == ["custom"] or at.query_params["tt_source"] == "custom"


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("text,key,fields", [
    ("1, -2, 3", "error.norms.negative_var", {"value": "-2"}),
    ("1, 2", "error.param_len", {"name": "running_var", "n": 2, "d": 3}),
    ("abc", "error.not_number", {"what": "running_var", "token": "abc", "row": 1}),
])
def test_train_test_bad_running_statistics(lang, text, key, fields):
    at = open_page(TRAIN_TEST, lang)
    rerun_clean(at.segmented_control(key="tt_source").set_value("custom"))
    at.text_input(key="tt_running_var").set_value(text).run()
    shows_error(at, t(key, lang, **fields), lang)
    rerun_clean(at.text_input(key="tt_running_var").set_value("1"))
    assert len(specs(at)) >= 2


def test_train_test_batch_of_one_is_a_note_not_an_error():
    at = open_page(TRAIN_TEST)
    rerun_clean(at.slider(key="m").set_value(1))
    assert t("step.train_test.m1_note", "en") in [w.value for w in shown(at, "warning")]


# =========================================================================== Batch Renorm


def brn(x, dout, gamma, beta, eps, mu, sigma, rmax, dmax):
    tx = torch.tensor(x, requires_grad=True)
    mu_b, sigma_b = tx.mean(0), torch.sqrt(tx.var(0, unbiased=False) + eps)
    r = (sigma_b / sigma).clamp(1 / rmax, rmax).detach()
    d = ((mu_b - mu) / sigma).clamp(-dmax, dmax).detach()
    y = gamma * ((tx - mu_b) / sigma_b * r + d) + beta
    (torch.tensor(dout) * y).sum().backward()
    return {"y": y.detach().numpy(), "dx": tx.grad.numpy(), "r": r.numpy(), "d": d.numpy()}


@pytest.mark.parametrize("lang", LANGS)
def test_renorm_opens(lang):
    at = open_page(RENORM, lang)
    assert at.title[0].value == t("page.renorm.title", lang)
    charts = specs(at)
    assert len(charts) == 2  # the BRN graph and the experiment
    names = {tr["name"] for tr in charts[1]["data"]}
    assert {t(f"page.renorm.{m}_{b}", lang) for m in ("bn", "brn") for b in ("iid", "noniid")} == names


def test_renorm_every_control_and_the_numbers():
    at = open_page(RENORM)
    for key, value in (("rn_rmax", 1.5), ("rn_dmax", 0.4), ("rn_alpha", 0.1), ("rn_mu", 0.5), ("rn_sigma", 2.0)):
        rerun_clean(at.slider(key=key).set_value(value))
    x, dout = batch(), upstream(batch())
    ref = brn(x, dout, 1.0, 0.0, 1e-5, 0.5, 2.0, 1.5, 0.4)
    go(at, "rn_step", renorm_lesson.STEPS, "forward.rd")
    rd = table_with(at, "r")
    np.testing.assert_allclose(rd["r"], [ref["r"][0]], rtol=1e-10)  # one value per feature: one row
    np.testing.assert_allclose(rd["d"], [ref["d"][0]], rtol=1e-10)
    go(at, "rn_step", renorm_lesson.STEPS, "backward.dx")
    rerun_clean(at.selectbox(key="rn_feature").set_value(1))
    np.testing.assert_allclose(table_with(at, "∂L/∂x")["∂L/∂x"], ref["dx"][:, 1], rtol=1e-12)
    paths = next(s for s in specs(at) if sorted(tr["type"] for tr in s["data"]) == ["bar", "bar", "bar", "scatter"])
    bars = [decode(tr["y"]) for tr in paths["data"] if tr["type"] == "bar"]
    np.testing.assert_allclose(sum(bars), ref["dx"][:, 1], rtol=1e-12, atol=1e-14)
    go(at, "rn_step", renorm_lesson.STEPS, "backward.bn_limit")
    assert any(n.startswith(t("page.renorm.limit_check", "en", diff="")[:30]) for n in light_html.notes(at, "success"))
    move(at, -1, "rn_step")
    move(at, 1, "rn_step")
    assert step_number(at, "rn_step") == len(renorm_lesson.STEPS)


@pytest.mark.parametrize("lang", LANGS)
def test_renorm_rmax_below_one_is_explained(lang):
    at = open_page(RENORM, lang)
    at.slider(key="rn_rmax").set_value(0.8).run()
    shows_error(at, t("error.norms.rmax", lang, rmax="0.8"), lang)
    rerun_clean(at.slider(key="rn_rmax").set_value(1.0))
    go(at, "rn_step", renorm_lesson.STEPS, "forward.rd")
    assert np.all(table_with(at, "r")["r"] == 1.0)


def test_renorm_url_with_bad_values_is_ignored():
    at = open_page(RENORM, query={"rn_rmax": "99", "rn_sigma": "-1", "rn_step": "x"})
    assert not at.error
    assert at.session_state["rn_rmax"] == renorm_lesson.DEFAULTS["rmax"]


# =========================================================================== which axes


def drawn_tensor(n=2, c=4, h=3, w=3, seed=0):
    x = np.random.default_rng(seed).standard_normal((n, c * h * w)).reshape(n, c, h, w)
    dout = np.random.default_rng(seed + 1).standard_normal((n, c, h, w))
    return x, dout


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("kind", family.KINDS)
def test_axes_every_kind(lang, kind):
    at = open_page(AXES, lang)
    rerun_clean(at.segmented_control(key="ax_norm").set_value(kind))
    lay = family.layout((2, 4, 3, 3), kind, 2)
    picture = specs(at)[0]
    top = decode_2d(picture["data"][1]["z"])
    assert np.nansum(top) == lay.m
    assert picture["layout"]["title"]["text"] == t("page.axes.picture_title", lang, name=t(f"page.axes.kind.{kind}",
                                                                                            lang))
    assert t("page.axes.picture", lang, m=lay.m, sets=lay.sets) in [c.value for c in shown(at, "caption")]
    caffe = "forward.caffe" in axes_lesson.step_keys(lay)
    assert stepper_data(at, "ax_step")["total"] == (8 if caffe else 7)


def decode_2d(z) -> np.ndarray:
    if isinstance(z, dict):
        return decode(z)
    return np.array([[np.nan if v is None else v for v in row] for row in z], dtype=float)


def test_axes_every_control_and_group_norm_numbers():
    at = open_page(AXES)
    rerun_clean(at.segmented_control(key="ax_norm").set_value("group"))
    for key, value in (("ax_n", 3), ("ax_c", 6), ("ax_h", 2), ("ax_w", 4)):
        rerun_clean(at.slider(key=key).set_value(value))
    rerun_clean(at.slider(key="ax_groups").set_value(3))
    rerun_clean(at.selectbox(key="ax_set").set_value(4))
    x, dout = drawn_tensor(3, 6, 2, 4)
    tx = torch.tensor(x, requires_grad=True)
    y = F.group_norm(tx, 3, torch.ones(6, dtype=torch.float64), torch.zeros(6, dtype=torch.float64), eps=1e-5)
    (torch.tensor(dout) * y).sum().backward()
    lay = family.layout(x.shape, "group", 3)
    go_to_number(at, len(axes_lesson.step_keys(lay)) - 1, "ax_step")  # backward.dx
    np.testing.assert_allclose(table_with(at, "∂L/∂x")["∂L/∂x"], lay.to_sets(tx.grad.numpy())[:, 4], rtol=1e-12)
    move(at, 1, "ax_step")
    dparams = table_with(at, "∂L/∂γ_c")
    np.testing.assert_allclose(dparams["∂L/∂β_c"], dout.sum(axis=(0, 2, 3)), rtol=1e-10)
    move(at, -1, "ax_step")
    assert step_number(at, "ax_step") == len(axes_lesson.step_keys(lay)) - 1


@pytest.mark.parametrize("lang", LANGS)
def test_axes_groups_not_dividing_c(lang):
    at = open_page(AXES, lang)
    rerun_clean(at.segmented_control(key="ax_norm").set_value("group"))
    at.slider(key="ax_groups").set_value(3).run()
    shows_error(at, t("error.norms.groups", lang, groups=3, c=4), lang)
    rerun_clean(at.slider(key="ax_c").set_value(6))
    assert len(specs(at)) == 1


def test_axes_conv_bn_shows_caffes_two_products():
    at = open_page(AXES)
    go_to_number(at, 6, "ax_step")
    assert t("step.axes.caffe.title", "en") in heading(at)
    x, _ = drawn_tensor()
    table = table_with(at, axes_lesson.LABELS["num_by_chans"])
    np.testing.assert_allclose(table[axes_lesson.LABELS["num_by_chans"]], x[:, 0].mean(axis=(1, 2)) / 2, rtol=1e-10)
    np.testing.assert_allclose(table[axes_lesson.LABELS["mu_caffe"]], np.full(2, x[:, 0].mean()), rtol=1e-10)


def test_axes_typed_x_is_a_tensor_of_single_cells():
    at = open_page(AXES)
    rerun_clean(at.selectbox(key="dist").set_value("custom"))
    rerun_clean(at.text_area(key="x_text").set_value("1, 2, 3\n4, 6, 5"))
    assert t("step.axes.custom_note", "en", n=2, c=3) in [w.value for w in shown(at, "warning")]
    rerun_clean(at.segmented_control(key="ax_norm").set_value("instance"))  # one cell per set: a note, not an error
    assert any("3 sets" in w.value or "of the 6 sets" in w.value for w in shown(at, "warning"))


# =========================================================================== graph page: LayerNorm


@pytest.mark.parametrize("lang", LANGS)
def test_graph_page_layer_norm_by_control_and_by_url(lang):
    at = open_page(GRAPH, lang)
    rerun_clean(at.segmented_control(key="norm").set_value("layer"))
    assert t("page.graph.norm.ln_intro", lang) in [i.value for i in shown(at, "info")]
    at2 = open_page(GRAPH, lang, {"norm": "layer", "step": "16"})
    assert at2.session_state["norm"] == "layer"
    x, dout = batch(), upstream(batch())
    tx = torch.tensor(x, requires_grad=True)
    y = F.layer_norm(tx, (3,), torch.ones(3, dtype=torch.float64), torch.zeros(3, dtype=torch.float64), eps=1e-5)
    (torch.tensor(dout) * y).sum().backward()
    rerun_clean(at2.selectbox(key="sample").set_value(5))
    np.testing.assert_allclose(table_with(at2, "∂L/∂x")["∂L/∂x"], tx.grad.numpy()[5], rtol=1e-12)
    assert len(values_table(at2)) == 3  # one sample's D features
    rerun_clean(at2.segmented_control(key="norm").set_value("batch"))
    assert len(table_with(at2, "∂L/∂x")) == 8


def test_graph_page_bad_norm_in_url_is_ignored():
    at = open_page(GRAPH, query={"norm": "instance"})
    assert at.session_state["norm"] == "batch" and not at.error
