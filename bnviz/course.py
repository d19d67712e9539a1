"""The course: every lesson in walkthrough order, in one place.

``app.py`` builds the navigation from :data:`COURSE` (skipping lessons whose
page file does not exist yet), the home page lists it, and the whole-course
export walks it. A lesson's catalog keys are ``page.<key>.title`` and
``page.<key>.summary``.

A lesson's ``build`` names a function ``module:function`` with the signature
``(settings: Settings, lang: str, **params) -> Walkthrough``; ``params`` are
the lesson's own page controls (their defaults when omitted). It raises
``InputError`` for settings it cannot show.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from bnviz.settings import Settings
from bnviz.steps import Walkthrough

ROOT = Path(__file__).resolve().parent.parent


BATCH = ("m", "d", "gamma", "beta", "eps", "seed", "dist", "upstream")
"""Every sidebar setting (``Settings`` fields; ``x_text``/``dout_text`` go with ``dist``/``upstream``)."""
NO_UPSTREAM = tuple(k for k in BATCH if k != "upstream")


@dataclass(frozen=True)
class Lesson:
    """key: id and URL path; page: file under the repo root; build: see module doc.

    uses: the sidebar settings the lesson reads (the sidebar folds the others away, saying so); every lesson
    states it (``tests/unit/test_course_uses.py``: a setting changes the lesson's numbers iff it is listed);
    conventions: catalog keys of the sentences saying where bnviz differs from PyTorch, cs231n or
    Caffe in this lesson (shown under the lesson; ``tests/app/test_sees.py`` checks each is there).
    """

    key: str
    page: str
    icon: str
    build: str | None = None
    uses: tuple[str, ...] = BATCH
    conventions: tuple[str, ...] = ()


COURSE: tuple[Lesson, ...] = (
    Lesson("home", "pages/home_page.py", "🏠", uses=()),
    Lesson("saturation", "pages/saturation_page.py", "📉", "bnviz.lessons.saturation:walkthrough",
           uses=("gamma", "beta", "eps", "seed")),
    Lesson("graph", "pages/graph_page.py", "🕸️", "bnviz.lessons.graph:walkthrough", uses=BATCH,
           conventions=("sees.convention.eps0",)),
    Lesson("upstream", "pages/upstream_page.py", "⬇️", "bnviz.lessons.upstream:walkthrough", uses=NO_UPSTREAM),
    Lesson("train_test", "pages/train_test_page.py", "🔁", "bnviz.lessons.train_test:walkthrough", uses=BATCH),
    Lesson("renorm", "pages/renorm_page.py", "🧮", "bnviz.lessons.renorm:walkthrough", uses=BATCH),
    Lesson("axes", "pages/axes_page.py", "🧊", "bnviz.lessons.axes:walkthrough",
           uses=("gamma", "beta", "eps", "seed", "dist", "upstream"), conventions=("sees.convention.layernorm_gamma",)),
    Lesson("conv", "pages/conv_page.py", "🔲", "bnviz.lessons.conv:walkthrough", uses=("seed",)),
    Lesson("pool", "pages/pool_page.py", "🔳", "bnviz.lessons.pool:walkthrough", uses=("seed",)),
    Lesson("network", "pages/network_page.py", "🧠", "bnviz.lessons.network:walkthrough", uses=("seed",),
           conventions=("sees.convention.running",)),
    Lesson("experiments", "pages/experiments_page.py", "🔬", "bnviz.lessons.experiments:walkthrough", uses=("seed",)),
    Lesson("fold", "pages/fold_page.py", "🧷", "bnviz.lessons.fold:walkthrough", uses=NO_UPSTREAM),
    Lesson("sync", "pages/sync_page.py", "💻", "bnviz.lessons.sync:walkthrough", uses=BATCH),
    Lesson("bugzoo", "pages/bugzoo_page.py", "🐛", "bnviz.lessons.bugzoo:walkthrough", uses=("seed",)),
)


def available() -> list[Lesson]:
    """The lessons whose page exists, in course order (the files are looked at once per process)."""
    return list(_available())


@lru_cache(maxsize=1)
def _available() -> tuple[Lesson, ...]:
    return tuple(lesson for lesson in COURSE if (ROOT / lesson.page).is_file())


def lesson(key: str) -> Lesson:
    return next(les for les in COURSE if les.key == key)



def build(les: Lesson, settings: Settings, lang: str, **params: object) -> Walkthrough:
    """The lesson's walkthrough for these settings (its own controls at ``params``)."""
    if les.build is None:
        raise ValueError(f"lesson {les.key!r} has no walkthrough")
    module, func = les.build.split(":")
    return getattr(importlib.import_module(module), func)(settings, lang, **params)


def course_walkthroughs(settings: Settings, lang: str) -> list[Walkthrough]:
    """Every available lesson's walkthrough for these settings, in course order
    (each lesson's own controls at their defaults)."""
    return [build(les, settings, lang) for les in available() if les.build]
