"""Streamlit helpers of the why-BN pages: the live training loop, a shared result store, value tables.

Training is the one slow thing on these pages. It runs only when its button is
pressed, in a loop that updates a progress bar (and the page's live chart)
while :func:`bnviz.nets.train` yields records. A Stop button (or any other
widget) makes Streamlit rerun the script, which interrupts the loop at its next
Streamlit call; what was trained so far is kept in ``st.session_state`` and shown
by the rerun. Finished results go to a small process-wide store (bounded LRU
inside ``st.cache_resource``), keyed by their settings: results are seeded and
deterministic, so a revisit, by anyone, is instant.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import replace
from html import escape

import numpy as np
import streamlit as st

from bnviz import nets
from bnviz.figures import histograms, training
from bnviz.i18n import t
from bnviz.steps import Step, Walkthrough
from ui import ablation as ablation_ui
from ui import charts, norms_controls
from ui.charts import plot, shown_table_html

STORE_SIZE = 24
"""Finished results kept (each a few MB at most)."""
REDRAW_S = 0.35
"""Minimum seconds between two redraws of a live chart."""


class _Store:
    """A thread-safe LRU dict."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.items: OrderedDict = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key):
        with self.lock:
            if key not in self.items:
                return None
            self.items.move_to_end(key)
            return self.items[key]

    def put(self, key, value) -> None:
        with self.lock:
            self.items[key] = value
            self.items.move_to_end(key)
            while len(self.items) > self.size:
                self.items.popitem(last=False)


@st.cache_resource(max_entries=1, show_spinner=False)
def store() -> _Store:
    """The process-wide store of finished trainings and experiments."""
    return _Store(STORE_SIZE)


# ------------------------------------------------------------ training --


def train_live(configs: dict[str, nets.NetConfig], key: tuple, lang: str, state_key: str,
               draw: Callable[[dict[str, nets.Progress], int], None] | None = None) -> dict:
    """Train ``configs`` side by side with a progress bar, calling ``draw(latest, n)`` now and then.

    The partial result is kept in ``st.session_state[state_key]`` after every
    record (so a Stop shows it); the finished one also in :func:`store`.
    Returns {"key", "runs": {name: Progress}, "done": bool}.
    """
    bar = st.progress(0.0, text=t("page.network.training", lang, step=0, total=max(c.steps for c in configs.values())))
    result = {"key": key, "runs": {}, "done": False}
    st.session_state[state_key] = result
    last_draw, n = 0.0, 0
    for latest in nets.train_together(configs):
        result["runs"] = latest
        now = time.perf_counter()
        if now - last_draw >= REDRAW_S:
            step = min(p.step for p in latest.values())
            total = max(p.total for p in latest.values())
            bar.progress(min(1.0, np.mean([p.fraction for p in latest.values()])),
                         text=t("page.network.training", lang, step=step, total=total))
            if draw is not None and len(latest) == len(configs):
                draw(latest, n)
                n += 1
            last_draw = now
    result["done"] = True
    bar.empty()
    store().put(key, result)
    return result


def run_sweep(gen: Iterator[nets.SweepProgress], key: tuple, lang: str) -> dict:
    """Drive a reproduction with a progress bar; store and return its result (with "seconds")."""
    start = time.perf_counter()
    bar = st.progress(0.0, text=t("page.experiments.running", lang, done=0, total="…"))
    last = 0.0
    prog = None
    for prog in gen:
        now = time.perf_counter()
        if now - last >= REDRAW_S or prog.done:
            bar.progress(prog.fraction, text=t("page.experiments.running", lang, done=prog.runs_done,
                                               total=prog.runs))
            last = now
    bar.empty()
    result = {"result": prog.result, "seconds": time.perf_counter() - start}
    store().put(key, result)
    return result


# -------------------------------------------------------------- values --


def _fmt(v: float) -> str:
    return f"{v:.6g}"


def value_tables(step: Step, walk: Walkthrough, max_cols: int = 3) -> None:
    """A step's values as small tables: vectors of the same length together (one row per entry),
    each matrix on its own (numbered rows and columns), scalars as metrics."""
    scalars = {k: float(v) for k, v in step.values.items() if np.ndim(v) == 0}
    vectors: dict[int, dict[str, list]] = {}
    for k, v in step.values.items():
        if np.ndim(v) == 1:
            vectors.setdefault(len(v), {})[walk.label(k)] = np.asarray(v, dtype=float).tolist()
    tables: list[tuple[str | None, dict]] = []
    for k, v in step.values.items():
        if np.ndim(v) == 2:
            v = np.asarray(v)
            table = {"i": list(range(1, v.shape[0] + 1))}
            table.update({str(j + 1): v[:, j].astype(float).tolist() for j in range(v.shape[1])})
            tables.append((walk.label(k), table))
    for n, cols in vectors.items():
        tables.append((None, {"j": list(range(1, n + 1)), **cols}))
    parts = []
    if scalars:  # like st.metric: the name small, the value large
        parts.append('<div style="display:flex;gap:2rem;flex-wrap:wrap;margin:0.25rem 0 0.5rem">' + "".join(
            f'<div class="bnviz-metric"><div class="label" style="font-size:0.875rem">{escape(walk.label(k))}</div>'
            f'<div class="value" style="font-size:1.75rem;line-height:1.3">{escape(_fmt(v))}</div></div>'
            for k, v in scalars.items()) + "</div>")
    for start in range(0, len(tables), max_cols):
        cells = "".join(
            '<div style="flex:1 1 12rem;min-width:0">'
            + (f'<p style="font-weight:600;margin:0 0 0.25rem">{escape(label)}</p>' if label else "")
            + shown_table_html(table) + "</div>"
            for label, table in tables[start:start + max_cols])
        parts.append(f'<div style="display:flex;gap:1rem;flex-wrap:wrap;margin:0.25rem 0">{cells}</div>')
    charts.html("".join(parts))  # one element (with the step's other HTML inside the stepper)


def curve_data(runs: dict[str, nets.Progress]) -> dict[str, dict]:
    """run -> its loss and accuracy curves (lists), for ``figures.training.training_curves``."""
    keys = ("steps", "train_loss", "val_loss", "train_acc", "val_acc")
    return {name: {k: list(getattr(p.history, k)) for k in keys} for name, p in runs.items()}


def result_figures(result: dict, names: dict[str, str], lang: str) -> dict[str, dict]:
    """The histogram, saturation and gradient-ratio figures of a training result, built once per
    language and kept in the result (a rerun only sends them)."""
    cache = result.setdefault("figures", {})
    if lang in cache:
        return cache[lang]
    runs = result["runs"]
    any_run = next(iter(runs.values()))
    depth = any_run.config.depth
    layer_names = [t("page.network.layer", lang, n=n) for n in range(1, depth + 1)]
    weight_names = [t("page.network.weight", lang, n=n) for n in range(1, depth + 2)]
    steps = {name: np.asarray(p.history.steps) for name, p in runs.items()}
    frame, play = t("page.network.frame", lang), t("page.network.play", lang)
    sat_kind = t(f"page.network.sat_{any_run.config.activation}", lang)
    x_title = t("page.network.steps_axis", lang)
    figs = {
        "pre": histograms.histogram_frames({k: p.history.pre for k, p in runs.items()}, any_run.history.steps, names,
                                          layer_names, t("page.network.hist_pre_title", lang), frame, play),
        "grad": histograms.histogram_frames({k: p.history.dpre for k, p in runs.items()}, any_run.history.steps, names,
                                           layer_names, t("page.network.hist_grad_title", lang), frame, play),
        "saturation": training.layer_panels(steps, {k: np.asarray(p.history.saturation) for k, p in runs.items()},
                                             names, layer_names, t("page.network.sat_title", lang, kind=sat_kind),
                                             x_title, "", percent=True),
        "ratio": training.layer_panels(steps, {k: np.asarray(p.history.grad_ratio) for k, p in runs.items()},
                                        names, weight_names, t("page.network.ratio_title", lang), x_title,
                                        t("page.network.ratio_axis", lang), log_y=True),
    }
    cache[lang] = figs
    return figs


# ------------------------------------------------------------ network page --

ACTS = ("relu", "sigmoid")
WIDTHS = (16, 32, 50, 100, 200)
SCALES = ("auto", 1e-3, 1e-2, 2e-2, 5e-2, 1e-1, 5e-1, 1.0)
LRS = (1e-4, 3e-4, 1e-3, 3e-3, 1e-2)
BATCHES = (10, 25, 50, 100, 200)
STEPS = (100, 200, 500, 1000, 2000, 5000)
RUNS = ("baseline", "bn")


def network_controls(lang: str) -> dict:
    """The network page's controls, as keywords of :func:`bnviz.lessons.network.config` (seed excluded)."""
    choice = norms_controls.choice
    with st.expander(t("page.network.controls", lang), expanded=True):
        c1, c2, c3, c4 = st.columns(4)
        act = choice("segmented_control", t("page.network.activation", lang), ACTS, "act", "relu", str, c1)
        depth = c1.slider(t("page.network.layers", lang), 1, 8, 5, key="layers", bind="query-params")
        width = choice("select_slider", t("page.network.width", lang), WIDTHS, "width", 100, str, c2)
        scale = choice("select_slider", t("page.network.weight_scale", lang), SCALES, "wscale", 2e-2,
                       lambda v: t("page.network.weight_auto", lang) if v == "auto" else f"{v:g}", c2)
        lr = choice("select_slider", t("page.network.lr", lang), LRS, "lr", 1e-3, lambda v: f"{v:g}", c3)
        batch = choice("select_slider", t("page.network.batch", lang), BATCHES, "batch", 50, str, c3)
        steps = choice("select_slider", t("page.network.steps", lang), STEPS, "steps", 500, str, c4)
    return {"hidden": (width,) * depth, "activation": act, "bn": True,
            "weight_scale": None if scale == "auto" else scale, "lr": lr, "batch": batch, "steps": steps}


def run_names(lang: str) -> dict[str, str]:
    return {name: t(f"page.network.{name}", lang) for name in RUNS}


def network_training(cfg: nets.NetConfig, lang: str, ablate: str | None = None) -> None:
    """Train-both and Stop buttons, the live curves, and the charts of the last result.

    ablate: also train the BN net with that term removed from every BN backward (run "ablated")."""
    run_cfg = replace(cfg, record_every=nets.record_every(cfg.steps))
    configs = {name: replace(run_cfg, bn=name == "bn") for name in RUNS}
    names = run_names(lang)
    if ablate is not None:
        configs["ablated"] = replace(run_cfg, bn=True, ablate=ablate)
        names["ablated"] = ablation_ui.net_run_name(ablate, lang)
    key = ("network", run_cfg) if ablate is None else ("network", run_cfg, ablate)
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
            plot(training.training_curves(curve_data(latest), names, curve_titles), f"net_live_{n}")

    if train:
        result = train_live(configs, key, lang, "net_result", draw_live)
    else:
        result = store().get(key) or st.session_state.get("net_result")
    if result is None or not result["runs"]:
        live.info(t("page.network.press_train", lang))
        return
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
        plot(training.training_curves(curve_data(runs), names, curve_titles), "net_curves")
        st.caption(t("page.network.curves_caption", lang))
        st.caption(t("page.network.running_rule", lang, momentum=f"{cfg.momentum:g}",
                     rest=f"{1 - cfg.momentum:.3g}"))
        if all(name in runs for name in RUNS):
            st.markdown(t("page.network.result", lang, step=step_done,
                          base=f"{runs['baseline'].history.val_acc[-1]:.1%}",
                          bn=f"{runs['bn'].history.val_acc[-1]:.1%}"))
        if "ablated" in runs:
            st.markdown(t("learn.ablation.net_result", lang, step=step_done))
            ablation_ui.net_table(runs, names, lang)
    charts = result_figures(result, names, lang)
    kind = norms_controls.choice("segmented_control", t("page.network.hist_pick", lang), ("pre", "grad"), "hist",
                                 "pre", lambda k: t(f"page.network.hist_{k}", lang))
    plot(charts[kind], f"net_hist_{kind}")  # one animation at a time: each is a few hundred kB
    st.caption(t("page.network.hist_caption", lang))
    sat_col, ratio_col = st.columns(2)
    plot(charts["saturation"], "net_saturation", sat_col)
    plot(charts["ratio"], "net_ratio", ratio_col)
    ratio_col.caption(t("page.network.ratio_caption", lang, last=cfg.depth + 1))


# -------------------------------------------------------- experiments page --


def experiment_tab(setup: Step, found: dict | None, run: Callable[[], Iterator[nets.SweepProgress]], key: tuple,
                   button_key: str, lang: str) -> dict | None:
    """An experiment's setup (title, formulas, note) and its Run button; the stored or new result."""
    st.markdown(f"**{setup.title}**")
    for line in setup.latex:
        st.latex(line)
    st.info(setup.note)
    pressed = st.button(t("page.experiments.rerun" if found else "page.experiments.run", lang), key=button_key,
                        type="secondary" if found else "primary")
    if pressed:
        found = run_sweep(run(), key, lang)
        st.success(t("page.experiments.done", lang, seconds=found["seconds"]))
    elif found:
        st.caption(t("page.experiments.cached", lang))
    else:
        st.caption(t("page.experiments.not_run", lang))
    return found


def experiment_results(experiment: str, res: dict, texts: dict[str, str], notes: list[str]) -> None:
    """The result charts two side by side, then the result steps' notes."""
    cols = st.columns(2)
    for n, (chart_key, fig) in enumerate(training.experiment_figures(experiment, res, texts)):
        plot(fig, chart_key, cols[n % 2])
    for note in notes:
        st.info(note)
