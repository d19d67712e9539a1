"""``python -m bench``: page reruns (AppTest), BN kernels NumPy vs PyTorch, the network sweep.

Run it from the repository root (``--help`` for the options). It is a
measurement, not a test: it prints a Markdown table for the README and never
fails on a slow figure, it only marks it ``OVER``. The real-browser figures
are ``python -m bench.browser``'s.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from typing import Any

from bench import ROOT
from bench.apptest import CONFIGS, MIN_RERUNS, discover_pages, profile_page, select_pages, time_page
from bench.kernels import compare_sweep_speed, time_kernels
from bench.machine import machine_info
from bench.report import format_table, to_json


def run(pages: Sequence[str] | None = None, reruns: int = 30, warmup: int = 3,
        configs: Sequence[str] = tuple(CONFIGS), kernels: bool = True,
        progress: Callable[[str], None] | None = None, sweep: bool = False) -> dict[str, Any]:
    """Everything the CLI measures, as a JSON-ready dict (machine, reruns, kernels)."""
    say = progress or (lambda _msg: None)
    chosen = select_pages(discover_pages(), pages)
    rows = []
    for page in chosen:
        for config in configs:
            say(f"{page.stem} [{config}] …")
            rows.append(time_page(page, config, reruns, warmup))
    ks = time_kernels() if kernels else []
    sw = None
    if sweep:
        say("weight-scale sweep …")
        sw = compare_sweep_speed(progress=say)
    return {"machine": machine_info(), "reruns": rows, "kernels": ks, "sweep": sw}



def main(argv: Sequence[str] | None = None) -> int:
    """CLI entry point; returns the exit status (0, even when a page is over budget)."""
    ap = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    ap.add_argument("--reruns", type=int, default=30, help="timed reruns per page and setting (default 30)")
    ap.add_argument("--warmup", type=int, default=3, help="untimed reruns first (default 3)")
    ap.add_argument("--pages", nargs="+", metavar="NAME", help="only these pages (file stem, e.g. graph_page)")
    ap.add_argument("--configs", nargs="+", choices=list(CONFIGS), default=list(CONFIGS))
    ap.add_argument("--no-kernels", action="store_true", help="skip the NumPy vs PyTorch comparison")
    ap.add_argument("--no-sweep", action="store_true", help="skip the network weight-scale sweep timing")
    ap.add_argument("--json", action="store_true", help="print JSON instead of the Markdown table")
    ap.add_argument("--profile", action="store_true",
                    help="after the table, cProfile every page and setting that is over budget")
    args = ap.parse_args(argv)
    if args.reruns < 1:
        ap.error("--reruns must be ≥ 1")
    if args.pages and not select_pages(discover_pages(), args.pages):
        ap.error(f"no page matches {args.pages}; pages: {[p.stem for p in discover_pages()]}")

    def progress(msg: str) -> None:
        print(msg, file=sys.stderr, flush=True)

    result = run(args.pages, args.reruns, args.warmup, args.configs, not args.no_kernels, progress,
                 sweep=not args.no_sweep and not args.pages)
    if args.json:
        print(to_json(result))
    else:
        print(format_table(result["machine"], result["reruns"], result["kernels"], result["sweep"]))
        if args.reruns < MIN_RERUNS:
            print(f"\n(only {args.reruns} reruns: the figures for the README need ≥ {MIN_RERUNS})")
    if args.profile:
        for r in result["reruns"]:
            if r.verdict == "OVER":
                print("\n" + profile_page(ROOT / "pages" / f"{r.page}.py", r.config), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
