"""The first visit after a server start: deep links open their page, with no "Page not found" dialog.

While ``pages/`` exists next to ``app.py``, Streamlit resolves the FIRST run of
a process the legacy (MPA v1) way, against the files in ``pages/`` by their
stem, before ``app.py`` has called ``st.navigation`` (``PagesManager.
uses_pages_directory``, a class attribute; upstream streamlit/streamlit #8860,
#9992). A deep link like ``/graph?m=5&step=16&lang=zh`` finds no file
``pages/graph.py`` and gets the dialog. So every lesson's URL path has a stub
``pages/<key>.py`` that runs the whole app (this module's :func:`run_app`):
the legacy resolution finds it, and ``app.py`` then resolves the link to the
lesson's real page file (``pages/<key>_page.py``) as on every later run.
``st.navigation`` never lists the stubs, so no learner sees them.
"""

from __future__ import annotations

import runpy
from pathlib import Path

import streamlit as st
from streamlit.runtime.scriptrunner_utils.script_run_context import ThreadState, get_script_run_ctx

APP = Path(__file__).resolve().parents[1] / "app.py"


_HASH = "_bnviz_app_hash"
"""Session-state key: the script hash app.py's own elements ran under in this session's last run."""


def run_app() -> None:
    """Run ``app.py`` (sidebar, navigation, the requested lesson) in this script run.

    It runs under the script hash its elements had in this session's last run
    (the main script's, as on every later run, for a new session), so its
    widgets keep their identity, and their state, from one run to the next.
    """
    ctx = get_script_run_ctx()
    if ctx is None:
        runpy.run_path(str(APP), run_name="__main__")
        return
    with ctx.run_with_active_hash(st.session_state.get(_HASH) or ctx.pages_manager.main_script_hash):
        runpy.run_path(str(APP), run_name="__main__")


def record() -> None:
    """Called by app.py before its first element: remember the hash its elements run under."""
    st.session_state[_HASH] = ThreadState.get().active_script_hash
