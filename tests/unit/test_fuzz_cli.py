"""Nothing breaks, nothing leaks, on the command line (issue 11).

Hypothesis throws arbitrary option values and arbitrary input files at the
sub-commands; whatever it finds, a run ends with exit status 0 or 2, prints at
most one line on stderr, never "internal error", a traceback or a NumPy
warning. The named cases of the issue follow, each in a fresh interpreter so
that its peak memory (VmHWM in /proc/self/status: ``resource.getrusage``'s ru_maxrss
would count the parent's, kept across exec) is its own: one line, exit 2,
at most 300 MB, and nothing written but ``-o``. Time is not asserted (the
machine is shared); ``test_named_cases_are_quick_and_small`` prints it.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bnviz import cli

ROOT = Path(__file__).resolve().parents[2]
MAX_RSS_MB = 300

# ------------------------------------------------------------------ the oracle --


def assert_clean(code: int, err: str) -> None:
    """Exit 0 or 2; stderr empty or one ``error:`` line; no traceback, warning or internal error."""
    assert code in (0, 2), (code, err)
    lines = err.splitlines()
    assert len(lines) <= 1, err
    assert "Traceback" not in err and "Warning" not in err and "internal error" not in err, err
    if code == 2:
        assert lines and lines[0].startswith("error: "), err


def run_in_process(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = cli.main(argv)
    out = capsys.readouterr()
    return code, out.out, out.err


# ------------------------------------------------------------- option values --

NASTY = ["0", "-1", "1", "2", "3", "8", "1e308", "-1e308", "1e-320", "nan", "inf", "-inf", "NaN", "1e100",
         "999999999999999999999", "0x10", "1,2,3", "1,,2", "", " ", "--", "1e", "٣", "½", "1_000", "[a](//e.co)",
         "**b**", "\ufeff1", "4x4", "512x8", "0.5", "-0.0"]
VALUES = st.one_of(st.sampled_from(NASTY), st.integers(-10**6, 10**6).map(str),
                   st.floats(allow_nan=True, allow_infinity=True).map(repr), st.text(max_size=12))

OPTIONS = {
    "derive": ["--m", "--d", "--gamma", "--beta", "--eps", "--seed", "--norm", "--groups", "--mode",
               "--running-mean", "--running-var", "--rmax", "--dmax", "--format", "--dist", "--upstream"],
    "stats": ["--k", "--m", "--d", "--seed", "--pop-mean", "--pop-std", "--momentum-cs231n", "--momentum-pytorch",
              "--lam-caffe", "--eps", "--format"],
}
"""Commands that are quick whatever the values (train and course are fuzzed only through their checks)."""


@st.composite
def command_lines(draw: st.DrawFn) -> list[str]:
    command = draw(st.sampled_from(sorted(OPTIONS)))
    names = draw(st.lists(st.sampled_from(OPTIONS[command]), max_size=4, unique=True))
    argv = [command]
    for name in names:
        argv += [name, draw(VALUES)]
    return argv


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(argv=command_lines())
def test_any_option_values_give_a_result_or_one_line(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_in_process(argv, capsys)
    assert_clean(code, err)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(hidden=st.one_of(st.sampled_from(NASTY), st.text(max_size=10)), steps=VALUES, batch=VALUES, lr=VALUES)
def test_train_refuses_bad_or_oversized_runs_before_training(hidden: str, steps: str, batch: str, lr: str,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    """Only bad or oversized runs are generated (one absurd value each), so nothing trains."""
    argv = ["train", "--hidden", hidden, "--steps", steps, "--batch", batch, "--lr", lr, "--seed", "-1"]
    code, out, err = run_in_process(argv, capsys)
    assert code == 2 and out == ""
    assert_clean(code, err)


# ---------------------------------------------------------------- input files --


@st.composite
def input_files(draw: st.DrawFn) -> tuple[str, bytes]:
    """A file name and its bytes: text (maybe with a byte-order mark), raw bytes, or a .npy whose header and
    body need not agree."""
    kind = draw(st.sampled_from(["csv", "bytes", "npy", "npy_header"]))
    if kind == "csv":
        rows = draw(st.lists(st.lists(VALUES, min_size=1, max_size=4), min_size=0, max_size=5))
        text = "\n".join(",".join(r) for r in rows)
        bom = draw(st.booleans())
        return "x.csv", (("\ufeff" if bom else "") + text).encode("utf-8", "surrogatepass")
    if kind == "bytes":
        return draw(st.sampled_from(["x.csv", "x.npy", "x.txt"])), draw(st.binary(max_size=300))
    if kind == "npy":
        shape = tuple(draw(st.lists(st.integers(0, 6), min_size=0, max_size=4)))
        dtype = draw(st.sampled_from(["<f8", "<i4", "|b1", "<c16", "<U3", "<f2"]))
        arr = np.zeros(shape, dtype=dtype)
        if arr.dtype.kind == "f" and arr.size:
            arr.flat[0] = draw(st.sampled_from([0.0, 1.0, np.nan, np.inf, 1e300]))
        buf = io.BytesIO()
        np.save(buf, arr, allow_pickle=False)
        return "x.npy", buf.getvalue()
    buf = io.BytesIO()
    shape = tuple(draw(st.lists(st.integers(0, 10**12), min_size=0, max_size=4)))
    np.lib.format.write_array_header_1_0(buf, {"descr": "<f8", "fortran_order": False, "shape": shape})
    return "x.npy", buf.getvalue() + draw(st.binary(max_size=64))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(file=input_files(), command=st.sampled_from([["derive", "--x"], ["derive", "--dout"], ["conv", "--x"]]))
def test_any_input_file_gives_a_result_or_one_line(file: tuple[str, bytes], command: list[str], tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    name, body = file
    path = tmp_path / name
    path.write_bytes(body)
    argv = [*command, str(path)]
    if command[0] == "conv":
        w = tmp_path / "w.npy"
        np.save(w, np.ones((1, 1, 2, 2)))
        argv += ["--w", str(w), "--dout", str(path)]
    code, _, err = run_in_process(argv, capsys)
    assert_clean(code, err)


def test_a_csv_with_a_byte_order_mark_reads_like_one_without(tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    plain, marked = tmp_path / "plain.csv", tmp_path / "marked.csv"
    plain.write_text("1, 2\n3, 5\n4, 0\n", encoding="utf-8")
    marked.write_bytes(b"\xef\xbb\xbf" + plain.read_bytes())
    outs = []
    for path in (plain, marked):
        code, out, err = run_in_process(["derive", "--x", str(path)], capsys)
        assert (code, err) == (0, "")
        outs.append(json.loads(out)["x"])
    assert outs[0] == outs[1] == [[1.0, 2.0], [3.0, 5.0], [4.0, 0.0]]


# ---------------------------------------------- named cases, each in its own process --

PROBE = """
import json, sys, time
start = time.perf_counter()
from bnviz.cli import main
code = main(sys.argv[2:])
# VmHWM: this image's peak resident memory (ru_maxrss would include the parent's, inherited across exec)
hwm = next(line for line in open("/proc/self/status") if line.startswith("VmHWM:"))
rss_mb = int(hwm.split()[1]) / 1024
open(sys.argv[1], "w").write(json.dumps({"code": code, "rss_mb": rss_mb, "seconds": time.perf_counter() - start}))
"""


def probe(argv: list[str], cwd: Path) -> tuple[dict, str, str]:
    """Run ``python -m bnviz argv`` in a fresh interpreter in ``cwd``; its exit, peak memory and output."""
    report = cwd.parent / f"{cwd.name}-report.json"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", PROBE, str(report), *argv], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return json.loads(report.read_text()), done.stdout, done.stderr


def _npy_header_only(path: Path, shape: tuple[int, ...]) -> None:
    with path.open("wb") as fh:
        np.lib.format.write_array_header_1_0(fh, {"descr": "<f8", "fortran_order": False, "shape": shape})


def _setup(case: str, d: Path) -> list[str]:
    """Write the case's input files into ``d``; its command line."""
    if case == "csv_200mb_one_line":
        with (d / "big.csv").open("wb") as fh:  # a sparse file: 200 MB on stat(), nothing on disk
            fh.truncate(200 * 2**20)
        return ["derive", "--x", "big.csv"]
    if case == "csv_10mb_text":
        (d / "x.csv").write_text("1, 2, 3\n" * (10 * 2**20 // 8))
        return ["derive", "--x", "x.csv"]
    if case == "npy_header_1e11_rows":
        _npy_header_only(d / "x.npy", (10**11, 3))
        return ["derive", "--x", "x.npy"]
    if case == "npy_4d_header_huge":
        _npy_header_only(d / "x.npy", (10**5, 3, 100, 100))
        return ["derive", "--x", "x.npy", "--norm", "layer"]
    if case == "npy_empty":
        (d / "x.npy").write_bytes(b"")
        return ["derive", "--x", "x.npy"]
    if case == "conv_600x600":
        np.save(d / "x.npy", np.ones((1, 1, 600, 600)))
        np.save(d / "w.npy", np.ones((1, 1, 3, 3)))
        np.save(d / "dout.npy", np.ones((1, 1, 598, 598)))
        return ["conv", "--x", "x.npy", "--w", "w.npy", "--dout", "dout.npy", "-o", "out.json"]
    if case == "pool_600x600":
        np.save(d / "x.npy", np.ones((1, 1, 600, 600)))
        np.save(d / "dout.npy", np.ones((1, 1, 300, 300)))
        return ["pool", "--x", "x.npy", "--dout", "dout.npy", "--size", "2", "--stride", "2"]
    if case == "train_3_hours":
        return ["train", "--steps", "20000", "--hidden", "512x8", "--batch", "1000"]
    if case == "stats_pop_mean_1e308":
        return ["stats", "--pop-mean", "1e308"]
    if case == "derive_gamma_1e308":
        return ["derive", "--gamma", "1e308"]
    if case == "output_is_the_input":
        (d / "x.csv").write_text("1, 2\n3, 5\n")
        return ["derive", "--x", "x.csv", "-o", "x.csv"]
    raise AssertionError(case)


NAMED = {
    "csv_200mb_one_line": "error.limits.file",
    "csv_10mb_text": "error.limits.file",
    "npy_header_1e11_rows": "error.limits.cells",
    "npy_4d_header_huge": "cli.norms.too_big",
    "npy_empty": "error.bad_npy",
    "conv_600x600": "error.limits.cells",
    "pool_600x600": "error.limits.cells",
    "train_3_hours": "error.limits.train_work",
    "stats_pop_mean_1e308": "cli.range",
    "derive_gamma_1e308": "cli.range",
    "output_is_the_input": "error.limits.same_file",
}
"""Each case of the issue and the catalog key of the one sentence it must end in."""

FIRST_WORDS = {
    "error.limits.file": "is too large", "error.limits.cells": "values are accepted",
    "cli.norms.too_big": "values are accepted", "error.bad_npy": "neither a readable .npy",
    "error.limits.train_work": "training run is too large", "cli.range": "out of range",
    "error.limits.same_file": "not overwritten",
}


@pytest.mark.parametrize("case", sorted(NAMED))
def test_named_bad_input_is_one_line_exit_2_bounded_and_writes_nothing(case: str, tmp_path: Path) -> None:
    work = tmp_path / "work"
    work.mkdir()
    argv = _setup(case, work)
    before = {p.name: p.stat().st_mtime_ns for p in work.iterdir()}
    started = time.perf_counter()
    report, out, err = probe(argv, work)
    print(f"{case}: {time.perf_counter() - started:.2f} s wall, {report['rss_mb']:.0f} MB peak")
    assert report["code"] == 2 and out == ""
    assert_clean(report["code"], err)
    assert report["rss_mb"] <= MAX_RSS_MB, report
    after = {p.name: p.stat().st_mtime_ns for p in work.iterdir()}
    assert after == before, "a refused command wrote or touched a file"
    if NAMED[case] in FIRST_WORDS and NAMED[case] not in ("error.limits.file",):
        assert FIRST_WORDS[NAMED[case]] in err, err


def test_the_culprit_is_named() -> None:
    """``--pop-mean 1e308`` is blamed on --pop-mean (not running_mean), ``--gamma 1e308`` on --gamma
    (not "x or ∂L/∂y")."""
    for option in ("--pop-mean", "--gamma"):
        command = "stats" if option == "--pop-mean" else "derive"
        done = subprocess.run([sys.executable, "-m", "bnviz", command, option, "1e308"], cwd=ROOT,
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 2 and done.stdout == ""
        assert done.stderr.startswith(f"error: {option} = 1e308 is out of range"), done.stderr
        assert "running_mean" not in done.stderr and "∂L/∂y" not in done.stderr


def test_a_file_too_large_is_named_with_the_limit(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from bnviz.limits import MAX_FILE_BYTES

    big = tmp_path / "big.csv"
    with big.open("wb") as fh:
        fh.truncate(MAX_FILE_BYTES + 1)
    code, out, err = run_in_process(["derive", "--x", str(big)], capsys)
    assert code == 2 and out == ""
    size, limit = MAX_FILE_BYTES + 1, MAX_FILE_BYTES
    assert err == f"error: --x: {big} is {size} bytes; input files may be at most {limit} bytes.\n"


def test_output_next_to_the_inputs_is_written(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """-o refuses only the inputs themselves: another file in the same folder is written."""
    x = tmp_path / "x.csv"
    x.write_text("1, 2\n3, 5\n")
    code, out, err = run_in_process(["derive", "--x", str(x), "-o", str(tmp_path / "out.json")], capsys)
    assert (code, out, err) == (0, "", "")
    assert json.loads((tmp_path / "out.json").read_text())["x"] == [[1.0, 2.0], [3.0, 5.0]]
    assert x.read_text() == "1, 2\n3, 5\n"
