"""Numbers as a learner reads them, in text and in LaTeX: the one place bnviz formats
live values (the conv and pool lessons, their figures and pages use these).

Numbers only: every formula comes from SymPy; these write a formula's *numbers* out
(a sum of products with its values, a matrix of values).
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


def lfactor(v: float) -> str:
    """lnum(v), in parentheses when negative."""
    s = lnum(v)
    return f"({s})" if s.startswith("-") else s


def sum_text(pairs: list[tuple[float, float]], extra: list[str] | None = None, per_line: int = 6) -> str:
    """"a×b + c×d + …" with a line break (<br>) every ``per_line`` terms; "0" for no terms."""
    terms = [f"{factor(a)}×{factor(b)}" for a, b in pairs] + (extra or [])
    if not terms:
        return "0"
    lines = [" + ".join(terms[n:n + per_line]) for n in range(0, len(terms), per_line)]
    return "<br>+ ".join(lines)


def sum_latex(pairs: list[tuple[float, float]], extra: list[str] | None = None, per_line: int = 8) -> list[str]:
    """The same sum in LaTeX, as lines of at most ``per_line`` terms (for an aligned block)."""
    terms = [rf"{lfactor(a)} \cdot {lfactor(b)}" for a, b in pairs] + (extra or [])
    if not terms:
        return ["0"]
    return [" + ".join(terms[n:n + per_line]) for n in range(0, len(terms), per_line)]


def equation(lhs: str, lines: list[str], total: float) -> str:
    """``lhs = line1 + line2 … = total`` as one LaTeX string (aligned when it needs several lines)."""
    if len(lines) == 1:
        return f"{lhs} = {lines[0]} = {lnum(total)}"
    body = [f"{lhs} &= {lines[0]}"] + [f"&\\quad + {line}" for line in lines[1:]] + [f"&= {lnum(total)}"]
    return "\\begin{aligned}" + " \\\\ ".join(body) + "\\end{aligned}"


def matrix_latex(m: sp.Matrix | Array) -> str:
    """A SymPy or NumPy matrix in LaTeX (an ``array``: no column limit in amsmath)."""
    if isinstance(m, np.ndarray):
        rows = " \\\\ ".join(" & ".join(lnum(v) for v in row) for row in m)
        return f"\\left[\\begin{{array}}{{{'c' * m.shape[1]}}}{rows}\\end{{array}}\\right]"
    return sp.latex(m, mat_str="array", mat_delim="[")


def matrix_text(m: Array) -> str:
    """A matrix as editable text: one row per line, comma separated (ASCII minus)."""
    return "\n".join(", ".join(plain(v) for v in row) for row in np.atleast_2d(m))
