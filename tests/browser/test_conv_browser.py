"""The conv and pooling pages in a real browser: the animations play client-side.

``streamlit run app.py`` (fixture ``app_url``) driven by Debian's headless
Chromium (``page_``). Pressing Play (Plotly's ``.updatemenu-button``) must
change the frame shown (the slider's current value and the caption under the
panels) while the page sends nothing to the server: playback never reruns the
script. The steps are on the one stepper (ui/stepper.py): every step's figures
are on the page, the browser shows one step, and stepping sends no rerun; the
animations play inside whichever step is shown. The frame-by-frame mode
(Previous / Next) is a server rerun, checked too. Every label is read from the
text catalog, in English and Chinese.
"""

from __future__ import annotations

import re
from pathlib import Path

import browser_helpers
import pytest
from playwright.sync_api import Locator, Page, expect
from streamlit.proto.BackMsg_pb2 import BackMsg

from bnviz.i18n import t

pytestmark = pytest.mark.browser

TIMEOUT = 60_000
PLOTLY = '[data-testid="stPlotlyChart"]:visible'
"""The figures of the step on screen (the other steps' are on the page, hidden)."""
TITLE = '[data-testid="bnviz-stepper"] [data-bnviz="title"]'


def idle(page: Page) -> None:
    """``browser_helpers.idle`` with this file's longer timeout (a first visit draws nine animations)."""
    browser_helpers.idle(page, TIMEOUT)


def open_lesson(page: Page, base: str, path: str, lang: str, query: str = "") -> None:
    page.goto(f"{base}/{path}?lang={lang}{'&' + query if query else ''}")
    idle(page)
    expect(page.get_by_role("heading", level=1)).to_have_text(t(f"page.{path}.title", lang), timeout=TIMEOUT)
    expect(page.locator(TITLE)).to_be_visible(timeout=TIMEOUT)  # the stepper has shown the link's step
    expect(page.locator(PLOTLY).first.locator(".main-svg").first).to_be_visible(timeout=TIMEOUT)
    expect(page.get_by_text("Page not found")).to_have_count(0)


def frame_label(chart: Locator, lang: str) -> Locator:
    """Plotly's slider read-out, e.g. "Frame 3" (the slider's one text that starts with the prefix)."""
    prefix = t("page.conv.figure_frame", lang).strip()
    return chart.locator(".slider-group text").filter(has_text=re.compile(rf"^{re.escape(prefix)}"))


def caption(chart: Locator) -> Locator:
    """The caption under the panels (a scatter text trace: the sum written out)."""
    return chart.locator(".textpoint text").last


def count_sent(page: Page) -> list[str]:
    """The BackMsg type of every frame the page sends on its websockets (a rerun request is
    "rerun_script"), collected from now on."""
    sent: list[str] = []

    def on_frame(payload: str | bytes) -> None:
        sent.append((BackMsg.FromString(payload).WhichOneof("type") or "") if isinstance(payload, bytes) else payload)

    page.on("websocket", lambda ws: ws.on("framesent", on_frame))
    return sent


def play_and_see_the_frame_change(page: Page, lang: str, sent: list[str]) -> None:
    chart = page.locator(PLOTLY).first
    prefix = t("page.conv.figure_frame", lang).strip()
    expect(frame_label(chart, lang)).to_have_text(re.compile(rf"^{re.escape(prefix)}\s*1$"), timeout=TIMEOUT)
    before_caption = caption(chart).text_content()
    before_sent = len(sent)
    play = chart.locator(".updatemenu-button").first
    expect(play).to_contain_text(t("page.conv.play", lang).split()[-1])
    play.click()
    expect(frame_label(chart, lang)).not_to_have_text(re.compile(rf"^{re.escape(prefix)}\s*1$"), timeout=TIMEOUT)
    expect(caption(chart)).not_to_have_text(before_caption or "", timeout=TIMEOUT)
    page.wait_for_timeout(1500)  # a few more frames
    expect(page.locator('[data-testid="stApp"]')).to_have_attribute("data-test-script-state", "notRunning")
    assert len(sent) == before_sent, f"playback talked to the server: {sent[before_sent:]}"
    chart.locator(".updatemenu-button").nth(1).click()  # pause
    page.wait_for_timeout(300)


def assert_no_js_errors(page: Page) -> None:
    """No uncaught error in the page, except the one Plotly itself leaves: Pause interrupts the
    running ``Plotly.animate``, whose promise Plotly rejects with ``undefined`` and nobody catches."""
    errors = [e for e in page.js_errors if e != "undefined"]  # type: ignore[attr-defined]
    assert not errors, errors


def shot(page: Page, path: Path) -> None:
    page.screenshot(path=str(path), full_page=True)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_conv_animation_plays_in_the_browser(app_url: str, page_: Page, artifacts: Path, lang: str) -> None:
    page = page_
    sent = count_sent(page)
    open_lesson(page, app_url, "conv", lang)
    expect(page.locator(TITLE)).to_contain_text(t("step.conv.forward.title", lang), timeout=TIMEOUT)
    expect(page.locator(".bnviz-math:visible").first).to_be_visible()  # the step's formulas (MathML)
    shot(page, artifacts / f"conv-{lang}.png")
    play_and_see_the_frame_change(page, lang, sent)

    # Next: the dL/dF step, in the browser only; its animation, drawn while hidden, plays
    before = len(sent)
    page.locator('[data-bnviz="next"]').click()
    expect(page.locator(TITLE)).to_contain_text(t("step.conv.dw.title", lang), timeout=TIMEOUT)
    expect(page).to_have_url(re.compile(r"[?&]conv_step=2(&|$)"))
    page.wait_for_timeout(500)
    assert "rerun_script" not in sent[before:], sent[before:]
    play_and_see_the_frame_change(page, lang, sent)

    # the dL/dX step with stride 2, padding 1 and two channels: zeros inserted, rotated filter, crop
    open_lesson(page, app_url, "conv", lang, "conv_size=5&conv_filt=3&conv_stride=2&conv_pad=1&conv_cout=2&conv_step=5")
    expect(page.locator(TITLE)).to_contain_text(t("step.conv.slide.title", lang), timeout=TIMEOUT)
    play_and_see_the_frame_change(page, lang, sent)
    shot(page, artifacts / f"conv-{lang}-slide.png")

    # frame by frame: Next is a rerun (the websocket watch sees it), and the frame's sum appears in KaTeX
    page.get_by_role("radio", name=t("page.conv.mode_step", lang)).click()
    idle(page)
    before = len(sent)
    page.get_by_role("button", name=t("page.conv.frame_next", lang)).click()
    idle(page)
    assert "rerun_script" in sent[before:], "the websocket watch saw no rerun request"
    expect(page.get_by_text(t("page.conv.frame_of", lang, n=2, total=50))).to_be_visible(timeout=TIMEOUT)
    frame_sum = page.locator(PLOTLY).first.locator("xpath=following::span[contains(@class, 'katex')][1]")
    expect(frame_sum).to_be_visible()
    assert_no_js_errors(page)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_pool_animation_plays_in_the_browser(app_url: str, page_: Page, artifacts: Path, lang: str) -> None:
    page = page_
    sent = count_sent(page)
    open_lesson(page, app_url, "pool", lang, "pool_stride=1&pool_step=2")
    expect(page.get_by_text(t("page.pool.tie_rule", lang))).to_be_visible()
    expect(page.locator(TITLE)).to_contain_text(t("step.pool.backward.title_max", lang), timeout=TIMEOUT)
    shot(page, artifacts / f"pool-{lang}.png")
    play_and_see_the_frame_change(page, lang, sent)

    before = len(sent)
    page.locator('[data-bnviz="next"]').click()  # max and average side by side, in the browser only
    expect(page.locator(TITLE)).to_contain_text(t("step.pool.compare.title", lang), timeout=TIMEOUT)
    expect(page.locator(PLOTLY)).to_have_count(2, timeout=TIMEOUT)
    expect(page).to_have_url(re.compile(r"[?&]pool_step=3(&|$)"))
    page.wait_for_timeout(500)
    assert "rerun_script" not in sent[before:], sent[before:]
    expect(page.locator("strong", has_text=t("page.pool.compare_avg", lang))).to_be_visible()
    shot(page, artifacts / f"pool-{lang}-compare.png")
    assert_no_js_errors(page)


def test_bad_input_in_the_browser_is_a_sentence_not_a_traceback(app_url: str, page_: Page) -> None:
    page = page_
    # a stride that does not divide is floored, as PyTorch: the page works and says which cells are dropped
    page.goto(f"{app_url}/conv?conv_filt=3&conv_stride=2")
    idle(page)
    # (the note stands in the forward, dilate and slide steps: the forward one is on screen)
    expect(page.get_by_text(t("step.conv.dropped_note.one", "en", dr=1, dc=1)).first).to_be_visible(timeout=TIMEOUT)
    expect(page.locator(PLOTLY).first.locator(".main-svg").first).to_be_visible(timeout=TIMEOUT)
    # a filter larger than the padded input (PyTorch refuses it): a sentence, no traceback, no figure
    page.get_by_role("radio", name=t("page.conv.values_typed", "en")).click()
    idle(page)
    for label, text in (("page.conv.w_text", "1 0 1\n0 1 0\n1 0 1"), ("page.conv.x_text", "1 2\n3 4")):
        box = page.get_by_label(t(label, "en"))
        box.fill(text)
        box.press("Control+Enter")
        idle(page)
    want = t("error.conv.filter_too_big", "en", dim="H", kdim="HH", size=2, pad=0, k=3, span=2)
    expect(page.locator('[data-testid="stAlert"]').first).to_contain_text(want, timeout=TIMEOUT)
    expect(page.locator('[data-testid="stException"]')).to_have_count(0)
    expect(page.locator('[data-testid="stPlotlyChart"]')).to_have_count(0)
    expect(page.locator('[data-testid="bnviz-stepper"]')).to_have_count(0)


TITLES_FIT = """(chart) => {
  const box = chart.getBoundingClientRect();
  return [...chart.querySelectorAll('g.annotation')].map((g) => {
    const r = g.getBoundingClientRect();
    return {text: g.textContent, left: r.left - box.left, right: box.right - r.right};
  }).filter((a) => a.left < -1 || a.right < -1);
}"""


@pytest.mark.parametrize("width", [1400, 390])
def test_panel_titles_fit_inside_their_figures(app_url: str, page_: Page, width: int) -> None:
    """No panel title sticks out of its figure (the pool titles used to end "…2×2 windo")."""
    page = page_
    page.set_viewport_size({"width": width, "height": 2200})
    for path, query in (("pool", "pool_step=3"), ("pool", "pool_size=5&pool_pad=1&pool_window=3"),
                        ("conv", "conv_step=1"), ("conv", "conv_cin=2&conv_cout=2&conv_step=7")):
        open_lesson(page, app_url, path, "zh", query)
        charts = page.locator(PLOTLY)
        for n in range(charts.count()):
            chart = charts.nth(n)
            chart.scroll_into_view_if_needed()
            expect(chart.locator("g.annotation").first).to_be_visible(timeout=TIMEOUT)
            out = chart.evaluate(TITLES_FIT)
            assert not out, f"{path}?{query} at {width} px: titles cut {out}"
