"""The command line, ``python -m bnviz derive``.

Numbers are checked against references written here in plain NumPy (mean,
biased variance, x̂, y and the closed-form ∂L/∂x), not against bnviz. A few
tests run the real ``python -m bnviz`` in a subprocess; the rest call
``bnviz.cli.main`` in-process and read stdout/stderr with capsys.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from bnviz import cli
from bnviz.cli import common
from bnviz.data import make_problem
from bnviz.i18n import t
from bnviz.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
CJK = re.compile(r"[\u4e00-\u9fff]")
STEP_KEYS = {"key", "phase", "title", "latex", "local", "note", "values"}


# ------------------------------------------------------------------ helpers --


def run_module(*args: str) -> subprocess.CompletedProcess[str]:
    """``python -m bnviz ARGS`` from the repository root."""
    return subprocess.run([sys.executable, "-m", "bnviz", *args], cwd=ROOT, capture_output=True,
                          text=True, encoding="utf-8", timeout=300)


def derive(capsys: pytest.CaptureFixture[str], *args: str) -> dict:
    """Run ``derive ARGS`` in-process; it must succeed silently on stderr. Returns the JSON."""
    code = cli.main(["derive", *args])
    out = capsys.readouterr()
    assert code == 0, out.err
    assert out.err == ""
    return json.loads(out.out)


def csv_text(a: np.ndarray, sep: str = ",") -> str:
    """A CSV file's text with every float written exactly (repr round-trips)."""
    return "\n".join(sep.join(repr(float(v)) for v in row) for row in a) + "\n"


def reference(x: np.ndarray, dout: np.ndarray, gamma: np.ndarray, beta: np.ndarray, eps: float) -> dict:
    """Training-mode BN written out independently: forward and the closed-form backward."""
    m = x.shape[0]
    mu = x.sum(axis=0) / m
    var = ((x - mu) ** 2).sum(axis=0) / m
    inv = 1.0 / np.sqrt(var + eps)
    xhat = (x - mu) * inv
    y = gamma * xhat + beta
    dgamma = (dout * xhat).sum(axis=0)
    dbeta = dout.sum(axis=0)
    dx = gamma * inv / m * (m * dout - dbeta - xhat * dgamma)
    return {"mu": mu, "var": var, "xhat": xhat, "y": y, "dx": dx, "dgamma": dgamma, "dbeta": dbeta}


def arrays(doc: dict) -> tuple[np.ndarray, ...]:
    """x, dout, gamma, beta and eps of a derive document."""
    s = doc["settings"]
    return (np.array(doc["x"]), np.array(doc["dout"]), np.array(s["gamma"]), np.array(s["beta"]),
            float(s["eps"]))


def check_numbers(doc: dict) -> None:
    """Forward to 1e-12, dx to 1e-10, paths summing to dx to 1e-12."""
    x, dout, gamma, beta, eps = arrays(doc)
    ref = reference(x, dout, gamma, beta, eps)
    fwd, bwd = doc["forward"], doc["backward"]
    for k in ("mu", "var", "xhat", "y"):
        np.testing.assert_allclose(np.array(fwd[k]), ref[k], rtol=1e-12, atol=1e-12, err_msg=k)
    for k in ("dgamma", "dbeta"):
        np.testing.assert_allclose(np.array(bwd[k]), ref[k], rtol=1e-12, atol=1e-12, err_msg=k)
    dx = np.array(bwd["dx"])
    np.testing.assert_allclose(dx, ref["dx"], rtol=1e-10, atol=1e-10)
    total = sum(np.array(bwd["paths"][p]) for p in ("xhat", "var", "mu"))
    assert np.max(np.abs(total - dx)) <= 1e-12


# --------------------------------------------------------------- the JSON --


def test_module_prints_json_with_the_documented_schema() -> None:
    proc = run_module("derive", "--m", "6", "--d", "2", "--seed", "3")
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    doc = json.loads(proc.stdout)
    assert {"settings", "x", "dout", "forward", "backward", "steps", "notes"} <= set(doc)
    assert set(doc["forward"]) == {"mu", "var", "xhat", "y"}
    assert set(doc["backward"]) == {"dx", "dgamma", "dbeta", "paths"}
    assert set(doc["backward"]["paths"]) == {"xhat", "var", "mu"}
    assert np.shape(doc["x"]) == np.shape(doc["dout"]) == (6, 2)
    for k in ("mu", "var"):
        assert np.shape(doc["forward"][k]) == (2,)
    for k in ("xhat", "y"):
        assert np.shape(doc["forward"][k]) == (6, 2)
    for k in ("dgamma", "dbeta"):
        assert np.shape(doc["backward"][k]) == (2,)
    assert np.shape(doc["backward"]["dx"]) == (6, 2)
    s = doc["settings"]
    assert (s["m"], s["d"], s["seed"], s["eps"], s["dist"], s["upstream"]) == (6, 2, 3, 1e-5, "normal", "random")
    assert s["gamma"] == [1.0, 1.0] and s["beta"] == [0.0, 0.0]
    assert s["x_file"] is None and s["dout_file"] is None
    assert len(doc["steps"]) == 17
    for step in doc["steps"]:
        assert STEP_KEYS <= set(step)
        assert step["title"] and step["latex"] and all(isinstance(line, str) for line in step["latex"])
        assert isinstance(step["values"], dict) and step["values"]
    check_numbers(doc)


@pytest.mark.parametrize("args", [
    (),
    ("--m", "2", "--d", "1"),
    ("--m", "32", "--d", "5", "--seed", "11", "--dist", "skewed", "--eps", "0.1"),
    ("--m", "7", "--d", "4", "--dist", "shifted", "--gamma", "0.5,-2,3,1", "--beta=-1,0,2.5,4", "--eps", "0"),
    ("--m", "9", "--d", "3", "--dist", "uniform", "--upstream", "ones", "--gamma", "-1.5"),
])
def test_numbers_agree_with_independent_numpy(capsys: pytest.CaptureFixture[str], args: tuple[str, ...]) -> None:
    check_numbers(derive(capsys, *args))


def test_batch_is_the_apps_batch(capsys: pytest.CaptureFixture[str]) -> None:
    doc = derive(capsys, "--m", "5", "--d", "4", "--seed", "42", "--dist", "shifted")
    app = make_problem(Settings(m=5, d=4, seed=42, dist="shifted"))
    np.testing.assert_array_equal(np.array(doc["x"]), app.x)
    np.testing.assert_array_equal(np.array(doc["dout"]), app.dout)
    # the same as drawing it by hand with the documented generators
    rng = np.random.default_rng(42)
    np.testing.assert_array_equal(np.array(doc["x"]), 5.0 + 3.0 * rng.standard_normal((5, 4)))
    np.testing.assert_array_equal(np.array(doc["dout"]), np.random.default_rng(43).standard_normal((5, 4)))


def test_upstream_ones(capsys: pytest.CaptureFixture[str]) -> None:
    doc = derive(capsys, "--upstream", "ones", "--dist", "uniform")
    assert np.all(np.array(doc["dout"]) == 1.0)
    assert np.all(np.abs(np.array(doc["x"])) <= 2.0)
    # with ∂L/∂y = 1 everywhere, ∂L/∂x vanishes (Σ x̂ = 0, so every path cancels)
    assert np.max(np.abs(np.array(doc["backward"]["dx"]))) < 1e-12
    check_numbers(doc)


def test_m1_gives_a_note_and_zero_gradient(capsys: pytest.CaptureFixture[str]) -> None:
    doc = derive(capsys, "--m", "1", "--d", "2")
    assert doc["notes"] == [t("note.m1", "en")]
    assert np.all(np.array(doc["backward"]["dx"]) == 0.0)
    check_numbers(doc)


# ------------------------------------------------------------ file inputs --


def test_csv_files_override_m_and_d(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    x = np.array([[1.0, -2.0], [0.5, 3.25], [4.0, 0.0], [-1.5, 2.0], [2.0, 1.0]])
    dout = np.array([[0.1, 0.2], [-0.3, 0.4], [0.5, -0.6], [0.7, 0.8], [-0.9, 1.0]])
    (tmp_path / "x.csv").write_text(csv_text(x))
    (tmp_path / "dout.csv").write_text(csv_text(dout, sep=" "))
    doc = derive(capsys, "--m", "100", "--d", "9", "--x", str(tmp_path / "x.csv"),
                 "--dout", str(tmp_path / "dout.csv"), "--gamma", "2,0.5", "--eps", "0.01")
    np.testing.assert_array_equal(np.array(doc["x"]), x)
    np.testing.assert_array_equal(np.array(doc["dout"]), dout)
    s = doc["settings"]
    assert (s["m"], s["d"], s["dist"], s["upstream"]) == (5, 2, "custom", "custom")
    assert s["x_file"] == str(tmp_path / "x.csv") and s["dout_file"] == str(tmp_path / "dout.csv")
    check_numbers(doc)


def test_x_file_alone_draws_dout_like_the_app(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    x = np.arange(12, dtype=float).reshape(4, 3) ** 1.5
    (tmp_path / "x.csv").write_text(csv_text(x).rstrip("\n"))
    doc = derive(capsys, "--x", str(tmp_path / "x.csv"), "--seed", "7")
    np.testing.assert_array_equal(np.array(doc["dout"]), np.random.default_rng(8).standard_normal((4, 3)))
    assert doc["settings"]["upstream"] == "random"
    check_numbers(doc)


def test_dout_file_alone_sets_the_shape_of_x(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    dout = np.linspace(-1.0, 1.0, 10).reshape(5, 2)
    np.save(tmp_path / "dout.npy", dout)
    doc = derive(capsys, "--dout", str(tmp_path / "dout.npy"), "--seed", "4", "--dist", "uniform")
    np.testing.assert_array_equal(np.array(doc["x"]), np.random.default_rng(4).uniform(-2.0, 2.0, (5, 2)))
    assert (doc["settings"]["dist"], doc["settings"]["upstream"]) == ("uniform", "custom")
    check_numbers(doc)


def test_npy_input(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    rng = np.random.default_rng(5)
    x, dout = rng.normal(3.0, 2.0, (6, 3)), rng.standard_normal((6, 3))
    np.save(tmp_path / "x.npy", x)
    np.save(tmp_path / "dout.npy", dout)
    doc = derive(capsys, "--x", str(tmp_path / "x.npy"), "--dout", str(tmp_path / "dout.npy"))
    np.testing.assert_array_equal(np.array(doc["x"]), x)
    np.testing.assert_array_equal(np.array(doc["dout"]), dout)
    check_numbers(doc)


def test_one_dimensional_npy_is_one_feature(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    np.save(tmp_path / "x.npy", np.array([1.0, 2.0, 4.0, 8.0]))
    doc = derive(capsys, "--x", str(tmp_path / "x.npy"))
    assert np.shape(doc["x"]) == (4, 1) and doc["settings"]["d"] == 1
    check_numbers(doc)


def test_constant_column_with_positive_eps_is_a_note(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    (tmp_path / "x.csv").write_text("1,2\n1,3\n1,5\n")
    doc = derive(capsys, "--x", str(tmp_path / "x.csv"), "--eps", "1e-3", "--gamma", "1.5")
    assert doc["notes"] == [t("note.const", "en", cols="1")]
    assert np.all(np.array(doc["forward"]["xhat"])[:, 0] == 0.0)
    # x̂ = 0 there, but its slope is not: ∂L/∂x = γ/√ε · (∂L/∂y − mean ∂L/∂y) in a constant column
    dout = np.array(doc["dout"])[:, 0]
    np.testing.assert_allclose(np.array(doc["backward"]["dx"])[:, 0], 1.5 / np.sqrt(1e-3) * (dout - dout.mean()),
                               rtol=1e-10, atol=1e-12)
    check_numbers(doc)


# ---------------------------------------------------------- gamma and beta --


def test_negative_beta_list_with_equals(capsys: pytest.CaptureFixture[str]) -> None:
    doc = derive(capsys, "--d", "2", "--beta=-0.5,1")
    assert doc["settings"]["beta"] == [-0.5, 1.0]
    xhat, y = np.array(doc["forward"]["xhat"]), np.array(doc["forward"]["y"])
    np.testing.assert_allclose(y, xhat + np.array([-0.5, 1.0]), rtol=0, atol=1e-15)
    check_numbers(doc)


def test_single_gamma_is_broadcast(capsys: pytest.CaptureFixture[str]) -> None:
    doc = derive(capsys, "--gamma", "2")
    assert doc["settings"]["gamma"] == [2.0, 2.0, 2.0]
    np.testing.assert_allclose(np.array(doc["forward"]["y"]), 2.0 * np.array(doc["forward"]["xhat"]),
                               rtol=0, atol=1e-15)
    check_numbers(doc)


# ---------------------------------------------------- output and languages --


def test_output_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    target = tmp_path / "walk.json"
    assert cli.main(["derive", "--m", "4", "-o", str(target)]) == 0
    out = capsys.readouterr()
    assert out.out == "" and out.err == ""
    doc = json.loads(target.read_text(encoding="utf-8"))
    assert doc["settings"]["m"] == 4
    check_numbers(doc)


def test_markdown_has_math_and_every_step_title(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    titles = [s["title"] for s in derive(capsys, "--m", "4")["steps"]]
    target = tmp_path / "walk.md"
    assert cli.main(["derive", "--m", "4", "--format", "md", "--output", str(target)]) == 0
    md = target.read_text(encoding="utf-8")
    assert "$$" in md
    for n, title in enumerate(titles, start=1):
        assert f"## {n}. {title}" in md


def test_markdown_on_stdout_via_module() -> None:
    proc = run_module("derive", "--format", "md", "--m", "3", "--d", "1")
    assert proc.returncode == 0 and proc.stderr == ""
    assert proc.stdout.startswith("# ") and "$$" in proc.stdout
    assert t("step.backward.dx.title", "en") in proc.stdout


def test_lang_zh_gives_chinese_titles(capsys: pytest.CaptureFixture[str]) -> None:
    en = derive(capsys, "--m", "4")
    zh = derive(capsys, "--m", "4", "--lang", "zh")
    assert zh["lang"] == "zh" and zh["settings"]["lang"] == "zh"
    for s_en, s_zh in zip(en["steps"], zh["steps"], strict=True):
        assert s_zh["title"] != s_en["title"]
        assert CJK.search(s_zh["title"]), s_zh["title"]
        assert s_zh["title"] == t(f"step.{s_zh['key']}.title", "zh")
        assert s_zh["latex"] == s_en["latex"] and s_zh["values"] == s_en["values"]


def test_help_exits_zero(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["--help"]) == 0
    assert "derive" in capsys.readouterr().out
    assert cli.main(["derive", "--help"]) == 0
    out = capsys.readouterr().out
    assert "--beta=-0.5,1" in out and "--upstream" in out


def test_a_registered_command_is_reachable(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """Adding a sub-command is one Command in the registry; it gets --lang and error handling."""
    def add(p: argparse.ArgumentParser, lang: str) -> None:
        p.add_argument("--n", default="1")

    def run(args: argparse.Namespace) -> int:
        print(common.int_option("--n", args.n, 1, 3) * 2, args.lang)
        return 0

    monkeypatch.setitem(cli.COMMANDS, "twice", common.Command("twice", "cli.derive_help", "cli.derive_description",
                                                             add, run))
    assert cli.main(["twice", "--n", "3", "--lang", "zh"]) == 0
    assert capsys.readouterr().out == "6 zh\n"
    assert cli.main(["twice", "--n", "4"]) == 2
    assert capsys.readouterr().err == "error: --n = 4 is out of range: it must be from 1 to 3.\n"
    with pytest.raises(ValueError, match="twice"):
        common.registry([cli.COMMANDS["twice"], cli.COMMANDS["twice"]])


# -------------------------------------------------------------- bad input --


def _files(tmp: Path) -> None:
    """The bad (and one good) input files the cases below refer to as {tmp}/NAME."""
    (tmp / "ragged.csv").write_text("1,2\n3\n")
    (tmp / "nan.csv").write_text("1,2\nnan,3\n")
    (tmp / "const.csv").write_text("1,2\n1,3\n1,5\n")
    (tmp / "dout22.csv").write_text("1,2\n3,4\n")
    (tmp / "words.csv").write_text("a,b\n1,2\n")
    (tmp / "commas.csv").write_text(",\n,\n")
    (tmp / "binary.csv").write_bytes(b"\xff\xfe\x00\x81")
    (tmp / "huge.csv").write_text("1e200,2\n-1e200,3\n")
    (tmp / "text.npy").write_text("not an array\n")
    np.save(tmp / "empty.npy", np.zeros((0, 3)))
    np.save(tmp / "big.npy", np.zeros((600, 2)))
    np.save(tmp / "cube.npy", np.zeros((2, 2, 2)))
    np.save(tmp / "inf.npy", np.array([[1.0, np.inf], [2.0, 3.0]]))
    np.save(tmp / "complex.npy", np.array([1 + 2j, 3 + 0j]))


BAD = {
    "no command": [],
    "unknown command": ["frobnicate"],
    "unknown option": ["derive", "--frobnicate"],
    "abbreviated option": ["derive", "--upstr", "ones"],
    "missing value": ["derive", "--m"],
    "negative list without =": ["derive", "--d", "2", "--beta", "-0.5,1"],
    "m not int": ["derive", "--m", "abc"],
    "m fractional": ["derive", "--m", "2.5"],
    "d not int": ["derive", "--d", "three"],
    "seed not int": ["derive", "--seed", "x1"],
    "seed negative": ["derive", "--seed", "-1"],
    "eps not number": ["derive", "--eps", "tiny"],
    "gamma not number": ["derive", "--gamma", "big"],
    "beta empty item": ["derive", "--beta=1,,2"],
    "value with newline": ["derive", "--gamma", "1\n2"],
    "m zero": ["derive", "--m", "0"],
    "m too big": ["derive", "--m", "513"],
    "d zero": ["derive", "--d", "0"],
    "d too big": ["derive", "--d", "17"],
    "gamma wrong length": ["derive", "--d", "3", "--gamma", "1,2"],
    "beta wrong length for file": ["derive", "--x", "{tmp}/const.csv", "--beta", "1,2,3"],
    "gamma nan": ["derive", "--gamma", "nan"],
    "beta inf in list": ["derive", "--d", "2", "--beta", "1,inf"],
    "eps negative": ["derive", "--eps=-1e-3"],
    "eps negative, no =": ["derive", "--eps", "-1"],
    "exponent without =": ["derive", "--eps", "-1e-3"],
    "eps nan": ["derive", "--eps", "nan"],
    "eps 0 constant column": ["derive", "--x", "{tmp}/const.csv", "--eps", "0"],
    "m 1 eps 0": ["derive", "--m", "1", "--eps", "0"],
    "missing x file": ["derive", "--x", "{tmp}/nope.csv"],
    "missing dout file": ["derive", "--dout", "{tmp}/nope.npy"],
    "directory as file": ["derive", "--x", "{tmp}"],
    "ragged csv": ["derive", "--x", "{tmp}/ragged.csv"],
    "nan in csv": ["derive", "--x", "{tmp}/nan.csv"],
    "words in csv": ["derive", "--x", "{tmp}/words.csv"],
    "csv of commas": ["derive", "--x", "{tmp}/commas.csv"],
    "binary csv": ["derive", "--x", "{tmp}/binary.csv"],
    "text as npy": ["derive", "--x", "{tmp}/text.npy"],
    "empty npy": ["derive", "--x", "{tmp}/empty.npy"],
    "npy too big": ["derive", "--x", "{tmp}/big.npy"],
    "3-d npy": ["derive", "--x", "{tmp}/cube.npy"],
    "inf in npy": ["derive", "--dout", "{tmp}/inf.npy"],
    "complex npy": ["derive", "--x", "{tmp}/complex.npy"],
    "dout shape": ["derive", "--x", "{tmp}/const.csv", "--dout", "{tmp}/dout22.csv"],
    "overflow": ["derive", "--x", "{tmp}/huge.csv"],
    "dist custom": ["derive", "--dist", "custom"],
    "upstream custom": ["derive", "--upstream", "custom"],
    "format unknown": ["derive", "--format", "xml"],
    "lang unknown": ["derive", "--lang", "fr"],
    "output directory missing": ["derive", "-o", "{tmp}/no/such/dir/out.json"],
}


def _argv(template: list[str], tmp: Path) -> list[str]:
    return [a.replace("{tmp}", str(tmp)) for a in template]


@pytest.mark.parametrize("name", list(BAD))
def test_bad_input_is_one_line_and_status_2(capsys: pytest.CaptureFixture[str], tmp_path: Path, name: str) -> None:
    _files(tmp_path)
    code = cli.main(_argv(BAD[name], tmp_path))
    out = capsys.readouterr()
    assert code == 2
    assert out.out == ""
    assert len(out.err.splitlines()) == 1 and out.err.endswith("\n"), out.err
    assert out.err.startswith("error: ")
    assert "Traceback" not in out.err


@pytest.mark.parametrize("name", ["no command", "unknown option", "ragged csv", "m 1 eps 0", "gamma wrong length",
                                  "eps 0 constant column", "complex npy", "overflow"])
def test_bad_input_via_module(tmp_path: Path, name: str) -> None:
    _files(tmp_path)
    proc = run_module(*_argv(BAD[name], tmp_path))
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert len(proc.stderr.splitlines()) == 1, proc.stderr
    assert proc.stderr.startswith("error: ") and "Traceback" not in proc.stderr


def test_messages_say_what_is_wrong(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    _files(tmp_path)
    expected = {
        "gamma wrong length": "--gamma has 2 values but there are 3 features",
        "m too big": "--m = 513 is out of range: it must be from 1 to 512.",
        "m not int": "--m: “abc” is not a whole number.",
        "ragged csv": "row 1 has 2 numbers but row 2 has 1",
        "eps negative": "ε = -0.001 is not allowed",
        "m 1 eps 0": "m = 1 with ε = 0",
        "eps 0 constant column": "Feature column 1 is constant and ε = 0",
        "dout shape": "∂L/∂y has shape (2, 2) but x has shape (3, 2)",
        "unknown option": "unrecognized arguments: --frobnicate",
        "missing x file": "--x: no file at",
    }
    for name, fragment in expected.items():
        assert cli.main(_argv(BAD[name], tmp_path)) == 2
        assert fragment in capsys.readouterr().err, name


def test_errors_in_chinese(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["derive", "--m", "abc", "--lang", "zh"]) == 2
    err = capsys.readouterr().err
    assert err == "错误：--m：“abc” 不是整数。\n"
    assert cli.main(["derive", "--lang=zh", "--m", "1", "--eps", "0"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("错误：") and len(err.splitlines()) == 1 and CJK.search(err.removeprefix("错误："))
    assert cli.main(["derive", "--lang", "zh", "--bogus"]) == 2  # argparse's own error: zh prefix, one line
    assert capsys.readouterr().err.startswith("错误：")


def test_scan_lang() -> None:
    assert cli.scan_lang([]) == "en"
    assert cli.scan_lang(["derive", "--lang", "zh"]) == "zh"
    assert cli.scan_lang(["derive", "--lang=zh", "--lang", "en"]) == "en"
    assert cli.scan_lang(["derive", "--lang", "fr"]) == "en"
    assert cli.scan_lang(["derive", "--lang"]) == "en"


def test_cli_imports_go_one_way() -> None:
    """common imports no command module; no module finds commands by name (importlib / find_spec)."""
    import ast

    folder = Path(cli.__file__).parent
    tree = ast.parse((folder / "common.py").read_text())
    imported = [n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
    assert not [m for m in imported if m and m.startswith("bnviz.cli")], imported
    for path in (Path(cli.__file__).parent).glob("*.py"):
        assert "importlib" not in path.read_text(), path
    assert [c for m in cli.MODULES for c in m.COMMANDS] == list(cli.COMMANDS.values())
