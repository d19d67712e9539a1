"""What every export shares: the walkthroughs to write, the values each step adds, the settings rows
and the steps' values as tables (caption, header, rows), numbers formatted once (``fmt_value``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from bnviz.i18n import LANG_NAMES, catalog, t
from bnviz.steps import Step, Walkthrough

MAX_ROWS = 16
"""Tables show at most this many samples (the JSON and the notebook have them all)."""

Walks = Walkthrough | Sequence[Walkthrough]


def walks_of(w: Walks) -> list[Walkthrough]:
    """One walkthrough, or the course's walkthroughs in course order, as a list."""
    return [w] if isinstance(w, Walkthrough) else list(w)


def fmt_value(v: float) -> str:
    """A number as the tables write it: six significant digits."""
    return f"{v:.6g}"


def new_values(walk: Walkthrough) -> list[dict[str, np.ndarray]]:
    """Per step, the values it adds: a value id already shown by an earlier step with the same
    numbers is left out (the page repeats it beside the new ones; a document shows it once)."""
    shown: dict[str, np.ndarray] = {}
    out = []
    for step in walk.steps:
        own = {k: v for k, v in step.values.items()
               if k not in shown or shown[k].shape != v.shape or not np.array_equal(shown[k], v, equal_nan=True)}
        shown.update(own)
        out.append(own)
    return out


def own_step(step: Step, values: dict[str, np.ndarray]) -> Step:
    """``step`` with only ``values`` (value id -> array, the values it adds: :func:`new_values`)."""
    return replace(step, values=values)


def setting_rows(walk: Walkthrough) -> list[tuple[str, str]]:
    """The recorded settings as (label, value) in the walkthrough's language: the sidebar's labels,
    choices by their names, lists joined, typed matrices one row after another, empty text as "—"."""
    lang = walk.lang
    rows = []
    for k, v in walk.settings.items():
        if (k == "x_text" and walk.settings.get("dist") != "custom") or (
                k == "dout_text" and walk.settings.get("upstream") != "custom"):
            continue  # the typed batch only counts with "my own values"
        label = t(f"sidebar.{k}", lang) if f"sidebar.{k}" in catalog() else (
            t("app.language", lang) if k == "lang" else k)
        if k in ("dist", "upstream") and f"{k}.{v}" in catalog():
            text = t(f"{k}.{v}", lang)
        elif k == "lang":
            text = LANG_NAMES.get(str(v), str(v))
        elif isinstance(v, (list, tuple)):
            text = ", ".join(fmt_value(x) if isinstance(x, float) else str(x) for x in v)
        else:
            text = "; ".join(r.strip() for r in str(v).splitlines() if r.strip())
        rows.append((label, text or "—"))
    return rows


def value_tables(step: Step, walk: Walkthrough) -> list[tuple[str | None, list[str], list[list[str]]]]:
    """The step's values as tables: (caption, header, rows).

    Per-sample values (m, D): one table per feature, the samples as rows.
    Arrays of more dimensions (e.g. (N, C, H, W)): one table per 2-D slice,
    captioned with its leading indices. Per-feature and scalar values: one
    table, one row. At most MAX_ROWS rows each, then an ellipsis row.
    """
    out: list[tuple[str | None, list[str], list[list[str]]]] = []
    per_sample = {k: v for k, v in step.values.items() if v.ndim == 2}
    per_feature = {k: v for k, v in step.values.items() if v.ndim <= 1}
    if per_sample:
        shapes = {v.shape for v in per_sample.values()}
        if len(shapes) > 1:  # not one batch: each matrix on its own
            for k, v in per_sample.items():
                out.append(_matrix(walk.label(k), v))
        else:
            m, d = next(iter(shapes))
            heads = ["i", *(walk.label(k) for k in per_sample)]
            for j in range(d):
                rows = [[str(i + 1), *(fmt_value(v[i, j]) for v in per_sample.values())]
                        for i in range(min(m, MAX_ROWS))]
                if m > MAX_ROWS:
                    rows.append(["…"] * len(heads))
                out.append((t("export.feature", walk.lang, j=j + 1), heads, rows))
    for k, v in step.values.items():
        if v.ndim > 2:
            for idx in np.ndindex(*v.shape[:-2]):
                out.append(_matrix(f"{walk.label(k)}[{', '.join(map(str, idx))}]", v[idx]))
    if per_feature:
        heads = [walk.label(k) for k in per_feature]
        out.append((None, heads, [[_joined(v) for v in per_feature.values()]]))
    return out


def _joined(v: np.ndarray) -> str:
    """A per-feature value in one cell: at most MAX_ROWS numbers, then "…" (the JSON has them all)."""
    flat = np.ravel(v)
    return ", ".join(fmt_value(x) for x in flat[:MAX_ROWS]) + (", …" if flat.size > MAX_ROWS else "")


def _matrix(caption: str, a: np.ndarray) -> tuple[str, list[str], list[list[str]]]:
    """A 2-D array as a table: row index, then one column per array column."""
    heads = ["", *(str(j) for j in range(a.shape[1]))]
    rows = [[str(i), *(fmt_value(x) for x in a[i])] for i in range(min(a.shape[0], MAX_ROWS))]
    if a.shape[0] > MAX_ROWS:
        rows.append(["…"] * len(heads))
    return caption, heads, rows
