"""Helpers of the real-browser tests (imported by the tests; the fixtures are in conftest.py).

One copy of what every page's test waits for: a script run is over, its stale elements are gone, and the
app raised nothing.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

TIMEOUT = 30_000
"""Milliseconds a wait may take by default."""
DESKTOP = {"width": 1400, "height": 900}
PHONE = {"width": 390, "height": 844}
"""Viewports for the ``tab`` fixture (conftest.py), e.g. ``@pytest.mark.parametrize("tab", [PHONE], indirect=True)``."""


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
