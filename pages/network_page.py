"""Page: a real network trained live on digits, without and with BN, side by side."""

from dataclasses import replace

import streamlit as st

from bnviz import nets
from bnviz.figures import nets as figs
from bnviz.i18n import InputError, t
from bnviz.lessons import network
from ui import nets_controls as nc
from ui import norms_controls, render, sidebar
from ui.charts import plot

ACTS = ("relu", "sigmoid")
WIDTHS = (16, 32, 50, 100, 200)
SCALES = ("auto", 1e-3, 1e-2, 2e-2, 5e-2, 1e-1, 5e-1, 1.0)
LRS = (1e-4, 3e-4, 1e-3, 3e-3, 1e-2)
BATCHES = (10, 25, 50, 100, 200)
STEPS = (100, 200, 500, 1000, 2000, 5000)
RUNS = ("baseline", "bn")

s = sidebar.current()
lang = s.lang
st.title(t("page.network.title", lang))
st.caption(t("page.network.intro", lang))

with st.expander(t("page.network.controls", lang), expanded=True):
    c1, c2, c3, c4 = st.columns(4)
    act = norms_controls.choice("segmented_control", t("page.network.activation", lang), ACTS, "act", "relu", str, c1)
    depth = c1.slider(t("page.network.layers", lang), 1, 8, 5, key="layers", bind="query-params")
    width = norms_controls.choice("select_slider", t("page.network.width", lang), WIDTHS, "width", 100, str, c2)
    scale = norms_controls.choice("select_slider", t("page.network.weight_scale", lang), SCALES, "wscale", 2e-2,
                                  lambda v: t("page.network.weight_auto", lang) if v == "auto" else f"{v:g}", c2)
    lr = norms_controls.choice("select_slider", t("page.network.lr", lang), LRS, "lr", 1e-3, lambda v: f"{v:g}", c3)
    batch = norms_controls.choice("select_slider", t("page.network.batch", lang), BATCHES, "batch", 50, str, c3)
    steps = norms_controls.choice("select_slider", t("page.network.steps", lang), STEPS, "steps", 500, str, c4)

try:
    cfg = network.config(hidden=(width,) * depth, activation=act, bn=True,
                         weight_scale=None if scale == "auto" else scale, lr=lr, batch=batch, steps=steps,
                         seed=s.seed)
except InputError as err:
    render.input_error(err, lang)
run_cfg = replace(cfg, record_every=nets.record_every(steps))
configs = {name: replace(run_cfg, bn=name == "bn") for name in RUNS}
key = ("network", run_cfg)
names = {name: t(f"page.network.{name}", lang) for name in RUNS}
curve_titles = {k: t(f"page.network.{v}", lang) for k, v in (("loss", "loss"), ("accuracy", "accuracy"),
                                                                ("steps", "steps_axis"), ("train", "train_part"),
                                                                ("val", "val_part"))}

b1, b2, info = st.columns([2, 1, 5], vertical_alignment="center")
train = b1.button(t("page.network.train", lang), type="primary", key="net_train", width="stretch")
b2.button(t("page.network.stop", lang), key="net_stop", width="stretch")
st.subheader(t("page.network.curves_title", lang))
live = st.empty()


def draw_live(latest, n: int) -> None:
    with live.container():
        plot(figs.training_curves(nc.curve_data(latest), names, curve_titles), f"net_live_{n}")


if train:
    result = nc.train_live(configs, key, lang, "net_result", draw_live)
else:
    result = nc.store().get(key) or st.session_state.get("net_result")

if result is None or not result["runs"]:
    live.info(t("page.network.press_train", lang))
else:
    runs = result["runs"]
    step_done = min(p.step for p in runs.values())
    total = max(p.total for p in runs.values())
    if result["key"] != key:
        info.warning(t("page.network.stale", lang))
    elif not result["done"]:
        info.info(t("page.network.stopped", lang, step=step_done, total=total))
    else:
        info.success(t("page.network.trained", lang, step=step_done, seconds=max(p.seconds for p in runs.values())))
    for name, p in runs.items():
        if p.diverged:
            st.warning(t("page.network.diverged", lang, name=names[name], step=p.step))
    with live.container():
        plot(figs.training_curves(nc.curve_data(runs), names, curve_titles), "net_curves")
        st.caption(t("page.network.curves_caption", lang))
        if all(name in runs for name in RUNS):
            st.markdown(t("page.network.result", lang, step=step_done,
                          base=f"{runs['baseline'].history.val_acc[-1]:.1%}",
                          bn=f"{runs['bn'].history.val_acc[-1]:.1%}"))
    charts = nc.result_figures(result, names, lang)
    kind = norms_controls.choice("segmented_control", t("page.network.hist_pick", lang), ("pre", "grad"), "hist",
                                 "pre", lambda k: t(f"page.network.hist_{k}", lang))
    plot(charts[kind], f"net_hist_{kind}")  # one animation at a time: each is a few hundred kB
    st.caption(t("page.network.hist_caption", lang))
    sat_col, ratio_col = st.columns(2)
    plot(charts["saturation"], "net_saturation", sat_col)
    plot(charts["ratio"], "net_ratio", ratio_col)
    ratio_col.caption(t("page.network.ratio_caption", lang, last=depth + 1))

st.divider()
st.subheader(t("page.network.step_header", lang))
which = norms_controls.choice("segmented_control", t("page.network.step_net", lang), RUNS, "net_walk", "bn",
                              lambda k: names[k])
walk = network.network_walkthrough(replace(cfg, bn=which == "bn"), lang)
step = nc.stepper(walk, lang, "net_step")
if step.key == "data":
    images, labels = network.first_batch(cfg)
    plot(figs.digit_images(images[:16], labels[:16], t("page.network.digits", lang)), "net_digits")
render.formulas(step, lang)
nc.value_tables(step, walk)
render.downloads(walk, "bnviz-network", key="net_dl")
