"""Display formulas as MathML Core, which the browser lays out natively (no KaTeX run in the page).

A step's formulas are SymPy's LaTeX (``Step.latex``, ``Step.local``); the page
shows them converted once here, so a rerun re-sends the same markup and the
browser has no typesetting to redo. The LaTeX stays in ``alttext``.
"""

from __future__ import annotations

from functools import lru_cache
from html import escape

from latex2mathml.converter import convert


@lru_cache(maxsize=8192)
def block(latex: str) -> str:
    """One display formula: ``<math display="block" alttext="…">…</math>``."""
    math = convert(latex, display="block")
    return math.replace("<math ", f'<math alttext="{escape(latex)}" ', 1)
