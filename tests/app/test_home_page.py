"""The course's home page (the app's default page) opens and leads to the graph lesson."""

from __future__ import annotations

from app_helpers import GRAPH_PAGE, assert_ok, new_app

from bnviz.i18n import t


def test_home_opens_and_links_to_the_graph(lang):
    at = new_app().run()
    assert_ok(at)
    if lang != "en":
        at.segmented_control(key="lang").set_value(lang).run()
        assert_ok(at)
    assert [e.value for e in at.title] == [t("page.home.heading", lang)]
    links = at.get("page_link")
    assert any(GRAPH_PAGE in link.proto.page for link in links), [link.proto.page for link in links]
    assert any(t("page.graph.title", lang) in link.proto.label for link in links)
