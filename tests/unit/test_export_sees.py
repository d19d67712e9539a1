"""Exports as a learner reads them (issue 12): each step's own values, settings by their labels,
no stray Markdown, and LaTeX that stays inside the page (pdflatex's own overfull-box report is the oracle)."""

from __future__ import annotations

import re
import shutil
import subprocess

import numpy as np
import pytest

from bnviz import course, export
from bnviz.i18n import t
from bnviz.settings import Settings

GRAPH = course.lesson("graph")


def test_each_value_is_shown_once_unless_it_changes():
    w = course.build(GRAPH, Settings(), "en")
    own = export.new_values(w)
    assert list(own[0]) == ["x"]
    assert "x" not in own[1] and "mu" in own[1]  # the page shows x again beside μ; the document does not
    seen: dict[str, np.ndarray] = {}
    for step, values in zip(w.steps, own, strict=True):
        for k, v in step.values.items():
            if k in values:
                seen[k] = v
            else:  # left out only because an earlier step showed the very same numbers
                np.testing.assert_array_equal(seen[k], v)
    md = export.render(w, "md")
    assert md.count("*feature 1*") == sum(1 for v in own if any(a.ndim == 2 for a in v.values()))


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_settings_by_their_labels_without_stray_markdown(lang):
    s = Settings(dist="custom", x_text="1, 2\n3, 5\n4, 0", lang=lang)
    w = course.build(GRAPH, s, lang)
    md = export.render(w, "md")
    head = md.split(f"## {t('export.settings', lang)}", 1)[1].split("\n## ", 1)[0]
    assert "`" not in head, head
    assert t("sidebar.m", lang) in head and t("dist.custom", lang) in head
    assert "1, 2; 3, 5; 4, 0" in head
    assert t("sidebar.dout_text", lang) not in head  # the typed ∂L/∂y does not count: upstream is not custom
    assert "`" not in export.render(course.build(GRAPH, Settings(), lang), "ipynb").split('"source"', 2)[1][:2000]


def test_a_long_formula_is_broken_or_scaled():
    short = r"y = a + b"
    assert export.tex_display(short) == ["\\begin{equation*}", short, "\\end{equation*}"]
    terms = " + ".join(rf"\frac{{a_{{{k}}}}}{{b_{{{k}}}}} \sigma_{{{k}}}" for k in range(20))
    broken = "\n".join(export.tex_display(f"z = {terms}"))
    assert "\\begin{aligned}z &= " in broken and broken.count("\\\\ &\\quad +") >= 1
    wide = "\n".join(export.tex_display(r"z = \left(" + terms + r"\right)"))  # nothing to break at outside (…)
    assert "\\quad" not in wide and export.FIT_OPEN in wide  # shrunk to the text width instead


def overfull(doc: str, tmp_path, name: str) -> list[tuple[float, str]]:
    """pdflatex's overfull boxes in ``doc``, as (points too wide, the source lines)."""
    (tmp_path / f"{name}.tex").write_text(doc, encoding="utf-8")
    run = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", f"{name}.tex"], cwd=tmp_path,
                         capture_output=True)
    log = run.stdout.decode("utf-8", "replace")
    assert run.returncode == 0, "\n".join(line for line in log.splitlines() if line.startswith("!"))
    lines = doc.splitlines()
    found = []
    for pts, a, b in re.findall(r"Overfull \\hbox \(([\d.]+)pt too wide\) .*?at lines? (\d+)(?:--(\d+))?", log):
        found.append((float(pts), "\n".join(lines[int(a) - 1:int(b or a)])[:300]))
    return found


def test_latex_formulas_and_tables_stay_inside_the_page(tmp_path):
    assert shutil.which("pdflatex"), "pdflatex is needed (scripts/test.sh installs texlive-latex-base)"
    s = Settings(m=5, d=2, gamma=1.5, beta=-0.5, dist="skewed", seed=3)
    bad = []
    for les in course.available():
        if les.build:
            doc = export.render(course.build(les, s, "en"), "tex")
            # formulas and tables: a paragraph of text may run a few points over at an unbreakable word
            bad += [(les.key, pts, src) for pts, src in overfull(doc, tmp_path, les.key)
                    if pts > 1 and ("equation" in src or "multline" in src or "&" in src or "\\[" in src)]
    assert not bad, "\n".join(f"{k}: {p} pt too wide: {src}" for k, p, src in bad)
