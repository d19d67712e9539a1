"""Fixtures of the real-browser tests: a live ``streamlit run app.py`` and Debian's headless Chromium.

These tests never skip: a missing browser or a server that does not come up
fails the run with a message saying what to do. ``scripts/test.sh`` installs
Debian's ``chromium`` when ``/usr/bin/chromium`` is missing; Playwright's own
browser download (``playwright install``) is never used.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "artifacts"
CHROMIUM = os.environ.get("BNVIZ_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
VIEWPORT = {"width": 1400, "height": 2200}
"""Tall, because Streamlit scrolls an inner container: a screenshot shows only the viewport."""
STARTUP_TIMEOUT = 90.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _health(url: str) -> str:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
            return r.read().decode().strip()
    except (urllib.error.URLError, OSError):
        return ""


def _tail(path: Path, n: int = 40) -> str:
    lines = path.read_text(errors="replace").splitlines() if path.exists() else []
    return "\n".join(lines[-n:])


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Base URL (http://127.0.0.1:PORT) of ``streamlit run app.py``, started once per session."""
    port = _free_port()
    log = tmp_path_factory.mktemp("streamlit") / "server.log"
    cmd = [
        sys.executable, "-m", "streamlit", "run", "app.py",
        "--server.headless", "true",
        "--server.port", str(port),
        "--server.address", "127.0.0.1",
        "--browser.gatherUsageStats", "false",
        "--server.fileWatcherType", "none",
    ]
    url = f"http://127.0.0.1:{port}"
    with log.open("w") as out:
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while _health(url) != "ok":
            if proc.poll() is not None:
                pytest.fail(f"streamlit exited with status {proc.returncode} before answering "
                            f"/_stcore/health; its log ({log}):\n{_tail(log)}", pytrace=False)
            if time.monotonic() > deadline:
                pytest.fail(f"streamlit did not answer /_stcore/health with 'ok' within {STARTUP_TIMEOUT:.0f} s; "
                            f"its log ({log}):\n{_tail(log)}", pytrace=False)
            time.sleep(0.25)
        yield url
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        if log.exists() and "Traceback" in log.read_text(errors="replace"):
            print(f"\nstreamlit server log ({log}) has a traceback:\n{_tail(log, 80)}")


@pytest.fixture(scope="session")
def chromium_browser() -> Iterator[Browser]:
    """Debian's Chromium, headless. Playwright launches it with a fresh temporary user-data dir."""
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(
            f"No Chromium at {CHROMIUM}: the browser tests need Debian's chromium. Run ./scripts/test.sh "
            "(installs it as root) or `apt-get install -y chromium`; set BNVIZ_CHROMIUM to use another "
            "binary. Never `playwright install`.",
            pytrace=False,
        )
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


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


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """Folder for screenshots (git-ignored)."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
