"""Fixtures of the real-browser tests: a live ``streamlit run app.py`` and Debian's headless Chromium.

These tests never skip: a missing browser or a server that does not come up
fails the run with a message saying what to do. ``scripts/test.sh`` installs
Debian's ``chromium`` when ``/usr/bin/chromium`` is missing; Playwright's own
browser download (``playwright install``) is never used.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from browser_helpers import DESKTOP, VIEWPORT, live_server
from playwright.sync_api import Browser, Page

from bench.server import STARTUP_TIMEOUT, ServerError, chromium

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "artifacts"


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Base URL (http://127.0.0.1:PORT) of ``streamlit run app.py``, started once per session."""
    with live_server(tmp_path_factory.mktemp("streamlit") / "server.log") as url:
        yield url


@pytest.fixture(scope="session")
def chromium_browser() -> Iterator[Browser]:
    """Debian's Chromium, headless (``bench.server.chromium``); no Chromium fails the run saying what to do."""
    try:
        with chromium() as browser:
            yield browser
    except ServerError as exc:
        pytest.fail(f"the browser tests need Debian's chromium: {exc}", pytrace=False)


@pytest.fixture(scope="session")
def app_url(server: str, chromium_browser: Browser) -> str:
    """The server's URL after one browser session has opened the main page.

    Streamlit registers the ``st.navigation`` pages during a session's first
    script run, so the very first session of a fresh server that opens a deep
    link such as ``/graph`` gets a "Page not found" dialog over the right page
    (streamlit/streamlit#9992). Opening ``/`` once first is what any real
    visit does; the tests then assert that no dialog shows.
    """
    context = chromium_browser.new_context(viewport=VIEWPORT)
    try:
        page = context.new_page()
        page.goto(f"{server}/")
        page.locator('[data-testid="stApp"][data-test-script-state="notRunning"] h1').first.wait_for(
            timeout=STARTUP_TIMEOUT * 1000)
    finally:
        context.close()
    return server


@pytest.fixture
def page_(chromium_browser: Browser) -> Iterator[Page]:
    """A new tab in a fresh browser context (own cookies and storage) for each test."""
    context = chromium_browser.new_context(viewport=VIEWPORT, locale="en-US")
    page = context.new_page()
    page.set_default_timeout(30_000)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.js_errors = errors  # type: ignore[attr-defined]
    try:
        yield page
    finally:
        context.close()


@pytest.fixture
def tab(chromium_browser: Browser, request: pytest.FixtureRequest) -> Iterator[Page]:
    """One tab at the viewport given by the test's indirect ``tab`` parameter (``browser_helpers.DESKTOP`` by
    default, or ``PHONE``), 60 s default timeout."""
    context = chromium_browser.new_context(viewport=getattr(request, "param", DESKTOP), locale="en-US")
    page = context.new_page()
    page.set_default_timeout(60_000)
    try:
        yield page
    finally:
        context.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """Folder for screenshots (git-ignored)."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
