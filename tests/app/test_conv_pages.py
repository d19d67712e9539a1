"""The conv and pooling pages under Streamlit's AppTest: every control moved, both languages, bad input.

Expected numbers are computed here with PyTorch from arrays drawn the way the
page says it draws them (NumPy's generator seeded with the sidebar's seed:
x, w, b, dout in that order; pool: x, dout), and every sentence is read from
the text catalog. Both pages step on the one stepper (ui/stepper.py): every step
is drawn into its own container, the browser shows one; here steps are moved
through the URL (``?conv_step=n``, as the browser's stepper writes it) and only
what the current step shows is read (``app_helpers.shown``).
"""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
import torch.nn.functional as tF
from app_helpers import APP, assert_ok, decode, go_to_number, heading, move, shown, stepper_data
from light_html import captions, notes, shown_formulas
from streamlit.testing.v1 import AppTest

from bnviz.i18n import catalog, t
from bnviz.numfmt import fmt

CONV, POOL = "pages/conv_page.py", "pages/pool_page.py"
CONV_STEPS = ("forward", "dw", "rotate", "dilate", "slide", "scatter", "channels")
POOL_STEPS = ("forward", "backward", "compare")


def open_page(page: str, lang: str = "en", query: dict[str, str] | None = None) -> AppTest:
    """app.py run once (it draws the sidebar), then switched to ``page``; lang set in the URL first."""
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.query_params["lang"] = lang
    for k, v in (query or {}).items():
        at.query_params[k] = v
    at.run()
    assert_ok(at)
    at.switch_page(page).run()
    assert_ok(at)
    return at


def specs(at: AppTest) -> list[dict]:
    """The figures the current step shows (the other steps' are on the page, hidden)."""
    return [json.loads(c.proto.spec) for c in shown(at, "plotly_chart")]


def run(widget) -> AppTest:
    at = widget.run()
    assert_ok(at)
    assert not at.error, [e.value for e in at.error]
    return at


def title(at: AppTest) -> str:
    """The stepper's title line of the current step ("<phase> · <title>")."""
    return heading(at)


def grids(spec: dict) -> list[np.ndarray]:
    """The numeric heatmaps of a figure (the ones that print their values)."""
    return [decode_2d(tr["z"]) for tr in spec["data"] if tr["type"] == "heatmap"
            and tr.get("texttemplate") == "%{z:.3~f}"]


def decode_2d(z) -> np.ndarray:
    if isinstance(z, dict):
        return decode(z)
    return np.array([[np.nan if v is None else v for v in row] for row in z], dtype=float)


def drawn_conv(seed: int, size: int, filt: int, stride: int, pad: int, cin: int, cout: int):
    """The page's random small integers, drawn independently, and PyTorch's conv2d of them."""
    rng = np.random.default_rng(seed)
    ho = (size + 2 * pad - filt) // stride + 1
    x = rng.integers(-2, 3, size=(1, cin, size, size)).astype(float)
    w = rng.integers(-2, 3, size=(cout, cin, filt, filt)).astype(float)
    b = rng.integers(-2, 3, size=(cout,)).astype(float)
    dout = rng.integers(-2, 3, size=(1, cout, ho, ho)).astype(float)
    tx, tw, tb = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
    out = tF.conv2d(tx, tw, tb, stride=stride, padding=pad)
    (out * torch.tensor(dout)).sum().backward()
    return out.detach().numpy(), tx.grad.numpy(), tw.grad.numpy()


def go_to(at: AppTest, n: int, key: str = "conv_step") -> AppTest:
    return go_to_number(at, n, key)


# -------------------------------------------------------------------- conv --


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_conv_page_walks_every_step_in_the_language(lang):
    at = open_page(CONV, lang)
    assert at.title[0].value == t("page.conv.title", lang)
    assert stepper_data(at)["param"] == "conv_step" and stepper_data(at)["total"] == len(CONV_STEPS)
    for n, name in enumerate(CONV_STEPS, start=1):
        if n > 1:
            move(at, 1)
        assert title(at).endswith(t(f"step.conv.{name}.title", lang))
        charts = specs(at)
        assert len(charts) == (2 if name in ("channels", "scatter") else 1)
        for spec in charts:
            assert spec["frames"], name
            buttons = spec["layout"]["updatemenus"][0]["buttons"]
            assert [b["label"] for b in buttons] == [t("page.conv.play", lang), t("page.conv.pause", lang)]
        assert notes(at)[-1].startswith(catalog()[f"step.conv.{name}.note"][lang].split("{")[0])
    move(at, -1)
    assert title(at).endswith(t("step.conv.scatter.title", lang))
    assert notes(at, "success") == [t("page.conv.agree", lang, diff=fmt(0.0))]


def test_conv_forward_figure_matches_torch_and_every_slider_moves():
    at = open_page(CONV)
    out, _, _ = drawn_conv(0, 4, 2, 1, 0, 1, 1)
    last = grids(specs(at)[0])[-1]  # frame 1: only O[1, 1] revealed
    assert last[0, 0] == out[0, 0, 0, 0] and np.isnan(last[1, 1])
    for key, value in (("conv_size", 5), ("conv_filt", 3), ("conv_stride", 2), ("conv_pad", 1), ("conv_cin", 3),
                       ("conv_cout", 2)):
        run(at.slider(key=key).set_value(value))
        assert at.slider(key=key).value == value
    out, dx, dw = drawn_conv(0, 5, 3, 2, 1, 3, 2)
    assert t("page.conv.shapes", "en", c=3, h=5, w=5, hp=7, wp=7, f=2, hh=3, ww=3, ho=3, wo=3) in \
        captions(at)
    run(at.selectbox(key="conv_f").set_value(1))
    run(at.segmented_control(key="conv_mode").set_value("step"))
    total = 9
    for _ in range(total - 1):
        run(at.button(key="conv_forward_frame_next").click())  # each step has its own frame stepper
    assert t("page.conv.frame_of", "en", n=total, total=total) in captions(at)
    o = grids(specs(at)[0])[-1]
    assert np.max(np.abs(o - out[0, 1])) < 1e-12  # every cell of O[f = 2] now shown, equal to PyTorch
    run(at.button(key="conv_forward_frame_prev").click())
    assert t("page.conv.frame_of", "en", n=total - 1, total=total) in captions(at)
    go_to(at, 5)  # slide: ∂L/∂X_pad of channel c
    assert t("page.conv.frame_of", "en", n=1, total=50) in captions(at)  # its own frames, from 1
    run(at.selectbox(key="conv_c").set_value(2))
    run(at.slider(key="conv_slide_frame").set_value(10**0))
    go_to(at, 6)  # scatter, last frame (the crop): ∂L/∂X[c = 3]
    frames = specs(at)
    assert frames
    run(at.segmented_control(key="conv_mode").set_value("play"))
    spec = specs(at)[0]
    last = spec["frames"][-1]
    heat = [d for d in last["data"] if d["type"] == "heatmap"]
    z = decode_2d(heat[0]["z"])
    assert np.max(np.abs(z[1:-1, 1:-1] - dx[0, 2])) < 1e-12
    go_to(at, 2)  # dL/dF of (f = 2, c = 3): its last frame holds all of dw[1, 2]
    z = decode_2d([d for d in specs(at)[0]["frames"][-1]["data"] if d["type"] == "heatmap"][0]["z"])
    assert np.max(np.abs(z - dw[1, 2])) < 1e-12


def test_conv_value_modes_and_typed_input():
    at = open_page(CONV)
    run(at.segmented_control(key="conv_values").set_value("decimals"))
    assert any("." in line for line in shown_formulas(at))
    run(at.segmented_control(key="conv_values").set_value("typed"))
    assert {w.key for w in at.text_area} >= {"conv_x_text", "conv_w_text", "conv_dout_text"}
    assert "conv_size" not in {w.key for w in at.slider}
    at.text_area(key="conv_x_text").input("1 2 0\n0 1 3\n2 2 1")
    at.text_area(key="conv_w_text").input("1 0\n0 -1")
    at.text_area(key="conv_dout_text").input("1 0\n0 2")
    run(at.text_input(key="conv_b_text").input("0.5"))
    x = torch.tensor([[[[1.0, 2, 0], [0, 1, 3], [2, 2, 1]]]], dtype=torch.float64)
    w = torch.tensor([[[[1.0, 0], [0, -1]]]], dtype=torch.float64)
    expected = tF.conv2d(x, w, torch.tensor([0.5], dtype=torch.float64)).numpy()
    run(at.segmented_control(key="conv_mode").set_value("step"))
    for _ in range(3):
        run(at.button(key="conv_forward_frame_next").click())
    assert np.max(np.abs(grids(specs(at)[0])[-1] - expected[0, 0])) < 1e-12


def test_conv_stride_that_does_not_divide_is_floored_like_torch_and_the_dropped_cells_are_shown():
    at = open_page(CONV)
    run(at.slider(key="conv_filt").set_value(3))
    run(at.slider(key="conv_stride").set_value(2))  # (4 − 3) / 2 is not whole: PyTorch floors, H' = 1
    out, _, _ = drawn_conv(0, 4, 3, 2, 0, 1, 1)
    assert out.shape == (1, 1, 1, 1)
    assert t("page.conv.shapes", "en", c=1, h=4, w=4, hp=4, wp=4, f=1, hh=3, ww=3, ho=1, wo=1) in \
        captions(at)
    assert t("step.conv.dropped_note.one", "en", dr=1, dc=1) in notes(at)[-1]
    marks = [tr for tr in specs(at)[0]["data"] if tr["type"] == "scatter" and tr.get("text", [""])[:1] == ["×"]]
    assert marks and len(marks[0]["text"]) == 7  # the last row and column of the 4 × 4 input


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_conv_bad_input_shows_the_catalog_sentence_and_recovers(lang):
    at = open_page(CONV, lang)
    at.segmented_control(key="conv_values").set_value("typed").run()
    at.text_area(key="conv_x_text").input("1 2\n3 4").run()
    at.text_area(key="conv_w_text").input("1 0 1\n0 1 0\n1 0 1").run()
    assert_ok(at)
    want = t("error.conv.filter_too_big", lang, dim="H", kdim="HH", size=2, pad=0, k=3, span=2)
    assert [e.value for e in at.error] == [want]
    assert at.info[-1].value == t("page.conv.fix_input", lang)
    assert not at.get("plotly_chart") and not at.get("bidi_component")  # the page stopped before the stepper
    at.text_area(key="conv_dout_text").input("1 0\n0 1")
    run(at.slider(key="conv_pad").set_value(1))  # 2 + 2 = 4 ≥ 3: fits again, O is 2 × 2
    assert specs(at)
    at.segmented_control(key="conv_values").set_value("typed").run()
    at.text_area(key="conv_x_text").input("1 2\nabc 4").run()
    assert_ok(at)
    assert [e.value for e in at.error] == [t("error.not_number", lang, what="X", token="abc", row=2)]
    at.text_area(key="conv_x_text").input("1 2\n3 4\n\n1 2 3\n4 5 6").run()
    assert [e.value for e in at.error] == [t("error.conv.typed_block_shape", lang, what="X", n=2, got="2 × 3",
                                            want="2 × 2")]


# -------------------------------------------------------------------- pool --


def drawn_pool(seed: int, size: int, k: int, s: int, kind: str):
    rng = np.random.default_rng(seed)
    ho = (size - k) // s + 1
    x = rng.integers(-2, 3, size=(1, 1, size, size)).astype(float)
    dout = rng.integers(-2, 3, size=(1, 1, ho, ho)).astype(float)
    tx = torch.tensor(x, requires_grad=True)
    out = (tF.max_pool2d if kind == "max" else tF.avg_pool2d)(tx, k, s)
    (out * torch.tensor(dout)).sum().backward()
    return out.detach().numpy(), tx.grad.numpy()


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_pool_page_walks_every_step_in_the_language(lang):
    at = open_page(POOL, lang)
    assert at.title[0].value == t("page.pool.title", lang)
    assert t("page.pool.tie_rule", lang) in notes(at)
    for n, name in enumerate(POOL_STEPS, start=1):
        if n > 1:
            move(at, 1, "pool_step")
        want = t(f"step.pool.{name}.title_max", lang) if name != "compare" else t("step.pool.compare.title", lang)
        assert title(at).endswith(want)
        assert len(specs(at)) == (2 if name == "compare" else 1)
    out_max, dx_max = drawn_pool(0, 4, 2, 2, "max")
    _, dx_avg = drawn_pool(0, 4, 2, 2, "avg")
    fmt = lambda v: f"{v:g}".replace("-", "−")  # noqa: E731
    assert notes(at, "success")[0] == t("page.pool.sums", lang, max=fmt(dx_max.sum()), avg=fmt(dx_avg.sum()),
                                    total=fmt(dx_max.sum()))
    for spec, dx in zip(specs(at), (dx_max, dx_avg), strict=True):
        z = [decode_2d(d["z"]) for d in spec["frames"][-1]["data"] if d["type"] == "heatmap"][0]
        assert np.max(np.abs(z - dx[0, 0])) < 1e-12


def test_pool_every_control_moves_and_matches_torch():
    at = open_page(POOL)
    for key, value in (("pool_stride", 1), ("pool_window", 3), ("pool_size", 7)):
        run(at.slider(key=key).set_value(value))
    run(at.segmented_control(key="pool_kind").set_value("avg"))
    move(at, 1, "pool_step")
    out, dx = drawn_pool(0, 7, 3, 1, "avg")
    z = [decode_2d(d["z"]) for d in specs(at)[0]["frames"][-1]["data"] if d["type"] == "heatmap"][0]
    assert np.max(np.abs(z - dx[0, 0])) < 1e-12
    assert t("step.pool.overlap_note", "en", S=1, K=3) in notes(at)[-1]
    run(at.segmented_control(key="pool_mode").set_value("step"))
    run(at.button(key="pool_backward_frame_next").click())
    assert t("page.conv.frame_of", "en", n=2, total=25) in captions(at)
    assert len(shown_formulas(at)) > 2
    run(at.segmented_control(key="pool_values").set_value("decimals"))
    run(at.segmented_control(key="pool_values").set_value("typed"))
    at.text_area(key="pool_x_text").input("1 3 3 0\n3 2 1 3\n0 0 0 0\n0 0 0 5")
    at.text_area(key="pool_dout_text").input("1 2\n3 4")
    at.slider(key="pool_window").set_value(2)
    run(at.slider(key="pool_stride").set_value(2))
    run(at.segmented_control(key="pool_kind").set_value("max"))
    run(at.segmented_control(key="pool_mode").set_value("play"))
    z = [decode_2d(d["z"]) for d in specs(at)[0]["frames"][-1]["data"] if d["type"] == "heatmap"][0]
    # three windows tie; in each the first maximum in row-major order gets the whole gradient
    assert z.tolist() == [[0, 1, 2, 0], [0, 0, 0, 0], [3, 0, 0, 0], [0, 0, 0, 4]]
    tx = torch.tensor([[[[1.0, 3, 3, 0], [3, 2, 1, 3], [0, 0, 0, 0], [0, 0, 0, 5]]]], requires_grad=True)
    (tF.max_pool2d(tx, 2, 2) * torch.tensor([[[[1.0, 2], [3, 4]]]])).sum().backward()
    assert tx.grad[0, 0].tolist() == z.tolist()


def test_pool_padding_ceil_mode_and_count_include_pad_match_torch():
    at = open_page(POOL, query={"pool_size": "5", "pool_window": "3"})
    run(at.slider(key="pool_pad").set_value(1))
    run(at.toggle(key="pool_ceil_mode").set_value(True))
    run(at.segmented_control(key="pool_kind").set_value("avg"))
    run(at.toggle(key="pool_count_include_pad").set_value(False))
    rng = np.random.default_rng(0)
    x = rng.integers(-2, 3, size=(1, 1, 5, 5)).astype(float)
    tx = torch.tensor(x, requires_grad=True)
    out = tF.avg_pool2d(tx, 3, 2, 1, ceil_mode=True, count_include_pad=False)
    dout = rng.integers(-2, 3, size=tuple(out.shape)).astype(float)
    (out * torch.tensor(dout)).sum().backward()
    assert t("page.pool.shapes", "en", h=5, w=5, k=3, s=2, p=1, ho=3, wo=3) in captions(at)
    assert t("step.pool.pad_note_avg_exclude", "en", P=1) in notes(at)[-1]
    o = [decode_2d(d["z"]) for d in specs(at)[0]["frames"][-1]["data"] if d["type"] == "heatmap"][0]
    assert np.max(np.abs(o - out.detach().numpy()[0, 0])) < 1e-12
    move(at, 1, "pool_step")
    z = [decode_2d(d["z"]) for d in specs(at)[0]["frames"][-1]["data"] if d["type"] == "heatmap"][0]
    assert np.max(np.abs(z[1:-1, 1:-1] - tx.grad.numpy()[0, 0])) < 1e-12  # the padded grid's input cells
    run(at.segmented_control(key="pool_kind").set_value("max"))
    assert "pool_count_include_pad" not in {w.key for w in at.toggle}


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_pool_bad_input_shows_the_catalog_sentence(lang):
    at = open_page(POOL, lang, {"pool_window": "3"})
    assert_ok(at)
    assert specs(at)  # 4 × 4, 3 × 3 windows, stride 2: floored to one window, as PyTorch
    at.segmented_control(key="pool_values").set_value("typed").run()
    at.text_area(key="pool_x_text").input("1 2\n3 4").run()
    assert_ok(at)
    want = t("error.conv.pool_too_big", lang, dim="H", kdim="K", size=2, pad=0, k=3, span=2)
    assert [e.value for e in at.error] == [want]
    at.text_area(key="pool_x_text").input("1 2 3\n3 4 5\n1 1 1").run()
    at.slider(key="pool_stride").set_value(1).run()
    assert_ok(at)
    at.text_area(key="pool_dout_text").input("1 2\n3").run()
    assert_ok(at)
    assert [e.value for e in at.error] == [t("error.ragged", lang, what="dL/dO", first=2, row=2, other=1)]
