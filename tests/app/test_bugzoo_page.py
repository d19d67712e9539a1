"""The bug zoo page under AppTest, both languages: every bug's three parts, the numbers a learner reads
recomputed here with PyTorch (tests/oracles/torch_bugzoo.py), PyTorch's own message, bad dropout rates.

Every sentence is read from the catalog; the network is the lesson's cached patient (bnviz.nets.bugs.base).
"""

from __future__ import annotations

import light_html
import numpy as np
import pytest
from app_helpers import LANGS, assert_ok, decode, open_page, plotly_specs, rerun_clean
from streamlit.testing.v1 import AppTest

from bnviz.figures.palette import HIGHLIGHT
from bnviz.i18n import t
from bnviz.nets import bugs, digits
from tests.oracles import torch_bugzoo as T

PAGE = "pages/bugzoo_page.py"
BUGS = ("eval", "batch1", "test_batch", "finetune", "dropout")
PARTS = ("symptom", "cause", "fix")


def open_zoo(lang: str, query: dict[str, str] | None = None) -> AppTest:
    return open_page(PAGE, lang, query, timeout=120)  # the first run trains the patient network


def pick(at: AppTest, bug: str) -> AppTest:
    return rerun_clean(at.segmented_control(key="zoo_bug").set_value(bug))


def metrics(at: AppTest) -> dict[str, str]:
    return light_html.metrics(at)


@pytest.fixture(scope="module")
def oracle():
    net = bugs.base(0)
    return T.Net(dict(net.params), dict(net.running), net.cfg.eps)


@pytest.mark.parametrize("lang", LANGS)
def test_every_bug_shows_symptom_cause_and_fix(lang: str):
    at = open_zoo(lang)
    assert at.title[0].value == t("page.bugzoo.title", lang)
    for bug in BUGS:
        pick(at, bug)
        heads = [h.value for h in at.subheader]
        for part in PARTS:
            want = f"{t(f'page.bugzoo.part.{part}', lang)} · {t(f'step.bugzoo.{bug}.{part}.title', lang)}"
            assert want in heads, (bug, part, heads)
        assert len(light_html.notes(at)) >= 3  # the three notes
        assert at.get("plotly_chart"), bug  # the graph (and the curve)


@pytest.mark.parametrize("lang", LANGS)
def test_forgotten_eval_numbers_are_torchs(lang: str, oracle):
    at = open_zoo(lang)
    data = digits()
    srt = np.argsort(data.y_val, kind="stable")
    shown = metrics(at)
    want = T.accuracy(oracle, data.x_val[srt], data.y_val[srt], bugs.EVAL_BATCH, None)
    assert float(shown[t("page.bugzoo.value.acc_sorted", lang)]) == pytest.approx(want, abs=1e-6)
    assert float(shown[t("page.bugzoo.value.acc_eval", lang)]) == pytest.approx(
        T.accuracy(oracle, data.x_val, data.y_val, 360), abs=1e-6)
    assert any(f"{want:.1%}" in note for note in light_html.notes(at))


@pytest.mark.parametrize("lang", LANGS)
def test_batch_one_quotes_pytorch_and_draws_the_variance(lang: str):
    at = pick(open_zoo(lang), "batch1")
    assert [c.value for c in at.code] == [T.torch_refusal(1, 100)]
    assert any(t("page.bugzoo.torch_says", lang) == m.value for m in at.markdown)
    graphs = [s for s in plotly_specs(at) if s["data"][-1].get("mode") == "markers+text"]
    assert graphs and any(HIGHLIGHT in g["data"][-1]["marker"]["color"] for g in graphs)  # the variance node lit


@pytest.mark.parametrize("lang", LANGS)
def test_test_batch_curve_is_torchs(lang: str, oracle):
    at = pick(open_zoo(lang), "test_batch")
    curve = next(s for s in plotly_specs(at) if s["layout"].get("xaxis", {}).get("type") == "log")
    data = digits()
    mix = np.random.default_rng(3).permutation(360)
    want = [T.accuracy(oracle, data.x_val[mix], data.y_val[mix], b, None) for b in bugs.TEST_BATCHES]
    np.testing.assert_allclose(decode(curve["data"][0]["y"]), want, atol=1e-12)
    assert curve["layout"]["title"]["text"] == t("page.bugzoo.batch_title", lang)


@pytest.mark.parametrize("lang", LANGS)
def test_dropout_slider_changes_the_shift(lang: str):
    at = pick(open_zoo(lang), "dropout")
    before = metrics(at)[t("page.bugzoo.value.ratio", lang)]
    at.slider(key="zoo_p").set_value(0.8).run()
    assert_ok(at)
    after = metrics(at)[t("page.bugzoo.value.ratio", lang)]
    assert float(after) > float(before) > 1


def test_a_bad_dropout_rate_in_the_url_is_named_and_the_default_used():
    at = open_zoo("en", {"zoo_bug": "dropout", "zoo_p": "7"})
    assert at.slider(key="zoo_p").value == bugs.DROPOUT
    assert any("zoo_p" in w.value for w in at.warning), [w.value for w in at.warning]
    assert t("step.bugzoo.dropout.symptom.title", "en") in " ".join(h.value for h in at.subheader)
