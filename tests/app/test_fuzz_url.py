"""Nothing breaks, nothing leaks, in the app (issue 11), through Streamlit's AppTest.

Hypothesis sets arbitrary URL query parameters and arbitrary text in the
sidebar's text areas; on every page it opens, no exception element appears,
no text shows a traceback, and learner text quoted in an error is escaped so
it cannot become a link, emphasis or LaTeX. The named cases of the issue
follow: the train-vs-test crash, the safety net, the URL sentence, the
length limits. Example counts are modest (an AppTest run is ~20-50 ms, a
fresh app ~0.5 s).
"""

from __future__ import annotations

import logging
import re

import pytest
from app_helpers import APP, assert_ok, new_app, open_page, run_graph, texts
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from streamlit.testing.v1 import AppTest

from bnviz.i18n import t
from bnviz.limits import MAX_TEXT_CHARS

PAGES = ["pages/graph_page.py", "pages/upstream_page.py", "pages/train_test_page.py", "pages/renorm_page.py",
         "pages/axes_page.py", "pages/saturation_page.py", "pages/conv_page.py", "pages/pool_page.py"]
"""Pages that do their work when opened (the network page trains only on a click)."""

NASTY = ["0", "-1", "1", "2", "3", "8", "16", "17", "513", "1e308", "nan", "inf", "-inf", "abc", "", " ", "1.5",
         "0.05", "9999", "-5.1", "5", "custom", "softmax", "uniform", "zh", "xx", "1e-5", "0.0", "[a](//e.co)",
         "**b**", "$x$", "1, 2\n3, 4", "1, [a](//e.co)", "<b>x</b>"]
KEYS = ["m", "d", "gamma", "beta", "eps", "seed", "dist", "upstream", "lang", "x_text", "dout_text", "step",
        "feature", "tt_k", "tt_source", "tt_running_mean", "rn_rmax", "layers"]
MARKUP = "[]*`<$_~"


def page_texts(at: AppTest) -> list[str]:
    """Every text element's text on the page and in the sidebar."""
    out: list[str] = []
    for kind in ("markdown", "error", "warning", "info", "success", "caption", "title", "header", "subheader",
                 "latex", "code", "text"):
        out += [str(e.value) for e in getattr(at, kind)]
    return out


def assert_no_breakage(at: AppTest) -> None:
    assert_ok(at)
    assert not any("Traceback" in s or 'File "/' in s for s in page_texts(at))


def assert_quoted_text_is_escaped(at: AppTest) -> None:
    """In every error, a Markdown mark inside the “quoted” learner text is backslash-escaped."""
    for message in texts(at.error):
        for quoted in re.findall(r"“(.*?)”", message):
            for n, ch in enumerate(quoted):
                intraword = ch == "_" and 0 < n < len(quoted) - 1 and quoted[n - 1].isalnum() \
                    and quoted[n + 1].isalnum()  # CommonMark: never emphasis between two letters/digits
                if ch in MARKUP and not intraword:
                    assert n > 0 and quoted[n - 1] == "\\", (ch, message)


# -------------------------------------------------------------- property-based --


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(query=st.dictionaries(st.sampled_from(KEYS), st.one_of(st.sampled_from(NASTY), st.text(max_size=8)),
                             max_size=5),
       page=st.sampled_from(PAGES))
def test_any_url_gives_a_page_and_no_traceback(query: dict[str, str], page: str) -> None:
    at = new_app(query)
    at.run()
    assert_no_breakage(at)
    at.switch_page(page).run()
    assert_no_breakage(at)
    assert_quoted_text_is_escaped(at)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(x_text=st.one_of(st.sampled_from(NASTY), st.text(max_size=40)),
       dout_text=st.one_of(st.sampled_from(NASTY), st.text(max_size=40)))
def test_any_typed_batch_gives_a_page_and_no_traceback(x_text: str, dout_text: str) -> None:
    at = run_graph(new_app({"dist": "custom", "upstream": "custom"}))
    at.sidebar.text_area(key="x_text").set_value(x_text)
    at.sidebar.text_area(key="dout_text").set_value(dout_text).run()
    assert_no_breakage(at)
    assert_quoted_text_is_escaped(at)


# ------------------------------------------------------------------ named cases --


def test_train_vs_test_with_two_own_columns_and_feature_3_does_not_crash() -> None:
    """The issue's crash: the feature picker was sized from the sidebar's D (3), not from the batch used."""
    at = open_page("pages/train_test_page.py", lang=None)
    at.selectbox(key="tt_feature").set_value(2).run()  # feature 3 of the default 3
    assert_ok(at)
    at.sidebar.selectbox(key="dist").set_value("custom").run()
    at.sidebar.text_area(key="x_text").set_value("1, 2\n3, 5\n4, 0").run()
    assert_no_breakage(at)
    assert not at.error
    options = at.selectbox(key="tt_feature").options
    assert len(options) == 2


@pytest.mark.parametrize("text", ["1, [a](//e.co)", "1, **b**", "1, $x$", "1, <b>x</b>"])
def test_learner_markup_in_an_error_is_shown_as_text(text: str) -> None:
    at = run_graph(new_app({"dist": "custom"}))
    at.sidebar.text_area(key="x_text").set_value(text).run()
    assert_ok(at)
    assert len(at.error) == 1
    assert_quoted_text_is_escaped(at)
    message = at.error[0].value
    assert "](//" not in message.replace("\\]", "") and "**b**" not in message and "<b>" not in message


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_bad_url_values_are_named_with_the_defaults(lang: str) -> None:
    at = new_app({"m": "0", "gamma": "nan", "eps": "abc", "seed": "-5", "d": "4", "lang": lang})
    at.run()
    assert_ok(at)
    expected = t("sidebar.ignored", lang, names="m, gamma, eps, seed",
                 defaults="m = 8, gamma = 1, eps = 1e-05, seed = 0")
    assert expected in texts(at.warning)
    assert at.sidebar.slider(key="m").value == 8 and at.sidebar.slider(key="d").value == 4


def test_good_url_values_name_nothing() -> None:
    at = new_app({"m": "12", "gamma": "0.5", "eps": "0.001", "dist": "uniform"})
    at.run()
    assert_ok(at)
    assert not any(t("sidebar.ignored", "en", names="", defaults="")[:30] in w for w in texts(at.warning))


def test_text_areas_have_the_one_length_limit() -> None:
    at = run_graph(new_app({"dist": "custom", "upstream": "custom"}))
    assert at.sidebar.text_area(key="x_text").proto.max_chars == MAX_TEXT_CHARS
    assert at.sidebar.text_area(key="dout_text").proto.max_chars == MAX_TEXT_CHARS


def test_a_url_batch_longer_than_the_limit_is_refused_with_a_sentence() -> None:
    text = "1, 2\n" * (MAX_TEXT_CHARS // 5 + 1)
    at = new_app({"dist": "custom", "x_text": text})
    at.run()
    assert_ok(at)
    assert any("x_text" in w for w in texts(at.warning))


def _broken_page() -> None:
    import streamlit as st

    from ui import safety

    def page() -> None:
        st.write("before")
        raise RuntimeError("boom at /srv/secret/path.py")

    safety.guarded(page, "demo", "en")
    st.write("after")


def _stopping_page() -> None:
    import streamlit as st

    from ui import safety

    safety.guarded(st.stop, "demo", "en")
    st.write("never shown")


def test_the_safety_net_turns_an_error_into_a_sentence_and_logs_it(caplog: pytest.LogCaptureFixture) -> None:
    at = AppTest.from_function(_broken_page, default_timeout=30)
    with caplog.at_level(logging.ERROR, logger="bnviz"):
        at.run()
    assert not at.exception
    assert len(at.error) == 1
    message = at.error[0].value
    assert "RuntimeError" in message and "/srv/secret" not in message and "Traceback" not in message
    ref = re.search(r"\*\*([0-9a-f]{8})\*\*", message).group(1)
    assert message == t("safety.unexpected", "en", page="demo", kind="RuntimeError", ref=ref)
    assert texts(at.markdown) == ["before", "after"]  # the rest of the app goes on
    record = next(r for r in caplog.records if ref in r.getMessage())
    assert record.exc_info and "boom at /srv/secret/path.py" in str(record.exc_info[1])


def test_the_safety_net_lets_st_stop_through() -> None:
    at = AppTest.from_function(_stopping_page, default_timeout=30)
    at.run()
    assert not at.exception and not at.error
    assert "never shown" not in texts(at.markdown)


def test_no_traceback_details_are_configured() -> None:
    import tomllib

    config = tomllib.loads((APP.parent / ".streamlit" / "config.toml").read_text())
    assert config["client"]["showErrorDetails"] == "none"
    assert config["server"]["address"] == "127.0.0.1"


def test_graph_page_is_still_the_default_route() -> None:
    """The safety net changes nothing on a good run (the graph page opens with no error)."""
    at = run_graph(new_app())
    assert not at.error


def test_a_batch_too_long_for_a_link_is_offered_as_a_file() -> None:
    from bnviz.limits import URL_MAX_CHARS

    row = ", ".join(["1.234567890123456"] * 16)
    text = "\n".join([row] * 400)
    at = run_graph(new_app({"dist": "custom"}))
    at.sidebar.text_area(key="x_text").set_value(text).run()
    assert_no_breakage(at)
    chars = len(text.replace(", ", "%2C+").replace("\n", "%0A"))
    assert chars > URL_MAX_CHARS
    assert t("url.too_long", "en", chars=chars, limit=URL_MAX_CHARS) in texts(at.sidebar.warning)
    labels = [b.proto.label for b in at.get("download_button")]
    assert t("url.download", "en") in labels
    assert not at.error  # the batch itself is fine


@pytest.mark.parametrize("raw", ["inf", "-inf", "nan", "1e999"])
def test_a_seed_that_is_not_a_number_is_ignored_with_the_notice(raw):
    """Streamlit's number_input reads a bound URL value with int(): "inf" raised OverflowError (the fuzz found it)."""
    at = new_app({"seed": raw})
    at.run()
    assert_ok(at)
    assert at.number_input(key="seed").value == 0
    assert any("seed" in w.value for w in at.warning), [w.value for w in at.warning]
