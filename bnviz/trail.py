"""A trail of questions: the ones learners ask, each linked to the step that answers it.

The home page lists :data:`TRAIL`, each entry linking to ``/<lesson>?<param>=<n>``
(the lesson's stepper parameter, :data:`STEP_PARAMS`, and the step's number at
the default settings); that step names its question (:func:`question_of`).
A unit test checks every step number against the lessons' own step keys.
"""

from __future__ import annotations

from dataclasses import dataclass

from bnviz.i18n import t


@dataclass(frozen=True)
class Stop:
    """key: the question's catalog id (``trail.<key>``); lesson: the lesson's key and URL path;
    step: the key of the step that answers it; n: that step's number (from 1) at default settings."""

    key: str
    lesson: str
    step: str
    n: int


STEP_PARAMS = {
    "saturation": "sat_step", "graph": "step", "upstream": "up_step", "train_test": "tt_step",
    "renorm": "rn_step", "axes": "ax_step", "conv": "conv_step", "pool": "pool_step", "network": "net_step",
}
"""Each stepped lesson's URL parameter for its step (``ui.stepper``)."""

TRAIL: tuple[Stop, ...] = (
    Stop("dout", "upstream", "backward.relu", 9),
    Stop("paths", "graph", "backward.dx", 16),
    Stop("closed", "graph", "backward.closed", 17),
    Stop("momentum", "train_test", "forward.pytorch", 3),
    Stop("unbiased", "train_test", "forward.caffe", 5),
    Stop("test_time", "train_test", "forward.test", 6),
    Stop("axes", "axes", "forward.sets", 1),
    Stop("rotated", "conv", "conv.rotate", 3),
    Stop("sparse", "pool", "pool.backward", 2),
    Stop("saturation", "network", "statistics", 16),
)
"""The questions, in the order a learner meets them in the course."""


def link(stop: Stop) -> str:
    """The URL (path and query) of the step that answers ``stop``."""
    return f"/{stop.lesson}?{STEP_PARAMS[stop.lesson]}={stop.n}"


def question_of(lesson: str, step_key: str, lang: str) -> str | None:
    """The sentence naming the question a step answers ("This step answers: …"), or None."""
    for stop in TRAIL:
        if stop.lesson == lesson and stop.step == step_key:
            return t("trail.answers", lang, question=t(f"trail.{stop.key}", lang))
    return None
