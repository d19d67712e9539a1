"""Page: folding test-mode BN into the affine or conv layer before it (bnviz.lessons.fold)."""

import streamlit as st

from bnviz.figures import practice as fig
from bnviz.i18n import InputError, t
from bnviz.lessons import fold as lesson
from bnviz.ops.fold import LAYERS
from ui import norms_controls as nc
from ui import practice_controls as pc
from ui import render, sidebar
from ui.charts import picture
from ui.stepper import stepper

s = sidebar.current()
lang = s.lang
st.title(t("page.fold.title", lang))
st.caption(t("page.fold.intro", lang))

D, LIM = lesson.DEFAULTS, lesson.LIMITS
a, b = st.columns(2)
layer = nc.choice("segmented_control", t("page.fold.layer", lang), LAYERS, "fold_layer", D["layer"],
                  lambda k: t(f"page.fold.layer_{k}", lang), container=a)
d_out = b.slider(t("page.fold.d_out", lang), *LIM["d_out"], D["d_out"], key="fold_d_out", bind=nc.BIND)
try:
    le = lesson.compute(s, layer, d_out)
except InputError as err:
    render.input_error(err, lang)
render.notes(le.notes, lang)
st.caption(t("page.fold.drawn", lang, seed=s.seed))
walk = lesson.build(le, s, lang, {"layer": layer, "d_out": int(d_out)})

st.markdown(f"### {t('page.fold.steps', lang)}")
for step in stepper(walk, lang, "fold_step", html_only=True):
    render.formulas(step, lang)
    if step.key == "forward.check":
        picture(fig.fold_scatter(le.y, le.y_fold, t("page.fold.chart", lang), t("page.fold.axis_unfolded", lang),
                              t("page.fold.axis_folded", lang)), "fold_scatter")
    pc.arrays(step, walk)
render.downloads(walk, "bnviz-fold", key="fold_dl")
