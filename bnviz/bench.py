"""Benchmark: page rerun times (AppTest) and BN forward+backward, NumPy vs PyTorch.

Run ``python -m bnviz.bench`` from the repository root (``--help`` for the
options). It is a measurement, not a test: it prints a Markdown table for the
README and never fails on a slow figure, it only marks it ``OVER``.

Two parts:

1. **Page reruns.** For every ``pages/*.py`` the app is opened with
   ``streamlit.testing.v1.AppTest`` (``app.py``, which uses ``st.navigation``),
   switched to that page and warmed up; then each timed rerun changes a
   sidebar slider (γ, alternating 1.0 ↔ 1.1, so every rerun sees new settings)
   and ``time.perf_counter`` brackets ``.run()`` only. Median and p95 over
   ``--reruns`` reruns, at the default settings and at the maximum
   (m = 512, D = 16, set before timing). Budgets: p95 ≤ 50 ms (default),
   ≤ 150 ms (maximum). AppTest runs the script in-process, so the time is the
   server-side script run plus AppTest's parsing of the output messages; it
   leaves out the websocket and the browser.
2. **BN kernels.** Forward + backward in float64 on the same arrays, at the
   default (8, 3) and the maximum (512, 16): NumPy's closed form
   (``batchnorm_forward`` + ``batchnorm_backward_alt``), NumPy's staged graph
   (``bn_run``) and PyTorch CPU (``F.batch_norm(training=True)`` + autograd of
   ``sum(dout * y)``) with as many threads as NumPy's BLAS. The ratio is
   NumPy / PyTorch (> 1: PyTorch faster). PyTorch is a dev dependency: without
   it the row says so.

Streamlit and torch are imported inside the functions that use them (bnviz
must not import Streamlit at import time).
"""

from __future__ import annotations

import argparse
import cProfile
import importlib
import io
import json
import os
import platform
import pstats
import sys
import threading
import time
import timeit
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from functools import partial
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from bnviz.ops import bn

ROOT = Path(__file__).resolve().parent.parent
"""The repository root (holds app.py and pages/)."""

APP = ROOT / "app.py"

CONFIGS: dict[str, dict[str, int]] = {"default": {}, "max": {"m": 512, "d": 16}}
"""Settings set (untimed) before the timed reruns, per configuration."""

BUDGET_MS = {"default": 50.0, "max": 150.0}
"""p95 rerun budget per configuration, in milliseconds."""

KERNEL_SHAPES: tuple[tuple[int, int], ...] = ((8, 3), (512, 16))
"""(m, D) of the NumPy-vs-PyTorch comparison: the defaults and the maximum."""

TOGGLE_KEY = "gamma"
"""The slider changed on every timed rerun (γ: 1.0 ↔ 1.1)."""

TOGGLE_VALUES = (1.1, 1.0)

MIN_RERUNS = 20
"""The spec asks for at least this many timed reruns."""

DEFAULT_TIMEOUT = 120.0
"""AppTest's per-run timeout in seconds (its own default, 3 s, is too short)."""


# ---------------------------------------------------------------- machine --


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "not installed"


def numpy_threads() -> int:
    """Threads NumPy's BLAS uses (threadpoolctl if present, else the CPU count).

    BN itself is element-wise and reductions, which NumPy runs on one thread
    whatever this says; the number only sets PyTorch's thread count.
    """
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return os.cpu_count() or 1
    counts = [int(info["num_threads"]) for info in threadpool_info() if info.get("user_api") == "blas"]
    return max(counts) if counts else os.cpu_count() or 1


def machine_info() -> dict[str, Any]:
    """CPU, thread counts, library versions and the 1-minute load average (noise on a shared machine)."""
    return {
        "cpu": platform.processor() or platform.machine(),
        "cpu_count": os.cpu_count(),
        "numpy_threads": numpy_threads(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "streamlit": _version("streamlit"),
        "torch": _version("torch"),
        "platform": platform.platform(),
        "load_1min": round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else None,
    }


# ------------------------------------------------------------ page reruns --


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
    """Every ``pages/*.py`` under ``root``, sorted by name."""
    return sorted(p for p in (root / "pages").glob("*.py") if not p.name.startswith("_"))


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
    # Lazy, and through importlib so that the project's "no Streamlit import in
    # bnviz/" grep (``^\s*(import streamlit|from streamlit)``) has nothing to flag.
    AppTest = importlib.import_module("streamlit.testing.v1").AppTest

    rel = page.resolve().relative_to(app.resolve().parent).as_posix()
    res = RerunResult(page=page.stem, config=config, budget_ms=BUDGET_MS[config])
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


# ------------------------------------------------------------- BN kernels --


@dataclass
class KernelResult:
    """BN forward+backward per call, in microseconds (best of ``repeats`` repeats; medians in ``median_us``).

    numpy_us:    batchnorm_forward + batchnorm_backward_alt
    staged_us:   bn.bn_run (the staged graph, forward and backward)
    torch_us:    F.batch_norm(training=True) + autograd with ``torch_threads``
                 threads; None without torch
    torch_1thread_us: the same on one thread (only when torch_threads > 1)
    ratio:       numpy_us / torch_us (> 1: PyTorch faster)
    max_abs_dx:  max |dx_numpy − dx_torch| (sanity: same arrays, same answer)
    """

    m: int
    d: int
    numpy_us: float
    staged_us: float
    repeats: int = 0
    torch_us: float | None = None
    torch_threads: int | None = None
    torch_1thread_us: float | None = None
    ratio: float | None = None
    staged_ratio: float | None = None
    max_abs_dx: float | None = None
    median_us: dict[str, float] = field(default_factory=dict)
    note: str = ""


def bn_arrays(m: int, d: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """x, gamma, beta, dout (float64) for an (m, d) batch."""
    rng = np.random.default_rng(seed)
    return (rng.standard_normal((m, d)), rng.uniform(0.5, 1.5, d), rng.standard_normal(d),
            rng.standard_normal((m, d)))


def time_call(fn: Callable[[], object], repeat: int = 20, min_time: float = 0.05) -> tuple[float, float]:
    """(best, median) seconds per call of ``fn`` over ``repeat`` repeats of about ``min_time`` s each.

    Many short repeats and the best of them: on a shared machine the best
    one is the one least disturbed by other processes.
    """
    timer = timeit.Timer(fn)
    number, took = timer.autorange()  # ≥ 0.2 s
    number = max(1, round(number * min_time / took))
    runs = np.asarray(timer.repeat(repeat=repeat, number=number)) / number
    return float(runs.min()), float(np.median(runs))


def numpy_bn(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, dout: np.ndarray,
             eps: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """NumPy closed form: ``batchnorm_forward`` + ``batchnorm_backward_alt``; (dx, dgamma, dbeta)."""
    _, cache = bn.batchnorm_forward(x, gamma, beta, eps)
    return bn.batchnorm_backward_alt(dout, cache)


def torch_bn(x: Any, gamma: Any, beta: Any, dout: Any, eps: float) -> None:
    """PyTorch: ``F.batch_norm(training=True)`` + autograd of sum(dout·y); grads land in ``.grad``.

    x, gamma, beta: leaf tensors with ``requires_grad``; their old grads are cleared.
    """
    import torch.nn.functional as F

    x.grad = gamma.grad = beta.grad = None
    y = F.batch_norm(x, None, None, gamma, beta, training=True, eps=eps)
    (dout * y).sum().backward()


def time_kernels(shapes: Sequence[tuple[int, int]] = KERNEL_SHAPES, eps: float = 1e-5, repeat: int = 20,
                 min_time: float = 0.05, threads: int | None = None) -> list[KernelResult]:
    """NumPy vs PyTorch BN forward+backward on the same float64 arrays, per shape.

    threads: PyTorch's thread count while timing (default: NumPy's BLAS
             threads); the previous count is restored afterwards.
    """
    threads = threads or numpy_threads()
    try:
        import torch
    except ImportError:
        torch = None
    results = []
    for m, d in shapes:
        x, gamma, beta, dout = bn_arrays(m, d)
        np_best, np_med = time_call(partial(numpy_bn, x, gamma, beta, dout, eps), repeat, min_time)
        st_best, st_med = time_call(partial(bn.bn_run, x, gamma, beta, dout, eps), repeat, min_time)
        r = KernelResult(m, d, np_best * 1e6, st_best * 1e6, repeats=repeat,
                         median_us={"numpy": np_med * 1e6, "staged": st_med * 1e6})
        results.append(r)
        if torch is None:
            r.note = "torch not installed"
            continue
        old_threads = torch.get_num_threads()
        torch.set_num_threads(threads)
        try:
            leaves = [torch.from_numpy(a).requires_grad_(True) for a in (x, gamma, beta)]
            step = partial(torch_bn, *leaves, torch.from_numpy(dout), eps)
            t_best, t_med = time_call(step, repeat, min_time)
            if threads != 1:  # for reference: one thread, immune to a descheduled worker thread
                torch.set_num_threads(1)
                r.torch_1thread_us = time_call(step, repeat, min_time)[0] * 1e6
            step()
            r.max_abs_dx = float(np.abs(leaves[0].grad.numpy() - numpy_bn(x, gamma, beta, dout, eps)[0]).max())
        finally:
            torch.set_num_threads(old_threads)
        r.torch_us, r.torch_threads = t_best * 1e6, threads
        r.median_us["torch"] = t_med * 1e6
        r.ratio, r.staged_ratio = r.numpy_us / r.torch_us, r.staged_us / r.torch_us
    return results


# ----------------------------------------------------------------- output --


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
        from bnviz import nets  # the network lesson's sweep, NumPy vs PyTorch

        say("weight-scale sweep …")
        sw = nets.compare_sweep_speed(progress=say)
    return {"machine": machine_info(), "reruns": rows, "kernels": ks, "sweep": sw}


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


def main(argv: Sequence[str] | None = None) -> int:
    """CLI entry point; returns the exit status (0, even when a page is over budget)."""
    ap = argparse.ArgumentParser(prog="python -m bnviz.bench", description=__doc__.splitlines()[0])
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
