"""The browser benchmark's figures: per lesson and kind, median and p95; Markdown for the README, JSON."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

import numpy as np

from bench.browser.measure import Series

BUDGET_P95_MS = {"slider": 200.0, "step": 100.0}
"""Issue 10's targets: sidebar slider → updated and idle ≤ 200 ms p95; stepping ≤ 100 ms p95."""
SERVER_BUDGET_P95_MS = 60.0
"""A rerun, post-run work included, ≤ 60 ms p95 (at the default settings)."""


def _stats(values: Sequence[float]) -> dict[str, float | None]:
    if not values:
        return {"median": None, "p95": None, "max": None}
    a = np.asarray(values, dtype=float)
    return {"median": float(np.median(a)), "p95": float(np.percentile(a, 95)), "max": float(a.max())}


def summary(s: Series) -> dict[str, Any]:
    """Median / p95 / max of the updated-and-idle time, the server time (interactions with a rerun) and
    the long-task time; reruns per interaction (median, max); the verdict against the budget."""
    ok = [i for i in s.interactions if not i.timed_out]
    server = [i.server_ms for i in ok if i.server_ms is not None]
    reruns = [i.reruns for i in s.interactions]
    updated = _stats([i.updated_ms for i in ok])
    verdict = "—"
    if updated["p95"] is not None:
        verdict = "OK" if updated["p95"] <= BUDGET_P95_MS[s.kind] else "OVER"
    return {
        "lesson": s.lesson, "kind": s.kind, "method": s.method, "note": s.note, "n": len(s.interactions),
        "timed_out": len(s.interactions) - len(ok),
        "updated_ms": updated, "server_ms": _stats(server), "long_task_ms": _stats([i.long_task_ms for i in ok]),
        "run_ms": _stats([i.run_ms for i in ok if i.run_ms is not None]),
        "main_cpu_ms": _stats([i.main_cpu_ms for i in ok if i.main_cpu_ms is not None]),
        "reruns": {"median": float(np.median(reruns)) if reruns else None, "max": max(reruns) if reruns else None},
        "budget_p95_ms": BUDGET_P95_MS[s.kind], "verdict": verdict,
    }


def machine_line(machine: dict[str, Any]) -> str:
    """"Machine: 2 CPUs (x86_64), Python …, Streamlit …, Chromium …; load average … / … (start / end)"."""
    load = " / ".join(", ".join(f"{v:.2f}" for v in la) if la else "?" for la in (machine.get("load_start"),
                                                                                   machine.get("load_end")))
    return (f"Machine: {machine['cpu_count']} CPUs ({machine['cpu']}), Python {machine['python']}, "
            f"Streamlit {machine['streamlit']}, Chromium {machine['chromium']}, viewport {machine['viewport']}, "
            f"lang {machine['lang']}; load average (1, 5, 15 min) {load} (start / end)")


def _ms(v: float | None) -> str:
    return "—" if v is None else f"{v:.0f}"


def format_table(result: dict[str, Any]) -> str:
    """The Markdown table: one row per lesson and kind."""
    lines = [machine_line(result["machine"]), "",
             "| lesson | interaction | n | updated & idle median ms | p95 ms | server run median ms "
             "| server run p95 ms | seen from the browser median ms | p95 ms | reruns / interaction "
             "| long tasks median ms | long tasks p95 ms | browser CPU median ms | browser CPU p95 ms | budget p95 "
             "| verdict |",
             "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|"]
    for r in result["series"]:
        kind = "sidebar slider" if r["kind"] == "slider" else "step"
        if r["method"].startswith("Next"):
            kind += " (buttons)"
        verdict = r["verdict"] + (f" ({r['note']})" if r["note"] else "")
        if r["timed_out"]:
            verdict += f"; {r['timed_out']} timed out"
        reruns = "—" if r["reruns"]["median"] is None else f"{r['reruns']['median']:g} (max {r['reruns']['max']})"
        u, sv, lt, run = r["updated_ms"], r["server_ms"], r["long_task_ms"], r.get("run_ms") or _stats([])
        cpu = r.get("main_cpu_ms") or _stats([])
        lines.append(f"| {r['lesson']} | {kind} | {r['n']} | {_ms(u['median'])} | {_ms(u['p95'])} | "
                     f"{_ms(run['median'])} | {_ms(run['p95'])} | {_ms(sv['median'])} | {_ms(sv['p95'])} | "
                     f"{reruns} | {_ms(lt['median'])} | {_ms(lt['p95'])} | "
                     f"{_ms(cpu['median'])} | {_ms(cpu['p95'])} | {r['budget_p95_ms']:.0f} | {verdict} |")
    lines += ["", "Updated & idle: input event → the last DOM mutation or websocket frame before "
              f"{result['machine']['quiet_ms']:.0f} ms of quiet (script_finished received first if a rerun ran). "
              "Server run: the script runs' wall time in the server (the page script and Streamlit's post-run "
              "work). Seen from the browser: rerun BackMsg sent → script_finished received. "
              "Long tasks: main-thread tasks > 50 ms. "
              "Browser CPU: the page's main-thread CPU time from the input to the end of the quiet window "
              "(does not grow with other processes' load)."]
    return "\n".join(lines)


def to_json(result: dict[str, Any], series: Sequence[Series]) -> str:
    """Everything: the machine, the summaries and every interaction."""
    return json.dumps({"machine": result["machine"], "summary": result["series"],
                       "interactions": [asdict(s) for s in series]}, indent=2)
