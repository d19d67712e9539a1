"""Page: the course at a glance, with a link to every lesson."""

import streamlit as st

from bnviz.course import available, course_walkthroughs
from bnviz.i18n import t
from ui import render, sidebar
from ui import trail as trail_ui

settings = sidebar.current()  # read now: the download runs later, outside this session's script
lang = settings.lang
st.title(t("page.home.heading", lang))
st.write(t("page.home.intro", lang))
st.info(t("page.home.how", lang))
st.subheader(t("page.home.lessons", lang))
lessons = [les for les in available() if les.key != "home"]
for n, les in enumerate(lessons, start=1):
    with st.container(border=True):
        st.markdown(f"**{t('course.lesson', lang, n=n)} · {les.icon} {t(f'page.{les.key}.title', lang)}**")
        st.caption(t(f"page.{les.key}.summary", lang))
        st.page_link(les.page, label=t("course.open", lang, title=t(f"page.{les.key}.title", lang)))

trail_ui.home(lang)

st.divider()
render.downloads(lambda: course_walkthroughs(settings, lang), "bnviz-course", lang, key="course",
                 intro="export.course_downloads")
