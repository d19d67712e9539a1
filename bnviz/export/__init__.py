"""Walkthroughs written out: Markdown, standalone LaTeX, a Jupyter notebook, JSON.

Every export is the same steps the page shows (one Step model), for one
lesson or for the whole course (a sequence of walkthroughs in course order).
Each records the bnviz version and the settings, in the walkthrough's
language.

* Markdown: ``$$`` math and value tables;
* LaTeX: compiles with pdflatex using amsmath and graphicx only (Chinese adds
  CJKutf8); a formula too wide for the page is broken at top-level + and −
  (inside ``aligned``) or scaled to the text width (:func:`tex_display`);
* notebook: markdown cells carry the formulas, code cells recompute every
  value with NumPy from the recorded settings and seed (``Walkthrough.setup``
  and ``Step.code``); the last cell prints them as JSON, equal to the JSON
  export's values;
* JSON: settings, seed, every step's title, LaTeX and values.

The package: ``common`` (walks, new values, settings rows, value tables),
``as_json``, ``markdown``, ``latex`` (text, displayed formulas, the
document) and ``notebook``; this module keeps the names importers use and
:func:`render`.
"""

from __future__ import annotations

from bnviz.export.as_json import to_json, walkthrough_dict
from bnviz.export.common import MAX_ROWS, Walks, new_values, setting_rows
from bnviz.export.latex import COMBINING, FIT_CLOSE, FIT_OPEN, TEX_LINE, tex_display, tex_text, to_latex
from bnviz.export.markdown import to_markdown
from bnviz.export.notebook import to_notebook

__all__ = ["COMBINING", "FIT_CLOSE", "FIT_OPEN", "FORMATS", "MAX_ROWS", "MIME", "TEX_LINE", "Walks", "new_values",
           "render", "setting_rows", "tex_display", "tex_text", "to_json", "to_latex", "to_markdown", "to_notebook",
           "walkthrough_dict"]

FORMATS = ("md", "tex", "ipynb", "json")
MIME = {"md": "text/markdown", "tex": "application/x-tex", "ipynb": "application/x-ipynb+json",
        "json": "application/json"}


def render(walks: Walks, fmt: str, extra: dict | None = None) -> str:
    """The export in ``fmt`` (one of FORMATS)."""
    if fmt == "md":
        return to_markdown(walks)
    if fmt == "tex":
        return to_latex(walks)
    if fmt == "ipynb":
        return to_notebook(walks)
    if fmt == "json":
        return to_json(walks, extra)
    raise ValueError(fmt)
