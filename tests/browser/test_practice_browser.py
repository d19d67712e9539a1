"""The fold and sync pages in a real browser (``app_url`` + Debian headless Chromium), both languages:
the formulas render in KaTeX, the charts draw, the step buttons and the device control rerun the page."""

from __future__ import annotations

import pytest
from browser_helpers import idle
from playwright.sync_api import Page, expect

from bnviz.i18n import t

pytestmark = pytest.mark.browser

TIMEOUT = 30_000
PLOTLY = '[data-testid="stPlotlyChart"]'
FIGURES = f'{PLOTLY}, [data-testid="bnviz-figure"]'
"""Plotly charts and the static SVG figures the steps show."""


def heading(page: Page, phase: str, title_key: str, lang: str):
    return page.get_by_role("heading", name=f"{t(f'page.graph.{phase}', lang)} · {t(title_key, lang)}")


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_fold_page_steps_to_the_check_and_draws_the_chart(app_url: str, page_: Page, lang: str):
    page_.goto(f"{app_url}/fold?lang={lang}&fold_step=5")
    idle(page_)
    expect(page_.get_by_role("heading", level=1)).to_have_text(t("page.fold.title", lang), timeout=TIMEOUT)
    expect(heading(page_, "forward", "step.fold.bias.title", lang)).to_be_visible(timeout=TIMEOUT)
    expect(page_.locator("math, .katex >> visible=true").first).to_be_visible(timeout=TIMEOUT)
    page_.get_by_role("button", name=t("stepper.next_aria", lang), exact=True).click()
    idle(page_)
    expect(heading(page_, "forward", "step.fold.check.title", lang)).to_be_visible(timeout=TIMEOUT)
    expect(page_.locator(f"{FIGURES} >> visible=true").first.locator("svg").first).to_be_visible(timeout=TIMEOUT)
    expect(page_.get_by_text(t("page.fold.chart", lang))).to_be_visible(timeout=TIMEOUT)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_sync_page_device_control_changes_the_split(app_url: str, page_: Page, lang: str):
    page_.goto(f"{app_url}/sync?lang={lang}")
    idle(page_)
    expect(page_.get_by_role("heading", level=1)).to_have_text(t("page.sync.title", lang), timeout=TIMEOUT)
    expect(page_.get_by_text(t("step.sync.split.note", lang, m=8, k=4, n=2))).to_be_visible(timeout=TIMEOUT)
    page_.get_by_role("radio", name="8", exact=True).click()
    idle(page_)
    expect(page_.get_by_text(t("step.sync.split.note", lang, m=8, k=8, n=1))).to_be_visible(timeout=TIMEOUT)
    page_.get_by_role("button", name=t("stepper.next_aria", lang), exact=True).click()
    idle(page_)
    expect(heading(page_, "forward", "step.sync.local.title", lang)).to_be_visible(timeout=TIMEOUT)
    expect(page_.locator(f"{FIGURES} >> visible=true").first.locator("svg").first).to_be_visible(timeout=TIMEOUT)
    expect(page_.locator("math, .katex >> visible=true").first).to_be_visible(timeout=TIMEOUT)
