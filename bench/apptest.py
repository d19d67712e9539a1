"""Server-side rerun of every page after a slider change, with Streamlit's AppTest.

For every ``pages/*.py`` the app is opened with
``streamlit.testing.v1.AppTest`` (``app.py``, which uses ``st.navigation``),
switched to that page and warmed up; then each timed rerun changes a sidebar
slider (γ, alternating 1.0 ↔ 1.1, so every rerun sees new settings) and
``time.perf_counter`` brackets ``.run()`` only. Median and p95 over
``reruns`` reruns, at the default settings and at the maximum (m = 512,
D = 16, set before timing). Budgets: p95 ≤ 50 ms (default), ≤ 150 ms
(maximum). AppTest runs the script in-process, so the time is the
server-side script run plus AppTest's parsing of the output messages; it
leaves out Streamlit's post-run work in a real server, the websocket and the
browser (``python -m bench.browser`` measures those).
"""

from __future__ import annotations

import cProfile
import io
import pstats
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from streamlit import config as st_config
from streamlit.testing.v1 import AppTest

from bench import ROOT

APP = ROOT / "app.py"

CONFIGS: dict[str, dict[str, int]] = {"default": {}, "max": {"m": 512, "d": 16}}
"""Settings set (untimed) before the timed reruns, per configuration."""

BUDGET_MS = {"default": 50.0, "max": 150.0}
"""p95 rerun budget per configuration, in milliseconds."""

TOGGLE_KEY = "gamma"
"""The slider changed on every timed rerun (γ: 1.0 ↔ 1.1)."""

TOGGLE_VALUES = (1.1, 1.0)

MIN_RERUNS = 20
"""The spec asks for at least this many timed reruns."""

DEFAULT_TIMEOUT = 120.0
"""AppTest's per-run timeout in seconds (its own default, 3 s, is too short)."""


@dataclass
class RerunResult:
    """Rerun timings of one page in one configuration (times in ms).

    toggled: the widget changed between timed reruns (``"gamma"`` unless the
             page lacked it); notes: anything that deviated from the plan;
             error: set when the page could not be run (no timings then).
    """

    page: str
    config: str
    budget_ms: float
    reruns: int = 0
    median_ms: float = float("nan")
    p95_ms: float = float("nan")
    max_ms: float = float("nan")
    toggled: str = ""
    notes: list[str] = field(default_factory=list)
    error: str = ""

    @property
    def ok(self) -> bool:
        """True when the page ran and its p95 is within budget."""
        return not self.error and self.p95_ms <= self.budget_ms

    @property
    def verdict(self) -> str:
        """``OK``, ``OVER`` or ``ERROR``."""
        return "ERROR" if self.error else ("OK" if self.ok else "OVER")


class PageError(RuntimeError):
    """The app or page showed an exception during a run (the message is the app's)."""


def discover_pages(root: Path = ROOT) -> list[Path]:
    """Every page of ``root/pages/``, sorted by name.

    A deep-link stub ``pages/<key>.py`` (see ui/first_visit.py) is left out when
    its page ``pages/<key>_page.py`` is there: the stub is not a registered page.
    """
    files = [p for p in (root / "pages").glob("*.py") if not p.name.startswith("_")]
    stems = {p.stem for p in files}
    return sorted(p for p in files if f"{p.stem}_page" not in stems)


def select_pages(pages: Sequence[Path], names: Sequence[str] | None) -> list[Path]:
    """Keep the pages whose stem or file name is in ``names`` (all if empty)."""
    if not names:
        return list(pages)
    wanted = {n.removesuffix(".py").split("/")[-1] for n in names}
    return [p for p in pages if p.stem in wanted]


def _app_error(at: Any) -> str:
    """The first exception the last run showed, as ``"Type: message"`` ('' if none)."""
    exc = list(at.exception)
    if not exc:
        return ""
    kind = getattr(exc[0].proto, "type", "") or "Exception"
    message = (exc[0].message or "").strip().splitlines()
    return f"{kind}: {message[0]}" if message else kind


def _slider(at: Any, key: str) -> Any | None:
    """The slider (or select_slider) with ``key``, None if the page has none."""
    for kind in (at.slider, at.select_slider):
        for w in kind:
            if w.key == key:
                return w
    return None


def _toggle_pair(widget: Any) -> tuple[Any, Any]:
    """The slider's current value and a neighbour one step away (inside its range)."""
    cur, step = widget.value, widget.step
    if isinstance(cur, tuple | list):  # range slider: move the upper end
        lo, hi = cur
        return (lo, hi), (lo, hi - step if hi + step > widget.max else hi + step)
    return cur, cur - step if cur + step > widget.max else cur + step


def _toggler(at: Any) -> tuple[str, Callable[[int], None]]:
    """(key, f) where f(k) sets the k-th value of the rerun toggle on ``at``.

    γ (1.1 / 1.0) when the sidebar has it, else the first keyed ``st.slider``
    on the page (a select_slider's option values are not exposed by AppTest),
    else ``("", no-op)``: plain reruns.
    """
    if _slider(at, TOGGLE_KEY) is not None:
        def set_gamma(k: int) -> None:
            at.slider(key=TOGGLE_KEY).set_value(TOGGLE_VALUES[k % 2])
        return TOGGLE_KEY, set_gamma
    candidates = [w for w in at.slider if w.key]
    if not candidates:  # nothing to change: plain reruns (time_page notes it)
        return "", lambda k: None
    w = candidates[0]
    key = w.key
    pair = _toggle_pair(w)

    def set_other(k: int) -> None:
        _slider(at, key).set_value(pair[(k + 1) % 2])
    return key, set_other


def time_page(page: Path, config: str = "default", reruns: int = 30, warmup: int = 3,
              app: Path = APP, profile: cProfile.Profile | None = None) -> RerunResult:
    """Median and p95 of ``reruns`` slider-change reruns of ``page``.

    page:    a file in ``pages/`` (switched to by its path relative to app.py)
    config:  a key of ``CONFIGS``: those sliders are set (untimed) first
    warmup:  untimed slider-change reruns before the timed ones
    profile: if given, the timed reruns' script threads are profiled into it

    Never raises for a broken page: the error is in ``RerunResult.error``.
    """
    rel = page.resolve().relative_to(app.resolve().parent).as_posix()
    res = RerunResult(page=page.stem, config=config, budget_ms=BUDGET_MS[config])
    # The app redacts error messages for its visitors (showErrorDetails = "none"); the benchmark reports them.
    shown = st_config.get_option("client.showErrorDetails")
    st_config.set_option("client.showErrorDetails", "full")
    try:
        at = AppTest.from_file(str(app.resolve()), default_timeout=DEFAULT_TIMEOUT)
        at.run()
        if err := _app_error(at):
            raise PageError(f"app.py: {err}")
        at.switch_page(rel).run()
        if err := _app_error(at):
            raise PageError(err)
        for key, value in CONFIGS[config].items():
            w = _slider(at, key)
            if w is None:
                res.notes.append(f"no slider {key!r}")
                continue
            w.set_value(min(value, w.max)).run()
            if err := _app_error(at):
                raise PageError(f"{key}={value}: {err}")
        res.toggled, toggle = _toggler(at)
        if not res.toggled:
            res.notes.append("no slider on the page: plain reruns")
        for k in range(warmup):
            toggle(k)
            at.run()
        times = []
        for k in range(warmup, warmup + reruns):
            toggle(k)
            if profile is not None:
                _profile_next_thread(profile)
            t0 = time.perf_counter()
            at.run()
            times.append(time.perf_counter() - t0)
            if err := _app_error(at):
                raise PageError(err)
    except Exception as exc:  # report, don't crash: a page may be broken or new
        text = str(exc) if isinstance(exc, PageError) else f"{type(exc).__name__}: {exc}"
        res.error = (text.strip().splitlines() or [type(exc).__name__])[0][:200]
        return res
    finally:
        threading.setprofile(None)  # type: ignore[arg-type]
        st_config.set_option("client.showErrorDetails", shown)
    ms = np.asarray(times) * 1e3
    res.reruns = len(ms)
    res.median_ms = float(np.median(ms))
    res.p95_ms = float(np.percentile(ms, 95))
    res.max_ms = float(ms.max())
    return res


def _profile_next_thread(profile: cProfile.Profile) -> None:
    """Make the next thread started (AppTest's script thread) run under ``profile``.

    cProfile only sees the thread that enables it, and AppTest runs the script
    on a thread of its own.
    """
    def start(frame: Any, event: str, arg: Any) -> None:
        sys.setprofile(None)
        threading.setprofile(None)  # type: ignore[arg-type]
        profile.enable()

    threading.setprofile(start)


def profile_page(page: Path, config: str = "default", reruns: int = 10, top: int = 20) -> str:
    """cProfile of ``reruns`` slider-change reruns: the ``top`` calls by cumulative time."""
    prof = cProfile.Profile()
    res = time_page(page, config, reruns=reruns, warmup=2, profile=prof)
    out = io.StringIO()
    if res.error:
        return f"{page.stem} [{config}]: {res.error}\n"
    stats = pstats.Stats(prof, stream=out).strip_dirs()
    print("By cumulative time:", file=out)
    stats.sort_stats("cumulative").print_stats(top)
    print("By own time:", file=out)
    stats.sort_stats("tottime").print_stats(top)
    return f"### cProfile: {page.stem} [{config}], {reruns} reruns (script thread only)\n{out.getvalue()}"
