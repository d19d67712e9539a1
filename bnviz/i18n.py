"""The text catalog: every sentence a learner sees, in English and 简体中文.

Sentences live in ``locales/*.toml`` (one file per topic, merged; a key may
be defined only once), one table per key with an ``en`` and a ``zh`` entry;
``t(key, lang, **fields)`` fills ``{fields}``.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

LANGS = ("en", "zh")
LANG_NAMES = {"en": "English", "zh": "简体中文"}
_LOCALES = Path(__file__).with_name("locales")


@lru_cache(maxsize=1)
def catalog() -> dict[str, dict[str, str]]:
    """key -> {lang -> sentence}. Nested TOML tables are flattened to dotted keys."""
    flat: dict[str, dict[str, str]] = {}

    def walk(prefix: str, table: dict, source: str) -> None:
        if all(isinstance(v, str) for v in table.values()) and set(table) <= set(LANGS):
            if prefix in flat:
                raise ValueError(f"catalog key {prefix!r} defined twice ({source})")
            flat[prefix] = table
            return
        for k, v in table.items():
            walk(f"{prefix}.{k}" if prefix else k, v, source)

    for path in sorted(_LOCALES.glob("*.toml")):
        with path.open("rb") as fh:
            walk("", tomllib.load(fh), path.name)
    return flat


def t(key: str, lang: str = "en", **fields: object) -> str:
    """The sentence ``key`` in ``lang`` with ``fields`` filled in."""
    entry = catalog()[key]
    text = entry.get(lang) or entry["en"]
    return text.format(**fields) if fields else text


class InputError(ValueError):
    """Bad input, explained: a catalog key plus the fields its sentence needs."""

    def __init__(self, key: str, **fields: object) -> None:
        self.key = key
        self.fields = fields
        super().__init__(t(key, "en", **fields))

    def message(self, lang: str = "en", escape: Callable[[str], str] | None = None) -> str:
        """The sentence in ``lang``; ``escape`` (e.g. :func:`escape_markdown`) is applied to every
        text field first, so input quoted in the sentence is shown as text, never as markup."""
        fields = self.fields if escape is None else {
            k: escape(v) if isinstance(v, str) else v for k, v in self.fields.items()}
        return t(self.key, lang, **fields)


_MARKUP = re.compile(r"([\\`*\[\]<>$~:&|])|(?<=www)(\.)|((?<![A-Za-z0-9])_|_(?![A-Za-z0-9]))", re.IGNORECASE)
"""Marks that can start markup in the middle of a one-line Markdown sentence: code, emphasis, links and
images (``[``), HTML and autolinks (``<``, ``https:``, ``www.``), entities, LaTeX (``$``), strikethrough,
tables, Streamlit's ``:emoji:`` / ``:color[…]`` directives, and ``_`` where it could open or close emphasis
(an underscore between two letters or digits never does, so ``running_mean`` stays as it is)."""


def escape_markdown(text: str) -> str:
    """``text`` shown literally inside Markdown (st.markdown, st.error, ...): each mark in :data:`_MARKUP`
    backslash-escaped (CommonMark allows it for every ASCII punctuation mark) and line breaks made
    spaces, so nothing that starts a line (``#``, ``-``, ``1.``) can start one."""
    flat = " ".join(text.split()) if ("\n" in text or "\r" in text) else text
    return _MARKUP.sub(lambda m: "\\" + m.group(0), flat)


def markdown_code(text: str) -> str:
    """``text`` as one Markdown inline code span that nothing inside can close or break: the fence is one
    backtick longer than the longest run in ``text``, and line breaks become "; " (a row separator the
    batch parser reads back), so no line of learner text can start a heading, a list or HTML."""
    flat = "; ".join(line.strip() for line in text.splitlines() if line.strip()) if "\n" in text or "\r" in text \
        else text
    longest = max((len(run) for run in re.findall(r"`+", flat)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if flat.startswith("`") or flat.endswith("`") or (flat.startswith(" ") and flat.endswith(" ")) else ""
    return f"{fence}{pad}{flat}{pad}{fence}"
