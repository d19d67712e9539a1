"""Helpers of the real-browser tests (imported by the tests and conftest.py, which holds the fixtures; a test
imports from here, never from ``conftest``, a name tests/app has too).

One copy of what every page's test waits for: a script run is over, its stale elements are gone, and the
app raised nothing; and of the server start a test may need of its own (``live_server``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from bench.server import ServerError, streamlit_server, tail

TIMEOUT = 30_000
"""Milliseconds a wait may take by default."""
DESKTOP = {"width": 1400, "height": 900}
PHONE = {"width": 390, "height": 844}
"""Viewports for the ``tab`` fixture (conftest.py), e.g. ``@pytest.mark.parametrize("tab", [PHONE], indirect=True)``."""
VIEWPORT = {"width": 1400, "height": 2200}
"""Tall, because Streamlit scrolls an inner container: a screenshot shows only the viewport."""


@contextmanager
def live_server(log: Path) -> Iterator[str]:
    """``bench.server.streamlit_server``: a server that does not come up fails the test with its log.

    Afterwards a traceback in the server's log is printed (the test's output shows it)."""
    try:
        with streamlit_server(log) as url:
            yield url
    except ServerError as exc:
        pytest.fail(str(exc), pytrace=False)
    finally:
        if log.exists() and "Traceback" in log.read_text(errors="replace"):
            print(f"\nstreamlit server log ({log}) has a traceback:\n{tail(log, 80)}")


def idle(page: Page, timeout: int = TIMEOUT) -> None:
    """Wait until the script run is over and no stale element is left; an exception box fails the test
    with its text."""
    expect(page.locator('[data-testid="stApp"]')).to_have_attribute("data-test-script-state", "notRunning",
                                                                      timeout=timeout)
    expect(page.locator('[data-stale="true"]')).to_have_count(0, timeout=timeout)
    exception = page.locator('[data-testid="stException"]')
    if exception.count():
        pytest.fail(f"the app raised an exception:\n{exception.first.inner_text()}", pytrace=False)


def screenshot(page: Page, path: Path) -> None:
    """A screenshot once the fonts are loaded (the viewport only: use the tall VIEWPORT of conftest)."""
    page.evaluate("document.fonts.ready")
    page.screenshot(path=str(path), full_page=True)
