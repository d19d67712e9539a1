"""Where bnviz differs from PyTorch, cs231n or Caffe: the lesson's convention sentences, under the lesson.

A lesson lists its sentences in ``bnviz.course.Lesson.conventions``; with ε = 0
every lesson that uses ε also says that PyTorch refuses it in training.
"""

from __future__ import annotations

import streamlit as st

from bnviz.course import lesson
from bnviz.i18n import t
from bnviz.settings import Settings

EPS0 = "sees.convention.eps0"


def keys(key: str, settings: Settings) -> list[str]:
    """The convention sentences (catalog keys) lesson ``key`` shows at these settings."""
    les = lesson(key)
    out = list(les.conventions)
    if settings.eps == 0 and "eps" in les.uses and EPS0 not in out:
        out.append(EPS0)
    return out


def show(key: str, settings: Settings) -> None:
    """The sentences, in one note titled "Where bnviz differs ..." (nothing when there are none)."""
    found = keys(key, settings)
    if not found:
        return
    lines = [f"**{t('sees.convention.title', settings.lang)}**"] + [f"- {t(k, settings.lang)}" for k in found]
    st.info("\n".join(lines))
