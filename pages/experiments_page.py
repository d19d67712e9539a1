"""Page: the reproductions — the BN paper's Figure 1 and cs231n's weight-scale and batch-size sweeps."""

import streamlit as st

from bnviz.figures import nets as figs
from bnviz.i18n import InputError, t
from bnviz.lessons import experiments as E
from ui import nets_controls as nc
from ui import norms_controls, render, sidebar
from ui.charts import plot

s = sidebar.current()
lang = s.lang
st.title(t("page.experiments.title", lang))
st.caption(t("page.experiments.intro", lang))

left, right = st.columns(2)
fig1_steps = norms_controls.choice("select_slider", t("page.experiments.fig1_steps", lang), E.FIG1_STEP_CHOICES,
                                   "fig1_steps", E.FIG1_STEPS, str, left)
epochs = norms_controls.choice("select_slider", t("page.experiments.epochs", lang), E.EPOCH_CHOICES, "epochs",
                               E.EPOCHS, str, right)
st.caption(t("page.experiments.seed_note", lang, seed=s.seed))
try:
    E.check(fig1_steps, epochs, s.seed)
except InputError as err:
    render.input_error(err, lang)

keys = {exp: ("experiment", exp, fig1_steps if exp == "fig1" else epochs, s.seed) for exp in E.EXPERIMENTS}
found = {exp: nc.store().get(k) for exp, k in keys.items()}
names = {k: t(f"page.network.{k}", lang) for k in ("baseline", "bn")}
steps_axis = t("page.network.steps_axis", lang)
setup = {st_.key: st_ for st_ in E.walkthrough(s, lang, fig1_steps, epochs).steps}

tabs = st.tabs([t(f"page.experiments.tab_{exp}", lang) for exp in E.EXPERIMENTS])
for exp, tab in zip(E.EXPERIMENTS, tabs, strict=True):
    with tab:
        step = setup[f"{exp}.setup"]
        st.markdown(f"**{step.title}**")
        for line in step.latex:
            st.latex(line)
        st.info(step.note)
        pressed = st.button(t("page.experiments.rerun" if found[exp] else "page.experiments.run", lang),
                            key=f"run_{exp}", type="secondary" if found[exp] else "primary")
        if pressed:
            found[exp] = nc.run_sweep(E.run(exp, fig1_steps, epochs, s.seed), keys[exp], lang)
            st.success(t("page.experiments.done", lang, seconds=found[exp]["seconds"]))
        elif found[exp]:
            st.caption(t("page.experiments.cached", lang))
        else:
            st.caption(t("page.experiments.not_run", lang))

results = {exp: r["result"] for exp, r in found.items() if r}
walk = E.walkthrough(s, lang, fig1_steps, epochs, results)
by_key = {st_.key: st_ for st_ in walk.steps}

if "fig1" in results:
    res = results["fig1"]
    with tabs[0]:
        acc = by_key["fig1.accuracy"]
        a, b = st.columns(2)
        plot(figs.curves([{"x": res[k]["steps"], "y": res[k]["val_acc"], "name": names[k],
                           "color": figs.RUN_COLORS[k]} for k in ("baseline", "bn")],
                         t("page.experiments.acc_title", lang), steps_axis, "", y_range=(0, 1.02), percent=True),
             "fig1_acc", a)
        plot(figs.percentile_figure({k: res[k]["steps"] for k in ("baseline", "bn")},
                                    {k: res[k]["unit_pct"] for k in ("baseline", "bn")}, names,
                                    t("page.experiments.pct_title", lang), steps_axis,
                                    t("page.experiments.pct_axis", lang),
                                    [t(f"page.experiments.p{q}", lang) for q in (15, 50, 85)]), "fig1_pct", b)
        a.info(acc.note)
        b.info(by_key["fig1.percentiles"].note)

if "weights" in results:
    res = results["weights"]
    with tabs[1]:
        a, b = st.columns(2)
        for col, part, title in ((a, "train_acc", "weights_train_title"), (b, "val_acc", "weights_val_title")):
            plot(figs.curves([{"x": res["scales"], "y": res[k][part], "name": names[k], "mode": "lines+markers",
                               "color": figs.RUN_COLORS[k]} for k in ("baseline", "bn")],
                             t(f"page.experiments.{title}", lang), t("page.experiments.scale_axis", lang), "",
                             log_x=True, y_range=(0, 1.02), percent=True), f"weights_{part}", col)
        st.info(by_key["weights.result"].note)

if "batch" in results:
    res = results["batch"]
    with tabs[2]:
        a, b = st.columns(2)
        series = {part: [] for part in ("train_acc", "val_acc")}
        for name, run in res["runs"].items():
            kind, size = name.split(":")
            width = {"5": "dot", "10": "dash", "50": "solid"}.get(size, "solid")
            for part in series:
                series[part].append({"x": run["epochs"], "y": run[part], "color": figs.RUN_COLORS[kind],
                                     "dash": width, "name": t("page.experiments.run_name", lang, run=names[kind],
                                                              b=size)})
        for col, part, title in ((a, "train_acc", "batch_train_title"), (b, "val_acc", "batch_val_title")):
            plot(figs.curves(series[part], t(f"page.experiments.{title}", lang), t("page.experiments.epoch_axis", lang),
                             "", y_range=(0, 1.02), percent=True), f"batch_{part}", col)
        st.info(by_key["batch.result"].note)

render.downloads(walk, "bnviz-experiments", key="exp_dl")
