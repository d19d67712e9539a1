"""What every learner sees, in a real browser: axe-core, layout at 1400 px and on a phone, keyboard reach.

One server (the session's ``app_url``) and one tab per test, reused across
lessons, so the file stays cheap: axe-core on every lesson in both languages;
at 1400×900 and 390×844 no formula, table or chart wider than its column (a
formula wider than its column must scroll: ``overflow-x`` auto/scroll and
reachable by the keyboard); on a phone the graph lesson steps to its last step
and its batch size changes. Labels come from the catalog (``bnviz.i18n.t``).
"""

from __future__ import annotations

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from browser_helpers import DESKTOP, PHONE
from playwright.sync_api import Page, expect

from bnviz.course import available
from bnviz.i18n import LANGS, t

pytestmark = pytest.mark.browser

TIMEOUT = 60_000
LESSONS = [les.key for les in available()]
SERIOUS = {"serious", "critical"}

LAYOUT_JS = """
() => {
  const bad = [];
  const name = (el) => (el.dataset.testid || el.className || el.tagName).toString().slice(0, 60);
  const main = document.querySelector('[data-testid="stMain"]');
  if (main && main.scrollWidth > main.clientWidth + 1) {
    bad.push(`the main area scrolls sideways: ${main.scrollWidth} px > ${main.clientWidth} px`);
  }
  const boxOf = (el) => el.parentElement.closest(
    '[class*="st-key-scroll"], [data-testid="stColumn"], [data-testid="stMainBlockContainer"], ' +
    '[data-testid="stSidebarUserContent"], [data-testid="stExpanderDetails"], [data-testid="stTabPanel"]');
  const picks = '[data-testid="stPlotlyChart"], [data-testid="stDataFrame"], [data-testid="stTable"], ' +
    '.katex-display, .bnviz-math';
  for (const el of document.querySelectorAll(picks)) {
    const r = el.getBoundingClientRect();
    if (r.width === 0) { continue; }  // not shown (a closed expander, another tab)
    const box = boxOf(el);
    if (!box) { continue; }
    const b = box.getBoundingClientRect();
    const scrollsBox = box.matches('[class*="st-key-scroll"]');
    if (!scrollsBox && (r.right > b.right + 1 || r.left < b.left - 1)) {
      bad.push(`${name(el)} spans ${Math.round(r.left)}..${Math.round(r.right)} px outside its column ` +
               `${Math.round(b.left)}..${Math.round(b.right)} px: "${el.textContent.slice(0, 50)}"`);
    }
    if (scrollsBox && b.right > window.innerWidth + 1) {
      bad.push(`a scrolling figure box ends at ${Math.round(b.right)} px, past the window`);
    }
    if (el.matches('.katex-display, .bnviz-math') && el.scrollWidth > el.clientWidth + 1) {
      const css = getComputedStyle(el);
      if (!['auto', 'scroll'].includes(css.overflowX) || el.getAttribute('tabindex') !== '0'
          || css.scrollbarWidth === 'none') {
        bad.push(`a formula ${el.scrollWidth} px wide in ${el.clientWidth} px neither fits nor scrolls visibly ` +
                 `with the keyboard: "${el.textContent.slice(0, 50)}"`);
      }
    }
  }
  return bad;
}
"""


def open_lesson(page: Page, base: str, key: str, lang: str, query: str = "") -> None:
    """Load a lesson and wait until its run is over and its charts and formulas are drawn."""
    path = "" if key == "home" else key
    page.goto(f"{base}/{path}?lang={lang}{'&' + query if query else ''}")
    settle(page)


def settle(page: Page) -> None:
    app = page.locator('[data-testid="stApp"]')
    expect(app).to_have_attribute("data-test-script-state", "notRunning", timeout=TIMEOUT)
    expect(page.get_by_role("heading", level=1).first).to_be_visible(timeout=TIMEOUT)
    expect(page.locator('[data-stale="true"]')).to_have_count(0, timeout=TIMEOUT)
    expect(page.get_by_role("dialog")).to_have_count(0)
    charts = page.locator('[data-testid="stPlotlyChart"]')
    for n in range(charts.count()):
        expect(charts.nth(n).locator(".main-svg").first).to_be_attached(timeout=TIMEOUT)
    exception = page.locator('[data-testid="stException"]')
    if exception.count():
        pytest.fail(f"the app raised an exception:\n{exception.first.inner_text()}", pytrace=False)
    # Streamlit fades elements back in after a rerun (a CSS transition on opacity): axe must see the end state.
    page.wait_for_function("""() => !document.getAnimations().some(
        a => a instanceof CSSTransition && a.transitionProperty === 'opacity' && a.playState === 'running')""",
                           timeout=TIMEOUT)
    # ui.style's script marks scrolling regions on the next animation frame after a change (or a font load).
    page.wait_for_function("() => window.__bnvizA11y === true", timeout=TIMEOUT)
    page.evaluate("() => document.fonts.ready.then(() => true)")
    page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")


def serious_violations(page: Page) -> list[str]:
    response = Axe().run(page).response
    return [f"{v['id']} ({v['impact']}, {len(v['nodes'])}×): {v['help']} e.g. {v['nodes'][0]['target']}: "
            f"{v['nodes'][0].get('failureSummary', '')}"
            for v in response["violations"] if v["impact"] in SERIOUS]


@pytest.mark.parametrize("lang", LANGS)
def test_axe_finds_no_serious_violation_on_any_lesson(app_url: str, tab: Page, lang: str) -> None:
    found = {}
    for key in LESSONS:
        open_lesson(tab, app_url, key, lang)
        if bad := serious_violations(tab):
            found[key] = bad
    assert not found, "axe-core, serious or critical:\n" + "\n".join(
        f"{key}: {v}" for key, vs in found.items() for v in vs)


@pytest.mark.parametrize("tab", [DESKTOP, PHONE], indirect=True, ids=["1400x900", "390x844"])
def test_nothing_is_wider_than_its_column(app_url: str, tab: Page) -> None:
    """Every lesson's first view, the graph lesson's last (closed-form) step and its three-paths step."""
    found = {}
    views = [(key, "") for key in LESSONS] + [("graph", "step=17"), ("graph", "step=16")]
    for key, query in views:
        open_lesson(tab, app_url, key, "en", query)
        if bad := tab.evaluate(LAYOUT_JS):
            found[f"{key}?{query}"] = bad
    width = tab.viewport_size["width"]
    assert not found, f"at {width} px:\n" + "\n".join(f"{k}: {v}" for k, vs in found.items() for v in vs)


@pytest.mark.parametrize("tab", [PHONE], indirect=True, ids=["390x844"])
def test_phone_steps_the_graph_lesson_and_changes_m(app_url: str, tab: Page) -> None:
    """On a phone: Next walks every step with nothing wider than its column, and m changes from the menu."""
    open_lesson(tab, app_url, "graph", "en")
    nxt = tab.locator('[data-testid="bnviz-stepper"] [data-bnviz="next"]')
    title = tab.locator('[data-testid="bnviz-stepper"] [data-bnviz="title"]')
    found = []
    for _ in range(40):
        found += tab.evaluate(LAYOUT_JS)
        if not nxt.is_enabled():
            break
        before = title.inner_text()
        nxt.click()
        expect(title).not_to_have_text(before, timeout=TIMEOUT)
        tab.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
    assert not found, "\n".join(found)
    expect(title).to_contain_text(t("step.backward.closed.title", "en"))

    # The sidebar is folded away on a phone: its toggle opens it, the batch size slider answers the keyboard.
    tab.locator('[data-testid="stExpandSidebarButton"]').first.click()
    m = tab.get_by_role("group", name=t("sidebar.m", "en"), exact=True).get_by_role("slider")
    expect(m).to_be_visible(timeout=TIMEOUT)
    start = int(m.input_value())
    m.focus()
    m.press("ArrowRight")
    expect(tab).to_have_url(re.compile(rf"[?&]m={start + 1}(&|$)"), timeout=TIMEOUT)
    settle(tab)
    expect(m).to_have_value(str(start + 1))


def test_every_control_is_reached_by_the_keyboard(app_url: str, tab: Page) -> None:
    """Tab from the top of the graph lesson reaches the step buttons, the step slider and a scrolling formula
    (at step 16: on the last step, 17, Next is rightly disabled)."""
    open_lesson(tab, app_url, "graph", "en", "step=16")
    reached: set[str] = set()
    for _ in range(120):
        tab.keyboard.press("Tab")
        reached.add(tab.evaluate("""() => { let e = document.activeElement;  // into open shadow roots
            while (e && e.shadowRoot && e.shadowRoot.activeElement) { e = e.shadowRoot.activeElement; }
            return (e.getAttribute('aria-label') || e.innerText || e.getAttribute('role') || e.tagName)
                   .trim().slice(0, 40); }"""))
    for name in ("next", "prev"):
        label = tab.locator(f'[data-testid="bnviz-stepper"] [data-bnviz="{name}"]').first.evaluate(
            "e => (e.getAttribute('aria-label') || e.innerText).trim().slice(0, 40)")
        assert label in reached, f"Tab never reached the {name} button ({label!r}): {sorted(reached)}"
    focusable = tab.evaluate("""() => [...document.querySelectorAll('.katex-display, .bnviz-math')]
        .filter(e => e.scrollWidth > e.clientWidth + 1).every(e => e.tabIndex === 0)""")
    assert focusable, "a formula wider than its column is not reachable with Tab"
