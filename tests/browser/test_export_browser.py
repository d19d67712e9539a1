"""Downloads and the course walkthrough in a real browser (issue: exports).

A download button delivers a non-empty file of the right type; the home page
lists the lessons, links to them and exports the whole course; every lesson
ends with a link to the next one.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import nbformat
import pytest
from playwright.sync_api import Page, expect

from bnviz.course import available
from bnviz.i18n import t

pytestmark = pytest.mark.browser
TIMEOUT = 60_000


def _wait_ready(page: Page) -> None:
    expect(page.locator("h1").first).to_be_visible(timeout=TIMEOUT)
    expect(page.locator('[data-testid="stException"]')).to_have_count(0)


def _download(page: Page, label: str, tmp: Path) -> Path:
    button = page.locator('[data-testid="stDownloadButton"] button', has_text=label).first
    button.scroll_into_view_if_needed()
    with page.expect_download(timeout=TIMEOUT) as info:
        button.click()
    target = tmp / info.value.suggested_filename
    info.value.save_as(target)
    return target


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_graph_page_downloads_every_format(app_url: str, page_: Page, tmp_path: Path, lang: str) -> None:
    page_.goto(f"{app_url}/graph?m=4&lang={lang}")
    _wait_ready(page_)
    expect(page_.locator("h1").first).to_have_text(t("page.graph.title", lang), timeout=TIMEOUT)
    files = {fmt: _download(page_, t(f"export.download_{fmt}", lang), tmp_path)
             for fmt in ("md", "tex", "ipynb", "json")}
    for fmt, path in files.items():
        assert path.suffix == f".{fmt}" and path.stat().st_size > 500
    doc = json.loads(files["json"].read_text(encoding="utf-8"))
    assert doc["lang"] == lang and doc["settings"]["m"] == 4 and len(doc["steps"]) == 17
    nbformat.validate(nbformat.reads(files["ipynb"].read_text(encoding="utf-8"), as_version=4))
    assert files["tex"].read_text(encoding="utf-8").startswith("\\documentclass")
    assert t("page.graph.title", lang) in files["md"].read_text(encoding="utf-8")


def test_home_lists_the_course_links_to_lessons_and_exports_it(app_url: str, page_: Page, tmp_path: Path) -> None:
    page_.goto(f"{app_url}/?lang=zh")
    _wait_ready(page_)
    expect(page_.locator("h1").first).to_have_text(t("page.home.heading", "zh"), timeout=TIMEOUT)
    lessons = [les for les in available() if les.key != "home"]
    for les in lessons:
        expect(page_.get_by_text(t(f"page.{les.key}.summary", "zh"))).to_be_visible()
    course_md = _download(page_, t("export.download_md", "zh"), tmp_path).read_text(encoding="utf-8")
    positions = [course_md.index(t(f"page.{les.key}.title", "zh")) for les in lessons]
    assert positions == sorted(positions)
    # follow the "next" links from the start through the first lessons
    for les in lessons[:3]:
        link = page_.locator('[data-testid="stPageLink"]', has_text=t("course.next", "zh", title=t(
            f"page.{les.key}.title", "zh"))).last
        link.scroll_into_view_if_needed()
        link.click()
        expect(page_).to_have_url(re.compile(rf"/{les.key}(\?|$)"), timeout=TIMEOUT)
        _wait_ready(page_)
        expect(page_.locator('[data-testid="stSidebar"]')).to_contain_text(
            t("course.position", "zh", n=lessons.index(les) + 1, total=len(lessons)), timeout=TIMEOUT)
