"""Exercises in the exports: a lesson's predict-mode questions in the notebook and the Markdown.

* notebook: before each step that asks something, a markdown cell with the
  question and a code cell ``answer_<n> = None`` for the learner to fill in;
  after the step's code, a cell whose ``assert`` checks the answer against
  the notebook's own value (:attr:`bnviz.predict.Question.check`, with the
  stated tolerance); a Solutions section at the end.
* Markdown: each question above its step, the answers at the end.

Both are the plain export (:mod:`bnviz.export`) with these cells or lines
added, so the steps themselves are exactly the same.
"""

from __future__ import annotations

import nbformat

from bnviz import export, predict
from bnviz.i18n import t
from bnviz.steps import Walkthrough


def _numbered(walk: Walkthrough) -> list[tuple[int, predict.Question]]:
    return list(enumerate(predict.all_questions(walk), start=1))


def _choices_md(q: predict.Question) -> list[str]:
    return [f"- `{c}`: {label}" for c, label in q.choices]


def _question_md(n: int, q: predict.Question, lang: str) -> list[str]:
    out = [f"**{t('learn.ui.exercise', lang)} {n}.** {q.prompt}"]
    if q.choices:
        out += ["", f"{t('learn.ui.choices', lang)}:", "", *_choices_md(q)]
    return out


def _solution_value(q: predict.Question) -> str:
    """The answer as a Python literal (what the learner would type into ``answer_<n>``)."""
    return repr(float(q.answer)) if q.kind == "number" else repr(str(q.answer))


def _check_code(n: int, q: predict.Question, lang: str) -> str:
    name = f"answer_{n}"
    hint = (q.hint[0] if q.hint else "").replace('"', "'")
    filled = t("learn.ui.exercise_fill", lang).replace('"', "'")
    if q.kind == "number":
        test = f"abs(float({name}) - float({q.check})) <= {q.tol!r}"
    else:
        test = f"{name} == {q.check}"
    return (f'assert {name} is not None, "{filled}"\n'
            f'assert {test}, "{hint}"\nprint("✓")')


def solutions(walk: Walkthrough) -> dict[str, str]:
    """``answer_<n>`` -> the solution literal, for every question (what the tests fill in)."""
    return {f"answer_{n}": _solution_value(q) for n, q in _numbered(walk)}


def to_notebook(walk: Walkthrough) -> str:
    """The notebook export of one lesson with exercise cells and a Solutions section."""
    nbf = nbformat.v4
    lang = walk.lang
    nb = nbformat.reads(export.to_notebook(walk), as_version=4)
    numbered = _numbered(walk)
    by_step: dict[str, list[tuple[int, predict.Question]]] = {}
    for n, q in numbered:
        by_step.setdefault(q.step, []).append((n, q))
    heads = {f"### {k}. {s.title}": s for k, s in enumerate(walk.steps, start=1)}
    cells, pending = [], []
    for cell in nb.cells:
        step = heads.get(cell.source.split("\n", 1)[0]) if cell.cell_type == "markdown" else None
        if step is not None or (pending and cell.cell_type == "markdown"):
            for n, q in pending:  # after the previous step's code: check its answers
                cells.append(nbf.new_code_cell(_check_code(n, q, lang)))
            pending = []
        if step is not None and step.key in by_step:
            for n, q in by_step[step.key]:
                cells.append(nbf.new_markdown_cell("\n".join(
                    [*_question_md(n, q, lang), "", f"*{t('learn.ui.exercise_fill', lang)}*"])))
                cells.append(nbf.new_code_cell(f"answer_{n} = None"))
            pending = by_step[step.key]
        cells.append(cell)
    sol = [f"## {t('learn.ui.solutions', lang)}", ""]
    for n, q in numbered:
        sol.append(f"{n}. {q.prompt} → **{q.answer_text}** (`answer_{n} = {_solution_value(q)}`). {q.solution}")
    cells.append(nbf.new_markdown_cell("\n".join(sol)))
    nb.cells = cells
    return nbformat.writes(nb)


def to_markdown(walk: Walkthrough) -> str:
    """The Markdown export of one lesson with each question above its step and the answers at the end."""
    lang = walk.lang
    lines = export.to_markdown(walk).split("\n")
    numbered = _numbered(walk)
    heads = {f"## {k}. {s.title}": s.key for k, s in enumerate(walk.steps, start=1)}
    out: list[str] = []
    for line in lines:
        key = heads.get(line)
        if key is not None:
            for n, q in numbered:
                if q.step == key:
                    out += ["> " + row if row else ">" for row in _question_md(n, q, lang)] + [""]
        out.append(line)
    out += [f"## {t('learn.ui.answers', lang)}", ""]
    for n, q in numbered:
        out.append(f"{n}. **{q.answer_text}**: {q.solution}")
    return "\n".join(out) + "\n"


def render(walk: Walkthrough, fmt: str) -> str:
    """The export in ``fmt`` with exercises where the format has them (md, ipynb); plain otherwise."""
    if fmt == "ipynb":
        return to_notebook(walk)
    if fmt == "md":
        return to_markdown(walk)
    return export.render(walk, fmt)
