"""``python -m bnviz train``: curves as JSON or a table, the page's network, one-line errors."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from bnviz import cli, nets
from bnviz.i18n import t
from bnviz.lessons import network

ROOT = Path(__file__).resolve().parents[2]
CJK = re.compile(r"[\u4e00-\u9fff]")


def train(capsys, *args: str) -> tuple[int, str, str]:
    code = cli.main(["train", *args])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_json_curves_are_the_networks_records(capsys):
    code, out, err = train(capsys, "--steps", "40", "--hidden", "30x2", "--batch", "20", "--lr", "0.003",
                           "--seed", "5", "--json")
    assert code == 0 and err == ""
    doc = json.loads(out)
    cfg = doc["config"]
    assert cfg["hidden"] == [30, 30] and cfg["bn"] is True and cfg["activation"] == "relu"
    assert cfg["steps"] == 40 and cfg["batch"] == 20 and cfg["lr"] == 0.003 and cfg["seed"] == 5
    curves = doc["curves"]
    assert curves["step"][0] == 0 and curves["step"][-1] == 40
    assert {len(v) for v in curves.values()} == {len(curves["step"])}
    # the same numbers as the library (and so the page) for the same network
    expect = nets.run(replace(network.config(hidden=(30, 30), batch=20, lr=0.003, steps=40, seed=5),
                              record_every=nets.record_every(40), samples=0)).history
    assert curves["val_acc"] == expect.val_acc and curves["train_loss"] == expect.train_loss
    assert doc["final"]["val_acc"] == expect.val_acc[-1] and doc["diverged"] is False


def test_no_bn_sigmoid_and_hidden_lists(capsys):
    code, out, _ = train(capsys, "--no-bn", "--activation", "sigmoid", "--hidden", "20,10", "--steps", "10",
                         "--json")
    cfg = json.loads(out)["config"]
    assert code == 0 and cfg["bn"] is False and cfg["activation"] == "sigmoid" and cfg["hidden"] == [20, 10]


def test_table_in_both_languages(capsys):
    for lang in ("en", "zh"):
        code, out, err = train(capsys, "--steps", "20", "--hidden", "16x2", "--lang", lang)
        assert code == 0 and err == ""
        lines = out.strip().splitlines()
        assert t("cli.train.col_val_acc", lang) in lines[1]
        assert len(lines) == 2 + 21 + 1  # header, column names, a record per step (20 steps → every step), summary
        assert bool(CJK.search(out)) == (lang == "zh")


@pytest.mark.parametrize("args", [
    ["--hidden", "100y5"], ["--hidden", "100x9"], ["--hidden", "0x2"], ["--hidden", ""],
    ["--steps", "0"], ["--steps", "many"], ["--batch", "1"], ["--lr", "nan"], ["--lr", "-0.1"], ["--lr", "abc"],
    ["--seed", "-1"], ["--activation", "tanh"], ["--bogus"],
])
def test_bad_input_is_one_line_and_exit_2(capsys, args):
    code, out, err = train(capsys, *args)
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and err.startswith("error:")


def test_bad_input_in_chinese(capsys):
    code, _, err = train(capsys, "--steps", "0", "--lang", "zh")
    assert code == 2 and CJK.search(err) and len(err.strip().splitlines()) == 1


def test_help_lists_train():
    out = subprocess.run([sys.executable, "-m", "bnviz", "--help"], cwd=ROOT, capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0 and "train" in out.stdout


def test_real_command_line_writes_a_file(tmp_path):
    target = tmp_path / "curves.json"
    out = subprocess.run([sys.executable, "-m", "bnviz", "train", "--steps", "10", "--hidden", "8x2", "--json",
                          "-o", str(target)], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout == "" and json.loads(target.read_text())["curves"]["step"][-1] == 10


def test_a_long_run_reports_progress_on_stderr(capsys, monkeypatch) -> None:
    """A run of at least limits.PROGRESS_WORK prints about ten progress lines on stderr, the last at 100%."""
    import bnviz.cli.nets as cli_nets

    monkeypatch.setattr(cli_nets, "PROGRESS_WORK", 1)
    assert cli.main(["train", "--steps", "20", "--hidden", "4", "--batch", "10"]) == 0
    err = capsys.readouterr().err.splitlines()
    assert err and err[-1] == t("cli.progress.train", "en", step=20, steps=20, percent=100)
    assert 2 <= len(err) <= 21 and all(line.startswith("training: step ") for line in err)


def test_a_run_over_the_work_limit_is_refused_before_training(capsys) -> None:
    from bnviz.limits import MAX_TRAIN_WORK

    assert cli.main(["train", "--steps", "20000", "--hidden", "512x8", "--batch", "1000"]) == 2
    out = capsys.readouterr()
    assert out.out == "" and out.err.count("\n") == 1 and f"{MAX_TRAIN_WORK:.1e}" in out.err
