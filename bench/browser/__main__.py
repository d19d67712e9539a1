"""``python -m bench.browser [--lessons graph,conv] [--n 20] [--lang en] [--viewport 1400x900]``.

Prints the Markdown table (for the README) and writes everything as JSON
under ``artifacts/`` (``--json`` to choose the file). Exit status 0 even when
a figure is over budget; 2 for a bad option; 1 when the server or browser
cannot start.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from bench.browser import ARTIFACTS, run
from bench.browser.report import format_table, to_json
from bench.server import ServerError
from bnviz.i18n import LANGS


def _viewport(text: str) -> tuple[int, int]:
    try:
        w, h = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not WIDTHxHEIGHT, e.g. 1400x900") from None
    if not (320 <= w <= 4000 and 320 <= h <= 4000):
        raise argparse.ArgumentTypeError(f"{text!r}: width and height must be 320..4000")
    return w, h


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.browser", description=__doc__.splitlines()[0])
    ap.add_argument("--lessons", help="comma-separated lesson keys (default: every lesson)")
    ap.add_argument("--n", type=int, default=20, help="timed interactions per lesson and kind (default 20)")
    ap.add_argument("--warmup", type=int, default=2, help="untimed interactions first (default 2)")
    ap.add_argument("--lang", choices=LANGS, default="en")
    ap.add_argument("--viewport", type=_viewport, default=(1400, 900), help="WIDTHxHEIGHT (default 1400x900)")
    ap.add_argument("--quiet", type=float, default=400.0, help="the idle window in ms (default 400)")
    ap.add_argument("--json", type=Path, default=ARTIFACTS / "bench-browser.json", help="where to write the JSON")
    args = ap.parse_args(argv)
    if args.n < 1 or args.warmup < 0:
        ap.error("--n must be ≥ 1 and --warmup ≥ 0")
    lessons = [k.strip() for k in args.lessons.split(",") if k.strip()] if args.lessons else None
    try:
        result, series = run(lessons, args.n, args.warmup, args.lang, args.viewport, args.quiet,
                             progress=lambda msg: print(msg, file=sys.stderr, flush=True))
    except ValueError as exc:
        ap.error(str(exc))
    except ServerError as exc:
        print(f"python -m bench.browser: {exc}", file=sys.stderr)
        return 1
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(to_json(result, series), encoding="utf-8")
    print(format_table(result))
    print(f"\nJSON: {args.json}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
