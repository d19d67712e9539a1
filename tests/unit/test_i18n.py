"""The text catalog: complete in both languages, and every key the code uses exists."""

import re
from pathlib import Path
from string import Formatter

from bnviz.i18n import LANGS, InputError, catalog, t

ROOT = Path(__file__).resolve().parents[2]
SOURCES = [*ROOT.glob("bnviz/**/*.py"), *ROOT.glob("pages/*.py"), *ROOT.glob("ui/*.py"), ROOT / "app.py"]


def test_every_entry_has_both_languages_with_the_same_fields():
    for key, entry in catalog().items():
        assert set(entry) == set(LANGS), key
        fields = [{f for _, f, _, _ in Formatter().parse(entry[lang]) if f} for lang in LANGS]
        assert fields[0] == fields[1], key
        assert entry["en"].strip() and entry["zh"].strip(), key


SAME_IN_BOTH = {"page.graph.form_caffe", "export.download_md", "export.download_tex", "export.download_json"}
"""Names that read the same in Chinese (a product name, file formats)."""


def test_chinese_entries_are_translated():
    untranslated = [k for k, e in catalog().items()
                    if e["en"] == e["zh"] and re.search(r"[A-Za-z]{4,}", e["en"])
                    and k not in SAME_IN_BOTH]
    assert not untranslated


def test_every_literal_key_in_the_code_is_in_the_catalog():
    keys = set(catalog())
    used = set()
    for path in SOURCES:
        text = path.read_text(encoding="utf-8")
        used |= set(re.findall(r"""\bt\(\s*["']([a-z_]+(?:\.[a-z_0-9]+)+)["']""", text))
        used |= set(re.findall(r"""InputError\(\s*["']([a-z_.0-9]+)["']""", text))
    assert used, "the scan found no keys at all"
    assert used - keys == set()


def test_step_titles_and_notes_exist_for_every_graph_step():
    from bnviz.lessons.graph import BACKWARD, FORWARD
    for phase, names in (("forward", FORWARD), ("backward", BACKWARD)):
        for name in names:
            for part in ("title", "note"):
                assert f"step.{phase}.{name}.{part}" in catalog()


def test_input_error_message_follows_the_language():
    err = InputError("error.ragged", what="x", first=2, row=3, other=1)
    assert "row 3" in err.message("en") and "第 3 行" in err.message("zh")
    assert str(err) == t("error.ragged", "en", what="x", first=2, row=3, other=1)
