"""Through AppTest: a typed batch is kept in the URL only while the link stays short enough (issue 11), and the
saturation table shows its headers whole (issue 12).

Expected sentences come from the catalog; the URL length is computed here with the
standard library (form encoding, as the browser writes the address).
"""

from __future__ import annotations

import urllib.parse

import pytest
from app_helpers import assert_ok, new_app, open_page, run_graph, tables

from bnviz.i18n import LANGS, t
from bnviz.limits import URL_MAX_CHARS

ROW = ", ".join(["1.234567890123456"] * 16)
"""One row of 16 numbers: 287 characters, 350 in the URL."""


def batch(rows: int) -> str:
    return "\n".join([ROW] * rows)


def encoded(text: str) -> int:
    return len(urllib.parse.urlencode({"k": text})) - 2


def params(at) -> dict[str, str]:
    return {k: at.query_params[k][0] if isinstance(at.query_params[k], list) else at.query_params[k]
            for k in at.query_params}


def warnings(at) -> list[str]:
    return [w.value for w in at.sidebar.warning]


def downloads(at) -> list[str]:
    return [b.proto.label for b in at.get("download_button")]


def test_a_typed_batch_that_fits_is_in_the_url_and_one_too_long_is_not() -> None:
    at = run_graph(new_app({"dist": "custom"}))
    short = batch(20)
    at.sidebar.text_area(key="x_text").set_value(short).run()
    assert_ok(at)
    assert params(at).get("x_text") == short
    assert t("url.download", "en") not in downloads(at)

    long = batch(400)
    chars = encoded(long)
    assert chars > URL_MAX_CHARS
    at.sidebar.text_area(key="x_text").set_value(long).run()
    assert_ok(at)
    assert "x_text" not in params(at), "a batch too long for a link is still copied into the URL"
    assert params(at).get("dist") == "custom"
    assert t("url.too_long", "en", chars=chars, limit=URL_MAX_CHARS) in warnings(at)
    assert t("url.download", "en") in downloads(at)
    assert t("sees.sidebar.used_custom", "en", m=400, d=16) in [c.value for c in at.sidebar.caption]

    at.sidebar.text_area(key="x_text").set_value(short).run()  # short again: back in the link, no warning
    assert params(at).get("x_text") == short
    assert not warnings(at)


def test_two_typed_batches_share_the_url_budget() -> None:
    """x and ∂L/∂y each fit alone but not together: the URL keeps x, and says why ∂L/∂y is left out."""
    rows = 200
    text = batch(rows)
    assert encoded(text) <= URL_MAX_CHARS < 2 * encoded(text)
    at = run_graph(new_app({"dist": "custom", "upstream": "custom"}))
    at.sidebar.text_area(key="x_text").set_value(text).run()
    at.sidebar.text_area(key="dout_text").set_value(text).run()
    assert_ok(at)
    assert params(at).get("x_text") == text
    assert "dout_text" not in params(at)
    assert warnings(at) == [t("sees2.url.too_long_both", "en", chars=encoded(text), limit=URL_MAX_CHARS)]
    assert downloads(at).count(t("url.download", "en")) == 1
    assert not at.error  # the two batches themselves are fine (same shape)


def test_a_shared_link_with_a_typed_batch_opens_that_batch() -> None:
    text = "1, 2\n3, 5\n4, 0\n7, 1"
    at = run_graph(new_app({"dist": "custom", "x_text": text}))
    assert at.sidebar.text_area(key="x_text").value == text
    assert t("sees.sidebar.used_custom", "en", m=4, d=2) in [c.value for c in at.sidebar.caption]
    assert params(at).get("x_text") == text
    at.sidebar.selectbox(key="dist").set_value("normal").run()  # a hidden batch leaves the link
    assert "x_text" not in params(at) and "dist" not in params(at)


@pytest.mark.parametrize("lang", LANGS)
def test_the_saturation_table_shows_every_header_whole(lang: str) -> None:
    at = open_page("pages/saturation_page.py", lang)
    heads = [t(f"page.saturation.table_{k}", lang) for k in ("batch", "mean", "std", "before", "after")]
    table = next(df for df in tables(at) if list(df.columns) == heads)
    assert len(table) == 4
    assert all(str(v).endswith("%") for v in table[heads[-1]])
