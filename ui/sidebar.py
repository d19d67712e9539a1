"""The shared sidebar: every setting, bound to the URL's query parameters."""

from __future__ import annotations

from dataclasses import fields

import streamlit as st

from bnviz.i18n import LANG_NAMES, LANGS, t
from bnviz.settings import DEFAULTS, DISTRIBUTIONS, EPS_CHOICES, LIMITS, UPSTREAMS, Settings

BIND = "query-params"


def _eps_label(v: float) -> str:
    return "0" if v == 0 else f"{v:.0e}".replace("e-0", "e-")


def render() -> Settings:
    """Draw the sidebar widgets and return the settings they hold."""
    sb = st.sidebar
    lang = sb.segmented_control(
        t("app.language", st.session_state.get("lang") or "en"), LANGS,
        format_func=LANG_NAMES.get, key="lang", default=DEFAULTS.lang, bind=BIND,
    ) or DEFAULTS.lang
    sb.header(t("sidebar.header", lang))
    lo, hi = LIMITS["m"]
    sb.slider(t("sidebar.m", lang), int(lo), int(hi), DEFAULTS.m, key="m", bind=BIND)
    lo, hi = LIMITS["d"]
    sb.slider(t("sidebar.d", lang), int(lo), int(hi), DEFAULTS.d, key="d", bind=BIND)
    lo, hi = LIMITS["gamma"]
    sb.slider(t("sidebar.gamma", lang), lo, hi, DEFAULTS.gamma, 0.1, key="gamma", bind=BIND)
    lo, hi = LIMITS["beta"]
    sb.slider(t("sidebar.beta", lang), lo, hi, DEFAULTS.beta, 0.1, key="beta", bind=BIND)
    sb.select_slider(t("sidebar.eps", lang), EPS_CHOICES, DEFAULTS.eps, format_func=_eps_label,
                     key="eps", bind=BIND)
    lo, hi = LIMITS["seed"]
    sb.number_input(t("sidebar.seed", lang), int(lo), int(hi), DEFAULTS.seed, 1, key="seed", bind=BIND)
    dist = sb.selectbox(t("sidebar.dist", lang), DISTRIBUTIONS, format_func=lambda k: t(f"dist.{k}", lang),
                        key="dist", bind=BIND)
    if dist == "custom":
        sb.text_area(t("sidebar.x_text", lang), "1, 2\n3, 5\n4, 0", key="x_text", bind=BIND)
    upstream = sb.selectbox(t("sidebar.upstream", lang), UPSTREAMS,
                            format_func=lambda k: t(f"upstream.{k}", lang), key="upstream", bind=BIND)
    if upstream == "custom":
        sb.text_area(t("sidebar.dout_text", lang), "1, 0\n0, 1\n-1, 1", key="dout_text", bind=BIND)
    state = st.session_state
    return Settings(**{
        f.name: state.get(f.name, getattr(DEFAULTS, f.name)) if f.name != "lang" else lang
        for f in fields(Settings)
    })


def current() -> Settings:
    """The settings drawn by ``render`` in this run (pages call this)."""
    return st.session_state["_settings"]
