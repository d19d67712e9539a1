"""The fold and sync pages under AppTest, both languages: every step, the controls, bad input.

Expected numbers are recomputed here with PyTorch from the batch the sidebar describes
(app_helpers.batch / upstream); every sentence is read from the catalog.
"""

from __future__ import annotations

import html
import re

import light_html
import numpy as np
import pytest
import torch
import torch.nn.functional as tF
from app_helpers import (
    LANGS,
    StepHtml,
    assert_ok,
    batch,
    go_to_number,
    heading,
    open_page,
    plotly_specs,
    shown,
    upstream,
)
from app_helpers import tables as app_tables
from streamlit.testing.v1 import AppTest

from bnviz.i18n import t

FOLD, SYNC = "pages/fold_page.py", "pages/sync_page.py"


def step_to(at: AppTest, key: str, n: int) -> AppTest:
    go_to_number(at, n, key)
    assert not at.error, [e.value for e in at.error]
    return at


_ARRAY = re.compile(r'<div class="bnviz-array" data-name="([^"]*)">(.*?</table></div>)', re.S)


def value_tables(at: AppTest) -> dict[str, np.ndarray]:
    """The shown step's value tables by display name (each ``<div class="bnviz-array" data-name=…>`` of its
    HTML holds one table)."""
    found: dict[str, np.ndarray] = {}
    for e in shown(at, "markdown"):
        for name, body in _ARRAY.findall(str(e.value)):
            (df,) = app_tables(StepHtml(body))
            found[html.unescape(name)] = df.to_numpy(dtype=float)
    assert found, "no value tables in the shown step"
    return found


@pytest.mark.parametrize("lang", LANGS)
def test_fold_page_every_step_both_layers(lang):
    at = open_page(FOLD, lang)
    assert at.title[0].value == t("page.fold.title", lang)
    for layer in ("affine", "conv"):
        if layer == "conv":
            at.segmented_control(key="fold_layer").set_value("conv").run()
            assert_ok(at)
        for n, name in enumerate(("layer", "bn", "compose", "weights", "bias", "check"), start=1):
            step_to(at, "fold_step", n)
            assert heading(at).endswith(t(f"step.fold.{name}.title", lang))
            assert len(plotly_specs(at)) == (1 if name == "check" else 0)
        diff = re.search(r"\d\.\de[+-]\d\d", light_html.notes(at)[0])
        assert diff and float(diff.group()) < 1e-12, light_html.notes(at)[0]


def test_fold_page_affine_numbers_match_torch():
    at = open_page(FOLD, "en")
    step_to(at, "fold_step", 2)
    frames = value_tables(at)
    x = batch(0)
    step_to(at, "fold_step", 1)
    tables = [df.to_numpy(dtype=float) for df in app_tables(at)]
    shown_x, w, b = tables[0], tables[1], tables[2].reshape(-1)
    np.testing.assert_allclose(shown_x, x, rtol=0, atol=1e-12)
    rm, rv = frames["μ_run"].reshape(-1), frames["σ²_run"].reshape(-1)
    ref = tF.batch_norm(tF.linear(torch.tensor(x), torch.tensor(w.T), torch.tensor(b)), torch.tensor(rm),
                        torch.tensor(rv), training=False, eps=1e-5).numpy()
    np.testing.assert_allclose(frames["y = BN(z)"], ref, rtol=0, atol=1e-10)


@pytest.mark.parametrize("lang", LANGS)
def test_sync_page_every_step(lang):
    at = open_page(SYNC, lang)
    assert at.title[0].value == t("page.sync.title", lang)
    for n in range(1, 12):
        step_to(at, "sync_step", n)
    assert heading(at).endswith(t("step.sync.small.title", lang))


def test_sync_page_gradient_is_torch_bn_on_the_whole_batch():
    at = open_page(SYNC, "en", {"sync_devices": "2"})
    step_to(at, "sync_step", 8)  # the three paths, then their sum
    tables = value_tables(at)
    x = batch(0)
    xt = torch.tensor(x, requires_grad=True)
    tF.batch_norm(xt, None, None, training=True, eps=1e-5).backward(torch.tensor(upstream(x, 0)))
    np.testing.assert_allclose(tables["∂L/∂x"], xt.grad.numpy(), rtol=0, atol=1e-10)


@pytest.mark.parametrize(("lang", "m", "counts"), [("en", 8, [1, 2, 4, 8]), ("zh", 6, [1, 2, 3, 6]), ("en", 5, [1, 5])])
def test_sync_page_offers_only_device_counts_that_divide_the_batch(lang, m, counts):
    at = open_page(SYNC, lang, {"m": str(m)})
    assert not at.error
    control = at.get("button_group")[0]
    assert [int(o.content) for o in control.proto.options] == counts
    control.set_value(counts[-1]).run()
    assert_ok(at)
    assert not at.error
    step_to(at, "sync_step", 1)
    assert light_html.notes(at)[0] == t("step.sync.split.note", lang, m=m, k=counts[-1], n=1)


def test_sync_page_url_with_a_count_that_does_not_divide_falls_back_to_the_default():
    at = open_page(SYNC, "en", {"sync_devices": "3"})
    assert not at.error
    step_to(at, "sync_step", 1)
    assert light_html.notes(at)[0] == t("step.sync.split.note", "en", m=8, k=4, n=2)
