"""Streamlit pieces of the Batch Renormalization page: the lesson's own controls, a step's pictures
(the renorm graph, the three paths of ∂L/∂x, the BN-limit check) and the train/test-gap experiment.

Numbers, tables and figures come from ``bnviz`` (``bnviz.lessons.renorm``, ``bnviz.figures``);
this module only lays them out. Widget keys start with "rn_"; the sliders are bound to the URL.
"""

from __future__ import annotations

import streamlit as st

from bnviz.figures import norms as nf
from bnviz.figures.values import paths_stack
from bnviz.i18n import t
from bnviz.lessons import renorm as lesson
from bnviz.ops import renorm
from bnviz.steps import Step, Walkthrough
from ui import norms_controls as nc
from ui import render
from ui.charts import picture, plot

BIND = nc.BIND


def controls(lang: str) -> dict:
    """r_max, d_max, the moving-average rate and the population -> the params of ``lesson.compute``."""
    D, LIM = lesson.DEFAULTS, lesson.LIMITS
    a, b, c = st.columns(3)
    rmax = a.slider(t("page.renorm.rmax", lang), *LIM["rmax"], D["rmax"], 0.1, key="rn_rmax", bind=BIND)
    dmax = b.slider(t("page.renorm.dmax", lang), *LIM["dmax"], D["dmax"], 0.1, key="rn_dmax", bind=BIND)
    alpha = c.slider(t("page.renorm.alpha", lang), *LIM["alpha"], D["alpha"], 0.001, format="%.3f",
                     key="rn_alpha", bind=BIND)
    a, b = st.columns(2)
    mu = a.slider(t("page.renorm.mu", lang), *LIM["mu"], D["mu"], 0.1, key="rn_mu", bind=BIND)
    sigma = b.slider(t("page.renorm.sigma", lang), *LIM["sigma"], D["sigma"], 0.1, key="rn_sigma", bind=BIND)
    return {"rmax": float(rmax), "dmax": float(dmax), "alpha": float(alpha), "mu": float(mu), "sigma": float(sigma)}


def graph(step: Step, lang: str) -> None:
    """The renorm graph, the step's node in focus (going backward: the edges the gradient flows through)."""
    backward = step.phase == "backward"
    picture(nf.diagram(renorm.RENORM_STRUCTURE.edges, nf.RENORM_POSITIONS, nf.RENORM_LABELS, step.focus,
                       lesson.active_edges(step), backward,
                       nf.RENORM_PATHS, {"dout"}, stopped={"r", "d"}), f"renorm_graph-{step.key}",
            caption=t("page.renorm.diagram_paths" if backward else "page.renorm.diagram", lang))


def step_extras(step: Step, j: int, lang: str) -> None:
    """After a step's formulas: on backward.dx the three paths of ∂L/∂x for feature j stacked to their
    sum; on the BN-limit step, max |∂L/∂x (renorm at r = 1, d = 0) − ∂L/∂x (BN)| in a sentence."""
    if step.key == "backward.dx":
        paths = {"xhat": step.values["dx_xhat"][:, j], "var": step.values["dx_std"][:, j],
                 "mu": step.values["dx_mu"][:, j]}
        path_names = {"xhat": t("page.graph.path_xhat", lang), "var": t("page.renorm.path_std", lang),
                      "mu": t("page.renorm.path_mu", lang)}
        picture(paths_stack(paths, step.values["dx"][:, j], path_names, t("page.graph.path_total", lang),
                            t("page.graph.paths_chart", lang, j=j + 1), t("page.graph.sample", lang),
                            y_title=t("sees.axis.paths_y", lang)), "paths")
    if step.key.split(".")[1] == "bn_limit":
        render.note(lesson.limit_check(step, lang), "success")


def experiment(params: dict, walk: Walkthrough, seed: int, lang: str) -> None:
    """BN's and Batch Renorm's train/test gap against the batch size (the lesson's table's intro and note)."""
    st.markdown(f"### {t('page.renorm.experiment', lang)}")
    exp, tab = lesson.experiment(params, seed), walk.tables[0]
    st.write(tab.intro)
    plot(nf.experiment_figure(exp.sizes, exp.gaps, lesson.experiment_names(exp, lang),
                              t("page.renorm.experiment_chart", lang), t("page.renorm.batch_size", lang),
                              t("page.renorm.gap_axis", lang)), "experiment")
    st.caption(tab.note)
