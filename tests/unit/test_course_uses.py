"""Each lesson's ``uses`` (bnviz/course.py) is true: a sidebar setting changes what the lesson shows iff it is listed.

For every lesson with a walkthrough, the walkthrough is built at the default
settings and again with one sidebar setting changed (to each of a few other
values). What a learner sees of a walkthrough is compared: every step's
formulas, local derivatives, note and values, and every table. A listed
setting must change it for at least one of its other values (else the sidebar
shows a control that does nothing there); an unlisted one must change nothing
(else folding it away hides a control that matters). The oracle is the
lessons' own output, independent of how ``uses`` is written.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from functools import lru_cache

import numpy as np
import pytest

from bnviz import course
from bnviz.lessons import experiments
from bnviz.nets import finish
from bnviz.settings import DEFAULTS, Settings

CUSTOM_X = "1, 2\n3, 5\n4, 0"
OTHER: dict[str, tuple[dict, ...]] = {
    "m": ({"m": 5},),
    "d": ({"d": 2},),
    "gamma": ({"gamma": 1.7},),
    "beta": ({"beta": -0.4},),
    "eps": ({"eps": 0.1},),
    "seed": ({"seed": 3},),
    "dist": ({"dist": "uniform"}, {"dist": "custom", "x_text": CUSTOM_X}),
    "upstream": ({"upstream": "ones"}, {"upstream": "softmax"}),
}
"""Sidebar setting -> the other values tried (a typed batch comes with its text)."""


@lru_cache(maxsize=4)
def _fig1(seed: int) -> dict:
    """The smallest Figure-1 run (20 steps) with this seed: the experiments lesson shows results only once run."""
    return finish(experiments.run("fig1", 20, 1, seed))


PARAMS: dict[str, Callable[[Settings], dict]] = {
    "experiments": lambda s: {"fig1_steps": 20, "epochs": 1, "results": {"fig1": _fig1(s.seed)}},
}
"""Lesson -> its own controls for these settings (default: none), where the defaults would hide a setting."""


def shown(key: str, settings: Settings) -> list[tuple[str, object]]:
    """What a learner sees of the lesson's walkthrough: (where, text or array) in order."""
    les = course.lesson(key)
    walk = course.build(les, settings, "en", **PARAMS.get(key, lambda s: {})(settings))
    out: list[tuple[str, object]] = []
    for step in walk.steps:
        out += [(f"{step.key}.latex", step.latex), (f"{step.key}.local", step.local), (f"{step.key}.note", step.note)]
        out += [(f"{step.key}/{vid}", np.asarray(v)) for vid, v in step.values.items()]
    out += [(f"table.{tb.key}", (tb.title, tb.intro, repr(tb.columns), tb.note)) for tb in walk.tables]
    return out


def differs(a: list[tuple[str, object]], b: list[tuple[str, object]]) -> str:
    """'' if ``a`` and ``b`` show the same, else where they first differ."""
    if [k for k, _ in a] != [k for k, _ in b]:
        return "the steps or value ids"
    for (where, x), (_, y) in zip(a, b, strict=True):
        if isinstance(x, np.ndarray):
            y = np.asarray(y)
            if x.shape != y.shape or not np.array_equal(x, y, equal_nan=x.dtype.kind == "f"):
                return where
        elif x != y:
            return where
    return ""


LESSONS = [les.key for les in course.available() if les.build]


def test_every_lesson_is_checked_and_lists_only_sidebar_settings() -> None:
    assert len(LESSONS) >= 13
    for les in course.COURSE:
        assert set(les.uses) <= set(course.BATCH), les.key


@pytest.mark.parametrize("key", LESSONS)
def test_a_setting_changes_the_lesson_iff_it_is_in_uses(key: str) -> None:
    uses = course.lesson(key).uses
    base = shown(key, DEFAULTS)
    wrong = []
    for name, others in OTHER.items():
        changes = [where for other in others if (where := differs(base, shown(key, replace(DEFAULTS, **other))))]
        if name in uses and not changes:
            wrong.append(f"{name} is in uses but changes nothing the lesson shows")
        if name not in uses and changes:
            wrong.append(f"{name} is not in uses but changes {changes[0]}")
    assert not wrong, f"{key}: " + "; ".join(wrong)
