"""A real ``streamlit run app.py`` server and Debian's headless Chromium, started and always stopped.

One copy for the benchmark (``python -m bench.browser``), the browser tests
(tests/browser/conftest.py) and the load tests (tests/load/stack.py). The
server flags are TESTING-NOTES' (127.0.0.1, headless, no file watcher, no
usage stats), on a free port; a process runs in its own process group, its
output in a log file, and is stopped with SIGTERM to the group (then
SIGKILL). Chromium is ``/usr/bin/chromium`` (``BNVIZ_CHROMIUM`` to change)
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
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bench import ROOT

CHROMIUM = os.environ.get("BNVIZ_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
STARTUP_TIMEOUT = 90.0
"""Seconds a server may take to answer ``/_stcore/health`` with ``ok``."""


class ServerError(RuntimeError):
    """The server or the browser could not be started (the message says what to do, with the server's log)."""


def free_port() -> int:
    """A TCP port nobody listens on now (bound to port 0 and released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def health(url: str, timeout: float = 2.0) -> str:
    """The body of ``GET url/_stcore/health`` ('' when it does not answer)."""
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=timeout) as r:
            return r.read().decode().strip()
    except (urllib.error.URLError, OSError):
        return ""


def tail(path: Path, n: int = 40) -> str:
    """The last ``n`` lines of a log file ('' when there is none)."""
    return "\n".join(path.read_text(errors="replace").splitlines()[-n:]) if path.exists() else ""


def streamlit_command(port: int, extra: Sequence[str] = ()) -> list[str]:
    """``python -m streamlit run app.py`` with the test flags on ``port``; ``extra``: more ``--flag value``."""
    return [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
            "--server.port", str(port), "--server.address", "127.0.0.1",
            "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none", *extra]


def start(cmd: Sequence[str], log: Path, cwd: Path = ROOT, env: Mapping[str, str] | None = None) -> subprocess.Popen:
    """Run ``cmd`` in its own process group (so ``stop`` ends its children too), stdout and stderr to ``log``."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as out:
        return subprocess.Popen(list(cmd), cwd=cwd, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                start_new_session=True, env=None if env is None else dict(env))


def wait_healthy(proc: subprocess.Popen, url: str, logs: Callable[[], str], timeout: float = STARTUP_TIMEOUT,
                 poll: float = 0.25) -> None:
    """Poll ``url/_stcore/health`` until it says ``ok``; ServerError (with ``logs()``) if ``proc`` exits first
    or ``timeout`` seconds pass."""
    deadline = time.monotonic() + timeout
    while health(url) != "ok":
        if proc.poll() is not None:
            raise ServerError(f"the server exited with status {proc.returncode} before answering "
                              f"/_stcore/health; its log:\n{logs()}")
        if time.monotonic() > deadline:
            raise ServerError(f"the server did not answer /_stcore/health with 'ok' within {timeout:.0f} s; "
                              f"its log:\n{logs()}")
        time.sleep(poll)


def stop(proc: subprocess.Popen, grace: float = 10.0) -> None:
    """SIGTERM to the process group of ``proc``; SIGKILL if it is still there after ``grace`` seconds."""
    for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            break
        try:
            proc.wait(wait)
            break
        except subprocess.TimeoutExpired:
            continue


@contextmanager
def streamlit_server(log: Path, root: Path = ROOT, extra: Sequence[str] = (),
                     timeout: float = STARTUP_TIMEOUT, env: Mapping[str, str] | None = None) -> Iterator[str]:
    """Run ``streamlit run app.py`` in ``root`` on a free port; yields its base URL (``http://127.0.0.1:PORT``)
    once ``/_stcore/health`` says ok, and stops it on leaving. ServerError if it does not come up.

    log: the server's stdout and stderr; extra: more ``--flag value`` arguments; env: the server's environment
    (None: this process's).
    """
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    proc = start(streamlit_command(port, extra), log, cwd=root, env=env)
    try:
        wait_healthy(proc, url, lambda: f"({log})\n{tail(log)}", timeout)
        yield url
    finally:
        stop(proc)


@contextmanager
def chromium() -> Iterator[Any]:
    """Debian's headless Chromium through Playwright (a ``playwright.sync_api.Browser``), with a fresh temporary
    user-data dir; ServerError if there is no Chromium binary."""
    from playwright.sync_api import sync_playwright

    if not os.access(CHROMIUM, os.X_OK):
        raise ServerError(f"no Chromium at {CHROMIUM}: run ./scripts/test.sh (installs Debian's chromium as root) "
                          "or `apt-get install -y chromium`; set BNVIZ_CHROMIUM to use another binary. "
                          "Never `playwright install`.")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()
