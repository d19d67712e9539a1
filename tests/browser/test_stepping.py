"""The one stepper (ui/stepper.py) in a real browser: stepping stays in the browser, the URL keeps the step,
and a first visit to a deep link shows its page with no "Page not found" dialog.

"No round trip" is checked on the websocket itself: every frame the browser
sends is decoded as a Streamlit ``BackMsg`` and none may be a ``rerun_script``
while stepping.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from browser_helpers import VIEWPORT, live_server
from playwright.sync_api import Browser, Page, expect
from streamlit.proto.BackMsg_pb2 import BackMsg

from bnviz.i18n import t
from bnviz.lessons.graph import BACKWARD, FORWARD

TIMEOUT = 60_000
STEPPER = '[data-testid="bnviz-stepper"]'
IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'
GRAPH_KEYS = [f"forward.{n}" for n in FORWARD] + [f"backward.{n}" for n in BACKWARD]
STEPPED = {"saturation": "sat_step", "graph": "step", "upstream": "up_step", "train_test": "tt_step",
           "renorm": "rn_step", "axes": "ax_step", "conv": "conv_step", "pool": "pool_step", "network": "net_step",
           "fold": "fold_step", "sync": "sync_step"}
"""Every lesson on the one stepper, with its URL parameter."""
PAGE_LEVEL = {"renorm": 1}
"""Figures or tables a lesson draws for the whole page below its steps (renorm: the gap experiment)."""


def graph_title(n: int, lang: str) -> str:
    key = GRAPH_KEYS[n - 1]
    phase = key.split(".")[0]
    return f"{t(f'page.graph.{phase}', lang)} · {t(f'step.{key}.title', lang)}"


def watch_reruns(page: Page) -> list[str]:
    """Every BackMsg type the page sends over its websocket, in order (appended as they go)."""
    sent: list[str] = []

    def on_frame(payload: str | bytes) -> None:
        if isinstance(payload, bytes):
            sent.append(BackMsg.FromString(payload).WhichOneof("type") or "")

    page.on("websocket", lambda ws: ws.on("framesent", on_frame))
    return sent


def title(page: Page):
    return page.locator(f'{STEPPER} [data-bnviz="title"]')


def shown_steps(page: Page, key: str) -> list[int]:
    """The numbers of the steps that are displayed: each step's HTML (every step has one, in the one
    ``bnviz_steps`` element) and its container (what it draws with Streamlit, if anything)."""
    return page.evaluate(
        """key => [...new Set([...document.querySelectorAll(
                  `[class*="bnvizstep-${key}-"]`)]
              .filter(e => getComputedStyle(e).display !== 'none' && e.offsetParent !== null)
              .map(e => e.className.match(new RegExp(`bnvizstep-${key}-(\\\\d+)`)))
              .filter(m => m !== null).map(m => Number(m[1])))].sort((a, b) => a - b)""", key)


def outside_steps(page: Page) -> int:
    """Visible tables and figures below the steps that belong to no step (nor to a folded lesson table): a step's own
    content drawn outside it would show on every step."""
    return page.evaluate("""() => {
      const steps = document.querySelector('.bnviz-steps');
      return [...document.querySelectorAll('[data-testid=stMain] :is([data-testid=bnviz-table],'
                                           + ' [data-testid=bnviz-figure], .stPlotlyChart)')]
        .filter(e => e.offsetParent !== null && steps
                && steps.compareDocumentPosition(e) & Node.DOCUMENT_POSITION_FOLLOWING
                && !e.closest('.bnviz-step-html, [class*="st-key-bnvizstep-"], [data-testid=stExpander], '
                              + '.bnviz-details'))
        .length;
    }""")


def open_idle(page: Page, url: str) -> None:
    page.goto(url)
    expect(page.locator(STEPPER)).to_be_visible(timeout=TIMEOUT)
    expect(page.locator(IDLE)).to_have_count(1, timeout=TIMEOUT)
    page.wait_for_timeout(500)  # let the last deltas land


def test_graph_steps_in_the_browser_with_no_rerun(app_url: str, page_: Page) -> None:
    """Next, Previous, ← →, and the slider switch steps; the websocket carries no rerun; the URL records the step;
    a copied URL reopens it; a later sidebar change keeps it."""
    page = page_
    sent = watch_reruns(page)
    open_idle(page, f"{app_url}/graph?m=5&step=3")
    expect(title(page)).to_have_text(graph_title(3, "en"))
    assert shown_steps(page, "step") == [3]
    before = list(sent)

    page.locator('[data-bnviz="next"]').click()
    expect(title(page)).to_have_text(graph_title(4, "en"))
    page.locator('[data-bnviz="prev"]').click()
    page.locator('[data-bnviz="prev"]').click()
    expect(title(page)).to_have_text(graph_title(2, "en"))
    page.locator('[data-testid="stMain"] h1').click()  # focus off every input: the keys step
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    expect(title(page)).to_have_text(graph_title(4, "en"))
    page.keyboard.press("ArrowLeft")
    expect(title(page)).to_have_text(graph_title(3, "en"))
    page.locator('[data-bnviz="slider"]').fill("16")
    expect(title(page)).to_have_text(graph_title(16, "en"))
    assert shown_steps(page, "step") == [16]
    expect(page).to_have_url(re.compile(r"[?&]step=16(&|$)"))
    expect(page).to_have_url(re.compile(r"[?&]m=5(&|$)"))
    page.wait_for_timeout(500)
    assert "rerun_script" not in sent[len(before):], sent[len(before):]

    # the sidebar's slider reruns the page; the step stays (the browser's address carries it)
    m = page.get_by_role("slider", name=t("sidebar.m", "en")).first
    m.focus()
    m.press("ArrowRight")
    expect(page).to_have_url(re.compile(r"[?&]m=6(&|$)"), timeout=TIMEOUT)
    expect(page.locator(IDLE)).to_have_count(1, timeout=TIMEOUT)
    assert "rerun_script" in sent[len(before):]
    expect(title(page)).to_have_text(graph_title(16, "en"))
    expect(page).to_have_url(re.compile(r"[?&]step=16(&|$)"))
    assert shown_steps(page, "step") == [16]

    # a copied link reopens the step, in a fresh tab
    other = page.context.new_page()
    open_idle(other, page.url)
    expect(title(other)).to_have_text(graph_title(16, "en"))
    assert shown_steps(other, "step") == [16]
    other.close()


@pytest.mark.parametrize("lesson", sorted(STEPPED))
def test_every_stepped_lesson_steps_without_rerun(app_url: str, page_: Page, lesson: str) -> None:
    """On every lesson with steps: Next moves one step, in the browser only, and the URL says where."""
    page = page_
    key = STEPPED[lesson]
    sent = watch_reruns(page)
    open_idle(page, f"{app_url}/{lesson}")
    first = title(page).inner_text()
    assert shown_steps(page, key) == [1]
    assert outside_steps(page) <= PAGE_LEVEL.get(lesson, 0)
    before = len(sent)
    page.locator('[data-bnviz="next"]').click()
    expect(title(page)).not_to_have_text(first)
    expect(page).to_have_url(re.compile(rf"[?&]{key}=2(&|$)"))
    assert shown_steps(page, key) == [2]
    page.wait_for_timeout(500)
    assert "rerun_script" not in sent[before:], sent[before:]
    assert page.locator('[data-bnviz="prev"]').get_attribute("aria-label") == t("stepper.prev_aria", "en")


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_first_visit_deep_link_shows_its_page_with_no_dialog(chromium_browser: Browser, tmp_path: Path,
                                                             lang: str) -> None:
    """The README's teacher's link, opened as the very first visit after a server start."""
    with live_server(tmp_path / "server.log") as url:  # a new server: its first session is this test's
        context = chromium_browser.new_context(viewport=VIEWPORT)
        try:
            page = context.new_page()
            query = "m=5&step=16" + ("&lang=zh" if lang == "zh" else "")
            open_idle(page, f"{url}/graph?{query}")
            expect(page.locator('[data-testid="stMain"] h1').first).to_have_text(t("page.graph.title", lang))
            expect(title(page)).to_have_text(graph_title(16, lang))
            page.wait_for_timeout(1000)
            expect(page.get_by_role("dialog")).to_have_count(0)
            expect(page.get_by_text("Page not found")).to_have_count(0)
            assert shown_steps(page, "step") == [16]
            # the session goes on normally: a sidebar change keeps language, batch size and step
            m = page.get_by_role("slider", name=t("sidebar.m", lang)).first
            m.focus()
            m.press("ArrowRight")
            expect(page).to_have_url(re.compile(r"[?&]m=6(&|$)"), timeout=TIMEOUT)
            expect(page.locator(IDLE)).to_have_count(1, timeout=TIMEOUT)
            expect(title(page)).to_have_text(graph_title(16, lang))
            expect(page.locator('[data-testid="stMain"] h1').first).to_have_text(t("page.graph.title", lang))
            assert "eps=" not in page.url, page.url  # the sidebar's choices kept their state
        finally:
            context.close()
