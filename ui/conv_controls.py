"""Streamlit pieces of the conv and pool pages: the page's head and own controls, the animations
(played in the browser, or frame by frame), values as matrices. The steps themselves go through
the one stepper (``ui.stepper``); formulas and input errors through ``ui.render``.

Numbers, formulas and figures come from ``bnviz``; this module only lays them out.
Widget keys start with the page's prefix ("conv_", "pool_"), so they never meet the
shared sidebar's keys; the sliders are bound to the URL (a copied link reopens the
same view), the choice widgets are not (their labels are translated).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict
from types import ModuleType

import numpy as np
import streamlit as st

from bnviz.figures.canvas import Animation
from bnviz.i18n import InputError, t
from bnviz.lessons import conv_problem as conv_lesson
from bnviz.lessons import pool_problem as pool_lesson
from bnviz.lessons.windowed import VALUE_MODES
from bnviz.numfmt import fmt, matrix_latex
from bnviz.steps import Step, Walkthrough
from bnviz.symbolic import printing as P
from ui import render, sidebar
from ui.charts import plot

BIND = "query-params"
LONG = 900
"""Formula lines longer than this many characters are folded into an expander (``ui.render.formulas``)."""
MODES = ("play", "step")


def open_lesson(key: str, lesson: ModuleType,
                controls: Callable[[str, int], object]) -> tuple[str, object, Walkthrough]:
    """The page's head: title, intro, its own controls (``controls(lang, seed)`` -> params), then
    ``lesson.page_problem`` and ``lesson.walkthrough`` at those params -> (lang, problem, walkthrough).
    Bad input is a sentence and stops the page (``ui.render.input_error``)."""
    s = sidebar.current()
    lang = s.lang
    st.title(t(f"page.{key}.title", lang))
    st.caption(t(f"page.{key}.intro", lang))
    with st.container(border=True):
        params = controls(lang, s.seed)
    try:
        problem = lesson.page_problem(s.seed, params)
        walk = lesson.walkthrough(s, lang, **asdict(params))
    except InputError as err:
        render.input_error(err, lang, "page.conv.fix_input")
    return lang, problem, walk


def _slider(label: str, key: str, lo: int, hi: int, default: int, container=st) -> int:
    return int(container.slider(label, lo, hi, default, key=key, bind=BIND))


def conv_params(lang: str, seed: int) -> conv_lesson.ConvParams:
    """The conv page's controls (in the page body) -> ConvParams."""
    d = conv_lesson.ConvParams()
    lim = conv_lesson.LIMITS
    st.markdown(f"**{t('page.conv.controls', lang)}**")
    values = st.segmented_control(
        t("page.conv.values", lang), VALUE_MODES, default=d.values, key="conv_values",
        format_func=lambda v: t(f"page.conv.values_{v}", lang)) or d.values
    typed = values == "typed"
    cols = st.columns(6)
    names = ("size", "filt", "stride", "pad", "cin", "cout")
    shown = ("stride", "pad") if typed else names
    got = {}
    for col, name in zip(cols, [n for n in names if n in shown], strict=False):
        got[name] = _slider(t(f"page.conv.{name}", lang), f"conv_{name}", *lim[name], getattr(d, name), col)
    params = {**{n: getattr(d, n) for n in names}, **got, "values": values}
    if typed:
        defaults = conv_lesson.typed_defaults(seed, conv_lesson.ConvParams(**params))
        a, b = st.columns(2)
        for col, name in ((a, "x_text"), (a, "w_text"), (b, "dout_text"), (b, "b_text")):
            widget = col.text_input if name == "b_text" else col.text_area
            params[name] = widget(t(f"page.conv.{name}", lang), defaults[name], key=f"conv_{name}")
    else:
        st.caption(t("page.conv.seed_note", lang, seed=seed))
    return conv_lesson.ConvParams(**params)


def pool_params(lang: str, seed: int) -> pool_lesson.PoolParams:
    """The pool page's controls (in the page body) -> PoolParams."""
    d = pool_lesson.PoolParams()
    lim = pool_lesson.LIMITS
    st.markdown(f"**{t('page.pool.controls', lang)}**")
    kind = st.segmented_control(t("page.pool.kind", lang), pool_lesson.KINDS, default=d.kind, key="pool_kind",
                                format_func=lambda k: t(f"page.pool.kind_{k}", lang)) or d.kind
    values = st.segmented_control(
        t("page.conv.values", lang), VALUE_MODES, default=d.values, key="pool_values",
        format_func=lambda v: t(f"page.conv.values_{v}", lang)) or d.values
    typed = values == "typed"
    names = ("window", "stride", "pad") if typed else ("size", "window", "stride", "pad")
    params: dict = {"kind": kind, "values": values}
    for col, name in zip(st.columns(4), names, strict=False):
        params[name] = _slider(t(f"page.pool.{name}", lang), f"pool_{name}", *lim[name], getattr(d, name), col)
    a, b = st.columns(2)
    params["ceil_mode"] = bool(a.toggle(t("page.pool.ceil_mode", lang), d.ceil_mode, key="pool_ceil_mode",
                                        bind=BIND))
    if kind == "avg":
        params["count_include_pad"] = bool(b.toggle(t("page.pool.count_include_pad", lang), d.count_include_pad,
                                                    key="pool_count_include_pad", bind=BIND))
    if typed:
        defaults = pool_lesson.typed_defaults(seed, pool_lesson.PoolParams(**params))
        a, b = st.columns(2)
        params["x_text"] = a.text_area(t("page.pool.x_text", lang), defaults["x_text"], key="pool_x_text")
        params["dout_text"] = b.text_area(t("page.pool.dout_text", lang), defaults["dout_text"],
                                          key="pool_dout_text")
    else:
        st.caption(t("page.conv.seed_note", lang, seed=seed))
    st.info(t("page.pool.tie_rule", lang))
    return pool_lesson.PoolParams(**params)


def channel_pickers(c_in: int, c_out: int, lang: str) -> tuple[int, int]:
    """Selectboxes for the output channel f and input channel c the figures show (0-based).

    Drawn on every step (when there is a choice), so a pick survives moving between steps.
    """
    f = c = 0
    cols = st.columns(2)
    if c_out > 1:
        f = cols[0].selectbox(t("page.conv.pick_f", lang), range(c_out), format_func=lambda k: str(k + 1),
                              key="conv_f")
    if c_in > 1:
        c = cols[1].selectbox(t("page.conv.pick_c", lang), range(c_in), format_func=lambda k: str(k + 1),
                              key="conv_c")
    return min(int(f), c_out - 1), min(int(c), c_in - 1)


def _move(key: str, delta: int, total: int) -> None:
    st.session_state[key] = max(1, min(total, int(st.session_state.get(key, 1)) + delta))


def _frames(key: str, total: int, lang: str) -> int:
    """Previous / slider / Next over the frames 1..total (a server rerun each, kept in the URL); 1-based."""
    if int(st.session_state.get(key, 1)) > total:
        st.session_state[key] = total
    a, b, c = st.columns([1, 6, 1], vertical_alignment="bottom")
    a.button(t("page.conv.frame_prev", lang), on_click=_move, args=(key, -1, total), key=f"{key}_prev",
             width="stretch")
    c.button(t("page.conv.frame_next", lang), on_click=_move, args=(key, 1, total), key=f"{key}_next",
             width="stretch")
    if total == 1:
        b.caption(t("page.conv.frame", lang))
        st.session_state[key] = 1
        return 1
    return int(b.slider(t("page.conv.frame", lang), 1, total, key=key, bind=BIND))


def mode(lang: str, prefix: str) -> str:
    """How the animations run, for every step (one widget above the stepper): "play" in the browser,
    or "step", frame by frame with each frame's sum in LaTeX."""
    return st.segmented_control(t("page.conv.mode", lang), MODES, default="play", key=f"{prefix}_mode",
                                format_func=lambda m: t(f"page.conv.mode_{m}", lang)) or "play"


def animations(anims: Sequence[Animation], lang: str, key: str, how: str, titles: Sequence[str] | None = None,
               side_by_side: bool = True) -> None:
    """A step's animation(s), side by side (or one under the other), drawn inside the step's container
    (``key`` differs per step): played in the browser (``how`` "play"), or frame by frame with Previous /
    Next (each frame's sum written out in LaTeX below its figure)."""
    k = 0
    if how == "step":
        total = max(a.count for a in anims)
        k = _frames(f"{key}_frame", total, lang) - 1
        st.caption(t("page.conv.frame_of", lang, n=k + 1, total=total))
    st.caption(t("page.conv.cells_legend", lang))
    cols = st.columns(len(anims)) if len(anims) > 1 and side_by_side else [st.container() for _ in anims]
    for n, (col, anim) in enumerate(zip(cols, anims, strict=True)):
        with col:
            if titles:
                st.markdown(f"**{titles[n]}**")
            if how == "play":
                plot(anim.figure(), f"{key}_anim_{n}")
            else:
                frame = min(k, anim.count - 1)
                plot(anim.still(frame), f"{key}_still_{n}")
                st.latex(anim.latex[frame])


def values(step: Step, walk: Walkthrough, lang: str) -> None:
    """Every value of the step as matrices (sample 1), one LaTeX line per value."""
    with st.expander(t("page.conv.numbers", lang)):
        for key, v in step.values.items():
            v = np.asarray(v)
            name = walk.label(key)
            if v.ndim <= 1:
                st.markdown(f"**{name}** = " + ", ".join(fmt(x) for x in np.ravel(v)))
                continue
            if v.ndim == 4:
                parts = [(t("page.conv.channel_value", lang, name=name, n=1, c=c + 1), v[0, c])
                         for c in range(v.shape[1])]
            else:
                parts = [(t("page.conv.channel_pair_value", lang, name=name, n=1, f=f + 1, c=c + 1), v[0, f, c])
                         for f in range(v.shape[1]) for c in range(v.shape[2])]
            st.markdown(" · ".join(f"*{label}*" for label, _ in parts))
            st.latex(P.relations(*(matrix_latex(m) for _, m in parts)))
