"""Walkthroughs written out: Markdown, standalone LaTeX, a Jupyter notebook, JSON.

Every export is the same steps the page shows (one Step model), for one
lesson or for the whole course (a sequence of walkthroughs in course order).
Each records the bnviz version and the settings, in the walkthrough's
language.

* Markdown: ``$$`` math and value tables;
* LaTeX: compiles with pdflatex using amsmath only (Chinese adds CJKutf8);
* notebook: markdown cells carry the formulas, code cells recompute every
  value with NumPy from the recorded settings and seed (``Walkthrough.setup``
  and ``Step.code``); the last cell prints them as JSON, equal to the JSON
  export's values;
* JSON: settings, seed, every step's title, LaTeX and values.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Sequence

import nbformat
import numpy as np

from bnviz import __version__
from bnviz.i18n import markdown_code, t
from bnviz.steps import Step, Table, Walkthrough

MAX_ROWS = 16
"""Tables show at most this many samples (the JSON and the notebook have them all)."""
FORMATS = ("md", "tex", "ipynb", "json")
MIME = {"md": "text/markdown", "tex": "application/x-tex", "ipynb": "application/x-ipynb+json",
        "json": "application/json"}

Walks = Walkthrough | Sequence[Walkthrough]


def _walks(w: Walks) -> list[Walkthrough]:
    return [w] if isinstance(w, Walkthrough) else list(w)


def _fmt(v: float) -> str:
    return f"{v:.6g}"


def _tables(step: Step, walk: Walkthrough) -> list[tuple[str | None, list[str], list[list[str]]]]:
    """The step's values as tables: (caption, header, rows).

    Per-sample values (m, D): one table per feature, the samples as rows.
    Arrays of more dimensions (e.g. (N, C, H, W)): one table per 2-D slice,
    captioned with its leading indices. Per-feature and scalar values: one
    table, one row. At most MAX_ROWS rows each, then an ellipsis row.
    """
    out: list[tuple[str | None, list[str], list[list[str]]]] = []
    per_sample = {k: v for k, v in step.values.items() if v.ndim == 2}
    per_feature = {k: v for k, v in step.values.items() if v.ndim <= 1}
    if per_sample:
        shapes = {v.shape for v in per_sample.values()}
        if len(shapes) > 1:  # not one batch: each matrix on its own
            for k, v in per_sample.items():
                out.append(_matrix(walk.label(k), v))
        else:
            m, d = next(iter(shapes))
            heads = ["i", *(walk.label(k) for k in per_sample)]
            for j in range(d):
                rows = [[str(i + 1), *(_fmt(v[i, j]) for v in per_sample.values())] for i in range(min(m, MAX_ROWS))]
                if m > MAX_ROWS:
                    rows.append(["…"] * len(heads))
                out.append((t("export.feature", walk.lang, j=j + 1), heads, rows))
    for k, v in step.values.items():
        if v.ndim > 2:
            for idx in np.ndindex(*v.shape[:-2]):
                out.append(_matrix(f"{walk.label(k)}[{', '.join(map(str, idx))}]", v[idx]))
    if per_feature:
        heads = [walk.label(k) for k in per_feature]
        out.append((None, heads, [[", ".join(_fmt(x) for x in np.ravel(v)) for v in per_feature.values()]]))
    return out


def _matrix(caption: str, a: np.ndarray) -> tuple[str, list[str], list[list[str]]]:
    """A 2-D array as a table: row index, then one column per array column."""
    heads = ["", *(str(j) for j in range(a.shape[1]))]
    rows = [[str(i), *(_fmt(x) for x in a[i])] for i in range(min(a.shape[0], MAX_ROWS))]
    if a.shape[0] > MAX_ROWS:
        rows.append(["…"] * len(heads))
    return caption, heads, rows


# ------------------------------------------------------------------- JSON --


def _jsonable(v: object) -> object:
    if isinstance(v, np.ndarray):
        return v.tolist()
    if isinstance(v, (np.floating, np.integer)):
        return v.item()
    raise TypeError(type(v))


def walkthrough_dict(walk: Walkthrough) -> dict:
    """Settings, version and every step's title, LaTeX and values (nested lists)."""
    return {
        "bnviz": __version__,
        "page": walk.page,
        "title": walk.title,
        "lang": walk.lang,
        "settings": walk.settings,
        "steps": [
            {"key": s.key, "phase": s.phase, "title": s.title, "latex": list(s.latex),
             "local": list(s.local), "note": s.note,
             "values": {k: v.tolist() for k, v in s.values.items()}}
            for s in walk.steps
        ],
        "tables": [{"key": tb.key, "title": tb.title, "intro": tb.intro, "columns": tb.columns, "note": tb.note}
                   for tb in walk.tables],
    }


def to_json(walks: Walks, extra: dict | None = None) -> str:
    """One walkthrough as a JSON object, or the course as {"bnviz", "lessons": [...]}.

    ``extra`` keys (e.g. the CLI's summary) come first and may not replace
    the walkthrough's own keys.
    """
    items = _walks(walks)
    if isinstance(walks, Walkthrough):
        doc = walkthrough_dict(walks)
    else:
        doc = {"bnviz": __version__, "lessons": [walkthrough_dict(w) for w in items]}
    clash = set(extra or {}) & set(doc)
    if clash:
        raise ValueError(f"extra keys clash with the walkthrough's: {sorted(clash)}")
    return json.dumps({**(extra or {}), **doc}, ensure_ascii=False, default=_jsonable) + "\n"


# --------------------------------------------------------------- Markdown --


def _md_step_text(s: Step, lang: str, heading: str) -> list[str]:
    """A step's heading, $$ formulas, local derivatives and note as Markdown lines
    (shared by the Markdown export and the notebook's markdown cells)."""
    out = [heading, ""]
    for line in s.latex:
        out += ["$$", line, "$$", ""]
    if s.local:
        out += [f"**{t('export.local', lang)}**", ""]
        for line in s.local:
            out += ["$$", line, "$$", ""]
    if s.note:
        out += [s.note, ""]
    return out


def _md_walk(walk: Walkthrough, level: int) -> list[str]:
    h = "#" * level
    lang = walk.lang
    out = [f"{h} {walk.title}", "", f"{h}# {t('export.settings', lang)}", ""]
    out += [f"- `{k}` = {markdown_code(str(v))}" for k, v in walk.settings.items()] + [""]
    for n, s in enumerate(walk.steps, start=1):
        out += _md_step_text(s, lang, f"{h}# {n}. {s.title}")
        if s.values:
            out += [f"**{t('export.values', lang)}**", ""]
            for caption, heads, rows in _tables(s, walk):
                if caption:
                    out += [f"*{caption}*", ""]
                out += ["| " + " | ".join(heads) + " |", "|---" * len(heads) + "|"]
                out += ["| " + " | ".join(r) + " |" for r in rows] + [""]
    for tb in walk.tables:
        out += _md_table(tb, f"{h}#")
    return out


def _md_table(tb: Table, heading: str) -> list[str]:
    """A lesson table as Markdown: heading, intro, the table, its note."""
    def cell(c: object) -> str:
        return str(c).replace("|", "\\|")

    heads = [cell(h) for h in tb.columns]
    out = [f"{heading} {tb.title}", "", *([tb.intro, ""] if tb.intro else [])]
    out += ["| " + " | ".join(heads) + " |", "|---" * len(heads) + "|"]
    out += ["| " + " | ".join(map(cell, r)) + " |" for r in tb.rows] + [""]
    return out + ([tb.note, ""] if tb.note else [])


def to_markdown(walks: Walks) -> str:
    """The steps as Markdown with $$ math and value tables."""
    items = _walks(walks)
    lang = items[0].lang
    if isinstance(walks, Walkthrough):
        head = [t("export.generated", lang, version=__version__), ""]
        body = _md_walk(walks, 1)
        return "\n".join([*body[:2], *head, *body[2:]])
    out = [f"# {t('export.course_title', lang)}", "", t("export.generated", lang, version=__version__), ""]
    for w in items:
        out += _md_walk(w, 2)
    return "\n".join(out)


# ------------------------------------------------------------------ LaTeX --

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
    out += [f"  \\item \\texttt{{{tex_text(str(k))}}} = \\texttt{{{tex_text(str(v))}}}"
            for k, v in walk.settings.items()]
    out += ["\\end{itemize}", ""]
    sub = "subsection" if section == "section" else "subsubsection"
    for n, s in enumerate(walk.steps, start=1):
        out += [f"\\{sub}*{{{n}. {tex_text(s.title)}}}", ""]
        for line in s.latex:
            out += ["\\begin{equation*}", line, "\\end{equation*}"]
        if s.local:
            out += [f"\\paragraph{{{tex_text(t('export.local', lang))}}}"]
            for line in s.local:
                out += ["\\begin{equation*}", line, "\\end{equation*}"]
        if s.note:
            out += ["", tex_text(s.note), ""]
        for caption, heads, rows in _tables(s, walk):
            out += ["\\begin{center}\\small"]
            if caption:
                out += [f"\\textit{{{tex_text(caption)}}}\\\\[2pt]"]
            out += [f"\\begin{{tabular}}{{{'r' * len(heads)}}}", "\\hline",
                    " & ".join(tex_text(h) for h in heads) + " \\\\", "\\hline"]
            out += [" & ".join(tex_text(c) for c in r) + " \\\\" for r in rows]
            out += ["\\hline", "\\end{tabular}", "\\end{center}", ""]
    for tb in walk.tables:
        heads = list(tb.columns)
        out += [f"\\{sub}*{{{tex_text(tb.title)}}}", "", *([tex_text(tb.intro), ""] if tb.intro else []),
                "\\begin{center}\\small",
                f"\\begin{{tabular}}{{{'l' * len(heads)}}}", "\\hline",
                " & ".join(tex_text(h) for h in heads) + " \\\\", "\\hline"]
        out += [" & ".join(tex_text(str(c)) for c in r) + " \\\\" for r in tb.rows]
        out += ["\\hline", "\\end{tabular}", "\\end{center}", ""]
        if tb.note:
            out += [tex_text(tb.note), ""]
    return out


def to_latex(walks: Walks) -> str:
    """A standalone LaTeX document (article + amsmath; CJKutf8 for Chinese)."""
    items = _walks(walks)
    lang = items[0].lang
    single = isinstance(walks, Walkthrough)
    title = items[0].title if single else t("export.course_title", lang)
    pre = ["\\documentclass[11pt]{article}", "\\usepackage{amsmath}"]
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


# --------------------------------------------------------------- notebook --


def _collector(names: list[str]) -> str:
    inner = ", ".join(f"{n!r}: np.asarray({n}).tolist()" for n in names)
    return f"import json\nprint(json.dumps({{{inner}}}))"


def _nb_walk(walk: Walkthrough, level: int) -> list:
    nbf = nbformat.v4
    lang = walk.lang
    h = "#" * level
    cells = [nbf.new_markdown_cell("\n".join(
        [f"{h} {walk.title}", "", f"**{t('export.settings', lang)}**", ""]
        + [f"- `{k}` = {markdown_code(str(v))}" for k, v in walk.settings.items()])),
        nbf.new_code_cell(walk.setup)]
    names: list[str] = []
    for n, s in enumerate(walk.steps, start=1):
        cells.append(nbf.new_markdown_cell("\n".join(_md_step_text(s, lang, f"{h}# {n}. {s.title}")).rstrip()))
        shown = list(s.values)
        code = s.code.strip()
        if shown:
            code = (code + "\n" if code else "") + shown[-1]
        if code:
            cells.append(nbf.new_code_cell(code))
        names += [k for k in s.values if k not in names]
    for tb in walk.tables:
        cells.append(nbf.new_markdown_cell("\n".join(_md_table(tb, f"{h}#")).rstrip()))
    cells.append(nbf.new_markdown_cell(t("export.nb_check", lang)))
    cells.append(nbf.new_code_cell(_collector(names)))
    return cells


def to_notebook(walks: Walks) -> str:
    """A Jupyter notebook (nbformat 4) that recomputes every value."""
    items = _walks(walks)
    lang = items[0].lang
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    head = items[0].title if isinstance(walks, Walkthrough) else t("export.course_title", lang)
    nb.cells.append(nbformat.v4.new_markdown_cell(
        f"# {head}\n\n{t('export.generated', lang, version=__version__)}"))
    for w in items:
        nb.cells += _nb_walk(w, 2)
    return nbformat.writes(nb)


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
