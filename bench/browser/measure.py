"""One lesson in a real browser: sidebar slider key presses and stepping, each until the page is idle.

An interaction starts at its input event (keydown / pointerdown / click, on
the page's clock) and ends when the page is idle, as TESTING-NOTES defines it:
the ``script_finished`` ForwardMsg received (if a rerun happened), then no
websocket frame and no DOM mutation for ``quiet`` ms. Its figures:

* ``updated_ms``: input → the last change (DOM mutation or websocket frame,
  heartbeats excepted) before the quiet window; the quiet window itself is
  not counted;
* ``server_ms``: the first ``rerun_script`` BackMsg sent → the last
  ``script_finished`` ForwardMsg received (None without a rerun): the script
  run plus Streamlit's post-run work, seen from the browser;
* ``run_ms``: the server's own time for the script runs the interaction caused
  (the page script and Streamlit's post-run work, wall clock, measured in
  the server by ``bench/runprobe``): unlike ``server_ms`` it does not include
  the browser's main thread getting round to the ``script_finished`` frame;
* ``reruns``: ``rerun_script`` BackMsgs the interaction sent;
* ``long_task_ms``: main-thread long tasks (> 50 ms each, PerformanceObserver)
  that started between the input and the end of the quiet window;
* ``main_cpu_ms``: CPU time the page's main thread used from the input to the
  end of the quiet window (Chromium's ``Performance.getMetrics`` ThreadTime,
  the benchmark's idle polling included): unlike the wall-clock figures it
  does not grow when other processes compete for the CPU.

Frames are decoded with Streamlit's own ``BackMsg_pb2`` / ``ForwardMsg_pb2``.
"""

from __future__ import annotations

import base64
import contextlib
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from playwright.sync_api import Error as PlaywrightError
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

from bnviz.i18n import t

PROBE_JS = (Path(__file__).parent / "probe.js").read_text(encoding="utf-8")
FIELDS = {
    "back_rerun": BackMsg.DESCRIPTOR.fields_by_name["rerun_script"].number,
    "back_heartbeat": BackMsg.DESCRIPTOR.fields_by_name["app_heartbeat"].number,
    "fwd_finished": ForwardMsg.DESCRIPTOR.fields_by_name["script_finished"].number,
    "fwd_heartbeat_ack": ForwardMsg.DESCRIPTOR.fields_by_name["heartbeat_ack"].number,
}
STEPPER = '[data-testid="bnviz-stepper"]'
STEPPER_TITLE = '[data-bnviz="title"]'
FALLBACK_TITLE = '[data-testid="stMain"] h3'
"""Without the client-side stepper the step title is the page's subheader."""
MAIN = '[data-testid="stMain"]'
SIDEBAR = '[data-testid="stSidebar"]'


def probe_script() -> str:
    """The init script, with the protos' field numbers filled in."""
    import json

    return PROBE_JS.replace("__FIELDS__", json.dumps(FIELDS))


@dataclass
class Interaction:
    """One input and what followed, until idle (times in ms; see the module docstring).

    kind: "slider" or "step"; action: the key or button; changed: the page
    showed a change (for stepping: the title changed); timed_out: idle was not
    reached within the timeout; finished: the script_finished statuses received.
    """

    kind: str
    action: str
    updated_ms: float
    server_ms: float | None
    reruns: int
    long_task_ms: float
    changed: bool
    timed_out: bool = False
    finished: list[str] = field(default_factory=list)
    frames_in: int = 0
    frames_out: int = 0
    main_cpu_ms: float | None = None
    run_ms: float | None = None


@dataclass
class Series:
    """The timed interactions of one kind on one lesson.

    method: how it was driven ("sidebar slider 'Batch size m'", "client-side stepper", "Next/Previous buttons");
    note: why there is nothing to time, or what deviated.
    """

    lesson: str
    kind: str
    method: str = ""
    interactions: list[Interaction] = field(default_factory=list)
    note: str = ""


def decode(record: dict[str, Any]) -> Interaction:
    """The interaction ``record`` (from the probe's ``take()``) decoded: reruns, script_finished, times.

    record: {"input", "mut", "lastFrame", "now", "longtasks": [[start, duration]], "frames": [{"t", "dir",
    "data" (base64)}]} on the page's clock (ms). ``kind``/``action``/``changed`` are filled by the caller.
    """
    t0 = record["input"]
    reruns: list[float] = []
    finished: list[tuple[float, str]] = []
    last_frame = 0.0
    n_in = n_out = 0
    for f in record["frames"]:
        raw = base64.b64decode(f["data"]) if f["data"] else b""
        if f["dir"] == "out":
            msg = BackMsg()
            msg.ParseFromString(raw)
            kind = msg.WhichOneof("type")
            if kind == "rerun_script":
                reruns.append(f["t"])
            if kind != "app_heartbeat":
                last_frame, n_out = max(last_frame, f["t"]), n_out + 1
        else:
            msg = ForwardMsg()
            msg.ParseFromString(raw)
            kind = msg.WhichOneof("type")
            if kind == "script_finished":
                finished.append((f["t"], ForwardMsg.ScriptFinishedStatus.Name(msg.script_finished)))
            if kind != "heartbeat_ack":
                last_frame, n_in = max(last_frame, f["t"]), n_in + 1
    last_change = max(record["mut"], last_frame)
    server = None
    if reruns:
        ends = [tf for tf, _ in finished if tf >= reruns[0]]
        server = max(ends) - reruns[0] if ends else None
    long_ms = sum(d for s, d in record["longtasks"] if s >= t0)
    return Interaction(kind="", action="", updated_ms=max(0.0, last_change - t0), server_ms=server,
                       reruns=len(reruns), long_task_ms=long_ms, changed=last_change > t0,
                       finished=[s for _, s in finished], frames_in=n_in, frames_out=n_out)


class Lesson:
    """A browser tab on one lesson with the probe installed; ``interact`` times one input.

    page: a Playwright page whose context has :func:`probe_script` as init script.
    quiet: the idle window (ms); grace: how long to wait for an expected rerun or title change (ms);
    timeout: give up waiting for idle after this many seconds.
    """

    def __init__(self, page: Any, quiet: float = 400.0, grace: float = 5000.0, timeout: float = 60.0,
                 runs: Path | None = None) -> None:
        self.page, self.quiet, self.grace, self.timeout, self.runs = page, quiet, grace, timeout, runs
        self.cdp = page.context.new_cdp_session(page)
        self.cdp.send("Performance.enable")

    def thread_ms(self) -> float:
        """CPU time of the page's main thread so far (ms)."""
        metrics = self.cdp.send("Performance.getMetrics")["metrics"]
        return 1e3 * next(m["value"] for m in metrics if m["name"] == "ThreadTime")

    def _run_lines(self) -> list[str]:
        return self.runs.read_text(encoding="utf-8").splitlines() if self.runs and self.runs.exists() else []

    def open(self, url: str) -> Interaction:
        """Load ``url`` and wait until its first run is idle."""
        self.page.goto(url)
        return self._wait("load", "goto", expect_rerun=True, title=None, timeout=max(self.timeout, 120.0))

    def settle(self) -> None:
        """Wait until the page is idle (no input needed)."""
        self.page.evaluate("() => window.__bnviz.reset()")
        self._wait("settle", "", expect_rerun=False, title=None)

    def interact(self, kind: str, action: str, do: Callable[[], None], expect_rerun: bool,
                 title: str | None = None) -> Interaction:
        """Reset the probe, run ``do`` (the input), wait until idle; the decoded interaction.

        title: a selector whose text must change (stepping), or None.
        """
        old = self.page.evaluate("s => window.__bnviz.titleText(s)", title) if title else None
        self.page.evaluate("() => window.__bnviz.reset()")
        cpu0, runs0 = self.thread_ms(), len(self._run_lines())
        do()
        res = self._wait(kind, action, expect_rerun, {"selector": title, "old": old} if title else None)
        res.main_cpu_ms = self.thread_ms() - cpu0
        runs = self._run_lines()[runs0:]
        res.run_ms = sum(float(line.split()[0]) for line in runs) if runs else None
        if title:
            res.changed = res.changed and self.page.evaluate("s => window.__bnviz.titleText(s)", title) != old
        return res

    def _wait(self, kind: str, action: str, expect_rerun: bool, title: dict | None,
              timeout: float | None = None) -> Interaction:
        from playwright.sync_api import TimeoutError as PlaywrightTimeout

        q = {"quiet": self.quiet, "expectRerun": expect_rerun, "grace": self.grace, "title": title}
        timed_out = False
        try:
            self.page.wait_for_function("q => window.__bnviz.idle(q)", arg=q, polling=50,
                                        timeout=(timeout or self.timeout) * 1000)
        except PlaywrightTimeout:
            timed_out = True
        record = self.page.evaluate("() => window.__bnviz.take()")
        if not record["input"]:  # no input event seen (a load, a settle): count from the reset
            record["input"] = min([f["t"] for f in record["frames"]] + [record["now"]])
        res = decode(record)
        res.kind, res.action, res.timed_out = kind, action, timed_out
        return res


def slider_series(les: Lesson, lesson: str, lang: str, n: int, warmup: int) -> Series:
    """``n`` timed key presses on the sidebar batch-size slider, ArrowRight / ArrowLeft alternately."""
    label = t("sidebar.m", lang)
    series = Series(lesson, "slider", f"sidebar slider {label!r}, ArrowRight/ArrowLeft")
    sidebar = les.page.locator(SIDEBAR)
    slider = sidebar.get_by_role("group", name=label, exact=True).get_by_role("slider").or_(  # Streamlit's st.slider
        sidebar.get_by_role("slider", name=label, exact=True))
    with contextlib.suppress(PlaywrightError):  # the sidebar may still be drawing
        slider.first.wait_for(state="attached", timeout=5_000)
    if slider.count() == 0:
        series.note = f"no sidebar slider {label!r} on this page"
        return series
    slider = slider.first
    for k in range(warmup + n):
        if not slider.evaluate("el => el === document.activeElement"):
            slider.focus()
            les.settle()
        key = "ArrowRight" if k % 2 == 0 else "ArrowLeft"
        res = les.interact("slider", key, lambda key=key: les.page.keyboard.press(key), expect_rerun=True)
        if k >= warmup:
            series.interactions.append(res)
    return series


def _step_controls(les: Lesson, lang: str) -> tuple[str, Any, Any, str] | None:
    """(method, next, prev, title selector) of the lesson's step navigation, or None without one."""
    page = les.page
    stepper = page.locator(STEPPER)
    if not stepper.count():  # below the first screen the element may mount only once scrolled near
        page.mouse.wheel(0, 100_000)
        with contextlib.suppress(PlaywrightError):
            stepper.first.wait_for(state="attached", timeout=5_000)
    if stepper.count():
        root = stepper.first
        return ("client-side stepper", root.locator('[data-bnviz="next"]'), root.locator('[data-bnviz="prev"]'),
                STEPPER_TITLE)
    main = page.locator(MAIN)
    for nxt_key, prev_key in (("page.graph.next", "page.graph.prev"), ("page.conv.next", "page.conv.prev")):
        nxt = main.get_by_role("button", name=t(nxt_key, lang), exact=True)
        if nxt.count():
            prev = main.get_by_role("button", name=t(prev_key, lang), exact=True)
            return "Next/Previous buttons (a rerun each)", nxt.first, prev.first, FALLBACK_TITLE
    return None


def step_series(les: Lesson, lesson: str, lang: str, n: int, warmup: int) -> Series:
    """``n`` timed steps: Next until the last step, then Previous back, and so on; updated = the title changed.

    A click that changes no title (the end of the steps, where the old buttons stay enabled) turns the
    direction round and is not counted.
    """
    series = Series(lesson, "step")
    controls = _step_controls(les, lang)
    if controls is None:
        series.note = "no steps on this page"
        return series
    series.method, nxt, prev, title = controls
    client = series.method.startswith("client")
    forward, wasted, k = True, 0, 0
    while k < warmup + n:
        button = nxt if forward else prev
        if button.is_disabled():
            forward = not forward
            continue
        res = les.interact("step", "next" if forward else "prev", button.click, expect_rerun=not client,
                           title=title)
        if not res.changed:
            forward, wasted = not forward, wasted + 1
            if wasted > 3 + n:
                series.note = "the step title did not change"
                break
            continue
        if k >= warmup:
            series.interactions.append(res)
        k += 1
    if wasted:
        series.note = (series.note + "; " if series.note else "") + f"{wasted} click(s) without a change skipped"
    return series


def finite(values: list[float]) -> bool:
    return all(isinstance(v, int | float) and math.isfinite(v) for v in values)
