"""The graph page in a real browser: ``streamlit run app.py`` driven by headless Chromium.

What AppTest cannot see is checked here: KaTeX and Plotly really render, the
widgets respond to the keyboard and the mouse, the URL follows the widgets and
a copied URL reopens the same view. Every label is read from the text catalog
(``bnviz.i18n.t``), so a reworded sentence does not break a test.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlencode, urlparse

import pytest
from browser_helpers import idle, screenshot
from playwright.sync_api import Locator, Page, expect

from bnviz.i18n import LANG_NAMES, t
from bnviz.lessons.graph import BACKWARD, FORWARD

pytestmark = pytest.mark.browser

STEP_KEYS = [f"forward.{n}" for n in FORWARD] + [f"backward.{n}" for n in BACKWARD]
"""The page's steps in order ("forward.x", ..., "backward.closed")."""
DX = "backward.dx"
FIGURE = '[data-testid="bnviz-figure"]'
SHOWN = f"{FIGURE} >> visible=true"
"""The figures a learner sees in the current step (static SVG; the stepper hides the other steps')."""
GRAPH = "graph"
"""URL path of the computation-graph page (its ``st.Page`` url_path)."""
TIMEOUT = 30_000


# --------------------------------------------------------------------------- helpers


def step_title(key: str, lang: str) -> str:
    """The page's subheader at step ``key``: "<phase> · <step title>"."""
    phase = key.split(".")[0]
    return f"{t(f'page.graph.{phase}', lang)} · {t(f'step.{key}.title', lang)}"


def step_number(key: str) -> int:
    """1-based position of a step, as in the README's ``?step=16``."""
    return STEP_KEYS.index(key) + 1


def wait_idle(page: Page) -> None:
    """Wait until a script run has finished and its stale elements are gone.

    The batch-size slider is drawn by the sidebar on every run, error or not;
    right after a page load it can briefly exist twice (old and new element).
    """
    expect(page.locator(".st-key-m").get_by_role("slider")).to_have_count(1, timeout=TIMEOUT)
    idle(page, TIMEOUT)
    expect(page.get_by_role("dialog")).to_have_count(0)  # e.g. Streamlit's "Page not found"


def open_graph(page: Page, base: str, query: str | dict[str, str] = "") -> None:
    """Load the graph page at ``base/graph?query`` and wait for its first run to finish."""
    if isinstance(query, dict):
        query = urlencode(query)
    page.goto(f"{base}/{GRAPH}?{query}" if query else f"{base}/{GRAPH}")
    wait_idle(page)


def assert_url_kept(page: Page, query: dict[str, str]) -> None:
    """Every parameter of a hand-written URL survived the first run.

    Streamlit removes a bound parameter from the URL when its widget cannot
    take the value, so a dropped parameter means the link does not work.
    """
    kept = parse_qs(urlparse(page.url).query)
    dropped = {k: v for k, v in query.items() if kept.get(k) != [v]}
    assert not dropped, (f"the app dropped or changed {dropped} from the URL (now {unquote(page.url)}): "
                         "the bound widgets did not accept these values")


def title(page: Page) -> Locator:
    return page.get_by_role("heading", level=1)


def subheader(page: Page) -> Locator:
    """The step's subheader (an h3 of the main area)."""
    return page.locator('[data-testid="stMain"] h3').first


def slider(page: Page, label: str) -> Locator:
    """The range input of the slider labelled ``label`` (its accessible name repeats the label)."""
    return page.get_by_role("group", name=label, exact=True).get_by_role("slider")


def values_table_rows(page: Page) -> int:
    """The row count (header included) of the live-values table, the current step's first table."""
    table = page.locator('[data-testid="bnviz-table"] >> visible=true').first
    expect(table).to_be_attached(timeout=TIMEOUT)
    return table.locator("tr").count()


def chart_with_text(page: Page, text: str) -> Locator:
    """A shown figure (its SVG drawn) whose text contains ``text``."""
    return page.locator(SHOWN).filter(has=page.locator("svg")).filter(has_text=text)


def assert_no_traceback(page: Page) -> None:
    expect(page.locator('[data-testid="stException"]')).to_have_count(0)
    assert "Traceback" not in page.content(), "the page shows a Python traceback"


def assert_no_js_errors(page: Page) -> None:
    errors = getattr(page, "js_errors", [])
    assert not errors, f"uncaught JavaScript errors: {errors}"


def expect_dx_step(page: Page, lang: str) -> None:
    """The three-paths step: its subheader and the per-sample chart of the three paths."""
    expect(subheader(page)).to_have_text(step_title(DX, lang), timeout=TIMEOUT)
    expect(chart_with_text(page, t("page.graph.path_xhat", lang))).to_have_count(1, timeout=TIMEOUT)
    expect(page.locator(SHOWN).nth(1).locator("svg").first).to_be_visible(timeout=TIMEOUT)


def expect_input_error(page: Page, lang: str, **fields: object) -> None:
    message = t("error.not_number", lang, **fields)
    expect(page.locator('[data-testid="stAlert"]').filter(has_text=message)).to_be_visible(timeout=TIMEOUT)
    expect(page.get_by_text(t("page.graph.fix_input", lang))).to_be_visible(timeout=TIMEOUT)
    expect(page.locator(SHOWN)).to_have_count(0)
    assert_no_traceback(page)


# --------------------------------------------------------------------------- tests


def test_english_page_renders_and_steps(app_url: str, page_: Page, artifacts: Path) -> None:
    """KaTeX and Plotly render; the batch-size slider updates URL and table; Next/Previous step."""
    page = page_
    open_graph(page, app_url)
    expect(title(page)).to_have_text(t("page.graph.title", "en"), timeout=TIMEOUT)
    expect(subheader(page)).to_have_text(step_title(STEP_KEYS[0], "en"))
    expect(page.locator("math, .katex >> visible=true").first).to_be_visible(timeout=TIMEOUT)
    expect(page.locator(SHOWN).locator("svg").first).to_be_visible(timeout=TIMEOUT)

    rows = values_table_rows(page)
    batch = slider(page, t("sidebar.m", "en"))
    m = int(batch.input_value())
    for _ in range(3):
        m += 1
        batch.focus()
        batch.press("ArrowRight")
        expect(page).to_have_url(re.compile(rf"[?&]m={m}(&|$)"), timeout=TIMEOUT)
        wait_idle(page)
    table = page.locator('[data-testid="bnviz-table"] >> visible=true').first
    expect(table.locator("tr")).to_have_count(rows + 3, timeout=TIMEOUT)

    next_button = page.get_by_role("button", name=t("stepper.next_aria", "en"), exact=True)
    prev_button = page.get_by_role("button", name=t("stepper.prev_aria", "en"), exact=True)
    for key in STEP_KEYS[1:4]:
        next_button.click()
        expect(subheader(page)).to_have_text(step_title(key, "en"), timeout=TIMEOUT)
        wait_idle(page)
    prev_button.click()
    expect(subheader(page)).to_have_text(step_title(STEP_KEYS[2], "en"), timeout=TIMEOUT)
    wait_idle(page)
    expect(page.locator("math, .katex >> visible=true").first).to_be_visible()
    expect(page).to_have_url(re.compile(rf"[?&]m={m}(&|$)"))

    assert_no_traceback(page)
    screenshot(page, artifacts / "graph-en.png")
    assert_no_js_errors(page)


def test_chinese_page_by_widgets_and_copied_url(app_url: str, page_: Page, artifacts: Path) -> None:
    """Switch to 简体中文 in the sidebar, walk to the three-paths step; the URL then reopens that view."""
    page = page_
    open_graph(page, app_url)
    page.get_by_role("radio", name=LANG_NAMES["zh"], exact=True).click()
    expect(title(page)).to_have_text(t("page.graph.title", "zh"), timeout=TIMEOUT)
    expect(subheader(page)).to_have_text(step_title(STEP_KEYS[0], "zh"), timeout=TIMEOUT)
    expect(page).to_have_url(re.compile(r"[?&]lang="), timeout=TIMEOUT)
    wait_idle(page)

    step = page.get_by_role("slider", name=t("page.graph.step", "zh"), exact=True)
    step.focus()
    step.press("End")
    expect(subheader(page)).to_have_text(step_title(STEP_KEYS[-1], "zh"), timeout=TIMEOUT)
    wait_idle(page)
    step.focus()
    for _ in range(len(STEP_KEYS) - step_number(DX)):
        step.press("ArrowLeft")
    expect_dx_step(page, "zh")
    expect(page.locator("math, .katex >> visible=true").first).to_be_visible()
    expect(page).to_have_url(re.compile(r"[?&]step="), timeout=TIMEOUT)
    wait_idle(page)
    assert_no_traceback(page)
    screenshot(page, artifacts / "graph-zh.png")

    copied = page.url
    page.goto(copied)
    wait_idle(page)
    expect(title(page)).to_have_text(t("page.graph.title", "zh"), timeout=TIMEOUT)
    expect_dx_step(page, "zh")
    assert_no_js_errors(page)


def test_bad_custom_input_by_widgets(app_url: str, page_: Page) -> None:
    """A non-number in "my own values" is one sentence naming row and token, no traceback; fixing it recovers."""
    page = page_
    open_graph(page, app_url)
    page.get_by_role("combobox", name=t("sidebar.dist", "en")).click()
    page.get_by_role("option", name=t("dist.custom", "en"), exact=True).click()
    box = page.get_by_role("textbox", name=t("sidebar.x_text", "en"))
    expect(box).to_be_visible(timeout=TIMEOUT)
    wait_idle(page)

    box.fill("1, 2\nabc, 3")
    box.press("Control+Enter")
    expect_input_error(page, "en", what="x", token="abc", row=2)
    wait_idle(page)

    page.goto(page.url)  # the copied URL shows the same error
    wait_idle(page)
    expect_input_error(page, "en", what="x", token="abc", row=2)

    box = page.get_by_role("textbox", name=t("sidebar.x_text", "en"))
    box.fill("1, 2\n5, 3\n4, 0")
    box.press("Control+Enter")
    expect(subheader(page)).to_have_text(step_title(STEP_KEYS[0], "en"), timeout=TIMEOUT)
    wait_idle(page)
    expect(page.locator('[data-testid="stAlert"]').filter(has_text=t("page.graph.fix_input", "en"))).to_have_count(0)
    expect(page.locator(SHOWN).locator("svg").first).to_be_visible(timeout=TIMEOUT)
    assert values_table_rows(page) == 3 + 1  # three samples and the header
    assert_no_traceback(page)
    assert_no_js_errors(page)


def test_url_with_stable_values_opens_chinese_three_paths(app_url: str, page_: Page) -> None:
    """The README's link ``/?m=5&step=16&lang=zh``: batch of 5, the three-paths step, in Chinese."""
    page = page_
    query = {"m": "5", "step": str(step_number(DX)), "lang": "zh"}
    open_graph(page, app_url, query)
    assert_url_kept(page, query)
    expect(title(page)).to_have_text(t("page.graph.title", "zh"), timeout=TIMEOUT)
    expect_dx_step(page, "zh")
    assert values_table_rows(page) == 5 + 1
    assert_no_traceback(page)


def test_url_with_bad_custom_input_explains_and_recovers(app_url: str, page_: Page) -> None:
    """``/?dist=custom&x_text=...`` with a non-number: the catalog sentence, no traceback; a fixed URL recovers."""
    page = page_
    query = {"dist": "custom", "x_text": "1,2\nabc,3"}
    open_graph(page, app_url, query)
    assert_url_kept(page, query)
    expect_input_error(page, "en", what="x", token="abc", row=2)

    open_graph(page, app_url, {"dist": "custom", "x_text": "1,2\n5,3\n4,0"})
    expect(subheader(page)).to_have_text(step_title(STEP_KEYS[0], "en"), timeout=TIMEOUT)
    expect(page.locator(SHOWN).locator("svg").first).to_be_visible(timeout=TIMEOUT)
    assert values_table_rows(page) == 3 + 1
    assert_no_traceback(page)


def test_next_and_previous_keep_the_step_in_the_url(app_url: str, page_: Page) -> None:
    """After Next/Previous the URL names the step on screen, so a copied URL reopens it.

    The buttons set the bound step slider from code (an on_click callback); Streamlit
    1.67 alone leaves such a value out of the URL until the next change made in the
    browser (streamlit/streamlit#14670), so the URL lagged one click behind.
    """
    page = page_
    open_graph(page, app_url)
    next_button = page.get_by_role("button", name=t("stepper.next_aria", "en"), exact=True)
    prev_button = page.get_by_role("button", name=t("stepper.prev_aria", "en"), exact=True)
    for n, button in ((2, next_button), (3, next_button), (2, prev_button)):
        button.click()
        expect(subheader(page)).to_have_text(step_title(STEP_KEYS[n - 1], "en"), timeout=TIMEOUT)
        wait_idle(page)
        expect(page).to_have_url(re.compile(rf"[?&]step={n}(&|$)"), timeout=10_000)
    page.goto(page.url)
    wait_idle(page)
    expect(subheader(page)).to_have_text(step_title(STEP_KEYS[1], "en"), timeout=TIMEOUT)
