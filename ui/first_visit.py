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

APP = Path(__file__).resolve().parents[1] / "app.py"


def run_app() -> None:
    """Run ``app.py`` (sidebar, navigation, the requested lesson) in this script run."""
    runpy.run_path(str(APP), run_name="__main__")
