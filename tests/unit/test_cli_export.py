"""Every export format from the command line, both languages; the course command."""

import json
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from bnviz import course, export
from bnviz.cli import main
from bnviz.i18n import t

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("fmt", ["md", "tex", "ipynb", "json"])
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_derive_writes_every_format(fmt, lang, capsys):
    assert main(["derive", "--m", "4", "--d", "2", "--format", fmt, "--lang", lang]) == 0
    out = capsys.readouterr().out
    title = t("page.graph.title", lang)
    if fmt == "json":
        assert json.loads(out)["title"] == title
    elif fmt == "ipynb":
        nbformat.validate(nbformat.reads(out, as_version=4))
        assert title in out
    elif fmt == "tex":
        assert out.startswith("\\documentclass") and out.rstrip().endswith("\\end{document}")
    else:
        assert out.startswith(f"# {title}")


@pytest.mark.parametrize("fmt", ["md", "tex", "ipynb", "json"])
def test_course_writes_every_lesson(fmt, tmp_path):
    """md through ``python -m bnviz`` in a fresh interpreter (the entry point, every cache cold); the other
    formats through the same ``main`` in this process, so the whole course is not built from cold four times
    (~25 s each on a busy 2-core machine)."""
    target = tmp_path / f"course.{fmt}"
    argv = ["course", "--m", "6", "--seed", "2", "--format", fmt, "--lang", "zh", "-o", str(target)]
    if fmt == "md":
        run = subprocess.run([sys.executable, "-m", "bnviz", *argv], cwd=ROOT, capture_output=True, text=True)
        assert run.returncode == 0, run.stderr
    else:
        assert main(argv) == 0
    text = target.read_text(encoding="utf-8")
    for les in course.available():
        if les.build:
            title = t(f"page.{les.key}.title", "zh")
            assert (export.tex_text(title) if fmt == "tex" else title) in text


@pytest.mark.parametrize("args", [["--m", "0"], ["--eps", "0.5"], ["--gamma", "9"], ["--format", "pdf"],
                                  ["--dist", "custom"], ["--seed", "x"]])
def test_course_bad_input_is_one_line_and_status_2(args):
    run = subprocess.run([sys.executable, "-m", "bnviz", "course", *args], cwd=ROOT, capture_output=True, text=True)
    assert run.returncode == 2
    assert len(run.stderr.strip().splitlines()) == 1 and "Traceback" not in run.stderr


@pytest.mark.parametrize("fmt", ["md", "tex", "ipynb", "json"])
@pytest.mark.parametrize(("command", "key"), [(["train", "--steps", "3", "--hidden", "8x2"], "network"),
                                              (["stats", "--k", "3"], "train_test")])
def test_train_and_stats_write_their_lesson_in_every_format(command, key, fmt, capsys):
    assert main([*command, "--format", fmt, "--lang", "zh"]) == 0
    out = capsys.readouterr().out
    title = t(f"page.{key}.title", "zh")
    if fmt == "json":
        assert json.loads(out)["page"] == key
    elif fmt == "ipynb":
        nbformat.validate(nbformat.reads(out, as_version=4))
    assert (export.tex_text(title) if fmt == "tex" else title) in out
