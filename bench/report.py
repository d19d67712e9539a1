"""``python -m bench``'s results as Markdown (for the README) and JSON."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

from bench.apptest import TOGGLE_KEY, RerunResult
from bench.kernels import KernelResult


def _ms(v: float) -> str:
    return "—" if v != v else f"{v:.1f}"


def format_table(machine: dict[str, Any], reruns: Sequence[RerunResult],
                 kernels: Sequence[KernelResult], sweep: Any = None) -> str:
    """The results as Markdown: a machine line, the rerun table, the kernel table, the sweep."""
    lines = [
        f"Machine: {machine['cpu_count']} CPUs ({machine['cpu']}), Python {machine['python']}, "
        f"NumPy {machine['numpy']} (BLAS threads {machine['numpy_threads']}), "
        f"Streamlit {machine['streamlit']}, torch {machine['torch']}"
        + (f"; load average {machine['load_1min']} at the end" if machine.get("load_1min") is not None else ""),
        "",
    ]
    if reruns:
        lines += [
            "| page | settings | reruns | median ms | p95 ms | max ms | budget p95 ms | verdict |",
            "|---|---|--:|--:|--:|--:|--:|---|",
        ]
        for r in reruns:
            label = "default (m=8, D=3)" if r.config == "default" else "max (m=512, D=16)"
            verdict = f"ERROR: {r.error[:100]}" if r.error else r.verdict
            extra = [f"changed {r.toggled!r}"] if r.toggled and r.toggled != TOGGLE_KEY else []
            if extra or r.notes:
                verdict += f" ({'; '.join(extra + r.notes)})"
            lines.append(f"| {r.page} | {label} | {r.reruns} | {_ms(r.median_ms)} | {_ms(r.p95_ms)} | "
                         f"{_ms(r.max_ms)} | {r.budget_ms:.0f} | {verdict} |")
        lines.append("")
    if kernels:
        lines += [
            "| BN fwd+bwd, float64 | NumPy closed form µs | NumPy staged graph µs | PyTorch CPU µs "
            "| NumPy / PyTorch | staged / PyTorch | PyTorch 1 thread µs | max abs Δdx |",
            "|---|--:|--:|--:|--:|--:|--:|--:|",
        ]
        for k in kernels:
            if k.torch_us is None:
                tail = f"{k.note} | — | — | — | — |"
            else:
                one = "—" if k.torch_1thread_us is None else f"{k.torch_1thread_us:.1f}"
                tail = f"{k.torch_us:.1f} | {k.ratio:.2f} | {k.staged_ratio:.2f} | {one} | {k.max_abs_dx:.1e} |"
            lines.append(f"| m={k.m}, D={k.d} | {k.numpy_us:.1f} | {k.staged_us:.1f} | {tail}")
        threads = next((k.torch_threads for k in kernels if k.torch_threads), None)
        note = f"\nPer call, best of {kernels[0].repeats} repeats"
        lines.append(note + (f"; PyTorch set to {threads} threads (NumPy's BLAS count)." if threads else "."))
    if sweep is not None:
        torch_s = "—" if sweep.torch_s is None else f"{sweep.torch_s:.1f}"
        ratio = "—" if sweep.ratio is None else f"{sweep.ratio:.2f}"
        lines += ["", "| weight-scale sweep (20 scales × BN and baseline, 1,000 samples, 10 epochs, batch 50) "
                  "| NumPy s | PyTorch s | NumPy / PyTorch | budget |", "|---|--:|--:|--:|---|",
                  f"| {sweep.runs} networks × {sweep.steps} steps, {sweep.threads} thread(s) | {sweep.numpy_s:.1f} "
                  f"| {torch_s} | {ratio} | {'OK' if sweep.numpy_s <= 30 else 'OVER'} (≤ 30 s) |"]
        if sweep.note:
            lines.append(f"\n{sweep.note}")
    return "\n".join(lines)



def to_json(result: dict[str, Any]) -> str:
    """``run``'s result as JSON (NaN as null, verdicts included)."""
    def row(r: RerunResult) -> dict[str, Any]:
        out = asdict(r) | {"verdict": r.verdict}
        return {k: (None if isinstance(v, float) and v != v else v) for k, v in out.items()}

    return json.dumps({
        "machine": result["machine"],
        "reruns": [row(r) for r in result["reruns"]],
        "kernels": [asdict(k) for k in result["kernels"]],
        "sweep": asdict(result["sweep"]) if result.get("sweep") is not None else None,
    }, indent=2)
