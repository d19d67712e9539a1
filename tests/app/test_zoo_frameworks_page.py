"""The train-vs-test page's frameworks side by side under AppTest, both languages: the Keras slider and
line, the differences table and the "translate my settings" box (rates recomputed here from the stated
directions: PyTorch's momentum weights the new batch, the others' the old estimate)."""

from __future__ import annotations

import html

import pytest
from app_helpers import LANGS, assert_ok, open_page, tables
from streamlit.testing.v1 import AppTest

from bnviz.i18n import t

PAGE = "pages/train_test_page.py"


def table_with(at: AppTest, column: str):
    frames = [d for d in tables(at) if column in d.columns]
    assert frames, f"no table with {column!r}"
    return frames[0]


@pytest.mark.parametrize("lang", LANGS)
def test_keras_is_on_the_page(lang: str):
    at = open_page(PAGE, lang, timeout=90)
    assert at.slider(key="tt_momentum_keras").value == 0.99
    # the running estimates: a static SVG (two panels, one legend) whose legend names Keras beside the others
    title = html.escape(t("page.train_test.estimates_chart", lang, j=1), quote=True)
    chart = [m.value for m in at.markdown if "<svg" in m.value and f'aria-label="{title}"' in m.value]
    assert len(chart) == 1
    for name in ("Keras/TensorFlow", "PyTorch", "cs231n", "Caffe"):
        assert f">{name}</text>" in chart[0]
    fw = table_with(at, t("page.train_test.fw.col_weights", lang))
    assert list(fw[t("page.train_test.fw.col_framework", lang)]) == ["PyTorch", "Keras/TensorFlow", "cs231n", "Caffe"]
    assert any(m.value == f"### {t('page.train_test.fw.heading', lang)}" for m in at.markdown)


@pytest.mark.parametrize("lang", LANGS)
def test_translate_box_follows_the_chosen_framework(lang: str):
    at = open_page(PAGE, lang, timeout=90)
    col_rate = t("page.train_test.fw.col_momentum", lang)
    box = table_with(at, col_rate)
    assert list(box[col_rate]) == ["0.1", "0.9", "0.9", "0.9"]
    at.selectbox(key="tt_from").set_value("keras").run()
    at.number_input(key="tt_from_momentum").set_value(0.99).run()
    assert_ok(at)
    box = table_with(at, col_rate)
    assert [float(v) for v in box[col_rate]] == pytest.approx([0.01, 0.99, 0.99, 0.99], abs=1e-15)
    differs = list(box[t("page.train_test.fw.col_differs", lang)])
    assert differs[1] == t("page.train_test.fw.same", lang)
    assert t("practice.diff.bessel", lang) in differs[0]
