"""The trail of questions: every stop's step number is its step's place in the lesson (default
settings); every question and its step's sentence exist in both languages."""

from __future__ import annotations

import pytest

from bnviz import course, trail
from bnviz.i18n import t
from bnviz.settings import Settings


@pytest.mark.parametrize("lesson", sorted({s.lesson for s in trail.TRAIL}))
def test_step_numbers_match_the_lessons(lesson):
    walk = course.build(course.lesson(lesson), Settings(), "en")
    for stop in (s for s in trail.TRAIL if s.lesson == lesson):
        assert walk.steps[stop.n - 1].key == stop.step
        assert trail.link(stop) == f"/{lesson}?{trail.STEP_PARAMS[lesson]}={stop.n}"


def test_questions_named_in_both_languages():
    assert len(trail.TRAIL) == 10
    for stop in trail.TRAIL:
        for lang in ("en", "zh"):
            named = trail.question_of(stop.lesson, stop.step, lang)
            assert named is not None and t(f"trail.{stop.key}", lang) in named
    assert trail.question_of("graph", "forward.mu", "en") is None
