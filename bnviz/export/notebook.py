"""The notebook export (nbformat 4): markdown cells carry the formulas, code cells recompute every value
with NumPy from the recorded settings and seed; the last cell prints them as JSON."""

from __future__ import annotations

import nbformat

from bnviz import __version__
from bnviz.export.common import Walks, setting_rows, walks_of
from bnviz.export.markdown import step_text, table_lines
from bnviz.i18n import escape_markdown, t
from bnviz.steps import Walkthrough


def _collector(names: list[str]) -> str:
    inner = ", ".join(f"{n!r}: np.asarray({n}).tolist()" for n in names)
    return f"import json\nprint(json.dumps({{{inner}}}))"


def _nb_walk(walk: Walkthrough, level: int) -> list:
    nbf = nbformat.v4
    lang = walk.lang
    h = "#" * level
    cells = [nbf.new_markdown_cell("\n".join(
        [f"{h} {walk.title}", "", f"**{t('export.settings', lang)}**", ""]
        + [f"- {escape_markdown(k)}: {escape_markdown(v)}" for k, v in setting_rows(walk)])),
        nbf.new_code_cell(walk.setup)]
    names: list[str] = []
    for n, s in enumerate(walk.steps, start=1):
        cells.append(nbf.new_markdown_cell("\n".join(step_text(s, lang, f"{h}# {n}. {s.title}")).rstrip()))
        shown = list(s.values)
        code = s.code.strip()
        if shown:
            code = (code + "\n" if code else "") + shown[-1]
        if code:
            cells.append(nbf.new_code_cell(code))
        names += [k for k in s.values if k not in names]
    for tb in walk.tables:
        cells.append(nbf.new_markdown_cell("\n".join(table_lines(tb, f"{h}#")).rstrip()))
    cells.append(nbf.new_markdown_cell(t("export.nb_check", lang)))
    cells.append(nbf.new_code_cell(_collector(names)))
    return cells


def to_notebook(walks: Walks) -> str:
    """A Jupyter notebook (nbformat 4) that recomputes every value."""
    items = walks_of(walks)
    lang = items[0].lang
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    head = items[0].title if isinstance(walks, Walkthrough) else t("export.course_title", lang)
    nb.cells.append(nbformat.v4.new_markdown_cell(
        f"# {head}\n\n{t('export.generated', lang, version=__version__)}"))
    for w in items:
        nb.cells += _nb_walk(w, 2)
    return nbformat.writes(nb)
