"""The saturation lesson's own controls and pictures (the page reads settings → lesson builder → these)."""

from __future__ import annotations

import streamlit as st

from bnviz.figures.saturation import saturation_figure, share_bars
from bnviz.i18n import t
from bnviz.lessons import saturation
from bnviz.settings import Settings
from bnviz.steps import Walkthrough
from ui import norms_controls
from ui.charts import plot, table


def controls(lang: str) -> tuple[tuple[float, ...], tuple[float, ...], float, int]:
    """The batches' means and scales (one pair per batch), the threshold τ and the sample count, bound to the URL."""
    with st.expander(t("page.saturation.batches_header", lang), expanded=True):
        means, scales = [], []
        for k, col in enumerate(st.columns(len(saturation.MEANS))):
            lo, hi = saturation.LIMITS["mean"]
            means.append(col.slider(t("page.saturation.mean", lang, k=k + 1), lo, hi, saturation.MEANS[k], 0.5,
                                    key=f"sat_mean{k + 1}", bind="query-params"))
            lo, hi = saturation.LIMITS["scale"]
            scales.append(col.slider(t("page.saturation.scale", lang, k=k + 1), lo, hi, saturation.SCALES[k], 0.1,
                                     key=f"sat_scale{k + 1}", bind="query-params"))
        left, right = st.columns(2)
        tau = norms_controls.choice("select_slider", t("page.saturation.tau", lang), saturation.TAUS, "tau",
                                    saturation.TAU, lambda v: f"{v:g}", left)
        samples = norms_controls.choice("select_slider", t("page.saturation.samples", lang),
                                        (200, 500, 1000, 2000, 5000), "samples", saturation.SAMPLES, str, right)
    return tuple(means), tuple(scales), tau, samples


def pictures(walk: Walkthrough, s: Settings, tau: float, lang: str) -> None:
    """The threshold sentence, the batches before and after BN over the sigmoid, the saturated shares (bars and
    a table), all from the walkthrough's values."""
    v = {k: a for st_ in walk.steps for k, a in st_.values.items()}
    z_tau = float(v["z_tau"])
    names = [t("page.saturation.batch", lang, k=k + 1) for k in range(len(saturation.MEANS))]
    curve_names = {k: t(f"page.saturation.{k}", lang) for k in ("normal", "sigmoid", "dsigmoid", "saturated")}
    x_title, y_title = t("page.saturation.x_axis", lang), t("page.saturation.density", lang)

    st.info(t("page.saturation.threshold", lang, tau=f"{tau:g}", z=f"{z_tau:.3f}"))
    before_col, after_col = st.columns(2)
    plot(saturation_figure(v["xs"], names, z_tau, t("page.saturation.before_title", lang), x_title, y_title,
                           curve_names), "sat_before", before_col)
    plot(saturation_figure(v["xbn"], names, z_tau, t("page.saturation.after_title", lang, gamma=f"{s.gamma:g}",
                                                                                      beta=f"{s.beta:g}"),
                           x_title, y_title, curve_names), "sat_after", after_col)

    bars_col, table_col = st.columns([3, 2])
    plot(share_bars(names, v["share_before"], v["share_after"],
                    (t("page.saturation.before", lang), t("page.saturation.after", lang)),
                    t("page.saturation.shares_title", lang, tau=f"{tau:g}"), t("page.saturation.share_axis", lang)),
         "sat_shares", bars_col)
    table({  # a static table whose headers wrap (a data grid cut the last one)
        t("page.saturation.table_batch", lang): names,
        t("page.saturation.table_mean", lang): [f"{x:.2f}" for x in v["batch_mean"]],
        t("page.saturation.table_std", lang): [f"{x:.2f}" for x in v["batch_std"]],
        t("page.saturation.table_before", lang): [f"{100 * x:.1f}%" for x in v["share_before"]],
        t("page.saturation.table_after", lang): [f"{100 * x:.1f}%" for x in v["share_after"]],
    }, table_col)
