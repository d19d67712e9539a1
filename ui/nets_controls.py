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

import numpy as np
import streamlit as st

from bnviz import nets
from bnviz.figures import nets as nets_figs
from bnviz.i18n import t
from bnviz.steps import Step, Walkthrough

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
            vectors.setdefault(len(v), {})[walk.label(k)] = [_fmt(x) for x in np.asarray(v).tolist()]
    tables: list[tuple[str | None, dict]] = []
    for k, v in step.values.items():
        if np.ndim(v) == 2:
            v = np.asarray(v)
            table = {"i": list(range(1, v.shape[0] + 1))}
            table.update({str(j + 1): [_fmt(x) for x in v[:, j].tolist()] for j in range(v.shape[1])})
            tables.append((walk.label(k), table))
    for n, cols in vectors.items():
        tables.append((None, {"j": list(range(1, n + 1)), **cols}))
    if scalars:
        for col, (k, v) in zip(st.columns(min(len(scalars), 4)), scalars.items(), strict=False):
            col.metric(walk.label(k), _fmt(v))
    for start in range(0, len(tables), max_cols):
        chunk = tables[start:start + max_cols]
        for col, (label, table) in zip(st.columns(len(chunk)), chunk, strict=True):
            if label:
                col.markdown(f"**{label}**")
            rows = len(next(iter(table.values())))
            col.dataframe(table, hide_index=True, width="stretch", height=min(38 + 35 * rows, 320))


def curve_data(runs: dict[str, nets.Progress]) -> dict[str, dict]:
    """run -> its loss and accuracy curves (lists), for ``figures.nets.training_curves``."""
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
        "pre": nets_figs.histogram_frames({k: p.history.pre for k, p in runs.items()}, any_run.history.steps, names,
                                          layer_names, t("page.network.hist_pre_title", lang), frame, play),
        "grad": nets_figs.histogram_frames({k: p.history.dpre for k, p in runs.items()}, any_run.history.steps, names,
                                           layer_names, t("page.network.hist_grad_title", lang), frame, play),
        "saturation": nets_figs.layer_panels(steps, {k: np.asarray(p.history.saturation) for k, p in runs.items()},
                                             names, layer_names, t("page.network.sat_title", lang, kind=sat_kind),
                                             x_title, "", percent=True),
        "ratio": nets_figs.layer_panels(steps, {k: np.asarray(p.history.grad_ratio) for k, p in runs.items()},
                                        names, weight_names, t("page.network.ratio_title", lang), x_title,
                                        t("page.network.ratio_axis", lang), log_y=True),
    }
    cache[lang] = figs
    return figs


def stepper(walk: Walkthrough, lang: str, key: str, phases: bool = True) -> Step:
    """◀ / ▶ buttons and a step slider bound to the URL (``?<key>=n``); returns the chosen step.

    phases: prefix the step's title with "Forward pass" / "Backward pass".
    """
    total = len(walk.steps)
    if st.session_state.get(key, 1) > total:
        st.session_state[key] = total

    def move(delta: int) -> None:
        st.session_state[key] = max(1, min(total, st.session_state.get(key, 1) + delta))

    prev_col, slider_col, next_col = st.columns([1, 6, 1], vertical_alignment="bottom")
    prev_col.button(t("page.graph.prev", lang), on_click=move, args=(-1,), key=f"{key}_prev", width="stretch")
    next_col.button(t("page.graph.next", lang), on_click=move, args=(1,), key=f"{key}_next", width="stretch")
    n = slider_col.slider(t("page.graph.step", lang), 1, max(total, 2), key=key, bind="query-params",
                          disabled=total < 2)
    step = walk.steps[min(n, total) - 1]
    title = f"{t(f'page.graph.{step.phase}', lang)} · {step.title}" if phases else step.title
    st.subheader(title)
    st.progress(min(n, total) / total, text=t("page.graph.step_of", lang, n=min(n, total), total=total))
    return step
