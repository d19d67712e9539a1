"""Page: which axes? Batch, conv-batch, layer, instance and group norm on one (N, C, H, W) tensor."""

import streamlit as st

from bnviz.figures import norms as nf
from bnviz.i18n import InputError, t
from bnviz.lessons import axes as lesson
from ui import charts, render, sidebar
from ui import norms_controls as nc
from ui.charts import plot
from ui.stepper import stepper

s = sidebar.current()
lang = s.lang
st.title(t("page.axes.title", lang))
st.caption(t("page.axes.intro", lang))

D, LIM = lesson.DEFAULTS, lesson.LIMITS
norm = nc.choice("segmented_control", t("page.axes.norm", lang), lesson.KINDS, "ax_norm", D["norm"],
                 lambda k: t(f"page.axes.kind.{k}", lang))
cols = st.columns(4)
size = {dim: col.slider(t(f"page.axes.{dim}", lang), *LIM[dim], D[dim], key=f"ax_{dim}", bind=nc.BIND)
        for col, dim in zip(cols, ("n", "c", "h", "w"), strict=True)}
groups = D["groups"]
if norm == "group":
    groups = st.slider(t("page.axes.groups", lang), *LIM["groups"], D["groups"], key="ax_groups", bind=nc.BIND)
params = {"norm": norm, "groups": int(groups), **{k: int(v) for k, v in size.items()}}

try:
    ax = lesson.compute(s, **params)
except InputError as err:
    render.input_error(err, lang)
render.notes(ax.notes, lang)
walk = lesson.build(ax, s, lang, params)
lay = ax.layout

pick, picture = st.columns([1, 3])
with pick:
    chosen = nc.column_picker(lay.sets, lang, "ax_set", "page.axes.set", "page.axes.set_option", "s")
    st.caption(t("page.axes.picture", lang, m=lay.m, sets=lay.sets))
with picture:
    plot(nf.axes_figure(lay.set_index(), chosen, t("page.axes.picture_title", lang, name=t(f"page.axes.kind.{norm}",
                                                                                             lang)),
                        t("page.axes.sample_axis", lang), t("page.axes.channel_axis", lang)), "axes_picture")

table = walk.tables[0]
st.markdown(f"**{table.title}**")
nc.table(table.columns)

st.divider()
st.markdown(f"### {t('page.axes.steps', lang)}")
for step in stepper(walk, lang, "ax_step", html_only=True):
    render.formulas(step, lang)
    charts.table(lesson.table(step, chosen, walk.labels, lay))

render.downloads(walk, "bnviz-axes")
