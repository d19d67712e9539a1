"""Cheap reruns: no full garbage collection over the long-lived caches after every run.

Streamlit runs ``gc.collect()`` after every script run (``runner.postScriptGC``);
with the cached SymPy derivations alive (~250k objects) that walk costs ~150 ms
per rerun, holding the GIL. ``.streamlit/config.toml`` turns it off; Python's
own generational collector still frees reference cycles (memory stays bounded:
see the README's figures). What is alive after a lesson's first run in the
process (its SymPy caches, now warm) is collected once and then frozen
(``gc.freeze``): the collector's later full passes skip it.

The first run in a process also starts :func:`warm_up`: one background thread
builds every lesson at the default settings in both languages (the SymPy
derivations, ~6 s on an idle 2-core machine), so that a class arriving at a
fresh replica does not have each first visitor of a lesson derive it again.
"""

from __future__ import annotations

import gc
import logging
import threading

_warm: set[str] = set()
_lock = threading.Lock()


def warmed(page: str) -> None:
    """Call after ``page`` ran: the first time per process, collect once and freeze what survives."""
    if page in _warm:
        return
    with _lock:
        if page in _warm:
            return
        _warm.add(page)
        gc.collect()
        gc.freeze()


_started = threading.Event()


def warm_up() -> None:
    """On the first call in the process, build every lesson once in a background thread (then freeze)."""
    if _started.is_set():
        return
    with _lock:
        if _started.is_set():
            return
        _started.set()
    threading.Thread(target=_build_all, name="bnviz-warm-up", daemon=True).start()


def _build_all() -> None:
    from bnviz import course
    from bnviz.i18n import LANGS
    from bnviz.settings import Settings

    try:
        # Streamlit's components v2 serializer imports these on its first use (~1 s): here, not in a learner's run
        import pandas  # noqa: F401
        import pyarrow  # noqa: F401

        for lang in LANGS:
            course.course_walkthroughs(Settings(lang=lang), lang)
    except Exception:  # a warm-up must never take the server down; the lesson itself reports its errors
        logging.getLogger(__name__).exception("bnviz warm-up failed")
        return
    with _lock:
        gc.collect()
        gc.freeze()
