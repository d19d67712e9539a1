"""Exercises in the exports: the notebook runs with the solutions filled in and fails on a wrong
answer; the Markdown lists the questions above their steps and the answers at the end."""

from __future__ import annotations

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from bnviz import exercises, export, predict
from bnviz.lessons.graph import walkthrough
from bnviz.settings import Settings


def _fill(nb, answers: dict[str, str]):
    for cell in nb.cells:
        if cell.cell_type == "code" and cell.source.startswith("answer_") and cell.source.endswith("= None"):
            name = cell.source.split(" = ")[0]
            cell.source = f"{name} = {answers[name]}"
    return nb


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_notebook_runs_with_the_solutions(lang):
    walk = walkthrough(Settings(seed=2, m=5, d=2, lang=lang), lang)
    nb = nbformat.reads(exercises.to_notebook(walk), as_version=4)
    qs = predict.all_questions(walk)
    blanks = [c for c in nb.cells if c.cell_type == "code" and c.source.endswith("= None")]
    checks = [c for c in nb.cells if c.cell_type == "code" and c.source.startswith("assert answer_")]
    assert len(blanks) == len(checks) == len(qs) > 10
    # the plain notebook's cells are all still there, in order
    plain = [c.source for c in nbformat.reads(export.to_notebook(walk), as_version=4).cells]
    kept = [c.source for c in nb.cells if c.source in plain]
    assert kept == plain
    solutions = exercises.solutions(walk)
    NotebookClient(_fill(nb, solutions), timeout=120, kernel_name="python3").execute()
    assert all(any("✓" in o.get("text", "") for o in c.outputs) for c in checks)


def test_notebook_refuses_a_wrong_answer_and_a_blank():
    walk = walkthrough(Settings(seed=2, m=5, d=2), "en")
    sol = exercises.solutions(walk)
    q1 = predict.all_questions(walk)[0]
    wrong = {**sol, "answer_1": repr(float(q1.answer) + 2 * q1.tol)}
    nb = _fill(nbformat.reads(exercises.to_notebook(walk), as_version=4), wrong)
    with pytest.raises(CellExecutionError) as err:
        NotebookClient(nb, timeout=120, kernel_name="python3").execute()
    assert q1.hint[0].replace('"', "'") in str(err.value)  # the assert says the hint
    blank = nbformat.reads(exercises.to_notebook(walk), as_version=4)
    with pytest.raises(CellExecutionError):
        NotebookClient(blank, timeout=120, kernel_name="python3").execute()


def test_markdown_lists_questions_and_answers_at_the_end():
    walk = walkthrough(Settings(), "zh")
    md = exercises.to_markdown(walk)
    qs = predict.all_questions(walk)
    head, answers = md.split("## 答案")
    for n, q in enumerate(qs, start=1):
        assert q.prompt in head
        assert f"{n}. **{q.answer_text}**" in answers
        # each question sits above the step it belongs to
        step = walk.steps[walk.index(q.step)]
        assert head.index(q.prompt) < head.index(f"## {walk.index(q.step) + 1}. {step.title}")
    assert exercises.render(walk, "json") == export.render(walk, "json")
