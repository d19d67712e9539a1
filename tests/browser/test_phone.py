"""What a learner sees in a real browser (issues 11 and 12): m on a phone, whole table headers, links that load.

- On a 390×844 phone the menu (Streamlit's sidebar) opens on the batch: the m slider is
  on screen without scrolling the menu, nothing covers it (``elementFromPoint`` at its
  centre is the slider), and it answers the keyboard.
- The saturation lesson's table shows every header whole, at 1400 px and on a phone.
- A typed batch goes into the link while the link stays short enough for the server, and
  a longer one stays out of it (with the sentence and the file offer), so a copied link
  always opens.

One tab per test (the session's server, ``app_url``); labels come from the catalog.
"""

from __future__ import annotations

import re
import urllib.error
import urllib.parse
import urllib.request

import pytest
from browser_helpers import DESKTOP, PHONE
from playwright.sync_api import Page, expect

from bnviz.i18n import LANGS, t
from bnviz.limits import URL_MAX_CHARS

pytestmark = pytest.mark.browser

TIMEOUT = 60_000
VISIBLE_PHONE_HEIGHT = 664
"""844 px minus a phone browser's address and tool bars (~180 px): what a learner sees without scrolling."""


def settle(page: Page) -> None:
    expect(page.locator('[data-testid="stApp"]')).to_have_attribute("data-test-script-state", "notRunning",
                                                                    timeout=TIMEOUT)
    expect(page.get_by_role("heading", level=1).first).to_be_visible(timeout=TIMEOUT)
    expect(page.locator('[data-stale="true"]')).to_have_count(0, timeout=TIMEOUT)
    expect(page.locator('[data-testid="stException"]')).to_have_count(0)
    page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")


HIT_JS = """(label) => {
  const box = [...document.querySelectorAll('[data-testid="stSidebar"] [data-testid="stSlider"]')]
    .find(e => e.querySelector('[data-testid="stWidgetLabel"]')?.innerText.trim() === label);
  if (!box) { return {error: 'no slider labelled ' + label}; }
  const input = box.querySelector('input') || box;
  const r = input.getBoundingClientRect();
  const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
  return {top: r.top, bottom: r.bottom, left: r.left, right: r.right, covered: !box.contains(hit),
          by: hit ? (hit.dataset.testid || hit.getAttribute('class') || hit.tagName).toString().slice(0, 60) : null};
}"""


@pytest.mark.parametrize("tab", [PHONE], indirect=True, ids=["390x844"])
@pytest.mark.parametrize("lang", LANGS)
def test_on_a_phone_m_is_on_screen_uncovered_and_answers_the_keyboard(app_url: str, tab: Page, lang: str) -> None:
    tab.goto(f"{app_url}/graph?lang={lang}")
    settle(tab)
    tab.mouse.wheel(0, 2500)  # the learner has read down the lesson before opening the menu
    tab.locator('[data-testid="stExpandSidebarButton"]').first.click()
    label = t("sidebar.m", lang)
    slider = tab.get_by_role("group", name=label, exact=True).get_by_role("slider")
    expect(slider).to_be_visible(timeout=TIMEOUT)
    tab.wait_for_function("""() => { const s = document.querySelector('[data-testid="stSidebar"]');
        return s && s.getBoundingClientRect().left >= 0; }""", timeout=TIMEOUT)  # the menu has slid in
    where = tab.evaluate(HIT_JS, label)
    assert "error" not in where, where
    assert 0 <= where["top"] and where["bottom"] <= VISIBLE_PHONE_HEIGHT, f"m is off screen in the open menu: {where}"
    assert 0 <= where["left"] and where["right"] <= PHONE["width"], where
    assert not where["covered"], f"something covers the m slider at its centre: {where['by']}"

    start = int(slider.input_value())
    slider.focus()
    slider.press("ArrowRight")
    expect(tab).to_have_url(re.compile(rf"[?&]m={start + 1}(&|$)"), timeout=TIMEOUT)
    settle(tab)
    expect(slider).to_have_value(str(start + 1))
    assert not tab.evaluate(HIT_JS, label)["covered"]


HEADERS_JS = """() => [...document.querySelectorAll('[data-testid="bnviz-table"]')].map(div => ({
  fits: div.scrollWidth <= div.clientWidth + 1,
  heads: [...div.querySelectorAll('th')].map(th => ({text: th.innerText.trim(),
                                                     cut: th.scrollWidth > th.clientWidth + 1,
                                                     right: th.getBoundingClientRect().right})),
  right: div.getBoundingClientRect().right}))"""


@pytest.mark.parametrize("tab", [DESKTOP, PHONE], indirect=True, ids=["1400x900", "390x844"])
def test_the_saturation_table_headers_are_whole(app_url: str, tab: Page) -> None:
    for lang in LANGS:
        tab.goto(f"{app_url}/saturation?lang={lang}")
        settle(tab)
        want = [t(f"page.saturation.table_{k}", lang) for k in ("batch", "mean", "std", "before", "after")]
        expect(tab.locator('[data-testid="bnviz-table"] th').last).to_have_text(want[-1], timeout=TIMEOUT)
        tables = tab.evaluate(HEADERS_JS)
        table = next((tb for tb in tables if [h["text"] for h in tb["heads"]] == want), None)
        assert table is not None, f"{lang}: no table with the headers {want}: {tables}"
        assert table["fits"], f"{lang}: the table is wider than its box (its last column scrolls out of sight)"
        for head in table["heads"]:
            assert not head["cut"] and head["right"] <= table["right"] + 1, f"{lang}: header cut: {head}"


def test_a_typed_batch_is_in_the_link_only_while_the_link_opens(app_url: str, tab: Page) -> None:
    """On the axes lesson (it reads the typed batch, and draws a large one quickly: the sidebar is the same)."""
    tab.goto(f"{app_url}/axes?dist=custom")
    settle(tab)
    area = tab.locator('[data-testid="stSidebar"] textarea').first
    row = ", ".join(["1.234567890123456"] * 16)

    short = "\n".join([row] * 5)
    area.fill(short)
    area.press("Control+Enter")
    expect(tab).to_have_url(re.compile(r"[?&]x_text="), timeout=TIMEOUT)
    settle(tab)
    link = tab.url
    assert urllib.parse.parse_qs(urllib.parse.urlsplit(link).query)["x_text"] == [short]
    tab.goto(link)  # the shared link opens that batch
    settle(tab)
    expect(tab.locator('[data-testid="stSidebar"] textarea').first).to_have_value(short, timeout=TIMEOUT)

    long = "\n".join([row] * 400)
    chars = len(urllib.parse.quote_plus(long))
    assert chars > URL_MAX_CHARS
    area = tab.locator('[data-testid="stSidebar"] textarea').first
    area.fill(long)
    area.press("Control+Enter")
    expect(tab.locator('[data-testid="stSidebar"] [data-testid="stAlert"]')).to_contain_text(
        t("url.too_long", "en", chars=chars, limit=URL_MAX_CHARS), timeout=TIMEOUT)
    expect(tab).not_to_have_url(re.compile(r"[?&]x_text="), timeout=TIMEOUT)
    expect(tab.get_by_role("button", name=t("url.download", "en"))).to_be_visible()
    assert len(tab.url) < URL_MAX_CHARS
    with urllib.request.urlopen(tab.url, timeout=30) as r:  # the link copied now opens
        assert r.status == 200

    # The limit's reason: a link with a batch of URL_MAX_CHARS (and the other settings) is still accepted.
    near = urllib.parse.urlencode({"dist": "custom", "upstream": "custom", "m": "8", "lang": "zh",
                                   "x_text": "1" * URL_MAX_CHARS})
    try:
        with urllib.request.urlopen(f"{app_url}/axes?{near}", timeout=30) as r:
            status = r.status
    except urllib.error.HTTPError as err:
        status = err.code
    assert status == 200, f"the server refuses a link of {len(near)} characters (HTTP {status})"
