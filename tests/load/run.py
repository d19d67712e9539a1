"""Run Locust's simulated learners headless and print p95, errors, stalls and server memory.

    python tests/load/run.py --users 50 --seconds 180                 # starts one streamlit process
    python tests/load/run.py --replicas 2 --users 100 --seconds 180   # starts scripts/serve.sh (nginx)
    python tests/load/run.py --url http://host:8080 --pid 1234 --users 50 --seconds 120   # a running server

(``scripts/loadtest.sh`` is this.) Memory is each server process's resident set
(VmRSS), sampled every second: its peak and its value at the end. Figures depend
on the machine and on what else runs on it: say which when you quote them.
"""

from __future__ import annotations

import argparse
import csv
import os
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))  # run as a script: stack.py imports bench (the repository root)

from learner import LESSONS, Learner  # noqa: E402
from stack import ROOT, Stack, rss_mb  # noqa: E402


def _sample_rss(pids: dict[str, int], peaks: dict[str, float], stop: threading.Event) -> None:
    while not stop.is_set():
        for addr, pid in pids.items():
            peaks[addr] = max(peaks.get(addr, 0.0), rss_mb(pid))
        stop.wait(1.0)


def warm(addrs: list[str], lessons: list[str]) -> None:
    """Open every lesson once on every replica, directly: the first visit fills the SymPy caches
    (seconds per lesson); 50 learners arriving on a cold process would all compute them at once."""
    for addr in addrs:
        for path in lessons:
            learner = Learner(f"http://{addr}", path, timeout=300)
            out = learner.open("warm")
            learner.close()
            if out.error:
                raise RuntimeError(f"warming {addr}{path} failed: {out}")


def run_locust(url: str, users: int, seconds: int, think: float, stall: float, out: Path,
               lessons: str | None) -> int:
    rate = max(1.0, users / 10)  # all learners in within ~10 s
    cmd = [sys.executable, "-m", "locust", "-f", str(HERE / "locustfile.py"), "--headless", "--only-summary",
           "-u", str(users), "-r", f"{rate:g}", "-t", f"{seconds}s", "--host", url, "--csv", str(out / "locust"),
           "--think", f"{think:g}", "--stall", f"{stall:g}", "--stop-timeout", "15", "--exit-code-on-error", "0"]
    if lessons:
        cmd += ["--lessons", lessons]
    with open(out / "locust.log", "wb") as log:
        return subprocess.call(cmd, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)


def summary(out: Path) -> tuple[list[dict], list[dict]]:
    with open(out / "locust_stats.csv", newline="") as f:
        stats = list(csv.DictReader(f))
    with open(out / "locust_failures.csv", newline="") as f:
        failures = list(csv.DictReader(f))
    return stats, failures


def report(stats: list[dict], failures: list[dict], peaks: dict[str, float], final: dict[str, float],
           args: argparse.Namespace) -> str:
    lines = [f"load: {args.users} learners, {args.seconds} s, think {args.think:g} s (mean), stall > {args.stall:g} s,"
             f" {args.replicas or 1} process(es); load average now {os.getloadavg()[0]:.2f}",
             f"{'action':<16}{'count':>7}{'fail':>6}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'max ms':>9}{'req/s':>8}"]
    for row in stats:
        lines.append(f"{row['Name']:<16}{row['Request Count']:>7}{row['Failure Count']:>6}{row['50%']:>9}"
                     f"{row['95%']:>9}{row['99%']:>9}{float(row['Max Response Time']):>9.0f}"
                     f"{float(row['Requests/s']):>8.2f}")
    errors = sum(int(f["Occurrences"]) for f in failures if "stall" not in f["Error"])
    stalls = sum(int(f["Occurrences"]) for f in failures if "stall" in f["Error"])
    lines.append(f"errors: {errors}   stalls: {stalls}")
    for f in failures[:10]:
        lines.append(f"  {f['Occurrences']} x {f['Name']}: {f['Error'][:160]}")
    for addr in peaks:
        lines.append(f"server {addr}: RSS peak {peaks[addr]:.0f} MB, at the end {final.get(addr, 0):.0f} MB")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--url", help="a running server or nginx (default: start one)")
    ap.add_argument("--pid", type=int, action="append", default=[], help="server pid(s) to measure with --url")
    ap.add_argument("--replicas", type=int, default=0, help="start scripts/serve.sh with this many replicas")
    ap.add_argument("--users", "-u", type=int, default=50)
    ap.add_argument("--seconds", "-t", type=int, default=120)
    ap.add_argument("--think", type=float, default=3.0)
    ap.add_argument("--stall", type=float, default=10.0)
    ap.add_argument("--lessons", help="comma-separated lesson paths (default: locustfile.LESSONS)")
    ap.add_argument("--cold", action="store_true", help="do not warm the started server(s) first")
    ap.add_argument("--out", type=Path, help="where Locust's CSV files and the logs go (default: a temp dir)")
    args = ap.parse_args(argv)
    out = args.out or Path(tempfile.mkdtemp(prefix="bnviz-load-"))
    out.mkdir(parents=True, exist_ok=True)
    stack = None
    if args.url:
        url, pids = args.url, {f"pid {p}": p for p in args.pid}
    else:
        stack = Stack(out / "stack", replicas=args.replicas).__enter__()
        url, pids = stack.url, stack.replica_pids
    peaks: dict[str, float] = {}
    stop = threading.Event()
    sampler = threading.Thread(target=_sample_rss, args=(pids, peaks, stop), daemon=True)
    sampler.start()
    try:
        if stack is not None and not args.cold:
            warm(list(pids), (args.lessons or ",".join(LESSONS)).split(","))
        code = run_locust(url, args.users, args.seconds, args.think, args.stall, out, args.lessons)
        final = {addr: rss_mb(pid) for addr, pid in pids.items()}
    finally:
        stop.set()
        sampler.join()
        if stack is not None:
            stack.stop()
    if code != 0 or not (out / "locust_stats.csv").is_file():
        print(f"locust failed (exit {code}); see {out / 'locust.log'}", file=sys.stderr)
        return 1
    print(report(*summary(out), peaks, final, args))
    print(f"(files: {out})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
