"""bnviz entry point: the shared sidebar, then the page the learner chose."""

import streamlit as st

from bnviz.i18n import t
from ui import sidebar

st.set_page_config(page_title="bnviz", page_icon="📈", layout="wide")
settings = sidebar.render()
st.session_state["_settings"] = settings

PAGES = [
    ("pages/computation_graph.py", "graph", "🕸️"),
]
nav = st.navigation([
    st.Page(path, title=t(f"page.{key}.title", settings.lang), icon=icon, url_path=key, default=n == 0)
    for n, (path, key, icon) in enumerate(PAGES)
])
nav.run()
