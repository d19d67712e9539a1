"""Exports: every lesson in every format and both languages, checked for real.

* Markdown: every $$ block renders in KaTeX (the renderer st.latex uses),
  run with node from tests/katex;
* LaTeX: compiles with pdflatex without errors;
* notebook: executed top to bottom with nbclient + ipykernel, the values it
  prints equal the JSON export's to 1e-12;
* JSON: settings, version, steps with title, LaTeX and values.
"""

import json
import re
import shutil
import subprocess
from pathlib import Path

import nbformat
import numpy as np
import pytest
from nbclient import NotebookClient

from bnviz import __version__, course, export
from bnviz.i18n import t
from bnviz.settings import Settings

KATEX = Path(__file__).resolve().parents[1] / "katex"
SETTINGS = [
    Settings(),
    Settings(m=5, d=2, gamma=1.5, beta=-0.5, dist="skewed", seed=3),
    Settings(m=1, d=1, upstream="ones"),
    Settings(dist="custom", x_text="1, 2\n1, 3\n1, 4", upstream="custom", dout_text="1, 0\n0, 1\n-1, 1", eps=1e-3),
]
LESSONS = [les for les in course.available() if les.build]


def walks(lang):
    for s in SETTINGS:
        for les in LESSONS:
            yield les, s, course.build(les, s, lang)


def katex_errors(blocks: list[str]) -> list:
    assert shutil.which("node"), "node is needed for the KaTeX check (scripts/test.sh installs it)"
    assert (KATEX / "node_modules" / "katex").is_dir(), "run `npm ci --prefix tests/katex` (scripts/test.sh does)"
    out = subprocess.run(["node", str(KATEX / "check.js")], input=json.dumps(blocks), capture_output=True,
                         text=True, check=True)
    return json.loads(out.stdout)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_markdown_math_renders_in_katex_and_text_is_in_the_language(lang):
    blocks = []
    for _les, _s, w in walks(lang):
        md = export.render(w, "md")
        assert md.startswith(f"# {w.title}") and t("export.generated", lang, version=__version__) in md
        assert all(step.title in md for step in w.steps)
        blocks += re.findall(r"^\$\$\n(.*?)\n\$\$$", md, flags=re.S | re.M)
    assert len(blocks) > 20
    assert katex_errors(blocks) == []


def test_the_katex_check_can_fail():
    assert len(katex_errors([r"\frac{1}{2}", r"\notacommand{x}", r"\left( x"])) == 2


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_latex_compiles_with_pdflatex(lang, tmp_path):
    assert shutil.which("pdflatex"), "pdflatex is needed (scripts/test.sh installs texlive-latex-base)"
    docs = [export.render(w, "tex") for _, s, w in walks(lang) if s in SETTINGS[:2]]
    docs.append(export.render(course.course_walkthroughs(SETTINGS[1], lang), "tex"))
    for n, doc in enumerate(docs):
        assert "\\usepackage{amsmath}" in doc
        assert [p for p in re.findall(r"\\usepackage(?:\[[^]]*\])?\{([^}]*)\}", doc)
                if p not in ("amsmath", "graphicx", "CJKutf8")] == []
        (tmp_path / f"d{n}.tex").write_text(doc, encoding="utf-8")
        run = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", f"d{n}.tex"],
                             cwd=tmp_path, capture_output=True)
        log = run.stdout.decode("utf-8", "replace")
        assert run.returncode == 0, "\n".join(line for line in log.splitlines() if line.startswith("!"))
        assert (tmp_path / f"d{n}.pdf").stat().st_size > 1000


def test_latex_text_escaping():
    assert export.tex_text("50% of x_1 & y") == r"50\% of x\_1 \& y"
    assert export.tex_text("x̂ and σ² ≥ 0") == r"$\hat{x}$ and $\sigma$$^{2}$ $\geq$ 0".replace("$$", "")
    assert export.tex_text("批归一化") == "批归一化"


def _values_by_id(doc: dict) -> dict:
    out = {}
    for step in doc["steps"]:
        out.update(step["values"])
    return out


@pytest.mark.parametrize(("lang", "settings"), [("en", SETTINGS[0]), ("zh", SETTINGS[1]), ("en", SETTINGS[3])])
def test_notebook_recomputes_the_json_values(lang, settings):
    for les in LESSONS:
        w = course.build(les, settings, lang)
        nb = nbformat.reads(export.render(w, "ipynb"), as_version=4)
        nbformat.validate(nb)
        NotebookClient(nb, timeout=120, kernel_name="python3").execute()
        printed = json.loads("".join(o.get("text", "") for o in nb.cells[-1].outputs))
        expected = _values_by_id(json.loads(export.render(w, "json")))
        assert set(printed) == set(expected)
        for key, v in expected.items():
            np.testing.assert_allclose(np.asarray(printed[key], float), np.asarray(v, float), rtol=0, atol=1e-12,
                                       err_msg=f"{les.key}: {key}")


def test_json_records_version_settings_and_steps():
    for lang in ("en", "zh"):
        for les, s, w in walks(lang):
            doc = json.loads(export.render(w, "json"))
            assert doc["bnviz"] == __version__ and doc["lang"] == lang and doc["page"] == les.key
            assert doc["settings"]["seed"] == s.seed
            assert [st["title"] for st in doc["steps"]] == [st.title for st in w.steps]
            for st, step in zip(doc["steps"], w.steps, strict=True):
                assert st["latex"] == list(step.latex)
                for k, v in step.values.items():
                    assert np.array_equal(np.asarray(st["values"][k]), v)


def test_course_export_has_every_lesson_in_order():
    ws = course.course_walkthroughs(SETTINGS[0], "zh")
    assert [w.page for w in ws] == [les.key for les in LESSONS]
    md = export.render(ws, "md")
    positions = [md.index(f"## {w.title}") for w in ws]
    assert positions == sorted(positions)
    doc = json.loads(export.render(ws, "json"))
    assert [w["page"] for w in doc["lessons"]] == [les.key for les in LESSONS]


def test_json_extra_keys_may_not_replace_the_walkthroughs():
    w = course.build(LESSONS[0], SETTINGS[0], "en")
    with pytest.raises(ValueError):
        export.to_json(w, extra={"settings": {}})
