"""The sync lesson's own controls and step pictures (the page reads settings → lesson builder → these)."""

from __future__ import annotations

import streamlit as st

from bnviz.figures import practice as fig
from bnviz.i18n import t
from bnviz.lessons import sync as lesson
from bnviz.ops.sync import divisors
from bnviz.settings import Settings
from bnviz.steps import Step, Walkthrough
from ui import norms_controls as nc
from ui.charts import picture


def controls(s: Settings, lang: str) -> tuple[int, int]:
    """The device count k (a divisor of M) beside the GroupNorm group count G (a divisor of D) -> (k, G)."""
    a, b = st.columns(2)
    devices = nc.choice("segmented_control", t("page.sync.devices", lang), divisors(s.m), "sync_devices",
                        lesson.default_devices(s.m), str, container=a)
    groups = nc.choice("selectbox", t("page.sync.groups", lang), divisors(s.d, s.d), "sync_groups", 1, str,
                       container=b)
    return int(devices), int(groups)


def picture_of(step: Step, walk: Walkthrough, le: lesson.SyncLesson, j: int, lang: str) -> None:
    """The step's chart for feature j: the device means beside the whole batch's (forward), the spread of small
    devices' statistics, or ∂L/∂x per device, synchronized and GroupNorm (backward)."""
    name = step.key.split(".")[1]
    per_device, whole = t("page.sync.per_device", lang), t("page.sync.whole", lang)
    if name in ("local", "allreduce", "normalize"):
        mu_dev = walk.steps[walk.index("forward.local")].values["mu_dev"][:, j]
        picture(fig.device_means(mu_dev, le.sync.mean[j], t("page.sync.chart_means", lang, j=j + 1),
                                 t("page.sync.device", lang), (per_device, whole)), f"sync_means-{step.key}")
    elif name == "small":
        spread = le.spread
        picture(fig.spread_figure(spread["devices"], spread["mean_dev"], spread["var_ratio"],
                                  t("page.sync.chart_spread", lang), t("page.sync.axis_devices", lang),
                                  (t("page.sync.mean_dev", lang), t("page.sync.var_ratio", lang))),
                f"sync_spread-{step.key}")
    elif step.phase == "backward":
        values = {k: v for s in walk.steps for k, v in s.values.items()}
        picture(fig.dx_compare(values["dx_local"][:, j], values["dx"][:, j], values["gn_dx"][:, j],
                               t("page.sync.chart_dx", lang, j=j + 1), t("page.sync.sample", lang),
                               (per_device, whole, t("page.sync.groupnorm", lang))), f"sync_dx-{step.key}")
