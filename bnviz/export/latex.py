"""The LaTeX export: a standalone document that compiles with pdflatex using amsmath and graphicx only
(Chinese adds CJKutf8); plain text as LaTeX text (:func:`tex_text`); a formula too wide for the page
broken at top-level + and − or scaled to the text width (:func:`tex_display`)."""

from __future__ import annotations

import re
import unicodedata

from bnviz import __version__
from bnviz.export.common import Walks, new_values, own_step, setting_rows, value_tables, walks_of
from bnviz.i18n import t
from bnviz.steps import Walkthrough

_TEX_SPECIAL = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
                "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}"}
_TEX_UNICODE = {
    "²": "$^{2}$", "³": "$^{3}$", "∂": r"$\partial$", "√": r"$\surd$", "−": "$-$", "·": r"$\cdot$",
    "×": r"$\times$", "≥": r"$\geq$", "≤": r"$\leq$", "≠": r"$\neq$", "→": r"$\to$", "←": r"$\leftarrow$",
    "±": r"$\pm$", "∞": r"$\infty$", "≈": r"$\approx$", "∑": r"$\sum$", "°": r"$^{\circ}$",
    "“": "``", "”": "''", "‘": "`", "’": "'", "…": r"\ldots{}", "–": "--", "—": "---", "\u00a0": "~",
    "◀": "<", "▶": ">", "ᵀ": "$^{T}$", "⁻": "$^{-}$", "¹": "$^{1}$",
    "½": r"$\tfrac{1}{2}$", "ε": r"$\varepsilon$", "ϵ": r"$\epsilon$",
}
COMBINING = {"\u0302": "hat", "\u0303": "tilde", "\u0304": "bar", "\u0307": "dot", "\u20d7": "vec"}
"""Combining accents after a letter (x̂, x̃, x̄) and their LaTeX math accents."""
_GREEK = re.compile(r"GREEK (SMALL|CAPITAL) LETTER (\w+)")


def _tex_char(c: str) -> str:
    if c in _TEX_SPECIAL:
        return _TEX_SPECIAL[c]
    if c in _TEX_UNICODE:
        return _TEX_UNICODE[c]
    if ord(c) < 128:
        return c
    name = unicodedata.name(c, "")
    g = _GREEK.fullmatch(name)
    if g:
        letter = {"lamda": "lambda"}.get(g.group(2).lower(), g.group(2).lower())
        return f"$\\{letter.capitalize() if g.group(1) == 'CAPITAL' else letter}$"
    if unicodedata.category(c).startswith(("Lo", "P", "S")) or "CJK" in name or "FULLWIDTH" in name:
        return c  # Chinese text and punctuation: set by CJKutf8 in Chinese documents
    return "?"


def tex_text(s: str) -> str:
    """Plain text (titles, notes) as LaTeX text: specials escaped, Greek and
    math symbols in math mode, combining accents (x̂, x̃) as \\hat{x}, \\tilde{x}."""
    s = unicodedata.normalize("NFC", s)
    out: list[str] = []
    chars = list(s)
    k = 0
    while k < len(chars):
        c = chars[k]
        accent = COMBINING.get(chars[k + 1]) if k + 1 < len(chars) else None
        if accent:
            out.append(f"$\\{accent}{{{c}}}$")
            k += 2
            continue
        out.append(_tex_char(c))
        k += 1
    return "".join(out).replace("$$", "")


def _tex_walk(walk: Walkthrough, section: str) -> list[str]:
    lang = walk.lang
    out = [f"\\{section}{{{tex_text(walk.title)}}}", "", f"\\paragraph{{{tex_text(t('export.settings', lang))}}}",
           "\\begin{itemize}"]
    out += [f"  \\item {tex_text(k)}: {tex_text(v)}" for k, v in setting_rows(walk)]
    out += ["\\end{itemize}", ""]
    sub = "subsection" if section == "section" else "subsubsection"
    for n, (s, own) in enumerate(zip(walk.steps, new_values(walk), strict=True), start=1):
        out += [f"\\{sub}*{{{n}. {tex_text(s.title)}}}", ""]
        for line in s.latex:
            out += tex_display(line)
        if s.local:
            out += [f"\\paragraph{{{tex_text(t('export.local', lang))}}}"]
            for line in s.local:
                out += tex_display(line)
        if s.note:
            out += ["", tex_text(s.note), ""]
        for caption, heads, rows in value_tables(own_step(s, own), walk):
            out += ["\\begin{center}\\small"]
            if caption:
                out += [f"\\textit{{{tex_text(caption)}}}\\\\[2pt]"]
            out += [FIT_OPEN + f"\\begin{{tabular}}{{{'r' * len(heads)}}}", "\\hline",
                    " & ".join(tex_text(h) for h in heads) + " \\\\", "\\hline"]
            out += [" & ".join(tex_text(c) for c in r) + " \\\\" for r in rows]
            out += ["\\hline", "\\end{tabular}" + FIT_CLOSE, "\\end{center}", ""]
    for tb in walk.tables:
        heads = list(tb.columns)
        out += [f"\\{sub}*{{{tex_text(tb.title)}}}", "", *([tex_text(tb.intro), ""] if tb.intro else []),
                "\\begin{center}\\small",
                FIT_OPEN + f"\\begin{{tabular}}{{{'l' * len(heads)}}}", "\\hline",
                " & ".join(tex_text(h) for h in heads) + " \\\\", "\\hline"]
        out += [" & ".join(tex_text(str(c)) for c in r) + " \\\\" for r in tb.rows]
        out += ["\\hline", "\\end{tabular}" + FIT_CLOSE, "\\end{center}", ""]
        if tb.note:
            out += [tex_text(tb.note), ""]
    return out


FIT_OPEN = "\\resizebox{\\ifdim\\width>\\linewidth\\linewidth\\else\\width\\fi}{!}{"
FIT_CLOSE = "}"
"""Around a table: shrunk to the text width when wider, left as it is otherwise (graphicx's \\width)."""
TEX_LINE = 60
"""Rough width budget of one displayed formula line on the page (11 pt, article), in glyphs."""
_COMMAND = re.compile(r"\\[A-Za-z]+")
_SIZING = re.compile(r"\\(left|right|big|Big|bigg|Bigg)[lr]?\b|\\[,;:!]|\\(mathrm|operatorname|text|displaystyle)\b")


def _glyphs(latex: str) -> int:
    """Rough width of a formula in glyphs (a command like \\sigma counts one; braces, spaces, ^ _ none).

    Overestimates fractions (numerator and denominator both count), so a line judged to fit does."""
    s = _SIZING.sub("", latex)
    s = _COMMAND.sub("x", s)
    return len(re.sub(r"[{}\s^_]", "", s))


def _top_level(latex: str) -> list[tuple[int, str]]:
    """(position, mark) of every ``\\\\``, ``+``, ``-`` and ``=`` of ``latex`` outside braces, \\left…\\right
    pairs and \\begin…\\end environments."""
    marks, depth, k = [], 0, 0
    while k < len(latex):
        for word, step in (("\\left", 1), ("\\right", -1), ("\\begin", 1), ("\\end", -1)):
            if latex.startswith(word, k) and not latex[k + len(word):k + len(word) + 1].isalpha():
                depth += step
                k += len(word)
                break
        else:
            c = latex[k]
            if c == "\\":
                if latex.startswith("\\\\", k) and depth == 0:
                    marks.append((k, "\\\\"))
                k += 2
                continue
            depth += {"{": 1, "}": -1}.get(c, 0)
            if depth == 0 and c in "+-=":
                marks.append((k, c))
            k += 1
    return marks


def _terms(row: str) -> list[str]:
    """``row`` cut before each top-level + or − after its first = (not right after = or another operator)."""
    cuts, seen_eq = [], False
    for k, mark in _top_level(row):
        if mark == "=":
            seen_eq = True
        elif mark in "+-" and seen_eq and row[:k].rstrip()[-1:] not in ("=", "+", "-", "(", "&", ""):
            cuts.append(k)
    bounds = [0, *cuts, len(row)]
    return [row[a:b].strip() for a, b in zip(bounds, bounds[1:], strict=False) if row[a:b].strip()]


def _break_row(row: str) -> str:
    """A row wider than :data:`TEX_LINE` continued on new ``&\\quad`` lines before top-level + and −."""
    if _glyphs(row) <= TEX_LINE:
        return row
    lines: list[str] = []
    for term in _terms(row):
        if lines and _glyphs(lines[-1] + term) <= TEX_LINE:
            lines[-1] = f"{lines[-1]} {term}"
        else:
            lines.append(term)
    return " \\\\ &\\quad ".join(lines)


def tex_display(latex: str) -> list[str]:
    """One displayed formula for the LaTeX export, kept inside the page: as it is when it fits
    (:data:`TEX_LINE`); else each too-wide line continued on new lines before its top-level + and −
    (inside ``aligned``), and the result shrunk to the text width if it is still wider (graphicx)."""
    inner = latex.strip()
    rows_of = inner.startswith("\\begin{aligned}") and inner.endswith("\\end{aligned}")
    body = inner[len("\\begin{aligned}"):-len("\\end{aligned}")] if rows_of else inner
    marks = [k for k, mark in _top_level(body) if mark == "\\\\"]
    bounds = [0, *marks, len(body)]
    rows = [body[a:b].removeprefix("\\\\").strip() for a, b in zip(bounds, bounds[1:], strict=False)]
    if all(_glyphs(row) <= TEX_LINE for row in rows):
        return ["\\begin{equation*}", latex, "\\end{equation*}"]
    if not rows_of and len(rows) == 1:  # one plain line: align its continuation lines after the first =
        eq = next((k for k, mark in _top_level(body) if mark == "="), None)
        rows = [f"{body[:eq].rstrip()} &{body[eq:]}" if eq is not None else f"&{body}"]
    broken = " \\\\\n".join(_break_row(row) for row in rows)
    return ["\\[", f"{FIT_OPEN}$\\displaystyle \\begin{{aligned}}{broken}\\end{{aligned}}${FIT_CLOSE}", "\\]"]


def to_latex(walks: Walks) -> str:
    """A standalone LaTeX document (article + amsmath; CJKutf8 for Chinese)."""
    items = walks_of(walks)
    lang = items[0].lang
    single = isinstance(walks, Walkthrough)
    title = items[0].title if single else t("export.course_title", lang)
    pre = ["\\documentclass[11pt]{article}", "\\usepackage{amsmath}", "\\usepackage{graphicx}"]
    if lang == "zh":
        pre.append("\\usepackage{CJKutf8}")
    author = tex_text(t("export.generated", lang, version=__version__))
    pre += ["\\setlength{\\parindent}{0pt}", f"\\title{{{tex_text(title)}}}", f"\\author{{{author}}}",
            "\\date{}", "\\begin{document}"]
    body = ["\\begin{CJK}{UTF8}{gbsn}"] if lang == "zh" else []
    body += ["\\maketitle", ""]
    for w in items:
        body += _tex_walk(w, "section")
    if lang == "zh":
        body.append("\\end{CJK}")
    return "\n".join(pre + body + ["\\end{document}", ""])
