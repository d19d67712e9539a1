"""The axes lesson's own controls and its tensor picture (the page reads settings → lesson builder → these)."""

from __future__ import annotations

import streamlit as st

from bnviz.figures import norms as nf
from bnviz.i18n import t
from bnviz.lessons import axes as lesson
from ui import norms_controls as nc
from ui.charts import plot


def controls(lang: str) -> dict:
    """The norm, the tensor's N, C, H, W and (group norm) the groups, bound to the URL: the lesson's params."""
    D, LIM = lesson.DEFAULTS, lesson.LIMITS
    norm = nc.choice("segmented_control", t("page.axes.norm", lang), lesson.KINDS, "ax_norm", D["norm"],
                     lambda k: t(f"page.axes.kind.{k}", lang))
    cols = st.columns(4)
    size = {dim: col.slider(t(f"page.axes.{dim}", lang), *LIM[dim], D[dim], key=f"ax_{dim}", bind=nc.BIND)
            for col, dim in zip(cols, ("n", "c", "h", "w"), strict=True)}
    groups = D["groups"]
    if norm == "group":
        groups = st.slider(t("page.axes.groups", lang), *LIM["groups"], D["groups"], key="ax_groups", bind=nc.BIND)
    return {"norm": norm, "groups": int(groups), **{k: int(v) for k, v in size.items()}}


def picture(lay, norm: str, lang: str) -> int:
    """The set picker and its caption beside the tensor picture (each reduced set coloured, the chosen one
    marked); returns the chosen set (0-based)."""
    pick, pic = st.columns([1, 3])
    with pick:
        chosen = nc.column_picker(lay.sets, lang, "ax_set", "page.axes.set", "page.axes.set_option", "s")
        st.caption(t("page.axes.picture", lang, m=lay.m, sets=lay.sets))
    with pic:
        plot(nf.axes_figure(lay.set_index(), chosen,
                            t("page.axes.picture_title", lang, name=t(f"page.axes.kind.{norm}", lang)),
                            t("page.axes.sample_axis", lang), t("page.axes.channel_axis", lang)), "axes_picture")
    return chosen
