"""The course's home page (the app's default page) opens and leads to the graph lesson."""

from __future__ import annotations

from app_helpers import assert_ok, new_app, switch_lang, texts

from bnviz.i18n import t


def _graph_links(at):
    return [link.proto for link in at.get("page_link") if link.proto.page == "graph"]


def test_home_opens_and_links_to_the_graph():
    at = new_app().run()
    assert_ok(at)
    assert [e.value for e in at.title] == [t("page.home.heading", "en")]
    links = _graph_links(at)
    assert links and any(t("page.graph.title", "en") in link.label for link in links)


def test_home_survives_a_rerun(lang):
    """A widget change on the home page reruns app.py: sidebar drawn, page in the chosen language.

    Regression: with pages/home.py next to app.py, Streamlit's legacy (MPA v1)
    discovery of the ``pages/`` folder registered a page "home" with the same URL
    path as app.py's st.Page(url_path="home"); a rerun on the home page then ran
    pages/home.py alone, without app.py (no sidebar, stale settings; in a real
    server a KeyError "_settings" for the first visitors of /home). Fixed in
    d8a3f58 by naming page files *_page.py.
    """
    at = new_app().run()
    assert_ok(at)
    at.slider(key="m").set_value(5).run()
    assert_ok(at)
    switch_lang(at, lang)
    assert len(at.sidebar.slider) > 0, "the sidebar was not drawn: pages/home.py ran without app.py"
    assert t("sidebar.header", lang) in texts(at.sidebar.header)
    assert [e.value for e in at.title] == [t("page.home.heading", lang)]
    assert at.session_state["_settings"].m == 5


def test_home_lists_the_trail_of_questions(lang):
    from bnviz import trail

    at = switch_lang(new_app().run(), lang)
    assert_ok(at)
    shown = texts(at.markdown)
    links = [link.proto for link in at.get("page_link")]
    for stop in trail.TRAIL:
        assert any(t(f"trail.{stop.key}", lang) in s for s in shown)
        label = t("trail.open", lang, lesson=t(f"page.{stop.lesson}.title", lang), n=stop.n)
        link = next(li for li in links if li.label == label)
        assert link.page == stop.lesson
        assert f"{trail.STEP_PARAMS[stop.lesson]}={stop.n}" in link.query_string
