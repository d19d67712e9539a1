"""Numbers as a learner reads them, in text and in LaTeX: the one place bnviz formats
live values (the conv and pool lessons, their figures and pages use these).

Numbers only: every formula comes from SymPy (:mod:`bnviz.written` writes a formula with its numbers,
printing them with :func:`fmt` in plain text); these format single numbers and matrices of values.
"""

from __future__ import annotations

import numpy as np
import sympy as sp

Array = np.ndarray


def fmt(v: float) -> str:
    """A number as a learner reads it: 3, −1.5, 0.25 (at most 3 decimals, Unicode minus)."""
    v = float(v)
    if abs(v) < 5e-13:
        return "0"
    r = round(v)
    if abs(v - r) < 1e-9 and abs(r) < 1e9:
        s = str(int(r))
    elif abs(v) < 0.01:
        s = f"{v:.2e}"
    else:
        s = f"{v:.3f}".rstrip("0").rstrip(".")
    return s.replace("-", "−")


def plain(v: float) -> str:
    """fmt(v) with an ASCII minus (text a learner may edit and parse back)."""
    return fmt(v).replace("−", "-")


def factor(v: float) -> str:
    """fmt(v), in parentheses when negative (a factor in a product)."""
    s = fmt(v)
    return f"({s})" if s.startswith("−") else s


def lnum(v: float) -> str:
    """A number in LaTeX (ASCII minus)."""
    return plain(v)


def matrix_latex(m: sp.Matrix | Array) -> str:
    """A SymPy or NumPy matrix in LaTeX (an ``array``: no column limit in amsmath)."""
    if isinstance(m, np.ndarray):
        rows = " \\\\ ".join(" & ".join(lnum(v) for v in row) for row in m)
        return f"\\left[\\begin{{array}}{{{'c' * m.shape[1]}}}{rows}\\end{{array}}\\right]"
    return sp.latex(m, mat_str="array", mat_delim="[")


def matrix_text(m: Array) -> str:
    """A matrix as editable text: one row per line, comma separated (ASCII minus)."""
    return "\n".join(", ".join(plain(v) for v in row) for row in np.atleast_2d(m))
