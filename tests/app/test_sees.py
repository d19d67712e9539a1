"""What a learner sees (issue 12), through AppTest: the conventions said on screen, the sidebar per lesson.

Expected sentences come from the catalog; which settings a lesson uses is
checked against what its walkthrough really reads in
``tests/unit/test_course_uses.py``.
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from app_helpers import assert_ok, new_app, switch_lang, switch_to

from bnviz import course
from bnviz.i18n import LANGS, t
from bnviz.settings import DEFAULTS
from ui import conventions

CONVENTION_LESSONS = {
    "graph": "sees.convention.eps0",
    "axes": "sees.convention.layernorm_gamma",
    "network": "sees.convention.running",
}
"""Lesson -> the convention sentence the issue asks it to state."""


def open_lesson(key: str, query: dict[str, str] | None = None, lang: str = "en"):
    at = new_app(query)
    if key == "home":  # the app's default page
        at.run()
        assert_ok(at)
    else:
        switch_to(at, course.lesson(key).page)
    return switch_lang(at, lang)


def infos(at) -> str:
    return "\n".join(e.value for e in at.info)


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("key", sorted(CONVENTION_LESSONS))
def test_each_convention_sentence_is_on_its_lesson(key: str, lang: str) -> None:
    at = open_lesson(key, lang=lang)
    shown = infos(at)
    assert t("sees.convention.title", lang) in shown
    assert t(CONVENTION_LESSONS[key], lang) in shown


def test_eps_zero_is_said_on_every_lesson_that_uses_eps() -> None:
    settings = replace(DEFAULTS, eps=0.0)
    for les in course.available():
        said = conventions.EPS0 in conventions.keys(les.key, settings)
        assert said == ("eps" in les.uses), les.key
    assert conventions.EPS0 not in conventions.keys("saturation", DEFAULTS)


def test_eps_zero_sentence_matches_pytorch() -> None:
    """The sentence says PyTorch refuses ε = 0 in training: check that against PyTorch itself."""
    import torch

    x = torch.randn(4, 3, dtype=torch.float64)
    with pytest.raises(ValueError, match="eps must be positive"):
        torch.nn.functional.batch_norm(x, None, None, training=True, eps=0.0)
    assert "eps must be positive during training" in t(conventions.EPS0, "en")


def test_layernorm_sentence_matches_pytorch_shapes() -> None:
    import torch

    c, h, w = 3, 4, 5
    assert tuple(torch.nn.LayerNorm((c, h, w)).weight.shape) == (c, h, w)
    assert tuple(torch.nn.GroupNorm(1, c).weight.shape) == (c,)


def sidebar_labels(at) -> tuple[list[str], list[str]]:
    """(labels of widgets drawn in the sidebar, labels inside the "not used" expander)."""
    unused = [e for e in at.sidebar.expander if e.label == t("sees.sidebar.unused", "en")]
    inside = [w.label for e in unused for w in (*e.slider, *e.select_slider, *e.number_input, *e.selectbox)]
    return [w.label for w in (*at.sidebar.slider, *at.sidebar.select_slider, *at.sidebar.number_input,
                              *at.sidebar.selectbox)], inside


LABELS = {"m": "sidebar.m", "d": "sidebar.d", "gamma": "sidebar.gamma", "beta": "sidebar.beta", "eps": "sidebar.eps",
          "seed": "sidebar.seed", "dist": "sidebar.dist", "upstream": "sidebar.upstream"}


@pytest.mark.parametrize("key", ["home", "graph", "conv", "saturation"])
def test_sidebar_folds_away_what_the_lesson_does_not_use(key: str) -> None:
    at = open_lesson(key)
    every, folded = sidebar_labels(at)
    uses = course.lesson(key).uses
    for name, label_key in LABELS.items():
        label = t(label_key, "en")
        assert label in every, f"{name} is not drawn at all on {key} (its value would be lost)"
        assert (label in folded) == (name not in uses), f"{name} on {key}: folded={label in folded}"


def test_sidebar_shows_the_typed_batch_size() -> None:
    at = open_lesson("graph", {"dist": "custom", "x_text": "1, 2\n3, 5\n4, 0"})
    captions = [c.value for c in at.sidebar.caption]
    assert t("sees.sidebar.used_custom", "en", m=3, d=2) in captions, captions
    at = open_lesson("graph", {"m": "6"})
    assert t("sees.sidebar.used", "en", m=6, d=DEFAULTS.d) in [c.value for c in at.sidebar.caption]
