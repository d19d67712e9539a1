"""``python -m bench.browser``: what a learner feels, in a real server and Debian's headless Chromium.

For every lesson in ``bnviz.course.available()`` (or ``lessons``), one tab:

1. the sidebar batch-size slider (its catalog label ``sidebar.m``) focused,
   then ArrowRight / ArrowLeft alternately: ``n`` key presses, each until the
   page is updated and idle;
2. where the lesson has steps, ``n`` steps (the client-side stepper's
   ``[data-bnviz="next"]`` / ``"prev"`` if ``[data-testid="bnviz-stepper"]``
   is on the page, else the Next / Previous buttons), each until the step
   title changed and the page is idle.

Definitions in :mod:`bench.browser.measure`; the figures and table in
:mod:`bench.browser.report`. A measurement, not a test: it never fails on a
slow figure.
"""

from __future__ import annotations

import os
import platform
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from bench import ROOT
from bench.browser.measure import Lesson, Series, probe_script, slider_series, step_series
from bench.browser.report import summary
from bench.machine import load_average, version
from bench.server import chromium, streamlit_server
from bnviz import course

ARTIFACTS = ROOT / "artifacts"
RUNPROBE = ROOT / "bench" / "runprobe"
"""On the server's PYTHONPATH: its ``sitecustomize`` times every script run in the server."""


def lesson_url(base: str, key: str, lang: str) -> str:
    """The lesson's address (home is ``/``), with ``?lang=`` when not English."""
    path = "" if key == "home" else key
    query = f"?{urlencode({'lang': lang})}" if lang != "en" else ""
    return f"{base}/{path}{query}"


def lesson_keys(wanted: Sequence[str] | None) -> list[str]:
    """The lessons to measure, in course order; ValueError naming an unknown one."""
    keys = [les.key for les in course.available()]
    if not wanted:
        return keys
    unknown = [k for k in wanted if k not in keys]
    if unknown:
        raise ValueError(f"unknown lesson(s) {', '.join(unknown)}; lessons: {', '.join(keys)}")
    return [k for k in keys if k in wanted]


def run(lessons: Sequence[str] | None = None, n: int = 20, warmup: int = 2, lang: str = "en",
        viewport: tuple[int, int] = (1400, 900), quiet: float = 400.0,
        progress: Callable[[str], None] | None = None, log: Path | None = None) -> tuple[dict[str, Any], list[Series]]:
    """Measure; returns ({"machine": ..., "series": [summary per lesson and kind]}, the raw series).

    n: timed interactions per lesson and kind; warmup: untimed ones first;
    quiet: the idle window in ms; log: the server's log file.
    """
    say = progress or (lambda _msg: None)
    keys = lesson_keys(lessons)
    machine: dict[str, Any] = {
        "cpu": platform.processor() or platform.machine(), "cpu_count": os.cpu_count(),
        "python": platform.python_version(), "streamlit": version("streamlit"), "playwright": version("playwright"),
        "platform": platform.platform(), "viewport": f"{viewport[0]}x{viewport[1]}", "lang": lang,
        "n": n, "warmup": warmup, "quiet_ms": quiet, "load_start": load_average(),
    }
    series: list[Series] = []
    errors: list[str] = []
    runs = ARTIFACTS / "bench-browser-runs.txt"  # the server's own run times (bench/runprobe)
    runs.parent.mkdir(parents=True, exist_ok=True)
    runs.write_text("", encoding="utf-8")
    env = {**os.environ, "BNVIZ_BENCH_RUNS": str(runs),
           "PYTHONPATH": os.pathsep.join(p for p in (str(RUNPROBE), os.environ.get("PYTHONPATH")) if p)}
    with streamlit_server(log or ARTIFACTS / "bench-browser-server.log", env=env) as base, chromium() as browser:
        machine["chromium"] = browser.version
        context = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]}, locale="en-US")
        try:
            context.add_init_script(probe_script())
            page = context.new_page()
            page.set_default_timeout(60_000)
            page.on("pageerror", lambda exc: errors.append(str(exc)[:200]))
            tab = Lesson(page, quiet=quiet, runs=runs)
            say("opening / (the first visit registers the pages) …")
            tab.open(f"{base}/")
            for key in keys:
                say(f"{key}: opening …")
                tab.open(lesson_url(base, key, lang))
                say(f"{key}: sidebar slider × {n} …")
                series.append(slider_series(tab, key, lang, n, warmup))
                say(f"{key}: stepping × {n} …")
                series.append(step_series(tab, key, lang, n, warmup))
        finally:
            context.close()
    machine["load_end"] = load_average()
    machine["page_errors"] = errors
    return {"machine": machine, "series": [summary(s) for s in series]}, series
