"""Walkthrough -> Markdown / JSON. The same steps the page shows, written out."""

from __future__ import annotations

import json

import numpy as np

from bnviz import __version__
from bnviz.i18n import t
from bnviz.steps import Walkthrough

MAX_ROWS = 16
"""Markdown tables show at most this many samples (the JSON has them all)."""


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
    }


def to_json(walk: Walkthrough, extra: dict | None = None) -> str:
    """Settings, version and steps as JSON; ``extra`` keys (e.g. the CLI's
    summary) come first and may not replace the walkthrough's own keys."""
    doc = walkthrough_dict(walk)
    clash = set(extra or {}) & set(doc)
    if clash:
        raise ValueError(f"extra keys clash with the walkthrough's: {sorted(clash)}")
    return json.dumps({**(extra or {}), **doc}, ensure_ascii=False, default=_jsonable) + "\n"


def _fmt(v: float) -> str:
    return f"{v:.6g}"


def _md_table(values: dict[str, np.ndarray], lang: str, label) -> list[str]:
    """One table per step: per-sample values of feature 1.. as columns."""
    lines: list[str] = []
    per_sample = {k: v for k, v in values.items() if v.ndim == 2}
    per_feature = {k: v for k, v in values.items() if v.ndim <= 1}
    if per_sample:
        d = next(iter(per_sample.values())).shape[1]
        for j in range(d):
            heads = [label(k) for k in per_sample]
            lines += [f"*{t('export.feature', lang, j=j + 1)}*", "",
                      "| i | " + " | ".join(heads) + " |", "|---" * (len(heads) + 1) + "|"]
            m = next(iter(per_sample.values())).shape[0]
            for i in range(min(m, MAX_ROWS)):
                lines.append(f"| {i + 1} | " + " | ".join(_fmt(v[i, j]) for v in per_sample.values()) + " |")
            if m > MAX_ROWS:
                lines.append("| … | " + " | ".join("…" for _ in per_sample) + " |")
            lines.append("")
    if per_feature:
        heads = list(per_feature)
        lines += ["| " + " | ".join(label(k) for k in heads) + " |", "|---" * len(heads) + "|"]
        lines.append("| " + " | ".join(", ".join(_fmt(x) for x in np.ravel(per_feature[k])) for k in heads) + " |")
        lines.append("")
    return lines


def to_markdown(walk: Walkthrough) -> str:
    """The steps as Markdown with $$ math and value tables."""
    lang = walk.lang
    out = [f"# {walk.title}", "", t("export.generated", lang, version=__version__), "",
           f"## {t('export.settings', lang)}", ""]
    out += [f"- `{k}` = `{v}`" for k, v in walk.settings.items()] + [""]
    for n, s in enumerate(walk.steps, start=1):
        out += [f"## {n}. {s.title}", ""]
        for line in s.latex:
            out += ["$$", line, "$$", ""]
        if s.local:
            out += [f"**{t('export.local', lang)}**", ""]
            for line in s.local:
                out += ["$$", line, "$$", ""]
        if s.note:
            out += [s.note, ""]
        if s.values:
            out += [f"**{t('export.values', lang)}**", ""] + _md_table(s.values, lang, walk.label)
    return "\n".join(out)
