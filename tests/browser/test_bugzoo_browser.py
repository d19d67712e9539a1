"""The bug zoo page in a real browser (``app_url`` + Debian headless Chromium), both languages: the first
bug's three parts with KaTeX formulas and the BN graph, then picking other bugs reruns the page (PyTorch's
message for batch size 1, the test-batch curve)."""

from __future__ import annotations

import pytest
from browser_helpers import idle
from playwright.sync_api import Page, expect

from bnviz.i18n import t
from bnviz.lessons.bugzoo import TORCH_ERROR

pytestmark = pytest.mark.browser

TIMEOUT = 30_000
FIRST = 120_000  # the first visit trains the patient network (cached afterwards)
PLOTLY = '[data-testid="stPlotlyChart"]'


def part(page: Page, bug: str, name: str, lang: str):
    title = f"{t(f'page.bugzoo.part.{name}', lang)} · {t(f'step.bugzoo.{bug}.{name}.title', lang)}"
    return page.get_by_role("heading", name=title)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_bugzoo_page_shows_each_bug_and_switches(app_url: str, page_: Page, lang: str):
    page_.goto(f"{app_url}/bugzoo?lang={lang}")
    idle(page_, FIRST)
    expect(page_.get_by_role("heading", level=1)).to_have_text(t("page.bugzoo.title", lang), timeout=FIRST)
    for name in ("symptom", "cause", "fix"):
        expect(part(page_, "eval", name, lang)).to_be_visible(timeout=FIRST)
    expect(page_.locator("math, .katex").first).to_be_visible(timeout=TIMEOUT)
    expect(page_.locator(PLOTLY).first.locator(".main-svg").first).to_be_visible(timeout=TIMEOUT)
    expect(page_.get_by_text(t("page.bugzoo.graph_train", lang))).to_be_visible(timeout=TIMEOUT)

    page_.get_by_role("radio", name=t("page.bugzoo.name.batch1", lang), exact=True).click()
    idle(page_)
    expect(part(page_, "batch1", "cause", lang)).to_be_visible(timeout=TIMEOUT)
    expect(page_.locator('[data-testid="stCode"]').get_by_text(TORCH_ERROR)).to_be_visible(timeout=TIMEOUT)

    page_.get_by_role("radio", name=t("page.bugzoo.name.test_batch", lang), exact=True).click()
    idle(page_)
    expect(part(page_, "test_batch", "symptom", lang)).to_be_visible(timeout=TIMEOUT)
    expect(page_.locator(PLOTLY).get_by_text(t("page.bugzoo.batch_title", lang))).to_be_visible(timeout=TIMEOUT)
    assert "zoo_bug=test_batch" in page_.url
