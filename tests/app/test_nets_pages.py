"""The why-BN pages (upstream, saturation, network, experiments) driven through AppTest.

Each page is opened in both languages (``?lang=zh`` set before the first run)
and every control is moved; expected numbers are recomputed here with plain
NumPy from the settings, expected sentences come from the catalog.
"""

from __future__ import annotations

from dataclasses import replace

import light_html
import numpy as np
import pytest
from app_helpers import (
    LANGS,
    go_to_number,
    heading,
    move,
    open_page,
    plotly_specs,
    rerun,
    shown,
    step_number,
    stepper_data,
    tables,
    texts,
)
from light_html import shown_formulas

from bnviz.i18n import t

PAGES = {"upstream": "pages/upstream_page.py", "saturation": "pages/saturation_page.py",
         "network": "pages/network_page.py", "experiments": "pages/experiments_page.py"}


def open_lesson(key: str, lang: str = "en", query: dict[str, str] | None = None):
    return open_page(PAGES[key], lang, query)


def table(frame) -> np.ndarray:
    """A value table's numeric columns (all but the first, the row number) as floats."""
    return frame.iloc[:, 1:].to_numpy(dtype=float)


def bn_chain(seed: int = 0, m: int = 8, d: int = 3, classes: int = 3, scale: float = 1.0, eps: float = 1e-5):
    """BN → ReLU → affine → softmax cross-entropy backward to ∂L/∂y, written out here."""
    x = np.random.default_rng(seed).standard_normal((m, d))
    y = (x - x.mean(axis=0)) / np.sqrt(x.var(axis=0) + eps)
    w = scale * np.random.default_rng(seed + 2).standard_normal((d, classes))
    labels = np.random.default_rng(seed + 3).integers(0, classes, m)
    s = np.maximum(y, 0) @ w
    p = np.exp(s - s.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    ds = (p - np.eye(classes)[labels]) / m
    return {"y": y, "dout": (ds @ w.T) * (y > 0), "labels": labels}


# ------------------------------------------------------------------ opening --


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("key", list(PAGES))
def test_page_opens_in_both_languages(key, lang):
    at = open_lesson(key, lang)
    assert [e.value for e in at.title] == [t(f"page.{key}.title", lang)]
    assert t(f"page.{key}.intro", lang) in light_html.captions(at)
    assert len(at.get("download_button")) == 4
    assert at.session_state["lang"] == lang


# ----------------------------------------------------------------- upstream --


def test_upstream_walks_every_step_and_shows_the_chain(lang="en"):
    at = open_lesson("upstream")
    assert len(plotly_specs(at)) == 1  # the chain diagram
    seen = []
    for n in range(1, 11):
        at = go_to_number(at, n, "up_step")
        seen.append(heading(at))
    assert len(set(seen)) == 10
    assert seen[-1].endswith(t("step.upstream.backward.bn.title", lang))
    at = move(at, -1, "up_step")
    assert step_number(at, "up_step") == 9
    at = move(at, 1, "up_step")
    assert step_number(at, "up_step") == 10


@pytest.mark.parametrize("classes,scale", [(3, 1.0), (5, 3.0), (10, 0.1)])
def test_upstream_dout_is_the_softmax_chain(classes, scale):
    at = open_lesson("upstream")
    at = rerun(at.slider(key="classes").set_value(classes))
    at = rerun(at.select_slider(key="wscale").set_value(scale))
    at = go_to_number(at, 9, "up_step")  # backward.relu: y, ∂L/∂a, ∂L/∂y
    ref = bn_chain(classes=classes, scale=scale)
    frames = tables(at)
    assert len(frames) == 3
    np.testing.assert_allclose(table(frames[0]), ref["y"], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(table(frames[2]), ref["dout"], rtol=1e-5, atol=1e-9)
    blocked = int((ref["y"] <= 0).sum())
    assert t("page.upstream.blocked", "en", n=blocked, total=ref["y"].size) in light_html.captions(at)
    at = go_to_number(at, 5, "up_step")  # the loss: labels shown
    assert t("page.upstream.labels", "en", labels=", ".join(map(str, ref["labels"]))) in light_html.captions(at)


def test_upstream_follows_the_sidebar_and_reports_bad_input():
    at = open_lesson("upstream")
    at = rerun(at.slider(key="m").set_value(5))
    at = go_to_number(at, 9, "up_step")
    np.testing.assert_allclose(table(tables(at)[2]), bn_chain(m=5)["dout"], rtol=1e-5, atol=1e-9)
    at = rerun(at.selectbox(key="dist").set_value("custom"))
    at = rerun(at.text_area(key="x_text").input("1, 2\n3, oops"))
    assert len(at.error) == 1 and t("page.graph.fix_input", "en") in texts(shown(at, "info"))


# --------------------------------------------------------------- saturation --


def test_saturation_every_control_and_the_shares():
    at = open_lesson("saturation")
    assert len(plotly_specs(at)) == 3
    for k in range(1, 5):
        at = rerun(at.slider(key=f"sat_mean{k}").set_value(float(2 * k - 5)))
        at = rerun(at.slider(key=f"sat_scale{k}").set_value(0.5 * k))
    at = rerun(at.select_slider(key="tau").set_value(0.05))
    at = rerun(at.select_slider(key="samples").set_value(500))
    means, scales = np.array([-3.0, -1.0, 1.0, 3.0]), np.array([0.5, 1.0, 1.5, 2.0])
    x = means + scales * np.random.default_rng(0).standard_normal((500, 4))
    s = 1 / (1 + np.exp(-x))
    before = (s * (1 - s) < 0.05).mean(axis=0)
    xbn = (x - x.mean(axis=0)) / np.sqrt(x.var(axis=0) + 1e-5)
    sb = 1 / (1 + np.exp(-xbn))
    after = (sb * (1 - sb) < 0.05).mean(axis=0)
    df = tables(at)[0]
    shown_before = [float(v.rstrip("%")) / 100 for v in df[t("page.saturation.table_before", "en")]]
    shown_after = [float(v.rstrip("%")) / 100 for v in df[t("page.saturation.table_after", "en")]]
    np.testing.assert_allclose(shown_before, before, atol=5e-4)
    np.testing.assert_allclose(shown_after, after, atol=5e-4)
    bars = plotly_specs(at)[2]
    np.testing.assert_allclose(bars["data"][0]["y"], before)
    for n in range(1, 8):
        at = go_to_number(at, n, "sat_step")
        assert len(shown_formulas(at)) >= 1


def test_saturation_after_bn_follows_gamma_and_beta():
    at = open_lesson("saturation")
    at = rerun(at.slider(key="gamma").set_value(5.0))
    at = rerun(at.slider(key="beta").set_value(3.0))
    df = tables(at)[0]
    after = [float(v.rstrip("%")) for v in df[t("page.saturation.table_after", "en")]]
    assert min(after) > 20  # a large γ and β push the normalized batches back into the tails


# ------------------------------------------------------------------ network --


@pytest.mark.parametrize("lang", LANGS)
def test_network_trains_both_and_shows_every_chart(lang):
    at = open_lesson("network", lang)
    assert t("page.network.press_train", lang) in texts(shown(at, "info"))
    at = rerun(at.select_slider(key="steps").set_value(100))
    at = rerun(at.slider(key="layers").set_value(3))
    at = rerun(at.button(key="net_train").click())
    prefix = t("page.network.trained", lang, step=100, seconds=12345.6).split("12345.6")[0]
    assert len(shown(at, "success")) == 1 and shown(at, "success")[0].value.startswith(prefix)
    # the convention where bnviz differs from cs231n and PyTorch, stated under the curves
    assert t("page.network.running_rule", lang, momentum="0.9", rest="0.1") in light_html.captions(at)
    specs = plotly_specs(at)
    assert len(specs) == 5  # curves, a histogram animation, saturation, gradient ratios; the batch's digits
    curves = specs[0]
    assert len(curves["data"]) == 8 and len(curves["data"][0]["x"]) == nets_records(100)
    assert len(specs[1]["frames"]) == nets_records(100)
    at = rerun(at.segmented_control(key="hist").set_value("grad"))
    assert plotly_specs(at)[1]["layout"]["title"]["text"] == t("page.network.hist_grad_title", lang)
    # a rerun shows the stored result without training again
    at = rerun(at.segmented_control(key="net_walk").set_value("baseline"))
    assert len(plotly_specs(at)) == 5 and shown(at, "success")
    # changing the network marks the plots as stale
    at = rerun(at.slider(key="layers").set_value(2))
    assert texts(shown(at, "warning")) == [t("page.network.stale", lang)]


def nets_records(steps: int) -> int:
    from bnviz import nets

    return steps // nets.record_every(steps) + 1


def test_network_every_control_and_the_stop_button():
    at = open_lesson("network")
    at = rerun(at.segmented_control(key="act").set_value("sigmoid"))
    for key, value in (("width", 32), ("wscale", "auto"), ("lr", 3e-3), ("batch", 25), ("steps", 200)):
        at = rerun(at.select_slider(key=key).set_value(value))
    at = rerun(at.slider(key="layers").set_value(2))
    at = rerun(at.button(key="net_train").click())
    assert shown(at, "success")
    at = rerun(at.button(key="net_stop").click())  # nothing running: the result stays
    assert shown(at, "success") and len(plotly_specs(at)) == 5
    at = rerun(at.select_slider(key="wscale").set_value(1e-3))
    at = rerun(at.button(key="net_stop").click())
    assert texts(shown(at, "warning")) == [t("page.network.stale", "en")]
    # the derivation below: every step, both networks
    for which in ("bn", "baseline"):
        at = rerun(at.segmented_control(key="net_walk").set_value(which))
        for n in (1, stepper_data(at, "net_step")["total"]):
            at = go_to_number(at, n, "net_step")
            assert len(shown_formulas(at)) >= 1


def test_network_stopped_training_shows_what_was_trained():
    """A Stop during training reruns the page: the partial result in the session is shown as stopped."""
    from bnviz import nets
    from bnviz.lessons import network

    at = open_lesson("network")
    cfg = replace(network.config(steps=500), record_every=nets.record_every(500))
    gens = nets.train_together({"baseline": replace(cfg, bn=False), "bn": cfg})
    latest = [next(gens) for _ in range(4)][-1]
    at.session_state["net_result"] = {"key": ("network", cfg), "runs": latest, "done": False}
    at = rerun(at.button(key="net_stop").click())
    step = min(p.step for p in latest.values())
    assert t("page.network.stopped", "en", step=step, total=500) in texts(shown(at, "info"))


# -------------------------------------------------------------- experiments --


@pytest.mark.parametrize("lang", LANGS)
def test_experiments_run_and_are_kept(lang):
    from ui.nets_controls import store

    store.clear()  # the store is process-wide: start without results
    at = open_lesson("experiments", lang)
    at = rerun(at.select_slider(key="fig1_steps").set_value(200))
    at = rerun(at.select_slider(key="epochs").set_value(1))
    charts = {"fig1": 2, "weights": 2, "batch": 2}
    total = 0
    for exp in ("fig1", "weights", "batch"):
        at = rerun(at.button(key=f"run_{exp}").click())
        total += charts[exp]
        assert len(plotly_specs(at)) == total
    assert len(shown(at, "success")) == 1  # the run just finished
    at = rerun(at.select_slider(key="epochs").set_value(1))  # a plain rerun: everything from the store
    assert len(plotly_specs(at)) == 6 and not shown(at, "success")
    assert texts(shown(at, "caption")).count(t("page.experiments.cached", lang)) == 3
    fig1 = plotly_specs(at)[0]
    assert [tr["name"] for tr in fig1["data"]] == [t("page.network.baseline", lang), t("page.network.bn", lang)]
    at = rerun(at.select_slider(key="epochs").set_value(2))
    assert texts(shown(at, "caption")).count(t("page.experiments.not_run", lang)) == 2
