"""bnviz entry point: the shared sidebar, the course navigation, the page."""

import streamlit as st

from bnviz.course import available
from ui import conventions, course_nav, first_visit, perf, safety, sidebar, style

st.set_page_config(page_title="bnviz", page_icon="📈", layout="wide")
first_visit.record()
perf.warm_up()  # the first run in a process builds every lesson once, in the background
lang = sidebar.language()
lessons = available()
pages = course_nav.pages(lessons, lang)
nav = st.navigation(list(pages.values()))
current = next(key for key, page in pages.items() if page.url_path == nav.url_path)
settings = sidebar.render(current, lang)  # the settings this lesson uses, the rest folded away
style.apply(settings.lang)
st.session_state["_settings"] = settings
course_nav.position(lessons, current, settings.lang)
url_notice = st.container()  # filled after the page: URL values its controls could not use
safety.guarded(nav.run, current, settings.lang)  # no traceback ever reaches a visitor
conventions.show(current, settings)
perf.warmed(current)
sidebar.check_page_url_values()
sidebar.show_ignored(url_notice, settings.lang)
course_nav.next_link(lessons, current, pages, settings.lang)
