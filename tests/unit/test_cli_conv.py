"""The command line's ``conv`` and ``pool`` sub-commands.

Results are checked against PyTorch in float64 (independent of bnviz); bad
input must give exit status 2 and exactly one line on stderr.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as tF

from bnviz import cli
from bnviz.i18n import t

ROOT = Path(__file__).resolve().parents[2]
CJK = re.compile(r"[\u4e00-\u9fff]")


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = cli.main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def save(tmp_path: Path, name: str, a: np.ndarray) -> str:
    path = tmp_path / name
    np.save(path, a)
    return str(path)


def csv(tmp_path: Path, name: str, rows: list[list[float]]) -> str:
    path = tmp_path / name
    path.write_text("\n".join(",".join(repr(float(v)) for v in r) for r in rows) + "\n", encoding="utf-8")
    return str(path)


def torch_conv(x, w, b, dout, stride, pad):
    tx, tw, tb = (torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in (x, w, b))
    out = tF.conv2d(tx, tw, tb, stride=stride, padding=pad)
    (out * torch.tensor(dout)).sum().backward()
    return out.detach().numpy(), tx.grad.numpy(), tw.grad.numpy(), tb.grad.numpy()


@pytest.mark.parametrize("stride,pad", [(1, 0), (2, 1), (1, 1), (4, 0), (3, 0), (4, 1)])  # 3 and (4, 1): floored
def test_conv_json_matches_torch(capsys, tmp_path, rng, stride, pad):
    x, w, b = rng.standard_normal((2, 3, 7, 7)), rng.standard_normal((2, 3, 3, 3)), rng.standard_normal(2)
    ho = (7 + 2 * pad - 3) // stride + 1
    dout = rng.standard_normal((2, 2, ho, ho))
    code, out, err = run(capsys, "conv", "--x", save(tmp_path, "x.npy", x), "--w", save(tmp_path, "w.npy", w),
                         "--b", save(tmp_path, "b.npy", b), "--dout", save(tmp_path, "d.npy", dout),
                         "--stride", str(stride), "--pad", str(pad), "--format", "json")
    assert code == 0 and err == ""
    doc = json.loads(out)
    assert list(doc)[:4] == ["out", "dx", "dw", "db"]
    for key, ref in zip(("out", "dx", "dw", "db"), torch_conv(x, w, b, dout, stride, pad), strict=True):
        got = np.array(doc[key])
        assert got.shape == ref.shape and np.max(np.abs(got - ref)) < 1e-10
    assert doc["page"] == "conv" and [s["key"] for s in doc["steps"]][0] == "conv.forward"


def test_conv_single_channel_csv_and_default_bias(capsys, tmp_path):
    x = [[1, 2, 0, 1], [0, 1, 3, 2], [2, 2, 1, 0], [1, 0, 1, 1]]
    w = [[1, 0], [0, -1]]
    dout = [[1, -1, 0], [2, 0.5, 1], [0, 0, 1]]
    code, out, err = run(capsys, "conv", "--x", csv(tmp_path, "x.csv", x), "--w", csv(tmp_path, "w.csv", w),
                         "--dout", csv(tmp_path, "d.csv", dout))
    assert code == 0 and err == ""
    doc = json.loads(out)
    ref = torch_conv(np.array(x, float)[None, None], np.array(w, float)[None, None], np.zeros(1),
                     np.array(dout, float)[None, None], 1, 0)
    for key, r in zip(("out", "dx", "dw", "db"), ref, strict=True):
        assert np.max(np.abs(np.array(doc[key]) - r)) < 1e-12
    assert doc["db"] == [4.5]


POOL_OPTIONS = [  # size, stride, pad, ceil_mode, count_include_pad
    (2, 2, 0, False, True), (2, 1, 0, False, True), (3, 2, 0, False, True), (2, 2, 0, True, True),
    (3, 2, 1, False, True), (3, 2, 1, True, False), (2, 3, 1, True, True), (3, 3, 1, False, False),
]


@pytest.mark.parametrize("kind", ["max", "avg"])
@pytest.mark.parametrize("size,stride,pad,ceil,include", POOL_OPTIONS)
def test_pool_json_matches_torch(capsys, tmp_path, rng, kind, size, stride, pad, ceil, include):
    """7 × 7 input: (7 + 2P − K) is not a multiple of S in most cases (PyTorch floors, or ceils)."""
    x = rng.integers(-2, 3, (2, 2, 7, 7)).astype(float)  # small integers: ties happen
    tx = torch.tensor(x, requires_grad=True)
    if kind == "max":
        ref = tF.max_pool2d(tx, size, stride, pad, ceil_mode=ceil)
    else:
        ref = tF.avg_pool2d(tx, size, stride, pad, ceil_mode=ceil, count_include_pad=include)
    dout = rng.standard_normal(tuple(ref.shape))
    (ref * torch.tensor(dout)).sum().backward()
    options = ["--pad", str(pad), *(["--ceil-mode"] if ceil else []), "--count-include-pad", "yes" if include else "no"]
    code, out, err = run(capsys, "pool", "--x", save(tmp_path, "x.npy", x), "--dout", save(tmp_path, "d.npy", dout),
                         "--size", str(size), "--stride", str(stride), "--kind", kind, *options)
    assert code == 0 and err == ""
    doc = json.loads(out)
    assert list(doc)[:2] == ["out", "dx"]
    assert np.max(np.abs(np.array(doc["out"]) - ref.detach().numpy())) < 1e-10
    assert np.max(np.abs(np.array(doc["dx"]) - tx.grad.numpy())) < 1e-10


@pytest.mark.parametrize("fmt", ["md", "tex", "ipynb"])
def test_other_formats_are_the_walkthrough_exports(capsys, tmp_path, fmt):
    x = csv(tmp_path, "x.csv", [[1, 2, 3], [4, 5, 6], [7, 8, 9]])
    d = csv(tmp_path, "d.csv", [[1, 0], [0, 1]])
    code, out, err = run(capsys, "pool", "--x", x, "--dout", d, "--size", "2", "--stride", "1", "--format", fmt)
    assert code == 0 and err == ""
    assert t("step.pool.compare.title", "en") in out
    code, out, err = run(capsys, "conv", "--x", x, "--w", csv(tmp_path, "w.csv", [[1, 1], [0, 1]]), "--dout", d,
                         "--format", fmt, "--lang", "zh")
    assert code == 0 and CJK.search(out)


def test_output_file(capsys, tmp_path):
    x = csv(tmp_path, "x.csv", [[1, 2], [3, 4]])
    target = tmp_path / "out.json"
    code, out, err = run(capsys, "pool", "--x", x, "--dout", csv(tmp_path, "d.csv", [[2]]), "--size", "2",
                         "-o", str(target))
    assert code == 0 and out == "" and err == ""
    assert json.loads(target.read_text(encoding="utf-8"))["dx"] == [[[[0.0, 0.0], [0.0, 2.0]]]]


def _bad_cases(tmp_path: Path) -> dict[str, tuple[list[str], str]]:
    x3 = csv(tmp_path, "x3.csv", [[1, 2, 3], [4, 5, 6], [7, 8, 9]])
    x4 = csv(tmp_path, "x4.csv", [[1, 2, 3, 4]] * 4)
    w2 = csv(tmp_path, "w2.csv", [[1, 0], [0, 1]])
    w5 = csv(tmp_path, "w5.csv", [[1] * 5] * 5)
    d2 = csv(tmp_path, "d2.csv", [[1, 0], [0, 1]])
    nan = save(tmp_path, "nan.npy", np.full((1, 1, 3, 3), np.nan))
    obj = tmp_path / "obj.npy"
    np.save(obj, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    wc = save(tmp_path, "wc.npy", np.ones((1, 2, 2, 2)))
    text = tmp_path / "text.csv"
    text.write_text("1, 2\nthree, 4\n", encoding="utf-8")
    return {
        "filter larger than the padded input": (["conv", "--x", x3, "--w", w5, "--dout", d2],
                                                "error.conv.filter_too_big"),
        "pool padding over half the window": (["pool", "--x", x4, "--dout", d2, "--size", "2", "--pad", "2"],
                                              "error.conv.pool_pad_half"),
        "mismatched channels": (["conv", "--x", x3, "--w", wc, "--dout", d2], "error.conv.channels"),
        "wrong dL/dO shape": (["conv", "--x", x4, "--w", w2, "--dout", d2], "error.conv.dout_shape"),
        "NaN": (["conv", "--x", nan, "--w", w2, "--dout", d2], "error.conv.not_finite"),
        "a pickled .npy": (["conv", "--x", str(obj), "--w", w2, "--dout", d2], "error.bad_npy"),
        "missing file": (["pool", "--x", str(tmp_path / "none.npy"), "--dout", d2], "error.no_file"),
        "not a number": (["pool", "--x", str(text), "--dout", d2], "error.not_number"),
        "pool dL/dO of the floored shape": (["pool", "--x", x4, "--dout", d2, "--size", "3", "--stride", "2"],
                                            "error.conv.dout_shape"),
        "pool window too large": (["pool", "--x", x3, "--dout", d2, "--size", "4"], "error.conv.pool_too_big"),
        "bad stride": (["pool", "--x", x3, "--dout", d2, "--stride", "0"], "cli.range"),
        "bad pad": (["conv", "--x", x3, "--w", w2, "--dout", d2, "--pad", "x"], "cli.not_int"),
        "wrong rank": (["conv", "--x", save(tmp_path, "r3.npy", np.ones((2, 3, 3))), "--w", w2, "--dout", d2],
                       "error.conv.rank"),
        "bias count": (["conv", "--x", x3, "--w", w2, "--dout", d2, "--b", csv(tmp_path, "b.csv", [[1, 2]])],
                       "error.conv.bias"),
        "unknown kind": (["pool", "--x", x3, "--dout", d2, "--kind", "min"], ""),
    }


NAMES = ["filter larger than the padded input", "pool padding over half the window", "mismatched channels",
         "wrong dL/dO shape", "NaN", "a pickled .npy", "missing file", "not a number",
         "pool dL/dO of the floored shape",
         "pool window too large", "bad stride", "bad pad", "wrong rank", "bias count", "unknown kind"]


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_bad_input_is_one_line_and_exit_2(capsys, tmp_path, name, lang):
    args, key = _bad_cases(tmp_path)[name]
    code, out, err = run(capsys, *args, "--lang", lang)
    assert code == 2 and out == ""
    assert err.endswith("\n") and err.count("\n") == 1, err
    assert "Traceback" not in err
    if key.startswith("error.conv."):
        head = t(key, lang).split("{")[0].strip()
        assert head[:6] in err, (head, err)
    if lang == "zh":
        assert err.startswith("错误：")


def test_module_entry_point_runs_in_a_subprocess(tmp_path):
    x = csv(tmp_path, "x.csv", [[1, 2, 3], [4, 5, 6], [7, 8, 9]])
    d = csv(tmp_path, "d.csv", [[1, 0], [0, 1]])
    proc = subprocess.run([sys.executable, "-m", "bnviz", "conv", "--x", x, "--w", csv(tmp_path, "w.csv", [[1, 1],
                                                                                                        [0, 1]]),
                           "--dout", d, "--format", "json"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0 and proc.stderr == ""
    assert json.loads(proc.stdout)["db"] == [2.0]
    bad = subprocess.run([sys.executable, "-m", "bnviz", "conv", "--x", x, "--w", x, "--dout", d, "--stride", "2"],
                         cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and bad.stdout == ""


def test_help_lists_both_commands(capsys):
    code, out, _ = run(capsys, "--help")
    assert code == 0 and " conv " in out and " pool " in out
    code, out, _ = run(capsys, "conv", "--help", "--lang", "zh")
    assert code == 0 and "--stride" in out and CJK.search(out)
