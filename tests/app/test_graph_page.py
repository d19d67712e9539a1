"""The computation-graph page driven through Streamlit's AppTest.

Expected numbers come from ``app_helpers.batch``/``bn_reference`` (plain NumPy
on the batch the sidebar describes), expected sentences from the text catalog.
"""

from __future__ import annotations

import numpy as np
import pytest
from app_helpers import (
    STEP_KEYS,
    assert_ok,
    batch,
    bn_reference,
    decode,
    folded,
    go_to,
    heading,
    is_paths_chart,
    move,
    new_app,
    open_app,
    plotly_specs,
    run_graph,
    set_widget,
    step_block,
    step_key,
    tables,
    texts,
    upstream,
    values_table,
)
from light_html import formulas

from bnviz.data import MAX_ABS
from bnviz.figures.palette import PATH_MARKS
from bnviz.i18n import t
from bnviz.settings import DEFAULTS, DISTRIBUTIONS, EPS_CHOICES
from bnviz.steps import LABELS

L = LABELS


def close(actual, expected, **kw) -> None:
    kw.setdefault("rtol", 1e-9)
    kw.setdefault("atol", 1e-12)
    np.testing.assert_allclose(np.asarray(actual, dtype=float), np.asarray(expected, dtype=float), **kw)


def close_feature(actual, expected, **kw) -> None:
    """Feature 1 of ``expected`` shown: (m, D) -> its first column; (D,) -> every row shows [0]."""
    expected = np.asarray(expected, dtype=float)
    actual = np.asarray(actual, dtype=float)
    assert actual.size >= 1
    close(actual, expected[:, 0] if expected.ndim == 2 else np.full(actual.shape, expected[0]), **kw)


def col(at, key: str) -> np.ndarray:
    """A column of the live-values table by value id (its label from bnviz.steps.LABELS)."""
    table = values_table(at)
    assert L[key] in table.columns, f"{L[key]!r} not in {list(table.columns)}"
    return table[L[key]].to_numpy(dtype=float)


def default_ref(**kw):
    x = batch()
    return x, bn_reference(x, upstream(x), **kw)


def assert_stopped_with(at, message: str, lang: str) -> None:
    """The page shows exactly ``message`` as an error, the fix hint, and nothing after it."""
    assert_ok(at)
    assert texts(at.error) == [message]
    assert t("page.graph.fix_input", lang) in texts(at.info)
    assert at.title[0].value == t("page.graph.title", lang)
    assert len(formulas(at)) == 0 and len(tables(at)) == 0
    # the sidebar keeps working
    assert at.sidebar.slider(key="m") is not None and at.sidebar.selectbox(key="dist") is not None


# --------------------------------------------------------------------------- opening


def test_app_opens(lang):
    at = open_app(lang)
    assert [e.value for e in at.title] == [t("page.graph.title", lang)]
    assert t("sidebar.header", lang) in texts(at.sidebar.header)
    assert step_key(at) == STEP_KEYS[0]
    assert len(formulas(at)) >= 1
    assert not at.error
    assert at.session_state["lang"] == lang


def test_language_switch_keeps_settings_and_step():
    at = open_app("en")
    set_widget(at, "slider", "m", 5)
    go_to(at, "backward.dvar")
    set_widget(at, "segmented_control", "lang", "zh")
    assert at.title[0].value == t("page.graph.title", "zh")
    assert step_key(at) == "backward.dvar"
    assert t("step.backward.dvar.title", "zh") in heading(at)
    assert at.session_state["m"] == 5
    go_to(at, "forward.x")
    close(col(at, "x"), batch(m=5)[:, 0])


# --------------------------------------------------------------------------- stepping


def test_next_and_prev_walk_every_step(lang):
    at = open_app(lang)
    visited = [step_key(at)]
    for _ in range(len(STEP_KEYS)):  # one click more than needed: Next stops at the last step
        move(at, 1)
        assert_ok(at)
        visited.append(step_key(at))
        key = visited[-1]
        phase, _ = key.split(".")
        sub = heading(at)
        assert t(f"step.{key}.title", lang) in sub and t(f"page.graph.{phase}", lang) in sub
        assert len(formulas(at)) >= 1
        specs = plotly_specs(step_block(at))  # every figure's JSON parses
        assert specs and all("data" in s for s in specs)
        assert any(is_paths_chart(s) for s in specs) == (key == "backward.dx")
    assert visited == STEP_KEYS + [STEP_KEYS[-1]]

    back = []
    for _ in range(len(STEP_KEYS)):
        move(at, -1)
        assert_ok(at)
        back.append(step_key(at))
        assert t(f"step.{back[-1]}.title", lang) in heading(at)
        assert len(formulas(at)) >= 1
    assert back == STEP_KEYS[-2::-1] + [STEP_KEYS[0]]


def test_step_widget_jumps():
    at = open_app("en")
    for key in ("backward.closed", "forward.var", "backward.dx"):
        go_to(at, key)
        assert t(f"step.{key}.title", "en") in heading(at)
    move(at, 1)
    assert step_key(at) == "backward.closed"


# --------------------------------------------------------------------------- values shown


FORWARD_VALUES = [
    ("forward.x", "x", lambda x, r: x),
    ("forward.mu", "mu", lambda x, r: r["mu"]),
    ("forward.xc", "xc", lambda x, r: x - r["mu"]),
    ("forward.var", "var", lambda x, r: r["var"]),
    ("forward.std", "std", lambda x, r: r["std"]),
    ("forward.xhat", "xhat", lambda x, r: r["xhat"]),
    ("forward.y", "y", lambda x, r: r["y"]),
]


@pytest.mark.parametrize("step,value,expect", FORWARD_VALUES, ids=[s for s, *_ in FORWARD_VALUES])
def test_forward_values_match_numpy(step, value, expect):
    at = open_app("en")
    go_to(at, step)
    x, ref = default_ref()
    close_feature(col(at, value), expect(x, ref))


def test_mean_is_numpy_mean_of_feature_1():
    at = open_app("en")
    go_to(at, "forward.mu")
    x = np.random.default_rng(0).standard_normal((8, 3))
    mu = col(at, "mu")
    assert len(mu) == 8
    close(mu, np.full(8, x[:, 0].mean()))


def _backward_reference(x, dout, gamma=1.0, eps=1e-5):
    """Every staged gradient of BN, by hand, one formula each."""
    m = x.shape[0]
    mu = x.mean(0)
    xc = x - mu
    var = (xc**2).mean(0)
    std = np.sqrt(var + eps)
    dxhat = gamma * dout
    dstd = -(dxhat * xc).sum(0) / std**2
    dvar = dstd / (2 * std)
    dxc = dxhat / std + dvar * 2 * xc / m
    dmu = -dxc.sum(0)
    return {"dxhat": dxhat, "dstd": dstd, "dvar": dvar, "dxc": dxc, "dmu": dmu}


BACKWARD_VALUES = [
    ("backward.dy", "dout", lambda r, x, g: g),
    ("backward.dxhat", "dxhat", lambda r, x, g: r["dxhat"]),
    ("backward.dstd", "dstd", lambda r, x, g: r["dstd"]),
    ("backward.dvar", "dvar", lambda r, x, g: r["dvar"]),
    ("backward.dxc", "dxc", lambda r, x, g: r["dxc"]),
    ("backward.dmu", "dmu", lambda r, x, g: r["dmu"]),
]


@pytest.mark.parametrize("step,value,expect", BACKWARD_VALUES, ids=[s for s, *_ in BACKWARD_VALUES])
def test_backward_values_match_numpy(step, value, expect):
    at = open_app("en")
    go_to(at, step)
    x = batch()
    g = upstream(x)
    close_feature(col(at, value), expect(_backward_reference(x, g), x, g), rtol=1e-12)


def test_parameter_gradients():
    at = open_app("en")
    go_to(at, "backward.dparams")
    _, ref = default_ref()
    close(col(at, "dgamma"), np.full(8, ref["dgamma"][0]))
    close(col(at, "dbeta"), np.full(8, ref["dbeta"][0]))


def test_dx_paths_sum_to_dx_in_table_and_chart(lang):
    at = open_app(lang)
    go_to(at, "backward.dx")
    _, ref = default_ref()
    dx = col(at, "dx")
    close(dx, ref["dx"][:, 0], rtol=1e-12)
    paths = [col(at, f"dx_{p}") for p in ("xhat", "var", "mu")]
    assert all(np.any(p != 0) for p in paths)  # three real contributions, not one
    close(sum(paths), dx, atol=1e-12)

    charts = [s for s in plotly_specs(step_block(at)) if is_paths_chart(s)]
    assert len(charts) == 1
    bars = [decode(tr["y"]) for tr in charts[0]["data"] if tr["type"] == "bar"]
    total = next(decode(tr["y"]) for tr in charts[0]["data"] if tr["type"] == "scatter")
    close(total, ref["dx"][:, 0], rtol=1e-12)
    close(sum(bars), total, atol=1e-12)
    names = {tr["name"] for tr in charts[0]["data"]}
    # each path's legend name: its number (as on the diagram's edges) and its catalog name
    assert {f"{PATH_MARKS[p]} {t(f'page.graph.path_{p}', lang)}" for p in ("xhat", "var", "mu")} <= names


def test_closed_form_equals_staged():
    at = open_app("en")
    go_to(at, "backward.closed")
    _, ref = default_ref()
    close(col(at, "dx_closed"), ref["dx"][:, 0], rtol=1e-12)
    close(col(at, "dx"), col(at, "dx_closed"), rtol=1e-10, atol=1e-14)


def test_heatmap_shows_the_whole_batch():
    at = open_app("en")
    x = batch()
    heat = [s for s in plotly_specs(step_block(at)) if s["data"][0].get("type") == "heatmap"]
    assert len(heat) == 1
    close(decode(heat[0]["data"][0]["z"]), x)


def test_decode_handles_plotly_base64():
    import plotly.graph_objects as go

    z = np.arange(6.0).reshape(2, 3)
    encoded = go.Figure(go.Heatmap(z=z)).to_plotly_json()["data"][0]["z"]
    assert isinstance(encoded, dict) and "bdata" in encoded  # Plotly 7's typed-array form
    close(decode(encoded), z)
    close(decode([[0, 1, 2], [3, 4, 5]]), z)


# --------------------------------------------------------------------------- sidebar widgets


def test_m_slider():
    at = open_app("en")
    set_widget(at, "slider", "m", 5)
    assert at.slider(key="m").value == 5
    close(col(at, "x"), batch(m=5)[:, 0])
    set_widget(at, "slider", "m", 512)
    close(col(at, "x"), batch(m=512)[:32, 0])  # a long batch: its first 32 samples on screen


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_long_batch_shows_its_first_32_samples_and_says_so(lang):
    """m = 512: the table, the heatmap and the paths chart show samples 1-32, computed on the whole batch
    (the mean is all 512 samples'), with the catalog's sentence; the downloads keep every number."""
    m = 512
    at = open_app(lang, {"m": str(m), "d": "4"})
    x = batch(m=m, d=4)
    go_to(at, "forward.xc")
    close(col(at, "xc"), x[:32, 0] - x[:, 0].mean(), rtol=1e-12)
    html = _unescaped(step_block(at))
    assert t("table.rows_shown", lang, shown=32, total=m) in html
    heat = next(s for s in plotly_specs(step_block(at)) if s["data"][0].get("type") == "heatmap")
    close(decode(heat["data"][0]["z"]), (x - x.mean(axis=0))[:32])
    go_to(at, "backward.dx")
    paths = next(s for s in plotly_specs(step_block(at)) if is_paths_chart(s))
    ys = [tr["y"] for tr in paths["data"] if "y" in tr]
    assert ys and all(len(y) == 32 for y in ys), [len(y) for y in ys]
    assert len(values_table(at)) == 32


def _unescaped(view) -> str:
    import html

    return html.unescape(view.children[0].value)


def test_d_slider_and_feature_picker():
    at = open_app("en")
    set_widget(at, "slider", "d", 5)
    x = batch(d=5)
    assert len(at.selectbox(key="feature").options) == 5
    heat = next(s for s in plotly_specs(step_block(at)) if s["data"][0].get("type") == "heatmap")
    close(decode(heat["data"][0]["z"]), x)
    go_to(at, "forward.mu")
    set_widget(at, "selectbox", "feature", 3)
    close(col(at, "mu"), np.full(8, x[:, 3].mean()))
    set_widget(at, "slider", "d", 2)  # the chosen feature no longer exists
    x = batch(d=2)
    mu = col(at, "mu")
    assert any(np.allclose(mu, x[:, j].mean(), rtol=1e-12) for j in range(2)), mu
    set_widget(at, "slider", "d", 1)  # no picker, no heatmap
    close(col(at, "mu"), np.full(8, batch(d=1)[:, 0].mean()))
    assert not any(s["data"][0].get("type") == "heatmap" for s in plotly_specs(step_block(at)))


def test_gamma_and_beta_sliders():
    at = open_app("en")
    go_to(at, "forward.y")
    set_widget(at, "slider", "gamma", 2.5)
    set_widget(at, "slider", "beta", -1.2)
    x = batch()
    ref = bn_reference(x, upstream(x), gamma=2.5, beta=-1.2)
    close(col(at, "gamma"), np.full(8, 2.5))
    close(col(at, "beta"), np.full(8, -1.2))
    close(col(at, "y"), ref["y"][:, 0])
    go_to(at, "backward.dx")
    close(col(at, "dx"), ref["dx"][:, 0], rtol=1e-12)


def test_eps_options_are_the_settings_choices():
    at = open_app("en")
    assert len(at.select_slider(key="eps").options) == len(EPS_CHOICES)
    assert at.select_slider(key="eps").value == DEFAULTS.eps


@pytest.mark.parametrize("eps", [0.0, 1e-1, 1.0])
def test_eps_select_slider(eps):
    at = open_app("en")
    go_to(at, "forward.std")
    set_widget(at, "select_slider", "eps", eps)
    assert at.select_slider(key="eps").value == eps
    x = batch()
    close_feature(col(at, "std"), np.sqrt(x.var(axis=0) + eps))
    go_to(at, "backward.dx")
    close(col(at, "dx"), bn_reference(x, upstream(x), eps=eps)["dx"][:, 0], rtol=1e-12)


def test_seed_number_input():
    at = open_app("en")
    set_widget(at, "number_input", "seed", 42)
    assert at.number_input(key="seed").value == 42
    close(col(at, "x"), batch(seed=42)[:, 0])
    assert not np.allclose(col(at, "x"), batch(seed=0)[:, 0])
    go_to(at, "backward.dy")
    close(col(at, "dout"), upstream(batch(seed=42), seed=42)[:, 0])


@pytest.mark.parametrize("dist", [d for d in DISTRIBUTIONS if d != "custom"])
def test_dist_selectbox(dist):
    at = open_app("en")
    set_widget(at, "selectbox", "dist", dist)
    assert at.selectbox(key="dist").value == dist
    close(col(at, "x"), batch(dist=dist)[:, 0])


def test_upstream_selectbox():
    at = open_app("en")
    go_to(at, "backward.dy")
    close(col(at, "dout"), upstream(batch())[:, 0])
    set_widget(at, "selectbox", "upstream", "ones")
    close(col(at, "dout"), np.ones(8))
    go_to(at, "backward.dx")
    x = batch()
    close(col(at, "dx"), bn_reference(x, np.ones_like(x))["dx"][:, 0], atol=1e-12)


def test_custom_x_and_dout():
    at = open_app("en")
    set_widget(at, "selectbox", "dist", "custom")
    set_widget(at, "text_area", "x_text", "1, 2\n3, 5\n4, 0")
    set_widget(at, "selectbox", "upstream", "custom")
    set_widget(at, "text_area", "dout_text", "1 0\n0 1\n-1 1")
    x = np.array([[1.0, 2], [3, 5], [4, 0]])
    g = np.array([[1.0, 0], [0, 1], [-1, 1]])
    assert not at.error
    go_to(at, "forward.mu")
    close(col(at, "mu"), np.full(3, 8 / 3))
    go_to(at, "backward.dy")
    close(col(at, "dout"), g[:, 0])
    go_to(at, "backward.dx")
    close(col(at, "dx"), bn_reference(x, g)["dx"][:, 0], rtol=1e-12)


# --------------------------------------------------------------------------- URL


def test_url_written_by_the_app_reopens_the_view():
    """Whatever the app writes to the URL for the step reopens that step (with m from the URL)."""
    at = open_app("en")
    while step_key(at) != "backward.dvar":
        move(at, 1)
    assert "step" in at.query_params
    url = {"m": "5", "step": at.query_params["step"]}
    again = run_graph(new_app(url))
    assert_ok(again)
    assert again.session_state["m"] == 5 and step_key(again) == "backward.dvar"
    assert t("step.backward.dvar.title", "en") in heading(again)
    x = batch(m=5)
    close_feature(col(again, "dvar"), _backward_reference(x, upstream(x))["dvar"], rtol=1e-12)


def test_url_opens_the_view_from_the_brief():
    """?m=5&step=<step 13>&lang=zh opens batch size 5, step backward.dvar, in Chinese.

    The step is given as the app writes it; lang as its code "zh" (Settings.lang).
    """
    at = open_app("en")
    go_to(at, "backward.dvar")
    move(at, -1)
    move(at, 1)  # a session-side change: the app writes the URL
    step = at.query_params["step"]
    again = run_graph(new_app({"m": "5", "step": step, "lang": "zh"}))
    assert_ok(again)
    assert again.session_state["m"] == 5
    assert step_key(again) == "backward.dvar"
    assert again.title[0].value == t("page.graph.title", "zh"), "?lang=zh did not open the Chinese page"


@pytest.mark.parametrize("name,code", [("lang", "zh"), ("dist", "uniform"), ("upstream", "ones")])
def test_url_takes_setting_codes(name, code):
    """A URL parameter holds the setting's value (as in bnviz.settings), not a translated label.

    Guards against a Streamlit 1.67 trap: a bound widget with a format_func is serialized by its
    *formatted* option, so the URL would read ?lang=简体中文 and drop ?lang=zh as invalid.
    """
    at = run_graph(new_app({name: code}))
    assert_ok(at)
    assert at.session_state[name] == code, f"?{name}={code} was ignored"


@pytest.mark.parametrize("query", [
    {"m": "9999"}, {"m": "abc"}, {"m": "0"}, {"d": "17"}, {"gamma": "nan"}, {"beta": "inf"},
    {"eps": "0.5"}, {"seed": "-1"}, {"dist": "bogus"}, {"upstream": ""}, {"step": "999"}, {"step": "x"},
    {"lang": "fr"}, {"feature": "7"},
])
def test_bad_url_values_are_ignored(query):
    at = run_graph(new_app(query))
    assert_ok(at)
    assert at.title[0].value == t("page.graph.title", "en")
    for name in ("m", "d", "gamma", "beta", "eps", "seed", "dist", "upstream"):
        assert at.session_state[name] == getattr(DEFAULTS, name)
    assert step_key(at) == STEP_KEYS[0]
    assert len(formulas(at)) >= 1 and not at.error


# --------------------------------------------------------------------------- edge cases


def test_m_equals_1(lang):
    at = open_app(lang)
    set_widget(at, "slider", "m", 1)
    assert t("note.m1", lang) in texts(at.warning)
    go_to(at, "backward.dx")
    dx = col(at, "dx")
    assert len(dx) == 1
    assert np.all(np.abs(dx) < 1e-9)
    go_to(at, "forward.xhat")
    assert np.all(col(at, "xhat") == 0)


def test_m_equals_1_with_eps_0(lang):
    at = open_app(lang)
    set_widget(at, "slider", "m", 1)
    set_widget(at, "select_slider", "eps", 0.0)
    assert_stopped_with(at, t("error.m1_eps0", lang), lang)


def test_constant_column_with_eps_0_then_eps_back(lang):
    at = open_app(lang)
    set_widget(at, "select_slider", "eps", 0.0)
    set_widget(at, "selectbox", "dist", "custom")
    set_widget(at, "text_area", "x_text", "1, 2\n1, 3\n1, 4")
    assert_stopped_with(at, t("error.const_eps0", lang, cols="1"), lang)

    set_widget(at, "select_slider", "eps", 1e-5)
    assert not at.error
    assert t("note.const", lang, cols="1") in texts(at.warning)
    assert len(formulas(at)) >= 1 and len(tables(at)) >= 1
    move(at, 1)
    assert_ok(at)
    assert step_key(at) == STEP_KEYS[1]
    # the values shown are BN's: x̂ = 0 in the constant column, ∂L/∂x = γ/√ε · (∂L/∂y − mean ∂L/∂y)
    x = np.array([[1.0, 2], [1, 3], [1, 4]])
    ref = bn_reference(x, upstream(x))
    go_to(at, "forward.xhat")
    assert np.all(col(at, "xhat") == 0)
    go_to(at, "backward.dx")
    close(col(at, "dx"), ref["dx"][:, 0], rtol=1e-12)


def test_constant_column_note_agrees_with_the_values_shown(lang):
    """The note for a constant column must not claim a gradient the page contradicts.

    x̂ is 0 in a constant column, but with ε > 0 and a non-constant ∂L/∂y,
    ∂L/∂x = γ/√ε · (∂L/∂y − mean ∂L/∂y) ≠ 0: a first-order nudge δ of one x_k moves
    x̂_k by (1 − 1/m)·δ/√ε (the variance moves only by δ²). Only m = 1 (note.m1)
    makes ∂L/∂x vanish. (An earlier note.const said "∂L/∂x = 0 for that feature".)
    """
    at = open_app(lang)
    set_widget(at, "selectbox", "dist", "custom")
    set_widget(at, "text_area", "x_text", "1, 2\n1, 3\n1, 4")
    note = t("note.const", lang, cols="1")
    assert note in texts(at.warning)
    assert "∂L/∂x = 0" not in note, f"note.const ({lang}) claims ∂L/∂x = 0 for a constant feature: {note}"
    go_to(at, "backward.dx")
    dx = col(at, "dx")
    ref = bn_reference(np.array([[1.0, 2], [1, 3], [1, 4]]), upstream(np.array([[1.0, 2], [1, 3], [1, 4]])))
    close(dx, ref["dx"][:, 0], rtol=1e-12)
    assert np.any(np.abs(dx) > 1e-6), f"a constant column with ε > 0 has ∂L/∂x ≠ 0, the page shows {dx}"


BAD_X = [
    ("1, a", "error.not_number", {"token": "a", "row": 1}),
    ("1, 2\n3", "error.ragged", {"first": 2, "row": 2, "other": 1}),
    ("nan, 1\n2, 3", "error.not_finite", {"token": "nan", "row": 1}),
    ("1, 2\n3, inf", "error.not_finite", {"token": "inf", "row": 2}),
    ("1, 2\n-Infinity, 3", "error.not_finite", {"token": "-Infinity", "row": 2}),
    (", ,\n1, 2", "error.row_empty", {"row": 1}),
    ("1e308, 1\n-1e308, 2", "error.too_large", {"limit": f"{MAX_ABS:.0e}"}),
    ("", "error.empty", {}),
    ("  \n \n", "error.empty", {}),
]


BAD_X_IDS = ["letter", "ragged", "nan", "inf", "-inf", "commas-only", "huge", "empty", "blank"]


@pytest.mark.parametrize("text,key,fields", BAD_X, ids=BAD_X_IDS)
def test_bad_custom_x(lang, text, key, fields):
    at = open_app(lang)
    set_widget(at, "selectbox", "dist", "custom")
    set_widget(at, "text_area", "x_text", text)
    assert_stopped_with(at, t(key, lang, what="x", **fields), lang)
    # fixing the input brings the page back
    set_widget(at, "text_area", "x_text", "1, 2\n3, 5")
    assert not at.error and len(formulas(at)) >= 1


def test_custom_dout_of_the_wrong_shape(lang):
    at = open_app(lang)
    set_widget(at, "selectbox", "upstream", "custom")
    set_widget(at, "text_area", "dout_text", "1, 0\n0, 1\n-1, 1")
    assert_stopped_with(at, t("error.dout_shape", lang, x=str((8, 3)), dout=str((3, 2))), lang)
    set_widget(at, "text_area", "dout_text", "1, b")
    assert_stopped_with(at, t("error.not_number", lang, what="dout", token="b", row=1), lang)
    set_widget(at, "slider", "m", 1)
    set_widget(at, "slider", "d", 2)
    set_widget(at, "text_area", "dout_text", "0.5, -2")
    assert not at.error
    go_to(at, "backward.dy")
    close(col(at, "dout"), [0.5])


# --------------------------------------------------------------------------- folded tables


def test_three_forms_and_gradient_check(lang):
    at = open_app(lang)
    forms = tables(folded(at, "page.graph.forms_title", lang))[0]
    diffs = forms[t("page.graph.max_diff", lang)].astype(float)
    assert len(diffs) == 3  # three pairs of three forms
    assert (diffs < 1e-12).all(), diffs

    check = tables(folded(at, "page.graph.gradcheck_title", lang))[0]
    assert len(check) >= 3
    quantities = set(check[t("page.graph.quantity", lang)])
    assert {L["dx"], L["dgamma"], L["dbeta"]} <= quantities
    verdicts = check[t("page.graph.verdict", lang)]
    assert (verdicts == t("page.graph.pass", lang)).all(), list(verdicts)
    assert (check[t("page.graph.rel_error", lang)].astype(float) < 1e-8).all()
