"""The why-BN pages in a real browser: live training with growing curves and a Stop button,
every page rendered in both languages (screenshots in artifacts/).

Labels come from the text catalog, so a reworded sentence does not break a test.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from browser_helpers import idle, screenshot
from playwright.sync_api import Page, expect

from bnviz import nets
from bnviz.i18n import t

pytestmark = pytest.mark.browser

PLOTLY = '[data-testid="stPlotlyChart"]'
FIGURES = f'{PLOTLY}, [data-testid="bnviz-figure"]'
"""Plotly charts and the static SVG figures the steps show."""
SHOWN = f"{FIGURES} >> visible=true"
"""The charts a learner sees (the stepper hides the other steps' charts)."""
TIMEOUT = 60_000
PAGES = ("saturation", "upstream", "network", "experiments")


def wait_idle(page: Page, timeout: int = TIMEOUT) -> None:
    """The sidebar is drawn, and ``browser_helpers.idle``: the run is over and raised nothing."""
    expect(page.locator(".st-key-lang")).to_have_count(1, timeout=timeout)  # always in the sidebar
    idle(page, timeout)


def open_lesson(page: Page, base: str, key: str, query: str = "") -> None:
    page.goto(f"{base}/{key}{'?' + query if query else ''}")
    wait_idle(page)


def curve_points(page: Page) -> int:
    """Points of the first trace of the first rendered Plotly chart (0 when there is none yet)."""
    return page.evaluate("""() => {
        const plot = document.querySelector('[data-testid="stPlotlyChart"] .js-plotly-plot');
        return plot && plot.data && plot.data.length ? (plot.data[0].x || []).length : 0;
    }""")


def assert_clean(page: Page) -> None:
    expect(page.locator('[data-testid="stException"]')).to_have_count(0)
    expect(page.get_by_text("Page not found")).to_have_count(0)
    assert not getattr(page, "js_errors", []), f"uncaught JavaScript errors: {page.js_errors}"


def test_training_runs_live_the_curves_grow_and_stop_works(app_url: str, page_: Page, artifacts: Path) -> None:
    page = page_
    open_lesson(page, app_url, "network", "steps=5000")
    expect(page.get_by_text(t("page.network.press_train", "en"))).to_be_visible()
    train = page.get_by_role("button", name=t("page.network.train", "en"), exact=True)
    train.click()
    # the live chart appears and grows while the script is still running
    seen: list[int] = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and len(set(p for p in seen if p)) < 3:
        seen.append(curve_points(page))
        page.wait_for_timeout(300)
    grown = [p for p in seen if p]
    assert len(set(grown)) >= 3 and grown == sorted(grown), f"the curves did not grow: {seen}"
    expect(page.locator('[data-testid="stApp"]')).to_have_attribute("data-test-script-state", "running")
    expect(page.get_by_text(t("page.network.training", "en", step="", total=5000).split(" ")[0])).to_be_visible()
    screenshot(page, artifacts / "network-training-en.png")

    page.get_by_role("button", name=t("page.network.stop", "en"), exact=True).click()
    wait_idle(page)
    stopped = t("page.network.stopped", "en", step=0, total=5000).split(" 0 ")[0]
    expect(page.get_by_text(stopped)).to_be_visible(timeout=TIMEOUT)
    assert 0 < curve_points(page) < 5000 // nets.record_every(5000) + 1

    # a short run to the end: the finished curves and every chart
    open_lesson(page, app_url, "network", "steps=200")
    page.get_by_role("button", name=t("page.network.train", "en"), exact=True).click()
    wait_idle(page)
    done = t("page.network.trained", "en", step=200, seconds=12345.6).split("12345.6")[0]
    expect(page.get_by_text(done)).to_be_visible(timeout=TIMEOUT)
    expect(page.locator(SHOWN)).to_have_count(5, timeout=TIMEOUT)  # 4 of the training, the batch's digits
    assert curve_points(page) == 200 // nets.record_every(200) + 1
    page.locator(".updatemenu-button").first.click()  # play the histograms (client-side frames)
    page.wait_for_timeout(500)
    assert_clean(page)
    screenshot(page, artifacts / "network-trained-en.png")


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_page_renders(app_url: str, page_: Page, artifacts: Path, lang: str) -> None:
    page = page_
    for key in PAGES:
        # each language runs Figure 1 at its own length, so neither finds the other's stored result
        extra = f"&fig1_steps={200 if lang == 'en' else 500}" if key == "experiments" else ""
        open_lesson(page, app_url, key, f"lang={lang}{extra}")
        expect(page.get_by_role("heading", level=1)).to_have_text(t(f"page.{key}.title", lang), timeout=TIMEOUT)
        if key != "experiments":
            expect(page.locator("math, .katex >> visible=true").first).to_be_visible(timeout=TIMEOUT)
        if key in ("saturation", "upstream"):
            expect(page.locator(SHOWN).locator("svg").first).to_be_visible(timeout=TIMEOUT)
        if key == "experiments":
            page.get_by_role("button", name=t("page.experiments.run", lang), exact=True).first.click()
            wait_idle(page, timeout=120_000)
            expect(page.locator(SHOWN)).to_have_count(2, timeout=TIMEOUT)
        if key == "upstream":
            page.get_by_role("button", name=t("stepper.next_aria", lang), exact=True).click()
            expect(page.locator('[data-testid="stMain"] h3').first).to_contain_text(
                t("step.upstream.forward.relu.title", lang), timeout=TIMEOUT)
            wait_idle(page)
        assert_clean(page)
        screenshot(page, artifacts / f"{key}-{lang}.png")
