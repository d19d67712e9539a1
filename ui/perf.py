"""Cheap reruns: no full garbage collection over the long-lived caches after every run.

Streamlit runs ``gc.collect()`` after every script run (``runner.postScriptGC``);
with the cached SymPy derivations alive (~250k objects) that walk costs ~150 ms
per rerun, holding the GIL. ``.streamlit/config.toml`` turns it off; Python's
own generational collector still frees reference cycles (memory stays bounded:
see the README's figures). What is alive after a lesson's first run in the
process (its SymPy caches, now warm) is collected once and then frozen
(``gc.freeze``): the collector's later full passes skip it.
"""

from __future__ import annotations

import gc
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
