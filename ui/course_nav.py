"""Where the learner is in the course, and the way on (sidebar and page foot)."""

from __future__ import annotations

import copy

import streamlit as st

from bnviz.course import Lesson
from bnviz.i18n import t


def title(key: str, lang: str) -> str:
    return t(f"page.{key}.title", lang)


_PAGES: dict[tuple[str, tuple[str, ...]], dict[str, st.Page]] = {}


def pages(lessons: list[Lesson], lang: str) -> dict[str, st.Page]:
    """The lessons' ``st.Page`` objects (key -> page), titled in ``lang``, the home page the default.

    Built once per language and process (each resolves its file's path: ~1 ms a page, every run) and
    copied for each run: ``st.navigation`` marks the page it returns as the one this run may call.
    """
    cache_key = (lang, tuple(les.key for les in lessons))
    built = _PAGES.get(cache_key)
    if built is None:
        built = {les.key: st.Page(les.page, title=title(les.key, lang), icon=les.icon, url_path=les.key,
                                  default=les.key == "home")
                 for les in lessons}
        _PAGES[cache_key] = built
    return {key: copy.copy(page) for key, page in built.items()}


def position(lessons: list[Lesson], current: str, lang: str) -> None:
    """"Lesson n of N" in the sidebar (the home page is lesson 0)."""
    keys = [les.key for les in lessons if les.key != "home"]
    if current in keys:
        st.sidebar.caption(t("course.position", lang, n=keys.index(current) + 1, total=len(keys)))


def next_link(lessons: list[Lesson], current: str, pages: dict, lang: str) -> None:
    """A link to the next lesson at the foot of the page."""
    keys = [les.key for les in lessons]
    n = keys.index(current)
    st.divider()
    if n + 1 < len(keys):
        nxt = keys[n + 1]
        st.page_link(pages[nxt], label=t("course.next", lang, title=title(nxt, lang)), icon="➡️")
    else:
        st.page_link(pages[keys[0]], label=t("course.end", lang), icon="🏁")
