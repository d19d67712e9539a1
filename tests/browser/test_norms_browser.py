"""The normalization pages in a real browser: train vs test, Batch Renorm, which axes, LayerNorm on the graph.

``streamlit run app.py`` (fixture ``app_url``) driven by Debian's headless
Chromium (``page_``), in English and Chinese: KaTeX and Plotly render, a
slider moved with the keyboard updates the URL and the page, the step
buttons move through the walkthrough, a copied URL reopens the view and bad
input is a catalog sentence, never a traceback. Screenshots go to artifacts/.
"""

from __future__ import annotations

import re
from pathlib import Path

import browser_helpers
import pytest
from browser_helpers import screenshot
from playwright.sync_api import Page, expect

from bnviz.i18n import t

pytestmark = pytest.mark.browser

TIMEOUT = 30_000
PLOTLY = '[data-testid="stPlotlyChart"]'
FIGURES = f'{PLOTLY}, [data-testid="bnviz-figure"]'
"""Plotly charts and the static SVG figures the steps show."""
SHOWN = f"{FIGURES} >> visible=true"
"""The charts a learner sees (the stepper hides the other steps' charts)."""
LANGS = ("en", "zh")


def idle(page: Page) -> None:
    """``browser_helpers.idle``, 300 ms after the action (the script state can read notRunning before the
    rerun it triggered starts)."""
    page.wait_for_timeout(300)
    browser_helpers.idle(page, TIMEOUT)


def open_lesson(page: Page, base: str, path: str, lang: str, query: str = "", title_key: str = "") -> None:
    page.goto(f"{base}/{path}?lang={lang}{'&' + query if query else ''}")
    idle(page)
    expect(page.get_by_role("heading", level=1)).to_have_text(t(title_key or f"page.{path}.title", lang),
                                                              timeout=TIMEOUT)
    expect(page.get_by_text("Page not found")).to_have_count(0)


def charts_drawn(page: Page, count: int) -> None:
    expect(page.locator(SHOWN).locator("svg").first).to_be_visible(timeout=TIMEOUT)
    expect(page.locator(SHOWN)).to_have_count(count, timeout=TIMEOUT)


def step_heading(page: Page, title: str):
    """The step's subheader ("<phase> · <title>"), among the page's h3 headings."""
    return page.locator('[data-testid="stMain"] h3').filter(has_text=title)


def slider(page: Page, label: str):
    return page.get_by_role("group", name=label, exact=True).get_by_role("slider")


def no_traceback(page: Page) -> None:
    expect(page.locator('[data-testid="stException"]')).to_have_count(0)
    assert "Traceback" not in page.content()
    assert not page.js_errors, page.js_errors  # type: ignore[attr-defined]


@pytest.mark.parametrize("lang", LANGS)
def test_train_test_page(app_url: str, page_: Page, artifacts: Path, lang: str) -> None:
    page = page_
    open_lesson(page, app_url, "train_test", lang)
    charts_drawn(page, 2)
    expect(page.locator("math, .katex >> visible=true").first).to_be_visible(timeout=TIMEOUT)
    expect(page.get_by_text(t("page.train_test.final", lang, k=30, j=1, mean="2", var="2.25"))).to_be_visible()
    k = slider(page, t("page.train_test.k", lang))
    k.focus()
    k.press("ArrowRight")
    expect(page).to_have_url(re.compile(r"[?&]tt_k=31(&|$)"), timeout=TIMEOUT)
    idle(page)
    expect(page.get_by_text(t("page.train_test.final", lang, k=31, j=1, mean="2", var="2.25"))).to_be_visible(
        timeout=TIMEOUT)
    page.get_by_role("radio", name="Caffe", exact=True).click()
    expect(page).to_have_url(re.compile(r"[?&]tt_source=caffe(&|$)"), timeout=TIMEOUT)
    idle(page)
    nxt = page.get_by_role("button", name=t("stepper.next_aria", lang), exact=True)
    for _ in range(7):  # to the last of the 8 steps (cs231n, PyTorch, Keras, Caffe, then test mode)
        nxt.click()
        idle(page)
    expect(step_heading(page, t("step.train_test.test_backward.title", lang))).to_be_visible(timeout=TIMEOUT)
    charts_drawn(page, 3)  # and the short test-mode graph
    screenshot(page, artifacts / f"train_test-{lang}.png")
    copied = page.url
    page.goto(copied)
    idle(page)
    expect(step_heading(page, t("step.train_test.test_backward.title", lang))).to_be_visible(timeout=TIMEOUT)
    no_traceback(page)


@pytest.mark.parametrize("lang", LANGS)
def test_train_test_bad_running_variance(app_url: str, page_: Page, lang: str) -> None:
    page = page_
    open_lesson(page, app_url, "train_test", lang, "tt_source=custom")
    box = page.get_by_role("textbox", name=t("page.train_test.running_var", lang))
    box.fill("1, -2, 3")
    box.press("Enter")
    message = t("error.norms.negative_var", lang, value="-2")
    expect(page.locator('[data-testid="stAlert"]').filter(has_text=message)).to_be_visible(timeout=TIMEOUT)
    idle(page)
    box = page.get_by_role("textbox", name=t("page.train_test.running_var", lang))
    box.fill("2")
    box.press("Enter")
    idle(page)
    charts_drawn(page, 2)
    no_traceback(page)


@pytest.mark.parametrize("lang", LANGS)
def test_renorm_page(app_url: str, page_: Page, artifacts: Path, lang: str) -> None:
    page = page_
    open_lesson(page, app_url, "renorm", lang, "rn_step=13")
    charts_drawn(page, 3)  # the BRN graph, the three paths, the experiment
    expect(step_heading(page, t("step.renorm.dx.title", lang))).to_be_visible(timeout=TIMEOUT)
    expect(page.locator(SHOWN).last).to_contain_text(t("page.renorm.brn_noniid", lang), timeout=TIMEOUT)
    rmax = slider(page, t("page.renorm.rmax", lang))
    rmax.focus()
    rmax.press("ArrowLeft")
    expect(page).to_have_url(re.compile(r"[?&]rn_rmax=2\.9(&|$)"), timeout=TIMEOUT)
    idle(page)
    screenshot(page, artifacts / f"renorm-{lang}.png")
    page.get_by_role("button", name=t("stepper.next_aria", lang), exact=True).click()
    idle(page)
    expect(step_heading(page, t("step.renorm.bn_limit.title", lang))).to_be_visible(timeout=TIMEOUT)
    no_traceback(page)


@pytest.mark.parametrize("lang", LANGS)
def test_renorm_rmax_below_one_in_the_url(app_url: str, page_: Page, lang: str) -> None:
    page = page_
    open_lesson(page, app_url, "renorm", lang, "rn_rmax=0.7")
    message = t("error.norms.rmax", lang, rmax="0.7")
    expect(page.locator('[data-testid="stAlert"]').filter(has_text=message)).to_be_visible(timeout=TIMEOUT)
    expect(page.locator(SHOWN)).to_have_count(0)
    no_traceback(page)


@pytest.mark.parametrize("lang", LANGS)
def test_axes_page(app_url: str, page_: Page, artifacts: Path, lang: str) -> None:
    page = page_
    open_lesson(page, app_url, "axes", lang)
    charts_drawn(page, 1)
    screenshot(page, artifacts / f"axes-{lang}.png")
    page.get_by_role("radio", name=t("page.axes.kind.group", lang), exact=True).click()
    expect(page).to_have_url(re.compile(r"[?&]ax_norm=group(&|$)"), timeout=TIMEOUT)
    idle(page)
    expect(page.get_by_text(t("page.axes.picture", lang, m=18, sets=4))).to_be_visible(timeout=TIMEOUT)
    groups = slider(page, t("page.axes.groups", lang))
    groups.focus()
    groups.press("ArrowRight")  # G = 3 does not divide C = 4
    message = t("error.norms.groups", lang, groups=3, c=4)
    expect(page.locator('[data-testid="stAlert"]').filter(has_text=message)).to_be_visible(timeout=TIMEOUT)
    idle(page)
    groups = slider(page, t("page.axes.groups", lang))
    groups.focus()
    groups.press("ArrowRight")  # G = 4: InstanceNorm's sets
    idle(page)
    expect(page.get_by_text(t("page.axes.picture", lang, m=9, sets=8))).to_be_visible(timeout=TIMEOUT)
    charts_drawn(page, 1)
    screenshot(page, artifacts / f"axes-{lang}-group.png")
    no_traceback(page)


@pytest.mark.parametrize("lang", LANGS)
def test_graph_page_layer_norm(app_url: str, page_: Page, artifacts: Path, lang: str) -> None:
    page = page_
    open_lesson(page, app_url, "graph", lang, "norm=layer&step=16", title_key="page.graph.title")
    expect(page.get_by_text(t("page.graph.norm.ln_intro", lang))).to_be_visible(timeout=TIMEOUT)
    charts_drawn(page, 3)
    expect(page.locator(SHOWN).nth(1)).to_contain_text(t("page.graph.norm.ln_feature", lang), timeout=TIMEOUT)
    screenshot(page, artifacts / f"graph-layer-{lang}.png")
    page.get_by_role("radio", name=t("page.graph.norm.batch", lang), exact=True).click()
    idle(page)
    expect(page.get_by_text(t("page.graph.norm.ln_intro", lang))).to_have_count(0, timeout=TIMEOUT)
    no_traceback(page)
