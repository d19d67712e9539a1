"""The JSON export: settings, version and every step's title, LaTeX and values (nested lists), for one
walkthrough or the course."""

from __future__ import annotations

import json

import numpy as np

from bnviz import __version__
from bnviz.export.common import Walks, walks_of
from bnviz.steps import Walkthrough


def _jsonable(v: object) -> object:
    if isinstance(v, np.ndarray):
        return v.tolist()
    if isinstance(v, (np.floating, np.integer)):
        return v.item()
    raise TypeError(type(v))


def walkthrough_dict(walk: Walkthrough) -> dict:
    """Settings, version and every step's title, LaTeX and values (nested lists)."""
    return {
        "bnviz": __version__,
        "page": walk.page,
        "title": walk.title,
        "lang": walk.lang,
        "settings": walk.settings,
        "steps": [
            {"key": s.key, "phase": s.phase, "title": s.title, "latex": list(s.latex),
             "local": list(s.local), "note": s.note,
             "values": {k: v.tolist() for k, v in s.values.items()}}
            for s in walk.steps
        ],
        "tables": [{"key": tb.key, "title": tb.title, "intro": tb.intro, "columns": tb.columns, "note": tb.note}
                   for tb in walk.tables],
    }


def to_json(walks: Walks, extra: dict | None = None) -> str:
    """One walkthrough as a JSON object, or the course as {"bnviz", "lessons": [...]}.

    ``extra`` keys (e.g. the CLI's summary) come first and may not replace
    the walkthrough's own keys.
    """
    items = walks_of(walks)
    if isinstance(walks, Walkthrough):
        doc = walkthrough_dict(walks)
    else:
        doc = {"bnviz": __version__, "lessons": [walkthrough_dict(w) for w in items]}
    clash = set(extra or {}) & set(doc)
    if clash:
        raise ValueError(f"extra keys clash with the walkthrough's: {sorted(clash)}")
    return json.dumps({**(extra or {}), **doc}, ensure_ascii=False, default=_jsonable) + "\n"
