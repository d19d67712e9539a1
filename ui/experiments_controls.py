"""The reproductions page's own controls, tabs and results (the page reads settings → lesson builder → these)."""

from __future__ import annotations

from typing import Any

import streamlit as st

from bnviz.i18n import t
from bnviz.lessons import experiments as E
from bnviz.steps import Walkthrough
from ui import nets_controls as nc
from ui import norms_controls


def controls(seed: int, lang: str) -> tuple[int, int]:
    """Figure 1's training steps and the sweeps' epochs, side by side (``?fig1_steps=``, ``?epochs=``), and the
    sentence saying the runs use the sidebar's ``seed``."""
    left, right = st.columns(2)
    fig1_steps = norms_controls.choice("select_slider", t("page.experiments.fig1_steps", lang), E.FIG1_STEP_CHOICES,
                                       "fig1_steps", E.FIG1_STEPS, str, left)
    epochs = norms_controls.choice("select_slider", t("page.experiments.epochs", lang), E.EPOCH_CHOICES, "epochs",
                                   E.EPOCHS, str, right)
    st.caption(t("page.experiments.seed_note", lang, seed=seed))
    return fig1_steps, epochs


def run_tabs(setup: Walkthrough, fig1_steps: int, epochs: int, seed: int, lang: str) -> tuple[dict, dict[str, Any]]:
    """A tab per experiment with its setup and its run button (a result once run is kept for these settings).
    Returns the tabs (experiment -> tab) and the results found so far (experiment -> result)."""
    steps = {step.key: step for step in setup.steps}
    tabs = dict(zip(E.EXPERIMENTS, st.tabs([t(f"page.experiments.tab_{exp}", lang) for exp in E.EXPERIMENTS]),
                    strict=True))
    found = {}
    for exp, tab in tabs.items():
        key = ("experiment", exp, fig1_steps if exp == "fig1" else epochs, seed)
        with tab:
            found[exp] = nc.experiment_tab(steps[f"{exp}.setup"], nc.store().get(key),
                                           lambda exp=exp: E.run(exp, fig1_steps, epochs, seed), key, f"run_{exp}",
                                           lang)
    return tabs, {exp: r["result"] for exp, r in found.items() if r}


def results(walk: Walkthrough, tabs: dict, found: dict[str, Any], lang: str) -> None:
    """Each run experiment's figures and the walkthrough's notes on them, in its tab."""
    notes = {step.key: step.note for step in walk.steps}
    for exp, res in found.items():
        with tabs[exp]:
            nc.experiment_results(exp, res, E.figure_texts(lang), [notes[k] for k in E.RESULT_STEPS[exp]])
