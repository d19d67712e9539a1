"""Streamlit helpers for "switch a path off": the picker, what a removal did, the network runs side by side.

The numbers are :mod:`bnviz.ablation`'s (graph lesson) and :mod:`bnviz.nets`' (the
network trained with ``NetConfig.ablate``); this module only draws them.
"""

from __future__ import annotations

import streamlit as st

from bnviz import ablation
from bnviz.figures.ablation import dx_compare
from bnviz.i18n import t
from ui import norms_controls
from ui.charts import plot

OFF = "none"
"""The picker's "nothing switched off" option (the URL parameter is then absent)."""


def picker(lang: str, key: str = "ablate", label: str = "learn.ablation.label") -> str | None:
    """A selector of the term to switch off (kept in the URL as ``?<key>=name``); None for the true backward."""
    names = {OFF: t("learn.ablation.off", lang), **{a: t(f"learn.ablation.name.{a}", lang) for a in ablation.ABLATIONS}}
    chosen = norms_controls.choice("selectbox", t(label, lang), (OFF, *ablation.ABLATIONS), key, OFF,
                                   names.get, help=t("learn.ablation.intro", lang))
    return None if chosen in (None, OFF) else str(chosen)


def show(ab: ablation.Ablation, lang: str, feature: int, rows_title: str, key: str = "ablation") -> None:
    """What the removal did: the verdict and ∂L/∂x true beside ablated (the table of errors and
    sums is the lesson's own table, ``render.tables``)."""
    st.subheader(t("learn.ablation.title", lang))
    (st.success if ab.harmless else st.error)(ablation.verdict(ab, lang))
    name = t(f"learn.ablation.name.{ab.removed}", lang)
    names = {"true": t("learn.ablation.true", lang), "ablated": t("learn.ablation.ablated", lang, path=name)}
    plot(dx_compare(ab.dx_true[:, feature], ab.dx[:, feature], ab.removed, names,
                    t("learn.ablation.dx_chart", lang, j=feature + 1, path=name), rows_title), f"{key}_dx")


def net_run_name(removed: str, lang: str) -> str:
    return t("learn.ablation.ablated", lang, path=t(f"learn.ablation.name.{removed}", lang))


def net_table(runs: dict, names: dict[str, str], lang: str) -> None:
    """Final loss and accuracy of each run, side by side (runs: name -> nets.Progress)."""
    cols = {t("learn.ablation.run", lang): [], t("learn.ablation.val_loss", lang): [],
            t("learn.ablation.val_acc", lang): [], t("learn.ablation.train_loss", lang): []}
    for name, p in runs.items():
        h = p.history
        for col, v in zip(cols, (names.get(name, name), f"{h.val_loss[-1]:.4f}", f"{h.val_acc[-1]:.1%}",
                                 f"{h.train_loss[-1]:.4f}"), strict=True):
            cols[col].append(v)
    st.dataframe(cols, hide_index=True)
