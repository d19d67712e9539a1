"""Smoke test of ``python -m bench.browser``: one lesson, three interactions each, structure and sane numbers.

The command runs in its own process, as a developer runs it: it starts its own
server and Chromium (and its own Playwright, which cannot share this test
session's). No timing assertion: only that the figures exist, are positive
and finite, and that the table and JSON carry them.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

from bnviz.i18n import t

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.browser


def _positive(stats: dict) -> bool:
    return all(isinstance(v, float) and math.isfinite(v) and v > 0 for v in stats.values())


def test_bench_browser_on_the_graph_lesson(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    proc = subprocess.run(
        [sys.executable, "-m", "bench.browser", "--lessons", "graph", "--n", "3", "--warmup", "0",
         "--json", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    data = json.loads(out.read_text(encoding="utf-8"))
    machine = data["machine"]
    assert machine["chromium"] and machine["cpu_count"] >= 1 and len(machine["load_start"]) == 3
    assert machine["page_errors"] == []
    rows = {r["kind"]: r for r in data["summary"]}
    assert set(rows) == {"slider", "step"} and all(r["lesson"] == "graph" for r in rows.values())

    slider, step = rows["slider"], rows["step"]
    assert t("sidebar.m", "en") in slider["method"], slider
    for row in (slider, step):
        assert row["n"] == 3 and row["timed_out"] == 0, row
        assert _positive(row["updated_ms"]) and _positive(row["main_cpu_ms"]), row
        assert all(math.isfinite(v) and v >= 0 for v in row["long_task_ms"].values()), row
    # A slider key press reruns the script: every interaction sent a rerun and got its script_finished.
    assert slider["reruns"]["median"] >= 1 and _positive(slider["server_ms"]), slider
    # ... and the server timed its own runs (bench/runprobe): each at most what the browser saw of it.
    assert _positive(slider["run_ms"]) and slider["run_ms"]["median"] <= slider["server_ms"]["median"], slider
    raw = {s["kind"]: s["interactions"] for s in data["interactions"]}
    assert all(i["changed"] and i["reruns"] >= 1 and "FINISHED_SUCCESSFULLY" in i["finished"]
               for i in raw["slider"])
    # Stepping: the client-side stepper sends no rerun; the old buttons send one each.
    if step["method"].startswith("client"):
        assert step["reruns"]["max"] == 0 and step["run_ms"]["median"] is None, step
    else:
        assert step["reruns"]["median"] >= 1 and _positive(step["server_ms"]), step
    assert all(i["changed"] for i in raw["step"])
    assert [len(i) for i in raw.values()] == [3, 3]

    # The table printed for the README carries the same row.
    assert proc.stdout.startswith("Machine: ") and "| graph | sidebar slider | 3 |" in proc.stdout
