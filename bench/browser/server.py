"""A real ``streamlit run app.py`` server and Debian's headless Chromium, started and always stopped.

The server flags are TESTING-NOTES' (127.0.0.1, headless, no file watcher, no
usage stats), on a free port; it runs in its own process group, its output in
a log file. Chromium is ``/usr/bin/chromium`` (``BNVIZ_CHROMIUM`` to change)
launched by Playwright; ``playwright install`` is never used.
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
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bench import ROOT

CHROMIUM = os.environ.get("BNVIZ_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
STARTUP_TIMEOUT = 90.0


class BenchError(RuntimeError):
    """The server or the browser could not be started (the message says what to do)."""


def free_port() -> int:
    """A TCP port nobody listens on now (bound to port 0 and released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def health(url: str) -> str:
    """The body of ``GET url/_stcore/health`` ('' when it does not answer)."""
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
            return r.read().decode().strip()
    except (urllib.error.URLError, OSError):
        return ""


def _tail(path: Path, n: int = 30) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-n:]) if path.exists() else ""


@contextmanager
def streamlit_server(log: Path, root: Path = ROOT, extra: tuple[str, ...] = ()) -> Iterator[str]:
    """Run ``streamlit run app.py`` in ``root``; yields its base URL once ``/_stcore/health`` says ok.

    log: the server's stdout and stderr; extra: more ``--flag value`` arguments.
    """
    port = free_port()
    cmd = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
           "--server.port", str(port), "--server.address", "127.0.0.1",
           "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none", *extra]
    url = f"http://127.0.0.1:{port}"
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("w") as out:
        proc = subprocess.Popen(cmd, cwd=root, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                start_new_session=True)
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while health(url) != "ok":
            if proc.poll() is not None:
                raise BenchError(f"streamlit exited with status {proc.returncode}; its log ({log}):\n{_tail(log)}")
            if time.monotonic() > deadline:
                raise BenchError(f"streamlit did not answer /_stcore/health within {STARTUP_TIMEOUT:.0f} s; "
                                 f"its log ({log}):\n{_tail(log)}")
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


@contextmanager
def chromium() -> Iterator[Any]:
    """Debian's headless Chromium through Playwright (a ``playwright.sync_api.Browser``)."""
    from playwright.sync_api import sync_playwright

    if not os.access(CHROMIUM, os.X_OK):
        raise BenchError(f"no Chromium at {CHROMIUM}: `apt-get install -y chromium` (or set BNVIZ_CHROMIUM); "
                         "never `playwright install`")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()
